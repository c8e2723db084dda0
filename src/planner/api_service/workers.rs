//! The `cloudflare_workers` expansion: the script and its route or workers.dev subdomain.

use super::*;

/// What Cloudflare Workers is asked for: the typed plan its backend builds from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkersPlan {
    /// The script's CPU limit per request, ms.
    pub cpu_ms: i64,
    /// Whether `cpu_ms` raises the default limit (only then is it sent).
    pub cpu_ms_raised: bool,
    /// The route `<environment>-<name>.<zone>/*` on the configured zone; without a zone
    /// the script is served on the account's workers.dev subdomain.
    pub route: Option<WorkersRoutePlan>,
}

/// A Worker route on a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkersRoutePlan {
    /// The zone's name, e.g. `example.com`.
    pub zone: String,
    /// The route pattern, `<hostname>/*`.
    pub pattern: String,
}

pub(super) fn expand_workers(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
    unknown: &mut BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Child>, Option<String>, Option<HostPlan>) {
    let host = Host::CloudflareWorkers;
    let script = input.script.as_deref().unwrap_or_default();
    // Raise the CPU limit only when the service says it needs more than the default.
    let raised = r
        .requirements
        .cpu_ms_per_request
        .filter(|ms| *ms > WORKERS_DEFAULT_CPU_MS);
    let p = WorkersPlan {
        cpu_ms: raised.unwrap_or(WORKERS_DEFAULT_CPU_MS),
        cpu_ms_raised: raised.is_some(),
        route: input.cloudflare_zone.as_ref().map(|zone| WorkersRoutePlan {
            zone: zone.clone(),
            pattern: format!("{cloud_name}.{zone}/*"),
        }),
    };

    let mut worker = Settings::default();
    worker
        .set("main_module", WORKERS_MAIN_MODULE, Source::Fixed)
        .set(
            "compatibility_date",
            WORKERS_COMPATIBILITY_DATE,
            Source::Fixed,
        )
        .set("usage_model", "standard", Source::Fixed)
        .set("script_bytes", script.len(), Source::Derived)
        .set("script_digest", digest(script), Source::Derived);
    // Raised from the default when `requirements.cpu_ms_per_request` needs more.
    let cpu_ms_source = if p.cpu_ms_raised {
        Source::Derived
    } else {
        Source::Fixed
    };
    worker.set("limits.cpu_ms", p.cpu_ms, cpu_ms_source);
    set_variables(&mut worker, "bindings.", input);
    if !input.secrets.is_empty() {
        worker.set("bindings.secrets", names(&input.secrets), Source::Config);
    }
    let mut children = vec![worker.child_noting_unknown(
        unknown,
        "worker_script",
        host.provider(),
        "worker_script",
        cloud_name,
        prices::workers_paid_base_month(),
    )];

    let url = match &p.route {
        Some(planned) => {
            let mut route = Settings::default();
            route
                .set("zone", &planned.zone, Source::Provider)
                .set("pattern", &planned.pattern, Source::Derived)
                .set("script", cloud_name, Source::Derived);
            children.push(route.child_noting_unknown(
                unknown,
                "worker_route",
                host.provider(),
                "worker_route",
                &planned.pattern,
                0.0,
            ));
            Some(format!("https://{cloud_name}.{}", planned.zone))
        }
        None => {
            let mut subdomain = Settings::default();
            // Without a zone in the provider block, the account's workers.dev subdomain.
            subdomain.set("enabled", true, Source::Fixed).set(
                "url_template",
                format!("https://{cloud_name}.<account-subdomain>.workers.dev"),
                Source::Derived,
            );
            children.push(subdomain.child_noting_unknown(
                unknown,
                "workers_dev_subdomain",
                host.provider(),
                "workers_dev_subdomain",
                cloud_name,
                0.0,
            ));
            // The account's workers.dev subdomain is only known from the API at apply.
            None
        }
    };
    (children, url, Some(HostPlan::Workers(p)))
}

// ---- changes between two plans -----------------------------------------------------------
