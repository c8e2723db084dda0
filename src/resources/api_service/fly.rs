//! Fly.io Machines: the app and one machine per planned machine child; apply, read and delete.

use super::*;

pub(super) fn machine_spec(
    input: &ServiceInput,
    plan: &ServicePlan,
    machine: &FlyMachinePlan,
    config: &Value,
) -> MachineSpec {
    let mut metadata = plan.tags.clone();
    metadata.insert(FLY_SERVICE.into(), plan.cloud_name.clone());
    metadata.insert(FLY_SPEC.into(), spec::encode(SPEC, config).join(" "));
    let fly = fly_plan(plan);
    // The planner validated the port and interval against Fly.io's ranges.
    MachineSpec {
        name: machine.name.clone(),
        region: machine.region.clone(),
        image: input.image.clone().unwrap_or_default(),
        guest: Guest {
            cpu_kind: fly
                .map(|p| p.guest.cpu_kind)
                .unwrap_or_default()
                .to_string(),
            cpus: fly.map(|p| p.guest.cpus).unwrap_or_default(),
            memory_mb: fly.map(|p| p.guest.memory_mb).unwrap_or_default(),
        },
        internal_port: fly.and_then(|p| p.port).map(|port| port as u16),
        check: fly
            .and_then(|p| p.health_check.as_ref())
            .map(|check| HttpCheck {
                path: check.path.clone(),
                interval_seconds: check.interval_seconds as u32,
            }),
        env: input.env.clone(),
        metadata,
    }
}

/// The Fly.io plan, when the service runs on Fly.io.
pub(super) fn fly_plan(plan: &ServicePlan) -> Option<&FlyPlan> {
    match &plan.host_plan {
        HostPlan::Fly(p) => Some(p),
        _ => None,
    }
}

pub(super) fn machines(plan: &ServicePlan) -> impl Iterator<Item = &FlyMachinePlan> {
    fly_plan(plan).into_iter().flat_map(|p| p.machines.iter())
}

/// Whether a machine runs what the spec describes (metadata aside: it carries the
/// spec record, which changes with inputs that do not change the machine).
pub(super) fn same_machine(running: &MachineSpec, wanted: &MachineSpec) -> bool {
    running.image == wanted.image
        && running.guest == wanted.guest
        && running.internal_port == wanted.internal_port
        && running.check == wanted.check
        && running.env == wanted.env
        && running.region == wanted.region
}

pub(super) async fn apply_fly(
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

pub(super) async fn read_fly(plan: &ServicePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let fly = Fly::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let app = plan.cloud_name.as_str();
    let mut seen = Seen::default();
    let Some(found) = fly.get_app(cancel, app).await? else {
        return Ok(seen);
    };
    seen.children.insert("fly_app".into(), BTreeMap::new());
    seen.ids.insert("fly_app".into(), found.name.clone());
    // A worker has no Fly.io service, so nothing answers on the app's address.
    if fly_plan(plan).is_some_and(|p| p.port.is_some()) {
        seen.url = Some(format!("https://{app}.fly.dev"));
    }
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
                    spec.internal_port
                        .map_or_else(|| "none".to_string(), |p| p.to_string()),
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
                .map(|v| spec::split(v))
                .unwrap_or_default();
            seen.tags = spec.metadata.clone();
        }
    }
    Ok(seen)
}

pub(super) async fn delete_fly(plan: &ServicePlan, ctx: &CallContext) -> Result<(), BackendError> {
    let fly = Fly::from_config(&ctx.config)?;
    // Deleting the app deletes its machines.
    fly.delete_app(&ctx.cancel, &plan.cloud_name).await
}
