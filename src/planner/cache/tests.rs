//! The cache planner: children per tier with their sources, sizes, the parameter group,
//! cost, the grant and every validation.

use super::*;
use crate::planner::api_service::iam;
use crate::planner::component::test_context;

fn sessions(tier: Tier) -> CacheInput {
    CacheInput {
        environment: test_context(tier),
        name: "sessions".into(),
        engine: None,
        engine_version: None,
        size: None,
        node_type: None,
        replicas: None,
        multi_az: None,
        snapshot_retention_days: None,
        maxmemory_policy: None,
        parameters: BTreeMap::new(),
        allow_replacement: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    }
}

fn child<'a>(plan: &'a CachePlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child {key}"))
}

#[test]
fn a_cache_takes_its_tiers_node_replicas_and_snapshots() {
    for tier in Tier::ALL {
        let plan = plan(&sessions(tier)).expect("valid");
        let keys: Vec<&str> = plan.children.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "auth_secret",
                "security_group",
                "subnet_group",
                "parameter_group",
                "replication_group"
            ]
        );
        let r = child(&plan, "replication_group");
        let d = tier.defaults();
        assert_eq!(r.settings["node_type"], d.cache_node_type);
        assert_eq!(r.settings_source["node_type"], Source::Tier(tier));
        assert_eq!(r.settings["replicas"], d.cache_replicas.to_string());
        assert_eq!(r.settings["multi_az"], d.cache_multi_az.to_string());
        assert_eq!(
            r.settings["snapshot_retention_days"],
            d.cache_snapshot_retention_days.to_string()
        );
        assert_eq!(r.settings["encryption_in_transit"], "true");
        assert_eq!(r.settings["encryption_at_rest"], "true");
        assert_eq!(plan.protected, tier == Tier::Production);
        // allkeys-lru is not the family's default: a parameter group carries it.
        assert_eq!(
            child(&plan, "parameter_group").settings["parameter.maxmemory-policy"],
            "allkeys-lru"
        );
        assert_eq!(plan.family, "redis7");
        let nodes = 1 + d.cache_replicas;
        let node =
            prices::cache_node_monthly("eu-west-1", "redis", d.cache_node_type).expect("priced");
        assert!((r.monthly_cost_usd - node * nodes as f64).abs() < 1e-9);
        assert!((plan.estimated_monthly_cost_usd - r.monthly_cost_usd - 0.40).abs() < 1e-9);
        assert_eq!(
            child(&plan, "security_group").settings["admits"],
            "tcp/6379 from sg-0a1b2c3d4e5f67890"
        );
    }
}

#[test]
fn size_picks_the_smallest_node_and_valkey_costs_less() {
    let mut input = sessions(Tier::Staging);
    input.size = Some("1GB".into());
    input.engine = Some("valkey".into());
    let p = plan(&input).expect("valid");
    assert_eq!(p.node_type, "cache.t3.small");
    assert_eq!(
        child(&p, "replication_group").settings_source["node_type"],
        Source::Derived
    );
    assert_eq!(p.engine_version, "8.1");
    assert_eq!(p.family, "valkey8");
    let redis = plan(&CacheInput {
        engine: None,
        ..input.clone()
    })
    .expect("valid");
    assert!(p.estimated_monthly_cost_usd < redis.estimated_monthly_cost_usd);
}

#[test]
fn the_familys_own_policy_needs_no_parameter_group() {
    let mut input = sessions(Tier::Development);
    input.maxmemory_policy = Some("volatile-lru".into());
    let p = plan(&input).expect("valid");
    assert!(p.parameters.is_none());
    assert!(p.children.iter().all(|c| c.key != "parameter_group"));
    assert_eq!(
        child(&p, "replication_group").settings["parameter_group"],
        "default.redis7"
    );
}

#[test]
fn production_without_replicas_is_not_multi_az() {
    let mut input = sessions(Tier::Production);
    input.replicas = Some(0);
    let p = plan(&input).expect("valid");
    let r = child(&p, "replication_group");
    assert_eq!(r.settings["multi_az"], "false");
    assert_eq!(r.settings_source["multi_az"], Source::Derived);
}

#[test]
fn the_connect_grant_reads_exactly_the_auth_secret() {
    let p = plan(&sessions(Tier::Production)).expect("valid");
    let g = iam::grant(&p.grants["connect"]).expect("a statement");
    assert_eq!(
        g[0]["Resource"],
        "arn:aws:secretsmanager:eu-west-1:*:secret:prod/sessions-cache-auth-??????"
    );
}

/// A change to a valid input, the attribute path its error names, and a part of the fix.
type Case = (Box<dyn Fn(&mut CacheInput)>, &'static str, &'static str);

#[test]
fn bad_input_names_the_attribute_and_the_fix() {
    let cases: Vec<Case> = vec![
        (
            Box::new(|i| i.engine = Some("memcached".into())),
            "engine",
            "`valkey`",
        ),
        (
            Box::new(|i| i.engine_version = Some("5.0".into())),
            "engine_version",
            "`7.1`",
        ),
        (
            Box::new(|i| {
                i.size = Some("1GB".into());
                i.node_type = Some("cache.t3.small".into());
            }),
            "size",
            "Remove one",
        ),
        (Box::new(|i| i.size = Some("lots".into())), "size", "1GB"),
        (
            Box::new(|i| i.size = Some("100GB".into())),
            "size",
            "node_type",
        ),
        (
            Box::new(|i| i.node_type = Some("t3.micro".into())),
            "node_type",
            "cache.t4g.small",
        ),
        (Box::new(|i| i.replicas = Some(6)), "replicas", "5"),
        (
            Box::new(|i| {
                i.replicas = Some(0);
                i.multi_az = Some(true);
            }),
            "multi_az",
            "replicas = 1",
        ),
        (
            Box::new(|i| i.maxmemory_policy = Some("lru".into())),
            "maxmemory_policy",
            "allkeys-lru",
        ),
        (
            Box::new(|i| {
                i.parameters
                    .insert("maxmemory-policy".into(), "noeviction".into());
            }),
            "parameters[\"maxmemory-policy\"]",
            "maxmemory_policy",
        ),
        (
            Box::new(|i| i.name = "a-very-long-cache-name".into()),
            "name",
            "19",
        ),
        (
            Box::new(|i| i.environment.network.subnet_ids.clear()),
            "environment",
            "network",
        ),
    ];
    for (change, path, fix) in cases {
        let mut input = sessions(Tier::Production);
        change(&mut input);
        let v = plan(&input).expect_err(path);
        assert!(
            v.iter().any(|v| v.path.to_string() == path
                && format!("{} {}", v.summary, v.detail).contains(fix)),
            "{path}: {v:#?}"
        );
    }
}
