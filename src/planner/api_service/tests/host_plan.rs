//! The typed host plan and the settings rendered from it agree, on every host: the
//! backends build from the one, people read the other.

use super::*;

/// `child`'s setting `key`, as the plan shows it.
fn shown<'a>(plan: &'a ServicePlan, child_key: &str, key: &str) -> &'a str {
    child(plan, child_key)
        .settings
        .get(key)
        .unwrap_or_else(|| panic!("{child_key} has no setting {key}"))
}

#[test]
fn the_fargate_plan_and_its_settings_agree() {
    for input in [
        scoring_api_fargate(),
        with(scoring_api_fargate, |i| {
            i.environment = context(Tier::Development);
            i.health_check = None;
            i.cpu = None;
            i.memory = None;
        }),
        // A worker: no port, so no port mapping and no health check.
        with(scoring_api_fargate, |i| {
            i.port = None;
            i.health_check = None;
        }),
    ] {
        let plan = planned(&input);
        let HostPlan::Fargate(p) = &plan.host_plan else {
            panic!("not a Fargate plan: {:?}", plan.host_plan);
        };
        let td = "ecs_task_definition";
        assert_eq!(shown(&plan, "log_group", "name"), p.log_group);
        assert_eq!(shown(&plan, "log_group", "region"), p.region);
        assert_eq!(
            shown(&plan, "log_group", "retention_days"),
            p.log_retention_days.to_string()
        );
        assert_eq!(shown(&plan, td, "cpu"), p.cpu_units.to_string());
        assert_eq!(shown(&plan, td, "memory"), p.memory_mb.to_string());
        assert_eq!(
            child(&plan, td).settings.get("container.port"),
            p.port.map(|port| port.to_string()).as_ref()
        );
        assert_eq!(shown(&plan, td, "log.group"), p.log_group);
        match &p.health_check {
            Some(check) => {
                assert_eq!(plan.settings["health_check.path"], check.path);
                assert_eq!(
                    shown(&plan, td, "container.health_check.interval_seconds"),
                    check.interval_seconds.to_string()
                );
                assert!(
                    shown(&plan, td, "container.health_check.command").contains(&format!(
                        ":{}{} ",
                        p.port.unwrap_or_default(),
                        check.path
                    ))
                );
            }
            None => assert!(!plan.settings.contains_key("health_check.path")),
        }
        let service = "ecs_service";
        assert_eq!(shown(&plan, service, "cluster"), p.cluster);
        assert_eq!(
            shown(&plan, service, "desired_count"),
            p.desired_count.to_string()
        );
        assert_eq!(
            shown(&plan, service, "capacity_provider"),
            p.capacity_provider
        );
        let target = "autoscaling_target";
        assert_eq!(
            shown(&plan, target, "min_capacity"),
            p.scaling.min.to_string()
        );
        assert_eq!(
            shown(&plan, target, "max_capacity"),
            p.scaling.max.to_string()
        );
        let policy = "autoscaling_policy";
        for (key, value) in [
            ("target_value", p.scaling.target_cpu_percent),
            (
                "scale_out_cooldown_seconds",
                p.scaling.scale_out_cooldown_seconds,
            ),
            (
                "scale_in_cooldown_seconds",
                p.scaling.scale_in_cooldown_seconds,
            ),
        ] {
            assert_eq!(shown(&plan, policy, key), value.to_string(), "{key}");
        }
    }
}

#[test]
fn the_fly_plan_and_its_settings_agree() {
    for input in [
        scoring_api_fly(),
        with(scoring_api_fly, |i| {
            i.environment = context(Tier::Development);
            i.regions = Vec::new();
            i.health_check = None;
            i.fly_org = None;
        }),
        // A worker: no Fly.io service, no check, and no URL.
        with(scoring_api_fly, |i| {
            i.port = None;
            i.health_check = None;
        }),
    ] {
        let plan = planned(&input);
        let HostPlan::Fly(p) = &plan.host_plan else {
            panic!("not a Fly.io plan: {:?}", plan.host_plan);
        };
        assert_eq!(shown(&plan, "fly_app", "org"), p.org);
        assert_eq!(shown(&plan, "fly_app", "regions"), p.regions.join(","));
        assert_eq!(
            shown(&plan, "fly_app", "machines_per_region"),
            p.machines_per_region.to_string()
        );
        let machine_children: Vec<&Child> = plan
            .children
            .iter()
            .filter(|c| c.kind == "fly_machine")
            .collect();
        assert_eq!(machine_children.len(), p.machines.len());
        assert_eq!(
            p.machines.len() as i64,
            p.regions.len() as i64 * p.machines_per_region
        );
        for (c, m) in machine_children.iter().zip(&p.machines) {
            assert_eq!(
                (c.key.as_str(), c.name.as_str()),
                (m.key.as_str(), m.name.as_str())
            );
            let get = |k: &str| c.settings[k].as_str();
            assert_eq!(get("region"), m.region);
            assert_eq!(get("guest.cpu_kind"), p.guest.cpu_kind);
            assert_eq!(get("guest.cpus"), p.guest.cpus.to_string());
            assert_eq!(get("guest.memory_mb"), p.guest.memory_mb.to_string());
            assert_eq!(
                c.settings.get("service.internal_port"),
                p.port.map(|port| port.to_string()).as_ref()
            );
            assert_eq!(
                c.settings.contains_key("service.ports"),
                p.port.is_some(),
                "public ports only with a port"
            );
            match &p.health_check {
                Some(check) => assert_eq!(
                    get("check"),
                    format!(
                        "http GET {} on {} every {}s",
                        check.path,
                        p.port.unwrap_or_default(),
                        check.interval_seconds
                    )
                ),
                None => assert!(!c.settings.contains_key("check")),
            }
        }
    }
}

#[test]
fn the_workers_plan_and_its_settings_agree() {
    for input in [
        scoring_api_workers(),
        with(scoring_api_workers, |i| {
            i.cloudflare_zone = None;
            i.requirements.cpu_ms_per_request = Some(120_000);
        }),
    ] {
        let plan = planned(&input);
        let HostPlan::Workers(p) = &plan.host_plan else {
            panic!("not a Workers plan: {:?}", plan.host_plan);
        };
        assert_eq!(
            shown(&plan, "worker_script", "limits.cpu_ms"),
            p.cpu_ms.to_string()
        );
        let source = child(&plan, "worker_script").settings_source["limits.cpu_ms"];
        assert_eq!(p.cpu_ms_raised, source == Source::Derived);
        match &p.route {
            Some(route) => {
                assert_eq!(shown(&plan, "worker_route", "zone"), route.zone);
                assert_eq!(shown(&plan, "worker_route", "pattern"), route.pattern);
                assert_eq!(child(&plan, "worker_route").name, route.pattern);
            }
            None => assert!(plan.children.iter().all(|c| c.key != "worker_route")),
        }
    }
}
