//! The provenance promise, checked over every resource, host and tier: a setting labelled
//! `tier:<t>` holds the value the tier table gives `<t>`, and a `fixed` setting holds the
//! same value in every tier. A label the table cannot back is a failure, so a new setting
//! cannot claim a tier default the table does not have.

use std::collections::BTreeMap;

use crate::planner::api_service::{
    self, DeploymentInput, HealthCheckInput, RequirementsInput, ScalingInput, ServiceInput,
    UnknownValues,
};
use crate::planner::database::{self, DatabaseInput, ReplicaInput};
use crate::planner::environment::{self, EnvironmentInput, NetworkInput, PolicyInput};
use crate::planner::tier::{Tier, TierDefaults};
use crate::planner::{Child, Source};

/// What the tier table says a tier-labelled setting of `kind` is, as the plan writes it.
fn tier_value(kind: &str, setting: &str, d: &TierDefaults) -> Option<String> {
    let enabled = |on: bool| if on { "enabled" } else { "disabled" }.to_string();
    Some(match (kind, setting) {
        ("ecs_cluster", "container_insights") => enabled(d.container_insights),
        ("ecs_cluster" | "ecs_service", "default_capacity_provider" | "capacity_provider") => {
            d.default_capacity_provider.to_string()
        }
        ("ecs_service", "deployment.circuit_breaker") => d.deployment_circuit_breaker.to_string(),
        ("elbv2_load_balancer", "deletion_protection") => {
            d.load_balancer_deletion_protection.to_string()
        }
        ("rds_db_instance", "instance_class") => d.db_instance_class.to_string(),
        ("rds_db_instance", "storage_gb") => d.db_storage_gb.to_string(),
        ("rds_db_instance", "storage_type") => d.db_storage_type.to_string(),
        ("rds_db_instance", "storage_encrypted") => d.db_storage_encrypted.to_string(),
        ("rds_db_instance", "multi_az") => d.db_multi_az.to_string(),
        ("rds_db_instance", "backup_retention_days") => d.db_backup_retention_days.to_string(),
        ("rds_db_instance", "deletion_protection") => d.db_deletion_protection.to_string(),
        ("rds_db_instance", "final_snapshot") => d.db_final_snapshot.to_string(),
        ("cloudwatch_log_group", "retention_days") => d.log_retention_days.to_string(),
        ("ecs_service", "desired_count")
        | ("autoscaling_target", "min_capacity")
        | ("fly_app", "machines_per_region") => d.service_min_instances.to_string(),
        ("autoscaling_target", "max_capacity") => d.service_max_instances.to_string(),
        ("autoscaling_policy", "target_value") => d.autoscaling_target_cpu_percent.to_string(),
        ("autoscaling_policy", "scale_out_cooldown_seconds") => {
            d.scale_out_cooldown_seconds.to_string()
        }
        ("autoscaling_policy", "scale_in_cooldown_seconds") => {
            d.scale_in_cooldown_seconds.to_string()
        }
        ("s3_bucket_versioning", "status") => {
            if d.bucket_versioning {
                "Enabled".to_string()
            } else {
                "Disabled".to_string()
            }
        }
        ("sqs_queue", "dead_letter.max_receives") => d.queue_max_receives.to_string(),
        ("elasticache_replication_group", "node_type") => d.cache_node_type.to_string(),
        ("elasticache_replication_group", "replicas") => d.cache_replicas.to_string(),
        ("elasticache_replication_group", "multi_az") => d.cache_multi_az.to_string(),
        ("elasticache_replication_group", "snapshot_retention_days") => {
            d.cache_snapshot_retention_days.to_string()
        }
        ("elasticache_replication_group", "final_snapshot") => d.cache_final_snapshot.to_string(),
        ("secretsmanager_secret", "recovery_window_days") => {
            d.secret_recovery_window_days.to_string()
        }
        ("vercel_project", "plan") => d.site_vercel_plan.to_string(),
        _ => return None,
    })
}

fn environment_input(tier: Tier) -> EnvironmentInput {
    EnvironmentInput {
        name: "env".to_string(),
        tier: tier.as_str().to_string(),
        region: "eu-west-1".to_string(),
        network: Some(NetworkInput {
            subnet_ids: vec!["subnet-0a1b2c3d4e5f67890".to_string()],
            security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
            assign_public_ip: None,
            public_subnet_ids: vec![
                "subnet-0aaaaaaaaaaaaaaa1".to_string(),
                "subnet-0aaaaaaaaaaaaaaa2".to_string(),
            ],
        }),
        policy: PolicyInput::default(),
        tags: BTreeMap::new(),
        default_tags: BTreeMap::from([("project".to_string(), "p".to_string())]),
        // The shared load balancer, so its tier default is checked too.
        ingress: Some(environment::IngressInput {
            domain: "api.example.com".to_string(),
            certificate_arn: None,
            hosted_zone_id: Some("Z0123456789ABC".to_string()),
            deletion_protection: None,
        }),
    }
}

fn database_input(tier: Tier, with_extras: bool) -> DatabaseInput {
    let environment = environment::plan(&environment_input(tier))
        .expect("valid environment")
        .context;
    DatabaseInput {
        environment,
        name: "main".to_string(),
        engine_version: None,
        extensions: if with_extras {
            vec!["vector".to_string(), "pg_cron".to_string()]
        } else {
            Vec::new()
        },
        size: None,
        instance_class: None,
        storage_gb: None,
        multi_az: None,
        backup_retention_days: (with_extras && tier == Tier::Development).then_some(1),
        deletion_protection: None,
        read_replicas: if with_extras {
            ["eu-west-1", "us-east-1"]
                .map(|r| ReplicaInput {
                    region: r.to_string(),
                })
                .to_vec()
        } else {
            Vec::new()
        },
        final_snapshot: None,
        allow_replacement: false,
        manage_master_password: None,
        master_password_wo_set: false,
        master_password_wo_version: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    }
}

fn service_input(tier: Tier, host: &str) -> ServiceInput {
    let environment = environment::plan(&environment_input(tier))
        .expect("valid environment")
        .context;
    let workers = host == "cloudflare_workers";
    ServiceInput {
        environment,
        name: "api".to_string(),
        host: host.to_string(),
        image: (!workers).then(|| "ghcr.io/example/api:1.0.0".to_string()),
        script: workers.then(|| "export default { fetch() {} };".to_string()),
        port: None,
        cpu: None,
        memory: None,
        scaling: ScalingInput::default(),
        health_check: (!workers).then(|| HealthCheckInput {
            path: "/health".to_string(),
            interval_seconds: None,
        }),
        env: BTreeMap::from([("LOG_LEVEL".to_string(), "info".to_string())]),
        secrets: BTreeMap::new(),
        regions: Vec::new(),
        requirements: RequirementsInput::default(),
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
        fly_org: Some("example".to_string()),
        cloudflare_zone: workers.then(|| "example.dev".to_string()),
        unknown: UnknownValues::default(),
        execution_role_arn: None,
        access: Vec::new(),
        task_role_arn: None,
        deployment: DeploymentInput::default(),
        // On Fargate, behind the environment's load balancer, so its children are checked.
        ingress: (host == "aws_fargate")
            .then(crate::planner::api_service::ingress::ServiceIngressInput::default),
    }
}

/// Every resource, host and variant this test plans, in one tier: a name and the children.
fn expansions(tier: Tier) -> Vec<(String, Vec<Child>)> {
    let mut out = vec![(
        "platform_environment".to_string(),
        environment::plan(&environment_input(tier))
            .expect("valid")
            .children,
    )];
    for extras in [false, true] {
        let plan = database::plan(&database_input(tier, extras)).expect("valid database");
        out.push((
            format!("platform_database (extras: {extras})"),
            plan.children,
        ));
    }
    for host in ["aws_fargate", "fly", "cloudflare_workers"] {
        let plan = api_service::plan(&service_input(tier, host)).expect("valid service");
        out.push((format!("platform_api_service on {host}"), plan.children));
    }
    let context = crate::planner::component::test_context(tier);
    let queue = crate::planner::queue::plan(&crate::planner::queue::QueueInput {
        environment: context.clone(),
        name: "jobs".to_string(),
        fifo: None,
        visibility_timeout_seconds: None,
        retention_days: None,
        dead_letter: None,
        kms_key_id: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    })
    .expect("valid queue");
    out.push(("platform_queue".to_string(), queue.children));
    let secret = crate::planner::secret::plan(&crate::planner::secret::SecretInput {
        environment: context.clone(),
        name: "stripe".to_string(),
        description: None,
        generate: None,
        value_wo: false,
        value_wo_version: None,
        kms_key_id: None,
        recovery_window_days: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    })
    .expect("valid secret");
    out.push(("platform_secret".to_string(), secret.children));
    let bucket = crate::planner::bucket::plan(&crate::planner::bucket::BucketInput {
        environment: context,
        name: "uploads".to_string(),
        bucket_name: None,
        versioning: None,
        encryption: None,
        kms_key_id: None,
        lifecycle_rules: Vec::new(),
        cors: Vec::new(),
        expected_storage_gb: None,
        force_destroy: None,
        allow_replacement: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    })
    .expect("valid bucket");
    out.push(("platform_bucket".to_string(), bucket.children));
    for host in ["cloudflare_pages", "vercel"] {
        let site = crate::planner::static_site::plan(
            &crate::planner::static_site::tests::site_input(tier, host),
        )
        .expect("valid site");
        out.push((format!("platform_static_site on {host}"), site.children));
    }
    let cache = crate::planner::cache::plan(&crate::planner::cache::CacheInput {
        environment: crate::planner::component::test_context(tier),
        name: "sessions".to_string(),
        engine: None,
        engine_version: None,
        size: None,
        node_type: None,
        replicas: None,
        multi_az: None,
        snapshot_retention_days: None,
        maxmemory_policy: None,
        parameters: BTreeMap::new(),
        allow_replacement: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    })
    .expect("valid cache");
    out.push(("platform_cache".to_string(), cache.children));
    out
}

#[test]
fn every_tier_label_is_the_tier_tables_value() {
    for tier in Tier::ALL {
        for (what, children) in expansions(tier) {
            for child in &children {
                for (setting, source) in &child.settings_source {
                    let Source::Tier(labelled) = source else {
                        continue;
                    };
                    let value = &child.settings[setting];
                    let at = format!("{what} in {tier}: {}.{setting} = {value}", child.key);
                    assert_eq!(*labelled, tier, "{at} is labelled tier:{labelled}");
                    match tier_value(&child.kind, setting, tier.defaults()) {
                        Some(want) => assert_eq!(
                            *value, want,
                            "{at} is labelled tier:{tier}, but the tier table says {want}"
                        ),
                        None => panic!(
                            "{at} is labelled tier:{tier}, but the tier table has no such default: label it `fixed`, `derived`, `provider` or `config`, or add it to the table"
                        ),
                    }
                }
            }
        }
    }
}

#[test]
fn every_fixed_setting_is_the_same_in_every_tier() {
    let mut seen: BTreeMap<(String, String, String), (Tier, String)> = BTreeMap::new();
    let mut checked = 0;
    for tier in Tier::ALL {
        for (what, children) in expansions(tier) {
            for child in &children {
                for (setting, source) in &child.settings_source {
                    if *source != Source::Fixed {
                        continue;
                    }
                    let value = child.settings[setting].clone();
                    let key = (what.clone(), child.key.clone(), setting.clone());
                    match seen.get(&key) {
                        Some((first, v)) => {
                            checked += 1;
                            assert_eq!(
                                *v, value,
                                "{what}: {}.{setting} is labelled fixed but is {v} in {first} and {value} in {tier}",
                                child.key
                            );
                        }
                        None => {
                            seen.insert(key, (tier, value));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "too few fixed settings compared ({checked}); is the test planning anything?"
    );
}

#[test]
fn the_provider_block_is_named_as_the_source_of_what_it_set() {
    for host in ["fly", "cloudflare_workers"] {
        let plan = api_service::plan(&service_input(Tier::Production, host)).expect("valid");
        let from_provider: Vec<String> = plan
            .children
            .iter()
            .flat_map(|c| {
                c.settings_source
                    .iter()
                    .filter(|(_, s)| **s == Source::Provider)
                    .map(move |(k, _)| format!("{}.{k}", c.key))
            })
            .collect();
        let want = match host {
            "fly" => "fly_app.org",
            _ => "worker_route.zone",
        };
        assert!(
            from_provider.iter().any(|s| s == want),
            "{host}: {want} comes from the provider block, but the provider-sourced settings are {from_provider:?}"
        );
    }
}
