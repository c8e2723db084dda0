//! The job planner: the three triggers' expansions (snapshots), their costs, the
//! scheduler's least-privilege role, and every validation.

use super::*;
use crate::planner::Tier;
use crate::planner::environment::{self, EnvironmentInput, NetworkInput, PolicyInput};
use crate::planner::render::render;

fn context(tier: Tier) -> EnvironmentContext {
    let input = EnvironmentInput {
        name: "prod".to_string(),
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
        policy: PolicyInput::default(),
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
        ingress: None,
    };
    environment::plan(&input)
        .unwrap_or_else(|v| panic!("test environment is valid: {v:#?}"))
        .context
}

const QUEUE: &str = "arn:aws:sqs:eu-west-1:123456789012:infrar-executor-jobs";

/// Seed 001's daily pricing sync at 02:00 UTC.
fn pricing_sync() -> JobInput {
    JobInput {
        environment: context(Tier::Production),
        name: "pricing-sync".into(),
        image: Some("ghcr.io/infrar/platform-api:2.3.0".into()),
        command: vec!["node".into(), "dist/jobs/sync-prices.js".into()],
        cpu: Some("0.5".into()),
        memory: Some("1GB".into()),
        env: BTreeMap::from([("LOG_LEVEL".into(), "info".into())]),
        secrets: BTreeMap::new(),
        access: Vec::new(),
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
        unknown: UnknownValues::default(),
        schedule: Some("cron(0 2 * * ? *)".into()),
        timezone: None,
        queue: None,
        messages_per_task: None,
        max: None,
        expected_runtime_minutes: Some(15),
    }
}

/// Seed 001's OpenTofu executor: 0–5 tasks of 2 vCPU / 4 GB from a queue.
fn executor() -> JobInput {
    JobInput {
        name: "executor".into(),
        command: Vec::new(),
        cpu: Some("2".into()),
        memory: Some("4GB".into()),
        schedule: None,
        queue: Some(QUEUE.into()),
        messages_per_task: Some(1),
        max: Some(5),
        expected_runtime_minutes: None,
        ..pricing_sync()
    }
}

fn child<'a>(plan: &'a JobPlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child `{key}` in {:?}", plan.children))
}

fn keys_of(plan: &JobPlan) -> Vec<&str> {
    plan.children.iter().map(|c| c.key.as_str()).collect()
}

fn errors(input: &JobInput) -> Vec<(String, String)> {
    validate(input)
        .into_iter()
        .map(|v| (v.path.to_string(), v.detail))
        .collect()
}

#[test]
fn a_scheduled_job_expands_into_its_task_a_scheduler_role_and_the_schedule() {
    let plan = plan(&pricing_sync()).expect("plans");
    assert_eq!(
        keys_of(&plan),
        [
            "execution_role",
            "log_group",
            "ecs_task_definition",
            "scheduler_role",
            "schedule"
        ]
    );
    let schedule = child(&plan, "schedule");
    assert_eq!(schedule.settings["expression"], "cron(0 2 * * ? *)");
    assert_eq!(schedule.settings["timezone"], "UTC");
    assert_eq!(schedule.settings_source["timezone"], Source::Fixed);
    assert_eq!(schedule.settings["target.cluster"], "prod-cluster");
    assert_eq!(
        schedule.settings["target.task_definition"],
        "prod-pricing-sync"
    );
    let task = child(&plan, "ecs_task_definition");
    assert_eq!(
        task.settings["container.command"],
        r#"["node","dist/jobs/sync-prices.js"]"#
    );
    assert_eq!(task.settings_source["container.command"], Source::Config);
    assert_eq!(plan.tags[naming::TAG_COMPONENT], COMPONENT);
    assert_eq!(plan.settings["trigger"], "schedule");
    insta::assert_snapshot!(render(&plan));
}

#[test]
fn a_scheduled_jobs_cost_is_runs_times_runtime_times_the_task_price() {
    let plan = plan(&pricing_sync()).expect("plans");
    let Trigger::Schedule(s) = &plan.trigger else {
        panic!("scheduled");
    };
    // Daily: 365.25 days over 12 months.
    assert!(
        (s.runs_per_month - 30.4375).abs() < 0.01,
        "{}",
        s.runs_per_month
    );
    let hour = prices::fargate_task_monthly("eu-west-1", 0.5, 1.0, false).expect("priced")
        / prices::HOURS_PER_MONTH;
    let expected = hour * 15.0 / 60.0 * s.runs_per_month;
    assert!((plan.estimated_monthly_cost_usd - expected).abs() < 1e-9);
    assert!(plan.estimated_monthly_cost_usd > 0.0);
    // Twice the runtime, twice the cost: the estimate follows the input.
    let longer = plan_of(JobInput {
        expected_runtime_minutes: Some(30),
        ..pricing_sync()
    });
    assert!((longer.estimated_monthly_cost_usd - 2.0 * expected).abs() < 1e-9);
    assert_eq!(
        child(&longer, "ecs_task_definition").settings["cpu"],
        child(&plan, "ecs_task_definition").settings["cpu"]
    );
}

fn plan_of(input: JobInput) -> JobPlan {
    plan(&input).unwrap_or_else(|v| panic!("plans: {v:#?}"))
}

#[test]
fn the_scheduler_role_may_run_exactly_this_family_and_pass_exactly_its_roles() {
    let plan = plan_of(JobInput {
        access: vec![
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::prices/*"}"#
                .into(),
        ],
        ..pricing_sync()
    });
    let Trigger::Schedule(s) = &plan.trigger else {
        panic!("scheduled");
    };
    assert_eq!(s.role.principal, SCHEDULER_PRINCIPAL);
    let doc: serde_json::Value = serde_json::from_str(&s.role.policy.to_json()).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[0]["Action"], serde_json::json!(["ecs:RunTask"]));
    assert_eq!(
        statements[0]["Resource"],
        serde_json::json!([
            "arn:aws:ecs:eu-west-1:${aws:PrincipalAccount}:task-definition/prod-pricing-sync:*"
        ])
    );
    assert_eq!(
        statements[0]["Condition"]["StringEquals"]["ecs:cluster"],
        serde_json::json!(["arn:aws:ecs:eu-west-1:${aws:PrincipalAccount}:cluster/prod-cluster"])
    );
    assert_eq!(statements[1]["Action"], serde_json::json!(["iam:PassRole"]));
    assert_eq!(
        statements[1]["Resource"],
        serde_json::json!([
            "arn:aws:iam::*:role/prod-pricing-sync-execution",
            "arn:aws:iam::*:role/prod-pricing-sync-task"
        ])
    );
}

#[test]
fn a_queue_driven_job_idles_at_zero_and_scales_to_max_on_the_queues_depth() {
    let plan = plan_of(executor());
    assert_eq!(
        keys_of(&plan),
        [
            "execution_role",
            "task_role",
            "log_group",
            "ecs_task_definition",
            "ecs_service",
            "autoscaling_target",
            "scale_out_policy",
            "scale_in_policy",
            "queue_depth_alarm",
            "queue_idle_alarm"
        ]
    );
    let service = child(&plan, "ecs_service");
    assert_eq!(service.settings["desired_count"], "0");
    assert_eq!(service.monthly_cost_usd, 0.0);
    let target = child(&plan, "autoscaling_target");
    assert_eq!(target.settings["min_capacity"], "0");
    assert_eq!(target.settings["max_capacity"], "5");
    assert_eq!(target.settings_source["max_capacity"], Source::Config);
    assert_eq!(
        child(&plan, "queue_depth_alarm").settings["queue"],
        "infrar-executor-jobs"
    );
    // The task role may consume the queue, and says the policy was derived.
    let role = child(&plan, "task_role");
    assert!(
        role.settings["policy"].contains(QUEUE),
        "{}",
        role.settings["policy"]
    );
    assert!(role.settings["policy"].contains("sqs:DeleteMessage"));
    assert_eq!(role.settings_source["policy"], Source::Derived);
    assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
    assert!(plan.settings.contains_key("cost_per_task_hour_usd"));
    let Trigger::Queue(q) = &plan.trigger else {
        panic!("queue");
    };
    assert_eq!((q.messages_per_task, q.max), (1, 5));
    assert_eq!(q.resource_id, "service/prod-cluster/prod-executor");
    insta::assert_snapshot!(render(&plan));
}

#[test]
fn an_on_demand_job_exports_the_command_that_runs_it() {
    let plan = plan_of(JobInput {
        schedule: None,
        ..pricing_sync()
    });
    assert_eq!(
        keys_of(&plan),
        ["execution_role", "log_group", "ecs_task_definition"]
    );
    assert_eq!(plan.settings["trigger"], "on_demand");
    assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
    assert_eq!(
        plan.run_task_command,
        "aws ecs run-task --region eu-west-1 --cluster prod-cluster --task-definition prod-pricing-sync --capacity-provider-strategy capacityProvider=FARGATE,weight=1 --network-configuration 'awsvpcConfiguration={subnets=[subnet-0a1b2c3d4e5f67890,subnet-0a1b2c3d4e5f67891],securityGroups=[sg-0a1b2c3d4e5f67890],assignPublicIp=DISABLED}'"
    );
    let hour = prices::fargate_task_monthly("eu-west-1", 0.5, 1.0, false).unwrap()
        / prices::HOURS_PER_MONTH;
    assert_eq!(
        plan.settings["cost_per_run_usd"],
        format!("{:.4}", hour * 0.25)
    );
}

#[test]
fn development_runs_on_spot_at_the_spot_price() {
    let dev = plan_of(JobInput {
        environment: context(Tier::Development),
        ..pricing_sync()
    });
    let prod = plan_of(pricing_sync());
    assert_eq!(
        child(&dev, "schedule").settings["target.capacity_provider"],
        "FARGATE_SPOT"
    );
    assert_eq!(
        child(&dev, "schedule").settings_source["target.capacity_provider"],
        Source::Tier(Tier::Development)
    );
    assert!(dev.estimated_monthly_cost_usd < prod.estimated_monthly_cost_usd);
    assert!(
        dev.run_task_command
            .contains("capacityProvider=FARGATE_SPOT")
    );
}

#[test]
fn a_time_zone_is_shown_as_configured() {
    let plan = plan_of(JobInput {
        timezone: Some("Europe/Dublin".into()),
        ..pricing_sync()
    });
    let s = child(&plan, "schedule");
    assert_eq!(s.settings["timezone"], "Europe/Dublin");
    assert_eq!(s.settings_source["timezone"], Source::Config);
    assert!(
        s.settings["meaning"].ends_with("(Europe/Dublin)"),
        "{}",
        s.settings["meaning"]
    );
}

#[test]
fn bad_input_is_refused_naming_the_attribute_and_the_fix() {
    let both = errors(&JobInput {
        queue: Some(QUEUE.into()),
        ..pricing_sync()
    });
    assert!(
        both.iter()
            .any(|(p, d)| p == "queue" && d.contains("not both")),
        "{both:?}"
    );

    let bad_cron = errors(&JobInput {
        schedule: Some("cron(0 2 * * *)".into()),
        ..pricing_sync()
    });
    assert!(
        bad_cron
            .iter()
            .any(|(p, d)| p == "schedule" && d.contains("cron(0 2 * * *)")),
        "{bad_cron:?}"
    );

    let orphan_tz = errors(&JobInput {
        schedule: None,
        timezone: Some("Europe/Dublin".into()),
        ..pricing_sync()
    });
    assert!(
        orphan_tz
            .iter()
            .any(|(p, d)| p == "timezone" && d.contains("schedule")),
        "{orphan_tz:?}"
    );

    let bad_tz = errors(&JobInput {
        timezone: Some("Dublin".into()),
        ..pricing_sync()
    });
    assert!(bad_tz.iter().any(|(p, _)| p == "timezone"), "{bad_tz:?}");

    let orphan_max = errors(&JobInput {
        max: Some(3),
        ..pricing_sync()
    });
    assert!(
        orphan_max
            .iter()
            .any(|(p, d)| p == "max" && d.contains("queue")),
        "{orphan_max:?}"
    );

    let not_arn = errors(&JobInput {
        queue: Some("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs".into()),
        ..executor()
    });
    assert!(
        not_arn
            .iter()
            .any(|(p, d)| p == "queue" && d.contains("arn:aws:sqs")),
        "{not_arn:?}"
    );

    let elsewhere = errors(&JobInput {
        queue: Some("arn:aws:sqs:us-east-1:123456789012:jobs".into()),
        ..executor()
    });
    assert!(
        elsewhere
            .iter()
            .any(|(p, d)| p == "queue" && d.contains("us-east-1")),
        "{elsewhere:?}"
    );

    let too_many = errors(&JobInput {
        max: Some(51),
        ..executor()
    });
    assert!(too_many.iter().any(|(p, _)| p == "max"), "{too_many:?}");

    let empty_arg = errors(&JobInput {
        command: vec!["node".into(), String::new()],
        ..pricing_sync()
    });
    assert!(
        empty_arg.iter().any(|(p, _)| p == "command[1]"),
        "{empty_arg:?}"
    );

    // The task's own checks are the service planner's, at the same attributes.
    let no_image = errors(&JobInput {
        image: None,
        ..pricing_sync()
    });
    assert!(no_image.iter().any(|(p, _)| p == "image"), "{no_image:?}");
    let bad_size = errors(&JobInput {
        cpu: Some("3".into()),
        ..pricing_sync()
    });
    assert!(bad_size.iter().any(|(p, _)| p == "cpu"), "{bad_size:?}");

    assert!(errors(&pricing_sync()).is_empty());
    assert!(errors(&executor()).is_empty());
}

#[test]
fn queue_arns_are_read_for_their_name_and_region() {
    assert_eq!(
        parse_queue_arn(QUEUE),
        Some(("infrar-executor-jobs", "eu-west-1"))
    );
    assert_eq!(
        parse_queue_arn("arn:aws:sqs:eu-west-1:123456789012:jobs.fifo"),
        Some(("jobs.fifo", "eu-west-1"))
    );
    for bad in [
        "arn:aws:sns:eu-west-1:123456789012:jobs",
        "arn:aws:sqs:eu-west-1:1234:jobs",
        "arn:aws:sqs:eu-west-1:123456789012:",
        "arn:aws:sqs:nowhere:123456789012:jobs",
        "jobs",
    ] {
        assert_eq!(parse_queue_arn(bad), None, "{bad}");
    }
}
