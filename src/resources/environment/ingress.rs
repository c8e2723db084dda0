//! The environment's shared load balancer against AWS: made after the cluster, read into
//! the `expansion` children the planner's `ingress` module renders, deleted before it.
//! Order of a create: security group, load balancer, certificate (requested, validated
//! through its DNS record, waited for), HTTPS listener, HTTP listener; the creating marker
//! is removed from the security group and the load balancer last. Delete: listeners, load
//! balancer, security group, certificate and its record.

use crate::backends::aws::acm;
use crate::backends::aws::elbv2::{
    self, DefaultAction, DesiredListener, DesiredLoadBalancer, ListenerProtocol, ObservedListener,
};
use crate::backends::aws::route53::{self, RecordType, RecordValue};
use crate::backends::aws::security_group::{
    self, DesiredSecurityGroup, ObservedSecurityGroup, Rule, RuleSource,
};
use crate::backends::ownership::Owner;
use crate::backends::{BackendError, cancellable};
use crate::context::CallContext;
use crate::planner::environment::IngressPlan;
use crate::planner::environment::ingress::{
    self as planned, CERTIFICATE_KEY, CertificatePlan, HTTP_LISTENER_KEY, HTTPS_LISTENER_KEY,
    LOAD_BALANCER_KEY, SECURITY_GROUP_KEY, VALIDATION_RECORD_KEY,
};
use crate::planner::naming;
use std::collections::BTreeMap;
use std::time::Duration;

/// How long an apply waits for ACM to issue a requested certificate once its validation
/// record is in the zone (AWS: usually minutes; up to 72 hours before ACM gives up).
const ISSUE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What the read saw, by expansion key: the observed settings of each child that exists.
pub(super) type Seen = BTreeMap<&'static str, BTreeMap<String, String>>;

fn desired_group(
    p: &IngressPlan,
    vpc_id: String,
    tags: &BTreeMap<String, String>,
) -> DesiredSecurityGroup {
    let rule = |port| Rule {
        port,
        source: RuleSource::Cidr("0.0.0.0/0".into()),
        description: format!(
            "{} from anywhere",
            if port == 443 { "HTTPS" } else { "HTTP" }
        ),
    };
    DesiredSecurityGroup {
        name: p.security_group_name.clone(),
        description: format!(
            "The shared load balancer of the environment's services ({}); made by terraform-provider-platform.",
            p.domain
        ),
        vpc_id,
        ingress: vec![rule(443), rule(80)],
        tags: tags.clone(),
    }
}

fn desired_load_balancer(
    p: &IngressPlan,
    group: &ObservedSecurityGroup,
    tags: &BTreeMap<String, String>,
) -> DesiredLoadBalancer {
    DesiredLoadBalancer {
        name: p.load_balancer_name.clone(),
        subnets: p.subnets.clone(),
        security_groups: vec![group.id.clone()],
        deletion_protection: p.deletion_protection,
        idle_timeout_seconds: p.idle_timeout_seconds as i32,
        tags: tags.clone(),
    }
}

fn https_listener(certificate_arn: String) -> DesiredListener {
    DesiredListener {
        port: 443,
        protocol: ListenerProtocol::Https {
            certificate_arn,
            ssl_policy: planned::SSL_POLICY.to_string(),
        },
        default_action: DefaultAction::FixedResponse { status: 404 },
    }
}

fn http_listener() -> DesiredListener {
    DesiredListener {
        port: 80,
        protocol: ListenerProtocol::Http,
        default_action: DefaultAction::RedirectToHttps,
    }
}

/// The token that makes a retried RequestCertificate return the certificate the first
/// attempt made (within the hour ACM remembers it): per environment and domain, since ACM
/// answers a repeated token with the first certificate whatever its domain. Word
/// characters only, at most 32.
fn idempotency_token(environment: &str, domain: &str) -> String {
    // FNV-1a, 64 bits: stable across Rust versions.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in domain.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let env: String = environment.replace('-', "_").chars().take(16).collect();
    format!("p{env}_{hash:016x}").chars().take(32).collect()
}

/// The tag a requested certificate is found again by.
fn owner_tag(environment: &str) -> (&'static str, &str) {
    (naming::TAG_ENVIRONMENT, environment)
}

/// Makes or converges every ingress child.
pub(super) async fn apply(
    p: &IngressPlan,
    region: &str,
    environment: &str,
    tags: &BTreeMap<String, String>,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let (ec2, elb) = (ctx.aws.ec2(region).await, ctx.aws.elbv2(region).await);
    cancellable(&ctx.cancel, async {
        let vpc = security_group::vpc_of_load_balancer_subnets(&ec2, &p.subnets).await?;
        let group_found = security_group::find(&ec2, &vpc, &p.security_group_name).await?;
        let lb_found = elbv2::find_load_balancer(&elb, &p.load_balancer_name).await?;
        let group =
            security_group::create_given(&ec2, &desired_group(p, vpc, tags), owner, group_found)
                .await?;
        let lb = elbv2::create_load_balancer_given(
            &elb,
            &desired_load_balancer(p, &group, tags),
            owner,
            lb_found,
        )
        .await?;
        let certificate_arn = match &p.certificate {
            CertificatePlan::Given(arn) => arn.clone(),
            CertificatePlan::Requested {
                domain,
                hosted_zone_id,
            } => {
                request_and_validate(domain, hosted_zone_id, region, environment, tags, ctx).await?
            }
        };
        let found = elbv2::listeners(&elb, &lb.arn).await?;
        for desired in [https_listener(certificate_arn), http_listener()] {
            match found.iter().find(|l| l.port == desired.port) {
                Some(l) if l.matches(&desired) => {}
                Some(l) => {
                    elbv2::update_listener(&elb, l, &desired).await?;
                }
                None => {
                    elbv2::create_listener(&elb, &lb.arn, &desired).await?;
                }
            }
        }
        security_group::finish(&ec2, &group).await?;
        elbv2::finish(&elb, &lb.arn, &lb.tags).await
    })
    .await
}

/// The certificate for `domain`: the one this environment requested before (a crashed
/// create, an earlier apply), else a new request; its validation record put in the zone;
/// then the wait until ACM issues it.
async fn request_and_validate(
    domain: &str,
    zone: &str,
    region: &str,
    environment: &str,
    tags: &BTreeMap<String, String>,
    ctx: &CallContext,
) -> Result<String, BackendError> {
    let client = ctx.aws.acm(region).await;
    let arn = match acm::find_by_domain_and_tag(&client, domain, owner_tag(environment)).await? {
        Some(c) => c.arn,
        None => {
            acm::request_certificate(
                &client,
                domain,
                tags,
                &idempotency_token(environment, domain),
            )
            .await?
        }
    };
    let cert = acm::with_validation_record(&client, &arn, &ctx.cancel).await?;
    if let Some(record) = &cert.validation_record {
        let r53 = ctx.aws.route53(region).await;
        let value = RecordValue::Cname {
            value: record.value.clone(),
            ttl: planned::VALIDATION_TTL_SECONDS,
        };
        let current = route53::find_record(&r53, zone, &record.name, RecordType::Cname).await?;
        if current.map(|c| c.value) != Some(value.clone()) {
            route53::upsert_record(&r53, zone, &record.name, &value).await?;
        }
    }
    acm::wait_issued(&client, &arn, ISSUE_TIMEOUT, &ctx.cancel).await?;
    Ok(arn)
}

fn rules_text(group: &ObservedSecurityGroup, desired: &DesiredSecurityGroup) -> String {
    let key = |r: &Rule| (r.port, r.source.clone());
    let mut seen: Vec<_> = group.ingress.iter().map(key).collect();
    let mut want: Vec<_> = desired.ingress.iter().map(key).collect();
    seen.sort();
    want.sort();
    if seen == want && group.other_ingress.is_empty() {
        return planned::SECURITY_GROUP_INGRESS.to_string();
    }
    let source = |s: &RuleSource| match s {
        RuleSource::Cidr(c) => c.clone(),
        RuleSource::Group(g) => g.clone(),
    };
    let mut parts: Vec<String> = seen
        .iter()
        .map(|(port, s)| format!("tcp/{port} from {}", source(s)))
        .collect();
    parts.extend(
        group
            .other_ingress
            .iter()
            .map(|r| format!("{} from {}", r.protocol, source(&r.source))),
    );
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn action_text(l: &ObservedListener) -> String {
    match l.default_action {
        Some(DefaultAction::FixedResponse { status: 404 }) if l.port == 443 => {
            planned::HTTPS_DEFAULT_ACTION.to_string()
        }
        Some(DefaultAction::RedirectToHttps) if l.port == 80 => {
            planned::HTTP_DEFAULT_ACTION.to_string()
        }
        Some(DefaultAction::FixedResponse { status }) => format!("fixed-response {status}"),
        Some(DefaultAction::RedirectToHttps) => "redirect to HTTPS:443 (301)".into(),
        None => "another action (changed outside Terraform)".into(),
    }
}

/// Reads every ingress child that exists, rendered as the planner renders it, so that a
/// change made outside Terraform shows as that child's drift.
pub(super) async fn read(
    p: &IngressPlan,
    region: &str,
    environment: &str,
    tags: &BTreeMap<String, String>,
    ctx: &CallContext,
) -> Result<Seen, BackendError> {
    let (ec2, elb) = (ctx.aws.ec2(region).await, ctx.aws.elbv2(region).await);
    cancellable(&ctx.cancel, async {
        let mut seen = Seen::new();
        let vpc = security_group::vpc_of_subnets(&ec2, &p.subnets).await?;
        if let Some(group) = security_group::find(&ec2, &vpc, &p.security_group_name).await? {
            let desired = desired_group(p, vpc.clone(), tags);
            seen.insert(
                SECURITY_GROUP_KEY,
                BTreeMap::from([("ingress".to_string(), rules_text(&group, &desired))]),
            );
        }
        let requested = match &p.certificate {
            CertificatePlan::Requested {
                domain,
                hosted_zone_id,
            } => {
                let client = ctx.aws.acm(region).await;
                let found =
                    acm::find_by_domain_and_tag(&client, domain, owner_tag(environment)).await?;
                if let Some(cert) = &found {
                    seen.insert(
                        CERTIFICATE_KEY,
                        BTreeMap::from([("domain".to_string(), cert.domain.clone())]),
                    );
                    if let Some(record) = &cert.validation_record {
                        let r53 = ctx.aws.route53(region).await;
                        if route53::find_record(
                            &r53,
                            hosted_zone_id,
                            &record.name,
                            RecordType::Cname,
                        )
                        .await?
                        .is_some()
                        {
                            seen.insert(VALIDATION_RECORD_KEY, BTreeMap::new());
                        }
                    }
                }
                found.map(|c| (c.arn, planned::requested_certificate(domain)))
            }
            CertificatePlan::Given(_) => None,
        };
        let Some(lb) = elbv2::find_load_balancer(&elb, &p.load_balancer_name).await? else {
            return Ok(seen);
        };
        let mut subnets = lb.subnets.clone();
        let mut want = p.subnets.clone();
        subnets.sort();
        want.sort();
        let subnets = if subnets == want {
            p.subnets.join(",")
        } else {
            subnets.join(",")
        };
        seen.insert(
            LOAD_BALANCER_KEY,
            BTreeMap::from([
                (
                    "deletion_protection".to_string(),
                    lb.deletion_protection.to_string(),
                ),
                (
                    "idle_timeout_seconds".to_string(),
                    lb.idle_timeout_seconds.to_string(),
                ),
                (
                    "access_logs".to_string(),
                    if lb.access_logs {
                        "enabled"
                    } else {
                        "disabled"
                    }
                    .to_string(),
                ),
                ("subnets".to_string(), subnets),
            ]),
        );
        for l in elbv2::listeners(&elb, &lb.arn).await? {
            let mut observed = BTreeMap::from([("default_action".to_string(), action_text(&l))]);
            let key = match (l.port, &l.protocol) {
                (
                    443,
                    Some(ListenerProtocol::Https {
                        certificate_arn,
                        ssl_policy,
                    }),
                ) => {
                    let shown = match &requested {
                        Some((arn, text)) if arn == certificate_arn => text.clone(),
                        _ => certificate_arn.clone(),
                    };
                    observed.insert("certificate".into(), shown);
                    observed.insert("ssl_policy".into(), ssl_policy.clone());
                    HTTPS_LISTENER_KEY
                }
                (80, Some(ListenerProtocol::Http)) => HTTP_LISTENER_KEY,
                // A listener on another port or protocol is not one of ours.
                _ => continue,
            };
            seen.insert(key, observed);
        }
        Ok(seen)
    })
    .await
}

/// What an update leaves behind when the ingress changed: with the block removed, every
/// ingress child (services can no longer be behind it: their plans refuse it); with a
/// requested certificate for another domain (or a certificate given instead), the old
/// certificate and its validation record, once the listener serves the new one.
pub(super) async fn leave_dropped(
    before: &IngressPlan,
    now: Option<&IngressPlan>,
    region: &str,
    environment: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let Some(now) = now else {
        return delete(before, region, environment, ctx).await;
    };
    match (&before.certificate, &now.certificate) {
        (
            CertificatePlan::Requested { domain: old, .. },
            CertificatePlan::Requested { domain, .. },
        ) if old == domain => Ok(()),
        (
            CertificatePlan::Requested {
                domain,
                hosted_zone_id,
            },
            _,
        ) => {
            cancellable(
                &ctx.cancel,
                delete_certificate(domain, hosted_zone_id, region, environment, ctx),
            )
            .await
        }
        _ => Ok(()),
    }
}

/// The certificate this environment requested for `domain`, and its validation record.
async fn delete_certificate(
    domain: &str,
    hosted_zone_id: &str,
    region: &str,
    environment: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let client = ctx.aws.acm(region).await;
    if let Some(cert) = acm::find_by_domain_and_tag(&client, domain, owner_tag(environment)).await?
    {
        if let Some(record) = &cert.validation_record {
            let r53 = ctx.aws.route53(region).await;
            route53::delete_record(&r53, hosted_zone_id, &record.name, RecordType::Cname).await?;
        }
        acm::delete(&client, &cert.arn, &ctx.cancel).await?;
    }
    Ok(())
}

/// Deletes every ingress child, listeners first; what is already gone counts as deleted.
/// A load balancer with deletion protection on is refused by the backend with the way out.
pub(super) async fn delete(
    p: &IngressPlan,
    region: &str,
    environment: &str,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let (ec2, elb) = (ctx.aws.ec2(region).await, ctx.aws.elbv2(region).await);
    cancellable(&ctx.cancel, async {
        if let Some(lb) = elbv2::find_load_balancer(&elb, &p.load_balancer_name).await? {
            for l in elbv2::listeners(&elb, &lb.arn).await? {
                elbv2::delete_listener(&elb, &l.arn).await?;
            }
            elbv2::delete_load_balancer(&elb, &lb).await?;
        }
        let vpc = security_group::vpc_of_subnets(&ec2, &p.subnets).await?;
        if let Some(group) = security_group::find(&ec2, &vpc, &p.security_group_name).await? {
            security_group::delete(&ec2, &group.id, &ctx.cancel).await?;
        }
        if let CertificatePlan::Requested {
            domain,
            hosted_zone_id,
        } = &p.certificate
        {
            delete_certificate(domain, hosted_zone_id, region, environment, ctx).await?;
        }
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_requests_for_two_domains_never_share_a_token() {
        let a = idempotency_token("production-eu-west-1", "*.api.example.com");
        let b = idempotency_token("production-eu-west-1", "*.v2.api.example.com");
        assert_ne!(a, b);
        for t in [&a, &b] {
            assert!(t.len() <= 32, "{t}");
            assert!(
                t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{t}"
            );
        }
        assert_eq!(
            a,
            idempotency_token("production-eu-west-1", "*.api.example.com")
        );
    }
}
