//! `platform_api_service`: one service, placed by the hosting matrix on ECS Fargate, Fly.io
//! Machines or Cloudflare Workers, and expanded into that host's children. The planner
//! (`planner::api_service`) decides everything; this file converts values, calls the
//! host's backend to make the children match the plan, and reads them back so that
//! out-of-band changes show in the next plan as that child's change. Order: schema,
//! inputs, state, the three hosts (apply, read, delete), the resource, import.

use super::attrs::{self, get, int, map_of, s, with};
use super::environment_context::{context_from_value, context_type, import_context};
use super::{ApplyOutcome, ApplyRequest, PlanOutcome, PlanRequest, ReadOutcome, Resource};
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
    self as planner, HealthCheckInput, RequirementsInput, ScalingInput, ServiceInput, ServicePlan,
};
use crate::planner::naming;
use crate::planner::placement::Host;
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Where the configured inputs are recorded on the cloud side, so import can rebuild
/// them: ECS service tags (chunked), Fly machine metadata, a Worker plain-text binding.
const TAG_SPEC: &str = "platform:spec";
/// Fly machine metadata key of the same record.
const FLY_SPEC: &str = "platform_spec";
/// Fly machine metadata key naming the service a machine belongs to.
const FLY_SERVICE: &str = "platform_service";
/// The Worker binding that carries the record (plain text, visible to the script).
const WORKER_SPEC_BINDING: &str = "PLATFORM_SPEC";
/// ECS tag values hold at most 256 characters.
const TAG_VALUE_MAX: usize = 256;

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
        version: 0,
        block: Block {
            description: "An API service placed by the hosting matrix on ECS Fargate, Fly.io Machines or Cloudflare Workers (`host = \"auto\"`), or on the host you name. The plan shows the resolved host, why, every child it expands into with each setting's source, and the monthly cost.".into(),
            attributes: vec![
                Attribute::new("environment", context_type(), Mode::Required, "The environment's `context`: `platform_environment.<name>.context`."),
                Attribute::new("name", Type::String, Mode::Required, "Service name within the environment (DNS-safe); cloud names are `<environment>-<name>`. Changing it replaces the service."),
                opt("host", Type::String, "`auto` (default: placed by `requirements`), `aws_fargate`, `fly` or `cloudflare_workers`. A host that cannot meet the requirements is a plan-time error; changing host replaces the service."),
                opt("image", Type::String, "Container image (Fargate, Fly.io). A new image is a new task-definition revision or a machine update, in place."),
                opt("script", Type::String, "Workers ES module source, e.g. `file(\"worker.js\")` (Cloudflare Workers)."),
                opt("port", Type::Number, "Port the container listens on. Default 8080."),
                opt("cpu", Type::String, "CPU as people write it: `\"0.5\"`, `\"1 vCPU\"`, `\"1024\"` (units). Fargate sizes are checked against Fargate's table; Fly.io takes whole CPUs."),
                opt("memory", Type::String, "Memory as people write it: `\"512\"` (MiB), `\"1GB\"`, `\"2 GiB\"`. Checked against the host's limits."),
                opt("env", Type::map(Type::String), "Plain environment variables."),
                opt("secrets", Type::map(Type::String), "Secrets by variable name, as references, never values: a Secrets Manager or SSM parameter ARN (Fargate), or `secret://NAME` for a secret already set on the Fly app or Worker (`fly secrets set`, `wrangler secret put`)."),
                opt("regions", Type::list(Type::String), "Fly.io region codes for active-active (`[\"iad\", \"ams\"]`); several regions place an `auto` service on Fly.io. Default: the environment's region, or the Fly.io region nearest to it."),
                opt("execution_role_arn", Type::String, "Fargate: IAM role ECS uses to pull the image, read `secrets` and write logs (needed on AWS for secrets and private images)."),
                opt("task_role_arn", Type::String, "Fargate: IAM role the service's code runs as."),
                opt("tags", Type::map(Type::String), "Tags for every child on AWS (task definition, service, log group, autoscaling target). Precedence, lowest first: the provider's `default_tags`, the environment's tags, these, then the reserved `platform:*` and `managed-by` tags. On Fly.io the Machines carry them as metadata; Fly apps and Cloudflare Workers have no tags, so for those they show only in the plan."),
                computed("id", Type::String, "`<environment>/<name>`, the import ID."),
                computed("resolved_host", Type::String, "Where the service runs: `aws_fargate`, `fly` or `cloudflare_workers`."),
                computed("placement_reason", Type::String, "Why it runs there, in one line."),
                computed("url", Type::String, "Where the service answers: `https://<app>.fly.dev`, the Worker's route or workers.dev URL; null on Fargate (no load balancer is part of the service)."),
                computed("child_ids", Type::map(Type::String), "Cloud IDs of the children by expansion key: task definition and service ARNs, scalable target, policy ARN, Fly machine IDs, Worker script and route IDs."),
                computed("expansion", Type::list(attrs::child_type()), "The cloud resources this service expands into, with their effective settings, where each setting came from, tags and monthly cost."),
                computed("estimated_monthly_cost_usd", Type::Number, "Sum of the children's monthly cost from the dated price tables: Fargate vCPU and GB hours × minimum tasks, Fly.io machines, the Workers Paid plan base."),
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
    let Some(environment) = context_from_value(get(v, "environment")) else {
        return Err(Diagnostics::from_error(
            Diagnostic::error(
                "Invalid Environment",
                "`environment` must be an environment's context: write `environment = platform_environment.<name>.context`.",
            )
            .at(AttributePath::attr("environment")),
        ));
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
        env: attrs::string_map(get(v, "env")),
        secrets: attrs::string_map(get(v, "secrets")),
        regions: attrs::strings(get(v, "regions")),
        requirements,
        tags: attrs::string_map(get(v, "tags")),
        default_tags: config.default_tags.clone(),
        fly_org: config.fly.org_slug.clone(),
        cloudflare_zone: config.cloudflare.zone_name.clone(),
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

fn warnings(v: &[crate::planner::Violation]) -> Diagnostics {
    v.iter()
        .map(|w| {
            let d = Diagnostic::warning(w.summary.clone(), w.detail.clone());
            if w.path.is_root() {
                d
            } else {
                d.at(w.path.clone())
            }
        })
        .collect()
}

/// Plans a configuration or a state; `None` when it cannot be planned.
fn plan_of(v: &Value, config: &ProviderConfig) -> Option<(ServiceInput, ServicePlan)> {
    let i = input(v, config).ok()?;
    let p = planner::plan(&i).ok()?;
    Some((i, p))
}

/// Fargate without an execution role works on emulators but not on AWS when the task
/// reads secrets (ECS fetches them with that role).
fn role_warning(config: &Value, plan: &ServicePlan) -> Option<Diagnostic> {
    (plan.placement.host == Host::AwsFargate
        && get(config, "execution_role_arn").is_null()
        && !attrs::string_map(get(config, "secrets")).is_empty())
    .then(|| {
        Diagnostic::warning(
            "Fargate Secrets Need An Execution Role",
            "ECS reads `secrets` with the task's execution role, and no `execution_role_arn` is set, so on AWS the tasks would fail to start. Set `execution_role_arn` to a role with `secretsmanager:GetSecretValue` (or `ssm:GetParameters`) on these secrets and the `AmazonECSTaskExecutionRolePolicy`.",
        )
        .at(AttributePath::attr("execution_role_arn"))
    })
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
                        .map(|c| attrs::child_value(c, &plan.tags)),
                ),
            ),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

/// The URL as the plan knows it: the planner's, null on Fargate, unknown until the
/// account's workers.dev subdomain is read at apply.
fn planned_url(plan: &ServicePlan) -> Value {
    match (&plan.url, plan.placement.host) {
        (Some(u), _) => s(u.clone()),
        (None, Host::AwsFargate) => Value::Null,
        (None, _) => Value::Unknown,
    }
}

/// The type of a recorded input.
enum Kind {
    Text,
    Number,
    Bool,
}

/// The blocks the spec records, field by field.
const SPEC_BLOCKS: [(&str, &[(&str, Kind)]); 3] = [
    (
        "scaling",
        &[
            ("min", Kind::Number),
            ("max", Kind::Number),
            ("target_cpu_percent", Kind::Number),
        ],
    ),
    (
        "health_check",
        &[("path", Kind::Text), ("interval_seconds", Kind::Number)],
    ),
    (
        "requirements",
        &[
            ("long_lived_connections", Kind::Bool),
            ("private_network_access", Kind::Bool),
            ("cpu_ms_per_request", Kind::Number),
            ("memory_mb", Kind::Number),
            ("background_work", Kind::Bool),
        ],
    ),
];

/// The configured inputs that the cloud does not hold as such, as `k=v` pairs (values
/// with spaces written with `+`), in characters every host's tags accept.
fn spec_pairs(config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut put = |k: String, v: &Value| {
        let text = match v {
            Value::String(t) => t.replace(' ', "+"),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::List(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/"),
            _ => return,
        };
        out.push(format!("{k}={text}"));
    };
    for k in [
        "host",
        "port",
        "cpu",
        "memory",
        "regions",
        "execution_role_arn",
        "task_role_arn",
    ] {
        put(k.to_string(), get(config, k));
    }
    for (b, fields) in SPEC_BLOCKS {
        let value = get(config, b);
        if !value.is_null() {
            out_block_marker(&mut put, b);
            for (f, _) in fields {
                put(format!("{b}.{f}"), get(value, f));
            }
        }
    }
    for (k, v) in attrs::string_map(get(config, "secrets")) {
        put(format!("secrets.{k}"), &s(v));
    }
    out
}

/// Records that a block was written even when all its fields are null.
fn out_block_marker(put: &mut impl FnMut(String, &Value), block: &str) {
    put(format!("{block}."), &Value::Bool(true));
}

/// The configuration values recorded by [`spec_pairs`].
fn config_from_spec(pairs: &[String]) -> Vec<(&'static str, Value)> {
    let found: BTreeMap<&str, &str> = pairs.iter().filter_map(|p| p.split_once('=')).collect();
    let text = |k: &str| found.get(k).map(|v| s(v.replace('+', " ")));
    let number = |k: &str| found.get(k).and_then(|v| v.parse::<i64>().ok()).map(int);
    let boolean = |k: &str| found.get(k).and_then(|v| v.parse().ok()).map(Value::Bool);
    let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
    let mut out = vec![
        ("host", or_null(text("host"))),
        ("port", or_null(number("port"))),
        ("cpu", or_null(text("cpu"))),
        ("memory", or_null(text("memory"))),
        (
            "regions",
            or_null(found.get("regions").map(|v| {
                attrs::string_list(
                    &v.split('/')
                        .filter(|r| !r.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                )
            })),
        ),
        ("execution_role_arn", or_null(text("execution_role_arn"))),
        ("task_role_arn", or_null(text("task_role_arn"))),
    ];
    for (b, fields) in SPEC_BLOCKS {
        let block = found.contains_key(format!("{b}.").as_str()).then(|| {
            Value::object(fields.iter().map(|(f, kind)| {
                let k = format!("{b}.{f}");
                let v = match kind {
                    Kind::Text => text(&k),
                    Kind::Number => number(&k),
                    Kind::Bool => boolean(&k),
                };
                (*f, or_null(v))
            }))
        });
        out.push((b, or_null(block)));
    }
    let secrets: BTreeMap<String, String> = found
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("secrets.")?.to_string(), v.to_string())))
        .collect();
    out.push((
        "secrets",
        if secrets.is_empty() {
            Value::Null
        } else {
            map_of(&secrets)
        },
    ));
    out
}

/// The spec as ECS tags: `platform:spec`, `platform:spec:1`, … each within 256 characters.
fn spec_tags(pairs: &[String]) -> BTreeMap<String, String> {
    let mut chunks: Vec<String> = vec![String::new()];
    for p in pairs {
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() && last.len() + 1 + p.len() > TAG_VALUE_MAX {
            chunks.push(String::new());
        }
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() {
            last.push(' ');
        }
        // A single pair longer than a tag value is cut rather than refused: import then
        // misses that one input and the plan after import shows it.
        last.push_str(&p.chars().take(TAG_VALUE_MAX).collect::<String>());
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let key = if i == 0 {
                TAG_SPEC.to_string()
            } else {
                format!("{TAG_SPEC}:{i}")
            };
            (key, c)
        })
        .collect()
}

fn spec_from_tags(tags: &BTreeMap<String, String>) -> Vec<String> {
    let mut chunks: Vec<(usize, &String)> = tags
        .iter()
        .filter_map(|(k, v)| {
            if k == TAG_SPEC {
                Some((0, v))
            } else {
                k.strip_prefix(&format!("{TAG_SPEC}:"))?
                    .parse()
                    .ok()
                    .map(|i| (i, v))
            }
        })
        .collect();
    chunks.sort();
    chunks
        .into_iter()
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// What the cloud holds
// ---------------------------------------------------------------------------------------

/// The children as read from the cloud.
#[derive(Default)]
struct Seen {
    /// Observed settings of each child that exists, by expansion key; a key without an
    /// entry does not exist.
    children: BTreeMap<String, BTreeMap<String, String>>,
    /// Cloud IDs by expansion key.
    ids: BTreeMap<String, String>,
    /// The URL the host reports, when it has one.
    url: Option<String>,
    /// Environment variables as deployed (for import).
    env: BTreeMap<String, String>,
    /// Image or script as deployed (for import).
    artefact: Option<String>,
    /// The recorded spec (for import).
    spec: Vec<String>,
    /// Tags of the main child (for import).
    tags: BTreeMap<String, String>,
}

impl Seen {
    /// Whether anything of the service exists: a state that records some children is
    /// kept, and the next plan adds the missing ones back.
    fn any(&self) -> bool {
        !self.children.is_empty()
    }

    /// The service is complete enough to import when its main child exists.
    fn exists(&self, plan: &ServicePlan) -> bool {
        let main = match plan.placement.host {
            Host::AwsFargate => "ecs_service",
            Host::Fly => "fly_app",
            Host::CloudflareWorkers => "worker_script",
        };
        self.children.contains_key(main)
    }
}

/// Writes what the cloud holds into a state: children that are gone leave the
/// expansion (the next plan adds them back), and observed settings replace planned ones.
fn observe(state: Value, seen: &Seen, host: Host) -> Value {
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    let observed = seen.children.get(key)?;
                    let mut settings = attrs::string_map(get(child, "settings"));
                    for (k, v) in observed {
                        if settings.contains_key(k) {
                            settings.insert(k.clone(), v.clone());
                        }
                    }
                    Some(with(child.clone(), [("settings", map_of(&settings))]))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    let url = match (&seen.url, host) {
        (Some(u), _) => s(u.clone()),
        (None, Host::AwsFargate) => Value::Null,
        (None, _) => get(&state, "url").clone(),
    };
    let url = if url.is_unknown() { Value::Null } else { url };
    with(
        state,
        [
            ("expansion", expansion),
            ("child_ids", map_of(&seen.ids)),
            ("url", url),
        ],
    )
}

fn child<'a>(plan: &'a ServicePlan, key: &str) -> Option<&'a crate::planner::Child> {
    plan.children.iter().find(|c| c.key == key)
}

fn setting<'a>(plan: &'a ServicePlan, key: &str, name: &str) -> &'a str {
    child(plan, key)
        .and_then(|c| c.settings.get(name))
        .map(String::as_str)
        .unwrap_or_default()
}

fn number<T: std::str::FromStr + Default>(text: &str) -> T {
    text.parse().unwrap_or_default()
}

/// Whose children this apply may touch: the environment's, and while `creating` only
/// those an unfinished create left.
fn owner(plan: &ServicePlan, creating: bool) -> Owner<'_> {
    Owner {
        tag: (naming::TAG_ENVIRONMENT, plan.environment.as_str()),
        creating,
    }
}

// ---------------------------------------------------------------------------------------
// ECS Fargate
// ---------------------------------------------------------------------------------------

struct FargateDesired {
    region: String,
    log: DesiredLogGroup,
    task: DesiredTaskDefinition,
    service: DesiredService,
    target: DesiredTarget,
    policy: DesiredPolicy,
}

fn fargate_desired(input: &ServiceInput, plan: &ServicePlan, config: &Value) -> FargateDesired {
    let ctx = &input.environment;
    let td = "ecs_task_definition";
    let port: i32 = number(setting(plan, td, "container.port"));
    let health_check = plan.settings.get("health_check.path").map(|path| {
        HealthCheck::http(
            port,
            path,
            number(
                plan.settings
                    .get("health_check.interval_seconds")
                    .map(String::as_str)
                    .unwrap_or("30"),
            ),
        )
    });
    let mut service_tags = plan.tags.clone();
    service_tags.extend(spec_tags(&spec_pairs(config)));
    let resource_id = autoscaling::resource_id(&ctx.cluster_name, &plan.cloud_name);
    FargateDesired {
        region: ctx.region.clone(),
        log: DesiredLogGroup {
            name: setting(plan, "log_group", "name").to_string(),
            retention_days: number(setting(plan, "log_group", "retention_days")),
            tags: plan.tags.clone(),
        },
        task: DesiredTaskDefinition {
            family: plan.cloud_name.clone(),
            cpu: setting(plan, td, "cpu").to_string(),
            memory: setting(plan, td, "memory").to_string(),
            container: Container {
                name: input.name.clone(),
                image: input.image.clone().unwrap_or_default(),
                port,
                environment: input.env.clone(),
                secrets: input.secrets.clone(),
                health_check,
            },
            log: LogConfig {
                group: setting(plan, td, "log.group").to_string(),
                region: ctx.region.clone(),
                stream_prefix: input.name.clone(),
            },
            execution_role_arn: attrs::opt_string(get(config, "execution_role_arn")),
            task_role_arn: attrs::opt_string(get(config, "task_role_arn")),
            tags: plan.tags.clone(),
        },
        service: DesiredService {
            cluster: ctx.cluster_name.clone(),
            name: plan.cloud_name.clone(),
            task_definition: plan.cloud_name.clone(),
            desired_count: number(setting(plan, "ecs_service", "desired_count")),
            capacity_provider: setting(plan, "ecs_service", "capacity_provider").to_string(),
            network: Network {
                subnets: ctx.network.subnet_ids.clone(),
                security_groups: ctx.network.security_group_ids.clone(),
                assign_public_ip: ctx.network.assign_public_ip,
            },
            tags: service_tags,
        },
        target: DesiredTarget {
            resource_id: resource_id.clone(),
            min_capacity: number(setting(plan, "autoscaling_target", "min_capacity")),
            max_capacity: number(setting(plan, "autoscaling_target", "max_capacity")),
            tags: plan.tags.clone(),
        },
        policy: DesiredPolicy {
            name: format!("{}-cpu", plan.cloud_name),
            resource_id,
            target_cpu_percent: number(setting(plan, "autoscaling_policy", "target_value")),
            scale_out_cooldown_seconds: number(setting(
                plan,
                "autoscaling_policy",
                "scale_out_cooldown_seconds",
            )),
            scale_in_cooldown_seconds: number(setting(
                plan,
                "autoscaling_policy",
                "scale_in_cooldown_seconds",
            )),
        },
    }
}

/// A running count inside the autoscaling range is autoscaling's business, not drift.
fn within_range(count: i32, d: &FargateDesired) -> bool {
    (d.target.min_capacity..=d.target.max_capacity).contains(&count)
}

async fn apply_fargate(
    d: &FargateDesired,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let (ecs, logs, scaling) = (
        aws.ecs(&d.region).await,
        aws.cloudwatch_logs(&d.region).await,
        aws.application_autoscaling(&d.region).await,
    );
    cancellable(&ctx.cancel, async {
        if owner.creating {
            // Every child that exists under our names is checked before anything is made
            // or changed, so a refusal leaves the cloud exactly as it was; the service
            // first, since it is what a refusal should name.
            if let Some(svc) = ecs_service::find(&ecs, &d.service.cluster, &d.service.name).await? {
                owner.check(
                    || {
                        format!(
                            "The ECS service `{}` in cluster `{}`",
                            d.service.name, d.service.cluster
                        )
                    },
                    &svc.tags,
                )?;
            }
            if let Some(td) = task_definition::find(&ecs, &d.task.family).await? {
                owner.check(
                    || format!("The ECS task definition family `{}`", d.task.family),
                    &td.definition.tags,
                )?;
            }
            if let Some(g) = log_group::find(&logs, &d.log.name).await? {
                owner.check(
                    || format!("The CloudWatch Logs group `{}`", d.log.name),
                    &g.tags,
                )?;
            }
        }
        let group = log_group::create(&logs, &d.log, owner).await?;
        let revision = task_definition::create(&ecs, &d.task, owner).await?;
        let mut service = d.service.clone();
        service.task_definition = revision.arn.clone();
        if let Some(current) = ecs_service::find(&ecs, &service.cluster, &service.name).await?
            && within_range(current.desired_count, d)
        {
            service.desired_count = current.desired_count;
        }
        let running = ecs_service::create(&ecs, &service, owner).await?;
        task_definition::deregister_older(&ecs, &d.task.family, revision.revision).await?;
        autoscaling::create_target(&scaling, &d.target).await?;
        let current =
            autoscaling::find_policy(&scaling, &d.policy.resource_id, &d.policy.name).await?;
        if !current.is_some_and(|p| p.matches(&d.policy)) {
            autoscaling::put_policy(&scaling, &d.policy).await?;
        }
        // The create is complete: from now on no other state may adopt these children.
        log_group::finish(&logs, &group).await?;
        task_definition::finish(&ecs, &revision).await?;
        ecs_service::finish(&ecs, &running).await
    })
    .await
}

async fn read_fargate(d: &FargateDesired, ctx: &CallContext) -> Result<Seen, BackendError> {
    let aws = &ctx.aws;
    let (ecs, scaling) = (
        aws.ecs(&d.region).await,
        aws.application_autoscaling(&d.region).await,
    );
    let logs = aws.cloudwatch_logs(&d.region).await;
    cancellable(&ctx.cancel, async {
        let mut seen = Seen::default();
        if let Some(g) = log_group::find(&logs, &d.log.name).await? {
            let mut observed = BTreeMap::new();
            // A group that never expires reads back as no retention: that differs from
            // the plan, so the next apply puts the environment's retention back.
            observed.insert(
                "retention_days".to_string(),
                g.retention_days
                    .map_or_else(|| "never expires".to_string(), |d| d.to_string()),
            );
            seen.children.insert("log_group".into(), observed);
            seen.ids.insert("log_group".into(), g.arn.clone());
        }
        if let Some(td) = task_definition::find(&ecs, &d.task.family).await? {
            let def = &td.definition;
            seen.children.insert(
                "ecs_task_definition".into(),
                BTreeMap::from([
                    ("cpu".to_string(), def.cpu.clone()),
                    ("memory".to_string(), def.memory.clone()),
                    ("container.image".to_string(), def.container.image.clone()),
                    ("container.port".to_string(), def.container.port.to_string()),
                    (
                        "container.env_digest".to_string(),
                        planner::env_digest(&def.container.environment),
                    ),
                ]),
            );
            seen.ids
                .insert("ecs_task_definition".into(), td.arn.clone());
            seen.env = def.container.environment.clone();
            seen.artefact = Some(def.container.image.clone());
        }
        if let Some(svc) = ecs_service::find(&ecs, &d.service.cluster, &d.service.name).await?
            && svc.status == "ACTIVE"
        {
            let count = if within_range(svc.desired_count, d) {
                d.service.desired_count
            } else {
                svc.desired_count
            };
            let mut observed = BTreeMap::from([("desired_count".to_string(), count.to_string())]);
            if let Some(cp) = &svc.capacity_provider {
                observed.insert("capacity_provider".into(), cp.clone());
            }
            seen.children.insert("ecs_service".into(), observed);
            seen.ids.insert("ecs_service".into(), svc.arn.clone());
            seen.spec = spec_from_tags(&svc.tags);
            seen.tags = svc.tags.clone();
        }
        if let Some(t) = autoscaling::find_target(&scaling, &d.target.resource_id).await? {
            seen.children.insert(
                "autoscaling_target".into(),
                BTreeMap::from([
                    ("min_capacity".to_string(), t.min_capacity.to_string()),
                    ("max_capacity".to_string(), t.max_capacity.to_string()),
                ]),
            );
            seen.ids
                .insert("autoscaling_target".into(), t.resource_id.clone());
        }
        if let Some(p) =
            autoscaling::find_policy(&scaling, &d.policy.resource_id, &d.policy.name).await?
        {
            let mut observed = BTreeMap::from([(
                "target_value".to_string(),
                format!("{}", p.target_cpu_percent.round() as i64),
            )]);
            if let Some(c) = p.scale_out_cooldown_seconds {
                observed.insert("scale_out_cooldown_seconds".into(), c.to_string());
            }
            if let Some(c) = p.scale_in_cooldown_seconds {
                observed.insert("scale_in_cooldown_seconds".into(), c.to_string());
            }
            seen.children.insert("autoscaling_policy".into(), observed);
            seen.ids.insert("autoscaling_policy".into(), p.arn.clone());
        }
        Ok(seen)
    })
    .await
}

async fn delete_fargate(d: &FargateDesired, ctx: &CallContext) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let (ecs, logs, scaling) = (
        aws.ecs(&d.region).await,
        aws.cloudwatch_logs(&d.region).await,
        aws.application_autoscaling(&d.region).await,
    );
    cancellable(&ctx.cancel, async {
        autoscaling::delete_policy(&scaling, &d.policy.resource_id, &d.policy.name).await?;
        autoscaling::delete_target(&scaling, &d.target.resource_id).await?;
        ecs_service::delete(&ecs, &d.service.cluster, &d.service.name, &ctx.cancel).await?;
        task_definition::delete(&ecs, &d.task.family).await?;
        log_group::delete(&logs, &d.log.name).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Fly.io Machines
// ---------------------------------------------------------------------------------------

fn machine_spec(
    input: &ServiceInput,
    plan: &ServicePlan,
    c: &crate::planner::Child,
    config: &Value,
) -> MachineSpec {
    let get = |k: &str| c.settings.get(k).map(String::as_str).unwrap_or_default();
    let mut metadata = plan.tags.clone();
    metadata.insert(FLY_SERVICE.into(), plan.cloud_name.clone());
    metadata.insert(FLY_SPEC.into(), spec_pairs(config).join(" "));
    MachineSpec {
        name: c.name.clone(),
        region: get("region").to_string(),
        image: input.image.clone().unwrap_or_default(),
        guest: Guest {
            cpu_kind: get("guest.cpu_kind").to_string(),
            cpus: number(get("guest.cpus")),
            memory_mb: number(get("guest.memory_mb")),
        },
        internal_port: number(get("service.internal_port")),
        check: plan
            .settings
            .get("health_check.path")
            .map(|path| HttpCheck {
                path: path.clone(),
                interval_seconds: number(
                    plan.settings
                        .get("health_check.interval_seconds")
                        .map(String::as_str)
                        .unwrap_or("30"),
                ),
            }),
        env: input.env.clone(),
        metadata,
    }
}

fn machines(plan: &ServicePlan) -> impl Iterator<Item = &crate::planner::Child> {
    plan.children.iter().filter(|c| c.kind == "fly_machine")
}

/// Whether a machine runs what the spec describes (metadata aside: it carries the
/// spec record, which changes with inputs that do not change the machine).
fn same_machine(running: &MachineSpec, wanted: &MachineSpec) -> bool {
    running.image == wanted.image
        && running.guest == wanted.guest
        && running.internal_port == wanted.internal_port
        && running.check == wanted.check
        && running.env == wanted.env
        && running.region == wanted.region
}

async fn apply_fly(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let fly = Fly::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let app = plan.cloud_name.as_str();
    fly.create_app(cancel, app, owner).await?;
    let wanted: BTreeSet<&str> = machines(plan).map(|c| c.name.as_str()).collect();
    for c in machines(plan) {
        let mut spec = machine_spec(input, plan, c, config);
        spec.metadata = owner.tags(&spec.metadata);
        let machine = match fly.find_machine(cancel, app, &c.name).await? {
            Some(m) if same_machine(&m.spec(), &spec) && m.spec().metadata == spec.metadata => {
                continue;
            }
            Some(m) => fly.update_machine(cancel, app, &m.id, &spec).await?,
            None => fly.create_machine(cancel, app, &spec, owner).await?,
        };
        fly.wait_started(cancel, app, &machine.id, &machine.instance_id)
            .await?;
    }
    // Machines of this service that the plan no longer has (fewer regions or a lower
    // `scaling.min`) go; the ones it has are marked finished.
    for m in fly.list_machines(cancel, app).await? {
        if m.metadata().get(FLY_SERVICE).map(String::as_str) != Some(app) {
            continue;
        }
        if wanted.contains(m.name.as_str()) {
            fly.finish_machine(cancel, app, &m).await?;
        } else {
            fly.delete_machine(cancel, app, &m.id).await?;
        }
    }
    Ok(())
}

async fn read_fly(plan: &ServicePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let fly = Fly::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let app = plan.cloud_name.as_str();
    let mut seen = Seen::default();
    let Some(found) = fly.get_app(cancel, app).await? else {
        return Ok(seen);
    };
    seen.children.insert("fly_app".into(), BTreeMap::new());
    seen.ids.insert("fly_app".into(), found.name.clone());
    seen.url = Some(format!("https://{app}.fly.dev"));
    let running = fly.list_machines(cancel, app).await?;
    for c in machines(plan) {
        let Some(m) = running.iter().find(|m| m.name == c.name) else {
            continue;
        };
        let spec = m.spec();
        seen.children.insert(
            c.key.clone(),
            BTreeMap::from([
                ("region".to_string(), spec.region.clone()),
                ("image".to_string(), spec.image.clone()),
                ("guest.cpu_kind".to_string(), spec.guest.cpu_kind.clone()),
                ("guest.cpus".to_string(), spec.guest.cpus.to_string()),
                (
                    "guest.memory_mb".to_string(),
                    spec.guest.memory_mb.to_string(),
                ),
                (
                    "service.internal_port".to_string(),
                    spec.internal_port.to_string(),
                ),
                ("env_digest".to_string(), planner::env_digest(&spec.env)),
            ]),
        );
        seen.ids.insert(c.key.clone(), m.id.clone());
        if seen.artefact.is_none() {
            seen.artefact = Some(spec.image.clone());
            seen.env = spec.env.clone();
            seen.spec = spec
                .metadata
                .get(FLY_SPEC)
                .map(|v| v.split(' ').map(str::to_string).collect())
                .unwrap_or_default();
            seen.tags = spec.metadata.clone();
        }
    }
    Ok(seen)
}

async fn delete_fly(plan: &ServicePlan, ctx: &CallContext) -> Result<(), BackendError> {
    let fly = Fly::from_config(&ctx.config)?;
    // Deleting the app deletes its machines.
    fly.delete_app(&ctx.cancel, &plan.cloud_name).await
}

// ---------------------------------------------------------------------------------------
// Cloudflare Workers
// ---------------------------------------------------------------------------------------

fn upload(input: &ServiceInput, plan: &ServicePlan, config: &Value) -> ScriptUpload {
    let mut env = input.env.clone();
    env.insert(WORKER_SPEC_BINDING.into(), spec_pairs(config).join(" "));
    let cpu_ms: u32 = number(setting(plan, "worker_script", "limits.cpu_ms"));
    ScriptUpload {
        name: plan.cloud_name.clone(),
        main_module: planner::WORKERS_MAIN_MODULE.into(),
        source: input.script.clone().unwrap_or_default(),
        compatibility_date: planner::WORKERS_COMPATIBILITY_DATE.into(),
        cpu_ms: (cpu_ms > crate::planner::limits::WORKERS_DEFAULT_CPU_MS as u32).then_some(cpu_ms),
        env,
        // `secret://NAME` references name secrets already on the Worker: keep them.
        secrets: BTreeMap::new(),
        keep_existing_secrets: true,
    }
}

fn zone_id(ctx: &CallContext) -> Option<&str> {
    ctx.config.cloudflare.zone_id.as_deref()
}

async fn apply_workers(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.cloud_name.as_str();
    // Workers take no tags: our record binding stands for the owner tag, the lifecycle
    // binding for the creating marker. Uploading over anyone else's Worker would replace
    // their code.
    if let Some(existing) = cf.script_settings(cancel, name).await? {
        let env = existing.env();
        let mut marks = BTreeMap::new();
        if env.contains_key(WORKER_SPEC_BINDING) {
            marks.insert(owner.tag.0.to_string(), owner.tag.1.to_string());
        }
        if let Some(v) = env.get(ownership::WORKER_LIFECYCLE_BINDING) {
            marks.insert(ownership::TAG_LIFECYCLE.to_string(), v.clone());
        }
        owner.check(
            || {
                format!(
                    "The Cloudflare Worker `{name}` in account `{}`",
                    cf.account_id()
                )
            },
            &marks,
        )?;
    }
    let mut script = upload(input, plan, config);
    if owner.creating {
        script.env.insert(
            ownership::WORKER_LIFECYCLE_BINDING.into(),
            ownership::CREATING.into(),
        );
    }
    cf.upload_script(cancel, &script).await?;
    match (child(plan, "worker_route"), zone_id(ctx)) {
        (Some(route), Some(zone)) => {
            cf.create_route(cancel, zone, &route.name, name).await?;
            if cf.workers_dev(cancel, name).await? == Some(true) {
                cf.set_workers_dev(cancel, name, false).await?;
            }
        }
        _ => {
            cf.set_workers_dev(cancel, name, true).await?;
        }
    }
    if owner.creating {
        // The create is complete: the same upload without the marker (an upload keeps
        // routes and the workers.dev setting).
        cf.upload_script(cancel, &upload(input, plan, config))
            .await?;
    }
    Ok(())
}

async fn read_workers(plan: &ServicePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.cloud_name.as_str();
    let mut seen = Seen::default();
    let Some(content) = cf.script_content(cancel, name).await? else {
        return Ok(seen);
    };
    let mut observed = BTreeMap::from([
        ("script_digest".to_string(), planner::digest(&content)),
        ("script_bytes".to_string(), content.len().to_string()),
    ]);
    if let Some(settings) = cf.script_settings(cancel, name).await? {
        let mut env = settings.env();
        let spec = env.remove(WORKER_SPEC_BINDING).unwrap_or_default();
        env.remove(ownership::WORKER_LIFECYCLE_BINDING);
        if !env.is_empty() {
            observed.insert("bindings.env_digest".into(), planner::env_digest(&env));
        }
        if let Some(date) = &settings.compatibility_date {
            observed.insert("compatibility_date".into(), date.clone());
        }
        seen.spec = spec.split(' ').map(str::to_string).collect();
        seen.env = env;
    }
    seen.children.insert("worker_script".into(), observed);
    seen.ids.insert("worker_script".into(), name.to_string());
    seen.artefact = Some(content);
    match (child(plan, "worker_route"), zone_id(ctx)) {
        (Some(route), Some(zone)) => {
            if let Some(r) = cf
                .list_routes(cancel, zone)
                .await?
                .into_iter()
                .find(|r| r.pattern == route.name && r.script.as_deref() == Some(name))
            {
                seen.children.insert(
                    "worker_route".into(),
                    BTreeMap::from([("pattern".to_string(), r.pattern.clone())]),
                );
                seen.ids.insert("worker_route".into(), r.id);
                seen.url = plan.url.clone();
            }
        }
        _ => {
            let enabled = cf.workers_dev(cancel, name).await?.unwrap_or(false);
            seen.children.insert(
                "workers_dev_subdomain".into(),
                BTreeMap::from([("enabled".to_string(), enabled.to_string())]),
            );
            if enabled && let Some(sub) = cf.account_subdomain(cancel).await? {
                seen.url = Some(format!("https://{name}.{sub}.workers.dev"));
            }
        }
    }
    Ok(seen)
}

async fn delete_workers(plan: &ServicePlan, ctx: &CallContext) -> Result<(), BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    if let Some(zone) = zone_id(ctx) {
        for r in cf.list_routes(cancel, zone).await? {
            if r.script.as_deref() == Some(plan.cloud_name.as_str()) {
                cf.delete_route(cancel, zone, &r.id).await?;
            }
        }
    }
    cf.delete_script(cancel, &plan.cloud_name).await
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
        Host::AwsFargate => read_fargate(&fargate_desired(input, plan, config), ctx).await,
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

/// Map values that are only known after apply (an `env` value from a database's endpoint,
/// a secret ARN created in the same plan, a tag): placement and the expansion do not
/// depend on them, so the plan uses placeholders for them and shows unknown only the
/// settings they feed.
#[derive(Default, Clone)]
struct Pending {
    env: bool,
    secrets: BTreeSet<String>,
    tags: bool,
}

const PLACEHOLDER: &str = "(known after apply)";

/// The configuration with placeholders for unknown `env`, `secrets` and `tags` values, when
/// nothing else is unknown and it plans; the secret placeholder is whichever reference
/// form the host takes.
fn with_placeholders(config: &Value, provider: &ProviderConfig) -> Option<(Value, Pending)> {
    let unknown_keys = |k: &str| -> Vec<String> {
        get(config, k)
            .as_map()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_unknown())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let pending = Pending {
        env: !unknown_keys("env").is_empty(),
        secrets: unknown_keys("secrets").into_iter().collect(),
        tags: !unknown_keys("tags").is_empty(),
    };
    let fill = |k: &str, value: &dyn Fn(&str) -> String| -> Value {
        match get(config, k) {
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(name, v)| {
                        let v = if v.is_unknown() {
                            s(value(name))
                        } else {
                            v.clone()
                        };
                        (name.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    let arn = |_: &str| "arn:aws:secretsmanager:us-east-1:000000000000:secret:pending".to_string();
    let host_secret = |name: &str| format!("secret://{name}");
    for secret in [&arn as &dyn Fn(&str) -> String, &host_secret] {
        let filled = with(
            config.clone(),
            [
                ("env", fill("env", &|_| PLACEHOLDER.to_string())),
                ("secrets", fill("secrets", secret)),
                ("tags", fill("tags", &|_| "pending".to_string())),
            ],
        );
        if filled.is_wholly_known() && plan_of(&filled, provider).is_some() {
            return Some((filled, pending.clone()));
        }
    }
    None
}

impl Pending {
    /// Puts the unknowns back: the configuration's own values, and the settings they feed.
    fn restore(&self, planned: Value, config: &Value) -> Value {
        if !self.env && self.secrets.is_empty() && !self.tags {
            return planned;
        }
        let expansion = match get(&planned, "expansion") {
            Value::List(children) => Value::List(
                children
                    .iter()
                    .map(|child| {
                        let settings = match get(child, "settings") {
                            Value::Map(m) => Value::Map(
                                m.iter()
                                    .map(|(k, v)| {
                                        let fed_by_env = self.env && k.ends_with("env_digest");
                                        let fed_by_secret = k
                                            .rsplit_once("secrets.")
                                            .is_some_and(|(_, name)| self.secrets.contains(name));
                                        let v = if fed_by_env || fed_by_secret {
                                            Value::Unknown
                                        } else {
                                            v.clone()
                                        };
                                        (k.clone(), v)
                                    })
                                    .collect(),
                            ),
                            other => other.clone(),
                        };
                        let mut updates = vec![("settings", settings)];
                        if self.tags {
                            updates.push(("tags", Value::Unknown));
                        }
                        with(child.clone(), updates)
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        with(
            planned,
            [
                ("env", get(config, "env").clone()),
                ("secrets", get(config, "secrets").clone()),
                ("tags", get(config, "tags").clone()),
                ("expansion", expansion),
            ],
        )
    }
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    super::backend_diagnostic("Service Name Already Taken", action, e)
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

#[async_trait::async_trait]
impl Resource for ApiServiceResource {
    fn type_name(&self) -> &'static str {
        "platform_api_service"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::SERVICE_ROWS,
        }
    }

    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        if !config.is_wholly_known() {
            return Diagnostics::new(); // checked again at plan time, once inputs are known
        }
        match input(config, &ctx.config) {
            Err(d) => d,
            Ok(i) => violations(planner::validate(&i)),
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
        let known;
        let mut pending = Pending::default();
        let config = if req.config.is_wholly_known() {
            &req.config
        } else if let Some((c, p)) = with_placeholders(&req.config, &ctx.config) {
            (known, pending) = (c, p);
            &known
        } else {
            &req.config
        };
        if !config.is_wholly_known() {
            out.planned_state = with(
                req.proposed_new_state,
                [
                    "id",
                    "resolved_host",
                    "placement_reason",
                    "url",
                    "child_ids",
                    "expansion",
                    "estimated_monthly_cost_usd",
                ]
                .map(|k| (k, Value::Unknown)),
            );
            return out;
        }
        let next_input = match input(config, &ctx.config) {
            Ok(i) => i,
            Err(d) => {
                out.diagnostics = d;
                return out;
            }
        };
        let next = match planner::plan(&next_input) {
            Ok(p) => p,
            Err(v) => {
                out.diagnostics = violations(v);
                return out;
            }
        };
        out.diagnostics.extend(warnings(&next.warnings));
        out.diagnostics.extend(role_warning(config, &next));
        let prior = &req.prior_state;
        let mut url = planned_url(&next);
        let mut child_ids = Value::Unknown;
        if let Some((_, prior_plan)) = (!prior.is_null())
            .then(|| plan_of(prior, &ctx.config))
            .flatten()
        {
            let changes = planner::changes(&prior_plan, &next);
            out.requires_replace = changes.replace.iter().map(|(p, _)| p.clone()).collect();
            if out.requires_replace.is_empty() {
                if url.is_unknown() && !get(prior, "url").is_null() {
                    url = get(prior, "url").clone();
                }
                // IDs stay known only when no child changes (a new revision is a new ARN).
                let planned = state_value(config, &next, Value::Null, Value::Null);
                if get(&planned, "expansion") == get(prior, "expansion") {
                    child_ids = get(prior, "child_ids").clone();
                }
            }
        }
        out.planned_state =
            pending.restore(state_value(config, &next, url, child_ids), &req.config);
        out
    }

    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome {
        let prior = req.prior_state;
        let done = |new_state: Value, diagnostics: Diagnostics| ApplyOutcome {
            new_state,
            private: req.planned_private.clone(),
            diagnostics,
        };
        if req.planned_state.is_null() {
            let Some((i, p)) = plan_of(&prior, &ctx.config) else {
                return done(
                    prior,
                    Diagnostics::from_error(Diagnostic::error(
                        "Unreadable State",
                        "The stored state of this service cannot be planned; fix the state or remove it with `terraform state rm`.",
                    )),
                );
            };
            return match delete_children(&i, &p, &prior, ctx).await {
                Ok(()) => done(Value::Null, Diagnostics::new()),
                Err(e) => done(
                    prior,
                    Diagnostics::from_error(diagnostic("Delete The Service", e)),
                ),
            };
        }
        let config = &req.config;
        let (next_input, plan) = match input(config, &ctx.config).map(|i| {
            let p = planner::plan(&i);
            (i, p)
        }) {
            Ok((i, Ok(p))) => (i, p),
            Ok((_, Err(v))) => return done(prior, violations(v)),
            Err(d) => return done(prior, d),
        };
        let mut diags = Diagnostics::new();
        let creating = prior.is_null();
        if let Err(e) = apply_children(&next_input, &plan, config, creating, ctx).await {
            if matches!(e, BackendError::Conflict(_) | BackendError::Taken(_)) {
                // What is there belongs to someone else: nothing of it enters the state.
                return done(
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
        let planned = state_value(config, &plan, planned_url(&plan), Value::Null);
        let seen = if diags.has_errors() {
            let (next_input, plan) = (&next_input, &plan);
            super::read_back(ctx, |fresh| async move {
                read_children(next_input, plan, config, &fresh).await
            })
            .await
        } else {
            read_children(&next_input, &plan, config, ctx).await
        };
        match seen {
            Ok(seen) if seen.any() || !diags.has_errors() => {
                done(observe(planned, &seen, plan.placement.host), diags)
            }
            // Nothing was created: no state, so nothing is lost and nothing is claimed.
            Ok(_) => done(prior, diags),
            Err(e) => {
                let mut d = diagnostic("Read The Service", e);
                if creating {
                    // What exists is unknown: nothing is claimed, and the next apply adopts
                    // what this one made (it is still marked as being created).
                    d.detail.push_str(" The children could not be read back, so the state records none; they are still marked as being created, and the next apply adopts them.");
                }
                diags.push(d);
                done(prior, diags)
            }
        }
    }

    async fn read(&self, state: Value, private: Vec<u8>, ctx: &CallContext) -> ReadOutcome {
        let keep = |state: Value, diagnostics: Diagnostics| ReadOutcome {
            new_state: state,
            private: private.clone(),
            diagnostics,
        };
        let Some((i, plan)) = plan_of(&state, &ctx.config) else {
            // A state this version cannot plan is kept as is rather than dropped.
            return keep(state, Diagnostics::new());
        };
        match read_children(&i, &plan, &state, ctx).await {
            Ok(seen) if !seen.any() => {
                tracing::info!(service = %plan.cloud_name, "service is gone; it will be planned for creation");
                keep(Value::Null, Diagnostics::new())
            }
            Ok(seen) => keep(
                observe(state, &seen, plan.placement.host),
                Diagnostics::new(),
            ),
            Err(e) => keep(
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
            let Some((i, plan)) = plan_of(&probe, &ctx.config) else {
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
    let env_ctx = context_from_value(&context);
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
    fields.extend(config_from_spec(&seen.spec));
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

- **`aws_fargate`**: a CloudWatch Logs group `/platform/<environment>/<name>` with the environment's log retention (`log_group`; logs are priced by use, so the plan shows no cost for it), an ECS task definition logging to it (`ecs_task_definition`), an ECS service in the environment's cluster (`ecs_service`), an Application Auto Scaling target between `scaling.min` and `scaling.max` (`autoscaling_target`) and a target-tracking policy on average CPU (`autoscaling_policy`).
- **`fly`**: a Fly.io app (`fly_app`) and one machine per region × `scaling.min` (`fly_machine_<region>_<n>`).
- **`cloudflare_workers`**: a Worker script (`worker_script`) and either a route `<environment>-<name>.<zone>/*` on the configured zone (`worker_route`) or the workers.dev subdomain (`workers_dev_subdomain`).

Cloud names are `<environment>-<name>`, so the whole expansion is known at plan time.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("host", s("fly")),
            ("port", int(3000)),
            ("cpu", s("1 vCPU")),
            ("regions", attrs::string_list(&["iad".into(), "ams".into()])),
            (
                "scaling",
                Value::object([
                    ("min", int(2)),
                    ("max", Value::Null),
                    ("target_cpu_percent", Value::Null),
                ]),
            ),
            (
                "health_check",
                Value::object([("path", s("/healthz")), ("interval_seconds", Value::Null)]),
            ),
            (
                "secrets",
                map_of(&BTreeMap::from([(
                    "DATABASE_URL".to_string(),
                    "secret://DATABASE_URL".to_string(),
                )])),
            ),
        ]);
        let pairs = spec_pairs(&config);
        let tags = spec_tags(&pairs);
        assert!(tags.values().all(|v| v.len() <= TAG_VALUE_MAX));
        let back: BTreeMap<&str, Value> = config_from_spec(&spec_from_tags(&tags))
            .into_iter()
            .collect();
        for k in [
            "host",
            "port",
            "cpu",
            "regions",
            "scaling",
            "health_check",
            "secrets",
        ] {
            assert_eq!(back[k], *get(&config, k), "{k}");
        }
        assert!(back["requirements"].is_null() && back["memory"].is_null());
    }

    #[test]
    fn long_specs_are_split_across_tags_within_the_limit() {
        let secrets: BTreeMap<String, String> = (0..12)
            .map(|n| {
                (
                    format!("SECRET_{n}"),
                    format!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/key-{n}"),
                )
            })
            .collect();
        let config = Value::object([("secrets", map_of(&secrets))]);
        let tags = spec_tags(&spec_pairs(&config));
        assert!(tags.len() > 1, "{tags:?}");
        assert!(tags.values().all(|v| v.len() <= TAG_VALUE_MAX));
        let back: BTreeMap<&str, Value> = config_from_spec(&spec_from_tags(&tags))
            .into_iter()
            .collect();
        assert_eq!(back["secrets"], map_of(&secrets));
    }

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }
}
