//! Conversions between Terraform values and the planner: configuration (or state) →
//! planner input, plan → state, the `platform:spec` tag that lets an import recover the
//! configured inputs, and plan → the desired RDS instances.

use crate::backends::aws::rds::{DesiredInstance, Password};
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::database::{self as db_planner, DatabaseInput, DatabasePlan, ReplicaInput};
use crate::resources::attrs::{self, get, s, with};
use crate::resources::environment_context::{
    NOT_A_CONTEXT, context_from_value, invalid_environment,
};
use crate::resources::spec::{self, Field, Kind, field};
use crate::value::{AttributePath, Value};
use std::collections::BTreeMap;

use super::*;

/// Reads the planner input from a configuration (or a state, which holds the same inputs).
pub(super) fn input(
    v: &Value,
    default_tags: &BTreeMap<String, String>,
) -> Result<DatabaseInput, Diagnostics> {
    use crate::planner::limits::{self, IntRange};
    let environment = match context_from_value(get(v, "environment")) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Diagnostics::from_error(invalid_environment(NOT_A_CONTEXT))),
        Err(detail) => return Err(Diagnostics::from_error(invalid_environment(&detail))),
    };
    let text = |k: &str| attrs::opt_string(get(v, k));
    let mut diags = Diagnostics::new();
    let mut whole = |k: &str, range: IntRange| {
        attrs::opt_int(get(v, k), AttributePath::attr(k), range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let backup_retention_days = whole("backup_retention_days", limits::BACKUP_RETENTION_DAYS);
    // Any whole number: only a change of it matters.
    let any = IntRange {
        min: i64::MIN,
        max: i64::MAX,
    };
    let master_password_wo_version = whole("master_password_wo_version", any);
    let input = DatabaseInput {
        environment,
        name: text("name").unwrap_or_default(),
        engine_version: text("engine_version"),
        extensions: attrs::strings(get(v, "extensions")),
        size: text("size"),
        instance_class: text("instance_class"),
        storage_gb: text("storage_gb"),
        multi_az: get(v, "multi_az").as_bool(),
        backup_retention_days,
        deletion_protection: get(v, "deletion_protection").as_bool(),
        read_replicas: get(v, "read_replicas")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|r| ReplicaInput {
                region: attrs::opt_string(get(r, "region")).unwrap_or_default(),
            })
            .collect(),
        final_snapshot: get(v, "final_snapshot").as_bool(),
        allow_replacement: get(v, "allow_replacement").as_bool().unwrap_or(false),
        manage_master_password: get(v, "manage_master_password").as_bool(),
        // State never holds the write-only value, so its version stands for it there.
        master_password_wo_set: !get(v, "master_password_wo").is_null()
            || master_password_wo_version.is_some(),
        master_password_wo_version,
        tags: attrs::string_map(get(v, "tags")),
        default_tags: default_tags.clone(),
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

pub(super) use crate::resources::framework::violations;

/// Write-only attributes need a client that keeps them out of state (Terraform ≥ 1.11).
pub(super) fn write_only_check(config: &Value, ctx: &CallContext) -> Option<Diagnostic> {
    (!get(config, "master_password_wo").is_null() && !ctx.write_only_allowed).then(|| {
        Diagnostic::error(
            "Write-Only Attributes Need Terraform 1.11 Or Newer",
            "This Terraform does not support write-only attributes, so `master_password_wo` would be stored in state. Upgrade to Terraform ≥ 1.11 (or OpenTofu ≥ 1.11), or remove `master_password_wo` and let RDS manage the password (`manage_master_password = true`, the default).",
        )
        .at(AttributePath::attr("master_password_wo"))
    })
}

// ---------------------------------------------------------------------------------------
// Planner output → state
// ---------------------------------------------------------------------------------------

/// Known-after-apply values carried from the prior state when nothing replaces them.
pub(super) struct Observed {
    pub(super) endpoint: Value,
    pub(super) port: Value,
    pub(super) secret_arn: Value,
    pub(super) replica_endpoints: Value,
    pub(super) final_snapshot_identifier: Value,
}

impl Observed {
    pub(super) fn unknown() -> Self {
        Self {
            endpoint: Value::Unknown,
            port: Value::Unknown,
            secret_arn: Value::Unknown,
            replica_endpoints: Value::Unknown,
            final_snapshot_identifier: Value::Unknown,
        }
    }
}

pub(super) fn state_value(config: &Value, plan: &DatabasePlan, observed: Observed) -> Value {
    let tags = &plan.effective.tags;
    with(
        config.clone(),
        [
            // Never stored: the value exists only in the configuration.
            ("master_password_wo", Value::Null),
            ("id", s(plan.identifier.clone())),
            ("identifier", s(plan.identifier.clone())),
            ("endpoint", observed.endpoint),
            ("port", observed.port),
            ("master_user_secret_arn", observed.secret_arn),
            ("replica_endpoints", observed.replica_endpoints),
            (
                "final_snapshot_identifier",
                observed.final_snapshot_identifier,
            ),
            (
                "expansion",
                Value::list(plan.children.iter().map(attrs::child_value)),
            ),
            ("tags_all", attrs::map_of(tags)),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
            (
                "estimated_monthly_cost_cents",
                attrs::cents(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

pub(super) fn replica_identifier(plan: &DatabasePlan, region: &str) -> String {
    plan.children
        .iter()
        .find(|c| c.key == db_planner::replica_key(region))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| format!("{}-{region}", plan.identifier))
}

/// What the import record (the `platform:spec` tags) holds: the inputs set in configuration.
pub(super) const SPEC: &[Field] = &[
    field("engine_version", Kind::Text),
    field("size", Kind::Text),
    field("instance_class", Kind::Text),
    field("storage_gb", Kind::Text),
    field("master_username", Kind::Text),
    field("multi_az", Kind::Bool),
    field("deletion_protection", Kind::Bool),
    field("final_snapshot", Kind::Bool),
    field("allow_replacement", Kind::Bool),
    field("manage_master_password", Kind::Bool),
    field("backup_retention_days", Kind::Number),
    field("master_password_wo_version", Kind::Number),
    field("extensions", Kind::List),
    field("read_replicas", Kind::ListOf("region")),
];

pub(super) fn desired(plan: &DatabasePlan, config: &Value, password: Password) -> DesiredInstance {
    let e = &plan.effective;
    let mut tags = e.tags.clone();
    tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    DesiredInstance {
        identifier: plan.identifier.clone(),
        instance_class: e.instance_class.clone(),
        engine_version: e.engine_version.clone(),
        allocated_storage: e.storage_gb as i32,
        storage_type: e.storage_type.clone(),
        storage_encrypted: e.storage_encrypted,
        multi_az: e.multi_az,
        backup_retention: e.backup_retention_days as i32,
        deletion_protection: e.deletion_protection,
        parameter_group: e
            .parameter_group
            .clone()
            .filter(|g| !g.starts_with("default.")),
        master_username: attrs::opt_string(get(config, "master_username"))
            .unwrap_or_else(|| DEFAULT_MASTER_USERNAME.into()),
        password,
        tags,
    }
}

pub(super) fn desired_replica(
    plan: &DatabasePlan,
    config: &Value,
    region: &str,
) -> DesiredInstance {
    let mut d = desired(plan, config, Password::Inherited);
    d.identifier = replica_identifier(plan, region);
    d.multi_az = false;
    d.backup_retention = 0;
    d.deletion_protection = false;
    d.tags.remove(TAG_SPEC);
    if region != plan.region {
        // A custom group lives in the primary's region only.
        d.parameter_group = None;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::attrs::int;

    #[test]
    fn spec_tag_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("engine_version", s("16.4")),
            ("storage_gb", s("100 GiB")),
            ("multi_az", Value::Bool(true)),
            ("backup_retention_days", int(30)),
            (
                "extensions",
                attrs::string_list(&["vector".into(), "pg_cron".into()]),
            ),
            (
                "read_replicas",
                Value::list([Value::object([("region", s("us-east-1"))])]),
            ),
        ]);
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        assert_eq!(tags.len(), 1, "fits in one tag value: {tags:?}");
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
            .into_iter()
            .collect();
        for (k, v) in [
            ("engine_version", s("16.4")),
            ("storage_gb", s("100 GiB")),
            ("multi_az", Value::Bool(true)),
            ("backup_retention_days", int(30)),
        ] {
            assert_eq!(back[k], v, "{k}");
        }
        assert_eq!(
            back["extensions"],
            attrs::string_list(&["vector".into(), "pg_cron".into()])
        );
        assert!(back["size"].is_null() && back["deletion_protection"].is_null());
        assert_eq!(
            get(&back["read_replicas"].as_list().unwrap()[0], "region"),
            &s("us-east-1")
        );
    }
}
