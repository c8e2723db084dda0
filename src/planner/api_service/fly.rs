//! The `fly` expansion: the app and one machine per region × `scaling.min`.

use super::*;

pub(super) fn expand_fly(
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
