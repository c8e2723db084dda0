//! `platform_job` against moto: a scheduled job's plan shows its task, the scheduler's role
//! and the schedule with their sources and the cost from the schedule; apply makes the
//! schedule with an ECS RunTask target of the job's revision, run by a role that may run
//! exactly that family; an expression changed out of band shows as the schedule's drift and
//! is put back; the same job moved to a queue gets an ECS service at zero tasks, a scalable
//! target 0–max, two step policies and two alarms on the queue (and the schedule and its
//! role go); an alarm deleted out of band is made again; import rebuilds the job; destroy
//! leaves nothing.

use terraform_provider_platform::backends::aws::iam::decode_document;

use crate::harness::{Aws, Cloud, REQUIRED_PROVIDERS, Terraform, block_on, on_versions};

const IMAGE: &str = "ghcr.io/infrar/platform:2.3.0";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jobs/db-AbCdEf";
const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:executor-jobs";

const SCHEDULED: &str = r#"  schedule                 = "cron(0 2 * * ? *)"
  expected_runtime_minutes = 15"#;
const QUEUED: &str = r#"  queue             = "arn:aws:sqs:us-east-1:123456789012:executor-jobs"
  messages_per_task = 2
  max               = 3"#;

fn config(env: &str, network: &str, trigger: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "production"
  region = "us-east-1"
{network}
}}

resource "platform_job" "sync" {{
  environment = platform_environment.env.context
  name        = "sync"
  image       = "{IMAGE}"
  command     = ["/app/platform", "sync-pricing"]
  cpu         = "0.5"
  memory      = "1GB"
  secrets     = {{ DATABASE_URL = "{SECRET}" }}
{trigger}
}}

output "run_now" {{
  value = platform_job.sync.run_task_command
}}

output "cost" {{
  value = platform_job.sync.estimated_monthly_cost_usd
}}
"#
    )
}

/// A role's inline policy as IAM holds it, parsed; `None` when the role is gone.
fn policy_in_iam(aws: &Aws, role: &str) -> Option<serde_json::Value> {
    block_on(async {
        let out = aws
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name("platform")
            .send()
            .await
            .ok()?;
        serde_json::from_str(&decode_document(out.policy_document())).ok()
    })
}

fn schedule(
    aws: &Aws,
    name: &str,
) -> Option<aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput> {
    block_on(async {
        aws.scheduler
            .get_schedule()
            .name(name)
            .group_name("default")
            .send()
            .await
            .ok()
    })
}

fn alarm_names(aws: &Aws, prefix: &str) -> Vec<String> {
    block_on(async {
        aws.cloudwatch
            .describe_alarms()
            .alarm_name_prefix(prefix)
            .send()
            .await
            .expect("DescribeAlarms")
            .metric_alarms()
            .iter()
            .filter_map(|a| a.alarm_name().map(str::to_string))
            .collect()
    })
}

fn policies(
    aws: &Aws,
    resource_id: &str,
) -> Vec<aws_sdk_applicationautoscaling::types::ScalingPolicy> {
    block_on(async {
        aws.autoscaling
            .describe_scaling_policies()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_id(resource_id)
            .send()
            .await
            .expect("DescribeScalingPolicies")
            .scaling_policies()
            .to_vec()
    })
}

fn service_count(aws: &Aws, cluster: &str, name: &str) -> Option<i32> {
    block_on(async {
        aws.ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .send()
            .await
            .ok()?
            .services()
            .iter()
            .find(|s| s.status() == Some("ACTIVE"))
            .map(|s| s.desired_count())
    })
}

fn lifecycle(tf: &Terraform) {
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = format!("jb{}", tf.version.replace('.', ""));
    let job = format!("{env}-sync");
    let cluster = format!("{env}-cluster");
    let wd = moto.workdir(&config(&env, &network.block(), SCHEDULED));

    // 1. The plan shows the task, the scheduler's role and the schedule, with sources and
    //    the cost of 30.4 runs of 15 minutes, before anything exists.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"scheduler_schedule\"",
        "\"scheduler_role\"",
        "\"execution_role\"",
        "\"ecs_task_definition\"",
        "cron(0 2 * * ? *)",
        "daily at 02:00 (UTC)",
        "ecs:RunTask",
        "iam:PassRole",
        "sync-pricing",
        "runs_per_month",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: the plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }

    // 2. Apply: the schedule runs the job's revision in the environment's cluster with the
    //    scheduler role, which may run exactly that family.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let s = schedule(&aws, &job).expect("the schedule exists");
    assert_eq!(s.schedule_expression(), Some("cron(0 2 * * ? *)"));
    let target = s.target().expect("a target");
    assert!(
        target.arn().ends_with(&format!(":cluster/{cluster}")),
        "{tf}: {}",
        target.arn()
    );
    assert!(
        target
            .role_arn()
            .ends_with(&format!(":role/{job}-scheduler"))
    );
    let ecs = target.ecs_parameters().expect("an ECS target");
    let revision = block_on(async {
        aws.ecs
            .describe_task_definition()
            .task_definition(&job)
            .send()
            .await
            .expect("DescribeTaskDefinition")
            .task_definition
            .expect("a revision")
    });
    assert_eq!(
        Some(ecs.task_definition_arn()),
        revision.task_definition_arn(),
        "{tf}: the schedule runs the current revision"
    );
    let container = &revision.container_definitions()[0];
    assert_eq!(container.command(), ["/app/platform", "sync-pricing"]);
    let scheduler_policy = policy_in_iam(&aws, &format!("{job}-scheduler")).expect("its policy");
    let run = &scheduler_policy["Statement"][0];
    assert_eq!(run["Action"], serde_json::json!(["ecs:RunTask"]));
    assert_eq!(
        run["Resource"],
        serde_json::json!([format!(
            "arn:aws:ecs:us-east-1:${{aws:PrincipalAccount}}:task-definition/{job}:*"
        )])
    );
    let execution = policy_in_iam(&aws, &format!("{job}-execution")).expect("execution role");
    assert!(execution.to_string().contains(SECRET), "{tf}: {execution}");
    let run_now = wd.run(tf, &["output", "-raw", "run_now"]);
    run_now.expect_success();
    assert!(
        run_now.stdout.starts_with(&format!(
            "aws ecs run-task --region us-east-1 --cluster {cluster} --task-definition {job} "
        )),
        "{tf}: {}",
        run_now.stdout
    );
    assert!(
        run_now.stdout.contains(&network.subnets[0]),
        "{tf}: {}",
        run_now.stdout
    );
    // 30.4 runs of 15 minutes of 0.5 vCPU / 1 GB in us-east-1: a few dimes, not zero.
    let cost = wd.run(tf, &["output", "-raw", "cost"]);
    cost.expect_success();
    let usd: f64 = cost.stdout.trim().parse().expect("a number");
    assert!(
        usd > 0.05 && usd < 1.0,
        "{tf}: a scheduled job's cost: {usd}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 3. An expression changed out of band is the schedule's drift; apply puts it back.
    block_on(async {
        aws.scheduler
            .update_schedule()
            .name(&job)
            .group_name("default")
            .schedule_expression("rate(5 minutes)")
            // UpdateSchedule replaces everything: the description (where the owner tags
            // are, schedules having no tags) is sent back as it was.
            .set_description(s.description().map(str::to_string))
            .flexible_time_window(
                aws_sdk_scheduler::types::FlexibleTimeWindow::builder()
                    .mode(aws_sdk_scheduler::types::FlexibleTimeWindowMode::Off)
                    .build()
                    .unwrap(),
            )
            .target(target.clone())
            .send()
            .await
            .expect("UpdateSchedule");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("rate(5 minutes)"),
        "{tf}: the changed expression shows:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        schedule(&aws, &job).and_then(|s| s.schedule_expression().map(str::to_string)),
        Some("cron(0 2 * * ? *)".to_string()),
        "{tf}: the planned expression is back"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. The same job moved to a queue: a service at zero tasks scaled by the queue's
    //    alarms; the schedule and its role go.
    wd.write_main_tf(&config(&env, &network.block(), QUEUED));
    let to_queue = wd.run(tf, &["plan", "-no-color"]);
    to_queue.expect_success();
    for want in [
        "queue_depth_alarm",
        "scale_out_policy",
        "ApproximateNumberOfMessagesVisible",
    ] {
        assert!(
            to_queue.stdout.contains(want),
            "{tf}: lacks {want}:\n{}",
            to_queue.stdout
        );
    }
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(schedule(&aws, &job).is_none(), "{tf}: the schedule is gone");
    assert!(
        policy_in_iam(&aws, &format!("{job}-scheduler")).is_none(),
        "{tf}: the scheduler's role is gone"
    );
    assert_eq!(service_count(&aws, &cluster, &job), Some(0), "{tf}");
    let resource_id = format!("service/{cluster}/{job}");
    let target = block_on(async {
        aws.autoscaling
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_ids(&resource_id)
            .send()
            .await
            .expect("DescribeScalableTargets")
            .scalable_targets()
            .first()
            .map(|t| (t.min_capacity(), t.max_capacity()))
    });
    assert_eq!(target, Some((0, 3)), "{tf}");
    let mut names: Vec<String> = policies(&aws, &resource_id)
        .iter()
        .map(|p| p.policy_name().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [format!("{job}-queue-idle"), format!("{job}-queue-out")]
    );
    let out = policies(&aws, &resource_id)
        .into_iter()
        .find(|p| p.policy_name().ends_with("-queue-out"))
        .expect("the scale-out policy");
    let steps = out
        .step_scaling_policy_configuration()
        .expect("step scaling")
        .step_adjustments()
        .iter()
        .map(|s| {
            (
                s.metric_interval_lower_bound(),
                s.metric_interval_upper_bound(),
                s.scaling_adjustment(),
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        steps,
        [
            (Some(0.0), Some(2.0), 1),
            (Some(2.0), Some(4.0), 2),
            (Some(4.0), None, 3)
        ],
        "{tf}: one task per two messages, at most three"
    );
    let mut alarms = alarm_names(&aws, &job);
    alarms.sort();
    assert_eq!(
        alarms,
        [format!("{job}-queue-depth"), format!("{job}-queue-idle")]
    );
    let depth = block_on(async {
        aws.cloudwatch
            .describe_alarms()
            .alarm_names(format!("{job}-queue-depth"))
            .send()
            .await
            .expect("DescribeAlarms")
            .metric_alarms()[0]
            .clone()
    });
    assert_eq!(
        depth.metric_name(),
        Some("ApproximateNumberOfMessagesVisible")
    );
    assert_eq!(depth.threshold(), Some(1.0));
    assert_eq!(
        depth.alarm_actions(),
        [out.policy_arn().to_string()],
        "{tf}"
    );
    let queue_name = QUEUE.rsplit(':').next().unwrap();
    assert_eq!(
        depth.dimensions()[0].value(),
        Some(queue_name),
        "{tf}: the alarm watches the queue"
    );
    let task = policy_in_iam(&aws, &format!("{job}-task")).expect("the task role");
    assert!(task.to_string().contains("sqs:ReceiveMessage") && task.to_string().contains(QUEUE));
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 5. An alarm deleted out of band is planned again and made again.
    block_on(async {
        aws.cloudwatch
            .delete_alarms()
            .alarm_names(format!("{job}-queue-depth"))
            .send()
            .await
            .expect("DeleteAlarms");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        alarm_names(&aws, &format!("{job}-queue-depth")).len(),
        1,
        "{tf}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 6. Import into an empty state rebuilds the job: no changes.
    // Without the outputs: Terraform 1.0 counts outputs new to a state as changes.
    let whole = config(&env, &network.block(), QUEUED);
    let fresh = moto.workdir(whole.split("output \"run_now\"").next().unwrap_or(&whole));
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", &env],
        )
        .expect_success();
    fresh
        .run(
            tf,
            &[
                "import",
                "-no-color",
                "platform_job.sync",
                &format!("{env}/sync"),
            ],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 7. Destroy leaves nothing: no service, target, policy, alarm, schedule or role.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(service_count(&aws, &cluster, &job), None, "{tf}");
    assert!(policies(&aws, &resource_id).is_empty(), "{tf}");
    assert!(alarm_names(&aws, &job).is_empty(), "{tf}");
    assert!(schedule(&aws, &job).is_none(), "{tf}");
    for role in ["execution", "task", "scheduler"] {
        assert!(
            policy_in_iam(&aws, &format!("{job}-{role}")).is_none(),
            "{tf}: the {role} role is gone"
        );
    }
    let active = block_on(async {
        aws.ecs
            .list_task_definitions()
            .family_prefix(&job)
            .send()
            .await
            .expect("ListTaskDefinitions")
            .task_definition_arns()
            .len()
    });
    assert_eq!(active, 0, "{tf}: no active revision is left");
}

#[test]
fn a_scheduled_and_then_queue_driven_job_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn a_scheduled_and_then_queue_driven_job_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn a_scheduled_and_then_queue_driven_job_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}

/// A job's cloud names are `<environment>-<name>`, like a service's: a job named like a
/// service of its environment is refused, with no import offered, and the service's task
/// definition, log group and roles are left as they were.
#[test]
fn a_job_named_like_a_service_of_its_environment_is_refused_and_the_service_left_alone() {
    let tf = crate::harness::newest_terraform();
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = "jbclash";
    let service = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "development"
  region = "us-east-1"
{network}
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  host        = "aws_fargate"
  image       = "{IMAGE}"
}}
"#,
        network = network.block()
    );
    let wd = moto.workdir(&service);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let revision = || {
        block_on(async {
            aws.ecs
                .describe_task_definition()
                .task_definition(format!("{env}-api"))
                .send()
                .await
                .ok()?
                .task_definition?
                .task_definition_arn
        })
    };
    let before = revision().expect("the service's revision");

    wd.write_main_tf(&format!(
        r#"{service}
resource "platform_job" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  image       = "{IMAGE}"
  depends_on  = [platform_api_service.api]
}}
"#
    ));
    let refused = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    let text = refused
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("taken by a `api_service` of the same environment")
            && text.contains("Rename the job")
            && !text.contains("terraform import"),
        "{text}"
    );
    assert_eq!(
        revision(),
        Some(before),
        "the service's revision is untouched"
    );
    assert!(
        policy_in_iam(&aws, &format!("{env}-api-execution")).is_some(),
        "the service's role is still there"
    );
}
