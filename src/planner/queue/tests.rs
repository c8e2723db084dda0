//! The queue planner: children, sources, names, grants and every validation.

use super::*;
use crate::planner::Tier;
use crate::planner::api_service::iam;
use crate::planner::component::test_context;

fn jobs(tier: Tier) -> QueueInput {
    QueueInput {
        environment: test_context(tier),
        name: "jobs".into(),
        fifo: None,
        visibility_timeout_seconds: None,
        retention_days: None,
        dead_letter: None,
        kms_key_id: None,
        tags: BTreeMap::new(),
        default_tags: BTreeMap::new(),
    }
}

fn child<'a>(plan: &'a QueuePlan, key: &str) -> &'a Child {
    plan.children
        .iter()
        .find(|c| c.key == key)
        .unwrap_or_else(|| panic!("no child {key}"))
}

#[test]
fn a_queue_has_a_dead_letter_queue_after_the_tiers_receives() {
    for tier in Tier::ALL {
        let plan = plan(&jobs(tier)).expect("valid");
        let keys: Vec<&str> = plan.children.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["dead_letter_queue", "queue"], "creation order");
        let q = child(&plan, "queue");
        assert_eq!(q.name, "prod-jobs");
        assert_eq!(
            q.settings["dead_letter.max_receives"],
            tier.defaults().queue_max_receives.to_string()
        );
        assert_eq!(
            q.settings_source["dead_letter.max_receives"],
            Source::Tier(tier)
        );
        assert_eq!(q.settings["dead_letter.queue"], "prod-jobs-dlq");
        assert_eq!(q.settings["visibility_timeout_seconds"], "30");
        assert_eq!(q.settings["retention_days"], "4");
        assert_eq!(q.settings["encryption"], "SSE-SQS");
        assert!(
            q.settings["pricing"].starts_with(
                "usage-priced: $0.40 per million standard requests after the first 1,000,000"
            ),
            "{}",
            q.settings["pricing"]
        );
        assert_eq!(
            child(&plan, "dead_letter_queue").settings["retention_days"],
            "14"
        );
        assert_eq!(plan.estimated_monthly_cost_usd, 0.0);
        assert_eq!(plan.retention_seconds, 4 * 86_400);
        assert_eq!(plan.identity.tags["team"], "platform");
        assert_eq!(plan.identity.tags["platform:component"], "queue");
    }
}

#[test]
fn fifo_names_end_in_fifo_and_settings_say_config() {
    let mut input = jobs(Tier::Staging);
    input.fifo = Some(true);
    input.visibility_timeout_seconds = Some(900);
    input.retention_days = Some(7);
    input.dead_letter = Some(DeadLetterInput {
        enabled: None,
        max_receives: Some(3),
    });
    let plan = plan(&input).expect("valid");
    assert_eq!(plan.queue_name, "prod-jobs.fifo");
    assert_eq!(
        plan.dead_letter.as_ref().map(|d| d.queue_name.as_str()),
        Some("prod-jobs-dlq.fifo")
    );
    let q = child(&plan, "queue");
    for key in [
        "fifo",
        "visibility_timeout_seconds",
        "retention_days",
        "dead_letter.max_receives",
    ] {
        assert_eq!(q.settings_source[key], Source::Config, "{key}");
    }
    assert!(q.settings["pricing"].contains("$0.50 per million FIFO"));
}

#[test]
fn a_disabled_dead_letter_queue_is_not_planned() {
    let mut input = jobs(Tier::Production);
    input.dead_letter = Some(DeadLetterInput {
        enabled: Some(false),
        max_receives: None,
    });
    let plan = plan(&input).expect("valid");
    assert!(plan.dead_letter.is_none());
    assert_eq!(plan.children.len(), 1);
    assert_eq!(child(&plan, "queue").settings["dead_letter.queue"], "none");
}

#[test]
fn grants_are_scoped_to_this_queue() {
    let plan = plan(&jobs(Tier::Production)).expect("valid");
    let send = iam::grant(&plan.grants["send"]).expect("a statement");
    assert_eq!(send[0]["Resource"], "arn:aws:sqs:eu-west-1:*:prod-jobs");
    assert_eq!(
        send[0]["Action"],
        serde_json::json!([
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:SendMessage"
        ])
    );
    let consume = iam::grant(&plan.grants["consume"]).expect("a statement");
    assert!(
        consume[0]["Action"]
            .as_array()
            .expect("actions")
            .contains(&serde_json::json!("sqs:DeleteMessage"))
    );
    let mut kms = jobs(Tier::Production);
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    kms.kms_key_id = Some(key.into());
    let plan = super::plan(&kms).expect("valid");
    let send = iam::grant(&plan.grants["send"]).expect("statements");
    assert_eq!(send.len(), 2);
    assert_eq!(send[1]["Resource"], key);
    assert_eq!(
        child(&plan, "queue").settings["encryption"],
        format!("SSE-KMS ({key})")
    );
}

/// A change to a valid input, the attribute path its error names, and a part of the fix.
type Case = (Box<dyn Fn(&mut QueueInput)>, &'static str, &'static str);

#[test]
fn bad_input_names_the_attribute_and_the_fix() {
    let cases: Vec<Case> = vec![
        (
            Box::new(|i| i.name = "jobs.fifo".into()),
            "name",
            "set `fifo = true`",
        ),
        (Box::new(|i| i.name = "Jobs".into()), "name", "DNS-safe"),
        (
            Box::new(|i| i.visibility_timeout_seconds = Some(50_000)),
            "visibility_timeout_seconds",
            "43200",
        ),
        (
            Box::new(|i| i.retention_days = Some(15)),
            "retention_days",
            "14",
        ),
        (
            Box::new(|i| {
                i.dead_letter = Some(DeadLetterInput {
                    enabled: None,
                    max_receives: Some(0),
                })
            }),
            "dead_letter.max_receives",
            "1000",
        ),
        (
            Box::new(|i| {
                i.dead_letter = Some(DeadLetterInput {
                    enabled: Some(false),
                    max_receives: Some(3),
                })
            }),
            "dead_letter.max_receives",
            "Remove `max_receives`",
        ),
        (
            Box::new(|i| i.kms_key_id = Some("alias/aws/sqs".into())),
            "kms_key_id",
            "KMS key ARN",
        ),
        (Box::new(|i| i.name = "a".repeat(51)), "name", "50"),
    ];
    for (change, path, fix) in cases {
        let mut input = jobs(Tier::Production);
        change(&mut input);
        let v = plan(&input).expect_err(path);
        assert!(
            v.iter().any(|v| v.path.to_string() == path
                && format!("{} {}", v.summary, v.detail).contains(fix)),
            "{path}: {v:#?}"
        );
        assert_eq!(validate(&input), v);
    }
}
