//! The `fly` expansion: the app and one machine per region × `scaling.min`.

use super::*;

/// What Fly.io is asked for: the typed plan its backend builds from.
#[derive(Debug, Clone, PartialEq)]
pub struct FlyPlan {
    /// The Fly.io organization that owns the app.
    pub org: String,
    /// The regions machines run in.
    pub regions: Vec<String>,
    /// Machines per region (`scaling.min`).
    pub machines_per_region: i64,
    /// Every machine's guest size.
    pub guest: FlyGuest,
    /// The port the app listens on inside the machine; `None` for a worker (no Fly.io
    /// service: no public ports, no check, no URL).
    pub port: Option<i64>,
    /// The machines' HTTP health check, if any.
    pub health_check: Option<HealthCheckPlan>,
    /// The machines, region by region.
    pub machines: Vec<FlyMachinePlan>,
}

/// One planned Fly.io machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyMachinePlan {
    /// Its child key, `fly_machine_<region>_<n>`.
    pub key: String,
    /// Its machine name, `<environment>-<name>-<region>-<n>`.
    pub name: String,
    /// Its region.
    pub region: String,
}

pub(super) fn expand_fly(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
    unknown: &mut BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Child>, Option<String>, Option<HostPlan>) {
    let host = Host::Fly;
    let Size::Fly {
        guest,
        cpu_source,
        memory_source,
    } = &r.size
    else {
        return (Vec::new(), None, None);
    };
    let p = FlyPlan {
        org: input
            .fly_org
            .as_deref()
            .unwrap_or(DEFAULT_FLY_ORG)
            .to_string(),
        regions: r.regions.0.clone(),
        machines_per_region: r.scaling.min.0,
        guest: *guest,
        port: r.port.map(|p| p.0),
        health_check: HealthCheckPlan::of(r),
        machines: r
            .regions
            .0
            .iter()
            .flat_map(|region| {
                (1..=r.scaling.min.0).map(move |n| FlyMachinePlan {
                    key: format!("fly_machine_{region}_{n}"),
                    name: format!("{cloud_name}-{region}-{n}"),
                    region: region.clone(),
                })
            })
            .collect(),
    };
    let guest = &p.guest;

    let mut app = Settings::default();
    // The provider block's `fly { org_slug }`, else Fly's personal organization.
    let org_source = if input.fly_org.is_some() {
        Source::Provider
    } else {
        Source::Fixed
    };
    app.set("org", &p.org, org_source)
        .set("regions", p.regions.join(","), r.regions.1)
        .set(
            "machines_per_region",
            p.machines_per_region,
            r.scaling.min.1,
        );
    let mut children = vec![app.child_noting_unknown(
        unknown,
        "fly_app",
        host.provider(),
        "fly_app",
        cloud_name,
        0.0,
    )];

    let per_machine =
        prices::fly_machine_monthly(guest.cpu_kind, guest.cpus, guest.memory_mb).unwrap_or(0.0);
    let port = p.port;
    for machine in &p.machines {
        let mut m = Settings::default();
        m.set("region", &machine.region, r.regions.1)
            .set(
                "image",
                input.image.as_deref().unwrap_or_default(),
                Source::Config,
            )
            .set("guest.cpu_kind", guest.cpu_kind, *cpu_source)
            .set("guest.cpus", guest.cpus, *cpu_source)
            .set("guest.memory_mb", guest.memory_mb, *memory_source)
            .set("guest.preset", guest.preset(), *cpu_source)
            .set("restart_policy", "always", Source::Fixed)
            .set("autostop", "off", Source::Fixed);
        if let (Some(port), Some((_, source))) = (port, r.port) {
            m.set("service.internal_port", port, source).set(
                "service.ports",
                "80/http (force https), 443/tls+http",
                Source::Fixed,
            );
        }
        if let (Some(check), Some(port)) = (&p.health_check, port) {
            m.set(
                "check",
                format!(
                    "http GET {} on {port} every {}s",
                    check.path, check.interval_seconds
                ),
                Source::Derived,
            );
        }
        set_variables(&mut m, "", input);
        if !input.secrets.is_empty() {
            m.set("secrets", names(&input.secrets), Source::Config);
        }
        children.push(m.child_noting_unknown(
            unknown,
            &machine.key,
            host.provider(),
            "fly_machine",
            &machine.name,
            per_machine,
        ));
    }
    // A worker has no Fly.io service, so nothing answers on the app's address.
    let url = p.port.map(|_| format!("https://{cloud_name}.fly.dev"));
    (children, url, Some(HostPlan::Fly(p)))
}
