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
//!   `tier:<tier>`: port 8080; Fargate 0.25 vCPU / 512 MiB; Fly.io 1 shared CPU / 512 MB;
//!   health checks every 30 s; Fly organization `personal`. Scaling, cooldowns and log
//!   retention come from the environment: shown as `environment` when the environment
//!   overrode its tier, else as the tier's default.
//! - **Fly.io size**: whole CPUs only; `shared` when the memory fits 256 MB–2 GB per CPU,
//!   else `performance` (2–8 GB per CPU), the cheaper kind that fits.
//! - **Fly.io regions** default to the Fly.io region nearest the environment's AWS region.
//!   Fly machines are a fixed `scaling.min` per region; `scaling.max` and the CPU target
//!   only drive Fargate's autoscaling, so setting them for Fly.io is a warning.
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
use super::{Child, Source, Tier, Violation, messages, naming, prices};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "api_service";

/// The port a container listens on unless `port` says otherwise.
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
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
    /// Where the service answers, when known at plan time.
    pub url: Option<String>,
    /// Effective tags: `default_tags`, the environment's tags, `tags`, then the platform's tags.
    pub tags: BTreeMap<String, String>,
    /// Things that work but deserve a look, to be shown as warnings.
    pub warnings: Vec<Violation>,
}

/// What is wrong with the inputs and what deserves a look, found in one pass.
struct Analysis {
    errors: Vec<Violation>,
    warnings: Vec<Violation>,
    resolved: Option<Resolved>,
}

/// Everything the expansion needs, once validation has passed.
struct Resolved {
    tier: Tier,
    placement: Placement,
    requirements: Requirements,
    size: Size,
    port: (i64, Source),
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
    let (children, url) = match host {
        Host::AwsFargate => expand_fargate(input, &resolved, &cloud_name, &mut warnings),
        Host::Fly => expand_fly(input, &resolved, &cloud_name),
        Host::CloudflareWorkers => expand_workers(input, &resolved, &cloud_name),
    };
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
    let regions = host.and_then(|host| resolve_regions(input, host, &mut errors, &mut warnings));
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
            tier: ctx.tier,
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

// ---- validation rules and resolution ------------------------------------------------------

fn check_artefact(input: &ServiceInput, out: &mut Vec<Violation>) {
    match (&input.image, &input.script) {
        (Some(_), Some(_)) => out.push(messages::conflicting_attributes(
            AttributePath::attr("script"),
            "image",
            "script",
            "a service is either a container image (Fargate, Fly.io) or a Workers module \
             script (Cloudflare Workers)",
        )),
        (None, None) => out.push(messages::missing_one_of(
            AttributePath::attr("image"),
            "image",
            "script",
            "a service runs either a container image (Fargate, Fly.io) or a Workers module \
             script (Cloudflare Workers)",
        )),
        _ => {}
    }
    if let Some(image) = &input.image
        && (image.is_empty() || image.chars().any(char::is_whitespace))
    {
        out.push(messages::invalid_format(
            AttributePath::attr("image"),
            "Invalid Image",
            image,
            "a container image reference without spaces",
            "ghcr.io/acme/scoring-api:1.4.2",
        ));
    }
    if let Some(script) = &input.script {
        let path = AttributePath::attr("script");
        if script.trim().is_empty() {
            out.push(messages::missing_setting(
                path,
                "`script` is empty",
                "Set it to the Worker's ES module source, for example with `file(\"dist/index.js\")`.",
            ));
        } else if script.len() > WORKERS_MAX_SCRIPT_BYTES {
            out.push(messages::too_large(
                path,
                "script",
                script.len(),
                WORKERS_MAX_SCRIPT_BYTES,
                "Cloudflare Workers",
            ));
        }
    }
}

fn check_requirements_input(r: &RequirementsInput, out: &mut Vec<Violation>) {
    let path = |field: &str| AttributePath::attr("requirements").then_attr(field);
    if let Some(ms) = r
        .cpu_ms_per_request
        .filter(|v| !CPU_MS_PER_REQUEST.contains(*v))
    {
        out.push(messages::out_of_range(
            path("cpu_ms_per_request"),
            ms,
            CPU_MS_PER_REQUEST,
        ));
    }
    if let Some(mb) = r.memory_mb.filter(|v| !REQUIREMENT_MEMORY_MB.contains(*v)) {
        out.push(messages::out_of_range(
            path("memory_mb"),
            mb,
            REQUIREMENT_MEMORY_MB,
        ));
    }
}

fn check_regions_shape(regions: &[String], out: &mut Vec<Violation>) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, region) in regions.iter().enumerate() {
        let at = AttributePath::attr("regions").then_index(index);
        if let Some(first) = first_seen.get(region.as_str()) {
            out.push(messages::duplicate(at, region, *first));
        } else {
            first_seen.insert(region, index);
        }
    }
}

fn resolve_port(
    input: &ServiceInput,
    host: Option<Host>,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<(i64, Source)> {
    let path = AttributePath::attr("port");
    if let Some(port) = input.port.filter(|p| !PORT.contains(*p)) {
        errors.push(messages::out_of_range(path, port, PORT));
        return None;
    }
    if host == Some(Host::CloudflareWorkers) && input.port.is_some() {
        warnings.push(messages::ignored_setting(
            path,
            Host::CloudflareWorkers.label(),
            "a Worker receives requests through its route, not on a port",
        ));
    }
    Some(match input.port {
        Some(port) => (port, Source::Config),
        None => (DEFAULT_PORT, tier_default(&input.environment)),
    })
}

fn parse_size<T>(
    given: Option<&String>,
    attribute: &str,
    summary: &str,
    parse: fn(&str) -> Result<T, String>,
    errors: &mut Vec<Violation>,
) -> Result<Option<T>, ()> {
    match given.map(|s| parse(s)) {
        None => Ok(None),
        Some(Ok(value)) => Ok(Some(value)),
        Some(Err(message)) => {
            errors.push(messages::invalid_quantity(
                AttributePath::attr(attribute),
                summary,
                &message,
            ));
            Err(())
        }
    }
}

fn resolve_size(
    input: &ServiceInput,
    host: Host,
    requirements: &Requirements,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<Size> {
    let cpu = parse_size(
        input.cpu.as_ref(),
        "cpu",
        "Invalid CPU Size",
        units::parse_cpu,
        errors,
    );
    let memory = parse_size(
        input.memory.as_ref(),
        "memory",
        "Invalid Memory Size",
        units::parse_memory_mb,
        errors,
    );
    let (Ok(cpu), Ok(memory)) = (cpu, memory) else {
        return None;
    };
    let tier = tier_default(&input.environment);
    match host {
        Host::AwsFargate => fargate_size(cpu, memory, tier, errors),
        Host::Fly => fly_size(cpu, memory, tier, errors),
        Host::CloudflareWorkers => {
            if input.cpu.is_some() {
                warnings.push(messages::ignored_setting(
                    AttributePath::attr("cpu"),
                    Host::CloudflareWorkers.label(),
                    "Workers have no CPU size; state `requirements.cpu_ms_per_request` instead",
                ));
            }
            if let Some(mb) = memory.filter(|mb| i64::from(*mb) > WORKERS_MEMORY_MB) {
                let container = Requirements {
                    has_image: true,
                    has_script: false,
                    ..*requirements
                };
                errors.push(messages::host_cannot_meet(
                    AttributePath::attr("memory"),
                    &format!(
                        "`memory` is `{}`, but a Cloudflare Worker has `{WORKERS_MEMORY_MB}` \
                         MB of memory.",
                        units::memory_as_input(mb)
                    ),
                    placement::place(&container).host.as_str(),
                    if requirements.has_image {
                        ""
                    } else {
                        ", with the service built as a container `image`"
                    },
                ));
                return None;
            }
            Some(Size::Workers)
        }
    }
}

/// `` `cpu = "0.5"` with `memory = "1GB"` ``, a size to copy into HCL.
fn size_suggestion(cpu: &str, memory_mb: u32) -> String {
    format!(
        "`cpu = \"{cpu}\"` with `memory = \"{}\"`",
        units::memory_as_input(memory_mb)
    )
}

fn fargate_cpu_list() -> String {
    let sizes: Vec<String> = limits::FARGATE_SIZES
        .iter()
        .map(|s| format!("`{}`", Cpu::from_units(s.cpu_units).as_input()))
        .collect();
    sizes.join(", ")
}

fn fargate_size(
    cpu: Option<Cpu>,
    memory: Option<u32>,
    tier: Source,
    errors: &mut Vec<Violation>,
) -> Option<Size> {
    const SUMMARY: &str = "Unsupported Fargate Size";
    let default_cpu = Cpu::from_units(DEFAULT_FARGATE_CPU_UNITS);
    let (cpu, memory) = match (cpu, memory) {
        (None, None) => ((default_cpu, tier), (DEFAULT_MEMORY_MB, tier)),
        (Some(cpu), memory) => {
            let Some(row) = limits::fargate_size(cpu.units()) else {
                let next = limits::fargate_size_at_least(cpu.units());
                let next_cpu = Cpu::from_units(next.cpu_units);
                let memory_mb = memory.map_or(next.min_memory(), |m| next.nearest_memory(m));
                errors.push(messages::unsupported_size(
                    AttributePath::attr("cpu"),
                    SUMMARY,
                    &format!(
                        "Fargate has no `{cpu}` task size: it offers {} vCPU.",
                        fargate_cpu_list()
                    ),
                    &[size_suggestion(&next_cpu.as_input(), memory_mb)],
                ));
                return None;
            };
            match memory {
                None => ((cpu, Source::Config), (row.min_memory(), tier)),
                Some(mb) if row.allows(mb) => ((cpu, Source::Config), (mb, Source::Config)),
                Some(mb) => {
                    let mut suggestions =
                        vec![size_suggestion(&cpu.as_input(), row.nearest_memory(mb))];
                    if let Some(fits) = limits::fargate_size_for_memory(mb) {
                        suggestions.push(format!(
                            "{} to keep the memory",
                            size_suggestion(&Cpu::from_units(fits.cpu_units).as_input(), mb)
                        ));
                    }
                    errors.push(messages::unsupported_size(
                        AttributePath::attr("memory"),
                        SUMMARY,
                        &format!(
                            "Fargate has no task with `{cpu}` and `{mb}` MiB: with `{}` CPU \
                             units, memory must be {}.",
                            cpu.units(),
                            row.describe_memory()
                        ),
                        &suggestions,
                    ));
                    return None;
                }
            }
        }
        (None, Some(mb)) => match limits::fargate_size_for_memory(mb) {
            Some(row) => ((Cpu::from_units(row.cpu_units), tier), (mb, Source::Config)),
            None => {
                let (row, nearest) = nearest_fargate_memory(mb);
                errors.push(messages::unsupported_size(
                    AttributePath::attr("memory"),
                    SUMMARY,
                    &format!(
                        "Fargate has no task with `{mb}` MiB: memory is 512, 1024 or 2048 MiB, \
                         or a whole number of GB from 1 to 30, or larger sizes in 4 or 8 GB steps."
                    ),
                    &[size_suggestion(
                        &Cpu::from_units(row.cpu_units).as_input(),
                        nearest,
                    )],
                ));
                return None;
            }
        },
    };
    Some(Size::Fargate {
        cpu,
        memory_mb: memory,
    })
}

/// The Fargate memory value nearest `mb` in the whole table, with the smallest CPU
/// offering it; on a tie the larger memory wins.
fn nearest_fargate_memory(mb: u32) -> (&'static limits::FargateSize, u32) {
    let mut best = (
        &limits::FARGATE_SIZES[0],
        limits::FARGATE_SIZES[0].min_memory(),
    );
    for row in &limits::FARGATE_SIZES {
        let nearest = row.nearest_memory(mb);
        let better = nearest.abs_diff(mb) < best.1.abs_diff(mb)
            || (nearest.abs_diff(mb) == best.1.abs_diff(mb) && nearest > best.1);
        if better {
            best = (row, nearest);
        }
    }
    best
}

fn fly_limits(kind: &str) -> FlyCpuKindLimits {
    if kind == FLY_PERFORMANCE.kind {
        FLY_PERFORMANCE
    } else {
        FLY_SHARED
    }
}

/// The cheaper Fly.io CPU kind that runs `cpus` with `memory_mb`, if any does.
fn fly_kind(cpus: u32, memory_mb: u32) -> Option<&'static str> {
    FLY_CPU_KINDS
        .into_iter()
        .find(|k| k.allows(cpus, memory_mb))
        .map(|k| k.kind)
}

fn fly_size(
    cpu: Option<Cpu>,
    memory: Option<u32>,
    tier: Source,
    errors: &mut Vec<Violation>,
) -> Option<Size> {
    const SUMMARY: &str = "Unsupported Fly Machine Size";
    let cpu_counts = limits::fly_cpu_counts();
    let most_cpus = cpu_counts.last().copied().unwrap_or(1);
    let cpus = match cpu {
        None => None,
        Some(cpu) => match cpu.whole_vcpus().filter(|c| cpu_counts.contains(c)) {
            Some(cpus) => Some(cpus),
            None => {
                let wanted = cpu.units().div_ceil(units::UNITS_PER_VCPU);
                let next = cpu_counts
                    .iter()
                    .copied()
                    .find(|c| *c >= wanted)
                    .unwrap_or(most_cpus);
                let memory_mb = memory.unwrap_or(DEFAULT_MEMORY_MB).max(256 * next);
                let memory_mb = round_up(memory_mb, FLY_MEMORY_STEP_MB).clamp(
                    FLY_SHARED.min_mb_per_cpu * next,
                    FLY_PERFORMANCE.max_mb_per_cpu * next,
                );
                errors.push(messages::unsupported_size(
                    AttributePath::attr("cpu"),
                    SUMMARY,
                    &format!(
                        "Fly.io has no machine with `{cpu}`: machines have {}.",
                        limits::describe_fly_cpus()
                    ),
                    &[size_suggestion(&next.to_string(), memory_mb)],
                ));
                return None;
            }
        },
    };
    let (cpus, cpu_source, memory_mb, memory_source) = match (cpus, memory) {
        (None, None) => (1, tier, DEFAULT_MEMORY_MB, tier),
        // The least memory the cheapest kind with that many CPUs allows (at least the
        // platform default): 10 to 16 CPUs exist only as performance CPUs.
        (Some(cpus), None) => {
            let memory_mb = FLY_CPU_KINDS
                .iter()
                .find(|k| k.cpus.contains(&cpus))
                .map_or(DEFAULT_MEMORY_MB, |k| {
                    DEFAULT_MEMORY_MB.max(k.min_mb_per_cpu * cpus)
                });
            (cpus, Source::Config, memory_mb, tier)
        }
        (cpus, Some(mb)) => {
            if !mb.is_multiple_of(FLY_MEMORY_STEP_MB) {
                let up = round_up(mb, FLY_MEMORY_STEP_MB);
                errors.push(messages::unsupported_size(
                    AttributePath::attr("memory"),
                    SUMMARY,
                    &format!(
                        "Fly.io machine memory must be a multiple of `{FLY_MEMORY_STEP_MB}` \
                         MB, and `{mb}` is not."
                    ),
                    &[format!("`memory = \"{}\"`", units::memory_as_input(up))],
                ));
                return None;
            }
            match cpus {
                Some(cpus) => (cpus, Source::Config, mb, Source::Config),
                // The fewest CPUs of the cheaper kind first: shared CPUs cost a fraction of
                // performance ones, so two shared CPUs with 4 GB beat one performance CPU.
                None => match FLY_CPU_KINDS
                    .iter()
                    .find_map(|k| k.cpus.iter().copied().find(|c| k.allows(*c, mb)))
                {
                    Some(cpus) => (cpus, tier, mb, Source::Config),
                    None => (most_cpus, tier, mb, Source::Config),
                },
            }
        }
    };
    let Some(cpu_kind) = fly_kind(cpus, memory_mb) else {
        errors.push(messages::unsupported_size(
            AttributePath::attr("memory"),
            SUMMARY,
            &format!(
                "Fly.io has no machine with {cpus} CPU and `{memory_mb}` MB: shared CPUs take \
                 256 MB to 2 GB each ({}–{} MB for {cpus}), performance CPUs 2 GB to 8 GB \
                 each ({}–{} MB).",
                FLY_SHARED.min_mb_per_cpu * cpus,
                FLY_SHARED.max_mb_per_cpu * cpus,
                FLY_PERFORMANCE.min_mb_per_cpu * cpus,
                FLY_PERFORMANCE.max_mb_per_cpu * cpus,
            ),
            &fly_suggestions(cpus, memory_mb),
        ));
        return None;
    };
    Some(Size::Fly {
        guest: FlyGuest {
            cpu_kind,
            cpus,
            memory_mb,
        },
        cpu_source,
        memory_source,
    })
}

/// Valid Fly.io sizes near an invalid one: the same CPUs with the nearest memory they
/// allow, and the fewest CPUs that allow the memory as given.
fn fly_suggestions(cpus: u32, memory_mb: u32) -> Vec<String> {
    let mut out = Vec::new();
    let clamped = memory_mb.clamp(
        FLY_SHARED.min_mb_per_cpu * cpus,
        FLY_PERFORMANCE.max_mb_per_cpu * cpus,
    );
    if fly_kind(cpus, clamped).is_some() {
        out.push(size_suggestion(&cpus.to_string(), clamped));
    }
    if let Some(fits) = limits::fly_cpu_counts()
        .into_iter()
        .find(|c| fly_kind(*c, memory_mb).is_some())
    {
        out.push(format!(
            "{} to keep the memory",
            size_suggestion(&fits.to_string(), memory_mb)
        ));
    }
    out
}

fn round_up(value: u32, step: u32) -> u32 {
    value.div_ceil(step) * step
}

fn resolve_scaling(
    input: &ServiceInput,
    host: Option<Host>,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<Scaling> {
    let ctx = &input.environment;
    let s = &input.scaling;
    let path = |field: &str| AttributePath::attr("scaling").then_attr(field);
    let mut ok = true;
    for (field, value, range) in [
        ("min", s.min, MIN_INSTANCES),
        ("max", s.max, MAX_INSTANCES),
        (
            "target_cpu_percent",
            s.target_cpu_percent,
            TARGET_CPU_PERCENT,
        ),
    ] {
        if let Some(value) = value.filter(|v| !range.contains(*v)) {
            errors.push(messages::out_of_range(path(field), value, range));
            ok = false;
        }
    }
    let min = s.min.unwrap_or(ctx.policy.min_instances);
    let max = s.max.unwrap_or(ctx.policy.max_instances);
    if ok && min > max {
        let from = |given: bool, field: &str, policy: &str| {
            if given {
                format!("from `scaling.{field}`")
            } else {
                format!("the environment's `{policy}`")
            }
        };
        let at = if s.max.is_some() { "max" } else { "min" };
        errors.push(messages::scaling_min_exceeds_max(
            path(at),
            min,
            &from(s.min.is_some(), "min", "min_instances"),
            max,
            &from(s.max.is_some(), "max", "max_instances"),
        ));
        ok = false;
    }
    match host {
        Some(Host::CloudflareWorkers) => {
            for (field, given) in [
                ("min", s.min.is_some()),
                ("max", s.max.is_some()),
                ("target_cpu_percent", s.target_cpu_percent.is_some()),
            ] {
                if given {
                    warnings.push(messages::ignored_setting(
                        path(field),
                        Host::CloudflareWorkers.label(),
                        "Workers scale with traffic on their own",
                    ));
                }
            }
        }
        Some(Host::Fly) => {
            for (field, given) in [
                ("max", s.max.is_some()),
                ("target_cpu_percent", s.target_cpu_percent.is_some()),
            ] {
                if given {
                    warnings.push(messages::ignored_setting(
                        path(field),
                        Host::Fly.label(),
                        "the service runs a fixed `scaling.min` machines per region; only \
                         Fargate services autoscale",
                    ));
                }
            }
        }
        _ => {}
    }
    ok.then(|| Scaling {
        min: (
            min,
            config_or(s.min.is_some(), inherited(ctx, "min_instances")),
        ),
        max: (
            max,
            config_or(s.max.is_some(), inherited(ctx, "max_instances")),
        ),
        target_cpu_percent: (
            s.target_cpu_percent
                .unwrap_or(ctx.policy.target_cpu_percent),
            config_or(
                s.target_cpu_percent.is_some(),
                inherited(ctx, "target_cpu_percent"),
            ),
        ),
        scale_out_cooldown_seconds: (
            ctx.policy.scale_out_cooldown_seconds,
            inherited(ctx, "scale_out_cooldown_seconds"),
        ),
        scale_in_cooldown_seconds: (
            ctx.policy.scale_in_cooldown_seconds,
            inherited(ctx, "scale_in_cooldown_seconds"),
        ),
    })
}

fn resolve_health_check(
    input: &ServiceInput,
    host: Option<Host>,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<Option<HealthCheck>> {
    let Some(check) = &input.health_check else {
        return Some(None);
    };
    let at = |field: &str| AttributePath::attr("health_check").then_attr(field);
    let mut ok = true;
    if !check.path.starts_with('/')
        || check
            .path
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        errors.push(messages::invalid_format(
            at("path"),
            "Invalid Health Check Path",
            &check.path,
            "an HTTP path starting with `/`, without spaces",
            "/healthz",
        ));
        ok = false;
    }
    if let Some(seconds) = check
        .interval_seconds
        .filter(|s| !HEALTH_CHECK_INTERVAL_SECONDS.contains(*s))
    {
        errors.push(messages::out_of_range(
            at("interval_seconds"),
            seconds,
            HEALTH_CHECK_INTERVAL_SECONDS,
        ));
        ok = false;
    }
    if host == Some(Host::CloudflareWorkers) {
        warnings.push(messages::ignored_setting(
            AttributePath::attr("health_check"),
            Host::CloudflareWorkers.label(),
            "Cloudflare runs a Worker per request, so there is nothing to probe",
        ));
    }
    ok.then(|| {
        Some(HealthCheck {
            path: check.path.clone(),
            interval_seconds: match check.interval_seconds {
                Some(s) => (s, Source::Config),
                None => (
                    DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS,
                    tier_default(&input.environment),
                ),
            },
        })
    })
}

/// An environment variable name every host accepts: a letter or `_`, then letters,
/// digits or `_` (also a valid JavaScript identifier, as Worker bindings need).
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The kinds of secret reference the platform understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SecretRef<'a> {
    /// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
    SecretsManager,
    /// `arn:<partition>:ssm:<region>:<account>:parameter/<name>`.
    SsmParameter,
    /// `secret://<NAME>`: a secret already set on the Fly.io app or the Worker.
    HostSecret(&'a str),
}

/// What secrets may be, quoted in diagnostics.
const SECRET_FORMS: &str = "an AWS Secrets Manager ARN \
     (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`) or SSM parameter ARN \
     (`arn:aws:ssm:<region>:<account>:parameter/<name>`) for Fargate, or \
     `secret://<NAME>` for a secret already set on the Fly.io app or the Worker";

fn secret_ref(value: &str) -> Option<SecretRef<'_>> {
    if let Some(name) = value.strip_prefix("secret://") {
        return is_variable_name(name).then_some(SecretRef::HostSecret(name));
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let shaped = *arn == "arn"
        && partition.starts_with("aws")
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit());
    if !shaped {
        return None;
    }
    match *service {
        "secretsmanager" => resource
            .strip_prefix("secret:")
            .filter(|name| !name.is_empty())
            .map(|_| SecretRef::SecretsManager),
        "ssm" => resource
            .strip_prefix("parameter/")
            .filter(|name| !name.is_empty())
            .map(|_| SecretRef::SsmParameter),
        _ => None,
    }
}

fn check_variables(input: &ServiceInput, host: Option<Host>, out: &mut Vec<Violation>) {
    let invalid_name = |path: AttributePath, name: &str| {
        messages::invalid_format(
            path,
            "Invalid Variable Name",
            name,
            "a letter or `_`, then letters, digits or `_`",
            "DATABASE_URL",
        )
    };
    for (name, value) in &input.env {
        let path = AttributePath::attr("env").then_key(name);
        if !is_variable_name(name) {
            out.push(invalid_name(path.clone(), name));
        }
        if host == Some(Host::CloudflareWorkers) && value.len() > WORKERS_MAX_ENV_VAR_BYTES {
            out.push(messages::too_large(
                path,
                &format!("value of `{name}`"),
                value.len(),
                WORKERS_MAX_ENV_VAR_BYTES,
                "Cloudflare Workers",
            ));
        }
    }
    for (name, value) in &input.secrets {
        let path = AttributePath::attr("secrets").then_key(name);
        if !is_variable_name(name) {
            out.push(invalid_name(path.clone(), name));
        }
        if input.env.contains_key(name) {
            out.push(messages::duplicate_name(
                path.clone(),
                name,
                &format!("env[\"{name}\"]"),
            ));
        }
        match (secret_ref(value), host) {
            (None, _) => out.push(messages::not_a_secret_reference(path, SECRET_FORMS)),
            (Some(SecretRef::HostSecret(_)), Some(Host::AwsFargate)) => {
                out.push(messages::unusable_secret_reference(
                    path,
                    "AWS ECS Fargate reads container secrets from Secrets Manager or SSM \
                     Parameter Store, not from `secret://` references",
                    &format!(
                        "Store `{name}` in Secrets Manager and use its ARN, \
                         `arn:aws:secretsmanager:<region>:<account>:secret:<name>`."
                    ),
                ));
            }
            (Some(SecretRef::SecretsManager | SecretRef::SsmParameter), Some(host))
                if host != Host::AwsFargate =>
            {
                let how = if host == Host::Fly {
                    format!("`fly secrets set {name}=…`")
                } else {
                    format!("`wrangler secret put {name}`")
                };
                out.push(messages::unusable_secret_reference(
                    path,
                    &format!(
                        "{} cannot read AWS Secrets Manager or SSM Parameter Store",
                        host.label()
                    ),
                    &format!(
                        "Set the secret on the host with {how} and reference it as \
                         `secret://{name}`."
                    ),
                ));
            }
            (Some(SecretRef::HostSecret(other)), Some(_)) if other != name => {
                out.push(messages::unusable_secret_reference(
                    path,
                    &format!(
                        "Fly.io and Cloudflare expose a secret under its own name, so \
                         `secret://{other}` cannot appear as `{name}`"
                    ),
                    &format!("Use `secret://{name}`, or rename the key to `{other}`."),
                ));
            }
            _ => {}
        }
    }
    match host {
        Some(Host::AwsFargate) => check_task_definition_size(input, out),
        Some(Host::Fly) => {
            for (name, value) in &input.env {
                let bytes = name.len() + 1 + value.len();
                if bytes > LINUX_MAX_ENV_STRING_BYTES {
                    out.push(messages::environment_string_too_long(
                        AttributePath::attr("env").then_key(name),
                        name,
                        bytes,
                        LINUX_MAX_ENV_STRING_BYTES,
                        Host::Fly.label(),
                    ));
                }
            }
        }
        _ => {}
    }
    if host == Some(Host::CloudflareWorkers) {
        let count = input.env.len() + input.secrets.len();
        if count > WORKERS_MAX_ENV_VARS {
            out.push(messages::too_many_for(
                AttributePath::attr("env"),
                "environment variables and secrets together",
                count,
                WORKERS_MAX_ENV_VARS,
                "Cloudflare Workers",
            ));
        }
    }
}

/// ECS refuses a task definition over 64 KiB at apply time; variables are what can make
/// it that large, so their JSON (as `RegisterTaskDefinition` carries them) is added up
/// here, over an allowance for the rest of the task definition.
fn check_task_definition_size(input: &ServiceInput, out: &mut Vec<Violation>) {
    fn json_len(text: &str) -> usize {
        serde_json::to_string(text).map_or(text.len(), |quoted| quoted.len())
    }
    // `{"name":…,"value":…},` and `{"name":…,"valueFrom":…},`
    let entry = |name: &str, value: &str, field_bytes: usize| {
        json_len(name) + json_len(value) + field_bytes
    };
    let env: Vec<(&str, usize)> = input
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), entry(k, v, r#"{"name":,"value":},"#.len())))
        .collect();
    let secrets: Vec<(&str, usize)> = input
        .secrets
        .iter()
        .map(|(k, v)| (k.as_str(), entry(k, v, r#"{"name":,"valueFrom":},"#.len())))
        .collect();
    let env_bytes: usize = env.iter().map(|(_, b)| b).sum();
    let secret_bytes: usize = secrets.iter().map(|(_, b)| b).sum();
    let image_bytes = input.image.as_deref().map_or(0, str::len);
    let total = ECS_TASK_DEFINITION_BASE_BYTES + image_bytes + env_bytes + secret_bytes;
    if total <= ECS_TASK_DEFINITION_MAX_BYTES {
        return;
    }
    let (attr, entries, share) = if env_bytes >= secret_bytes {
        ("env", env, env_bytes)
    } else {
        ("secrets", secrets, secret_bytes)
    };
    let Some((name, bytes)) = entries.into_iter().max_by_key(|(_, b)| *b) else {
        return;
    };
    out.push(messages::task_definition_too_large(
        AttributePath::attr(attr),
        total,
        ECS_TASK_DEFINITION_MAX_BYTES,
        share,
        (&format!("{attr}[\"{name}\"]"), bytes),
    ));
}

fn nearest_fly_region(aws_region: &str) -> Option<&'static str> {
    NEAREST_FLY_REGION
        .iter()
        .find(|(aws, _)| *aws == aws_region)
        .map(|(_, fly)| *fly)
}

/// Fly.io region codes are three lowercase letters (`iad`, `ams`).
fn is_fly_region(region: &str) -> bool {
    region.len() == 3 && region.chars().all(|c| c.is_ascii_lowercase())
}

fn resolve_regions(
    input: &ServiceInput,
    host: Host,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<(Vec<String>, Source)> {
    let ctx = &input.environment;
    let path = AttributePath::attr("regions");
    let mut distinct: Vec<String> = Vec::new();
    for region in &input.regions {
        if !distinct.contains(region) {
            distinct.push(region.clone());
        }
    }
    match host {
        Host::Fly => {
            let mut ok = true;
            for (index, region) in input.regions.iter().enumerate() {
                if !is_fly_region(region) {
                    let example = nearest_fly_region(region)
                        .or(nearest_fly_region(&ctx.region))
                        .unwrap_or("iad");
                    errors.push(messages::invalid_format(
                        path.clone().then_index(index),
                        "Invalid Fly.io Region",
                        region,
                        "a Fly.io region code of three lowercase letters",
                        example,
                    ));
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            if !distinct.is_empty() {
                return Some((distinct, Source::Config));
            }
            match nearest_fly_region(&ctx.region) {
                Some(fly) => Some((vec![fly.to_string()], Source::Environment)),
                None => {
                    errors.push(messages::missing_setting(
                        path,
                        &format!(
                            "A Fly.io service needs at least one region, and there is no \
                             default Fly.io region for the environment's region `{}`",
                            ctx.region
                        ),
                        "Set `regions` to one or more Fly.io region codes, for example \
                         `[\"iad\"]`.",
                    ));
                    None
                }
            }
        }
        Host::AwsFargate => match distinct.as_slice() {
            [] => Some((vec![ctx.region.clone()], Source::Environment)),
            [only] if *only == ctx.region => Some((distinct, Source::Config)),
            // Several regions are reported by placement::check_explicit.
            [_, _, ..] => None,
            [other] => {
                errors.push(messages::region_outside_environment(
                    path.then_index(0),
                    other,
                    &ctx.region,
                ));
                None
            }
        },
        Host::CloudflareWorkers => {
            if !input.regions.is_empty() {
                warnings.push(messages::ignored_setting(
                    path,
                    Host::CloudflareWorkers.label(),
                    "a Worker runs in every Cloudflare location",
                ));
            }
            Some((vec!["global".to_string()], tier_default(ctx)))
        }
    }
}

fn check_zone(zone: &str, out: &mut Vec<Violation>) {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = zone.split('.').collect();
    if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        out.push(messages::invalid_format(
            AttributePath::attr("cloudflare_zone"),
            "Invalid Zone Name",
            zone,
            "a Cloudflare zone's domain name in lowercase",
            "example.com",
        ));
    }
}

// ---- expansion -------------------------------------------------------------------------

/// Builds a child's settings and their sources side by side.
#[derive(Default)]
struct Settings {
    values: BTreeMap<String, String>,
    sources: BTreeMap<String, Source>,
}

impl Settings {
    fn set(&mut self, key: &str, value: impl ToString, source: Source) -> &mut Self {
        self.values.insert(key.to_string(), value.to_string());
        self.sources.insert(key.to_string(), source);
        self
    }

    fn child(self, key: &str, host: Host, kind: &str, name: &str, monthly_cost_usd: f64) -> Child {
        Child {
            key: key.to_string(),
            provider: host.provider().to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            settings: self.values,
            settings_source: self.sources,
            monthly_cost_usd,
        }
    }
}

fn service_settings(r: &Resolved) -> (BTreeMap<String, String>, BTreeMap<String, Source>) {
    let mut s = Settings::default();
    // Explicit or placed by the rules from the configuration's own requirements: either
    // way the configuration decides.
    s.set("host", r.placement.host, Source::Config);
    match &r.size {
        Size::Fargate { cpu, memory_mb } => {
            s.set("cpu", cpu.0, cpu.1);
            s.set("memory", format!("{} MiB", memory_mb.0), memory_mb.1);
        }
        Size::Fly {
            guest,
            cpu_source,
            memory_source,
        } => {
            s.set(
                "cpu",
                format!("{} {}", guest.cpus, guest.cpu_kind),
                *cpu_source,
            );
            s.set("memory", format!("{} MB", guest.memory_mb), *memory_source);
        }
        Size::Workers => {
            s.set(
                "memory",
                format!("{WORKERS_MEMORY_MB} MB"),
                Source::Tier(r.tier),
            );
        }
    }
    if r.placement.host != Host::CloudflareWorkers {
        s.set("port", r.port.0, r.port.1);
        s.set("scaling.min", r.scaling.min.0, r.scaling.min.1);
        if r.placement.host == Host::AwsFargate {
            s.set("scaling.max", r.scaling.max.0, r.scaling.max.1);
            s.set(
                "scaling.target_cpu_percent",
                r.scaling.target_cpu_percent.0,
                r.scaling.target_cpu_percent.1,
            );
        }
        if let Some(check) = &r.health_check {
            s.set("health_check.path", &check.path, Source::Config);
            s.set(
                "health_check.interval_seconds",
                check.interval_seconds.0,
                check.interval_seconds.1,
            );
        }
    }
    s.set("regions", r.regions.0.join(","), r.regions.1);
    (s.values, s.sources)
}

/// A short, stable digest of text for change detection in the plan (FNV-1a, 64 bit).
/// Not a security hash: it only has to change when the text does.
pub fn digest(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv1a64:{hash:016x}")
}

/// The digest of environment variables, one `NAME=value` line each in name order.
pub fn env_digest(env: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    for (k, v) in env {
        let _ = writeln!(text, "{k}={v}");
    }
    digest(&text)
}

fn names(map: &BTreeMap<String, String>) -> String {
    map.keys().cloned().collect::<Vec<_>>().join(",")
}

fn set_variables(s: &mut Settings, prefix: &str, input: &ServiceInput) {
    if !input.env.is_empty() {
        s.set(&format!("{prefix}env"), names(&input.env), Source::Config);
        s.set(
            &format!("{prefix}env_digest"),
            env_digest(&input.env),
            Source::Config,
        );
    }
}

fn expand_fargate(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
    warnings: &mut Vec<Violation>,
) -> (Vec<Child>, Option<String>) {
    let ctx = &input.environment;
    let host = Host::AwsFargate;
    let tier = tier_default(ctx);
    let Size::Fargate { cpu, memory_mb } = &r.size else {
        return (Vec::new(), None);
    };

    // The container's log group is a child of its own: created first, deleted last, its
    // retention read back so that a change out of band shows in the next plan.
    let log_group_name = format!("/platform/{}/{}", ctx.name, input.name);
    let mut log_group = Settings::default();
    log_group
        .set("name", &log_group_name, Source::Config)
        .set("region", &ctx.region, Source::Environment)
        .set(
            "retention_days",
            ctx.policy.log_retention_days,
            inherited(ctx, "log_retention_days"),
        );

    let mut task = Settings::default();
    task.set("family", cloud_name, Source::Config)
        .set("requires_compatibilities", "FARGATE", tier)
        .set("network_mode", "awsvpc", tier)
        .set("runtime_platform", "LINUX/X86_64", tier)
        .set("cpu", cpu.0.units(), cpu.1)
        .set("memory", memory_mb.0, memory_mb.1)
        .set("container.name", &input.name, Source::Config)
        .set(
            "container.image",
            input.image.as_deref().unwrap_or_default(),
            Source::Config,
        )
        .set("container.port", r.port.0, r.port.1)
        .set("log.driver", "awslogs", tier)
        .set("log.group", &log_group_name, Source::Config)
        .set("log.region", &ctx.region, Source::Environment);
    set_variables(&mut task, "container.", input);
    for (name, reference) in &input.secrets {
        task.set(
            &format!("container.secrets.{name}"),
            reference,
            Source::Config,
        );
    }
    if let Some(check) = &r.health_check {
        // ECS health checks run inside the container, so the image needs curl.
        task.set(
            "container.health_check.command",
            format!(
                "CMD-SHELL curl -fsS http://localhost:{}{} || exit 1",
                r.port.0, check.path
            ),
            Source::Config,
        )
        .set(
            "container.health_check.interval_seconds",
            check.interval_seconds.0,
            check.interval_seconds.1,
        );
    }

    let spot = ctx.tier.defaults().default_capacity_provider == "FARGATE_SPOT";
    let per_task = prices::fargate_task_monthly(
        &ctx.region,
        cpu.0.vcpus(),
        f64::from(memory_mb.0) / 1024.0,
        spot,
    );
    if per_task.is_none() {
        warnings.push(messages::no_price_estimate(
            AttributePath::root(),
            "AWS Fargate",
            &ctx.region,
        ));
    }
    let tasks = r.scaling.min.0;
    let service_cost = per_task.unwrap_or(0.0) * tasks as f64;
    let mut service = Settings::default();
    service
        .set("cluster", &ctx.cluster_name, Source::Environment)
        .set("task_definition", cloud_name, Source::Config)
        .set("launch", "FARGATE", tier)
        .set(
            "capacity_provider",
            ctx.tier.defaults().default_capacity_provider,
            tier,
        )
        .set("desired_count", tasks, r.scaling.min.1)
        .set(
            "network.subnets",
            ctx.network.subnet_ids.join(","),
            Source::Environment,
        )
        .set(
            "network.security_groups",
            ctx.network.security_group_ids.join(","),
            Source::Environment,
        )
        .set(
            "network.assign_public_ip",
            ctx.network.assign_public_ip,
            Source::Environment,
        );

    let resource_id = format!("service/{}/{cloud_name}", ctx.cluster_name);
    let mut target = Settings::default();
    target
        .set("service_namespace", "ecs", tier)
        .set("scalable_dimension", "ecs:service:DesiredCount", tier)
        .set("min_capacity", r.scaling.min.0, r.scaling.min.1)
        .set("max_capacity", r.scaling.max.0, r.scaling.max.1);

    let mut policy = Settings::default();
    policy
        .set("policy_type", "TargetTrackingScaling", tier)
        .set("resource_id", &resource_id, Source::Config)
        .set("metric", "ECSServiceAverageCPUUtilization", tier)
        .set(
            "target_value",
            r.scaling.target_cpu_percent.0,
            r.scaling.target_cpu_percent.1,
        )
        .set(
            "scale_out_cooldown_seconds",
            r.scaling.scale_out_cooldown_seconds.0,
            r.scaling.scale_out_cooldown_seconds.1,
        )
        .set(
            "scale_in_cooldown_seconds",
            r.scaling.scale_in_cooldown_seconds.0,
            r.scaling.scale_in_cooldown_seconds.1,
        );

    let children = vec![
        // Logs are priced by use (ingestion and storage), which the plan cannot know.
        log_group.child(
            "log_group",
            host,
            "cloudwatch_log_group",
            &log_group_name,
            0.0,
        ),
        task.child(
            "ecs_task_definition",
            host,
            "ecs_task_definition",
            cloud_name,
            0.0,
        ),
        service.child("ecs_service", host, "ecs_service", cloud_name, service_cost),
        target.child(
            "autoscaling_target",
            host,
            "autoscaling_target",
            &resource_id,
            0.0,
        ),
        policy.child(
            "autoscaling_policy",
            host,
            "autoscaling_policy",
            &format!("{cloud_name}-cpu"),
            0.0,
        ),
    ];
    // A Fargate service has no public URL of its own: no load balancer is part of it.
    (children, None)
}

fn expand_fly(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
) -> (Vec<Child>, Option<String>) {
    let host = Host::Fly;
    let tier = tier_default(&input.environment);
    let Size::Fly {
        guest,
        cpu_source,
        memory_source,
    } = &r.size
    else {
        return (Vec::new(), None);
    };

    let mut app = Settings::default();
    match &input.fly_org {
        Some(org) => app.set("org", org, Source::Config),
        None => app.set("org", DEFAULT_FLY_ORG, tier),
    };
    app.set("regions", r.regions.0.join(","), r.regions.1).set(
        "machines_per_region",
        r.scaling.min.0,
        r.scaling.min.1,
    );
    let mut children = vec![app.child("fly_app", host, "fly_app", cloud_name, 0.0)];

    let per_machine =
        prices::fly_machine_monthly(guest.cpu_kind, guest.cpus, guest.memory_mb).unwrap_or(0.0);
    let port = r.port.0;
    for region in &r.regions.0 {
        for n in 1..=r.scaling.min.0 {
            let mut m = Settings::default();
            m.set("region", region, r.regions.1)
                .set(
                    "image",
                    input.image.as_deref().unwrap_or_default(),
                    Source::Config,
                )
                .set("guest.cpu_kind", guest.cpu_kind, *cpu_source)
                .set("guest.cpus", guest.cpus, *cpu_source)
                .set("guest.memory_mb", guest.memory_mb, *memory_source)
                .set("guest.preset", guest.preset(), *cpu_source)
                .set("service.internal_port", port, r.port.1)
                .set("service.ports", "80/http (force https), 443/tls+http", tier)
                .set("restart_policy", "always", tier)
                .set("autostop", "off", tier);
            if let Some(check) = &r.health_check {
                m.set(
                    "check",
                    format!(
                        "http GET {} on {port} every {}s",
                        check.path, check.interval_seconds.0
                    ),
                    Source::Config,
                );
            }
            set_variables(&mut m, "", input);
            if !input.secrets.is_empty() {
                m.set("secrets", names(&input.secrets), Source::Config);
            }
            children.push(m.child(
                &format!("fly_machine_{region}_{n}"),
                host,
                "fly_machine",
                &format!("{cloud_name}-{region}-{n}"),
                per_machine,
            ));
        }
    }
    (children, Some(format!("https://{cloud_name}.fly.dev")))
}

fn expand_workers(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
) -> (Vec<Child>, Option<String>) {
    let host = Host::CloudflareWorkers;
    let tier = tier_default(&input.environment);
    let script = input.script.as_deref().unwrap_or_default();

    let mut worker = Settings::default();
    worker
        .set("main_module", WORKERS_MAIN_MODULE, tier)
        .set("compatibility_date", WORKERS_COMPATIBILITY_DATE, tier)
        .set("usage_model", "standard", tier)
        .set("script_bytes", script.len(), Source::Config)
        .set("script_digest", digest(script), Source::Config);
    // Raise the CPU limit only when the service says it needs more than the default.
    match r
        .requirements
        .cpu_ms_per_request
        .filter(|ms| *ms > WORKERS_DEFAULT_CPU_MS)
    {
        Some(ms) => worker.set("limits.cpu_ms", ms, Source::Config),
        None => worker.set("limits.cpu_ms", WORKERS_DEFAULT_CPU_MS, tier),
    };
    set_variables(&mut worker, "bindings.", input);
    if !input.secrets.is_empty() {
        worker.set("bindings.secrets", names(&input.secrets), Source::Config);
    }
    let mut children = vec![worker.child(
        "worker_script",
        host,
        "worker_script",
        cloud_name,
        prices::workers_paid_base_month(),
    )];

    let url = match &input.cloudflare_zone {
        Some(zone) => {
            let hostname = format!("{cloud_name}.{zone}");
            let mut route = Settings::default();
            route
                .set("zone", zone, Source::Config)
                .set("pattern", format!("{hostname}/*"), Source::Config)
                .set("script", cloud_name, Source::Config);
            children.push(route.child(
                "worker_route",
                host,
                "worker_route",
                &format!("{hostname}/*"),
                0.0,
            ));
            Some(format!("https://{hostname}"))
        }
        None => {
            let mut subdomain = Settings::default();
            subdomain.set("enabled", true, tier).set(
                "url_template",
                format!("https://{cloud_name}.<account-subdomain>.workers.dev"),
                tier,
            );
            children.push(subdomain.child(
                "workers_dev_subdomain",
                host,
                "workers_dev_subdomain",
                cloud_name,
                0.0,
            ));
            // The account's workers.dev subdomain is only known from the API at apply.
            None
        }
    };
    (children, url)
}

// ---- changes between two plans -----------------------------------------------------------

/// What happens to one child when a plan replaces another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildAction {
    /// The child is new.
    Create,
    /// The child changes in place.
    Update,
    /// The child is deleted and created again.
    Replace,
    /// The child goes away.
    Delete,
}

/// One child's change, for the plan's reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildChange {
    /// The child's logical key.
    pub key: String,
    /// What happens to it.
    pub action: ChildAction,
    /// The settings whose values change (empty for create and delete).
    pub settings: Vec<String>,
    /// Why, in one line.
    pub reason: String,
}

/// The difference between two plans of one service.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceChanges {
    /// Attributes whose change replaces the whole service, with the reason for each.
    pub replace: Vec<(AttributePath, String)>,
    /// What happens to each child that changes.
    pub children: Vec<ChildChange>,
}

impl ServiceChanges {
    /// True when the resource must be replaced rather than updated in place.
    pub fn requires_replacement(&self) -> bool {
        !self.replace.is_empty()
    }
}

/// Settings whose change re-creates the child rather than updating it.
fn forces_child_replacement(kind: &str, setting: &str) -> bool {
    matches!(
        (kind, setting),
        ("fly_app", "org") | ("fly_machine", "region") | ("worker_route", "zone")
    )
}

fn update_reason(kind: &str) -> &'static str {
    match kind {
        "ecs_task_definition" => "registers a new task definition revision",
        "ecs_service" => "updates the service in place with a rolling deployment",
        "cloudwatch_log_group" => "changes the log group's retention in place",
        "fly_machine" => "updates the machine in place",
        "worker_script" => "uploads a new version of the script",
        _ => "updates in place",
    }
}

/// How `next` differs from `prior`: a new host, environment or name replaces the
/// service; anything else changes specific children, mostly in place (a new image is a
/// new task definition revision and a rolling service update, or a machine update).
pub fn changes(prior: &ServicePlan, next: &ServicePlan) -> ServiceChanges {
    let mut replace = Vec::new();
    let (from, to) = (prior.placement.host, next.placement.host);
    if from != to {
        replace.push((
            AttributePath::attr("host"),
            format!(
                "moving from `{from}` to `{to}` deletes the {} children and creates the {} ones",
                from.label(),
                to.label()
            ),
        ));
    }
    if prior.environment != next.environment {
        replace.push((
            AttributePath::attr("environment"),
            format!(
                "moving from environment `{}` to `{}` re-creates every child under its new \
                 name `{}`",
                prior.environment, next.environment, next.cloud_name
            ),
        ));
    }
    if prior.name != next.name {
        replace.push((
            AttributePath::attr("name"),
            format!(
                "renaming re-creates every child: `{}` becomes `{}`",
                prior.cloud_name, next.cloud_name
            ),
        ));
    }

    let mut children = Vec::new();
    if !replace.is_empty() {
        for child in &prior.children {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Delete,
                settings: Vec::new(),
                reason: "the service is replaced".to_string(),
            });
        }
        for child in &next.children {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Create,
                settings: Vec::new(),
                reason: "the service is replaced".to_string(),
            });
        }
        return ServiceChanges { replace, children };
    }

    let before: BTreeMap<&str, &Child> =
        prior.children.iter().map(|c| (c.key.as_str(), c)).collect();
    for child in &next.children {
        let Some(old) = before.get(child.key.as_str()) else {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Create,
                settings: Vec::new(),
                reason: "new in this plan".to_string(),
            });
            continue;
        };
        let keys: BTreeSet<&String> = old.settings.keys().chain(child.settings.keys()).collect();
        let changed: Vec<String> = keys
            .into_iter()
            .filter(|k| old.settings.get(*k) != child.settings.get(*k))
            .cloned()
            .collect();
        let renamed =
            old.name != child.name || old.kind != child.kind || old.provider != child.provider;
        let forced: Vec<&String> = changed
            .iter()
            .filter(|k| forces_child_replacement(&child.kind, k))
            .collect();
        if renamed || !forced.is_empty() {
            let reason = if renamed {
                format!("its name changes from `{}` to `{}`", old.name, child.name)
            } else {
                format!("`{}` cannot change in place", forced[0])
            };
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Replace,
                settings: changed,
                reason,
            });
        } else if !changed.is_empty() {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Update,
                settings: changed,
                reason: update_reason(&child.kind).to_string(),
            });
        }
    }
    let after: BTreeSet<&str> = next.children.iter().map(|c| c.key.as_str()).collect();
    for child in &prior.children {
        if !after.contains(child.key.as_str()) {
            children.push(ChildChange {
                key: child.key.clone(),
                action: ChildAction::Delete,
                settings: Vec::new(),
                reason: "no longer in this plan".to_string(),
            });
        }
    }
    ServiceChanges { replace, children }
}

/// A plan as a reviewer would read it: placement, cost, settings with their sources,
/// warnings and the expansion child by child.
pub fn render(plan: &ServicePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "platform_api_service {:?} in {:?}",
        plan.name, plan.environment
    );
    let _ = writeln!(out, "  resolved_host    = {}", plan.placement.host);
    let _ = writeln!(out, "  placement_reason = {}", plan.placement.reason);
    let _ = writeln!(
        out,
        "  url              = {}",
        match (&plan.url, plan.placement.host) {
            (Some(url), _) => url.as_str(),
            // The resource's `url` is null: no load balancer is part of a Fargate service.
            (None, Host::AwsFargate) => "null (no load balancer)",
            (None, _) => "(known after apply)",
        }
    );
    let _ = writeln!(
        out,
        "  estimated_monthly_cost_usd = {:.2}",
        plan.estimated_monthly_cost_usd
    );
    let _ = writeln!(out, "  settings:");
    for (key, value) in &plan.settings {
        let _ = writeln!(out, "    {key} = {value}  [{}]", plan.settings_source[key]);
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "  warnings:");
        for warning in &plan.warnings {
            let _ = writeln!(out, "    {warning}");
        }
    }
    let _ = writeln!(out, "  expansion:");
    for child in &plan.children {
        let _ = writeln!(
            out,
            "    {} ({}/{}) {:?}  ${:.2}/month",
            child.key, child.provider, child.kind, child.name, child.monthly_cost_usd
        );
        for (key, value) in &child.settings {
            let _ = writeln!(
                out,
                "      {key} = {value}  [{}]",
                child.settings_source[key]
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::environment::{self, EnvironmentInput, NetworkInput, PolicyInput};

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
            }),
            policy,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
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
    const SCRIPT: &str = "export default {\n  async fetch(request, env) {\n    return new Response('ok');\n  },\n};\n";

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
                "log_group",
                "ecs_task_definition",
                "ecs_service",
                "autoscaling_target",
                "autoscaling_policy"
            ]
        );
        insta::assert_snapshot!("seed000_scoring_api_fargate_production", render(&plan));
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
        // Nothing set: the tier's defaults, through the environment.
        let plan = planned(&with(scoring_api_fargate, |i| {
            i.cpu = None;
            i.memory = None;
            i.port = None;
        }));
        let src = |key: &str| plan.settings_source[key].to_string();
        assert_eq!(src("scaling.min"), "tier:production");
        assert_eq!(src("cpu"), "tier:production");
        assert_eq!(src("port"), "tier:production");
        assert_eq!(src("regions"), "environment");
        assert_eq!(plan.settings["cpu"], "0.25 vCPU");
        assert_eq!(plan.settings["memory"], "512 MiB");
        assert_eq!(plan.settings["port"], "8080");

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
        assert_eq!(
            task.settings_source["memory"].to_string(),
            "tier:production"
        );
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

    /// One expected violation: its path, and a fragment its detail must contain.
    type Want = (&'static str, &'static str);

    #[test]
    fn validation_rules() {
        let fargate = scoring_api_fargate;
        let fly = scoring_api_fly;
        let workers = scoring_api_workers;
        let cases: Vec<(&str, ServiceInput, Vec<Want>)> = vec![
            (
                "name not DNS-safe",
                with(fargate, |i| i.name = "Scoring_API".into()),
                vec![("name", "for example `scoring-api`")],
            ),
            (
                "name too long",
                with(fargate, |i| i.name = "a".repeat(43)),
                vec![("name", "1 to 42 characters")],
            ),
            (
                "host typo",
                with(fargate, |i| i.host = "Fly".into()),
                vec![("host", "Did you mean `fly`?")],
            ),
            (
                "image and script",
                with(fargate, |i| i.script = Some(SCRIPT.into())),
                vec![("script", "`image` and `script` are both set")],
            ),
            (
                "neither image nor script",
                with(fargate, |i| i.image = None),
                vec![("image", "Neither `image` nor `script`")],
            ),
            (
                "image with spaces",
                with(fargate, |i| i.image = Some("my image".into())),
                vec![("image", "without spaces")],
            ),
            (
                "port zero",
                with(fargate, |i| i.port = Some(0)),
                vec![("port", "between `1` and `65535`")],
            ),
            (
                "port too high",
                with(fargate, |i| i.port = Some(70_000)),
                vec![("port", "between `1` and `65535`")],
            ),
            (
                "cpu unreadable",
                with(fargate, |i| i.cpu = Some("fast".into())),
                vec![("cpu", "`2 vCPU`")],
            ),
            (
                "memory ambiguous",
                with(fargate, |i| i.memory = Some("2".into())),
                vec![("memory", "write `2GB`")],
            ),
            (
                "fargate memory not allowed with the cpu",
                with(fargate, |i| {
                    i.cpu = Some("0.25".into());
                    i.memory = Some("4GB".into());
                }),
                vec![(
                    "memory",
                    "Use `cpu = \"0.25\"` with `memory = \"2GB\"`, or `cpu = \"0.5\"` with `memory = \"4GB\"` to keep the memory.",
                )],
            ),
            (
                "fargate cpu not offered",
                with(fargate, |i| {
                    i.cpu = Some("384".into());
                    i.memory = Some("1GB".into());
                }),
                vec![(
                    "cpu",
                    "no `0.375 vCPU` task size: it offers `0.25`, `0.5`, `1`, `2`, `4`, `8`, `16` vCPU. Use `cpu = \"0.5\"` with `memory = \"1GB\"`.",
                )],
            ),
            (
                "fargate memory offered nowhere",
                with(fargate, |i| {
                    i.cpu = None;
                    i.memory = Some("1536".into());
                }),
                vec![("memory", "Use `cpu = \"0.25\"` with `memory = \"2GB\"`.")],
            ),
            (
                "fly cpu not whole",
                with(fly, |i| i.cpu = Some("0.5".into())),
                vec![("cpu", "Use `cpu = \"1\"` with `memory = \"512MB\"`.")],
            ),
            (
                "fly cpu count not offered",
                with(fly, |i| i.cpu = Some("3".into())),
                vec![("cpu", "Use `cpu = \"4\"` with `memory = \"1GB\"`.")],
            ),
            (
                "fly cpu count between presets names every preset",
                with(fly, |i| i.cpu = Some("7".into())),
                vec![(
                    "cpu",
                    "machines have `1`, `2`, `4`, `6` or `8` shared CPUs, or `1`, `2`, `4`, \
                     `6`, `8`, `10`, `12`, `14` or `16` performance CPUs.",
                )],
            ),
            (
                "fly memory not a multiple of 256",
                with(fly, |i| i.memory = Some("300".into())),
                vec![(
                    "memory",
                    "multiple of `256` MB, and `300` is not. Use `memory = \"512MB\"`.",
                )],
            ),
            (
                "fly memory too large for the cpus",
                with(fly, |i| i.memory = Some("16GB".into())),
                vec![(
                    "memory",
                    "Use `cpu = \"1\"` with `memory = \"8GB\"`, or `cpu = \"2\"` with `memory = \"16GB\"` to keep the memory.",
                )],
            ),
            (
                "fly memory too small for the cpus",
                with(fly, |i| {
                    i.cpu = Some("8".into());
                    i.memory = Some("1GB".into());
                }),
                vec![(
                    "memory",
                    "Use `cpu = \"8\"` with `memory = \"2GB\"`, or `cpu = \"1\"` with `memory = \"1GB\"` to keep the memory.",
                )],
            ),
            (
                "scaling max below the tier's min",
                with(fargate, |i| i.scaling.max = Some(1)),
                vec![(
                    "scaling.max",
                    "`2` (the environment's `min_instances`) is greater than the maximum `1` (from `scaling.max`). Set `scaling.max` to at least `2`",
                )],
            ),
            (
                "scaling min above the environment's max",
                with(fargate, |i| {
                    i.environment = context(Tier::Development);
                    i.scaling.min = Some(5);
                }),
                vec![("scaling.min", "(the environment's `max_instances`)")],
            ),
            (
                "scaling target out of range",
                with(fargate, |i| i.scaling.target_cpu_percent = Some(0)),
                vec![("scaling.target_cpu_percent", "between `1` and `100`")],
            ),
            (
                "scaling min negative",
                with(fargate, |i| i.scaling.min = Some(-1)),
                vec![("scaling.min", "between `0` and `1000`")],
            ),
            (
                "health check path without slash",
                with(fargate, |i| {
                    i.health_check = Some(HealthCheckInput {
                        path: "healthz".into(),
                        interval_seconds: None,
                    })
                }),
                vec![("health_check.path", "starting with `/`")],
            ),
            (
                "health check interval too short",
                with(fargate, |i| {
                    i.health_check = Some(HealthCheckInput {
                        path: "/healthz".into(),
                        interval_seconds: Some(1),
                    })
                }),
                vec![("health_check.interval_seconds", "between `5` and `300`")],
            ),
            (
                "env name invalid",
                with(fargate, |i| {
                    i.env.insert("log-level".into(), "info".into());
                }),
                vec![(r#"env["log-level"]"#, "a letter or `_`")],
            ),
            (
                "secret name invalid",
                with(fargate, |i| {
                    i.secrets.insert("1DB".into(), SECRET_ARN.into());
                }),
                vec![(r#"secrets["1DB"]"#, "a letter or `_`")],
            ),
            (
                "secret value instead of a reference",
                with(fargate, |i| {
                    i.secrets
                        .insert("DB_PASSWORD".into(), "hunter2-very-secret".into());
                }),
                vec![(r#"secrets["DB_PASSWORD"]"#, "it is not repeated here")],
            ),
            (
                "secret and env share a name",
                with(fargate, |i| {
                    i.env.insert("DATABASE_URL".into(), "x".into());
                }),
                vec![(
                    r#"secrets["DATABASE_URL"]"#,
                    "also set in `env[\"DATABASE_URL\"]`",
                )],
            ),
            (
                "fargate cannot read host secrets",
                with(fargate, |i| {
                    i.secrets
                        .insert("API_KEY".into(), "secret://API_KEY".into());
                }),
                vec![(r#"secrets["API_KEY"]"#, "use its ARN")],
            ),
            (
                "fly cannot read AWS secrets",
                with(fly, |i| {
                    i.secrets.insert("DB_PASSWORD".into(), SECRET_ARN.into());
                }),
                vec![(
                    r#"secrets["DB_PASSWORD"]"#,
                    "`fly secrets set DB_PASSWORD=…`",
                )],
            ),
            (
                "workers cannot read AWS secrets",
                with(workers, |i| {
                    i.secrets.insert(
                        "DB_PASSWORD".into(),
                        "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db".into(),
                    );
                }),
                vec![(
                    r#"secrets["DB_PASSWORD"]"#,
                    "`wrangler secret put DB_PASSWORD`",
                )],
            ),
            (
                "host secret under another name",
                with(fly, |i| {
                    i.secrets
                        .insert("DB_PASSWORD".into(), "secret://PG_PASSWORD".into());
                }),
                vec![(
                    r#"secrets["DB_PASSWORD"]"#,
                    "Use `secret://DB_PASSWORD`, or rename the key to `PG_PASSWORD`.",
                )],
            ),
            (
                "workers holding connections",
                with(workers, |i| {
                    i.requirements.long_lived_connections = Some(true)
                }),
                vec![(
                    "requirements.long_lived_connections",
                    "Use `host = \"fly\"` instead, with the service built as a container `image`.",
                )],
            ),
            (
                "explicit workers with an image",
                with(fargate, |i| {
                    i.host = "cloudflare_workers".into();
                    i.secrets.clear();
                }),
                vec![
                    ("image", "Use `host = \"aws_fargate\"` instead"),
                    (
                        "requirements.private_network_access",
                        "cannot reach private AWS resources",
                    ),
                    (
                        "memory",
                        "`memory` is `1GB`, but a Cloudflare Worker has `128` MB of memory. Use `host = \"aws_fargate\"` instead.",
                    ),
                ],
            ),
            (
                "explicit fargate with a script",
                with(workers, |i| {
                    i.host = "aws_fargate".into();
                    i.secrets.clear();
                }),
                vec![("script", "Use `host = \"cloudflare_workers\"` instead")],
            ),
            (
                "explicit fly with a script",
                with(workers, |i| i.host = "fly".into()),
                vec![("script", "Use `host = \"cloudflare_workers\"` instead")],
            ),
            (
                "workers memory above 128 MB",
                with(workers, |i| i.memory = Some("256MB".into())),
                vec![(
                    "memory",
                    "has `128` MB of memory. Use `host = \"aws_fargate\"` instead",
                )],
            ),
            (
                "workers over the CPU limit",
                with(workers, |i| {
                    i.requirements.cpu_ms_per_request = Some(400_000)
                }),
                vec![("requirements.cpu_ms_per_request", "at most `300000` ms")],
            ),
            (
                "fargate region elsewhere",
                with(fargate, |i| i.regions = vec!["us-east-1".into()]),
                vec![("regions[0]", "set it to `[\"eu-west-1\"]`")],
            ),
            (
                "explicit fargate in several regions",
                with(fargate, |i| {
                    i.host = "aws_fargate".into();
                    i.regions = vec!["eu-west-1".into(), "us-east-1".into()];
                }),
                vec![("regions", "Use `host = \"fly\"` instead")],
            ),
            (
                "fly region not a code",
                with(fly, |i| i.regions = vec!["Frankfurt".into()]),
                vec![("regions[0]", "for example `lhr`")],
            ),
            (
                "regions repeated",
                with(fly, |i| i.regions = vec!["iad".into(), "iad".into()]),
                vec![("regions[1]", "already appears at index `0`")],
            ),
            (
                "requirement cpu zero",
                with(fargate, |i| i.requirements.cpu_ms_per_request = Some(0)),
                vec![(
                    "requirements.cpu_ms_per_request",
                    "between `1` and `3600000`",
                )],
            ),
            (
                "zone not a domain",
                with(workers, |i| i.cloudflare_zone = Some("Example".into())),
                vec![("cloudflare_zone", "for example `example.com`")],
            ),
            (
                "reserved tag",
                with(fargate, |i| {
                    i.tags.insert("managed-by".into(), "me".into());
                }),
                vec![(r#"tags["managed-by"]"#, "reserved")],
            ),
            (
                "fargate without a network",
                with(fargate, |i| {
                    i.environment.network = environment::Network::default()
                }),
                vec![(
                    "environment",
                    "add a `network` block".trim_start_matches('a'),
                )],
            ),
            (
                "workers variable too large",
                with(workers, |i| {
                    i.env.insert("BIG".into(), "x".repeat(5121));
                }),
                vec![(r#"env["BIG"]"#, "at most 5120 bytes")],
            ),
            (
                "workers with too many variables",
                with(workers, |i| {
                    for n in 0..128 {
                        i.env.insert(format!("V{n}"), "x".into());
                    }
                }),
                vec![(
                    "env",
                    "There are 131 environment variables and secrets together, but Cloudflare Workers allows at most 128. Remove 3",
                )],
            ),
            (
                "a 300 KB variable on fargate overflows the task definition",
                with(fargate, |i| {
                    i.env.insert("BIG".into(), "x".repeat(300 * 1024));
                }),
                vec![(
                    "env",
                    "at most 65536 bytes (64 KiB, the \"Task definition size\" quota, not \
                     adjustable). `env` takes 307303 bytes of it, the most in `env[\"BIG\"]` \
                     (307226 bytes)",
                )],
            ),
            (
                "many variables on fargate add up past 64 KiB",
                with(fargate, |i| {
                    for n in 0..70 {
                        i.env.insert(format!("V{n:02}"), "x".repeat(1000));
                    }
                }),
                vec![("env", "Task definition size")],
            ),
            (
                "a 300 KB variable on fly is longer than Linux passes to a process",
                with(fly, |i| {
                    i.env.insert("BIG".into(), "x".repeat(300 * 1024));
                }),
                vec![(
                    r#"env["BIG"]"#,
                    "`BIG=…` is 307204 bytes, but Linux starts no process with an environment \
                     string over 131072 bytes",
                )],
            ),
            (
                "a 300 KB variable on workers is over its 5 KB limit",
                with(workers, |i| {
                    i.env.insert("BIG".into(), "x".repeat(300 * 1024));
                }),
                vec![(r#"env["BIG"]"#, "at most 5120 bytes")],
            ),
        ];
        for (name, input, want) in cases {
            let got = validate(&input);
            let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
            let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
            assert_eq!(got_paths, want_paths, "{name}: {got:#?}");
            for (v, (_, fragment)) in got.iter().zip(&want) {
                assert!(
                    v.detail.contains(fragment),
                    "{name}: {:?} lacks {fragment:?}",
                    v.detail
                );
            }
            assert!(
                plan(&input).is_err(),
                "{name}: plan refuses what validate rejects"
            );
        }
    }

    #[test]
    fn every_violation_is_reported_at_once() {
        let input = with(scoring_api_fargate, |i| {
            i.name = "Bad Name".into();
            i.port = Some(0);
            i.memory = Some("5GB".into());
            i.scaling.max = Some(1);
            i.secrets.insert("TOKEN".into(), "plain".into());
            i.health_check = Some(HealthCheckInput {
                path: "x".into(),
                interval_seconds: Some(0),
            });
        });
        let paths: Vec<String> = validate(&input)
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "name",
                "port",
                "memory",
                "scaling.max",
                "health_check.path",
                "health_check.interval_seconds",
                r#"secrets["TOKEN"]"#,
            ]
        );
    }

    #[test]
    fn secret_values_never_appear_in_diagnostics_or_plans() {
        let value = "s3cr3t-p4ssw0rd-value";
        let bad = with(scoring_api_fargate, |i| {
            i.secrets.insert("DB_PASSWORD".into(), value.into());
        });
        for v in validate(&bad) {
            assert!(!v.to_string().contains(value), "{v}");
        }
        // References do appear: they are how a reviewer sees which secret is used.
        let plan = planned(&scoring_api_fargate());
        let task = child(&plan, "ecs_task_definition");
        assert_eq!(task.settings["container.secrets.DATABASE_URL"], SECRET_ARN);
        // Plain env values are digested, not listed.
        let text = render(&plan);
        assert!(
            text.contains("container.env = LOG_LEVEL,NODE_ENV"),
            "{text}"
        );
        assert!(!text.contains("production,"), "{text}");
    }

    #[test]
    fn settings_a_host_ignores_are_warnings() {
        let workers = planned(&with(scoring_api_workers, |i| {
            i.port = Some(8080);
            i.cpu = Some("1".into());
            i.scaling.min = Some(3);
            i.health_check = Some(HealthCheckInput {
                path: "/healthz".into(),
                interval_seconds: None,
            });
            i.regions = vec!["iad".into()];
        }));
        let paths: Vec<String> = workers
            .warnings
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            paths,
            ["port", "cpu", "scaling.min", "health_check", "regions"]
        );
        assert!(
            workers
                .warnings
                .iter()
                .all(|w| w.summary == "Setting Ignored")
        );

        let fly = planned(&with(scoring_api_fly, |i| i.scaling.max = Some(6)));
        assert_eq!(fly.warnings.len(), 1);
        assert_eq!(fly.warnings[0].path.to_string(), "scaling.max");
        assert!(
            fly.warnings[0]
                .detail
                .contains("only Fargate services autoscale")
        );
    }

    #[test]
    fn fly_with_private_access_plans_with_the_peering_caveat() {
        // Seed 000's production Scoring API: active-active on Fly.io and reaching RDS.
        let plan = planned(&with(scoring_api_fly, |i| {
            i.requirements.private_network_access = Some(true);
        }));
        assert_eq!(plan.placement.host, Host::Fly);
        assert!(
            plan.placement.reason.contains("WireGuard"),
            "{}",
            plan.placement.reason
        );
        assert_eq!(plan.warnings.len(), 1);
        assert_eq!(plan.warnings[0].summary, "Extra Setup Needed");
    }

    #[test]
    fn the_same_container_runs_on_any_explicit_container_host() {
        let fargate = planned(&with(scoring_api_fly, |i| {
            i.host = "aws_fargate".into();
            i.regions = Vec::new();
            i.memory = Some("2GB".into());
            i.secrets = map(&[("DATABASE_URL", SECRET_ARN)]);
        }));
        assert_eq!(fargate.placement.host, Host::AwsFargate);
        assert_eq!(fargate.placement.rule, placement::Rule::Explicit);
        assert!(
            fargate
                .placement
                .reason
                .contains("`auto` would choose `fly`"),
            "{}",
            fargate.placement.reason
        );
        let fly = planned(&with(scoring_api_fargate, |i| {
            i.host = "fly".into();
            i.cpu = Some("1".into());
            i.secrets.clear();
        }));
        assert_eq!(fly.placement.host, Host::Fly);
        // Fly.io and RDS: allowed, with the peering caveat.
        assert_eq!(fly.warnings.len(), 1);
        assert_eq!(
            fly.settings["regions"], "lhr",
            "nearest Fly.io region to eu-west-1"
        );
        assert_eq!(fly.settings_source["regions"], Source::Environment);
    }

    #[test]
    fn workers_raise_the_cpu_limit_only_when_asked() {
        let plan = planned(&scoring_api_workers());
        let script = child(&plan, "worker_script");
        assert_eq!(script.settings["limits.cpu_ms"], "30000");
        assert_eq!(
            script.settings_source["limits.cpu_ms"].to_string(),
            "tier:production"
        );
        let plan = planned(&with(scoring_api_workers, |i| {
            i.requirements.cpu_ms_per_request = Some(120_000);
        }));
        let script = child(&plan, "worker_script");
        assert_eq!(script.settings["limits.cpu_ms"], "120000");
        assert_eq!(script.settings_source["limits.cpu_ms"], Source::Config);
        assert_eq!(script.settings["bindings.secrets"], "SCORING_API_KEY");
        assert_eq!(script.settings["script_bytes"], SCRIPT.len().to_string());
    }

    #[test]
    fn a_new_image_updates_in_place() {
        let prior = planned(&scoring_api_fargate());
        let next = planned(&with(scoring_api_fargate, |i| {
            i.image = Some("ghcr.io/phishsentry/scoring-api:1.5.0".into());
        }));
        let diff = changes(&prior, &next);
        assert!(!diff.requires_replacement());
        assert_eq!(
            diff.children,
            [ChildChange {
                key: "ecs_task_definition".into(),
                action: ChildAction::Update,
                settings: vec!["container.image".into()],
                reason: "registers a new task definition revision".into(),
            }]
        );

        let prior = planned(&scoring_api_fly());
        let next = planned(&with(scoring_api_fly, |i| {
            i.image = Some("ghcr.io/phishsentry/scoring-api:1.5.0".into());
        }));
        let diff = changes(&prior, &next);
        assert!(!diff.requires_replacement());
        assert_eq!(
            diff.children.len(),
            4,
            "every machine: {:#?}",
            diff.children
        );
        for change in &diff.children {
            assert_eq!(change.action, ChildAction::Update);
            assert_eq!(change.settings, ["image"]);
            assert_eq!(change.reason, "updates the machine in place");
        }
    }

    #[test]
    fn a_new_host_replaces_the_service() {
        let prior = planned(&scoring_api_fly());
        let next = planned(&with(scoring_api_fly, |i| {
            i.host = "aws_fargate".into();
            i.regions = Vec::new();
            i.memory = Some("2GB".into());
            i.secrets = map(&[("DATABASE_URL", SECRET_ARN)]);
        }));
        let diff = changes(&prior, &next);
        assert_eq!(diff.replace.len(), 1);
        assert_eq!(diff.replace[0].0.to_string(), "host");
        assert!(
            diff.replace[0].1.contains("from `fly` to `aws_fargate`"),
            "{}",
            diff.replace[0].1
        );
        let deleted: Vec<&str> = diff
            .children
            .iter()
            .filter(|c| c.action == ChildAction::Delete)
            .map(|c| c.key.as_str())
            .collect();
        let created: Vec<&str> = diff
            .children
            .iter()
            .filter(|c| c.action == ChildAction::Create)
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(deleted, keys(&prior));
        assert_eq!(created, keys(&next));
    }

    #[test]
    fn a_new_name_or_environment_replaces_the_service() {
        let prior = planned(&scoring_api_fargate());
        let renamed = planned(&with(scoring_api_fargate, |i| i.name = "scoring".into()));
        let diff = changes(&prior, &renamed);
        assert_eq!(diff.replace[0].0.to_string(), "name");
        assert!(
            diff.replace[0]
                .1
                .contains("`prod-scoring-api` becomes `prod-scoring`")
        );
        let moved = planned(&with(scoring_api_fargate, |i| {
            i.environment = context(Tier::Staging)
        }));
        let diff = changes(&prior, &moved);
        assert_eq!(diff.replace[0].0.to_string(), "environment");
    }

    #[test]
    fn scaling_and_regions_change_specific_children() {
        let prior = planned(&scoring_api_fly());
        let next = planned(&with(scoring_api_fly, |i| {
            i.scaling.min = Some(3);
            i.regions = vec!["iad".into(), "fra".into()];
        }));
        let diff = changes(&prior, &next);
        assert!(!diff.requires_replacement());
        let summary: Vec<(String, ChildAction)> = diff
            .children
            .iter()
            .map(|c| (c.key.clone(), c.action))
            .collect();
        let want = [
            ("fly_app", ChildAction::Update),
            ("fly_machine_iad_3", ChildAction::Create),
            ("fly_machine_fra_1", ChildAction::Create),
            ("fly_machine_fra_2", ChildAction::Create),
            ("fly_machine_fra_3", ChildAction::Create),
            ("fly_machine_ams_1", ChildAction::Delete),
            ("fly_machine_ams_2", ChildAction::Delete),
        ];
        let want: Vec<(String, ChildAction)> =
            want.iter().map(|(k, a)| (k.to_string(), *a)).collect();
        assert_eq!(summary, want);

        let prior = planned(&scoring_api_fargate());
        let next = planned(&with(scoring_api_fargate, |i| i.scaling.min = Some(3)));
        let diff = changes(&prior, &next);
        let updated: Vec<(&str, Vec<String>)> = diff
            .children
            .iter()
            .map(|c| (c.key.as_str(), c.settings.clone()))
            .collect();
        assert_eq!(
            updated,
            [
                ("ecs_service", vec!["desired_count".to_string()]),
                ("autoscaling_target", vec!["min_capacity".to_string()]),
            ]
        );
    }

    #[test]
    fn moving_a_fly_app_to_another_org_replaces_it() {
        let prior = planned(&scoring_api_fly());
        let next = planned(&with(scoring_api_fly, |i| i.fly_org = Some("other".into())));
        let diff = changes(&prior, &next);
        assert_eq!(diff.children.len(), 1);
        assert_eq!(diff.children[0].action, ChildAction::Replace);
        assert_eq!(diff.children[0].reason, "`org` cannot change in place");
        assert_eq!(changes(&prior, &prior), ServiceChanges::default());
    }

    #[test]
    fn plans_are_deterministic_and_named_after_the_environment() {
        for input in [
            scoring_api_fargate(),
            scoring_api_fly(),
            scoring_api_workers(),
        ] {
            assert_eq!(plan(&input), plan(&input));
            let plan = planned(&input);
            assert_eq!(plan.tags["platform:environment"], "prod");
            assert_eq!(plan.tags["platform:component"], "api_service");
            assert_eq!(plan.tags["team"], "scoring");
            for c in &plan.children {
                // The log group is a path under the environment: /platform/prod/scoring-api.
                let own =
                    c.name.contains("prod-scoring-api") || c.name == "/platform/prod/scoring-api";
                assert!(own, "{}: {}", c.key, c.name);
            }
        }
    }

    #[test]
    fn digests_change_with_the_text() {
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(digest(""), "fnv1a64:cbf29ce484222325");
    }
}
