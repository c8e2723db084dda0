//! `platform_secret`: a Secrets Manager secret whose value the provider generates or takes
//! write-only. The value exists in this process only between its making (or Terraform's
//! config) and the one call that stores it: it is never in the plan, the state, a log line
//! or an error message. The plan shows where the value comes from and which version.
use super::attrs::{self, get, s};
use super::component::{self, TAG_SPEC};
use super::framework::{Composite, Diff, Kept, violations};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::aws::secrets::{self, DesiredSecret, ObservedSecret};
use crate::backends::cancellable;
use crate::config::Secret;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Violation;
use crate::planner::secret::{
    self as planner, GenerateInput, SecretInput, SecretPlan, ValueSource,
};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::BTreeMap;

/// What the import record holds: the configured inputs (never the value).
const SPEC: &[Field] = &[
    field("description", Kind::Text),
    field("kms_key_id", Kind::Text),
    field("recovery_window_days", Kind::Number),
    field("value_wo_version", Kind::Number),
    field(
        "generate",
        Kind::Block(&[field("length", Kind::Number), field("special", Kind::Bool)]),
    ),
];

/// The `platform_secret` resource.
pub struct SecretResource {
    schema: Schema,
}

impl SecretResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for SecretResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let mut attributes = component::inputs(
        "Secret name within the environment (DNS-safe); the secret is `<environment>/<name>`. Changing it replaces the secret.",
    );
    attributes.extend([
        opt("description", Type::String, "What the secret is for. Default: `<name> of environment <environment>, managed by terraform-provider-platform`."),
        opt("value_wo", Type::String, "The value, write-only: sent to Secrets Manager, never stored in plan or state (Terraform ≥ 1.11). Set `value_wo_version` beside it and raise it to send a new value. Without it (and without `generate`), the provider generates a value.").sensitive().write_only(),
        opt("value_wo_version", Type::Number, "Version of `value_wo`; changing it sends the value again. Required with `value_wo`."),
        opt("kms_key_id", Type::String, "A KMS key ARN to encrypt the secret with; `grants.read` then allows decrypting with it. Default: the account's `aws/secretsmanager` key."),
        opt("recovery_window_days", Type::Number, "Days a destroyed secret can be restored (7–30), or 0 to delete it at once. Default: the tier's (0 / 7 / 30). A create finding its own secret still restorable restores it."),
        computed("secret_name", Type::String, "`<environment>/<name>`, known at plan time."),
        computed("arn", Type::String, "The secret's ARN (Secrets Manager adds six random characters, so known after apply): a value of a service's or job's `secrets`."),
    ]);
    attributes.extend(component::outputs(
        &[("read", "read the value: `secretsmanager:GetSecretValue`")],
        "The Secrets Manager price of one secret a month from the dated table ($0.40); API calls are usage-priced.",
    ));
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "A Secrets Manager secret the services and jobs reference (`secrets = { STRIPE_KEY = platform_secret.stripe.arn }`): a value the provider generates (`generate { … }`, the default) or one you give write-only (`value_wo` + `value_wo_version`). The value is never in plan, state or logs. Exports `arn` and `grants.read`.".into(),
            attributes,
            blocks: vec![NestedBlock {
                name: "generate".into(),
                repeated: false,
                block: Block {
                    description: "How the provider generates the value (the default when `value_wo` is not set). Changing it generates a new value.".into(),
                    attributes: vec![
                        opt("length", Type::Number, "Characters, 12–4096. Default 32."),
                        opt("special", Type::Bool, "Use symbols (`!#$%&*()-_=+[]{}<>:?`) besides letters and digits. Default true."),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

fn input(v: &Value, ctx: &CallContext) -> Result<SecretInput, Diagnostics> {
    let c = component::common(v)?;
    let mut diags = Diagnostics::new();
    let mut whole = |v: &Value, path: AttributePath, range| {
        attrs::opt_int(v, path, range).unwrap_or_else(|d| {
            diags.push(d);
            None
        })
    };
    let at = AttributePath::attr;
    let version = whole(
        get(v, "value_wo_version"),
        at("value_wo_version"),
        planner::VERSION,
    );
    let recovery = whole(
        get(v, "recovery_window_days"),
        at("recovery_window_days"),
        planner::RECOVERY_WINDOW_DAYS,
    );
    let g = get(v, "generate");
    let generate = (!g.is_null()).then(|| GenerateInput {
        length: whole(
            get(g, "length"),
            at("generate").then_attr("length"),
            planner::LENGTH,
        ),
        special: get(g, "special").as_bool(),
    });
    if diags.has_errors() {
        return Err(diags);
    }
    Ok(SecretInput {
        environment: c.environment,
        name: c.name,
        description: attrs::opt_string(get(v, "description")),
        generate,
        // A state never holds `value_wo`; its version says the value is write-only.
        value_wo: !get(v, "value_wo").is_null() || version.is_some(),
        value_wo_version: version,
        kms_key_id: attrs::opt_string(get(v, "kms_key_id")),
        recovery_window_days: recovery,
        tags: c.tags,
        default_tags: ctx.config.default_tags.clone(),
    })
}

fn desired(plan: &SecretPlan, config: &Value) -> DesiredSecret {
    let mut tags = plan.identity.tags.clone();
    tags.extend(spec::to_tags(TAG_SPEC, &spec::encode(SPEC, config)));
    DesiredSecret {
        name: plan.secret_name.clone(),
        description: plan.description.clone(),
        kms_key_id: plan.kms_key_id.clone(),
        tags,
    }
}

/// The value to store now: a new one on create or when how it is made changed; `None`
/// when the stored one stays.
///
/// `prior` is `None` on create, and for an update whose prior state this version cannot
/// plan: then a generated value is kept (a credential is never replaced because a state
/// could not be read), and a write-only one is sent.
fn new_value(
    plan: &SecretPlan,
    prior: Option<&SecretPlan>,
    creating: bool,
    config: &Value,
) -> Result<Option<Secret>, Diagnostic> {
    if prior.is_some_and(|p| p.value == plan.value) {
        return Ok(None);
    }
    match plan.value {
        ValueSource::Generated { .. } if !creating && prior.is_none() => Ok(None),
        ValueSource::Generated { length, special } => {
            secrets::random_value(length as usize, special)
                .map(Some)
                .map_err(|e| Diagnostic::error("Could Not Generate The Value", e.to_string()))
        }
        ValueSource::WriteOnly { .. } => match get(config, "value_wo").as_str() {
            Some(v) => Ok(Some(Secret::new(v))),
            None => Err(Diagnostic::error(
                "Write-Only Value Missing",
                "`value_wo_version` changed, but Terraform sent no `value_wo`. Set `value_wo` beside it (Terraform ≥ 1.11).",
            )
            .at(AttributePath::attr("value_wo"))),
        },
    }
}

fn settings(plan: &SecretPlan, seen: &ObservedSecret) -> BTreeMap<String, String> {
    let mut m = BTreeMap::from([
        ("description".to_string(), seen.description.clone()),
        (
            "kms_key".to_string(),
            seen.kms_key_id
                .clone()
                .unwrap_or_else(|| "aws/secretsmanager".into()),
        ),
    ]);
    if seen.current_version.is_none() {
        m.insert(
            "value".into(),
            "none: the secret has no current value".into(),
        );
    }
    if seen.scheduled_for_deletion {
        m.insert("value".into(), "scheduled for deletion".into());
    }
    let _ = plan;
    m
}

async fn read(
    plan: &SecretPlan,
    ctx: &CallContext,
) -> Result<Option<ObservedSecret>, BackendError> {
    let client = ctx.aws.secretsmanager(&plan.identity.region).await;
    cancellable(&ctx.cancel, secrets::find(&client, &plan.secret_name)).await
}

fn observe(state: Value, plan: &SecretPlan, seen: &ObservedSecret) -> Value {
    let children = BTreeMap::from([(planner::KEY.to_string(), settings(plan, seen))]);
    component::observed(
        state,
        &children,
        Some(&seen.tags),
        [("arn", s(seen.arn.clone()))],
    )
}

fn state_value(config: &Value, plan: &SecretPlan, kept: Option<&Value>) -> Value {
    let state = component::state(
        config,
        &plan.identity,
        &plan.grants,
        &plan.children,
        plan.estimated_monthly_cost_usd,
        [
            ("secret_name", s(plan.secret_name.clone())),
            (
                "arn",
                kept.map_or(Value::Unknown, |p| get(p, "arn").clone()),
            ),
        ],
    );
    // Write-only: never in a plan or a state.
    attrs::with(state, [("value_wo", Value::Null)])
}

fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    component::diagnostic("Secret Name Already Taken", action, e)
}

#[async_trait::async_trait]
impl Composite for SecretResource {
    type Input = SecretInput;
    type Plan = SecretPlan;
    const TYPE_NAME: &'static str = "platform_secret";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::SECRET_ROWS,
        }
    }

    fn check_config(&self, config: &Value, ctx: &CallContext) -> Diagnostics {
        let mut d = Diagnostics::new();
        let value = get(config, "value_wo");
        if !value.is_null() && !ctx.write_only_allowed {
            d.push(Diagnostic::error(
                "Write-Only Attributes Need Terraform 1.11 Or Newer",
                "This Terraform does not support write-only attributes, so `value_wo` would be stored in state. Upgrade to Terraform ≥ 1.11 (or OpenTofu ≥ 1.11), or remove `value_wo` and `value_wo_version` and let the provider generate the value (`generate { … }`).",
            )
            .at(AttributePath::attr("value_wo")));
        }
        if value.is_null() && !get(config, "value_wo_version").is_null() && ctx.write_only_allowed {
            d.push(Diagnostic::error(
                "Missing Value",
                "`value_wo_version` is set, but `value_wo` is not: the version says which value was sent, so it needs the value beside it. Set `value_wo`, or remove `value_wo_version` to have the provider generate the value.",
            )
            .at(AttributePath::attr("value_wo_version")));
        }
        d
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<SecretInput, Diagnostics> {
        input(config, ctx)
    }

    fn validate(&self, input: &SecretInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &SecretInput) -> Result<SecretPlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        super::framework::changed(prior, config, &["name"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &SecretPlan,
        _i: &SecretInput,
        plan: &SecretPlan,
    ) -> Diff {
        let moved = prior_plan.secret_name != plan.secret_name
            || prior_plan.identity.region != plan.identity.region;
        Diff {
            replace: if moved {
                vec![AttributePath::attr("environment")]
            } else {
                Vec::new()
            },
            diagnostics: Diagnostics::new(),
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &SecretInput,
        plan: &SecretPlan,
        kept: Option<Kept<'_, SecretPlan>>,
    ) -> Value {
        let same = kept
            .as_ref()
            .filter(|k| k.plan.is_some_and(|p| p.secret_name == plan.secret_name))
            .map(|k| k.state);
        state_value(config, plan, same)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &SecretInput,
        plan: &SecretPlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let creating = prior.is_null();
        let before = self.replan(&prior, ctx).map(|(_, p)| p);
        let value = match new_value(plan, before.as_ref(), creating, config) {
            Ok(v) => v,
            Err(d) => return (prior, Diagnostics::from_error(d)),
        };
        let owner = component::owner(&plan.identity, creating);
        let client = ctx.aws.secretsmanager(&plan.identity.region).await;
        let want = desired(plan, config);
        let applied = async {
            let found = cancellable(&ctx.cancel, secrets::find(&client, &plan.secret_name)).await?;
            let seen = match (found, &value) {
                (None, Some(v)) | (Some(_), Some(v)) if creating => {
                    cancellable(&ctx.cancel, secrets::create(&client, &want, v, owner)).await?
                }
                (Some(seen), value) => {
                    owner.check(|| format!("The secret `{}`", plan.secret_name), &seen.tags)?;
                    let seen = cancellable(&ctx.cancel, secrets::update(&client, &seen, &want)).await?;
                    if let Some(v) = value {
                        cancellable(&ctx.cancel, secrets::put_value(&client, &seen.arn, v)).await?;
                    }
                    seen
                }
                (None, _) => {
                    // Gone out of band while in state: made again with a new value.
                    let v = match &value {
                        Some(v) => v.clone(),
                        None => match new_value(plan, None, true, config) {
                            Ok(Some(v)) => v,
                            _ => {
                                return Err(BackendError::Refused(format!(
                                    "the secret `{}` is gone and its write-only value was not sent with this apply; raise `value_wo_version` to send it again",
                                    plan.secret_name
                                )));
                            }
                        },
                    };
                    cancellable(&ctx.cancel, secrets::create(&client, &want, &v, owner)).await?
                }
            };
            if creating {
                cancellable(&ctx.cancel, secrets::finish(&client, &seen)).await?;
            }
            Ok(seen)
        }
        .await;
        drop(value);
        let planned = state_value(config, plan, None);
        match applied {
            Ok(_) => match read(plan, ctx).await {
                Ok(Some(seen)) => (observe(planned, plan, &seen), Diagnostics::new()),
                Ok(None) => (planned, Diagnostics::new()),
                Err(e) => (
                    planned,
                    Diagnostics::from_error(diagnostic("Read The Secret", e)),
                ),
            },
            Err(e) => {
                let e = crate::backends::ownership::with_import(
                    e,
                    "platform_secret",
                    &format!("{}/{}", plan.identity.environment, plan.identity.name),
                );
                let diags = Diagnostics::from_error(diagnostic("Apply The Secret", e));
                if !creating {
                    return (prior, diags);
                }
                match super::read_back(ctx, |fresh| async move { read(plan, &fresh).await }).await {
                    Ok(Some(seen)) => (observe(planned, plan, &seen), diags),
                    _ => (prior, diags),
                }
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&prior, ctx) else {
            return (prior, component::unreadable("secret"));
        };
        let client = ctx.aws.secretsmanager(&plan.identity.region).await;
        let window = (plan.recovery_window_days > 0).then_some(plan.recovery_window_days);
        match cancellable(
            &ctx.cancel,
            secrets::delete(&client, &plan.secret_name, window),
        )
        .await
        {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Secret", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match read(&plan, ctx).await {
            Ok(None) => {
                tracing::info!(secret = %plan.secret_name, "secret is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(Some(seen)) if seen.scheduled_for_deletion => {
                tracing::info!(secret = %plan.secret_name, "secret is scheduled for deletion; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(Some(seen)) => (observe(state, &plan, &seen), Diagnostics::new()),
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Secret", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let (context, env, name) = match component::import_target(id, "prod/stripe-key", ctx).await
        {
            Ok(t) => t,
            Err(d) => return (None, d),
        };
        let client = ctx.aws.secretsmanager(&env.region).await;
        let secret_name = format!("{}/{name}", env.name);
        let found = match cancellable(&ctx.cancel, secrets::find(&client, &secret_name)).await {
            Ok(f) => f,
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(diagnostic("Read The Secret", e)),
                );
            }
        };
        let Some(seen) = found.filter(|f| {
            !f.scheduled_for_deletion && component::owned_by(&f.tags, &env.name, planner::COMPONENT)
        }) else {
            return (
                None,
                component::not_found(
                    "Secret Not Found",
                    &format!("secret `{secret_name}`"),
                    &env.name,
                    "<environment>/<secret>",
                    "",
                ),
            );
        };
        let fields = component::imported_config(context, &name, SPEC, &seen.tags, &env, ctx);
        let config = Value::object(fields);
        let plan = match input(&config, ctx).map(|i| planner::plan(&i)) {
            Ok(Ok(p)) => p,
            Ok(Err(v)) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        (
            Some(observe(state_value(&config, &plan, None), &plan, &seen)),
            Diagnostics::new(),
        )
    }
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- `secret`: the Secrets Manager secret `<environment>/<name>`, with its description, KMS key and tags. Its value is generated by the provider at create (`generate`: 32 characters of letters, digits and symbols unless it says otherwise; changing `generate` makes a new one) or sent from `value_wo` when `value_wo_version` changes.

The value is never in the plan or the state; the plan says where it comes from (`generated by the provider at create`, `write-only value_wo, version 2`). `grants.read` allows `secretsmanager:GetSecretValue` and `DescribeSecret` on `arn:aws:secretsmanager:<region>:*:secret:<environment>/<name>-??????` (the six characters Secrets Manager adds), plus `kms:Decrypt` on `kms_key_id` when set. A service reads the secret at start through its execution role when its `secrets` names the `arn`; `grants.read` is for code that reads it itself.

On destroy the secret stays restorable for `recovery_window_days` (the tier's: none in development, 7 days in staging, 30 in production); a create that finds its own secret awaiting deletion restores it and stores a new value.";

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
    fn a_generated_value_is_made_on_create_and_kept_when_the_prior_state_does_not_plan() {
        let input = SecretInput {
            environment: crate::planner::component::test_context(crate::planner::Tier::Production),
            name: "jwt".into(),
            description: None,
            generate: None,
            value_wo: false,
            value_wo_version: None,
            kms_key_id: None,
            recovery_window_days: None,
            tags: BTreeMap::new(),
            default_tags: BTreeMap::new(),
        };
        let plan = planner::plan(&input).expect("valid");
        let made = new_value(&plan, None, true, &Value::Null).expect("generated");
        assert_eq!(made.map(|v| v.expose().len()), Some(32));
        // An update whose prior state cannot be planned keeps the stored value.
        assert!(
            new_value(&plan, None, false, &Value::Null)
                .expect("no error")
                .is_none()
        );
        // An unchanged plan keeps it too; a changed `generate` makes a new one.
        assert!(
            new_value(&plan, Some(&plan), false, &Value::Null)
                .expect("no error")
                .is_none()
        );
        let longer = planner::plan(&SecretInput {
            generate: Some(GenerateInput {
                length: Some(48),
                special: None,
            }),
            ..input
        })
        .expect("valid");
        let again = new_value(&longer, Some(&plan), false, &Value::Null).expect("generated");
        assert_eq!(again.map(|v| v.expose().len()), Some(48));
    }

    #[test]
    fn the_record_never_holds_the_value() {
        let config = Value::object([
            ("value_wo", s("sk_live_DISTINCTIVE")),
            ("value_wo_version", attrs::int(2)),
            ("description", s("Stripe key")),
        ]);
        let pairs = spec::encode(SPEC, &config);
        assert!(!pairs.join(" ").contains("DISTINCTIVE"), "{pairs:?}");
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &pairs).into_iter().collect();
        assert_eq!(back["value_wo_version"], attrs::int(2));
    }
}
