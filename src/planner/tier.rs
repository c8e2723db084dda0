//! Tiers (`development`, `staging`, `production`) and the default policy each one
//! gives every child, exactly as DESIGN.md's "Tier defaults" table states it.

use std::fmt;
use std::str::FromStr;

/// The kind of environment, which picks the default policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Cheap and disposable: spot capacity, no standby, short retention.
    Development,
    /// Production-like, but single-AZ and without deletion protection.
    Staging,
    /// Highly available and protected against accidental loss.
    Production,
}

/// The error for a tier name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier `{given}`: expected one of `development`, `staging`, `production`")]
pub struct UnknownTier {
    /// The value as the user wrote it.
    pub given: String,
}

impl Tier {
    /// Every tier, in the order users see them listed.
    pub const ALL: [Tier; 3] = [Tier::Development, Tier::Staging, Tier::Production];

    /// The name users write in HCL.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Development => "development",
            Tier::Staging => "staging",
            Tier::Production => "production",
        }
    }

    /// The default policy of this tier.
    pub fn defaults(self) -> &'static TierDefaults {
        match self {
            Tier::Development => &DEVELOPMENT,
            Tier::Staging => &STAGING,
            Tier::Production => &PRODUCTION,
        }
    }

    /// The tier the user most likely meant by an unknown name, if any: a different case
    /// (`Production`) or a prefix (`prod`, `dev`).
    pub fn suggest(given: &str) -> Option<Tier> {
        let wanted = given.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return None;
        }
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str().starts_with(&wanted))
    }
}

impl FromStr for Tier {
    type Err = UnknownTier;

    /// Parses exactly `development`, `staging` or `production`; anything else is an error,
    /// because a silently "corrected" tier would change the policy behind the user's back.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|tier| tier.as_str() == s)
            .ok_or_else(|| UnknownTier {
                given: s.to_string(),
            })
    }
}

impl fmt::Display for Tier {
    /// Renders the name users write in HCL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The default policy of one tier; every field can be overridden where the schema allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierDefaults {
    /// Minimum number of running service instances.
    pub service_min_instances: i64,
    /// Maximum number of running service instances.
    pub service_max_instances: i64,
    /// Average CPU utilisation that target-tracking autoscaling aims for, in percent.
    pub autoscaling_target_cpu_percent: i64,
    /// Seconds to wait after a scale-out before scaling out again.
    pub scale_out_cooldown_seconds: i64,
    /// Seconds to wait after a scale-in before scaling in again.
    pub scale_in_cooldown_seconds: i64,
    /// RDS instance class a database gets when it names no size.
    pub db_instance_class: &'static str,
    /// Allocated database storage in GB.
    pub db_storage_gb: i64,
    /// RDS storage type.
    pub db_storage_type: &'static str,
    /// Whether the database runs a synchronous standby in a second AZ.
    pub db_multi_az: bool,
    /// Days of automated backups RDS keeps.
    pub db_backup_retention_days: i64,
    /// Whether RDS refuses to delete the database.
    pub db_deletion_protection: bool,
    /// Whether destroying the database takes a final snapshot first.
    pub db_final_snapshot: bool,
    /// Whether database storage is encrypted at rest.
    pub db_storage_encrypted: bool,
    /// Days CloudWatch Logs keeps service logs.
    pub log_retention_days: i64,
    /// Whether the ECS cluster has Container Insights enabled.
    pub container_insights: bool,
    /// The capacity provider a service uses unless it says otherwise.
    pub default_capacity_provider: &'static str,
    /// Whether an ECS deployment that keeps failing is stopped (and rolled back) by the
    /// deployment circuit breaker.
    pub deployment_circuit_breaker: bool,
    /// Whether the environment's shared load balancer refuses deletion.
    pub load_balancer_deletion_protection: bool,
    /// Whether a bucket keeps every version of its objects.
    pub bucket_versioning: bool,
    /// Receives after which a queue moves a message to its dead-letter queue.
    pub queue_max_receives: i64,
    /// Days a deleted secret can be restored; 0 deletes it at once (its name is free
    /// again for the next create).
    pub secret_recovery_window_days: i64,
    /// ElastiCache node type a cache gets when it names no size.
    pub cache_node_type: &'static str,
    /// Read replicas of a cache's primary.
    pub cache_replicas: i64,
    /// Whether a cache fails over to a replica in another AZ.
    pub cache_multi_az: bool,
    /// Days of automatic cache snapshots.
    pub cache_snapshot_retention_days: i64,
    /// Whether destroying a cache takes a final snapshot first.
    pub cache_final_snapshot: bool,
    /// The Vercel plan a site on Vercel is priced on: Hobby is for personal,
    /// non-commercial use only, so staging and production assume Pro.
    pub site_vercel_plan: &'static str,
}

// The table gives cooldowns only for production. They are properties of how fast ECS
// tasks start and how noisy CPU averages are, not of how much a tier is worth protecting,
// so every tier uses the same 60 s out / 300 s in; scaling in slowly avoids flapping.
const SCALE_OUT_COOLDOWN_SECONDS: i64 = 60;
const SCALE_IN_COOLDOWN_SECONDS: i64 = 300;

/// `development`: FARGATE_SPOT, no Container Insights, minimal retention, no deployment
/// circuit breaker (a failing deployment keeps trying while you fix it).
pub const DEVELOPMENT: TierDefaults = TierDefaults {
    service_min_instances: 1,
    service_max_instances: 2,
    autoscaling_target_cpu_percent: 70,
    scale_out_cooldown_seconds: SCALE_OUT_COOLDOWN_SECONDS,
    scale_in_cooldown_seconds: SCALE_IN_COOLDOWN_SECONDS,
    db_instance_class: "db.t3.micro",
    db_storage_gb: 20,
    db_storage_type: "gp3",
    db_multi_az: false,
    db_backup_retention_days: 1,
    db_deletion_protection: false,
    db_final_snapshot: false,
    db_storage_encrypted: true,
    log_retention_days: 7,
    container_insights: false,
    default_capacity_provider: "FARGATE_SPOT",
    deployment_circuit_breaker: false,
    load_balancer_deletion_protection: false,
    bucket_versioning: false,
    queue_max_receives: 5,
    secret_recovery_window_days: 0,
    cache_node_type: "cache.t3.micro",
    cache_replicas: 0,
    cache_multi_az: false,
    cache_snapshot_retention_days: 0,
    cache_final_snapshot: false,
    site_vercel_plan: "hobby",
};

/// `staging`: on-demand FARGATE, Container Insights, a final snapshot on destroy, failed
/// deployments rolled back.
pub const STAGING: TierDefaults = TierDefaults {
    service_min_instances: 1,
    service_max_instances: 4,
    autoscaling_target_cpu_percent: 70,
    scale_out_cooldown_seconds: SCALE_OUT_COOLDOWN_SECONDS,
    scale_in_cooldown_seconds: SCALE_IN_COOLDOWN_SECONDS,
    db_instance_class: "db.t3.micro",
    db_storage_gb: 20,
    db_storage_type: "gp3",
    db_multi_az: false,
    db_backup_retention_days: 7,
    db_deletion_protection: false,
    db_final_snapshot: true,
    db_storage_encrypted: true,
    log_retention_days: 14,
    container_insights: true,
    default_capacity_provider: "FARGATE",
    deployment_circuit_breaker: true,
    load_balancer_deletion_protection: false,
    bucket_versioning: true,
    queue_max_receives: 5,
    secret_recovery_window_days: 7,
    cache_node_type: "cache.t3.small",
    cache_replicas: 0,
    cache_multi_az: false,
    cache_snapshot_retention_days: 1,
    cache_final_snapshot: false,
    site_vercel_plan: "pro",
};

/// `production`: Multi-AZ, deletion protection, 30-day backups and logs, failed
/// deployments rolled back.
pub const PRODUCTION: TierDefaults = TierDefaults {
    service_min_instances: 2,
    service_max_instances: 10,
    autoscaling_target_cpu_percent: 70,
    scale_out_cooldown_seconds: SCALE_OUT_COOLDOWN_SECONDS,
    scale_in_cooldown_seconds: SCALE_IN_COOLDOWN_SECONDS,
    db_instance_class: "db.t3.medium",
    db_storage_gb: 100,
    db_storage_type: "gp3",
    db_multi_az: true,
    db_backup_retention_days: 30,
    db_deletion_protection: true,
    db_final_snapshot: true,
    db_storage_encrypted: true,
    log_retention_days: 30,
    container_insights: true,
    default_capacity_provider: "FARGATE",
    deployment_circuit_breaker: true,
    load_balancer_deletion_protection: true,
    bucket_versioning: true,
    queue_max_receives: 5,
    secret_recovery_window_days: 30,
    cache_node_type: "cache.r6g.large",
    cache_replicas: 1,
    cache_multi_az: true,
    cache_snapshot_retention_days: 7,
    cache_final_snapshot: true,
    site_vercel_plan: "pro",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_three_names() {
        let cases = [
            ("development", Ok(Tier::Development)),
            ("staging", Ok(Tier::Staging)),
            ("production", Ok(Tier::Production)),
            ("Production", Err(())),
            ("prod", Err(())),
            (" staging", Err(())),
            ("", Err(())),
        ];
        for (input, want) in cases {
            let got = input.parse::<Tier>().map_err(|_| ());
            assert_eq!(got, want, "parsing {input:?}");
        }
    }

    #[test]
    fn error_lists_every_choice() {
        let err = "qa".parse::<Tier>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`qa`"), "{message}");
        for tier in Tier::ALL {
            assert!(message.contains(&format!("`{tier}`")), "{message}");
        }
    }

    #[test]
    fn as_str_round_trips() {
        for tier in Tier::ALL {
            assert_eq!(tier.as_str().parse::<Tier>(), Ok(tier));
            assert_eq!(tier.to_string(), tier.as_str());
        }
    }

    #[test]
    fn suggests_the_tier_a_typo_meant() {
        let cases = [
            ("prod", Some(Tier::Production)),
            ("Production", Some(Tier::Production)),
            ("dev", Some(Tier::Development)),
            ("STAG", Some(Tier::Staging)),
            ("stage", None),
            ("qa", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(Tier::suggest(input), want, "suggestion for {input:?}");
        }
    }

    #[test]
    fn defaults_match_the_design_table() {
        // (tier, min, max, class, storage, multi_az, backups, deletion, snapshot, logs)
        let rows = [
            (
                Tier::Development,
                1,
                2,
                "db.t3.micro",
                20,
                false,
                1,
                false,
                false,
                7,
            ),
            (
                Tier::Staging,
                1,
                4,
                "db.t3.micro",
                20,
                false,
                7,
                false,
                true,
                14,
            ),
            (
                Tier::Production,
                2,
                10,
                "db.t3.medium",
                100,
                true,
                30,
                true,
                true,
                30,
            ),
        ];
        for (tier, min, max, class, gb, multi_az, backups, deletion, snapshot, logs) in rows {
            let d = tier.defaults();
            assert_eq!(d.service_min_instances, min, "{tier} min");
            assert_eq!(d.service_max_instances, max, "{tier} max");
            assert_eq!(d.db_instance_class, class, "{tier} class");
            assert_eq!(d.db_storage_gb, gb, "{tier} storage");
            assert_eq!(d.db_storage_type, "gp3", "{tier} storage type");
            assert_eq!(d.db_multi_az, multi_az, "{tier} multi-AZ");
            assert_eq!(d.db_backup_retention_days, backups, "{tier} backups");
            assert_eq!(d.db_deletion_protection, deletion, "{tier} deletion");
            assert_eq!(d.db_final_snapshot, snapshot, "{tier} snapshot");
            assert_eq!(d.log_retention_days, logs, "{tier} logs");
            assert!(d.db_storage_encrypted, "{tier} encryption is on everywhere");
            assert_eq!(d.autoscaling_target_cpu_percent, 70, "{tier} target CPU");
            assert_eq!(d.scale_out_cooldown_seconds, 60, "{tier} scale-out");
            assert_eq!(d.scale_in_cooldown_seconds, 300, "{tier} scale-in");
        }
    }

    #[test]
    fn development_prefers_spot_and_skips_insights() {
        let development = Tier::Development.defaults();
        assert_eq!(development.default_capacity_provider, "FARGATE_SPOT");
        assert!(!development.container_insights);
        for tier in [Tier::Staging, Tier::Production] {
            assert_eq!(tier.defaults().default_capacity_provider, "FARGATE");
            assert!(tier.defaults().container_insights);
        }
    }
}
