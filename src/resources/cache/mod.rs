//! `platform_cache`: Redis OSS or Valkey on ElastiCache. The planner (`planner::cache`)
//! decides everything; this module converts values, makes the children match the plan,
//! reads them back so an out-of-band change shows as that child's drift, and imports a
//! cache from the record in its replication group's tags.
//!
//! The auth secret is the anchor: made first (its token is the replication group's), and
//! finished last; the children made after it follow it (`Owner::after_anchor`). The token
//! exists in this process only between its making and the two calls that store it (the
//! secret and the replication group): never in state, plan or logs.
use super::attrs::{self, get, s};
use super::component::{self, TAG_SPEC};
use super::framework::{Composite, Diff, Kept, violations};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::aws::elasticache::{
    self as ec, DesiredParameterGroup, DesiredReplicationGroup, DesiredSubnetGroup,
    ObservedReplicationGroup,
};
use crate::backends::aws::secrets::{self, DesiredSecret};
use crate::backends::aws::security_group::{self, DesiredSecurityGroup, Rule, RuleSource};
use crate::backends::cancellable;
use crate::backends::ownership;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Violation;
use crate::planner::cache::{self as planner, CacheInput, CachePlan, PORT, keys};
use crate::schema::{Attribute, Block, Mode, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// What the import record holds: the configured inputs.
const SPEC: &[Field] = &[
    field("engine", Kind::Text),
    field("engine_version", Kind::Text),
    field("size", Kind::Text),
    field("node_type", Kind::Text),
    field("replicas", Kind::Number),
    field("multi_az", Kind::Bool),
    field("snapshot_retention_days", Kind::Number),
    field("maxmemory_policy", Kind::Text),
    field("parameters", Kind::Map),
    field("allow_replacement", Kind::Bool),
];

/// The `platform_cache` resource.
pub struct CacheResource {
    schema: Schema,
}

impl CacheResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for CacheResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let mut attributes = component::inputs(
        "Cache name within the environment (DNS-safe, at most 19 characters); the replication group is `<environment>-<name>`. Changing it replaces the cache.",
    );
    attributes.extend([
        opt("engine", Type::String, "`redis` (Redis OSS, the default) or `valkey`. Changing it replaces the cache."),
        opt("engine_version", Type::String, "Redis OSS `6.2`, `7.0`, `7.1` (default) or Valkey `7.2`, `8.0`, `8.1` (default)."),
        opt("size", Type::String, "Memory as people write it (`1GB`, `512MB`): the smallest node type with at least that much. Not with `node_type`."),
        opt("node_type", Type::String, "An ElastiCache node type, e.g. `cache.t4g.small`. Default: the tier's (cache.t3.micro / cache.t3.small / cache.r6g.large)."),
        opt("replicas", Type::Number, "Read replicas of the primary, 0–5. Default: the tier's (0 / 0 / 1). Changing it in place is not supported yet: the plan says so."),
        opt("multi_az", Type::Bool, "Automatic failover to a replica in another Availability Zone (needs a replica). Default: the tier's (no / no / yes)."),
        opt("snapshot_retention_days", Type::Number, "Days of automatic snapshots, 0–35. Default: the tier's (0 / 1 / 7)."),
        opt("maxmemory_policy", Type::String, "What the engine evicts when memory is full. Default `allkeys-lru` (the engines' own, `volatile-lru`, evicts only keys with a TTL)."),
        opt("parameters", Type::map(Type::String), "Other engine parameters, e.g. `{ \"notify-keyspace-events\" = \"Ex\" }`; with `maxmemory_policy` they make the cache's parameter group."),
        opt("allow_replacement", Type::Bool, "In production, a change that replaces the cache (and loses its data) is refused at plan time unless this is true."),
        computed("endpoint", Type::String, "The primary endpoint's address (known after apply); TLS on `port`, with the auth token."),
        computed("reader_endpoint", Type::String, "The reader endpoint's address, for the replicas (known after apply)."),
        computed("port", Type::Number, "The port the cache listens on: 6379, with TLS."),
        computed("auth_secret_arn", Type::String, "The Secrets Manager secret holding the auth token (known after apply): a value of a service's or job's `secrets`, e.g. `REDIS_AUTH = platform_cache.sessions.auth_secret_arn`."),
        computed("security_group_id", Type::String, "The cache's security group, admitting the environment's services on 6379."),
    ]);
    attributes.extend(component::outputs(
        &[("connect", "read the auth token: `secretsmanager:GetSecretValue` on the auth secret")],
        "The node-hour price of the node type × (1 + replicas) × 730 hours from the dated table (Valkey at its factor), plus the auth secret's month.",
    ));
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "Redis OSS or Valkey on ElastiCache: a replication group in the environment's subnets, always encrypted at rest and in transit, with an auth token the provider generates into Secrets Manager (never into state), its own subnet group and a security group admitting the environment's services. Tier defaults for the node type, replicas, Multi-AZ and snapshots; in production a replacement is refused without `allow_replacement`, and destroy takes a final snapshot.".into(),
            attributes,
            blocks: vec![],
        },
    }
}

fn input(v: &Value, ctx: &CallContext) -> Result<CacheInput, Diagnostics> {
    let c = component::common(v)?;
    let mut diags = Diagnostics::new();
    let mut whole = |name: &str, range| {
        attrs::opt_int(get(v, name), AttributePath::attr(name), range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let replicas = whole("replicas", planner::REPLICAS);
    let retention = whole("snapshot_retention_days", planner::SNAPSHOT_RETENTION_DAYS);
    if diags.has_errors() {
        return Err(diags);
    }
    let text = |k: &str| attrs::opt_string(get(v, k));
    Ok(CacheInput {
        environment: c.environment,
        name: c.name,
        engine: text("engine"),
        engine_version: text("engine_version"),
        size: text("size"),
        node_type: text("node_type"),
        replicas,
        multi_az: get(v, "multi_az").as_bool(),
        snapshot_retention_days: retention,
        maxmemory_policy: text("maxmemory_policy"),
        parameters: attrs::string_map(get(v, "parameters")),
        allow_replacement: get(v, "allow_replacement").as_bool(),
        tags: c.tags,
        default_tags: ctx.config.default_tags.clone(),
    })
}

fn description(plan: &CachePlan) -> String {
    format!(
        "{} cache of environment {}, managed by terraform-provider-platform",
        plan.identity.name, plan.identity.environment
    )
}

fn desired_group(plan: &CachePlan, config: &Value) -> DesiredReplicationGroup {
    let mut tags = plan.identity.tags.clone();
    tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    DesiredReplicationGroup {
        id: plan.id.clone(),
        description: description(plan),
        engine: plan.engine.clone(),
        engine_version: Some(plan.engine_version.clone()),
        node_type: plan.node_type.clone(),
        replicas: plan.replicas as i32,
        multi_az: plan.multi_az,
        snapshot_retention_days: plan.snapshot_retention_days as i32,
        subnet_group: plan.id.clone(),
        security_group_ids: Vec::new(),
        // Named even when it is the family's default, so a cache leaving its own group
        // is moved back to the default before that group is deleted.
        parameter_group: Some(if plan.parameters.is_some() {
            plan.id.clone()
        } else {
            format!("default.{}", plan.family)
        }),
        port: PORT as i32,
        tags,
    }
}

fn desired_security_group(plan: &CachePlan, vpc_id: String) -> DesiredSecurityGroup {
    DesiredSecurityGroup {
        name: plan.security_group_name.clone(),
        description: format!(
            "{}: the environment's services on {PORT}",
            description(plan)
        ),
        vpc_id,
        ingress: plan
            .admitted_security_groups
            .iter()
            .map(|g| Rule {
                port: PORT as i32,
                source: RuleSource::Group(g.clone()),
                description: "the environment's services".into(),
            })
            .collect(),
        tags: plan.identity.tags.clone(),
    }
}

async fn apply(
    plan: &CachePlan,
    prior: Option<&CachePlan>,
    config: &Value,
    creating: bool,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let region = &plan.identity.region;
    let sm = ctx.aws.secretsmanager(region).await;
    let client = ctx.aws.elasticache(region).await;
    let ec2 = ctx.aws.ec2(region).await;
    let cancel = &ctx.cancel;
    let owner = component::owner(&plan.identity, creating);

    // The anchor: the auth secret. A new token only when there is no replication group
    // to keep using the stored one.
    let group = cancellable(cancel, ec::find_replication_group(&client, &plan.id)).await?;
    let found = cancellable(cancel, secrets::find(&sm, &plan.auth_secret_name)).await?;
    let anchor_unfinished = found
        .as_ref()
        .is_some_and(|s| ownership::is_creating(&s.tags));
    let want_secret = DesiredSecret {
        name: plan.auth_secret_name.clone(),
        description: format!("Auth token of the {}", description(plan)),
        kms_key_id: None,
        tags: plan.identity.tags.clone(),
    };
    let mut token = None;
    let secret = match (&group, found) {
        (Some(_), Some(seen)) if !seen.scheduled_for_deletion => {
            owner.check(
                || format!("The secret `{}`", plan.auth_secret_name),
                &seen.tags,
            )?;
            cancellable(cancel, secrets::update(&sm, &seen, &want_secret)).await?
        }
        (Some(_), _) => {
            return Err(BackendError::Refused(format!(
                "the auth token's secret `{}` is gone while the replication group `{}` still uses its token; restore the secret (it may be awaiting deletion) or replace the cache",
                plan.auth_secret_name, plan.id
            )));
        }
        (None, _) => {
            let t = ec::auth_token()?;
            let seen = cancellable(cancel, secrets::create(&sm, &want_secret, &t, owner)).await?;
            token = Some(t);
            seen
        }
    };
    let after = owner.after_anchor(anchor_unfinished);

    // The security group admitting the environment's services.
    let vpc = cancellable(
        cancel,
        security_group::vpc_of_subnets(&ec2, &plan.subnet_ids),
    )
    .await?;
    let sg_found = cancellable(
        cancel,
        security_group::find(&ec2, &vpc, &plan.security_group_name),
    )
    .await?;
    let sg = cancellable(
        cancel,
        security_group::create_given(&ec2, &desired_security_group(plan, vpc), after, sg_found),
    )
    .await?;

    let subnets = DesiredSubnetGroup {
        name: plan.id.clone(),
        description: description(plan),
        subnet_ids: plan.subnet_ids.clone(),
        tags: plan.identity.tags.clone(),
    };
    cancellable(cancel, ec::create_subnet_group(&client, &subnets, after)).await?;
    if let Some(parameters) = &plan.parameters {
        let pg = DesiredParameterGroup {
            name: plan.id.clone(),
            family: plan.family.clone(),
            parameters: parameters.clone(),
            tags: plan.identity.tags.clone(),
        };
        cancellable(cancel, ec::create_parameter_group(&client, &pg, after)).await?;
    }

    let mut want = desired_group(plan, config);
    want.security_group_ids = vec![sg.id.clone()];
    let seen = match (group, &token) {
        (Some(g), _) => {
            owner.check(
                || format!("The ElastiCache replication group `{}`", plan.id),
                &g.tags,
            )?;
            cancellable(cancel, ec::update_replication_group(&client, &g, &want)).await?
        }
        (None, Some(t)) => {
            cancellable(
                cancel,
                ec::create_replication_group(&client, &want, t, after),
            )
            .await?
        }
        (None, None) => {
            return Err(BackendError::Refused(format!(
                "the replication group `{}` could not be made: no auth token was generated for it; please report this",
                plan.id
            )));
        }
    };
    drop(token);
    cancellable(cancel, ec::wait_available(&client, &seen.id, cancel)).await?;

    // A parameter group the plan no longer has goes once the group uses the default.
    if plan.parameters.is_none() && prior.is_some_and(|p| p.parameters.is_some()) {
        cancellable(cancel, ec::delete_parameter_group(&client, &plan.id)).await?;
    }
    if creating {
        cancellable(cancel, secrets::finish(&sm, &secret)).await?;
    }
    Ok(())
}

/// What the cloud holds, by expansion key, and the exported values.
#[derive(Default)]
struct Seen {
    children: BTreeMap<String, BTreeMap<String, String>>,
    group: Option<ObservedReplicationGroup>,
    secret_arn: Option<String>,
    security_group_id: Option<String>,
}

async fn read(plan: &CachePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let region = &plan.identity.region;
    let sm = ctx.aws.secretsmanager(region).await;
    let client = ctx.aws.elasticache(region).await;
    let ec2 = ctx.aws.ec2(region).await;
    let cancel = &ctx.cancel;
    let mut seen = Seen::default();
    if let Some(s) = cancellable(cancel, secrets::find(&sm, &plan.auth_secret_name)).await?
        && !s.scheduled_for_deletion
    {
        seen.children
            .insert(keys::AUTH_SECRET.into(), BTreeMap::new());
        seen.secret_arn = Some(s.arn);
    }
    let vpc = cancellable(
        cancel,
        security_group::vpc_of_subnets(&ec2, &plan.subnet_ids),
    )
    .await;
    if let Ok(vpc) = vpc
        && let Some(g) = cancellable(
            cancel,
            security_group::find(&ec2, &vpc, &plan.security_group_name),
        )
        .await?
    {
        let mut sources: Vec<String> = g
            .ingress
            .iter()
            .filter(|r| r.port == PORT as i32)
            .map(|r| match &r.source {
                RuleSource::Group(id) | RuleSource::Cidr(id) => id.clone(),
            })
            .collect();
        let planned: Vec<String> = plan.admitted_security_groups.clone();
        let mut sorted_planned = planned.clone();
        sorted_planned.sort();
        sources.sort();
        let shown = if sources == sorted_planned {
            planned
        } else {
            sources
        };
        seen.children.insert(
            keys::SECURITY_GROUP.into(),
            BTreeMap::from([(
                "admits".to_string(),
                format!("tcp/{PORT} from {}", shown.join(", ")),
            )]),
        );
        seen.security_group_id = Some(g.id);
    }
    if let Some(g) = cancellable(cancel, ec::find_subnet_group(&client, &plan.id)).await? {
        let mut found = g.subnet_ids.clone();
        found.sort();
        let mut planned = plan.subnet_ids.clone();
        planned.sort();
        let shown = if found == planned {
            plan.subnet_ids.clone()
        } else {
            found
        };
        seen.children.insert(
            keys::SUBNET_GROUP.into(),
            BTreeMap::from([("subnet_ids".to_string(), shown.join(","))]),
        );
    }
    if plan.parameters.is_some()
        && let Some(p) = cancellable(cancel, ec::find_parameter_group(&client, &plan.id)).await?
    {
        let mut m: BTreeMap<String, String> = p
            .parameters
            .iter()
            .map(|(k, v)| (format!("parameter.{k}"), v.clone()))
            .collect();
        // A planned parameter missing from the group shows as `default`.
        for k in plan.parameters.iter().flat_map(|p| p.keys()) {
            m.entry(format!("parameter.{k}"))
                .or_insert_with(|| "default".into());
        }
        m.insert("family".into(), p.family);
        seen.children.insert(keys::PARAMETER_GROUP.into(), m);
    }
    if let Some(g) = cancellable(cancel, ec::find_replication_group(&client, &plan.id)).await? {
        let mut m = BTreeMap::from([
            (
                "multi_az".to_string(),
                (g.multi_az && g.automatic_failover).to_string(),
            ),
            (
                "snapshot_retention_days".to_string(),
                g.snapshot_retention_days.to_string(),
            ),
            (
                "encryption_at_rest".to_string(),
                g.at_rest_encryption.to_string(),
            ),
            (
                "encryption_in_transit".to_string(),
                g.transit_encryption.to_string(),
            ),
        ]);
        if let Some(n) = &g.node_type {
            m.insert("node_type".into(), n.clone());
        }
        if let Some(e) = &g.engine {
            m.insert("engine".into(), e.clone());
        }
        if g.members > 0 {
            m.insert("replicas".into(), (g.members - 1).to_string());
        }
        seen.children.insert(keys::REPLICATION_GROUP.into(), m);
        seen.group = Some(g);
    }
    Ok(seen)
}

fn observe(state: Value, seen: &Seen) -> Value {
    let opt = |v: Option<String>| v.map_or(Value::Null, s);
    let group = seen.group.as_ref();
    component::observed(
        state,
        &seen.children,
        group.map(|g| &g.tags),
        [
            (
                "endpoint",
                opt(group.and_then(|g| g.primary_endpoint.as_ref().map(|e| e.0.clone()))),
            ),
            (
                "reader_endpoint",
                opt(group.and_then(|g| g.reader_endpoint.as_ref().map(|e| e.0.clone()))),
            ),
            ("auth_secret_arn", opt(seen.secret_arn.clone())),
            ("security_group_id", opt(seen.security_group_id.clone())),
        ],
    )
}

fn state_value(config: &Value, plan: &CachePlan, kept: Option<&Value>) -> Value {
    let keep = |k: &str| kept.map_or(Value::Unknown, |p| get(p, k).clone());
    component::state(
        config,
        &plan.identity,
        &plan.grants,
        &plan.children,
        plan.estimated_monthly_cost_usd,
        [
            ("endpoint", keep("endpoint")),
            ("reader_endpoint", keep("reader_endpoint")),
            ("port", attrs::int(PORT)),
            ("auth_secret_arn", keep("auth_secret_arn")),
            ("security_group_id", keep("security_group_id")),
        ],
    )
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    component::diagnostic("Cache Name Already Taken", action, e)
}

#[async_trait::async_trait]
impl Composite for CacheResource {
    type Input = CacheInput;
    type Plan = CachePlan;
    const TYPE_NAME: &'static str = "platform_cache";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::CACHE_ROWS,
        }
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<CacheInput, Diagnostics> {
        input(config, ctx)
    }

    fn validate(&self, input: &CacheInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &CacheInput) -> Result<CachePlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        super::framework::changed(prior, config, &["name", "engine"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &CachePlan,
        input: &CacheInput,
        plan: &CachePlan,
    ) -> Diff {
        let mut diagnostics = Diagnostics::new();
        let moved = prior_plan.id != plan.id || prior_plan.identity.region != plan.identity.region;
        let replaced = moved || prior_plan.engine != plan.engine;
        // The prior cache's protection, lifted only by `allow_replacement` in this
        // configuration (a move to another tier's environment does not lift it).
        if replaced && prior_plan.protected && !input.allow_replacement.unwrap_or(false) {
            diagnostics.push(
                Diagnostic::error(
                    "Cache Replacement Blocked",
                    format!(
                        "Applying this would replace the production cache `{}` and lose what it holds. To keep it, revert the change. To replace it on purpose, set `allow_replacement = true` for this apply.",
                        prior_plan.id
                    ),
                ),
            );
        }
        if !replaced && prior_plan.engine_version != plan.engine_version {
            diagnostics.push(
                Diagnostic::error(
                    "Engine Version Cannot Change Yet",
                    format!(
                        "The cache `{}` runs {} {} and the configuration asks for {}; upgrading in place is not supported yet. Keep `engine_version = \"{}\"`, or replace the cache (a new `name`).",
                        plan.id, prior_plan.engine, prior_plan.engine_version, plan.engine_version, prior_plan.engine_version
                    ),
                )
                .at(AttributePath::attr("engine_version")),
            );
        }
        if !replaced && prior_plan.replicas != plan.replicas {
            diagnostics.push(
                Diagnostic::error(
                    "Replica Count Cannot Change Yet",
                    format!(
                        "The cache `{}` has {} replica(s) and the configuration asks for {}; changing the replica count in place is not supported yet. Keep `replicas = {}`, or replace the cache (a new `name`).",
                        plan.id, prior_plan.replicas, plan.replicas, prior_plan.replicas
                    ),
                )
                .at(AttributePath::attr("replicas")),
            );
        }
        Diff {
            replace: if moved {
                vec![AttributePath::attr("environment")]
            } else {
                Vec::new()
            },
            diagnostics,
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &CacheInput,
        plan: &CachePlan,
        kept: Option<Kept<'_, CachePlan>>,
    ) -> Value {
        let same = kept
            .as_ref()
            .filter(|k| k.plan.is_some_and(|p| p.id == plan.id))
            .map(|k| k.state);
        state_value(config, plan, same)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &CacheInput,
        plan: &CachePlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let creating = prior.is_null();
        let before = self.replan(&prior, ctx).map(|(_, p)| p);
        let mut diags = Diagnostics::new();
        if let Err(e) = apply(plan, before.as_ref(), config, creating, ctx).await {
            let e = ownership::with_import(
                e,
                "platform_cache",
                &format!("{}/{}", plan.identity.environment, plan.identity.name),
            );
            diags.push(diagnostic("Apply The Cache", e));
            if !creating {
                return (prior, diags);
            }
        }
        let planned = state_value(config, plan, None);
        match super::read_back(ctx, |fresh| async move { read(plan, &fresh).await }).await {
            Ok(seen) if !seen.children.is_empty() => (observe(planned, &seen), diags),
            Ok(_) => (prior, diags),
            Err(e) => {
                diags.push(diagnostic("Read The Cache", e));
                (prior, diags)
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&prior, ctx) else {
            return (prior, component::unreadable("cache"));
        };
        let region = &plan.identity.region;
        let client = ctx.aws.elasticache(region).await;
        let sm = ctx.aws.secretsmanager(region).await;
        let ec2 = ctx.aws.ec2(region).await;
        let cancel = &ctx.cancel;
        let snapshot = plan.final_snapshot.then(|| {
            format!(
                "{}-final-{}",
                plan.id,
                chrono::Utc::now().format("%Y%m%d%H%M%S")
            )
        });
        let deleted = async {
            ec::delete_replication_group(&client, &plan.id, snapshot.as_deref(), cancel).await?;
            ec::delete_parameter_group(&client, &plan.id).await?;
            ec::delete_subnet_group(&client, &plan.id).await?;
            let vpc = security_group::vpc_of_subnets(&ec2, &plan.subnet_ids).await?;
            if let Some(g) = security_group::find(&ec2, &vpc, &plan.security_group_name).await? {
                security_group::delete(&ec2, &g.id, cancel).await?;
            }
            secrets::delete(&sm, &plan.auth_secret_name, None).await
        };
        match cancellable(cancel, deleted).await {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Cache", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match read(&plan, ctx).await {
            Ok(seen) if seen.children.is_empty() => {
                tracing::info!(cache = %plan.id, "cache is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(seen) => (observe(state, &seen), Diagnostics::new()),
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Cache", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let (context, env, name) = match component::import_target(id, "prod/sessions", ctx).await {
            Ok(t) => t,
            Err(d) => return (None, d),
        };
        let client = ctx.aws.elasticache(&env.region).await;
        let group_id = crate::planner::naming::child_name(&env.name, &name);
        let found =
            match cancellable(&ctx.cancel, ec::find_replication_group(&client, &group_id)).await {
                Ok(f) => f,
                Err(e) => {
                    return (
                        None,
                        Diagnostics::from_error(diagnostic("Read The Cache", e)),
                    );
                }
            };
        let Some(group) =
            found.filter(|g| component::owned_by(&g.tags, &env.name, planner::COMPONENT))
        else {
            return (
                None,
                component::not_found(
                    "Cache Not Found",
                    &format!("replication group `{group_id}`"),
                    &env.name,
                    "<environment>/<cache>",
                    "",
                ),
            );
        };
        let fields = component::imported_config(context, &name, SPEC, &group.tags, &env, ctx);
        let config = Value::object(fields);
        let plan = match input(&config, ctx).map(|i| planner::plan(&i)) {
            Ok(Ok(p)) => p,
            Ok(Err(v)) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        match read(&plan, ctx).await {
            Ok(seen) => (
                Some(observe(state_value(&config, &plan, None), &seen)),
                Diagnostics::new(),
            ),
            Err(e) => (
                None,
                Diagnostics::from_error(diagnostic("Read The Cache", e)),
            ),
        }
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- `auth_secret`: the Secrets Manager secret `<environment>/<name>-cache-auth` holding the auth token (64 letters and digits, generated by the provider at create; never in plan or state).
- `security_group`: `<environment>-<name>-cache`, admitting the environment's `network.security_group_ids` (its services) on TCP 6379.
- `subnet_group`: the environment's subnets.
- `parameter_group`: when `maxmemory_policy` (default `allkeys-lru`) or `parameters` differ from the engine family's defaults; its parameters are settings.
- `replication_group`: `<environment>-<name>`, encrypted at rest and in transit with the auth token, with its node type, replicas, Multi-AZ with automatic failover, snapshot retention and the final snapshot on destroy (production).

`grants.connect` allows reading the auth token (`secretsmanager:GetSecretValue` on the auth secret); the network admission is the security group's, for every service of the environment. Services usually take the token through `secrets = { REDIS_AUTH = platform_cache.<name>.auth_secret_arn }` and connect with TLS to `endpoint:6379`.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }

    fn input(tier: crate::planner::Tier) -> CacheInput {
        CacheInput {
            environment: crate::planner::component::test_context(tier),
            name: "sessions".into(),
            engine: None,
            engine_version: None,
            size: None,
            node_type: None,
            replicas: None,
            multi_az: None,
            snapshot_retention_days: None,
            maxmemory_policy: None,
            parameters: BTreeMap::new(),
            allow_replacement: None,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        }
    }

    /// The errors of the change from `before` to `after`.
    fn refusals(before: &CacheInput, after: &CacheInput) -> Vec<String> {
        let r = CacheResource::new();
        let (p, n) = (
            planner::plan(before).expect("valid"),
            planner::plan(after).expect("valid"),
        );
        r.diff(&Value::Null, &p, after, &n)
            .diagnostics
            .0
            .iter()
            .map(|d| d.summary.clone())
            .collect()
    }

    #[test]
    fn a_production_cache_is_replaced_only_with_allow_replacement() {
        use crate::planner::Tier;
        let prod = input(Tier::Production);
        let valkey = CacheInput {
            engine: Some("valkey".into()),
            ..prod.clone()
        };
        assert_eq!(refusals(&prod, &valkey), ["Cache Replacement Blocked"]);
        // Moving it to another tier's environment does not lift the guard.
        let mut moved = input(Tier::Staging);
        moved.environment.name = "stg".into();
        assert_eq!(refusals(&prod, &moved), ["Cache Replacement Blocked"]);
        let allowed = CacheInput {
            allow_replacement: Some(true),
            ..valkey
        };
        assert!(refusals(&prod, &allowed).is_empty());
        // Outside production nothing is refused.
        let dev = input(Tier::Development);
        let dev_valkey = CacheInput {
            engine: Some("valkey".into()),
            ..dev.clone()
        };
        assert!(refusals(&dev, &dev_valkey).is_empty());
    }

    #[test]
    fn version_and_replica_changes_in_place_are_refused_at_plan_time() {
        use crate::planner::Tier;
        let dev = input(Tier::Development);
        let newer = CacheInput {
            engine_version: Some("7.0".into()),
            ..dev.clone()
        };
        assert_eq!(refusals(&dev, &newer), ["Engine Version Cannot Change Yet"]);
        let replica = CacheInput {
            replicas: Some(1),
            ..dev.clone()
        };
        assert_eq!(
            refusals(&dev, &replica),
            ["Replica Count Cannot Change Yet"]
        );
        let bigger = CacheInput {
            node_type: Some("cache.t3.medium".into()),
            ..dev.clone()
        };
        assert!(
            refusals(&dev, &bigger).is_empty(),
            "a node type changes in place"
        );
    }

    #[test]
    fn the_record_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("engine", s("valkey")),
            ("replicas", attrs::int(1)),
            (
                "parameters",
                Value::map([("notify-keyspace-events", s("Ex"))]),
            ),
        ]);
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
            .into_iter()
            .collect();
        assert_eq!(back["engine"], s("valkey"));
        assert_eq!(back["replicas"], attrs::int(1));
        assert_eq!(get(&back["parameters"], "notify-keyspace-events"), &s("Ex"));
    }
}
