//! `platform_cache` against moto (with the ElastiCache parts moto lacks answered by
//! `scripts/moto_server.py`: parameter groups, DeleteCacheSubnetGroup): the plan shows the
//! auth secret, security group, subnet group, parameter group and replication group with
//! their sources and cost; apply makes them, encrypted, with the token in Secrets Manager
//! and nowhere in state; a snapshot retention changed out of band is the replication
//! group's drift and is put back; import rebuilds the cache; destroy leaves nothing. In
//! production, a change that replaces the cache is refused at plan time.

use crate::harness::{Aws, Cloud, REQUIRED_PROVIDERS, Terraform, block_on, on_versions};

fn config(env: &str, tier: &str, network: &str, extra: &str) -> String {
    with_parameters(
        env,
        tier,
        network,
        extra,
        r#"{ "notify-keyspace-events" = "Ex" }"#,
    )
}

/// The configuration with `parameters` as given (`{}` for none).
fn with_parameters(env: &str, tier: &str, network: &str, extra: &str, parameters: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "{tier}"
  region = "us-east-1"
{network}
}}

resource "platform_cache" "sessions" {{
  environment = platform_environment.env.context
  name        = "sessions"
  parameters  = {parameters}
{extra}
}}
"#
    )
}

fn group(aws: &Aws, id: &str) -> Option<aws_sdk_elasticache::types::ReplicationGroup> {
    block_on(async {
        aws.elasticache
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
            .ok()?
            .replication_groups()
            .first()
            .cloned()
    })
}

fn parameters(aws: &Aws, name: &str) -> Vec<(String, String)> {
    block_on(async {
        aws.elasticache
            .describe_cache_parameters()
            .cache_parameter_group_name(name)
            .source("user")
            .send()
            .await
            .map(|o| {
                let mut v: Vec<(String, String)> = o
                    .parameters()
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.parameter_name()?.to_string(),
                            p.parameter_value()?.to_string(),
                        ))
                    })
                    .collect();
                v.sort();
                v
            })
            .unwrap_or_default()
    })
}

fn lifecycle(tf: &Terraform) {
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = format!("ca{}", tf.version.replace('.', ""));
    let id = format!("{env}-sessions");
    let secret = format!("{env}/sessions-cache-auth");
    let wd = moto.workdir(&config(&env, "staging", &network.block(), ""));

    // 1. The plan: every child, the tier's node and snapshots, the cost.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"elasticache_replication_group\"",
        "\"elasticache_parameter_group\"",
        "\"elasticache_subnet_group\"",
        "cache.t3.small",
        "allkeys-lru",
        "\"tier:staging\" = \"final_snapshot, multi_az, node_type, replicas, snapshot_retention_days\"",
        "tcp/6379 from",
        "secretsmanager:GetSecretValue",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: the plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }

    // 2. Apply: encrypted, with a token that is in Secrets Manager and not in the state.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let g = group(&aws, &id).expect("the replication group exists");
    assert_eq!(g.transit_encryption_enabled(), Some(true), "{tf}");
    assert_eq!(g.at_rest_encryption_enabled(), Some(true), "{tf}");
    assert_eq!(g.auth_token_enabled(), Some(true), "{tf}");
    assert_eq!(g.cache_node_type(), Some("cache.t3.small"), "{tf}");
    assert_eq!(g.snapshot_retention_limit(), Some(1), "{tf}");
    assert_eq!(
        parameters(&aws, &id),
        [
            ("maxmemory-policy".to_string(), "allkeys-lru".to_string()),
            ("notify-keyspace-events".to_string(), "Ex".to_string())
        ],
        "{tf}"
    );
    let token = block_on(async {
        aws.secrets
            .get_secret_value()
            .secret_id(&secret)
            .send()
            .await
            .expect("the auth secret")
            .secret_string
            .expect("a value")
    });
    assert_eq!(token.len(), 64, "{tf}");
    assert!(
        !wd.read_file("terraform.tfstate").contains(&token),
        "{tf}: the token is not in state"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 3. Snapshot retention changed out of band: the replication group's drift, put back.
    block_on(async {
        aws.elasticache
            .modify_replication_group()
            .replication_group_id(&id)
            .snapshot_retention_limit(5)
            .apply_immediately(true)
            .send()
            .await
            .expect("ModifyReplicationGroup");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"snapshot_retention_days\""),
        "{tf}:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        group(&aws, &id).and_then(|g| g.snapshot_retention_limit()),
        Some(1),
        "{tf}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. Import into an empty state rebuilds the cache: no changes.
    let fresh = moto.workdir(&config(&env, "staging", &network.block(), ""));
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", &env],
        )
        .expect_success();
    fresh
        .run(
            tf,
            &[
                "import",
                "-no-color",
                "platform_cache.sessions",
                &format!("{env}/sessions"),
            ],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 5. The family's own policy and no parameters: the cache goes back to the default
    //    parameter group and its own group is deleted.
    wd.write_main_tf(&with_parameters(
        &env,
        "staging",
        &network.block(),
        "  maxmemory_policy = \"volatile-lru\"",
        "{}",
    ));
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let own_group = block_on(async {
        aws.elasticache
            .describe_cache_parameter_groups()
            .cache_parameter_group_name(&id)
            .send()
            .await
    });
    assert!(
        own_group.is_err(),
        "{tf}: the cache's own parameter group is deleted"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 6. Destroy leaves nothing.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        group(&aws, &id).is_none(),
        "{tf}: the replication group is gone"
    );
    let subnet_group = block_on(async {
        aws.elasticache
            .describe_cache_subnet_groups()
            .cache_subnet_group_name(&id)
            .send()
            .await
    });
    assert!(subnet_group.is_err(), "{tf}: the subnet group is gone");
    let secret_left = block_on(async {
        aws.secrets
            .describe_secret()
            .secret_id(&secret)
            .send()
            .await
    });
    assert!(secret_left.is_err(), "{tf}: the auth secret is gone");
}

#[test]
fn a_cache_with_its_auth_secret_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn a_cache_with_its_auth_secret_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn a_cache_with_its_auth_secret_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}

/// In production, changing the engine (which replaces the cache) is refused at plan time,
/// naming `allow_replacement`; with it, the plan replaces.
#[test]
fn a_production_cache_is_not_replaced_without_allow_replacement() {
    let tf = crate::harness::newest_terraform();
    let Cloud { moto, aws, network } = Cloud::with_network();
    let wd = moto.workdir(&config("caprod", "production", &network.block(), ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let g = group(&aws, "caprod-sessions").expect("made");
    assert_eq!(g.cache_node_type(), Some("cache.r6g.large"));
    assert_eq!(g.member_clusters().len(), 2, "the tier's replica");
    wd.write_main_tf(&config(
        "caprod",
        "production",
        &network.block(),
        "  engine = \"valkey\"",
    ));
    let refused = wd.run(&tf, &["plan", "-no-color"]);
    assert_ne!(refused.code, 0, "the replacement is refused");
    assert!(
        refused.stderr.contains("allow_replacement"),
        "{}",
        refused.stderr
    );
    wd.write_main_tf(&config(
        "caprod",
        "production",
        &network.block(),
        "  engine = \"valkey\"\n  allow_replacement = true",
    ));
    let replaces = wd.run(&tf, &["plan", "-no-color"]);
    replaces.expect_success();
    assert!(
        replaces.stdout.contains("must be replaced"),
        "{}",
        replaces.stdout
    );
    wd.write_main_tf(&config("caprod", "production", &network.block(), ""));
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(group(&aws, "caprod-sessions").is_none());
}
