//! What the data components' resources (`platform_queue`, `platform_secret`,
//! `platform_bucket`) share beside the framework: the attributes every one has
//! (`environment`, `name`, `tags`; `id`, `grants`, `tags_all`, `expansion`, cost), reading
//! them, the state they write, who owns their children, and the import ID.

use super::attrs::{self, get, map_of, s, with};
use super::environment_context::{
    NOT_A_CONTEXT, context_from_value, context_type, import_context, invalid_environment,
};
use crate::backends::ownership::Owner;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::component::Identity;
use crate::planner::environment::EnvironmentContext;
use crate::planner::{Child, naming};
use crate::schema::{Attribute, Mode};
use crate::value::{Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The tag holding a component's import record (see `resources::spec`).
pub const TAG_SPEC: &str = "platform:spec";

/// The inputs every component reads besides its own.
pub struct Common {
    /// The environment's context.
    pub environment: EnvironmentContext,
    /// The component's name.
    pub name: String,
    /// Its own tags.
    pub tags: BTreeMap<String, String>,
}

/// Reads `environment`, `name` and `tags`.
pub fn common(v: &Value) -> Result<Common, Diagnostics> {
    let environment = match context_from_value(get(v, "environment")) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Diagnostics::from_error(invalid_environment(NOT_A_CONTEXT))),
        Err(detail) => return Err(Diagnostics::from_error(invalid_environment(&detail))),
    };
    Ok(Common {
        environment,
        name: attrs::opt_string(get(v, "name")).unwrap_or_default(),
        tags: attrs::string_map(get(v, "tags")),
    })
}

/// The attributes users write on every component: `environment`, `name` (described by
/// `name`) and `tags`.
pub fn inputs(name: &str) -> Vec<Attribute> {
    vec![
        Attribute::new(
            "environment",
            context_type(),
            Mode::Required,
            "The environment's `context`: `platform_environment.<name>.context`.",
        ),
        Attribute::new("name", Type::String, Mode::Required, name),
        Attribute::new(
            "tags",
            Type::map(Type::String),
            Mode::Optional,
            "Tags for every child. Precedence, lowest first: the provider's `default_tags`, the environment's tags, these, then the reserved `platform:*` and `managed-by` tags.",
        ),
    ]
}

/// The computed attributes every component has: `id`, `grants` (with `grants`'s
/// attribute names and descriptions), `tags_all`, `expansion` and the cost.
pub fn outputs(grants: &[(&str, &str)], cost: &str) -> Vec<Attribute> {
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let grant_list: Vec<String> = grants.iter().map(|(n, d)| format!("`{n}` ({d})")).collect();
    vec![
        computed("id", Type::String, "`<environment>/<name>`, the import ID."),
        computed(
            "grants",
            grants_type(grants),
            &format!(
                "Grants for a service's or job's `access`, known at plan time: IAM policy statements (JSON) on exactly this resource: {}.",
                grant_list.join(", ")
            ),
        ),
        attrs::tags_all_attribute(),
        computed(
            "expansion",
            Type::list(attrs::child_type()),
            "The cloud resources this expands into, with their effective settings, `sources` and monthly cost. Their tags are `tags_all`.",
        ),
        computed("estimated_monthly_cost_usd", Type::Number, cost),
        computed(
            "estimated_monthly_cost_cents",
            Type::Number,
            "The same estimate in whole cents, for exact totals.",
        ),
    ]
}

fn grants_type(grants: &[(&str, &str)]) -> Type {
    Type::object(grants.iter().map(|(n, _)| (*n, Type::String)))
}

/// The planned state's shared attributes: id, grants, expansion, tags and cost.
pub fn state(
    config: &Value,
    identity: &Identity,
    grants: &BTreeMap<String, String>,
    children: &[Child],
    cost_usd: f64,
    extra: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    let none = BTreeMap::<String, BTreeSet<String>>::new();
    with(
        config.clone(),
        [
            (
                "id",
                s(format!("{}/{}", identity.environment, identity.name)),
            ),
            (
                "grants",
                Value::object(grants.iter().map(|(k, v)| (k.as_str(), s(v.clone())))),
            ),
            ("tags_all", map_of(&identity.tags)),
            (
                "expansion",
                Value::list(children.iter().map(|c| attrs::child_state(c, &none))),
            ),
            ("estimated_monthly_cost_usd", attrs::money(cost_usd)),
            ("estimated_monthly_cost_cents", attrs::cents(cost_usd)),
        ]
        .into_iter()
        .chain(extra),
    )
}

/// A state with what the cloud holds: each child's observed settings (a child missing from
/// `seen` is gone and leaves the expansion) and the tags found on the main child.
pub fn observed(
    state: Value,
    seen: &BTreeMap<String, BTreeMap<String, String>>,
    tags: Option<&BTreeMap<String, String>>,
    extra: impl IntoIterator<Item = (&'static str, Value)>,
) -> Value {
    let expansion = attrs::observed_expansion(&state, seen);
    let tags_all = match tags {
        Some(t) => attrs::observed_tags_all(get(&state, "tags_all"), [visible_tags(t)]),
        None => get(&state, "tags_all").clone(),
    };
    with(
        state,
        [("expansion", expansion), ("tags_all", tags_all)]
            .into_iter()
            .chain(extra),
    )
}

/// Tags as the user sees them: without the import record and the creating marker.
pub fn visible_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| {
            !k.starts_with(TAG_SPEC) && *k != crate::backends::ownership::TAG_LIFECYCLE
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whose children an apply may touch: the environment's, and while `creating` only those
/// an unfinished create left.
pub fn owner(identity: &Identity, creating: bool) -> Owner<'_> {
    Owner {
        tag: (naming::TAG_ENVIRONMENT, identity.environment.as_str()),
        creating,
        marks: true,
    }
}

/// `<environment>/<name>` of an import ID, with the environment's context; an error
/// diagnostic names the shape with `example`.
pub async fn import_target(
    id: &str,
    example: &str,
    ctx: &CallContext,
) -> Result<(Value, EnvironmentContext, String), Diagnostics> {
    let Some((env, name)) = id.trim().split_once('/') else {
        return Err(Diagnostics::from_error(Diagnostic::error(
            "Invalid Import ID",
            format!("`{id}` is not `<environment>/<name>`. Write it like `{example}`."),
        )));
    };
    let context = import_context(env, ctx).await?;
    let Ok(Some(env_ctx)) = context_from_value(&context) else {
        return Err(Diagnostics::from_error(Diagnostic::error(
            "Environment Not Readable",
            format!(
                "The environment `{env}` was found, but its context could not be rebuilt. Please report this."
            ),
        )));
    };
    Ok((context, env_ctx, name.to_string()))
}

/// Whether `tags` mark a child of `component` in environment `environment`: what an
/// import may take.
pub fn owned_by(tags: &BTreeMap<String, String>, environment: &str, component: &str) -> bool {
    tags.get(naming::TAG_ENVIRONMENT).map(String::as_str) == Some(environment)
        && tags.get(naming::TAG_COMPONENT).map(String::as_str) == Some(component)
}

/// The error of an import that found nothing of ours: `what` names what was looked for
/// (``"queue `prod-jobs`"``), `id_shape` the import ID (`<environment>/<queue>`), `more`
/// ends the sentence.
pub fn not_found(
    summary: &str,
    what: &str,
    environment: &str,
    id_shape: &str,
    more: &str,
) -> Diagnostics {
    Diagnostics::from_error(Diagnostic::error(
        summary,
        format!(
            "There is no {what} made by terraform-provider-platform for environment `{environment}`, with the credentials configured. Check the import ID (`{id_shape}`){more}."
        ),
    ))
}

/// The configuration an import rebuilds: the environment's context, the name, the inputs
/// recorded in the `spec` record of `found` (the main child's tags), and the tags the
/// resource itself set.
pub fn imported_config(
    context: Value,
    name: &str,
    spec_fields: &[super::spec::Field],
    found: &BTreeMap<String, String>,
    environment: &EnvironmentContext,
    ctx: &CallContext,
) -> Vec<(&'static str, Value)> {
    let mut fields = vec![("environment", context), ("name", s(name))];
    fields.extend(super::spec::decode(
        spec_fields,
        &super::spec::from_tags(TAG_SPEC, found),
    ));
    fields.push(("tags", imported_tags(found, environment, ctx)));
    fields
}

/// The `tags` an import restores from the tags found on the main child.
pub fn imported_tags(
    found: &BTreeMap<String, String>,
    environment: &EnvironmentContext,
    ctx: &CallContext,
) -> Value {
    let visible = visible_tags(found);
    attrs::configured_tags(&visible, &[&environment.tags, &ctx.config.default_tags])
}

/// The error diagnostic of a failed cloud call; `taken` is the summary when a name is
/// taken.
pub fn diagnostic(taken: &str, action: &str, e: crate::backends::BackendError) -> Diagnostic {
    super::backend_diagnostic(taken, action, e)
}

/// The error for a stored state this version cannot plan.
pub fn unreadable(what: &str) -> Diagnostics {
    Diagnostics::from_error(Diagnostic::error(
        "Unreadable State",
        format!(
            "The stored state of this {what} cannot be planned; fix the state or remove it with `terraform state rm`."
        ),
    ))
}
