//! The `platform_job` planner: a task on ECS Fargate that runs to completion, started by an
//! EventBridge Scheduler schedule, by the depth of an SQS queue (scaling from zero), or on
//! demand (the exported `run_task_command`).
//!
//! A job's task is a Fargate worker's task: image, size, variables, secrets, roles and log
//! group are validated and expanded by the service planner (`planner::api_service`, host
//! `aws_fargate`, no port), so a job and a service with the same settings get the same
//! task definition, the same least-privilege execution role and the same messages. What
//! starts the task is the job's own:
//!
//! - **`schedule`**: an IAM role EventBridge Scheduler assumes (`scheduler_role`: `ecs:RunTask`
//!   on the job's task-definition family in the environment's cluster, `iam:PassRole` on
//!   the job's roles to ECS only) and the schedule (`schedule`) with an ECS RunTask target.
//!   Failed runs are not retried by the scheduler: a job that failed halfway is not
//!   re-run without someone looking at why.
//! - **`queue`**: an ECS service at zero tasks (`ecs_service`), a scalable target between
//!   0 and `max` (`autoscaling_target`), an alarm on the queue's visible messages with a
//!   step policy that sets the task count to ⌈messages / `messages_per_task`⌉ up to `max`
//!   (`queue_depth_alarm`, `scale_out_policy`), and an alarm on visible + in-flight
//!   messages staying at zero for five minutes with a policy back to zero
//!   (`queue_idle_alarm`, `scale_in_policy`), so no task is stopped mid-message. The
//!   task role may consume the queue.
//! - **neither**: only the task definition, its roles and log group; `run_task_command` is
//!   the `aws ecs run-task` command that starts one run, known at plan time.
//!
//! Costs: a scheduled job costs runs per month (from the expression) × its expected
//! runtime × the Fargate price of its size; a queue-driven job's idle cost is $0 and each
//! task-hour's price is shown as a setting; an on-demand job shows its price per run.

use std::collections::{BTreeMap, BTreeSet};

use crate::value::path::AttributePath;

use super::api_service::iam::{self, PolicyDocument, RolePlan, Statement};
use super::api_service::{
    self, DeploymentInput, FargatePlan, HostPlan, RequirementsInput, ScalingInput, ServiceInput,
    UnknownValues,
};
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::schedule;
use super::{Child, Settings, Source, Violation, messages, naming, prices};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "job";

/// How long a run takes, for the cost estimate, unless `expected_runtime_minutes` says.
pub const DEFAULT_EXPECTED_RUNTIME_MINUTES: i64 = 10;

/// `expected_runtime_minutes`: a minute to a week.
pub const EXPECTED_RUNTIME_MINUTES: IntRange = IntRange {
    min: 1,
    max: 10_080,
};

/// Messages one task works through, unless `messages_per_task` says.
pub const DEFAULT_MESSAGES_PER_TASK: i64 = 10;

/// `messages_per_task`.
pub const MESSAGES_PER_TASK: IntRange = IntRange {
    min: 1,
    max: 100_000,
};

/// Most tasks a queue starts, unless `max` says.
pub const DEFAULT_QUEUE_MAX: i64 = 1;

/// `max`: the steps of the scale-out policy are one per task, so kept to a readable plan.
pub const QUEUE_MAX: IntRange = IntRange { min: 1, max: 50 };

/// Seconds per data point of the queue alarms (SQS publishes a point a minute).
pub const QUEUE_ALARM_PERIOD_SECONDS: i64 = 60;

/// Periods with no message, visible or in flight, before the tasks go back to zero.
pub const QUEUE_IDLE_PERIODS: i64 = 5;

/// Seconds after a scaling step before the next.
pub const QUEUE_COOLDOWN_SECONDS: i64 = 60;

/// Who assumes a schedule's role.
pub const SCHEDULER_PRINCIPAL: &str = "scheduler.amazonaws.com";

/// IAM's limit on role names.
const ROLE_NAME_MAX: usize = 64;

/// EventBridge Scheduler's limit on schedule names.
const SCHEDULE_NAME_MAX: usize = 64;

/// The expansion keys of a job's own children.
pub mod keys {
    /// The role EventBridge Scheduler runs the task with.
    pub const SCHEDULER_ROLE: &str = "scheduler_role";
    /// The schedule.
    pub const SCHEDULE: &str = "schedule";
    /// The ECS service a queue scales.
    pub const SERVICE: &str = "ecs_service";
    /// Its scalable target.
    pub const TARGET: &str = "autoscaling_target";
    /// The step policy that sets the task count from the queue's depth.
    pub const SCALE_OUT: &str = "scale_out_policy";
    /// The step policy that sets it back to zero.
    pub const SCALE_IN: &str = "scale_in_policy";
    /// The alarm on visible messages.
    pub const DEPTH_ALARM: &str = "queue_depth_alarm";
    /// The alarm on an idle queue.
    pub const IDLE_ALARM: &str = "queue_idle_alarm";
}

/// A job's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe job name; cloud names are `<environment>-<name>`.
    pub name: String,
    /// Container image.
    pub image: Option<String>,
    /// The command run instead of the image's own.
    pub command: Vec<String>,
    /// CPU size as written.
    pub cpu: Option<String>,
    /// Memory size as written.
    pub memory: Option<String>,
    /// Plain environment variables.
    pub env: BTreeMap<String, String>,
    /// Secrets by variable name: Secrets Manager or SSM parameter ARNs.
    pub secrets: BTreeMap<String, String>,
    /// Grants (IAM policy statements as JSON) for the job's code: its task role.
    pub access: Vec<String>,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
    /// Which `env`, `secrets` and `tags` values are unknown at plan time.
    pub unknown: UnknownValues,
    /// `cron(...)`, `rate(...)` or `at(...)`, as EventBridge Scheduler takes it.
    pub schedule: Option<String>,
    /// The IANA time zone the schedule is read in; UTC without it.
    pub timezone: Option<String>,
    /// The SQS queue (ARN) whose depth starts tasks.
    pub queue: Option<String>,
    /// Messages one task is started for.
    pub messages_per_task: Option<i64>,
    /// Most tasks the queue starts.
    pub max: Option<i64>,
    /// How long one run takes, minutes: the cost estimate's.
    pub expected_runtime_minutes: Option<i64>,
}

/// What starts the job's task.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// Someone or something runs `run_task_command`.
    OnDemand,
    /// An EventBridge Scheduler schedule.
    Schedule(SchedulePlan),
    /// The depth of an SQS queue, from zero tasks.
    Queue(QueuePlan),
}

/// The schedule of a scheduled job.
#[derive(Debug, Clone, PartialEq)]
pub struct SchedulePlan {
    /// The schedule's name, `<environment>-<job>`, in the `default` group.
    pub name: String,
    /// The expression as written.
    pub expression: String,
    /// The IANA time zone; `None`: UTC.
    pub timezone: Option<String>,
    /// What the expression means, for people.
    pub description: String,
    /// Runs in an average month.
    pub runs_per_month: f64,
    /// The role the scheduler starts the task with.
    pub role: RolePlan,
}

/// The scaling of a queue-driven job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePlan {
    /// The queue's ARN.
    pub queue_arn: String,
    /// The queue's name: the alarms' `QueueName` dimension.
    pub queue_name: String,
    /// Messages per task.
    pub messages_per_task: i64,
    /// Most tasks.
    pub max: i64,
    /// The ECS service's name, `<environment>-<job>`.
    pub service: String,
    /// The scalable target's resource id, `service/<cluster>/<service>`.
    pub resource_id: String,
    /// The scale-out policy's name.
    pub scale_out_policy: String,
    /// The scale-in policy's name.
    pub scale_in_policy: String,
    /// The alarm on visible messages.
    pub depth_alarm: String,
    /// The alarm on an idle queue.
    pub idle_alarm: String,
}

/// The planned job: its task, what starts it, its children and cost.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPlan {
    /// The environment's name.
    pub environment: String,
    /// The job's name as configured.
    pub name: String,
    /// `<environment>-<name>`: the task-definition family and every child's name.
    pub cloud_name: String,
    /// Job-level settings (`trigger`, `cpu`, `memory`, `expected_runtime_minutes`, …).
    pub settings: BTreeMap<String, String>,
    /// For each key of `settings`, where its value came from.
    pub settings_source: BTreeMap<String, Source>,
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// The task: log group, roles, size, image, cluster, capacity provider.
    pub task: FargatePlan,
    /// The command the container runs instead of the image's.
    pub command: Vec<String>,
    /// What starts the task.
    pub trigger: Trigger,
    /// The `aws ecs run-task` command that starts one run now.
    pub run_task_command: String,
    /// Settings, by child key, derived from values unknown at plan time.
    pub unknown_settings: BTreeMap<String, BTreeSet<String>>,
    /// Whether a tag value is unknown at plan time.
    pub tags_unknown: bool,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
    /// Effective tags of every child.
    pub tags: BTreeMap<String, String>,
    /// Things that work but deserve a look.
    pub warnings: Vec<Violation>,
}

/// The service planner's input for the job's task: a Fargate worker.
fn task_input(input: &JobInput) -> ServiceInput {
    let mut access = input.access.clone();
    if let Some(arn) = &input.queue {
        access.push(consume_grant(arn));
    }
    ServiceInput {
        environment: input.environment.clone(),
        name: input.name.clone(),
        host: "aws_fargate".into(),
        image: input.image.clone(),
        script: None,
        port: None,
        cpu: input.cpu.clone(),
        memory: input.memory.clone(),
        scaling: ScalingInput::default(),
        health_check: None,
        env: input.env.clone(),
        secrets: input.secrets.clone(),
        regions: Vec::new(),
        requirements: RequirementsInput::default(),
        tags: input.tags.clone(),
        default_tags: input.default_tags.clone(),
        fly_org: None,
        cloudflare_zone: None,
        unknown: input.unknown.clone(),
        execution_role_arn: None,
        access,
        task_role_arn: None,
        deployment: DeploymentInput::default(),
        ingress: None,
    }
}

/// The statement that lets a queue-driven job's code receive and delete its messages.
fn consume_grant(queue_arn: &str) -> String {
    serde_json::json!({
        "Sid": "ConsumeQueue",
        "Effect": "Allow",
        "Action": [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
        ],
        "Resource": queue_arn,
    })
    .to_string()
}

/// The name of a queue from its ARN, `arn:<partition>:sqs:<region>:<account>:<name>`, and
/// its region; `None` when it is not one.
pub fn parse_queue_arn(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "sqs", region, account, name]
            if partition.starts_with("aws")
                && naming::is_aws_region(region)
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && !name.is_empty()
                && name.len() <= 80
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') =>
        {
            Some((name, region))
        }
        _ => None,
    }
}

/// Checks every input and returns every error found.
pub fn validate(input: &JobInput) -> Vec<Violation> {
    let mut out = own_checks(input);
    out.extend(api_service::validate(&task_input(input)));
    out
}

fn own_checks(input: &JobInput) -> Vec<Violation> {
    let mut out = Vec::new();
    let at = AttributePath::attr;
    if input.schedule.is_some() && input.queue.is_some() {
        out.push(Violation::new(
            at("queue"),
            "Schedule And Queue Both Set",
            "A job starts either on its `schedule` or from its `queue`, not both. Remove one; for both kinds of runs, declare two `platform_job`s with the same image.",
        ));
    }
    if input.timezone.is_some() && input.schedule.is_none() {
        out.push(messages::needs_companion(
            at("timezone"),
            "timezone",
            "schedule",
            "a time zone is how a schedule's times are read",
        ));
    }
    for attr in ["messages_per_task", "max"] {
        let set = match attr {
            "messages_per_task" => input.messages_per_task.is_some(),
            _ => input.max.is_some(),
        };
        if set && input.queue.is_none() {
            out.push(messages::needs_companion(
                at(attr),
                attr,
                "queue",
                "they size the tasks started from a queue's depth",
            ));
        }
    }
    if let Some(text) = &input.schedule
        && let Err(why) = schedule::parse(text)
    {
        out.push(Violation::new(
            at("schedule"),
            "Invalid Schedule Expression",
            format!("`{text}` is not a schedule EventBridge Scheduler accepts: {why}"),
        ));
    }
    if let Some(tz) = &input.timezone
        && let Err(why) = schedule::check_timezone(tz)
    {
        out.push(Violation::new(
            at("timezone"),
            "Invalid Time Zone",
            format!("`{tz}`: {why}"),
        ));
    }
    if let Some(arn) = &input.queue {
        match parse_queue_arn(arn) {
            None => out.push(Violation::new(
                at("queue"),
                "Invalid Queue ARN",
                format!("`{arn}` is not an SQS queue ARN. Give the queue's ARN, e.g. `arn:aws:sqs:eu-west-1:123456789012:jobs` (`aws sqs get-queue-attributes --attribute-names QueueArn`)."),
            )),
            Some((_, region)) if region != input.environment.region => out.push(Violation::new(
                at("queue"),
                "Queue In Another Region",
                format!("The queue is in `{region}` and the environment in `{}`: the alarms that scale the job watch the queue's metrics, which CloudWatch keeps in the queue's region. Use a queue in `{}`.", input.environment.region, input.environment.region),
            )),
            Some(_) => {}
        }
    }
    for (i, part) in input.command.iter().enumerate() {
        if part.is_empty() {
            out.push(Violation::new(
                at("command").then_index(i),
                "Empty Command Argument",
                "Each element of `command` is one argument of the container's command; remove the empty string.",
            ));
        }
    }
    let cloud_name = naming::child_name(&input.environment.name, &input.name);
    if input.schedule.is_some() {
        for (name, max, what) in [
            (
                scheduler_role_name(&cloud_name),
                ROLE_NAME_MAX,
                "IAM role EventBridge Scheduler starts the task with",
            ),
            (
                cloud_name.clone(),
                SCHEDULE_NAME_MAX,
                "EventBridge Scheduler schedule",
            ),
        ] {
            if name.chars().count() > max {
                out.push(Violation::new(
                    at("name"),
                    "Name Too Long",
                    format!(
                        "The {what} is named `{name}`, {} characters, and AWS allows at most {max}. Shorten the job's `name` (or the environment's).",
                        name.chars().count()
                    ),
                ));
            }
        }
    }
    let mut whole = |v: Option<i64>, attr: &str, range: IntRange| {
        if let Some(v) = v
            && !range.contains(v)
        {
            out.push(messages::out_of_range(at(attr), v, range));
        }
    };
    whole(
        input.expected_runtime_minutes,
        "expected_runtime_minutes",
        EXPECTED_RUNTIME_MINUTES,
    );
    whole(
        input.messages_per_task,
        "messages_per_task",
        MESSAGES_PER_TASK,
    );
    whole(input.max, "max", QUEUE_MAX);
    out
}

/// The name of a scheduled job's scheduler role.
pub fn scheduler_role_name(cloud_name: &str) -> String {
    format!("{cloud_name}-scheduler")
}

/// The role EventBridge Scheduler assumes to start the job's task: run exactly this
/// family in this cluster, and hand ECS exactly the job's roles.
fn scheduler_role(cloud_name: &str, task: &FargatePlan) -> RolePlan {
    let partition = iam::partition(&task.region);
    let account = "${aws:PrincipalAccount}";
    let arn = |service: &str, resource: &str| {
        format!(
            "arn:{partition}:{service}:{}:{account}:{resource}",
            task.region
        )
    };
    let passed: Vec<String> = [&task.execution_role, &task.task_role]
        .into_iter()
        .flatten()
        // A role is passed only within its own account, so any account in the ARN is the
        // same as naming ours; IAM ARNs written with the policy variable are refused by
        // some validators (moto's), which take its colon as the ARN's.
        .map(|r| format!("arn:{partition}:iam::*:role/{}", r.name))
        .collect();
    let mut statements = vec![Statement {
        sid: "RunTask".into(),
        actions: vec!["ecs:RunTask".into()],
        resources: vec![arn("ecs", &format!("task-definition/{cloud_name}:*"))],
        condition: Some((
            "ecs:cluster".into(),
            vec![arn("ecs", &format!("cluster/{}", task.cluster))],
        )),
    }];
    if !passed.is_empty() {
        statements.push(Statement {
            sid: "PassTaskRoles".into(),
            actions: vec!["iam:PassRole".into()],
            resources: passed,
            condition: Some((
                "iam:PassedToService".into(),
                vec![iam::ECS_TASKS_PRINCIPAL.into()],
            )),
        });
    }
    RolePlan {
        name: scheduler_role_name(cloud_name),
        principal: SCHEDULER_PRINCIPAL.into(),
        policy: PolicyDocument {
            statements,
            grants: Vec::new(),
        },
    }
}

/// The `aws ecs run-task` command that starts one run of the task.
fn run_task_command(task: &FargatePlan, family: &str, input: &JobInput) -> String {
    let net = &input.environment.network;
    format!(
        "aws ecs run-task --region {} --cluster {} --task-definition {family} --capacity-provider-strategy capacityProvider={},weight=1 --network-configuration 'awsvpcConfiguration={{subnets=[{}],securityGroups=[{}],assignPublicIp={}}}'",
        task.region,
        task.cluster,
        task.capacity_provider,
        net.subnet_ids.join(","),
        net.security_group_ids.join(","),
        if net.assign_public_ip {
            "ENABLED"
        } else {
            "DISABLED"
        },
    )
}

/// Validates and expands the job.
pub fn plan(input: &JobInput) -> Result<JobPlan, Vec<Violation>> {
    let own = own_checks(input);
    let task = api_service::plan(&task_input(input));
    let service = match task {
        Ok(service) if own.is_empty() => service,
        Ok(_) => return Err(own),
        Err(mut v) => {
            v.splice(0..0, own);
            return Err(v);
        }
    };
    let HostPlan::Fargate(task) = service.host_plan else {
        return Err(vec![Violation::new(
            AttributePath::root(),
            "Internal Planner Error",
            "The job's task was not planned on Fargate. Please report this.",
        )]);
    };
    let task = *task;
    let ctx = &input.environment;
    let cloud_name = service.cloud_name.clone();
    let mut unknown_settings = service.unknown_settings;
    let mut tags = service.tags;
    tags.insert(naming::TAG_COMPONENT.into(), COMPONENT.into());

    // The task's children as the service planner made them; its service and CPU
    // autoscaling are a long-running service's, not a job's.
    let mut children: Vec<Child> = Vec::new();
    let mut ecs_service = None;
    let mut target = None;
    for mut child in service.children {
        match child.key.as_str() {
            "autoscaling_policy" => {}
            keys::SERVICE => ecs_service = Some(child),
            keys::TARGET => target = Some(child),
            "ecs_task_definition" => {
                if !input.command.is_empty() {
                    child.settings.insert(
                        "container.command".into(),
                        serde_json::to_string(&input.command).unwrap_or_default(),
                    );
                    child
                        .settings_source
                        .insert("container.command".into(), Source::Config);
                }
                children.push(child);
            }
            api_service::TASK_ROLE_KEY if input.queue.is_some() => {
                // `access` and the queue's consume statement.
                child
                    .settings_source
                    .insert("policy".into(), Source::Derived);
                children.push(child);
            }
            _ => children.push(child),
        }
    }

    let runtime = match input.expected_runtime_minutes {
        Some(m) => (m, Source::Config),
        None => (DEFAULT_EXPECTED_RUNTIME_MINUTES, Source::Fixed),
    };
    let spot = task.capacity_provider == "FARGATE_SPOT";
    let vcpus = f64::from(task.cpu_units) / f64::from(super::units::UNITS_PER_VCPU);
    let task_hour =
        prices::fargate_task_monthly(&ctx.region, vcpus, f64::from(task.memory_mb) / 1024.0, spot)
            .map(|month| month / prices::HOURS_PER_MONTH);
    let mut warnings = service.warnings;
    let per_run = task_hour.map(|h| h * runtime.0 as f64 / 60.0);

    // The size as the service planner resolved it, with what decided it.
    let mut settings: Settings = ["cpu", "memory"]
        .into_iter()
        .filter_map(|k| {
            Some((
                k,
                service.settings.get(k)?.clone(),
                *service.settings_source.get(k)?,
            ))
        })
        .collect();
    settings.set("expected_runtime_minutes", runtime.0, runtime.1);
    if let Some(h) = task_hour {
        settings.set("cost_per_task_hour_usd", money(h), Source::Derived);
    }
    if let Some(r) = per_run {
        settings.set("cost_per_run_usd", money(r), Source::Derived);
    }
    let network = &ctx.network;
    let trigger = if let Some(expression) = &input.schedule {
        let parsed = schedule::parse(expression).map_err(|why| {
            vec![Violation::new(
                AttributePath::attr("schedule"),
                "Invalid Schedule Expression",
                why,
            )]
        })?;
        let runs = schedule::runs_per_month(&parsed);
        let zone = input.timezone.clone();
        let description = format!(
            "{} ({})",
            schedule::describe(&parsed),
            zone.as_deref().unwrap_or("UTC")
        );
        let role = scheduler_role(&cloud_name, &task);
        // The tier decides the capacity provider, as for the service's tasks.
        let capacity_source = ecs_service
            .as_ref()
            .and_then(|c| c.settings_source.get("capacity_provider"))
            .copied()
            .unwrap_or(Source::Derived);
        let mut r = Settings::default();
        r.set("name", &role.name, Source::Derived)
            .set("assumed_by", &role.principal, Source::Fixed)
            .set("policy", role.policy.to_json(), Source::Derived);
        children.push(r.child(keys::SCHEDULER_ROLE, "aws", "iam_role", &role.name, 0.0));
        let mut s = Settings::default();
        s.set("expression", expression, Source::Config)
            .set(
                "timezone",
                zone.as_deref().unwrap_or("UTC"),
                if zone.is_some() {
                    Source::Config
                } else {
                    Source::Fixed
                },
            )
            .set("meaning", &description, Source::Derived)
            .set("runs_per_month", format!("{runs:.2}"), Source::Derived)
            .set("group", "default", Source::Fixed)
            .set("flexible_time_window", "OFF", Source::Fixed)
            .set("retries", 0, Source::Fixed)
            .set("state", "ENABLED", Source::Fixed)
            .set("target.cluster", &task.cluster, Source::Environment)
            .set("target.task_definition", &cloud_name, Source::Derived)
            .set(
                "target.capacity_provider",
                &task.capacity_provider,
                capacity_source,
            )
            .set(
                "target.network.subnets",
                network.subnet_ids.join(","),
                Source::Environment,
            )
            .set(
                "target.network.security_groups",
                network.security_group_ids.join(","),
                Source::Environment,
            )
            .set(
                "target.network.assign_public_ip",
                network.assign_public_ip,
                Source::Environment,
            )
            .set("target.role", &role.name, Source::Derived);
        let cost = per_run.map_or(0.0, |r| r * runs);
        children.push(s.child(
            keys::SCHEDULE,
            "aws",
            "scheduler_schedule",
            &cloud_name,
            cost,
        ));
        settings.set("trigger", "schedule", Source::Config);
        Trigger::Schedule(SchedulePlan {
            name: cloud_name.clone(),
            expression: expression.clone(),
            timezone: zone,
            description,
            runs_per_month: runs,
            role,
        })
    } else if let Some(arn) = &input.queue {
        let (queue_name, _) = parse_queue_arn(arn).unwrap_or_default();
        let per_task = match input.messages_per_task {
            Some(m) => (m, Source::Config),
            None => (DEFAULT_MESSAGES_PER_TASK, Source::Fixed),
        };
        let max = match input.max {
            Some(m) => (m, Source::Config),
            None => (DEFAULT_QUEUE_MAX, Source::Fixed),
        };
        let resource_id = format!("service/{}/{cloud_name}", task.cluster);
        let q = QueuePlan {
            queue_arn: arn.clone(),
            queue_name: queue_name.to_string(),
            messages_per_task: per_task.0,
            max: max.0,
            service: cloud_name.clone(),
            resource_id: resource_id.clone(),
            scale_out_policy: format!("{cloud_name}-queue-out"),
            scale_in_policy: format!("{cloud_name}-queue-idle"),
            depth_alarm: format!("{cloud_name}-queue-depth"),
            idle_alarm: format!("{cloud_name}-queue-idle"),
        };
        if let Some(mut svc) = ecs_service {
            // Idle at zero: the queue's alarms set the count.
            svc.settings.insert("desired_count".into(), "0".into());
            svc.settings_source
                .insert("desired_count".into(), Source::Derived);
            svc.monthly_cost_usd = 0.0;
            children.push(svc);
        }
        if let Some(mut t) = target {
            t.settings.insert("min_capacity".into(), "0".into());
            t.settings_source
                .insert("min_capacity".into(), Source::Derived);
            t.settings.insert("max_capacity".into(), max.0.to_string());
            t.settings_source.insert("max_capacity".into(), max.1);
            children.push(t);
        }
        let mut out = Settings::default();
        out.set("policy_type", "StepScaling", Source::Fixed)
            .set("adjustment_type", "ExactCapacity", Source::Fixed)
            .set("resource_id", &resource_id, Source::Derived)
            .set(
                "tasks",
                format!("ceil(visible messages / {}), at most {}", per_task.0, max.0),
                Source::Derived,
            )
            .set("messages_per_task", per_task.0, per_task.1)
            .set("max", max.0, max.1)
            .set("cooldown_seconds", QUEUE_COOLDOWN_SECONDS, Source::Fixed);
        children.push(out.child(
            keys::SCALE_OUT,
            "aws",
            "autoscaling_policy",
            &q.scale_out_policy,
            0.0,
        ));
        let mut idle = Settings::default();
        idle.set("policy_type", "StepScaling", Source::Fixed)
            .set("adjustment_type", "ExactCapacity", Source::Fixed)
            .set("resource_id", &resource_id, Source::Derived)
            .set("tasks", 0, Source::Fixed)
            .set("cooldown_seconds", QUEUE_COOLDOWN_SECONDS, Source::Fixed);
        children.push(idle.child(
            keys::SCALE_IN,
            "aws",
            "autoscaling_policy",
            &q.scale_in_policy,
            0.0,
        ));
        let mut depth = Settings::default();
        depth
            .set("queue", queue_name, Source::Config)
            .set(
                "metric",
                "AWS/SQS ApproximateNumberOfMessagesVisible (Maximum)",
                Source::Fixed,
            )
            .set("condition", ">= 1", Source::Fixed)
            .set("period_seconds", QUEUE_ALARM_PERIOD_SECONDS, Source::Fixed)
            .set("evaluation_periods", 1, Source::Fixed)
            .set("action", &q.scale_out_policy, Source::Derived);
        children.push(depth.child(
            keys::DEPTH_ALARM,
            "aws",
            "cloudwatch_alarm",
            &q.depth_alarm,
            0.0,
        ));
        let mut idle_alarm = Settings::default();
        idle_alarm
            .set("queue", queue_name, Source::Config)
            .set(
                "metric",
                "AWS/SQS ApproximateNumberOfMessagesVisible + ApproximateNumberOfMessagesNotVisible (Maximum)",
                Source::Fixed,
            )
            .set("condition", "<= 0", Source::Fixed)
            .set("period_seconds", QUEUE_ALARM_PERIOD_SECONDS, Source::Fixed)
            .set("evaluation_periods", QUEUE_IDLE_PERIODS, Source::Fixed)
            .set("action", &q.scale_in_policy, Source::Derived);
        children.push(idle_alarm.child(
            keys::IDLE_ALARM,
            "aws",
            "cloudwatch_alarm",
            &q.idle_alarm,
            0.0,
        ));
        settings.set("trigger", "queue", Source::Config);
        Trigger::Queue(q)
    } else {
        settings.set("trigger", "on_demand", Source::Fixed);
        Trigger::OnDemand
    };
    if task_hour.is_none() {
        warnings.push(messages::no_price_estimate(
            AttributePath::root(),
            "AWS Fargate",
            &ctx.region,
        ));
    }
    unknown_settings.retain(|k, _| children.iter().any(|c| &c.key == k));
    let estimated_monthly_cost_usd = children.iter().map(|c| c.monthly_cost_usd).sum();
    let run_task_command = run_task_command(&task, &cloud_name, input);
    let (settings, settings_source) = (settings.values, settings.sources);
    Ok(JobPlan {
        environment: ctx.name.clone(),
        name: input.name.clone(),
        cloud_name,
        settings,
        settings_source,
        children,
        task,
        command: input.command.clone(),
        trigger,
        run_task_command,
        unknown_settings,
        tags_unknown: !input.unknown.tags.is_empty(),
        estimated_monthly_cost_usd,
        tags,
        warnings,
    })
}

/// Dollars to the cent as the plan shows them.
fn money(usd: f64) -> String {
    format!("{usd:.4}")
}

#[cfg(test)]
mod tests;
