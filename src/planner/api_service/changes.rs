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
/// The port a plan serves on, on a host that has ports.
fn served_port(plan: &ServicePlan) -> Option<i64> {
    match &plan.host_plan {
        HostPlan::Fargate(p) => p.port,
        HostPlan::Fly(p) => p.port,
        HostPlan::Workers(_) => None,
    }
}

/// A warning when a service that served HTTP becomes a worker (no `port`, no
/// `health_check`): it loses its port mapping, its Fly.io public service and its URL.
pub fn becomes_worker(prior: &ServicePlan, next: &ServicePlan) -> Option<Violation> {
    let was = served_port(prior)?;
    if served_port(next).is_some() || prior.placement.host != next.placement.host {
        return None;
    }
    Some(Violation::new(
        AttributePath::attr("port"),
        "Service Becomes A Worker",
        format!(
            "This service served on port {was}, and now sets neither `port` nor `health_check`, so it becomes a worker: its port mapping{} and its URL go. If it still serves HTTP, set `port = {was}`.",
            if next.placement.host == Host::Fly {
                ", its Fly.io service and public ports"
            } else {
                ""
            }
        ),
    ))
}

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
    // A target group's port cannot change: behind the load balancer, a new port is a new
    // target group, and the service is replaced (its rule and group go, new ones come).
    let ingress_port = |p: &ServicePlan| match &p.host_plan {
        HostPlan::Fargate(f) => f.ingress.as_ref().map(|i| i.port),
        _ => None,
    };
    if let (Some(from), Some(to)) = (ingress_port(prior), ingress_port(next))
        && from != to
    {
        replace.push((
            AttributePath::attr("port"),
            format!(
                "a target group's port cannot change: moving from {from} to {to} replaces the service behind the load balancer"
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
