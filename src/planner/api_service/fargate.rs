//! The `aws_fargate` expansion: log group, task definition, service, autoscaling target and policy.

use super::*;

pub(super) fn expand_fargate(
    input: &ServiceInput,
    r: &Resolved,
    cloud_name: &str,
    warnings: &mut Vec<Violation>,
) -> (Vec<Child>, Option<String>) {
    let ctx = &input.environment;
    let host = Host::AwsFargate;
    let tier = tier_default(ctx);
    let Size::Fargate { cpu, memory_mb } = &r.size else {
        return (Vec::new(), None);
    };

    // The container's log group is a child of its own: created first, deleted last, its
    // retention read back so that a change out of band shows in the next plan.
    let log_group_name = format!("/platform/{}/{}", ctx.name, input.name);
    let mut log_group = Settings::default();
    log_group
        .set("name", &log_group_name, Source::Config)
        .set("region", &ctx.region, Source::Environment)
        .set(
            "retention_days",
            ctx.policy.log_retention_days,
            inherited(ctx, "log_retention_days"),
        );

    let mut task = Settings::default();
    task.set("family", cloud_name, Source::Config)
        .set("requires_compatibilities", "FARGATE", tier)
        .set("network_mode", "awsvpc", tier)
        .set("runtime_platform", "LINUX/X86_64", tier)
        .set("cpu", cpu.0.units(), cpu.1)
        .set("memory", memory_mb.0, memory_mb.1)
        .set("container.name", &input.name, Source::Config)
        .set(
            "container.image",
            input.image.as_deref().unwrap_or_default(),
            Source::Config,
        )
        .set("container.port", r.port.0, r.port.1)
        .set("log.driver", "awslogs", tier)
        .set("log.group", &log_group_name, Source::Config)
        .set("log.region", &ctx.region, Source::Environment);
    set_variables(&mut task, "container.", input);
    for (name, reference) in &input.secrets {
        task.set(
            &format!("container.secrets.{name}"),
            reference,
            Source::Config,
        );
    }
    if let Some(check) = &r.health_check {
        // ECS health checks run inside the container, so the image needs curl.
        task.set(
            "container.health_check.command",
            format!(
                "CMD-SHELL curl -fsS http://localhost:{}{} || exit 1",
                r.port.0, check.path
            ),
            Source::Config,
        )
        .set(
            "container.health_check.interval_seconds",
            check.interval_seconds.0,
            check.interval_seconds.1,
        );
    }

    let spot = ctx.tier.defaults().default_capacity_provider == "FARGATE_SPOT";
    let per_task = prices::fargate_task_monthly(
        &ctx.region,
        cpu.0.vcpus(),
        f64::from(memory_mb.0) / 1024.0,
        spot,
    );
    if per_task.is_none() {
        warnings.push(messages::no_price_estimate(
            AttributePath::root(),
            "AWS Fargate",
            &ctx.region,
        ));
    }
    let tasks = r.scaling.min.0;
    let service_cost = per_task.unwrap_or(0.0) * tasks as f64;
    let mut service = Settings::default();
    service
        .set("cluster", &ctx.cluster_name, Source::Environment)
        .set("task_definition", cloud_name, Source::Config)
        .set("launch", "FARGATE", tier)
        .set(
            "capacity_provider",
            ctx.tier.defaults().default_capacity_provider,
            tier,
        )
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
        );

    let resource_id = format!("service/{}/{cloud_name}", ctx.cluster_name);
    let mut target = Settings::default();
    target
        .set("service_namespace", "ecs", tier)
        .set("scalable_dimension", "ecs:service:DesiredCount", tier)
        .set("min_capacity", r.scaling.min.0, r.scaling.min.1)
        .set("max_capacity", r.scaling.max.0, r.scaling.max.1);

    let mut policy = Settings::default();
    policy
        .set("policy_type", "TargetTrackingScaling", tier)
        .set("resource_id", &resource_id, Source::Config)
        .set("metric", "ECSServiceAverageCPUUtilization", tier)
        .set(
            "target_value",
            r.scaling.target_cpu_percent.0,
            r.scaling.target_cpu_percent.1,
        )
        .set(
            "scale_out_cooldown_seconds",
            r.scaling.scale_out_cooldown_seconds.0,
            r.scaling.scale_out_cooldown_seconds.1,
        )
        .set(
            "scale_in_cooldown_seconds",
            r.scaling.scale_in_cooldown_seconds.0,
            r.scaling.scale_in_cooldown_seconds.1,
        );

    let children = vec![
        // Logs are priced by use (ingestion and storage), which the plan cannot know.
        log_group.child(
            "log_group",
            host,
            "cloudwatch_log_group",
            &log_group_name,
            0.0,
        ),
        task.child(
            "ecs_task_definition",
            host,
            "ecs_task_definition",
            cloud_name,
            0.0,
        ),
        service.child("ecs_service", host, "ecs_service", cloud_name, service_cost),
        target.child(
            "autoscaling_target",
            host,
            "autoscaling_target",
            &resource_id,
            0.0,
        ),
        policy.child(
            "autoscaling_policy",
            host,
            "autoscaling_policy",
            &format!("{cloud_name}-cpu"),
            0.0,
        ),
    ];
    // A Fargate service has no public URL of its own: no load balancer is part of it.
    (children, None)
}
