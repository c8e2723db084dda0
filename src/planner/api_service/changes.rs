//! Changes between two plans: which children are created, updated in place or replaced.

use crate::planner::changes::{Changes, child_changes};

use super::*;

/// Settings whose change re-creates the child rather than updating it.
pub(super) fn forces_child_replacement(kind: &str, setting: &str) -> bool {
    matches!(
        (kind, setting),
        ("fly_app", "org") | ("fly_machine", "region") | ("worker_route", "zone")
    )
}

pub(super) fn update_reason(kind: &str) -> &'static str {
    match kind {
        "ecs_task_definition" => "registers a new task definition revision",
        "ecs_service" => "updates the service in place with a rolling deployment",
        "cloudwatch_log_group" => "changes the log group's retention in place",
        "fly_machine" => "updates the machine in place",
        "worker_script" => "uploads a new version of the script",
        _ => "updates in place",
    }
}

/// How `next` differs from `prior`: a new host, environment or name replaces the
/// service; anything else changes specific children, mostly in place (a new image is a
/// new task definition revision and a rolling service update, or a machine update).
pub fn changes(prior: &ServicePlan, next: &ServicePlan) -> Changes {
    let mut replace = Vec::new();
    let (from, to) = (prior.placement.host, next.placement.host);
    if from != to {
        replace.push((
            AttributePath::attr("host"),
            format!(
                "moving from `{from}` to `{to}` deletes the {} children and creates the {} ones",
                from.label(),
                to.label()
            ),
        ));
    }
    if prior.environment != next.environment {
        replace.push((
            AttributePath::attr("environment"),
            format!(
                "moving from environment `{}` to `{}` re-creates every child under its new \
                 name `{}`",
                prior.environment, next.environment, next.cloud_name
            ),
        ));
    }
    if prior.name != next.name {
        replace.push((
            AttributePath::attr("name"),
            format!(
                "renaming re-creates every child: `{}` becomes `{}`",
                prior.cloud_name, next.cloud_name
            ),
        ));
    }

    let replaced = (!replace.is_empty()).then_some("the service is replaced");
    let children = child_changes(
        &prior.children,
        &next.children,
        replaced,
        forces_child_replacement,
        update_reason,
    );
    Changes {
        replace,
        children,
        ..Changes::default()
    }
}
