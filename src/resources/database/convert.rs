//! Conversions between Terraform values and the planner: configuration (or state) →
//! planner input, plan → state, the `platform:spec` tag that lets an import recover the
//! configured inputs, and plan → the desired RDS instances.

use crate::backends::aws::rds::{DesiredInstance, Password};
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::database::{self as db_planner, DatabaseInput, DatabasePlan, ReplicaInput};
use crate::resources::attrs::{self, get, int, s, with};
use crate::resources::environment_context::context_from_value;
use crate::value::{AttributePath, Value};
use std::collections::BTreeMap;

use super::*;

/// Reads the planner input from a configuration (or a state, which holds the same inputs).
pub(super) fn input(
    v: &Value,
    default_tags: &BTreeMap<String, String>,
) -> Result<DatabaseInput, Diagnostics> {
    use crate::planner::limits::{self, IntRange};
    let Some(environment) = context_from_value(get(v, "environment")) else {
        return Err(Diagnostics::from_error(
            Diagnostic::error(
                "Invalid Environment",
                "`environment` must be an environment's context: write `environment = platform_environment.<name>.context`.",
            )
            .at(AttributePath::attr("environment")),
        ));
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
                Value::list(plan.children.iter().map(|c| attrs::child_value(c, tags))),
            ),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
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

/// The inputs set in configuration, as `k=v` pairs in one tag (spaces as `+`).
pub(super) fn spec_tag(config: &Value) -> String {
    let mut parts = Vec::new();
    for k in [
        "engine_version",
        "size",
        "instance_class",
        "storage_gb",
        "master_username",
    ] {
        if let Some(v) = get(config, k).as_str() {
            parts.push(format!("{k}={}", v.replace(' ', "+")));
        }
    }
    for k in [
        "multi_az",
        "deletion_protection",
        "final_snapshot",
        "allow_replacement",
        "manage_master_password",
    ] {
        if let Some(v) = get(config, k).as_bool() {
            parts.push(format!("{k}={v}"));
        }
    }
    for k in ["backup_retention_days", "master_password_wo_version"] {
        if let Some(n) = get(config, k).as_number() {
            parts.push(format!("{k}={n}"));
        }
    }
    if !get(config, "extensions").is_null() {
        parts.push(format!(
            "extensions={}",
            attrs::strings(get(config, "extensions")).join("/")
        ));
    }
    let replicas = get(config, "read_replicas");
    if !replicas.is_null() {
        let regions: Vec<String> = replicas
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| get(r, "region").as_str().map(str::to_string))
            .collect();
        parts.push(format!("read_replicas={}", regions.join("/")));
    }
    parts.join(" ")
}

/// The configuration values recorded by [`spec_tag`].
pub(super) fn config_from_spec(spec: &str) -> Vec<(&'static str, Value)> {
    let found: BTreeMap<&str, &str> = spec
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let mut out = Vec::new();
    let list = |v: &str| {
        v.split('/')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for k in [
        "engine_version",
        "size",
        "instance_class",
        "storage_gb",
        "master_username",
    ] {
        out.push((
            k,
            found
                .get(k)
                .map(|v| s(v.replace('+', " ")))
                .unwrap_or(Value::Null),
        ));
    }
    for k in [
        "multi_az",
        "deletion_protection",
        "final_snapshot",
        "allow_replacement",
        "manage_master_password",
    ] {
        out.push((
            k,
            found
                .get(k)
                .and_then(|v| v.parse().ok())
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ));
    }
    for k in ["backup_retention_days", "master_password_wo_version"] {
        out.push((
            k,
            found
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .map(int)
                .unwrap_or(Value::Null),
        ));
    }
    out.push((
        "extensions",
        found
            .get("extensions")
            .map(|v| attrs::string_list(&list(v)))
            .unwrap_or(Value::Null),
    ));
    out.push((
        "read_replicas",
        found
            .get("read_replicas")
            .map(|v| {
                Value::list(
                    list(v)
                        .into_iter()
                        .map(|r| Value::object([("region", s(r))])),
                )
            })
            .unwrap_or(Value::Null),
    ));
    out
}

pub(super) fn desired(plan: &DatabasePlan, config: &Value, password: Password) -> DesiredInstance {
    let e = &plan.effective;
    let mut tags = e.tags.clone();
    tags.insert(TAG_SPEC.into(), spec_tag(config));
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
        let spec = spec_tag(&config);
        assert!(spec.len() <= 256, "fits in a tag value: {spec}");
        let back: BTreeMap<&str, Value> = config_from_spec(&spec).into_iter().collect();
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
