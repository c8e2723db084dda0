//! The hand-written parts of the pages, and the tier-defaults tables generated from
//! [`crate::planner::tier`] so the docs cannot drift from the defaults the planner applies.

use super::{PageKind, Section};
use crate::planner::tier::{Tier, TierDefaults};
use std::fmt::Write as _;

/// The extra sections of one page, in page order; none for a type without any.
pub fn sections(kind: PageKind, type_name: &str) -> Vec<Section> {
    let (expansion, rows): (&str, &[TierRow]) = match (kind, type_name) {
        (PageKind::Resource, "platform_environment") => (ENVIRONMENT_EXPANSION, ENVIRONMENT_ROWS),
        (PageKind::Resource, "platform_api_service") => (API_SERVICE_EXPANSION, SERVICE_ROWS),
        (PageKind::Resource, "platform_database") => (DATABASE_EXPANSION, DATABASE_ROWS),
        _ => return Vec::new(),
    };
    vec![
        Section {
            title: "What it expands into".into(),
            markdown: expansion.into(),
        },
        Section {
            title: "Tier defaults".into(),
            markdown: format!("{TIER_INTRO}\n\n{}", tier_defaults_table(rows)),
        },
    ]
}

/// The provider page's extra sections.
pub fn provider_sections() -> Vec<Section> {
    vec![Section {
        title: "Authentication".into(),
        markdown: AUTHENTICATION.into(),
    }]
}

const AUTHENTICATION: &str = "\
`provider \"platform\" {}` works with no arguments: every credential comes from the standard sources, so none needs to be written in configuration.

- **AWS** (ECS, RDS, Application Auto Scaling, CloudWatch Logs): the AWS SDK's default credential chain — `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, `AWS_PROFILE` and the shared config files, web identity (e.g. CI OIDC), then ECS and EC2 instance roles. The region is the resource's `region` (or its environment's); `AWS_REGION` or the provider's `region` is used only where a resource names none, such as on import.
- **Fly.io**: `FLY_API_TOKEN`, or `fly { api_token }`. Needed only when a service is placed on Fly.io Machines.
- **Cloudflare**: `CLOUDFLARE_API_TOKEN` and `CLOUDFLARE_ACCOUNT_ID`, or `cloudflare { api_token, account_id }`. Needed only when a service is placed on Cloudflare Workers.

Tokens are sensitive: they are never shown in plan output or logs. Prefer the environment variables, so tokens stay out of configuration and state.";

const TIER_INTRO: &str = "The environment's `tier` picks these defaults. Every one can be overridden (in the environment's `policy` block or on the resource), and `expansion` shows for each effective setting whether it came from `config`, the `environment` or the `tier:<tier>` default.";

const ENVIRONMENT_EXPANSION: &str = "\
One ECS cluster, `<name>-cluster` (key `ecs_cluster`), with Container Insights on in staging and production and FARGATE_SPOT as the preferred capacity provider in development. The cluster itself has no charge.

The environment also exports `context`: its name, tier, region, cluster, network and effective policy (with the source of each value), known at plan time. `platform_api_service` and `platform_database` take it as `environment` and inherit the policy.";

const API_SERVICE_EXPANSION: &str = "\
The children depend on the host the service is placed on (`resolved_host`, with the reason in `placement_reason`):

- **`aws_fargate`**: a CloudWatch Logs group `/platform/<environment>/<name>` with the environment's log retention (`log_group`; logs are priced by use, so the plan shows no cost for it), an ECS task definition logging to it (`ecs_task_definition`), an ECS service in the environment's cluster (`ecs_service`), an Application Auto Scaling target between `scaling.min` and `scaling.max` (`autoscaling_target`) and a target-tracking policy on average CPU (`autoscaling_policy`).
- **`fly`**: a Fly.io app (`fly_app`) and one machine per region × `scaling.min` (`fly_machine_<region>_<n>`).
- **`cloudflare_workers`**: a Worker script (`worker_script`) and either a route `<environment>-<name>.<zone>/*` on the configured zone (`worker_route`) or the workers.dev subdomain (`workers_dev_subdomain`).

Cloud names are `<environment>-<name>`, so the whole expansion is known at plan time.";

const DATABASE_EXPANSION: &str = "\
- An RDS for PostgreSQL DB instance `<environment>-<name>` (key `rds_instance`): encrypted gp3 storage, the master password managed by RDS in Secrets Manager unless `master_password_wo` is set.
- A DB parameter group (`rds_parameter_group`), only when an extension must be preloaded through `shared_preload_libraries`; otherwise the instance uses the engine's default group.
- One read replica per `read_replicas` entry (`rds_replica_<region>`), in the primary's region or another.

In production, a change that would replace or delete the instance is refused at plan time unless `allow_replacement = true`, and destroy takes a final snapshot unless told otherwise.";

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

const MIN_MAX: TierRow = TierRow {
    setting: "service instances min / max",
    value: |d| format!("{} / {}", d.service_min_instances, d.service_max_instances),
};
const TARGET_CPU: TierRow = TierRow {
    setting: "autoscaling target CPU",
    value: |d| format!("{} %", d.autoscaling_target_cpu_percent),
};
const COOLDOWNS: TierRow = TierRow {
    setting: "scale-out / scale-in cooldown",
    value: |d| {
        format!(
            "{} s / {} s",
            d.scale_out_cooldown_seconds, d.scale_in_cooldown_seconds
        )
    },
};
const CAPACITY_PROVIDER: TierRow = TierRow {
    setting: "Fargate capacity provider",
    value: |d| d.default_capacity_provider.to_string(),
};
const CONTAINER_INSIGHTS: TierRow = TierRow {
    setting: "ECS Container Insights",
    value: |d| on_off(d.container_insights),
};
const LOG_RETENTION: TierRow = TierRow {
    setting: "log retention",
    value: |d| days(d.log_retention_days),
};
const DB_CLASS: TierRow = TierRow {
    setting: "DB instance class",
    value: |d| d.db_instance_class.to_string(),
};
const DB_STORAGE: TierRow = TierRow {
    setting: "DB storage",
    value: |d| format!("{} GB {}", d.db_storage_gb, d.db_storage_type),
};
const DB_MULTI_AZ: TierRow = TierRow {
    setting: "DB multi-AZ",
    value: |d| yes_no(d.db_multi_az),
};
const DB_BACKUPS: TierRow = TierRow {
    setting: "DB backup retention",
    value: |d| days(d.db_backup_retention_days),
};
const DB_DELETION_PROTECTION: TierRow = TierRow {
    setting: "DB deletion protection",
    value: |d| on_off(d.db_deletion_protection),
};
const DB_FINAL_SNAPSHOT: TierRow = TierRow {
    setting: "final snapshot on destroy",
    value: |d| yes_no(d.db_final_snapshot),
};
const DB_ENCRYPTION: TierRow = TierRow {
    setting: "storage encryption",
    value: |d| on_off(d.db_storage_encrypted),
};

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
];

/// What a service inherits.
pub const SERVICE_ROWS: &[TierRow] = &[
    MIN_MAX,
    TARGET_CPU,
    COOLDOWNS,
    CAPACITY_PROVIDER,
    LOG_RETENTION,
];

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

/// A markdown table of `rows`, one column per tier, values from each tier's defaults.
pub fn tier_defaults_table(rows: &[TierRow]) -> String {
    let mut out = String::from("| setting |");
    for tier in Tier::ALL {
        let _ = write!(out, " {tier} |");
    }
    out.push_str("\n| --- |");
    for _ in Tier::ALL {
        out.push_str(" --- |");
    }
    out.push('\n');
    for row in rows {
        let _ = write!(out, "| {} |", row.setting);
        for tier in Tier::ALL {
            let _ = write!(out, " {} |", (row.value)(tier.defaults()));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tier_table_is_built_from_the_tier_defaults() {
        let table = tier_defaults_table(&[MIN_MAX, DB_BACKUPS, DB_MULTI_AZ]);
        assert_eq!(
            table,
            "| setting | development | staging | production |\n\
             | --- | --- | --- | --- |\n\
             | service instances min / max | 1 / 2 | 1 / 4 | 2 / 10 |\n\
             | DB backup retention | 1 day | 7 days | 30 days |\n\
             | DB multi-AZ | no | no | yes |\n"
        );
    }

    #[test]
    fn each_composite_resource_gets_expansion_and_tier_sections() {
        for name in [
            "platform_environment",
            "platform_api_service",
            "platform_database",
        ] {
            let titles: Vec<String> = sections(PageKind::Resource, name)
                .into_iter()
                .map(|s| s.title)
                .collect();
            assert_eq!(titles, ["What it expands into", "Tier defaults"], "{name}");
        }
        assert!(sections(PageKind::DataSource, "platform_hosting_matrix").is_empty());
    }

    #[test]
    fn authentication_names_every_credential_source() {
        let text = &provider_sections()[0].markdown;
        for source in [
            "default credential chain",
            "FLY_API_TOKEN",
            "CLOUDFLARE_API_TOKEN",
            "CLOUDFLARE_ACCOUNT_ID",
        ] {
            assert!(text.contains(source), "{source}");
        }
    }
}
