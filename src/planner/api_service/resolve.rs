//! Resolution of effective settings against the environment and tier: port, scaling, health check and regions.

use super::*;

/// The port the service listens on: `port`, else [`DEFAULT_PORT`] when a `health_check`
/// says the service serves HTTP; `Some(None)` for a worker (neither: no HTTP endpoint, no
/// URL); `None` when `port` is invalid.
pub(super) fn resolve_port(
    input: &ServiceInput,
    host: Option<Host>,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) -> Option<Option<(i64, Source)>> {
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
        Some(port) => Some((port, Source::Config)),
        // A health check says the service serves HTTP: on the usual port, as before.
        None if input.health_check.is_some() && host != Some(Host::CloudflareWorkers) => {
            Some((DEFAULT_PORT, Source::Fixed))
        }
        None => None,
    })
}

pub(super) fn resolve_scaling(
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

pub(super) fn resolve_health_check(
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
                None => (DEFAULT_HEALTH_CHECK_INTERVAL_SECONDS, Source::Fixed),
            },
        })
    })
}

pub(super) fn nearest_fly_region(aws_region: &str) -> Option<&'static str> {
    NEAREST_FLY_REGION
        .iter()
        .find(|(aws, _)| *aws == aws_region)
        .map(|(_, fly)| *fly)
}

/// Fly.io region codes are three lowercase letters (`iad`, `ams`).
pub(super) fn is_fly_region(region: &str) -> bool {
    region.len() == 3 && region.chars().all(|c| c.is_ascii_lowercase())
}

pub(super) fn resolve_regions(
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
                // The Fly.io region nearest the environment's AWS region.
                Some(fly) => Some((vec![fly.to_string()], Source::Derived)),
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
