//! What changing from one plan to the next does: replacements of the DB instance, updates
//! in place, and what RDS cannot do at all (shrinking storage).

use std::collections::BTreeSet;

use crate::planner::changes::child_changes;
use crate::planner::limits::{self, RDS_MIN_STORAGE_INCREASE_PERCENT};
use crate::planner::messages;
use crate::planner::tier::Tier;
use crate::value::path::AttributePath;

use super::*;

// ---- changes and guards -----------------------------------------------------------

/// What changing from `prior` to `next` does to the database: replacements of the DB
/// instance with their reasons, in-place updates, and changes RDS cannot make.
pub fn changes(prior: &DatabasePlan, next: &DatabasePlan) -> Changes {
    let mut set = Changes {
        prior_in_production: prior.tier == Tier::Production,
        ..Changes::default()
    };
    let (p, n) = (&prior.effective, &next.effective);

    if prior.identifier != next.identifier {
        let path = if prior.environment != next.environment {
            "environment"
        } else {
            "name"
        };
        let reason = format!(
            "the DB instance identifier changes from `{}` to `{}`, and the platform finds \
             its instances by that deterministic name",
            prior.identifier, next.identifier
        );
        set.replace.push((AttributePath::attr(path), reason));
    }
    if prior.region != next.region {
        let reason = format!(
            "the environment's region changes from `{}` to `{}`, and an RDS instance \
             cannot move between regions",
            prior.region, next.region
        );
        set.replace
            .push((AttributePath::attr("environment"), reason));
    }
    if p.storage_encrypted != n.storage_encrypted {
        let reason = format!(
            "storage encryption changes from `{}` to `{}`, which RDS cannot change on an \
             existing instance",
            p.storage_encrypted, n.storage_encrypted
        );
        set.replace
            .push((AttributePath::attr("storage_encrypted"), reason));
    }
    compare_engine_versions(p, n, &mut set);

    let mut moved = |setting: &str, from: String, to: String| {
        if from != to {
            set.in_place.push(format!("{setting}: `{from}` -> `{to}`"));
        }
    };
    moved(
        "instance_class",
        p.instance_class.clone(),
        n.instance_class.clone(),
    );
    moved("multi_az", yes_no(p.multi_az), yes_no(n.multi_az));
    moved(
        "backup_retention_days",
        p.backup_retention_days.to_string(),
        n.backup_retention_days.to_string(),
    );
    moved(
        "deletion_protection",
        yes_no(p.deletion_protection),
        yes_no(n.deletion_protection),
    );
    moved(
        "final_snapshot",
        yes_no(p.final_snapshot),
        yes_no(n.final_snapshot),
    );
    moved(
        "manage_master_password",
        yes_no(p.manage_master_password),
        yes_no(n.manage_master_password),
    );
    let version = |v: Option<i64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    moved(
        "master_password_wo_version",
        version(p.master_password_wo_version),
        version(n.master_password_wo_version),
    );
    let group = |e: &EffectiveDatabase| {
        e.parameter_group
            .clone()
            .unwrap_or_else(|| default_parameter_group(e))
    };
    moved("parameter_group", group(p), group(n));
    moved(
        "shared_preload_libraries",
        p.shared_preload_libraries.join(","),
        n.shared_preload_libraries.join(","),
    );
    if p.tags != n.tags {
        set.in_place.push("tags: changed".to_string());
    }

    compare_storage(p.storage_gb, n.storage_gb, &mut set);
    compare_replicas(prior, next, &mut set);
    let replaced = (!set.replace.is_empty()).then_some("the DB instance is replaced");
    set.children = child_changes(
        &prior.children,
        &next.children,
        replaced,
        |_, _| false,
        |_| "updates in place",
    );

    // Replacing deletes the old instance, which RDS refuses while it is protected.
    if !set.replace.is_empty() && p.deletion_protection && n.deletion_protection {
        let (path, reason) = &set.replace[0];
        let violation =
            messages::replacement_needs_unprotected(path.clone(), &prior.identifier, reason);
        set.errors.push(violation);
    }
    set
}

pub(super) fn compare_engine_versions(
    p: &EffectiveDatabase,
    n: &EffectiveDatabase,
    set: &mut Changes,
) {
    if p.engine_version == n.engine_version {
        return;
    }
    let path = AttributePath::attr("engine_version");
    let (Some(from), Some(to)) = (
        EngineVersion::parse(&p.engine_version),
        EngineVersion::parse(&n.engine_version),
    ) else {
        // Plans only hold validated versions; treat anything else as a plain update.
        set.in_place.push(format!(
            "engine_version: `{}` -> `{}`",
            p.engine_version, n.engine_version
        ));
        return;
    };
    let downgrade = to.major < from.major
        || (to.major == from.major
            && matches!((from.minor, to.minor), (Some(a), Some(b)) if b < a));
    if downgrade {
        let reason = format!(
            "`engine_version` goes down from `{}` to `{}`, and RDS cannot downgrade an \
             instance in place",
            p.engine_version, n.engine_version
        );
        set.replace.push((path, reason));
        return;
    }
    let what = if to.major > from.major {
        "major version upgrade"
    } else {
        "minor version change"
    };
    set.in_place.push(format!(
        "engine_version: `{}` -> `{}` ({what})",
        p.engine_version, n.engine_version
    ));
}

pub(super) fn compare_storage(prior: i64, next: i64, set: &mut Changes) {
    let path = AttributePath::attr("storage_gb");
    let minimum = limits::min_storage_increase(prior);
    if next == prior {
        return;
    }
    if next < prior {
        set.errors
            .push(messages::storage_decrease(path, prior, next, minimum));
    } else if next < minimum {
        set.errors.push(messages::storage_increase_too_small(
            path,
            prior,
            next,
            minimum,
            RDS_MIN_STORAGE_INCREASE_PERCENT,
        ));
    } else {
        set.in_place
            .push(format!("storage_gb: `{prior}` -> `{next}`"));
    }
}

pub(super) fn compare_replicas(prior: &DatabasePlan, next: &DatabasePlan, set: &mut Changes) {
    let before: BTreeSet<&String> = prior.effective.read_replica_regions.iter().collect();
    let after: BTreeSet<&String> = next.effective.read_replica_regions.iter().collect();
    for region in after.difference(&before) {
        set.in_place.push(format!(
            "read_replicas: add `{}`",
            replica_identifier(&next.identifier, region)
        ));
    }
    for region in before.difference(&after) {
        set.in_place.push(format!(
            "read_replicas: remove `{}` (deleted without a snapshot)",
            replica_identifier(&prior.identifier, region)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::database::fixtures::*;

    fn change_dev(change: impl FnOnce(&mut DatabaseInput)) -> Changes {
        let prior = input(Tier::Development);
        let mut next = prior.clone();
        change(&mut next);
        changes(&planned(&prior), &planned(&next))
    }

    fn renamed_environment(i: &mut DatabaseInput) {
        i.environment.name = "dev2".to_string();
    }

    #[test]
    fn what_replaces_and_what_updates_in_place() {
        type Case = (
            &'static str,
            Box<dyn Fn(&mut DatabaseInput)>,
            Vec<&'static str>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            ("nothing", Box::new(|_| {}), vec![], vec![]),
            (
                "name",
                Box::new(|i| i.name = "core".to_string()),
                vec!["name"],
                vec![],
            ),
            (
                "environment name",
                Box::new(renamed_environment),
                vec!["environment"],
                // The `platform:environment` tag follows the environment's name.
                vec!["tags: changed"],
            ),
            (
                "region",
                Box::new(|i| i.environment.region = "us-east-1".to_string()),
                vec!["environment"],
                vec![],
            ),
            (
                "major downgrade",
                Box::new(|i| i.engine_version = Some("15".to_string())),
                vec!["engine_version"],
                vec!["parameter_group: `default.postgres16` -> `default.postgres15`"],
            ),
            (
                "major upgrade",
                Box::new(|i| i.engine_version = Some("17".to_string())),
                vec![],
                vec![
                    "engine_version: `16` -> `17` (major version upgrade)",
                    "parameter_group: `default.postgres16` -> `default.postgres17`",
                ],
            ),
            (
                "pin a minor",
                Box::new(|i| i.engine_version = Some("16.4".to_string())),
                vec![],
                vec!["engine_version: `16` -> `16.4` (minor version change)"],
            ),
            (
                "class",
                Box::new(|i| i.size = Some("medium".to_string())),
                vec![],
                vec!["instance_class: `db.t3.micro` -> `db.t3.medium`"],
            ),
            (
                "storage by 10 %",
                Box::new(|i| i.storage_gb = Some("22".to_string())),
                vec![],
                vec!["storage_gb: `20` -> `22`"],
            ),
            (
                "retention",
                Box::new(|i| i.backup_retention_days = Some(7)),
                vec![],
                vec!["backup_retention_days: `1` -> `7`"],
            ),
            (
                "multi-AZ",
                Box::new(|i| i.multi_az = Some(true)),
                vec![],
                vec!["multi_az: `false` -> `true`"],
            ),
            (
                "tags",
                Box::new(|i| {
                    i.tags.insert("owner".to_string(), "ana".to_string());
                }),
                vec![],
                vec!["tags: changed"],
            ),
            (
                "replica added",
                Box::new(|i| i.read_replicas = replicas(&["us-east-1"])),
                vec![],
                vec!["read_replicas: add `dev-main-us-east-1`"],
            ),
            (
                "extension needing a group",
                Box::new(|i| i.extensions = strings(&["pg_cron"])),
                vec![],
                vec![
                    "parameter_group: `default.postgres16` -> `dev-main-postgres16`",
                    "shared_preload_libraries: `` -> `pg_stat_statements,pg_cron`",
                ],
            ),
            (
                "write-only password rotation",
                Box::new(|i| {
                    i.master_password_wo_set = true;
                    i.master_password_wo_version = Some(1);
                }),
                vec![],
                vec![
                    "manage_master_password: `true` -> `false`",
                    "master_password_wo_version: `none` -> `1`",
                ],
            ),
        ];
        for (name, change, want_replace, want_in_place) in cases {
            let set = change_dev(|i| change(i));
            let replace: Vec<String> = set.replace.iter().map(|(p, _)| p.to_string()).collect();
            assert_eq!(replace, want_replace, "{name}: {set:#?}");
            assert_eq!(set.in_place, want_in_place, "{name}");
            assert_eq!(set.errors, vec![], "{name}");
            assert!(!set.prior_in_production, "{name}");
            assert_eq!(set.is_empty(), name == "nothing", "{name}");
            for (_, reason) in &set.replace {
                assert!(
                    reason.contains('`'),
                    "{name}: reason quotes values: {reason}"
                );
            }
        }
    }

    #[test]
    fn minor_downgrades_and_encryption_changes_replace() {
        let mut prior_input = input(Tier::Development);
        prior_input.engine_version = Some("16.4".to_string());
        let prior = planned(&prior_input);
        let mut next_input = prior_input.clone();
        next_input.engine_version = Some("16.2".to_string());
        let set = changes(&prior, &planned(&next_input));
        assert_eq!(set.replace.len(), 1);
        assert_eq!(set.replace[0].0.to_string(), "engine_version");
        assert!(
            set.replace[0].1.contains("cannot downgrade"),
            "{}",
            set.replace[0].1
        );

        // An imported unencrypted instance: encryption cannot be switched on in place.
        let mut unencrypted = prior.clone();
        unencrypted.effective.storage_encrypted = false;
        let set = changes(&unencrypted, &prior);
        let paths: Vec<String> = set.replace.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths, ["storage_encrypted"]);
    }

    #[test]
    fn storage_must_grow_by_ten_percent_and_never_shrink() {
        let cases = [
            ("100", "110", None),
            ("100", "1TB", None),
            ("100", "109", Some("at least `110`")),
            ("100", "90", Some("cannot shrink")),
            ("21", "23", Some("at least `24`")),
        ];
        for (from, to, want_error) in cases {
            let mut prior = input(Tier::Development);
            prior.storage_gb = Some(from.to_string());
            let mut next = prior.clone();
            next.storage_gb = Some(to.to_string());
            let set = changes(&planned(&prior), &planned(&next));
            match want_error {
                None => {
                    assert_eq!(set.errors, vec![], "{from} -> {to}");
                    assert!(set.in_place[0].starts_with("storage_gb:"), "{from} -> {to}");
                }
                Some(fragment) => {
                    assert_eq!(set.errors.len(), 1, "{from} -> {to}");
                    assert_eq!(set.errors[0].path.to_string(), "storage_gb");
                    assert!(
                        set.errors[0].detail.contains(fragment),
                        "{}",
                        set.errors[0].detail
                    );
                    assert!(
                        set.in_place.is_empty(),
                        "{from} -> {to}: {:?}",
                        set.in_place
                    );
                }
            }
        }
    }

    #[test]
    fn each_child_shows_what_happens_to_it() {
        use crate::planner::changes::ChildAction;
        let summary = |set: &Changes| -> Vec<(String, ChildAction)> {
            set.children
                .iter()
                .map(|c| (c.key.clone(), c.action))
                .collect()
        };
        let set = change_dev(|i| i.size = Some("medium".to_string()));
        assert_eq!(
            summary(&set),
            [("rds_instance".to_string(), ChildAction::Update)]
        );
        assert_eq!(set.children[0].settings, ["instance_class"]);

        let set = change_dev(|i| i.name = "core".to_string());
        assert_eq!(
            summary(&set),
            [
                ("rds_instance".to_string(), ChildAction::Delete),
                ("rds_instance".to_string(), ChildAction::Create),
            ]
        );
        assert_eq!(set.children[0].reason, "the DB instance is replaced");
    }

    #[test]
    fn removing_a_replica_deletes_it_without_a_snapshot() {
        let prior = planned(&valid());
        let next = planned(&with(|i| i.read_replicas.clear()));
        let set = changes(&prior, &next);
        assert_eq!(set.replace, vec![]);
        assert_eq!(
            set.in_place,
            ["read_replicas: remove `prod-main-us-east-1` (deleted without a snapshot)"]
        );
    }
}
