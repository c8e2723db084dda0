//! A job's children in AWS: the desired ones from the plan; apply (the log group is the
//! anchor, made first and finished last), read, delete, and the record import reads.

use super::*;
use crate::backends::aws::alarm::{self, DesiredAlarm};
use crate::backends::aws::autoscaling::{self, DesiredStepPolicy, DesiredTarget};
use crate::backends::aws::ecs;
use crate::backends::aws::ecs_service::{self, CircuitBreaker, DesiredService, Network};
use crate::backends::aws::iam::{self, DesiredRole};
use crate::backends::aws::log_group::{self, DesiredLogGroup, ObservedLogGroup};
use crate::backends::aws::scheduler::{self, DesiredSchedule, EcsTarget};
use crate::backends::aws::task_definition::{
    self, Container, DesiredTaskDefinition, LogConfig, ObservedTaskDefinition,
};
use crate::backends::cancellable;
use crate::planner::api_service::iam::{INLINE_POLICY_NAME, trust_policy};
use crate::planner::api_service::{EXECUTION_ROLE_KEY, TASK_ROLE_KEY, env_digest};
use crate::planner::job::{QUEUE_COOLDOWN_SECONDS, QueuePlan, Trigger, keys};

/// The children a job should have, from its plan.
pub(super) struct Desired {
    region: String,
    /// `<environment>-`: the families of the environment's tasks start with it.
    family_prefix: String,
    cluster: String,
    /// The roles the platform makes, by expansion key.
    roles: Vec<(&'static str, DesiredRole)>,
    log: DesiredLogGroup,
    task: DesiredTaskDefinition,
    trigger: TriggerDesired,
}

/// What starts the task.
enum TriggerDesired {
    OnDemand,
    Schedule(ScheduleDesired),
    Queue(Box<QueueDesired>),
}

/// A schedule, before the ARNs an apply learns (cluster, role, revision).
struct ScheduleDesired {
    name: String,
    expression: String,
    timezone: Option<String>,
    network: Network,
    capacity_provider: String,
    tags: BTreeMap<String, String>,
}

/// The scaling from a queue; the alarms are made with the policies' ARNs at apply.
struct QueueDesired {
    service: DesiredService,
    target: DesiredTarget,
    scale_out: DesiredStepPolicy,
    scale_in: DesiredStepPolicy,
    queue_name: String,
    depth_alarm: String,
    idle_alarm: String,
    tags: BTreeMap<String, String>,
}

impl QueueDesired {
    /// The alarm on visible messages, invoking `policy_arn`.
    fn depth(&self, policy_arn: &str) -> DesiredAlarm {
        alarm::backlog_alarm(
            &self.depth_alarm,
            &self.queue_name,
            policy_arn,
            self.tags.clone(),
        )
    }

    /// The alarm on an idle queue, invoking `policy_arn`.
    fn idle(&self, policy_arn: &str) -> DesiredAlarm {
        alarm::idle_alarm(
            &self.idle_alarm,
            &self.queue_name,
            policy_arn,
            self.tags.clone(),
        )
    }
}

/// The children as read from the cloud.
#[derive(Default)]
pub(super) struct Seen {
    /// Observed settings of each child that exists, by expansion key.
    pub(super) children: BTreeMap<String, BTreeMap<String, String>>,
    /// Cloud IDs by expansion key.
    pub(super) ids: BTreeMap<String, String>,
}

impl Seen {
    /// Whether anything of the job exists.
    pub(super) fn any(&self) -> bool {
        !self.children.is_empty()
    }
}

/// What import reads back from the task definition and the task role.
pub(super) struct Record {
    pub(super) image: String,
    pub(super) command: Vec<String>,
    pub(super) env: BTreeMap<String, String>,
    pub(super) secrets: BTreeMap<String, String>,
    pub(super) access: Vec<String>,
    pub(super) tags: BTreeMap<String, String>,
}

pub(super) fn desired(input: &JobInput, plan: &JobPlan, config: &Value) -> Desired {
    let p = &plan.task;
    let net = &input.environment.network;
    let network = Network {
        subnets: net.subnet_ids.clone(),
        security_groups: net.security_group_ids.clone(),
        assign_public_ip: net.assign_public_ip,
    };
    let mut task_tags = plan.tags.clone();
    task_tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    let role_tags = {
        let mut tags = plan.tags.clone();
        tags.insert(iam::TAG_REGION.into(), p.region.clone());
        tags
    };
    let schedule_role = match &plan.trigger {
        Trigger::Schedule(s) => Some(&s.role),
        _ => None,
    };
    let roles = [
        (EXECUTION_ROLE_KEY, p.execution_role.as_ref()),
        (TASK_ROLE_KEY, p.task_role.as_ref()),
        (keys::SCHEDULER_ROLE, schedule_role),
    ]
    .into_iter()
    .filter_map(|(key, role)| {
        let role = role?;
        Some((
            key,
            DesiredRole {
                name: role.name.clone(),
                trust_policy: trust_policy(&role.principal),
                policy_name: INLINE_POLICY_NAME.to_string(),
                policy: role.policy.to_json(),
                tags: role_tags.clone(),
            },
        ))
    })
    .collect();
    let trigger = match &plan.trigger {
        Trigger::OnDemand => TriggerDesired::OnDemand,
        Trigger::Schedule(s) => TriggerDesired::Schedule(ScheduleDesired {
            name: s.name.clone(),
            expression: s.expression.clone(),
            timezone: s.timezone.clone(),
            network: network.clone(),
            capacity_provider: p.capacity_provider.clone(),
            tags: plan.tags.clone(),
        }),
        Trigger::Queue(q) => TriggerDesired::Queue(Box::new(queue_desired(q, plan, &network))),
    };
    Desired {
        region: p.region.clone(),
        family_prefix: format!("{}-", plan.environment),
        cluster: p.cluster.clone(),
        roles,
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
                port: None,
                environment: input.env.clone(),
                secrets: input.secrets.clone(),
                health_check: None,
                command: plan.command.clone(),
            },
            log: LogConfig {
                group: p.log_group.clone(),
                region: p.region.clone(),
                stream_prefix: input.name.clone(),
            },
            execution_role_arn: None,
            task_role_arn: None,
            tags: task_tags,
        },
        trigger,
    }
}

fn queue_desired(q: &QueuePlan, plan: &JobPlan, network: &Network) -> QueueDesired {
    let p = &plan.task;
    let step_policy = |name: &str, steps| DesiredStepPolicy {
        name: name.to_string(),
        resource_id: q.resource_id.clone(),
        steps,
        cooldown_seconds: QUEUE_COOLDOWN_SECONDS as i32,
        metric_aggregation: "Maximum".into(),
    };
    QueueDesired {
        service: DesiredService {
            cluster: p.cluster.clone(),
            name: q.service.clone(),
            task_definition: plan.cloud_name.clone(),
            desired_count: 0,
            capacity_provider: p.capacity_provider.clone(),
            network: network.clone(),
            tags: plan.tags.clone(),
            circuit_breaker: CircuitBreaker {
                enable: p.deployment.circuit_breaker,
                rollback: p.deployment.rollback,
            },
            load_balancers: Vec::new(),
            health_check_grace_period_seconds: None,
        },
        target: DesiredTarget {
            resource_id: q.resource_id.clone(),
            min_capacity: 0,
            max_capacity: q.max as i32,
            tags: plan.tags.clone(),
        },
        scale_out: step_policy(
            &q.scale_out_policy,
            alarm::queue_steps(q.messages_per_task, q.max),
        ),
        scale_in: step_policy(&q.scale_in_policy, alarm::idle_steps()),
        queue_name: q.queue_name.clone(),
        depth_alarm: q.depth_alarm.clone(),
        idle_alarm: q.idle_alarm.clone(),
        tags: plan.tags.clone(),
    }
}

/// Makes the cloud match `d`. `before`: what the prior state planned, whose children the
/// plan no longer has (another trigger, a role dropped) are deleted once the new ones run.
pub(super) async fn apply(
    d: &Desired,
    before: Option<&Desired>,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let (ecs_client, logs, iam_client) = (
        aws.ecs(&d.region).await,
        aws.cloudwatch_logs(&d.region).await,
        aws.iam(&d.region).await,
    );
    let look = aws.lookups(&d.region).await;
    cancellable(&ctx.cancel, async {
        let (task_found, group_found) = tokio::join!(
            look.task_definition(&d.family_prefix, &d.task.family),
            look.log_group(&d.log.name),
        );
        let task_found = task_found?;
        let group_found = match group_found? {
            Some(g) => Some(log_group::tagged(&logs, g).await?),
            None => None,
        };
        let mut roles_found = Vec::new();
        for (_, role) in &d.roles {
            roles_found.push(iam::find(&iam_client, &role.name, &role.policy_name).await?);
        }
        let trigger_found = find_trigger(d, ctx).await?;
        // The log group is the anchor (see `backends::ownership`).
        let follower = owner.after_anchor(
            group_found
                .as_ref()
                .is_some_and(|g| ownership::is_creating(&g.tags)),
        );
        // A service of this environment with the job's name owns these names: refused
        // whatever the state, with no import to offer.
        for tags in [
            task_found.as_ref().map(|t| &t.definition.tags),
            group_found.as_ref().map(|g| &g.tags),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(component) = tags.get(naming::TAG_COMPONENT)
                && component != crate::planner::job::COMPONENT
            {
                return Err(BackendError::Refused(format!(
                    "The names of this job (`{}`) are taken by a `{component}` of the same environment with the same name: a job and a service of one environment need different names. Rename the job.",
                    d.task.family
                )));
            }
        }
        if owner.creating {
            // Everything under our names is checked before anything is made or changed.
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
            trigger_found.check(follower)?;
        }
        let group = match log_group::create_given(&logs, &d.log, owner, group_found).await? {
            Some(adopted) => adopted,
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
        let mut roles = BTreeMap::new();
        for ((key, desired), found) in d.roles.iter().zip(roles_found) {
            let role = iam::create_given(&iam_client, desired, follower, found).await?;
            roles.insert(*key, role);
        }
        let had_revisions = task_found.is_some();
        let arn = |key: &str| roles.get(key).map(|r: &iam::ObservedRole| r.arn.clone());
        let task = &DesiredTaskDefinition {
            execution_role_arn: arn(EXECUTION_ROLE_KEY),
            task_role_arn: arn(TASK_ROLE_KEY),
            ..d.task.clone()
        };
        let revision =
            task_definition::create_given(&ecs_client, task, follower, task_found).await?;
        let running = match (&d.trigger, trigger_found) {
            (TriggerDesired::Schedule(s), Found::Schedule(found)) => {
                let cluster = ecs::find(&ecs_client, &d.cluster).await?.ok_or_else(|| {
                    BackendError::Refused(format!(
                        "The environment's ECS cluster `{}` does not exist, so the schedule has nowhere to run the task. Apply the environment first.",
                        d.cluster
                    ))
                })?;
                let desired = DesiredSchedule {
                    name: s.name.clone(),
                    group: scheduler::DEFAULT_GROUP.into(),
                    expression: s.expression.clone(),
                    timezone: s.timezone.clone(),
                    target: EcsTarget {
                        cluster_arn: cluster.arn,
                        role_arn: arn(keys::SCHEDULER_ROLE).unwrap_or_default(),
                        task_definition_arn: revision.arn.clone(),
                        subnets: s.network.subnets.clone(),
                        security_groups: s.network.security_groups.clone(),
                        assign_public_ip: s.network.assign_public_ip,
                        capacity_provider: s.capacity_provider.clone(),
                        task_count: 1,
                    },
                    enabled: true,
                    tags: s.tags.clone(),
                };
                let client = aws.scheduler(&d.region).await;
                scheduler::create_given(&client, &desired, follower, *found).await?;
                None
            }
            (TriggerDesired::Queue(q), Found::Queue(found)) => {
                let Found2 {
                    service,
                    target,
                    scale_out,
                    scale_in,
                    depth,
                    idle,
                } = *found;
                let mut service_desired = q.service.clone();
                service_desired.task_definition = revision.arn.clone();
                // The count is the alarms' business; a lower `max` only caps it, so the
                // workers running are not all stopped.
                if let Some(current) = &service {
                    service_desired.desired_count =
                        current.desired_count.clamp(0, q.target.max_capacity);
                }
                let running =
                    ecs_service::create_given(&ecs_client, &service_desired, follower, service)
                        .await?;
                let scaling = aws.application_autoscaling(&d.region).await;
                autoscaling::create_target_given(&scaling, &q.target, target).await?;
                let out_arn = match scale_out {
                    Some(p) if p.matches(&q.scale_out) => p.arn,
                    _ => autoscaling::put_step_policy(&scaling, &q.scale_out).await?,
                };
                let in_arn = match scale_in {
                    Some(p) if p.matches(&q.scale_in) => p.arn,
                    _ => autoscaling::put_step_policy(&scaling, &q.scale_in).await?,
                };
                let cw = aws.cloudwatch(&d.region).await;
                alarm::put(&cw, &q.depth(&out_arn), follower, depth).await?;
                alarm::put(&cw, &q.idle(&in_arn), follower, idle).await?;
                Some(running)
            }
            _ => None,
        };
        if had_revisions {
            task_definition::deregister_older(&ecs_client, &d.task.family, revision.revision)
                .await?;
        }
        if let Some(before) = before {
            leave(before, d, ctx).await?;
        }
        for role in roles.values() {
            iam::finish(&iam_client, role).await?;
            look.note_role_policy(role);
        }
        task_definition::finish(&ecs_client, &revision).await?;
        if let Some(running) = &running {
            ecs_service::finish(&ecs_client, running).await?;
        }
        log_group::finish(&logs, &group).await?;
        let mut finished = revision;
        finished.definition.tags.remove(ownership::TAG_LIFECYCLE);
        look.note_task_definition(&finished);
        Ok(())
    })
    .await
}

/// A queue's children as found.
struct Found2 {
    service: Option<ecs_service::ObservedService>,
    target: Option<autoscaling::ObservedTarget>,
    scale_out: Option<autoscaling::ObservedStepPolicy>,
    scale_in: Option<autoscaling::ObservedStepPolicy>,
    depth: Option<alarm::ObservedAlarm>,
    idle: Option<alarm::ObservedAlarm>,
}

/// The trigger's children as found under our names.
enum Found {
    None,
    Schedule(Box<Option<scheduler::ObservedSchedule>>),
    Queue(Box<Found2>),
}

impl Found {
    /// Refuses what this create may not take over.
    fn check(&self, follower: Owner<'_>) -> Result<(), BackendError> {
        match self {
            Found::None => Ok(()),
            Found::Schedule(s) => match s.as_ref() {
                Some(s) => follower.check(
                    || format!("The EventBridge Scheduler schedule `{}`", s.name),
                    &s.tags,
                ),
                None => Ok(()),
            },
            Found::Queue(q) => {
                if let Some(svc) = &q.service {
                    follower.check(
                        || {
                            format!(
                                "The ECS service `{}` in cluster `{}`",
                                svc.name, svc.cluster
                            )
                        },
                        &svc.tags,
                    )?;
                }
                for a in [&q.depth, &q.idle].into_iter().flatten() {
                    let tags = a.tags.clone().unwrap_or_default();
                    follower.check(|| format!("The CloudWatch alarm `{}`", a.name), &tags)?;
                }
                Ok(())
            }
        }
    }
}

async fn find_trigger(d: &Desired, ctx: &CallContext) -> Result<Found, BackendError> {
    let aws = &ctx.aws;
    match &d.trigger {
        TriggerDesired::OnDemand => Ok(Found::None),
        TriggerDesired::Schedule(s) => {
            let client = aws.scheduler(&d.region).await;
            Ok(Found::Schedule(Box::new(
                scheduler::find(&client, scheduler::DEFAULT_GROUP, &s.name).await?,
            )))
        }
        TriggerDesired::Queue(q) => {
            let mut found = find_trigger_queue(q, &d.region, ctx).await?;
            // The alarms' tags say whose they are; DescribeAlarms does not carry them.
            let cw = aws.cloudwatch(&d.region).await;
            for a in [&mut found.depth, &mut found.idle].into_iter().flatten() {
                a.tags = Some(alarm::tags(&cw, &a.arn).await?);
            }
            Ok(Found::Queue(Box::new(found)))
        }
    }
}

/// Deletes what `before` had and `now` does not: the other trigger's children, and roles
/// no longer planned (the task role once `access` is gone, the scheduler's without a
/// schedule).
async fn leave(before: &Desired, now: &Desired, ctx: &CallContext) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    match (&before.trigger, &now.trigger) {
        (TriggerDesired::Schedule(_), TriggerDesired::Schedule(_))
        | (TriggerDesired::Queue(_), TriggerDesired::Queue(_))
        | (TriggerDesired::OnDemand, _) => {}
        (TriggerDesired::Schedule(s), _) => {
            let client = aws.scheduler(&before.region).await;
            scheduler::delete(&client, scheduler::DEFAULT_GROUP, &s.name).await?;
        }
        (TriggerDesired::Queue(q), _) => delete_queue(q, &before.region, ctx).await?,
    }
    let kept: Vec<&str> = now.roles.iter().map(|(_, r)| r.name.as_str()).collect();
    let client = aws.iam(&before.region).await;
    for (_, role) in &before.roles {
        if !kept.contains(&role.name.as_str()) {
            tracing::info!(role = %role.name, "deleting a role the job no longer has");
            iam::delete(&client, &role.name, &role.policy_name).await?;
        }
    }
    Ok(())
}

async fn delete_queue(
    q: &QueueDesired,
    region: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    let cw = aws.cloudwatch(region).await;
    alarm::delete(&cw, &q.depth_alarm).await?;
    alarm::delete(&cw, &q.idle_alarm).await?;
    let scaling = aws.application_autoscaling(region).await;
    autoscaling::delete_policy(&scaling, &q.target.resource_id, &q.scale_out.name).await?;
    autoscaling::delete_policy(&scaling, &q.target.resource_id, &q.scale_in.name).await?;
    autoscaling::delete_target(&scaling, &q.target.resource_id).await?;
    let ecs_client = aws.ecs(region).await;
    ecs_service::delete(
        &ecs_client,
        &q.service.cluster,
        &q.service.name,
        &ctx.cancel,
    )
    .await
}

/// Deletes every child: what starts the task first, the log group last.
pub(super) async fn delete(d: &Desired, ctx: &CallContext) -> Result<(), BackendError> {
    let aws = &ctx.aws;
    cancellable(&ctx.cancel, async {
        match &d.trigger {
            TriggerDesired::OnDemand => {}
            TriggerDesired::Schedule(s) => {
                let client = aws.scheduler(&d.region).await;
                scheduler::delete(&client, scheduler::DEFAULT_GROUP, &s.name).await?;
            }
            TriggerDesired::Queue(q) => delete_queue(q, &d.region, ctx).await?,
        }
        task_definition::delete(&aws.ecs(&d.region).await, &d.task.family).await?;
        let client = aws.iam(&d.region).await;
        for (_, role) in &d.roles {
            iam::delete(&client, &role.name, &role.policy_name).await?;
        }
        log_group::delete(&aws.cloudwatch_logs(&d.region).await, &d.log.name).await
    })
    .await
}

/// Reads the children back, each as the plan shows it so that only a real difference
/// shows as drift.
pub(super) async fn read(d: &Desired, ctx: &CallContext) -> Result<Seen, BackendError> {
    let aws = &ctx.aws;
    let look = aws.lookups(&d.region).await;
    cancellable(&ctx.cancel, async {
        let mut seen = Seen::default();
        let (group, task) = tokio::join!(
            look.log_group(&d.log.name),
            look.current_task_definition(&d.task.family),
        );
        if let Some(g) = group? {
            seen.children.insert(
                "log_group".into(),
                BTreeMap::from([(
                    "retention_days".to_string(),
                    g.retention_days
                        .map_or_else(|| "never expires".to_string(), |d| d.to_string()),
                )]),
            );
            seen.ids.insert("log_group".into(), g.arn);
        }
        for (key, desired) in &d.roles {
            let found = match look.noted_role_policy(&desired.name) {
                Some(noted) => Some(noted),
                None => {
                    let client = aws.iam(&d.region).await;
                    iam::policy(&client, &desired.name, &desired.policy_name).await?
                }
            };
            if let Some(found) = found {
                let policy = if iam::same_json(&found, &desired.policy) {
                    desired.policy.clone()
                } else {
                    serde_json::from_str::<serde_json::Value>(&found)
                        .map(|v| v.to_string())
                        .unwrap_or(found)
                };
                seen.children.insert(
                    key.to_string(),
                    BTreeMap::from([("policy".to_string(), policy)]),
                );
                seen.ids.insert(key.to_string(), desired.name.clone());
            }
        }
        if let Some(td) = task? {
            seen.children
                .insert("ecs_task_definition".into(), task_settings(&td));
            seen.ids
                .insert("ecs_task_definition".into(), td.arn.clone());
        }
        match &d.trigger {
            TriggerDesired::OnDemand => {}
            TriggerDesired::Schedule(s) => {
                let client = aws.scheduler(&d.region).await;
                if let Some(found) =
                    scheduler::find(&client, scheduler::DEFAULT_GROUP, &s.name).await?
                {
                    let family =
                        task_definition::family_and_revision(&found.target.task_definition_arn)
                            .map(|(f, _)| f.to_string())
                            .unwrap_or_else(|| found.target.task_definition_arn.clone());
                    seen.children.insert(
                        keys::SCHEDULE.into(),
                        BTreeMap::from([
                            ("expression".to_string(), found.expression.clone()),
                            (
                                "timezone".to_string(),
                                found.timezone.clone().unwrap_or_else(|| "UTC".into()),
                            ),
                            ("target.task_definition".to_string(), family),
                            (
                                "state".to_string(),
                                if found.state_enabled {
                                    "ENABLED".into()
                                } else {
                                    "DISABLED".into()
                                },
                            ),
                        ]),
                    );
                    seen.ids.insert(keys::SCHEDULE.into(), found.arn);
                }
            }
            TriggerDesired::Queue(q) => read_queue(q, &d.region, &mut seen, ctx).await?,
        }
        Ok(seen)
    })
    .await
}

/// A revision's settings as the plan shows them.
fn task_settings(td: &ObservedTaskDefinition) -> BTreeMap<String, String> {
    let def = &td.definition;
    let mut observed = BTreeMap::from([
        ("cpu".to_string(), def.cpu.clone()),
        ("memory".to_string(), def.memory.clone()),
        ("container.image".to_string(), def.container.image.clone()),
        (
            "container.env_digest".to_string(),
            env_digest(&def.container.environment),
        ),
    ]);
    if !def.container.command.is_empty() {
        observed.insert(
            "container.command".to_string(),
            serde_json::to_string(&def.container.command).unwrap_or_default(),
        );
    }
    observed
}

async fn read_queue(
    q: &QueueDesired,
    region: &str,
    seen: &mut Seen,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let found = find_trigger_queue(q, region, ctx).await?;
    if let Some(svc) = found.service.filter(|s| s.status == "ACTIVE") {
        // A count the alarms set is theirs, not drift.
        let count = if (0..=q.target.max_capacity).contains(&svc.desired_count) {
            0
        } else {
            svc.desired_count
        };
        seen.children.insert(
            keys::SERVICE.into(),
            BTreeMap::from([("desired_count".to_string(), count.to_string())]),
        );
        seen.ids.insert(keys::SERVICE.into(), svc.arn);
    }
    if let Some(t) = found.target {
        seen.children.insert(
            keys::TARGET.into(),
            BTreeMap::from([
                ("min_capacity".to_string(), t.min_capacity.to_string()),
                ("max_capacity".to_string(), t.max_capacity.to_string()),
            ]),
        );
        seen.ids.insert(keys::TARGET.into(), t.resource_id);
    }
    // The alarms should invoke the policies that exist now: an alarm pointed elsewhere is
    // drift. Without a policy, the alarm's own action stands in (the policy is missing).
    let policy_arn =
        |p: &Option<autoscaling::ObservedStepPolicy>| p.as_ref().map(|p| p.arn.clone());
    let (out_arn, in_arn) = (policy_arn(&found.scale_out), policy_arn(&found.scale_in));
    for (key, found, desired) in [
        (keys::SCALE_OUT, found.scale_out, &q.scale_out),
        (keys::SCALE_IN, found.scale_in, &q.scale_in),
    ] {
        if let Some(p) = found {
            // A policy whose steps differ shows as a changed adjustment type.
            let adjustment = if p.matches(desired) {
                "ExactCapacity".to_string()
            } else {
                "changed out of band".to_string()
            };
            seen.children.insert(
                key.into(),
                BTreeMap::from([("adjustment_type".to_string(), adjustment)]),
            );
            seen.ids.insert(key.into(), p.arn);
        }
    }
    for (key, found, planned) in [
        (keys::DEPTH_ALARM, found.depth, ">= 1"),
        (keys::IDLE_ALARM, found.idle, "<= 0"),
    ] {
        if let Some(a) = found {
            // As planned when it says what we would put (with the action it names); else
            // what it watches for now, so a change out of band shows as this alarm's drift.
            let own = a.actions.first().cloned().unwrap_or_default();
            let desired = if key == keys::DEPTH_ALARM {
                q.depth(out_arn.as_deref().unwrap_or(&own))
            } else {
                q.idle(in_arn.as_deref().unwrap_or(&own))
            };
            let condition = if alarm::differs(&a, &desired) {
                format!(
                    "{} {} (changed out of band)",
                    a.comparison.as_deref().unwrap_or("?"),
                    a.threshold
                        .map_or_else(|| "?".to_string(), |t| t.to_string())
                )
            } else {
                planned.to_string()
            };
            seen.children.insert(
                key.into(),
                BTreeMap::from([("condition".to_string(), condition)]),
            );
            seen.ids.insert(key.into(), a.arn);
        }
    }
    Ok(())
}

async fn find_trigger_queue(
    q: &QueueDesired,
    region: &str,
    ctx: &CallContext,
) -> Result<Found2, BackendError> {
    let aws = &ctx.aws;
    let look = aws.lookups(region).await;
    let scaling = aws.application_autoscaling(region).await;
    let cw = aws.cloudwatch(region).await;
    let (service, target) = tokio::join!(
        look.service(&q.service.cluster, &q.service.name),
        look.target(&q.target.resource_id),
    );
    Ok(Found2 {
        service: service?,
        target: target?,
        scale_out: autoscaling::find_step_policy(
            &scaling,
            &q.target.resource_id,
            &q.scale_out.name,
        )
        .await?,
        scale_in: autoscaling::find_step_policy(&scaling, &q.target.resource_id, &q.scale_in.name)
            .await?,
        depth: alarm::find(&cw, &q.depth_alarm).await?,
        idle: alarm::find(&cw, &q.idle_alarm).await?,
    })
}

/// What import reads: the family's current revision (made by this provider) and the task
/// role's grants, without the queue statement the plan adds itself.
pub(super) async fn record(
    environment: &str,
    cloud_name: &str,
    region: &str,
    ctx: &CallContext,
) -> Result<Option<Record>, BackendError> {
    let ecs_client = ctx.aws.ecs(region).await;
    let Some(td) = task_definition::find(&ecs_client, cloud_name).await? else {
        return Ok(None);
    };
    let tags = td.definition.tags.clone();
    let tag = |k: &str| tags.get(k).map(String::as_str);
    // Only a job of this environment's: a service of the same cloud name is not one, nor
    // a job of an environment whose name ends where this job's name begins.
    if tag(naming::TAG_MANAGED_BY) != Some("terraform-provider-platform")
        || tag(naming::TAG_COMPONENT) != Some(crate::planner::job::COMPONENT)
        || tag(naming::TAG_ENVIRONMENT) != Some(environment)
    {
        return Ok(None);
    }
    let role = crate::planner::api_service::iam::task_role_name(cloud_name);
    let iam_client = ctx.aws.iam(region).await;
    let access = iam::policy(&iam_client, &role, INLINE_POLICY_NAME)
        .await?
        .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
        .and_then(|doc| doc.get("Statement").cloned())
        .and_then(|s| s.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.get("Sid").and_then(|v| v.as_str()) != Some("ConsumeQueue"))
        .map(|s| s.to_string())
        .collect();
    let c = td.definition.container;
    Ok(Some(Record {
        image: c.image,
        command: c.command,
        env: c.environment,
        secrets: c.secrets,
        access,
        tags,
    }))
}
