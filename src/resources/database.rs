//! `platform_database`: PostgreSQL on RDS — the instance, a parameter group where one is
//! needed, and one read replica per entry — with production safety: replacement and
//! deletion are plan-time errors unless `allow_replacement = true`, destroy takes a final
//! snapshot, and passwords never reach state, plan or logs. Order: schema, validate, plan,
//! apply, read, import.

use super::attrs::{self, get, int, map_of, s, with};
use super::environment_context::{context_from_value, context_type, import_context};
use super::{ApplyOutcome, ApplyRequest, PlanOutcome, PlanRequest, ReadOutcome, Resource};
use crate::backends::aws::rds::{self, DesiredInstance, ObservedInstance, Password};
use crate::backends::ownership::{self, Owner};
use crate::backends::wait::WaitPolicy;
use crate::backends::{BackendError, cancellable};
use crate::config::Secret;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::database::{self as db_planner, DatabaseInput, DatabasePlan, ReplicaInput};
use crate::planner::naming;
use crate::schema::{Attribute, Block, Mode, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

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
        version: 0,
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
                computed("expansion", Type::list(attrs::child_type()), "The cloud resources this database expands into, with their effective settings, where each setting came from, tags and monthly cost."),
                computed("estimated_monthly_cost_usd", Type::Number, "Sum of the children's monthly cost from the dated price table: instance-hours, Multi-AZ, gp3 storage, backup storage beyond the free allowance, replicas."),
            ],
        },
    }
}

// ---------------------------------------------------------------------------------------
// Config → planner input
// ---------------------------------------------------------------------------------------

/// Reads the planner input from a configuration (or a state, which holds the same inputs).
fn input(v: &Value, default_tags: &BTreeMap<String, String>) -> Result<DatabaseInput, Diagnostics> {
    use crate::planner::limits::{self, IntRange};
    let Some(environment) = context_from_value(get(v, "environment")) else {
        return Err(Diagnostics::from_error(
            Diagnostic::error(
                "Invalid Environment",
                "`environment` must be an environment's context: write `environment = platform_environment.<name>.context`.",
            )
            .at(AttributePath::attr("environment")),
        ));
    };
    let text = |k: &str| attrs::opt_string(get(v, k));
    let mut diags = Diagnostics::new();
    let mut whole = |k: &str, range: IntRange| {
        attrs::opt_int(get(v, k), AttributePath::attr(k), range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let backup_retention_days = whole("backup_retention_days", limits::BACKUP_RETENTION_DAYS);
    // Any whole number: only a change of it matters.
    let any = IntRange {
        min: i64::MIN,
        max: i64::MAX,
    };
    let master_password_wo_version = whole("master_password_wo_version", any);
    let input = DatabaseInput {
        environment,
        name: text("name").unwrap_or_default(),
        engine_version: text("engine_version"),
        extensions: attrs::strings(get(v, "extensions")),
        size: text("size"),
        instance_class: text("instance_class"),
        storage_gb: text("storage_gb"),
        multi_az: get(v, "multi_az").as_bool(),
        backup_retention_days,
        deletion_protection: get(v, "deletion_protection").as_bool(),
        read_replicas: get(v, "read_replicas")
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|r| ReplicaInput {
                region: attrs::opt_string(get(r, "region")).unwrap_or_default(),
            })
            .collect(),
        final_snapshot: get(v, "final_snapshot").as_bool(),
        allow_replacement: get(v, "allow_replacement").as_bool().unwrap_or(false),
        manage_master_password: get(v, "manage_master_password").as_bool(),
        // State never holds the write-only value, so its version stands for it there.
        master_password_wo_set: !get(v, "master_password_wo").is_null()
            || master_password_wo_version.is_some(),
        master_password_wo_version,
        tags: attrs::string_map(get(v, "tags")),
        default_tags: default_tags.clone(),
    };
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(input)
    }
}

fn violations(v: Vec<crate::planner::Violation>) -> Diagnostics {
    v.into_iter().map(Diagnostic::from).collect()
}

/// Write-only attributes need a client that keeps them out of state (Terraform ≥ 1.11).
fn write_only_check(config: &Value, ctx: &CallContext) -> Option<Diagnostic> {
    (!get(config, "master_password_wo").is_null() && !ctx.write_only_allowed).then(|| {
        Diagnostic::error(
            "Write-Only Attributes Need Terraform 1.11 Or Newer",
            "This Terraform does not support write-only attributes, so `master_password_wo` would be stored in state. Upgrade to Terraform ≥ 1.11 (or OpenTofu ≥ 1.11), or remove `master_password_wo` and let RDS manage the password (`manage_master_password = true`, the default).",
        )
        .at(AttributePath::attr("master_password_wo"))
    })
}

// ---------------------------------------------------------------------------------------
// Planner output → state
// ---------------------------------------------------------------------------------------

/// Known-after-apply values carried from the prior state when nothing replaces them.
struct Observed {
    endpoint: Value,
    port: Value,
    secret_arn: Value,
    replica_endpoints: Value,
    final_snapshot_identifier: Value,
}

impl Observed {
    fn unknown() -> Self {
        Self {
            endpoint: Value::Unknown,
            port: Value::Unknown,
            secret_arn: Value::Unknown,
            replica_endpoints: Value::Unknown,
            final_snapshot_identifier: Value::Unknown,
        }
    }
}

fn state_value(config: &Value, plan: &DatabasePlan, observed: Observed) -> Value {
    let tags = &plan.effective.tags;
    with(
        config.clone(),
        [
            // Never stored: the value exists only in the configuration.
            ("master_password_wo", Value::Null),
            ("id", s(plan.identifier.clone())),
            ("identifier", s(plan.identifier.clone())),
            ("endpoint", observed.endpoint),
            ("port", observed.port),
            ("master_user_secret_arn", observed.secret_arn),
            ("replica_endpoints", observed.replica_endpoints),
            (
                "final_snapshot_identifier",
                observed.final_snapshot_identifier,
            ),
            (
                "expansion",
                Value::list(plan.children.iter().map(|c| attrs::child_value(c, tags))),
            ),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
        ],
    )
}

fn replica_identifier(plan: &DatabasePlan, region: &str) -> String {
    plan.children
        .iter()
        .find(|c| c.key == db_planner::replica_key(region))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| format!("{}-{region}", plan.identifier))
}

/// The inputs set in configuration, as `k=v` pairs in one tag (spaces as `+`).
fn spec_tag(config: &Value) -> String {
    let mut parts = Vec::new();
    for k in [
        "engine_version",
        "size",
        "instance_class",
        "storage_gb",
        "master_username",
    ] {
        if let Some(v) = get(config, k).as_str() {
            parts.push(format!("{k}={}", v.replace(' ', "+")));
        }
    }
    for k in [
        "multi_az",
        "deletion_protection",
        "final_snapshot",
        "allow_replacement",
        "manage_master_password",
    ] {
        if let Some(v) = get(config, k).as_bool() {
            parts.push(format!("{k}={v}"));
        }
    }
    for k in ["backup_retention_days", "master_password_wo_version"] {
        if let Some(n) = get(config, k).as_number() {
            parts.push(format!("{k}={n}"));
        }
    }
    if !get(config, "extensions").is_null() {
        parts.push(format!(
            "extensions={}",
            attrs::strings(get(config, "extensions")).join("/")
        ));
    }
    let replicas = get(config, "read_replicas");
    if !replicas.is_null() {
        let regions: Vec<String> = replicas
            .as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(|r| get(r, "region").as_str().map(str::to_string))
            .collect();
        parts.push(format!("read_replicas={}", regions.join("/")));
    }
    parts.join(" ")
}

/// The configuration values recorded by [`spec_tag`].
fn config_from_spec(spec: &str) -> Vec<(&'static str, Value)> {
    let found: BTreeMap<&str, &str> = spec
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let mut out = Vec::new();
    let list = |v: &str| {
        v.split('/')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for k in [
        "engine_version",
        "size",
        "instance_class",
        "storage_gb",
        "master_username",
    ] {
        out.push((
            k,
            found
                .get(k)
                .map(|v| s(v.replace('+', " ")))
                .unwrap_or(Value::Null),
        ));
    }
    for k in [
        "multi_az",
        "deletion_protection",
        "final_snapshot",
        "allow_replacement",
        "manage_master_password",
    ] {
        out.push((
            k,
            found
                .get(k)
                .and_then(|v| v.parse().ok())
                .map(Value::Bool)
                .unwrap_or(Value::Null),
        ));
    }
    for k in ["backup_retention_days", "master_password_wo_version"] {
        out.push((
            k,
            found
                .get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .map(int)
                .unwrap_or(Value::Null),
        ));
    }
    out.push((
        "extensions",
        found
            .get("extensions")
            .map(|v| attrs::string_list(&list(v)))
            .unwrap_or(Value::Null),
    ));
    out.push((
        "read_replicas",
        found
            .get("read_replicas")
            .map(|v| {
                Value::list(
                    list(v)
                        .into_iter()
                        .map(|r| Value::object([("region", s(r))])),
                )
            })
            .unwrap_or(Value::Null),
    ));
    out
}

fn desired(plan: &DatabasePlan, config: &Value, password: Password) -> DesiredInstance {
    let e = &plan.effective;
    let mut tags = e.tags.clone();
    tags.insert(TAG_SPEC.into(), spec_tag(config));
    DesiredInstance {
        identifier: plan.identifier.clone(),
        instance_class: e.instance_class.clone(),
        engine_version: e.engine_version.clone(),
        allocated_storage: e.storage_gb as i32,
        storage_type: e.storage_type.clone(),
        storage_encrypted: e.storage_encrypted,
        multi_az: e.multi_az,
        backup_retention: e.backup_retention_days as i32,
        deletion_protection: e.deletion_protection,
        parameter_group: e
            .parameter_group
            .clone()
            .filter(|g| !g.starts_with("default.")),
        master_username: attrs::opt_string(get(config, "master_username"))
            .unwrap_or_else(|| DEFAULT_MASTER_USERNAME.into()),
        password,
        tags,
    }
}

fn desired_replica(plan: &DatabasePlan, config: &Value, region: &str) -> DesiredInstance {
    let mut d = desired(plan, config, Password::Inherited);
    d.identifier = replica_identifier(plan, region);
    d.multi_az = false;
    d.backup_retention = 0;
    d.deletion_protection = false;
    d.tags.remove(TAG_SPEC);
    if region != plan.region {
        // A custom group lives in the primary's region only.
        d.parameter_group = None;
    }
    d
}

/// Writes what RDS reports into the state: endpoints, and the observed settings of each
/// child in `expansion`, so out-of-band changes show in the next plan as that child's change.
fn observe(
    state: Value,
    primary: &ObservedInstance,
    replicas: &BTreeMap<String, Option<ObservedInstance>>,
) -> Value {
    let mut endpoints = BTreeMap::new();
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    let seen = if key == db_planner::RDS_INSTANCE_KEY {
                        Some(primary)
                    } else if let Some(region) = key.strip_prefix("rds_replica_") {
                        match replicas.get(region) {
                            // A replica gone out of band disappears from the expansion, so
                            // the next plan shows it being added back.
                            Some(None) => return None,
                            Some(Some(r)) => {
                                if let Some(e) = &r.endpoint {
                                    endpoints.insert(region.to_string(), e.clone());
                                }
                                Some(r)
                            }
                            None => None,
                        }
                    } else {
                        None
                    };
                    Some(match seen {
                        Some(o) => observe_child(child, o, key != db_planner::RDS_INSTANCE_KEY),
                        None => child.clone(),
                    })
                })
                .collect(),
        ),
        other => other.clone(),
    };
    with(
        state,
        [
            (
                "endpoint",
                primary.endpoint.clone().map(s).unwrap_or(Value::Null),
            ),
            (
                "port",
                primary.port.map(|p| int(p.into())).unwrap_or(Value::Null),
            ),
            (
                "master_user_secret_arn",
                primary
                    .master_user_secret_arn
                    .clone()
                    .map(s)
                    .unwrap_or(Value::Null),
            ),
            ("replica_endpoints", map_of(&endpoints)),
            ("expansion", expansion),
        ],
    )
}

/// Overwrites a child's settings with what RDS reports. A replica's Multi-AZ and backup
/// retention are not managed here (a replica is created single-AZ without automated
/// backups), so they are not read back for replicas.
fn observe_child(child: &Value, o: &ObservedInstance, replica: bool) -> Value {
    let mut settings = attrs::string_map(get(child, "settings"));
    let planned_version = settings.get("engine_version").cloned().unwrap_or_default();
    let mut set = |k: &str, v: String| {
        if settings.contains_key(k) {
            settings.insert(k.to_string(), v);
        }
    };
    set("instance_class", o.instance_class.clone());
    set("storage_gb", o.allocated_storage.to_string());
    set("storage_type", o.storage_type.clone());
    set("storage_encrypted", o.storage_encrypted.to_string());
    if !replica {
        set("multi_az", o.multi_az.to_string());
        set("backup_retention_days", o.backup_retention.to_string());
    }
    set("deletion_protection", o.deletion_protection.to_string());
    // `16` asks for the current 16.x: RDS's minor upgrades are not drift.
    if !(o.engine_version == planned_version
        || o.engine_version.starts_with(&format!("{planned_version}.")))
    {
        set("engine_version", o.engine_version.clone());
    }
    let tags: BTreeMap<String, String> = o
        .tags
        .iter()
        .filter(|(k, _)| *k != TAG_SPEC && *k != ownership::TAG_LIFECYCLE)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    with(
        child.clone(),
        [("settings", map_of(&settings)), ("tags", map_of(&tags))],
    )
}

/// Reads the primary and every replica of a state.
async fn read_all(
    ctx: &CallContext,
    plan: &DatabasePlan,
) -> Result<
    (
        Option<ObservedInstance>,
        BTreeMap<String, Option<ObservedInstance>>,
    ),
    BackendError,
> {
    let client = ctx.aws.rds(&plan.region).await;
    let primary = cancellable(&ctx.cancel, rds::find(&client, &plan.identifier)).await?;
    let mut replicas = BTreeMap::new();
    for region in &plan.effective.read_replica_regions {
        let client = ctx.aws.rds(region).await;
        let found = cancellable(
            &ctx.cancel,
            rds::find(&client, &replica_identifier(plan, region)),
        )
        .await?;
        // An instance under the replica's name that is not ours is not our replica.
        let ours = found.filter(|r| {
            r.tags.get(naming::TAG_ENVIRONMENT).map(String::as_str)
                == Some(plan.environment.as_str())
        });
        replicas.insert(region.clone(), ours);
    }
    Ok((primary, replicas))
}

// ---------------------------------------------------------------------------------------
// The resource
// ---------------------------------------------------------------------------------------

#[async_trait::async_trait]
impl Resource for DatabaseResource {
    fn type_name(&self) -> &'static str {
        "platform_database"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::DATABASE_ROWS,
        }
    }

    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(d) = write_only_check(config, ctx) {
            diags.push(d);
        }
        // The only call that sees `master_password_wo`: plan and state hold it as null.
        diags.extend(violations(db_planner::check_master_credentials(
            get(config, "master_username").as_str(),
            get(config, "master_password_wo").as_str(),
        )));
        if !config.is_wholly_known() {
            return diags; // checked again at plan time, once every input is known
        }
        match input(config, &ctx.config.default_tags) {
            Err(d) => diags.extend(d),
            Ok(i) => diags.extend(violations(db_planner::validate(&i))),
        }
        diags
    }

    fn plan(&self, req: PlanRequest, ctx: &CallContext) -> PlanOutcome {
        let mut out = PlanOutcome {
            planned_state: req.proposed_new_state.clone(),
            requires_replace: vec![],
            planned_private: req.prior_private.clone(),
            diagnostics: Diagnostics::new(),
        };
        let prior = &req.prior_state;
        let prior_plan = (!prior.is_null())
            .then(|| input(prior, &ctx.config.default_tags).ok())
            .flatten()
            .and_then(|i| db_planner::plan(&i).ok());
        if req.proposed_new_state.is_null() {
            // Destroy: refused in production unless the prior state allowed replacement.
            if let Some(p) = &prior_plan {
                let allow = get(prior, "allow_replacement").as_bool().unwrap_or(false);
                if let Some(v) = db_planner::guard_destroy(p, allow) {
                    out.diagnostics.push(v.into());
                }
            }
            return out;
        }
        let config = &req.config;
        if let Some(d) = write_only_check(config, ctx) {
            out.diagnostics.push(d);
            return out;
        }
        // Validation saw variables as unknown; the configuration here holds their values
        // (write-only ones included, though they never reach the planned state).
        let credentials = violations(db_planner::check_master_credentials(
            get(config, "master_username").as_str(),
            get(config, "master_password_wo").as_str(),
        ));
        if credentials.has_errors() {
            out.diagnostics.extend(credentials);
            return out;
        }
        if !config.is_wholly_known() {
            out.planned_state = with(
                req.proposed_new_state,
                [
                    ("master_password_wo", Value::Null),
                    ("id", Value::Unknown),
                    ("identifier", Value::Unknown),
                    ("endpoint", Value::Unknown),
                    ("port", Value::Unknown),
                    ("master_user_secret_arn", Value::Unknown),
                    ("replica_endpoints", Value::Unknown),
                    ("final_snapshot_identifier", Value::Unknown),
                    ("expansion", Value::Unknown),
                    ("estimated_monthly_cost_usd", Value::Unknown),
                ],
            );
            return out;
        }
        let next_input = match input(config, &ctx.config.default_tags) {
            Ok(i) => i,
            Err(d) => {
                out.diagnostics = d;
                return out;
            }
        };
        let next = match db_planner::plan(&next_input) {
            Ok(p) => p,
            Err(v) => {
                out.diagnostics = violations(v);
                return out;
            }
        };
        for c in next
            .children
            .iter()
            .filter(|c| c.settings.contains_key("price_note"))
        {
            out.diagnostics.push(Diagnostic::warning(
                "No Price Estimate",
                format!(
                    "`{}`: {}. The plan is otherwise unaffected.",
                    c.name, c.settings["price_note"]
                ),
            ));
        }
        let mut observed = Observed::unknown();
        if let Some(prior_plan) = &prior_plan {
            let changes = db_planner::changes(prior_plan, &next);
            out.diagnostics.extend(violations(changes.errors.clone()));
            out.diagnostics
                .extend(violations(db_planner::guard_replacement(
                    &next_input,
                    &changes,
                )));
            out.requires_replace = changes.replace.iter().map(|(p, _)| p.clone()).collect();
            if out.requires_replace.is_empty() {
                observed.endpoint = get(prior, "endpoint").clone();
                observed.port = get(prior, "port").clone();
                observed.final_snapshot_identifier =
                    get(prior, "final_snapshot_identifier").clone();
                if prior_plan.effective.manage_master_password
                    == next.effective.manage_master_password
                {
                    observed.secret_arn = get(prior, "master_user_secret_arn").clone();
                }
                // Known only when every wanted replica already has an endpoint.
                let prior_endpoints = attrs::string_map(get(prior, "replica_endpoints"));
                if prior_plan.effective.read_replica_regions == next.effective.read_replica_regions
                    && next
                        .effective
                        .read_replica_regions
                        .iter()
                        .all(|r| prior_endpoints.contains_key(r))
                {
                    observed.replica_endpoints = get(prior, "replica_endpoints").clone();
                }
            }
        }
        out.planned_state = state_value(config, &next, observed);
        out
    }

    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome {
        let prior = req.prior_state;
        let done = |new_state: Value, diagnostics: Diagnostics| ApplyOutcome {
            new_state,
            private: req.planned_private.clone(),
            diagnostics,
        };
        if req.planned_state.is_null() {
            return match delete(&prior, ctx).await {
                Ok(()) => done(Value::Null, Diagnostics::new()),
                Err(d) => done(prior, Diagnostics::from_error(d)),
            };
        }
        let config = &req.config;
        let plan = match input(config, &ctx.config.default_tags).map(|i| (db_planner::plan(&i), i))
        {
            Ok((Ok(p), _)) => p,
            Ok((Err(v), _)) => return done(prior, violations(v)),
            Err(d) => return done(prior, d),
        };
        let planned = state_value(config, &plan, Observed::unknown());
        let password = match get(config, "master_password_wo").as_str() {
            Some(p) => Password::WriteOnly(Secret::new(p)),
            None if plan.effective.manage_master_password => Password::Managed,
            None => Password::Inherited,
        };
        let rotate = match (&password, prior.is_null()) {
            (Password::WriteOnly(p), false)
                if get(&prior, "master_password_wo_version")
                    != get(config, "master_password_wo_version") =>
            {
                Some(p.clone())
            }
            _ => None,
        };
        let creating = prior.is_null();
        // Not in state: only children an unfinished create of this database left may be
        // adopted, and new ones carry the creating marker (see `backends::ownership`).
        let owner = Owner {
            tag: (naming::TAG_ENVIRONMENT, plan.environment.as_str()),
            creating,
        };
        let mut primary = desired(&plan, config, password);
        primary.tags = owner.tags(&primary.tags);
        let client = ctx.aws.rds(&plan.region).await;
        let mut diags = Diagnostics::new();
        let import_id = format!(
            "{}/{}",
            plan.environment,
            get(config, "name").as_str().unwrap_or_default()
        );
        let taken = |e: BackendError| ownership::with_import(e, "platform_database", &import_id);

        // 1. Parameter group and primary. Nothing is recorded until the primary exists.
        let mut group_seen = None;
        let primary_result = cancellable(&ctx.cancel, async {
            if creating {
                // Everything under our names is checked before anything is made or
                // changed, so a refusal leaves the cloud exactly as it was.
                if let Some(current) = rds::find(&client, &primary.identifier).await? {
                    rds::adopt_check(&current, owner)?;
                }
                for region in &plan.effective.read_replica_regions {
                    let rclient = ctx.aws.rds(region).await;
                    if let Some(current) =
                        rds::find(&rclient, &replica_identifier(&plan, region)).await?
                    {
                        rds::adopt_check(&current, owner)?;
                    }
                }
            }
            if let Some(group) = &primary.parameter_group {
                let params: BTreeMap<String, String> =
                    (!plan.effective.shared_preload_libraries.is_empty())
                        .then(|| {
                            (
                                "shared_preload_libraries".to_string(),
                                plan.effective.shared_preload_libraries.join(","),
                            )
                        })
                        .into_iter()
                        .collect();
                group_seen = Some(
                    rds::ensure_parameter_group(
                        &client,
                        group,
                        &plan.effective.parameter_group_family,
                        &params,
                        &plan.effective.tags,
                        owner,
                    )
                    .await?,
                );
            }
            match rds::find(&client, &primary.identifier).await? {
                // Not in state but in the cloud: what an unfinished create of ours made is
                // adopted and brought to the configuration; anything else is refused.
                Some(current) => {
                    if creating {
                        rds::adopt_check(&current, owner)?;
                    }
                    rds::modify(&client, &current, &primary, rotate.as_ref()).await?
                }
                None => {
                    rds::create(&client, &primary, owner).await?;
                }
            }
            rds::wait_available(&client, &primary.identifier, &ctx.cancel, WaitPolicy::RDS).await
        })
        .await
        .map_err(taken);
        let primary_seen = match primary_result {
            Ok(p) => p,
            Err(e @ BackendError::Taken(_)) => {
                // Someone else's: nothing of it enters the state.
                return done(
                    prior,
                    Diagnostics::from_error(super::backend_diagnostic(
                        "Database Name Already Taken",
                        "Apply The Database",
                        e,
                    )),
                );
            }
            Err(e) => {
                let mut d = super::backend_diagnostic(
                    "Database Name Already Taken",
                    "Apply The Database",
                    e,
                );
                if !creating {
                    return done(prior, Diagnostics::from_error(d));
                }
                // A create that stopped (cancelled, or failed after CreateDBInstance): the
                // state records the instance if it exists, so nothing made is lost.
                let found = super::read_back(ctx, |_| async {
                    match rds::find(&client, &primary.identifier).await? {
                        Some(p) if ownership::is_creating(&p.tags) => {
                            rds::finish(&client, &p.arn, &p.tags).await?;
                            Ok(Some(p))
                        }
                        _ => Ok(None),
                    }
                })
                .await;
                return match found {
                    Ok(Some(p)) => {
                        d.detail.push_str(" The instance exists and is recorded in state. Terraform marks a resource whose create failed as tainted: run `terraform untaint <address>` and apply again to finish creating it without replacing it.");
                        done(
                            observe(planned, &p, &BTreeMap::new()),
                            Diagnostics::from_error(d),
                        )
                    }
                    _ => done(prior, Diagnostics::from_error(d)),
                };
            }
        };

        // 2. Replicas: each failure is reported, and the state still records what exists.
        let source_arn = primary_seen.arn.clone();
        for region in &plan.effective.read_replica_regions {
            let mut want = desired_replica(&plan, config, region);
            want.tags = owner.tags(&want.tags);
            let rclient = ctx.aws.rds(region).await;
            let source = if *region == plan.region {
                primary.identifier.clone()
            } else {
                source_arn.clone()
            };
            let r = cancellable(&ctx.cancel, async {
                match rds::find(&rclient, &want.identifier).await? {
                    Some(current) => {
                        rds::adopt_check(&current, owner)?;
                        rds::modify(&rclient, &current, &want, None).await?
                    }
                    None => {
                        rds::create_replica(&rclient, &source, &want, owner).await?;
                    }
                }
                rds::wait_available(&rclient, &want.identifier, &ctx.cancel, WaitPolicy::RDS).await
            })
            .await;
            if let Err(e) = r {
                let mut d = super::backend_diagnostic(
                    "Database Name Already Taken",
                    &format!("Create The Read Replica In {region}"),
                    taken(e),
                );
                d.detail.push_str(if creating {
                    " The primary exists and is recorded in state. Terraform marks a resource whose create failed as tainted: run `terraform untaint <address>` and apply again to finish creating the replica without replacing the database."
                } else {
                    " The primary is recorded in state; the next apply creates the missing replica."
                });
                diags.push(d.at(AttributePath::attr("read_replicas")));
            }
        }
        // 3. Replicas that left the configuration go, without snapshots.
        if let Some(prior_plan) = input(&prior, &ctx.config.default_tags)
            .ok()
            .and_then(|i| db_planner::plan(&i).ok())
        {
            for region in prior_plan
                .effective
                .read_replica_regions
                .iter()
                .filter(|r| !plan.effective.read_replica_regions.contains(r))
            {
                let rclient = ctx.aws.rds(region).await;
                let id = replica_identifier(&prior_plan, region);
                if let Err(e) = cancellable(&ctx.cancel, rds::delete(&rclient, &id, None)).await {
                    diags.push(super::backend_diagnostic(
                        "Database Name Already Taken",
                        &format!("Delete The Read Replica In {region}"),
                        e,
                    ));
                }
            }
        }

        // 4. The state is what exists now, read back the way Read does.
        let replicas = match read_all(ctx, &plan).await {
            Ok((_, r)) => r,
            Err(e) => {
                diags.push(super::backend_diagnostic(
                    "Database Name Already Taken",
                    "Read The Database",
                    e,
                ));
                BTreeMap::new()
            }
        };
        // 5. What the state records is finished: no other state may adopt it.
        {
            let finished = super::read_back(ctx, |_| async {
                rds::finish(&client, &primary_seen.arn, &primary_seen.tags).await?;
                if let Some(g) = &group_seen {
                    rds::finish(&client, &g.arn, &g.tags).await?;
                }
                for (region, r) in &replicas {
                    if let Some(r) = r {
                        let rclient = ctx.aws.rds(region).await;
                        rds::finish(&rclient, &r.arn, &r.tags).await?;
                    }
                }
                Ok(())
            })
            .await;
            if let Err(e) = finished {
                diags.push(super::backend_diagnostic(
                    "Database Name Already Taken",
                    "Finish The Database",
                    e,
                ));
            }
        }
        let mut state = observe(planned, &primary_seen, &replicas);
        let unique = primary_seen
            .created
            .clone()
            .unwrap_or_else(|| "snapshot".into());
        let snapshot = if prior.is_null() || get(&prior, "final_snapshot_identifier").is_null() {
            s(db_planner::final_snapshot_identifier(
                &plan.identifier,
                &unique,
            ))
        } else {
            get(&prior, "final_snapshot_identifier").clone()
        };
        state = with(state, [("final_snapshot_identifier", snapshot)]);
        done(state, diags)
    }

    async fn read(&self, state: Value, private: Vec<u8>, ctx: &CallContext) -> ReadOutcome {
        let keep = |state: Value, diagnostics: Diagnostics| ReadOutcome {
            new_state: state,
            private: private.clone(),
            diagnostics,
        };
        let plan = match input(&state, &ctx.config.default_tags).map(|i| db_planner::plan(&i)) {
            Ok(Ok(p)) => p,
            // A state this version cannot plan is kept as is rather than dropped.
            _ => return keep(state, Diagnostics::new()),
        };
        match read_all(ctx, &plan).await {
            Ok((None, _)) => {
                tracing::info!(identifier = %plan.identifier, "database is gone; it will be planned for creation");
                keep(Value::Null, Diagnostics::new())
            }
            Ok((Some(primary), replicas)) => {
                keep(observe(state, &primary, &replicas), Diagnostics::new())
            }
            Err(e) => keep(
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
        let fail = |summary: &str, detail: String| {
            (
                None,
                Diagnostics::from_error(Diagnostic::error(summary, detail)),
            )
        };
        let Some((env, name)) = id.trim().split_once('/') else {
            return fail(
                "Invalid Import ID",
                format!("`{id}` is not `<environment>/<database>`. Write it like `prod/main`."),
            );
        };
        let context = match import_context(env, ctx).await {
            Ok(c) => c,
            Err(d) => return (None, d),
        };
        let Some(env_ctx) = context_from_value(&context) else {
            return fail(
                "Environment Not Found",
                format!("The environment `{env}` could not be read back."),
            );
        };
        let identifier = naming::child_name(env, name);
        let client = ctx.aws.rds(&env_ctx.region).await;
        let primary = match cancellable(&ctx.cancel, rds::find(&client, &identifier)).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return fail(
                    "Database Not Found",
                    format!(
                        "There is no RDS instance `{identifier}` in `{}`. Check the import ID (`<environment>/<database>`).",
                        env_ctx.region
                    ),
                );
            }
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(super::backend_diagnostic(
                        "Database Name Already Taken",
                        "Read The Database",
                        e,
                    )),
                );
            }
        };
        if primary.tags.get(naming::TAG_MANAGED_BY).map(String::as_str) != Some(naming::MANAGED_BY)
        {
            return fail(
                "Database Not Managed By This Provider",
                format!(
                    "The RDS instance `{identifier}` has no `{}` = `{}` tag, so it was not created by `platform_database`. Only databases this provider created can be imported.",
                    naming::TAG_MANAGED_BY,
                    naming::MANAGED_BY
                ),
            );
        }
        let default_tags = &ctx.config.default_tags;
        let mut fields = vec![
            ("environment", context),
            ("name", s(name)),
            ("master_password_wo", Value::Null),
            (
                "tags",
                attrs::configured_tags(&primary.tags, &[&env_ctx.tags, default_tags]),
            ),
        ];
        fields.extend(config_from_spec(
            primary
                .tags
                .get(TAG_SPEC)
                .map(String::as_str)
                .unwrap_or_default(),
        ));
        let config = Value::object(fields);
        let plan = match input(&config, default_tags).map(|i| db_planner::plan(&i)) {
            Ok(Ok(p)) => p,
            Ok(Err(v)) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        let replicas = match read_all(ctx, &plan).await {
            Ok((_, r)) => r,
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(super::backend_diagnostic(
                        "Database Name Already Taken",
                        "Read The Database",
                        e,
                    )),
                );
            }
        };
        let mut state = observe(
            state_value(&config, &plan, Observed::unknown()),
            &primary,
            &replicas,
        );
        let unique = primary.created.clone().unwrap_or_else(|| "snapshot".into());
        state = with(
            state,
            [(
                "final_snapshot_identifier",
                s(db_planner::final_snapshot_identifier(
                    &plan.identifier,
                    &unique,
                )),
            )],
        );
        (Some(state), Diagnostics::new())
    }
}

/// Destroy: replicas first without snapshots, then the primary with its final snapshot
/// unless the policy says otherwise, then the parameter group.
async fn delete(prior: &Value, ctx: &CallContext) -> Result<(), Diagnostic> {
    let plan = input(prior, &ctx.config.default_tags)
        .ok()
        .and_then(|i| db_planner::plan(&i).ok())
        .ok_or_else(|| Diagnostic::error("Unreadable State", "The stored state of this database cannot be planned; fix the state or remove it with `terraform state rm`."))?;
    let allow = get(prior, "allow_replacement").as_bool().unwrap_or(false);
    // Terraform versions without destroy plans reach this point unchecked.
    if let Some(v) = db_planner::guard_destroy(&plan, allow) {
        return Err(v.into());
    }
    let client = ctx.aws.rds(&plan.region).await;
    let current = cancellable(&ctx.cancel, rds::find(&client, &plan.identifier))
        .await
        .map_err(|e| {
            super::backend_diagnostic("Database Name Already Taken", "Read The Database", e)
        })?;
    if current.as_ref().is_some_and(|c| c.deletion_protection) {
        return Err(Diagnostic::error(
            "Database Is Protected From Deletion",
            format!(
                "RDS deletion protection is on for `{}`. To delete it, set `deletion_protection = false` (and `allow_replacement = true` in production), run `terraform apply`, then destroy again.",
                plan.identifier
            ),
        ));
    }
    for region in &plan.effective.read_replica_regions {
        let rclient = ctx.aws.rds(region).await;
        let id = replica_identifier(&plan, region);
        cancellable(&ctx.cancel, async {
            rds::delete(&rclient, &id, None).await?;
            rds::wait_gone(&rclient, &id, &ctx.cancel, WaitPolicy::RDS).await
        })
        .await
        .map_err(|e| {
            super::backend_diagnostic(
                "Database Name Already Taken",
                &format!("Delete The Read Replica In {region}"),
                e,
            )
        })?;
    }
    let snapshot = plan
        .effective
        .final_snapshot
        .then(|| {
            get(prior, "final_snapshot_identifier")
                .as_str()
                .map(str::to_string)
        })
        .flatten();
    cancellable(&ctx.cancel, async {
        rds::delete(&client, &plan.identifier, snapshot.as_deref()).await?;
        rds::wait_gone(&client, &plan.identifier, &ctx.cancel, WaitPolicy::RDS).await?;
        if let Some(group) = plan
            .effective
            .parameter_group
            .as_ref()
            .filter(|g| !g.starts_with("default."))
        {
            rds::delete_parameter_group(&client, group).await?;
        }
        Ok(())
    })
    .await
    .map_err(|e| super::backend_diagnostic("Database Name Already Taken", "Delete The Database", e))
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

    #[test]
    fn spec_tag_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("engine_version", s("16.4")),
            ("storage_gb", s("100 GiB")),
            ("multi_az", Value::Bool(true)),
            ("backup_retention_days", int(30)),
            (
                "extensions",
                attrs::string_list(&["vector".into(), "pg_cron".into()]),
            ),
            (
                "read_replicas",
                Value::list([Value::object([("region", s("us-east-1"))])]),
            ),
        ]);
        let spec = spec_tag(&config);
        assert!(spec.len() <= 256, "fits in a tag value: {spec}");
        let back: BTreeMap<&str, Value> = config_from_spec(&spec).into_iter().collect();
        for (k, v) in [
            ("engine_version", s("16.4")),
            ("storage_gb", s("100 GiB")),
            ("multi_az", Value::Bool(true)),
            ("backup_retention_days", int(30)),
        ] {
            assert_eq!(back[k], v, "{k}");
        }
        assert_eq!(
            back["extensions"],
            attrs::string_list(&["vector".into(), "pg_cron".into()])
        );
        assert!(back["size"].is_null() && back["deletion_protection"].is_null());
        assert_eq!(
            get(&back["read_replicas"].as_list().unwrap()[0], "region"),
            &s("us-east-1")
        );
    }

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
        let diags = DatabaseResource::new().validate(&config, &ctx);
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
