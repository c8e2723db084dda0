//! The `aws_fargate` expansion: execution role (unless the service brings one), log group,
//! task definition, service, autoscaling target and policy.

use super::iam::{self, RolePlan};
use super::*;

/// What ECS Fargate is asked for: the typed plan its backends build from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FargatePlan {
    /// The AWS region of the environment.
    pub region: String,
    /// The container's CloudWatch log group name, `/platform/<environment>/<name>`.
    pub log_group: String,
    /// The log group's retention, days.
    pub log_retention_days: i64,
    /// Task CPU, ECS units (1024 per vCPU).
    pub cpu_units: u32,
    /// Task memory, MiB.
    pub memory_mb: u32,
    /// The container's port; `None` for a worker.
    pub port: Option<i64>,
    /// The container's HTTP health check, if any.
    pub health_check: Option<HealthCheckPlan>,
    /// The environment's ECS cluster.
    pub cluster: String,
    /// Tasks to run (`scaling.min`).
    pub desired_count: i64,
    /// `FARGATE` or `FARGATE_SPOT`, the tier's default.
    pub capacity_provider: String,
    /// Target-tracking autoscaling.
    pub scaling: ScalingPlan,
    /// The execution role the platform makes, unless `execution_role_arn` is given.
    pub execution_role: Option<RolePlan>,
    /// The task role `access` makes, if any.
    pub task_role: Option<RolePlan>,
    /// How ECS rolls out a new revision.
    pub deployment: DeploymentPlan,
    /// The image the task definition runs ([`ServiceInput::effective_image`]).
    pub image: String,
    /// The service's place on the environment's shared load balancer.
    pub ingress: Option<super::ingress::ServiceIngressPlan>,
}

/// ECS deployment settings of a service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentPlan {
    /// The deployment circuit breaker is on.
    pub circuit_breaker: bool,
    /// A deployment it stopped rolls back.
    pub rollback: bool,
    /// The apply waits for the steady state, this many minutes at most; `None`: no wait.
    pub wait_minutes: Option<i64>,
}

/// An HTTP health check: path and interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheckPlan {
    /// The path probed, e.g. `/healthz`.
    pub path: String,
    /// Seconds between probes.
    pub interval_seconds: i64,
}

/// Fargate's target-tracking autoscaling on average CPU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScalingPlan {
    /// Fewest tasks.
    pub min: i64,
    /// Most tasks.
    pub max: i64,
    /// The average CPU utilisation to hold, percent.
    pub target_cpu_percent: i64,
    /// Seconds after a scale-out before the next.
    pub scale_out_cooldown_seconds: i64,
    /// Seconds after a scale-in before the next.
    pub scale_in_cooldown_seconds: i64,
}

impl HealthCheckPlan {
    pub(super) fn of(r: &Resolved) -> Option<Self> {
        r.health_check.as_ref().map(|check| HealthCheckPlan {
            path: check.path.clone(),
            interval_seconds: check.interval_seconds.0,
        })
    }
}

pub(super) fn expand_fargate(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
    warnings: &mut Vec<Violation>,
    unknown: &mut BTreeMap<String, BTreeSet<String>>,
) -> (Vec<Child>, Option<String>, Option<HostPlan>) {
    let ctx = &input.environment;
    let host = Host::AwsFargate;
    let tier = tier_default(ctx);
    let tier_defaults = ctx.tier.defaults();
    let Size::Fargate { cpu, memory_mb } = &r.size else {
        return (Vec::new(), None, None);
    };
    // The tier says whether failing deployments are stopped; rollback follows the breaker.
    let breaker = match input.deployment.circuit_breaker {
        Some(on) => (on, Source::Config),
        None => (tier_defaults.deployment_circuit_breaker, tier),
    };
    let rollback = match input.deployment.rollback {
        Some(on) => (on, Source::Config),
        None => (breaker.0, Source::Derived),
    };
    let ingress = super::ingress::expand_ingress(input, r, cloud_name);
    let p = FargatePlan {
        region: ctx.region.clone(),
        // The container's log group is a child of its own: created first, deleted last,
        // its retention read back so that a change out of band shows in the next plan.
        log_group: format!("/platform/{}/{}", ctx.name, input.name),
        log_retention_days: ctx.policy.log_retention_days,
        cpu_units: cpu.0.units(),
        memory_mb: memory_mb.0,
        port: r.port.map(|p| p.0),
        health_check: HealthCheckPlan::of(r),
        cluster: ctx.cluster_name.clone(),
        desired_count: r.scaling.min.0,
        capacity_provider: ctx.tier.defaults().default_capacity_provider.to_string(),
        scaling: ScalingPlan {
            min: r.scaling.min.0,
            max: r.scaling.max.0,
            target_cpu_percent: r.scaling.target_cpu_percent.0,
            scale_out_cooldown_seconds: r.scaling.scale_out_cooldown_seconds.0,
            scale_in_cooldown_seconds: r.scaling.scale_in_cooldown_seconds.0,
        },
        execution_role: input.execution_role_arn.is_none().then(|| {
            iam::execution_role(
                iam::execution_role_name(cloud_name),
                &ctx.region,
                input.effective_image().0,
                &format!("/platform/{}/{}", ctx.name, input.name),
                input.secrets.values().map(String::as_str),
            )
        }),
        image: input.effective_image().0.to_string(),
        ingress: ingress.as_ref().map(|(plan, _)| plan.clone()),
        deployment: DeploymentPlan {
            circuit_breaker: breaker.0,
            rollback: rollback.0,
            wait_minutes: (input.deployment.wait_for_steady_state == Some(true)).then(|| {
                input
                    .deployment
                    .timeout_minutes
                    .unwrap_or(crate::planner::limits::DEPLOYMENT_TIMEOUT_MINUTES_DEFAULT)
            }),
        },
        // Validation accepted every grant: the ones that do not parse are not planned.
        task_role: (!input.access.is_empty()).then(|| {
            iam::task_role(
                iam::task_role_name(cloud_name),
                input
                    .access
                    .iter()
                    .filter_map(|g| iam::grant(g).ok())
                    .flatten()
                    .collect(),
            )
        }),
    };

    // The role ECS pulls the image, writes the logs and reads the secrets with: the
    // service's own, allowing exactly that, or the one the configuration names.
    let role = p.execution_role.as_ref().map(|role| {
        let mut settings = Settings::default();
        settings
            .set("name", &role.name, Source::Derived)
            .set("assumed_by", &role.principal, Source::Fixed)
            .set("policy", role.policy.to_json(), Source::Derived);
        if !input.unknown.secrets.is_empty() {
            settings.unknown("policy");
        }
        settings.child_noting_unknown(
            unknown,
            EXECUTION_ROLE_KEY,
            host.provider(),
            "iam_role",
            &role.name,
            0.0,
        )
    });
    // The role the service's code runs as: exactly the grants of `access`.
    let task_role = p.task_role.as_ref().map(|role| {
        let mut settings = Settings::default();
        settings
            .set("name", &role.name, Source::Derived)
            .set("assumed_by", &role.principal, Source::Fixed)
            .set("policy", role.policy.to_json(), Source::Config);
        settings.child_noting_unknown(
            unknown,
            TASK_ROLE_KEY,
            host.provider(),
            "iam_role",
            &role.name,
            0.0,
        )
    });

    // The children's settings render `p`; the sources come from the resolution.
    let log_group_name = p.log_group.as_str();
    let mut log_group = Settings::default();
    log_group
        .set("name", log_group_name, Source::Derived)
        .set("region", &p.region, Source::Environment)
        .set(
            "retention_days",
            p.log_retention_days,
            inherited(ctx, "log_retention_days"),
        );

    let image = input.effective_image();
    let mut task = Settings::default();
    // Names follow from the environment's and the service's; the launch type, network
    // mode, platform and log driver are the provider's design, the same in every tier.
    task.set("family", cloud_name, Source::Derived)
        .set("requires_compatibilities", "FARGATE", Source::Fixed)
        .set("network_mode", "awsvpc", Source::Fixed)
        .set("runtime_platform", "LINUX/X86_64", Source::Fixed)
        .set("cpu", p.cpu_units, cpu.1)
        .set("memory", p.memory_mb, memory_mb.1)
        .set("container.name", &input.name, Source::Config)
        .set("container.image", image.0, image.1)
        .set("log.driver", "awslogs", Source::Fixed)
        .set("log.group", log_group_name, Source::Derived)
        .set("log.region", &p.region, Source::Environment);
    if let Some((port, source)) = r.port {
        task.set("container.port", port, source);
    }
    // A role of the configuration's own is the `execution_role_arn` input, shown there.
    if let Some(role) = &p.execution_role {
        task.set("execution_role", &role.name, Source::Derived);
    }
    if let Some(role) = &p.task_role {
        task.set("task_role", &role.name, Source::Derived);
    }
    set_variables(&mut task, "container.", input);
    for (name, reference) in &input.secrets {
        let key = format!("container.secrets.{name}");
        task.set(&key, reference, Source::Config);
        if input.unknown.secrets.contains(name) {
            task.unknown(&key);
        }
    }
    if let (Some(check), Some(resolved), Some(port)) = (&p.health_check, &r.health_check, p.port) {
        // ECS health checks run inside the container, so the image needs curl.
        task.set(
            "container.health_check.command",
            format!(
                "CMD-SHELL curl -fsS http://localhost:{}{} || exit 1",
                port, check.path
            ),
            Source::Derived,
        )
        .set(
            "container.health_check.interval_seconds",
            check.interval_seconds,
            resolved.interval_seconds.1,
        );
    }

    let spot = p.capacity_provider == "FARGATE_SPOT";
    let per_task = prices::fargate_task_monthly(
        &ctx.region,
        cpu.0.vcpus(),
        f64::from(p.memory_mb) / 1024.0,
        spot,
    );
    if per_task.is_none() {
        warnings.push(messages::no_price_estimate(
            AttributePath::root(),
            "AWS Fargate",
            &ctx.region,
        ));
    }
    let tasks = p.desired_count;
    let service_cost = per_task.unwrap_or(0.0) * tasks as f64;
    let mut service = Settings::default();
    service
        .set("cluster", &p.cluster, Source::Environment)
        .set("task_definition", cloud_name, Source::Derived)
        .set("launch", "FARGATE", Source::Fixed)
        .set("capacity_provider", &p.capacity_provider, tier)
        .set("desired_count", tasks, r.scaling.min.1)
        .set(
            "network.subnets",
            ctx.network.subnet_ids.join(","),
            Source::Environment,
        )
        .set(
            "network.security_groups",
            ctx.network.security_group_ids.join(","),
            Source::Environment,
        )
        .set(
            "network.assign_public_ip",
            ctx.network.assign_public_ip,
            Source::Environment,
        )
        .set("deployment.circuit_breaker", breaker.0, breaker.1)
        .set("deployment.rollback", rollback.0, rollback.1);
    if let Some((plan, _)) = &ingress {
        service
            .set(
                "load_balancer",
                format!("{}:{}:{}", plan.target_group, input.name, plan.port),
                Source::Derived,
            )
            .set(
                "health_check_grace_period_seconds",
                super::ingress::HEALTH_CHECK_GRACE_PERIOD_SECONDS,
                Source::Fixed,
            );
    }

    let resource_id = format!("service/{}/{cloud_name}", p.cluster);
    let mut target = Settings::default();
    target
        .set("service_namespace", "ecs", Source::Fixed)
        .set(
            "scalable_dimension",
            "ecs:service:DesiredCount",
            Source::Fixed,
        )
        .set("min_capacity", p.scaling.min, r.scaling.min.1)
        .set("max_capacity", p.scaling.max, r.scaling.max.1);

    let mut policy = Settings::default();
    policy
        .set("policy_type", "TargetTrackingScaling", Source::Fixed)
        .set("resource_id", &resource_id, Source::Derived)
        .set("metric", "ECSServiceAverageCPUUtilization", Source::Fixed)
        .set(
            "target_value",
            p.scaling.target_cpu_percent,
            r.scaling.target_cpu_percent.1,
        )
        .set(
            "scale_out_cooldown_seconds",
            p.scaling.scale_out_cooldown_seconds,
            r.scaling.scale_out_cooldown_seconds.1,
        )
        .set(
            "scale_in_cooldown_seconds",
            p.scaling.scale_in_cooldown_seconds,
            r.scaling.scale_in_cooldown_seconds.1,
        );

    let children = role.into_iter().chain(task_role).chain([
        // Logs are priced by use (ingestion and storage), which the plan cannot know.
        log_group.child_noting_unknown(
            unknown,
            "log_group",
            host.provider(),
            "cloudwatch_log_group",
            log_group_name,
            0.0,
        ),
        task.child_noting_unknown(
            unknown,
            "ecs_task_definition",
            host.provider(),
            "ecs_task_definition",
            cloud_name,
            0.0,
        ),
        service.child_noting_unknown(
            unknown,
            "ecs_service",
            host.provider(),
            "ecs_service",
            cloud_name,
            service_cost,
        ),
        target.child_noting_unknown(
            unknown,
            "autoscaling_target",
            host.provider(),
            "autoscaling_target",
            &resource_id,
            0.0,
        ),
        policy.child_noting_unknown(
            unknown,
            "autoscaling_policy",
            host.provider(),
            "autoscaling_policy",
            &format!("{cloud_name}-cpu"),
            0.0,
        ),
    ]);
    let mut children: Vec<Child> = children.collect();
    // Without ingress a Fargate service has no URL of its own; with it, its hostname's.
    let url = ingress.map(|(plan, ingress_children)| {
        children.extend(ingress_children);
        super::ingress::url(&plan.hostname, plan.path.as_deref())
    });
    (children, url, Some(HostPlan::Fargate(Box::new(p))))
}
