//! The `platform_environment` planner: validates an environment's inputs, resolves its
//! effective policy against the tier defaults, and expands it into an ECS cluster.
//!
//! The resulting [`EnvironmentContext`] is what services and databases receive as
//! `environment`; it is a pure function of the inputs, so it is fully known at plan time
//! even when the environment is created in the same plan.

use std::collections::BTreeMap;

use crate::value::path::AttributePath;

use super::limits::{
    self, BACKUP_RETENTION_DAYS, ENVIRONMENT_NAME_LENGTH, LOG_RETENTION_DAYS, MAX_INSTANCES,
    MAX_SECURITY_GROUPS, MAX_SUBNETS, MIN_INSTANCES, TARGET_CPU_PERCENT,
};
use super::tier::Tier;
use super::{Child, Source, Violation, messages, naming, prices};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "environment";

/// The logical key of the environment's ECS cluster in its expansion.
pub const ECS_CLUSTER_KEY: &str = "ecs_cluster";

/// Capacity providers every cluster offers, so services can choose either.
const CAPACITY_PROVIDERS: &str = "FARGATE,FARGATE_SPOT";

/// An environment's configuration, as the user wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvironmentInput {
    /// DNS-safe environment name, prefix of every cloud name.
    pub name: String,
    /// `development`, `staging` or `production`, unparsed so validation can explain typos.
    pub tier: String,
    /// AWS region code.
    pub region: String,
    /// Networking for Fargate services, if given.
    pub network: Option<NetworkInput>,
    /// Overrides of the tier's default policy.
    pub policy: PolicyInput,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
}

/// The `network` block as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkInput {
    /// Subnets for Fargate tasks.
    pub subnet_ids: Vec<String>,
    /// Security groups for Fargate tasks.
    pub security_group_ids: Vec<String>,
    /// Whether tasks get a public IP; unset means no.
    pub assign_public_ip: Option<bool>,
}

/// The `policy` block as written: every field overrides the tier default when set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyInput {
    /// Minimum service instances.
    pub min_instances: Option<i64>,
    /// Maximum service instances.
    pub max_instances: Option<i64>,
    /// Autoscaling target CPU, in percent.
    pub target_cpu_percent: Option<i64>,
    /// RDS automated backup retention, in days.
    pub backup_retention_days: Option<i64>,
    /// Whether databases run Multi-AZ.
    pub multi_az: Option<bool>,
    /// Whether databases are protected from deletion.
    pub deletion_protection: Option<bool>,
    /// Whether destroying a database takes a final snapshot.
    pub final_snapshot: Option<bool>,
    /// CloudWatch Logs retention, in days.
    pub log_retention_days: Option<i64>,
    /// Whether the cluster has Container Insights.
    pub container_insights: Option<bool>,
}

/// The planned environment: its exported context and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentPlan {
    /// What services and databases inherit.
    pub context: EnvironmentContext,
    /// The expansion: one ECS cluster.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// The exported `context`: everything a child resource needs from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentContext {
    /// The environment name.
    pub name: String,
    /// The parsed tier.
    pub tier: Tier,
    /// The AWS region code.
    pub region: String,
    /// The ECS cluster's name.
    pub cluster_name: String,
    /// Networking for Fargate services.
    pub network: Network,
    /// The effective policy after overrides.
    pub policy: EffectivePolicy,
    /// For each field of `policy`, by field name, where its value came from.
    pub policy_source: BTreeMap<String, Source>,
    /// Effective tags: `default_tags`, then `tags`, then the platform's tags.
    pub tags: BTreeMap<String, String>,
}

/// Effective networking; empty lists mean the user gave no `network` block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// Subnets for Fargate tasks.
    pub subnet_ids: Vec<String>,
    /// Security groups for Fargate tasks.
    pub security_group_ids: Vec<String>,
    /// Whether tasks get a public IP.
    pub assign_public_ip: bool,
}

/// The policy every child of the environment inherits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePolicy {
    /// Minimum service instances.
    pub min_instances: i64,
    /// Maximum service instances.
    pub max_instances: i64,
    /// Autoscaling target CPU, in percent.
    pub target_cpu_percent: i64,
    /// Seconds between scale-outs.
    pub scale_out_cooldown_seconds: i64,
    /// Seconds between scale-ins.
    pub scale_in_cooldown_seconds: i64,
    /// Default RDS instance class.
    pub db_instance_class: String,
    /// Default RDS storage in GB.
    pub db_storage_gb: i64,
    /// Whether databases run Multi-AZ.
    pub multi_az: bool,
    /// RDS automated backup retention, in days.
    pub backup_retention_days: i64,
    /// Whether databases are protected from deletion.
    pub deletion_protection: bool,
    /// Whether destroying a database takes a final snapshot.
    pub final_snapshot: bool,
    /// Whether database storage is encrypted.
    pub storage_encrypted: bool,
    /// CloudWatch Logs retention, in days.
    pub log_retention_days: i64,
    /// Whether the cluster has Container Insights.
    pub container_insights: bool,
}

fn policy_path(field: &str) -> AttributePath {
    AttributePath::attr("policy").then_attr(field)
}

/// Checks every input and returns every violation found, not just the first.
pub fn validate(input: &EnvironmentInput) -> Vec<Violation> {
    let mut violations = Vec::new();
    naming::check_dns_name(
        &input.name,
        "Environment",
        ENVIRONMENT_NAME_LENGTH,
        "staging-eu",
        &mut violations,
    );
    let tier = check_tier(&input.tier, &mut violations);
    check_region(&input.region, &mut violations);
    if let Some(network) = &input.network {
        check_network(network, &mut violations);
    }
    check_policy(&input.policy, tier, &mut violations);
    let platform = naming::platform_tags(&input.name, COMPONENT);
    if let Err(tag_violations) = naming::merge_tags(&input.default_tags, &input.tags, &platform) {
        violations.extend(tag_violations);
    }
    violations
}

/// Validates, resolves the policy and expands the environment into its children.
pub fn plan(input: &EnvironmentInput) -> Result<EnvironmentPlan, Vec<Violation>> {
    let violations = validate(input);
    if !violations.is_empty() {
        return Err(violations);
    }
    // Validation accepted the tier and tags, so these only fail if validation and
    // planning disagree; report that as a violation rather than panicking.
    let tier = input.tier.parse::<Tier>().map_err(|_| {
        vec![messages::unknown_choice(
            AttributePath::attr("tier"),
            &input.tier,
            &Tier::ALL.map(Tier::as_str),
            None,
        )]
    })?;
    let tags = naming::merge_tags(
        &input.default_tags,
        &input.tags,
        &naming::platform_tags(&input.name, COMPONENT),
    )?;

    let (policy, policy_source) = resolve_policy(&input.policy, tier);
    let network = input
        .network
        .as_ref()
        .map(|n| Network {
            subnet_ids: n.subnet_ids.clone(),
            security_group_ids: n.security_group_ids.clone(),
            // Private by default: a public IP on every task is an exposure the user
            // should opt into, and private subnets with NAT or endpoints are the norm.
            assign_public_ip: n.assign_public_ip.unwrap_or(false),
        })
        .unwrap_or_default();

    let context = EnvironmentContext {
        name: input.name.clone(),
        tier,
        region: input.region.clone(),
        cluster_name: naming::cluster_name(&input.name),
        network,
        policy,
        policy_source,
        tags,
    };
    let children = vec![ecs_cluster(&context)];
    let estimated_monthly_cost_usd = children.iter().map(|c| c.monthly_cost_usd).sum();
    Ok(EnvironmentPlan {
        context,
        children,
        estimated_monthly_cost_usd,
    })
}

/// The effective policy and, per field, whether it came from config or the tier.
fn resolve_policy(input: &PolicyInput, tier: Tier) -> (EffectivePolicy, BTreeMap<String, Source>) {
    let d = tier.defaults();
    let mut sources = BTreeMap::new();
    let mut record = |field: &str, overridden: bool| {
        let source = if overridden {
            Source::Config
        } else {
            Source::Tier(tier)
        };
        sources.insert(field.to_string(), source);
    };

    record("min_instances", input.min_instances.is_some());
    record("max_instances", input.max_instances.is_some());
    record("target_cpu_percent", input.target_cpu_percent.is_some());
    record("scale_out_cooldown_seconds", false);
    record("scale_in_cooldown_seconds", false);
    record("db_instance_class", false);
    record("db_storage_gb", false);
    record("multi_az", input.multi_az.is_some());
    record(
        "backup_retention_days",
        input.backup_retention_days.is_some(),
    );
    record("deletion_protection", input.deletion_protection.is_some());
    record("final_snapshot", input.final_snapshot.is_some());
    record("storage_encrypted", false);
    record("log_retention_days", input.log_retention_days.is_some());
    record("container_insights", input.container_insights.is_some());

    let policy = EffectivePolicy {
        min_instances: input.min_instances.unwrap_or(d.service_min_instances),
        max_instances: input.max_instances.unwrap_or(d.service_max_instances),
        target_cpu_percent: input
            .target_cpu_percent
            .unwrap_or(d.autoscaling_target_cpu_percent),
        scale_out_cooldown_seconds: d.scale_out_cooldown_seconds,
        scale_in_cooldown_seconds: d.scale_in_cooldown_seconds,
        db_instance_class: d.db_instance_class.to_string(),
        db_storage_gb: d.db_storage_gb,
        multi_az: input.multi_az.unwrap_or(d.db_multi_az),
        backup_retention_days: input
            .backup_retention_days
            .unwrap_or(d.db_backup_retention_days),
        deletion_protection: input
            .deletion_protection
            .unwrap_or(d.db_deletion_protection),
        final_snapshot: input.final_snapshot.unwrap_or(d.db_final_snapshot),
        storage_encrypted: d.db_storage_encrypted,
        log_retention_days: input.log_retention_days.unwrap_or(d.log_retention_days),
        container_insights: input.container_insights.unwrap_or(d.container_insights),
    };
    (policy, sources)
}

/// The environment's ECS cluster.
fn ecs_cluster(context: &EnvironmentContext) -> Child {
    let tier = Source::Tier(context.tier);
    let insights_source = context.policy_source["container_insights"];
    let insights = if context.policy.container_insights {
        "enabled"
    } else {
        "disabled"
    };
    let rows = [
        ("container_insights", insights.to_string(), insights_source),
        ("capacity_providers", CAPACITY_PROVIDERS.to_string(), tier),
        (
            "default_capacity_provider",
            context
                .tier
                .defaults()
                .default_capacity_provider
                .to_string(),
            tier,
        ),
        ("region", context.region.clone(), Source::Config),
    ];
    let settings = rows
        .iter()
        .map(|(k, v, _)| (k.to_string(), v.clone()))
        .collect();
    let settings_source = rows.iter().map(|(k, _, s)| (k.to_string(), *s)).collect();

    // An ECS cluster is free in every region: AWS bills the Fargate tasks that run in
    // it, and Container Insights bills per custom metric of running tasks and services,
    // so both belong to the services' estimates, not to the cluster's.
    let monthly_cost_usd = prices::ecs_cluster_month(&context.region).unwrap_or(0.0);

    Child {
        key: ECS_CLUSTER_KEY.to_string(),
        provider: "aws".to_string(),
        kind: "ecs_cluster".to_string(),
        name: context.cluster_name.clone(),
        settings,
        settings_source,
        monthly_cost_usd,
    }
}

// ---- validation rules -------------------------------------------------------------

fn check_tier(tier: &str, out: &mut Vec<Violation>) -> Option<Tier> {
    match tier.parse::<Tier>() {
        Ok(tier) => Some(tier),
        Err(_) => {
            out.push(messages::unknown_choice(
                AttributePath::attr("tier"),
                tier,
                &Tier::ALL.map(Tier::as_str),
                Tier::suggest(tier).map(Tier::as_str),
            ));
            None
        }
    }
}

fn check_region(region: &str, out: &mut Vec<Violation>) {
    if !naming::is_aws_region(region) {
        out.push(messages::invalid_format(
            AttributePath::attr("region"),
            "Invalid AWS Region",
            region,
            "an AWS region code: lowercase words separated by hyphens, ending in a \
             number",
            "eu-west-1",
        ));
    }
}

fn check_network(network: &NetworkInput, out: &mut Vec<Violation>) {
    let subnets = AttributePath::attr("network").then_attr("subnet_ids");
    if network.subnet_ids.is_empty() {
        out.push(messages::empty_list(
            subnets.clone(),
            "subnet ID",
            "Fargate tasks need at least one subnet to run in",
        ));
    }
    check_id_list(
        &network.subnet_ids,
        subnets,
        IdRule {
            prefix: "subnet-",
            what: "subnet IDs",
            summary: "Invalid Subnet ID",
            example: "subnet-0a1b2c3d4e5f67890",
            max: MAX_SUBNETS,
        },
        out,
    );
    check_id_list(
        &network.security_group_ids,
        AttributePath::attr("network").then_attr("security_group_ids"),
        IdRule {
            prefix: "sg-",
            what: "security group IDs",
            summary: "Invalid Security Group ID",
            example: "sg-0a1b2c3d4e5f67890",
            max: MAX_SECURITY_GROUPS,
        },
        out,
    );
}

/// How one kind of AWS resource ID list is checked.
struct IdRule {
    prefix: &'static str,
    what: &'static str,
    summary: &'static str,
    example: &'static str,
    max: usize,
}

fn check_id_list(ids: &[String], path: AttributePath, rule: IdRule, out: &mut Vec<Violation>) {
    if ids.len() > rule.max {
        let why = format!("`{path}`");
        out.push(messages::too_many(
            path.clone(),
            rule.what,
            ids.len(),
            rule.max,
            &why,
        ));
    }
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, id) in ids.iter().enumerate() {
        let at = path.clone().then_index(index);
        if !is_resource_id(id, rule.prefix) {
            let expected = format!(
                "`{}` followed by 8 or 17 lowercase hexadecimal characters",
                rule.prefix
            );
            out.push(messages::invalid_format(
                at.clone(),
                rule.summary,
                id,
                &expected,
                rule.example,
            ));
        }
        if let Some(first) = first_seen.get(id.as_str()) {
            out.push(messages::duplicate(at, id, *first));
        } else {
            first_seen.insert(id, index);
        }
    }
}

/// `<prefix>` followed by 8 (older) or 17 (current) lowercase hex characters.
fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

fn check_policy(policy: &PolicyInput, tier: Option<Tier>, out: &mut Vec<Violation>) {
    let ranged = [
        ("min_instances", policy.min_instances, MIN_INSTANCES),
        ("max_instances", policy.max_instances, MAX_INSTANCES),
        (
            "target_cpu_percent",
            policy.target_cpu_percent,
            TARGET_CPU_PERCENT,
        ),
        (
            "backup_retention_days",
            policy.backup_retention_days,
            BACKUP_RETENTION_DAYS,
        ),
    ];
    for (field, value, range) in ranged {
        if let Some(value) = value.filter(|v| !range.contains(*v)) {
            out.push(messages::out_of_range(policy_path(field), value, range));
        }
    }

    if let Some(days) = policy
        .log_retention_days
        .filter(|d| !LOG_RETENTION_DAYS.contains(d))
    {
        out.push(messages::not_an_allowed_number(
            policy_path("log_retention_days"),
            days,
            &LOG_RETENTION_DAYS,
            limits::nearest_log_retention(days),
        ));
    }

    check_instance_bounds(policy, tier, out);
}

/// The minimum must not exceed the maximum *after* tier defaults fill the gaps: raising
/// only `min_instances` above the tier's default maximum is as wrong as setting both.
fn check_instance_bounds(policy: &PolicyInput, tier: Option<Tier>, out: &mut Vec<Violation>) {
    // Without a tier there is no effective value to compare; the tier is reported already.
    let Some(tier) = tier else { return };
    let defaults = tier.defaults();
    let min = policy
        .min_instances
        .unwrap_or(defaults.service_min_instances);
    let max = policy
        .max_instances
        .unwrap_or(defaults.service_max_instances);
    // An out-of-range side is reported on its own; comparing it would only add noise.
    if !MIN_INSTANCES.contains(min) || !MAX_INSTANCES.contains(max) || min <= max {
        return;
    }
    let from = |overridden: bool, field: &str| {
        if overridden {
            format!("from `policy.{field}`")
        } else {
            format!("the `{tier}` tier default")
        }
    };
    let path = if policy.max_instances.is_some() {
        policy_path("max_instances")
    } else {
        policy_path("min_instances")
    };
    out.push(messages::min_exceeds_max(
        path,
        min,
        &from(policy.min_instances.is_some(), "min_instances"),
        max,
        &from(policy.max_instances.is_some(), "max_instances"),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> EnvironmentInput {
        EnvironmentInput {
            name: "prod".to_string(),
            tier: "production".to_string(),
            region: "eu-west-1".to_string(),
            network: Some(NetworkInput {
                subnet_ids: vec![
                    "subnet-0a1b2c3d4e5f67890".to_string(),
                    "subnet-12345678".to_string(),
                ],
                security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
                assign_public_ip: None,
            }),
            policy: PolicyInput::default(),
            tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
            default_tags: BTreeMap::new(),
        }
    }

    fn with(change: impl FnOnce(&mut EnvironmentInput)) -> EnvironmentInput {
        let mut input = valid();
        change(&mut input);
        input
    }

    fn network(input: &mut EnvironmentInput) -> &mut NetworkInput {
        input
            .network
            .as_mut()
            .expect("the valid input has a network")
    }

    /// One expected violation: its path, and a fragment its detail must contain.
    type Want = (&'static str, &'static str);

    #[test]
    fn the_valid_input_is_valid() {
        assert_eq!(validate(&valid()), vec![]);
    }

    #[test]
    fn validation_rules() {
        let cases: Vec<(&str, EnvironmentInput, Vec<Want>)> = vec![
            // name
            (
                "name empty",
                with(|i| i.name = String::new()),
                vec![("name", "must be 1 to 20 characters")],
            ),
            (
                "name too long, with a suggestion",
                with(|i| i.name = "a".repeat(21)),
                vec![("name", "For example `aaaaaaaaaaaaaaaaaaaa`")],
            ),
            (
                "name upper case",
                with(|i| i.name = "Prod".to_string()),
                vec![("name", "for example `prod`")],
            ),
            (
                "name starts with a digit",
                with(|i| i.name = "1prod".to_string()),
                vec![("name", "a lowercase letter first")],
            ),
            (
                "name ends with a hyphen",
                with(|i| i.name = "prod-".to_string()),
                vec![("name", "not ending in a hyphen")],
            ),
            (
                "name with underscore",
                with(|i| i.name = "my_env".to_string()),
                vec![("name", "for example `my-env`")],
            ),
            (
                "name too long and not DNS-safe",
                with(|i| i.name = "Production_Environment_EU".to_string()),
                vec![
                    ("name", "20 characters"),
                    ("name", "`production-environme`"),
                ],
            ),
            // tier
            (
                "tier unknown",
                with(|i| i.tier = "qa".to_string()),
                vec![("tier", "one of `development`, `staging`, `production`")],
            ),
            (
                "tier abbreviated",
                with(|i| i.tier = "prod".to_string()),
                vec![("tier", "Did you mean `production`?")],
            ),
            // region
            (
                "region without number",
                with(|i| i.region = "us-east".to_string()),
                vec![("region", "for example `eu-west-1`")],
            ),
            (
                "region upper case",
                with(|i| i.region = "US-EAST-1".to_string()),
                vec![("region", "lowercase")],
            ),
            (
                "region without hyphens",
                with(|i| i.region = "useast1".to_string()),
                vec![("region", "`useast1` is not valid")],
            ),
            (
                "region empty",
                with(|i| i.region = String::new()),
                vec![("region", "an AWS region code")],
            ),
            // network
            (
                "subnet malformed",
                with(|i| network(i).subnet_ids[1] = "subnet-xyz".to_string()),
                vec![("network.subnet_ids[1]", "8 or 17 lowercase hexadecimal")],
            ),
            (
                "subnet upper-case hex",
                with(|i| network(i).subnet_ids[0] = "subnet-0A1B2C3D".to_string()),
                vec![(
                    "network.subnet_ids[0]",
                    "for example `subnet-0a1b2c3d4e5f67890`",
                )],
            ),
            (
                "subnet with wrong prefix",
                with(|i| network(i).subnet_ids[0] = "sg-0a1b2c3d".to_string()),
                vec![("network.subnet_ids[0]", "`subnet-` followed by")],
            ),
            (
                "subnet wrong length",
                with(|i| network(i).subnet_ids[0] = "subnet-0a1b2c3d4".to_string()),
                vec![("network.subnet_ids[0]", "8 or 17")],
            ),
            (
                "subnet duplicated",
                with(|i| network(i).subnet_ids.push("subnet-12345678".to_string())),
                vec![("network.subnet_ids[2]", "already appears at index `1`")],
            ),
            (
                "no subnets",
                with(|i| network(i).subnet_ids.clear()),
                vec![("network.subnet_ids", "Add at least one subnet ID")],
            ),
            (
                "too many subnets",
                with(|i| {
                    network(i).subnet_ids = (0..17).map(|n| format!("subnet-{n:08x}")).collect();
                }),
                vec![("network.subnet_ids", "at most 16. Remove 1")],
            ),
            (
                "security group malformed",
                with(|i| network(i).security_group_ids.push("sg-123".to_string())),
                vec![("network.security_group_ids[1]", "`sg-` followed by")],
            ),
            (
                "security group duplicated",
                with(|i| {
                    let sg = network(i).security_group_ids[0].clone();
                    network(i).security_group_ids.push(sg);
                }),
                vec![("network.security_group_ids[1]", "Remove the repeated entry")],
            ),
            (
                "too many security groups",
                with(|i| {
                    network(i).security_group_ids = (0..6).map(|n| format!("sg-{n:08x}")).collect();
                }),
                vec![("network.security_group_ids", "at most 5")],
            ),
            // policy ranges
            (
                "min instances negative",
                with(|i| i.policy.min_instances = Some(-1)),
                vec![("policy.min_instances", "between `0` and `1000`")],
            ),
            (
                "max instances zero",
                with(|i| i.policy.max_instances = Some(0)),
                vec![("policy.max_instances", "between `1` and `1000`")],
            ),
            (
                "max instances too large",
                with(|i| i.policy.max_instances = Some(1001)),
                vec![("policy.max_instances", "`1001`")],
            ),
            (
                "target cpu zero",
                with(|i| i.policy.target_cpu_percent = Some(0)),
                vec![("policy.target_cpu_percent", "between `1` and `100`")],
            ),
            (
                "target cpu above 100",
                with(|i| i.policy.target_cpu_percent = Some(101)),
                vec![(
                    "policy.target_cpu_percent",
                    "Set it to a value in that range",
                )],
            ),
            (
                "backup retention above 35",
                with(|i| i.policy.backup_retention_days = Some(36)),
                vec![("policy.backup_retention_days", "between `0` and `35`")],
            ),
            (
                "log retention not allowed, nearest suggested",
                with(|i| i.policy.log_retention_days = Some(10)),
                vec![("policy.log_retention_days", "Use `7`, the nearest")],
            ),
            (
                "log retention of a year and a day",
                with(|i| i.policy.log_retention_days = Some(366)),
                vec![("policy.log_retention_days", "Use `365`")],
            ),
            // min vs max, after tier defaults
            (
                "both set, min above max",
                with(|i| {
                    i.policy.min_instances = Some(5);
                    i.policy.max_instances = Some(3);
                }),
                vec![("policy.max_instances", "`5` (from `policy.min_instances`)")],
            ),
            (
                "min above the tier's default max",
                with(|i| {
                    i.tier = "development".to_string();
                    i.policy.min_instances = Some(3);
                }),
                vec![(
                    "policy.min_instances",
                    "maximum `2` (the `development` tier default)",
                )],
            ),
            (
                "max below the tier's default min",
                with(|i| i.policy.max_instances = Some(1)),
                vec![(
                    "policy.max_instances",
                    "`2` (the `production` tier default) is greater than the maximum `1`",
                )],
            ),
            // tags
            (
                "tag overrides a platform tag",
                with(|i| {
                    i.tags
                        .insert("platform:environment".to_string(), "x".to_string());
                }),
                vec![(r#"tags["platform:environment"]"#, "is reserved")],
            ),
            (
                "tag with aws prefix",
                with(|i| {
                    i.tags.insert("aws:foo".to_string(), "x".to_string());
                }),
                vec![(r#"tags["aws:foo"]"#, "Rename the key")],
            ),
            (
                "tag value too long",
                with(|i| {
                    i.tags.insert("k".to_string(), "v".repeat(257));
                }),
                vec![(r#"tags["k"]"#, "Shorten the value")],
            ),
            (
                "default tag overrides a platform tag",
                with(|i| {
                    i.default_tags
                        .insert("platform:component".to_string(), "x".to_string());
                }),
                vec![(r#"default_tags["platform:component"]"#, "is reserved")],
            ),
        ];

        for (name, input, want) in cases {
            let got = validate(&input);
            let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
            let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
            assert_eq!(got_paths, want_paths, "{name}: {got:#?}");
            for (violation, (_, fragment)) in got.iter().zip(&want) {
                assert!(
                    violation.detail.contains(fragment),
                    "{name}: detail {:?} lacks {fragment:?}",
                    violation.detail
                );
                assert!(!violation.summary.is_empty(), "{name}: summary");
                assert!(
                    violation
                        .summary
                        .split(' ')
                        .all(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase())),
                    "{name}: summary {:?} is not Title Case",
                    violation.summary
                );
            }
        }
    }

    #[test]
    fn every_violation_is_reported_not_just_the_first() {
        let input = EnvironmentInput {
            name: "Bad_Name".to_string(),
            tier: "prod".to_string(),
            region: "useast1".to_string(),
            network: Some(NetworkInput {
                subnet_ids: vec!["subnet-12345678".to_string(), "nope".to_string()],
                security_group_ids: vec!["sg-1".to_string()],
                assign_public_ip: Some(true),
            }),
            policy: PolicyInput {
                target_cpu_percent: Some(0),
                log_retention_days: Some(2),
                ..PolicyInput::default()
            },
            tags: BTreeMap::from([("aws:x".to_string(), "y".to_string())]),
            default_tags: BTreeMap::new(),
        };
        let paths: Vec<String> = validate(&input)
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "name",
                "tier",
                "region",
                "network.subnet_ids[1]",
                "network.security_group_ids[0]",
                "policy.target_cpu_percent",
                "policy.log_retention_days",
                r#"tags["aws:x"]"#,
            ]
        );
        assert_eq!(plan(&input).unwrap_err().len(), 8);
    }

    #[test]
    fn every_real_region_shape_is_accepted() {
        let accepted = [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
            "eu-isoe-west-1",
            "il-central-1",
            "mx-central-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "ca-west-1",
            "eusc-de-east-1",
        ];
        for region in accepted {
            assert!(naming::is_aws_region(region), "{region} must be accepted");
        }
        let rejected = [
            "us-east",
            "US-EAST-1",
            "useast1",
            "",
            "us-east-1a",
            "us_east_1",
            "us--1",
            "u-east-1",
            "us-east-123",
            "-us-east-1",
            "us-east-1-",
        ];
        for region in rejected {
            assert!(
                !naming::is_aws_region(region),
                "{region:?} must be rejected"
            );
        }
    }

    #[test]
    fn resource_ids_take_8_or_17_hex_characters() {
        assert!(is_resource_id("subnet-12345678", "subnet-"));
        assert!(is_resource_id("subnet-0123456789abcdef0", "subnet-"));
        assert!(is_resource_id("sg-abcdef01", "sg-"));
        assert!(!is_resource_id("sg-abcdef0", "sg-"));
        assert!(!is_resource_id("sg-abcdefgh", "sg-"));
        assert!(!is_resource_id("subnet-12345678", "sg-"));
    }

    #[test]
    fn boundary_values_are_accepted() {
        let input = with(|i| {
            i.name = "a".repeat(20);
            i.policy = PolicyInput {
                min_instances: Some(0),
                max_instances: Some(1000),
                target_cpu_percent: Some(100),
                backup_retention_days: Some(0),
                log_retention_days: Some(3653),
                ..PolicyInput::default()
            };
        });
        assert_eq!(validate(&input), vec![]);
        let input = with(|i| {
            i.name = "a".to_string();
            i.policy.min_instances = Some(1000);
            i.policy.max_instances = Some(1000);
            i.policy.target_cpu_percent = Some(1);
            i.policy.backup_retention_days = Some(35);
            i.policy.log_retention_days = Some(1);
        });
        assert_eq!(validate(&input), vec![]);
    }

    #[test]
    fn no_network_block_is_fine() {
        let plan = plan(&with(|i| i.network = None)).expect("valid");
        assert_eq!(plan.context.network, Network::default());
    }

    /// What DESIGN.md's tier table promises, written out independently of `tier.rs`.
    struct TierCase {
        tier: Tier,
        policy: EffectivePolicy,
        container_insights: &'static str,
        default_capacity_provider: &'static str,
    }

    fn tier_cases() -> [TierCase; 3] {
        let base = EffectivePolicy {
            min_instances: 1,
            max_instances: 2,
            target_cpu_percent: 70,
            scale_out_cooldown_seconds: 60,
            scale_in_cooldown_seconds: 300,
            db_instance_class: "db.t3.micro".to_string(),
            db_storage_gb: 20,
            multi_az: false,
            backup_retention_days: 1,
            deletion_protection: false,
            final_snapshot: false,
            storage_encrypted: true,
            log_retention_days: 7,
            container_insights: false,
        };
        [
            TierCase {
                tier: Tier::Development,
                policy: base.clone(),
                container_insights: "disabled",
                default_capacity_provider: "FARGATE_SPOT",
            },
            TierCase {
                tier: Tier::Staging,
                policy: EffectivePolicy {
                    max_instances: 4,
                    backup_retention_days: 7,
                    final_snapshot: true,
                    log_retention_days: 14,
                    container_insights: true,
                    ..base.clone()
                },
                container_insights: "enabled",
                default_capacity_provider: "FARGATE",
            },
            TierCase {
                tier: Tier::Production,
                policy: EffectivePolicy {
                    min_instances: 2,
                    max_instances: 10,
                    db_instance_class: "db.t3.medium".to_string(),
                    db_storage_gb: 100,
                    multi_az: true,
                    backup_retention_days: 30,
                    deletion_protection: true,
                    final_snapshot: true,
                    log_retention_days: 30,
                    container_insights: true,
                    ..base
                },
                container_insights: "enabled",
                default_capacity_provider: "FARGATE",
            },
        ]
    }

    #[test]
    fn each_tier_plans_its_defaults() {
        for case in tier_cases() {
            let tier = case.tier;
            let input = with(|i| {
                i.name = "env1".to_string();
                i.tier = tier.as_str().to_string();
            });
            let plan = plan(&input).unwrap_or_else(|v| panic!("{tier}: {v:#?}"));
            let c = &plan.context;
            assert_eq!(c.name, "env1");
            assert_eq!(c.tier, tier);
            assert_eq!(c.region, "eu-west-1");
            assert_eq!(c.cluster_name, "env1-cluster");
            assert_eq!(c.policy, case.policy, "{tier}");
            assert_eq!(
                c.policy_source.len(),
                14,
                "{tier}: one source per policy field"
            );
            assert!(
                c.policy_source.values().all(|s| *s == Source::Tier(tier)),
                "{tier}: nothing overridden, so everything is the tier's: {:?}",
                c.policy_source
            );
            assert_eq!(c.tags["platform:environment"], "env1");
            assert_eq!(c.tags["platform:component"], "environment");
            assert_eq!(c.tags["managed-by"], "terraform-provider-platform");
            assert_eq!(c.tags["team"], "platform");

            assert_eq!(plan.children.len(), 1, "{tier}");
            let cluster = &plan.children[0];
            assert_eq!(cluster.key, "ecs_cluster");
            assert_eq!(cluster.provider, "aws");
            assert_eq!(cluster.kind, "ecs_cluster");
            assert_eq!(cluster.name, "env1-cluster");
            let settings: Vec<(&str, &str)> = cluster
                .settings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                settings,
                [
                    ("capacity_providers", "FARGATE,FARGATE_SPOT"),
                    ("container_insights", case.container_insights),
                    ("default_capacity_provider", case.default_capacity_provider),
                    ("region", "eu-west-1"),
                ],
                "{tier}"
            );
            let sources: Vec<(&str, String)> = cluster
                .settings_source
                .iter()
                .map(|(k, s)| (k.as_str(), s.to_string()))
                .collect();
            let t = format!("tier:{tier}");
            assert_eq!(
                sources,
                [
                    ("capacity_providers", t.clone()),
                    ("container_insights", t.clone()),
                    ("default_capacity_provider", t.clone()),
                    ("region", "config".to_string()),
                ],
                "{tier}"
            );
            assert_eq!(cluster.monthly_cost_usd, 0.0);
            assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
        }
    }

    #[test]
    fn overrides_win_and_are_attributed_to_config() {
        let input = with(|i| {
            i.tier = "development".to_string();
            i.policy = PolicyInput {
                min_instances: Some(2),
                max_instances: Some(6),
                target_cpu_percent: Some(55),
                backup_retention_days: Some(14),
                multi_az: Some(true),
                deletion_protection: Some(true),
                final_snapshot: Some(true),
                log_retention_days: Some(90),
                container_insights: Some(true),
            };
        });
        let plan = plan(&input).expect("valid");
        let p = &plan.context.policy;
        assert_eq!((p.min_instances, p.max_instances), (2, 6));
        assert_eq!(p.target_cpu_percent, 55);
        assert_eq!(p.backup_retention_days, 14);
        assert!(p.multi_az && p.deletion_protection && p.final_snapshot);
        assert_eq!(p.log_retention_days, 90);
        assert!(p.container_insights);

        let config = [
            "min_instances",
            "max_instances",
            "target_cpu_percent",
            "backup_retention_days",
            "multi_az",
            "deletion_protection",
            "final_snapshot",
            "log_retention_days",
            "container_insights",
        ];
        for (field, source) in &plan.context.policy_source {
            let want = if config.contains(&field.as_str()) {
                Source::Config
            } else {
                Source::Tier(Tier::Development)
            };
            assert_eq!(*source, want, "{field}");
        }

        let cluster = &plan.children[0];
        assert_eq!(cluster.settings["container_insights"], "enabled");
        assert_eq!(
            cluster.settings_source["container_insights"],
            Source::Config
        );
        // The capacity provider still follows the tier: no policy field overrides it.
        assert_eq!(
            cluster.settings["default_capacity_provider"],
            "FARGATE_SPOT"
        );
    }

    #[test]
    fn turning_insights_off_in_production_is_shown_as_config() {
        let plan = plan(&with(|i| i.policy.container_insights = Some(false))).expect("valid");
        let cluster = &plan.children[0];
        assert_eq!(cluster.settings["container_insights"], "disabled");
        assert_eq!(
            cluster.settings_source["container_insights"].to_string(),
            "config"
        );
    }

    #[test]
    fn network_is_carried_into_the_context_private_by_default() {
        let private = plan(&valid()).expect("valid");
        let n = &private.context.network;
        assert_eq!(
            n.subnet_ids,
            ["subnet-0a1b2c3d4e5f67890", "subnet-12345678"]
        );
        assert_eq!(n.security_group_ids, ["sg-0a1b2c3d4e5f67890"]);
        assert!(!n.assign_public_ip);

        let public = plan(&with(|i| network(i).assign_public_ip = Some(true))).expect("valid");
        assert!(public.context.network.assign_public_ip);
    }

    #[test]
    fn tags_merge_defaults_then_resource_then_platform() {
        let input = with(|i| {
            i.default_tags = BTreeMap::from([
                ("team".to_string(), "from-provider".to_string()),
                ("cost-center".to_string(), "42".to_string()),
            ]);
        });
        let tags = plan(&input).expect("valid").context.tags;
        assert_eq!(tags["team"], "platform", "resource tags beat default_tags");
        assert_eq!(tags["cost-center"], "42");
        assert_eq!(tags["platform:environment"], "prod");
        assert_eq!(tags.len(), 5);
    }

    #[test]
    fn plans_are_deterministic() {
        assert_eq!(plan(&valid()), plan(&valid()));
    }

    #[test]
    fn an_unpriced_region_still_plans_a_free_cluster() {
        let plan = plan(&with(|i| i.region = "ap-southeast-5".to_string())).expect("valid");
        assert_eq!(plan.children[0].settings["region"], "ap-southeast-5");
        assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
    }

    #[test]
    fn suggested_names_are_themselves_valid() {
        for given in [
            "Prod",
            "my_env",
            "1st-env",
            "--x--",
            "Production_Environment_EU",
        ] {
            let suggestion = naming::suggest_dns_name(given, ENVIRONMENT_NAME_LENGTH.max as usize)
                .expect("a suggestion");
            let input = with(|i| i.name = suggestion.clone());
            assert_eq!(validate(&input), vec![], "{given} -> {suggestion}");
        }
        assert_eq!(
            naming::suggest_dns_name("123", ENVIRONMENT_NAME_LENGTH.max as usize),
            None
        );
    }
}
