//! A Fargate service behind its environment's shared load balancer (`ingress`): a target
//! group of the service's tasks (ip targets, probed on the service's health check), a
//! rule on the HTTPS listener for its hostname (and path), the ECS service's attachment
//! to the target group, the task security group admitting the load balancer's group on
//! the port, and an alias record when the environment has a hosted zone.

use super::*;

/// Expansion keys.
pub const TARGET_GROUP_KEY: &str = "target_group";
/// The listener rule's key.
pub const LISTENER_RULE_KEY: &str = "listener_rule";
/// The task security group rule's key.
pub const TASK_INGRESS_KEY: &str = "task_security_group_rule";
/// The alias record's key.
pub const DNS_RECORD_KEY: &str = "dns_record";

/// Consecutive successful probes before a target counts as healthy (the ELB default 5 is
/// slow for deploys; 3 is the common choice).
pub const HEALTHY_THRESHOLD: i64 = 3;
/// Consecutive failed probes before a target counts as unhealthy.
pub const UNHEALTHY_THRESHOLD: i64 = 3;
/// Seconds a deregistering target keeps its connections (ELB's default is 300, long for
/// an API; 30 lets deploys finish promptly).
pub const DEREGISTRATION_DELAY_SECONDS: i64 = 30;
/// Seconds ECS ignores failing load balancer health checks of a new task.
pub const HEALTH_CHECK_GRACE_PERIOD_SECONDS: i64 = 60;
/// The path probed when the service has no `health_check`.
const DEFAULT_HEALTH_PATH: &str = "/";
/// Elastic Load Balancing's limit on target group names.
const TARGET_GROUP_NAME_MAX: usize = 32;

/// The `ingress` block of a service, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceIngressInput {
    /// The hostname it answers; default `<name>.<environment domain>`.
    pub hostname: Option<String>,
    /// A path pattern, e.g. `/api/*`; default every path.
    pub path: Option<String>,
    /// Whether it is reachable from the internet; default `true`.
    pub public: Option<bool>,
}

/// The service's place on the shared load balancer, typed for the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceIngressPlan {
    /// The environment's load balancer, by name.
    pub load_balancer: String,
    /// Its security group, by name.
    pub load_balancer_security_group: String,
    /// The target group's name (≤ 32 characters).
    pub target_group: String,
    /// The hostname the rule matches.
    pub hostname: String,
    /// The path pattern the rule matches, if any.
    pub path: Option<String>,
    /// The container port traffic goes to.
    pub port: i64,
    /// The path the target group probes.
    pub health_check_path: String,
    /// Seconds between probes.
    pub health_check_interval_seconds: i64,
    /// The zone of the alias record, if the environment has one.
    pub hosted_zone_id: Option<String>,
}

/// The target group's name: `<environment>-<service>` when it fits Elastic Load
/// Balancing's 32 characters, else its first 23 characters, a hyphen and 8 hexadecimal
/// characters of a stable hash of the whole name (so two long names never collide).
pub fn target_group_name(cloud_name: &str) -> String {
    if cloud_name.len() <= TARGET_GROUP_NAME_MAX {
        return cloud_name.to_string();
    }
    // FNV-1a, 64 bits: stable across Rust versions, unlike the standard hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cloud_name.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let head = cloud_name[..23].trim_end_matches('-');
    format!("{head}-{:08x}", hash as u32)
}

/// The URL the service answers at: its hostname, and the path's fixed prefix.
pub fn url(hostname: &str, path: Option<&str>) -> String {
    let prefix = path
        .map(|p| p.split(['*', '?']).next().unwrap_or_default())
        .unwrap_or_default();
    format!("https://{hostname}{prefix}")
}

/// Checks the block against the host, the port and the environment's ingress.
pub(super) fn check_ingress(
    input: &ServiceInput,
    host: Option<Host>,
    port: Option<i64>,
    errors: &mut Vec<Violation>,
) {
    let Some(ingress) = &input.ingress else {
        return;
    };
    let at = AttributePath::attr("ingress");
    let env = &input.environment;
    if let Some(host) = host.filter(|h| *h != Host::AwsFargate) {
        errors.push(Violation::new(
            at,
            "Ingress Is For Fargate Services",
            format!(
                "`ingress` attaches a service to its environment's AWS load balancer, but this service runs on {}, which serves HTTPS on its own URL. Remove the `ingress` block, or set `host = \"aws_fargate\"`.",
                host.label()
            ),
        ));
        return;
    }
    let Some(env_ingress) = &env.ingress else {
        errors.push(Violation::new(
            at,
            "Environment Has No Ingress",
            format!(
                "`ingress` attaches the service to its environment's shared load balancer, but the environment `{}` has no `ingress` block. Add `ingress {{ domain = \"…\", hosted_zone_id = \"…\" }}` (and `network.public_subnet_ids`) to that `platform_environment`, or remove this block.",
                env.name
            ),
        ));
        return;
    };
    if port.is_none() {
        errors.push(Violation::new(
            at.clone(),
            "Ingress Needs A Port",
            "`ingress` sends requests to the container's port, but this service sets no `port` (it is a worker). Set `port` to the port the container listens on, or remove `ingress`.".to_string(),
        ));
    }
    if ingress.public == Some(false) {
        errors.push(Violation::new(
            at.clone().then_attr("public"),
            "Internal Ingress Not Available",
            "The environment's shared load balancer is internet-facing; an internal one is not built yet. Remove `public = false` (the service is then reachable from the internet at its hostname), or leave out `ingress` and reach the service inside the VPC.".to_string(),
        ));
    }
    if let Some(hostname) = &ingress.hostname {
        let under = hostname == &env_ingress.domain
            || hostname.ends_with(&format!(".{}", env_ingress.domain));
        let well_formed = hostname.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
        if !well_formed {
            errors.push(messages::invalid_format(
                at.clone().then_attr("hostname"),
                "Invalid Hostname",
                hostname,
                "a DNS name of lowercase labels (letters, digits, hyphens), without a wildcard",
                &format!("{}.{}", input.name, env_ingress.domain),
            ));
        } else if !under {
            errors.push(Violation::new(
                at.clone().then_attr("hostname"),
                "Hostname Outside The Environment's Domain",
                format!(
                    "`{hostname}` is not under the environment's domain `{}`, which its certificate and hosted zone cover. Use a name under it, e.g. `{}.{}`, or change the environment's `ingress.domain`.",
                    env_ingress.domain, input.name, env_ingress.domain
                ),
            ));
        }
    }
    if let Some(path) = &ingress.path {
        let valid = path.starts_with('/')
            && path.len() <= 128
            && path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_-.$*?~".contains(c));
        if !valid {
            errors.push(messages::invalid_format(
                at.then_attr("path"),
                "Invalid Path Pattern",
                path,
                "a path pattern starting with `/`, at most 128 characters of letters, digits and `_-.$/~`, with `*` and `?` as wildcards",
                "/api/*",
            ));
        }
    }
}

/// The plan and the children, for a validated service with ingress.
pub(super) fn expand_ingress(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
) -> Option<(ServiceIngressPlan, Vec<Child>)> {
    let ingress = input.ingress.as_ref()?;
    let env = input.environment.ingress.as_ref()?;
    let (port, port_source) = r.port?;
    let (hostname, hostname_source) = match &ingress.hostname {
        Some(h) => (h.clone(), Source::Config),
        None => (format!("{}.{}", input.name, env.domain), Source::Derived),
    };
    let (health_path, health_source, interval, interval_source) = match &r.health_check {
        Some(check) => (
            check.path.clone(),
            Source::Config,
            check.interval_seconds.0,
            check.interval_seconds.1,
        ),
        None => (
            DEFAULT_HEALTH_PATH.to_string(),
            Source::Fixed,
            30,
            Source::Fixed,
        ),
    };
    let p = ServiceIngressPlan {
        load_balancer: env.load_balancer.clone(),
        load_balancer_security_group: env.security_group.clone(),
        target_group: target_group_name(cloud_name),
        hostname,
        path: ingress.path.clone(),
        port,
        health_check_path: health_path,
        health_check_interval_seconds: interval,
        hosted_zone_id: env.hosted_zone_id.clone(),
    };
    let provider = "aws";
    let mut children = Vec::new();

    let mut tg = Settings::default();
    tg.set("port", p.port, port_source)
        .set("protocol", "HTTP", Source::Fixed)
        .set("target_type", "ip", Source::Fixed)
        .set("health_check.path", &p.health_check_path, health_source)
        .set(
            "health_check.interval_seconds",
            p.health_check_interval_seconds,
            interval_source,
        )
        .set(
            "health_check.healthy_threshold",
            HEALTHY_THRESHOLD,
            Source::Fixed,
        )
        .set(
            "health_check.unhealthy_threshold",
            UNHEALTHY_THRESHOLD,
            Source::Fixed,
        )
        .set(
            "deregistration_delay_seconds",
            DEREGISTRATION_DELAY_SECONDS,
            Source::Fixed,
        );
    children.push(tg.child(
        TARGET_GROUP_KEY,
        provider,
        "elbv2_target_group",
        &p.target_group,
        0.0,
    ));

    let mut rule = Settings::default();
    rule.set(
        "listener",
        format!("{}:443", p.load_balancer),
        Source::Environment,
    )
    .set("host", &p.hostname, hostname_source)
    .set(
        "path",
        p.path.as_deref().unwrap_or("every path"),
        if p.path.is_some() {
            Source::Config
        } else {
            Source::Fixed
        },
    )
    .set(
        "action",
        format!("forward to {}", p.target_group),
        Source::Derived,
    )
    .set(
        "priority",
        "from a hash of the service name; the next free one if taken",
        Source::Fixed,
    );
    children.push(rule.child(
        LISTENER_RULE_KEY,
        provider,
        "elbv2_listener_rule",
        &format!("{}/{}", p.load_balancer, cloud_name),
        0.0,
    ));

    let mut sg_rule = Settings::default();
    sg_rule
        .set(
            "security_group",
            input
                .environment
                .network
                .security_group_ids
                .first()
                .cloned()
                .unwrap_or_default(),
            Source::Environment,
        )
        .set(
            "admits",
            format!("tcp/{} from {}", p.port, p.load_balancer_security_group),
            Source::Derived,
        );
    children.push(sg_rule.child(
        TASK_INGRESS_KEY,
        provider,
        "ec2_security_group_rule",
        &format!("{cloud_name}-from-alb"),
        0.0,
    ));

    if let Some(zone) = &p.hosted_zone_id {
        let mut record = Settings::default();
        record
            .set("hosted_zone_id", zone, Source::Environment)
            .set("type", "A (alias)", Source::Fixed)
            .set("target", &p.load_balancer, Source::Environment);
        children.push(record.child(DNS_RECORD_KEY, provider, "route53_record", &p.hostname, 0.0));
    }
    Some((p, children))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_group_names_fit_and_stay_distinct() {
        assert_eq!(target_group_name("prod-api"), "prod-api");
        let a = target_group_name("production-eu-west-scoring-api-internal");
        let b = target_group_name("production-eu-west-scoring-api-external");
        assert!(a.len() <= 32 && b.len() <= 32, "{a} {b}");
        assert_ne!(a, b);
        assert!(a.starts_with("production-eu-west-scor"));
        // Stable: a change of hash would rename every long target group.
        assert_eq!(
            a,
            target_group_name("production-eu-west-scoring-api-internal")
        );
        assert_eq!(a, "production-eu-west-scor-80bc7d4e");
    }

    #[test]
    fn the_url_is_the_hostname_and_the_fixed_part_of_the_path() {
        assert_eq!(url("api.example.com", None), "https://api.example.com");
        assert_eq!(
            url("api.example.com", Some("/v1/*")),
            "https://api.example.com/v1/"
        );
    }
}
