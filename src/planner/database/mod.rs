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
//! Where each part lives: `catalog` (what RDS for PostgreSQL offers, as data),
//! `validate` and `credentials` (input checks), `resolve` (effective settings and their
//! sources), `expand` (children and costs), `changes`, and `guards` (production safety and
//! the final snapshot's name); this file holds the input and plan types and [`plan`].
//! The expansion snapshots stay in `src/planner/snapshots/database_*.snap`.
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

use std::collections::BTreeMap;

use crate::value::path::AttributePath;

use super::changes::Changes;
use super::environment::EnvironmentContext;
use super::tier::Tier;
use super::{Child, Source, Violation, messages, naming};

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

mod catalog;
mod changes;
mod credentials;
mod expand;
#[cfg(test)]
mod fixtures;
mod guards;
mod resolve;
mod validate;

pub use catalog::{EngineVersion, parse_storage_gib};
pub use changes::changes;
pub use credentials::check_master_credentials;
pub use expand::{estimated_backup_gb, replica_key};
pub use guards::{final_snapshot_identifier, guard_destroy, guard_replacement};
pub use validate::validate;

// Shared between the parts of this module; the submodules reach them through `super::*`.
use catalog::{ExtensionRule, suggest_engine_version};
use expand::{
    cents, default_parameter_group, parameter_group, primary, replica, replica_identifier, yes_no,
};
use resolve::resolve;
use validate::extension_rule;

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
        children.push(replica(&identifier, env, region, &effective));
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

#[cfg(test)]
mod tests {
    use crate::planner::render::render;

    use super::fixtures::*;
    use super::*;

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

    #[test]
    fn plans_are_deterministic() {
        assert_eq!(plan(&valid()), plan(&valid()));
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
}
