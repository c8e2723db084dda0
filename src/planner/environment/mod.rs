//! The `platform_environment` planner: validates an environment's inputs, resolves its
//! effective policy against the tier defaults, and expands it into an ECS cluster.
//!
//! The resulting [`EnvironmentContext`] is what services and databases receive as
//! `environment`; it is a pure function of the inputs, so it is fully known at plan time
//! even when the environment is created in the same plan.
//!
//! The input checks live in `validate`; this file holds the types, [`plan`], the policy's
//! resolution against the tier defaults and the ECS cluster child.

use std::collections::BTreeMap;

use crate::value::path::AttributePath;

use super::tier::Tier;
use super::{Child, Settings, Source, Violation, messages, naming, prices};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "environment";

/// The logical key of the environment's ECS cluster in its expansion.
pub const ECS_CLUSTER_KEY: &str = "ecs_cluster";

/// Capacity providers every cluster offers, so services can choose either.
const CAPACITY_PROVIDERS: [&str; 2] = ["FARGATE", "FARGATE_SPOT"];

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
    /// The shared load balancer, if any.
    pub ingress: Option<IngressInput>,
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
    /// Public subnets for the shared load balancer (`ingress`).
    pub public_subnet_ids: Vec<String>,
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
    /// The ECS cluster, typed: what the backend is asked to make.
    pub cluster: ClusterPlan,
    /// The shared load balancer, typed, when `ingress` is set.
    pub ingress: Option<IngressPlan>,
    /// The expansion: one ECS cluster, and the ingress children.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// The environment's ECS cluster as the backend makes it; the `ecs_cluster` child renders it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPlan {
    /// The cluster's name.
    pub name: String,
    /// Whether Container Insights is on.
    pub container_insights: bool,
    /// The capacity providers attached to the cluster.
    pub capacity_providers: Vec<String>,
    /// The provider of the default capacity provider strategy.
    pub default_capacity_provider: String,
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
    /// The environment's overrides of its tier's policy: what `context.policy` carries.
    pub overrides: PolicyInput,
    /// The effective policy: the tier's defaults with `overrides` applied.
    pub policy: EffectivePolicy,
    /// For each field of `policy`, by field name, where its value came from.
    pub policy_source: BTreeMap<String, Source>,
    /// Effective tags: `default_tags`, then `tags`, then the platform's tags.
    pub tags: BTreeMap<String, String>,
    /// The shared load balancer services attach to, when the environment has `ingress`.
    pub ingress: Option<IngressContext>,
}

/// What a service needs of its environment's shared load balancer: names, all known at
/// plan time (the backend looks the load balancer and its HTTPS listener up by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressContext {
    /// The domain service hostnames are under.
    pub domain: String,
    /// The hosted zone of `domain`, when given: services get alias records there.
    pub hosted_zone_id: Option<String>,
    /// The load balancer's name.
    pub load_balancer: String,
    /// Its security group's name (task security groups admit it).
    pub security_group: String,
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

mod changes;
#[cfg(test)]
mod fixtures;
pub mod ingress;
mod validate;

pub use ingress::{CertificatePlan, IngressInput, IngressPlan};

pub use changes::changes;
pub use validate::validate;

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

    let context = EnvironmentContext::new(
        input.name.clone(),
        tier,
        input.region.clone(),
        naming::cluster_name(&input.name),
        network,
        input.policy.clone(),
        tags,
    );
    let cluster = ClusterPlan {
        name: context.cluster_name.clone(),
        container_insights: context.policy.container_insights,
        capacity_providers: CAPACITY_PROVIDERS.map(String::from).to_vec(),
        default_capacity_provider: tier.defaults().default_capacity_provider.to_string(),
    };
    let mut context = context;
    let mut children = vec![ecs_cluster(&context, &cluster)];
    let ingress = ingress::plan(input, tier).map(|(plan, ingress_children)| {
        children.extend(ingress_children);
        plan
    });
    context.ingress = ingress.as_ref().map(|p| IngressContext {
        domain: p.domain.clone(),
        hosted_zone_id: p.hosted_zone_id.clone(),
        load_balancer: p.load_balancer_name.clone(),
        security_group: p.security_group_name.clone(),
    });
    let estimated_monthly_cost_usd = children.iter().map(|c| c.monthly_cost_usd).sum();
    Ok(EnvironmentPlan {
        context,
        cluster,
        ingress,
        children,
        estimated_monthly_cost_usd,
    })
}

impl EnvironmentContext {
    /// The context of an environment with these parts; the effective policy and its
    /// sources are resolved from the tier and `overrides`, here and only here, so the
    /// environment and everything that reads its context agree on them.
    pub fn new(
        name: String,
        tier: Tier,
        region: String,
        cluster_name: String,
        network: Network,
        overrides: PolicyInput,
        tags: BTreeMap<String, String>,
    ) -> Self {
        let (policy, policy_source) = resolve_policy(&overrides, tier);
        EnvironmentContext {
            name,
            tier,
            region,
            cluster_name,
            network,
            overrides,
            policy,
            policy_source,
            tags,
            ingress: None,
        }
    }
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

/// The environment's ECS cluster, rendered with each setting's source.
fn ecs_cluster(context: &EnvironmentContext, cluster: &ClusterPlan) -> Child {
    let tier = Source::Tier(context.tier);
    let insights = if cluster.container_insights {
        "enabled"
    } else {
        "disabled"
    };
    let rows = [
        (
            "container_insights",
            insights.to_string(),
            context.policy_source["container_insights"],
        ),
        // Both providers are attached in every tier; the tier picks the default one.
        (
            "capacity_providers",
            cluster.capacity_providers.join(","),
            Source::Fixed,
        ),
        (
            "default_capacity_provider",
            cluster.default_capacity_provider.clone(),
            tier,
        ),
        ("region", context.region.clone(), Source::Config),
    ];
    // An ECS cluster is free in every region: AWS bills the Fargate tasks that run in
    // it, and Container Insights bills per custom metric of running tasks and services,
    // so both belong to the services' estimates, not to the cluster's.
    let monthly_cost_usd = prices::ecs_cluster_month(&context.region).unwrap_or(0.0);

    let settings: Settings = rows.into_iter().collect();
    settings.child(
        ECS_CLUSTER_KEY,
        "aws",
        "ecs_cluster",
        &context.cluster_name,
        monthly_cost_usd,
    )
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn the_plan_reads_as_its_expansion() {
        let plan = plan(&valid()).expect("valid");
        let text = crate::planner::render::render(&plan);
        let want = r#"platform_environment "prod"
  tier   = production
  region = eu-west-1
  estimated_monthly_cost_usd = 0.00
  expansion:
    ecs_cluster (aws/ecs_cluster) "prod-cluster"  $0.00/month
      capacity_providers = FARGATE,FARGATE_SPOT  [fixed]
      container_insights = enabled  [tier:production]
      default_capacity_provider = FARGATE  [tier:production]
      region = eu-west-1  [config]
"#;
        assert_eq!(text, want);
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
                    ("capacity_providers", "fixed".to_string()),
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
}
