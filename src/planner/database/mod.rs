//! The `platform_database` planner: validates a PostgreSQL database's inputs, resolves
//! its effective settings against the environment's context, expands it into an RDS DB
//! instance, a parameter group where extensions need one and one read replica per
//! entry, and decides which later changes update in place and which replace it.
//!
//! Overview:
//! - [`validate`] checks every input against data tables and reports every violation;
//! - [`plan`] resolves the settings, each with its [`Source`], and expands the children
//!   with their monthly cost from the dated price table;
//! - [`changes`] compares two plans: what replaces the instance, what updates in place,
//!   and what RDS cannot do at all (shrinking storage);
//! - [`guard_replacement`] and [`guard_destroy`] are the production safety rules;
//! - [`final_snapshot_identifier`] names the snapshot a destroy takes.
//!
//! Choices the user does not make, and why:
//! - engine version [`DEFAULT_ENGINE_VERSION`] is the major `16` alone: RDS then picks the
//!   region's default minor, and a pinned minor would both age out of RDS (creates fail
//!   once AWS deprecates it) and show as a downgrade after RDS's automatic minor upgrades;
//! - `size` maps to a class through [`SIZE_CLASSES`]: `small` is the development and
//!   staging class, `medium` the production class of the tier table, and `large` a
//!   non-burstable Graviton class, because CPU credits run out under steady load;
//! - a parameter group is created only when an extension must be preloaded through
//!   `shared_preload_libraries` (see [`EXTENSION_RULES`]); `pg_stat_statements` is in the
//!   RDS default already and `vector` needs no preload, so most databases use
//!   `default.postgres<major>`.

use std::collections::{BTreeMap, BTreeSet};

use crate::value::path::AttributePath;

use super::environment::EnvironmentContext;
use super::limits::{
    self, BACKUP_RETENTION_DAYS, RDS_GP3_STORAGE_GIB, RDS_INSTANCE_IDENTIFIER_MAX_CHARS,
    RDS_MAX_READ_REPLICAS, RDS_MIN_STORAGE_INCREASE_PERCENT, RDS_SNAPSHOT_IDENTIFIER_MAX_CHARS,
};
use super::tier::Tier;
use super::{Child, Source, Violation, messages, naming, prices};

/// The `platform:component` tag value of everything this planner creates.
pub const COMPONENT: &str = "database";

/// The logical key of the primary DB instance in the expansion.
pub const RDS_INSTANCE_KEY: &str = "rds_instance";

/// The logical key of the DB parameter group in the expansion, when there is one.
pub const RDS_PARAMETER_GROUP_KEY: &str = "rds_parameter_group";

/// The engine version a database gets when it names none: the major alone, so RDS picks
/// the region's current default minor of PostgreSQL 16.
pub const DEFAULT_ENGINE_VERSION: &str = "16";

/// The RDS engine name.
const ENGINE: &str = "postgres";

/// `size` → RDS instance class. Without either, the environment's class applies.
pub const SIZE_CLASSES: [(&str, &str); 3] = [
    ("small", "db.t3.micro"),
    ("medium", "db.t3.medium"),
    ("large", "db.m6g.large"),
];

/// What RDS preloads in every default PostgreSQL parameter group; a custom group keeps
/// it, because setting `shared_preload_libraries` replaces the whole list.
const DEFAULT_PRELOAD: &str = "pg_stat_statements";

/// Share of the volume assumed to change per day, for the backup storage estimate.
///
/// RDS keeps one full snapshot plus the daily changes for the retention period. The
/// estimate takes the volume as full (an upper bound for a new database) and 2 % of it
/// changing a day, a common planning figure for OLTP workloads.
pub const BACKUP_DAILY_CHANGE_FRACTION: f64 = 0.02;

// ---- inputs and outputs -----------------------------------------------------------

/// A database's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseInput {
    /// The environment's exported context.
    pub environment: EnvironmentContext,
    /// The database's name within the environment.
    pub name: String,
    /// PostgreSQL version, `16` or `16.4`; [`DEFAULT_ENGINE_VERSION`] when unset.
    pub engine_version: Option<String>,
    /// Extensions the database will use, by `CREATE EXTENSION` name.
    pub extensions: Vec<String>,
    /// `small`, `medium` or `large`; conflicts with `instance_class`.
    pub size: Option<String>,
    /// An RDS instance class such as `db.t3.medium`; conflicts with `size`.
    pub instance_class: Option<String>,
    /// Allocated storage as written: `100`, `100GB`, `100 GiB`, `1TB`.
    pub storage_gb: Option<String>,
    /// Overrides the environment's Multi-AZ policy.
    pub multi_az: Option<bool>,
    /// Overrides the environment's automated backup retention, in days.
    pub backup_retention_days: Option<i64>,
    /// Overrides the environment's deletion protection.
    pub deletion_protection: Option<bool>,
    /// One read replica per entry.
    pub read_replicas: Vec<ReplicaInput>,
    /// Overrides whether destroy takes a final snapshot.
    pub final_snapshot: Option<bool>,
    /// Lifts the production guard against replacing or deleting the instance.
    pub allow_replacement: bool,
    /// Whether RDS manages the master password in Secrets Manager; on unless a
    /// write-only password is given.
    pub manage_master_password: Option<bool>,
    /// Whether a write-only `master_password_wo` is present in the configuration. The
    /// value itself never reaches the planner.
    pub master_password_wo_set: bool,
    /// Bumped by the user to send `master_password_wo` again.
    pub master_password_wo_version: Option<i64>,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
}

/// One `read_replicas` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaInput {
    /// The AWS region the replica runs in; may be the primary's own.
    pub region: String,
}

/// The planned database: its effective settings and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabasePlan {
    /// The primary's DB instance identifier, `<environment>-<name>`.
    pub identifier: String,
    /// The environment's name.
    pub environment: String,
    /// The environment's tier.
    pub tier: Tier,
    /// The primary's AWS region, from the environment.
    pub region: String,
    /// The effective settings after defaults and overrides.
    pub effective: EffectiveDatabase,
    /// For each effective setting, by name, where its value came from.
    pub settings_source: BTreeMap<String, Source>,
    /// The expansion: DB instance, parameter group if needed, one child per replica.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// The settings the database is created and kept with.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveDatabase {
    /// PostgreSQL version as configured: a major, or a major and minor.
    pub engine_version: String,
    /// The parameter group family of the major, e.g. `postgres16`.
    pub parameter_group_family: String,
    /// RDS instance class of the primary and its replicas.
    pub instance_class: String,
    /// Allocated storage in GiB.
    pub storage_gb: i64,
    /// RDS storage type, always `gp3`.
    pub storage_type: String,
    /// Whether the primary has a synchronous standby in a second AZ.
    pub multi_az: bool,
    /// Days of automated backups.
    pub backup_retention_days: i64,
    /// Whether RDS refuses to delete the primary.
    pub deletion_protection: bool,
    /// Whether destroy takes a final snapshot.
    pub final_snapshot: bool,
    /// Whether storage is encrypted at rest.
    pub storage_encrypted: bool,
    /// Whether RDS keeps the master password in Secrets Manager.
    pub manage_master_password: bool,
    /// The write-only password's version, when a write-only password is used.
    pub master_password_wo_version: Option<i64>,
    /// The custom parameter group's name, when extensions need one.
    pub parameter_group: Option<String>,
    /// `shared_preload_libraries` of the custom parameter group; empty without one.
    pub shared_preload_libraries: Vec<String>,
    /// Extensions, in the order written.
    pub extensions: Vec<String>,
    /// Regions of the read replicas, in the order written.
    pub read_replica_regions: Vec<String>,
    /// Effective tags: `default_tags`, the environment's tags, `tags`, then the platform's tags.
    pub tags: BTreeMap<String, String>,
}

/// What a change from one plan to the next does to the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    /// Differences that force a new DB instance: the attribute and why.
    pub replace: Vec<(AttributePath, String)>,
    /// Differences RDS applies to the running instance, one line each.
    pub in_place: Vec<String>,
    /// Differences RDS cannot apply at all; the plan must fail.
    pub errors: Vec<Violation>,
    /// Whether the prior database was in `production`, so that moving the environment
    /// to another tier in the same plan does not lift the replacement guard.
    pub prior_in_production: bool,
}

impl ChangeSet {
    /// True when nothing differs.
    pub fn is_empty(&self) -> bool {
        self.replace.is_empty() && self.in_place.is_empty() && self.errors.is_empty()
    }
}

// ---- data tables -----------------------------------------------------------------

/// What the planner knows about one extension. Extensions not listed pass unchecked:
/// the provider never runs `CREATE EXTENSION`, RDS adds extensions every quarter, and a
/// stale list must not reject a name RDS accepts.
struct ExtensionRule {
    /// The `CREATE EXTENSION` name.
    name: &'static str,
    /// The library it needs in `shared_preload_libraries`, if any.
    preload: Option<&'static str>,
    /// Further static parameters it needs in the parameter group.
    parameters: &'static [(&'static str, &'static str)],
    /// The engine versions that offer it, when not all do.
    available: Option<VersionFloor>,
}

/// The versions an extension appeared in: a floor per older major, and every minor from
/// some major on.
struct VersionFloor {
    /// `(major, first minor)` for the majors that got it in a minor release.
    first_minor: &'static [(u32, u32)],
    /// The first major where every minor has it.
    every_minor_from: u32,
}

/// Extensions whose rules the planner enforces, from the RDS for PostgreSQL user guide
/// and release notes.
///
/// `vector` (pgvector) arrived in 15.2 and, in May 2023's minors, in 14.8, 13.11 and
/// 12.15; every 16 and later has it. The rest need preloading through the parameter
/// group; RDS documents each as "add it to `shared_preload_libraries`".
const EXTENSION_RULES: [ExtensionRule; 10] = [
    ExtensionRule {
        name: "vector",
        preload: None,
        parameters: &[],
        available: Some(VersionFloor {
            first_minor: &[(12, 15), (13, 11), (14, 8), (15, 2)],
            every_minor_from: 16,
        }),
    },
    ExtensionRule {
        name: "pg_stat_statements",
        preload: Some(DEFAULT_PRELOAD),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "pg_cron",
        preload: Some("pg_cron"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "pgaudit",
        preload: Some("pgaudit"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "pg_hint_plan",
        preload: Some("pg_hint_plan"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "pglogical",
        preload: Some("pglogical"),
        parameters: &[("rds.logical_replication", "1")],
        available: None,
    },
    ExtensionRule {
        name: "pg_tle",
        preload: Some("pg_tle"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "pg_transport",
        preload: Some("pg_transport"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "plprofiler",
        preload: Some("plprofiler"),
        parameters: &[],
        available: None,
    },
    ExtensionRule {
        name: "auto_explain",
        preload: Some("auto_explain"),
        parameters: &[],
        available: None,
    },
];

/// Names people write for an extension that `CREATE EXTENSION` does not know:
/// `(written, extension name, why)`.
const EXTENSION_MISNAMES: [(&str, &str, &str); 5] = [
    (
        "pgvector",
        "vector",
        "pgvector is the project, its extension is `vector`",
    ),
    ("pg_vector", "vector", "pgvector's extension is `vector`"),
    (
        "uuid_ossp",
        "uuid-ossp",
        "the extension's name has a hyphen",
    ),
    (
        "pg_stat_statement",
        "pg_stat_statements",
        "the name is plural",
    ),
    ("pgcron", "pg_cron", "the name has an underscore"),
];

/// Extensions RDS for PostgreSQL does not offer: `(name, what to do instead)`.
const EXTENSIONS_NOT_ON_RDS: [(&str, &str); 2] = [
    (
        "timescaledb",
        "for time series on RDS, partition tables natively, with `pg_partman` to manage them",
    ),
    ("citus", "to spread read load on RDS, add `read_replicas`"),
];

/// Units accepted in `storage_gb`, and GiB per unit. RDS allocates in GiB and its
/// console labels them "GB", so `GB` means GiB and `TB` means TiB.
const STORAGE_UNITS: [(&str, i64); 7] = [
    ("", 1),
    ("g", 1),
    ("gb", 1),
    ("gib", 1),
    ("t", 1024),
    ("tb", 1024),
    ("tib", 1024),
];

/// Instance sizes RDS uses after `db.<family>.`; `<n>xlarge` and `metal-<n>xl` are
/// matched by shape.
const INSTANCE_SIZES: [&str; 7] = [
    "nano", "micro", "small", "medium", "large", "xlarge", "metal",
];

// ---- engine versions --------------------------------------------------------------

/// A parsed `engine_version`: the major, and the minor when one is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct EngineVersion {
    /// The PostgreSQL major, e.g. `16`.
    pub major: u32,
    /// The minor, e.g. `4` of `16.4`; `None` lets RDS pick the default minor.
    pub minor: Option<u32>,
}

impl EngineVersion {
    /// Parses what RDS accepts for PostgreSQL 10 and later: `16`, `16.4`, and RDS
    /// Extended Support minors such as `11.22-rds.20240208`. Rejects `16.x` and `v16`.
    pub fn parse(version: &str) -> Option<EngineVersion> {
        let (numbers, extended) = match version.split_once('-') {
            Some((numbers, suffix)) => (numbers, Some(suffix)),
            None => (version, None),
        };
        let (major, minor) = match numbers.split_once('.') {
            Some((major, minor)) => (major, Some(minor)),
            None => (numbers, None),
        };
        let major = parse_number(major, 2).filter(|m| *m >= 10)?;
        let minor = match minor {
            Some(minor) => Some(parse_number(minor, 3)?),
            None => None,
        };
        if let Some(suffix) = extended {
            // Extended Support minors only exist with a minor: `11.22-rds.20240208`.
            minor?;
            let rest = suffix
                .get(..4)
                .filter(|p| p.eq_ignore_ascii_case("rds."))
                .map(|_| &suffix[4..])?;
            let well_formed = !rest.is_empty()
                && !rest.starts_with('.')
                && !rest.ends_with('.')
                && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            if !well_formed {
                return None;
            }
        }
        Some(EngineVersion { major, minor })
    }

    /// The DB parameter group family, e.g. `postgres16`.
    pub fn parameter_group_family(self) -> String {
        format!("{ENGINE}{}", self.major)
    }
}

/// Digits only, at most `max_digits`, no leading zero.
fn parse_number(digits: &str, max_digits: usize) -> Option<u32> {
    let plain = !digits.is_empty()
        && digits.len() <= max_digits
        && digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if plain { digits.parse().ok() } else { None }
}

/// The version the user most likely meant: `v16` → `16`, `16.x` → `16`, `16.4.1` → `16.4`.
fn suggest_engine_version(given: &str) -> String {
    let lowered = given.trim().to_ascii_lowercase();
    let trimmed = ["postgresql", "postgres", "pg", "v"]
        .iter()
        .fold(lowered.as_str(), |s, prefix| {
            s.strip_prefix(prefix).unwrap_or(s).trim_start()
        });
    let mut parts = trimmed.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    });
    let major = parts.next().unwrap_or_default();
    let candidates = match parts.next().filter(|m| !m.is_empty()) {
        Some(minor) => vec![format!("{major}.{minor}"), major],
        None => vec![major],
    };
    candidates
        .into_iter()
        .find(|c| EngineVersion::parse(c).is_some())
        .unwrap_or_else(|| DEFAULT_ENGINE_VERSION.to_string())
}

// ---- storage ----------------------------------------------------------------------

/// Parses `storage_gb` as people write it (`100`, `100GB`, `100 GiB`, `1TB`, `1.5 TiB`)
/// into whole GiB. `None` when it is not a size, or not a whole number of GiB.
pub fn parse_storage_gib(written: &str) -> Option<i64> {
    let written = written.trim();
    let split = written
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(written.len());
    let (number, unit) = written.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let (_, per_unit) = STORAGE_UNITS.iter().find(|(u, _)| *u == unit)?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !fraction.chars().all(|c| c.is_ascii_digit()) || fraction.len() > 6 {
        return None;
    }
    // Exact arithmetic in millionths, so `1.5TB` is exactly 1536 GiB.
    let scale: i128 = 1_000_000;
    let whole: i128 = whole.parse().ok()?;
    let fraction_scaled: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<i128>().ok()? * 10_i128.pow(6 - fraction.len() as u32)
    };
    let total = (whole.checked_mul(scale)? + fraction_scaled).checked_mul(*per_unit as i128)?;
    if total % scale != 0 {
        return None;
    }
    i64::try_from(total / scale).ok()
}

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

fn check_name(input: &DatabaseInput, out: &mut Vec<Violation>) {
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
fn is_identifier_part(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn check_engine_version(version: Option<&str>, out: &mut Vec<Violation>) -> Option<EngineVersion> {
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

fn check_extensions(
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
fn is_extension_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn extension_rule(name: &str) -> Option<&'static ExtensionRule> {
    EXTENSION_RULES.iter().find(|rule| rule.name == name)
}

fn check_extension_version(
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

fn check_class(input: &DatabaseInput, out: &mut Vec<Violation>) {
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
fn is_instance_class(class: &str) -> bool {
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

fn check_storage(storage: Option<&str>, out: &mut Vec<Violation>) {
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

fn check_backups(input: &DatabaseInput, out: &mut Vec<Violation>) {
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

fn check_replicas(replicas: &[ReplicaInput], out: &mut Vec<Violation>) {
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

/// Checks the master user name and the write-only master password as RDS for PostgreSQL
/// would at CreateDBInstance, so a bad one fails the plan instead of the apply. The
/// password comes from the configuration during validation only (write-only values never
/// reach plan or state) and no message repeats it or any part of it.
pub fn check_master_credentials(username: Option<&str>, password: Option<&str>) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(name) = username {
        check_master_username(name, &mut out);
    }
    if let Some(password) = password {
        check_master_password(password, &mut out);
    }
    out
}

fn check_master_username(name: &str, out: &mut Vec<Violation>) {
    const EXAMPLE: &str = "app_admin";
    let path = AttributePath::attr("master_username");
    let length = name.chars().count();
    if !limits::RDS_MASTER_USERNAME_LENGTH.contains(length as i64) {
        out.push(messages::length_out_of_range(
            path,
            "master user name",
            length,
            limits::RDS_MASTER_USERNAME_LENGTH,
            Some(EXAMPLE),
        ));
        return;
    }
    let mut chars = name.chars();
    let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !shaped {
        out.push(messages::invalid_format(
            path,
            "Invalid Master Username",
            name,
            "letters, digits or underscores, starting with a letter, as RDS for PostgreSQL \
             requires",
            EXAMPLE,
        ));
        return;
    }
    let lower = name.to_ascii_lowercase();
    let reserved = limits::RDS_RESERVED_MASTER_USERNAMES.contains(&lower.as_str())
        || limits::RDS_RESERVED_USERNAME_PREFIXES
            .iter()
            .any(|p| lower.starts_with(p));
    if reserved {
        out.push(messages::reserved_master_username(path, name, EXAMPLE));
    }
}

fn check_master_password(password: &str, out: &mut Vec<Violation>) {
    let path = AttributePath::attr("master_password_wo");
    let range = limits::RDS_MASTER_PASSWORD_LENGTH;
    let length = password.chars().count() as i64;
    if !range.contains(length) {
        let side = if length < range.min {
            format!("shorter than {}", range.min)
        } else {
            format!("longer than {}", range.max)
        };
        out.push(messages::invalid_master_password(
            path.clone(),
            &format!(
                "is {side} characters, but RDS for PostgreSQL needs {} to {} characters",
                range.min, range.max
            ),
        ));
    }
    // Not printable ASCII (a space is not `is_ascii_graphic`), or one of RDS's exceptions.
    let forbidden = password
        .chars()
        .any(|c| !c.is_ascii_graphic() || limits::RDS_MASTER_PASSWORD_FORBIDDEN.contains(&c));
    if forbidden {
        out.push(messages::invalid_master_password(
            path,
            "contains a character RDS does not accept in a master password: it takes \
             printable ASCII characters except `/`, `@`, `\"` and spaces",
        ));
    }
}

fn check_credentials(input: &DatabaseInput, out: &mut Vec<Violation>) {
    let wo = input.master_password_wo_set;
    if wo && input.manage_master_password == Some(true) {
        out.push(messages::conflicting_attributes(
            AttributePath::attr("master_password_wo"),
            "manage_master_password",
            "master_password_wo",
            "RDS either keeps the master password in Secrets Manager or takes yours",
        ));
    }
    if wo && input.master_password_wo_version.is_none() {
        out.push(messages::required_with(
            AttributePath::attr("master_password_wo_version"),
            "master_password_wo_version",
            "`master_password_wo` is set, because a write-only value never reaches the state \
             and only a new version tells the provider to send it again",
            "master_password_wo_version = 1",
        ));
    }
    if !wo && input.master_password_wo_version.is_some() {
        out.push(messages::needs_companion(
            AttributePath::attr("master_password_wo_version"),
            "master_password_wo_version",
            "master_password_wo",
            "only tells the provider when to send `master_password_wo` again",
        ));
    }
    if !wo && input.manage_master_password == Some(false) {
        out.push(messages::no_master_password(AttributePath::attr(
            "manage_master_password",
        )));
    }
}

// ---- planning ---------------------------------------------------------------------

/// Validates, resolves the effective settings and expands the database into children.
pub fn plan(input: &DatabaseInput) -> Result<DatabasePlan, Vec<Violation>> {
    let violations = validate(input);
    if !violations.is_empty() {
        return Err(violations);
    }
    let env = &input.environment;
    let tags = naming::merge_child_tags(
        &input.default_tags,
        &env.tags,
        &input.tags,
        &naming::platform_tags(&env.name, COMPONENT),
    )?;
    // Validation accepted these, so they only fail if validation and planning disagree;
    // report that as a violation rather than panicking.
    let version_text = input
        .engine_version
        .clone()
        .unwrap_or_else(|| DEFAULT_ENGINE_VERSION.to_string());
    let version = EngineVersion::parse(&version_text).ok_or_else(|| {
        vec![messages::invalid_format(
            AttributePath::attr("engine_version"),
            "Invalid Engine Version",
            &version_text,
            "a PostgreSQL version",
            DEFAULT_ENGINE_VERSION,
        )]
    })?;
    let identifier = naming::child_name(&env.name, &input.name);
    let (effective, settings_source) = resolve(input, &identifier, version, version_text, tags);

    let mut children = vec![primary(&identifier, env, &effective, &settings_source)];
    if let Some(group) = parameter_group(env, &effective) {
        children.push(group);
    }
    for region in &effective.read_replica_regions {
        children.push(replica(
            &identifier,
            env,
            region,
            &effective,
            &settings_source,
        ));
    }
    let estimated_monthly_cost_usd = cents(children.iter().map(|c| c.monthly_cost_usd).sum());
    Ok(DatabasePlan {
        identifier,
        environment: env.name.clone(),
        tier: env.tier,
        region: env.region.clone(),
        effective,
        settings_source,
        children,
        estimated_monthly_cost_usd,
    })
}

/// The effective settings and, per setting, where its value came from.
fn resolve(
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

    record(
        "engine_version",
        if input.engine_version.is_some() {
            Source::Config
        } else {
            tier
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
            tier
        },
    );

    let (parameter_group, shared_preload_libraries) =
        preloads(identifier, version, &input.extensions);
    record(
        "parameter_group",
        if parameter_group.is_some() {
            Source::Config
        } else {
            tier
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
fn preloads(
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

/// A replica's DB instance identifier: `<identifier>-<region>`.
fn replica_identifier(identifier: &str, region: &str) -> String {
    format!("{identifier}-{region}")
}

/// The logical key of the replica in `region`: `rds_replica_<region>`.
pub fn replica_key(region: &str) -> String {
    format!("rds_replica_{region}")
}

fn yes_no(value: bool) -> String {
    value.to_string()
}

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

/// One child's settings from `(setting, value, source)` rows.
fn child(
    key: String,
    kind: &str,
    name: String,
    rows: Vec<(&str, String, Source)>,
    cost: Cost,
) -> Child {
    let mut settings: BTreeMap<String, String> = BTreeMap::new();
    let mut settings_source = BTreeMap::new();
    for (setting, value, source) in rows {
        settings.insert(setting.to_string(), value);
        settings_source.insert(setting.to_string(), source);
    }
    if let Some((note, source)) = cost.note {
        settings.insert("price_note".to_string(), note);
        settings_source.insert("price_note".to_string(), source);
    }
    Child {
        key,
        provider: "aws".to_string(),
        kind: kind.to_string(),
        name,
        settings,
        settings_source,
        monthly_cost_usd: cents(cost.usd),
    }
}

/// The rows the primary and its replicas share: engine, version, class and storage.
fn instance_rows(
    e: &EffectiveDatabase,
    tier: Source,
    source: &dyn Fn(&str) -> Source,
) -> Vec<(&'static str, String, Source)> {
    vec![
        ("engine", ENGINE.to_string(), tier),
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
fn primary(
    identifier: &str,
    env: &EnvironmentContext,
    effective: &EffectiveDatabase,
    sources: &BTreeMap<String, Source>,
) -> Child {
    let source = |setting: &str| sources[setting];
    let tier = Source::Tier(env.tier);
    let e = effective;
    let mut rows = instance_rows(e, tier, &source);
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

fn default_parameter_group(e: &EffectiveDatabase) -> String {
    format!("default.{}", e.parameter_group_family)
}

/// The custom DB parameter group, when extensions need one.
fn parameter_group(env: &EnvironmentContext, e: &EffectiveDatabase) -> Option<Child> {
    let name = e.parameter_group.clone()?;
    let mut rows = vec![
        ("family", e.parameter_group_family.clone(), Source::Config),
        (
            "shared_preload_libraries",
            e.shared_preload_libraries.join(","),
            Source::Config,
        ),
        ("region", env.region.clone(), Source::Environment),
    ];
    for rule in e.extensions.iter().filter_map(|x| extension_rule(x)) {
        for (parameter, value) in rule.parameters {
            rows.push((*parameter, value.to_string(), Source::Config));
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
fn replica(
    identifier: &str,
    env: &EnvironmentContext,
    region: &str,
    e: &EffectiveDatabase,
    sources: &BTreeMap<String, Source>,
) -> Child {
    let source = |setting: &str| sources[setting];
    let tier = Source::Tier(env.tier);
    // Parameter groups are regional: a replica in another region uses that region's
    // default group, which is enough for a read-only copy.
    let (group, group_source) = match &e.parameter_group {
        Some(group) if region == env.region => (group.clone(), source("parameter_group")),
        _ => (default_parameter_group(e), tier),
    };
    let mut rows = instance_rows(e, tier, &source);
    rows.extend([
        ("source_db_instance", identifier.to_string(), Source::Config),
        ("multi_az", yes_no(false), tier),
        ("backup_retention_days", "0".to_string(), tier),
        ("deletion_protection", yes_no(false), tier),
        (
            "master_password",
            "inherited from the source instance".to_string(),
            tier,
        ),
        ("parameter_group", group, group_source),
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
struct Cost {
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
fn primary_cost(region: &str, e: &EffectiveDatabase) -> Cost {
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
fn replica_cost(region: &str, e: &EffectiveDatabase, region_source: Source) -> Cost {
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

fn unpriced_region(region: &str, source: Source) -> Cost {
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

fn unpriced_class(region: &str, e: &EffectiveDatabase, other_usd: f64, source: Source) -> Cost {
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

// ---- changes and guards -----------------------------------------------------------

/// What changing from `prior` to `next` does to the database: replacements of the DB
/// instance with their reasons, in-place updates, and changes RDS cannot make.
pub fn changes(prior: &DatabasePlan, next: &DatabasePlan) -> ChangeSet {
    let mut set = ChangeSet {
        prior_in_production: prior.tier == Tier::Production,
        ..ChangeSet::default()
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

    // Replacing deletes the old instance, which RDS refuses while it is protected.
    if !set.replace.is_empty() && p.deletion_protection && n.deletion_protection {
        let (path, reason) = &set.replace[0];
        let violation =
            messages::replacement_needs_unprotected(path.clone(), &prior.identifier, reason);
        set.errors.push(violation);
    }
    set
}

fn compare_engine_versions(p: &EffectiveDatabase, n: &EffectiveDatabase, set: &mut ChangeSet) {
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

fn compare_storage(prior: i64, next: i64, set: &mut ChangeSet) {
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

fn compare_replicas(prior: &DatabasePlan, next: &DatabasePlan, set: &mut ChangeSet) {
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

/// The production guard: in `production` (before or after the change), every
/// replacement is a violation at the attribute that forces it, unless the database sets
/// `allow_replacement = true`.
pub fn guard_replacement(input: &DatabaseInput, changes: &ChangeSet) -> Vec<Violation> {
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
    use std::fmt::Write as _;

    use super::*;
    use crate::planner::environment::{self, EnvironmentInput, PolicyInput};

    fn context(tier: Tier, policy: PolicyInput) -> EnvironmentContext {
        let name = match tier {
            Tier::Development => "dev",
            Tier::Staging => "staging",
            Tier::Production => "prod",
        };
        let input = EnvironmentInput {
            name: name.to_string(),
            tier: tier.as_str().to_string(),
            region: "eu-west-1".to_string(),
            network: None,
            policy,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        };
        environment::plan(&input)
            .unwrap_or_else(|v| panic!("{v:#?}"))
            .context
    }

    /// A database named `main` with nothing set, in an environment of `tier`.
    fn input(tier: Tier) -> DatabaseInput {
        DatabaseInput {
            environment: context(tier, PolicyInput::default()),
            name: "main".to_string(),
            engine_version: None,
            extensions: Vec::new(),
            size: None,
            instance_class: None,
            storage_gb: None,
            multi_az: None,
            backup_retention_days: None,
            deletion_protection: None,
            read_replicas: Vec::new(),
            final_snapshot: None,
            allow_replacement: false,
            manage_master_password: None,
            master_password_wo_set: false,
            master_password_wo_version: None,
            tags: BTreeMap::from([("team".to_string(), "data".to_string())]),
            default_tags: BTreeMap::new(),
        }
    }

    #[test]
    fn the_environments_tags_reach_the_database_under_its_own() {
        let mut i = input(Tier::Production);
        i.environment.tags.insert("team".into(), "payments".into());
        i.environment.tags.insert("cost-center".into(), "42".into());
        i.default_tags
            .insert("cost-center".into(), "default".into());
        let plan = plan(&i).unwrap_or_else(|v| panic!("{v:#?}"));
        assert_eq!(
            plan.effective.tags["cost-center"], "42",
            "environment beats default_tags"
        );
        assert_eq!(
            plan.effective.tags["team"], "data",
            "the database's own tags win"
        );
        assert_eq!(plan.effective.tags["platform:component"], "database");
    }

    fn replicas(regions: &[&str]) -> Vec<ReplicaInput> {
        regions
            .iter()
            .map(|r| ReplicaInput {
                region: r.to_string(),
            })
            .collect()
    }

    /// The seed's production database: pgvector and a read replica in us-east-1.
    fn valid() -> DatabaseInput {
        let mut input = input(Tier::Production);
        input.extensions = vec!["vector".to_string()];
        input.read_replicas = replicas(&["us-east-1"]);
        input
    }

    fn with(change: impl FnOnce(&mut DatabaseInput)) -> DatabaseInput {
        let mut input = valid();
        change(&mut input);
        input
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.005
    }

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
    fn engine_versions_parse_like_rds_names_them() {
        let cases = [
            ("16", Some((16, None))),
            ("16.4", Some((16, Some(4)))),
            ("15.2", Some((15, Some(2)))),
            ("10.23", Some((10, Some(23)))),
            ("11.22-rds.20240208", Some((11, Some(22)))),
            ("11.22-RDS.20240208.R2.20240210", Some((11, Some(22)))),
            ("16.x", None),
            ("v16", None),
            ("16.", None),
            (".4", None),
            ("016", None),
            ("9.6", None),
            ("16.4.1", None),
            ("16-rds.2024", None),
            ("16.4-rds.", None),
            ("16.4-beta", None),
            ("16 ", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = EngineVersion::parse(text).map(|v| (v.major, v.minor));
            assert_eq!(got, want, "{text:?}");
        }
        let v = EngineVersion::parse("16.4").expect("valid");
        assert_eq!(v.parameter_group_family(), "postgres16");
    }

    #[test]
    fn suggested_engine_versions_are_valid() {
        let cases = [
            ("16.x", "16"),
            ("v16", "16"),
            ("V15.4", "15.4"),
            ("PostgreSQL 16", "16"),
            ("16.4.1", "16.4"),
            ("latest", DEFAULT_ENGINE_VERSION),
        ];
        for (given, want) in cases {
            let got = suggest_engine_version(given);
            assert_eq!(got, want, "{given}");
            assert!(EngineVersion::parse(&got).is_some(), "{got}");
        }
    }

    #[test]
    fn storage_accepts_the_units_people_write() {
        let cases = [
            ("100", Some(100)),
            ("100GB", Some(100)),
            ("100 GiB", Some(100)),
            ("100gb", Some(100)),
            ("100 G", Some(100)),
            (" 250 GB ", Some(250)),
            ("1TB", Some(1024)),
            ("1 TiB", Some(1024)),
            ("1.5TB", Some(1536)),
            ("0.5 t", Some(512)),
            ("64TiB", Some(65_536)),
            ("100.0", Some(100)),
            ("100.5GB", None),
            ("0.1TB", None),
            ("500 MB", None),
            ("GB", None),
            ("", None),
            ("-5", None),
            ("1e3", None),
            ("1,000", None),
            ("99999999999999999999TB", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_storage_gib(text), want, "{text:?}");
        }
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

    fn settings(child: &Child) -> Vec<(&str, &str)> {
        child
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    fn child<'a>(plan: &'a DatabasePlan, key: &str) -> &'a Child {
        plan.children
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("no child {key} in {:#?}", plan.children))
    }

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
            let want = if setting == "region" {
                Source::Environment
            } else {
                Source::Tier(Tier::Development)
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
                .all(|s| *s == Source::Tier(Tier::Staging))
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
                ("manage_master_password", dev.clone()),
                ("multi_az", "environment".to_string()),
                ("parameter_group", dev.clone()),
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
                    assert_eq!(instance.settings_source["parameter_group"], Source::Config);
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

    #[test]
    fn backup_estimate_grows_with_retention() {
        assert_eq!(estimated_backup_gb(100, 0), 0.0);
        assert!(close(estimated_backup_gb(100, 1), 102.0));
        assert!(close(estimated_backup_gb(100, 30), 160.0));
        assert!(close(estimated_backup_gb(20, 7), 22.8));
    }

    #[test]
    fn plans_are_deterministic() {
        assert_eq!(plan(&valid()), plan(&valid()));
    }

    /// A readable rendering of the expansion for snapshot tests.
    fn render(plan: &DatabasePlan) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({} in {}): ${:.2} a month",
            plan.identifier, plan.tier, plan.region, plan.estimated_monthly_cost_usd
        );
        for child in &plan.children {
            let _ = writeln!(
                out,
                "\n[{}] {}/{} {} — ${:.2} a month",
                child.key, child.provider, child.kind, child.name, child.monthly_cost_usd
            );
            let width = child.settings.keys().map(String::len).max().unwrap_or(0);
            for (key, value) in &child.settings {
                let source = child.settings_source[key];
                let _ = writeln!(out, "  {key:<width$} = {value:<20} # {source}");
            }
        }
        let _ = writeln!(out, "\ntags:");
        for (key, value) in &plan.effective.tags {
            let _ = writeln!(out, "  {key} = {value}");
        }
        out
    }

    fn snapshot(name: &str, plan: &DatabasePlan) {
        // Without the module prefix the file name is the same in every crate that
        // compiles this module; the files stay in `src/planner/snapshots`, where they
        // were before this module became a folder.
        insta::with_settings!({ prepend_module_to_snapshot => false, snapshot_path => "../snapshots" }, {
            insta::assert_snapshot!(name, render(plan));
        });
    }

    #[test]
    fn development_expansion() {
        snapshot(
            "database_development",
            &plan(&input(Tier::Development)).expect("valid"),
        );
    }

    #[test]
    fn staging_expansion() {
        let mut input = input(Tier::Staging);
        input.extensions = strings(&["vector", "pg_cron"]);
        snapshot("database_staging", &plan(&input).expect("valid"));
    }

    #[test]
    fn production_expansion() {
        snapshot("database_production", &plan(&valid()).expect("valid"));
    }

    // ---- changes and guards ---------------------------------------------------------

    fn planned(input: &DatabaseInput) -> DatabasePlan {
        plan(input).unwrap_or_else(|v| panic!("{v:#?}"))
    }

    /// The change from the development database as given to the one `change` makes.
    fn change_dev(change: impl FnOnce(&mut DatabaseInput)) -> ChangeSet {
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

    #[test]
    fn master_credentials_follow_rds_for_postgresql() {
        /// (username, password, want: (path, fragment) per violation)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<(&'a str, &'a str)>);
        let secret = "hunter2@home";
        let cases: [Case; 12] = [
            (Some("postgres"), Some("correct-horse-battery"), vec![]),
            (Some("app_admin"), None, vec![]),
            (None, Some(&"x".repeat(128)), vec![]),
            (
                Some("rdsadmin"),
                None,
                vec![("master_username", "`rdsadmin` is reserved")],
            ),
            (
                Some("RdsAdmin"),
                None,
                vec![("master_username", "is reserved")],
            ),
            (Some("user"), None, vec![("master_username", "is reserved")]),
            (
                Some("pg_owner"),
                None,
                vec![("master_username", "starting with `pg_`")],
            ),
            (
                Some("1admin"),
                None,
                vec![("master_username", "starting with a letter")],
            ),
            (
                Some(&"a".repeat(64)),
                None,
                vec![("master_username", "must be 1 to 63 characters")],
            ),
            (
                None,
                Some("short"),
                vec![("master_password_wo", "is shorter than 8 characters")],
            ),
            (
                None,
                Some(&"x".repeat(129)),
                vec![("master_password_wo", "is longer than 128 characters")],
            ),
            (
                None,
                Some(secret),
                vec![("master_password_wo", "except `/`, `@`, `\"` and spaces")],
            ),
        ];
        for (username, password, want) in cases {
            let got = check_master_credentials(username, password);
            let got_paths: Vec<String> = got.iter().map(|v| v.path.to_string()).collect();
            let want_paths: Vec<&str> = want.iter().map(|(p, _)| *p).collect();
            assert_eq!(got_paths, want_paths, "{username:?}: {got:#?}");
            for (v, (_, fragment)) in got.iter().zip(&want) {
                assert!(v.detail.contains(fragment), "{}", v.detail);
            }
        }
        for bad in [
            "pass word1",
            "pass/word1",
            "pass\"word1",
            "pässword1",
            "pass\tword1",
        ] {
            let got = check_master_credentials(None, Some(bad));
            assert_eq!(got.len(), 1, "{bad:?}: {got:#?}");
            for text in [&got[0].summary, &got[0].detail] {
                assert!(!text.contains(bad), "the password never shows: {text}");
            }
        }
        let leaked = check_master_credentials(None, Some(secret));
        assert!(leaked.iter().all(|v| !v.detail.contains("hunter2")));
    }
}
