//! The production safety rules (replacement and destroy guards) and the name of the final
//! snapshot a destroy takes.

use crate::planner::limits::RDS_SNAPSHOT_IDENTIFIER_MAX_CHARS;
use crate::planner::tier::Tier;
use crate::planner::{Violation, messages, naming};
use crate::value::path::AttributePath;

use super::*;

/// The production guard: in `production` (before or after the change), every
/// replacement is a violation at the attribute that forces it, unless the database sets
/// `allow_replacement = true`.
pub fn guard_replacement(input: &DatabaseInput, changes: &Changes) -> Vec<Violation> {
    let production = input.environment.tier == Tier::Production || changes.prior_in_production;
    if !production || input.allow_replacement {
        return Vec::new();
    }
    let identifier = naming::child_name(&input.environment.name, &input.name);
    changes
        .replace
        .iter()
        .map(|(path, reason)| messages::replacement_blocked(path.clone(), &identifier, reason))
        .collect()
}

/// The destroy guard: RDS refuses to delete a protected instance, and production
/// databases are deleted only with `allow_replacement = true` in the state.
pub fn guard_destroy(prior: &DatabasePlan, allow_replacement: bool) -> Option<Violation> {
    let protected = prior.effective.deletion_protection;
    let production = prior.tier == Tier::Production;
    let guarded = production && !allow_replacement;
    if !protected && !guarded {
        return None;
    }
    let mut settings = Vec::new();
    if guarded {
        settings.push("`allow_replacement = true`");
    }
    if protected {
        settings.push("`deletion_protection = false`");
    }
    let why = match (protected, guarded) {
        (true, true) => "it is a production database and its deletion protection is on",
        (true, false) => "its deletion protection is on",
        _ => "it is a production database",
    };
    let snapshot = if prior.effective.final_snapshot {
        "A final snapshot is taken before the instance is deleted."
    } else {
        "No final snapshot will be taken (`final_snapshot = false`)."
    };
    let steps = format!(
        "To delete it, set {} on the database, run `terraform apply`, then destroy again. \
         {snapshot}",
        settings.join(" and ")
    );
    let path = if protected {
        AttributePath::attr("deletion_protection")
    } else {
        AttributePath::attr("allow_replacement")
    };
    Some(messages::deletion_blocked(
        path,
        &prior.identifier,
        why,
        &steps,
    ))
}

/// The final snapshot's identifier: `<identifier>-final-<unique>`, with `unique` (a
/// timestamp, say) reduced to lowercase letters, digits and single hyphens, and the
/// whole cut to RDS's 255 characters without a trailing hyphen.
pub fn final_snapshot_identifier(identifier: &str, unique: &str) -> String {
    let mut id = String::new();
    let words = [identifier, "final", unique];
    for c in words.join("-").chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if id.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        if c == '-' && id.ends_with('-') {
            continue;
        }
        id.push(c);
    }
    if id.is_empty() {
        id.push_str("final");
    }
    id.truncate(RDS_SNAPSHOT_IDENTIFIER_MAX_CHARS);
    id.trim_end_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::database::fixtures::*;
    use crate::planner::environment::PolicyInput;

    #[test]
    fn deletion_protection_blocks_a_replacement_until_it_is_turned_off() {
        let prior = planned(&valid());
        let renamed = with(|i| i.name = "core".to_string());
        let set = changes(&prior, &planned(&renamed));
        assert_eq!(set.errors.len(), 1);
        assert_eq!(set.errors[0].path.to_string(), "name");
        assert!(set.errors[0].detail.contains("deletion_protection = false"));

        let unprotected = with(|i| {
            i.name = "core".to_string();
            i.deletion_protection = Some(false);
        });
        let set = changes(&prior, &planned(&unprotected));
        assert_eq!(set.errors, vec![]);
        assert_eq!(set.replace.len(), 1);
    }

    #[test]
    fn production_replacements_need_allow_replacement() {
        let prior = planned(&valid());
        let next_input = with(|i| {
            i.engine_version = Some("15.4".to_string());
            i.deletion_protection = Some(false);
        });
        let set = changes(&prior, &planned(&next_input));
        assert!(set.prior_in_production);

        let blocked = guard_replacement(&next_input, &set);
        assert_eq!(blocked.len(), 1);
        assert_eq!(blocked[0].path.to_string(), "engine_version");
        assert_eq!(blocked[0].summary, "Database Replacement Blocked");
        let detail = &blocked[0].detail;
        assert!(
            detail.contains("production database `prod-main`"),
            "{detail}"
        );
        assert!(detail.contains("from `16` to `15.4`"), "{detail}");
        assert!(
            detail.contains("revert the change to `engine_version`"),
            "{detail}"
        );
        assert!(detail.contains("allow_replacement = true"), "{detail}");

        let mut allowed = next_input.clone();
        allowed.allow_replacement = true;
        assert_eq!(guard_replacement(&allowed, &set), vec![]);

        let in_place = changes(
            &prior,
            &planned(&with(|i| i.backup_retention_days = Some(35))),
        );
        assert_eq!(guard_replacement(&valid(), &in_place), vec![]);
    }

    #[test]
    fn the_guard_holds_when_the_tier_changes_in_the_same_plan() {
        let prior = planned(&valid());
        let mut next_input = with(|i| i.name = "core".to_string());
        next_input.environment = context(Tier::Staging, PolicyInput::default());
        next_input.environment.name = "prod".to_string();
        let set = changes(&prior, &planned(&next_input));
        let blocked = guard_replacement(&next_input, &set);
        assert_eq!(blocked.len(), 1, "{set:#?}");
        assert_eq!(blocked[0].path.to_string(), "name");
    }

    #[test]
    fn other_tiers_replace_without_asking() {
        for tier in [Tier::Development, Tier::Staging] {
            let prior_input = input(tier);
            let mut next_input = prior_input.clone();
            next_input.name = "core".to_string();
            let set = changes(&planned(&prior_input), &planned(&next_input));
            assert_eq!(set.replace.len(), 1, "{tier}");
            assert_eq!(guard_replacement(&next_input, &set), vec![], "{tier}");
        }
    }

    #[test]
    fn destroy_guard() {
        // (name, tier, deletion_protection, allow_replacement, want path, fragments)
        type Case = (
            &'static str,
            Tier,
            Option<bool>,
            bool,
            Option<&'static str>,
            &'static [&'static str],
        );
        let cases: [Case; 6] = [
            (
                "production defaults",
                Tier::Production,
                None,
                false,
                Some("deletion_protection"),
                &[
                    "production database and its deletion protection is on",
                    "set `allow_replacement = true` and `deletion_protection = false`",
                    "A final snapshot is taken",
                ],
            ),
            (
                "production unprotected",
                Tier::Production,
                Some(false),
                false,
                Some("allow_replacement"),
                &["set `allow_replacement = true` on the database, run `terraform apply`"],
            ),
            (
                "production allowed but protected",
                Tier::Production,
                None,
                true,
                Some("deletion_protection"),
                &["set `deletion_protection = false` on the database"],
            ),
            (
                "production allowed and unprotected",
                Tier::Production,
                Some(false),
                true,
                None,
                &[],
            ),
            (
                "staging protected by config",
                Tier::Staging,
                Some(true),
                false,
                Some("deletion_protection"),
                &["its deletion protection is on", "A final snapshot is taken"],
            ),
            ("development", Tier::Development, None, false, None, &[]),
        ];
        for (name, tier, protection, allow, want_path, fragments) in cases {
            let mut input = input(tier);
            input.deletion_protection = protection;
            let got = guard_destroy(&planned(&input), allow);
            assert_eq!(
                got.as_ref().map(|v| v.path.to_string()).as_deref(),
                want_path,
                "{name}: {got:#?}"
            );
            if let Some(violation) = got {
                assert_eq!(violation.summary, "Database Deletion Blocked", "{name}");
                for fragment in fragments {
                    assert!(
                        violation.detail.contains(fragment),
                        "{name}: {}",
                        violation.detail
                    );
                }
            }
        }
        let mut no_snapshot = input(Tier::Staging);
        no_snapshot.deletion_protection = Some(true);
        no_snapshot.final_snapshot = Some(false);
        let violation = guard_destroy(&planned(&no_snapshot), false).expect("protected");
        assert!(
            violation.detail.contains("No final snapshot"),
            "{}",
            violation.detail
        );
    }

    /// RDS's snapshot identifier rules.
    fn is_snapshot_identifier(id: &str) -> bool {
        id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !id.contains("--")
            && !id.ends_with('-')
            && id.len() <= 255
    }

    #[test]
    fn final_snapshot_identifiers_are_valid_deterministic_and_unique() {
        let cases = [
            (
                "prod-main",
                "20261101T120000Z",
                "prod-main-final-20261101t120000z",
            ),
            (
                "prod-main",
                "2026-11-01T12:00:00Z",
                "prod-main-final-2026-11-01t12-00-00z",
            ),
            ("prod-main", "", "prod-main-final"),
            ("prod-main", "--", "prod-main-final"),
            ("prod-main", "A_B", "prod-main-final-a-b"),
        ];
        for (identifier, unique, want) in cases {
            let got = final_snapshot_identifier(identifier, unique);
            assert_eq!(got, want, "{unique:?}");
            assert!(is_snapshot_identifier(&got), "{got}");
            assert_eq!(
                got,
                final_snapshot_identifier(identifier, unique),
                "deterministic"
            );
        }
        assert_ne!(
            final_snapshot_identifier("prod-main", "1"),
            final_snapshot_identifier("prod-main", "2")
        );
        let long = final_snapshot_identifier(&"a".repeat(63), &"x-".repeat(200));
        assert!(is_snapshot_identifier(&long), "{long}");
        assert!(long.starts_with(&format!("{}-final-", "a".repeat(63))));
        assert!(is_snapshot_identifier(&final_snapshot_identifier(
            "9lives", "1"
        )));
    }
}
