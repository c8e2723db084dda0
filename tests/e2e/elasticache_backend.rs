//! The ElastiCache backend (a cache's subnet group, parameter group and replication group)
//! called directly against a private moto server: created while the cache is being created
//! → read back through the SDK and through `find_*` (encryption, AUTH token, members, tags,
//! the parameters set) → a retried create adopts all three, the create is finished and a
//! later create refuses them → node type, snapshot retention and a parameter changed in
//! place, a parameter no longer wanted reset, a replica count change refused → a subnet
//! group someone else made under our name is refused and left as it was → delete all
//! (the replication group first, with a final snapshot), twice, and they are gone.
//!
//! moto 5.2.5 lacks DeleteCacheSubnetGroup, ModifyCacheSubnetGroup and cache parameter
//! groups; `scripts/moto_server.py` answers those, ends a replication group's deletion at
//! once (taking the final snapshot moto ignores) and passes `NumCacheClusters` on as the
//! `ReplicasPerNodeGroup` moto reads.

use crate::harness::{Cloud, block_on};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::elasticache::{
    self, DesiredParameterGroup, DesiredReplicationGroup, DesiredSubnetGroup,
};
use terraform_provider_platform::backends::ownership::{self, Claim, Owner};
use tokio_util::sync::CancellationToken;

const ENV: &str = "ecdev";
const NAME: &str = "ecdev-cache";
const FOREIGN: &str = "ecdev-sessions";
const SNAPSHOT: &str = "ecdev-cache-final";
/// The environment in state: children carrying its owner tags are its own.
const OWNER: Owner<'static> = Owner {
    tag: ("platform:environment", ENV),
    creating: false,
    marks: true,
};
const CREATING: Owner<'static> = Owner {
    creating: true,
    ..OWNER
};

fn tags() -> BTreeMap<String, String> {
    [
        ("platform:environment", ENV),
        ("platform:component", "cache"),
        ("managed-by", "terraform-provider-platform"),
        ("team", "billing"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn subnet_group(subnets: &[String]) -> DesiredSubnetGroup {
    DesiredSubnetGroup {
        name: NAME.into(),
        description: format!("Cache `{NAME}` of environment `{ENV}`"),
        subnet_ids: subnets.to_vec(),
        tags: tags(),
    }
}

fn parameter_group() -> DesiredParameterGroup {
    DesiredParameterGroup {
        name: NAME.into(),
        family: "redis7".into(),
        parameters: params(&[("maxmemory-policy", "allkeys-lru")]),
        tags: tags(),
    }
}

fn replication_group(security_groups: &[String]) -> DesiredReplicationGroup {
    DesiredReplicationGroup {
        id: NAME.into(),
        description: format!("Cache `{NAME}` of environment `{ENV}`"),
        engine: "redis".into(),
        engine_version: Some("7.1".into()),
        node_type: "cache.t4g.small".into(),
        replicas: 1,
        multi_az: true,
        snapshot_retention_days: 1,
        subnet_group: NAME.into(),
        security_group_ids: security_groups.to_vec(),
        parameter_group: Some(NAME.into()),
        port: 6379,
        tags: tags(),
    }
}

fn refused_as(r: Result<impl std::fmt::Debug, BackendError>) -> Claim {
    match r {
        Err(BackendError::Taken(t)) => t.claim,
        other => panic!("expected Taken, got {other:?}"),
    }
}

#[test]
fn elasticache_children_lifecycle() {
    let Cloud {
        moto: _moto,
        aws,
        network,
    } = Cloud::with_network();
    let client = &aws.elasticache;
    let cancel = CancellationToken::new();
    block_on(async {
        // ---- create while the cache is being created: the subnet group is the anchor,
        // the parameter group follows it, the replication group is marked itself.
        let token = elasticache::auth_token().expect("the generator works");
        let sg =
            elasticache::create_subnet_group(client, &subnet_group(&network.subnets), CREATING)
                .await
                .expect("create subnet group");
        assert!(ownership::is_creating(&sg.tags));
        let pg = elasticache::create_parameter_group(
            client,
            &parameter_group(),
            CREATING.after_anchor(false),
        )
        .await
        .expect("create parameter group");
        assert_eq!(
            pg.parameters,
            params(&[("maxmemory-policy", "allkeys-lru")])
        );
        let rg = elasticache::create_replication_group(
            client,
            &replication_group(&network.security_groups),
            &token,
            CREATING,
        )
        .await
        .expect("create replication group");
        assert!(ownership::is_creating(&rg.tags));
        let rg = elasticache::wait_available(client, NAME, &cancel)
            .await
            .expect("available");

        // ---- read back through the SDK
        let described = client
            .describe_replication_groups()
            .replication_group_id(NAME)
            .send()
            .await
            .expect("DescribeReplicationGroups");
        let g = &described.replication_groups()[0];
        assert_eq!(g.transit_encryption_enabled(), Some(true));
        assert_eq!(g.at_rest_encryption_enabled(), Some(true));
        assert_eq!(g.auth_token_enabled(), Some(true));
        assert_eq!(g.cache_node_type(), Some("cache.t4g.small"));
        assert_eq!(g.snapshot_retention_limit(), Some(1));
        assert_eq!(g.multi_az().map(|m| m.as_str()), Some("enabled"));
        assert_eq!(g.automatic_failover().map(|m| m.as_str()), Some("enabled"));
        assert_eq!(rg.members, g.member_clusters().len());
        assert_eq!(rg.members, 2, "a primary and one replica");
        let sdk_tags = |arn: String| async move {
            client
                .list_tags_for_resource()
                .resource_name(arn)
                .send()
                .await
                .expect("ListTagsForResource")
                .tag_list()
                .iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(sdk_tags(rg.arn.clone()).await, ownership::creating(&tags()));
        assert_eq!(sdk_tags(sg.arn.clone()).await, ownership::creating(&tags()));
        let user_params = client
            .describe_cache_parameters()
            .cache_parameter_group_name(NAME)
            .source("user")
            .send()
            .await
            .expect("DescribeCacheParameters");
        let user_params: Vec<_> = user_params
            .parameters()
            .iter()
            .map(|p| {
                (
                    p.parameter_name().unwrap_or_default(),
                    p.parameter_value().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(user_params, [("maxmemory-policy", "allkeys-lru")]);
        let groups = client
            .describe_cache_parameter_groups()
            .cache_parameter_group_name(NAME)
            .send()
            .await
            .expect("DescribeCacheParameterGroups");
        let description = groups.cache_parameter_groups()[0]
            .description()
            .unwrap_or_default();
        assert!(
            description.contains("platform:environment=ecdev"),
            "{description}"
        );
        assert!(
            !description.contains(ownership::TAG_LIFECYCLE),
            "{description}"
        );

        // ---- and through find_*
        let found_sg = elasticache::find_subnet_group(client, NAME)
            .await
            .unwrap()
            .expect("subnet group");
        assert_eq!(found_sg.subnet_ids, network.subnets);
        assert_eq!(found_sg.tags, ownership::creating(&tags()));
        let found_pg = elasticache::find_parameter_group(client, NAME)
            .await
            .unwrap()
            .expect("parameter group");
        assert_eq!(found_pg.family, "redis7");
        assert_eq!(
            found_pg.parameters,
            params(&[("maxmemory-policy", "allkeys-lru")])
        );
        assert_eq!(
            found_pg
                .tags
                .get("platform:environment")
                .map(String::as_str),
            Some(ENV)
        );
        assert!(!ownership::is_creating(&found_pg.tags));
        let found_rg = elasticache::find_replication_group(client, NAME)
            .await
            .unwrap()
            .expect("replication group");
        assert_eq!(found_rg.status, "available");
        assert!(
            found_rg.transit_encryption
                && found_rg.at_rest_encryption
                && found_rg.auth_token_enabled
        );
        assert!(found_rg.multi_az && found_rg.automatic_failover);
        assert_eq!(found_rg.node_type.as_deref(), Some("cache.t4g.small"));
        assert_eq!(found_rg.engine.as_deref(), Some("redis"));
        assert_eq!(found_rg.primary_endpoint.as_ref().map(|e| e.1), Some(6379));
        assert_eq!(found_rg.tags, ownership::creating(&tags()));

        // ---- a retried create adopts all three (the anchor is found unfinished)
        let again_sg =
            elasticache::create_subnet_group(client, &subnet_group(&network.subnets), CREATING)
                .await
                .expect("adopt subnet group");
        assert_eq!(again_sg.arn, sg.arn);
        let anchor_unfinished = ownership::is_creating(&again_sg.tags);
        assert!(anchor_unfinished);
        elasticache::create_parameter_group(
            client,
            &parameter_group(),
            CREATING.after_anchor(anchor_unfinished),
        )
        .await
        .expect("adopt parameter group");
        let again_rg = elasticache::create_replication_group(
            client,
            &replication_group(&network.security_groups),
            &token,
            CREATING,
        )
        .await
        .expect("adopt replication group");
        assert_eq!(again_rg.arn, rg.arn);
        let listed = client.describe_replication_groups().send().await.unwrap();
        assert_eq!(listed.replication_groups().len(), 1);

        // ---- finish: the markers go
        elasticache::finish_replication_group(client, &found_rg)
            .await
            .expect("finish rg");
        elasticache::finish_subnet_group(client, &found_sg)
            .await
            .expect("finish sg");
        assert_eq!(sdk_tags(rg.arn.clone()).await, tags());
        assert_eq!(sdk_tags(sg.arn.clone()).await, tags());

        // ---- a later create (another state's) is refused
        assert_eq!(
            refused_as(
                elasticache::create_subnet_group(client, &subnet_group(&network.subnets), CREATING)
                    .await
            ),
            Claim::OtherState
        );
        assert_eq!(
            refused_as(
                elasticache::create_parameter_group(
                    client,
                    &parameter_group(),
                    CREATING.after_anchor(false)
                )
                .await
            ),
            Claim::OtherState
        );
        assert_eq!(
            refused_as(
                elasticache::create_replication_group(
                    client,
                    &replication_group(&network.security_groups),
                    &token,
                    CREATING
                )
                .await
            ),
            Claim::OtherState
        );
        // A family cannot change.
        let valkey = DesiredParameterGroup {
            family: "valkey8".into(),
            ..parameter_group()
        };
        match elasticache::create_parameter_group(client, &valkey, OWNER).await {
            Err(BackendError::Refused(m)) => {
                assert!(m.contains("redis7") && m.contains("valkey8"), "{m}")
            }
            other => panic!("expected Refused, got {other:?}"),
        }

        // ---- update in place
        let found_rg = elasticache::find_replication_group(client, NAME)
            .await
            .unwrap()
            .expect("rg");
        let mut desired = replication_group(&network.security_groups);
        desired.node_type = "cache.t4g.medium".into();
        desired.snapshot_retention_days = 7;
        let updated = elasticache::update_replication_group(client, &found_rg, &desired)
            .await
            .expect("update replication group");
        assert_eq!(updated.node_type.as_deref(), Some("cache.t4g.medium"));
        assert_eq!(updated.snapshot_retention_days, 7);
        let found_rg = elasticache::find_replication_group(client, NAME)
            .await
            .unwrap()
            .expect("rg");
        assert_eq!(found_rg.node_type.as_deref(), Some("cache.t4g.medium"));
        assert_eq!(found_rg.snapshot_retention_days, 7);
        assert_eq!(found_rg.tags, tags());
        // A replica count change is refused, naming the counts.
        let more = DesiredReplicationGroup {
            replicas: found_rg.members as i32 + 1,
            ..desired.clone()
        };
        match elasticache::update_replication_group(client, &found_rg, &more).await {
            Err(BackendError::Refused(m)) => assert!(m.contains("replica"), "{m}"),
            other => panic!("expected Refused, got {other:?}"),
        }

        let mut desired_pg = parameter_group();
        desired_pg.parameters = params(&[("maxmemory-policy", "volatile-lru"), ("timeout", "300")]);
        let found_pg = elasticache::find_parameter_group(client, NAME)
            .await
            .unwrap()
            .expect("pg");
        elasticache::update_parameter_group(client, &found_pg, &desired_pg)
            .await
            .expect("update parameter group");
        let found_pg = elasticache::find_parameter_group(client, NAME)
            .await
            .unwrap()
            .expect("pg");
        assert_eq!(found_pg.parameters, desired_pg.parameters);
        // A parameter no longer wanted returns to its default (no longer Source=user).
        desired_pg.parameters = params(&[("maxmemory-policy", "volatile-lru")]);
        elasticache::update_parameter_group(client, &found_pg, &desired_pg)
            .await
            .expect("reset a parameter");
        let found_pg = elasticache::find_parameter_group(client, NAME)
            .await
            .unwrap()
            .expect("pg");
        assert_eq!(found_pg.parameters, desired_pg.parameters);

        // ---- a stranger's subnet group under our name is refused and left as it was
        client
            .create_cache_subnet_group()
            .cache_subnet_group_name(FOREIGN)
            .cache_subnet_group_description("made by hand")
            .set_subnet_ids(Some(network.subnets.clone()))
            .send()
            .await
            .expect("CreateCacheSubnetGroup");
        let before = elasticache::find_subnet_group(client, FOREIGN)
            .await
            .unwrap()
            .expect("foreign");
        let foreign = DesiredSubnetGroup {
            name: FOREIGN.into(),
            ..subnet_group(&network.subnets)
        };
        assert_eq!(
            refused_as(elasticache::create_subnet_group(client, &foreign, CREATING).await),
            Claim::Stranger
        );
        assert_eq!(
            refused_as(elasticache::create_subnet_group(client, &foreign, OWNER).await),
            Claim::Stranger
        );
        assert_eq!(
            elasticache::find_subnet_group(client, FOREIGN)
                .await
                .unwrap(),
            Some(before)
        );

        // ---- delete all, the replication group first, twice
        for _ in 0..2 {
            elasticache::delete_replication_group(client, NAME, Some(SNAPSHOT), &cancel)
                .await
                .expect("delete replication group");
            elasticache::delete_parameter_group(client, NAME)
                .await
                .expect("delete parameter group");
            elasticache::delete_subnet_group(client, NAME)
                .await
                .expect("delete subnet group");
        }
        assert_eq!(
            elasticache::find_replication_group(client, NAME)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            elasticache::find_parameter_group(client, NAME)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            elasticache::find_subnet_group(client, NAME).await.unwrap(),
            None
        );
        let snapshots = client
            .describe_snapshots()
            .snapshot_name(SNAPSHOT)
            .send()
            .await
            .expect("DescribeSnapshots");
        assert_eq!(snapshots.snapshots().len(), 1);
        // The stranger's is still there.
        assert!(
            elasticache::find_subnet_group(client, FOREIGN)
                .await
                .unwrap()
                .is_some()
        );
    });
}
