//! Cloudflare Workers: the script upload and its route or workers.dev subdomain; apply, read and delete.

use super::*;

pub(super) fn upload(input: &ServiceInput, plan: &ServicePlan, config: &Value) -> ScriptUpload {
    let mut env = input.env.clone();
    env.insert(
        WORKER_SPEC_BINDING.into(),
        spec::encode(SPEC, config).join(" "),
    );
    let cpu_ms = match &plan.host_plan {
        HostPlan::Workers(p) if p.cpu_ms_raised => Some(p.cpu_ms as u32),
        _ => None,
    };
    ScriptUpload {
        name: plan.cloud_name.clone(),
        main_module: planner::WORKERS_MAIN_MODULE.into(),
        source: input.script.clone().unwrap_or_default(),
        compatibility_date: planner::WORKERS_COMPATIBILITY_DATE.into(),
        cpu_ms,
        env,
        // `secret://NAME` references name secrets already on the Worker: keep them.
        secrets: BTreeMap::new(),
        keep_existing_secrets: true,
    }
}

/// The planned route on the configured zone, if any.
pub(super) fn route(plan: &ServicePlan) -> Option<&WorkersRoutePlan> {
    match &plan.host_plan {
        HostPlan::Workers(p) => p.route.as_ref(),
        _ => None,
    }
}

pub(super) fn zone_id(ctx: &CallContext) -> Option<&str> {
    ctx.config.cloudflare.zone_id.as_deref()
}

pub(super) async fn apply_workers(
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
    match (route(plan), zone_id(ctx)) {
        (Some(route), Some(zone)) => {
            cf.create_route(cancel, zone, &route.pattern, name).await?;
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

pub(super) async fn read_workers(
    plan: &ServicePlan,
    ctx: &CallContext,
) -> Result<Seen, BackendError> {
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
        seen.spec = spec::split(&spec);
        seen.env = env;
    }
    seen.children.insert("worker_script".into(), observed);
    seen.ids.insert("worker_script".into(), name.to_string());
    seen.artefact = Some(content);
    match (route(plan), zone_id(ctx)) {
        (Some(route), Some(zone)) => {
            if let Some(r) = cf
                .list_routes(cancel, zone)
                .await?
                .into_iter()
                .find(|r| r.pattern == route.pattern && r.script.as_deref() == Some(name))
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

pub(super) async fn delete_workers(
    plan: &ServicePlan,
    ctx: &CallContext,
) -> Result<(), BackendError> {
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
