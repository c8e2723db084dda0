//! `platform_bucket`: an S3 bucket with public access blocked, default encryption,
//! versioning per tier, lifecycle rules and CORS. The planner (`planner::bucket`) decides
//! everything; this module converts values, makes the bucket match the plan, reads each
//! part back so an out-of-band change (versioning suspended, a rule removed) shows as that
//! child's drift, refuses to delete a bucket holding objects without `force_destroy`, and
//! imports a bucket from the record in its tags.
use super::attrs::{self, get, s};
use super::component::{self, TAG_SPEC};
use super::framework::{Composite, Diff, Kept, violations};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::aws::s3::{
    self, CorsRule, DesiredBucket, Encryption, LifecycleRule, ObservedBucket,
};
use crate::backends::cancellable;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Violation;
use crate::planner::bucket::{
    self as planner, BucketInput, BucketPlan, CorsInput, LifecycleRuleInput, keys,
};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// What the import record holds: the configured inputs S3 does not hold as such (the
/// rules and versioning are read from the bucket itself).
const SPEC: &[Field] = &[
    field("bucket_name", Kind::Text),
    field("versioning", Kind::Bool),
    field("encryption", Kind::Text),
    field("kms_key_id", Kind::Text),
    field("expected_storage_gb", Kind::Number),
    field("force_destroy", Kind::Bool),
    field("allow_replacement", Kind::Bool),
];

/// The `platform_bucket` resource.
pub struct BucketResource {
    schema: Schema,
}

impl BucketResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for BucketResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let mut attributes = component::inputs(
        "Bucket name within the environment (DNS-safe, at most 30 characters). The S3 name is `bucket_name`, or `<environment>-<name>-<8 hex digits>` (a hash of region, environment and name). Changing it replaces the bucket.",
    );
    attributes.extend([
        opt("bucket_name", Type::String, "The bucket's S3 name, instead of the derived one (S3 names are global: when the derived name is taken by another account, the apply says so and this fixes it). Changing it replaces the bucket."),
        opt("versioning", Type::Bool, "Keep every version of every object. Default: the tier's (off in development, on in staging and production). Turning it off suspends versioning; versions kept so far stay."),
        opt("encryption", Type::String, "Default encryption: `AES256` (SSE-S3, the default) or `aws:kms` (SSE-KMS, with a bucket key)."),
        opt("kms_key_id", Type::String, "With `encryption = \"aws:kms\"`: a KMS key ARN (the grants then allow it). Default: the account's `aws/s3` key."),
        opt("expected_storage_gb", Type::Number, "GB you expect to store, for the estimate: S3 Standard's GB-month price from the dated table. Without it the estimate is $0 and the bucket's `pricing` setting says storage is usage-priced."),
        opt("force_destroy", Type::Bool, "Delete every object (and version) with the bucket on destroy. Default false: destroying a bucket that holds objects fails, naming how many, and deletes nothing."),
        opt("allow_replacement", Type::Bool, "In production, destroying or replacing the bucket is refused at plan time unless this is true."),
        computed("bucket", Type::String, "The bucket's S3 name, known at plan time."),
        computed("arn", Type::String, "`arn:aws:s3:::<bucket>`, known at plan time."),
    ]);
    attributes.extend(component::outputs(
        &[
            ("read", "list the bucket and read objects"),
            ("read_write", "list, read, write and delete objects"),
        ],
        "`expected_storage_gb` × the S3 Standard GB-month price (dated table); $0 without it, with `pricing` saying storage is usage-priced.",
    ));
    let block = |name: &str, description: &str, attributes: Vec<Attribute>| NestedBlock {
        name: name.into(),
        repeated: true,
        block: Block {
            description: description.into(),
            attributes,
            blocks: vec![],
        },
    };
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "An S3 bucket with public access always blocked, default encryption, versioning per tier, lifecycle rules and CORS. A bucket holding objects is never deleted without `force_destroy`, and never destroyed or replaced in production without `allow_replacement`. Exports `bucket`, `arn` and `grants` (`read`, `read_write`).".into(),
            attributes,
            blocks: vec![
                block("lifecycle_rule", "Repeatable: what happens to objects as they age. Each rule needs `expire_after_days`, or `transition_after_days` with `storage_class`, or both.", vec![
                    opt("prefix", Type::String, "Objects whose key starts with this, e.g. `logs/`. Default: every object."),
                    opt("expire_after_days", Type::Number, "Days after creation an object is deleted (with versioning on, it becomes a noncurrent version)."),
                    opt("transition_after_days", Type::Number, "Days after creation an object moves to `storage_class` (30 at least for `STANDARD_IA` and `ONEZONE_IA`)."),
                    opt("storage_class", Type::String, "`STANDARD_IA`, `ONEZONE_IA`, `INTELLIGENT_TIERING`, `GLACIER_IR`, `GLACIER` or `DEEP_ARCHIVE`."),
                ]),
                block("cors", "Repeatable: a CORS rule for browsers uploading or reading directly.", vec![
                    opt("allowed_origins", Type::list(Type::String), "Origins, e.g. `[\"https://app.example.com\"]`."),
                    opt("allowed_methods", Type::list(Type::String), "Of `GET`, `PUT`, `POST`, `DELETE`, `HEAD`."),
                    opt("allowed_headers", Type::list(Type::String), "Request headers allowed, e.g. `[\"*\"]`."),
                    opt("max_age_seconds", Type::Number, "Seconds a browser caches the preflight answer."),
                ]),
            ],
        },
    }
}

fn input(v: &Value, ctx: &CallContext) -> Result<BucketInput, Diagnostics> {
    let c = component::common(v)?;
    let mut diags = Diagnostics::new();
    let mut whole = |v: &Value, path: AttributePath, range| {
        attrs::opt_int(v, path, range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let list = |name: &str| {
        get(v, name)
            .as_list()
            .map(<[Value]>::to_vec)
            .unwrap_or_default()
    };
    let mut lifecycle_rules = Vec::new();
    for (i, r) in list("lifecycle_rule").iter().enumerate() {
        let at = |n: &str| {
            AttributePath::attr("lifecycle_rule")
                .then_index(i)
                .then_attr(n)
        };
        lifecycle_rules.push(LifecycleRuleInput {
            prefix: attrs::opt_string(get(r, "prefix")),
            expire_after_days: whole(
                get(r, "expire_after_days"),
                at("expire_after_days"),
                planner::DAYS,
            ),
            transition_after_days: whole(
                get(r, "transition_after_days"),
                at("transition_after_days"),
                planner::DAYS,
            ),
            storage_class: attrs::opt_string(get(r, "storage_class")),
        });
    }
    let mut cors = Vec::new();
    for (i, r) in list("cors").iter().enumerate() {
        cors.push(CorsInput {
            allowed_origins: attrs::strings(get(r, "allowed_origins")),
            allowed_methods: attrs::strings(get(r, "allowed_methods")),
            allowed_headers: attrs::strings(get(r, "allowed_headers")),
            max_age_seconds: whole(
                get(r, "max_age_seconds"),
                AttributePath::attr("cors")
                    .then_index(i)
                    .then_attr("max_age_seconds"),
                crate::planner::limits::IntRange {
                    min: 0,
                    max: 86_400 * 365,
                },
            ),
        });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(BucketInput {
        environment: c.environment,
        name: c.name,
        bucket_name: attrs::opt_string(get(v, "bucket_name")),
        versioning: get(v, "versioning").as_bool(),
        encryption: attrs::opt_string(get(v, "encryption")),
        kms_key_id: attrs::opt_string(get(v, "kms_key_id")),
        lifecycle_rules,
        cors,
        expected_storage_gb: get(v, "expected_storage_gb")
            .as_number()
            .map(|n| n.as_f64()),
        force_destroy: get(v, "force_destroy").as_bool(),
        allow_replacement: get(v, "allow_replacement").as_bool(),
        tags: c.tags,
        default_tags: ctx.config.default_tags.clone(),
    })
}

fn desired(plan: &BucketPlan, config: &Value) -> DesiredBucket {
    let mut tags = plan.identity.tags.clone();
    tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    DesiredBucket {
        name: plan.bucket_name.clone(),
        region: plan.identity.region.clone(),
        versioning: plan.versioning,
        encryption: match &plan.kms {
            None => Encryption::Aes256,
            Some(key) => Encryption::Kms {
                key_id: key.clone(),
            },
        },
        lifecycle_rules: plan
            .lifecycle_rules
            .iter()
            .map(|r| LifecycleRule {
                id: r.id.clone(),
                prefix: r.prefix.clone(),
                expire_after_days: r.expire_after_days.map(|d| d as i32),
                transition: r.transition.clone().map(|(d, c)| (d as i32, c)),
            })
            .collect(),
        cors: plan
            .cors
            .iter()
            .map(|r| CorsRule {
                allowed_origins: r.allowed_origins.clone(),
                allowed_methods: r.allowed_methods.clone(),
                allowed_headers: r.allowed_headers.clone(),
                max_age_seconds: r.max_age_seconds.map(|s| s as i32),
            })
            .collect(),
        tags,
    }
}

/// The planner's view of a rule S3 holds, to describe it as the plan does.
fn planned_rule(r: &LifecycleRule) -> planner::LifecycleRule {
    planner::LifecycleRule {
        id: r.id.clone(),
        prefix: r.prefix.clone(),
        expire_after_days: r.expire_after_days.map(i64::from),
        transition: r.transition.clone().map(|(d, c)| (i64::from(d), c)),
    }
}

/// What S3 holds, as the plan writes each child's settings.
fn children(seen: &ObservedBucket) -> BTreeMap<String, BTreeMap<String, String>> {
    let one = |k: &str, v: String| BTreeMap::from([(k.to_string(), v)]);
    let mut m = BTreeMap::new();
    m.insert(keys::BUCKET.to_string(), one("region", seen.region.clone()));
    m.insert(
        keys::PUBLIC_ACCESS_BLOCK.to_string(),
        one(
            "blocks",
            if seen.public_access_blocked {
                "public ACLs, public policies, ignore public ACLs, restrict public buckets".into()
            } else {
                "not all: public access is possible".into()
            },
        ),
    );
    let mut e = BTreeMap::new();
    match &seen.encryption {
        Some(Encryption::Aes256) => {
            e.insert("algorithm".to_string(), "AES256".to_string());
        }
        Some(Encryption::Kms { key_id }) => {
            e.insert("algorithm".to_string(), "aws:kms".to_string());
            e.insert(
                "kms_key".to_string(),
                key_id.clone().unwrap_or_else(|| "aws/s3".into()),
            );
        }
        None => {
            e.insert("algorithm".to_string(), "none".to_string());
        }
    }
    m.insert(keys::ENCRYPTION.to_string(), e);
    m.insert(
        keys::VERSIONING.to_string(),
        one(
            "status",
            if seen.versioning.as_deref() == Some("Enabled") {
                "Enabled".into()
            } else {
                "Disabled".into()
            },
        ),
    );
    // Every planned rule is a setting of the lifecycle child: a rule missing from S3
    // shows as `none`, so its removal is a change of that child.
    let rules: BTreeMap<String, String> = seen
        .lifecycle_rules
        .iter()
        .map(|r| (r.id.clone(), planner::describe_rule(&planned_rule(r))))
        .collect();
    m.insert(keys::LIFECYCLE.to_string(), with_missing(rules));
    let cors: BTreeMap<String, String> = seen
        .cors
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                format!("rule-{i}"),
                planner::describe_cors(&planner::CorsRule {
                    allowed_origins: r.allowed_origins.clone(),
                    allowed_methods: r.allowed_methods.clone(),
                    allowed_headers: r.allowed_headers.clone(),
                    max_age_seconds: r.max_age_seconds.map(i64::from),
                }),
            )
        })
        .collect();
    m.insert(keys::CORS.to_string(), with_missing(cors));
    m
}

/// Rule settings as observed, with `rule-0` … `rule-99` absent from S3 as `none` (the
/// expansion keeps only keys it plans, so only planned rules show).
fn with_missing(mut rules: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for i in 0..planner::MAX_CORS_RULES.max(100) {
        rules
            .entry(format!("rule-{i}"))
            .or_insert_with(|| "none".into());
    }
    rules
}

async fn read(
    plan: &BucketPlan,
    ctx: &CallContext,
) -> Result<Option<ObservedBucket>, BackendError> {
    let client = ctx.aws.s3(&plan.identity.region).await;
    cancellable(&ctx.cancel, s3::find(&client, &plan.bucket_name)).await
}

fn observe(state: Value, seen: &ObservedBucket) -> Value {
    component::observed(state, &children(seen), Some(&seen.tags), [])
}

fn state_value(config: &Value, plan: &BucketPlan) -> Value {
    component::state(
        config,
        &plan.identity,
        &plan.grants,
        &plan.children,
        plan.estimated_monthly_cost_usd,
        [
            ("bucket", s(plan.bucket_name.clone())),
            ("arn", s(plan.arn.clone())),
        ],
    )
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    component::diagnostic("Bucket Name Already Taken", action, e)
}

/// The refusal of destroying or replacing a protected bucket.
fn protected(plan: &BucketPlan, what: &str) -> Diagnostic {
    Diagnostic::error(
        "Bucket Deletion Blocked",
        format!(
            "{what} would delete the production bucket `{}` and everything in it. To keep it, revert the change. To delete it on purpose, set `allow_replacement = true` and apply that first (and `force_destroy = true` if it holds objects).",
            plan.bucket_name
        ),
    )
}

#[async_trait::async_trait]
impl Composite for BucketResource {
    type Input = BucketInput;
    type Plan = BucketPlan;
    const TYPE_NAME: &'static str = "platform_bucket";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::BUCKET_ROWS,
        }
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<BucketInput, Diagnostics> {
        input(config, ctx)
    }

    fn validate(&self, input: &BucketInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &BucketInput) -> Result<BucketPlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        super::framework::changed(prior, config, &["name", "bucket_name"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &BucketPlan,
        _i: &BucketInput,
        plan: &BucketPlan,
    ) -> Diff {
        let moved = prior_plan.bucket_name != plan.bucket_name
            || prior_plan.identity.region != plan.identity.region;
        let mut diagnostics = Diagnostics::new();
        if moved && prior_plan.protected {
            diagnostics.push(protected(
                prior_plan,
                "This change replaces the bucket, which",
            ));
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

    fn guard_destroy(&self, _prior: &Value, prior_plan: &BucketPlan) -> Diagnostics {
        if prior_plan.protected {
            Diagnostics::from_error(protected(prior_plan, "Destroying it"))
        } else {
            Diagnostics::new()
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &BucketInput,
        plan: &BucketPlan,
        _kept: Option<Kept<'_, BucketPlan>>,
    ) -> Value {
        state_value(config, plan)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &BucketInput,
        plan: &BucketPlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let creating = prior.is_null();
        let owner = component::owner(&plan.identity, creating);
        let client = ctx.aws.s3(&plan.identity.region).await;
        let want = desired(plan, config);
        let applied = async {
            let seen = cancellable(&ctx.cancel, s3::find(&client, &plan.bucket_name)).await?;
            let seen = match seen {
                Some(seen) if !creating => {
                    owner.check(
                        || format!("The S3 bucket `{}`", plan.bucket_name),
                        &seen.tags,
                    )?;
                    cancellable(&ctx.cancel, s3::update(&client, &seen, &want)).await?
                }
                _ => cancellable(&ctx.cancel, s3::create(&client, &want, owner)).await?,
            };
            if creating {
                cancellable(&ctx.cancel, s3::finish(&client, &seen)).await?;
            }
            Ok::<_, BackendError>(())
        }
        .await;
        let planned = state_value(config, plan);
        let mut diags = Diagnostics::new();
        if let Err(e) = applied {
            let e = crate::backends::ownership::with_import(
                e,
                "platform_bucket",
                &format!("{}/{}", plan.identity.environment, plan.identity.name),
            );
            diags.push(diagnostic("Apply The Bucket", e));
            if !creating {
                return (prior, diags);
            }
        }
        match super::read_back(ctx, |fresh| async move { read(plan, &fresh).await }).await {
            Ok(Some(seen)) => (observe(planned, &seen), diags),
            Ok(None) => (prior, diags),
            Err(e) => {
                diags.push(diagnostic("Read The Bucket", e));
                (prior, diags)
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&prior, ctx) else {
            return (prior, component::unreadable("bucket"));
        };
        let client = ctx.aws.s3(&plan.identity.region).await;
        match cancellable(
            &ctx.cancel,
            s3::delete(&client, &plan.bucket_name, plan.force_destroy),
        )
        .await
        {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Bucket", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match read(&plan, ctx).await {
            Ok(None) => {
                tracing::info!(bucket = %plan.bucket_name, "bucket is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(Some(seen)) => (observe(state, &seen), Diagnostics::new()),
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Bucket", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let (context, env, name) = match component::import_target(id, "prod/uploads", ctx).await {
            Ok(t) => t,
            Err(d) => return (None, d),
        };
        let client = ctx.aws.s3(&env.region).await;
        // The bucket's name is the derived one unless the record says otherwise; a bucket
        // with its own `bucket_name` is imported as `<environment>/<name>` too, found by
        // its record after the derived name misses.
        let derived = planner::derived_name(&env.region, &env.name, &name);
        let found = match cancellable(&ctx.cancel, s3::find(&client, &derived)).await {
            Ok(f) => f,
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(diagnostic("Read The Bucket", e)),
                );
            }
        };
        let Some(seen) =
            found.filter(|f| component::owned_by(&f.tags, &env.name, planner::COMPONENT))
        else {
            return (
                None,
                component::not_found(
                    "Bucket Not Found",
                    &format!("bucket `{derived}`"),
                    &env.name,
                    "<environment>/<bucket>",
                    "; a bucket with its own `bucket_name` cannot be imported yet",
                ),
            );
        };
        let fields = component::imported_config(context, &name, SPEC, &seen.tags, &env, ctx);
        let fields: Vec<(&str, Value)> = fields
            .into_iter()
            .chain([
                (
                    "lifecycle_rule",
                    Value::list(seen.lifecycle_rules.iter().map(|r| {
                        let int =
                            |d: Option<i32>| d.map_or(Value::Null, |d| attrs::int(i64::from(d)));
                        Value::object([
                            (
                                "prefix",
                                if r.prefix.is_empty() {
                                    Value::Null
                                } else {
                                    s(r.prefix.clone())
                                },
                            ),
                            ("expire_after_days", int(r.expire_after_days)),
                            (
                                "transition_after_days",
                                int(r.transition.as_ref().map(|t| t.0)),
                            ),
                            (
                                "storage_class",
                                r.transition
                                    .as_ref()
                                    .map_or(Value::Null, |t| s(t.1.clone())),
                            ),
                        ])
                    })),
                ),
                (
                    "cors",
                    Value::list(seen.cors.iter().map(|r| {
                        let list = |l: &[String]| {
                            if l.is_empty() {
                                Value::Null
                            } else {
                                attrs::string_list(l)
                            }
                        };
                        Value::object([
                            ("allowed_origins", list(&r.allowed_origins)),
                            ("allowed_methods", list(&r.allowed_methods)),
                            ("allowed_headers", list(&r.allowed_headers)),
                            (
                                "max_age_seconds",
                                r.max_age_seconds
                                    .map_or(Value::Null, |v| attrs::int(i64::from(v))),
                            ),
                        ])
                    })),
                ),
            ])
            .collect();
        let config = Value::object(fields);
        let plan = match input(&config, ctx).map(|i| planner::plan(&i)) {
            Ok(Ok(p)) => p,
            Ok(Err(v)) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        (
            Some(observe(state_value(&config, &plan), &seen)),
            Diagnostics::new(),
        )
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- `bucket`: the S3 bucket (`bucket_name`, or `<environment>-<name>-<8 hex digits>`) in the environment's region; `pricing` says what the estimate is made of.
- `public_access_block`: all four public-access blocks on, always.
- `encryption`: default encryption, SSE-S3 (`AES256`) or SSE-KMS with a bucket key.
- `versioning`: `Enabled` or `Disabled` (suspended), the tier's default unless `versioning` says.
- `lifecycle`: one setting per `lifecycle_rule` (`rule-0`, …) in words, e.g. `prefix \"logs/\": to GLACIER_IR after 30 days; expire after 365 days`.
- `cors`: one setting per `cors` rule.

`grants.read` allows `s3:ListBucket` on the bucket and `s3:GetObject` on its objects; `grants.read_write` adds `s3:PutObject`, `s3:DeleteObject` and `s3:AbortMultipartUpload`. With `kms_key_id`, each also allows the key. Both are known at plan time.

Destroy deletes nothing of a bucket holding objects unless `force_destroy = true` (then every object version and delete marker goes first); in production, destroy and replacement are refused at plan time unless `allow_replacement = true`.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }

    #[test]
    fn a_rule_removed_in_s3_shows_as_none() {
        let seen = ObservedBucket {
            name: "b".into(),
            region: "eu-west-1".into(),
            versioning: Some("Suspended".into()),
            public_access_blocked: true,
            encryption: Some(Encryption::Aes256),
            lifecycle_rules: vec![LifecycleRule {
                id: "rule-1".into(),
                prefix: "tmp/".into(),
                expire_after_days: Some(7),
                transition: None,
            }],
            cors: vec![],
            tags: BTreeMap::new(),
        };
        let c = children(&seen);
        assert_eq!(c["lifecycle"]["rule-0"], "none");
        assert_eq!(
            c["lifecycle"]["rule-1"],
            "prefix \"tmp/\": expire after 7 days"
        );
        assert_eq!(c["versioning"]["status"], "Disabled");
    }
}
