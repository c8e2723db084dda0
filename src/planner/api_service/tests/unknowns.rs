//! Values unknown at plan time: the service still plans, and exactly the settings they
//! feed are derived as unknown.

use super::*;

fn unknown(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

#[test]
fn unknown_values_make_unknown_only_the_settings_they_feed() {
    // A secret ARN and an env value from resources created in the same plan, on Fargate.
    let plan = planned(&with(scoring_api_fargate, |i| {
        i.secrets.insert("DATABASE_URL".into(), String::new());
        i.env.insert("DATABASE_HOST".into(), String::new());
        i.unknown.secrets = unknown(&["DATABASE_URL"]);
        i.unknown.env = unknown(&["DATABASE_HOST"]);
    }));
    // The execution role's policy names the secrets it may read, so it waits too.
    let want = BTreeMap::from([
        (
            "ecs_task_definition".to_string(),
            unknown(&["container.env_digest", "container.secrets.DATABASE_URL"]),
        ),
        ("execution_role".to_string(), unknown(&["policy"])),
    ]);
    assert_eq!(plan.unknown_settings, want);
    assert!(!plan.tags_unknown);
    // Names are known: the env list still shows the variable.
    assert!(
        child(&plan, "ecs_task_definition").settings["container.env"].contains("DATABASE_HOST")
    );

    // On Fly.io an unknown env value makes every machine's digest unknown, nothing else.
    let plan = planned(&with(scoring_api_fly, |i| {
        i.env.insert("DATABASE_HOST".into(), String::new());
        i.unknown.env = unknown(&["DATABASE_HOST"]);
    }));
    let machines: BTreeSet<&str> = plan
        .children
        .iter()
        .filter(|c| c.kind == "fly_machine")
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        plan.unknown_settings
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        machines
    );
    assert!(
        plan.unknown_settings
            .values()
            .all(|k| *k == unknown(&["env_digest"]))
    );

    // On Workers, into the script's bindings; a tag makes the tags unknown.
    let plan = planned(&with(scoring_api_workers, |i| {
        i.env.insert("API_ORIGIN".into(), String::new());
        i.tags.insert("owner".into(), String::new());
        i.unknown.env = unknown(&["API_ORIGIN"]);
        i.unknown.tags = unknown(&["owner"]);
    }));
    assert_eq!(
        plan.unknown_settings,
        BTreeMap::from([(
            "worker_script".to_string(),
            unknown(&["bindings.env_digest"])
        )])
    );
    assert!(plan.tags_unknown);
}

#[test]
fn an_unknown_secret_is_not_checked_until_known() {
    // An empty reference is an error, unless it is unknown at plan time.
    let empty = with(scoring_api_fargate, |i| {
        i.secrets.insert("DATABASE_URL".into(), String::new());
    });
    assert!(
        validate(&empty)
            .iter()
            .any(|v| v.path == AttributePath::attr("secrets").then_key("DATABASE_URL"))
    );
    let unknown_secret = with(scoring_api_fargate, |i| {
        i.secrets.insert("DATABASE_URL".into(), String::new());
        i.unknown.secrets = unknown(&["DATABASE_URL"]);
    });
    assert_eq!(validate(&unknown_secret), Vec::new());
    // A known plan has no unknown settings.
    assert!(planned(&scoring_api_fargate()).unknown_settings.is_empty());
}
