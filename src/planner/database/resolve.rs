//! The effective settings: each input or its tier default, with the [`Source`] it came
//! from, and the extension libraries to preload.

use std::collections::BTreeMap;

use crate::planner::Source;

use super::*;

/// The effective settings and, per setting, where its value came from.
pub(super) fn resolve(
    input: &DatabaseInput,
    identifier: &str,
    version: EngineVersion,
    engine_version: String,
    tags: BTreeMap<String, String>,
) -> (EffectiveDatabase, BTreeMap<String, Source>) {
    let env = &input.environment;
    let policy = &env.policy;
    let tier = Source::Tier(env.tier);
    // A value from the context is the environment's own when the environment overrode
    // its tier, and the tier's otherwise.
    let inherited = |field: &str| match env.policy_source.get(field) {
        Some(Source::Config) => Source::Environment,
        _ => tier,
    };
    let mut sources = BTreeMap::new();
    let mut record = |setting: &str, source: Source| {
        sources.insert(setting.to_string(), source);
    };

    // The default version is the provider's, the same in every tier.
    record(
        "engine_version",
        if input.engine_version.is_some() {
            Source::Config
        } else {
            Source::Fixed
        },
    );
    let configured_class = match (&input.size, &input.instance_class) {
        (_, Some(class)) => Some(class.clone()),
        (Some(size), None) => SIZE_CLASSES
            .iter()
            .find(|(s, _)| s == size)
            .map(|(_, class)| class.to_string()),
        (None, None) => None,
    };
    record(
        "instance_class",
        if configured_class.is_some() {
            Source::Config
        } else {
            inherited("db_instance_class")
        },
    );
    let storage = input.storage_gb.as_deref().and_then(parse_storage_gib);
    record(
        "storage_gb",
        if storage.is_some() {
            Source::Config
        } else {
            inherited("db_storage_gb")
        },
    );
    record("storage_type", tier);
    let overridable = [
        ("multi_az", input.multi_az.is_some()),
        (
            "backup_retention_days",
            input.backup_retention_days.is_some(),
        ),
        ("deletion_protection", input.deletion_protection.is_some()),
        ("final_snapshot", input.final_snapshot.is_some()),
    ];
    for (setting, configured) in overridable {
        record(
            setting,
            if configured {
                Source::Config
            } else {
                inherited(setting)
            },
        );
    }
    record("storage_encrypted", inherited("storage_encrypted"));
    record(
        "manage_master_password",
        if input.manage_master_password.is_some() || input.master_password_wo_set {
            Source::Config
        } else {
            Source::Fixed
        },
    );

    let (parameter_group, shared_preload_libraries) =
        preloads(identifier, version, &input.extensions);
    // A custom group follows from the extensions; otherwise the engine's default group.
    record(
        "parameter_group",
        if parameter_group.is_some() {
            Source::Derived
        } else {
            Source::Fixed
        },
    );

    let effective = EffectiveDatabase {
        engine_version,
        parameter_group_family: version.parameter_group_family(),
        instance_class: configured_class.unwrap_or_else(|| policy.db_instance_class.clone()),
        storage_gb: storage.unwrap_or(policy.db_storage_gb),
        storage_type: env.tier.defaults().db_storage_type.to_string(),
        multi_az: input.multi_az.unwrap_or(policy.multi_az),
        backup_retention_days: input
            .backup_retention_days
            .unwrap_or(policy.backup_retention_days),
        deletion_protection: input
            .deletion_protection
            .unwrap_or(policy.deletion_protection),
        final_snapshot: input.final_snapshot.unwrap_or(policy.final_snapshot),
        storage_encrypted: policy.storage_encrypted,
        manage_master_password: input
            .manage_master_password
            .unwrap_or(!input.master_password_wo_set),
        master_password_wo_version: input
            .master_password_wo_version
            .filter(|_| input.master_password_wo_set),
        parameter_group,
        shared_preload_libraries,
        extensions: input.extensions.clone(),
        read_replica_regions: input
            .read_replicas
            .iter()
            .map(|r| r.region.clone())
            .collect(),
        tags,
    };
    (effective, sources)
}

/// The custom parameter group's name and `shared_preload_libraries`, when any extension
/// needs a library RDS does not preload by default, or a parameter of its own.
pub(super) fn preloads(
    identifier: &str,
    version: EngineVersion,
    extensions: &[String],
) -> (Option<String>, Vec<String>) {
    let rules: Vec<&ExtensionRule> = extensions
        .iter()
        .filter_map(|e| extension_rule(e))
        .collect();
    let needs_group = rules.iter().any(|rule| {
        rule.preload.is_some_and(|lib| lib != DEFAULT_PRELOAD) || !rule.parameters.is_empty()
    });
    if !needs_group {
        return (None, Vec::new());
    }
    let mut libraries = vec![DEFAULT_PRELOAD.to_string()];
    for library in rules.iter().filter_map(|rule| rule.preload) {
        if !libraries.iter().any(|l| l == library) {
            libraries.push(library.to_string());
        }
    }
    // The family is part of the name: a major upgrade needs a group of the new family,
    // which then sits beside the old one until the upgrade is done.
    let name = format!("{identifier}-{}", version.parameter_group_family());
    (Some(name), libraries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::database::fixtures::*;
    use crate::planner::environment::PolicyInput;
    use crate::planner::prices;

    #[test]
    fn config_and_environment_overrides_are_attributed() {
        let mut input = input(Tier::Development);
        input.environment = context(
            Tier::Development,
            PolicyInput {
                multi_az: Some(true),
                backup_retention_days: Some(14),
                ..PolicyInput::default()
            },
        );
        input.size = Some("large".to_string());
        input.storage_gb = Some("1TB".to_string());
        input.deletion_protection = Some(true);
        input.engine_version = Some("17.2".to_string());
        let plan = plan(&input).expect("valid");
        let e = &plan.effective;
        assert_eq!(e.instance_class, "db.m6g.large");
        assert_eq!(e.storage_gb, 1024);
        assert!(e.multi_az);
        assert_eq!(e.backup_retention_days, 14);
        assert!(e.deletion_protection);
        assert_eq!(e.engine_version, "17.2");
        assert_eq!(e.parameter_group_family, "postgres17");

        let sources: Vec<(&str, String)> = plan
            .settings_source
            .iter()
            .map(|(k, s)| (k.as_str(), s.to_string()))
            .collect();
        let dev = "tier:development".to_string();
        assert_eq!(
            sources,
            [
                ("backup_retention_days", "environment".to_string()),
                ("deletion_protection", "config".to_string()),
                ("engine_version", "config".to_string()),
                ("final_snapshot", dev.clone()),
                ("instance_class", "config".to_string()),
                ("manage_master_password", "fixed".to_string()),
                ("multi_az", "environment".to_string()),
                ("parameter_group", "fixed".to_string()),
                ("storage_encrypted", dev.clone()),
                ("storage_gb", "config".to_string()),
                ("storage_type", dev),
            ]
        );
        let instance = &plan.children[0];
        assert_eq!(instance.settings["parameter_group"], "default.postgres17");
        assert_eq!(instance.settings_source["multi_az"], Source::Environment);
        assert_eq!(instance.settings_source["instance_class"], Source::Config);
    }

    #[test]
    fn sizes_map_to_classes() {
        for (size, class) in SIZE_CLASSES {
            let mut input = input(Tier::Production);
            input.size = Some(size.to_string());
            let plan = plan(&input).expect("valid");
            assert_eq!(plan.effective.instance_class, class, "{size}");
            assert!(
                prices::rds_instance_hourly("eu-west-1", class).is_some(),
                "{class} is priced"
            );
        }
    }

    #[test]
    fn a_write_only_password_turns_the_managed_one_off() {
        let mut input = valid();
        input.master_password_wo_set = true;
        input.master_password_wo_version = Some(2);
        let plan = plan(&input).expect("valid");
        assert!(!plan.effective.manage_master_password);
        assert_eq!(plan.effective.master_password_wo_version, Some(2));
        let instance = child(&plan, "rds_instance");
        assert_eq!(instance.settings["manage_master_password"], "false");
        assert_eq!(
            instance.settings_source["manage_master_password"],
            Source::Config
        );
        assert_eq!(instance.settings["master_password_wo_version"], "2");
    }
}
