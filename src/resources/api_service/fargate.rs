//! ECS Fargate: the desired log group, task definition, service and autoscaling from the plan; apply, read and delete.

use super::ingress::{self, IngressDesired};
use super::*;
use crate::backends::aws::ecs_rollout;
use crate::backends::aws::ecs_service::{CircuitBreaker, LoadBalancerAttachment};
use crate::backends::aws::iam::{self, DesiredRole};
use crate::backends::aws::log_group::ObservedLogGroup;
use crate::planner::api_service::iam::{INLINE_POLICY_NAME, trust_policy};
use crate::planner::api_service::{EXECUTION_ROLE_KEY, TASK_ROLE_KEY};

pub(super) struct FargateDesired {
    pub(super) region: String,
    /// `<environment>-`: the families of the environment's services start with it.
    pub(super) family_prefix: String,
    /// The roles the platform makes, by expansion key: the execution role unless the
    /// configuration names one, and the task role when `access` grants anything.
    pub(super) roles: Vec<(&'static str, DesiredRole)>,
    pub(super) log: DesiredLogGroup,
    pub(super) task: DesiredTaskDefinition,
    pub(super) service: DesiredService,
    pub(super) target: DesiredTarget,
    pub(super) policy: DesiredPolicy,
    /// `deployment.wait_for_steady_state`: how long the apply waits, if it does.
    pub(super) wait: Option<std::time::Duration>,
    /// The service's place on the environment's load balancer.
    pub(super) ingress: Option<IngressDesired>,
}

pub(super) fn fargate_desired(
    input: &ServiceInput,
    plan: &ServicePlan,
    config: &Value,
) -> FargateDesired {
    let ctx = &input.environment;
    let fallback;
    let p = match &plan.host_plan {
        HostPlan::Fargate(p) => p,
        // Only Fargate services reach here; an empty plan keeps this total.
        _ => {
            fallback = FargatePlan::default();
            &fallback
        }
    };
    // The planner validated every number against the backend's range.
    let port = p.port.map(|port| port as i32);
    let health_check =
        p.health_check.as_ref().zip(port).map(|(check, port)| {
            HealthCheck::http(port, &check.path, check.interval_seconds as i32)
        });
    let mut service_tags = plan.tags.clone();
    service_tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    let resource_id = autoscaling::resource_id(&p.cluster, &plan.cloud_name);
    FargateDesired {
        region: p.region.clone(),
        family_prefix: format!("{}-", plan.environment),
        roles: [
            (EXECUTION_ROLE_KEY, &p.execution_role),
            (TASK_ROLE_KEY, &p.task_role),
        ]
        .into_iter()
        .filter_map(|(key, role)| {
            let role = role.as_ref()?;
            Some((
                key,
                DesiredRole {
                    name: role.name.clone(),
                    trust_policy: trust_policy(&role.principal),
                    policy_name: INLINE_POLICY_NAME.to_string(),
                    policy: role.policy.to_json(),
                    tags: {
                        let mut tags = plan.tags.clone();
                        tags.insert(iam::TAG_REGION.into(), p.region.clone());
                        tags
                    },
                },
            ))
        })
        .collect(),
        log: DesiredLogGroup {
            name: p.log_group.clone(),
            retention_days: p.log_retention_days as i32,
            tags: plan.tags.clone(),
        },
        task: DesiredTaskDefinition {
            family: plan.cloud_name.clone(),
            cpu: p.cpu_units.to_string(),
            memory: p.memory_mb.to_string(),
            container: Container {
                name: input.name.clone(),
                image: p.image.clone(),
                port,
                environment: input.env.clone(),
                secrets: input.secrets.clone(),
                health_check,
                command: Vec::new(),
            },
            log: LogConfig {
                group: p.log_group.clone(),
                region: p.region.clone(),
                stream_prefix: input.name.clone(),
            },
            execution_role_arn: attrs::opt_string(get(config, "execution_role_arn")),
            task_role_arn: attrs::opt_string(get(config, "task_role_arn")),
            tags: plan.tags.clone(),
        },
        service: DesiredService {
            cluster: p.cluster.clone(),
            name: plan.cloud_name.clone(),
            task_definition: plan.cloud_name.clone(),
            desired_count: p.desired_count as i32,
            capacity_provider: p.capacity_provider.clone(),
            network: Network {
                subnets: ctx.network.subnet_ids.clone(),
                security_groups: ctx.network.security_group_ids.clone(),
                assign_public_ip: ctx.network.assign_public_ip,
            },
            tags: service_tags,
            circuit_breaker: CircuitBreaker {
                enable: p.deployment.circuit_breaker,
                rollback: p.deployment.rollback,
            },
            load_balancers: Vec::new(),
            health_check_grace_period_seconds: None,
        },
        target: DesiredTarget {
            resource_id: resource_id.clone(),
            min_capacity: p.scaling.min as i32,
            max_capacity: p.scaling.max as i32,
            tags: plan.tags.clone(),
        },
        policy: DesiredPolicy {
            name: format!("{}-cpu", plan.cloud_name),
            resource_id,
            target_cpu_percent: p.scaling.target_cpu_percent as f64,
            scale_out_cooldown_seconds: p.scaling.scale_out_cooldown_seconds as i32,
            scale_in_cooldown_seconds: p.scaling.scale_in_cooldown_seconds as i32,
        },
        ingress: p.ingress.as_ref().map(|i| IngressDesired {
            plan: i.clone(),
            cloud_name: plan.cloud_name.clone(),
            task_security_group: ctx.network.security_group_ids.first().cloned(),
            tags: plan.tags.clone(),
        }),
        wait: p
            .deployment
            .wait_minutes
            .map(|m| std::time::Duration::from_secs(m.max(0) as u64 * 60)),
    }
}

/// A running count inside the autoscaling range is autoscaling's business, not drift.
pub(super) fn within_range(count: i32, d: &FargateDesired) -> bool {
    (d.target.min_capacity..=d.target.max_capacity).contains(&count)
}

pub(super) async fn apply_fargate(
    d: &FargateDesired,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let (ecs, logs, scaling) = (
        aws.ecs(&d.region).await,
        aws.cloudwatch_logs(&d.region).await,
        aws.application_autoscaling(&d.region).await,
    );
    let look = aws.lookups(&d.region).await;
    cancellable(&ctx.cancel, async {
        // Each child is looked up once; the look-ups of services applied at the same time
        // go out together.
        let (service_found, task_found, group_found) = tokio::join!(
            look.service(&d.service.cluster, &d.service.name),
            look.task_definition(&d.family_prefix, &d.task.family),
            look.log_group(&d.log.name),
        );
        let (service_found, task_found) = (service_found?, task_found?);
        let group_found = match group_found? {
            Some(g) => Some(log_group::tagged(&logs, g).await?),
            None => None,
        };
        let iam_client = aws.iam(&d.region).await;
        let mut roles_found = Vec::new();
        for (_, role) in &d.roles {
            roles_found.push(iam::find(&iam_client, &role.name, &role.policy_name).await?);
        }
        // The log group is this unit's anchor (see `backends::ownership`): made first,
        // finished last, and alone carrying the creating marker; the children made after
        // it follow it.
        let follower = owner.after_anchor(
            group_found
                .as_ref()
                .is_some_and(|g| ownership::is_creating(&g.tags)),
        );
        if owner.creating {
            // Every child that exists under our names is checked before anything is made
            // or changed, so a refusal leaves the cloud exactly as it was; the service
            // first, since it is what a refusal should name.
            if let Some(svc) = &service_found {
                follower.check(
                    || {
                        format!(
                            "The ECS service `{}` in cluster `{}`",
                            d.service.name, d.service.cluster
                        )
                    },
                    &svc.tags,
                )?;
            }
            if let Some(td) = &task_found {
                follower.check(
                    || format!("The ECS task definition family `{}`", d.task.family),
                    &td.definition.tags,
                )?;
            }
            if let Some(g) = &group_found {
                owner.check(
                    || format!("The CloudWatch Logs group `{}`", d.log.name),
                    &g.tags,
                )?;
            }
            for ((_, desired), r) in d.roles.iter().zip(&roles_found) {
                if let Some(r) = r {
                    iam::check_region(r, desired)?;
                    follower.check(|| format!("The IAM role `{}`", r.name), &r.tags)?;
                }
            }
        }
        // The anchor first.
        let group = match log_group::create_given(&logs, &d.log, owner, group_found).await? {
            Some(adopted) => adopted,
            // Created: CreateLogGroup does not answer with the ARN the finish needs.
            None => {
                let listed =
                    look.log_group(&d.log.name)
                        .await?
                        .ok_or_else(|| BackendError::Api {
                            service: "CloudWatch Logs",
                            operation: "DescribeLogGroups",
                            message: format!(
                                "log group `{}` was created but cannot be found",
                                d.log.name
                            ),
                        })?;
                ObservedLogGroup {
                    name: listed.name,
                    arn: listed.arn,
                    retention_days: listed.retention_days,
                    tags: owner.tags(&d.log.tags),
                }
            }
        };
        // Then the roles: the task definition names them.
        let mut roles = BTreeMap::new();
        for ((key, desired), found) in d.roles.iter().zip(roles_found) {
            let role = iam::create_given(&iam_client, desired, follower, found).await?;
            roles.insert(*key, role);
        }
        // A family without an active revision has no older one to deregister.
        let had_revisions = task_found.is_some();
        let arn = |key: &str| roles.get(key).map(|r: &iam::ObservedRole| r.arn.clone());
        let task = &DesiredTaskDefinition {
            execution_role_arn: arn(EXECUTION_ROLE_KEY)
                .or_else(|| d.task.execution_role_arn.clone()),
            task_role_arn: arn(TASK_ROLE_KEY).or_else(|| d.task.task_role_arn.clone()),
            ..d.task.clone()
        };
        let revision = task_definition::create_given(&ecs, task, follower, task_found).await?;
        // Behind the load balancer: the target group, its rule and the admission first,
        // since the service attaches to the target group.
        let attached = match &d.ingress {
            Some(i) => Some(ingress::attach(i, &d.region, follower, ctx).await?),
            None => None,
        };
        let mut service = d.service.clone();
        service.task_definition = revision.arn.clone();
        if let (Some(a), Some(i)) = (&attached, &d.ingress) {
            service.load_balancers = vec![LoadBalancerAttachment {
                target_group_arn: a.target_group_arn.clone(),
                container_name: d.task.container.name.clone(),
                container_port: i.plan.port as i32,
            }];
            service.health_check_grace_period_seconds =
                Some(planner::ingress::HEALTH_CHECK_GRACE_PERIOD_SECONDS as i32);
        }
        if let Some(current) = &service_found
            && within_range(current.desired_count, d)
        {
            service.desired_count = current.desired_count;
        }
        let running = ecs_service::create_given(&ecs, &service, follower, service_found).await?;
        if let (Some(a), Some(i)) = (&attached, &d.ingress) {
            ingress::publish(i, a, &d.region, ctx).await?;
        }
        if had_revisions {
            task_definition::deregister_older(&ecs, &d.task.family, revision.revision).await?;
        }
        let (target_found, current) = tokio::join!(
            look.target(&d.target.resource_id),
            look.policy(&d.policy.resource_id, &d.policy.name),
        );
        autoscaling::create_target_given(&scaling, &d.target, target_found?).await?;
        if !current?.is_some_and(|p| p.matches(&d.policy)) {
            autoscaling::put_policy(&scaling, &d.policy).await?;
        }
        // The create is complete: from now on no other state may adopt these children.
        // Followers still marked (an older version's unfinished create) first, the anchor
        // last; each call is skipped when its child carries no marker.
        for role in roles.values() {
            iam::finish(&iam_client, role).await?;
            look.note_role_policy(role);
        }
        task_definition::finish(&ecs, &revision).await?;
        ecs_service::finish(&ecs, &running).await?;
        log_group::finish(&logs, &group).await?;
        // The read that follows takes the revision from here: RegisterTaskDefinition
        // answered with all of it.
        let mut finished = revision;
        finished.definition.tags.remove(ownership::TAG_LIFECYCLE);
        look.note_task_definition(&finished);
        // Last, with every child made and finished: a wait that fails or times out leaves
        // the service in place, and the error says what it saw.
        if let Some(timeout) = d.wait {
            ecs_rollout::wait_steady(
                &ecs,
                &d.service.cluster,
                &d.service.name,
                &running.task_definition,
                timeout,
                &ctx.cancel,
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// Reads the children. `recorded_revision`: the task definition revision (ARN) the state
/// holds, whose settings the state already records. A revision is immutable, so while the
/// service runs that one it is not described again; a service running any other revision
/// (a deploy out of band, an apply that registered a new one) has its family's current
/// revision read. Its tags are not read either way: the service's are the unit's.
pub(super) async fn read_fargate(
    d: &FargateDesired,
    recorded_revision: Option<&str>,
    ctx: &CallContext,
) -> Result<Seen, BackendError> {
    let look = ctx.aws.lookups(&d.region).await;
    cancellable(&ctx.cancel, async {
        let mut seen = Seen::default();
        // The look-ups of services read at the same time go out together; the task
        // definition (DescribeTaskDefinition takes one family) alone, and only when the
        // service no longer runs the recorded revision.
        let (group, service, target, policy) = tokio::join!(
            look.log_group(&d.log.name),
            look.service(&d.service.cluster, &d.service.name),
            look.target(&d.target.resource_id),
            look.policy(&d.policy.resource_id, &d.policy.name),
        );
        let service = service?;
        let running = service
            .as_ref()
            .filter(|svc| svc.status == "ACTIVE")
            .map(|svc| svc.task_definition.as_str());
        let task = match (recorded_revision, running) {
            (Some(recorded), Some(running)) if recorded == running => {
                // As recorded: the child stays, its settings unchanged.
                seen.children
                    .insert("ecs_task_definition".into(), BTreeMap::new());
                seen.ids
                    .insert("ecs_task_definition".into(), recorded.to_string());
                Ok(None)
            }
            _ => look.current_task_definition(&d.task.family).await,
        };
        for (key, desired) in &d.roles {
            // One call: the role's policy. A role (or policy) that is gone leaves the
            // expansion, and the next apply makes it again.
            let found = match look.noted_role_policy(&desired.name) {
                Some(noted) => Some(noted),
                None => {
                    let client = ctx.aws.iam(&d.region).await;
                    iam::policy(&client, &desired.name, &desired.policy_name).await?
                }
            };
            if let Some(found) = found {
                // The policy as planned when it says the same as JSON; as found otherwise,
                // so a change out of band shows as this child's drift.
                let policy = if iam::same_json(&found, &desired.policy) {
                    desired.policy.clone()
                } else {
                    compact_json(&found)
                };
                seen.children.insert(
                    key.to_string(),
                    BTreeMap::from([("policy".to_string(), policy)]),
                );
                seen.ids.insert(key.to_string(), desired.name.clone());
            }
        }
        if let Some(g) = group? {
            let mut observed = BTreeMap::new();
            // A group that never expires reads back as no retention: that differs from
            // the plan, so the next apply puts the environment's retention back.
            observed.insert(
                "retention_days".to_string(),
                g.retention_days
                    .map_or_else(|| "never expires".to_string(), |d| d.to_string()),
            );
            seen.children.insert("log_group".into(), observed);
            seen.ids.insert("log_group".into(), g.arn.clone());
        }
        if let Some(td) = task? {
            let def = &td.definition;
            seen.children.insert(
                "ecs_task_definition".into(),
                BTreeMap::from([
                    ("cpu".to_string(), def.cpu.clone()),
                    ("memory".to_string(), def.memory.clone()),
                    ("container.image".to_string(), def.container.image.clone()),
                    (
                        "container.env_digest".to_string(),
                        planner::env_digest(&def.container.environment),
                    ),
                ]),
            );
            if let Some(port) = def.container.port
                && let Some(observed) = seen.children.get_mut("ecs_task_definition")
            {
                observed.insert("container.port".to_string(), port.to_string());
            }
            seen.ids
                .insert("ecs_task_definition".into(), td.arn.clone());
            seen.env = def.container.environment.clone();
            seen.artefact = Some(def.container.image.clone());
        }
        if let Some(svc) = service
            && svc.status == "ACTIVE"
        {
            let count = if within_range(svc.desired_count, d) {
                d.service.desired_count
            } else {
                svc.desired_count
            };
            let mut observed = BTreeMap::from([("desired_count".to_string(), count.to_string())]);
            if let Some(cp) = &svc.capacity_provider {
                observed.insert("capacity_provider".into(), cp.clone());
            }
            // Only an answer that reports the breaker can show it changed (moto keeps none).
            if let Some(c) = svc.circuit_breaker {
                observed.insert("deployment.circuit_breaker".into(), c.enable.to_string());
                observed.insert("deployment.rollback".into(), c.rollback.to_string());
            }
            // The attachment as the plan shows it: `<target group>:<container>:<port>`.
            let attachments: Vec<String> = svc
                .load_balancers
                .iter()
                .map(|a| {
                    let group = a
                        .target_group_arn
                        .split(':')
                        .next_back()
                        .and_then(|r| r.split('/').nth(1))
                        .unwrap_or(&a.target_group_arn);
                    format!("{group}:{}:{}", a.container_name, a.container_port)
                })
                .collect();
            observed.insert(
                "load_balancer".into(),
                if attachments.is_empty() {
                    "none".into()
                } else {
                    attachments.join(",")
                },
            );
            seen.children.insert("ecs_service".into(), observed);
            seen.ids.insert("ecs_service".into(), svc.arn.clone());
            seen.spec = spec::from_tags(TAG_SPEC, &svc.tags);
            seen.tags = svc.tags.clone();
        }
        if let Some(t) = target? {
            seen.children.insert(
                "autoscaling_target".into(),
                BTreeMap::from([
                    ("min_capacity".to_string(), t.min_capacity.to_string()),
                    ("max_capacity".to_string(), t.max_capacity.to_string()),
                ]),
            );
            seen.ids
                .insert("autoscaling_target".into(), t.resource_id.clone());
        }
        if let Some(p) = policy? {
            let mut observed = BTreeMap::from([(
                "target_value".to_string(),
                format!("{}", p.target_cpu_percent.round() as i64),
            )]);
            if let Some(c) = p.scale_out_cooldown_seconds {
                observed.insert("scale_out_cooldown_seconds".into(), c.to_string());
            }
            if let Some(c) = p.scale_in_cooldown_seconds {
                observed.insert("scale_in_cooldown_seconds".into(), c.to_string());
            }
            seen.children.insert("autoscaling_policy".into(), observed);
            seen.ids.insert("autoscaling_policy".into(), p.arn.clone());
        }
        if let Some(i) = &d.ingress {
            for (key, observed) in ingress::read(i, &d.region, ctx).await? {
                seen.children.insert(key.to_string(), observed);
            }
        }
        Ok(seen)
    })
    .await
}

pub(super) async fn delete_fargate(
    d: &FargateDesired,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let (ecs, logs, scaling) = (
        aws.ecs(&d.region).await,
        aws.cloudwatch_logs(&d.region).await,
        aws.application_autoscaling(&d.region).await,
    );
    cancellable(&ctx.cancel, async {
        autoscaling::delete_policy(&scaling, &d.policy.resource_id, &d.policy.name).await?;
        autoscaling::delete_target(&scaling, &d.target.resource_id).await?;
        ecs_service::delete(&ecs, &d.service.cluster, &d.service.name, &ctx.cancel).await?;
        // Off the load balancer once no task is registered in its target group.
        if let Some(i) = &d.ingress {
            ingress::detach(i, &d.region, ctx).await?;
        }
        task_definition::delete(&ecs, &d.task.family).await?;
        // The role last of what the tasks use: nothing runs with it any more.
        for (_, role) in &d.roles {
            iam::delete(&aws.iam(&d.region).await, &role.name, &role.policy_name).await?;
        }
        log_group::delete(&logs, &d.log.name).await
    })
    .await
}

/// A JSON document on one line, as the plan shows a policy found out of band.
fn compact_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// Deletes the roles `prior` recorded (children of type `iam_role`) that `plan` no longer
/// has; a role already gone counts as deleted.
pub(super) async fn delete_dropped_roles(
    prior: &Value,
    plan: &ServicePlan,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let kept: Vec<&str> = plan
        .children
        .iter()
        .filter(|c| c.kind == "iam_role")
        .map(|c| c.name.as_str())
        .collect();
    let dropped: Vec<String> = get(prior, "expansion")
        .as_list()
        .into_iter()
        .flatten()
        .filter(|c| get(c, "type").as_str() == Some("iam_role"))
        .filter_map(|c| get(c, "name").as_str().map(str::to_string))
        .filter(|name| !kept.contains(&name.as_str()))
        .collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let region = match &plan.host_plan {
        HostPlan::Fargate(p) => p.region.as_str(),
        _ => "",
    };
    let client = ctx.aws.iam(region).await;
    cancellable(&ctx.cancel, async {
        for name in &dropped {
            tracing::info!(role = %name, "deleting a role the service no longer has");
            iam::delete(&client, name, INLINE_POLICY_NAME).await?;
        }
        Ok(())
    })
    .await
}

/// The grants of the task role `name`, when the service has one: the `access` an import
/// restores.
pub(super) async fn task_role_grants(
    name: &str,
    region: &str,
    ctx: &CallContext,
) -> Result<Vec<String>, BackendError> {
    let client = ctx.aws.iam(region).await;
    Ok(iam::policy(&client, name, INLINE_POLICY_NAME)
        .await?
        .map(|p| grants_of(&p))
        .unwrap_or_default())
}

/// The statements of a role's policy, each as compact JSON: the `access` an import restores.
fn grants_of(policy: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(policy)
        .ok()
        .and_then(|doc| doc.get("Statement").cloned())
        .and_then(|s| s.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|s| s.to_string())
        .collect()
}
