//! The hand-written parts of a resource's documentation page, which each resource supplies
//! through [`Resource::docs`](super::Resource::docs): what it expands into, and which tier
//! defaults it inherits (rendered from [`crate::planner::tier`], so the docs cannot drift
//! from the defaults the planner applies).

use crate::planner::tier::TierDefaults;

/// What a resource's page says beyond its schema; the default says nothing more.
#[derive(Default)]
pub struct ResourceDocs {
    /// What the resource expands into, in markdown; empty for no such section.
    pub expansion: &'static str,
    /// The tier defaults the resource inherits, one table row each; empty for no table.
    pub tier_rows: &'static [TierRow],
}

/// One row of a tier-defaults table: a setting and how to show its value.
pub struct TierRow {
    /// The setting, as users call it.
    pub setting: &'static str,
    /// The value of the setting in one tier's defaults.
    pub value: fn(&TierDefaults) -> String,
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.into()
}

fn yes_no(yes: bool) -> String {
    if yes { "yes" } else { "no" }.into()
}

fn days(n: i64) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// A tier-defaults row.
pub const MIN_MAX: TierRow = TierRow {
    setting: "service instances min / max",
    value: |d| format!("{} / {}", d.service_min_instances, d.service_max_instances),
};
/// A tier-defaults row.
pub const TARGET_CPU: TierRow = TierRow {
    setting: "autoscaling target CPU",
    value: |d| format!("{} %", d.autoscaling_target_cpu_percent),
};
/// A tier-defaults row.
pub const COOLDOWNS: TierRow = TierRow {
    setting: "scale-out / scale-in cooldown",
    value: |d| {
        format!(
            "{} s / {} s",
            d.scale_out_cooldown_seconds, d.scale_in_cooldown_seconds
        )
    },
};
/// A tier-defaults row.
pub const CAPACITY_PROVIDER: TierRow = TierRow {
    setting: "Fargate capacity provider",
    value: |d| d.default_capacity_provider.to_string(),
};
/// A tier-defaults row.
pub const CIRCUIT_BREAKER: TierRow = TierRow {
    setting: "Fargate deployment circuit breaker, with rollback",
    value: |d| on_off(d.deployment_circuit_breaker),
};
/// A tier-defaults row.
pub const LB_DELETION_PROTECTION: TierRow = TierRow {
    setting: "Load balancer deletion protection (`ingress`)",
    value: |d| on_off(d.load_balancer_deletion_protection),
};
/// A tier-defaults row.
pub const CONTAINER_INSIGHTS: TierRow = TierRow {
    setting: "ECS Container Insights",
    value: |d| on_off(d.container_insights),
};
/// A tier-defaults row.
pub const LOG_RETENTION: TierRow = TierRow {
    setting: "log retention",
    value: |d| days(d.log_retention_days),
};
/// A tier-defaults row.
pub const DB_CLASS: TierRow = TierRow {
    setting: "DB instance class",
    value: |d| d.db_instance_class.to_string(),
};
/// A tier-defaults row.
pub const DB_STORAGE: TierRow = TierRow {
    setting: "DB storage",
    value: |d| format!("{} GB {}", d.db_storage_gb, d.db_storage_type),
};
/// A tier-defaults row.
pub const DB_MULTI_AZ: TierRow = TierRow {
    setting: "DB multi-AZ",
    value: |d| yes_no(d.db_multi_az),
};
/// A tier-defaults row.
pub const DB_BACKUPS: TierRow = TierRow {
    setting: "DB backup retention",
    value: |d| days(d.db_backup_retention_days),
};
/// A tier-defaults row.
pub const DB_DELETION_PROTECTION: TierRow = TierRow {
    setting: "DB deletion protection",
    value: |d| on_off(d.db_deletion_protection),
};
/// A tier-defaults row.
pub const DB_FINAL_SNAPSHOT: TierRow = TierRow {
    setting: "final snapshot on destroy",
    value: |d| yes_no(d.db_final_snapshot),
};
/// A tier-defaults row.
pub const DB_ENCRYPTION: TierRow = TierRow {
    setting: "storage encryption",
    value: |d| on_off(d.db_storage_encrypted),
};

/// A tier-defaults row.
pub const BUCKET_VERSIONING: TierRow = TierRow {
    setting: "bucket versioning",
    value: |d| on_off(d.bucket_versioning),
};
/// A tier-defaults row.
pub const QUEUE_DEAD_LETTER: TierRow = TierRow {
    setting: "queue dead-letter after",
    value: |d| format!("{} receives", d.queue_max_receives),
};
/// A tier-defaults row.
pub const SECRET_RECOVERY: TierRow = TierRow {
    setting: "secret recovery window after destroy",
    value: |d| {
        if d.secret_recovery_window_days == 0 {
            "none (deleted at once)".into()
        } else {
            days(d.secret_recovery_window_days)
        }
    },
};

/// A tier-defaults row.
pub const CACHE_NODE: TierRow = TierRow {
    setting: "cache node",
    value: |d| d.cache_node_type.to_string(),
};
/// A tier-defaults row.
pub const CACHE_REPLICAS: TierRow = TierRow {
    setting: "cache replicas / multi-AZ",
    value: |d| format!("{} / {}", d.cache_replicas, yes_no(d.cache_multi_az)),
};
/// A tier-defaults row.
pub const CACHE_SNAPSHOTS: TierRow = TierRow {
    setting: "cache snapshot retention",
    value: |d| days(d.cache_snapshot_retention_days),
};
/// A tier-defaults row.
pub const CACHE_FINAL_SNAPSHOT: TierRow = TierRow {
    setting: "cache final snapshot on destroy",
    value: |d| yes_no(d.cache_final_snapshot),
};

/// What a cache inherits.
pub const CACHE_ROWS: &[TierRow] = &[
    CACHE_NODE,
    CACHE_REPLICAS,
    CACHE_SNAPSHOTS,
    CACHE_FINAL_SNAPSHOT,
];
/// What a bucket inherits.
pub const BUCKET_ROWS: &[TierRow] = &[BUCKET_VERSIONING];
/// What a queue inherits.
pub const QUEUE_ROWS: &[TierRow] = &[QUEUE_DEAD_LETTER];
/// What a secret inherits.
pub const SECRET_ROWS: &[TierRow] = &[SECRET_RECOVERY];

/// The Vercel plan a site's estimate assumes.
pub const SITE_VERCEL_PLAN: TierRow = TierRow {
    setting: "Vercel plan priced (sites on Vercel)",
    value: |d| d.site_vercel_plan.into(),
};
/// What a static site inherits.
pub const SITE_ROWS: &[TierRow] = &[SITE_VERCEL_PLAN];

/// Everything an environment's policy carries.
pub const ENVIRONMENT_ROWS: &[TierRow] = &[
    CONTAINER_INSIGHTS,
    CAPACITY_PROVIDER,
    MIN_MAX,
    TARGET_CPU,
    COOLDOWNS,
    LOG_RETENTION,
    DB_CLASS,
    DB_STORAGE,
    DB_MULTI_AZ,
    DB_BACKUPS,
    DB_DELETION_PROTECTION,
    DB_FINAL_SNAPSHOT,
    DB_ENCRYPTION,
    LB_DELETION_PROTECTION,
];

/// What a service inherits.
pub const SERVICE_ROWS: &[TierRow] = &[
    MIN_MAX,
    TARGET_CPU,
    COOLDOWNS,
    CAPACITY_PROVIDER,
    CIRCUIT_BREAKER,
    LOG_RETENTION,
];

/// What a job inherits: the capacity provider its runs use, the breaker of a queue's
/// service, its logs' retention.
pub const JOB_ROWS: &[TierRow] = &[CAPACITY_PROVIDER, CIRCUIT_BREAKER, LOG_RETENTION];

/// What a database inherits.
pub const DATABASE_ROWS: &[TierRow] = &[
    DB_CLASS,
    DB_STORAGE,
    DB_MULTI_AZ,
    DB_BACKUPS,
    DB_DELETION_PROTECTION,
    DB_FINAL_SNAPSHOT,
    DB_ENCRYPTION,
];
