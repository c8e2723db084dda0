//! Validation of a database's inputs: every violation is reported, each naming the
//! attribute and what to change. The master credentials have their own module.

use std::collections::BTreeMap;

use crate::planner::limits::{
    BACKUP_RETENTION_DAYS, RDS_GP3_STORAGE_GIB, RDS_INSTANCE_IDENTIFIER_MAX_CHARS,
    RDS_MAX_READ_REPLICAS,
};
use crate::planner::{Violation, messages, naming};
use crate::value::path::AttributePath;

use super::catalog::{
    EXTENSION_MISNAMES, EXTENSION_RULES, EXTENSIONS_NOT_ON_RDS, INSTANCE_SIZES, parse_number,
};
use super::credentials::check_credentials;
use super::*;

// ---- validation -------------------------------------------------------------------

/// Checks every input and returns every violation found, not just the first.
pub fn validate(input: &DatabaseInput) -> Vec<Violation> {
    let mut violations = Vec::new();
    check_name(input, &mut violations);
    let version = check_engine_version(input.engine_version.as_deref(), &mut violations);
    check_extensions(&input.extensions, version, &mut violations);
    check_class(input, &mut violations);
    check_storage(input.storage_gb.as_deref(), &mut violations);
    check_backups(input, &mut violations);
    check_replicas(&input.read_replicas, &mut violations);
    check_credentials(input, &mut violations);
    let platform = naming::platform_tags(&input.environment.name, COMPONENT);
    if let Err(tag_violations) = naming::merge_child_tags(
        &input.default_tags,
        &input.environment.tags,
        &input.tags,
        &platform,
    ) {
        violations.extend(tag_violations);
    }
    violations
}

pub(super) fn check_name(input: &DatabaseInput, out: &mut Vec<Violation>) {
    let path = AttributePath::attr("name");
    let name = &input.name;
    let env = &input.environment.name;
    if !is_identifier_part(name) {
        // The length is checked against the identifier below, not here.
        let suggestion = naming::suggest_dns_name(name, usize::MAX);
        out.push(messages::invalid_format(
            path.clone(),
            "Invalid Database Name",
            name,
            "a lowercase letter first, then lowercase letters, digits or single hyphens, \
             not ending in a hyphen",
            suggestion.as_deref().unwrap_or("main"),
        ));
        return;
    }
    if env.contains("--") {
        // Environment names may hold a double hyphen; RDS identifiers may not.
        out.push(messages::invalid_format(
            AttributePath::attr("environment"),
            "Invalid Environment Name For RDS",
            env,
            "free of double hyphens, which RDS identifiers do not allow",
            &env.replace("--", "-"),
        ));
    }
    let identifier = naming::child_name(env, name);
    let room = RDS_INSTANCE_IDENTIFIER_MAX_CHARS.saturating_sub(env.chars().count() + 1);
    if identifier.chars().count() > RDS_INSTANCE_IDENTIFIER_MAX_CHARS {
        let fix = format!("Shorten `name` to at most {room} characters.");
        out.push(messages::identifier_too_long(
            path,
            "DB instance identifier",
            &identifier,
            RDS_INSTANCE_IDENTIFIER_MAX_CHARS,
            &fix,
        ));
        return;
    }
    // Replica identifiers append the region, so the longest one bounds the name too.
    if let Some(replica) = input
        .read_replicas
        .iter()
        .map(|r| replica_identifier(&identifier, &r.region))
        .max_by_key(|id| id.chars().count())
        .filter(|id| id.chars().count() > RDS_INSTANCE_IDENTIFIER_MAX_CHARS)
    {
        let excess = replica.chars().count() - RDS_INSTANCE_IDENTIFIER_MAX_CHARS;
        let fix = format!(
            "Shorten `name` by at least {excess} characters, to at most {} characters.",
            name.chars().count() - excess
        );
        out.push(messages::identifier_too_long(
            path,
            "read replica identifier",
            &replica,
            RDS_INSTANCE_IDENTIFIER_MAX_CHARS,
            &fix,
        ));
    }
}

/// A lowercase letter first, then lowercase letters, digits and single hyphens, no
/// trailing hyphen. RDS lowercases identifiers itself, so upper case would make the
/// stored name differ from the deterministic one that adoption looks for.
pub(super) fn is_identifier_part(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
}

pub(super) fn check_engine_version(
    version: Option<&str>,
    out: &mut Vec<Violation>,
) -> Option<EngineVersion> {
    let Some(version) = version else {
        return EngineVersion::parse(DEFAULT_ENGINE_VERSION);
    };
    let parsed = EngineVersion::parse(version);
    if parsed.is_none() {
        out.push(messages::invalid_format(
            AttributePath::attr("engine_version"),
            "Invalid Engine Version",
            version,
            "a PostgreSQL major version, 10 or later, optionally with a minor (`16`, \
             `16.4`) or an RDS Extended Support minor (`11.22-rds.20240208`)",
            &suggest_engine_version(version),
        ));
    }
    parsed
}

pub(super) fn check_extensions(
    extensions: &[String],
    version: Option<EngineVersion>,
    out: &mut Vec<Violation>,
) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, extension) in extensions.iter().enumerate() {
        let path = AttributePath::attr("extensions").then_index(index);
        if let Some(first) = first_seen.get(extension.as_str()) {
            out.push(messages::duplicate(path, extension, *first));
            continue;
        }
        first_seen.insert(extension, index);

        if !is_extension_name(extension) {
            let lowered = extension.trim().to_ascii_lowercase();
            let example = if is_extension_name(&lowered) {
                lowered
            } else {
                "vector".to_string()
            };
            out.push(messages::invalid_format(
                path,
                "Invalid Extension Name",
                extension,
                "a PostgreSQL extension name: a lowercase letter first, then lowercase \
                 letters, digits, underscores or hyphens",
                &example,
            ));
            continue;
        }
        if let Some((_, name, why)) = EXTENSION_MISNAMES.iter().find(|(w, _, _)| w == extension) {
            out.push(messages::misnamed_extension(path, extension, name, why));
            continue;
        }
        if let Some((_, instead)) = EXTENSIONS_NOT_ON_RDS.iter().find(|(n, _)| n == extension) {
            out.push(messages::extension_not_offered(path, extension, instead));
            continue;
        }
        // Without a valid version the version is reported already; comparing is noise.
        if let (Some(version), Some(rule)) = (version, extension_rule(extension)) {
            check_extension_version(path, rule, version, out);
        }
    }
}

/// Lowercase letter first, then lowercase letters, digits, `_` or `-` (`uuid-ossp`).
pub(super) fn is_extension_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

pub(super) fn extension_rule(name: &str) -> Option<&'static ExtensionRule> {
    EXTENSION_RULES.iter().find(|rule| rule.name == name)
}

pub(super) fn check_extension_version(
    path: AttributePath,
    rule: &ExtensionRule,
    version: EngineVersion,
    out: &mut Vec<Violation>,
) {
    let Some(floor) = &rule.available else { return };
    if version.major >= floor.every_minor_from {
        return;
    }
    let first_minor = floor
        .first_minor
        .iter()
        .find(|(major, _)| *major == version.major)
        .map(|(_, minor)| *minor);
    let suggestion = match (first_minor, version.minor) {
        // A bare major gets RDS's default minor, which is past every floor in the table.
        (Some(_), None) => return,
        (Some(first), Some(minor)) if minor >= first => return,
        (Some(first), Some(_)) => format!("{}.{first}", version.major),
        (None, _) => DEFAULT_ENGINE_VERSION.to_string(),
    };
    let floors: Vec<String> = floor
        .first_minor
        .iter()
        .map(|(major, minor)| format!("{major}.{minor}"))
        .collect();
    let requirement = format!(
        "at least {} within those major versions, or any `{}` or later",
        messages::backticked(&floors),
        floor.every_minor_from
    );
    let written = match version.minor {
        Some(minor) => format!("{}.{minor}", version.major),
        None => version.major.to_string(),
    };
    out.push(messages::extension_needs_newer_engine(
        path,
        rule.name,
        &written,
        &requirement,
        &suggestion,
    ));
}

pub(super) fn check_class(input: &DatabaseInput, out: &mut Vec<Violation>) {
    if input.size.is_some() && input.instance_class.is_some() {
        out.push(messages::conflicting_attributes(
            AttributePath::attr("size"),
            "size",
            "instance_class",
            "only one of them can choose the instance class",
        ));
    }
    if let Some(size) = &input.size
        && !SIZE_CLASSES.iter().any(|(s, _)| s == size)
    {
        let lowered = size.trim().to_ascii_lowercase();
        let suggestion = SIZE_CLASSES
            .iter()
            .map(|(s, _)| *s)
            .find(|s| !lowered.is_empty() && s.starts_with(&lowered));
        out.push(messages::unknown_choice(
            AttributePath::attr("size"),
            size,
            &SIZE_CLASSES.map(|(s, _)| s),
            suggestion,
        ));
    }
    if let Some(class) = &input.instance_class
        && !is_instance_class(class)
    {
        let lowered = class.trim().to_ascii_lowercase();
        let prefixed = if lowered.starts_with("db.") {
            lowered
        } else {
            format!("db.{lowered}")
        };
        let example = if is_instance_class(&prefixed) {
            prefixed
        } else {
            "db.t3.medium".to_string()
        };
        out.push(messages::invalid_format(
            AttributePath::attr("instance_class"),
            "Invalid Instance Class",
            class,
            "an RDS DB instance class, `db.<family>.<size>`",
            &example,
        ));
    }
}

/// `db.<family>.<size>`, optionally followed by RDS's optimized-CPU suffix
/// (`db.r5.2xlarge.tpc2.mem4x`). Checked by shape, so new families pass.
pub(super) fn is_instance_class(class: &str) -> bool {
    let Some(rest) = class.strip_prefix("db.") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    let [family, size, extra @ ..] = parts.as_slice() else {
        return false;
    };
    let letters = family
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .count();
    let family_ok = letters > 0
        && family[letters..].starts_with(|c: char| c.is_ascii_digit())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let size_ok = INSTANCE_SIZES.contains(size)
        || size
            .strip_suffix("xlarge")
            .is_some_and(|n| parse_number(n, 2).is_some_and(|n| n >= 2))
        || size
            .strip_prefix("metal-")
            .and_then(|s| s.strip_suffix("xl"))
            .is_some_and(|n| parse_number(n, 3).is_some());
    let extra_ok = extra.iter().all(|p| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    family_ok && size_ok && extra_ok
}

pub(super) fn check_storage(storage: Option<&str>, out: &mut Vec<Violation>) {
    let Some(written) = storage else { return };
    let path = AttributePath::attr("storage_gb");
    match parse_storage_gib(written) {
        None => out.push(messages::invalid_format(
            path,
            "Invalid Storage Size",
            written,
            "a whole number of GiB, optionally with a unit: `GB`, `GiB`, `TB` or `TiB` \
             (RDS counts in GiB, so `GB` means GiB and `1TB` is 1024 GiB)",
            "100GB",
        )),
        Some(gib) if !RDS_GP3_STORAGE_GIB.contains(gib) => {
            out.push(messages::storage_out_of_range(
                path,
                written,
                gib,
                "gp3",
                RDS_GP3_STORAGE_GIB,
            ));
        }
        Some(_) => {}
    }
}

pub(super) fn check_backups(input: &DatabaseInput, out: &mut Vec<Violation>) {
    let path = AttributePath::attr("backup_retention_days");
    if let Some(days) = input.backup_retention_days
        && !BACKUP_RETENTION_DAYS.contains(days)
    {
        out.push(messages::out_of_range(path, days, BACKUP_RETENTION_DAYS));
        return;
    }
    if input.read_replicas.is_empty() {
        return;
    }
    let retention = input
        .backup_retention_days
        .unwrap_or(input.environment.policy.backup_retention_days);
    if retention != 0 {
        return;
    }
    let (path, from) = if input.backup_retention_days.is_some() {
        (path, "set on this database")
    } else {
        (
            AttributePath::attr("read_replicas"),
            "inherited from the environment's policy",
        )
    };
    out.push(messages::replicas_need_backups(
        path,
        from,
        input.read_replicas.len(),
    ));
}

pub(super) fn check_replicas(replicas: &[ReplicaInput], out: &mut Vec<Violation>) {
    let path = AttributePath::attr("read_replicas");
    if replicas.len() > RDS_MAX_READ_REPLICAS {
        out.push(messages::too_many(
            path.clone(),
            "read replicas",
            replicas.len(),
            RDS_MAX_READ_REPLICAS,
            "`read_replicas`",
        ));
    }
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, replica) in replicas.iter().enumerate() {
        let at = path.clone().then_index(index).then_attr("region");
        if !naming::is_aws_region(&replica.region) {
            out.push(messages::invalid_format(
                at.clone(),
                "Invalid AWS Region",
                &replica.region,
                "an AWS region code: lowercase words separated by hyphens, ending in a number",
                "us-east-1",
            ));
        }
        // One replica per region: the region is the replica's logical key.
        if let Some(first) = first_seen.get(replica.region.as_str()) {
            out.push(messages::duplicate(at, &replica.region, *first));
        } else {
            first_seen.insert(&replica.region, index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::database::fixtures::*;
    use crate::planner::environment::PolicyInput;

    /// One expected violation: its path, and a fragment its detail must contain.
    type Want = (&'static str, &'static str);

    #[test]
    fn the_valid_input_is_valid() {
        assert_eq!(validate(&valid()), vec![]);
    }

    #[test]
    fn validation_rules() {
        let cases: Vec<(&str, DatabaseInput, Vec<Want>)> = vec![
            // name
            (
                "name empty",
                with(|i| i.name = String::new()),
                vec![("name", "for example `main`")],
            ),
            (
                "name upper case",
                with(|i| i.name = "Orders".to_string()),
                vec![("name", "for example `orders`")],
            ),
            (
                "name with underscore",
                with(|i| i.name = "order_db".to_string()),
                vec![("name", "for example `order-db`")],
            ),
            (
                "name with a double hyphen",
                with(|i| i.name = "a--b".to_string()),
                vec![("name", "single hyphens")],
            ),
            (
                "name ending in a hyphen",
                with(|i| i.name = "main-".to_string()),
                vec![("name", "not ending in a hyphen")],
            ),
            (
                "identifier longer than 63",
                with(|i| i.name = "a".repeat(59)),
                vec![("name", "64 characters long, but RDS allows at most 63")],
            ),
            (
                "replica identifier longer than 63",
                with(|i| i.name = "a".repeat(50)),
                vec![(
                    "name",
                    "Shorten `name` by at least 2 characters, to at most 48",
                )],
            ),
            // engine_version
            (
                "engine version with a wildcard",
                with(|i| i.engine_version = Some("16.x".to_string())),
                vec![("engine_version", "`16.x` is not valid")],
            ),
            (
                "engine version with a v",
                with(|i| i.engine_version = Some("v16".to_string())),
                vec![("engine_version", "for example `16`")],
            ),
            (
                "engine version with a patch level",
                with(|i| i.engine_version = Some("16.4.1".to_string())),
                vec![("engine_version", "for example `16.4`")],
            ),
            (
                "engine version before 10",
                with(|i| i.engine_version = Some("9.6".to_string())),
                vec![("engine_version", "10 or later")],
            ),
            (
                "engine version empty",
                with(|i| i.engine_version = Some(String::new())),
                vec![("engine_version", "for example `16`")],
            ),
            // extensions
            (
                "vector before 15.2",
                with(|i| i.engine_version = Some("15.1".to_string())),
                vec![("extensions[0]", "Set `engine_version` to `15.2` or later")],
            ),
            (
                "vector before its first 14 minor",
                with(|i| i.engine_version = Some("14.7".to_string())),
                vec![("extensions[0]", "Set `engine_version` to `14.8`")],
            ),
            (
                "vector on a major that never had it",
                with(|i| i.engine_version = Some("11.22-rds.20240208".to_string())),
                vec![("extensions[0]", "any `16` or later")],
            ),
            (
                "vector second in the list",
                with(|i| {
                    i.engine_version = Some("15.1".to_string());
                    i.extensions = strings(&["postgis", "vector"]);
                }),
                vec![("extensions[1]", "`vector`")],
            ),
            (
                "pgvector is not the extension name",
                with(|i| i.extensions = strings(&["pgvector"])),
                vec![("extensions[0]", "Write `vector`")],
            ),
            (
                "timescaledb is not on RDS",
                with(|i| i.extensions = strings(&["vector", "timescaledb"])),
                vec![("extensions[1]", "does not offer the `timescaledb`")],
            ),
            (
                "extension in upper case",
                with(|i| i.extensions = strings(&["PostGIS"])),
                vec![("extensions[0]", "for example `postgis`")],
            ),
            (
                "extension empty",
                with(|i| i.extensions = strings(&[""])),
                vec![("extensions[0]", "a PostgreSQL extension name")],
            ),
            (
                "extension repeated",
                with(|i| i.extensions = strings(&["vector", "postgis", "vector"])),
                vec![("extensions[2]", "already appears at index `0`")],
            ),
            // size and instance_class
            (
                "size unknown",
                with(|i| i.size = Some("huge".to_string())),
                vec![("size", "one of `small`, `medium`, `large`")],
            ),
            (
                "size capitalised",
                with(|i| i.size = Some("Large".to_string())),
                vec![("size", "Did you mean `large`?")],
            ),
            (
                "size and instance class",
                with(|i| {
                    i.size = Some("small".to_string());
                    i.instance_class = Some("db.t3.micro".to_string());
                }),
                vec![("size", "`size` and `instance_class` are both set")],
            ),
            (
                "instance class without db prefix",
                with(|i| i.instance_class = Some("t3.micro".to_string())),
                vec![("instance_class", "for example `db.t3.micro`")],
            ),
            (
                "instance class in upper case",
                with(|i| i.instance_class = Some("DB.M6G.LARGE".to_string())),
                vec![("instance_class", "for example `db.m6g.large`")],
            ),
            (
                "instance class without size",
                with(|i| i.instance_class = Some("db.t3".to_string())),
                vec![("instance_class", "`db.<family>.<size>`")],
            ),
            (
                "instance class of another service",
                with(|i| i.instance_class = Some("cache.t3.micro".to_string())),
                vec![("instance_class", "for example `db.t3.medium`")],
            ),
            // storage_gb
            (
                "storage below 20 GiB",
                with(|i| i.storage_gb = Some("10GB".to_string())),
                vec![("storage_gb", "`10GB` (10 GiB), but gp3 storage")],
            ),
            (
                "storage above 64 TiB",
                with(|i| i.storage_gb = Some("65 TiB".to_string())),
                vec![("storage_gb", "between `20` and `65536` GiB")],
            ),
            (
                "storage zero",
                with(|i| i.storage_gb = Some("0".to_string())),
                vec![("storage_gb", "(0 GiB)")],
            ),
            (
                "storage not whole GiB",
                with(|i| i.storage_gb = Some("100.5GB".to_string())),
                vec![("storage_gb", "a whole number of GiB")],
            ),
            (
                "storage in megabytes",
                with(|i| i.storage_gb = Some("500 MB".to_string())),
                vec![("storage_gb", "for example `100GB`")],
            ),
            (
                "storage negative",
                with(|i| i.storage_gb = Some("-100".to_string())),
                vec![("storage_gb", "`-100` is not valid")],
            ),
            // backups
            (
                "retention above 35",
                with(|i| i.backup_retention_days = Some(36)),
                vec![("backup_retention_days", "between `0` and `35`")],
            ),
            (
                "retention negative",
                with(|i| i.backup_retention_days = Some(-1)),
                vec![("backup_retention_days", "`-1`")],
            ),
            (
                "retention zero with replicas",
                with(|i| i.backup_retention_days = Some(0)),
                vec![(
                    "backup_retention_days",
                    "(set on this database), but RDS creates read replicas only",
                )],
            ),
            (
                "retention zero from the environment with replicas",
                with(|i| {
                    i.environment = context(
                        Tier::Production,
                        PolicyInput {
                            backup_retention_days: Some(0),
                            ..PolicyInput::default()
                        },
                    );
                }),
                vec![("read_replicas", "inherited from the environment's policy")],
            ),
            // read_replicas
            (
                "replica region malformed",
                with(|i| i.read_replicas = replicas(&["us-east-1", "us-west"])),
                vec![("read_replicas[1].region", "for example `us-east-1`")],
            ),
            (
                "replica region repeated",
                with(|i| i.read_replicas = replicas(&["us-east-1", "us-east-1"])),
                vec![("read_replicas[1].region", "already appears at index `0`")],
            ),
            (
                "too many replicas",
                with(|i| {
                    i.name = "m".to_string();
                    i.read_replicas = (1..=16)
                        .map(|n| ReplicaInput {
                            region: format!("us-east-{n}"),
                        })
                        .collect();
                }),
                vec![("read_replicas", "at most 15. Remove 1")],
            ),
            // credentials
            (
                "managed and write-only password",
                with(|i| {
                    i.manage_master_password = Some(true);
                    i.master_password_wo_set = true;
                    i.master_password_wo_version = Some(1);
                }),
                vec![("master_password_wo", "are both set")],
            ),
            (
                "write-only password without version",
                with(|i| i.master_password_wo_set = true),
                vec![(
                    "master_password_wo_version",
                    "for example `master_password_wo_version = 1`",
                )],
            ),
            (
                "version without write-only password",
                with(|i| i.master_password_wo_version = Some(1)),
                vec![(
                    "master_password_wo_version",
                    "no effect without `master_password_wo`",
                )],
            ),
            (
                "no password at all",
                with(|i| i.manage_master_password = Some(false)),
                vec![("manage_master_password", "RDS needs a master password")],
            ),
            // tags
            (
                "tag overrides a platform tag",
                with(|i| {
                    i.tags
                        .insert("platform:component".to_string(), "x".to_string());
                }),
                vec![(r#"tags["platform:component"]"#, "is reserved")],
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
                assert!(
                    violation
                        .summary
                        .split(' ')
                        .all(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase())),
                    "{name}: summary {:?} is not Title Case",
                    violation.summary
                );
            }
            assert_eq!(plan(&input).err(), Some(got), "{name}: plan refuses too");
        }
    }

    #[test]
    fn values_aws_accepts_are_accepted() {
        let cases: Vec<(&str, DatabaseInput)> = vec![
            (
                "major only",
                with(|i| i.engine_version = Some("16".to_string())),
            ),
            (
                "major and minor",
                with(|i| i.engine_version = Some("16.4".to_string())),
            ),
            (
                "vector from 15.2",
                with(|i| i.engine_version = Some("15.2".to_string())),
            ),
            (
                "vector on 14.8",
                with(|i| i.engine_version = Some("14.8".to_string())),
            ),
            (
                "vector on bare 15",
                with(|i| i.engine_version = Some("15".to_string())),
            ),
            (
                "extended support minor",
                with(|i| {
                    i.engine_version = Some("12.22-RDS.20250220".to_string());
                    i.extensions.clear();
                }),
            ),
            (
                "extensions the planner does not know",
                with(|i| i.extensions = strings(&["postgis", "uuid-ossp", "h3-pg", "rdkit"])),
            ),
            ("size small", with(|i| i.size = Some("small".to_string()))),
            (
                "optimized-CPU class",
                with(|i| i.instance_class = Some("db.r5.2xlarge.tpc2.mem4x".to_string())),
            ),
            (
                "new family and large size",
                with(|i| i.instance_class = Some("db.x2iedn.32xlarge".to_string())),
            ),
            (
                "metal size",
                with(|i| i.instance_class = Some("db.m6gd.metal".to_string())),
            ),
            (
                "storage 20",
                with(|i| i.storage_gb = Some("20".to_string())),
            ),
            (
                "storage 64 TiB",
                with(|i| i.storage_gb = Some("64TiB".to_string())),
            ),
            (
                "storage 1.5 TB",
                with(|i| i.storage_gb = Some("1.5 TB".to_string())),
            ),
            ("retention 35", with(|i| i.backup_retention_days = Some(35))),
            (
                "retention 0 without replicas",
                with(|i| {
                    i.backup_retention_days = Some(0);
                    i.read_replicas.clear();
                }),
            ),
            (
                "replica in the primary's region",
                with(|i| i.read_replicas = replicas(&["eu-west-1", "us-east-1"])),
            ),
            (
                "fifteen replicas",
                with(|i| {
                    i.name = "m".to_string();
                    i.read_replicas = (1..=15)
                        .map(|n| ReplicaInput {
                            region: format!("us-east-{n}"),
                        })
                        .collect();
                }),
            ),
            (
                "write-only password with version",
                with(|i| {
                    i.master_password_wo_set = true;
                    i.master_password_wo_version = Some(1);
                    i.manage_master_password = Some(false);
                }),
            ),
            (
                "longest name",
                with(|i| {
                    i.read_replicas.clear();
                    i.name = "a".repeat(58);
                }),
            ),
        ];
        for (name, input) in cases {
            assert_eq!(validate(&input), vec![], "{name}");
        }
    }

    #[test]
    fn every_violation_is_reported_not_just_the_first() {
        let input = with(|i| {
            i.name = "Main".to_string();
            i.engine_version = Some("v16".to_string());
            i.extensions = strings(&["pgvector"]);
            i.size = Some("xl".to_string());
            i.storage_gb = Some("5".to_string());
            i.backup_retention_days = Some(40);
            i.read_replicas = replicas(&["moon-1"]);
            i.master_password_wo_set = true;
        });
        let paths: Vec<String> = validate(&input)
            .iter()
            .map(|v| v.path.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "name",
                "engine_version",
                "extensions[0]",
                "size",
                "storage_gb",
                "backup_retention_days",
                "read_replicas[0].region",
                "master_password_wo_version",
            ]
        );
    }

    #[test]
    fn instance_classes_are_checked_by_shape() {
        let accepted = [
            "db.t3.micro",
            "db.t4g.medium",
            "db.m6g.large",
            "db.m5.24xlarge",
            "db.r6idn.32xlarge",
            "db.x2iedn.metal",
            "db.m7i.metal-48xl",
            "db.r5.2xlarge.tpc2.mem4x",
        ];
        for class in accepted {
            assert!(is_instance_class(class), "{class} must be accepted");
        }
        let rejected = [
            "t3.micro",
            "db.t3",
            "db..micro",
            "db.t3.huge",
            "db.3t.micro",
            "db.t.micro",
            "DB.T3.MICRO",
            "db.m5.1xlarge",
            "db.t3.micro.",
            "cache.t3.micro",
            "",
        ];
        for class in rejected {
            assert!(!is_instance_class(class), "{class:?} must be rejected");
        }
    }
}
