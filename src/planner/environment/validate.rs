//! Validation of an environment's inputs: the name, tier, region, network ids and policy
//! bounds, every violation reported with the attribute and what to change.

use std::collections::BTreeMap;

use crate::value::path::AttributePath;

use crate::planner::limits::{
    self, BACKUP_RETENTION_DAYS, ENVIRONMENT_NAME_LENGTH, LOG_RETENTION_DAYS, MAX_INSTANCES,
    MAX_SECURITY_GROUPS, MAX_SUBNETS, MIN_INSTANCES, TARGET_CPU_PERCENT,
};
use crate::planner::tier::Tier;
use crate::planner::{Violation, messages, naming};

use super::*;

pub(super) fn policy_path(field: &str) -> AttributePath {
    AttributePath::attr("policy").then_attr(field)
}

/// Checks every input and returns every violation found, not just the first.
pub fn validate(input: &EnvironmentInput) -> Vec<Violation> {
    let mut violations = Vec::new();
    naming::check_dns_name(
        &input.name,
        "Environment",
        ENVIRONMENT_NAME_LENGTH,
        "staging-eu",
        &mut violations,
    );
    let tier = check_tier(&input.tier, &mut violations);
    check_region(&input.region, &mut violations);
    if let Some(network) = &input.network {
        check_network(network, &mut violations);
    }
    check_policy(&input.policy, tier, &mut violations);
    super::ingress::check(input, &mut violations);
    let platform = naming::platform_tags(&input.name, COMPONENT);
    if let Err(tag_violations) = naming::merge_tags(&input.default_tags, &input.tags, &platform) {
        violations.extend(tag_violations);
    }
    violations
}

// ---- validation rules -------------------------------------------------------------

pub(super) fn check_tier(tier: &str, out: &mut Vec<Violation>) -> Option<Tier> {
    match tier.parse::<Tier>() {
        Ok(tier) => Some(tier),
        Err(_) => {
            out.push(messages::unknown_choice(
                AttributePath::attr("tier"),
                tier,
                &Tier::ALL.map(Tier::as_str),
                Tier::suggest(tier).map(Tier::as_str),
            ));
            None
        }
    }
}

pub(super) fn check_region(region: &str, out: &mut Vec<Violation>) {
    if !naming::is_aws_region(region) {
        out.push(messages::invalid_format(
            AttributePath::attr("region"),
            "Invalid AWS Region",
            region,
            "an AWS region code: lowercase words separated by hyphens, ending in a \
             number",
            "eu-west-1",
        ));
    }
}

pub(super) fn check_network(network: &NetworkInput, out: &mut Vec<Violation>) {
    let subnets = AttributePath::attr("network").then_attr("subnet_ids");
    if network.subnet_ids.is_empty() {
        out.push(messages::empty_list(
            subnets.clone(),
            "subnet ID",
            "Fargate tasks need at least one subnet to run in",
        ));
    }
    check_id_list(&network.subnet_ids, subnets, IdRule::subnets(), out);
    super::ingress::check_public_subnets(network, out);
    check_id_list(
        &network.security_group_ids,
        AttributePath::attr("network").then_attr("security_group_ids"),
        IdRule {
            prefix: "sg-",
            what: "security group IDs",
            summary: "Invalid Security Group ID",
            example: "sg-0a1b2c3d4e5f67890",
            max: MAX_SECURITY_GROUPS,
        },
        out,
    );
}

/// How one kind of AWS resource ID list is checked.
pub(super) struct IdRule {
    prefix: &'static str,
    what: &'static str,
    summary: &'static str,
    example: &'static str,
    max: usize,
}

impl IdRule {
    /// Subnet IDs.
    pub(super) fn subnets() -> Self {
        IdRule {
            prefix: "subnet-",
            what: "subnet IDs",
            summary: "Invalid Subnet ID",
            example: "subnet-0a1b2c3d4e5f67890",
            max: MAX_SUBNETS,
        }
    }
}

pub(super) fn check_id_list(
    ids: &[String],
    path: AttributePath,
    rule: IdRule,
    out: &mut Vec<Violation>,
) {
    if ids.len() > rule.max {
        let why = format!("`{path}`");
        out.push(messages::too_many(
            path.clone(),
            rule.what,
            ids.len(),
            rule.max,
            &why,
        ));
    }
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, id) in ids.iter().enumerate() {
        let at = path.clone().then_index(index);
        if !is_resource_id(id, rule.prefix) {
            let expected = format!(
                "`{}` followed by 8 or 17 lowercase hexadecimal characters",
                rule.prefix
            );
            out.push(messages::invalid_format(
                at.clone(),
                rule.summary,
                id,
                &expected,
                rule.example,
            ));
        }
        if let Some(first) = first_seen.get(id.as_str()) {
            out.push(messages::duplicate(at, id, *first));
        } else {
            first_seen.insert(id, index);
        }
    }
}

/// `<prefix>` followed by 8 (older) or 17 (current) lowercase hex characters.
pub(super) fn is_resource_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

pub(super) fn check_policy(policy: &PolicyInput, tier: Option<Tier>, out: &mut Vec<Violation>) {
    let ranged = [
        ("min_instances", policy.min_instances, MIN_INSTANCES),
        ("max_instances", policy.max_instances, MAX_INSTANCES),
        (
            "target_cpu_percent",
            policy.target_cpu_percent,
            TARGET_CPU_PERCENT,
        ),
        (
            "backup_retention_days",
            policy.backup_retention_days,
            BACKUP_RETENTION_DAYS,
        ),
    ];
    for (field, value, range) in ranged {
        if let Some(value) = value.filter(|v| !range.contains(*v)) {
            out.push(messages::out_of_range(policy_path(field), value, range));
        }
    }

    if let Some(days) = policy
        .log_retention_days
        .filter(|d| !LOG_RETENTION_DAYS.contains(d))
    {
        out.push(messages::not_an_allowed_number(
            policy_path("log_retention_days"),
            days,
            &LOG_RETENTION_DAYS,
            limits::nearest_log_retention(days),
        ));
    }

    check_instance_bounds(policy, tier, out);
}

/// The minimum must not exceed the maximum *after* tier defaults fill the gaps: raising
/// only `min_instances` above the tier's default maximum is as wrong as setting both.
pub(super) fn check_instance_bounds(
    policy: &PolicyInput,
    tier: Option<Tier>,
    out: &mut Vec<Violation>,
) {
    // Without a tier there is no effective value to compare; the tier is reported already.
    let Some(tier) = tier else { return };
    let defaults = tier.defaults();
    let min = policy
        .min_instances
        .unwrap_or(defaults.service_min_instances);
    let max = policy
        .max_instances
        .unwrap_or(defaults.service_max_instances);
    // An out-of-range side is reported on its own; comparing it would only add noise.
    if !MIN_INSTANCES.contains(min) || !MAX_INSTANCES.contains(max) || min <= max {
        return;
    }
    let from = |overridden: bool, field: &str| {
        if overridden {
            format!("from `policy.{field}`")
        } else {
            format!("the `{tier}` tier default")
        }
    };
    let path = if policy.max_instances.is_some() {
        policy_path("max_instances")
    } else {
        policy_path("min_instances")
    };
    out.push(messages::min_exceeds_max(
        path,
        min,
        &from(policy.min_instances.is_some(), "min_instances"),
        max,
        &from(policy.max_instances.is_some(), "max_instances"),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::environment::fixtures::*;

    /// One expected violation: its path, and a fragment its detail must contain.
    type Want = (&'static str, &'static str);

    #[test]
    fn the_valid_input_is_valid() {
        assert_eq!(validate(&valid()), vec![]);
    }

    #[test]
    fn validation_rules() {
        let cases: Vec<(&str, EnvironmentInput, Vec<Want>)> = vec![
            // name
            (
                "name empty",
                with(|i| i.name = String::new()),
                vec![("name", "must be 1 to 20 characters")],
            ),
            (
                "name too long, with a suggestion",
                with(|i| i.name = "a".repeat(21)),
                vec![("name", "For example `aaaaaaaaaaaaaaaaaaaa`")],
            ),
            (
                "name upper case",
                with(|i| i.name = "Prod".to_string()),
                vec![("name", "for example `prod`")],
            ),
            (
                "name starts with a digit",
                with(|i| i.name = "1prod".to_string()),
                vec![("name", "a lowercase letter first")],
            ),
            (
                "name ends with a hyphen",
                with(|i| i.name = "prod-".to_string()),
                vec![("name", "not ending in a hyphen")],
            ),
            (
                "name with underscore",
                with(|i| i.name = "my_env".to_string()),
                vec![("name", "for example `my-env`")],
            ),
            (
                "name too long and not DNS-safe",
                with(|i| i.name = "Production_Environment_EU".to_string()),
                vec![
                    ("name", "20 characters"),
                    ("name", "`production-environme`"),
                ],
            ),
            // tier
            (
                "tier unknown",
                with(|i| i.tier = "qa".to_string()),
                vec![("tier", "one of `development`, `staging`, `production`")],
            ),
            (
                "tier abbreviated",
                with(|i| i.tier = "prod".to_string()),
                vec![("tier", "Did you mean `production`?")],
            ),
            // region
            (
                "region without number",
                with(|i| i.region = "us-east".to_string()),
                vec![("region", "for example `eu-west-1`")],
            ),
            (
                "region upper case",
                with(|i| i.region = "US-EAST-1".to_string()),
                vec![("region", "lowercase")],
            ),
            (
                "region without hyphens",
                with(|i| i.region = "useast1".to_string()),
                vec![("region", "`useast1` is not valid")],
            ),
            (
                "region empty",
                with(|i| i.region = String::new()),
                vec![("region", "an AWS region code")],
            ),
            // network
            (
                "subnet malformed",
                with(|i| network(i).subnet_ids[1] = "subnet-xyz".to_string()),
                vec![("network.subnet_ids[1]", "8 or 17 lowercase hexadecimal")],
            ),
            (
                "subnet upper-case hex",
                with(|i| network(i).subnet_ids[0] = "subnet-0A1B2C3D".to_string()),
                vec![(
                    "network.subnet_ids[0]",
                    "for example `subnet-0a1b2c3d4e5f67890`",
                )],
            ),
            (
                "subnet with wrong prefix",
                with(|i| network(i).subnet_ids[0] = "sg-0a1b2c3d".to_string()),
                vec![("network.subnet_ids[0]", "`subnet-` followed by")],
            ),
            (
                "subnet wrong length",
                with(|i| network(i).subnet_ids[0] = "subnet-0a1b2c3d4".to_string()),
                vec![("network.subnet_ids[0]", "8 or 17")],
            ),
            (
                "subnet duplicated",
                with(|i| network(i).subnet_ids.push("subnet-12345678".to_string())),
                vec![("network.subnet_ids[2]", "already appears at index `1`")],
            ),
            (
                "no subnets",
                with(|i| network(i).subnet_ids.clear()),
                vec![("network.subnet_ids", "Add at least one subnet ID")],
            ),
            (
                "too many subnets",
                with(|i| {
                    network(i).subnet_ids = (0..17).map(|n| format!("subnet-{n:08x}")).collect();
                }),
                vec![("network.subnet_ids", "at most 16. Remove 1")],
            ),
            (
                "security group malformed",
                with(|i| network(i).security_group_ids.push("sg-123".to_string())),
                vec![("network.security_group_ids[1]", "`sg-` followed by")],
            ),
            (
                "security group duplicated",
                with(|i| {
                    let sg = network(i).security_group_ids[0].clone();
                    network(i).security_group_ids.push(sg);
                }),
                vec![("network.security_group_ids[1]", "Remove the repeated entry")],
            ),
            (
                "too many security groups",
                with(|i| {
                    network(i).security_group_ids = (0..6).map(|n| format!("sg-{n:08x}")).collect();
                }),
                vec![("network.security_group_ids", "at most 5")],
            ),
            // policy ranges
            (
                "min instances negative",
                with(|i| i.policy.min_instances = Some(-1)),
                vec![("policy.min_instances", "between `0` and `1000`")],
            ),
            (
                "max instances zero",
                with(|i| i.policy.max_instances = Some(0)),
                vec![("policy.max_instances", "between `1` and `1000`")],
            ),
            (
                "max instances too large",
                with(|i| i.policy.max_instances = Some(1001)),
                vec![("policy.max_instances", "`1001`")],
            ),
            (
                "target cpu zero",
                with(|i| i.policy.target_cpu_percent = Some(0)),
                vec![("policy.target_cpu_percent", "between `1` and `100`")],
            ),
            (
                "target cpu above 100",
                with(|i| i.policy.target_cpu_percent = Some(101)),
                vec![(
                    "policy.target_cpu_percent",
                    "Set it to a value in that range",
                )],
            ),
            (
                "backup retention above 35",
                with(|i| i.policy.backup_retention_days = Some(36)),
                vec![("policy.backup_retention_days", "between `0` and `35`")],
            ),
            (
                "log retention not allowed, nearest suggested",
                with(|i| i.policy.log_retention_days = Some(10)),
                vec![("policy.log_retention_days", "Use `7`, the nearest")],
            ),
            (
                "log retention of a year and a day",
                with(|i| i.policy.log_retention_days = Some(366)),
                vec![("policy.log_retention_days", "Use `365`")],
            ),
            // min vs max, after tier defaults
            (
                "both set, min above max",
                with(|i| {
                    i.policy.min_instances = Some(5);
                    i.policy.max_instances = Some(3);
                }),
                vec![("policy.max_instances", "`5` (from `policy.min_instances`)")],
            ),
            (
                "min above the tier's default max",
                with(|i| {
                    i.tier = "development".to_string();
                    i.policy.min_instances = Some(3);
                }),
                vec![(
                    "policy.min_instances",
                    "maximum `2` (the `development` tier default)",
                )],
            ),
            (
                "max below the tier's default min",
                with(|i| i.policy.max_instances = Some(1)),
                vec![(
                    "policy.max_instances",
                    "`2` (the `production` tier default) is greater than the maximum `1`",
                )],
            ),
            // tags
            (
                "tag overrides a platform tag",
                with(|i| {
                    i.tags
                        .insert("platform:environment".to_string(), "x".to_string());
                }),
                vec![(r#"tags["platform:environment"]"#, "is reserved")],
            ),
            (
                "tag with aws prefix",
                with(|i| {
                    i.tags.insert("aws:foo".to_string(), "x".to_string());
                }),
                vec![(r#"tags["aws:foo"]"#, "Rename the key")],
            ),
            (
                "tag value too long",
                with(|i| {
                    i.tags.insert("k".to_string(), "v".repeat(257));
                }),
                vec![(r#"tags["k"]"#, "Shorten the value")],
            ),
            (
                "default tag overrides a platform tag",
                with(|i| {
                    i.default_tags
                        .insert("platform:component".to_string(), "x".to_string());
                }),
                vec![(r#"default_tags["platform:component"]"#, "is reserved")],
            ),
        ];

        for (name, input, want) in cases {
            let got = validate(&input);
            let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
            let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
            assert_eq!(got_paths, want_paths, "{name}: {got:#?}");
            for (violation, (_, fragment)) in got.iter().zip(&want) {
                assert!(
                    violation.detail.contains(fragment),
                    "{name}: detail {:?} lacks {fragment:?}",
                    violation.detail
                );
                assert!(!violation.summary.is_empty(), "{name}: summary");
                assert!(
                    violation
                        .summary
                        .split(' ')
                        .all(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase())),
                    "{name}: summary {:?} is not Title Case",
                    violation.summary
                );
            }
        }
    }

    #[test]
    fn every_violation_is_reported_not_just_the_first() {
        let input = EnvironmentInput {
            name: "Bad_Name".to_string(),
            tier: "prod".to_string(),
            region: "useast1".to_string(),
            network: Some(NetworkInput {
                subnet_ids: vec!["subnet-12345678".to_string(), "nope".to_string()],
                security_group_ids: vec!["sg-1".to_string()],
                assign_public_ip: Some(true),
                public_subnet_ids: Vec::new(),
            }),
            policy: PolicyInput {
                target_cpu_percent: Some(0),
                log_retention_days: Some(2),
                ..PolicyInput::default()
            },
            tags: BTreeMap::from([("aws:x".to_string(), "y".to_string())]),
            default_tags: BTreeMap::new(),
            ingress: None,
        };
        let paths: Vec<String> = validate(&input)
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "name",
                "tier",
                "region",
                "network.subnet_ids[1]",
                "network.security_group_ids[0]",
                "policy.target_cpu_percent",
                "policy.log_retention_days",
                r#"tags["aws:x"]"#,
            ]
        );
        assert_eq!(plan(&input).unwrap_err().len(), 8);
    }

    #[test]
    fn every_real_region_shape_is_accepted() {
        let accepted = [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-5",
            "eu-isoe-west-1",
            "il-central-1",
            "mx-central-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "ca-west-1",
            "eusc-de-east-1",
        ];
        for region in accepted {
            assert!(naming::is_aws_region(region), "{region} must be accepted");
        }
        let rejected = [
            "us-east",
            "US-EAST-1",
            "useast1",
            "",
            "us-east-1a",
            "us_east_1",
            "us--1",
            "u-east-1",
            "us-east-123",
            "-us-east-1",
            "us-east-1-",
        ];
        for region in rejected {
            assert!(
                !naming::is_aws_region(region),
                "{region:?} must be rejected"
            );
        }
    }

    #[test]
    fn resource_ids_take_8_or_17_hex_characters() {
        assert!(is_resource_id("subnet-12345678", "subnet-"));
        assert!(is_resource_id("subnet-0123456789abcdef0", "subnet-"));
        assert!(is_resource_id("sg-abcdef01", "sg-"));
        assert!(!is_resource_id("sg-abcdef0", "sg-"));
        assert!(!is_resource_id("sg-abcdefgh", "sg-"));
        assert!(!is_resource_id("subnet-12345678", "sg-"));
    }

    #[test]
    fn boundary_values_are_accepted() {
        let input = with(|i| {
            i.name = "a".repeat(20);
            i.policy = PolicyInput {
                min_instances: Some(0),
                max_instances: Some(1000),
                target_cpu_percent: Some(100),
                backup_retention_days: Some(0),
                log_retention_days: Some(3653),
                ..PolicyInput::default()
            };
        });
        assert_eq!(validate(&input), vec![]);
        let input = with(|i| {
            i.name = "a".to_string();
            i.policy.min_instances = Some(1000);
            i.policy.max_instances = Some(1000);
            i.policy.target_cpu_percent = Some(1);
            i.policy.backup_retention_days = Some(35);
            i.policy.log_retention_days = Some(1);
        });
        assert_eq!(validate(&input), vec![]);
    }

    #[test]
    fn suggested_names_are_themselves_valid() {
        for given in [
            "Prod",
            "my_env",
            "1st-env",
            "--x--",
            "Production_Environment_EU",
        ] {
            let suggestion = naming::suggest_dns_name(given, ENVIRONMENT_NAME_LENGTH.max as usize)
                .expect("a suggestion");
            let input = with(|i| i.name = suggestion.clone());
            assert_eq!(validate(&input), vec![], "{given} -> {suggestion}");
        }
        assert_eq!(
            naming::suggest_dns_name("123", ENVIRONMENT_NAME_LENGTH.max as usize),
            None
        );
    }
}
