//! The secret planner: where the value comes from (never what it is), sources, cost,
//! the grant and every validation.

use super::*;
use crate::planner::Tier;
use crate::planner::api_service::iam;
use crate::planner::component::test_context;

fn stripe(tier: Tier) -> SecretInput {
    SecretInput {
        environment: test_context(tier),
        name: "stripe-key".into(),
        description: None,
        generate: None,
        value_wo: false,
        value_wo_version: None,
        kms_key_id: None,
        recovery_window_days: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    }
}

#[test]
fn a_generated_secret_says_how_and_costs_the_table_price() {
    for tier in Tier::ALL {
        let plan = plan(&stripe(tier)).expect("valid");
        assert_eq!(plan.secret_name, "prod/stripe-key");
        assert_eq!(
            plan.value,
            ValueSource::Generated {
                length: 32,
                special: true
            }
        );
        let c = &plan.children[0];
        assert_eq!(
            (c.key.as_str(), c.kind.as_str()),
            ("secret", "secretsmanager_secret")
        );
        assert_eq!(c.settings["generate.length"], "32");
        assert_eq!(c.settings["kms_key"], "aws/secretsmanager");
        assert_eq!(
            c.settings["recovery_window_days"],
            tier.defaults().secret_recovery_window_days.to_string()
        );
        assert_eq!(
            c.settings_source["recovery_window_days"],
            Source::Tier(tier)
        );
        assert_eq!(plan.estimated_monthly_cost_usd, 0.40);
    }
}

#[test]
fn a_write_only_value_shows_only_its_version() {
    let mut input = stripe(Tier::Production);
    input.value_wo = true;
    input.value_wo_version = Some(3);
    let plan = plan(&input).expect("valid");
    assert_eq!(plan.value, ValueSource::WriteOnly { version: 3 });
    let c = &plan.children[0];
    assert_eq!(c.settings["value"], "write-only value_wo, version 3");
    assert!(!c.settings.contains_key("generate.length"));
}

#[test]
fn the_read_grant_is_scoped_to_this_secret() {
    let plan = plan(&stripe(Tier::Production)).expect("valid");
    let read = iam::grant(&plan.grants["read"]).expect("a statement");
    assert_eq!(
        read[0]["Resource"],
        "arn:aws:secretsmanager:eu-west-1:*:secret:prod/stripe-key-??????"
    );
    assert_eq!(
        read[0]["Action"],
        serde_json::json!([
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue"
        ])
    );
}

/// A change to a valid input, the attribute path its error names, and a part of the fix.
type Case = (Box<dyn Fn(&mut SecretInput)>, &'static str, &'static str);

#[test]
fn bad_input_names_the_attribute_and_the_fix() {
    let cases: Vec<Case> = vec![
        (
            Box::new(|i| {
                i.value_wo = true;
                i.value_wo_version = Some(1);
                i.generate = Some(GenerateInput::default());
            }),
            "generate",
            "Remove the `generate` block",
        ),
        (
            Box::new(|i| i.value_wo = true),
            "value_wo",
            "value_wo_version = 1",
        ),
        (
            Box::new(|i| i.value_wo_version = Some(2)),
            "value_wo_version",
            "value_wo",
        ),
        (
            Box::new(|i| {
                i.generate = Some(GenerateInput {
                    length: Some(8),
                    special: None,
                })
            }),
            "generate.length",
            "12",
        ),
        (
            Box::new(|i| i.recovery_window_days = Some(3)),
            "recovery_window_days",
            "7 to 30",
        ),
        (
            Box::new(|i| i.kms_key_id = Some("alias/x".into())),
            "kms_key_id",
            "KMS key ARN",
        ),
        (Box::new(|i| i.name = "Stripe".into()), "name", "DNS-safe"),
    ];
    for (change, path, fix) in cases {
        let mut input = stripe(Tier::Production);
        change(&mut input);
        let v = plan(&input).expect_err(path);
        assert!(
            v.iter().any(|v| v.path.to_string() == path
                && format!("{} {}", v.summary, v.detail).contains(fix)),
            "{path}: {v:#?}"
        );
    }
}
