//! `platform_job`: a Fargate task that runs to completion, on a schedule (EventBridge
//! Scheduler), from a queue's depth (from zero tasks), or on demand (`run_task_command`).
//! The planner (`planner::job`) decides everything; this module converts values, makes the
//! children match the plan (`cloud`), reads them back so that out-of-band changes show as
//! that child's drift, and imports a job from its task definition's record.
use super::attrs::{self, get, map_of, s, with};
use super::environment_context::{
    NOT_A_CONTEXT, context_from_value, context_type, import_context, invalid_environment,
};
use super::framework::{Composite, Diff, Kept, violations, warnings};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::config::ProviderConfig;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::api_service::UnknownValues;
use crate::planner::job::{self as planner, EXPECTED_RUNTIME_MINUTES, JobInput, JobPlan};
use crate::planner::{Violation, naming};
use crate::schema::{Attribute, Block, Mode, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

mod cloud;

use cloud::Seen;

/// Where the configured inputs are recorded (task definition tags), so import can
/// rebuild them.
const TAG_SPEC: &str = "platform:spec";

/// What the import record holds: the configured inputs the task definition does not hold
/// as such.
const SPEC: &[Field] = &[
    field("cpu", Kind::Text),
    field("memory", Kind::Text),
    field("schedule", Kind::Text),
    field("timezone", Kind::Text),
    field("queue", Kind::Text),
    field("messages_per_task", Kind::Number),
    field("max", Kind::Number),
    field("expected_runtime_minutes", Kind::Number),
];

/// The `platform_job` resource.
pub struct JobResource {
    schema: Schema,
}

impl JobResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for JobResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "A task on ECS Fargate that runs to completion: on a `schedule` (EventBridge Scheduler with an ECS RunTask target), from a `queue`'s depth (an ECS service scaled from zero tasks by the queue's alarms), or on demand (`run_task_command`). The plan shows every child with each setting's source, and the cost from the schedule × `expected_runtime_minutes`.".into(),
            attributes: vec![
                Attribute::new("environment", context_type(), Mode::Required, "The environment's `context`: `platform_environment.<name>.context`."),
                Attribute::new("name", Type::String, Mode::Required, "Job name within the environment (DNS-safe); cloud names are `<environment>-<name>`, so a job and a service of one environment need different names. Changing it replaces the job."),
                Attribute::new("image", Type::String, Mode::Required, "Container image. A new image is a new task-definition revision, in place; the schedule or service runs it from the next run."),
                opt("command", Type::list(Type::String), "The command the container runs instead of the image's own `CMD`, one argument per element, e.g. `[\"node\", \"dist/sync-prices.js\"]`."),
                opt("cpu", Type::String, "CPU as people write it: `\"0.5\"`, `\"1 vCPU\"`, `\"1024\"` (units), checked against Fargate's table. Default 0.25 vCPU."),
                opt("memory", Type::String, "Memory as people write it: `\"512\"` (MiB), `\"1GB\"`, `\"2 GiB\"`. Default 512 MiB."),
                opt("env", Type::map(Type::String), "Plain environment variables."),
                opt("secrets", Type::map(Type::String), "Secrets by variable name, as references, never values: Secrets Manager secret or SSM parameter ARNs. The job's execution role may read exactly these."),
                opt("access", Type::list(Type::String), "What the job's code may do in AWS, as grants: IAM policy statements (JSON), like a service's `access`. They make the job's task role (`task_role`)."),
                opt("schedule", Type::String, "When the job runs, as EventBridge Scheduler takes it: `cron(minutes hours day-of-month month day-of-week year)`, `rate(<n> minutes|hours|days)` or `at(yyyy-mm-ddThh:mm:ss)`, e.g. `cron(0 2 * * ? *)` (daily at 02:00). Checked at plan time. Not with `queue`."),
                opt("timezone", Type::String, "The IANA time zone `schedule` is read in, e.g. `Europe/Dublin`. Default UTC."),
                opt("queue", Type::String, "An SQS queue's ARN: the job runs as an ECS service at zero tasks, started when messages wait and stopped once the queue has been empty (nothing visible or in flight) for five minutes. The task role may receive and delete its messages. The count follows the visible messages, so a shrinking backlog can lower it while a task still works on a message: workers should hold ECS task scale-in protection while they work (`PUT $ECS_AGENT_URI/task-protection/v1/state`), as AWS advises for queue workers. Not with `schedule`."),
                opt("messages_per_task", Type::Number, "With `queue`: one task per this many visible messages (⌈messages / messages_per_task⌉ tasks). Default 10."),
                opt("max", Type::Number, "With `queue`: the most tasks running at once, 1–50. Default 1."),
                opt("expected_runtime_minutes", Type::Number, "How long one run takes, for the cost estimate: a scheduled job costs runs per month × this × the Fargate price of its size. Default 10."),
                opt("tags", Type::map(Type::String), "Tags for every child on AWS. Precedence, lowest first: the provider's `default_tags`, the environment's tags, these, then the reserved `platform:*` and `managed-by` tags."),
                computed("id", Type::String, "`<environment>/<name>`, the import ID."),
                computed("trigger", Type::String, "What starts the task: `schedule`, `queue` or `on_demand`."),
                computed("schedule_meaning", Type::String, "What `schedule` means, in words, with its time zone, e.g. `daily at 02:00 (UTC)`; null without a schedule."),
                computed("run_task_command", Type::String, "The `aws ecs run-task` command that starts one run now (on demand, or a scheduled job out of turn), known at plan time."),
                computed("child_ids", Type::map(Type::String), "Cloud IDs of the children by expansion key: role names, the task definition revision ARN, the schedule's ARN, the service, target, policy and alarm ARNs."),
                attrs::tags_all_attribute(),
                computed("expansion", Type::list(attrs::child_type()), "The cloud resources this job expands into, with their effective settings, `sources` and monthly cost. Their tags are `tags_all`."),
                computed("estimated_monthly_cost_usd", Type::Number, "Sum of the children's monthly cost: a schedule's runs per month × `expected_runtime_minutes` × the Fargate price of the task's size (dated price table); $0 for a queue-driven job at rest and an on-demand job (their price per task-hour and per run are settings)."),
                computed("estimated_monthly_cost_cents", Type::Number, "The same estimate in whole cents, for exact totals."),
            ],
            blocks: vec![],
        },
    }
}

/// Reads the planner input from a configuration (or a state, which holds the same inputs).
fn input(v: &Value, config: &ProviderConfig) -> Result<JobInput, Diagnostics> {
    let environment = match context_from_value(get(v, "environment")) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Diagnostics::from_error(invalid_environment(NOT_A_CONTEXT))),
        Err(detail) => return Err(Diagnostics::from_error(invalid_environment(&detail))),
    };
    let mut diags = Diagnostics::new();
    let mut whole = |name: &str, range| {
        attrs::opt_int(get(v, name), AttributePath::attr(name), range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let expected_runtime_minutes = whole("expected_runtime_minutes", EXPECTED_RUNTIME_MINUTES);
    let messages_per_task = whole("messages_per_task", planner::MESSAGES_PER_TASK);
    let max = whole("max", planner::QUEUE_MAX);
    let text = |k: &str| attrs::opt_string(get(v, k));
    let (env, unknown_env) = attrs::map_with_unknowns(get(v, "env"));
    let (secrets, unknown_secrets) = attrs::map_with_unknowns(get(v, "secrets"));
    let (tags, unknown_tags) = attrs::map_with_unknowns(get(v, "tags"));
    let input = JobInput {
        environment,
        name: text("name").unwrap_or_default(),
        image: text("image"),
        command: attrs::strings(get(v, "command")),
        cpu: text("cpu"),
        memory: text("memory"),
        env,
        secrets,
        access: attrs::strings(get(v, "access")),
        tags,
        default_tags: config.default_tags.clone(),
        unknown: UnknownValues {
            env: unknown_env,
            secrets: unknown_secrets,
            tags: unknown_tags,
        },
        schedule: text("schedule"),
        timezone: text("timezone"),
        queue: text("queue"),
        messages_per_task,
        max,
        expected_runtime_minutes,
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

fn state_value(config: &Value, plan: &JobPlan, child_ids: Value) -> Value {
    let meaning = match &plan.trigger {
        planner::Trigger::Schedule(p) => s(p.description.clone()),
        _ => Value::Null,
    };
    with(
        config.clone(),
        [
            ("id", s(format!("{}/{}", plan.environment, plan.name))),
            (
                "trigger",
                s(plan
                    .settings
                    .get("trigger")
                    .cloned()
                    .unwrap_or_else(|| "on_demand".into())),
            ),
            ("schedule_meaning", meaning),
            ("run_task_command", s(plan.run_task_command.clone())),
            ("child_ids", child_ids),
            (
                "expansion",
                Value::list(
                    plan.children
                        .iter()
                        .map(|c| attrs::child_state(c, &plan.unknown_settings)),
                ),
            ),
            (
                "tags_all",
                if plan.tags_unknown {
                    Value::Unknown
                } else {
                    map_of(&plan.tags)
                },
            ),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
            (
                "estimated_monthly_cost_cents",
                attrs::cents(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

/// Writes what the cloud holds into a state.
fn observe(state: Value, seen: &Seen) -> Value {
    let expansion = attrs::observed_expansion(&state, &seen.children);
    with(
        state,
        [("expansion", expansion), ("child_ids", map_of(&seen.ids))],
    )
}

/// Whose children this apply may touch: the environment's, and while `creating` only
/// those an unfinished create left.
fn owner(plan: &JobPlan, creating: bool) -> Owner<'_> {
    Owner {
        tag: (naming::TAG_ENVIRONMENT, plan.environment.as_str()),
        creating,
        marks: true,
    }
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    super::backend_diagnostic("Job Name Already Taken", action, e)
}

#[async_trait::async_trait]
impl Composite for JobResource {
    type Input = JobInput;
    type Plan = JobPlan;
    const TYPE_NAME: &'static str = "platform_job";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::JOB_ROWS,
        }
    }

    fn plannable(&self, config: &Value) -> bool {
        attrs::known_but_map_values(config)
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<JobInput, Diagnostics> {
        input(config, &ctx.config)
    }

    fn validate(&self, input: &JobInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &JobInput) -> Result<JobPlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn notes(&self, _config: &Value, plan: &JobPlan) -> Diagnostics {
        warnings(&plan.warnings)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        // A job moving between a queue's service and a schedule changes its children's
        // kinds; the apply handles that in place. Only the name replaces.
        ["name"]
            .into_iter()
            .filter(|k| get(prior, k) != get(config, k))
            .map(AttributePath::attr)
            .collect()
    }

    /// Another environment (its name, region or cluster) gives the job other cloud names
    /// and places: the job is replaced, so the old children go with the old job.
    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &JobPlan,
        _input: &JobInput,
        plan: &JobPlan,
    ) -> Diff {
        let moved = prior_plan.cloud_name != plan.cloud_name
            || prior_plan.task.region != plan.task.region
            || prior_plan.task.cluster != plan.task.cluster;
        Diff {
            replace: if moved {
                vec![AttributePath::attr("environment")]
            } else {
                Vec::new()
            },
            diagnostics: Diagnostics::new(),
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &JobInput,
        plan: &JobPlan,
        kept: Option<Kept<'_, JobPlan>>,
    ) -> Value {
        let mut child_ids = Value::Unknown;
        if let Some(Kept {
            state: prior,
            plan: Some(_),
        }) = kept
        {
            let planned = state_value(config, plan, Value::Null);
            if get(&planned, "expansion") == get(prior, "expansion") {
                child_ids = get(prior, "child_ids").clone();
            }
        }
        state_value(config, plan, child_ids)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        input: &JobInput,
        plan: &JobPlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let creating = prior.is_null();
        let before = self
            .replan(&prior, ctx)
            .map(|(i, p)| cloud::desired(&i, &p, &prior));
        let desired = cloud::desired(input, plan, config);
        let applied = cloud::apply(&desired, before.as_ref(), owner(plan, creating), ctx)
            .await
            .map_err(|e| {
                ownership::with_import(
                    e,
                    "platform_job",
                    &format!("{}/{}", plan.environment, plan.name),
                )
            });
        if let Err(e) = applied {
            if matches!(e, BackendError::Conflict(_) | BackendError::Taken(_)) {
                return (
                    prior,
                    Diagnostics::from_error(diagnostic("Apply The Job", e)),
                );
            }
            if !creating {
                // The prior state still names what the last apply made (the trigger this
                // update replaces, a role it drops): kept, so the next apply, planned from
                // it again, finishes the change and leaves nothing behind.
                let mut d = diagnostic("Apply The Job", e);
                d.detail.push_str(" The state keeps the job as it was before this apply; the next apply makes the change again and finishes it.");
                return (prior, Diagnostics::from_error(d));
            }
            let mut d = diagnostic("Apply The Job", e);
            d.detail.push_str(" The state records the children that exist. Terraform marks a job whose create failed as tainted, so the next apply replaces it; run `terraform untaint <address>` first to have it finish this create instead.");
            diags.push(d);
        }
        let planned = state_value(config, plan, Value::Null);
        let seen = if diags.has_errors() {
            let desired = &desired;
            super::read_back(
                ctx,
                |fresh| async move { cloud::read(desired, &fresh).await },
            )
            .await
        } else {
            cloud::read(&desired, ctx).await
        };
        match seen {
            Ok(seen) if seen.any() || !diags.has_errors() => (observe(planned, &seen), diags),
            Ok(_) => (prior, diags),
            Err(e) => {
                let mut d = diagnostic("Read The Job", e);
                if creating {
                    d.detail.push_str(" The children could not be read back, so the state records none; they are still marked as being created, and the next apply adopts them.");
                }
                diags.push(d);
                (prior, diags)
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((i, p)) = self.replan(&prior, ctx) else {
            return (
                prior,
                Diagnostics::from_error(Diagnostic::error(
                    "Unreadable State",
                    "The stored state of this job cannot be planned; fix the state or remove it with `terraform state rm`.",
                )),
            );
        };
        match cloud::delete(&cloud::desired(&i, &p, &prior), ctx).await {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Job", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((i, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match cloud::read(&cloud::desired(&i, &plan, &state), ctx).await {
            Ok(seen) if !seen.any() => {
                tracing::info!(job = %plan.cloud_name, "job is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(seen) => (observe(state, &seen), Diagnostics::new()),
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Job", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let fail = |summary: &str, detail: String| {
            (
                None,
                Diagnostics::from_error(Diagnostic::error(summary, detail)),
            )
        };
        let Some((env, name)) = id.trim().split_once('/') else {
            return fail(
                "Invalid Import ID",
                format!("`{id}` is not `<environment>/<job>`. Write it like `prod/pricing-sync`."),
            );
        };
        let context = match import_context(env, ctx).await {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let region = context_from_value(&context)
            .ok()
            .flatten()
            .map(|c| c.region)
            .unwrap_or_default();
        let cloud_name = naming::child_name(env, name);
        let record = match cloud::record(env, &cloud_name, &region, ctx).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return fail(
                    "Job Not Found",
                    format!(
                        "There is no job `{cloud_name}` (no task definition family of that name made by terraform-provider-platform, with the credentials configured). Check the import ID (`<environment>/<job>`)."
                    ),
                );
            }
            Err(e) => {
                return (None, Diagnostics::from_error(diagnostic("Read The Job", e)));
            }
        };
        let env_ctx = context_from_value(&context).ok().flatten();
        let mut fields = vec![
            ("environment", context.clone()),
            ("name", s(name)),
            ("image", s(record.image.clone())),
            (
                "command",
                if record.command.is_empty() {
                    Value::Null
                } else {
                    attrs::string_list(&record.command)
                },
            ),
            (
                "env",
                if record.env.is_empty() {
                    Value::Null
                } else {
                    map_of(&record.env)
                },
            ),
            (
                "secrets",
                if record.secrets.is_empty() {
                    Value::Null
                } else {
                    map_of(&record.secrets)
                },
            ),
            (
                "access",
                if record.access.is_empty() {
                    Value::Null
                } else {
                    attrs::string_list(&record.access)
                },
            ),
        ];
        fields.extend(spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &record.tags)));
        let inherited: Vec<&BTreeMap<String, String>> = env_ctx
            .as_ref()
            .map(|c| &c.tags)
            .into_iter()
            .chain([&ctx.config.default_tags])
            .collect();
        fields.push(("tags", attrs::configured_tags(&record.tags, &inherited)));
        let config = Value::object(fields);
        let (i, plan) = match input(&config, &ctx.config).map(|i| {
            let p = planner::plan(&i);
            (i, p)
        }) {
            Ok((i, Ok(p))) => (i, p),
            Ok((_, Err(v))) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        match cloud::read(&cloud::desired(&i, &plan, &config), ctx).await {
            Ok(seen) => (
                Some(observe(state_value(&config, &plan, Value::Null), &seen)),
                Diagnostics::new(),
            ),
            Err(e) => (None, Diagnostics::from_error(diagnostic("Read The Job", e))),
        }
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
Every job has the task a Fargate worker service would have: an IAM execution role (`execution_role`) allowing exactly the image pull, writing to the job's log group and reading its `secrets`; with `access` (or `queue`), a task role (`task_role`); a CloudWatch Logs group `/platform/<environment>/<name>` (`log_group`) and an ECS task definition (`ecs_task_definition`). Then, by what starts it:

- **`schedule`**: an IAM role EventBridge Scheduler assumes (`scheduler_role`: `ecs:RunTask` on the job's family in the environment's cluster, `iam:PassRole` of the job's roles to ECS) and the schedule (`schedule`) with an ECS RunTask target, no flexible window and no retries of a failed run.
- **`queue`**: an ECS service at zero tasks (`ecs_service`), a scalable target from 0 to `max` (`autoscaling_target`), a step policy setting ⌈visible messages / `messages_per_task`⌉ tasks (`scale_out_policy`) invoked by an alarm on the queue's visible messages (`queue_depth_alarm`), and a policy back to zero (`scale_in_policy`) invoked once nothing has been visible or in flight for five minutes (`queue_idle_alarm`).
- **neither**: nothing more; `run_task_command` starts a run.

Cloud names are `<environment>-<name>`, so the whole expansion is known at plan time.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }

    #[test]
    fn the_record_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("cpu", s("1")),
            ("memory", s("2GB")),
            ("schedule", s("cron(0 2 * * ? *)")),
            ("timezone", s("Europe/Dublin")),
            ("expected_runtime_minutes", attrs::int(15)),
        ]);
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
            .into_iter()
            .collect();
        assert_eq!(back["schedule"], s("cron(0 2 * * ? *)"));
        assert_eq!(back["timezone"], s("Europe/Dublin"));
        assert_eq!(back["cpu"], s("1"));
        assert_eq!(back["expected_runtime_minutes"], attrs::int(15));
        assert_eq!(back["queue"], Value::Null);
    }
}
