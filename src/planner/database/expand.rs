//! The children a database expands into (primary DB instance, custom parameter group,
//! read replicas) and what each costs a month from the dated price table.

use std::collections::BTreeMap;

use crate::planner::environment::EnvironmentContext;
use crate::planner::{Child, Settings, Source, prices};

use super::*;

/// A replica's DB instance identifier: `<identifier>-<region>`.
pub(super) fn replica_identifier(identifier: &str, region: &str) -> String {
    format!("{identifier}-{region}")
}

/// The logical key of the replica in `region`: `rds_replica_<region>`.
pub fn replica_key(region: &str) -> String {
    format!("rds_replica_{region}")
}

pub(super) fn yes_no(value: bool) -> String {
    value.to_string()
}

pub(super) fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// One child's settings from `(setting, value, source)` rows, with the price note when
/// part of its cost could not be priced.
pub(super) fn child(
    key: String,
    kind: &str,
    name: String,
    rows: Vec<(&str, String, Source)>,
    cost: Cost,
) -> Child {
    let mut settings: Settings = rows.into_iter().collect();
    if let Some((note, source)) = cost.note {
        settings.set("price_note", note, source);
    }
    settings.child(&key, "aws", kind, &name, cents(cost.usd))
}

/// The rows the primary and its replicas share: engine, version, class and storage.
pub(super) fn instance_rows(
    e: &EffectiveDatabase,
    source: &dyn Fn(&str) -> Source,
) -> Vec<(&'static str, String, Source)> {
    vec![
        ("engine", ENGINE.to_string(), Source::Fixed),
        (
            "engine_version",
            e.engine_version.clone(),
            source("engine_version"),
        ),
        (
            "instance_class",
            e.instance_class.clone(),
            source("instance_class"),
        ),
        ("storage_gb", e.storage_gb.to_string(), source("storage_gb")),
        (
            "storage_type",
            e.storage_type.clone(),
            source("storage_type"),
        ),
        (
            "storage_encrypted",
            yes_no(e.storage_encrypted),
            source("storage_encrypted"),
        ),
    ]
}

/// The primary DB instance.
pub(super) fn primary(
    identifier: &str,
    env: &EnvironmentContext,
    effective: &EffectiveDatabase,
    sources: &BTreeMap<String, Source>,
) -> Child {
    let source = |setting: &str| sources[setting];
    let e = effective;
    let mut rows = instance_rows(e, &source);
    rows.extend([
        ("multi_az", yes_no(e.multi_az), source("multi_az")),
        (
            "backup_retention_days",
            e.backup_retention_days.to_string(),
            source("backup_retention_days"),
        ),
        (
            "deletion_protection",
            yes_no(e.deletion_protection),
            source("deletion_protection"),
        ),
        (
            "final_snapshot",
            yes_no(e.final_snapshot),
            source("final_snapshot"),
        ),
        (
            "manage_master_password",
            yes_no(e.manage_master_password),
            source("manage_master_password"),
        ),
        (
            "parameter_group",
            e.parameter_group
                .clone()
                .unwrap_or_else(|| default_parameter_group(e)),
            source("parameter_group"),
        ),
        ("region", env.region.clone(), Source::Environment),
    ]);
    if let Some(version) = e.master_password_wo_version {
        rows.push((
            "master_password_wo_version",
            version.to_string(),
            Source::Config,
        ));
    }
    if !e.extensions.is_empty() {
        rows.push(("extensions", e.extensions.join(","), Source::Config));
    }
    let cost = primary_cost(&env.region, e);
    child(
        RDS_INSTANCE_KEY.to_string(),
        "rds_db_instance",
        identifier.to_string(),
        rows,
        cost,
    )
}

pub(super) fn default_parameter_group(e: &EffectiveDatabase) -> String {
    format!("default.{}", e.parameter_group_family)
}

/// The custom DB parameter group, when extensions need one.
pub(super) fn parameter_group(env: &EnvironmentContext, e: &EffectiveDatabase) -> Option<Child> {
    let name = e.parameter_group.clone()?;
    let mut rows = vec![
        // Both follow from the engine version and the extensions.
        ("family", e.parameter_group_family.clone(), Source::Derived),
        (
            "shared_preload_libraries",
            e.shared_preload_libraries.join(","),
            Source::Derived,
        ),
        ("region", env.region.clone(), Source::Environment),
    ];
    for rule in e.extensions.iter().filter_map(|x| extension_rule(x)) {
        for (parameter, value) in rule.parameters {
            rows.push((*parameter, value.to_string(), Source::Derived));
        }
    }
    // Parameter groups are free.
    let cost = Cost {
        usd: 0.0,
        note: None,
    };
    Some(child(
        RDS_PARAMETER_GROUP_KEY.to_string(),
        "rds_db_parameter_group",
        name,
        rows,
        cost,
    ))
}

/// One read replica. Replicas are single-AZ, keep no backups of their own, carry no
/// deletion protection (destroy deletes them first, without snapshots) and take no
/// master password: RDS rejects one on a replica, which inherits the primary's.
pub(super) fn replica(
    identifier: &str,
    env: &EnvironmentContext,
    region: &str,
    e: &EffectiveDatabase,
) -> Child {
    // Engine, version, class and storage follow the source instance.
    let derived = |_: &str| Source::Derived;
    // Parameter groups are regional: a replica in another region uses that region's
    // default group, which is enough for a read-only copy.
    let group = match &e.parameter_group {
        Some(group) if region == env.region => group.clone(),
        _ => default_parameter_group(e),
    };
    let mut rows = instance_rows(e, &derived);
    // What a replica is, by design and in every tier: single-AZ, no backups or deletion
    // protection of its own, the source's password.
    rows.extend([
        (
            "source_db_instance",
            identifier.to_string(),
            Source::Derived,
        ),
        ("multi_az", yes_no(false), Source::Fixed),
        ("backup_retention_days", "0".to_string(), Source::Fixed),
        ("deletion_protection", yes_no(false), Source::Fixed),
        (
            "master_password",
            "inherited from the source instance".to_string(),
            Source::Fixed,
        ),
        ("parameter_group", group, Source::Derived),
        ("region", region.to_string(), Source::Config),
    ]);
    let cost = replica_cost(region, e, Source::Config);
    child(
        replica_key(region),
        "rds_db_instance_replica",
        replica_identifier(identifier, region),
        rows,
        cost,
    )
}

// ---- costs ------------------------------------------------------------------------

/// A child's monthly cost, and a note when part of it could not be priced.
pub(super) struct Cost {
    usd: f64,
    note: Option<(String, Source)>,
}

/// Estimated backup storage in GB: one full copy of the volume plus
/// [`BACKUP_DAILY_CHANGE_FRACTION`] of it per retained day; nothing when backups are off.
pub fn estimated_backup_gb(storage_gb: i64, retention_days: i64) -> f64 {
    if retention_days <= 0 {
        return 0.0;
    }
    storage_gb as f64 * (1.0 + BACKUP_DAILY_CHANGE_FRACTION * retention_days as f64)
}

/// Instance hours (× 2 for Multi-AZ), gp3 storage (× 2 for Multi-AZ) and backup storage
/// beyond the free allowance of one volume's size. The allowance is per region and
/// shared by every instance there; the estimate gives it all to this database.
pub(super) fn primary_cost(region: &str, e: &EffectiveDatabase) -> Cost {
    let storage = e.storage_gb as f64;
    let Some(storage_usd) = prices::rds_gp3_monthly(region, storage, e.multi_az) else {
        return unpriced_region(region, Source::Environment);
    };
    let backup_gb = estimated_backup_gb(e.storage_gb, e.backup_retention_days);
    let backup_usd = prices::rds_backup_monthly(region, backup_gb, storage).unwrap_or(0.0);
    match prices::rds_instance_monthly(region, &e.instance_class, e.multi_az) {
        Some(instance_usd) => Cost {
            usd: instance_usd + storage_usd + backup_usd,
            note: None,
        },
        None => unpriced_class(region, e, storage_usd + backup_usd, Source::Environment),
    }
}

/// A replica: Single-AZ instance hours and gp3 storage in its own region. Cross-region
/// replication traffic is data transfer, which the price table leaves out.
pub(super) fn replica_cost(region: &str, e: &EffectiveDatabase, region_source: Source) -> Cost {
    let Some(storage_usd) = prices::rds_gp3_monthly(region, e.storage_gb as f64, false) else {
        return unpriced_region(region, region_source);
    };
    match prices::rds_instance_monthly(region, &e.instance_class, false) {
        Some(instance_usd) => Cost {
            usd: instance_usd + storage_usd,
            note: None,
        },
        None => unpriced_class(region, e, storage_usd, region_source),
    }
}

pub(super) fn unpriced_region(region: &str, source: Source) -> Cost {
    let note = format!(
        "`{region}` is not in the price table of {}; this child's cost is left out of the \
         estimate",
        prices::as_of()
    );
    Cost {
        usd: 0.0,
        note: Some((note, source)),
    }
}

pub(super) fn unpriced_class(
    region: &str,
    e: &EffectiveDatabase,
    other_usd: f64,
    source: Source,
) -> Cost {
    let note = format!(
        "instance hours of `{}` in `{region}` are not in the price table of {}; the \
         estimate counts storage and backups only",
        e.instance_class,
        prices::as_of()
    );
    Cost {
        usd: other_usd,
        note: Some((note, source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::database::fixtures::child;
    use crate::planner::database::fixtures::*;

    #[test]
    fn development_is_cheap_and_single_az() {
        let plan = plan(&input(Tier::Development)).expect("valid");
        assert_eq!(plan.identifier, "dev-main");
        assert_eq!(plan.children.len(), 1, "no parameter group, no replicas");
        let instance = &plan.children[0];
        assert_eq!(instance.key, "rds_instance");
        assert_eq!(instance.provider, "aws");
        assert_eq!(instance.kind, "rds_db_instance");
        assert_eq!(instance.name, "dev-main");
        assert_eq!(
            settings(instance),
            [
                ("backup_retention_days", "1"),
                ("deletion_protection", "false"),
                ("engine", "postgres"),
                ("engine_version", "16"),
                ("final_snapshot", "false"),
                ("instance_class", "db.t3.micro"),
                ("manage_master_password", "true"),
                ("multi_az", "false"),
                ("parameter_group", "default.postgres16"),
                ("region", "eu-west-1"),
                ("storage_encrypted", "true"),
                ("storage_gb", "20"),
                ("storage_type", "gp3"),
            ]
        );
        for (setting, source) in &instance.settings_source {
            let want = match setting.as_str() {
                "region" => Source::Environment,
                // The provider's defaults, the same in every tier.
                "engine" | "engine_version" | "manage_master_password" | "parameter_group" => {
                    Source::Fixed
                }
                _ => Source::Tier(Tier::Development),
            };
            assert_eq!(*source, want, "{setting}");
        }
        // 0.019 × 730 + 20 × 0.127 + (20.4 − 20) × 0.095
        assert!(
            close(instance.monthly_cost_usd, 16.45),
            "{}",
            instance.monthly_cost_usd
        );
        assert!(close(plan.estimated_monthly_cost_usd, 16.45));
    }

    #[test]
    fn staging_keeps_a_week_of_backups_and_a_final_snapshot() {
        let plan = plan(&input(Tier::Staging)).expect("valid");
        let e = &plan.effective;
        assert_eq!(e.instance_class, "db.t3.micro");
        assert_eq!(e.storage_gb, 20);
        assert!(!e.multi_az);
        assert_eq!(e.backup_retention_days, 7);
        assert!(!e.deletion_protection);
        assert!(e.final_snapshot);
        assert!(e.storage_encrypted);
        assert!(
            plan.settings_source
                .values()
                .all(|s| matches!(s, Source::Tier(Tier::Staging) | Source::Fixed))
        );
        // 0.019 × 730 + 20 × 0.127 + (22.8 − 20) × 0.095
        assert!(
            close(plan.estimated_monthly_cost_usd, 16.68),
            "{}",
            plan.estimated_monthly_cost_usd
        );
    }

    #[test]
    fn production_is_multi_az_protected_and_replicated() {
        let plan = plan(&valid()).expect("valid");
        assert_eq!(plan.identifier, "prod-main");
        let keys: Vec<&str> = plan.children.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["rds_instance", "rds_replica_us-east-1"],
            "vector needs no group"
        );

        let e = &plan.effective;
        assert_eq!(e.engine_version, "16");
        assert_eq!(e.instance_class, "db.t3.medium");
        assert_eq!(e.storage_gb, 100);
        assert_eq!(e.storage_type, "gp3");
        assert!(e.multi_az && e.deletion_protection && e.final_snapshot && e.storage_encrypted);
        assert_eq!(e.backup_retention_days, 30);
        assert!(e.manage_master_password);
        assert_eq!(e.parameter_group, None);
        assert_eq!(e.tags["platform:component"], "database");
        assert_eq!(e.tags["platform:environment"], "prod");
        assert_eq!(e.tags["team"], "data");

        let instance = child(&plan, "rds_instance");
        assert_eq!(instance.settings["extensions"], "vector");
        assert_eq!(instance.settings_source["extensions"], Source::Config);
        // 0.077 × 2 × 730 + 100 × 0.127 × 2 + (160 − 100) × 0.095
        assert!(
            close(instance.monthly_cost_usd, 143.52),
            "{}",
            instance.monthly_cost_usd
        );

        let replica = child(&plan, "rds_replica_us-east-1");
        assert_eq!(replica.kind, "rds_db_instance_replica");
        assert_eq!(replica.name, "prod-main-us-east-1");
        assert_eq!(replica.settings["source_db_instance"], "prod-main");
        assert_eq!(replica.settings["region"], "us-east-1");
        assert_eq!(replica.settings["multi_az"], "false");
        assert_eq!(replica.settings["backup_retention_days"], "0");
        assert_eq!(replica.settings["deletion_protection"], "false");
        assert_eq!(replica.settings["instance_class"], "db.t3.medium");
        assert_eq!(
            replica.settings["master_password"],
            "inherited from the source instance"
        );
        assert!(!replica.settings.contains_key("manage_master_password"));
        // Single-AZ in us-east-1: 0.072 × 730 + 100 × 0.115
        assert!(
            close(replica.monthly_cost_usd, 64.06),
            "{}",
            replica.monthly_cost_usd
        );

        assert!(
            close(plan.estimated_monthly_cost_usd, 207.58),
            "{}",
            plan.estimated_monthly_cost_usd
        );
        for child in &plan.children {
            assert_eq!(
                child.settings.keys().collect::<Vec<_>>(),
                child.settings_source.keys().collect::<Vec<_>>(),
                "{}: one source per setting",
                child.key
            );
        }
    }

    #[test]
    fn production_cost_against_the_seed() {
        // Seed 001 budgets a Multi-AZ db.t3.medium with 100 GB gp3 in eu-west-1 at about
        // $150 (instance) + $13 (storage) a month, and $11 for 100 GB of backups.
        let mut input = input(Tier::Production);
        input.read_replicas.clear();
        let plan = plan(&input).expect("valid");
        let instance = prices::rds_instance_monthly("eu-west-1", "db.t3.medium", true).unwrap();
        let storage = prices::rds_gp3_monthly("eu-west-1", 100.0, true).unwrap();
        let backup = plan.children[0].monthly_cost_usd - instance - storage;
        let ours = instance + storage;
        let seed = 150.0 + 13.0;
        eprintln!(
            "eu-west-1 Multi-AZ db.t3.medium, 100 GB gp3: instance ${instance:.2} (seed $150), \
             storage ${storage:.2} (seed $13), together ${ours:.2} vs ${seed:.2}: {:+.2} \
             ({:+.1} %); backups ${backup:.2} (seed $11)",
            ours - seed,
            (ours - seed) / seed * 100.0
        );
        assert!(close(instance, 112.42), "{instance}");
        assert!(
            close(storage, 25.40),
            "{storage}: Multi-AZ bills the standby's volume too"
        );
        assert!(close(backup, 5.70), "{backup}");
        assert!(
            ((ours - seed) / seed).abs() < 0.20,
            "within 20 % of the seed: {ours:.2} vs {seed:.2}"
        );
        assert!(close(plan.estimated_monthly_cost_usd, ours + backup));
    }

    #[test]
    fn a_parameter_group_only_when_an_extension_needs_preloading() {
        let cases: [(&[&str], Option<&str>, &str); 6] = [
            (&["vector"], None, ""),
            (&["pg_stat_statements", "postgis"], None, ""),
            (
                &["pg_cron"],
                Some("dev-main-postgres16"),
                "pg_stat_statements,pg_cron",
            ),
            (
                &["pgaudit", "pg_stat_statements", "pg_cron", "vector"],
                Some("dev-main-postgres16"),
                "pg_stat_statements,pgaudit,pg_cron",
            ),
            (
                &["auto_explain"],
                Some("dev-main-postgres16"),
                "pg_stat_statements,auto_explain",
            ),
            (
                &["pglogical"],
                Some("dev-main-postgres16"),
                "pg_stat_statements,pglogical",
            ),
        ];
        for (extensions, want_group, want_libraries) in cases {
            let mut input = input(Tier::Development);
            input.extensions = strings(extensions);
            let plan = plan(&input).expect("valid");
            assert_eq!(
                plan.effective.parameter_group.as_deref(),
                want_group,
                "{extensions:?}"
            );
            let group = plan
                .children
                .iter()
                .find(|c| c.key == "rds_parameter_group");
            assert_eq!(group.is_some(), want_group.is_some(), "{extensions:?}");
            let instance = child(&plan, "rds_instance");
            match (group, want_group) {
                (Some(group), Some(name)) => {
                    assert_eq!(group.kind, "rds_db_parameter_group");
                    assert_eq!(group.name, name);
                    assert_eq!(group.settings["family"], "postgres16");
                    assert_eq!(group.settings["shared_preload_libraries"], want_libraries);
                    assert_eq!(group.monthly_cost_usd, 0.0);
                    assert_eq!(instance.settings["parameter_group"], name);
                    assert_eq!(instance.settings_source["parameter_group"], Source::Derived);
                }
                _ => assert_eq!(instance.settings["parameter_group"], "default.postgres16"),
            }
        }
        let mut logical = input(Tier::Development);
        logical.extensions = strings(&["pglogical"]);
        let plan = plan(&logical).expect("valid");
        assert_eq!(
            child(&plan, "rds_parameter_group").settings["rds.logical_replication"],
            "1"
        );
    }

    #[test]
    fn replicas_use_the_group_only_in_its_region() {
        let mut input = valid();
        input.extensions = strings(&["pg_cron"]);
        input.read_replicas = replicas(&["eu-west-1", "us-east-1"]);
        let plan = plan(&input).expect("valid");
        let local = child(&plan, "rds_replica_eu-west-1");
        assert_eq!(local.settings["parameter_group"], "prod-main-postgres16");
        let remote = child(&plan, "rds_replica_us-east-1");
        assert_eq!(remote.settings["parameter_group"], "default.postgres16");
    }

    #[test]
    fn unpriced_regions_and_classes_say_so_instead_of_guessing() {
        let mut input = valid();
        input.read_replicas = replicas(&["ap-southeast-5"]);
        input.instance_class = Some("db.r7g.large".to_string());
        let plan = plan(&input).expect("valid");

        let replica = child(&plan, "rds_replica_ap-southeast-5");
        assert_eq!(replica.monthly_cost_usd, 0.0);
        let note = &replica.settings["price_note"];
        assert!(
            note.contains("`ap-southeast-5` is not in the price table of 2026-11-01"),
            "{note}"
        );
        assert_eq!(replica.settings_source["price_note"], Source::Config);

        let instance = child(&plan, "rds_instance");
        let note = &instance.settings["price_note"];
        assert!(note.contains("`db.r7g.large` in `eu-west-1`"), "{note}");
        // Storage and backups still count: 100 × 0.127 × 2 + 60 × 0.095.
        assert!(
            close(instance.monthly_cost_usd, 31.10),
            "{}",
            instance.monthly_cost_usd
        );
        assert!(close(plan.estimated_monthly_cost_usd, 31.10));

        let priced = super::plan(&valid()).expect("valid");
        assert!(
            priced
                .children
                .iter()
                .all(|c| !c.settings.contains_key("price_note"))
        );
    }

    #[test]
    fn backup_estimate_grows_with_retention() {
        assert_eq!(estimated_backup_gb(100, 0), 0.0);
        assert!(close(estimated_backup_gb(100, 1), 102.0));
        assert!(close(estimated_backup_gb(100, 30), 160.0));
        assert!(close(estimated_backup_gb(20, 7), 22.8));
    }
}
