//! The bucket planner: children and their sources, the derived name, cost, guards,
//! grants and every validation.

use super::*;
use crate::planner::api_service::iam;
use crate::planner::component::test_context;

fn uploads(tier: Tier) -> BucketInput {
    BucketInput {
        environment: test_context(tier),
        name: "uploads".into(),
        bucket_name: None,
        versioning: None,
        encryption: None,
        kms_key_id: None,
        lifecycle_rules: Vec::new(),
        cors: Vec::new(),
        expected_storage_gb: None,
        force_destroy: None,
        allow_replacement: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    }
}

fn child<'a>(plan: &'a BucketPlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child {key}"))
}

#[test]
fn a_bucket_blocks_public_access_encrypts_and_versions_per_tier() {
    for tier in Tier::ALL {
        let plan = plan(&uploads(tier)).expect("valid");
        let keys: Vec<&str> = plan.children.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["bucket", "public_access_block", "encryption", "versioning"]
        );
        assert_eq!(
            plan.bucket_name,
            derived_name("eu-west-1", "prod", "uploads")
        );
        assert!(plan.bucket_name.starts_with("prod-uploads-"));
        assert_eq!(plan.bucket_name.len(), "prod-uploads-".len() + 8);
        assert_eq!(bucket_name_problem(&plan.bucket_name), None);
        let status = &child(&plan, "versioning").settings["status"];
        assert_eq!(status == "Enabled", tier.defaults().bucket_versioning);
        assert_eq!(
            child(&plan, "versioning").settings_source["status"],
            Source::Tier(tier)
        );
        assert_eq!(child(&plan, "encryption").settings["algorithm"], "AES256");
        assert_eq!(plan.protected, tier == Tier::Production);
        // No expected storage: usage-priced, said so, $0.
        assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
        assert!(
            child(&plan, "bucket").settings["pricing"]
                .starts_with("usage-priced: $0.023 per GB-month")
        );
    }
}

#[test]
fn the_derived_name_differs_by_region_environment_and_name() {
    let a = derived_name("eu-west-1", "prod", "uploads");
    assert_ne!(a, derived_name("us-east-1", "prod", "uploads"));
    assert_ne!(a, derived_name("eu-west-1", "stg", "uploads"));
    assert_ne!(a, derived_name("eu-west-1", "prod", "logs"));
    assert_eq!(a, derived_name("eu-west-1", "prod", "uploads"));
}

#[test]
fn expected_storage_is_priced_from_the_table() {
    let mut input = uploads(Tier::Production);
    input.expected_storage_gb = Some(500.0);
    let plan = plan(&input).expect("valid");
    assert!((plan.estimated_monthly_cost_usd - 11.5).abs() < 1e-9);
    assert!(
        child(&plan, "bucket").settings["pricing"]
            .starts_with("500 GB-month of S3 Standard at $0.023")
    );
}

#[test]
fn lifecycle_and_cors_rules_are_planned_in_words() {
    let mut input = uploads(Tier::Staging);
    input.lifecycle_rules = vec![
        LifecycleRuleInput {
            prefix: Some("logs/".into()),
            expire_after_days: Some(365),
            transition_after_days: Some(30),
            storage_class: Some("GLACIER_IR".into()),
        },
        LifecycleRuleInput {
            prefix: None,
            expire_after_days: Some(7),
            ..Default::default()
        },
    ];
    input.cors = vec![CorsInput {
        allowed_origins: vec!["https://app.infrar.io".into()],
        allowed_methods: vec!["GET".into(), "PUT".into()],
        allowed_headers: vec!["*".into()],
        max_age_seconds: Some(3000),
    }];
    let plan = plan(&input).expect("valid");
    let l = child(&plan, "lifecycle");
    assert_eq!(
        l.settings["rule-0"],
        "prefix \"logs/\": to GLACIER_IR after 30 days; expire after 365 days"
    );
    assert_eq!(l.settings["rule-1"], "every object: expire after 7 days");
    assert_eq!(
        child(&plan, "cors").settings["rule-0"],
        "GET, PUT from https://app.infrar.io; headers *; max age 3000 s"
    );
}

#[test]
fn grants_are_scoped_to_this_bucket_and_its_objects() {
    let plan = plan(&uploads(Tier::Production)).expect("valid");
    let arn = format!("arn:aws:s3:::{}", plan.bucket_name);
    let read = iam::grant(&plan.grants["read"]).expect("statements");
    assert_eq!(read[0]["Resource"], arn.as_str());
    assert_eq!(read[1]["Resource"], format!("{arn}/*"));
    assert_eq!(read[1]["Action"], serde_json::json!(["s3:GetObject"]));
    let rw = iam::grant(&plan.grants["read_write"]).expect("statements");
    assert!(
        rw[1]["Action"]
            .as_array()
            .expect("actions")
            .contains(&serde_json::json!("s3:PutObject"))
    );
}

/// A change to a valid input, the attribute path its error names, and a part of the fix.
type Case = (Box<dyn Fn(&mut BucketInput)>, &'static str, &'static str);

#[test]
fn bad_input_names_the_attribute_and_the_fix() {
    let rule = |f: fn(&mut LifecycleRuleInput)| {
        move |i: &mut BucketInput| {
            let mut r = LifecycleRuleInput {
                prefix: None,
                expire_after_days: Some(30),
                ..Default::default()
            };
            f(&mut r);
            i.lifecycle_rules = vec![r];
        }
    };
    let cases: Vec<Case> = vec![
        (
            Box::new(|i| i.bucket_name = Some("My_Bucket".into())),
            "bucket_name",
            "lowercase",
        ),
        (
            Box::new(|i| i.bucket_name = Some("192.168.1.1".into())),
            "bucket_name",
            "IP address",
        ),
        (
            Box::new(|i| i.encryption = Some("KMS".into())),
            "encryption",
            "aws:kms",
        ),
        (
            Box::new(|i| i.kms_key_id = Some("arn:aws:kms:eu-west-1:123456789012:key/abc".into())),
            "kms_key_id",
            "encryption = \"aws:kms\"",
        ),
        (
            Box::new(|i| i.expected_storage_gb = Some(-1.0)),
            "expected_storage_gb",
            "between",
        ),
        (
            Box::new(rule(|r| r.expire_after_days = None)),
            "lifecycle_rule[0]",
            "Set `expire_after_days`",
        ),
        (
            Box::new(rule(|r| r.transition_after_days = Some(10))),
            "lifecycle_rule[0].transition_after_days",
            "storage_class",
        ),
        (
            Box::new(rule(|r| {
                r.transition_after_days = Some(10);
                r.storage_class = Some("STANDARD_IA".into());
            })),
            "lifecycle_rule[0].transition_after_days",
            "30 days",
        ),
        (
            Box::new(rule(|r| {
                r.transition_after_days = Some(40);
                r.storage_class = Some("GLACIER".into());
            })),
            "lifecycle_rule[0].expire_after_days",
            "Expire later",
        ),
        (
            Box::new(rule(|r| {
                r.transition_after_days = Some(1);
                r.storage_class = Some("COLD".into());
            })),
            "lifecycle_rule[0].storage_class",
            "GLACIER_IR",
        ),
        (
            Box::new(|i| {
                i.cors = vec![CorsInput {
                    allowed_origins: vec![],
                    allowed_methods: vec!["PATCH".into()],
                    ..Default::default()
                }]
            }),
            "cors[0].allowed_methods[0]",
            "`GET`",
        ),
    ];
    for (change, path, fix) in cases {
        let mut input = uploads(Tier::Production);
        change(&mut input);
        let v = plan(&input).expect_err(path);
        assert!(
            v.iter().any(|v| v.path.to_string() == path
                && format!("{} {}", v.summary, v.detail).contains(fix)),
            "{path}: {v:#?}"
        );
    }
}
