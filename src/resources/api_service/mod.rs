//! `platform_api_service`: one service, placed by the hosting matrix on ECS Fargate, Fly.io
//! Machines or Cloudflare Workers, and expanded into that host's children. The planner
//! (`planner::api_service`) decides everything; this module converts values, calls the
//! host's backend to make the children match the plan, and reads them back so that
//! out-of-band changes show in the next plan as that child's change. Here: schema, inputs,
//! state, dispatch by host, the resource and import; one file per host (`fargate`, `fly`,
//! `workers`: apply, read, delete), the spec record and observation in `state`, and
//! unknown map values at plan time in `unknowns`.
use super::attrs::{self, get, map_of, s, with};
use super::environment_context::{
    NOT_A_CONTEXT, context_from_value, context_type, import_context, invalid_environment,
};
use super::framework::{Composite, Diff, Kept};
use super::spec;
use crate::backends::aws::autoscaling::{self, DesiredPolicy, DesiredTarget};
use crate::backends::aws::ecs_service::{self, DesiredService, Network};
use crate::backends::aws::log_group::{self, DesiredLogGroup};
use crate::backends::aws::task_definition::{
    self, Container, DesiredTaskDefinition, HealthCheck, LogConfig,
};
use crate::backends::cloudflare::{Cloudflare, ScriptUpload};
use crate::backends::fly::{Fly, Guest, HttpCheck, MachineSpec};
use crate::backends::ownership::{self, Owner};
use crate::backends::{BackendError, cancellable};
use crate::config::ProviderConfig;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::api_service::{
    self as planner, DeploymentInput, FargatePlan, FlyMachinePlan, FlyPlan, HealthCheckInput,
    HostPlan, RequirementsInput, ScalingInput, ServiceInput, ServicePlan, UnknownValues,
    WorkersRoutePlan, ingress::ServiceIngressInput,
};
use crate::planner::placement::Host;
use crate::planner::{Violation, naming};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

mod fargate;
mod fly;
mod ingress;
mod state;
#[cfg(test)]
mod unknowns;
mod workers;

use fargate::*;
use fly::*;
use state::*;
use workers::*;

/// Where the configured inputs are recorded on the cloud side, so import can rebuild
/// them: ECS service tags (chunked), Fly machine metadata, a Worker plain-text binding.
const TAG_SPEC: &str = "platform:spec";
/// Fly machine metadata key of the same record.
const FLY_SPEC: &str = "platform_spec";
/// Fly machine metadata key naming the service a machine belongs to.
const FLY_SERVICE: &str = "platform_service";
/// The Worker binding that carries the record (plain text, visible to the script).
const WORKER_SPEC_BINDING: &str = "PLATFORM_SPEC";

/// The `platform_api_service` resource.
pub struct ApiServiceResource {
    schema: Schema,
}

impl ApiServiceResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for ApiServiceResource {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn block(name: &str, description: &str, attributes: Vec<Attribute>) -> NestedBlock {
    NestedBlock {
        repeated: false,
        name: name.into(),
        block: Block {
            description: description.into(),
            attributes,
            blocks: vec![],
        },
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "An API service placed by the hosting matrix on ECS Fargate, Fly.io Machines or Cloudflare Workers (`host = \"auto\"`), or on the host you name. The plan shows the resolved host, why, every child it expands into with each setting's source, and the monthly cost.".into(),
            attributes: vec![
                Attribute::new("environment", context_type(), Mode::Required, "The environment's `context`: `platform_environment.<name>.context`."),
                Attribute::new("name", Type::String, Mode::Required, "Service name within the environment (DNS-safe); cloud names are `<environment>-<name>`. Changing it replaces the service."),
                opt("host", Type::String, "`auto` (default: placed by `requirements`), `aws_fargate`, `fly` or `cloudflare_workers`. A host that cannot meet the requirements is a plan-time error; changing host replaces the service."),
                opt("image", Type::String, "Container image (Fargate, Fly.io). A new image is a new task-definition revision or a machine update, in place."),
                opt("script", Type::String, "Workers ES module source, e.g. `file(\"worker.js\")` (Cloudflare Workers)."),
                opt("port", Type::Number, "Port the service listens on for HTTP. Without it and without `health_check` the service is a worker: no port mapping, no Fly.io service or public ports, and no `url`. With a `health_check` and no `port`, 8080."),
                opt("cpu", Type::String, "CPU as people write it: `\"0.5\"`, `\"1 vCPU\"`, `\"1024\"` (units). Fargate sizes are checked against Fargate's table; Fly.io takes whole CPUs."),
                opt("memory", Type::String, "Memory as people write it: `\"512\"` (MiB), `\"1GB\"`, `\"2 GiB\"`. Checked against the host's limits."),
                opt("env", Type::map(Type::String), "Plain environment variables."),
                opt("secrets", Type::map(Type::String), "Secrets by variable name, as references, never values: a Secrets Manager or SSM parameter ARN (Fargate), or `secret://NAME` for a secret already set on the Fly app or Worker (`fly secrets set`, `wrangler secret put`)."),
                opt("regions", Type::list(Type::String), "Fly.io region codes for active-active (`[\"iad\", \"ams\"]`); several regions place an `auto` service on Fly.io. Default: the environment's region, or the Fly.io region nearest to it."),
                opt("execution_role_arn", Type::String, "Fargate: an IAM role of your own for ECS to pull the image, read `secrets` and write logs with. Without it the service gets its own execution role (`execution_role` in `expansion`), whose one inline policy allows exactly that: pulling this image from its ECR repository (nothing when the image is elsewhere), writing to this service's log group, and reading the Secrets Manager secrets and SSM parameters in `secrets` (with `kms:Decrypt` through those services)."),
                opt("task_role_arn", Type::String, "Fargate: an IAM role of your own for the service's code to run as. Or use `access`."),
                opt("access", Type::list(Type::String), "Fargate: what the service's code may do in AWS, as grants: IAM policy statements (JSON objects with `Effect`, `Action`, `Resource`), such as the `grants` the data resources export, or `jsonencode({ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"arn:aws:s3:::uploads/*\" })`. The service gets a task role (`task_role` in `expansion`) whose one inline policy is exactly these statements. Not with `task_role_arn`."),
                opt("tags", Type::map(Type::String), "Tags for every child on AWS (task definition, service, log group, autoscaling target). Precedence, lowest first: the provider's `default_tags`, the environment's tags, these, then the reserved `platform:*` and `managed-by` tags. On Fly.io the Machines carry them as metadata; Fly apps and Cloudflare Workers have no tags, so for those they show only in the plan."),
                computed("id", Type::String, "`<environment>/<name>`, the import ID."),
                computed("resolved_host", Type::String, "Where the service runs: `aws_fargate`, `fly` or `cloudflare_workers`."),
                computed("placement_reason", Type::String, "Why it runs there, in one line."),
                computed("url", Type::String, "Where the service answers: `https://<app>.fly.dev`, the Worker's route or workers.dev URL; null on Fargate (no load balancer is part of the service)."),
                computed("child_ids", Type::map(Type::String), "Cloud IDs of the children by expansion key: the execution role's name, task definition and service ARNs, scalable target, policy ARN, Fly machine IDs, Worker script and route IDs."),
                attrs::tags_all_attribute(),
                computed("expansion", Type::list(attrs::child_type()), "The cloud resources this service expands into, with their effective settings, `sources` (each source and the settings it decided) and monthly cost. Their tags are `tags_all`."),
                computed("estimated_monthly_cost_usd", Type::Number, "Sum of the children's monthly cost from the dated price tables: Fargate vCPU and GB hours × minimum tasks, Fly.io machines, the Workers Paid plan base."),
                computed("estimated_monthly_cost_cents", Type::Number, "The same estimate in whole cents. Sum these to total a stack exactly: `sum([a.estimated_monthly_cost_cents, b.estimated_monthly_cost_cents]) / 100` prints exact cents, where adding dollar amounts in Terraform shows binary rounding noise."),
            ],
            blocks: vec![
                block("scaling", "Instance counts; every field overrides the environment's policy.", vec![
                    opt("min", Type::Number, "Minimum instances: Fargate tasks, or Fly.io machines per region. Default: the tier's (1 / 1 / 2)."),
                    opt("max", Type::Number, "Maximum Fargate tasks for autoscaling. Default: the tier's (2 / 4 / 10)."),
                    opt("target_cpu_percent", Type::Number, "Average CPU that Fargate autoscaling aims for. Default 70."),
                ]),
                block("health_check", "HTTP health check: an ECS container check (the image needs `curl`) or a Fly.io machine check.", vec![
                    Attribute::new("path", Type::String, Mode::Required, "Path to probe, starting with `/`."),
                    opt("interval_seconds", Type::Number, "Seconds between probes. Default 30."),
                ]),
                block("ingress", "Fargate: the service behind its environment's shared load balancer (the environment needs an `ingress` block): a target group of its tasks probed on `health_check`, a rule on the HTTPS listener for its hostname, the tasks' security group admitting the load balancer's on `port`, and an alias record when the environment has a hosted zone. `url` is then `https://<hostname>`, known at plan time.", vec![
                    opt("hostname", Type::String, "The hostname it answers, under the environment's `ingress.domain`. Default `<name>.<domain>`."),
                    opt("path", Type::String, "A path pattern the rule also matches, e.g. `/api/*`. Default: every path."),
                    opt("public", Type::Bool, "Reachable from the internet. Default `true`; `false` (an internal load balancer) is not available yet and is refused at plan time."),
                ]),
                block("deployment", "Fargate: how ECS rolls out a new revision.", vec![
                    opt("circuit_breaker", Type::Bool, "Stop a deployment whose tasks keep failing to start or stay healthy (ECS's deployment circuit breaker). Default: the tier's (off / on / on)."),
                    opt("rollback", Type::Bool, "Roll a deployment the circuit breaker stopped back to the last one that worked. Default: the same as `circuit_breaker`; `true` needs the circuit breaker."),
                    opt("wait_for_steady_state", Type::Bool, "Make the apply wait until the service runs the new revision with all its tasks (the deployment completed, no older one left), and fail, naming what it saw, when the circuit breaker stops or rolls the deployment back or `timeout_minutes` pass. Ctrl-C stops the wait. Default `false`: the apply ends once ECS accepted the deployment."),
                    opt("timeout_minutes", Type::Number, "How long `wait_for_steady_state` waits, 1–180 minutes. Default 15."),
                    opt("image_source", Type::String, "`config` (default): the task definition runs `image`, and an image deployed out of band shows as drift and is put back. `external`: CI deploys images (a new task definition revision, the service moved to it); the plan shows the running image with source `external` and leaves it alone, and `image` is only the first one. Other task settings changed here still apply, on a revision with the running image."),
                ]),
                block("requirements", "What the service needs; with `host = \"auto\"` these choose the host (see `platform_hosting_matrix`).", vec![
                    opt("long_lived_connections", Type::Bool, "Holds WebSockets or streams open (rules out Workers)."),
                    opt("private_network_access", Type::Bool, "Reaches private AWS resources such as RDS in the VPC (places on Fargate)."),
                    opt("cpu_ms_per_request", Type::Number, "CPU time one request uses, ms (heavy CPU places on Fargate)."),
                    opt("memory_mb", Type::Number, "Memory the service needs, MB (Workers have 128 MB)."),
                    opt("background_work", Type::Bool, "Does background work, not only requests (places on Fargate)."),
                ]),
            ],
        },
    }
}

// ---------------------------------------------------------------------------------------
// Config → planner input
// ---------------------------------------------------------------------------------------

/// Reads the planner input from a configuration (or a state, which holds the same inputs).
fn input(v: &Value, config: &ProviderConfig) -> Result<ServiceInput, Diagnostics> {
    use crate::planner::api_service::{CPU_MS_PER_REQUEST, REQUIREMENT_MEMORY_MB};
    use crate::planner::limits::{self, IntRange};
    let environment = match context_from_value(get(v, "environment")) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Diagnostics::from_error(invalid_environment(NOT_A_CONTEXT))),
        Err(detail) => return Err(Diagnostics::from_error(invalid_environment(&detail))),
    };
    let mut diags = Diagnostics::new();
    let mut whole = |v: &Value, path: AttributePath, range: IntRange| {
        attrs::opt_int(v, path, range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let text = |k: &str| attrs::opt_string(get(v, k));
    let sc = get(v, "scaling");
    let sp = |k: &str| AttributePath::attr("scaling").then_attr(k);
    let scaling = ScalingInput {
        min: whole(get(sc, "min"), sp("min"), limits::MIN_INSTANCES),
        max: whole(get(sc, "max"), sp("max"), limits::MAX_INSTANCES),
        target_cpu_percent: whole(
            get(sc, "target_cpu_percent"),
            sp("target_cpu_percent"),
            limits::TARGET_CPU_PERCENT,
        ),
    };
    let hc = get(v, "health_check");
    let health_check = (!hc.is_null()).then(|| HealthCheckInput {
        path: attrs::opt_string(get(hc, "path")).unwrap_or_default(),
        interval_seconds: whole(
            get(hc, "interval_seconds"),
            AttributePath::attr("health_check").then_attr("interval_seconds"),
            limits::HEALTH_CHECK_INTERVAL_SECONDS,
        ),
    });
    let rq = get(v, "requirements");
    let rp = |k: &str| AttributePath::attr("requirements").then_attr(k);
    let requirements = RequirementsInput {
        long_lived_connections: get(rq, "long_lived_connections").as_bool(),
        private_network_access: get(rq, "private_network_access").as_bool(),
        cpu_ms_per_request: whole(
            get(rq, "cpu_ms_per_request"),
            rp("cpu_ms_per_request"),
            CPU_MS_PER_REQUEST,
        ),
        memory_mb: whole(get(rq, "memory_mb"), rp("memory_mb"), REQUIREMENT_MEMORY_MB),
        background_work: get(rq, "background_work").as_bool(),
    };
    let port = whole(get(v, "port"), AttributePath::attr("port"), limits::PORT);
    let (env, unknown_env) = attrs::map_with_unknowns(get(v, "env"));
    let (secrets, unknown_secrets) = attrs::map_with_unknowns(get(v, "secrets"));
    let (tags, unknown_tags) = attrs::map_with_unknowns(get(v, "tags"));
    let input = ServiceInput {
        environment,
        name: text("name").unwrap_or_default(),
        host: text("host").unwrap_or_else(|| "auto".into()),
        image: text("image"),
        script: text("script"),
        port,
        cpu: text("cpu"),
        memory: text("memory"),
        scaling,
        health_check,
        env,
        secrets,
        regions: attrs::strings(get(v, "regions")),
        requirements,
        tags,
        default_tags: config.default_tags.clone(),
        fly_org: config.fly.org_slug.clone(),
        cloudflare_zone: config.cloudflare.zone_name.clone(),
        unknown: UnknownValues {
            env: unknown_env,
            secrets: unknown_secrets,
            tags: unknown_tags,
        },
        execution_role_arn: text("execution_role_arn"),
        access: attrs::strings(get(v, "access")),
        task_role_arn: text("task_role_arn"),
        deployment: DeploymentInput {
            circuit_breaker: get(get(v, "deployment"), "circuit_breaker").as_bool(),
            rollback: get(get(v, "deployment"), "rollback").as_bool(),
            wait_for_steady_state: get(get(v, "deployment"), "wait_for_steady_state").as_bool(),
            timeout_minutes: whole(
                get(get(v, "deployment"), "timeout_minutes"),
                AttributePath::attr("deployment").then_attr("timeout_minutes"),
                limits::DEPLOYMENT_TIMEOUT_MINUTES,
            ),
            image_source: attrs::opt_string(get(get(v, "deployment"), "image_source")),
            deployed_image: deployed_image(v),
        },
        ingress: {
            let ing = get(v, "ingress");
            (!ing.is_null()).then(|| ServiceIngressInput {
                hostname: attrs::opt_string(get(ing, "hostname")),
                path: attrs::opt_string(get(ing, "path")),
                public: attrs::opt_bool(get(ing, "public")),
            })
        },
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

use super::framework::{violations, warnings};

/// The image the state last read from the task definition (a proposed plan carries the
/// prior state's `expansion`): what `image_source = "external"` keeps.
fn deployed_image(v: &Value) -> Option<String> {
    let Value::List(children) = get(v, "expansion") else {
        return None;
    };
    children
        .iter()
        .find(|c| get(c, "key").as_str() == Some("ecs_task_definition"))
        .and_then(|c| get(get(c, "settings"), "container.image").as_str())
        .filter(|image| !image.is_empty())
        .map(str::to_string)
}

// ---------------------------------------------------------------------------------------
// Planner output → state
// ---------------------------------------------------------------------------------------

fn state_value(config: &Value, plan: &ServicePlan, url: Value, child_ids: Value) -> Value {
    with(
        config.clone(),
        [
            ("id", s(format!("{}/{}", plan.environment, plan.name))),
            ("resolved_host", s(plan.placement.host.as_str())),
            ("placement_reason", s(plan.placement.reason.clone())),
            ("url", url),
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

/// The URL as the plan knows it: the planner's, null on Fargate, unknown until the
/// account's workers.dev subdomain is read at apply.
fn planned_url(plan: &ServicePlan) -> Value {
    match (&plan.url, &plan.host_plan) {
        (Some(u), _) => s(u.clone()),
        // Fargate has no load balancer of its own; a worker on Fly.io answers nowhere.
        (None, HostPlan::Fargate(_)) => Value::Null,
        (None, HostPlan::Fly(p)) if p.port.is_none() => Value::Null,
        (None, _) => Value::Unknown,
    }
}

/// Whose children this apply may touch: the environment's, and while `creating` only
/// those an unfinished create left.
fn owner(plan: &ServicePlan, creating: bool) -> Owner<'_> {
    Owner {
        tag: (naming::TAG_ENVIRONMENT, plan.environment.as_str()),
        creating,
        marks: true,
    }
}

// ---------------------------------------------------------------------------------------
// Dispatch by host
// ---------------------------------------------------------------------------------------

/// Makes the host's children match the plan. `creating` is true while the service is not
/// in state: then only children an unfinished create left are adopted (see
/// `backends::ownership`), and they are marked finished once all exist.
async fn apply_children(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
    creating: bool,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let owner = owner(plan, creating);
    let result = match plan.placement.host {
        Host::AwsFargate => apply_fargate(&fargate_desired(input, plan, config), owner, ctx).await,
        Host::Fly => apply_fly(input, plan, config, owner, ctx).await,
        Host::CloudflareWorkers => apply_workers(input, plan, config, owner, ctx).await,
    };
    result.map_err(|e| {
        ownership::with_import(
            e,
            "platform_api_service",
            &format!("{}/{}", plan.environment, input.name),
        )
    })
}

async fn read_children(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
    ctx: &CallContext,
) -> Result<Seen, BackendError> {
    match plan.placement.host {
        Host::AwsFargate => {
            let recorded = get(config, "child_ids")
                .get("ecs_task_definition")
                .and_then(Value::as_str);
            read_fargate(&fargate_desired(input, plan, config), recorded, ctx).await
        }
        Host::Fly => read_fly(plan, ctx).await,
        Host::CloudflareWorkers => read_workers(plan, ctx).await,
    }
}

async fn delete_children(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    match plan.placement.host {
        Host::AwsFargate => delete_fargate(&fargate_desired(input, plan, config), ctx).await,
        Host::Fly => delete_fly(plan, ctx).await,
        Host::CloudflareWorkers => delete_workers(plan, ctx).await,
    }
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    super::backend_diagnostic("Service Name Already Taken", action, e)
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

#[async_trait::async_trait]
impl Composite for ApiServiceResource {
    type Input = ServiceInput;
    type Plan = ServicePlan;
    const TYPE_NAME: &'static str = "platform_api_service";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn upgrade(
        &self,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        crate::resources::upgrade::upgrade(Self::TYPE_NAME, from_version, state, "environment")
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::SERVICE_ROWS,
        }
    }

    /// Unknown `env`, `secrets` or `tags` values plan: the planner derives what they feed.
    fn plannable(&self, config: &Value) -> bool {
        attrs::known_but_map_values(config)
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<ServiceInput, Diagnostics> {
        input(config, &ctx.config)
    }

    fn decode_for_plan(
        &self,
        config: &Value,
        prior: &Value,
        ctx: &CallContext,
    ) -> Result<ServiceInput, Diagnostics> {
        let mut input = input(config, &ctx.config)?;
        input.deployment.deployed_image = deployed_image(prior);
        Ok(input)
    }

    fn validate(&self, input: &ServiceInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &ServiceInput) -> Result<ServicePlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn notes(&self, _config: &Value, plan: &ServicePlan) -> Diagnostics {
        warnings(&plan.warnings)
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &ServicePlan,
        _input: &ServiceInput,
        plan: &ServicePlan,
    ) -> Diff {
        let changes = planner::changes(prior_plan, plan);
        let worker = planner::becomes_worker(prior_plan, plan);
        Diff {
            replace: changes.replace.iter().map(|(p, _)| p.clone()).collect(),
            diagnostics: warnings(worker.as_slice()),
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &ServiceInput,
        plan: &ServicePlan,
        kept: Option<Kept<'_, ServicePlan>>,
    ) -> Value {
        let mut url = planned_url(plan);
        let mut child_ids = Value::Unknown;
        // Only a prior state that still plans carries its values over.
        if let Some(Kept {
            state: prior,
            plan: Some(_),
        }) = kept
        {
            if url.is_unknown() && !get(prior, "url").is_null() {
                url = get(prior, "url").clone();
            }
            // IDs stay known only when no child changes (a new revision is a new ARN).
            let planned = state_value(config, plan, Value::Null, Value::Null);
            if get(&planned, "expansion") == get(prior, "expansion") {
                child_ids = get(prior, "child_ids").clone();
            }
        }
        state_value(config, plan, url, child_ids)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        input: &ServiceInput,
        plan: &ServicePlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let mut diags = Diagnostics::new();
        let creating = prior.is_null();
        let applied = match apply_children(input, plan, config, creating, ctx).await {
            // A role the prior plan had and this one does not (`access` removed, an
            // `execution_role_arn` of the configuration's own) goes once nothing runs with it.
            Ok(()) => fargate::delete_dropped_roles(&prior, plan, ctx).await,
            Err(e) => Err(e),
        };
        // The place on the load balancer the prior plan had and this one does not (the
        // `ingress` block removed, another hostname), once the service has left it.
        let applied = match (applied, self.replan(&prior, ctx)) {
            (Ok(()), Some((before_input, before_plan)))
                if before_plan.placement.host == Host::AwsFargate
                    && plan.placement.host == Host::AwsFargate =>
            {
                let before = fargate_desired(&before_input, &before_plan, &prior);
                let now = fargate_desired(input, plan, config);
                ingress::leave_dropped(
                    before.ingress.as_ref(),
                    now.ingress.as_ref(),
                    &now.region,
                    ctx,
                )
                .await
            }
            (other, _) => other,
        };
        if let Err(e) = applied {
            if matches!(e, BackendError::Conflict(_) | BackendError::Taken(_)) {
                // What is there belongs to someone else: nothing of it enters the state.
                return (
                    prior,
                    Diagnostics::from_error(diagnostic("Apply The Service", e)),
                );
            }
            let mut d = diagnostic("Apply The Service", e);
            d.detail.push_str(if creating {
                " The state records the children that exist. Terraform marks a service whose create failed as tainted, so the next apply replaces it; run `terraform untaint <address>` first to have it finish this create instead."
            } else {
                " The state records the children that exist; the next apply creates or updates the rest."
            });
            diags.push(d);
        }
        // The state is what exists now, read back the way Read does — also after a cancel,
        // when the call's own token no longer allows calls.
        let planned = state_value(config, plan, planned_url(plan), Value::Null);
        let seen = if diags.has_errors() {
            super::read_back(ctx, |fresh| async move {
                read_children(input, plan, config, &fresh).await
            })
            .await
        } else {
            read_children(input, plan, config, ctx).await
        };
        match seen {
            Ok(seen) if seen.any() || !diags.has_errors() => {
                (observe(planned, &seen, plan.placement.host), diags)
            }
            // Nothing was created: no state, so nothing is lost and nothing is claimed.
            Ok(_) => (prior, diags),
            Err(e) => {
                let mut d = diagnostic("Read The Service", e);
                if creating {
                    // What exists is unknown: nothing is claimed, and the next apply adopts
                    // what this one made (it is still marked as being created).
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
                    "The stored state of this service cannot be planned; fix the state or remove it with `terraform state rm`.",
                )),
            );
        };
        match delete_children(&i, &p, &prior, ctx).await {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Service", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((i, plan)) = self.replan(&state, ctx) else {
            // A state this version cannot plan is kept as is rather than dropped.
            return (state, Diagnostics::new());
        };
        match read_children(&i, &plan, &state, ctx).await {
            Ok(seen) if !seen.any() => {
                tracing::info!(service = %plan.cloud_name, "service is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(seen) => (
                observe(state, &seen, plan.placement.host),
                Diagnostics::new(),
            ),
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Service", e)),
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
                format!(
                    "`{id}` is not `<environment>/<service>`. Write it like `prod/scoring-api`."
                ),
            );
        };
        let context = match import_context(env, ctx).await {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        // The host is not in the ID: look on each, Fargate first (it needs no tokens).
        let mut last_error = None;
        for host in [Host::AwsFargate, Host::Fly, Host::CloudflareWorkers] {
            let probe = Value::object([
                ("environment", context.clone()),
                ("name", s(name)),
                ("host", s(host.as_str())),
                (
                    match host {
                        Host::CloudflareWorkers => "script",
                        _ => "image",
                    },
                    s("import"),
                ),
            ]);
            let Some((i, plan)) = self.replan(&probe, ctx) else {
                continue;
            };
            let seen = match read_children(&i, &plan, &probe, ctx).await {
                Ok(seen) => seen,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            if !seen.exists(&plan) {
                continue;
            }
            return import_state(name, context, host, &seen, ctx).await;
        }
        match last_error {
            Some(e)
                if !matches!(
                    e,
                    BackendError::Config { .. }
                        | BackendError::Api {
                            operation: "configure",
                            ..
                        }
                ) =>
            {
                (
                    None,
                    Diagnostics::from_error(diagnostic("Read The Service", e)),
                )
            }
            _ => fail(
                "Service Not Found",
                format!(
                    "There is no service `{}` on ECS Fargate, Fly.io or Cloudflare Workers (with the credentials configured). Check the import ID (`<environment>/<service>`).",
                    naming::child_name(env, name)
                ),
            ),
        }
    }
}

/// Builds the imported state from what the host holds and the recorded spec.
async fn import_state(
    name: &str,
    context: Value,
    host: Host,
    seen: &Seen,
    ctx: &CallContext,
) -> (Option<Value>, Diagnostics) {
    let env_ctx = context_from_value(&context).ok().flatten();
    let mut fields = vec![
        ("environment", context.clone()),
        ("name", s(name)),
        (
            "env",
            if seen.env.is_empty() {
                Value::Null
            } else {
                map_of(&seen.env)
            },
        ),
    ];
    fields.extend(spec::decode(SPEC, &seen.spec));
    if host == Host::AwsFargate {
        // `access` is not in the record (a tag cannot hold JSON): the task role's policy
        // holds it, one grant per statement.
        let role = crate::planner::api_service::iam::task_role_name(&naming::child_name(
            env_ctx.as_ref().map_or("", |c| c.name.as_str()),
            name,
        ));
        let region = env_ctx.as_ref().map_or("", |c| c.region.as_str());
        match fargate::task_role_grants(&role, region, ctx).await {
            Ok(grants) if !grants.is_empty() => {
                fields.push(("access", attrs::string_list(&grants)));
            }
            Ok(_) => {}
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(diagnostic("Read The Task Role", e)),
                );
            }
        }
    }
    match host {
        Host::CloudflareWorkers => {
            fields.push((
                "script",
                seen.artefact.clone().map(s).unwrap_or(Value::Null),
            ));
            fields.push(("image", Value::Null));
        }
        _ => {
            fields.push(("image", seen.artefact.clone().map(s).unwrap_or(Value::Null)));
            fields.push(("script", Value::Null));
        }
    }
    // Fly machine metadata also holds the service's own keys beside the tags.
    let mut found = seen.tags.clone();
    found.retain(|k, _| k != FLY_SERVICE && k != FLY_SPEC);
    let inherited = env_ctx.as_ref().map(|c| &c.tags);
    let inherited: Vec<&BTreeMap<String, String>> = inherited
        .into_iter()
        .chain([&ctx.config.default_tags])
        .collect();
    fields.push((
        "tags",
        // Workers take no tags, so the cloud cannot tell a Worker's configured tags.
        if host == Host::CloudflareWorkers {
            Value::Null
        } else {
            attrs::configured_tags(&found, &inherited)
        },
    ));
    let config = Value::object(fields);
    let (i, plan) = match input(&config, &ctx.config).map(|i| {
        let p = planner::plan(&i);
        (i, p)
    }) {
        Ok((i, Ok(p))) => (i, p),
        Ok((_, Err(v))) => return (None, violations(v)),
        Err(d) => return (None, d),
    };
    // Read again with the real plan: the probe knew neither regions nor counts.
    let seen = match read_children(&i, &plan, &config, ctx).await {
        Ok(seen) => seen,
        Err(e) => {
            return (
                None,
                Diagnostics::from_error(diagnostic("Read The Service", e)),
            );
        }
    };
    let state = observe(
        state_value(&config, &plan, planned_url(&plan), Value::Null),
        &seen,
        plan.placement.host,
    );
    (Some(state), Diagnostics::new())
}

/// What the page says it expands into.
const EXPANSION: &str = "\
The children depend on the host the service is placed on (`resolved_host`, with the reason in `placement_reason`):

- **`aws_fargate`**: unless `execution_role_arn` is set, an IAM execution role (`execution_role`) whose one inline policy allows exactly the image pull (from the image's ECR repository; nothing for other registries), writing to the service's log group and reading the secrets it references; with `access`, a task role (`task_role`) whose policy is exactly those grants; a CloudWatch Logs group `/platform/<environment>/<name>` with the environment's log retention (`log_group`; logs are priced by use, so the plan shows no cost for it), an ECS task definition logging to it (`ecs_task_definition`), an ECS service in the environment's cluster (`ecs_service`), an Application Auto Scaling target between `scaling.min` and `scaling.max` (`autoscaling_target`) and a target-tracking policy on average CPU (`autoscaling_policy`).
- **`fly`**: a Fly.io app (`fly_app`) and one machine per region × `scaling.min` (`fly_machine_<region>_<n>`).
- **`cloudflare_workers`**: a Worker script (`worker_script`) and either a route `<environment>-<name>.<zone>/*` on the configured zone (`worker_route`) or the workers.dev subdomain (`workers_dev_subdomain`).

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
}
