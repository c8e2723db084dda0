//! Shared test fixtures: databases in an environment of each tier, and ways to change them.

use std::collections::BTreeMap;

use super::*;
use crate::planner::Child;
use crate::planner::environment::{self, EnvironmentContext, EnvironmentInput, PolicyInput};
use crate::planner::tier::Tier;

pub(super) fn context(tier: Tier, policy: PolicyInput) -> EnvironmentContext {
    let name = match tier {
        Tier::Development => "dev",
        Tier::Staging => "staging",
        Tier::Production => "prod",
    };
    let input = EnvironmentInput {
        name: name.to_string(),
        tier: tier.as_str().to_string(),
        region: "eu-west-1".to_string(),
        network: None,
        policy,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
        ingress: None,
    };
    environment::plan(&input)
        .unwrap_or_else(|v| panic!("{v:#?}"))
        .context
}

/// A database named `main` with nothing set, in an environment of `tier`.
pub(super) fn input(tier: Tier) -> DatabaseInput {
    DatabaseInput {
        environment: context(tier, PolicyInput::default()),
        name: "main".to_string(),
        engine_version: None,
        extensions: Vec::new(),
        size: None,
        instance_class: None,
        storage_gb: None,
        multi_az: None,
        backup_retention_days: None,
        deletion_protection: None,
        read_replicas: Vec::new(),
        final_snapshot: None,
        allow_replacement: false,
        manage_master_password: None,
        master_password_wo_set: false,
        master_password_wo_version: None,
        tags: BTreeMap::from([("team".to_string(), "data".to_string())]),
        default_tags: BTreeMap::new(),
    }
}

pub(super) fn replicas(regions: &[&str]) -> Vec<ReplicaInput> {
    regions
        .iter()
        .map(|r| ReplicaInput {
            region: r.to_string(),
        })
        .collect()
}

/// The seed's production database: pgvector and a read replica in us-east-1.
pub(super) fn valid() -> DatabaseInput {
    let mut input = input(Tier::Production);
    input.extensions = vec!["vector".to_string()];
    input.read_replicas = replicas(&["us-east-1"]);
    input
}

pub(super) fn with(change: impl FnOnce(&mut DatabaseInput)) -> DatabaseInput {
    let mut input = valid();
    change(&mut input);
    input
}

pub(super) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

pub(super) fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

pub(super) fn settings(child: &Child) -> Vec<(&str, &str)> {
    child
        .settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

pub(super) fn child<'a>(plan: &'a DatabasePlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child {key} in {:#?}", plan.children))
}

pub(super) fn planned(input: &DatabaseInput) -> DatabasePlan {
    plan(input).unwrap_or_else(|v| panic!("{v:#?}"))
}
