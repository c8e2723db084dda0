//! Placement: which host runs a `platform_api_service`, and why — the seeds' hosting
//! matrix (seed 000) as one pure, table-tested function that both the resource
//! (`host = "auto"`) and the `platform_hosting_matrix` data source call.
//!
//! # Rules for `host = "auto"`, first match wins
//!
//! | # | when the service…                                  | host                 |
//! |---|----------------------------------------------------|----------------------|
//! | 1 | is a `script` (a Workers module), not an `image`   | `cloudflare_workers` |
//! | 2 | runs active-active in more than one region         | `fly`                |
//! | 3 | needs private access to AWS (RDS in a VPC)         | `aws_fargate`        |
//! | 4 | does background work                               | `aws_fargate`        |
//! | 5 | uses heavy CPU (≥ [`HEAVY_CPU_MS_PER_REQUEST`] ms) | `aws_fargate`        |
//! | 6 | holds long-lived connections                       | `fly`                |
//! | 7 | is any other container                             | `aws_fargate`        |
//!
//! # Why this order breaks ties
//!
//! A requirement that only one host can meet decides first: only Workers runs a module
//! script (1), and only Fly.io runs one container active-active across regions — a
//! Fargate service lives in its environment's single region (2). Next come the
//! requirements Fargate meets natively and Fly.io only with extra setup or at a premium:
//! private VPC access (Fly.io needs WireGuard peering, see [`caveats`]), background work
//! and heavy CPU (3–5). Long-lived connections (6) are last among the special needs
//! because Fargate holds them too, so any Fargate requirement outweighs them; alone they
//! go to Fly.io, whose proxy keeps WebSockets open close to users. Everything else runs in
//! the environment's own ECS cluster (7), where it inherits the network and policy.
//!
//! So seed 000's production Scoring API (active-active *and* reaching RDS) lands on
//! Fly.io with a WireGuard caveat, exactly as the seed plans it, while an API that only
//! needs RDS lands on Fargate.
//!
//! A requirement can also rule a host out: [`check_explicit`] turns that into an error
//! naming the requirement and the host to use instead, for an explicit `host` and for
//! the one `auto` chose alike (a `script` that needs long-lived connections, say).

use std::fmt;
use std::str::FromStr;

use crate::value::path::AttributePath;

use super::limits::{WORKERS_MAX_CPU_MS, WORKERS_MEMORY_MB};
use super::{Violation, messages};

/// CPU time per request from which a service counts as CPU-heavy and goes to Fargate.
/// A placement policy, not a cloud limit: a second of CPU per request is inference or
/// media work, three orders of magnitude above a typical API handler.
pub const HEAVY_CPU_MS_PER_REQUEST: i64 = 1_000;

/// The `host` value that asks for placement by the rules.
pub const AUTO: &str = "auto";

/// Every value `host` accepts.
pub const HOST_CHOICES: [&str; 4] = [AUTO, "aws_fargate", "fly", "cloudflare_workers"];

/// Where a service runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// AWS ECS on Fargate, in the environment's cluster and network.
    AwsFargate,
    /// Fly.io Machines, one per region × minimum instances.
    Fly,
    /// A Cloudflare Worker.
    CloudflareWorkers,
}

/// The error for a `host` that is none of [`HOST_CHOICES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown host `{given}`: expected one of `auto`, `aws_fargate`, `fly`, `cloudflare_workers`"
)]
pub struct UnknownHost {
    /// The value as the user wrote it.
    pub given: String,
}

impl Host {
    /// Every host, in the order users see them listed.
    pub const ALL: [Host; 3] = [Host::AwsFargate, Host::Fly, Host::CloudflareWorkers];

    /// The name users write in HCL and see as `resolved_host`.
    pub fn as_str(self) -> &'static str {
        match self {
            Host::AwsFargate => "aws_fargate",
            Host::Fly => "fly",
            Host::CloudflareWorkers => "cloudflare_workers",
        }
    }

    /// The product name, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Host::AwsFargate => "AWS ECS Fargate",
            Host::Fly => "Fly.io Machines",
            Host::CloudflareWorkers => "Cloudflare Workers",
        }
    }

    /// The `provider` of the host's children: `aws`, `fly` or `cloudflare`.
    pub fn provider(self) -> &'static str {
        match self {
            Host::AwsFargate => "aws",
            Host::Fly => "fly",
            Host::CloudflareWorkers => "cloudflare",
        }
    }

    /// Parses a `host` value: `Ok(None)` for `auto`, `Ok(Some(host))` for a host name.
    pub fn parse_choice(given: &str) -> Result<Option<Host>, UnknownHost> {
        if given == AUTO {
            return Ok(None);
        }
        given.parse().map(Some)
    }

    /// The choice the user most likely meant by an unknown `host` (`Fly`, `workers`,
    /// `fargate`, `ecs`, `cloudflare`).
    pub fn suggest(given: &str) -> Option<&'static str> {
        let wanted = given.trim().to_ascii_lowercase().replace('-', "_");
        if wanted.is_empty() {
            return None;
        }
        HOST_CHOICES
            .into_iter()
            .find(|choice| *choice == wanted)
            .or(match wanted.as_str() {
                "fargate" | "ecs" | "aws" | "aws_ecs" | "ecs_fargate" => Some("aws_fargate"),
                "workers" | "cloudflare" | "worker" | "cf" | "cloudflare_worker" => {
                    Some("cloudflare_workers")
                }
                "fly_io" | "flyio" | "fly.io" => Some("fly"),
                _ => None,
            })
    }
}

impl FromStr for Host {
    type Err = UnknownHost;

    /// Parses exactly `aws_fargate`, `fly` or `cloudflare_workers`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Host::ALL
            .into_iter()
            .find(|host| host.as_str() == s)
            .ok_or_else(|| UnknownHost {
                given: s.to_string(),
            })
    }
}

impl fmt::Display for Host {
    /// Renders the name users write in HCL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a service needs from its host, as placement sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requirements {
    /// Holds WebSockets, server-sent events or other connections open.
    pub long_lived_connections: bool,
    /// Reaches private AWS resources, such as RDS in the environment's VPC.
    pub private_network_access: bool,
    /// CPU time one request uses, in ms, if stated.
    pub cpu_ms_per_request: Option<i64>,
    /// Memory the service needs, in MB, if stated.
    pub memory_mb: Option<i64>,
    /// Runs active-active in more than one region (`regions` has several entries).
    pub multi_region: bool,
    /// Ships as a container `image`.
    pub has_image: bool,
    /// Ships as a Workers module `script`.
    pub has_script: bool,
    /// Does background work (queues, batch jobs) rather than only answering requests.
    pub background_work: bool,
}

impl Requirements {
    /// True when the stated CPU time per request makes the service CPU-heavy.
    pub fn heavy_cpu(&self) -> bool {
        self.cpu_ms_per_request
            .is_some_and(|ms| ms >= HEAVY_CPU_MS_PER_REQUEST)
    }

    /// A short description for the hosting matrix, e.g. `image, long-lived connections`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.has_script {
            parts.push("script".to_string());
        }
        if self.has_image {
            parts.push("image".to_string());
        }
        if let Some(ms) = self.cpu_ms_per_request {
            parts.push(format!("{ms} ms CPU per request"));
        }
        if let Some(mb) = self.memory_mb {
            parts.push(format!("{mb} MB memory"));
        }
        let flags = [
            (self.long_lived_connections, "long-lived connections"),
            (self.multi_region, "multi-region"),
            (self.private_network_access, "private AWS network access"),
            (self.background_work, "background work"),
        ];
        parts.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| s.to_string()),
        );
        parts.join(", ")
    }

    /// The same service shipped as a container, for finding a container host to suggest.
    fn as_container(&self) -> Requirements {
        Requirements {
            has_image: true,
            has_script: false,
            ..*self
        }
    }
}

/// Which rule placed a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// 1: a Workers module script.
    EdgeScript,
    /// 2: active-active in several regions.
    MultiRegion,
    /// 3: private access to AWS resources.
    PrivateNetwork,
    /// 4: background work.
    BackgroundWork,
    /// 5: heavy CPU per request.
    HeavyCpu,
    /// 6: long-lived connections.
    LongLivedConnections,
    /// 7: any other container.
    Container,
    /// Not placed by the rules: `host` was set explicitly.
    Explicit,
}

impl Rule {
    /// A stable name for the rule, e.g. `edge_script`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::EdgeScript => "edge_script",
            Rule::MultiRegion => "multi_region",
            Rule::PrivateNetwork => "private_network",
            Rule::BackgroundWork => "background_work",
            Rule::HeavyCpu => "heavy_cpu",
            Rule::LongLivedConnections => "long_lived_connections",
            Rule::Container => "container",
            Rule::Explicit => "explicit",
        }
    }
}

/// Where a service runs and the one-line `placement_reason` shown in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The resolved host.
    pub host: Host,
    /// The rule that chose it.
    pub rule: Rule,
    /// Why, in one line, for reviewers.
    pub reason: String,
}

/// Places a service by the rules in the module documentation.
pub fn place(req: &Requirements) -> Placement {
    let (host, rule, reason) = if req.has_script && !req.has_image {
        (
            Host::CloudflareWorkers,
            Rule::EdgeScript,
            format!(
                "edge script{}: Cloudflare Workers run it in every Cloudflare location, \
                 close to users",
                script_footprint(req)
            ),
        )
    } else if req.multi_region {
        let peering = if req.private_network_access {
            "; its private AWS access needs WireGuard peering to the VPC"
        } else {
            ""
        };
        (
            Host::Fly,
            Rule::MultiRegion,
            format!(
                "active-active in several regions: Fly.io Machines run the container in \
                 each listed region{peering}"
            ),
        )
    } else if req.private_network_access {
        (
            Host::AwsFargate,
            Rule::PrivateNetwork,
            "needs private access to AWS (such as RDS in the VPC): ECS Fargate runs in the \
             environment's subnets"
                .to_string(),
        )
    } else if req.background_work {
        (
            Host::AwsFargate,
            Rule::BackgroundWork,
            "background work: ECS Fargate runs it as long-running tasks in the \
             environment's cluster"
                .to_string(),
        )
    } else if req.heavy_cpu() {
        (
            Host::AwsFargate,
            Rule::HeavyCpu,
            format!(
                "heavy CPU ({} ms per request): ECS Fargate gives each task dedicated vCPUs",
                req.cpu_ms_per_request.unwrap_or_default()
            ),
        )
    } else if req.long_lived_connections {
        (
            Host::Fly,
            Rule::LongLivedConnections,
            "long-lived connections: Fly.io Machines hold WebSockets and streams open close \
             to users"
                .to_string(),
        )
    } else {
        (
            Host::AwsFargate,
            Rule::Container,
            "a container with no edge, realtime or multi-region needs: ECS Fargate runs it \
             in the environment's cluster"
                .to_string(),
        )
    };
    Placement { host, rule, reason }
}

/// The placement for a `host` choice: `None` (auto) places by the rules; an explicit host
/// is taken as given, and its reason says what `auto` would have chosen.
pub fn resolve(choice: Option<Host>, req: &Requirements) -> Placement {
    let auto = place(req);
    match choice {
        None => auto,
        Some(host) if host == auto.host => Placement {
            host,
            rule: Rule::Explicit,
            reason: format!(
                "`host = \"{host}\"` as configured, which `auto` agrees with: {}",
                auto.reason
            ),
        },
        Some(host) => Placement {
            host,
            rule: Rule::Explicit,
            reason: format!(
                "`host = \"{host}\"` as configured; `auto` would choose `{}` ({})",
                auto.host, auto.reason
            ),
        },
    }
}

fn script_footprint(req: &Requirements) -> String {
    match (req.cpu_ms_per_request, req.memory_mb) {
        (Some(ms), Some(mb)) => format!(" using {ms} ms CPU and {mb} MB per request"),
        (Some(ms), None) => format!(" using {ms} ms CPU per request"),
        (None, Some(mb)) => format!(" using {mb} MB"),
        (None, None) => String::new(),
    }
}

fn requirement_path(field: &str) -> AttributePath {
    AttributePath::attr("requirements").then_attr(field)
}

/// The errors of running a service with these requirements on `host`: each names the
/// requirement (its attribute path) and the host to use instead. Empty when the host
/// can run it. Applies to an explicit `host` and to the host `auto` chose alike.
pub fn check_explicit(host: Host, req: &Requirements) -> Vec<Violation> {
    let mut out = Vec::new();
    match host {
        Host::CloudflareWorkers => check_workers(req, &mut out),
        Host::AwsFargate => {
            if req.has_script && !req.has_image {
                out.push(messages::host_cannot_meet(
                    AttributePath::attr("script"),
                    "AWS ECS Fargate runs container images, not Workers module scripts.",
                    Host::CloudflareWorkers.as_str(),
                    ", or build a container `image` of the service to keep `aws_fargate`",
                ));
            }
            if req.multi_region {
                out.push(messages::host_cannot_meet(
                    AttributePath::attr("regions"),
                    "`regions` lists several regions, but an AWS ECS Fargate service runs \
                     only in its environment's region, so it cannot run active-active.",
                    Host::Fly.as_str(),
                    ", or list only the environment's region",
                ));
            }
        }
        Host::Fly => {
            if req.has_script && !req.has_image {
                out.push(messages::host_cannot_meet(
                    AttributePath::attr("script"),
                    "Fly.io Machines run container images, not Workers module scripts.",
                    Host::CloudflareWorkers.as_str(),
                    ", or build a container `image` of the service to keep `fly`",
                ));
            }
        }
    }
    out
}

fn check_workers(req: &Requirements, out: &mut Vec<Violation>) {
    // A container host that meets every other requirement: the rules applied to the
    // same service shipped as an image.
    let alternative = place(&req.as_container()).host.as_str();
    let with_image = if req.has_image {
        ""
    } else {
        ", with the service built as a container `image`"
    };
    if req.has_image {
        out.push(messages::host_cannot_meet(
            AttributePath::attr("image"),
            "Cloudflare Workers run JavaScript or WebAssembly module scripts, not container \
             images.",
            alternative,
            ", or set `script` to a Workers module instead of `image`",
        ));
    }
    let mut cannot = |field: &str, problem: String, alternative: &str| {
        out.push(messages::host_cannot_meet(
            requirement_path(field),
            &problem,
            alternative,
            with_image,
        ));
    };
    if req.long_lived_connections {
        cannot(
            "long_lived_connections",
            "`requirements.long_lived_connections` is true, but a Cloudflare Worker \
             invocation cannot hold a connection open for the life of a client."
                .to_string(),
            alternative,
        );
    }
    if req.private_network_access {
        cannot(
            "private_network_access",
            "`requirements.private_network_access` is true, but Cloudflare Workers run \
             outside the environment's VPC and cannot reach private AWS resources such as \
             RDS."
                .to_string(),
            alternative,
        );
    }
    if req.background_work {
        cannot(
            "background_work",
            "`requirements.background_work` is true, but a Cloudflare Worker only runs \
             while it handles an event."
                .to_string(),
            alternative,
        );
    }
    if let Some(ms) = req.cpu_ms_per_request.filter(|ms| *ms > WORKERS_MAX_CPU_MS) {
        cannot(
            "cpu_ms_per_request",
            format!(
                "`requirements.cpu_ms_per_request` is `{ms}`, but a Cloudflare Worker may \
                 use at most `{WORKERS_MAX_CPU_MS}` ms of CPU per request."
            ),
            alternative,
        );
    }
    if let Some(mb) = req.memory_mb.filter(|mb| *mb > WORKERS_MEMORY_MB) {
        cannot(
            "memory_mb",
            format!(
                "`requirements.memory_mb` is `{mb}`, but a Cloudflare Worker has \
                 `{WORKERS_MEMORY_MB}` MB of memory."
            ),
            alternative,
        );
    }
}

/// Warnings for a host that meets a requirement only with setup this provider does not
/// do. Fly.io with private network access is allowed — seed 000 plans exactly that, over
/// WireGuard peering — but the plan says what it takes rather than pretending it works.
pub fn caveats(host: Host, req: &Requirements) -> Vec<Violation> {
    let mut out = Vec::new();
    if host == Host::Fly && req.private_network_access {
        let fargate = if req.multi_region {
            ""
        } else {
            " For private access without peering, use `host = \"aws_fargate\"`."
        };
        out.push(messages::host_needs_setup(
            requirement_path("private_network_access"),
            "Fly.io Machines reach private AWS resources such as RDS in the VPC only \
             through WireGuard peering between the Fly.io organization and the VPC, which \
             this provider does not set up.",
            &format!("Set up that peering before the service needs it.{fargate}"),
        ));
    }
    out
}

/// One row of the `platform_hosting_matrix` data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The component kind, e.g. `edge gateway script`.
    pub component: &'static str,
    /// The component of the seeds' plans it stands for.
    pub seed_component: &'static str,
    /// What the component needs.
    pub requirements: Requirements,
    /// Where [`place`] puts it, and why.
    pub placement: Placement,
}

/// The component kinds of the seeds and their typical requirements.
fn component_kinds() -> [(&'static str, &'static str, Requirements); 9] {
    let image = Requirements {
        has_image: true,
        ..Requirements::default()
    };
    [
        (
            "edge gateway script",
            "Browser Extension Telemetry Ingress: an authenticated edge gateway in front of \
             the Scoring API",
            Requirements {
                has_script: true,
                cpu_ms_per_request: Some(5),
                memory_mb: Some(32),
                ..Requirements::default()
            },
        ),
        (
            "latency-sensitive API",
            "Scoring API, lightweight: instant scaling close to users",
            Requirements {
                has_script: true,
                cpu_ms_per_request: Some(20),
                memory_mb: Some(128),
                ..Requirements::default()
            },
        ),
        (
            "realtime / WebSocket API",
            "Scoring API as a long-running Node service with long-lived connections",
            Requirements {
                long_lived_connections: true,
                ..image
            },
        ),
        (
            "multi-region API",
            "Scoring API in production: multi-region, active-active",
            Requirements {
                multi_region: true,
                ..image
            },
        ),
        (
            "multi-region API needing RDS",
            "Scoring API in production, reaching RDS over WireGuard peering",
            Requirements {
                multi_region: true,
                private_network_access: true,
                ..image
            },
        ),
        (
            "ML inference / heavy CPU",
            "Model Engine: CPU-intensive Python inference",
            Requirements {
                cpu_ms_per_request: Some(2_000),
                memory_mb: Some(4_096),
                ..image
            },
        ),
        (
            "background worker",
            "Model Engine background jobs",
            Requirements {
                background_work: true,
                ..image
            },
        ),
        (
            "API needing RDS access",
            "an AWS-native service reaching the shared PostgreSQL (RDS) in the VPC",
            Requirements {
                private_network_access: true,
                ..image
            },
        ),
        ("container API", "any other container service", image),
    ]
}

/// The hosting matrix: for each component kind of the seeds, its requirements and where
/// [`place`] puts it. Computed by the same rules as `host = "auto"`, never hard-coded.
pub fn matrix() -> Vec<MatrixRow> {
    component_kinds()
        .into_iter()
        .map(|(component, seed_component, requirements)| MatrixRow {
            component,
            seed_component,
            requirements,
            placement: place(&requirements),
        })
        .collect()
}

#[cfg(test)]
mod tests;
