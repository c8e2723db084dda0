//! Validation tests: every rule, all reported at once, and secrets never repeated.

use super::*;

/// One expected violation: its path, and a fragment its detail must contain.
type Want = (&'static str, &'static str);

#[test]
fn validation_rules() {
    let fargate = scoring_api_fargate;
    let fly = scoring_api_fly;
    let workers = scoring_api_workers;
    let cases: Vec<(&str, ServiceInput, Vec<Want>)> = vec![
        (
            "name not DNS-safe",
            with(fargate, |i| i.name = "Scoring_API".into()),
            vec![("name", "for example `scoring-api`")],
        ),
        (
            "name too long",
            with(fargate, |i| i.name = "a".repeat(43)),
            vec![("name", "1 to 42 characters")],
        ),
        (
            "host typo",
            with(fargate, |i| i.host = "Fly".into()),
            vec![("host", "Did you mean `fly`?")],
        ),
        (
            "image and script",
            with(fargate, |i| i.script = Some(SCRIPT.into())),
            vec![("script", "`image` and `script` are both set")],
        ),
        (
            "neither image nor script",
            with(fargate, |i| i.image = None),
            vec![("image", "Neither `image` nor `script`")],
        ),
        (
            "image with spaces",
            with(fargate, |i| i.image = Some("my image".into())),
            vec![("image", "without spaces")],
        ),
        (
            "port zero",
            with(fargate, |i| i.port = Some(0)),
            vec![("port", "between `1` and `65535`")],
        ),
        (
            "port too high",
            with(fargate, |i| i.port = Some(70_000)),
            vec![("port", "between `1` and `65535`")],
        ),
        (
            "cpu unreadable",
            with(fargate, |i| i.cpu = Some("fast".into())),
            vec![("cpu", "`2 vCPU`")],
        ),
        (
            "memory ambiguous",
            with(fargate, |i| i.memory = Some("2".into())),
            vec![("memory", "write `2GB`")],
        ),
        (
            "fargate memory not allowed with the cpu",
            with(fargate, |i| {
                i.cpu = Some("0.25".into());
                i.memory = Some("4GB".into());
            }),
            vec![(
                "memory",
                "Use `cpu = \"0.25\"` with `memory = \"2GB\"`, or `cpu = \"0.5\"` with `memory = \"4GB\"` to keep the memory.",
            )],
        ),
        (
            "fargate cpu not offered",
            with(fargate, |i| {
                i.cpu = Some("384".into());
                i.memory = Some("1GB".into());
            }),
            vec![(
                "cpu",
                "no `0.375 vCPU` task size: it offers `0.25`, `0.5`, `1`, `2`, `4`, `8`, `16` vCPU. Use `cpu = \"0.5\"` with `memory = \"1GB\"`.",
            )],
        ),
        (
            "fargate memory offered nowhere",
            with(fargate, |i| {
                i.cpu = None;
                i.memory = Some("1536".into());
            }),
            vec![("memory", "Use `cpu = \"0.25\"` with `memory = \"2GB\"`.")],
        ),
        (
            "fly cpu not whole",
            with(fly, |i| i.cpu = Some("0.5".into())),
            vec![("cpu", "Use `cpu = \"1\"` with `memory = \"512MB\"`.")],
        ),
        (
            "fly cpu count not offered",
            with(fly, |i| i.cpu = Some("3".into())),
            vec![("cpu", "Use `cpu = \"4\"` with `memory = \"1GB\"`.")],
        ),
        (
            "fly cpu count between presets names every preset",
            with(fly, |i| i.cpu = Some("7".into())),
            vec![(
                "cpu",
                "machines have `1`, `2`, `4`, `6` or `8` shared CPUs, or `1`, `2`, `4`, \
                 `6`, `8`, `10`, `12`, `14` or `16` performance CPUs.",
            )],
        ),
        (
            "fly memory not a multiple of 256",
            with(fly, |i| i.memory = Some("300".into())),
            vec![(
                "memory",
                "multiple of `256` MB, and `300` is not. Use `memory = \"512MB\"`.",
            )],
        ),
        (
            "fly memory too large for the cpus",
            with(fly, |i| i.memory = Some("16GB".into())),
            vec![(
                "memory",
                "Use `cpu = \"1\"` with `memory = \"8GB\"`, or `cpu = \"2\"` with `memory = \"16GB\"` to keep the memory.",
            )],
        ),
        (
            "fly memory too small for the cpus",
            with(fly, |i| {
                i.cpu = Some("8".into());
                i.memory = Some("1GB".into());
            }),
            vec![(
                "memory",
                "Use `cpu = \"8\"` with `memory = \"2GB\"`, or `cpu = \"1\"` with `memory = \"1GB\"` to keep the memory.",
            )],
        ),
        (
            "scaling max below the tier's min",
            with(fargate, |i| i.scaling.max = Some(1)),
            vec![(
                "scaling.max",
                "`2` (the environment's `min_instances`) is greater than the maximum `1` (from `scaling.max`). Set `scaling.max` to at least `2`",
            )],
        ),
        (
            "scaling min above the environment's max",
            with(fargate, |i| {
                i.environment = context(Tier::Development);
                i.scaling.min = Some(5);
            }),
            vec![("scaling.min", "(the environment's `max_instances`)")],
        ),
        (
            "scaling target out of range",
            with(fargate, |i| i.scaling.target_cpu_percent = Some(0)),
            vec![("scaling.target_cpu_percent", "between `1` and `100`")],
        ),
        (
            "scaling min negative",
            with(fargate, |i| i.scaling.min = Some(-1)),
            vec![("scaling.min", "between `0` and `1000`")],
        ),
        (
            "health check path without slash",
            with(fargate, |i| {
                i.health_check = Some(HealthCheckInput {
                    path: "healthz".into(),
                    interval_seconds: None,
                })
            }),
            vec![("health_check.path", "starting with `/`")],
        ),
        (
            "health check interval too short",
            with(fargate, |i| {
                i.health_check = Some(HealthCheckInput {
                    path: "/healthz".into(),
                    interval_seconds: Some(1),
                })
            }),
            vec![("health_check.interval_seconds", "between `5` and `300`")],
        ),
        (
            "env name invalid",
            with(fargate, |i| {
                i.env.insert("log-level".into(), "info".into());
            }),
            vec![(r#"env["log-level"]"#, "a letter or `_`")],
        ),
        (
            "secret name invalid",
            with(fargate, |i| {
                i.secrets.insert("1DB".into(), SECRET_ARN.into());
            }),
            vec![(r#"secrets["1DB"]"#, "a letter or `_`")],
        ),
        (
            "secret value instead of a reference",
            with(fargate, |i| {
                i.secrets
                    .insert("DB_PASSWORD".into(), "hunter2-very-secret".into());
            }),
            vec![(r#"secrets["DB_PASSWORD"]"#, "it is not repeated here")],
        ),
        (
            "secret and env share a name",
            with(fargate, |i| {
                i.env.insert("DATABASE_URL".into(), "x".into());
            }),
            vec![(
                r#"secrets["DATABASE_URL"]"#,
                "also set in `env[\"DATABASE_URL\"]`",
            )],
        ),
        (
            "fargate cannot read host secrets",
            with(fargate, |i| {
                i.secrets
                    .insert("API_KEY".into(), "secret://API_KEY".into());
            }),
            vec![(r#"secrets["API_KEY"]"#, "use its ARN")],
        ),
        (
            "fly cannot read AWS secrets",
            with(fly, |i| {
                i.secrets.insert("DB_PASSWORD".into(), SECRET_ARN.into());
            }),
            vec![(
                r#"secrets["DB_PASSWORD"]"#,
                "`fly secrets set DB_PASSWORD=…`",
            )],
        ),
        (
            "workers cannot read AWS secrets",
            with(workers, |i| {
                i.secrets.insert(
                    "DB_PASSWORD".into(),
                    "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db".into(),
                );
            }),
            vec![(
                r#"secrets["DB_PASSWORD"]"#,
                "`wrangler secret put DB_PASSWORD`",
            )],
        ),
        (
            "host secret under another name",
            with(fly, |i| {
                i.secrets
                    .insert("DB_PASSWORD".into(), "secret://PG_PASSWORD".into());
            }),
            vec![(
                r#"secrets["DB_PASSWORD"]"#,
                "Use `secret://DB_PASSWORD`, or rename the key to `PG_PASSWORD`.",
            )],
        ),
        (
            "workers holding connections",
            with(workers, |i| {
                i.requirements.long_lived_connections = Some(true)
            }),
            vec![(
                "requirements.long_lived_connections",
                "Use `host = \"fly\"` instead, with the service built as a container `image`.",
            )],
        ),
        (
            "explicit workers with an image",
            with(fargate, |i| {
                i.host = "cloudflare_workers".into();
                i.secrets.clear();
            }),
            vec![
                ("image", "Use `host = \"aws_fargate\"` instead"),
                (
                    "requirements.private_network_access",
                    "cannot reach private AWS resources",
                ),
                (
                    "memory",
                    "`memory` is `1GB`, but a Cloudflare Worker has `128` MB of memory. Use `host = \"aws_fargate\"` instead.",
                ),
            ],
        ),
        (
            "explicit fargate with a script",
            with(workers, |i| {
                i.host = "aws_fargate".into();
                i.secrets.clear();
            }),
            vec![("script", "Use `host = \"cloudflare_workers\"` instead")],
        ),
        (
            "explicit fly with a script",
            with(workers, |i| i.host = "fly".into()),
            vec![("script", "Use `host = \"cloudflare_workers\"` instead")],
        ),
        (
            "workers memory above 128 MB",
            with(workers, |i| i.memory = Some("256MB".into())),
            vec![(
                "memory",
                "has `128` MB of memory. Use `host = \"aws_fargate\"` instead",
            )],
        ),
        (
            "workers over the CPU limit",
            with(workers, |i| {
                i.requirements.cpu_ms_per_request = Some(400_000)
            }),
            vec![("requirements.cpu_ms_per_request", "at most `300000` ms")],
        ),
        (
            "fargate region elsewhere",
            with(fargate, |i| i.regions = vec!["us-east-1".into()]),
            vec![("regions[0]", "set it to `[\"eu-west-1\"]`")],
        ),
        (
            "explicit fargate in several regions",
            with(fargate, |i| {
                i.host = "aws_fargate".into();
                i.regions = vec!["eu-west-1".into(), "us-east-1".into()];
            }),
            vec![("regions", "Use `host = \"fly\"` instead")],
        ),
        (
            "fly region not a code",
            with(fly, |i| i.regions = vec!["Frankfurt".into()]),
            vec![("regions[0]", "for example `lhr`")],
        ),
        (
            "regions repeated",
            with(fly, |i| i.regions = vec!["iad".into(), "iad".into()]),
            vec![("regions[1]", "already appears at index `0`")],
        ),
        (
            "requirement cpu zero",
            with(fargate, |i| i.requirements.cpu_ms_per_request = Some(0)),
            vec![(
                "requirements.cpu_ms_per_request",
                "between `1` and `3600000`",
            )],
        ),
        (
            "zone not a domain",
            with(workers, |i| i.cloudflare_zone = Some("Example".into())),
            vec![("cloudflare_zone", "for example `example.com`")],
        ),
        (
            "reserved tag",
            with(fargate, |i| {
                i.tags.insert("managed-by".into(), "me".into());
            }),
            vec![(r#"tags["managed-by"]"#, "reserved")],
        ),
        (
            "fargate without a network",
            with(fargate, |i| {
                i.environment.network = environment::Network::default()
            }),
            vec![(
                "environment",
                "add a `network` block".trim_start_matches('a'),
            )],
        ),
        (
            "workers variable too large",
            with(workers, |i| {
                i.env.insert("BIG".into(), "x".repeat(5121));
            }),
            vec![(r#"env["BIG"]"#, "at most 5120 bytes")],
        ),
        (
            "workers with too many variables",
            with(workers, |i| {
                for n in 0..128 {
                    i.env.insert(format!("V{n}"), "x".into());
                }
            }),
            vec![(
                "env",
                "There are 131 environment variables and secrets together, but Cloudflare Workers allows at most 128. Remove 3",
            )],
        ),
        (
            "a 300 KB variable on fargate overflows the task definition",
            with(fargate, |i| {
                i.env.insert("BIG".into(), "x".repeat(300 * 1024));
            }),
            vec![(
                "env",
                "at most 65536 bytes (64 KiB, the \"Task definition size\" quota, not \
                 adjustable). `env` takes 307303 bytes of it, the most in `env[\"BIG\"]` \
                 (307226 bytes)",
            )],
        ),
        (
            "many variables on fargate add up past 64 KiB",
            with(fargate, |i| {
                for n in 0..70 {
                    i.env.insert(format!("V{n:02}"), "x".repeat(1000));
                }
            }),
            vec![("env", "Task definition size")],
        ),
        (
            "a 300 KB variable on fly is longer than Linux passes to a process",
            with(fly, |i| {
                i.env.insert("BIG".into(), "x".repeat(300 * 1024));
            }),
            vec![(
                r#"env["BIG"]"#,
                "`BIG=…` is 307204 bytes, but Linux starts no process with an environment \
                 string over 131072 bytes",
            )],
        ),
        (
            "a 300 KB variable on workers is over its 5 KB limit",
            with(workers, |i| {
                i.env.insert("BIG".into(), "x".repeat(300 * 1024));
            }),
            vec![(r#"env["BIG"]"#, "at most 5120 bytes")],
        ),
    ];
    for (name, input, want) in cases {
        let got = validate(&input);
        let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
        let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
        assert_eq!(got_paths, want_paths, "{name}: {got:#?}");
        for (v, (_, fragment)) in got.iter().zip(&want) {
            assert!(
                v.detail.contains(fragment),
                "{name}: {:?} lacks {fragment:?}",
                v.detail
            );
        }
        assert!(
            plan(&input).is_err(),
            "{name}: plan refuses what validate rejects"
        );
    }
}

#[test]
fn every_violation_is_reported_at_once() {
    let input = with(scoring_api_fargate, |i| {
        i.name = "Bad Name".into();
        i.port = Some(0);
        i.memory = Some("5GB".into());
        i.scaling.max = Some(1);
        i.secrets.insert("TOKEN".into(), "plain".into());
        i.health_check = Some(HealthCheckInput {
            path: "x".into(),
            interval_seconds: Some(0),
        });
    });
    let paths: Vec<String> = validate(&input)
        .iter()
        .map(|v| v.path.to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "name",
            "port",
            "memory",
            "scaling.max",
            "health_check.path",
            "health_check.interval_seconds",
            r#"secrets["TOKEN"]"#,
        ]
    );
}

#[test]
fn secret_values_never_appear_in_diagnostics_or_plans() {
    let value = "s3cr3t-p4ssw0rd-value";
    let bad = with(scoring_api_fargate, |i| {
        i.secrets.insert("DB_PASSWORD".into(), value.into());
    });
    for v in validate(&bad) {
        assert!(!v.to_string().contains(value), "{v}");
    }
    // References do appear: they are how a reviewer sees which secret is used.
    let plan = planned(&scoring_api_fargate());
    let task = child(&plan, "ecs_task_definition");
    assert_eq!(task.settings["container.secrets.DATABASE_URL"], SECRET_ARN);
    // Plain env values are digested, not listed.
    let text = render(&plan);
    assert!(
        text.contains("container.env = LOG_LEVEL,NODE_ENV"),
        "{text}"
    );
    assert!(!text.contains("production,"), "{text}");
}

#[test]
fn settings_a_host_ignores_are_warnings() {
    let workers = planned(&with(scoring_api_workers, |i| {
        i.port = Some(8080);
        i.cpu = Some("1".into());
        i.scaling.min = Some(3);
        i.health_check = Some(HealthCheckInput {
            path: "/healthz".into(),
            interval_seconds: None,
        });
        i.regions = vec!["iad".into()];
    }));
    let paths: Vec<String> = workers
        .warnings
        .iter()
        .map(|v| v.path.to_string())
        .collect();
    assert_eq!(
        paths,
        ["port", "cpu", "scaling.min", "health_check", "regions"]
    );
    assert!(
        workers
            .warnings
            .iter()
            .all(|w| w.summary == "Setting Ignored")
    );

    let fly = planned(&with(scoring_api_fly, |i| i.scaling.max = Some(6)));
    assert_eq!(fly.warnings.len(), 1);
    assert_eq!(fly.warnings[0].path.to_string(), "scaling.max");
    assert!(
        fly.warnings[0]
            .detail
            .contains("only Fargate services autoscale")
    );
}

#[test]
fn fly_with_private_access_plans_with_the_peering_caveat() {
    // Seed 000's production Scoring API: active-active on Fly.io and reaching RDS.
    let plan = planned(&with(scoring_api_fly, |i| {
        i.requirements.private_network_access = Some(true);
    }));
    assert_eq!(plan.placement.host, Host::Fly);
    assert!(
        plan.placement.reason.contains("WireGuard"),
        "{}",
        plan.placement.reason
    );
    assert_eq!(plan.warnings.len(), 1);
    assert_eq!(plan.warnings[0].summary, "Extra Setup Needed");
}

#[test]
fn the_same_container_runs_on_any_explicit_container_host() {
    let fargate = planned(&with(scoring_api_fly, |i| {
        i.host = "aws_fargate".into();
        i.regions = Vec::new();
        i.memory = Some("2GB".into());
        i.secrets = map(&[("DATABASE_URL", SECRET_ARN)]);
    }));
    assert_eq!(fargate.placement.host, Host::AwsFargate);
    assert_eq!(fargate.placement.rule, placement::Rule::Explicit);
    assert!(
        fargate
            .placement
            .reason
            .contains("`auto` would choose `fly`"),
        "{}",
        fargate.placement.reason
    );
    let fly = planned(&with(scoring_api_fargate, |i| {
        i.host = "fly".into();
        i.cpu = Some("1".into());
        i.secrets.clear();
    }));
    assert_eq!(fly.placement.host, Host::Fly);
    // Fly.io and RDS: allowed, with the peering caveat.
    assert_eq!(fly.warnings.len(), 1);
    assert_eq!(
        fly.settings["regions"], "lhr",
        "nearest Fly.io region to eu-west-1"
    );
    assert_eq!(fly.settings_source["regions"], Source::Derived);
}

#[test]
fn workers_raise_the_cpu_limit_only_when_asked() {
    let plan = planned(&scoring_api_workers());
    let script = child(&plan, "worker_script");
    assert_eq!(script.settings["limits.cpu_ms"], "30000");
    assert_eq!(script.settings_source["limits.cpu_ms"], Source::Fixed);
    let plan = planned(&with(scoring_api_workers, |i| {
        i.requirements.cpu_ms_per_request = Some(120_000);
    }));
    let script = child(&plan, "worker_script");
    assert_eq!(script.settings["limits.cpu_ms"], "120000");
    // Raised because `requirements.cpu_ms_per_request` asks for more.
    assert_eq!(script.settings_source["limits.cpu_ms"], Source::Derived);
    assert_eq!(script.settings["bindings.secrets"], "SCORING_API_KEY");
    assert_eq!(script.settings["script_bytes"], SCRIPT.len().to_string());
}
