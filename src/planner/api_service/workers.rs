//! The `cloudflare_workers` expansion: the script and its route or workers.dev subdomain.

use super::*;

pub(super) fn expand_workers(
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
