//! The environment as every resource sees it: the `context` value services and databases
//! take as `environment` (its type, and its codec to and from the planner's
//! [`EnvironmentContext`]), the environment's configuration decoded for the planner, and its
//! record in its cluster's tags, from which imports rebuild it. Resources share these from
//! here instead of importing each other.

use super::attrs::{self, get, int, map_of, s, string_list};
use super::spec::{self, Field, Kind, field};
use crate::backends::aws::ecs::{self, ObservedCluster};
use crate::backends::cancellable;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Source;
use crate::planner::environment::{
    self as env_planner, EffectivePolicy, EnvironmentContext, EnvironmentInput, EnvironmentPlan,
    Network, NetworkInput, PolicyInput,
};
use crate::planner::naming;
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// Tag recording the environment's tier on its cluster, so import can rebuild the config.
pub(super) const TAG_TIER: &str = "platform:tier";
/// Tag recording the `network` block (`subnets=a/b sgs=c public=true`).
pub(super) const TAG_NETWORK: &str = "platform:network";
/// Tag recording the `policy` overrides (`min_instances=3 multi_az=true`).
pub(super) const TAG_POLICY: &str = "platform:policy";

/// The fields of the environment's `policy` block: name, type, description.
pub(super) fn policy_fields() -> Vec<(&'static str, Type, &'static str)> {
    vec![
        (
            "min_instances",
            Type::Number,
            "Minimum running instances of each service. Tier default: 1 / 1 / 2.",
        ),
        (
            "max_instances",
            Type::Number,
            "Maximum instances autoscaling may reach. Tier default: 2 / 4 / 10.",
        ),
        (
            "target_cpu_percent",
            Type::Number,
            "CPU utilisation autoscaling aims for, 1–100. Tier default: 70.",
        ),
        (
            "backup_retention_days",
            Type::Number,
            "Database backup retention, 0–35 days. Tier default: 1 / 7 / 30.",
        ),
        (
            "multi_az",
            Type::Bool,
            "Run databases Multi-AZ. Tier default: off / off / on.",
        ),
        (
            "deletion_protection",
            Type::Bool,
            "Protect databases from deletion. Tier default: off / off / on.",
        ),
        (
            "final_snapshot",
            Type::Bool,
            "Take a final snapshot when a database is destroyed. Tier default: off / on / on.",
        ),
        (
            "log_retention_days",
            Type::Number,
            "CloudWatch log retention in days (one of CloudWatch's allowed values). Tier default: 7 / 14 / 30.",
        ),
        (
            "container_insights",
            Type::Bool,
            "ECS Container Insights on the cluster. Tier default: off / on / on.",
        ),
    ]
}

/// The type of `context`, which services and databases take as `environment`.
pub fn context_type() -> Type {
    let policy = Type::object([
        ("min_instances", Type::Number),
        ("max_instances", Type::Number),
        ("target_cpu_percent", Type::Number),
        ("scale_out_cooldown_seconds", Type::Number),
        ("scale_in_cooldown_seconds", Type::Number),
        ("db_instance_class", Type::String),
        ("db_storage_gb", Type::Number),
        ("multi_az", Type::Bool),
        ("backup_retention_days", Type::Number),
        ("deletion_protection", Type::Bool),
        ("final_snapshot", Type::Bool),
        ("storage_encrypted", Type::Bool),
        ("log_retention_days", Type::Number),
        ("container_insights", Type::Bool),
    ]);
    Type::object([
        ("name", Type::String),
        ("tier", Type::String),
        ("region", Type::String),
        ("cluster_name", Type::String),
        (
            "network",
            Type::object([
                ("subnet_ids", Type::list(Type::String)),
                ("security_group_ids", Type::list(Type::String)),
                ("assign_public_ip", Type::Bool),
            ]),
        ),
        ("policy", policy),
        ("policy_source", Type::map(Type::String)),
        ("tags", Type::map(Type::String)),
    ])
}

/// The `context` value of a planned environment.
pub(super) fn context_value(plan: &EnvironmentPlan) -> Value {
    let c = &plan.context;
    let p = &c.policy;
    Value::object([
        ("name", s(c.name.clone())),
        ("tier", s(c.tier.as_str())),
        ("region", s(c.region.clone())),
        ("cluster_name", s(c.cluster_name.clone())),
        (
            "network",
            Value::object([
                ("subnet_ids", string_list(&c.network.subnet_ids)),
                (
                    "security_group_ids",
                    string_list(&c.network.security_group_ids),
                ),
                ("assign_public_ip", Value::Bool(c.network.assign_public_ip)),
            ]),
        ),
        (
            "policy",
            Value::object([
                ("min_instances", int(p.min_instances)),
                ("max_instances", int(p.max_instances)),
                ("target_cpu_percent", int(p.target_cpu_percent)),
                (
                    "scale_out_cooldown_seconds",
                    int(p.scale_out_cooldown_seconds),
                ),
                (
                    "scale_in_cooldown_seconds",
                    int(p.scale_in_cooldown_seconds),
                ),
                ("db_instance_class", s(p.db_instance_class.clone())),
                ("db_storage_gb", int(p.db_storage_gb)),
                ("multi_az", Value::Bool(p.multi_az)),
                ("backup_retention_days", int(p.backup_retention_days)),
                ("deletion_protection", Value::Bool(p.deletion_protection)),
                ("final_snapshot", Value::Bool(p.final_snapshot)),
                ("storage_encrypted", Value::Bool(p.storage_encrypted)),
                ("log_retention_days", int(p.log_retention_days)),
                ("container_insights", Value::Bool(p.container_insights)),
            ]),
        ),
        (
            "policy_source",
            Value::map(
                c.policy_source
                    .iter()
                    .map(|(k, v)| (k.clone(), s(v.to_string()))),
            ),
        ),
        ("tags", map_of(&c.tags)),
    ])
}

/// Reads an environment `context` value back into the planner's type, for the services and
/// databases that take it. `None` while any part of it is unknown.
pub fn context_from_value(v: &Value) -> Option<EnvironmentContext> {
    if !v.is_wholly_known() || v.is_null() {
        return None;
    }
    let text = |o: &Value, k: &str| get(o, k).as_str().map(str::to_string);
    let num = |o: &Value, k: &str| get(o, k).as_number().and_then(|n| n.as_i64());
    let flag = |o: &Value, k: &str| get(o, k).as_bool();
    let net = get(v, "network");
    let pol = get(v, "policy");
    Some(EnvironmentContext {
        name: text(v, "name")?,
        tier: text(v, "tier")?.parse().ok()?,
        region: text(v, "region")?,
        cluster_name: text(v, "cluster_name")?,
        network: Network {
            subnet_ids: attrs::strings(get(net, "subnet_ids")),
            security_group_ids: attrs::strings(get(net, "security_group_ids")),
            assign_public_ip: flag(net, "assign_public_ip").unwrap_or(false),
        },
        policy: EffectivePolicy {
            min_instances: num(pol, "min_instances")?,
            max_instances: num(pol, "max_instances")?,
            target_cpu_percent: num(pol, "target_cpu_percent")?,
            scale_out_cooldown_seconds: num(pol, "scale_out_cooldown_seconds")?,
            scale_in_cooldown_seconds: num(pol, "scale_in_cooldown_seconds")?,
            db_instance_class: text(pol, "db_instance_class")?,
            db_storage_gb: num(pol, "db_storage_gb")?,
            multi_az: flag(pol, "multi_az")?,
            backup_retention_days: num(pol, "backup_retention_days")?,
            deletion_protection: flag(pol, "deletion_protection")?,
            final_snapshot: flag(pol, "final_snapshot")?,
            storage_encrypted: flag(pol, "storage_encrypted")?,
            log_retention_days: num(pol, "log_retention_days")?,
            container_insights: flag(pol, "container_insights")?,
        },
        policy_source: attrs::string_map(get(v, "policy_source"))
            .into_iter()
            .filter_map(|(k, s)| Some((k, source_from_str(&s)?)))
            .collect(),
        tags: attrs::string_map(get(v, "tags")),
    })
}

/// Parses a source label as `Source` writes it.
fn source_from_str(s: &str) -> Option<Source> {
    s.parse().ok()
}

/// The environment's `context` value for an environment that exists in the cloud, rebuilt
/// from its cluster's tags: used by imports of the services and databases inside it.
pub async fn import_context(name: &str, ctx: &CallContext) -> Result<Value, Diagnostics> {
    find(name, ctx)
        .await
        .map(|found| context_value(&found.plan))
}

/// An environment that exists in the cloud.
pub(super) struct FoundEnvironment {
    /// Its configuration, rebuilt from the cluster's tags.
    pub config: Value,
    /// That configuration, decoded.
    pub input: EnvironmentInput,
    /// That configuration, planned.
    pub plan: EnvironmentPlan,
    /// Its cluster as ECS reports it.
    pub cluster: ObservedCluster,
}

/// Finds the environment `name` in the provider's region and rebuilds its configuration
/// from the records in its cluster's tags.
pub(super) async fn find(name: &str, ctx: &CallContext) -> Result<FoundEnvironment, Diagnostics> {
    let err = |summary: &str, detail: String| {
        Err(Diagnostics::from_error(Diagnostic::error(summary, detail)))
    };
    let Some(region) = ctx.aws.default_region().await else {
        return err("No Region For Import", "Import looks the cluster up in the provider's region, and none is set. Set `region` in the provider block or `AWS_REGION`.".into());
    };
    let cluster_name = naming::cluster_name(name);
    let client = ctx.aws.ecs(&region).await;
    let cluster = match cancellable(&ctx.cancel, ecs::find(&client, &cluster_name)).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return err(
                "Environment Not Found",
                format!(
                    "There is no ECS cluster `{cluster_name}` in `{region}`. Check the environment name (the import ID is the `name`, e.g. `prod`) and the provider's region."
                ),
            );
        }
        Err(e) => {
            return Err(Diagnostics::from_error(super::backend_diagnostic(
                "Cluster Name Already Taken",
                "Read The ECS Cluster",
                e,
            )));
        }
    };
    if cluster.tags.get(naming::TAG_MANAGED_BY).map(String::as_str) != Some(naming::MANAGED_BY) {
        return err(
            "Cluster Not Managed By This Provider",
            format!(
                "The ECS cluster `{cluster_name}` has no `{}` = `{}` tag, so it was not created by `platform_environment`. Only clusters this provider created can be imported.",
                naming::TAG_MANAGED_BY,
                naming::MANAGED_BY
            ),
        );
    }
    let (network, policy) = blocks_from_tags(&cluster.tags);
    let config = Value::object([
        ("name", s(name)),
        (
            "tier",
            s(cluster.tags.get(TAG_TIER).cloned().unwrap_or_default()),
        ),
        ("region", s(region)),
        ("network", network),
        ("policy", policy),
        (
            "tags",
            attrs::configured_tags(&cluster.tags, &[&ctx.config.default_tags]),
        ),
    ]);
    let input = match input(&config, &ctx.config.default_tags) {
        Ok(i) => i,
        Err(d) => return Err(d),
    };
    match env_planner::plan(&input) {
        Ok(plan) => Ok(FoundEnvironment {
            config,
            input,
            plan,
            cluster,
        }),
        Err(v) => Err(violations(v)),
    }
}

// ---------------------------------------------------------------------------------------
// Config → planner input
// ---------------------------------------------------------------------------------------

/// Reads the planner input from a wholly known configuration.
pub(super) fn input(
    config: &Value,
    default_tags: &BTreeMap<String, String>,
) -> Result<EnvironmentInput, Diagnostics> {
    use crate::planner::limits;
    let mut diags = Diagnostics::new();
    let net = get(config, "network");
    let network = (!net.is_null()).then(|| NetworkInput {
        subnet_ids: attrs::strings(get(net, "subnet_ids")),
        security_group_ids: attrs::strings(get(net, "security_group_ids")),
        assign_public_ip: attrs::opt_bool(get(net, "assign_public_ip")),
    });
    let pol = get(config, "policy");
    let mut int = |name: &str, range: limits::IntRange| {
        attrs::opt_int(
            get(pol, name),
            AttributePath::attr("policy").then_attr(name),
            range,
        )
        .unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let log_retention = limits::IntRange {
        min: limits::LOG_RETENTION_DAYS[0],
        max: limits::LOG_RETENTION_DAYS[limits::LOG_RETENTION_DAYS.len() - 1],
    };
    let policy = PolicyInput {
        min_instances: int("min_instances", limits::MIN_INSTANCES),
        max_instances: int("max_instances", limits::MAX_INSTANCES),
        target_cpu_percent: int("target_cpu_percent", limits::TARGET_CPU_PERCENT),
        backup_retention_days: int("backup_retention_days", limits::BACKUP_RETENTION_DAYS),
        log_retention_days: int("log_retention_days", log_retention),
        multi_az: attrs::opt_bool(get(pol, "multi_az")),
        deletion_protection: attrs::opt_bool(get(pol, "deletion_protection")),
        final_snapshot: attrs::opt_bool(get(pol, "final_snapshot")),
        container_insights: attrs::opt_bool(get(pol, "container_insights")),
    };
    let input = EnvironmentInput {
        name: attrs::opt_string(get(config, "name")).unwrap_or_default(),
        tier: attrs::opt_string(get(config, "tier")).unwrap_or_default(),
        region: attrs::opt_string(get(config, "region")).unwrap_or_default(),
        network,
        policy,
        tags: attrs::string_map(get(config, "tags")),
        default_tags: default_tags.clone(),
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

use super::framework::violations;

// ---------------------------------------------------------------------------------------
// Import records kept in cluster tags
// ---------------------------------------------------------------------------------------

/// The `network` block as its record spells it (`subnets=a/b sgs=c public=true`).
const NETWORK_SPEC: &[Field] = &[
    Field {
        name: "subnet_ids",
        key: "subnets",
        kind: Kind::List,
    },
    Field {
        name: "security_group_ids",
        key: "sgs",
        kind: Kind::List,
    },
    Field {
        name: "assign_public_ip",
        key: "public",
        kind: Kind::Bool,
    },
];

/// The `policy` overrides as their record spells them (`min_instances=3 multi_az=true`).
const POLICY_SPEC: &[Field] = &[
    field("min_instances", Kind::Number),
    field("max_instances", Kind::Number),
    field("target_cpu_percent", Kind::Number),
    field("backup_retention_days", Kind::Number),
    field("log_retention_days", Kind::Number),
    field("multi_az", Kind::Bool),
    field("deletion_protection", Kind::Bool),
    field("final_snapshot", Kind::Bool),
    field("container_insights", Kind::Bool),
];

/// The records the cluster's tags carry for import: the `network` block (with both lists
/// always written) and the `policy` overrides (only when there are some).
pub(super) fn record_tags(input: &EnvironmentInput) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    let opt = |v: Option<Value>| v.unwrap_or(Value::Null);
    if let Some(n) = &input.network {
        let network = Value::object([
            ("subnet_ids", string_list(&n.subnet_ids)),
            ("security_group_ids", string_list(&n.security_group_ids)),
            ("assign_public_ip", opt(n.assign_public_ip.map(Value::Bool))),
        ]);
        tags.extend(spec::to_tags(
            TAG_NETWORK,
            &spec::encode(NETWORK_SPEC, &network),
        ));
    }
    let p = &input.policy;
    let policy = Value::object([
        ("min_instances", opt(p.min_instances.map(int))),
        ("max_instances", opt(p.max_instances.map(int))),
        ("target_cpu_percent", opt(p.target_cpu_percent.map(int))),
        (
            "backup_retention_days",
            opt(p.backup_retention_days.map(int)),
        ),
        ("log_retention_days", opt(p.log_retention_days.map(int))),
        ("multi_az", opt(p.multi_az.map(Value::Bool))),
        (
            "deletion_protection",
            opt(p.deletion_protection.map(Value::Bool)),
        ),
        ("final_snapshot", opt(p.final_snapshot.map(Value::Bool))),
        (
            "container_insights",
            opt(p.container_insights.map(Value::Bool)),
        ),
    ]);
    let pairs = spec::encode(POLICY_SPEC, &policy);
    if !pairs.is_empty() {
        tags.extend(spec::to_tags(TAG_POLICY, &pairs));
    }
    tags
}

/// The `network` and `policy` blocks recorded in a cluster's tags (null when not recorded).
fn blocks_from_tags(tags: &BTreeMap<String, String>) -> (Value, Value) {
    let network = tags.contains_key(TAG_NETWORK).then(|| {
        Value::object(spec::decode(
            NETWORK_SPEC,
            &spec::from_tags(TAG_NETWORK, tags),
        ))
    });
    let policy = spec::from_tags(TAG_POLICY, tags);
    let policy = (!policy.is_empty()).then(|| Value::object(spec::decode(POLICY_SPEC, &policy)));
    (
        network.unwrap_or(Value::Null),
        policy.unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_blocks(network: Option<NetworkInput>, policy: PolicyInput) -> EnvironmentInput {
        EnvironmentInput {
            name: "prod".into(),
            tier: "production".into(),
            region: "eu-west-1".into(),
            network,
            policy,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        }
    }

    #[test]
    fn records_are_written_as_earlier_versions_wrote_them_and_read_back() {
        let input = with_blocks(
            Some(NetworkInput {
                subnet_ids: vec!["subnet-0123456789abcdef0".into(), "subnet-12345678".into()],
                security_group_ids: vec![],
                assign_public_ip: Some(true),
            }),
            PolicyInput {
                min_instances: Some(3),
                multi_az: Some(false),
                ..PolicyInput::default()
            },
        );
        let tags = record_tags(&input);
        // Unchanged from the records earlier versions wrote, so no plan shows a tag change.
        assert_eq!(
            tags[TAG_NETWORK],
            "subnets=subnet-0123456789abcdef0/subnet-12345678 sgs= public=true"
        );
        assert_eq!(tags[TAG_POLICY], "min_instances=3 multi_az=false");
        let (network, policy) = blocks_from_tags(&tags);
        assert_eq!(
            get(&network, "subnet_ids"),
            &string_list(&["subnet-0123456789abcdef0".into(), "subnet-12345678".into()])
        );
        assert_eq!(get(&network, "security_group_ids"), &string_list(&[]));
        assert_eq!(get(&network, "assign_public_ip"), &Value::Bool(true));
        assert_eq!(get(&policy, "min_instances"), &int(3));
        assert_eq!(get(&policy, "multi_az"), &Value::Bool(false));
        assert!(get(&policy, "max_instances").is_null());
    }

    #[test]
    fn no_network_and_no_overrides_record_nothing() {
        let tags = record_tags(&with_blocks(None, PolicyInput::default()));
        assert!(tags.is_empty(), "{tags:?}");
        let (network, policy) = blocks_from_tags(&tags);
        assert!(network.is_null() && policy.is_null());
    }

    #[test]
    fn context_round_trips_through_its_value() {
        let input = EnvironmentInput {
            name: "prod".into(),
            tier: "production".into(),
            region: "eu-west-1".into(),
            network: None,
            policy: PolicyInput {
                max_instances: Some(12),
                ..PolicyInput::default()
            },
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        };
        let plan = env_planner::plan(&input).unwrap();
        let back = context_from_value(&context_value(&plan)).expect("decodes");
        assert_eq!(back, plan.context);
        assert!(context_from_value(&Value::Unknown).is_none());
    }
}
