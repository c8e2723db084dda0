//! The `platform_api_service` planner: validates a service's inputs, places it on a host
//! (see [`placement`](super::placement)), resolves its effective settings against the
//! environment's context and tier, and expands it into that host's children:
//!
//! - `aws_fargate`: `ecs_task_definition`, `ecs_service`, `autoscaling_target`,
//!   `autoscaling_policy`;
//! - `fly`: `fly_app` and one `fly_machine_<region>_<n>` per region × `scaling.min`;
//! - `cloudflare_workers`: `worker_script` and a `worker_route` on the configured zone or
//!   a `workers_dev_subdomain`.
//!
//! Like the environment planner it is a pure function of its input, so the expansion is
//! known at plan time whenever the inputs are, even when the environment is created in
//! the same plan: every name derives from `<environment>-<name>`.
//!
//! # Decisions worth knowing
//!
//! - **Secrets are references, never values**, and each host reads its own kind:
//!   Fargate takes Secrets Manager or SSM Parameter Store ARNs (`valueFrom`); Fly.io and
//!   Workers cannot read AWS, so they take `secret://<NAME>`, a secret already set on the
//!   app or Worker (`fly secrets set`, `wrangler secret put`) under the same name as its
//!   key. A value that is not a reference is an error whose message never repeats it.
//! - **Defaults** not in the tier table are the same for every tier and shown as
//!   `fixed`: port 8080 (with a health check); Fargate 0.25 vCPU / 512 MiB; Fly.io 1 shared CPU / 512 MB;
//!   health checks every 30 s; Fly organization `personal`. Scaling, cooldowns and log
//!   retention come from the environment: shown as `environment` when the environment
//!   overrode its tier, else as the tier's default.
//! - **Fly.io size**: whole CPUs only; `shared` when the memory fits 256 MB–2 GB per CPU,
//!   else `performance` (2–8 GB per CPU), the cheaper kind that fits.
//! - **Fly.io regions** default to the Fly.io region nearest the environment's AWS region.
//!   Fly machines are a fixed `scaling.min` per region; `scaling.max` and the CPU target
//!   only drive Fargate's autoscaling, so setting them for Fly.io is a warning.
//! - **No `port`** and no `health_check` make a worker: no port mapping, no Fly.io service,
//!   no URL. A `health_check` without `port` probes the default port 8080 (`fixed`).
//! - **Workers** ignore `port`, `cpu`, `scaling` and `health_check` (warnings); `memory`
//!   above 128 MB is an error. `cloudflare_zone` is the zone's *name* (`example.com`):
//!   with it the Worker gets the route `<env>-<name>.<zone>/*`, without it the
//!   workers.dev subdomain, whose URL needs the account's subdomain and so waits for apply.
//! - **Costs**: Fargate vCPU and GB hours × `scaling.min` tasks × 730 h, at the Spot
//!   factor when the tier's default capacity provider is `FARGATE_SPOT` (development);
//!   Fly.io machines per month × machine count; the Workers Paid plan base (per account).
//! - **Warnings** (things that work but deserve a look) travel in [`ServicePlan::warnings`]
//!   for the resource layer to emit as warning diagnostics; errors block the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::value::path::AttributePath;

use super::environment::EnvironmentContext;
use super::limits::{
    self, ECS_TASK_DEFINITION_BASE_BYTES, ECS_TASK_DEFINITION_MAX_BYTES, FLY_CPU_KINDS,
    FLY_MEMORY_STEP_MB, FLY_PERFORMANCE, FLY_SHARED, FlyCpuKindLimits,
    HEALTH_CHECK_INTERVAL_SECONDS, IntRange, LINUX_MAX_ENV_STRING_BYTES, MAX_INSTANCES,
    MIN_INSTANCES, PORT, SERVICE_NAME_LENGTH, TARGET_CPU_PERCENT, WORKERS_DEFAULT_CPU_MS,
    WORKERS_MAX_ENV_VAR_BYTES, WORKERS_MAX_ENV_VARS, WORKERS_MAX_SCRIPT_BYTES, WORKERS_MEMORY_MB,
};
use super::placement::{self, Host, Placement, Requirements};
use super::units::{self, Cpu};
use super::{Child, Settings, Source, Violation, messages, naming, prices};

mod changes;
mod fargate;
mod fly;
pub mod iam;
pub mod ingress;
mod resolve;
mod settings;
mod size;
mod validate;
mod workers;

pub use changes::{becomes_worker, changes};
use fargate::*;
pub use fargate::{DeploymentPlan, FargatePlan, HealthCheckPlan, ScalingPlan};

/// The key of a Fargate service's execution role in its expansion, when the platform
/// makes it.
pub const EXECUTION_ROLE_KEY: &str = "execution_role";

/// The key of a Fargate service's task role in its expansion (made from `access`).
pub const TASK_ROLE_KEY: &str = "task_role";
use fly::*;
pub use fly::{FlyMachinePlan, FlyPlan};
use resolve::*;
use settings::*;
pub use settings::{digest, env_digest};
use size::*;
use validate::*;
use workers::*;
pub use workers::{WorkersPlan, WorkersRoutePlan};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "api_service";

/// The port of a service with a `health_check` and no `port`.
pub const DEFAULT_PORT: i64 = 8080;

/// Fargate task CPU unless `cpu` says otherwise: the smallest size, 0.25 vCPU.
pub const DEFAULT_FARGATE_CPU_UNITS: u32 = 256;

/// Memory of a container unless `memory` says otherwise, MiB.
pub const DEFAULT_MEMORY_MB: u32 = 512;

/// Seconds between health checks unless `health_check.interval_seconds` says otherwise
/// (ECS's own default).
pub const DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS: i64 = 30;

/// The Workers runtime's compatibility date every script is uploaded with. Pinned, like
/// the price tables, so an upgrade of the runtime's behaviour is a reviewed change.
pub const WORKERS_COMPATIBILITY_DATE: &str = "2026-06-01";

/// The module name a Worker script is uploaded under.
pub const WORKERS_MAIN_MODULE: &str = "index.js";

/// The Fly.io organization apps go to when the provider names none (Fly's own default).
pub const DEFAULT_FLY_ORG: &str = "personal";

/// Sanity range of `requirements.cpu_ms_per_request`: up to an hour of CPU.
pub const CPU_MS_PER_REQUEST: IntRange = IntRange {
    min: 1,
    max: 3_600_000,
};

/// Sanity range of `requirements.memory_mb`: up to Fargate's largest task.
pub const REQUIREMENT_MEMORY_MB: IntRange = IntRange {
    min: 1,
    max: 122_880,
};

/// The Fly.io region nearest each AWS region, for services that list no `regions`.
const NEAREST_FLY_REGION: [(&str, &str); 16] = [
    ("af-south-1", "jnb"),
    ("ap-northeast-1", "nrt"),
    ("ap-south-1", "bom"),
    ("ap-southeast-1", "sin"),
    ("ap-southeast-2", "syd"),
    ("ca-central-1", "yyz"),
    ("eu-central-1", "fra"),
    ("eu-north-1", "arn"),
    ("eu-west-1", "lhr"),
    ("eu-west-2", "lhr"),
    ("eu-west-3", "cdg"),
    ("sa-east-1", "gru"),
    ("us-east-1", "iad"),
    ("us-east-2", "ord"),
    ("us-west-1", "sjc"),
    ("us-west-2", "sjc"),
];

/// A service's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe service name; cloud names are `<environment>-<name>`.
    pub name: String,
    /// `auto`, `aws_fargate`, `fly` or `cloudflare_workers`, unparsed so typos can be
    /// explained.
    pub host: String,
    /// Container image, for Fargate and Fly.io.
    pub image: Option<String>,
    /// Workers ES module source, for Cloudflare Workers.
    pub script: Option<String>,
    /// The port the container listens on.
    pub port: Option<i64>,
    /// CPU size as written (`"0.5"`, `"1 vCPU"`, `"1024"`).
    pub cpu: Option<String>,
    /// Memory size as written (`"512"`, `"1GB"`).
    pub memory: Option<String>,
    /// The `scaling` block.
    pub scaling: ScalingInput,
    /// The `health_check` block, if given.
    pub health_check: Option<HealthCheckInput>,
    /// Plain environment variables.
    pub env: BTreeMap<String, String>,
    /// Secrets by variable name: references (ARNs, `secret://NAME`), never values.
    pub secrets: BTreeMap<String, String>,
    /// Regions: Fly.io region codes for active-active, or the environment's AWS region.
    pub regions: Vec<String>,
    /// What the service needs from its host.
    pub requirements: RequirementsInput,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
    /// The provider's Fly.io organization slug, if configured.
    pub fly_org: Option<String>,
    /// The Cloudflare zone name (`example.com`) to route the Worker on, if configured.
    pub cloudflare_zone: Option<String>,
    /// Which `env`, `secrets` and `tags` values are unknown at plan time.
    pub unknown: UnknownValues,
    /// Fargate: the execution role the configuration names; without one the service gets
    /// its own ([`iam::execution_role`]).
    pub execution_role_arn: Option<String>,
    /// Fargate: grants for the service's code (IAM policy statements as JSON), which make
    /// its task role ([`iam::task_role`]).
    pub access: Vec<String>,
    /// Fargate: the task role the configuration names, instead of `access`.
    pub task_role_arn: Option<String>,
    /// Fargate: the `deployment` block.
    pub deployment: DeploymentInput,
    /// Fargate: the place on the environment's shared load balancer.
    pub ingress: Option<ingress::ServiceIngressInput>,
}

/// The `deployment` block as written: each field overrides the tier's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentInput {
    /// Whether ECS's deployment circuit breaker stops a deployment whose tasks keep failing.
    pub circuit_breaker: Option<bool>,
    /// Whether a deployment the circuit breaker stopped rolls back to the last good one.
    pub rollback: Option<bool>,
    /// Whether an apply waits until the service runs the new revision everywhere.
    pub wait_for_steady_state: Option<bool>,
    /// How long that wait may take, in minutes.
    pub timeout_minutes: Option<i64>,
    /// `config` (the default: the configured `image` runs) or `external` (CI deploys
    /// images; the one running is kept), unparsed so validation can explain typos.
    pub image_source: Option<String>,
    /// The image the task definition runs now, as the state last read it; with
    /// `image_source = "external"` it is kept.
    pub deployed_image: Option<String>,
}

/// `deployment.image_source` values.
pub const IMAGE_SOURCES: [&str; 2] = ["config", "external"];

impl ServiceInput {
    /// The image the task definition runs, and what decided it: with images deployed
    /// outside Terraform, the deployed one once it differs from the configured one
    /// (`external`); else the configured one (`config`).
    pub fn effective_image(&self) -> (&str, Source) {
        let configured = self.image.as_deref().unwrap_or_default();
        match (
            &self.deployment.image_source,
            &self.deployment.deployed_image,
        ) {
            (Some(s), Some(deployed)) if s == "external" && deployed != configured => {
                (deployed.as_str(), Source::External)
            }
            _ => (configured, Source::Config),
        }
    }
}

/// Map entries whose values are only known after apply (an `env` value from a database's
/// endpoint, a secret ARN created in the same plan, a tag). Their keys are in the maps
/// (names are known) with empty values that nothing reads: placement and the expansion do
/// not depend on them, validation skips their values, and the settings they feed are
/// planned unknown ([`ServicePlan::unknown_settings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownValues {
    /// `env` keys whose values are unknown.
    pub env: BTreeSet<String>,
    /// `secrets` keys whose references are unknown.
    pub secrets: BTreeSet<String>,
    /// `tags` keys whose values are unknown.
    pub tags: BTreeSet<String>,
}

/// The `scaling` block as written: every field overrides the environment's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScalingInput {
    /// Minimum instances (Fargate tasks, Fly.io machines per region).
    pub min: Option<i64>,
    /// Maximum Fargate tasks.
    pub max: Option<i64>,
    /// Average CPU that Fargate autoscaling aims for, in percent.
    pub target_cpu_percent: Option<i64>,
}

/// The `health_check` block as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheckInput {
    /// HTTP path to probe, starting with `/`.
    pub path: String,
    /// Seconds between probes.
    pub interval_seconds: Option<i64>,
}

/// The `requirements` block as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementsInput {
    /// Holds WebSockets or streams open.
    pub long_lived_connections: Option<bool>,
    /// Reaches private AWS resources such as RDS in the VPC.
    pub private_network_access: Option<bool>,
    /// CPU time one request uses, ms.
    pub cpu_ms_per_request: Option<i64>,
    /// Memory the service needs, MB.
    pub memory_mb: Option<i64>,
    /// Does background work rather than only answering requests.
    pub background_work: Option<bool>,
}

/// A Fly.io machine's guest size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlyGuest {
    /// `shared` or `performance`.
    pub cpu_kind: &'static str,
    /// Whole CPUs.
    pub cpus: u32,
    /// Memory, MB (a multiple of 256).
    pub memory_mb: u32,
}

impl FlyGuest {
    /// The preset this guest's CPUs belong to, e.g. `shared-cpu-2x`, `performance-1x`.
    pub fn preset(&self) -> String {
        let limits = fly_limits(self.cpu_kind);
        format!("{}-{}x", limits.preset_prefix, self.cpus)
    }
}

/// The planned service: where it runs, its effective settings and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    /// The environment's name.
    pub environment: String,
    /// The service's name as configured.
    pub name: String,
    /// `<environment>-<name>`: the family, app and script name on every host.
    pub cloud_name: String,
    /// The resolved host (`resolved_host`) and `placement_reason`.
    pub placement: Placement,
    /// Effective service-level settings (`cpu`, `memory`, `scaling.min`, …) as strings.
    pub settings: BTreeMap<String, String>,
    /// For each key of `settings`, where its value came from.
    pub settings_source: BTreeMap<String, Source>,
    /// The expansion, in creation order: a rendering of `host_plan` for people to read.
    pub children: Vec<Child>,
    /// What the host's backends build from, typed.
    pub host_plan: HostPlan,
    /// Settings, by child key, derived from values unknown at plan time: their values in
    /// `children` are stand-ins, to be shown as known after apply.
    pub unknown_settings: BTreeMap<String, BTreeSet<String>>,
    /// Whether a tag value is unknown at plan time, and so every child's tags.
    pub tags_unknown: bool,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
    /// Where the service answers, when known at plan time.
    pub url: Option<String>,
    /// Effective tags: `default_tags`, the environment's tags, `tags`, then the platform's tags.
    pub tags: BTreeMap<String, String>,
    /// Things that work but deserve a look, to be shown as warnings.
    pub warnings: Vec<Violation>,
}

/// The typed plan of the service's host: the only input the backends take from the
/// planner. `ServicePlan::children` settings are rendered from it, never parsed back.
#[derive(Debug, Clone, PartialEq)]
pub enum HostPlan {
    /// ECS Fargate.
    Fargate(Box<FargatePlan>),
    /// Fly.io Machines.
    Fly(FlyPlan),
    /// Cloudflare Workers.
    Workers(WorkersPlan),
}

/// What is wrong with the inputs and what deserves a look, found in one pass.
struct Analysis {
    errors: Vec<Violation>,
    warnings: Vec<Violation>,
    resolved: Option<Resolved>,
}

/// Everything the expansion needs, once validation has passed.
struct Resolved {
    placement: Placement,
    requirements: Requirements,
    size: Size,
    /// The port and its source; `None` for a worker.
    port: Option<(i64, Source)>,
    scaling: Scaling,
    health_check: Option<HealthCheck>,
    regions: (Vec<String>, Source),
    tags: BTreeMap<String, String>,
}

/// A host's effective compute size, each part with its source.
enum Size {
    Fargate {
        cpu: (Cpu, Source),
        memory_mb: (u32, Source),
    },
    Fly {
        guest: FlyGuest,
        cpu_source: Source,
        memory_source: Source,
    },
    Workers,
}

struct Scaling {
    min: (i64, Source),
    max: (i64, Source),
    target_cpu_percent: (i64, Source),
    scale_out_cooldown_seconds: (i64, Source),
    scale_in_cooldown_seconds: (i64, Source),
}

struct HealthCheck {
    path: String,
    interval_seconds: (i64, Source),
}

/// Checks every input and returns every error found, not just the first. Warnings are
/// not errors: [`plan`] returns them in [`ServicePlan::warnings`].
pub fn validate(input: &ServiceInput) -> Vec<Violation> {
    analyse(input).errors
}

/// Validates, places, resolves and expands the service into its host's children.
pub fn plan(input: &ServiceInput) -> Result<ServicePlan, Vec<Violation>> {
    let Analysis {
        errors,
        mut warnings,
        resolved,
    } = analyse(input);
    if !errors.is_empty() {
        return Err(errors);
    }
    // Validation passing without a resolution would be a planner bug; say so as a
    // diagnostic rather than panicking inside the provider.
    let resolved = resolved.ok_or_else(|| {
        vec![Violation::new(
            AttributePath::root(),
            "Internal Planner Error",
            "The service passed validation but could not be planned. Please report this.",
        )]
    })?;

    let ctx = &input.environment;
    let cloud_name = naming::child_name(&ctx.name, &input.name);
    let host = resolved.placement.host;
    let mut unknown_settings = BTreeMap::new();
    let unknown = &mut unknown_settings;
    let (children, url, host_plan) = match host {
        Host::AwsFargate => expand_fargate(input, &resolved, &cloud_name, &mut warnings, unknown),
        Host::Fly => expand_fly(input, &resolved, &cloud_name, unknown),
        Host::CloudflareWorkers => expand_workers(input, &resolved, &cloud_name, unknown),
    };
    // The resolved size always matches the placed host; a mismatch is a planner bug.
    let host_plan = host_plan.ok_or_else(|| {
        vec![Violation::new(
            AttributePath::root(),
            "Internal Planner Error",
            "The service's size does not fit its host. Please report this.",
        )]
    })?;
    let (settings, settings_source) = service_settings(&resolved);
    let estimated_monthly_cost_usd = children.iter().map(|c| c.monthly_cost_usd).sum();
    Ok(ServicePlan {
        environment: ctx.name.clone(),
        name: input.name.clone(),
        cloud_name,
        placement: resolved.placement,
        settings,
        settings_source,
        children,
        host_plan,
        unknown_settings,
        tags_unknown: !input.unknown.tags.is_empty(),
        estimated_monthly_cost_usd,
        url,
        tags: resolved.tags,
        warnings,
    })
}

fn analyse(input: &ServiceInput) -> Analysis {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let ctx = &input.environment;

    naming::check_dns_name(
        &input.name,
        "Service",
        SERVICE_NAME_LENGTH,
        "scoring-api",
        &mut errors,
    );
    let choice = match Host::parse_choice(&input.host) {
        Ok(choice) => Some(choice),
        Err(_) => {
            errors.push(messages::unknown_choice(
                AttributePath::attr("host"),
                &input.host,
                &placement::HOST_CHOICES,
                Host::suggest(&input.host),
            ));
            None
        }
    };
    check_artefact(input, &mut errors);
    check_requirements_input(&input.requirements, &mut errors);
    check_regions_shape(&input.regions, &mut errors);

    let requirements = requirements_of(input);
    let placement = choice.map(|choice| placement::resolve(choice, &requirements));
    let host = placement.as_ref().map(|p| p.host);
    if let Some(host) = host {
        errors.extend(placement::check_explicit(host, &requirements));
        warnings.extend(placement::caveats(host, &requirements));
    }

    let port = resolve_port(input, host, &mut errors, &mut warnings);
    let size =
        host.and_then(|host| resolve_size(input, host, &requirements, &mut errors, &mut warnings));
    let scaling = resolve_scaling(input, host, &mut errors, &mut warnings);
    let health_check = resolve_health_check(input, host, &mut errors, &mut warnings);
    check_variables(input, host, &mut errors);
    check_access(input, host, &mut errors);
    if host == Some(Host::AwsFargate) {
        check_roles(
            input,
            &naming::child_name(&ctx.name, &input.name),
            &mut errors,
        );
    }
    check_deployment(input, host, &mut errors, &mut warnings);
    let regions = host.and_then(|host| resolve_regions(input, host, &mut errors, &mut warnings));
    ingress::check_ingress(input, host, port.flatten().map(|(p, _)| p), &mut errors);
    if host == Some(Host::AwsFargate) && ctx.network.subnet_ids.is_empty() {
        errors.push(messages::missing_setting(
            AttributePath::attr("environment"),
            &format!(
                "The environment `{}` has no `network`, but Fargate tasks need subnets to \
                 run in",
                ctx.name
            ),
            "Add a `network` block with `subnet_ids` and `security_group_ids` to the \
             `platform_environment`, or choose another `host`.",
        ));
    }
    if let Some(zone) = &input.cloudflare_zone {
        check_zone(zone, &mut errors);
    }
    let platform = naming::platform_tags(&ctx.name, COMPONENT);
    let tags =
        match naming::merge_child_tags(&input.default_tags, &ctx.tags, &input.tags, &platform) {
            Ok(tags) => Some(tags),
            Err(tag_errors) => {
                errors.extend(tag_errors);
                None
            }
        };

    let resolved = match (placement, size, port, scaling, health_check, regions, tags) {
        (
            Some(placement),
            Some(size),
            Some(port),
            Some(scaling),
            Some(health_check),
            Some(regions),
            Some(tags),
        ) => Some(Resolved {
            placement,
            requirements,
            size,
            port,
            scaling,
            health_check,
            regions,
            tags,
        }),
        _ => None,
    };
    Analysis {
        errors,
        warnings,
        resolved,
    }
}

/// Placement's view of the inputs. `memory_mb` is only what `requirements` states: the
/// `memory` size is checked against each host's own limits with its own path.
fn requirements_of(input: &ServiceInput) -> Requirements {
    let r = &input.requirements;
    let distinct_regions: BTreeSet<&str> = input.regions.iter().map(String::as_str).collect();
    Requirements {
        long_lived_connections: r.long_lived_connections.unwrap_or(false),
        private_network_access: r.private_network_access.unwrap_or(false),
        cpu_ms_per_request: r.cpu_ms_per_request,
        memory_mb: r.memory_mb,
        multi_region: distinct_regions.len() > 1,
        has_image: input.image.is_some(),
        has_script: input.script.is_some(),
        background_work: r.background_work.unwrap_or(false),
    }
}

/// Where an inherited policy value came from: `environment` when the environment set it,
/// otherwise the environment's tier default it carries.
fn inherited(ctx: &EnvironmentContext, field: &str) -> Source {
    match ctx.policy_source.get(field) {
        Some(Source::Tier(tier)) => Source::Tier(*tier),
        _ => Source::Environment,
    }
}

fn tier_default(ctx: &EnvironmentContext) -> Source {
    Source::Tier(ctx.tier)
}

fn config_or(given: bool, otherwise: Source) -> Source {
    if given { Source::Config } else { otherwise }
}

#[cfg(test)]
mod tests;
