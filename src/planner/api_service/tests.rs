//! Plan and expansion tests (the snapshots), and the fixtures the other test files share.

use super::*;
use crate::planner::Tier;
use crate::planner::environment::{self, EnvironmentInput, NetworkInput, PolicyInput};
use crate::planner::render::render;

fn context_with(tier: Tier, policy: PolicyInput) -> EnvironmentContext {
    let name = match tier {
        Tier::Development => "dev",
        Tier::Staging => "stg",
        Tier::Production => "prod",
    };
    let input = EnvironmentInput {
        name: name.to_string(),
        tier: tier.as_str().to_string(),
        region: "eu-west-1".to_string(),
        network: Some(NetworkInput {
            subnet_ids: vec![
                "subnet-0a1b2c3d4e5f67890".to_string(),
                "subnet-0a1b2c3d4e5f67891".to_string(),
            ],
            security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
            assign_public_ip: None,
            public_subnet_ids: Vec::new(),
        }),
        policy,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
        ingress: None,
    };
    environment::plan(&input)
        .unwrap_or_else(|v| panic!("test environment is valid: {v:#?}"))
        .context
}

fn context(tier: Tier) -> EnvironmentContext {
    context_with(tier, PolicyInput::default())
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SECRET_ARN: &str =
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/scoring-api/db-AbCdEf";
const SCRIPT: &str =
    "export default {\n  async fetch(request, env) {\n    return new Response('ok');\n  },\n};\n";

/// Seed 000's Scoring API as an AWS-native container reaching RDS: lands on Fargate.
fn scoring_api_fargate() -> ServiceInput {
    ServiceInput {
        environment: context(Tier::Production),
        name: "scoring-api".to_string(),
        host: "auto".to_string(),
        image: Some("ghcr.io/phishsentry/scoring-api:1.4.2".to_string()),
        script: None,
        port: Some(3000),
        cpu: Some("0.5".to_string()),
        memory: Some("1GB".to_string()),
        scaling: ScalingInput::default(),
        health_check: Some(HealthCheckInput {
            path: "/healthz".to_string(),
            interval_seconds: None,
        }),
        env: map(&[("LOG_LEVEL", "info"), ("NODE_ENV", "production")]),
        secrets: map(&[("DATABASE_URL", SECRET_ARN)]),
        regions: Vec::new(),
        requirements: RequirementsInput {
            private_network_access: Some(true),
            ..RequirementsInput::default()
        },
        tags: map(&[("team", "scoring")]),
        default_tags: BTreeMap::new(),
        fly_org: None,
        cloudflare_zone: None,
        unknown: UnknownValues::default(),
        execution_role_arn: None,
        access: Vec::new(),
        task_role_arn: None,
        deployment: DeploymentInput::default(),
        ingress: None,
    }
}

/// Seed 000's Scoring API as a long-running Node service, active-active: lands on Fly.
fn scoring_api_fly() -> ServiceInput {
    ServiceInput {
        cpu: Some("1".to_string()),
        memory: Some("512MB".to_string()),
        secrets: map(&[("DATABASE_URL", "secret://DATABASE_URL")]),
        regions: vec!["iad".to_string(), "ams".to_string()],
        requirements: RequirementsInput {
            long_lived_connections: Some(true),
            ..RequirementsInput::default()
        },
        fly_org: Some("phishsentry".to_string()),
        ..scoring_api_fargate()
    }
}

/// Seed 000's lightweight Scoring API as an edge script: lands on Workers.
fn scoring_api_workers() -> ServiceInput {
    ServiceInput {
        image: None,
        script: Some(SCRIPT.to_string()),
        port: None,
        cpu: None,
        memory: None,
        health_check: None,
        secrets: map(&[("SCORING_API_KEY", "secret://SCORING_API_KEY")]),
        requirements: RequirementsInput {
            cpu_ms_per_request: Some(20),
            memory_mb: Some(64),
            ..RequirementsInput::default()
        },
        cloudflare_zone: Some("phishsentry.dev".to_string()),
        ..scoring_api_fargate()
    }
}

fn with(base: fn() -> ServiceInput, change: impl FnOnce(&mut ServiceInput)) -> ServiceInput {
    let mut input = base();
    change(&mut input);
    input
}

fn planned(input: &ServiceInput) -> ServicePlan {
    plan(input).unwrap_or_else(|v| panic!("valid input: {v:#?}"))
}

fn child<'a>(plan: &'a ServicePlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child {key}: {:?}", keys(plan)))
}

fn keys(plan: &ServicePlan) -> Vec<&str> {
    plan.children.iter().map(|c| c.key.as_str()).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.005
}

#[test]
fn the_seed_services_are_valid_and_placed_as_the_seed_says() {
    let cases = [
        (
            scoring_api_fargate(),
            Host::AwsFargate,
            placement::Rule::PrivateNetwork,
        ),
        (scoring_api_fly(), Host::Fly, placement::Rule::MultiRegion),
        (
            scoring_api_workers(),
            Host::CloudflareWorkers,
            placement::Rule::EdgeScript,
        ),
    ];
    for (input, host, rule) in cases {
        assert_eq!(validate(&input), vec![], "{host}");
        let plan = planned(&input);
        assert_eq!(plan.placement.host, host);
        assert_eq!(plan.placement.rule, rule);
        assert_eq!(plan.cloud_name, "prod-scoring-api");
        assert_eq!(plan.warnings, vec![], "{host}");
    }
}

#[test]
fn seed_000_scoring_api_on_fargate() {
    let plan = planned(&scoring_api_fargate());
    assert_eq!(
        keys(&plan),
        [
            "execution_role",
            "log_group",
            "ecs_task_definition",
            "ecs_service",
            "autoscaling_target",
            "autoscaling_policy"
        ]
    );
    insta::assert_snapshot!("seed000_scoring_api_fargate_production", render(&plan));
    // Its own execution role, named in the task definition, reading exactly its secret.
    let role = child(&plan, "execution_role");
    assert_eq!(role.kind, "iam_role");
    assert_eq!(role.name, "prod-scoring-api-execution");
    assert!(
        role.settings["policy"].contains(SECRET_ARN),
        "{:?}",
        role.settings
    );
    assert_eq!(role.settings_source["policy"], Source::Derived);
    assert_eq!(
        child(&plan, "ecs_task_definition").settings["execution_role"],
        "prod-scoring-api-execution"
    );
}

#[test]
fn a_service_without_a_port_is_a_worker() {
    for base in [scoring_api_fargate as fn() -> ServiceInput, scoring_api_fly] {
        let worker = with(base, |i| {
            i.port = None;
            i.health_check = None;
        });
        let plan = planned(&worker);
        assert_eq!(plan.url, None, "a worker has no URL");
        assert!(!plan.settings.contains_key("port"), "{:?}", plan.settings);
        for c in &plan.children {
            for key in c.settings.keys() {
                assert!(
                    !key.contains("port") && !key.contains("health_check") && key != "check",
                    "{}: {key}",
                    c.key
                );
            }
        }
        // A health check says it serves HTTP: the default port, as before.
        let probed = planned(&with(base, |i| i.port = None));
        assert_eq!(probed.settings["port"], "8080");
        assert_eq!(probed.settings_source["port"], Source::Fixed);
    }
}

#[test]
fn waiting_for_a_steady_state_is_asked_for_and_bounded() {
    let wait_of = |plan: &ServicePlan| match &plan.host_plan {
        HostPlan::Fargate(p) => p.deployment.wait_minutes,
        _ => panic!("a Fargate plan"),
    };
    assert_eq!(wait_of(&planned(&scoring_api_fargate())), None);
    let waiting = planned(&with(scoring_api_fargate, |i| {
        i.deployment.wait_for_steady_state = Some(true)
    }));
    assert_eq!(wait_of(&waiting), Some(15), "the default bound");
    let bounded = planned(&with(scoring_api_fargate, |i| {
        i.deployment.wait_for_steady_state = Some(true);
        i.deployment.timeout_minutes = Some(30);
    }));
    assert_eq!(wait_of(&bounded), Some(30));
    // Out of range: an error naming the attribute and the range.
    let problems = validate(&with(scoring_api_fargate, |i| {
        i.deployment.wait_for_steady_state = Some(true);
        i.deployment.timeout_minutes = Some(0);
    }));
    assert!(
        problems
            .iter()
            .any(|v| v.path.to_string() == "deployment.timeout_minutes"
                && v.detail.contains("between `1` and `180`")),
        "{problems:?}"
    );
    // A bound without the wait does nothing: a warning that says so.
    let unused = plan(&with(scoring_api_fargate, |i| {
        i.deployment.timeout_minutes = Some(5)
    }))
    .expect("plans");
    assert!(
        unused
            .warnings
            .iter()
            .any(|w| w.summary == "Timeout Without A Wait"),
        "{:?}",
        unused.warnings
    );
}

#[test]
fn deployments_stop_and_roll_back_by_tier_unless_told_otherwise() {
    let service = |plan: &ServicePlan, key: &str| child(plan, "ecs_service").settings[key].clone();
    let source = |plan: &ServicePlan, key: &str| child(plan, "ecs_service").settings_source[key];
    let prod = planned(&scoring_api_fargate());
    assert_eq!(service(&prod, "deployment.circuit_breaker"), "true");
    assert_eq!(
        source(&prod, "deployment.circuit_breaker"),
        Source::Tier(Tier::Production)
    );
    assert_eq!(service(&prod, "deployment.rollback"), "true");
    assert_eq!(source(&prod, "deployment.rollback"), Source::Derived);
    let dev = planned(&with(scoring_api_fargate, |i| {
        i.environment = context(Tier::Development)
    }));
    assert_eq!(service(&dev, "deployment.circuit_breaker"), "false");
    let HostPlan::Fargate(p) = &dev.host_plan else {
        panic!("a Fargate plan")
    };
    assert_eq!(
        p.deployment,
        DeploymentPlan {
            circuit_breaker: false,
            rollback: false,
            wait_minutes: None,
        }
    );
    // Told otherwise: `config`.
    let off = planned(&with(scoring_api_fargate, |i| {
        i.deployment.circuit_breaker = Some(false)
    }));
    assert_eq!(service(&off, "deployment.circuit_breaker"), "false");
    assert_eq!(service(&off, "deployment.rollback"), "false");
    assert_eq!(source(&off, "deployment.circuit_breaker"), Source::Config);
    // A rollback without the breaker cannot happen: an error naming both.
    let problems = validate(&with(scoring_api_fargate, |i| {
        i.environment = context(Tier::Development);
        i.deployment.rollback = Some(true);
    }));
    assert!(
        problems
            .iter()
            .any(|v| v.summary == "Rollback Needs The Circuit Breaker"
                && v.detail.contains("development tier's default")),
        "{problems:?}"
    );
    // On Fly.io it has no effect: a warning.
    let fly = planned(&with(scoring_api_fly, |i| {
        i.deployment.circuit_breaker = Some(true)
    }));
    assert!(
        fly.warnings.iter().any(|w| w.summary == "Setting Ignored"),
        "{:?}",
        fly.warnings
    );
}

#[test]
fn a_service_that_becomes_a_worker_is_warned() {
    for base in [scoring_api_fargate as fn() -> ServiceInput, scoring_api_fly] {
        let before = planned(&base());
        let after = planned(&with(base, |i| {
            i.port = None;
            i.health_check = None;
        }));
        let warning = becomes_worker(&before, &after).expect("a warning");
        assert_eq!(warning.path, AttributePath::attr("port"));
        let port = &before.settings["port"];
        assert!(
            warning.detail.contains(&format!("set `port = {port}`")),
            "{}",
            warning.detail
        );
        assert_eq!(becomes_worker(&before, &before), None);
        assert_eq!(
            becomes_worker(&after, &before),
            None,
            "becoming a server is not a loss"
        );
    }
}

#[test]
fn access_makes_a_task_role_with_exactly_those_grants() {
    let grant = r#"{"Effect":"Allow","Action":["sqs:ReceiveMessage"],"Resource":"arn:aws:sqs:eu-west-1:123456789012:jobs"}"#;
    let plan = planned(&with(scoring_api_fargate, |i| {
        i.access = vec![grant.to_string()];
    }));
    let role = child(&plan, "task_role");
    assert_eq!(role.name, "prod-scoring-api-task");
    assert_eq!(role.settings_source["policy"], Source::Config);
    let doc: serde_json::Value = serde_json::from_str(&role.settings["policy"]).unwrap();
    assert_eq!(
        doc["Statement"],
        serde_json::json!([serde_json::from_str::<serde_json::Value>(grant).unwrap()])
    );
    assert_eq!(
        child(&plan, "ecs_task_definition").settings["task_role"],
        "prod-scoring-api-task"
    );
    // Without `access`, no task role.
    assert!(!keys(&planned(&scoring_api_fargate())).contains(&"task_role"));
}

#[test]
fn role_names_fit_iam_or_the_plan_says_what_to_shorten() {
    // The longest names each allows: 20 for the environment, 42 for the service.
    let long_env = environment::plan(&EnvironmentInput {
        name: "production-eu-west-1".to_string(),
        tier: "production".to_string(),
        region: "eu-west-1".to_string(),
        network: Some(NetworkInput {
            subnet_ids: vec!["subnet-0a1b2c3d4e5f67890".to_string()],
            security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
            assign_public_ip: None,
            public_subnet_ids: Vec::new(),
        }),
        ..EnvironmentInput::default()
    })
    .expect("a valid environment")
    .context;
    let long = "a-service-name-that-is-quite-long-indeed-x";
    let problems = validate(&with(scoring_api_fargate, |i| {
        i.environment = long_env.clone();
        i.name = long.to_string();
    }));
    let role = problems
        .iter()
        .find(|v| v.summary == "Role Name Too Long")
        .unwrap_or_else(|| panic!("{problems:?}"));
    assert_eq!(role.path, AttributePath::attr("name"));
    assert!(role.detail.contains("IAM allows 64") && role.detail.contains("execution_role_arn"));
    // With a role of its own, the name is no longer an IAM name.
    let own = validate(&with(scoring_api_fargate, |i| {
        i.environment = long_env.clone();
        i.name = long.to_string();
        i.execution_role_arn = Some("arn:aws:iam::123456789012:role/app".into());
    }));
    assert!(
        !own.iter().any(|v| v.summary == "Role Name Too Long"),
        "{own:?}"
    );
}

#[test]
fn access_is_checked_at_plan_time() {
    let grant = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let problems = |change: &dyn Fn(&mut ServiceInput)| -> Vec<(String, String)> {
        let mut input = scoring_api_fargate();
        change(&mut input);
        validate(&input)
            .into_iter()
            .map(|v| (v.path.to_string(), v.detail))
            .collect()
    };
    let bad = problems(&|i| i.access = vec![grant.into(), "s3:GetObject".into()]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].0.contains("access") && bad[0].0.contains('1'),
        "{bad:?}"
    );
    assert!(
        bad[0]
            .1
            .contains("`access[1]` is not an IAM policy statement"),
        "{bad:?}"
    );
    let both = problems(&|i| {
        i.access = vec![grant.into()];
        i.task_role_arn = Some("arn:aws:iam::123456789012:role/app".into());
    });
    assert!(
        both.iter()
            .any(|(_, d)| d.contains("`access` and `task_role_arn` are both set")),
        "{both:?}"
    );
    let mut fly = scoring_api_fly();
    fly.access = vec![grant.into()];
    let on_fly: Vec<String> = validate(&fly).into_iter().map(|v| v.detail).collect();
    assert!(
        on_fly
            .iter()
            .any(|d| d.contains("through an ECS task role")),
        "{on_fly:?}"
    );
}

#[test]
fn a_service_that_names_its_execution_role_gets_none_of_its_own() {
    let arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole";
    let plan = planned(&with(scoring_api_fargate, |i| {
        i.execution_role_arn = Some(arn.to_string());
    }));
    assert!(
        !keys(&plan).contains(&"execution_role"),
        "{:?}",
        keys(&plan)
    );
    let task = child(&plan, "ecs_task_definition");
    assert!(
        !task.settings.contains_key("execution_role"),
        "{:?}",
        task.settings
    );
    let HostPlan::Fargate(p) = &plan.host_plan else {
        panic!("a Fargate plan")
    };
    assert_eq!(p.execution_role, None);
}

#[test]
fn seed_000_scoring_api_on_fly() {
    let plan = planned(&scoring_api_fly());
    assert_eq!(
        keys(&plan),
        [
            "fly_app",
            "fly_machine_iad_1",
            "fly_machine_iad_2",
            "fly_machine_ams_1",
            "fly_machine_ams_2"
        ]
    );
    assert_eq!(
        plan.url.as_deref(),
        Some("https://prod-scoring-api.fly.dev")
    );
    insta::assert_snapshot!("seed000_scoring_api_fly_production", render(&plan));
}

#[test]
fn seed_000_scoring_api_on_workers() {
    let plan = planned(&scoring_api_workers());
    assert_eq!(keys(&plan), ["worker_script", "worker_route"]);
    assert_eq!(
        plan.url.as_deref(),
        Some("https://prod-scoring-api.phishsentry.dev")
    );
    insta::assert_snapshot!("seed000_scoring_api_workers_production", render(&plan));
}

#[test]
fn each_tier_plans_fargate_with_its_policy() {
    // (tier, tasks, max, capacity provider, log retention, monthly cost)
    let on_demand_task = (0.5 * 0.04048 + 1.0 * 0.004445) * 730.0;
    let rows = [
        (
            Tier::Development,
            1,
            2,
            "FARGATE_SPOT",
            7,
            on_demand_task * 0.33,
        ),
        (Tier::Staging, 1, 4, "FARGATE", 14, on_demand_task),
        (Tier::Production, 2, 10, "FARGATE", 30, on_demand_task * 2.0),
    ];
    for (tier, tasks, max, provider, logs, cost) in rows {
        let input = with(scoring_api_fargate, |i| i.environment = context(tier));
        let plan = planned(&input);
        let t = format!("tier:{tier}");
        let service = child(&plan, "ecs_service");
        assert_eq!(
            service.settings["desired_count"],
            tasks.to_string(),
            "{tier}"
        );
        assert_eq!(service.settings_source["desired_count"].to_string(), t);
        assert_eq!(service.settings["capacity_provider"], provider, "{tier}");
        assert!(
            close(service.monthly_cost_usd, cost),
            "{tier}: {}",
            service.monthly_cost_usd
        );
        assert!(close(plan.estimated_monthly_cost_usd, cost), "{tier}");
        let target = child(&plan, "autoscaling_target");
        assert_eq!(target.settings["max_capacity"], max.to_string(), "{tier}");
        let log_group = child(&plan, "log_group");
        assert_eq!(log_group.kind, "cloudwatch_log_group");
        assert_eq!(
            log_group.name,
            format!("/platform/{}/scoring-api", input.environment.name)
        );
        assert_eq!(
            log_group.settings["retention_days"],
            logs.to_string(),
            "{tier}"
        );
        assert_eq!(log_group.settings_source["retention_days"].to_string(), t);
        let task = child(&plan, "ecs_task_definition");
        assert_eq!(task.settings["log.group"], log_group.name, "{tier}");
        let policy = child(&plan, "autoscaling_policy");
        assert_eq!(policy.settings["target_value"], "70");
        assert_eq!(policy.settings["scale_out_cooldown_seconds"], "60");
        assert_eq!(policy.settings["scale_in_cooldown_seconds"], "300");
        assert_eq!(
            policy.settings_source["scale_in_cooldown_seconds"].to_string(),
            t
        );
    }
}

#[test]
fn development_and_staging_plans_read_well() {
    let dev = planned(&with(scoring_api_fargate, |i| {
        i.environment = context(Tier::Development);
        i.cpu = None;
        i.memory = None;
    }));
    insta::assert_snapshot!("fargate_development_defaults", render(&dev));
    let fly_dev = planned(&with(scoring_api_fly, |i| {
        i.environment = context(Tier::Development);
        i.regions = Vec::new();
        i.fly_org = None;
    }));
    insta::assert_snapshot!("fly_development_default_region", render(&fly_dev));
    let workers_staging = planned(&with(scoring_api_workers, |i| {
        i.environment = context(Tier::Staging);
        i.cloudflare_zone = None;
    }));
    insta::assert_snapshot!("workers_staging_workers_dev", render(&workers_staging));
}

#[test]
fn sources_say_where_each_value_came_from() {
    // Nothing set: the tier's defaults, through the environment, and the provider's own
    // defaults, the same in every tier.
    let plan = planned(&with(scoring_api_fargate, |i| {
        i.cpu = None;
        i.memory = None;
    }));
    let src = |key: &str| plan.settings_source[key].to_string();
    assert_eq!(src("scaling.min"), "tier:production");
    assert_eq!(src("cpu"), "fixed");
    assert_eq!(src("port"), "config");
    assert_eq!(src("regions"), "environment");
    assert_eq!(plan.settings["cpu"], "0.25 vCPU");
    assert_eq!(plan.settings["memory"], "512 MiB");
    assert_eq!(plan.settings["port"], "3000");

    // The environment overrode its tier: `environment`.
    let overridden = context_with(
        Tier::Production,
        PolicyInput {
            min_instances: Some(3),
            ..PolicyInput::default()
        },
    );
    let plan = planned(&with(scoring_api_fargate, |i| i.environment = overridden));
    assert_eq!(plan.settings["scaling.min"], "3");
    assert_eq!(plan.settings_source["scaling.min"], Source::Environment);
    assert_eq!(
        plan.settings_source["scaling.max"].to_string(),
        "tier:production"
    );

    // The service sets it: `config`.
    let plan = planned(&with(scoring_api_fargate, |i| i.scaling.min = Some(4)));
    assert_eq!(plan.settings["scaling.min"], "4");
    assert_eq!(plan.settings_source["scaling.min"], Source::Config);
    let service = child(&plan, "ecs_service");
    assert_eq!(service.settings["desired_count"], "4");
    assert_eq!(service.settings_source["desired_count"], Source::Config);

    // Every setting of every child has a source.
    for input in [
        scoring_api_fargate(),
        scoring_api_fly(),
        scoring_api_workers(),
    ] {
        let plan = planned(&input);
        for c in &plan.children {
            let a: Vec<&String> = c.settings.keys().collect();
            let b: Vec<&String> = c.settings_source.keys().collect();
            assert_eq!(a, b, "{}", c.key);
        }
    }
}

#[test]
fn sizes_accept_the_units_people_write() {
    let cases = [
        ("0.25", "512", 256, 512),
        ("1 vCPU", "2 GiB", 1024, 2048),
        ("1024", "2GB", 1024, 2048),
        ("500m", "1024MB", 512, 1024),
        ("2", "4g", 2048, 4096),
        ("16 vcpu", "120GB", 16384, 122_880),
    ];
    for (cpu, memory, units, mb) in cases {
        let plan = planned(&with(scoring_api_fargate, |i| {
            i.cpu = Some(cpu.to_string());
            i.memory = Some(memory.to_string());
        }));
        let task = child(&plan, "ecs_task_definition");
        assert_eq!(task.settings["cpu"], units.to_string(), "{cpu}");
        assert_eq!(task.settings["memory"], mb.to_string(), "{memory}");
    }
}

#[test]
fn fargate_fills_the_missing_half_of_a_size() {
    let cpu_only = planned(&with(scoring_api_fargate, |i| {
        i.cpu = Some("1".to_string());
        i.memory = None;
    }));
    let task = child(&cpu_only, "ecs_task_definition");
    assert_eq!(
        (
            task.settings["cpu"].as_str(),
            task.settings["memory"].as_str()
        ),
        ("1024", "2048")
    );
    // The least memory Fargate allows with that CPU.
    assert_eq!(task.settings_source["memory"], Source::Derived);
    let memory_only = planned(&with(scoring_api_fargate, |i| {
        i.cpu = None;
        i.memory = Some("4GB".to_string());
    }));
    let task = child(&memory_only, "ecs_task_definition");
    assert_eq!(
        (
            task.settings["cpu"].as_str(),
            task.settings["memory"].as_str()
        ),
        ("512", "4096")
    );
}

#[test]
fn fly_picks_the_cheaper_cpu_kind_that_fits() {
    // (cpu, memory, kind, cpus, memory_mb, preset, monthly per machine)
    let cases = [
        (None, None, "shared", 1, 512, "shared-cpu-1x", 3.19),
        (Some("2"), None, "shared", 2, 512, "shared-cpu-2x", 3.88),
        (None, Some("4GB"), "shared", 2, 4096, "shared-cpu-2x", 21.38),
        (
            Some("1"),
            Some("2GB"),
            "shared",
            1,
            2048,
            "shared-cpu-1x",
            10.69,
        ),
        (
            Some("1"),
            Some("3GB"),
            "performance",
            1,
            3072,
            "performance-1x",
            36.0,
        ),
        (
            Some("16"),
            Some("32GB"),
            "performance",
            16,
            32768,
            "performance-16x",
            496.0,
        ),
        (
            Some("16"),
            None,
            "performance",
            16,
            32768,
            "performance-16x",
            496.0,
        ),
        (Some("8"), None, "shared", 8, 2048, "shared-cpu-8x", 15.52),
        (Some("6"), None, "shared", 6, 1536, "shared-cpu-6x", 11.64),
        (
            Some("6 vCPU"),
            Some("12GB"),
            "shared",
            6,
            12288,
            "shared-cpu-6x",
            64.14,
        ),
        (
            Some("12"),
            None,
            "performance",
            12,
            24576,
            "performance-12x",
            372.0,
        ),
        (
            None,
            Some("20GB"),
            "performance",
            4,
            20480,
            "performance-4x",
            184.0,
        ),
    ];
    for (cpu, memory, kind, cpus, mb, preset, cost) in cases {
        let plan = planned(&with(scoring_api_fly, |i| {
            i.cpu = cpu.map(str::to_string);
            i.memory = memory.map(str::to_string);
            i.regions = vec!["iad".to_string()];
            i.scaling.min = Some(1);
        }));
        let m = child(&plan, "fly_machine_iad_1");
        let label = format!("{cpu:?} {memory:?}");
        assert_eq!(m.settings["guest.cpu_kind"], kind, "{label}");
        assert_eq!(m.settings["guest.cpus"], cpus.to_string(), "{label}");
        assert_eq!(m.settings["guest.memory_mb"], mb.to_string(), "{label}");
        assert_eq!(m.settings["guest.preset"], preset, "{label}");
        assert!(
            close(m.monthly_cost_usd, cost),
            "{label}: {}",
            m.monthly_cost_usd
        );
    }
}

#[test]
fn costs_follow_the_dated_price_tables() {
    // Fargate: 2 tasks of 0.5 vCPU / 1 GB on demand in eu-west-1.
    let fargate = planned(&scoring_api_fargate());
    let task_month = (0.5 * 0.04048 + 1.0 * 0.004445) * 730.0;
    assert!(close(fargate.estimated_monthly_cost_usd, 2.0 * task_month));
    // Fly: 2 regions × 2 machines of shared-cpu-1x with 512 MB at $3.19.
    let fly = planned(&scoring_api_fly());
    assert!(
        close(fly.estimated_monthly_cost_usd, 4.0 * 3.19),
        "{}",
        fly.estimated_monthly_cost_usd
    );
    assert_eq!(child(&fly, "fly_app").monthly_cost_usd, 0.0);
    // Workers: the Paid plan base.
    let workers = planned(&scoring_api_workers());
    assert!(close(workers.estimated_monthly_cost_usd, 5.0));
    // Parked: no tasks, no machines, no cost.
    let parked = planned(&with(scoring_api_fly, |i| i.scaling.min = Some(0)));
    assert_eq!(keys(&parked), ["fly_app"]);
    assert_eq!(parked.estimated_monthly_cost_usd, 0.0);
}

#[test]
fn an_unpriced_region_plans_with_a_warning() {
    let mut ctx = context(Tier::Production);
    ctx.region = "ap-southeast-5".to_string();
    let plan = planned(&with(scoring_api_fargate, |i| i.environment = ctx));
    assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(plan.warnings[0].summary, "No Price Estimate");
    assert!(plan.warnings[0].detail.contains("`ap-southeast-5`"));
}

mod changes;
mod host_plan;
mod unknowns;
mod validate;

fn behind_the_load_balancer(change: impl FnOnce(&mut ServiceInput)) -> ServiceInput {
    with(scoring_api_fargate, |i| {
        i.environment.ingress = Some(crate::planner::environment::IngressContext {
            domain: "api.phishsentry.test".into(),
            hosted_zone_id: Some("Z0123456789ABC".into()),
            load_balancer: "prod-alb".into(),
            security_group: "prod-alb".into(),
        });
        i.ingress = Some(ingress::ServiceIngressInput::default());
        change(i);
    })
}

#[test]
fn a_fargate_service_with_ingress_gets_its_target_group_rule_admission_and_record() {
    let plan = planned(&behind_the_load_balancer(|_| {}));
    assert_eq!(
        plan.url.as_deref(),
        Some("https://scoring-api.api.phishsentry.test"),
        "known at plan time"
    );
    let tg = child(&plan, ingress::TARGET_GROUP_KEY);
    assert_eq!(tg.name, "prod-scoring-api");
    assert_eq!(tg.settings["port"], "3000");
    assert_eq!(tg.settings["health_check.path"], "/healthz");
    assert_eq!(tg.settings_source["health_check.path"], Source::Config);
    let rule = child(&plan, ingress::LISTENER_RULE_KEY);
    assert_eq!(rule.settings["host"], "scoring-api.api.phishsentry.test");
    assert_eq!(rule.settings_source["host"], Source::Derived);
    assert_eq!(rule.settings["listener"], "prod-alb:443");
    let admission = child(&plan, ingress::TASK_INGRESS_KEY);
    assert_eq!(admission.settings["admits"], "tcp/3000 from prod-alb");
    let record = child(&plan, ingress::DNS_RECORD_KEY);
    assert_eq!(record.name, "scoring-api.api.phishsentry.test");
    let service = child(&plan, "ecs_service");
    assert_eq!(
        service.settings["load_balancer"],
        "prod-scoring-api:scoring-api:3000"
    );
    let HostPlan::Fargate(p) = &plan.host_plan else {
        panic!("a Fargate plan")
    };
    assert_eq!(p.ingress.as_ref().map(|i| i.port), Some(3000));

    // A hostname and path of the configuration's own.
    let custom = planned(&behind_the_load_balancer(|i| {
        i.ingress = Some(ingress::ServiceIngressInput {
            hostname: Some("scoring.api.phishsentry.test".into()),
            path: Some("/v1/*".into()),
            public: None,
        })
    }));
    assert_eq!(
        custom.url.as_deref(),
        Some("https://scoring.api.phishsentry.test/v1/")
    );
    assert_eq!(
        child(&custom, ingress::LISTENER_RULE_KEY).settings_source["host"],
        Source::Config
    );
}

#[test]
fn ingress_that_cannot_be_built_is_refused_at_plan_time() {
    let refused = |input: ServiceInput, path: &str, summary: &str| {
        let problems = validate(&input);
        assert!(
            problems
                .iter()
                .any(|v| v.path.to_string() == path && v.summary == summary),
            "{summary}: {problems:?}"
        );
    };
    refused(
        with(scoring_api_fargate, |i| {
            i.ingress = Some(ingress::ServiceIngressInput::default())
        }),
        "ingress",
        "Environment Has No Ingress",
    );
    refused(
        behind_the_load_balancer(|i| i.host = "fly".into()),
        "ingress",
        "Ingress Is For Fargate Services",
    );
    refused(
        behind_the_load_balancer(|i| {
            i.ingress.as_mut().unwrap().hostname = Some("scoring.example.com".into())
        }),
        "ingress.hostname",
        "Hostname Outside The Environment's Domain",
    );
    refused(
        behind_the_load_balancer(|i| {
            i.port = None;
            i.health_check = None;
        }),
        "ingress",
        "Ingress Needs A Port",
    );
    refused(
        behind_the_load_balancer(|i| i.ingress.as_mut().unwrap().public = Some(false)),
        "ingress.public",
        "Internal Ingress Not Available",
    );
    refused(
        behind_the_load_balancer(|i| i.ingress.as_mut().unwrap().path = Some("v1".into())),
        "ingress.path",
        "Invalid Path Pattern",
    );
    assert!(validate(&behind_the_load_balancer(|_| {})).is_empty());
}

#[test]
fn a_new_port_behind_the_load_balancer_replaces_the_service() {
    let before = planned(&behind_the_load_balancer(|_| {}));
    let after = planned(&behind_the_load_balancer(|i| i.port = Some(3001)));
    let c = changes(&before, &after);
    assert!(
        c.replace
            .iter()
            .any(|(p, why)| p.to_string() == "port" && why.contains("target group")),
        "{:?}",
        c.replace
    );
    // Without ingress a port change stays in place.
    let plain = changes(
        &planned(&scoring_api_fargate()),
        &planned(&with(scoring_api_fargate, |i| i.port = Some(3001))),
    );
    assert!(plain.replace.iter().all(|(p, _)| p.to_string() != "port"));
}
