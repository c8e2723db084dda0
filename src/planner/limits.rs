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

/// How long an apply waits for a Fargate service to reach a steady state, in minutes.
pub const DEPLOYMENT_TIMEOUT_MINUTES: IntRange = IntRange { min: 1, max: 180 };

/// The wait when `deployment.timeout_minutes` is not set.
pub const DEPLOYMENT_TIMEOUT_MINUTES_DEFAULT: i64 = 15;

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

/// RDS for PostgreSQL master user names: 1 to 63 letters, digits or underscores, starting
/// with a letter (CreateDBInstance `MasterUsername`, PostgreSQL constraints).
pub const RDS_MASTER_USERNAME_LENGTH: IntRange = IntRange { min: 1, max: 63 };

/// Master user names RDS for PostgreSQL refuses: the roles RDS itself runs as and
/// PostgreSQL's reserved key words (SQL Key Words appendix, "reserved" in PostgreSQL),
/// compared without regard to case.
#[rustfmt::skip]
pub const RDS_RESERVED_MASTER_USERNAMES: &[&str] = &[
    // RDS's own roles.
    "rdsadmin", "rdsrepladmin", "rdstopmgr", "rdswriteforwarduser",
    // PostgreSQL reserved key words, and role names PostgreSQL reserves.
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "binary", "both", "case", "cast", "check", "collate", "collation",
    "column", "concurrently", "constraint", "create", "cross", "current_catalog",
    "current_date", "current_role", "current_schema", "current_time", "current_timestamp",
    "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant",
    "group", "having", "ilike", "in", "initially", "inner", "intersect", "into", "is",
    "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime",
    "localtimestamp", "natural", "none", "not", "notnull", "null", "offset", "on", "only",
    "or", "order", "outer", "overlaps", "placing", "primary", "public", "references",
    "returning", "right", "select", "session_user", "similar", "some", "symmetric",
    "system_user", "table", "tablesample", "then", "to", "trailing", "true", "union",
    "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
];

/// Role name prefixes reserved for the system: `pg_` by PostgreSQL, `rds_` by RDS.
pub const RDS_RESERVED_USERNAME_PREFIXES: &[&str] = &["pg_", "rds_"];

/// RDS for PostgreSQL master passwords: 8 to 128 characters (CreateDBInstance
/// `MasterUserPassword`).
pub const RDS_MASTER_PASSWORD_LENGTH: IntRange = IntRange { min: 8, max: 128 };

/// Characters RDS refuses in a master password: it takes printable ASCII except these.
pub const RDS_MASTER_PASSWORD_FORBIDDEN: &[char] = &['/', '@', '"', ' '];

/// The smallest storage size, in GiB, that RDS accepts as an increase from `current`:
/// at least [`RDS_MIN_STORAGE_INCREASE_PERCENT`] more, rounded up to a whole GiB.
pub fn min_storage_increase(current: i64) -> i64 {
    let step = (current * RDS_MIN_STORAGE_INCREASE_PERCENT + 99) / 100;
    current + step.max(1)
}

/// `platform_api_service` names: `<environment>-<name>` must stay one DNS label of at
/// most 63 characters (`<app>.fly.dev`, `<script>.<subdomain>.workers.dev`), and an
/// environment name takes up to 20 of them plus the hyphen.
pub const SERVICE_NAME_LENGTH: IntRange = IntRange { min: 1, max: 42 };

/// A TCP port a container listens on.
pub const PORT: IntRange = IntRange { min: 1, max: 65535 };

/// The largest task definition ECS registers, in bytes: the whole `RegisterTaskDefinition`
/// JSON, environment variables included (Amazon ECS service quotas, "Task definition
/// size", 64 KiB, not adjustable).
pub const ECS_TASK_DEFINITION_MAX_BYTES: usize = 64 * 1024;

/// What an ECS task definition holds besides its variables (family, image, port, log and
/// health check settings, roles), in bytes: a generous allowance, so the size check errs
/// towards refusing at plan time what RegisterTaskDefinition would refuse at apply time.
pub const ECS_TASK_DEFINITION_BASE_BYTES: usize = 2 * 1024;

/// The longest single `NAME=value` environment string Linux passes to a new process, in
/// bytes (`MAX_ARG_STRLEN`, 32 pages of 4 KiB; execve(2) fails with `E2BIG` beyond it), so
/// a Fly.io machine could not start its command with a longer one.
pub const LINUX_MAX_ENV_STRING_BYTES: usize = 32 * 4096;

/// Seconds between health checks: ECS container health checks accept 5 to 300.
pub const HEALTH_CHECK_INTERVAL_SECONDS: IntRange = IntRange { min: 5, max: 300 };

// ---- AWS Fargate task sizes ------------------------------------------------------------

/// The memory a Fargate task may have at one CPU size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FargateMemory {
    /// Exactly these values, in MiB.
    List(&'static [u32]),
    /// From `min` to `max` MiB inclusive, in steps of `step`.
    Range {
        /// Smallest allowed memory, MiB.
        min: u32,
        /// Largest allowed memory, MiB.
        max: u32,
        /// Allowed increment, MiB.
        step: u32,
    },
}

/// One row of the Fargate task size table: a CPU size and the memory it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FargateSize {
    /// Task CPU in ECS CPU units (1024 per vCPU).
    pub cpu_units: u32,
    /// The task memory values allowed with that CPU.
    pub memory: FargateMemory,
}

/// Supported Fargate (Linux) task CPU and memory combinations, from the Amazon ECS
/// developer guide ("Task CPU and memory", and `RegisterTaskDefinition`'s `memory`). The
/// 8 and 16 vCPU sizes need Linux platform version 1.4.0 or later, which `LATEST` is.
pub const FARGATE_SIZES: [FargateSize; 7] = [
    FargateSize {
        cpu_units: 256,
        memory: FargateMemory::List(&[512, 1024, 2048]),
    },
    FargateSize {
        cpu_units: 512,
        memory: FargateMemory::Range {
            min: 1024,
            max: 4096,
            step: 1024,
        },
    },
    FargateSize {
        cpu_units: 1024,
        memory: FargateMemory::Range {
            min: 2048,
            max: 8192,
            step: 1024,
        },
    },
    FargateSize {
        cpu_units: 2048,
        memory: FargateMemory::Range {
            min: 4096,
            max: 16384,
            step: 1024,
        },
    },
    FargateSize {
        cpu_units: 4096,
        memory: FargateMemory::Range {
            min: 8192,
            max: 30720,
            step: 1024,
        },
    },
    FargateSize {
        cpu_units: 8192,
        memory: FargateMemory::Range {
            min: 16384,
            max: 61440,
            step: 4096,
        },
    },
    FargateSize {
        cpu_units: 16384,
        memory: FargateMemory::Range {
            min: 32768,
            max: 122_880,
            step: 8192,
        },
    },
];

impl FargateSize {
    /// Every memory value allowed with this CPU, ascending, in MiB.
    pub fn memory_options(&self) -> Vec<u32> {
        match self.memory {
            FargateMemory::List(values) => values.to_vec(),
            FargateMemory::Range { min, max, step } => (min..=max).step_by(step as usize).collect(),
        }
    }

    /// True when `memory_mb` is allowed with this CPU.
    pub fn allows(&self, memory_mb: u32) -> bool {
        self.memory_options().contains(&memory_mb)
    }

    /// The smallest memory allowed with this CPU.
    pub fn min_memory(&self) -> u32 {
        self.memory_options().first().copied().unwrap_or_default()
    }

    /// The allowed memory in words: `` `512`, `1024` or `2048` MiB `` or
    /// `` `4096` to `16384` MiB in steps of `1024` ``.
    pub fn describe_memory(&self) -> String {
        match self.memory {
            FargateMemory::List(values) => {
                let (last, rest) = values.split_last().unwrap_or((&0, &[]));
                let rest: Vec<String> = rest.iter().map(|v| format!("`{v}`")).collect();
                format!("{} or `{last}` MiB", rest.join(", "))
            }
            FargateMemory::Range { min, max, step } => {
                format!("`{min}` to `{max}` MiB in steps of `{step}`")
            }
        }
    }

    /// The allowed memory nearest to `memory_mb`; on a tie the larger wins, because a
    /// task with a little more memory than asked still runs.
    pub fn nearest_memory(&self, memory_mb: u32) -> u32 {
        let mut best = self.min_memory();
        for option in self.memory_options() {
            if option.abs_diff(memory_mb) <= best.abs_diff(memory_mb) {
                best = option;
            }
        }
        best
    }
}

/// The Fargate table row for `cpu_units`, if Fargate offers that CPU size.
pub fn fargate_size(cpu_units: u32) -> Option<&'static FargateSize> {
    FARGATE_SIZES.iter().find(|s| s.cpu_units == cpu_units)
}

/// The smallest Fargate CPU size at or above `cpu_units` (the largest if none is), so a
/// suggestion never gives a service less CPU than it asked for.
pub fn fargate_size_at_least(cpu_units: u32) -> &'static FargateSize {
    FARGATE_SIZES
        .iter()
        .find(|s| s.cpu_units >= cpu_units)
        .unwrap_or(&FARGATE_SIZES[FARGATE_SIZES.len() - 1])
}

/// The smallest Fargate CPU size that allows exactly `memory_mb`, if any does.
pub fn fargate_size_for_memory(memory_mb: u32) -> Option<&'static FargateSize> {
    FARGATE_SIZES.iter().find(|s| s.allows(memory_mb))
}

// ---- Fly.io Machines guest sizes -------------------------------------------------------

/// Fly.io machine memory must be a multiple of this many MB.
pub const FLY_MEMORY_STEP_MB: u32 = 256;

/// The guest limits of one Fly.io CPU kind, per the Machines API and Fly's "Machine
/// sizing" guide: memory between `min_mb_per_cpu` and `max_mb_per_cpu` times the CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlyCpuKindLimits {
    /// `shared` or `performance`, as the Machines API spells `guest.cpu_kind`.
    pub kind: &'static str,
    /// The CPU counts of Fly's presets of this kind (`shared-cpu-<n>x`, `performance-<n>x`).
    pub cpus: &'static [u32],
    /// Minimum memory per CPU, MB.
    pub min_mb_per_cpu: u32,
    /// Maximum memory per CPU, MB.
    pub max_mb_per_cpu: u32,
    /// The preset name prefix, e.g. `shared-cpu` for `shared-cpu-1x`.
    pub preset_prefix: &'static str,
}

/// Shared CPUs: burstable, 256 MB to 2 GB per CPU; presets `shared-cpu-1x`, `-2x`,
/// `-4x`, `-6x` and `-8x`.
pub const FLY_SHARED: FlyCpuKindLimits = FlyCpuKindLimits {
    kind: "shared",
    cpus: &[1, 2, 4, 6, 8],
    min_mb_per_cpu: 256,
    max_mb_per_cpu: 2048,
    preset_prefix: "shared-cpu",
};

/// Performance (dedicated) CPUs: 2 GB to 8 GB per CPU; presets `performance-1x`, `-2x`,
/// then every even count to `-16x`.
pub const FLY_PERFORMANCE: FlyCpuKindLimits = FlyCpuKindLimits {
    kind: "performance",
    cpus: &[1, 2, 4, 6, 8, 10, 12, 14, 16],
    min_mb_per_cpu: 2048,
    max_mb_per_cpu: 8192,
    preset_prefix: "performance",
};

/// Every Fly.io machine size, as one table: the CPU kinds in order of price (cheaper
/// first), with their preset CPU counts and memory per CPU. The counts are those of
/// Fly's pricing page presets and of flyctl's `cpusPerKind` (`internal/machine`); the
/// memory bounds are fly-go's `MIN/MAX_MEMORY_MB_PER_*` and the "Machine sizing" guide.
pub const FLY_CPU_KINDS: [FlyCpuKindLimits; 2] = [FLY_SHARED, FLY_PERFORMANCE];

impl FlyCpuKindLimits {
    /// True when this kind runs `cpus` CPUs with `memory_mb` of memory.
    pub fn allows(&self, cpus: u32, memory_mb: u32) -> bool {
        self.cpus.contains(&cpus)
            && memory_mb.is_multiple_of(FLY_MEMORY_STEP_MB)
            && (self.min_mb_per_cpu * cpus..=self.max_mb_per_cpu * cpus).contains(&memory_mb)
    }
}

/// Every CPU count some Fly.io machine has, ascending.
pub fn fly_cpu_counts() -> Vec<u32> {
    let mut counts: Vec<u32> = FLY_CPU_KINDS
        .iter()
        .flat_map(|k| k.cpus.iter().copied())
        .collect();
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// The CPU counts in words: `` `1`, `2`, `4`, `6` or `8` shared CPUs, or `1`, … `16`
/// performance CPUs ``.
pub fn describe_fly_cpus() -> String {
    let kinds: Vec<String> = FLY_CPU_KINDS
        .iter()
        .map(|k| {
            let (last, rest) = k.cpus.split_last().unwrap_or((&0, &[]));
            let rest: Vec<String> = rest.iter().map(|c| format!("`{c}`")).collect();
            format!("{} or `{last}` {} CPUs", rest.join(", "), k.kind)
        })
        .collect();
    kinds.join(", or ")
}

// ---- Cloudflare Workers ----------------------------------------------------------------

/// Memory of one Worker isolate, MB, on every plan.
pub const WORKERS_MEMORY_MB: i64 = 128;

/// CPU time a Worker invocation may use by default on the Paid plan, ms.
pub const WORKERS_DEFAULT_CPU_MS: i64 = 30_000;

/// The most CPU time a Worker invocation may be configured to use (`limits.cpu_ms`), ms.
pub const WORKERS_MAX_CPU_MS: i64 = 300_000;

/// Largest Worker upload, uncompressed, on every plan (64 MiB since May 2026, which
/// replaced the former 3 MB / 10 MB compressed limits).
pub const WORKERS_MAX_SCRIPT_BYTES: usize = 64 * 1024 * 1024;

/// Environment variables (plain text and secrets together) per Worker, Paid plan.
pub const WORKERS_MAX_ENV_VARS: usize = 128;

/// Largest value of one Worker environment variable, bytes.
pub const WORKERS_MAX_ENV_VAR_BYTES: usize = 5 * 1024;

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

    #[test]
    fn fargate_table_matches_the_ecs_developer_guide() {
        // (cpu units, memory values in GiB) as the guide lists them, written out by hand.
        let gib = |v: &[u32]| v.iter().map(|g| g * 1024).collect::<Vec<u32>>();
        let expected: [(u32, Vec<u32>); 7] = [
            (256, vec![512, 1024, 2048]),
            (512, gib(&[1, 2, 3, 4])),
            (1024, gib(&[2, 3, 4, 5, 6, 7, 8])),
            (2048, gib(&(4..=16).collect::<Vec<u32>>())),
            (4096, gib(&(8..=30).collect::<Vec<u32>>())),
            (8192, gib(&(16..=60).step_by(4).collect::<Vec<u32>>())),
            (16384, gib(&(32..=120).step_by(8).collect::<Vec<u32>>())),
        ];
        for (cpu, memory) in expected {
            let row = fargate_size(cpu).unwrap_or_else(|| panic!("{cpu} is a Fargate size"));
            assert_eq!(row.memory_options(), memory, "{cpu} CPU units");
        }
        assert_eq!(fargate_size(384), None);
        assert_eq!(fargate_size(32768), None);
    }

    #[test]
    fn fargate_lookups_suggest_sizes_that_exist() {
        assert!(fargate_size(256).is_some_and(|s| s.allows(2048) && !s.allows(1536)));
        assert_eq!(
            fargate_size(1024).map(|s| s.nearest_memory(1000)),
            Some(2048)
        );
        assert_eq!(
            fargate_size(256).map(|s| s.nearest_memory(1536)),
            Some(2048)
        );
        assert_eq!(
            fargate_size(8192).map(|s| s.nearest_memory(18432)),
            Some(20480)
        );
        assert_eq!(fargate_size_at_least(300).cpu_units, 512);
        assert_eq!(fargate_size_at_least(1024).cpu_units, 1024);
        assert_eq!(fargate_size_at_least(99_999).cpu_units, 16384);
        assert_eq!(
            fargate_size_for_memory(4096).map(|s| s.cpu_units),
            Some(512)
        );
        assert_eq!(
            fargate_size_for_memory(20480).map(|s| s.cpu_units),
            Some(4096)
        );
        assert_eq!(fargate_size_for_memory(1536), None);
        assert_eq!(
            fargate_size(256).map(|s| s.describe_memory()),
            Some("`512`, `1024` or `2048` MiB".to_string())
        );
        assert_eq!(
            fargate_size(2048).map(|s| s.describe_memory()),
            Some("`4096` to `16384` MiB in steps of `1024`".to_string())
        );
    }

    #[test]
    fn fly_guest_limits_follow_the_machine_sizing_guide() {
        let cases = [
            (FLY_SHARED, 1, 256, true),
            (FLY_SHARED, 1, 2048, true),
            (FLY_SHARED, 1, 2304, false),
            (FLY_SHARED, 4, 8192, true),
            (FLY_SHARED, 4, 768, false),
            (FLY_SHARED, 1, 300, false),
            (FLY_SHARED, 16, 4096, false),
            (FLY_SHARED, 3, 1024, false),
            (FLY_PERFORMANCE, 1, 2048, true),
            (FLY_PERFORMANCE, 1, 1024, false),
            (FLY_PERFORMANCE, 4, 32768, true),
            (FLY_PERFORMANCE, 4, 33024, false),
            (FLY_PERFORMANCE, 16, 131_072, true),
            (FLY_SHARED, 6, 1536, true),
            (FLY_SHARED, 6, 12288, true),
            (FLY_SHARED, 6, 12544, false),
            (FLY_PERFORMANCE, 6, 12288, true),
            (FLY_PERFORMANCE, 10, 20480, true),
            (FLY_PERFORMANCE, 3, 6144, false),
        ];
        for (kind, cpus, memory, ok) in cases {
            assert_eq!(
                kind.allows(cpus, memory),
                ok,
                "{} {cpus} x {memory}",
                kind.kind
            );
        }
    }

    #[test]
    fn fly_sizes_are_the_published_presets() {
        // Fly's pricing page, written out by hand: shared-cpu-1x … -8x and
        // performance-1x … -16x, each preset's memory from 256 MB (shared) or 2 GB
        // (performance) per CPU up to 2 GB or 8 GB per CPU.
        let presets = [
            ("shared-cpu-1x", 256, 2048),
            ("shared-cpu-2x", 512, 4096),
            ("shared-cpu-4x", 1024, 8192),
            ("shared-cpu-6x", 1536, 12288),
            ("shared-cpu-8x", 2048, 16384),
            ("performance-1x", 2048, 8192),
            ("performance-2x", 4096, 16384),
            ("performance-4x", 8192, 32768),
            ("performance-6x", 12288, 49152),
            ("performance-8x", 16384, 65536),
            ("performance-10x", 20480, 81920),
            ("performance-12x", 24576, 98304),
            ("performance-14x", 28672, 114_688),
            ("performance-16x", 32768, 131_072),
        ];
        let mut from_table = Vec::new();
        for kind in FLY_CPU_KINDS {
            for &cpus in kind.cpus {
                let name = format!("{}-{cpus}x", kind.preset_prefix);
                from_table.push((name, kind.min_mb_per_cpu * cpus, kind.max_mb_per_cpu * cpus));
                assert!(kind.allows(cpus, kind.min_mb_per_cpu * cpus));
                assert!(kind.allows(cpus, kind.max_mb_per_cpu * cpus));
            }
        }
        let want: Vec<(String, u32, u32)> = presets
            .iter()
            .map(|(n, lo, hi)| (n.to_string(), *lo, *hi))
            .collect();
        assert_eq!(from_table, want);
        assert_eq!(fly_cpu_counts(), vec![1, 2, 4, 6, 8, 10, 12, 14, 16]);
        assert_eq!(
            describe_fly_cpus(),
            "`1`, `2`, `4`, `6` or `8` shared CPUs, or `1`, `2`, `4`, `6`, `8`, `10`, `12`, \
             `14` or `16` performance CPUs"
        );
    }
}
