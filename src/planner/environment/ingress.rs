//! The environment's shared ingress: with an `ingress` block, one internet-facing
//! Application Load Balancer in the public subnets, its security group, an HTTPS listener
//! (the given certificate, or an ACM certificate for `*.<domain>` validated through the
//! hosted zone) and an HTTP listener that redirects to HTTPS. Services attach to the
//! HTTPS listener with their own rules (not here).

use crate::value::path::AttributePath;

use super::super::tier::Tier;
use super::super::{Child, Settings, Source, Violation, messages, prices};
use super::validate::{IdRule, check_id_list};
use super::{EnvironmentInput, NetworkInput};

/// Expansion keys.
pub const SECURITY_GROUP_KEY: &str = "alb_security_group";
/// The load balancer's key.
pub const LOAD_BALANCER_KEY: &str = "load_balancer";
/// The HTTPS listener's key.
pub const HTTPS_LISTENER_KEY: &str = "https_listener";
/// The HTTP → HTTPS redirect listener's key.
pub const HTTP_LISTENER_KEY: &str = "http_listener";
/// The requested certificate's key.
pub const CERTIFICATE_KEY: &str = "certificate";
/// The certificate's DNS validation record's key.
pub const VALIDATION_RECORD_KEY: &str = "certificate_validation_record";

/// The TLS policy of the HTTPS listener: TLS 1.3 and 1.2 only (the ELB default for new
/// listeners in the console).
pub const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/// Seconds an idle connection stays open (the ALB default).
pub const IDLE_TIMEOUT_SECONDS: i64 = 60;
/// ALBs need subnets in at least two Availability Zones.
const MIN_PUBLIC_SUBNETS: usize = 2;
/// The security group's ingress rules, as the plan shows them.
pub const SECURITY_GROUP_INGRESS: &str = "tcp/443 and tcp/80 from 0.0.0.0/0";
/// The HTTPS listener's default action, as the plan shows it.
pub const HTTPS_DEFAULT_ACTION: &str = "fixed-response 404 (a service's rule answers its hostname)";
/// The HTTP listener's default action, as the plan shows it.
pub const HTTP_DEFAULT_ACTION: &str = "redirect to HTTPS:443 (301)";
/// ACM validation records are CNAMEs with this TTL.
pub const VALIDATION_TTL_SECONDS: i64 = 300;

/// The `ingress` block as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngressInput {
    /// The domain services are named under, e.g. `api.example.com`.
    pub domain: String,
    /// An ACM certificate in the environment's region covering the services' names.
    pub certificate_arn: Option<String>,
    /// The Route 53 hosted zone of `domain`: validates a requested certificate, and holds
    /// the services' alias records.
    pub hosted_zone_id: Option<String>,
    /// Override of the tier's load balancer deletion protection.
    pub deletion_protection: Option<bool>,
}

/// Where the HTTPS listener's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificatePlan {
    /// The configuration's ACM certificate.
    Given(String),
    /// An ACM certificate the environment requests for `domain` (`*.<ingress domain>`),
    /// validated by a DNS record in `hosted_zone_id`.
    Requested {
        /// The certificate's domain name.
        domain: String,
        /// The zone that holds the validation record.
        hosted_zone_id: String,
    },
}

/// The ingress as the backend makes it; the children render it.
#[derive(Debug, Clone, PartialEq)]
pub struct IngressPlan {
    /// The services' domain.
    pub domain: String,
    /// The load balancer's security group name.
    pub security_group_name: String,
    /// The load balancer's name (≤ 32 characters).
    pub load_balancer_name: String,
    /// The public subnets it answers in.
    pub subnets: Vec<String>,
    /// Whether the load balancer refuses deletion.
    pub deletion_protection: bool,
    /// Seconds an idle connection stays open.
    pub idle_timeout_seconds: i64,
    /// The HTTPS listener's certificate.
    pub certificate: CertificatePlan,
    /// The hosted zone, when given.
    pub hosted_zone_id: Option<String>,
}

/// How the HTTPS listener's `certificate` setting names a requested certificate.
pub fn requested_certificate(domain: &str) -> String {
    format!("the `certificate` child ({domain})")
}

/// The hosted zone ID without the `/hostedzone/` prefix Route 53 sometimes prints.
pub fn bare_zone_id(id: &str) -> &str {
    id.trim_start_matches("/hostedzone/")
}

/// Checks the `ingress` block and the public subnets it needs.
pub(super) fn check(input: &EnvironmentInput, out: &mut Vec<Violation>) {
    let Some(ingress) = &input.ingress else {
        return;
    };
    let at = |field: &str| AttributePath::attr("ingress").then_attr(field);
    let public = AttributePath::attr("network").then_attr("public_subnet_ids");
    let subnets = input
        .network
        .as_ref()
        .map(|n| n.public_subnet_ids.as_slice())
        .unwrap_or_default();
    if subnets.len() < MIN_PUBLIC_SUBNETS {
        out.push(Violation::new(
            public.clone(),
            "Ingress Needs Public Subnets",
            format!(
                "The `ingress` block puts an internet-facing Application Load Balancer in front of the environment's services, and a load balancer needs public subnets in at least two Availability Zones; `network.public_subnet_ids` has {}. Add `public_subnet_ids = [\"subnet-…\", \"subnet-…\"]` (subnets with a route to an internet gateway, in two zones) to the `network` block, or remove `ingress`.",
                subnets.len()
            ),
        ));
    }
    check_domain(&ingress.domain, at("domain"), out);
    if let Some(arn) = &ingress.certificate_arn {
        check_certificate_arn(arn, &input.region, at("certificate_arn"), out);
    }
    if let Some(zone) = &ingress.hosted_zone_id {
        let bare = bare_zone_id(zone);
        let valid = !bare.is_empty()
            && bare.len() <= 32
            && bare
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid {
            out.push(messages::invalid_format(
                at("hosted_zone_id"),
                "Invalid Hosted Zone ID",
                zone,
                "a Route 53 hosted zone ID: uppercase letters and digits (as `aws route53 list-hosted-zones` prints it, with or without `/hostedzone/`)",
                "Z0123456789ABCDEFGHIJ",
            ));
        }
    }
    if ingress.certificate_arn.is_none() && ingress.hosted_zone_id.is_none() {
        out.push(Violation::new(
            AttributePath::attr("ingress"),
            "Ingress Needs A Certificate",
            format!(
                "The HTTPS listener needs a certificate for the services under `{}`. Set `certificate_arn` to an ACM certificate in `{}` that covers them, or set `hosted_zone_id` to the Route 53 zone of `{}`, and the environment requests a certificate for `*.{}` and validates it there.",
                ingress.domain, input.region, ingress.domain, ingress.domain
            ),
        ));
    }
}

/// The public subnets, checked like the task subnets.
pub(super) fn check_public_subnets(network: &NetworkInput, out: &mut Vec<Violation>) {
    check_id_list(
        &network.public_subnet_ids,
        AttributePath::attr("network").then_attr("public_subnet_ids"),
        IdRule::subnets(),
        out,
    );
}

fn check_domain(domain: &str, path: AttributePath, out: &mut Vec<Violation>) {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    let valid = labels.len() >= 2 && domain.len() <= 253 && labels.iter().all(|l| label_ok(l));
    if !valid {
        out.push(messages::invalid_format(
            path,
            "Invalid Domain",
            domain,
            "a DNS domain of at least two lowercase labels (letters, digits, hyphens), without a wildcard or a trailing dot; services are named under it",
            "api.example.com",
        ));
    }
}

fn check_certificate_arn(arn: &str, region: &str, path: AttributePath, out: &mut Vec<Violation>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "acm"
        && parts[5].starts_with("certificate/");
    if !well_formed {
        out.push(messages::invalid_format(
            path,
            "Invalid Certificate ARN",
            arn,
            "an ACM certificate ARN, `arn:aws:acm:<region>:<account>:certificate/<id>`",
            "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666",
        ));
    } else if parts[3] != region {
        out.push(Violation::new(
            path,
            "Certificate In Another Region",
            format!(
                "The certificate `{arn}` is in `{}`, but a load balancer in `{region}` can only use ACM certificates from its own region. Request or import the certificate in `{region}`, or leave `certificate_arn` out and set `hosted_zone_id` so the environment requests one.",
                parts[3]
            ),
        ));
    }
}

/// The ingress plan and its children, for a validated input.
pub(super) fn plan(input: &EnvironmentInput, tier: Tier) -> Option<(IngressPlan, Vec<Child>)> {
    let ingress = input.ingress.as_ref()?;
    let subnets = input
        .network
        .as_ref()
        .map(|n| n.public_subnet_ids.clone())
        .unwrap_or_default();
    let (deletion_protection, protection_source) = match ingress.deletion_protection {
        Some(on) => (on, Source::Config),
        None => (
            tier.defaults().load_balancer_deletion_protection,
            Source::Tier(tier),
        ),
    };
    let certificate = match &ingress.certificate_arn {
        Some(arn) => CertificatePlan::Given(arn.clone()),
        None => CertificatePlan::Requested {
            domain: format!("*.{}", ingress.domain),
            hosted_zone_id: bare_zone_id(ingress.hosted_zone_id.as_deref().unwrap_or_default())
                .to_string(),
        },
    };
    let p = IngressPlan {
        domain: ingress.domain.clone(),
        security_group_name: format!("{}-alb", input.name),
        load_balancer_name: format!("{}-alb", input.name),
        subnets,
        deletion_protection,
        idle_timeout_seconds: IDLE_TIMEOUT_SECONDS,
        certificate,
        hosted_zone_id: ingress
            .hosted_zone_id
            .as_deref()
            .map(|z| bare_zone_id(z).to_string()),
    };
    let mut children = Vec::new();

    let mut sg = Settings::default();
    sg.set("name", &p.security_group_name, Source::Derived)
        .set("vpc", "the public subnets' VPC", Source::Derived)
        .set("ingress", SECURITY_GROUP_INGRESS, Source::Fixed)
        .set("egress", "all", Source::Fixed);
    children.push(sg.child(
        SECURITY_GROUP_KEY,
        "aws",
        "ec2_security_group",
        &p.security_group_name,
        0.0,
    ));

    let mut lb = Settings::default();
    lb.set("type", "application", Source::Fixed)
        .set("scheme", "internet-facing", Source::Fixed)
        .set("subnets", p.subnets.join(","), Source::Config)
        .set("security_group", &p.security_group_name, Source::Derived)
        .set(
            "deletion_protection",
            p.deletion_protection,
            protection_source,
        )
        .set(
            "idle_timeout_seconds",
            p.idle_timeout_seconds,
            Source::Fixed,
        )
        .set("access_logs", "disabled", Source::Fixed)
        .set("region", &input.region, Source::Config);
    // The hourly charge; LCUs are usage-priced and not in the estimate.
    let lb_cost = prices::alb_monthly(&input.region).unwrap_or(0.0);
    children.push(lb.child(
        LOAD_BALANCER_KEY,
        "aws",
        "elbv2_load_balancer",
        &p.load_balancer_name,
        lb_cost,
    ));

    let mut https = Settings::default();
    https
        .set("port", 443, Source::Fixed)
        .set("protocol", "HTTPS", Source::Fixed)
        .set("ssl_policy", SSL_POLICY, Source::Fixed)
        .set("default_action", HTTPS_DEFAULT_ACTION, Source::Fixed);
    match &p.certificate {
        CertificatePlan::Given(arn) => {
            https.set("certificate", arn, Source::Config);
        }
        CertificatePlan::Requested { domain, .. } => {
            https.set(
                "certificate",
                requested_certificate(domain),
                Source::Derived,
            );
        }
    }
    children.push(https.child(
        HTTPS_LISTENER_KEY,
        "aws",
        "elbv2_listener",
        &format!("{}:443", p.load_balancer_name),
        0.0,
    ));

    let mut http = Settings::default();
    http.set("port", 80, Source::Fixed)
        .set("protocol", "HTTP", Source::Fixed)
        .set("default_action", HTTP_DEFAULT_ACTION, Source::Fixed);
    children.push(http.child(
        HTTP_LISTENER_KEY,
        "aws",
        "elbv2_listener",
        &format!("{}:80", p.load_balancer_name),
        0.0,
    ));

    if let CertificatePlan::Requested {
        domain,
        hosted_zone_id,
    } = &p.certificate
    {
        let mut cert = Settings::default();
        cert.set("domain", domain, Source::Derived)
            .set("validation", "DNS", Source::Fixed)
            .set("key_algorithm", "RSA_2048", Source::Fixed);
        // Public ACM certificates have no charge.
        children.push(cert.child(CERTIFICATE_KEY, "aws", "acm_certificate", domain, 0.0));
        let mut record = Settings::default();
        record
            .set("hosted_zone_id", hosted_zone_id, Source::Config)
            .set("type", "CNAME", Source::Fixed)
            .set("ttl", VALIDATION_TTL_SECONDS, Source::Fixed)
            .set("for", domain, Source::Derived);
        children.push(record.child(
            VALIDATION_RECORD_KEY,
            "aws",
            "route53_record",
            &format!("validation of {domain}"),
            0.0,
        ));
    }
    Some((p, children))
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::{plan as plan_environment, validate};
    use super::*;

    fn with_ingress(change: impl FnOnce(&mut IngressInput)) -> EnvironmentInput {
        with(|i| {
            network(i).public_subnet_ids = vec![
                "subnet-0aaaaaaaaaaaaaaa1".to_string(),
                "subnet-0aaaaaaaaaaaaaaa2".to_string(),
            ];
            let mut ingress = IngressInput {
                domain: "api.example.com".into(),
                certificate_arn: None,
                hosted_zone_id: Some("Z0123456789ABC".into()),
                deletion_protection: None,
            };
            change(&mut ingress);
            i.ingress = Some(ingress);
        })
    }

    fn problems(input: &EnvironmentInput) -> Vec<(String, String)> {
        validate(input)
            .into_iter()
            .map(|v| (v.path.to_string(), format!("{}: {}", v.summary, v.detail)))
            .collect()
    }

    #[test]
    fn ingress_expands_into_a_load_balancer_its_listeners_and_a_requested_certificate() {
        let plan = plan_environment(&with_ingress(|_| {})).expect("valid");
        let keys: Vec<&str> = plan.children.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ecs_cluster",
                SECURITY_GROUP_KEY,
                LOAD_BALANCER_KEY,
                HTTPS_LISTENER_KEY,
                HTTP_LISTENER_KEY,
                CERTIFICATE_KEY,
                VALIDATION_RECORD_KEY
            ]
        );
        let lb = &plan.children[2];
        assert_eq!(lb.name, "prod-alb");
        // Production protects its load balancer; the tier says so.
        assert_eq!(lb.settings["deletion_protection"], "true");
        assert_eq!(
            lb.settings_source["deletion_protection"],
            Source::Tier(Tier::Production)
        );
        // The hourly charge from the dated table (eu-west-1), 730 hours a month.
        let hourly = prices::region("eu-west-1").unwrap().elbv2.alb_hour;
        assert!((lb.monthly_cost_usd - hourly * 730.0).abs() < 1e-9);
        assert!((plan.estimated_monthly_cost_usd - lb.monthly_cost_usd).abs() < 1e-9);
        let https = &plan.children[3];
        assert_eq!(
            https.settings["certificate"],
            requested_certificate("*.api.example.com")
        );
        assert_eq!(https.settings_source["certificate"], Source::Derived);
        let p = plan.ingress.expect("typed ingress");
        assert_eq!(
            p.certificate,
            CertificatePlan::Requested {
                domain: "*.api.example.com".into(),
                hosted_zone_id: "Z0123456789ABC".into()
            }
        );
    }

    #[test]
    fn a_given_certificate_is_used_and_nothing_is_requested() {
        let arn =
            "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666";
        let plan = plan_environment(&with_ingress(|i| {
            i.certificate_arn = Some(arn.into());
            i.hosted_zone_id = None;
            i.deletion_protection = Some(false);
        }))
        .expect("valid");
        assert!(plan.children.iter().all(|c| c.key != CERTIFICATE_KEY));
        let https = plan
            .children
            .iter()
            .find(|c| c.key == HTTPS_LISTENER_KEY)
            .unwrap();
        assert_eq!(https.settings["certificate"], arn);
        assert_eq!(https.settings_source["certificate"], Source::Config);
        let lb = plan
            .children
            .iter()
            .find(|c| c.key == LOAD_BALANCER_KEY)
            .unwrap();
        assert_eq!(lb.settings["deletion_protection"], "false");
        assert_eq!(lb.settings_source["deletion_protection"], Source::Config);
    }

    #[test]
    fn bad_ingress_is_refused_at_plan_time_naming_the_attribute_and_the_fix() {
        let cases: Vec<(&str, EnvironmentInput, &str, &str)> = vec![
            (
                "one public subnet",
                {
                    let mut i = with_ingress(|_| {});
                    network(&mut i).public_subnet_ids.pop();
                    i
                },
                "network.public_subnet_ids",
                "at least two Availability Zones",
            ),
            (
                "a wildcard domain",
                with_ingress(|i| i.domain = "*.example.com".into()),
                "ingress.domain",
                "api.example.com",
            ),
            (
                "a certificate from another region",
                with_ingress(|i| {
                    i.certificate_arn =
                        Some("arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d".into())
                }),
                "ingress.certificate_arn",
                "can only use ACM certificates from its own region",
            ),
            (
                "neither a certificate nor a zone",
                with_ingress(|i| i.hosted_zone_id = None),
                "ingress",
                "set `hosted_zone_id`",
            ),
            (
                "a malformed zone",
                with_ingress(|i| i.hosted_zone_id = Some("example.com".into())),
                "ingress.hosted_zone_id",
                "Z0123456789ABCDEFGHIJ",
            ),
            (
                "a malformed public subnet",
                {
                    let mut i = with_ingress(|_| {});
                    network(&mut i).public_subnet_ids[0] = "subnet-xyz".into();
                    i
                },
                "network.public_subnet_ids[0]",
                "8 or 17 lowercase hexadecimal",
            ),
        ];
        for (name, input, path, want) in cases {
            let found = problems(&input);
            assert!(
                found.iter().any(|(p, d)| p == path && d.contains(want)),
                "{name}: {found:?}"
            );
        }
        assert!(problems(&with_ingress(|_| {})).is_empty());
    }
}
