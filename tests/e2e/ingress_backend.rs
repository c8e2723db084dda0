//! The ingress backends (security groups, the shared load balancer and its listeners, a
//! service's target group and listener rule, the ACM certificate and the Route 53 records)
//! called directly against a private moto server: the subnets' VPC → security group
//! create, adopt, rules brought to the desired ones → load balancer in two subnets → a
//! certificate for `*.example.test` validated through a hosted zone → HTTPS and redirect
//! listeners → target group → rule, and a second rule at the same priority answered with
//! the typed `PriorityInUse` → what someone else made under our names is refused →
//! everything deleted in order (twice), and moto holds none of it. Then rule priorities
//! probed past taken ones: sequentially, and by two concurrent creates whose keys prefer
//! the same priority.

use crate::harness::{self, Aws, Moto, block_on};
use aws_sdk_acm::types::CertificateStatus;
use std::collections::BTreeMap;
use std::time::Duration;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::acm;
use terraform_provider_platform::backends::aws::elbv2::{
    self, DefaultAction, DesiredListener, DesiredLoadBalancer, DesiredRule, DesiredTargetGroup,
    ListenerProtocol, RuleCreated,
};
use terraform_provider_platform::backends::aws::route53::{self, RecordType, RecordValue};
use terraform_provider_platform::backends::aws::rule_priority;
use terraform_provider_platform::backends::aws::security_group::{
    self, DesiredSecurityGroup, Rule, RuleSource,
};
use terraform_provider_platform::backends::ownership::{self, Owner};
use tokio_util::sync::CancellationToken;

const ENV: &str = "ingdev";
const LB: &str = "ingdev-ingress";
const TG: &str = "ingdev-api";
const ZONE: &str = "example.test";
const HOST: &str = "api.example.test";
/// The environment in state: children carrying its owner tag are its own.
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
        ("platform:component", "ingress"),
        ("managed-by", "terraform-provider-platform"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn refusal(r: Result<impl std::fmt::Debug, BackendError>) -> String {
    match r {
        Err(BackendError::Conflict(m) | BackendError::Refused(m)) => m,
        Err(BackendError::Taken(t)) => t.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn rule(port: i32, source: RuleSource) -> Rule {
    Rule {
        port,
        source,
        description: String::new(),
    }
}

fn keys(rules: &[Rule]) -> Vec<(i32, RuleSource)> {
    let mut k: Vec<_> = rules.iter().map(|r| (r.port, r.source.clone())).collect();
    k.sort();
    k
}

#[test]
fn ingress_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let cancel = CancellationToken::new();
    let network = harness::Network::create(&c.ec2).await;
    let task_sg = network.security_groups[0].clone();
    let subnet_a = network.subnets[0].clone();
    let described = c
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet_a)
        .send()
        .await
        .expect("DescribeSubnets");
    let vpc_of_a = described.subnets()[0].vpc_id().expect("a VPC").to_string();
    // A load balancer's subnets are in distinct zones; moto puts the harness's subnet in
    // a zone of its choosing.
    let zone_of_a = described.subnets()[0]
        .availability_zone()
        .expect("a zone")
        .to_string();
    let mut other_zones = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]
        .into_iter()
        .filter(|z| *z != zone_of_a);
    let (zone_b, zone_c) = (other_zones.next().unwrap(), other_zones.next().unwrap());
    let subnet_b = c
        .ec2
        .create_subnet()
        .vpc_id(&vpc_of_a)
        .cidr_block("10.42.2.0/24")
        .availability_zone(zone_b)
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("a subnet id")
        .to_string();
    let subnets = vec![subnet_a.clone(), subnet_b.clone()];

    // 0. The subnets' one VPC; missing subnets and subnets of several VPCs are refused.
    let vpc = security_group::vpc_of_load_balancer_subnets(&c.ec2, &subnets)
        .await
        .expect("the VPC");
    let message = refusal(
        security_group::vpc_of_load_balancer_subnets(&c.ec2, std::slice::from_ref(&subnet_a)).await,
    );
    assert!(message.contains("at least two"), "{message}");
    assert_eq!(vpc, vpc_of_a);
    let message = refusal(
        security_group::vpc_of_subnets(&c.ec2, &[subnet_a.clone(), "subnet-0d15ea5e".into()]).await,
    );
    assert!(message.contains("`subnet-0d15ea5e`"), "{message}");
    let other_vpc = c
        .ec2
        .create_vpc()
        .cidr_block("10.43.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("a VPC id")
        .to_string();
    let elsewhere = c
        .ec2
        .create_subnet()
        .vpc_id(&other_vpc)
        .cidr_block("10.43.1.0/24")
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("a subnet id")
        .to_string();
    let message = refusal(
        security_group::vpc_of_subnets(&c.ec2, &[subnet_a.clone(), elsewhere.clone()]).await,
    );
    assert!(message.contains("several VPCs"), "{message}");
    assert!(
        message.contains(&other_vpc) && message.contains(&vpc),
        "{message}"
    );

    // 1. The load balancer's security group: created marked, a retried create adopts it,
    //    rules brought to exactly the desired ones (an out-of-band rule is revoked).
    let anywhere = RuleSource::Cidr("0.0.0.0/0".into());
    let mut sg_desired = DesiredSecurityGroup {
        name: LB.into(),
        description: "ingdev shared load balancer".into(),
        vpc_id: vpc.clone(),
        ingress: vec![rule(443, anywhere.clone()), rule(80, anywhere.clone())],
        tags: tags(),
    };
    assert!(
        security_group::find(&c.ec2, &vpc, LB)
            .await
            .unwrap()
            .is_none()
    );
    let sg = security_group::create_given(&c.ec2, &sg_desired, CREATING, None)
        .await
        .expect("security group");
    let found = security_group::find(&c.ec2, &vpc, LB)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.id, sg.id);
    assert!(ownership::is_creating(&found.tags), "{:?}", found.tags);
    assert_eq!(
        keys(&found.ingress),
        vec![(80, anywhere.clone()), (443, anywhere.clone())]
    );
    let adopted = security_group::create_given(&c.ec2, &sg_desired, CREATING, Some(found))
        .await
        .expect("a retried create adopts its own group");
    assert_eq!(adopted.id, sg.id);
    c.ec2
        .authorize_security_group_ingress()
        .group_id(&sg.id)
        .ip_protocol("tcp")
        .from_port(22)
        .to_port(22)
        .cidr_ip("0.0.0.0/0")
        .send()
        .await
        .expect("out-of-band AuthorizeSecurityGroupIngress");
    sg_desired.ingress = vec![
        rule(443, anywhere.clone()),
        rule(8080, RuleSource::Group(task_sg.clone())),
    ];
    let found = security_group::find(&c.ec2, &vpc, LB)
        .await
        .unwrap()
        .unwrap();
    assert!(
        found.ingress.iter().any(|r| r.port == 22),
        "{:?}",
        found.ingress
    );
    let updated = security_group::update(&c.ec2, &found, &sg_desired)
        .await
        .expect("rules");
    security_group::finish(&c.ec2, &updated).await.unwrap();
    let found = security_group::find(&c.ec2, &vpc, LB)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        keys(&found.ingress),
        vec![
            (443, anywhere.clone()),
            (8080, RuleSource::Group(task_sg.clone()))
        ]
    );
    assert!(found.other_ingress.is_empty(), "{:?}", found.other_ingress);
    assert!(!ownership::is_creating(&found.tags), "finished");
    assert_eq!(found.tags, tags());

    // The tasks' group (not ours) admits the load balancer's on the task port; only that
    // rule is added and later removed, whatever else the group allows. Twice is once.
    let admit = [rule(8080, RuleSource::Group(sg.id.clone()))];
    let task_rules = |id: String| {
        let ec2 = c.ec2.clone();
        async move {
            let out = ec2
                .describe_security_groups()
                .group_ids(id)
                .send()
                .await
                .expect("DescribeSecurityGroups");
            out.security_groups()[0]
                .ip_permissions()
                .iter()
                .flat_map(|p| {
                    p.user_id_group_pairs()
                        .iter()
                        .map(|g| (p.from_port(), g.group_id().map(str::to_string)))
                        .chain(
                            p.ip_ranges()
                                .iter()
                                .map(|r| (p.from_port(), r.cidr_ip().map(str::to_string))),
                        )
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }
    };
    c.ec2
        .authorize_security_group_ingress()
        .group_id(&task_sg)
        .ip_protocol("tcp")
        .from_port(9000)
        .to_port(9000)
        .cidr_ip("10.0.0.0/8")
        .send()
        .await
        .expect("the user's own rule");
    for _ in 0..2 {
        security_group::authorize_ingress(&c.ec2, &task_sg, &admit)
            .await
            .expect("admitted");
    }
    let mut seen = task_rules(task_sg.clone()).await;
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (Some(8080), Some(sg.id.clone())),
            (Some(9000), Some("10.0.0.0/8".to_string()))
        ]
    );
    for _ in 0..2 {
        security_group::revoke_ingress(&c.ec2, &task_sg, &admit)
            .await
            .expect("removed");
    }
    assert_eq!(
        task_rules(task_sg.clone()).await,
        vec![(Some(9000), Some("10.0.0.0/8".to_string()))],
        "the user's rule stays"
    );

    // 2. The load balancer in two subnets; attributes changed in place.
    let mut lb_desired = DesiredLoadBalancer {
        name: LB.into(),
        subnets: subnets.clone(),
        security_groups: vec![sg.id.clone()],
        deletion_protection: false,
        idle_timeout_seconds: 60,
        tags: tags(),
    };
    assert!(
        elbv2::find_load_balancer(&c.elbv2, LB)
            .await
            .unwrap()
            .is_none()
    );
    let lb = elbv2::create_load_balancer_given(&c.elbv2, &lb_desired, CREATING, None)
        .await
        .expect("load balancer");
    let found = elbv2::find_load_balancer(&c.elbv2, LB)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.arn, lb.arn);
    assert!(!found.dns_name.is_empty() && !found.canonical_hosted_zone_id.is_empty());
    assert_eq!(found.dns_name, lb.dns_name);
    assert_eq!(found.vpc_id, vpc);
    let mut sorted_subnets = subnets.clone();
    sorted_subnets.sort();
    assert_eq!(found.subnets, sorted_subnets);
    assert_eq!(found.security_groups, vec![sg.id.clone()]);
    assert!(!found.deletion_protection && !found.access_logs);
    assert!(ownership::is_creating(&found.tags));
    // A third subnet and the task group as a second security group, in place.
    let subnet_c = c
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.42.3.0/24")
        .availability_zone(zone_c)
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("a subnet id")
        .to_string();
    lb_desired.subnets.push(subnet_c.clone());
    lb_desired.security_groups.push(task_sg.clone());
    lb_desired.deletion_protection = true;
    lb_desired.idle_timeout_seconds = 120;
    let lb = elbv2::update_load_balancer(&c.elbv2, &found, &lb_desired)
        .await
        .expect("attributes");
    elbv2::finish(&c.elbv2, &lb.arn, &lb.tags).await.unwrap();
    let found = elbv2::find_load_balancer(&c.elbv2, LB)
        .await
        .unwrap()
        .unwrap();
    assert!(found.deletion_protection);
    assert_eq!(found.idle_timeout_seconds, 120);
    let mut three = vec![subnet_a.clone(), subnet_b.clone(), subnet_c.clone()];
    three.sort();
    assert_eq!(found.subnets, three);
    let mut two_groups = vec![sg.id.clone(), task_sg.clone()];
    two_groups.sort();
    assert_eq!(found.security_groups, two_groups);
    assert_eq!(found.tags, tags(), "finished");
    let message = refusal(elbv2::delete_load_balancer(&c.elbv2, &found).await);
    assert!(message.contains("deletion protection"), "{message}");
    assert!(
        elbv2::find_load_balancer(&c.elbv2, LB)
            .await
            .unwrap()
            .is_some(),
        "a protected load balancer is left alone"
    );

    // 3. A certificate for `*.example.test`, validated through the hosted zone.
    let zone = c
        .route53
        .create_hosted_zone()
        .name(ZONE)
        .caller_reference("ingress-backend-e2e")
        .send()
        .await
        .expect("CreateHostedZone")
        .hosted_zone()
        .map(|z| route53::zone_id(z.id()).to_string())
        .expect("a zone id");
    let domain = format!("*.{ZONE}");
    let cert_arn = acm::request_certificate(&c.acm, &domain, &tags(), "ingdevingress")
        .await
        .expect("certificate");
    let again = acm::request_certificate(&c.acm, &domain, &tags(), "ingdevingress")
        .await
        .expect("the same request again");
    assert_eq!(
        again, cert_arn,
        "the idempotency token returns the same one"
    );
    let cert = acm::with_validation_record(&c.acm, &cert_arn, &cancel)
        .await
        .expect("validation record");
    assert_eq!(cert.domain, domain);
    let record = cert.validation_record.clone().expect("a record");
    assert_eq!(record.record_type, "CNAME");
    let validation = RecordValue::Cname {
        value: record.value.clone(),
        ttl: 300,
    };
    route53::upsert_record(&c.route53, &zone, &record.name, &validation)
        .await
        .expect("validation record");
    route53::upsert_record(&c.route53, &zone, &record.name, &validation)
        .await
        .expect("upserted twice");
    let found = route53::find_record(&c.route53, &zone, &record.name, RecordType::Cname)
        .await
        .unwrap()
        .expect("found");
    assert!(found.value.same_as(&validation), "{found:?}");
    let issued = acm::wait_issued(&c.acm, &cert_arn, Duration::from_secs(60), &cancel)
        .await
        .expect("issued");
    assert_eq!(issued.status, CertificateStatus::Issued);
    let mine = acm::find_by_domain_and_tag(&c.acm, &domain, OWNER.tag)
        .await
        .unwrap()
        .expect("found by domain and tag");
    assert_eq!(mine.arn, cert_arn);
    assert!(
        acm::find_by_domain_and_tag(&c.acm, &domain, ("platform:environment", "other"))
            .await
            .unwrap()
            .is_none()
    );
    let message = refusal(
        route53::upsert_record(&c.route53, "Z0000000000NOSUCHZONE", HOST, &validation).await,
    );
    assert!(message.contains("`Z0000000000NOSUCHZONE`"), "{message}");

    // 4. HTTPS listener (404 for unmatched hosts) and the HTTP one redirecting to it.
    let https = DesiredListener {
        port: 443,
        protocol: ListenerProtocol::Https {
            certificate_arn: cert_arn.clone(),
            ssl_policy: elbv2::RECOMMENDED_SSL_POLICY.into(),
        },
        default_action: DefaultAction::FixedResponse { status: 404 },
    };
    let http = DesiredListener {
        port: 80,
        protocol: ListenerProtocol::Http,
        default_action: DefaultAction::RedirectToHttps,
    };
    let https_listener = elbv2::create_listener(&c.elbv2, &lb.arn, &https)
        .await
        .expect("HTTPS listener");
    let http_listener = elbv2::create_listener(&c.elbv2, &lb.arn, &http)
        .await
        .expect("HTTP listener");
    let listeners = elbv2::listeners(&c.elbv2, &lb.arn).await.unwrap();
    assert_eq!(listeners.len(), 2, "{listeners:?}");
    for (desired, arn) in [(&https, &https_listener.arn), (&http, &http_listener.arn)] {
        let l = listeners.iter().find(|l| &l.arn == arn).expect("listed");
        assert!(l.matches(desired), "{l:?} vs {desired:?}");
    }
    let changed = DesiredListener {
        default_action: DefaultAction::FixedResponse { status: 503 },
        ..https.clone()
    };
    elbv2::update_listener(&c.elbv2, &https_listener, &changed)
        .await
        .expect("ModifyListener");
    let listed = elbv2::listeners(&c.elbv2, &lb.arn).await.unwrap();
    let l = listed.iter().find(|l| l.arn == https_listener.arn).unwrap();
    assert_eq!(
        l.default_action,
        Some(DefaultAction::FixedResponse { status: 503 })
    );
    elbv2::update_listener(&c.elbv2, l, &https)
        .await
        .expect("back to 404");

    // 5. The service's target group: ip targets, its health check and delay.
    let mut tg_desired = DesiredTargetGroup {
        name: TG.into(),
        port: 8080,
        vpc_id: vpc.clone(),
        health_check_path: "/healthz".into(),
        interval_seconds: 15,
        healthy_threshold: 3,
        unhealthy_threshold: 2,
        deregistration_delay_seconds: 30,
        tags: tags(),
    };
    let tg = elbv2::create_target_group_given(&c.elbv2, &tg_desired, CREATING, None)
        .await
        .expect("target group");
    let found = elbv2::find_target_group(&c.elbv2, TG)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.arn, tg.arn);
    assert_eq!(
        (
            found.port,
            found.health_check_path.as_str(),
            found.interval_seconds,
            found.healthy_threshold,
            found.unhealthy_threshold,
            found.deregistration_delay_seconds
        ),
        (8080, "/healthz", 15, 3, 2, 30)
    );
    assert!(ownership::is_creating(&found.tags));
    tg_desired.health_check_path = "/ready".into();
    tg_desired.interval_seconds = 10;
    tg_desired.deregistration_delay_seconds = 5;
    let tg = elbv2::update_target_group(&c.elbv2, &found, &tg_desired)
        .await
        .expect("health check");
    elbv2::finish(&c.elbv2, &tg.arn, &tg.tags).await.unwrap();
    let found = elbv2::find_target_group(&c.elbv2, TG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            found.health_check_path.as_str(),
            found.interval_seconds,
            found.deregistration_delay_seconds
        ),
        ("/ready", 10, 5)
    );
    assert_eq!(found.tags, tags());
    let message = refusal(
        elbv2::update_target_group(
            &c.elbv2,
            &found,
            &DesiredTargetGroup {
                port: 9090,
                ..tg_desired.clone()
            },
        )
        .await,
    );
    assert!(message.contains("port"), "{message}");

    // 6. The rule routing the host to it; a second rule at that priority is told so.
    let rule_desired = DesiredRule {
        listener_arn: https_listener.arn.clone(),
        priority: 10,
        host: HOST.into(),
        path: None,
        target_group_arn: tg.arn.clone(),
        tags: tags(),
    };
    let RuleCreated::Created(created) = elbv2::create_rule(&c.elbv2, &rule_desired, CREATING)
        .await
        .expect("rule")
    else {
        panic!("priority 10 is free");
    };
    let other = DesiredRule {
        host: "www.example.test".into(),
        ..rule_desired.clone()
    };
    assert_eq!(
        elbv2::create_rule(&c.elbv2, &other, CREATING)
            .await
            .expect("a typed outcome, not an error"),
        RuleCreated::PriorityInUse { priority: 10 }
    );
    let rules = elbv2::rules(&c.elbv2, &https_listener.arn).await.unwrap();
    assert_eq!(rules.len(), 1, "the default rule is not listed: {rules:?}");
    assert_eq!(rules[0].arn, created.arn);
    assert_eq!(rules[0].priority, 10);
    assert!(rules[0].routes_as(&rule_desired), "{:?}", rules[0]);
    assert!(ownership::is_creating(&rules[0].tags));
    let with_path = DesiredRule {
        path: Some("/v1/*".into()),
        ..rule_desired.clone()
    };
    let updated = elbv2::update_rule(&c.elbv2, &rules[0], &with_path)
        .await
        .expect("ModifyRule");
    elbv2::finish(&c.elbv2, &updated.arn, &rules[0].tags)
        .await
        .unwrap();
    let rules = elbv2::rules(&c.elbv2, &https_listener.arn).await.unwrap();
    assert!(rules[0].routes_as(&with_path), "{:?}", rules[0]);
    assert_eq!(rules[0].tags, tags());
    let found = elbv2::find_target_group(&c.elbv2, TG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.load_balancer_arns, vec![lb.arn.clone()]);

    // 7. The service's alias to the load balancer.
    let alias = RecordValue::Alias {
        dns_name: lb.dns_name.clone(),
        hosted_zone_id: lb.canonical_hosted_zone_id.clone(),
    };
    route53::upsert_record(&c.route53, &zone, HOST, &alias)
        .await
        .expect("alias");
    let found = route53::find_record(&c.route53, &zone, HOST, RecordType::A)
        .await
        .unwrap()
        .expect("found");
    assert!(found.value.same_as(&alias), "{found:?}");

    // 8. What someone else made under our names is refused, untouched.
    c.elbv2
        .create_load_balancer()
        .name("ingdev-other")
        .subnets(&subnet_a)
        .subnets(&subnet_b)
        .send()
        .await
        .expect("foreign CreateLoadBalancer");
    let foreign = elbv2::find_load_balancer(&c.elbv2, "ingdev-other")
        .await
        .unwrap()
        .expect("found");
    let message = refusal(
        elbv2::create_load_balancer_given(
            &c.elbv2,
            &DesiredLoadBalancer {
                name: "ingdev-other".into(),
                ..lb_desired.clone()
            },
            CREATING,
            Some(foreign.clone()),
        )
        .await,
    );
    assert!(message.contains("`ingdev-other`"), "{message}");
    let after = elbv2::find_load_balancer(&c.elbv2, "ingdev-other")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, foreign, "left untouched");
    // Our own load balancer, finished, is another state's to a create.
    let ours = elbv2::find_load_balancer(&c.elbv2, LB).await.unwrap();
    let message =
        refusal(elbv2::create_load_balancer_given(&c.elbv2, &lb_desired, CREATING, ours).await);
    assert!(message.contains("another Terraform state"), "{message}");
    c.ec2
        .create_security_group()
        .group_name("ingdev-stranger")
        .description("not ours")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("foreign CreateSecurityGroup");
    let stranger = security_group::find(&c.ec2, &vpc, "ingdev-stranger")
        .await
        .unwrap();
    let message = refusal(
        security_group::create_given(
            &c.ec2,
            &DesiredSecurityGroup {
                name: "ingdev-stranger".into(),
                ..sg_desired.clone()
            },
            OWNER,
            stranger,
        )
        .await,
    );
    assert!(message.contains("`ingdev-stranger`"), "{message}");

    // 9. Delete in order: rule → target group → listeners → load balancer → security
    //    group, certificate, records. Each delete again is a no-op.
    let message = refusal(elbv2::delete_target_group(&c.elbv2, &tg.arn).await);
    assert!(message.contains("listener rule"), "{message}");
    for _ in 0..2 {
        elbv2::delete_rule(&c.elbv2, &created.arn)
            .await
            .expect("rule deleted");
    }
    assert!(
        elbv2::rules(&c.elbv2, &https_listener.arn)
            .await
            .unwrap()
            .is_empty()
    );
    for _ in 0..2 {
        elbv2::delete_target_group(&c.elbv2, &tg.arn)
            .await
            .expect("target group deleted");
    }
    assert!(
        elbv2::find_target_group(&c.elbv2, TG)
            .await
            .unwrap()
            .is_none()
    );
    for arn in [&https_listener.arn, &http_listener.arn] {
        for _ in 0..2 {
            elbv2::delete_listener(&c.elbv2, arn)
                .await
                .expect("listener deleted");
        }
    }
    assert!(
        elbv2::listeners(&c.elbv2, &lb.arn)
            .await
            .unwrap()
            .is_empty()
    );
    lb_desired.deletion_protection = false;
    let protected = elbv2::find_load_balancer(&c.elbv2, LB)
        .await
        .unwrap()
        .unwrap();
    let unprotected = elbv2::update_load_balancer(&c.elbv2, &protected, &lb_desired)
        .await
        .expect("protection off");
    for lb in [&unprotected, &foreign] {
        for _ in 0..2 {
            elbv2::delete_load_balancer(&c.elbv2, lb)
                .await
                .expect("load balancer deleted");
        }
    }
    for id in [&sg.id] {
        for _ in 0..2 {
            security_group::delete(&c.ec2, id, &cancel)
                .await
                .expect("security group deleted");
        }
    }
    let stranger_id = security_group::find(&c.ec2, &vpc, "ingdev-stranger")
        .await
        .unwrap()
        .unwrap()
        .id;
    security_group::delete(&c.ec2, &stranger_id, &cancel)
        .await
        .unwrap();
    for _ in 0..2 {
        acm::delete(&c.acm, &cert_arn, &cancel)
            .await
            .expect("certificate deleted");
    }
    // The alias changed out of band (target health off): Route 53 deletes a record only
    // when given exactly its values, so the delete uses the values it finds.
    use aws_sdk_route53::types::{
        AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType,
    };
    let changed = ResourceRecordSet::builder()
        .name(HOST)
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(format!("other.{}", lb.dns_name))
                .hosted_zone_id(&lb.canonical_hosted_zone_id)
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    c.route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder()
                        .action(ChangeAction::Upsert)
                        .resource_record_set(changed)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("out-of-band UPSERT");
    let found = route53::find_record(&c.route53, &zone, HOST, RecordType::A)
        .await
        .unwrap()
        .expect("found");
    assert!(
        !found.value.same_as(&alias),
        "the change is seen: {found:?}"
    );
    for (name, kind) in [
        (record.name.as_str(), RecordType::Cname),
        (HOST, RecordType::A),
    ] {
        for _ in 0..2 {
            route53::delete_record(&c.route53, &zone, name, kind)
                .await
                .expect("record deleted");
        }
        assert!(
            route53::find_record(&c.route53, &zone, name, kind)
                .await
                .unwrap()
                .is_none()
        );
    }

    // moto holds none of it.
    let lbs = c.elbv2.describe_load_balancers().send().await.unwrap();
    assert!(lbs.load_balancers().is_empty(), "{lbs:?}");
    let tgs = c.elbv2.describe_target_groups().send().await.unwrap();
    assert!(tgs.target_groups().is_empty(), "{tgs:?}");
    let certs = c.acm.list_certificates().send().await.unwrap();
    assert!(certs.certificate_summary_list().is_empty(), "{certs:?}");
    let sets = c
        .route53
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await
        .unwrap();
    let left: Vec<_> = sets
        .resource_record_sets()
        .iter()
        .filter(|s| !matches!(s.r#type().as_str(), "SOA" | "NS"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    for name in [LB, "ingdev-stranger"] {
        assert!(
            security_group::find(&c.ec2, &vpc, name)
                .await
                .unwrap()
                .is_none(),
            "{name}"
        );
    }
}

#[test]
fn rule_priorities_probe_past_taken_ones_against_moto() {
    let moto = Moto::start();
    block_on(probing(&moto));
}

/// Two keys whose preferred priorities are the same (found by search: the hash is fixed).
fn colliding_keys() -> (String, String) {
    let mut seen = std::collections::HashMap::new();
    for i in 0.. {
        let key = format!("{ENV}/svc{i}");
        if let Some(other) = seen.insert(rule_priority::preferred(&key), key.clone()) {
            return (other, key);
        }
    }
    unreachable!()
}

async fn probing(moto: &Moto) {
    let c = Aws::new(moto);
    let network = harness::Network::create(&c.ec2).await;
    let subnet_a = network.subnets[0].clone();
    let described = c
        .ec2
        .describe_subnets()
        .subnet_ids(&subnet_a)
        .send()
        .await
        .expect("DescribeSubnets");
    let vpc = described.subnets()[0].vpc_id().expect("a VPC").to_string();
    let zone_of_a = described.subnets()[0]
        .availability_zone()
        .expect("a zone")
        .to_string();
    let zone_b = ["us-east-1a", "us-east-1b"]
        .into_iter()
        .find(|z| *z != zone_of_a)
        .unwrap();
    let subnet_b = c
        .ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.42.2.0/24")
        .availability_zone(zone_b)
        .send()
        .await
        .expect("CreateSubnet")
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("a subnet id")
        .to_string();
    let lb = elbv2::create_load_balancer_given(
        &c.elbv2,
        &DesiredLoadBalancer {
            name: LB.into(),
            subnets: vec![subnet_a, subnet_b],
            security_groups: network.security_groups.clone(),
            deletion_protection: false,
            idle_timeout_seconds: 60,
            tags: tags(),
        },
        OWNER,
        None,
    )
    .await
    .expect("load balancer");
    let listener = elbv2::create_listener(
        &c.elbv2,
        &lb.arn,
        &DesiredListener {
            port: 80,
            protocol: ListenerProtocol::Http,
            default_action: DefaultAction::FixedResponse { status: 404 },
        },
    )
    .await
    .expect("listener");
    let tg = elbv2::create_target_group_given(
        &c.elbv2,
        &DesiredTargetGroup {
            name: TG.into(),
            port: 8080,
            vpc_id: vpc.clone(),
            health_check_path: "/healthz".into(),
            interval_seconds: 15,
            healthy_threshold: 3,
            unhealthy_threshold: 2,
            deregistration_delay_seconds: 30,
            tags: tags(),
        },
        OWNER,
        None,
    )
    .await
    .expect("target group");
    let rule_for = |host: &str| DesiredRule {
        listener_arn: listener.arn.clone(),
        priority: 0,
        host: host.into(),
        path: None,
        target_group_arn: tg.arn.clone(),
        tags: tags(),
    };
    let taken_now = || async {
        elbv2::rules(&c.elbv2, &listener.arn)
            .await
            .expect("DescribeRules")
            .iter()
            .map(|r| r.priority)
            .collect::<Vec<i32>>()
    };

    // 1. Sequential: another rule holds k2's preferred priority. With a stale view of the
    //    listener (nothing taken), CreateRule answers PriorityInUse and the next one is
    //    used; with the listener read first, the taken ones are not even tried.
    let (k1, k2) = ("ingdev/api", "ingdev/web");
    let p2 = rule_priority::preferred(k2);
    let RuleCreated::Created(by_hand) = elbv2::create_rule(
        &c.elbv2,
        &DesiredRule {
            priority: p2,
            ..rule_for("hand.example.test")
        },
        OWNER,
    )
    .await
    .expect("rule by hand") else {
        panic!("{p2} is free");
    };
    let web =
        rule_priority::create_rule_probing(&c.elbv2, rule_for("web.example.test"), k2, OWNER, &[])
            .await
            .expect("probed past the taken priority");
    assert_eq!(web.priority, p2 + 1);
    let api = rule_priority::create_rule_probing(
        &c.elbv2,
        rule_for("api.example.test"),
        k1,
        OWNER,
        &taken_now().await,
    )
    .await
    .expect("its preferred priority");
    assert_eq!(api.priority, rule_priority::preferred(k1));
    let again = rule_priority::create_rule_probing(
        &c.elbv2,
        rule_for("again.example.test"),
        k2,
        OWNER,
        &taken_now().await,
    )
    .await
    .expect("past the two taken ones");
    assert_eq!(again.priority, p2 + 2);
    let listed = elbv2::rules(&c.elbv2, &listener.arn).await.unwrap();
    let by_arn = |arn: &str| listed.iter().find(|r| r.arn == arn).expect("listed");
    assert_eq!(by_arn(&web.arn).priority, p2 + 1);
    assert!(by_arn(&web.arn).routes_as(&rule_for("web.example.test")));
    assert_eq!(by_arn(&web.arn).tags, OWNER.tags(&tags()));
    assert_eq!(by_arn(&by_hand.arn).priority, p2);

    // 2. Concurrent: two keys preferring the same priority, created at once from the same
    //    view of the listener; both rules exist, at distinct priorities.
    let (k3, k4) = colliding_keys();
    let p = rule_priority::preferred(&k3);
    assert_eq!(rule_priority::preferred(&k4), p);
    let view = taken_now().await;
    let (a, b) = tokio::join!(
        rule_priority::create_rule_probing(
            &c.elbv2,
            rule_for("three.example.test"),
            &k3,
            OWNER,
            &view
        ),
        rule_priority::create_rule_probing(
            &c.elbv2,
            rule_for("four.example.test"),
            &k4,
            OWNER,
            &view
        ),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    let mut got = [a.priority, b.priority];
    got.sort();
    let first_free = rule_priority::candidates(&k3)
        .find(|c| !view.contains(c))
        .unwrap();
    let second_free = rule_priority::candidates(&k3)
        .filter(|c| !view.contains(c))
        .nth(1)
        .unwrap();
    assert_eq!(got, [first_free, second_free], "{k3} and {k4}");
    let listed = elbv2::rules(&c.elbv2, &listener.arn).await.unwrap();
    let mut priorities: Vec<i32> = listed.iter().map(|r| r.priority).collect();
    let count = priorities.len();
    priorities.dedup();
    assert_eq!(priorities.len(), count, "no two rules share a priority");
    assert_eq!(count, 6, "{listed:?}");

    // 3. Every candidate taken: refused before any call, naming the listener.
    let all: Vec<i32> = rule_priority::candidates(k1).collect();
    let message = match rule_priority::create_rule_probing(
        &c.elbv2,
        rule_for("full.example.test"),
        k1,
        OWNER,
        &all,
    )
    .await
    {
        Err(BackendError::Refused(m)) => m,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(message.contains(&listener.arn), "{message}");
    assert!(message.contains("no free rule priority"), "{message}");
    assert_eq!(
        elbv2::rules(&c.elbv2, &listener.arn).await.unwrap().len(),
        6
    );
}
