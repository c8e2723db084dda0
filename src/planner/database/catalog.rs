//! What RDS for PostgreSQL offers, as data the planner checks against: which extensions
//! need preloading or a minimum engine version, the names people mistake for them, engine
//! version parsing, instance sizes and the storage units people write.

use super::*;

// ---- data tables -----------------------------------------------------------------

/// What the planner knows about one extension. Extensions not listed pass unchecked:
/// the provider never runs `CREATE EXTENSION`, RDS adds extensions every quarter, and a
/// stale list must not reject a name RDS accepts.
pub(super) struct ExtensionRule {
    /// The `CREATE EXTENSION` name.
    pub(super) name: &'static str,
    /// The library it needs in `shared_preload_libraries`, if any.
    pub(super) preload: Option<&'static str>,
    /// Further static parameters it needs in the parameter group.
    pub(super) parameters: &'static [(&'static str, &'static str)],
    /// The engine versions that offer it, when not all do.
    pub(super) available: Option<VersionFloor>,
}

/// The versions an extension appeared in: a floor per older major, and every minor from
/// some major on.
pub(super) struct VersionFloor {
    /// `(major, first minor)` for the majors that got it in a minor release.
    pub(super) first_minor: &'static [(u32, u32)],
    /// The first major where every minor has it.
    pub(super) every_minor_from: u32,
}

/// Extensions whose rules the planner enforces, from the RDS for PostgreSQL user guide
/// and release notes.
///
/// `vector` (pgvector) arrived in 15.2 and, in May 2023's minors, in 14.8, 13.11 and
/// 12.15; every 16 and later has it. The rest need preloading through the parameter
/// group; RDS documents each as "add it to `shared_preload_libraries`".
pub(super) const EXTENSION_RULES: [ExtensionRule; 10] = [
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
pub(super) const EXTENSION_MISNAMES: [(&str, &str, &str); 5] = [
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
pub(super) const EXTENSIONS_NOT_ON_RDS: [(&str, &str); 2] = [
    (
        "timescaledb",
        "for time series on RDS, partition tables natively, with `pg_partman` to manage them",
    ),
    ("citus", "to spread read load on RDS, add `read_replicas`"),
];

/// Units accepted in `storage_gb`, and GiB per unit. RDS allocates in GiB and its
/// console labels them "GB", so `GB` means GiB and `TB` means TiB.
pub(super) const STORAGE_UNITS: [(&str, i64); 7] = [
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
pub(super) const INSTANCE_SIZES: [&str; 7] = [
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
pub(super) fn parse_number(digits: &str, max_digits: usize) -> Option<u32> {
    let plain = !digits.is_empty()
        && digits.len() <= max_digits
        && digits.chars().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if plain { digits.parse().ok() } else { None }
}

/// The version the user most likely meant: `v16` → `16`, `16.x` → `16`, `16.4.1` → `16.4`.
pub(super) fn suggest_engine_version(given: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
