//! Tests of [`super`] (placement.rs).

use super::*;

fn image() -> Requirements {
    Requirements {
        has_image: true,
        ..Requirements::default()
    }
}

fn script() -> Requirements {
    Requirements {
        has_script: true,
        ..Requirements::default()
    }
}

#[test]
fn each_rule_places_where_the_seeds_do() {
    let cases: [(&str, Requirements, Host, Rule); 9] = [
        (
            "edge script",
            script(),
            Host::CloudflareWorkers,
            Rule::EdgeScript,
        ),
        (
            "edge script with small footprint",
            Requirements {
                cpu_ms_per_request: Some(5),
                memory_mb: Some(64),
                ..script()
            },
            Host::CloudflareWorkers,
            Rule::EdgeScript,
        ),
        (
            "multi-region",
            Requirements {
                multi_region: true,
                ..image()
            },
            Host::Fly,
            Rule::MultiRegion,
        ),
        (
            "private network",
            Requirements {
                private_network_access: true,
                ..image()
            },
            Host::AwsFargate,
            Rule::PrivateNetwork,
        ),
        (
            "background work",
            Requirements {
                background_work: true,
                ..image()
            },
            Host::AwsFargate,
            Rule::BackgroundWork,
        ),
        (
            "heavy CPU at the threshold",
            Requirements {
                cpu_ms_per_request: Some(HEAVY_CPU_MS_PER_REQUEST),
                ..image()
            },
            Host::AwsFargate,
            Rule::HeavyCpu,
        ),
        (
            "long-lived connections",
            Requirements {
                long_lived_connections: true,
                ..image()
            },
            Host::Fly,
            Rule::LongLivedConnections,
        ),
        (
            "plain container",
            image(),
            Host::AwsFargate,
            Rule::Container,
        ),
        (
            "CPU just under the threshold is not heavy",
            Requirements {
                cpu_ms_per_request: Some(HEAVY_CPU_MS_PER_REQUEST - 1),
                ..image()
            },
            Host::AwsFargate,
            Rule::Container,
        ),
    ];
    for (name, req, host, rule) in cases {
        let got = place(&req);
        assert_eq!((got.host, got.rule), (host, rule), "{name}: {}", got.reason);
        assert!(!got.reason.contains('\n'), "{name}: one line");
    }
}

#[test]
fn ties_break_in_the_documented_order() {
    let all = Requirements {
        long_lived_connections: true,
        private_network_access: true,
        cpu_ms_per_request: Some(5_000),
        memory_mb: Some(4_096),
        multi_region: true,
        has_image: true,
        has_script: false,
        background_work: true,
    };
    // Peel the winning requirement off one at a time: the next rule must take over.
    let order = [
        (Host::Fly, Rule::MultiRegion),
        (Host::AwsFargate, Rule::PrivateNetwork),
        (Host::AwsFargate, Rule::BackgroundWork),
        (Host::AwsFargate, Rule::HeavyCpu),
        (Host::Fly, Rule::LongLivedConnections),
        (Host::AwsFargate, Rule::Container),
    ];
    let mut req = all;
    for (i, (host, rule)) in order.into_iter().enumerate() {
        let got = place(&req);
        assert_eq!((got.host, got.rule), (host, rule), "step {i}: {req:?}");
        match rule {
            Rule::MultiRegion => req.multi_region = false,
            Rule::PrivateNetwork => req.private_network_access = false,
            Rule::BackgroundWork => req.background_work = false,
            Rule::HeavyCpu => req.cpu_ms_per_request = None,
            Rule::LongLivedConnections => req.long_lived_connections = false,
            _ => {}
        }
    }
    // A script outranks everything: only Workers runs one, and check_explicit then
    // reports what Workers cannot do.
    let scripted = Requirements {
        has_image: false,
        has_script: true,
        ..all
    };
    assert_eq!(place(&scripted).host, Host::CloudflareWorkers);
    // An image outranks a script: a service with both is a container.
    let both = Requirements {
        has_script: true,
        ..image()
    };
    assert_eq!(place(&both).rule, Rule::Container);
}

#[test]
fn pairwise_ties() {
    let cases = [
        (
            "long-lived + RDS",
            true,
            true,
            false,
            false,
            None,
            Host::AwsFargate,
        ),
        (
            "long-lived + multi-region",
            true,
            false,
            true,
            false,
            None,
            Host::Fly,
        ),
        (
            "long-lived + background",
            true,
            false,
            false,
            true,
            None,
            Host::AwsFargate,
        ),
        (
            "long-lived + heavy CPU",
            true,
            false,
            false,
            false,
            Some(2_000),
            Host::AwsFargate,
        ),
        (
            "multi-region + RDS",
            false,
            true,
            true,
            false,
            None,
            Host::Fly,
        ),
        (
            "multi-region + heavy CPU",
            false,
            false,
            true,
            false,
            Some(2_000),
            Host::Fly,
        ),
        (
            "RDS + background",
            false,
            true,
            false,
            true,
            None,
            Host::AwsFargate,
        ),
    ];
    for (name, long_lived, private, multi, background, cpu, host) in cases {
        let req = Requirements {
            long_lived_connections: long_lived,
            private_network_access: private,
            multi_region: multi,
            background_work: background,
            cpu_ms_per_request: cpu,
            ..image()
        };
        assert_eq!(place(&req).host, host, "{name}");
    }
}

#[test]
fn the_matrix_is_computed_by_the_rules_and_matches_the_seed() {
    let rows = matrix();
    let want = [
        ("edge gateway script", Host::CloudflareWorkers),
        ("latency-sensitive API", Host::CloudflareWorkers),
        ("realtime / WebSocket API", Host::Fly),
        ("multi-region API", Host::Fly),
        ("multi-region API needing RDS", Host::Fly),
        ("ML inference / heavy CPU", Host::AwsFargate),
        ("background worker", Host::AwsFargate),
        ("API needing RDS access", Host::AwsFargate),
        ("container API", Host::AwsFargate),
    ];
    assert_eq!(rows.len(), want.len());
    for (row, (component, host)) in rows.iter().zip(want) {
        assert_eq!(row.component, component);
        assert_eq!(row.placement, place(&row.requirements), "{component}");
        assert_eq!(
            row.placement.host, host,
            "{component}: {}",
            row.placement.reason
        );
        assert!(!row.seed_component.is_empty());
        // Every row's host can actually run it.
        assert_eq!(
            check_explicit(host, &row.requirements),
            vec![],
            "{component}"
        );
    }
    let multi_rds = &rows[4].placement.reason;
    assert!(multi_rds.contains("WireGuard"), "{multi_rds}");
}

/// (host, requirements, expected error paths, a fragment every detail must contain)
type ExplicitCase = (
    &'static str,
    Host,
    Requirements,
    Vec<&'static str>,
    &'static str,
);

#[test]
fn explicit_hosts_that_cannot_run_the_service_are_errors() {
    let cases: Vec<ExplicitCase> = vec![
        (
            "workers with long-lived connections",
            Host::CloudflareWorkers,
            Requirements {
                long_lived_connections: true,
                ..script()
            },
            vec!["requirements.long_lived_connections"],
            "Use `host = \"fly\"` instead, with the service built as a container `image`",
        ),
        (
            "workers with an image",
            Host::CloudflareWorkers,
            image(),
            vec!["image"],
            "Use `host = \"aws_fargate\"` instead, or set `script`",
        ),
        (
            "workers with an image that holds connections",
            Host::CloudflareWorkers,
            Requirements {
                long_lived_connections: true,
                ..image()
            },
            vec!["image", "requirements.long_lived_connections"],
            "Use `host = \"fly\"` instead",
        ),
        (
            "workers reaching RDS",
            Host::CloudflareWorkers,
            Requirements {
                private_network_access: true,
                ..script()
            },
            vec!["requirements.private_network_access"],
            "`host = \"aws_fargate\"`",
        ),
        (
            "workers doing background work",
            Host::CloudflareWorkers,
            Requirements {
                background_work: true,
                ..script()
            },
            vec!["requirements.background_work"],
            "`host = \"aws_fargate\"`",
        ),
        (
            "workers over the CPU limit",
            Host::CloudflareWorkers,
            Requirements {
                cpu_ms_per_request: Some(WORKERS_MAX_CPU_MS + 1),
                ..script()
            },
            vec!["requirements.cpu_ms_per_request"],
            "at most `300000` ms",
        ),
        (
            "workers over the memory limit",
            Host::CloudflareWorkers,
            Requirements {
                memory_mb: Some(256),
                ..script()
            },
            vec!["requirements.memory_mb"],
            "`128` MB",
        ),
        (
            "fargate with a script",
            Host::AwsFargate,
            script(),
            vec!["script"],
            "Use `host = \"cloudflare_workers\"` instead",
        ),
        (
            "fargate in several regions",
            Host::AwsFargate,
            Requirements {
                multi_region: true,
                ..image()
            },
            vec!["regions"],
            "Use `host = \"fly\"` instead",
        ),
        (
            "fly with a script",
            Host::Fly,
            script(),
            vec!["script"],
            "Use `host = \"cloudflare_workers\"` instead",
        ),
    ];
    for (name, host, req, paths, fragment) in cases {
        let got = check_explicit(host, &req);
        let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
        assert_eq!(got_paths, paths, "{name}: {got:#?}");
        for v in &got {
            assert_eq!(v.summary, "Host Cannot Meet Requirement", "{name}");
        }
        assert!(
            got.iter().any(|v| v.detail.contains(fragment)),
            "{name}: no detail contains {fragment:?}: {got:#?}"
        );
    }
}

#[test]
fn hosts_that_can_run_the_service_have_no_errors() {
    let cases = [
        (
            Host::CloudflareWorkers,
            Requirements {
                cpu_ms_per_request: Some(WORKERS_MAX_CPU_MS),
                memory_mb: Some(WORKERS_MEMORY_MB),
                multi_region: true,
                ..script()
            },
        ),
        (
            Host::Fly,
            Requirements {
                long_lived_connections: true,
                private_network_access: true,
                background_work: true,
                multi_region: true,
                cpu_ms_per_request: Some(50_000),
                ..image()
            },
        ),
        (
            Host::AwsFargate,
            Requirements {
                long_lived_connections: true,
                private_network_access: true,
                background_work: true,
                cpu_ms_per_request: Some(50_000),
                ..image()
            },
        ),
    ];
    for (host, req) in cases {
        assert_eq!(check_explicit(host, &req), vec![], "{host}");
    }
}

#[test]
fn fly_with_private_access_is_a_caveat_not_an_error() {
    let req = Requirements {
        private_network_access: true,
        ..image()
    };
    assert_eq!(check_explicit(Host::Fly, &req), vec![]);
    let warnings = caveats(Host::Fly, &req);
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].path.to_string(),
        "requirements.private_network_access"
    );
    assert_eq!(warnings[0].summary, "Extra Setup Needed");
    assert!(warnings[0].detail.contains("WireGuard peering"));
    assert!(warnings[0].detail.contains("`host = \"aws_fargate\"`"));
    assert_eq!(caveats(Host::AwsFargate, &req), vec![]);
    assert_eq!(caveats(Host::Fly, &image()), vec![]);
}

#[test]
fn explicit_placements_say_what_auto_would_choose() {
    let req = Requirements {
        long_lived_connections: true,
        ..image()
    };
    let explicit = resolve(Some(Host::AwsFargate), &req);
    assert_eq!(explicit.host, Host::AwsFargate);
    assert_eq!(explicit.rule, Rule::Explicit);
    assert!(
        explicit
            .reason
            .starts_with("`host = \"aws_fargate\"` as configured; `auto` would choose `fly`"),
        "{}",
        explicit.reason
    );
    let agreeing = resolve(Some(Host::Fly), &req);
    assert!(
        agreeing.reason.contains("which `auto` agrees with"),
        "{}",
        agreeing.reason
    );
    assert_eq!(resolve(None, &req), place(&req));
}

#[test]
fn host_names_parse_exactly_and_typos_get_suggestions() {
    for host in Host::ALL {
        assert_eq!(host.as_str().parse::<Host>(), Ok(host));
        assert_eq!(Host::parse_choice(host.as_str()), Ok(Some(host)));
    }
    assert_eq!(Host::parse_choice("auto"), Ok(None));
    assert!(Host::parse_choice("Fly").is_err());
    assert!(Host::parse_choice("").is_err());
    let err = "lambda".parse::<Host>().unwrap_err().to_string();
    assert!(
        err.contains("`lambda`") && err.contains("`cloudflare_workers`"),
        "{err}"
    );
    let cases = [
        ("Fly", Some("fly")),
        ("fargate", Some("aws_fargate")),
        ("ECS", Some("aws_fargate")),
        ("workers", Some("cloudflare_workers")),
        ("cloudflare-workers", Some("cloudflare_workers")),
        ("AUTO", Some("auto")),
        ("lambda", None),
        ("", None),
    ];
    for (given, want) in cases {
        assert_eq!(Host::suggest(given), want, "{given:?}");
    }
}

#[test]
fn summaries_list_what_matters() {
    let req = Requirements {
        cpu_ms_per_request: Some(5),
        memory_mb: Some(32),
        long_lived_connections: true,
        ..script()
    };
    assert_eq!(
        req.summary(),
        "script, 5 ms CPU per request, 32 MB memory, long-lived connections"
    );
}
