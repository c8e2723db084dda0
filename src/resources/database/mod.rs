//! `platform_database`: PostgreSQL on RDS — the instance, a parameter group where one is
//! needed, and one read replica per entry — with production safety: replacement and
//! deletion are plan-time errors unless `allow_replacement = true`, destroy takes a final
//! snapshot, and passwords never reach state, plan or logs. Order: schema, validate, plan,
//! apply, read, import.

use super::attrs::{self, get};
use super::environment_context::context_type;
use super::framework::{Composite, Diff, Kept};
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Violation;
use crate::planner::database::{self as db_planner, DatabaseInput, DatabasePlan};
use crate::schema::{Attribute, Block, Mode, Schema};
use crate::value::{Type, Value};
/// Tag on the primary recording the inputs set in configuration, so import can rebuild them.
const TAG_SPEC: &str = "platform:spec";
/// Master user name when none is given.
const DEFAULT_MASTER_USERNAME: &str = "postgres";

/// The `platform_database` resource.
pub struct DatabaseResource {
    schema: Schema,
}

impl DatabaseResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for DatabaseResource {
    fn default() -> Self {
        Self::new()
    }
}

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "A managed PostgreSQL database on Amazon RDS, with the backups, encryption, Multi-AZ, replicas and deletion safety of its environment's tier. Every setting is overridable and shown with its source in `expansion`.".into(),
            blocks: vec![],
            attributes: vec![
                Attribute::new("environment", context_type(), Mode::Required, "The environment's `context`: `platform_environment.<name>.context`."),
                Attribute::new("name", Type::String, Mode::Required, "Database name within the environment; the RDS identifier is `<environment>-<name>`. Changing it replaces the database."),
                opt("engine_version", Type::String, "PostgreSQL version: a major (`16`, RDS picks the current minor) or `major.minor` (`16.4`). Default `16`. Downgrades replace the database."),
                opt("extensions", Type::list(Type::String), "Extensions the database needs, e.g. `[\"vector\"]` (pgvector needs PostgreSQL ≥ 15.2 on the 15 line). Extensions that must be preloaded get a parameter group."),
                opt("size", Type::String, "`small` (db.t3.micro), `medium` (db.t3.medium) or `large` (db.m6g.large). Default: the tier's class."),
                opt("instance_class", Type::String, "An exact RDS class, e.g. `db.r6g.large`, instead of `size`."),
                opt("storage_gb", Type::String, "gp3 storage: 20–65,536 GiB; `100`, `100GB`, `1TB` are accepted. Increases must be at least 10 %; storage never shrinks."),
                opt("multi_az", Type::Bool, "Standby in a second availability zone. Default: the environment's policy (on in production)."),
                opt("backup_retention_days", Type::Number, "Automated backup retention, 0–35 days (not 0 while replicas exist). Default: the environment's policy."),
                opt("deletion_protection", Type::Bool, "RDS deletion protection. Default: the environment's policy (on in production)."),
                opt("final_snapshot", Type::Bool, "Take a final snapshot on destroy. Default: the environment's policy (off in development)."),
                opt("allow_replacement", Type::Bool, "In production, a change that replaces or deletes the instance is refused at plan time unless this is `true`."),
                // A plain list of objects, not nested attributes: Terraform 1.0 crashes on a
                // null list-nested attribute.
                opt("read_replicas", Type::list(Type::object([("region", Type::String)])), "Read replicas, one per entry: `[{ region = \"us-east-1\" }]`, the primary's region or another (cross-region). Replicas are deleted before the primary and without snapshots."),
                opt("manage_master_password", Type::Bool, "Let RDS generate and rotate the master password in Secrets Manager (default, unless `master_password_wo` is set)."),
                opt("master_username", Type::String, "Master user name. Default `postgres`."),
                opt("master_password_wo", Type::String, "Master password as a write-only value: sent to RDS, never stored in plan or state (Terraform ≥ 1.11). Change `master_password_wo_version` to rotate it.").sensitive().write_only(),
                opt("master_password_wo_version", Type::Number, "Version of `master_password_wo`; changing it sends the new password."),
                opt("tags", Type::map(Type::String), "Tags for the instance, its parameter group and its read replicas. Precedence, lowest first: the provider's `default_tags`, the environment's tags, these, then the reserved `platform:*` and `managed-by` tags."),
                computed("id", Type::String, "The RDS identifier."),
                computed("identifier", Type::String, "The RDS identifier: `<environment>-<name>`."),
                computed("endpoint", Type::String, "The primary's endpoint address (known after apply)."),
                computed("port", Type::Number, "The primary's port (known after apply)."),
                computed("master_user_secret_arn", Type::String, "Secrets Manager ARN of the managed master password (when RDS manages it)."),
                computed("replica_endpoints", Type::map(Type::String), "Endpoint address of each read replica, by region."),
                computed("final_snapshot_identifier", Type::String, "Name of the snapshot destroy will take: `<identifier>-final-<creation time>`, unique per instance."),
                attrs::tags_all_attribute(),
                computed("expansion", Type::list(attrs::child_type()), "The cloud resources this database expands into, with their effective settings, `sources` (each source and the settings it decided) and monthly cost. Their tags are `tags_all`."),
                computed("estimated_monthly_cost_usd", Type::Number, "Sum of the children's monthly cost from the dated price table: instance-hours, Multi-AZ, gp3 storage, backup storage beyond the free allowance, replicas."),
                computed("estimated_monthly_cost_cents", Type::Number, "The same estimate in whole cents. Sum these to total a stack exactly: `sum([a.estimated_monthly_cost_cents, b.estimated_monthly_cost_cents]) / 100` prints exact cents, where adding dollar amounts in Terraform shows binary rounding noise."),
            ],
        },
    }
}

mod convert;
mod import;
mod reconcile;

// Shared between the parts of this module; the submodules reach them through `super::*`.
use convert::{
    Observed, desired, desired_replica, input, replica_identifier, state_value, violations,
    write_only_check,
};
use reconcile::{observe, read_all};

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

#[async_trait::async_trait]
impl Composite for DatabaseResource {
    type Input = DatabaseInput;
    type Plan = DatabasePlan;
    const TYPE_NAME: &'static str = "platform_database";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn upgrade(
        &self,
        from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        crate::resources::upgrade::upgrade(Self::TYPE_NAME, from_version, state, "environment")
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::DATABASE_ROWS,
        }
    }

    /// The only check that sees `master_password_wo`: plan and state hold it as null.
    fn check_config(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        let mut diags: Diagnostics = write_only_check(config, ctx).into_iter().collect();
        diags.extend(violations(db_planner::check_master_credentials(
            get(config, "master_username").as_str(),
            get(config, "master_password_wo").as_str(),
        )));
        diags
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<DatabaseInput, Diagnostics> {
        input(config, &ctx.config.default_tags)
    }

    fn validate(&self, input: &DatabaseInput) -> Vec<Violation> {
        db_planner::validate(input)
    }

    fn plan(&self, input: &DatabaseInput) -> Result<DatabasePlan, Vec<Violation>> {
        db_planner::plan(input)
    }

    fn notes(&self, _config: &Value, plan: &DatabasePlan) -> Diagnostics {
        plan.children
            .iter()
            .filter(|c| c.settings.contains_key("price_note"))
            .map(|c| {
                Diagnostic::warning(
                    "No Price Estimate",
                    format!(
                        "`{}`: {}. The plan is otherwise unaffected.",
                        c.name, c.settings["price_note"]
                    ),
                )
            })
            .collect()
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &DatabasePlan,
        input: &DatabaseInput,
        plan: &DatabasePlan,
    ) -> Diff {
        let changes = db_planner::changes(prior_plan, plan);
        let mut diagnostics = violations(changes.errors.clone());
        diagnostics.extend(violations(db_planner::guard_replacement(input, &changes)));
        Diff {
            replace: changes.replace.iter().map(|(p, _)| p.clone()).collect(),
            diagnostics,
        }
    }

    /// Destroy is refused in production unless the prior state allowed replacement.
    fn guard_destroy(&self, prior: &Value, prior_plan: &DatabasePlan) -> Diagnostics {
        let allow = get(prior, "allow_replacement").as_bool().unwrap_or(false);
        db_planner::guard_destroy(prior_plan, allow)
            .map(Into::into)
            .into_iter()
            .collect()
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &DatabaseInput,
        plan: &DatabasePlan,
        kept: Option<Kept<'_, DatabasePlan>>,
    ) -> Value {
        let mut observed = Observed::unknown();
        if let Some(Kept {
            state: prior,
            plan: Some(prior_plan),
        }) = kept
        {
            observed.endpoint = get(prior, "endpoint").clone();
            observed.port = get(prior, "port").clone();
            observed.final_snapshot_identifier = get(prior, "final_snapshot_identifier").clone();
            if prior_plan.effective.manage_master_password == plan.effective.manage_master_password
            {
                observed.secret_arn = get(prior, "master_user_secret_arn").clone();
            }
            // Known only when every wanted replica already has an endpoint.
            let prior_endpoints = attrs::string_map(get(prior, "replica_endpoints"));
            if prior_plan.effective.read_replica_regions == plan.effective.read_replica_regions
                && plan
                    .effective
                    .read_replica_regions
                    .iter()
                    .all(|r| prior_endpoints.contains_key(r))
            {
                observed.replica_endpoints = get(prior, "replica_endpoints").clone();
            }
        }
        state_value(config, plan, observed)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &DatabaseInput,
        plan: &DatabasePlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        reconcile::reconcile(prior, config, plan, ctx).await
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        match reconcile::delete(&prior, ctx).await {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(d) => (prior, Diagnostics::from_error(d)),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            // A state this version cannot plan is kept as is rather than dropped.
            return (state, Diagnostics::new());
        };
        match read_all(ctx, &plan).await {
            Ok((None, _)) => {
                tracing::info!(identifier = %plan.identifier, "database is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok((Some(primary), replicas)) => {
                (observe(state, &primary, &replicas), Diagnostics::new())
            }
            Err(e) => (
                state,
                Diagnostics::from_error(super::backend_diagnostic(
                    "Database Name Already Taken",
                    "Read The Database",
                    e,
                )),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        import::import(id, ctx).await
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- An RDS for PostgreSQL DB instance `<environment>-<name>` (key `rds_instance`): encrypted gp3 storage, the master password managed by RDS in Secrets Manager unless `master_password_wo` is set.
- A DB parameter group (`rds_parameter_group`), only when an extension must be preloaded through `shared_preload_libraries`; otherwise the instance uses the engine's default group.
- One read replica per `read_replicas` entry (`rds_replica_<region>`), in the primary's region or another.

In production, a change that would replace or delete the instance is refused at plan time unless `allow_replacement = true`, and destroy takes a final snapshot unless told otherwise.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Resource;
    use crate::resources::attrs::s;

    #[test]
    fn validation_checks_master_credentials_without_echoing_the_password() {
        let config = Value::object([
            ("master_username", s("rdsadmin")),
            ("master_password_wo", s("a@b")),
            ("name", Value::Unknown),
        ]);
        let ctx = CallContext {
            write_only_allowed: true,
            ..Default::default()
        };
        let diags = Resource::validate(&DatabaseResource::new(), &config, &ctx);
        let paths: Vec<String> = diags
            .0
            .iter()
            .filter_map(|d| d.path.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(
            paths,
            [
                "master_username",
                "master_password_wo",
                "master_password_wo"
            ],
            "{diags:#?}"
        );
        for d in &diags.0 {
            assert!(!d.detail.contains("a@b"), "{}", d.detail);
        }
    }

    #[test]
    fn write_only_password_needs_the_client_capability() {
        let config = Value::object([("master_password_wo", s("hunter2-secret"))]);
        let ctx = |allowed| CallContext {
            write_only_allowed: allowed,
            ..Default::default()
        };
        let d = write_only_check(&config, &ctx(false)).expect("refused on old clients");
        assert!(d.detail.contains("1.11"));
        assert!(!d.detail.contains("hunter2"));
        assert!(write_only_check(&config, &ctx(true)).is_none());
    }

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
        let pw = schema()
            .block
            .attributes
            .into_iter()
            .find(|a| a.name == "master_password_wo")
            .unwrap();
        assert!(pw.sensitive && pw.write_only);
    }
}
