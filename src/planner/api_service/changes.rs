//! Changes between two plans: which children are created, updated in place or replaced.

use super::*;

/// What happens to one child when a plan replaces another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildAction {
    /// The child is new.
    Create,
    /// The child changes in place.
    Update,
    /// The child is deleted and created again.
    Replace,
    /// The child goes away.
    Delete,
}

/// One child's change, for the plan's reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildChange {
    /// The child's logical key.
    pub key: String,
    /// What happens to it.
    pub action: ChildAction,
    /// The settings whose values change (empty for create and delete).
    pub settings: Vec<String>,
    /// Why, in one line.
    pub reason: String,
}

/// The difference between two plans of one service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceChanges {
    /// Attributes whose change replaces the whole service, with the reason for each.
    pub replace: Vec<(AttributePath, String)>,
    /// What happens to each child that changes.
    pub children: Vec<ChildChange>,
}

impl ServiceChanges {
    /// True when the resource must be replaced rather than updated in place.
    pub fn requires_replacement(&self) -> bool {
        !self.replace.is_empty()
    }
}

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
pub fn changes(prior: &ServicePlan, next: &ServicePlan) -> ServiceChanges {
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

    let mut children = Vec::new();
    if !replace.is_empty() {
        for child in &prior.children {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Delete,
                settings: Vec::new(),
                reason: "the service is replaced".to_string(),
            });
        }
        for child in &next.children {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Create,
                settings: Vec::new(),
                reason: "the service is replaced".to_string(),
            });
        }
        return ServiceChanges { replace, children };
    }

    let before: BTreeMap<&str, &Child> =
        prior.children.iter().map(|c| (c.key.as_str(), c)).collect();
    for child in &next.children {
        let Some(old) = before.get(child.key.as_str()) else {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Create,
                settings: Vec::new(),
                reason: "new in this plan".to_string(),
            });
            continue;
        };
        let keys: BTreeSet<&String> = old.settings.keys().chain(child.settings.keys()).collect();
        let changed: Vec<String> = keys
            .into_iter()
            .filter(|k| old.settings.get(*k) != child.settings.get(*k))
            .cloned()
            .collect();
        let renamed =
            old.name != child.name || old.kind != child.kind || old.provider != child.provider;
        let forced: Vec<&String> = changed
            .iter()
            .filter(|k| forces_child_replacement(&child.kind, k))
            .collect();
        if renamed || !forced.is_empty() {
            let reason = if renamed {
                format!("its name changes from `{}` to `{}`", old.name, child.name)
            } else {
                format!("`{}` cannot change in place", forced[0])
            };
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Replace,
                settings: changed,
                reason,
            });
        } else if !changed.is_empty() {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Update,
                settings: changed,
                reason: update_reason(&child.kind).to_string(),
            });
        }
    }
    let after: BTreeSet<&str> = next.children.iter().map(|c| c.key.as_str()).collect();
    for child in &prior.children {
        if !after.contains(child.key.as_str()) {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Delete,
                settings: Vec::new(),
                reason: "no longer in this plan".to_string(),
            });
        }
    }
    ServiceChanges { replace, children }
}
