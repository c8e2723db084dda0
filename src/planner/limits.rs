//! AWS limits the planner validates against, kept as data so every rule is one table
//! row and its diagnostic can quote the allowed values.

/// An inclusive range of whole numbers an input must fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    /// The smallest allowed value.
    pub min: i64,
    /// The largest allowed value.
    pub max: i64,
}

impl IntRange {
    /// True when `value` lies within the range, ends included.
    pub fn contains(self, value: i64) -> bool {
        (self.min..=self.max).contains(&value)
    }
}

/// Environment names become prefixes of every cloud name, so they are kept short
/// enough that `<environment>-<name>` fits the tightest cloud limits.
pub const ENVIRONMENT_NAME_LENGTH: IntRange = IntRange { min: 1, max: 20 };

/// Service instance floor. Zero is allowed so an environment can be parked.
pub const MIN_INSTANCES: IntRange = IntRange { min: 0, max: 1000 };

/// Service instance ceiling: a guard against typos, well under ECS's per-service quota.
pub const MAX_INSTANCES: IntRange = IntRange { min: 1, max: 1000 };

/// Target-tracking CPU utilisation, in percent.
pub const TARGET_CPU_PERCENT: IntRange = IntRange { min: 1, max: 100 };

/// RDS automated backup retention (`BackupRetentionPeriod`), in days; 0 disables backups.
pub const BACKUP_RETENTION_DAYS: IntRange = IntRange { min: 0, max: 35 };

/// The only values CloudWatch Logs `PutRetentionPolicy` accepts for `retentionInDays`.
pub const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// ECS `awsvpcConfiguration` accepts at most this many subnets.
pub const MAX_SUBNETS: usize = 16;

/// ECS `awsvpcConfiguration` accepts at most this many security groups.
pub const MAX_SECURITY_GROUPS: usize = 5;

/// AWS tag keys are 1 to 128 Unicode characters.
pub const TAG_KEY_LENGTH: IntRange = IntRange { min: 1, max: 128 };

/// AWS tag values are at most 256 Unicode characters.
pub const TAG_VALUE_MAX_CHARS: usize = 256;

/// AWS resources (ECS and RDS alike) carry at most 50 user tags.
pub const MAX_TAGS_PER_RESOURCE: usize = 50;

/// Tag keys starting with this prefix, in any letter case, belong to AWS.
pub const AWS_RESERVED_TAG_PREFIX: &str = "aws:";

/// Allocated gp3 storage for RDS for PostgreSQL, in GiB (20 GiB to 64 TiB).
pub const RDS_GP3_STORAGE_GIB: IntRange = IntRange {
    min: 20,
    max: 65_536,
};

/// RDS grows allocated storage only by at least this share of the current size, in percent.
pub const RDS_MIN_STORAGE_INCREASE_PERCENT: i64 = 10;

/// RDS for PostgreSQL allows at most this many read replicas per source instance.
pub const RDS_MAX_READ_REPLICAS: usize = 15;

/// RDS DB instance identifiers are 1 to 63 letters, digits or hyphens.
pub const RDS_INSTANCE_IDENTIFIER_MAX_CHARS: usize = 63;

/// RDS DB snapshot identifiers are 1 to 255 letters, digits or hyphens.
pub const RDS_SNAPSHOT_IDENTIFIER_MAX_CHARS: usize = 255;

/// The smallest storage size, in GiB, that RDS accepts as an increase from `current`:
/// at least [`RDS_MIN_STORAGE_INCREASE_PERCENT`] more, rounded up to a whole GiB.
pub fn min_storage_increase(current: i64) -> i64 {
    let step = (current * RDS_MIN_STORAGE_INCREASE_PERCENT + 99) / 100;
    current + step.max(1)
}

/// The allowed log retention closest to `days`.
///
/// On a tie the longer value wins: suggesting to keep logs a little longer than asked
/// never loses data the user expected to have.
pub fn nearest_log_retention(days: i64) -> i64 {
    let mut best = LOG_RETENTION_DAYS[0];
    for allowed in LOG_RETENTION_DAYS {
        if allowed.abs_diff(days) <= best.abs_diff(days) {
            best = allowed;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_retention_values_are_sorted_and_unique() {
        assert!(LOG_RETENTION_DAYS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn nearest_log_retention_picks_the_closest_allowed_value() {
        let cases = [
            (0, 1),
            (1, 1),
            (4, 5), // tie between 3 and 5: the longer wins
            (10, 7),
            (11, 14),
            (45, 60), // tie between 30 and 60: the longer wins
            (100, 90),
            (366, 365),
            (1000, 1096),
            (9999, 3653),
            (-5, 1),
        ];
        for (days, want) in cases {
            assert_eq!(nearest_log_retention(days), want, "nearest to {days}");
        }
    }

    #[test]
    fn storage_must_grow_by_at_least_ten_percent_rounded_up() {
        let cases = [
            (20, 22),
            (21, 24),
            (100, 110),
            (101, 112),
            (1, 2),
            (65_000, 71_500),
        ];
        for (current, want) in cases {
            assert_eq!(min_storage_increase(current), want, "from {current}");
        }
    }

    #[test]
    fn gp3_storage_spans_20_gib_to_64_tib() {
        assert!(RDS_GP3_STORAGE_GIB.contains(20));
        assert!(RDS_GP3_STORAGE_GIB.contains(64 * 1024));
        assert!(!RDS_GP3_STORAGE_GIB.contains(19));
        assert!(!RDS_GP3_STORAGE_GIB.contains(64 * 1024 + 1));
    }

    #[test]
    fn ranges_include_both_ends() {
        assert!(BACKUP_RETENTION_DAYS.contains(0));
        assert!(BACKUP_RETENTION_DAYS.contains(35));
        assert!(!BACKUP_RETENTION_DAYS.contains(36));
        assert!(!BACKUP_RETENTION_DAYS.contains(-1));
    }
}
