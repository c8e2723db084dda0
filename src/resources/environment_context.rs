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
use crate::planner::environment::{
    self as env_planner, EnvironmentContext, EnvironmentInput, EnvironmentPlan, IngressContext,
    IngressInput, Network, NetworkInput, PolicyInput,
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

/// The type of `context`, which services and databases take as `environment`: what they
/// cannot derive themselves. The policy is the environment's overrides only (the tier
/// table holds the rest, and every reader resolves it the same way through
/// [`EnvironmentContext::new`]); the tags are the ones its children inherit, without the
/// platform's own, which each child sets for itself.
pub fn context_type() -> Type {
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
        ("policy", Type::map(Type::String)),
        ("tags", Type::map(Type::String)),
        (
            "ingress",
            Type::object([
                ("domain", Type::String),
                ("hosted_zone_id", Type::String),
                ("load_balancer", Type::String),
                ("security_group", Type::String),
            ]),
        ),
    ])
}

/// The `context` value of a planned environment.
pub(super) fn context_value(plan: &EnvironmentPlan) -> Value {
    let c = &plan.context;
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
        ("policy", map_of(&overrides_map(&c.overrides))),
        ("tags", map_of(&naming::inherited_tags(&c.tags))),
        (
            "ingress",
            c.ingress.as_ref().map_or(Value::Null, |i| {
                Value::object([
                    ("domain", s(i.domain.clone())),
                    (
                        "hosted_zone_id",
                        i.hosted_zone_id.clone().map_or(Value::Null, s),
                    ),
                    ("load_balancer", s(i.load_balancer.clone())),
                    ("security_group", s(i.security_group.clone())),
                ])
            }),
        ),
    ])
}

/// The policy overrides as `context.policy` spells them: only the fields set, as text.
fn overrides_map(p: &PolicyInput) -> BTreeMap<String, String> {
    let numbers = [
        ("min_instances", p.min_instances),
        ("max_instances", p.max_instances),
        ("target_cpu_percent", p.target_cpu_percent),
        ("backup_retention_days", p.backup_retention_days),
        ("log_retention_days", p.log_retention_days),
    ];
    let flags = [
        ("multi_az", p.multi_az),
        ("deletion_protection", p.deletion_protection),
        ("final_snapshot", p.final_snapshot),
        ("container_insights", p.container_insights),
    ];
    numbers
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?.to_string())))
        .chain(
            flags
                .into_iter()
                .filter_map(|(k, v)| Some((k.to_string(), v?.to_string()))),
        )
        .collect()
}

/// What a value given as `environment` must be, for the diagnostics of its readers.
pub const NOT_A_CONTEXT: &str = "`environment` must be an environment's context: write `environment = platform_environment.<name>.context`.";

/// The error for an `environment` that is not a context: `detail` says why.
pub fn invalid_environment(detail: &str) -> Diagnostic {
    Diagnostic::error("Invalid Environment", detail).at(AttributePath::attr("environment"))
}

/// Reads an environment `context` value back into the planner's type, for the services and
/// databases that take it. `Ok(None)` while any part of it is unknown; an error (the
/// diagnostic's detail) when it is not a context.
pub fn context_from_value(v: &Value) -> Result<Option<EnvironmentContext>, String> {
    if !v.is_wholly_known() {
        return Ok(None);
    }
    let text = |o: &Value, k: &str| get(o, k).as_str().map(str::to_string);
    let net = get(v, "network");
    let (Some(name), Some(tier), Some(region), Some(cluster_name)) = (
        text(v, "name"),
        text(v, "tier").and_then(|t| t.parse().ok()),
        text(v, "region"),
        text(v, "cluster_name"),
    ) else {
        return Err(NOT_A_CONTEXT.to_string());
    };
    let overrides = policy_from_map(&attrs::string_map(get(v, "policy")))?;
    let ing = get(v, "ingress");
    let ingress = match (
        text(ing, "domain"),
        text(ing, "load_balancer"),
        text(ing, "security_group"),
    ) {
        (Some(domain), Some(load_balancer), Some(security_group)) => Some(IngressContext {
            domain,
            hosted_zone_id: text(ing, "hosted_zone_id"),
            load_balancer,
            security_group,
        }),
        _ => None,
    };
    let context = EnvironmentContext::new(
        name,
        tier,
        region,
        cluster_name,
        Network {
            subnet_ids: attrs::strings(get(net, "subnet_ids")),
            security_group_ids: attrs::strings(get(net, "security_group_ids")),
            assign_public_ip: get(net, "assign_public_ip").as_bool().unwrap_or(false),
        },
        overrides,
        attrs::string_map(get(v, "tags")),
    );
    Ok(Some(EnvironmentContext { ingress, ..context }))
}

/// `context.policy` read back: each key a field of the environment's `policy` block, each
/// value as that field's type writes it, within its limits.
fn policy_from_map(m: &BTreeMap<String, String>) -> Result<PolicyInput, String> {
    let fields = policy_fields();
    let mut block = BTreeMap::new();
    for (key, text) in m {
        let Some((_, ty, _)) = fields.iter().find(|(name, _, _)| name == key) else {
            let names: Vec<&str> = fields.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "`environment.policy` has `{key}`, which is not a policy field. It holds the environment's overrides, one of: {}. Pass `platform_environment.<name>.context` rather than writing it by hand.",
                names.join(", ")
            ));
        };
        let value = match ty {
            Type::Bool => text.parse::<bool>().ok().map(Value::Bool),
            _ => text.parse::<crate::value::Number>().ok().map(Value::Number),
        };
        let Some(value) = value else {
            return Err(format!(
                "`environment.policy.{key}` is `{text}`, which is not a {}. Pass `platform_environment.<name>.context` rather than writing it by hand.",
                if *ty == Type::Bool { "bool" } else { "number" }
            ));
        };
        block.insert(key.clone(), value);
    }
    let mut diags = Diagnostics::new();
    let policy = policy_input(
        &Value::object(block),
        &AttributePath::attr("environment").then_attr("policy"),
        &mut diags,
    );
    match diags.into_iter().next() {
        Some(d) => Err(d.detail),
        None => Ok(policy),
    }
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
    let (network, policy, ingress) = blocks_from_tags(&cluster.tags);
    let config = Value::object([
        ("name", s(name)),
        (
            "tier",
            s(cluster.tags.get(TAG_TIER).cloned().unwrap_or_default()),
        ),
        ("region", s(region)),
        ("network", network),
        ("policy", policy),
        ("ingress", ingress),
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
    let mut diags = Diagnostics::new();
    let net = get(config, "network");
    let network = (!net.is_null()).then(|| NetworkInput {
        subnet_ids: attrs::strings(get(net, "subnet_ids")),
        security_group_ids: attrs::strings(get(net, "security_group_ids")),
        assign_public_ip: attrs::opt_bool(get(net, "assign_public_ip")),
        public_subnet_ids: attrs::strings(get(net, "public_subnet_ids")),
    });
    let ing = get(config, "ingress");
    let ingress = (!ing.is_null()).then(|| IngressInput {
        domain: attrs::opt_string(get(ing, "domain")).unwrap_or_default(),
        certificate_arn: attrs::opt_string(get(ing, "certificate_arn")),
        hosted_zone_id: attrs::opt_string(get(ing, "hosted_zone_id")),
        deletion_protection: attrs::opt_bool(get(ing, "deletion_protection")),
    });
    let policy = policy_input(
        get(config, "policy"),
        &AttributePath::attr("policy"),
        &mut diags,
    );
    let input = EnvironmentInput {
        name: attrs::opt_string(get(config, "name")).unwrap_or_default(),
        tier: attrs::opt_string(get(config, "tier")).unwrap_or_default(),
        region: attrs::opt_string(get(config, "region")).unwrap_or_default(),
        network,
        policy,
        tags: attrs::string_map(get(config, "tags")),
        default_tags: default_tags.clone(),
        ingress,
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

/// The `policy` block read into the planner's overrides; a value outside its limits is a
/// diagnostic at `path`.
fn policy_input(pol: &Value, path: &AttributePath, diags: &mut Diagnostics) -> PolicyInput {
    use crate::planner::limits;
    let mut int = |name: &str, range: limits::IntRange| {
        attrs::opt_int(get(pol, name), path.clone().then_attr(name), range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let log_retention = limits::IntRange {
        min: limits::LOG_RETENTION_DAYS[0],
        max: limits::LOG_RETENTION_DAYS[limits::LOG_RETENTION_DAYS.len() - 1],
    };
    PolicyInput {
        min_instances: int("min_instances", limits::MIN_INSTANCES),
        max_instances: int("max_instances", limits::MAX_INSTANCES),
        target_cpu_percent: int("target_cpu_percent", limits::TARGET_CPU_PERCENT),
        backup_retention_days: int("backup_retention_days", limits::BACKUP_RETENTION_DAYS),
        log_retention_days: int("log_retention_days", log_retention),
        multi_az: attrs::opt_bool(get(pol, "multi_az")),
        deletion_protection: attrs::opt_bool(get(pol, "deletion_protection")),
        final_snapshot: attrs::opt_bool(get(pol, "final_snapshot")),
        container_insights: attrs::opt_bool(get(pol, "container_insights")),
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
    Field {
        name: "public_subnet_ids",
        key: "public_subnets",
        kind: Kind::List,
    },
];

/// The `ingress` block as its record spells it.
const INGRESS_SPEC: &[Field] = &[
    field("domain", Kind::Text),
    field("certificate_arn", Kind::Text),
    field("hosted_zone_id", Kind::Text),
    field("deletion_protection", Kind::Bool),
];

/// The tag holding the `ingress` record.
pub(super) const TAG_INGRESS: &str = "platform:ingress";

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
            // Only when given, so the records of environments without them stay as they were.
            (
                "public_subnet_ids",
                if n.public_subnet_ids.is_empty() {
                    Value::Null
                } else {
                    string_list(&n.public_subnet_ids)
                },
            ),
        ]);
        tags.extend(spec::to_tags(
            TAG_NETWORK,
            &spec::encode(NETWORK_SPEC, &network),
        ));
    }
    if let Some(i) = &input.ingress {
        let ingress = Value::object([
            ("domain", s(i.domain.clone())),
            ("certificate_arn", opt(i.certificate_arn.clone().map(s))),
            ("hosted_zone_id", opt(i.hosted_zone_id.clone().map(s))),
            (
                "deletion_protection",
                opt(i.deletion_protection.map(Value::Bool)),
            ),
        ]);
        tags.extend(spec::to_tags(
            TAG_INGRESS,
            &spec::encode(INGRESS_SPEC, &ingress),
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

/// The `network`, `policy` and `ingress` blocks recorded in a cluster's tags (null when
/// not recorded).
fn blocks_from_tags(tags: &BTreeMap<String, String>) -> (Value, Value, Value) {
    let ingress = tags.contains_key(TAG_INGRESS).then(|| {
        Value::object(spec::decode(
            INGRESS_SPEC,
            &spec::from_tags(TAG_INGRESS, tags),
        ))
    });
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
        ingress.unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::{Source, Tier};

    fn with_blocks(network: Option<NetworkInput>, policy: PolicyInput) -> EnvironmentInput {
        EnvironmentInput {
            name: "prod".into(),
            tier: "production".into(),
            region: "eu-west-1".into(),
            network,
            policy,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
            ingress: None,
        }
    }

    #[test]
    fn records_are_written_as_earlier_versions_wrote_them_and_read_back() {
        let input = with_blocks(
            Some(NetworkInput {
                subnet_ids: vec!["subnet-0123456789abcdef0".into(), "subnet-12345678".into()],
                security_group_ids: vec![],
                assign_public_ip: Some(true),
                public_subnet_ids: Vec::new(),
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
        let (network, policy, ingress) = blocks_from_tags(&tags);
        assert!(ingress.is_null());
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
    fn ingress_and_public_subnets_are_recorded_for_import() {
        let mut input = with_blocks(
            Some(NetworkInput {
                subnet_ids: vec!["subnet-12345678".into()],
                security_group_ids: Vec::new(),
                assign_public_ip: None,
                public_subnet_ids: vec!["subnet-0aaaaaaa".into(), "subnet-0bbbbbbb".into()],
            }),
            PolicyInput::default(),
        );
        input.ingress = Some(IngressInput {
            domain: "api.example.com".into(),
            certificate_arn: Some("arn:aws:acm:eu-west-1:123456789012:certificate/abc".into()),
            hosted_zone_id: None,
            deletion_protection: Some(false),
        });
        let tags = record_tags(&input);
        let (network, _, ingress) = blocks_from_tags(&tags);
        assert_eq!(
            get(&network, "public_subnet_ids"),
            &string_list(&["subnet-0aaaaaaa".into(), "subnet-0bbbbbbb".into()])
        );
        assert_eq!(get(&ingress, "domain"), &s("api.example.com"));
        assert_eq!(
            get(&ingress, "certificate_arn"),
            &s("arn:aws:acm:eu-west-1:123456789012:certificate/abc")
        );
        assert!(get(&ingress, "hosted_zone_id").is_null());
        assert_eq!(get(&ingress, "deletion_protection"), &Value::Bool(false));
    }

    #[test]
    fn no_network_and_no_overrides_record_nothing() {
        let tags = record_tags(&with_blocks(None, PolicyInput::default()));
        assert!(tags.is_empty(), "{tags:?}");
        let (network, policy, ingress) = blocks_from_tags(&tags);
        assert!(network.is_null() && policy.is_null() && ingress.is_null());
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
            ingress: None,
        };
        let plan = env_planner::plan(&input).unwrap();
        let value = context_value(&plan);
        assert_eq!(
            get(&value, "policy"),
            &map_of(&BTreeMap::from([("max_instances".into(), "12".into())])),
            "the context carries the overrides only"
        );
        let back = context_from_value(&value)
            .expect("a context")
            .expect("known");
        let inherited = naming::inherited_tags(&plan.context.tags);
        assert_eq!(
            back,
            EnvironmentContext {
                tags: inherited,
                ..plan.context
            }
        );
        assert_eq!(back.policy.max_instances, 12);
        assert_eq!(back.policy_source["max_instances"], Source::Config);
        assert_eq!(
            back.policy_source["min_instances"],
            Source::Tier(Tier::Production)
        );
        assert_eq!(context_from_value(&Value::Unknown), Ok(None));
    }

    #[test]
    fn a_context_written_by_hand_gets_told_what_is_wrong() {
        let plan = env_planner::plan(&EnvironmentInput {
            name: "prod".into(),
            tier: "production".into(),
            region: "eu-west-1".into(),
            ..EnvironmentInput::default()
        })
        .unwrap();
        let with_policy = |m: &[(&str, &str)]| {
            attrs::with(
                context_value(&plan),
                [(
                    "policy",
                    map_of(
                        &m.iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                    ),
                )],
            )
        };
        let err = context_from_value(&with_policy(&[("min_instance", "3")])).unwrap_err();
        assert!(
            err.contains("`min_instance`") && err.contains("min_instances"),
            "{err}"
        );
        let err = context_from_value(&with_policy(&[("multi_az", "yes")])).unwrap_err();
        assert!(
            err.contains("`environment.policy.multi_az` is `yes`"),
            "{err}"
        );
        let err = context_from_value(&with_policy(&[("min_instances", "2.5")])).unwrap_err();
        assert!(err.contains("whole number"), "{err}");
        let ok = context_from_value(&with_policy(&[("multi_az", "false")]))
            .unwrap()
            .unwrap();
        assert!(!ok.policy.multi_az);
        assert_eq!(ok.policy_source["multi_az"], Source::Config);
        let not = context_from_value(&Value::object([("name", s("x"))])).unwrap_err();
        assert_eq!(not, NOT_A_CONTEXT);
    }
}
