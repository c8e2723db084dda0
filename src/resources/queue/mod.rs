//! `platform_queue`: an SQS queue with its dead-letter queue. The planner
//! (`planner::queue`) decides everything; this module converts values, makes the queues
//! match the plan (the dead-letter queue first, the main queue's redrive policy names it),
//! reads them back so an out-of-band change shows as that child's drift, and imports a
//! queue from the record in its tags.
use super::attrs::{self, get, s};
use super::component::{self, TAG_SPEC};
use super::framework::{Composite, Diff, Kept, violations};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::aws::sqs::{self, DesiredQueue, ObservedQueue, Redrive};
use crate::backends::cancellable;
use crate::backends::ownership::Owner;
use crate::context::CallContext;
use crate::diagnostics::Diagnostics;
use crate::planner::Violation;
use crate::planner::queue::{self as planner, DeadLetterInput, QueueInput, QueuePlan, keys};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// What the import record holds: the configured inputs, so an import plans empty.
const SPEC: &[Field] = &[
    field("fifo", Kind::Bool),
    field("visibility_timeout_seconds", Kind::Number),
    field("retention_days", Kind::Number),
    field("kms_key_id", Kind::Text),
    field(
        "dead_letter",
        Kind::Block(&[
            field("enabled", Kind::Bool),
            field("max_receives", Kind::Number),
        ]),
    ),
];

/// The `platform_queue` resource.
pub struct QueueResource {
    schema: Schema,
}

impl QueueResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for QueueResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let mut attributes = component::inputs(
        "Queue name within the environment (DNS-safe); the queue is `<environment>-<name>` (`.fifo` added for FIFO queues). Changing it replaces the queue.",
    );
    attributes.extend([
        opt("fifo", Type::Bool, "A FIFO queue (ordered per message group, exactly-once processing) instead of a standard one. The `.fifo` suffix SQS requires is added to the names. Changing it replaces the queue."),
        opt("visibility_timeout_seconds", Type::Number, "Seconds a received message stays hidden from other consumers, 0–43200; set it above your longest processing time. Default 30 (SQS's)."),
        opt("retention_days", Type::Number, "Days a message is kept, 1–14. Default 4 (SQS's)."),
        opt("kms_key_id", Type::String, "A KMS key ARN for SSE-KMS; the grants then allow the key too. Default: SSE-SQS (SQS-managed keys). Either way the queue is encrypted."),
        computed("queue_name", Type::String, "The queue's name, known at plan time."),
        computed("arn", Type::String, "The queue's ARN: `queue` of a `platform_job`, or for your own policies."),
        computed("url", Type::String, "The queue's URL, for the SDKs' SendMessage and ReceiveMessage."),
        computed("dead_letter_arn", Type::String, "The dead-letter queue's ARN; null without one."),
    ]);
    attributes.extend(component::outputs(
        &[
            ("send", "send messages"),
            ("consume", "receive, delete and change the visibility of messages"),
        ],
        "$0: SQS has no charge per queue; requests are usage-priced, and the queue's `pricing` setting gives the price from the dated table.",
    ));
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "An SQS queue, standard or FIFO, always encrypted, with a dead-letter queue that takes a message after the tier's number of receives. Exports `arn`, `url` and `grants` (`send`, `consume`) for services' and jobs' `access`.".into(),
            attributes,
            blocks: vec![NestedBlock {
                name: "dead_letter".into(),
                repeated: false,
                block: Block {
                    description: "The dead-letter queue (on by default): messages received `max_receives` times move to `<environment>-<name>-dlq`, kept 14 days.".into(),
                    attributes: vec![
                        opt("enabled", Type::Bool, "`false`: no dead-letter queue; a message that keeps failing is received until its retention ends. Default true."),
                        opt("max_receives", Type::Number, "Receives before a message moves to the dead-letter queue, 1–1000. Default: the tier's (5)."),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

fn input(v: &Value, ctx: &CallContext) -> Result<QueueInput, Diagnostics> {
    let c = component::common(v)?;
    let mut diags = Diagnostics::new();
    let mut whole = |v: &Value, path: AttributePath, range| {
        attrs::opt_int(v, path, range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let at = AttributePath::attr;
    let visibility = whole(
        get(v, "visibility_timeout_seconds"),
        at("visibility_timeout_seconds"),
        planner::VISIBILITY_TIMEOUT_SECONDS,
    );
    let retention = whole(
        get(v, "retention_days"),
        at("retention_days"),
        planner::RETENTION_DAYS,
    );
    let dl = get(v, "dead_letter");
    let dead_letter = (!dl.is_null()).then(|| DeadLetterInput {
        enabled: get(dl, "enabled").as_bool(),
        max_receives: whole(
            get(dl, "max_receives"),
            at("dead_letter").then_attr("max_receives"),
            planner::MAX_RECEIVES,
        ),
    });
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(QueueInput {
        environment: c.environment,
        name: c.name,
        fifo: get(v, "fifo").as_bool(),
        visibility_timeout_seconds: visibility,
        retention_days: retention,
        dead_letter,
        kms_key_id: attrs::opt_string(get(v, "kms_key_id")),
        tags: c.tags,
        default_tags: ctx.config.default_tags.clone(),
    })
}

/// The queues a plan wants: the dead-letter queue (if any) and the main one, whose
/// redrive policy is filled in once the dead-letter queue's ARN is known.
fn desired(plan: &QueuePlan, config: &Value) -> (Option<DesiredQueue>, DesiredQueue) {
    let base = |name: &str, retention: i64, tags: BTreeMap<String, String>| DesiredQueue {
        name: name.to_string(),
        fifo: plan.fifo,
        visibility_timeout_seconds: plan.visibility_timeout_seconds as i32,
        message_retention_seconds: retention as i32,
        kms_key_id: plan.kms_key_id.clone(),
        redrive: None,
        tags,
    };
    let dlq = plan.dead_letter.as_ref().map(|d| {
        base(
            &d.queue_name,
            planner::dead_letter_retention_seconds(),
            plan.identity.tags.clone(),
        )
    });
    let mut tags = plan.identity.tags.clone();
    tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    (dlq, base(&plan.queue_name, plan.retention_seconds, tags))
}

/// What SQS holds, as the plan writes each queue's settings.
fn settings(q: &ObservedQueue, main: bool) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("fifo".to_string(), q.fifo.to_string()),
        (
            "encryption".to_string(),
            match (&q.kms_key_id, q.sqs_managed_sse) {
                (Some(key), _) => format!("SSE-KMS ({key})"),
                (None, true) => "SSE-SQS".to_string(),
                (None, false) => "none".to_string(),
            },
        ),
    ]);
    let seconds = i64::from(q.message_retention_seconds);
    m.insert(
        "retention_days".into(),
        if seconds % 86_400 == 0 {
            (seconds / 86_400).to_string()
        } else {
            format!("{seconds} seconds")
        },
    );
    if main {
        m.insert(
            "visibility_timeout_seconds".into(),
            q.visibility_timeout_seconds.to_string(),
        );
        match &q.redrive {
            Some(r) => {
                m.insert(
                    "dead_letter.max_receives".into(),
                    r.max_receive_count.to_string(),
                );
                m.insert(
                    "dead_letter.queue".into(),
                    r.dead_letter_arn
                        .rsplit(':')
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
            None => {
                m.insert("dead_letter.queue".into(), "none".into());
            }
        }
    }
    m
}

/// The queues found, by expansion key.
#[derive(Default)]
struct Seen {
    main: Option<ObservedQueue>,
    dead_letter: Option<ObservedQueue>,
}

async fn read(plan: &QueuePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let client = ctx.aws.sqs(&plan.identity.region).await;
    let main = cancellable(&ctx.cancel, sqs::find(&client, &plan.queue_name)).await?;
    let dead_letter = match &plan.dead_letter {
        Some(d) => cancellable(&ctx.cancel, sqs::find(&client, &d.queue_name)).await?,
        None => None,
    };
    Ok(Seen { main, dead_letter })
}

fn observe(state: Value, seen: &Seen) -> Value {
    let mut children = BTreeMap::new();
    if let Some(q) = &seen.main {
        children.insert(keys::QUEUE.to_string(), settings(q, true));
    }
    if let Some(q) = &seen.dead_letter {
        children.insert(keys::DEAD_LETTER.to_string(), settings(q, false));
    }
    let opt = |v: Option<&String>| v.map_or(Value::Null, |v| s(v.clone()));
    component::observed(
        state,
        &children,
        seen.main.as_ref().map(|q| &q.tags),
        [
            ("arn", opt(seen.main.as_ref().map(|q| &q.arn))),
            ("url", opt(seen.main.as_ref().map(|q| &q.url))),
            (
                "dead_letter_arn",
                opt(seen.dead_letter.as_ref().map(|q| &q.arn)),
            ),
        ],
    )
}

async fn apply(
    plan: &QueuePlan,
    prior: Option<&QueuePlan>,
    config: &Value,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let client = ctx.aws.sqs(&plan.identity.region).await;
    let (dlq, mut main) = desired(plan, config);
    let mut made = Vec::new();
    if let Some(d) = &dlq {
        let q = cancellable(&ctx.cancel, sqs::create(&client, d, owner)).await?;
        main.redrive = plan.dead_letter.as_ref().map(|p| Redrive {
            dead_letter_arn: q.arn.clone(),
            max_receive_count: p.max_receives as i32,
        });
        made.push(q);
    }
    made.push(cancellable(&ctx.cancel, sqs::create(&client, &main, owner)).await?);
    // A dead-letter queue this plan no longer has goes once nothing redrives to it.
    if let Some(old) = prior.and_then(|p| p.dead_letter.as_ref())
        && plan.dead_letter.as_ref().map(|d| &d.queue_name) != Some(&old.queue_name)
    {
        cancellable(&ctx.cancel, sqs::delete(&client, &old.queue_name)).await?;
    }
    if owner.creating {
        for q in &made {
            cancellable(&ctx.cancel, sqs::finish(&client, q)).await?;
        }
    }
    Ok(())
}

fn state_value(config: &Value, plan: &QueuePlan, kept: Option<&Value>) -> Value {
    let keep = |k: &str| kept.map_or(Value::Unknown, |p| get(p, k).clone());
    let dead_letter_arn = match kept.map(|p| get(p, "dead_letter_arn")) {
        _ if plan.dead_letter.is_none() => Value::Null,
        Some(v) if !v.is_null() => v.clone(),
        _ => Value::Unknown,
    };
    component::state(
        config,
        &plan.identity,
        &plan.grants,
        &plan.children,
        plan.estimated_monthly_cost_usd,
        [
            ("queue_name", s(plan.queue_name.clone())),
            ("arn", keep("arn")),
            ("url", keep("url")),
            ("dead_letter_arn", dead_letter_arn),
        ],
    )
}

#[async_trait::async_trait]
impl Composite for QueueResource {
    type Input = QueueInput;
    type Plan = QueuePlan;
    const TYPE_NAME: &'static str = "platform_queue";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::QUEUE_ROWS,
        }
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<QueueInput, Diagnostics> {
        input(config, ctx)
    }

    fn validate(&self, input: &QueueInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &QueueInput) -> Result<QueuePlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        super::framework::changed(prior, config, &["name", "fifo"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &QueuePlan,
        _i: &QueueInput,
        plan: &QueuePlan,
    ) -> Diff {
        let moved = prior_plan.queue_name != plan.queue_name
            || prior_plan.identity.region != plan.identity.region;
        let mut diagnostics = Diagnostics::new();
        if let Some(old) = &prior_plan.dead_letter
            && !moved
            && plan.dead_letter.as_ref().map(|d| &d.queue_name) != Some(&old.queue_name)
        {
            diagnostics.push(
                crate::diagnostics::Diagnostic::warning(
                    "Dead-Letter Queue Deleted",
                    format!(
                        "This apply deletes the dead-letter queue `{}` and the messages in it. Move them first (an SQS redrive back to the source queue) if they matter.",
                        old.queue_name
                    ),
                )
                .at(AttributePath::attr("dead_letter")),
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
        _input: &QueueInput,
        plan: &QueuePlan,
        kept: Option<Kept<'_, QueuePlan>>,
    ) -> Value {
        let same = kept
            .as_ref()
            .filter(|k| k.plan.is_some_and(|p| p.queue_name == plan.queue_name))
            .map(|k| k.state);
        state_value(config, plan, same)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &QueueInput,
        plan: &QueuePlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let creating = prior.is_null();
        let before = self.replan(&prior, ctx).map(|(_, p)| p);
        let owner = component::owner(&plan.identity, creating);
        let mut diags = Diagnostics::new();
        if let Err(e) = apply(plan, before.as_ref(), config, owner, ctx).await {
            let e = crate::backends::ownership::with_import(
                e,
                "platform_queue",
                &format!("{}/{}", plan.identity.environment, plan.identity.name),
            );
            diags.push(component::diagnostic(
                "Queue Name Already Taken",
                "Apply The Queue",
                e,
            ));
            if !creating {
                return (prior, diags);
            }
        }
        let planned = state_value(config, plan, None);
        match super::read_back(ctx, |fresh| async move { read(plan, &fresh).await }).await {
            Ok(seen) if seen.main.is_some() || seen.dead_letter.is_some() => {
                (observe(planned, &seen), diags)
            }
            Ok(_) => (prior, diags),
            Err(e) => {
                diags.push(component::diagnostic(
                    "Queue Name Already Taken",
                    "Read The Queue",
                    e,
                ));
                (prior, diags)
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&prior, ctx) else {
            return (prior, component::unreadable("queue"));
        };
        let client = ctx.aws.sqs(&plan.identity.region).await;
        let names = std::iter::once(plan.queue_name.clone())
            .chain(plan.dead_letter.iter().map(|d| d.queue_name.clone()));
        for name in names {
            if let Err(e) = cancellable(&ctx.cancel, sqs::delete(&client, &name)).await {
                return (
                    prior,
                    Diagnostics::from_error(component::diagnostic(
                        "Queue In Use",
                        "Delete The Queue",
                        e,
                    )),
                );
            }
        }
        (Value::Null, Diagnostics::new())
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match read(&plan, ctx).await {
            Ok(seen) if seen.main.is_none() && seen.dead_letter.is_none() => {
                tracing::info!(queue = %plan.queue_name, "queue is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(seen) => (observe(state, &seen), Diagnostics::new()),
            Err(e) => (
                state,
                Diagnostics::from_error(component::diagnostic(
                    "Queue Name Already Taken",
                    "Read The Queue",
                    e,
                )),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let (context, env, name) = match component::import_target(id, "prod/jobs", ctx).await {
            Ok(t) => t,
            Err(d) => return (None, d),
        };
        let region = env.region.clone();
        let client = ctx.aws.sqs(&region).await;
        let base = crate::planner::naming::child_name(&env.name, &name);
        let mut found = None;
        for candidate in [base.clone(), format!("{base}.fifo")] {
            match cancellable(&ctx.cancel, sqs::find(&client, &candidate)).await {
                Ok(Some(q)) => {
                    found = Some(q);
                    break;
                }
                Ok(None) => {}
                Err(e) => {
                    return (
                        None,
                        Diagnostics::from_error(component::diagnostic(
                            "Queue Not Ours",
                            "Read The Queue",
                            e,
                        )),
                    );
                }
            }
        }
        let Some(q) = found.filter(|q| component::owned_by(&q.tags, &env.name, planner::COMPONENT))
        else {
            return (
                None,
                component::not_found(
                    "Queue Not Found",
                    &format!("queue `{base}` (or `{base}.fifo`)"),
                    &env.name,
                    "<environment>/<queue>",
                    "",
                ),
            );
        };
        let fields = component::imported_config(context, &name, SPEC, &q.tags, &env, ctx);
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
                Diagnostics::from_error(component::diagnostic(
                    "Queue Not Ours",
                    "Read The Queue",
                    e,
                )),
            ),
        }
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- `dead_letter_queue`: `<environment>-<name>-dlq` (`.fifo` for FIFO), messages kept 14 days, encrypted like the queue; left out with `dead_letter { enabled = false }`.
- `queue`: `<environment>-<name>` (`.fifo` for FIFO) with its visibility timeout, retention, encryption (SSE-SQS, or SSE-KMS with `kms_key_id`) and a redrive policy to the dead-letter queue after `max_receives` (the tier's default: 5).

`grants.send` allows `sqs:SendMessage`, `sqs:GetQueueUrl` and `sqs:GetQueueAttributes` on this queue; `grants.consume` allows receiving, deleting and changing the visibility of its messages. Their resource is `arn:aws:sqs:<region>:*:<queue name>`: the account is whichever the credentials reach, unknown at plan time. With `kms_key_id`, each also allows the key.

Removing the `dead_letter` queue (or disabling it) deletes it after the main queue stops redriving to it; messages in it go with it.";

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
    fn removing_the_dead_letter_queue_warns_that_its_messages_go() {
        let jobs = QueueInput {
            environment: crate::planner::component::test_context(crate::planner::Tier::Staging),
            name: "jobs".into(),
            fifo: None,
            visibility_timeout_seconds: None,
            retention_days: None,
            dead_letter: None,
            kms_key_id: None,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        };
        let without = QueueInput {
            dead_letter: Some(DeadLetterInput {
                enabled: Some(false),
                max_receives: None,
            }),
            ..jobs.clone()
        };
        let r = QueueResource::new();
        let (before, after) = (
            planner::plan(&jobs).expect("valid"),
            planner::plan(&without).expect("valid"),
        );
        let d = r.diff(&Value::Null, &before, &without, &after).diagnostics;
        assert!(!d.has_errors());
        assert_eq!(d.0.len(), 1);
        assert!(
            d.0[0].detail.contains("stg-jobs-dlq") || d.0[0].detail.contains("-jobs-dlq"),
            "{:?}",
            d.0
        );
        assert!(
            r.diff(&Value::Null, &before, &jobs, &before)
                .diagnostics
                .0
                .is_empty()
        );
    }

    #[test]
    fn the_record_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("fifo", Value::Bool(true)),
            ("retention_days", attrs::int(7)),
            (
                "dead_letter",
                Value::object([("enabled", Value::Null), ("max_receives", attrs::int(3))]),
            ),
        ]);
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
            .into_iter()
            .collect();
        assert_eq!(back["fifo"], Value::Bool(true));
        assert_eq!(back["retention_days"], attrs::int(7));
        assert_eq!(get(&back["dead_letter"], "max_receives"), &attrs::int(3));
        assert_eq!(back["kms_key_id"], Value::Null);
    }
}
