//! What changing from one plan to the next does, for every composite: the attributes that
//! replace the whole resource, the updates made in place, what cannot be done at all, and
//! what happens to each child of the expansion.

use std::collections::{BTreeMap, BTreeSet};

use crate::value::path::AttributePath;

use super::{Child, Violation};

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

/// The difference between two plans of one composite resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Changes {
    /// Attributes whose change replaces the whole resource, with the reason for each.
    pub replace: Vec<(AttributePath, String)>,
    /// Differences applied to the running resource, one line each.
    pub in_place: Vec<String>,
    /// Differences the cloud cannot apply at all; the plan must fail.
    pub errors: Vec<Violation>,
    /// What happens to each child that changes.
    pub children: Vec<ChildChange>,
    /// Whether the prior plan was in `production`, so that moving the environment to
    /// another tier in the same plan does not lift a production guard.
    pub prior_in_production: bool,
}

impl Changes {
    /// True when the resource must be replaced rather than updated in place.
    pub fn requires_replacement(&self) -> bool {
        !self.replace.is_empty()
    }

    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.replace.is_empty()
            && self.in_place.is_empty()
            && self.errors.is_empty()
            && self.children.is_empty()
    }
}

/// How each child differs between two expansions. When the whole resource is replaced
/// (`replaced` gives why), every prior child is deleted and every next one created;
/// otherwise a child is created, deleted, replaced when its name or kind changes or a
/// setting `forces_replacement(kind, setting)` changes, or else updated in place for
/// `update_reason(kind)`.
pub fn child_changes(
    prior: &[Child],
    next: &[Child],
    replaced: Option<&str>,
    forces_replacement: impl Fn(&str, &str) -> bool,
    update_reason: impl Fn(&str) -> &'static str,
) -> Vec<ChildChange> {
    let change = |child: &Child, action, settings, reason: &str| ChildChange {
        key: child.key.clone(),
        action,
        settings,
        reason: reason.to_string(),
    };
    let mut children = Vec::new();
    if let Some(reason) = replaced {
        for child in prior {
            children.push(change(child, ChildAction::Delete, Vec::new(), reason));
        }
        for child in next {
            children.push(change(child, ChildAction::Create, Vec::new(), reason));
        }
        return children;
    }

    let before: BTreeMap<&str, &Child> = prior.iter().map(|c| (c.key.as_str(), c)).collect();
    for child in next {
        let Some(old) = before.get(child.key.as_str()) else {
            children.push(change(
                child,
                ChildAction::Create,
                Vec::new(),
                "new in this plan",
            ));
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
        let forced = changed.iter().find(|k| forces_replacement(&child.kind, k));
        if renamed || forced.is_some() {
            let reason = match forced {
                Some(setting) if !renamed => format!("`{setting}` cannot change in place"),
                _ => format!("its name changes from `{}` to `{}`", old.name, child.name),
            };
            children.push(change(child, ChildAction::Replace, changed, &reason));
        } else if !changed.is_empty() {
            let reason = update_reason(&child.kind);
            children.push(change(child, ChildAction::Update, changed, reason));
        }
    }
    let after: BTreeSet<&str> = next.iter().map(|c| c.key.as_str()).collect();
    for child in prior {
        if !after.contains(child.key.as_str()) {
            children.push(change(
                child,
                ChildAction::Delete,
                Vec::new(),
                "no longer in this plan",
            ));
        }
    }
    children
}
