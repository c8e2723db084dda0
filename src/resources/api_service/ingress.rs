//! A Fargate service's place on its environment's shared load balancer, against AWS.
//! Apply: before the service, the target group, the listener rule (its priority probed
//! from a hash of the service name) and the task security group's admission of the load
//! balancer's group; after it, the alias record. Delete, after the service: the record,
//! the rule, the target group, and the admission unless another service on the load
//! balancer still listens on the same port. The load balancer and its HTTPS listener are
//! the environment's, found by name.

use crate::backends::aws::elbv2::{self, DesiredRule, DesiredTargetGroup, ObservedLoadBalancer};
use crate::backends::aws::route53::{self, RecordType, RecordValue};
use crate::backends::aws::rule_priority;
use crate::backends::aws::security_group::{self, Rule, RuleSource};
use crate::backends::ownership::Owner;
use crate::backends::{BackendError, cancellable};
use crate::context::CallContext;
use crate::planner::api_service::ingress::{
    DEREGISTRATION_DELAY_SECONDS, DNS_RECORD_KEY, HEALTHY_THRESHOLD, LISTENER_RULE_KEY,
    ServiceIngressPlan, TARGET_GROUP_KEY, TASK_INGRESS_KEY, UNHEALTHY_THRESHOLD,
};
use std::collections::BTreeMap;

/// What the backend is asked to make, from the planner's typed plan.
#[derive(Debug, Clone)]
pub(super) struct IngressDesired {
    pub(super) plan: ServiceIngressPlan,
    /// `<environment>-<service>`: the rule's priority is hashed from it.
    pub(super) cloud_name: String,
    /// The task security group that admits the load balancer's (the environment's first).
    pub(super) task_security_group: Option<String>,
    pub(super) tags: BTreeMap<String, String>,
}

/// What the service attaches to.
pub(super) struct Attached {
    pub(super) target_group_arn: String,
    pub(super) load_balancer: ObservedLoadBalancer,
}

/// Read children, by expansion key, with their observed settings.
pub(super) type Seen = BTreeMap<&'static str, BTreeMap<String, String>>;

fn target_group(d: &IngressDesired, vpc_id: &str) -> DesiredTargetGroup {
    let p = &d.plan;
    DesiredTargetGroup {
        name: p.target_group.clone(),
        port: p.port as i32,
        vpc_id: vpc_id.to_string(),
        health_check_path: p.health_check_path.clone(),
        interval_seconds: p.health_check_interval_seconds as i32,
        healthy_threshold: HEALTHY_THRESHOLD as i32,
        unhealthy_threshold: UNHEALTHY_THRESHOLD as i32,
        deregistration_delay_seconds: DEREGISTRATION_DELAY_SECONDS as i32,
        tags: d.tags.clone(),
    }
}

fn rule(d: &IngressDesired, listener_arn: &str, target_group_arn: &str) -> DesiredRule {
    DesiredRule {
        listener_arn: listener_arn.to_string(),
        priority: rule_priority::preferred(&d.cloud_name),
        host: d.plan.hostname.clone(),
        path: d.plan.path.clone(),
        target_group_arn: target_group_arn.to_string(),
        tags: d.tags.clone(),
    }
}

/// The environment's load balancer and its HTTPS listener's ARN; refused, with the way
/// out, when the environment has not made them.
async fn load_balancer(
    elb: &aws_sdk_elasticloadbalancingv2::Client,
    d: &IngressDesired,
) -> Result<(ObservedLoadBalancer, String), BackendError> {
    let missing = |what: &str| {
        BackendError::Refused(format!(
            "the environment's load balancer `{}` {what}. Apply the environment with its `ingress` block first (in one apply, this service's `environment = platform_environment.<name>.context` orders it so)",
            d.plan.load_balancer
        ))
    };
    let lb = elbv2::find_load_balancer(elb, &d.plan.load_balancer)
        .await?
        .ok_or_else(|| missing("does not exist"))?;
    let https = elbv2::listeners(elb, &lb.arn)
        .await?
        .into_iter()
        .find(|l| l.port == 443)
        .ok_or_else(|| missing("has no HTTPS listener"))?;
    Ok((lb, https.arn))
}

/// The target group, the rule and the admission, before the service attaches.
pub(super) async fn attach(
    d: &IngressDesired,
    region: &str,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<Attached, BackendError> {
    let (elb, ec2) = (ctx.aws.elbv2(region).await, ctx.aws.ec2(region).await);
    let (lb, listener) = load_balancer(&elb, d).await?;
    let found = elbv2::find_target_group(&elb, &d.plan.target_group).await?;
    let tg =
        elbv2::create_target_group_given(&elb, &target_group(d, &lb.vpc_id), owner, found).await?;
    let desired = rule(d, &listener, &tg.arn);
    let rules = elbv2::rules(&elb, &listener).await?;
    match rules
        .iter()
        .find(|r| r.target_group_arn.as_deref() == Some(tg.arn.as_str()))
    {
        Some(ours) if ours.routes_as(&desired) => {}
        Some(ours) => {
            elbv2::update_rule(&elb, ours, &desired).await?;
        }
        None => {
            let taken: Vec<i32> = rules.iter().map(|r| r.priority).collect();
            rule_priority::create_rule_probing(&elb, desired, &d.cloud_name, owner, &taken).await?;
        }
    }
    if let Some(task_group) = &d.task_security_group {
        let alb_group = security_group::find(&ec2, &lb.vpc_id, &d.plan.load_balancer_security_group)
            .await?
            .ok_or_else(|| {
                BackendError::Refused(format!(
                    "the security group `{}` of the environment's load balancer does not exist; apply the environment again",
                    d.plan.load_balancer_security_group
                ))
            })?;
        security_group::authorize_ingress(
            &ec2,
            task_group,
            &[Rule {
                port: d.plan.port as i32,
                source: RuleSource::Group(alb_group.id),
                description: format!("{} from its load balancer", d.cloud_name),
            }],
        )
        .await?;
    }
    elbv2::finish(&elb, &tg.arn, &tg.tags).await?;
    Ok(Attached {
        target_group_arn: tg.arn,
        load_balancer: lb,
    })
}

/// The alias record of the hostname, once the service answers behind the load balancer.
pub(super) async fn publish(
    d: &IngressDesired,
    attached: &Attached,
    region: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let Some(zone) = &d.plan.hosted_zone_id else {
        return Ok(());
    };
    let r53 = ctx.aws.route53(region).await;
    let value = RecordValue::Alias {
        dns_name: attached.load_balancer.dns_name.clone(),
        hosted_zone_id: attached.load_balancer.canonical_hosted_zone_id.clone(),
    };
    let current = route53::find_record(&r53, zone, &d.plan.hostname, RecordType::A).await?;
    if current.is_none_or(|c| !c.value.same_as(&value)) {
        route53::upsert_record(&r53, zone, &d.plan.hostname, &value).await?;
    }
    Ok(())
}

/// Reads the children that exist, rendered as the planner renders them.
pub(super) async fn read(
    d: &IngressDesired,
    region: &str,
    ctx: &CallContext,
) -> Result<Seen, BackendError> {
    let elb = ctx.aws.elbv2(region).await;
    cancellable(&ctx.cancel, async {
        let mut seen = Seen::new();
        let Some(tg) = elbv2::find_target_group(&elb, &d.plan.target_group).await? else {
            return Ok(seen);
        };
        seen.insert(
            TARGET_GROUP_KEY,
            BTreeMap::from([
                ("port".to_string(), tg.port.to_string()),
                (
                    "health_check.path".to_string(),
                    tg.health_check_path.clone(),
                ),
                (
                    "health_check.interval_seconds".to_string(),
                    tg.interval_seconds.to_string(),
                ),
                (
                    "health_check.healthy_threshold".to_string(),
                    tg.healthy_threshold.to_string(),
                ),
                (
                    "health_check.unhealthy_threshold".to_string(),
                    tg.unhealthy_threshold.to_string(),
                ),
                (
                    "deregistration_delay_seconds".to_string(),
                    tg.deregistration_delay_seconds.to_string(),
                ),
            ]),
        );
        // The admission is a rule in a group the user owns: not read back (see the docs).
        seen.insert(TASK_INGRESS_KEY, BTreeMap::new());
        if let Ok((lb, listener)) = load_balancer(&elb, d).await {
            if let Some(r) = elbv2::rules(&elb, &listener)
                .await?
                .into_iter()
                .find(|r| r.target_group_arn.as_deref() == Some(tg.arn.as_str()))
            {
                seen.insert(
                    LISTENER_RULE_KEY,
                    BTreeMap::from([
                        ("host".to_string(), r.hosts.join(",")),
                        (
                            "path".to_string(),
                            r.paths
                                .first()
                                .cloned()
                                .unwrap_or_else(|| "every path".to_string()),
                        ),
                    ]),
                );
            }
            if let Some(zone) = &d.plan.hosted_zone_id {
                let r53 = ctx.aws.route53(region).await;
                let want = RecordValue::Alias {
                    dns_name: lb.dns_name.clone(),
                    hosted_zone_id: lb.canonical_hosted_zone_id.clone(),
                };
                match route53::find_record(&r53, zone, &d.plan.hostname, RecordType::A).await? {
                    Some(r) if r.value.same_as(&want) => {
                        seen.insert(DNS_RECORD_KEY, BTreeMap::new());
                    }
                    Some(_) => {
                        seen.insert(
                            DNS_RECORD_KEY,
                            BTreeMap::from([(
                                "target".to_string(),
                                "another target (changed outside Terraform)".to_string(),
                            )]),
                        );
                    }
                    None => {}
                }
            }
        }
        Ok(seen)
    })
    .await
}

/// What an update leaves behind when the service's ingress changed: with the block
/// removed, the whole place on the load balancer (the service no longer attaches to it,
/// the apply having just updated it); with another hostname, the old alias record.
pub(super) async fn leave_dropped(
    before: Option<&IngressDesired>,
    now: Option<&IngressDesired>,
    region: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let Some(before) = before else {
        return Ok(());
    };
    match now {
        None => detach(before, region, ctx).await,
        Some(now) if now.plan.hostname != before.plan.hostname => {
            let Some(zone) = &before.plan.hosted_zone_id else {
                return Ok(());
            };
            let r53 = ctx.aws.route53(region).await;
            cancellable(
                &ctx.cancel,
                route53::delete_record(&r53, zone, &before.plan.hostname, RecordType::A),
            )
            .await
        }
        Some(_) => Ok(()),
    }
}

/// Removes the service from the load balancer, after the service is gone: the record,
/// the rule, the target group, the admission. What is already gone counts as removed.
pub(super) async fn detach(
    d: &IngressDesired,
    region: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let (elb, ec2) = (ctx.aws.elbv2(region).await, ctx.aws.ec2(region).await);
    cancellable(&ctx.cancel, async {
        if let Some(zone) = &d.plan.hosted_zone_id {
            let r53 = ctx.aws.route53(region).await;
            route53::delete_record(&r53, zone, &d.plan.hostname, RecordType::A).await?;
        }
        let lb = elbv2::find_load_balancer(&elb, &d.plan.load_balancer).await?;
        let Some(tg) = elbv2::find_target_group(&elb, &d.plan.target_group).await? else {
            return Ok(());
        };
        // Target groups of the other services on the load balancer: the admission of the
        // load balancer's group on a port is shared by every service on that port.
        let mut others = Vec::new();
        if let Some(lb) = &lb {
            for l in elbv2::listeners(&elb, &lb.arn).await? {
                for r in elbv2::rules(&elb, &l.arn).await? {
                    match r.target_group_arn {
                        Some(arn) if arn == tg.arn => elbv2::delete_rule(&elb, &r.arn).await?,
                        Some(arn) => others.push(arn),
                        None => {}
                    }
                }
            }
        }
        elbv2::delete_target_group(&elb, &tg.arn).await?;
        let port_still_used = elbv2::target_group_ports(&elb, &others)
            .await?
            .contains(&(d.plan.port as i32));
        if port_still_used {
            return Ok(());
        }
        if let (Some(task_group), Some(lb)) = (&d.task_security_group, &lb)
            && let Some(alb_group) =
                security_group::find(&ec2, &lb.vpc_id, &d.plan.load_balancer_security_group).await?
        {
            security_group::revoke_ingress(
                &ec2,
                task_group,
                &[Rule {
                    port: d.plan.port as i32,
                    source: RuleSource::Group(alb_group.id),
                    description: String::new(),
                }],
            )
            .await?;
        }
        Ok(())
    })
    .await
}
