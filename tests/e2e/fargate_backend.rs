//! The Fargate backend (log group, task definition, ECS service, autoscaling target and
//! policy) called directly against a private moto server: create → read back every
//! setting → adopt on a retried create → refuse what someone else made → a new image is a
//! new revision and an in-place service update → out-of-band changes are seen → a service
//! behind a target group: the attachment reads back, one removed out of band is drift and
//! is put back → delete everything, twice, and it is gone.

use crate::harness::{self, Aws, Moto, block_on};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::autoscaling::{self, DesiredPolicy, DesiredTarget};
use terraform_provider_platform::backends::aws::ecs::{self, DesiredCluster};
use terraform_provider_platform::backends::aws::ecs_service::{
    self, DesiredService, LoadBalancerAttachment, Network,
};
use terraform_provider_platform::backends::aws::elbv2::{self, DesiredTargetGroup};
use terraform_provider_platform::backends::aws::log_group::{self, DesiredLogGroup};
use terraform_provider_platform::backends::aws::task_definition::{
    self, Container, DesiredTaskDefinition, HealthCheck, LogConfig,
};
use terraform_provider_platform::backends::ownership::Owner;
use tokio_util::sync::CancellationToken;

const REGION: &str = "us-east-1";
const ENV: &str = "fgdev";
const CLUSTER: &str = "fgdev-cluster";
const SERVICE: &str = "fgdev-api";
/// A service in state: children carrying its owner tag are its own (creating ones carry
/// the creating marker until finished, checked in step 1 and in `ownership.rs`).
const OWNER: Owner<'static> = Owner {
    tag: ("platform:service", "fgdev/api"),
    creating: false,
    marks: true,
};
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf";

fn tags(extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    [
        ("platform:environment", ENV),
        ("platform:component", "api_service"),
        ("managed-by", "terraform-provider-platform"),
        OWNER.tag,
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn task(image: &str) -> DesiredTaskDefinition {
    DesiredTaskDefinition {
        family: SERVICE.into(),
        cpu: "256".into(),
        memory: "512".into(),
        container: Container {
            name: "api".into(),
            image: image.into(),
            port: Some(8080),
            environment: BTreeMap::from([
                ("LOG_LEVEL".into(), "info".into()),
                ("NODE_ENV".into(), "development".into()),
            ]),
            secrets: BTreeMap::from([("DATABASE_URL".into(), SECRET_ARN.into())]),
            health_check: Some(HealthCheck::http(8080, "/healthz", 30)),
            command: Vec::new(),
        },
        log: LogConfig {
            group: log_group::name(ENV, "api"),
            region: REGION.into(),
            stream_prefix: "api".into(),
        },
        execution_role_arn: Some("arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()),
        task_role_arn: None,
        tags: tags(&[]),
    }
}

fn conflict_message(r: Result<impl std::fmt::Debug, BackendError>) -> String {
    match r {
        Err(BackendError::Conflict(m)) => m,
        Err(BackendError::Taken(t)) => t.to_string(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn fargate_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let created = harness::Network::create(&c.ec2).await;
    let net = Network {
        subnets: created.subnets,
        security_groups: created.security_groups,
        assign_public_ip: false,
    };
    let cancel = CancellationToken::new();

    // The environment's cluster, development style: FARGATE_SPOT by default.
    ecs::create(
        &c.ecs,
        &DesiredCluster {
            name: CLUSTER.into(),
            container_insights: false,
            capacity_providers: vec!["FARGATE".into(), "FARGATE_SPOT".into()],
            default_capacity_provider: "FARGATE_SPOT".into(),
            tags: tags(&[]),
        },
        Owner {
            tag: ("platform:environment", ENV),
            creating: true,
            marks: true,
        },
    )
    .await
    .expect("cluster");

    // 1. Log group with the tier's retention; a retried create adopts it.
    let logs = DesiredLogGroup {
        name: log_group::name(ENV, "api"),
        retention_days: 7,
        tags: tags(&[]),
    };
    let creating = Owner {
        creating: true,
        ..OWNER
    };
    let group = log_group::create(&c.logs, &logs, creating)
        .await
        .expect("log group");
    assert_eq!(
        group.tags.get("platform:lifecycle").map(String::as_str),
        Some("creating"),
        "marked as being created"
    );
    let retried = log_group::create(&c.logs, &logs, creating)
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(retried.arn, group.arn);
    log_group::finish(&c.logs, &retried).await.expect("finish");
    let group = log_group::find(&c.logs, &logs.name).await.unwrap().unwrap();
    assert!(
        log_group::create(&c.logs, &logs, creating).await.is_err(),
        "a finished group is never adopted by a create"
    );
    assert_eq!(group.name, "/platform/fgdev/api");
    assert_eq!(group.retention_days, Some(7));
    assert_eq!(group.tags, logs.tags);
    let logs14 = DesiredLogGroup {
        retention_days: 14,
        ..logs.clone()
    };
    let adopted = log_group::create(&c.logs, &logs14, OWNER)
        .await
        .expect("adopt log group");
    assert_eq!(adopted.arn, group.arn);
    let found = log_group::find(&c.logs, &logs.name).await.unwrap().unwrap();
    assert_eq!(found.retention_days, Some(14));

    // 2. Task definition: revision 1, read back exactly as desired; a retry adopts it.
    let v1 = task("ghcr.io/acme/api:1.0.0");
    let rev1 = task_definition::create(&c.ecs, &v1, OWNER)
        .await
        .expect("task definition");
    assert_eq!(rev1.revision, 1);
    assert!(
        rev1.arn.ends_with(":task-definition/fgdev-api:1"),
        "{}",
        rev1.arn
    );
    let found = task_definition::find(&c.ecs, SERVICE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.definition, v1,
        "every setting reads back as registered"
    );
    assert_eq!(
        found
            .definition
            .container
            .health_check
            .as_ref()
            .unwrap()
            .command,
        "curl -fsS http://localhost:8080/healthz || exit 1"
    );
    let again = task_definition::create(&c.ecs, &v1, OWNER).await.unwrap();
    assert_eq!(
        again.arn, rev1.arn,
        "a retried create registers nothing new"
    );

    // 3. Service on FARGATE_SPOT in the environment's network; a retry adopts it.
    let svc = DesiredService {
        cluster: CLUSTER.into(),
        name: SERVICE.into(),
        task_definition: rev1.arn.clone(),
        desired_count: 1,
        capacity_provider: "FARGATE_SPOT".into(),
        network: net.clone(),
        tags: tags(&[]),
        circuit_breaker: Default::default(),
        load_balancers: Vec::new(),
        health_check_grace_period_seconds: None,
    };
    let created = ecs_service::create(&c.ecs, &svc, OWNER)
        .await
        .expect("service");
    let found = ecs_service::find(&c.ecs, CLUSTER, SERVICE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, created);
    assert_eq!(found.status, "ACTIVE");
    assert_eq!(found.task_definition, rev1.arn);
    assert_eq!(found.desired_count, 1);
    assert_eq!(found.capacity_provider.as_deref(), Some("FARGATE_SPOT"));
    assert_eq!(found.network, net);
    assert_eq!(found.propagate_tags.as_deref(), Some("SERVICE"));
    assert_eq!(found.tags, svc.tags);
    assert!(ecs_service::drift(&found, &svc).is_empty());
    let adopted = ecs_service::create(&c.ecs, &svc, OWNER).await.unwrap();
    assert_eq!(adopted.arn, found.arn);

    // 4. Autoscaling: target 1..3 and a CPU policy with cooldowns; both read back.
    let resource_id = autoscaling::resource_id(CLUSTER, SERVICE);
    assert_eq!(resource_id, "service/fgdev-cluster/fgdev-api");
    let target = DesiredTarget {
        resource_id: resource_id.clone(),
        min_capacity: 1,
        max_capacity: 3,
        tags: tags(&[]),
    };
    autoscaling::create_target(&c.autoscaling, &target)
        .await
        .expect("scalable target");
    let found = autoscaling::find_target(&c.autoscaling, &resource_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.min_capacity, found.max_capacity), (1, 3));
    let policy = DesiredPolicy {
        name: format!("{SERVICE}-cpu"),
        resource_id: resource_id.clone(),
        target_cpu_percent: 70.0,
        scale_out_cooldown_seconds: 60,
        scale_in_cooldown_seconds: 300,
    };
    autoscaling::put_policy(&c.autoscaling, &policy)
        .await
        .expect("scaling policy");
    let found = autoscaling::find_policy(&c.autoscaling, &resource_id, &policy.name)
        .await
        .unwrap()
        .unwrap();
    assert!(found.matches(&policy), "{found:?}");
    assert_eq!(found.policy_type, "TargetTrackingScaling");
    assert_eq!(
        found.metric.as_deref(),
        Some("ECSServiceAverageCPUUtilization")
    );
    let adopted = autoscaling::create_target(
        &c.autoscaling,
        &DesiredTarget {
            max_capacity: 4,
            ..target.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(adopted.max_capacity, 4);

    // 5. A new image: revision 2, and the same service now runs it.
    let v2 = task("ghcr.io/acme/api:1.1.0");
    let observed = task_definition::find(&c.ecs, SERVICE)
        .await
        .unwrap()
        .unwrap();
    let rev2 = task_definition::update(&c.ecs, &observed, &v2)
        .await
        .expect("new revision");
    assert_eq!(rev2.revision, 2);
    assert_eq!(rev2.definition.container.image, "ghcr.io/acme/api:1.1.0");
    let before = ecs_service::find(&c.ecs, CLUSTER, SERVICE)
        .await
        .unwrap()
        .unwrap();
    let svc2 = DesiredService {
        task_definition: rev2.arn.clone(),
        ..svc.clone()
    };
    assert_eq!(ecs_service::drift(&before, &svc2), ["task_definition"]);
    let after = ecs_service::update(&c.ecs, &before, &svc2).await.unwrap();
    assert_eq!(after.arn, before.arn, "updated in place, not replaced");
    assert_eq!(after.task_definition, rev2.arn);
    task_definition::deregister_older(&c.ecs, SERVICE, rev2.revision)
        .await
        .unwrap();
    let old = c
        .ecs
        .describe_task_definition()
        .task_definition(format!("{SERVICE}:1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.task_definition()
            .and_then(|t| t.status())
            .map(|s| s.as_str()),
        Some("INACTIVE")
    );
    // Tags alone change in place on the current revision.
    let v2_tagged = DesiredTaskDefinition {
        tags: tags(&[("team", "scoring")]),
        ..v2.clone()
    };
    let retagged = task_definition::update(&c.ecs, &rev2, &v2_tagged)
        .await
        .unwrap();
    assert_eq!(retagged.revision, 2);
    let found = task_definition::find(&c.ecs, SERVICE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.definition.tags["team"], "scoring");

    // 6. Out-of-band changes are seen by find, and update puts them back.
    c.ecs
        .update_service()
        .cluster(CLUSTER)
        .service(SERVICE)
        .desired_count(3)
        .send()
        .await
        .expect("out-of-band UpdateService");
    c.autoscaling
        .register_scalable_target()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .scalable_dimension(
            aws_sdk_applicationautoscaling::types::ScalableDimension::EcsServiceDesiredCount,
        )
        .resource_id(&resource_id)
        .min_capacity(2)
        .max_capacity(9)
        .send()
        .await
        .expect("out-of-band RegisterScalableTarget");
    let drifted = ecs_service::find(&c.ecs, CLUSTER, SERVICE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(drifted.desired_count, 3);
    assert_eq!(ecs_service::drift(&drifted, &svc2), ["desired_count"]);
    let fixed = ecs_service::update(&c.ecs, &drifted, &svc2).await.unwrap();
    assert_eq!(fixed.desired_count, 1);
    let drifted_target = autoscaling::find_target(&c.autoscaling, &resource_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (drifted_target.min_capacity, drifted_target.max_capacity),
        (2, 9)
    );
    autoscaling::update_target(&c.autoscaling, &drifted_target, &target)
        .await
        .unwrap();
    let found = autoscaling::find_target(&c.autoscaling, &resource_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.min_capacity, found.max_capacity), (1, 3));

    // 7. What someone else made under our names is refused with a way out.
    c.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name("fgdev-other")
        .task_definition(&rev2.arn)
        .desired_count(0)
        .send()
        .await
        .expect("foreign CreateService");
    let foreign = DesiredService {
        name: "fgdev-other".into(),
        ..svc2.clone()
    };
    let message = conflict_message(ecs_service::create(&c.ecs, &foreign, OWNER).await);
    assert!(
        message.contains("`fgdev-other` in cluster `fgdev-cluster`"),
        "{message}"
    );
    let message = conflict_message(
        task_definition::create(
            &c.ecs,
            &v1,
            Owner {
                tag: ("platform:service", "fgdev/other"),
                creating: true,
                marks: true,
            },
        )
        .await,
    );
    assert!(message.contains("`fgdev-api`"), "{message}");
    c.logs
        .create_log_group()
        .log_group_name("/platform/fgdev/other")
        .send()
        .await
        .expect("foreign CreateLogGroup");
    let message = conflict_message(
        log_group::create(
            &c.logs,
            &DesiredLogGroup {
                name: "/platform/fgdev/other".into(),
                ..logs.clone()
            },
            OWNER,
        )
        .await,
    );
    assert!(message.contains("`/platform/fgdev/other`"), "{message}");

    // 8. A FARGATE (not Spot) service is created with the FARGATE launch type.
    let on_demand = DesiredService {
        name: "fgdev-worker".into(),
        capacity_provider: ecs_service::FARGATE.into(),
        ..svc2.clone()
    };
    let worker = ecs_service::create(&c.ecs, &on_demand, OWNER)
        .await
        .unwrap();
    assert_eq!(worker.capacity_provider.as_deref(), Some("FARGATE"));
    assert!(ecs_service::drift(&worker, &on_demand).is_empty());

    // 9. A service behind a target group: CreateService carries the attachment and the
    //    grace period; one removed out of band is drift, and update puts it back.
    let vpc_id = c
        .ec2
        .describe_subnets()
        .subnet_ids(&net.subnets[0])
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()[0]
        .vpc_id()
        .expect("a VPC")
        .to_string();
    let tg = elbv2::create_target_group_given(
        &c.elbv2,
        &DesiredTargetGroup {
            name: "fgdev-web".into(),
            port: 8080,
            vpc_id,
            health_check_path: "/healthz".into(),
            interval_seconds: 15,
            healthy_threshold: 3,
            unhealthy_threshold: 2,
            deregistration_delay_seconds: 30,
            tags: tags(&[]),
        },
        OWNER,
        None,
    )
    .await
    .expect("target group");
    let attachment = LoadBalancerAttachment {
        target_group_arn: tg.arn.clone(),
        container_name: "api".into(),
        container_port: 8080,
    };
    let web = DesiredService {
        name: "fgdev-web".into(),
        load_balancers: vec![attachment.clone()],
        health_check_grace_period_seconds: Some(60),
        ..svc2.clone()
    };
    let created = ecs_service::create(&c.ecs, &web, OWNER)
        .await
        .expect("service behind the target group");
    assert_eq!(created.load_balancers, vec![attachment.clone()]);
    let described = c
        .ecs
        .describe_services()
        .cluster(CLUSTER)
        .services("fgdev-web")
        .send()
        .await
        .expect("DescribeServices");
    let raw = &described.services()[0];
    assert_eq!(raw.load_balancers().len(), 1, "{raw:?}");
    assert_eq!(
        (
            raw.load_balancers()[0].target_group_arn(),
            raw.load_balancers()[0].container_name(),
            raw.load_balancers()[0].container_port()
        ),
        (Some(tg.arn.as_str()), Some("api"), Some(8080))
    );
    assert_eq!(raw.health_check_grace_period_seconds(), Some(60));
    let found = ecs_service::find(&c.ecs, CLUSTER, "fgdev-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.load_balancers, vec![attachment.clone()]);
    assert_eq!(found.health_check_grace_period_seconds, Some(60));
    assert!(ecs_service::drift(&found, &web).is_empty());
    // Removed out of band (an empty list removes them all).
    c.ecs
        .update_service()
        .cluster(CLUSTER)
        .service("fgdev-web")
        .set_load_balancers(Some(Vec::new()))
        .send()
        .await
        .expect("out-of-band UpdateService");
    let drifted = ecs_service::find(&c.ecs, CLUSTER, "fgdev-web")
        .await
        .unwrap()
        .unwrap();
    assert!(drifted.load_balancers.is_empty(), "{drifted:?}");
    assert_eq!(ecs_service::drift(&drifted, &web), ["load_balancers"]);
    let repaired = ecs_service::update(&c.ecs, &drifted, &web).await.unwrap();
    assert_eq!(repaired.load_balancers, vec![attachment.clone()]);
    let found = ecs_service::find(&c.ecs, CLUSTER, "fgdev-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.load_balancers, vec![attachment.clone()]);
    assert!(ecs_service::drift(&found, &web).is_empty());
    // Detached by the provider, then attached again with a new grace period (sent in its
    // own UpdateService, after the load balancers).
    let detached = DesiredService {
        load_balancers: Vec::new(),
        health_check_grace_period_seconds: None,
        ..web.clone()
    };
    assert_eq!(ecs_service::drift(&found, &detached), ["load_balancers"]);
    let plain = ecs_service::update(&c.ecs, &found, &detached)
        .await
        .unwrap();
    assert!(plain.load_balancers.is_empty());
    let web90 = DesiredService {
        health_check_grace_period_seconds: Some(90),
        ..web.clone()
    };
    let found = ecs_service::find(&c.ecs, CLUSTER, "fgdev-web")
        .await
        .unwrap()
        .unwrap();
    assert!(found.load_balancers.is_empty());
    assert_eq!(
        ecs_service::drift(&found, &web90),
        ["load_balancers", "health_check_grace_period"]
    );
    ecs_service::update(&c.ecs, &found, &web90).await.unwrap();
    let found = ecs_service::find(&c.ecs, CLUSTER, "fgdev-web")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.load_balancers, vec![attachment.clone()]);
    assert_eq!(found.health_check_grace_period_seconds, Some(90));
    assert!(ecs_service::drift(&found, &web90).is_empty());

    // 10. Delete everything; a second delete is a no-op; nothing is left.
    for _ in 0..2 {
        autoscaling::delete_policy(&c.autoscaling, &resource_id, &policy.name)
            .await
            .expect("delete policy");
        autoscaling::delete_target(&c.autoscaling, &resource_id)
            .await
            .expect("delete target");
        for name in [SERVICE, "fgdev-worker", "fgdev-other", "fgdev-web"] {
            ecs_service::delete(&c.ecs, CLUSTER, name, &cancel)
                .await
                .expect("delete service");
        }
        elbv2::delete_target_group(&c.elbv2, &tg.arn)
            .await
            .expect("delete target group");
        task_definition::delete(&c.ecs, SERVICE)
            .await
            .expect("delete task definition");
        log_group::delete(&c.logs, &logs.name)
            .await
            .expect("delete log group");
        ecs::delete(&c.ecs, CLUSTER).await.expect("delete cluster");
    }
    assert!(
        autoscaling::find_policy(&c.autoscaling, &resource_id, &policy.name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        autoscaling::find_target(&c.autoscaling, &resource_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ecs_service::find(&c.ecs, CLUSTER, SERVICE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        task_definition::find(&c.ecs, SERVICE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        log_group::find(&c.logs, &logs.name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(ecs::find(&c.ecs, CLUSTER).await.unwrap().is_none());
    assert!(
        elbv2::find_target_group(&c.elbv2, "fgdev-web")
            .await
            .unwrap()
            .is_none()
    );
}
