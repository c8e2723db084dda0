//! ECS services on Fargate: find by cluster and name, create (adopting only an unfinished
//! create of ours), finish a create, update task definition / desired count / network / capacity provider /
//! load balancer attachments / tags in place, delete (scale to zero, force-delete, wait until it has drained).
//!
//! The capacity provider follows the environment: `FARGATE` is set as the launch type,
//! anything else (`FARGATE_SPOT` in development) as a one-provider strategy.

use super::api_error::api_error;
use super::ecs_tags;
use crate::backends::BackendError;
use crate::backends::ownership::Owner;
use crate::backends::wait::{self, Poll, WaitPolicy};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, DeploymentCircuitBreaker,
    DeploymentConfiguration, LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags,
    SchedulingStrategy, Service, ServiceField,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The capacity provider that is also a launch type.
pub const FARGATE: &str = "FARGATE";

/// Draining a service stops its tasks: usually a minute or two, bounded by the
/// containers' stop timeout and deregistration delays.
pub const DRAIN: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(2),
    max_interval: Duration::from_secs(15),
    timeout: Duration::from_secs(20 * 60),
};

/// The awsvpc network of the service's tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Network {
    /// Subnet ids.
    pub subnets: Vec<String>,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// Whether tasks get a public IP (needed in public subnets without a NAT).
    pub assign_public_ip: bool,
}

impl Network {
    /// The same network with its lists in a canonical order, for comparison.
    fn sorted(&self) -> Network {
        let mut n = self.clone();
        n.subnets.sort();
        n.security_groups.sort();
        n
    }
}

/// A target group the service's tasks are registered in, and which container port of
/// theirs it sends traffic to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LoadBalancerAttachment {
    /// The target group (ip targets, as awsvpc tasks need).
    pub target_group_arn: String,
    /// The container, as named in the task definition.
    pub container_name: String,
    /// Its port; a `containerPort` of the task definition.
    pub container_port: i32,
}

/// A list of attachments as a set: order and repeats do not matter to ECS.
fn attachment_set(list: &[LoadBalancerAttachment]) -> BTreeSet<&LoadBalancerAttachment> {
    list.iter().collect()
}

/// What a service should look like.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DesiredService {
    /// Cluster name.
    pub cluster: String,
    /// Service name, `<environment>-<service>`.
    pub name: String,
    /// Task definition revision to run: its ARN, `family:revision`, or a family (latest).
    pub task_definition: String,
    /// Number of tasks.
    pub desired_count: i32,
    /// `FARGATE` or `FARGATE_SPOT`.
    pub capacity_provider: String,
    /// Subnets, security groups, public IP.
    pub network: Network,
    /// Every tag, including the `platform:*` ones; propagated to tasks.
    pub tags: BTreeMap<String, String>,
    /// The deployment circuit breaker.
    pub circuit_breaker: CircuitBreaker,
    /// The target groups its tasks register in (none: not behind a load balancer).
    pub load_balancers: Vec<LoadBalancerAttachment>,
    /// Seconds ECS ignores failing load balancer health checks of a new task. Only sent,
    /// and only compared, when `load_balancers` is not empty: ECS refuses it on a service
    /// without one. `None` is ECS's default, 0.
    pub health_check_grace_period_seconds: Option<i32>,
}

/// ECS's deployment circuit breaker: stop a deployment whose tasks keep failing, and roll
/// back to the last one that worked. Off (both false) is ECS's default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CircuitBreaker {
    /// Stop a failing deployment.
    pub enable: bool,
    /// Roll a stopped deployment back.
    pub rollback: bool,
}

/// A service as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedService {
    /// Cluster name.
    pub cluster: String,
    /// Service name.
    pub name: String,
    /// Service ARN.
    pub arn: String,
    /// `ACTIVE` or `DRAINING` (an `INACTIVE` service is reported as absent).
    pub status: String,
    /// ARN of the task definition revision it runs.
    pub task_definition: String,
    /// Number of tasks asked for.
    pub desired_count: i32,
    /// Number of tasks running now.
    pub running_count: i32,
    /// First provider of its strategy, else its launch type.
    pub capacity_provider: Option<String>,
    /// Its awsvpc network.
    pub network: Network,
    /// Where task tags come from (`SERVICE`, `TASK_DEFINITION`, `NONE`).
    pub propagate_tags: Option<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
    /// The deployment circuit breaker, when the answer reports one (ECS always does; an
    /// emulator may not). Absent counts as ECS's default, off.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// The target groups its tasks register in (classic load balancers are listed by name
    /// in `target_group_arn`, so that one attached out of band shows as a difference).
    pub load_balancers: Vec<LoadBalancerAttachment>,
    /// The health check grace period, when the answer reports one (ECS reports 0 for a
    /// service with a load balancer and none set).
    pub health_check_grace_period_seconds: Option<i32>,
}

/// The parts of a service that differ from the desired ones, by attribute name.
pub fn drift(observed: &ObservedService, desired: &DesiredService) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if !runs(&observed.task_definition, &desired.task_definition) {
        changed.push("task_definition");
    }
    if observed.desired_count != desired.desired_count {
        changed.push("desired_count");
    }
    if observed.capacity_provider.as_deref() != Some(desired.capacity_provider.as_str()) {
        changed.push("capacity_provider");
    }
    if observed.network.sorted() != desired.network.sorted() {
        changed.push("network");
    }
    if observed.propagate_tags.as_deref() != Some(PropagateTags::Service.as_str()) {
        changed.push("propagate_tags");
    }
    if observed.tags != desired.tags {
        changed.push("tags");
    }
    if observed.circuit_breaker.unwrap_or_default() != desired.circuit_breaker {
        changed.push("deployment");
    }
    if attachment_set(&observed.load_balancers) != attachment_set(&desired.load_balancers) {
        changed.push("load_balancers");
    }
    if !desired.load_balancers.is_empty()
        && observed.health_check_grace_period_seconds.unwrap_or(0)
            != desired.health_check_grace_period_seconds.unwrap_or(0)
    {
        changed.push("health_check_grace_period");
    }
    changed
}

/// Whether a service running revision ARN `running` runs `wanted` (an ARN,
/// `family:revision`, or a bare family meaning any revision of it).
fn runs(running: &str, wanted: &str) -> bool {
    let tail = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let (running, wanted) = (tail(running), tail(wanted));
    if wanted.contains(':') {
        running == wanted
    } else {
        running.split(':').next() == Some(wanted.as_str())
    }
}

/// Looks a service up; `None` when it, or its cluster, does not exist or it was deleted
/// (INACTIVE).
pub async fn find(
    client: &Client,
    cluster: &str,
    name: &str,
) -> Result<Option<ObservedService>, BackendError> {
    let mut found = find_many(client, cluster, &[name.to_string()]).await?;
    Ok(found.remove(name))
}

/// Looks up to [`DESCRIBE_LIMIT`] services of one cluster up with one DescribeServices;
/// the answer holds the ones that exist and are not INACTIVE, by name.
pub async fn find_many(
    client: &Client,
    cluster: &str,
    names: &[String],
) -> Result<HashMap<String, ObservedService>, BackendError> {
    let out = match client
        .describe_services()
        .cluster(cluster)
        .set_services(Some(names.to_vec()))
        .include(ServiceField::Tags)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cluster_not_found_exception()) =>
        {
            return Ok(HashMap::new());
        }
        Err(e) => return Err(api_error("ECS", "DescribeServices", e)),
    };
    Ok(out
        .services()
        .iter()
        .filter(|s| s.status() != Some("INACTIVE"))
        .filter(|s| {
            s.service_name()
                .is_some_and(|n| names.iter().any(|w| w == n))
        })
        .map(|s| {
            (
                s.service_name().unwrap_or_default().to_string(),
                observe(cluster, s),
            )
        })
        .collect())
}

/// The most services one DescribeServices takes (the ECS API reference).
pub const DESCRIBE_LIMIT: usize = 10;

/// Creates the service carrying the creating marker while `owner` is creating, or adopts
/// the one an unfinished create of this service left. Any other service of that name is
/// refused and left untouched.
pub async fn create(
    client: &Client,
    desired: &DesiredService,
    owner: Owner<'_>,
) -> Result<ObservedService, BackendError> {
    let existing = find(client, &desired.cluster, &desired.name).await?;
    create_given(client, desired, owner, existing).await
}

/// [`create`] for a caller that has just looked the service up (`existing`).
pub async fn create_given(
    client: &Client,
    desired: &DesiredService,
    owner: Owner<'_>,
    existing: Option<ObservedService>,
) -> Result<ObservedService, BackendError> {
    let desired = &DesiredService {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || {
                format!(
                    "The ECS service `{}` in cluster `{}`",
                    desired.name, desired.cluster
                )
            },
            &existing.tags,
        )?;
        if existing.status == "DRAINING" {
            return Err(BackendError::Api {
                service: "ECS",
                operation: "CreateService",
                message: format!(
                    "service `{}` in cluster `{}` is still being deleted (DRAINING); run `terraform apply` again once it is gone, usually within a few minutes",
                    desired.name, desired.cluster
                ),
            });
        }
        tracing::info!(service = %desired.name, "adopting the service of this service's create");
        return update(client, &existing, desired).await;
    }
    let mut req = client
        .create_service()
        .cluster(&desired.cluster)
        .service_name(&desired.name)
        .task_definition(&desired.task_definition)
        .desired_count(desired.desired_count)
        .scheduling_strategy(SchedulingStrategy::Replica)
        .network_configuration(network_configuration(desired)?)
        .propagate_tags(PropagateTags::Service)
        .deployment_configuration(deployment_configuration(desired))
        .set_tags(Some(ecs_tags::to_list(&desired.tags)));
    if !desired.load_balancers.is_empty() {
        req = req
            .set_load_balancers(Some(load_balancers(desired)))
            .set_health_check_grace_period_seconds(desired.health_check_grace_period_seconds);
    }
    req = if desired.capacity_provider == FARGATE {
        req.launch_type(LaunchType::Fargate)
    } else {
        req.capacity_provider_strategy(strategy(&desired.capacity_provider)?)
    };
    let out = req
        .send()
        .await
        .map_err(|e| api_error("ECS", "CreateService", e))?;
    // The answer describes the new service: no DescribeServices needed.
    let mut created = out
        .service()
        .map(|s| observe(&desired.cluster, s))
        .ok_or_else(|| gone(desired, "was created but the answer does not describe it"))?;
    if created.tags.is_empty() {
        // Some implementations leave the tags out of the answer; they are the ones sent.
        created.tags = desired.tags.clone();
    }
    if created.circuit_breaker.is_none() {
        // Likewise the deployment configuration (moto keeps none).
        created.circuit_breaker = Some(desired.circuit_breaker);
    }
    // The load balancers and grace period are left as the answer reports them: one an
    // implementation dropped is sent again by the update below.
    // Emulators drop some CreateService fields (moto: the capacity provider strategy);
    // converging once makes the outcome the same everywhere, and costs nothing on AWS.
    update(client, &created, desired).await
}

/// Marks the service's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedService) -> Result<(), BackendError> {
    ecs_tags::finish(client, &observed.arn, &observed.tags).await
}

/// Brings a service to the desired state with one UpdateService for whatever differs
/// (plus tag calls); a capacity provider change forces a new deployment, as ECS requires.
/// Load balancers given to a service that had none get their grace period in a second
/// UpdateService: ECS checks the grace period against the service's load balancers as
/// they were before the call.
pub async fn update(
    client: &Client,
    observed: &ObservedService,
    desired: &DesiredService,
) -> Result<ObservedService, BackendError> {
    let changed = drift(observed, desired);
    if changed.is_empty() {
        return Ok(observed.clone());
    }
    tracing::info!(service = %desired.name, ?changed, "updating the service");
    let settings: Vec<&str> = changed.iter().copied().filter(|c| *c != "tags").collect();
    let grace_after = observed.load_balancers.is_empty()
        && settings.contains(&"load_balancers")
        && settings.contains(&"health_check_grace_period");
    let mut updated = None;
    if !settings.is_empty() {
        let mut req = client
            .update_service()
            .cluster(&desired.cluster)
            .service(&desired.name);
        for setting in &settings {
            req = match *setting {
                "task_definition" => req.task_definition(&desired.task_definition),
                "desired_count" => req.desired_count(desired.desired_count),
                "network" => req.network_configuration(network_configuration(desired)?),
                "capacity_provider" => req
                    .capacity_provider_strategy(strategy(&desired.capacity_provider)?)
                    .force_new_deployment(true),
                "propagate_tags" => req.propagate_tags(PropagateTags::Service),
                "deployment" => req.deployment_configuration(deployment_configuration(desired)),
                // An empty list removes them all.
                "load_balancers" => req.set_load_balancers(Some(load_balancers(desired))),
                "health_check_grace_period" if !grace_after => {
                    req.health_check_grace_period_seconds(grace_period(desired))
                }
                _ => req,
            };
        }
        let out = req
            .send()
            .await
            .map_err(|e| api_error("ECS", "UpdateService", e))?;
        updated = out.service().map(|s| observe(&desired.cluster, s));
        if grace_after {
            let out = client
                .update_service()
                .cluster(&desired.cluster)
                .service(&desired.name)
                .health_check_grace_period_seconds(grace_period(desired))
                .send()
                .await
                .map_err(|e| api_error("ECS", "UpdateService", e))?;
            updated = out.service().map(|s| observe(&desired.cluster, s));
        }
    }
    // The UpdateService answer describes the service as updated (without tags, which the
    // tag calls below set): no DescribeServices needed.
    let mut now = match updated {
        Some(s) => s,
        None if settings.is_empty() => observed.clone(),
        None => find(client, &desired.cluster, &desired.name)
            .await?
            .ok_or_else(|| gone(desired, "disappeared during the update"))?,
    };
    if changed.contains(&"tags") {
        ecs_tags::sync(client, &observed.arn, &observed.tags, &desired.tags).await?;
        now.tags = desired.tags.clone();
    } else {
        now.tags = observed.tags.clone();
    }
    Ok(now)
}

/// Scales the service to zero, deletes it, and waits until ECS reports it gone (a cluster
/// cannot be deleted while a service drains). One already gone counts as deleted.
pub async fn delete(
    client: &Client,
    cluster: &str,
    name: &str,
    cancel: &CancellationToken,
) -> Result<(), BackendError> {
    let Some(observed) = find(client, cluster, name).await? else {
        return Ok(());
    };
    if observed.status == "ACTIVE" {
        if observed.desired_count > 0 {
            match client
                .update_service()
                .cluster(cluster)
                .service(name)
                .desired_count(0)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error().is_some_and(|s| {
                        s.is_service_not_found_exception()
                            || s.is_service_not_active_exception()
                            || s.is_cluster_not_found_exception()
                    }) => {}
                Err(e) => return Err(api_error("ECS", "UpdateService", e)),
            }
        }
        match client
            .delete_service()
            .cluster(cluster)
            .service(name)
            .force(true)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error().is_some_and(|s| {
                    s.is_service_not_found_exception() || s.is_cluster_not_found_exception()
                }) => {}
            Err(e) => return Err(api_error("ECS", "DeleteService", e)),
        }
    }
    let what = format!("ECS service `{name}` in cluster `{cluster}`");
    wait::until(&what, DRAIN, cancel, || async {
        Ok(match find(client, cluster, name).await? {
            None => Poll::Ready(()),
            Some(s) => Poll::Pending(s.status),
        })
    })
    .await
}

fn network_configuration(desired: &DesiredService) -> Result<NetworkConfiguration, BackendError> {
    let n = &desired.network;
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(Some(n.security_groups.clone()))
        .assign_public_ip(if n.assign_public_ip {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| BackendError::Api {
            service: "ECS",
            operation: "CreateService",
            message: format!(
                "the network of service `{}` is incomplete ({e}); give the environment a `network` block with `subnet_ids`",
                desired.name
            ),
        })?;
    Ok(NetworkConfiguration::builder()
        .awsvpc_configuration(vpc)
        .build())
}

fn load_balancers(desired: &DesiredService) -> Vec<LoadBalancer> {
    desired
        .load_balancers
        .iter()
        .map(|a| {
            LoadBalancer::builder()
                .target_group_arn(&a.target_group_arn)
                .container_name(&a.container_name)
                .container_port(a.container_port)
                .build()
        })
        .collect()
}

fn grace_period(desired: &DesiredService) -> i32 {
    desired.health_check_grace_period_seconds.unwrap_or(0)
}

fn deployment_configuration(desired: &DesiredService) -> DeploymentConfiguration {
    let breaker = DeploymentCircuitBreaker::builder()
        .enable(desired.circuit_breaker.enable)
        .rollback(desired.circuit_breaker.rollback)
        .build();
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(breaker)
        .build()
}

fn strategy(provider: &str) -> Result<CapacityProviderStrategyItem, BackendError> {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(provider)
        .weight(1)
        .base(0)
        .build()
        .map_err(|e| BackendError::Api {
            service: "ECS",
            operation: "UpdateService",
            message: format!("capacity provider `{provider}` cannot be used: {e}"),
        })
}

fn gone(desired: &DesiredService, what: &str) -> BackendError {
    BackendError::Api {
        service: "ECS",
        operation: "DescribeServices",
        message: format!(
            "service `{}` in cluster `{}` {what}",
            desired.name, desired.cluster
        ),
    }
}

fn observe(cluster: &str, s: &Service) -> ObservedService {
    let vpc = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    ObservedService {
        cluster: cluster.to_string(),
        name: s.service_name().unwrap_or_default().to_string(),
        arn: s.service_arn().unwrap_or_default().to_string(),
        status: s.status().unwrap_or_default().to_string(),
        task_definition: s.task_definition().unwrap_or_default().to_string(),
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        capacity_provider: s
            .capacity_provider_strategy()
            .first()
            .map(|p| p.capacity_provider().to_string())
            .or_else(|| s.launch_type().map(|l| l.as_str().to_string())),
        network: Network {
            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            security_groups: vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            assign_public_ip: vpc.and_then(|v| v.assign_public_ip())
                == Some(&AssignPublicIp::Enabled),
        },
        propagate_tags: s.propagate_tags().map(|p| p.as_str().to_string()),
        tags: ecs_tags::to_map(s.tags()),
        circuit_breaker: s
            .deployment_configuration()
            .and_then(|d| d.deployment_circuit_breaker())
            .map(|c| CircuitBreaker {
                enable: c.enable(),
                rollback: c.rollback(),
            }),
        load_balancers: s
            .load_balancers()
            .iter()
            .map(|l| LoadBalancerAttachment {
                target_group_arn: l
                    .target_group_arn()
                    .or(l.load_balancer_name())
                    .unwrap_or_default()
                    .to_string(),
                container_name: l.container_name().unwrap_or_default().to_string(),
                container_port: l.container_port().unwrap_or_default(),
            })
            .collect(),
        health_check_grace_period_seconds: s.health_check_grace_period_seconds(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_runs_the_revision_or_family_it_was_given() {
        let arn = "arn:aws:ecs:us-east-1:1:task-definition/prod-api:3";
        let cases = [
            (arn, true),
            ("prod-api:3", true),
            ("prod-api:4", false),
            ("prod-api", true),
            ("prod-web", false),
            ("arn:aws:ecs:us-east-1:1:task-definition/prod-api:4", false),
        ];
        for (wanted, want) in cases {
            assert_eq!(runs(arn, wanted), want, "{wanted}");
        }
    }

    #[test]
    fn drift_names_what_differs_and_ignores_list_order() {
        let desired = DesiredService {
            cluster: "prod-cluster".into(),
            name: "prod-api".into(),
            task_definition: "prod-api:3".into(),
            desired_count: 2,
            capacity_provider: FARGATE.into(),
            network: Network {
                subnets: vec!["subnet-a".into(), "subnet-b".into()],
                security_groups: vec!["sg-1".into()],
                assign_public_ip: false,
            },
            tags: BTreeMap::new(),
            circuit_breaker: CircuitBreaker {
                enable: true,
                rollback: true,
            },
            load_balancers: Vec::new(),
            health_check_grace_period_seconds: None,
        };
        let mut observed = ObservedService {
            cluster: desired.cluster.clone(),
            name: desired.name.clone(),
            arn: "arn".into(),
            status: "ACTIVE".into(),
            task_definition: "arn:aws:ecs:us-east-1:1:task-definition/prod-api:3".into(),
            desired_count: 2,
            running_count: 2,
            capacity_provider: Some(FARGATE.into()),
            network: Network {
                subnets: vec!["subnet-b".into(), "subnet-a".into()],
                ..desired.network.clone()
            },
            propagate_tags: Some("SERVICE".into()),
            tags: BTreeMap::new(),
            circuit_breaker: Some(desired.circuit_breaker),
            load_balancers: Vec::new(),
            health_check_grace_period_seconds: None,
        };
        assert!(drift(&observed, &desired).is_empty());
        // An answer without a deployment configuration counts as ECS's default: off.
        observed.circuit_breaker = None;
        assert_eq!(drift(&observed, &desired), ["deployment"]);
        observed.desired_count = 5;
        observed.capacity_provider = Some("EC2".into());
        observed.network.assign_public_ip = true;
        observed.circuit_breaker = Some(CircuitBreaker::default());
        assert_eq!(
            drift(&observed, &desired),
            [
                "desired_count",
                "capacity_provider",
                "network",
                "deployment"
            ]
        );
    }

    fn attachment(tg: &str, port: i32) -> LoadBalancerAttachment {
        LoadBalancerAttachment {
            target_group_arn: tg.into(),
            container_name: "api".into(),
            container_port: port,
        }
    }

    #[test]
    fn load_balancers_compare_as_sets_and_the_grace_period_only_with_one() {
        let desired = DesiredService {
            task_definition: "prod-api:3".into(),
            capacity_provider: FARGATE.into(),
            load_balancers: vec![attachment("arn:tg/a", 8080), attachment("arn:tg/b", 8080)],
            health_check_grace_period_seconds: Some(60),
            ..Default::default()
        };
        let mut observed = ObservedService {
            cluster: String::new(),
            name: String::new(),
            arn: "arn".into(),
            status: "ACTIVE".into(),
            task_definition: "arn:aws:ecs:us-east-1:1:task-definition/prod-api:3".into(),
            desired_count: 0,
            running_count: 0,
            capacity_provider: Some(FARGATE.into()),
            network: Network::default(),
            propagate_tags: Some("SERVICE".into()),
            tags: BTreeMap::new(),
            circuit_breaker: None,
            load_balancers: vec![
                attachment("arn:tg/b", 8080),
                attachment("arn:tg/a", 8080),
                attachment("arn:tg/a", 8080),
            ],
            health_check_grace_period_seconds: Some(60),
        };
        assert!(drift(&observed, &desired).is_empty(), "order and repeats");
        observed.load_balancers[0].container_port = 9090;
        assert_eq!(drift(&observed, &desired), ["load_balancers"]);
        observed.load_balancers.clear();
        observed.health_check_grace_period_seconds = None;
        assert_eq!(
            drift(&observed, &desired),
            ["load_balancers", "health_check_grace_period"]
        );
        // Without load balancers the grace period is ECS's to ignore, and so is it here.
        let plain = DesiredService {
            load_balancers: Vec::new(),
            ..desired.clone()
        };
        observed.health_check_grace_period_seconds = Some(30);
        assert!(drift(&observed, &plain).is_empty());
        // ECS reports 0 for a service with a load balancer and no grace period.
        let no_grace = DesiredService {
            health_check_grace_period_seconds: None,
            ..desired.clone()
        };
        observed.load_balancers = desired.load_balancers.clone();
        observed.health_check_grace_period_seconds = Some(0);
        assert!(drift(&observed, &no_grace).is_empty());
    }
}
