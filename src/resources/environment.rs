//! `platform_environment`: an ECS cluster plus the policy every service and database in
//! the environment inherits (its `context`). Order: schema, validate, plan, apply, read,
//! import.

use super::attrs::{self, get, int, map_of, s, string_list, with};
use super::{ApplyOutcome, ApplyRequest, PlanOutcome, PlanRequest, ReadOutcome, Resource};
use crate::backends::aws::ecs::{self, DesiredCluster, ObservedCluster};
use crate::backends::ownership::{self, Owner};
use crate::backends::{BackendError, cancellable};
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Source;
use crate::planner::environment::{
    self as env_planner, EffectivePolicy, EnvironmentContext, EnvironmentInput, EnvironmentPlan,
    Network, NetworkInput, PolicyInput,
};
use crate::planner::naming;
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// Tag recording the environment's tier on its cluster, so import can rebuild the config.
const TAG_TIER: &str = "platform:tier";
/// Tag recording the `network` block (`subnets=a/b sgs=c public=true`).
const TAG_NETWORK: &str = "platform:network";
/// Tag recording the `policy` overrides (`min_instances=3 multi_az=true`).
const TAG_POLICY: &str = "platform:policy";

/// The `platform_environment` resource.
pub struct EnvironmentResource {
    schema: Schema,
}

impl EnvironmentResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for EnvironmentResource {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn policy_fields() -> Vec<(&'static str, Type, &'static str)> {
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

fn schema() -> Schema {
    let strings = Type::list(Type::String);
    Schema {
        version: 0,
        block: Block {
            // Blocks, not nested attributes: Terraform 1.0 crashes planning a null nested attribute.
            blocks: vec![
                NestedBlock {
                    name: "network".into(),
                    block: Block {
                        description: "The network services in this environment use.".into(),
                        attributes: vec![
                            Attribute::new("subnet_ids", strings.clone(), Mode::Optional, "Subnets Fargate tasks run in (`subnet-…`)."),
                            Attribute::new("security_group_ids", strings.clone(), Mode::Optional, "Security groups attached to Fargate tasks (`sg-…`)."),
                            Attribute::new("assign_public_ip", Type::Bool, Mode::Optional, "Give Fargate tasks a public IP (needed in public subnets without a NAT gateway). Default `false`."),
                        ],
                        blocks: vec![],
                    },
                },
                NestedBlock {
                    name: "policy".into(),
                    block: Block {
                        description: "Overrides of the tier's default policy. Every override is shown with source `config` in `context.policy_source`.".into(),
                        attributes: policy_fields()
                            .into_iter()
                            .map(|(n, t, d)| Attribute::new(n, t, Mode::Optional, d))
                            .collect(),
                        blocks: vec![],
                    },
                },
            ],
            description: "An environment (development, staging or production): an ECS cluster and the policy every service and database in it inherits. Pass its `context` to `platform_api_service` and `platform_database`.".into(),
            attributes: vec![
                Attribute::new("name", Type::String, Mode::Required, "Environment name: lowercase letters, digits and hyphens, starting with a letter, at most 20 characters. Changing it replaces the environment."),
                Attribute::new("tier", Type::String, Mode::Required, "`development`, `staging` or `production`: picks the default policy (see the tier table)."),
                Attribute::new("region", Type::String, Mode::Required, "AWS region of the environment, e.g. `eu-west-1`. Changing it replaces the environment."),
                Attribute::new("tags", Type::map(Type::String), Mode::Optional, "Tags for the cluster, inherited by every child of every service and database in the environment (task definitions, services, log groups, autoscaling targets, RDS instances, parameter groups, replicas). Precedence, lowest first: the provider's `default_tags`, these, a service's or database's own `tags`, then the reserved `platform:*` and `managed-by` tags."),
                Attribute::new("id", Type::String, Mode::Computed, "The environment name."),
                Attribute::new("cluster_name", Type::String, Mode::Computed, "Name of the ECS cluster: `<name>-cluster`."),
                Attribute::new("cluster_arn", Type::String, Mode::Computed, "ARN of the ECS cluster (known after apply)."),
                Attribute::new("context", context_type(), Mode::Computed, "Everything a service or database needs from the environment: name, tier, region, cluster, network, effective policy with its sources, and tags. Known at plan time."),
                Attribute::new("expansion", Type::list(attrs::child_type()), Mode::Computed, "The cloud resources this environment expands into, with their effective settings, where each setting came from, tags and monthly cost."),
                Attribute::new("estimated_monthly_cost_usd", Type::Number, Mode::Computed, "Sum of the children's monthly cost, from the dated price table. An ECS cluster has no charge of its own."),
            ],
        },
    }
}

// ---------------------------------------------------------------------------------------
// Config → planner input
// ---------------------------------------------------------------------------------------

/// Reads the planner input from a wholly known configuration.
fn input(
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

fn violations(v: Vec<crate::planner::Violation>) -> Diagnostics {
    v.into_iter().map(Diagnostic::from).collect()
}

// ---------------------------------------------------------------------------------------
// Planner output → state
// ---------------------------------------------------------------------------------------

fn context_value(plan: &EnvironmentPlan) -> Value {
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

/// Tags the cluster carries: the environment's tags plus the records import reads back.
fn cluster_tags(plan: &EnvironmentPlan, input: &EnvironmentInput) -> BTreeMap<String, String> {
    let mut tags = plan.context.tags.clone();
    tags.insert(TAG_TIER.into(), plan.context.tier.as_str().into());
    if let Some(n) = &input.network {
        tags.insert(TAG_NETWORK.into(), encode_network(n));
    }
    let policy = encode_policy(&input.policy);
    if !policy.is_empty() {
        tags.insert(TAG_POLICY.into(), policy);
    }
    tags
}

/// The state a plan leads to; `arn` is unknown until the cluster exists.
fn state_value(
    config: &Value,
    plan: &EnvironmentPlan,
    input: &EnvironmentInput,
    arn: Value,
) -> Value {
    let tags = cluster_tags(plan, input);
    let expansion = Value::list(plan.children.iter().map(|c| attrs::child_value(c, &tags)));
    with(
        config.clone(),
        [
            ("id", s(plan.context.name.clone())),
            ("cluster_name", s(plan.context.cluster_name.clone())),
            ("cluster_arn", arn),
            ("context", context_value(plan)),
            ("expansion", expansion),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

/// The desired cluster, read off the planned `ecs_cluster` child.
fn desired_cluster(plan: &EnvironmentPlan, input: &EnvironmentInput) -> DesiredCluster {
    let child = plan.children.iter().find(|c| c.kind == "ecs_cluster");
    let setting = |k: &str| {
        child
            .and_then(|c| c.settings.get(k))
            .cloned()
            .unwrap_or_default()
    };
    DesiredCluster {
        name: plan.context.cluster_name.clone(),
        container_insights: setting("container_insights") == "enabled",
        capacity_providers: setting("capacity_providers")
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        default_capacity_provider: setting("default_capacity_provider"),
        tags: cluster_tags(plan, input),
    }
}

/// Writes what ECS reports into the `ecs_cluster` element of `expansion`, so a change made
/// outside Terraform shows in the next plan as a change of that child.
fn observe(state: Value, cluster: &ObservedCluster) -> Value {
    let mut providers = cluster.capacity_providers.clone();
    providers.sort();
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .map(|child| {
                    if get(child, "type").as_str() != Some("ecs_cluster") {
                        return child.clone();
                    }
                    let mut settings = attrs::string_map(get(child, "settings"));
                    settings.insert(
                        "container_insights".into(),
                        if cluster.container_insights {
                            "enabled"
                        } else {
                            "disabled"
                        }
                        .into(),
                    );
                    settings.insert("capacity_providers".into(), providers.join(","));
                    settings.insert(
                        "default_capacity_provider".into(),
                        cluster
                            .default_capacity_provider
                            .clone()
                            .unwrap_or_default(),
                    );
                    // The creating marker is the create's own record, not a tag to show.
                    let mut tags = cluster.tags.clone();
                    tags.remove(ownership::TAG_LIFECYCLE);
                    with(
                        child.clone(),
                        [("settings", map_of(&settings)), ("tags", map_of(&tags))],
                    )
                })
                .collect(),
        ),
        other => other.clone(),
    };
    with(
        state,
        [
            ("cluster_arn", s(cluster.arn.clone())),
            ("expansion", expansion),
        ],
    )
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

/// Parses `config`, `environment` or `tier:<tier>`.
fn source_from_str(s: &str) -> Option<Source> {
    match s {
        "config" => Some(Source::Config),
        "environment" => Some(Source::Environment),
        _ => s.strip_prefix("tier:")?.parse().ok().map(Source::Tier),
    }
}

/// The environment's `context` value for an environment that exists in the cloud, rebuilt
/// from its cluster's tags: used by imports of the services and databases inside it.
pub async fn import_context(name: &str, ctx: &CallContext) -> Result<Value, Diagnostics> {
    let (state, diags) = EnvironmentResource::new().import(name, ctx).await;
    match state {
        Some(s) if !diags.has_errors() => Ok(get(&s, "context").clone()),
        _ => Err(diags),
    }
}

// ---------------------------------------------------------------------------------------
// Import records kept in cluster tags
// ---------------------------------------------------------------------------------------

fn encode_network(n: &NetworkInput) -> String {
    let mut parts = vec![
        format!("subnets={}", n.subnet_ids.join("/")),
        format!("sgs={}", n.security_group_ids.join("/")),
    ];
    if let Some(p) = n.assign_public_ip {
        parts.push(format!("public={p}"));
    }
    parts.join(" ")
}

fn decode_network(text: &str) -> NetworkInput {
    let mut n = NetworkInput {
        subnet_ids: vec![],
        security_group_ids: vec![],
        assign_public_ip: None,
    };
    for (k, v) in text.split(' ').filter_map(|kv| kv.split_once('=')) {
        let list = || {
            v.split('/')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        match k {
            "subnets" => n.subnet_ids = list(),
            "sgs" => n.security_group_ids = list(),
            "public" => n.assign_public_ip = v.parse().ok(),
            _ => {}
        }
    }
    n
}

fn encode_policy(p: &PolicyInput) -> String {
    let mut parts = Vec::new();
    let ints = [
        ("min_instances", p.min_instances),
        ("max_instances", p.max_instances),
        ("target_cpu_percent", p.target_cpu_percent),
        ("backup_retention_days", p.backup_retention_days),
        ("log_retention_days", p.log_retention_days),
    ];
    for (k, v) in ints {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    let bools = [
        ("multi_az", p.multi_az),
        ("deletion_protection", p.deletion_protection),
        ("final_snapshot", p.final_snapshot),
        ("container_insights", p.container_insights),
    ];
    for (k, v) in bools {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join(" ")
}

/// The `policy` block value recorded in a tag (null when there were no overrides).
fn policy_value_from_tag(text: Option<&String>) -> Value {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Value::Null;
    };
    let found: BTreeMap<&str, &str> = text
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    Value::object(policy_fields().into_iter().map(|(name, ty, _)| {
        let v = match (found.get(name), ty) {
            (Some(v), Type::Bool) => v.parse().map(Value::Bool).unwrap_or(Value::Null),
            (Some(v), _) => v.parse::<i64>().map(int).unwrap_or(Value::Null),
            (None, _) => Value::Null,
        };
        (name, v)
    }))
}

/// The `network` block value recorded in a tag (null when there was none).
fn network_value_from_tag(text: Option<&String>) -> Value {
    let Some(text) = text else { return Value::Null };
    let n = decode_network(text);
    Value::object([
        ("subnet_ids", string_list(&n.subnet_ids)),
        ("security_group_ids", string_list(&n.security_group_ids)),
        (
            "assign_public_ip",
            n.assign_public_ip.map(Value::Bool).unwrap_or(Value::Null),
        ),
    ])
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

#[async_trait::async_trait]
impl Resource for EnvironmentResource {
    fn type_name(&self) -> &'static str {
        "platform_environment"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        if !config.is_wholly_known() {
            // Checked again at plan time, once every input is known.
            return Diagnostics::new();
        }
        match input(config, &ctx.config.default_tags) {
            Err(d) => d,
            Ok(i) => violations(env_planner::validate(&i)),
        }
    }

    fn plan(&self, req: PlanRequest, ctx: &CallContext) -> PlanOutcome {
        let mut out = PlanOutcome {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: vec![],
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        if req.proposed_new_state.is_null() {
            return out; // destroy
        }
        let prior = &req.prior_state;
        let config = &req.config;
        if !prior.is_null() {
            for attr in ["name", "region"] {
                let (old, new) = (get(prior, attr), get(config, attr));
                if new.is_unknown() || old != new {
                    out.requires_replace.push(AttributePath::attr(attr));
                }
            }
        }
        let replacing = !out.requires_replace.is_empty();
        let arn = if prior.is_null() || replacing {
            Value::Unknown
        } else {
            get(prior, "cluster_arn").clone()
        };
        if !config.is_wholly_known() {
            let name = get(config, "name").clone();
            out.planned_state = with(
                req.proposed_new_state,
                [
                    ("id", name.clone()),
                    (
                        "cluster_name",
                        name.as_str()
                            .map(|n| s(naming::cluster_name(n)))
                            .unwrap_or(Value::Unknown),
                    ),
                    ("cluster_arn", arn),
                    ("context", Value::Unknown),
                    ("expansion", Value::Unknown),
                    ("estimated_monthly_cost_usd", Value::Unknown),
                ],
            );
            return out;
        }
        let input = match input(config, &ctx.config.default_tags) {
            Ok(i) => i,
            Err(d) => {
                out.diagnostics = d;
                return out;
            }
        };
        match env_planner::plan(&input) {
            Ok(plan) => out.planned_state = state_value(config, &plan, &input, arn),
            Err(v) => out.diagnostics = violations(v),
        }
        out
    }

    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome {
        let prior = req.prior_state;
        let fail = |state: Value, d: Diagnostic| ApplyOutcome {
            new_state: state,
            private: req.planned_private.clone(),
            diagnostics: Diagnostics::from_error(d),
        };
        if req.planned_state.is_null() {
            let name = get(&prior, "cluster_name")
                .as_str()
                .unwrap_or_default()
                .to_string();
            let region = get(&prior, "region")
                .as_str()
                .unwrap_or_default()
                .to_string();
            let client = ctx.aws.ecs(&region).await;
            return match cancellable(&ctx.cancel, ecs::delete(&client, &name)).await {
                Ok(()) => ApplyOutcome {
                    new_state: Value::Null,
                    private: vec![],
                    diagnostics: Diagnostics::new(),
                },
                Err(e) => fail(
                    prior,
                    super::backend_diagnostic(
                        "Cluster Name Already Taken",
                        "Delete The ECS Cluster",
                        e,
                    ),
                ),
            };
        }
        let input = match input(&req.config, &ctx.config.default_tags) {
            Ok(i) => i,
            Err(d) => {
                return ApplyOutcome {
                    new_state: prior,
                    private: req.planned_private,
                    diagnostics: d,
                };
            }
        };
        let plan = match env_planner::plan(&input) {
            Ok(p) => p,
            Err(v) => {
                return ApplyOutcome {
                    new_state: prior,
                    private: req.planned_private,
                    diagnostics: violations(v),
                };
            }
        };
        let desired = desired_cluster(&plan, &input);
        let client = ctx.aws.ecs(&input.region).await;
        // Not in state: only a cluster an unfinished create of this environment left may
        // be adopted (see `backends::ownership`).
        let owner = Owner {
            tag: (naming::TAG_ENVIRONMENT, input.name.as_str()),
            creating: prior.is_null(),
        };
        let result = cancellable(&ctx.cancel, async {
            match ecs::find(&client, &desired.name).await? {
                Some(observed) if !prior.is_null() => {
                    let updated = ecs::update(&client, &observed, &desired).await?;
                    ecs::finish(&client, updated).await
                }
                _ => {
                    let created = ecs::create(&client, &desired, owner).await?;
                    ecs::finish(&client, created).await
                }
            }
        })
        .await
        .map_err(|e| ownership::with_import(e, "platform_environment", &input.name));
        match result {
            Ok(observed) => ApplyOutcome {
                new_state: state_value(&req.config, &plan, &input, s(observed.arn)),
                private: req.planned_private,
                diagnostics: Diagnostics::new(),
            },
            // Someone else's cluster: nothing of it enters the state.
            Err(e @ BackendError::Taken(_)) => fail(
                prior,
                super::backend_diagnostic("Cluster Name Already Taken", "Apply The ECS Cluster", e),
            ),
            Err(e) => {
                let d = super::backend_diagnostic(
                    "Cluster Name Already Taken",
                    "Apply The ECS Cluster",
                    e,
                );
                if !prior.is_null() {
                    return fail(prior, d);
                }
                // A create that stopped (cancelled, or an error after CreateCluster): the
                // state records the cluster if it exists, so nothing made is lost.
                let found =
                    super::read_back(ctx, |_| async { ecs::find(&client, &desired.name).await })
                        .await;
                match found {
                    Ok(Some(cluster)) if ownership::is_creating(&cluster.tags) => {
                        let state = state_value(&req.config, &plan, &input, s(cluster.arn.clone()));
                        fail(observe(state, &cluster), d)
                    }
                    _ => fail(prior, d),
                }
            }
        }
    }

    async fn read(&self, state: Value, private: Vec<u8>, ctx: &CallContext) -> ReadOutcome {
        let name = get(&state, "cluster_name")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let region = get(&state, "region")
            .as_str()
            .unwrap_or_default()
            .to_string();
        let client = ctx.aws.ecs(&region).await;
        match cancellable(&ctx.cancel, ecs::find(&client, &name)).await {
            Ok(None) => {
                tracing::info!(cluster = %name, "cluster is gone; it will be planned for creation");
                ReadOutcome {
                    new_state: Value::Null,
                    private,
                    diagnostics: Diagnostics::new(),
                }
            }
            Ok(Some(cluster)) => ReadOutcome {
                new_state: observe(state, &cluster),
                private,
                diagnostics: Diagnostics::new(),
            },
            Err(e) => ReadOutcome {
                new_state: state,
                private,
                diagnostics: Diagnostics::from_error(super::backend_diagnostic(
                    "Cluster Name Already Taken",
                    "Read The ECS Cluster",
                    e,
                )),
            },
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let err = |summary: &str, detail: String| {
            (
                None,
                Diagnostics::from_error(Diagnostic::error(summary, detail)),
            )
        };
        let name = id.trim();
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
                return (
                    None,
                    Diagnostics::from_error(super::backend_diagnostic(
                        "Cluster Name Already Taken",
                        "Read The ECS Cluster",
                        e,
                    )),
                );
            }
        };
        if cluster.tags.get(naming::TAG_MANAGED_BY).map(String::as_str) != Some(naming::MANAGED_BY)
        {
            return err(
                "Cluster Not Managed By This Provider",
                format!(
                    "The ECS cluster `{cluster_name}` has no `{}` = `{}` tag, so it was not created by `platform_environment`. Only clusters this provider created can be imported.",
                    naming::TAG_MANAGED_BY,
                    naming::MANAGED_BY
                ),
            );
        }
        let config = Value::object([
            ("name", s(name)),
            (
                "tier",
                s(cluster.tags.get(TAG_TIER).cloned().unwrap_or_default()),
            ),
            ("region", s(region)),
            (
                "network",
                network_value_from_tag(cluster.tags.get(TAG_NETWORK)),
            ),
            (
                "policy",
                policy_value_from_tag(cluster.tags.get(TAG_POLICY)),
            ),
            (
                "tags",
                attrs::configured_tags(&cluster.tags, &[&ctx.config.default_tags]),
            ),
        ]);
        let input = match input(&config, &ctx.config.default_tags) {
            Ok(i) => i,
            Err(d) => return (None, d),
        };
        match env_planner::plan(&input) {
            Ok(plan) => {
                let state = state_value(&config, &plan, &input, s(cluster.arn.clone()));
                (Some(observe(state, &cluster)), Diagnostics::new())
            }
            Err(v) => (None, violations(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_record_round_trips() {
        let n = NetworkInput {
            subnet_ids: vec!["subnet-0123456789abcdef0".into(), "subnet-12345678".into()],
            security_group_ids: vec!["sg-12345678".into()],
            assign_public_ip: Some(true),
        };
        assert_eq!(decode_network(&encode_network(&n)), n);
        let bare = NetworkInput {
            subnet_ids: vec![],
            security_group_ids: vec![],
            assign_public_ip: None,
        };
        assert_eq!(decode_network(&encode_network(&bare)), bare);
    }

    #[test]
    fn policy_record_round_trips() {
        let p = PolicyInput {
            min_instances: Some(3),
            multi_az: Some(false),
            ..PolicyInput::default()
        };
        let v = policy_value_from_tag(Some(&encode_policy(&p)));
        assert_eq!(get(&v, "min_instances"), &int(3));
        assert_eq!(get(&v, "multi_az"), &Value::Bool(false));
        assert!(get(&v, "max_instances").is_null());
        assert!(policy_value_from_tag(Some(&String::new())).is_null());
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

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }
}
