//! Change tests: in place or replaced, per child, and determinism.

use super::*;
use crate::planner::changes::{Changes, ChildAction, ChildChange};

#[test]
fn a_new_image_updates_in_place() {
    let prior = planned(&scoring_api_fargate());
    let next = planned(&with(scoring_api_fargate, |i| {
        i.image = Some("ghcr.io/phishsentry/scoring-api:1.5.0".into());
    }));
    let diff = changes(&prior, &next);
    assert!(!diff.requires_replacement());
    assert_eq!(
        diff.children,
        [ChildChange {
            key: "ecs_task_definition".into(),
            action: ChildAction::Update,
            settings: vec!["container.image".into()],
            reason: "registers a new task definition revision".into(),
        }]
    );

    let prior = planned(&scoring_api_fly());
    let next = planned(&with(scoring_api_fly, |i| {
        i.image = Some("ghcr.io/phishsentry/scoring-api:1.5.0".into());
    }));
    let diff = changes(&prior, &next);
    assert!(!diff.requires_replacement());
    assert_eq!(
        diff.children.len(),
        4,
        "every machine: {:#?}",
        diff.children
    );
    for change in &diff.children {
        assert_eq!(change.action, ChildAction::Update);
        assert_eq!(change.settings, ["image"]);
        assert_eq!(change.reason, "updates the machine in place");
    }
}

#[test]
fn a_new_host_replaces_the_service() {
    let prior = planned(&scoring_api_fly());
    let next = planned(&with(scoring_api_fly, |i| {
        i.host = "aws_fargate".into();
        i.regions = Vec::new();
        i.memory = Some("2GB".into());
        i.secrets = map(&[("DATABASE_URL", SECRET_ARN)]);
    }));
    let diff = changes(&prior, &next);
    assert_eq!(diff.replace.len(), 1);
    assert_eq!(diff.replace[0].0.to_string(), "host");
    assert!(
        diff.replace[0].1.contains("from `fly` to `aws_fargate`"),
        "{}",
        diff.replace[0].1
    );
    let deleted: Vec<&str> = diff
        .children
        .iter()
        .filter(|c| c.action == ChildAction::Delete)
        .map(|c| c.key.as_str())
        .collect();
    let created: Vec<&str> = diff
        .children
        .iter()
        .filter(|c| c.action == ChildAction::Create)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(deleted, keys(&prior));
    assert_eq!(created, keys(&next));
}

#[test]
fn a_new_name_or_environment_replaces_the_service() {
    let prior = planned(&scoring_api_fargate());
    let renamed = planned(&with(scoring_api_fargate, |i| i.name = "scoring".into()));
    let diff = changes(&prior, &renamed);
    assert_eq!(diff.replace[0].0.to_string(), "name");
    assert!(
        diff.replace[0]
            .1
            .contains("`prod-scoring-api` becomes `prod-scoring`")
    );
    let moved = planned(&with(scoring_api_fargate, |i| {
        i.environment = context(Tier::Staging)
    }));
    let diff = changes(&prior, &moved);
    assert_eq!(diff.replace[0].0.to_string(), "environment");
}

#[test]
fn scaling_and_regions_change_specific_children() {
    let prior = planned(&scoring_api_fly());
    let next = planned(&with(scoring_api_fly, |i| {
        i.scaling.min = Some(3);
        i.regions = vec!["iad".into(), "fra".into()];
    }));
    let diff = changes(&prior, &next);
    assert!(!diff.requires_replacement());
    let summary: Vec<(String, ChildAction)> = diff
        .children
        .iter()
        .map(|c| (c.key.clone(), c.action))
        .collect();
    let want = [
        ("fly_app", ChildAction::Update),
        ("fly_machine_iad_3", ChildAction::Create),
        ("fly_machine_fra_1", ChildAction::Create),
        ("fly_machine_fra_2", ChildAction::Create),
        ("fly_machine_fra_3", ChildAction::Create),
        ("fly_machine_ams_1", ChildAction::Delete),
        ("fly_machine_ams_2", ChildAction::Delete),
    ];
    let want: Vec<(String, ChildAction)> = want.iter().map(|(k, a)| (k.to_string(), *a)).collect();
    assert_eq!(summary, want);

    let prior = planned(&scoring_api_fargate());
    let next = planned(&with(scoring_api_fargate, |i| i.scaling.min = Some(3)));
    let diff = changes(&prior, &next);
    let updated: Vec<(&str, Vec<String>)> = diff
        .children
        .iter()
        .map(|c| (c.key.as_str(), c.settings.clone()))
        .collect();
    assert_eq!(
        updated,
        [
            ("ecs_service", vec!["desired_count".to_string()]),
            ("autoscaling_target", vec!["min_capacity".to_string()]),
        ]
    );
}

#[test]
fn moving_a_fly_app_to_another_org_replaces_it() {
    let prior = planned(&scoring_api_fly());
    let next = planned(&with(scoring_api_fly, |i| i.fly_org = Some("other".into())));
    let diff = changes(&prior, &next);
    assert_eq!(diff.children.len(), 1);
    assert_eq!(diff.children[0].action, ChildAction::Replace);
    assert_eq!(diff.children[0].reason, "`org` cannot change in place");
    assert_eq!(changes(&prior, &prior), Changes::default());
}

#[test]
fn plans_are_deterministic_and_named_after_the_environment() {
    for input in [
        scoring_api_fargate(),
        scoring_api_fly(),
        scoring_api_workers(),
    ] {
        assert_eq!(plan(&input), plan(&input));
        let plan = planned(&input);
        assert_eq!(plan.tags["platform:environment"], "prod");
        assert_eq!(plan.tags["platform:component"], "api_service");
        assert_eq!(plan.tags["team"], "scoring");
        for c in &plan.children {
            // The log group is a path under the environment: /platform/prod/scoring-api.
            let own = c.name.contains("prod-scoring-api") || c.name == "/platform/prod/scoring-api";
            assert!(own, "{}: {}", c.key, c.name);
        }
    }
}

#[test]
fn digests_change_with_the_text() {
    assert_eq!(digest("a"), digest("a"));
    assert_ne!(digest("a"), digest("b"));
    assert_eq!(digest(""), "fnv1a64:cbf29ce484222325");
}
