//! An environment with `ingress`, end to end on real Terraform against moto: the plan
//! shows the shared load balancer's children with their sources and the load balancer's
//! hourly price before anything exists; apply makes the security group, the load
//! balancer, a certificate for `*.<domain>` validated through its record in the hosted
//! zone, the HTTPS listener (404 until a service's rule matches) and the HTTP → HTTPS
//! redirect; a listener changed out of band shows as that child's drift and is put back;
//! destroy leaves nothing (listeners, load balancer, group, certificate, record).

use crate::harness::{Aws, Cloud, Network, REQUIRED_PROVIDERS, Terraform, block_on, on_versions};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, FixedResponseActionConfig};

const DOMAIN: &str = "api.example.test";

fn config(env: &str, network: &Network, public: &[String], zone: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "staging"
  region = "us-east-1"
  network {{
    subnet_ids         = ["{subnet}"]
    security_group_ids = ["{sg}"]
    public_subnet_ids  = ["{a}", "{b}"]
  }}
  ingress {{
    domain         = "{DOMAIN}"
    hosted_zone_id = "{zone}"
  }}
}}
"#,
        subnet = network.subnets[0],
        sg = network.security_groups[0],
        a = public[0],
        b = public[1],
    )
}

/// Two public subnets in two zones of the harness's VPC, and the hosted zone of DOMAIN.
fn public_subnets_and_zone(c: &Aws, network: &Network) -> (Vec<String>, String) {
    block_on(async {
        let vpc = c
            .ec2
            .describe_subnets()
            .subnet_ids(&network.subnets[0])
            .send()
            .await
            .expect("DescribeSubnets")
            .subnets()[0]
            .vpc_id()
            .expect("a VPC")
            .to_string();
        let mut subnets = Vec::new();
        for (zone, cidr) in [
            ("us-east-1a", "10.42.10.0/24"),
            ("us-east-1b", "10.42.11.0/24"),
        ] {
            subnets.push(
                c.ec2
                    .create_subnet()
                    .vpc_id(&vpc)
                    .cidr_block(cidr)
                    .availability_zone(zone)
                    .send()
                    .await
                    .expect("CreateSubnet")
                    .subnet()
                    .and_then(|s| s.subnet_id())
                    .expect("a subnet id")
                    .to_string(),
            );
        }
        let zone = c
            .route53
            .create_hosted_zone()
            .name(DOMAIN)
            .caller_reference("ingress-e2e")
            .send()
            .await
            .expect("CreateHostedZone")
            .hosted_zone()
            .map(|z| z.id().trim_start_matches("/hostedzone/").to_string())
            .expect("a zone id");
        (subnets, zone)
    })
}

/// What moto holds of the ingress: the load balancer's ARN and listeners
/// (`port protocol action`), the security group's ingress ports, the certificates for
/// `*.DOMAIN` and the CNAME records of the zone.
#[derive(Debug)]
struct Held {
    load_balancer: Option<String>,
    listeners: Vec<String>,
    group_ports: Option<Vec<i32>>,
    certificates: Vec<(String, String)>,
    cnames: usize,
}

fn held(c: &Aws, name: &str, zone: &str) -> Held {
    block_on(async {
        let lb = c
            .elbv2
            .describe_load_balancers()
            .names(name)
            .send()
            .await
            .ok()
            .and_then(|o| o.load_balancers().first().cloned());
        let mut listeners = Vec::new();
        if let Some(arn) = lb.as_ref().and_then(|l| l.load_balancer_arn()) {
            let out = c
                .elbv2
                .describe_listeners()
                .load_balancer_arn(arn)
                .send()
                .await
                .expect("DescribeListeners");
            for l in out.listeners() {
                let action = l
                    .default_actions()
                    .first()
                    .map(|a| match a.r#type() {
                        Some(ActionTypeEnum::Redirect) => format!(
                            "redirect {}",
                            a.redirect_config()
                                .and_then(|r| r.protocol())
                                .unwrap_or("?")
                        ),
                        Some(ActionTypeEnum::FixedResponse) => format!(
                            "fixed {}",
                            a.fixed_response_config()
                                .and_then(|f| f.status_code())
                                .unwrap_or("?")
                        ),
                        other => format!("{other:?}"),
                    })
                    .unwrap_or_default();
                let certs = l.certificates().len();
                listeners.push(format!(
                    "{} {} {action} certs={certs}",
                    l.port().unwrap_or_default(),
                    l.protocol().map(|p| p.as_str()).unwrap_or("?")
                ));
            }
            listeners.sort();
        }
        let group_ports = c
            .ec2
            .describe_security_groups()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("group-name")
                    .values(name)
                    .build(),
            )
            .send()
            .await
            .expect("DescribeSecurityGroups")
            .security_groups()
            .first()
            .map(|g| {
                let mut ports: Vec<i32> = g
                    .ip_permissions()
                    .iter()
                    .filter_map(|p| p.from_port())
                    .collect();
                ports.sort();
                ports
            });
        let mut certificates = Vec::new();
        for s in c
            .acm
            .list_certificates()
            .send()
            .await
            .expect("ListCertificates")
            .certificate_summary_list()
        {
            if s.domain_name() == Some(format!("*.{DOMAIN}").as_str()) {
                certificates.push((
                    s.certificate_arn().unwrap_or_default().to_string(),
                    s.status()
                        .map(|x| x.as_str().to_string())
                        .unwrap_or_default(),
                ));
            }
        }
        let cnames = c
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .send()
            .await
            .expect("ListResourceRecordSets")
            .resource_record_sets()
            .iter()
            .filter(|r| r.r#type().as_str() == "CNAME")
            .count();
        Held {
            load_balancer: lb.and_then(|l| l.load_balancer_arn().map(str::to_string)),
            listeners,
            group_ports,
            certificates,
            cnames,
        }
    })
}

fn lifecycle(tf: &Terraform) {
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let (public, zone) = public_subnets_and_zone(&c, &network);
    let env = "ing";
    let wd = moto.workdir(&config(env, &network, &public, &zone));

    // The plan: every child, its sources, the load balancer's price, before anything exists.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "elbv2_load_balancer",
        "\"ing-alb\"",
        "ec2_security_group",
        "elbv2_listener",
        "acm_certificate",
        "route53_record",
        "\"*.api.example.test\"",
        "redirect to HTTPS:443 (301)",
        "\"tier:staging\" = \"deletion_protection\"",
        // us-east-1: $0.0225 an hour, 730 hours.
        "monthly_cost_usd = 16.43",
    ] {
        assert!(plan.stdout.contains(want), "{tf}: {want}:\n{}", plan.stdout);
    }
    assert!(held(&c, "ing-alb", &zone).load_balancer.is_none());

    // Apply: the children exist, the certificate issued through its record.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let h = held(&c, "ing-alb", &zone);
    assert!(h.load_balancer.is_some(), "{tf}: {h:?}");
    assert_eq!(
        h.listeners,
        [
            "443 HTTPS fixed 404 certs=1",
            "80 HTTP redirect HTTPS certs=0"
        ],
        "{tf}: {h:?}"
    );
    assert_eq!(h.group_ports, Some(vec![80, 443]), "{tf}: {h:?}");
    assert_eq!(h.certificates.len(), 1, "{tf}: one certificate: {h:?}");
    assert_eq!(h.certificates[0].1, "ISSUED", "{tf}: {h:?}");
    assert_eq!(h.cnames, 1, "{tf}: the validation record: {h:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: the HTTP listener answers 200 instead of redirecting; the plan says so on that
    // child, and the apply puts the redirect back.
    block_on(async {
        let lb = h.load_balancer.clone().unwrap();
        let listeners = c
            .elbv2
            .describe_listeners()
            .load_balancer_arn(lb)
            .send()
            .await
            .expect("DescribeListeners");
        let http = listeners
            .listeners()
            .iter()
            .find(|l| l.port() == Some(80))
            .and_then(|l| l.listener_arn())
            .expect("the HTTP listener")
            .to_string();
        c.elbv2
            .modify_listener()
            .listener_arn(http)
            .default_actions(
                Action::builder()
                    .r#type(ActionTypeEnum::FixedResponse)
                    .fixed_response_config(
                        FixedResponseActionConfig::builder()
                            .status_code("200")
                            .content_type("text/plain")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("ModifyListener");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift
            .stdout
            .contains("\"fixed-response 200\" -> \"redirect to HTTPS:443 (301)\""),
        "{tf}:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        held(&c, "ing-alb", &zone)
            .listeners
            .contains(&"80 HTTP redirect HTTPS certs=0".to_string())
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Import: the environment, its ingress with it, back into a state that lost it.
    wd.run(tf, &["state", "rm", "platform_environment.env"])
        .expect_success();
    wd.run(
        tf,
        &["import", "-no-color", "platform_environment.env", "ing"],
    )
    .expect_success();
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Another domain: a certificate for it, and the old one and its record gone.
    let main = config(env, &network, &public, &zone);
    let moved = main.replace(
        &format!("domain         = \"{DOMAIN}\""),
        &format!("domain         = \"v2.{DOMAIN}\""),
    );
    assert_ne!(moved, main);
    wd.write_main_tf(&moved);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let h = held(&c, "ing-alb", &zone);
    assert!(
        h.certificates.is_empty(),
        "{tf}: the old certificate is gone: {h:?}"
    );
    assert_eq!(h.cnames, 1, "{tf}: only the new validation record: {h:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // The block removed: the load balancer and everything of it go, the cluster stays.
    let without = main
        .replace(&format!("  ingress {{\n    domain         = \"{DOMAIN}\"\n    hosted_zone_id = \"{zone}\"\n  }}\n"), "")
        .replace(&format!("    public_subnet_ids  = [\"{}\", \"{}\"]\n", public[0], public[1]), "");
    assert!(!without.contains("ingress"), "{without}");
    wd.write_main_tf(&without);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let h = held(&c, "ing-alb", &zone);
    assert!(h.load_balancer.is_none(), "{tf}: {h:?}");
    assert_eq!(h.group_ports, None, "{tf}: {h:?}");
    assert_eq!(h.cnames, 0, "{tf}: {h:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Destroy: nothing of the ingress is left.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    let h = held(&c, "ing-alb", &zone);
    assert!(h.load_balancer.is_none(), "{tf}: {h:?}");
    assert_eq!(h.group_ports, None, "{tf}: {h:?}");
    assert!(h.certificates.is_empty(), "{tf}: {h:?}");
    assert_eq!(h.cnames, 0, "{tf}: {h:?}");
}

#[test]
fn an_environment_with_ingress_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn an_environment_with_ingress_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn an_environment_with_ingress_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}

#[test]
fn a_protected_load_balancer_is_not_destroyed_until_the_configuration_lifts_the_protection() {
    let tf = crate::harness::newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let (public, zone) = public_subnets_and_zone(&c, &network);
    // Production: the tier turns deletion protection on.
    let production = config("prot", &network, &public, &zone)
        .replace("tier   = \"staging\"", "tier   = \"production\"");
    let wd = moto.workdir(&production);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let protected = || {
        block_on(async {
            let arn = c
                .elbv2
                .describe_load_balancers()
                .names("prot-alb")
                .send()
                .await
                .expect("DescribeLoadBalancers")
                .load_balancers()[0]
                .load_balancer_arn()
                .unwrap_or_default()
                .to_string();
            c.elbv2
                .describe_load_balancer_attributes()
                .load_balancer_arn(arn)
                .send()
                .await
                .expect("DescribeLoadBalancerAttributes")
                .attributes()
                .iter()
                .any(|a| {
                    a.key() == Some("deletion_protection.enabled") && a.value() == Some("true")
                })
        })
    };
    assert!(
        protected(),
        "the production tier protects the load balancer"
    );

    // Destroy is refused at plan time, naming the way out; nothing changes.
    let out = wd.run(&tf, &["destroy", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0, "{out}");
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Load Balancer Deletion Protection Is On",
        "`prot-alb`",
        "set `deletion_protection = false` in the `ingress` block and apply, then destroy",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    assert!(held(&c, "prot-alb", &zone).load_balancer.is_some());

    // Lifted in the configuration: an in-place change, then the destroy goes through.
    let lifted = production.replace(
        "    hosted_zone_id = ",
        "    deletion_protection = false\n    hosted_zone_id = ",
    );
    wd.write_main_tf(&lifted);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(!protected());
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(held(&c, "prot-alb", &zone).load_balancer.is_none());
}

// ---------------------------------------------------------------------------------------
// A service behind the load balancer
// ---------------------------------------------------------------------------------------

fn service(name: &str) -> String {
    format!(
        r#"
resource "platform_api_service" "{name}" {{
  environment = platform_environment.env.context
  name        = "{name}"
  host        = "aws_fargate"
  image       = "nginx:1.27"
  port        = 8080
  health_check {{
    path = "/healthz"
  }}
  ingress {{}}
}}
"#
    )
}

/// What moto holds of a service's place on the load balancer: its target group's health
/// path, the hosts of the rules forwarding to it and their priorities, whether the ECS
/// service is attached to it, the ports the task group admits from another group, and
/// whether the alias record exists.
#[derive(Debug, PartialEq)]
struct Placed {
    health_path: Option<String>,
    rules: Vec<(i32, Vec<String>)>,
    attached: bool,
    admitted_ports: Vec<i32>,
    alias: bool,
}

fn placed(c: &Aws, env: &str, svc: &str, network: &Network, zone: &str) -> Placed {
    block_on(async {
        let tg = c
            .elbv2
            .describe_target_groups()
            .names(format!("{env}-{svc}"))
            .send()
            .await
            .ok()
            .and_then(|o| o.target_groups().first().cloned());
        let tg_arn = tg
            .as_ref()
            .and_then(|t| t.target_group_arn())
            .map(str::to_string);
        let mut rules = Vec::new();
        if let (Some(arn), Some(lb)) = (
            &tg_arn,
            c.elbv2
                .describe_load_balancers()
                .names(format!("{env}-alb"))
                .send()
                .await
                .ok()
                .and_then(|o| o.load_balancers().first().cloned()),
        ) {
            let listeners = c
                .elbv2
                .describe_listeners()
                .load_balancer_arn(lb.load_balancer_arn().unwrap_or_default())
                .send()
                .await
                .expect("DescribeListeners");
            for l in listeners.listeners() {
                let out = c
                    .elbv2
                    .describe_rules()
                    .listener_arn(l.listener_arn().unwrap_or_default())
                    .send()
                    .await
                    .expect("DescribeRules");
                for r in out.rules() {
                    let forwards = r
                        .actions()
                        .iter()
                        .any(|a| a.target_group_arn() == Some(arn.as_str()));
                    if forwards {
                        let hosts = r
                            .conditions()
                            .iter()
                            .filter_map(|c| c.host_header_config())
                            .flat_map(|h| h.values().to_vec())
                            .collect();
                        rules.push((r.priority().unwrap_or_default().parse().unwrap_or(0), hosts));
                    }
                }
            }
        }
        let attached = c
            .ecs
            .describe_services()
            .cluster(format!("{env}-cluster"))
            .services(format!("{env}-{svc}"))
            .send()
            .await
            .ok()
            .and_then(|o| {
                o.services()
                    .iter()
                    .find(|s| s.status() == Some("ACTIVE"))
                    .map(|s| {
                        s.load_balancers()
                            .iter()
                            .any(|l| l.target_group_arn() == tg_arn.as_deref())
                    })
            })
            .unwrap_or(false);
        let admitted_ports = c
            .ec2
            .describe_security_groups()
            .group_ids(&network.security_groups[0])
            .send()
            .await
            .expect("DescribeSecurityGroups")
            .security_groups()[0]
            .ip_permissions()
            .iter()
            .filter(|p| !p.user_id_group_pairs().is_empty())
            .filter_map(|p| p.from_port())
            .collect();
        let alias = c
            .route53
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .send()
            .await
            .expect("ListResourceRecordSets")
            .resource_record_sets()
            .iter()
            .any(|r| {
                r.r#type().as_str() == "A"
                    && r.name().trim_end_matches('.') == format!("{svc}.{DOMAIN}")
                    && r.alias_target().is_some()
            });
        Placed {
            health_path: tg.and_then(|t| t.health_check_path().map(str::to_string)),
            rules,
            attached,
            admitted_ports,
            alias,
        }
    })
}

fn service_lifecycle(tf: &Terraform) {
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let (public, zone) = public_subnets_and_zone(&c, &network);
    let env = "svc";
    let main = format!(
        "{}{}",
        config(env, &network, &public, &zone),
        service("api")
    );
    let wd = moto.workdir(&main);

    // The plan: the URL and every child before anything exists.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "url                          = \"https://api.api.example.test\"",
        "elbv2_target_group",
        "elbv2_listener_rule",
        "ec2_security_group_rule",
        "\"svc-api:api:8080\"",
        "\"tcp/8080 from svc-alb\"",
    ] {
        assert!(plan.stdout.contains(want), "{tf}: {want}:\n{}", plan.stdout);
    }

    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let p = placed(&c, env, "api", &network, &zone);
    assert_eq!(p.health_path.as_deref(), Some("/healthz"), "{tf}: {p:?}");
    assert_eq!(p.rules.len(), 1, "{tf}: one rule: {p:?}");
    assert_eq!(p.rules[0].1, ["api.api.example.test"], "{tf}: {p:?}");
    assert!(p.attached, "{tf}: the service is attached: {p:?}");
    assert_eq!(p.admitted_ports, [8080], "{tf}: {p:?}");
    assert!(p.alias, "{tf}: the alias record: {p:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: the target group probes another path; shown on that child, put back.
    block_on(async {
        let arn = c
            .elbv2
            .describe_target_groups()
            .names("svc-api")
            .send()
            .await
            .expect("DescribeTargetGroups")
            .target_groups()[0]
            .target_group_arn()
            .unwrap_or_default()
            .to_string();
        c.elbv2
            .modify_target_group()
            .target_group_arn(arn)
            .health_check_path("/other")
            .send()
            .await
            .expect("ModifyTargetGroup");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"/other\" -> \"/healthz\""),
        "{tf}:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        placed(&c, env, "api", &network, &zone)
            .health_path
            .as_deref(),
        Some("/healthz")
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Import: the service, its ingress block with it, back into a state that lost it.
    wd.run(tf, &["state", "rm", "platform_api_service.api"])
        .expect_success();
    wd.run(
        tf,
        &["import", "-no-color", "platform_api_service.api", "svc/api"],
    )
    .expect_success();
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Another hostname: the rule follows, and the old record goes with the new one made.
    let renamed = main.replace(
        "  ingress {}",
        "  ingress {\n    hostname = \"www.api.example.test\"\n  }",
    );
    assert_ne!(renamed, main);
    wd.write_main_tf(&renamed);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let p = placed(&c, env, "api", &network, &zone);
    assert_eq!(p.rules[0].1, ["www.api.example.test"], "{tf}: {p:?}");
    assert!(!p.alias, "{tf}: the old name's record is gone: {p:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // The block removed: the service leaves the load balancer, and nothing of its place
    // there is left.
    wd.write_main_tf(&main.replace("  ingress {}\n", ""));
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let p = placed(&c, env, "api", &network, &zone);
    assert_eq!(p.health_path, None, "{tf}: the target group is gone: {p:?}");
    assert!(p.rules.is_empty() && !p.attached, "{tf}: {p:?}");
    assert!(p.admitted_ports.is_empty(), "{tf}: {p:?}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    // And back, for the destroy below.
    wd.write_main_tf(&main);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();

    // Destroy: the service leaves the load balancer before it goes.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        placed(&c, env, "api", &network, &zone),
        Placed {
            health_path: None,
            rules: Vec::new(),
            attached: false,
            admitted_ports: Vec::new(),
            alias: false,
        }
    );
}

#[test]
fn a_service_behind_the_load_balancer_on_terraform_1_15() {
    on_versions(&["1.15.5"], service_lifecycle);
}

#[test]
fn a_service_behind_the_load_balancer_on_terraform_1_11() {
    on_versions(&["1.11.4"], service_lifecycle);
}

#[test]
fn a_service_behind_the_load_balancer_on_terraform_1_0() {
    on_versions(&["1.0.3"], service_lifecycle);
}

// ---------------------------------------------------------------------------------------
// Two states adding services to one load balancer at once
// ---------------------------------------------------------------------------------------

/// A state of its own holding one service, whose environment is the context another state
/// exported (`context.json`, from `terraform output -json`).
fn service_only(name: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}
{}"#,
        service(name).replace(
            "platform_environment.env.context",
            "jsondecode(file(\"${path.module}/context.json\"))"
        )
    )
}

#[test]
fn two_states_adding_services_at_once_get_distinct_rule_priorities() {
    use terraform_provider_platform::backends::aws::rule_priority::preferred;
    let tf = crate::harness::newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let (public, zone) = public_subnets_and_zone(&c, &network);
    let env = "two";
    // The environment's state, exporting its context.
    let main = format!(
        "{}\noutput \"context\" {{\n  value = platform_environment.env.context\n}}\n",
        config(env, &network, &public, &zone)
    );
    let first = moto.workdir(&main);
    first
        .run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let context = first.outputs_json(&tf)["context"]["value"].clone();
    assert_eq!(context["ingress"]["load_balancer"], "two-alb", "{context}");

    // Two service names whose preferred priorities collide, so that both states go for
    // the same one at once.
    let mut by_priority = std::collections::BTreeMap::new();
    let (a, b) = (0..5000)
        .map(|i| format!("s{i}"))
        .find_map(|name| {
            let p = preferred(&format!("{env}-{name}"));
            by_priority
                .insert(p, name.clone())
                .map(|other| (other, name))
        })
        .expect("two names with one preferred priority");
    let want = preferred(&format!("{env}-{a}"));

    let dirs: Vec<_> = [&a, &b]
        .iter()
        .map(|name| {
            let wd = moto.workdir(&service_only(name));
            std::fs::write(wd.path().join("context.json"), context.to_string())
                .expect("write context.json");
            wd
        })
        .collect();
    std::thread::scope(|s| {
        let runs: Vec<_> = dirs
            .iter()
            .map(|wd| s.spawn(|| wd.run(&tf, &["apply", "-no-color", "-auto-approve"])))
            .collect();
        for run in runs {
            run.join().unwrap().expect_success();
        }
    });
    let pa = placed(&c, env, &a, &network, &zone);
    let pb = placed(&c, env, &b, &network, &zone);
    assert_eq!(pa.rules.len(), 1, "{pa:?}");
    assert_eq!(pb.rules.len(), 1, "{pb:?}");
    let mut got = [pa.rules[0].0, pb.rules[0].0];
    got.sort();
    assert_eq!(
        got[0], want,
        "one gets the preferred priority: {pa:?} {pb:?}"
    );
    assert!(got[1] > want, "the other the next free one: {pa:?} {pb:?}");
    for wd in &dirs {
        wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
            .expect_code(0);
    }

    // Destroying one leaves the other served: its rule, and the admission on their shared
    // port.
    dirs[0]
        .run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    let pb = placed(&c, env, &b, &network, &zone);
    assert_eq!(pb.rules.len(), 1, "{pb:?}");
    assert_eq!(pb.admitted_ports, [8080], "{pb:?}");
    dirs[1]
        .run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        placed(&c, env, &b, &network, &zone)
            .admitted_ports
            .is_empty()
    );
    first
        .run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}
