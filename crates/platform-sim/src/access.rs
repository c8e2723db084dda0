//! The simulated Cloudflare Access (Zero Trust) API, account level: self-hosted
//! applications and the policies scoped to one application.
//!
//! Shapes follow Cloudflare's OpenAPI-generated SDK (`cloudflare-typescript`,
//! `resources/zero-trust/access/applications/**`): an application answers with `id`
//! (UUID), `aud` (64 hex digits), `name`, `domain`, `type`, `self_hosted_domains`,
//! `destinations`, `session_duration` (default `24h`, Go duration units), `policies`;
//! an application policy with `id`, `name`, `decision` (`allow`, `deny`, `non_identity`,
//! `bypass`), `include` / `exclude` / `require` rules (`{email: {email}}`,
//! `{email_domain: {domain}}`, `{everyone: {}}`, ...) and a `precedence` that "must be
//! unique for each policy within an app".
//!
//! Only app-scoped policies (`/access/apps/{app}/policies`) are simulated, not the
//! reusable account policies (`/access/policies`) Cloudflare now recommends: the
//! provider keeps one application per site with its own policies, which the app-scoped
//! endpoints cover whole. Only `self_hosted` applications are accepted.
//!
//! Errors: 404 code 12130 `access.api.error.not_found` (the code third-party fakes and
//! reports show for applications; identity providers answer 12135); malformed requests
//! 400 code 12000 — the simulator's choice, no public code is documented.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::cloudflare::{CfError, failure, success};
use crate::state::{Sim, World};
use crate::{ids, wire};

/// Handler outcome: the success response or Cloudflare's error envelope.
type Reply = Result<axum::response::Response, CfError>;

/// An application or policy that does not exist.
const NOT_FOUND: u32 = 12130;
/// A malformed request. The simulator's choice.
const INVALID: u32 = 12000;

/// Access state: applications by `(account, id)`.
#[derive(Debug, Default)]
pub struct AccessWorld {
    /// Applications by `(account, id)`.
    pub apps: BTreeMap<(String, String), App>,
}

impl AccessWorld {
    /// A JSON dump for `/_sim/state`.
    pub fn dump(&self) -> Value {
        json!({
            "apps": self.apps.iter().map(|((account, _), a)| {
                let mut shown = a.to_json();
                shown["account"] = json!(account);
                shown
            }).collect::<Vec<_>>(),
        })
    }
}

/// A self-hosted Access application.
#[derive(Debug, Clone)]
pub struct App {
    /// UUID.
    pub id: String,
    /// Audience tag.
    pub aud: String,
    /// The fields the client set (`name`, `domain`, `type`, ...), as sent.
    pub fields: Map<String, Value>,
    /// Policies, in the order created.
    pub policies: Vec<Policy>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A policy of one application.
#[derive(Debug, Clone)]
pub struct Policy {
    /// UUID.
    pub id: String,
    /// The fields the client set (`name`, `decision`, `include`, ...), checked.
    pub fields: Map<String, Value>,
    /// Order of evaluation, unique within the app.
    pub precedence: u64,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl Policy {
    fn to_json(&self) -> Value {
        let mut shown = self.fields.clone();
        shown.insert("id".into(), json!(self.id));
        shown.insert("precedence".into(), json!(self.precedence));
        for list in ["include", "exclude", "require"] {
            shown.entry(list).or_insert_with(|| json!([]));
        }
        shown.insert("created_at".into(), json!(self.created_at));
        shown.insert("updated_at".into(), json!(self.updated_at));
        Value::Object(shown)
    }
}

impl App {
    fn to_json(&self) -> Value {
        let mut shown = self.fields.clone();
        shown.insert("id".into(), json!(self.id));
        shown.insert("aud".into(), json!(self.aud));
        shown
            .entry("session_duration")
            .or_insert_with(|| json!("24h"));
        let domain = shown.get("domain").cloned().unwrap_or(Value::Null);
        // Hosts sent as `destinations` (which supersede `self_hosted_domains`) show in both.
        let public: Vec<Value> = shown
            .get("destinations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|d| d.get("type").and_then(Value::as_str) == Some("public"))
            .filter_map(|d| d.get("uri").cloned())
            .collect();
        let hosts = if public.is_empty() {
            vec![domain.clone()]
        } else {
            public
        };
        shown
            .entry("self_hosted_domains")
            .or_insert_with(|| json!(hosts));
        shown
            .entry("destinations")
            .or_insert_with(|| json!([{ "type": "public", "uri": domain }]));
        shown.insert(
            "policies".into(),
            Value::Array(self.policies.iter().map(Policy::to_json).collect()),
        );
        shown.insert("created_at".into(), json!(self.created_at));
        shown.insert("updated_at".into(), json!(self.updated_at));
        Value::Object(shown)
    }
}

/// The Access routes, relative to `/client/v4`.
pub fn router() -> Router<Sim> {
    Router::new()
        .route(
            "/accounts/{account}/access/apps",
            get(list_apps).post(create_app),
        )
        .route(
            "/accounts/{account}/access/apps/{app}",
            get(get_app).put(update_app).delete(delete_app),
        )
        .route(
            "/accounts/{account}/access/apps/{app}/policies",
            get(list_policies).post(create_policy),
        )
        .route(
            "/accounts/{account}/access/apps/{app}/policies/{policy}",
            get(get_policy).put(update_policy).delete(delete_policy),
        )
}

// ---- helpers ----------------------------------------------------------------------

fn invalid(message: impl AsRef<str>) -> CfError {
    failure(
        StatusCode::BAD_REQUEST,
        INVALID,
        &format!("access.api.error.invalid_request: {}", message.as_ref()),
    )
}

fn not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        "access.api.error.not_found",
    )
}

fn check_account(account: &str) -> Result<(), CfError> {
    if account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(failure(
            StatusCode::BAD_REQUEST,
            7003,
            &format!(
                "Could not route to /client/v4/accounts/{account}/access/apps, perhaps your object identifier is invalid?"
            ),
        ))
    }
}

fn object(body: &[u8]) -> Result<Map<String, Value>, CfError> {
    match wire::json_body(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("the request body must be a JSON object")),
        Err(e) => Err(invalid(format!(
            "could not parse the request body as JSON: {e}"
        ))),
    }
}

fn uuid(w: &mut World) -> String {
    let hex = w.ids.cloudflare_id();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A Go duration such as `24h`, `30m` or `2h45m` (units ns, us, µs, ms, s, m, h).
fn valid_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .filter(|u| rest.starts_with(u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// Check an application body (create or full replace).
fn checked_app(body: Map<String, Value>) -> Result<Map<String, Value>, CfError> {
    let kind = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("self_hosted");
    if kind != "self_hosted" {
        return Err(invalid(format!(
            "platform-sim simulates self_hosted applications only, not \"{kind}\""
        )));
    }
    let domain = body
        .get("domain")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| invalid("domain is required for a self_hosted application"))?
        .to_owned();
    if let Some(hosts) = body.get("self_hosted_domains").filter(|v| !v.is_null()) {
        let ok = hosts
            .as_array()
            .is_some_and(|l| l.iter().all(|h| h.as_str().is_some_and(|s| !s.is_empty())));
        if !ok {
            return Err(invalid("self_hosted_domains must be a list of host names"));
        }
    }
    if let Some(d) = body.get("session_duration").filter(|v| !v.is_null())
        && !d.as_str().is_some_and(valid_duration)
    {
        return Err(invalid(
            "session_duration must be a duration such as 24h or 30m (units ns, us, ms, s, m, h)",
        ));
    }
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(invalid("name is required"));
    }
    let mut body = body;
    body.insert("type".into(), json!("self_hosted"));
    body.insert("domain".into(), json!(domain));
    body.remove("id");
    body.remove("aud");
    body.remove("policies");
    Ok(body)
}

/// Check a policy body; its precedence, if given.
fn checked_policy(body: Map<String, Value>) -> Result<(Map<String, Value>, Option<u64>), CfError> {
    if body
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(invalid("name is required"));
    }
    let decision = body.get("decision").and_then(Value::as_str).unwrap_or("");
    if !matches!(decision, "allow" | "deny" | "non_identity" | "bypass") {
        return Err(invalid(
            "decision must be one of allow, deny, non_identity, bypass",
        ));
    }
    let include = body.get("include").and_then(Value::as_array);
    if include.is_none_or(Vec::is_empty) {
        return Err(invalid("include must list at least one rule"));
    }
    for list in ["include", "exclude", "require"] {
        let Some(rules) = body.get(list).filter(|v| !v.is_null()) else {
            continue;
        };
        let rules = rules
            .as_array()
            .ok_or_else(|| invalid(format!("{list} must be a list of rules")))?;
        for rule in rules {
            check_rule(rule).map_err(|m| invalid(format!("{list}: {m}")))?;
        }
    }
    let precedence = match body.get("precedence") {
        None | Some(Value::Null) => None,
        Some(p) => Some(
            p.as_u64()
                .filter(|p| *p >= 1)
                .ok_or_else(|| invalid("precedence must be a positive integer"))?,
        ),
    };
    let mut body = body;
    body.remove("id");
    body.remove("precedence");
    Ok((body, precedence))
}

/// A rule is an object with one key; the email rules need their value.
fn check_rule(rule: &Value) -> Result<(), String> {
    let map = rule.as_object().filter(|m| m.len() == 1).ok_or(
        "every rule is an object with exactly one kind, e.g. {\"email\": {\"email\": \"a@b.c\"}}",
    )?;
    let (kind, value) = map.iter().next().ok_or("empty rule")?;
    let need = |field: &str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    match kind.as_str() {
        "email" if !need("email") => Err("an email rule needs email.email".into()),
        "email" if !value["email"].as_str().is_some_and(|e| e.contains('@')) => {
            Err(format!("{} is not an email address", value["email"]))
        }
        "email_domain" if !need("domain") => {
            Err("an email_domain rule needs email_domain.domain".into())
        }
        _ => Ok(()),
    }
}

/// Run `f` on the application, or answer that it does not exist.
fn with_app<R>(
    sim: &Sim,
    account: &str,
    id: &str,
    f: impl FnOnce(&mut App, &mut World) -> Result<R, CfError>,
) -> Result<R, CfError> {
    check_account(account)?;
    sim.with(|w| {
        let key = (account.to_owned(), id.to_owned());
        let mut app = w.access.apps.remove(&key).ok_or_else(not_found)?;
        let outcome = f(&mut app, w);
        w.access.apps.insert(key, app);
        outcome
    })
}

fn listing(items: Vec<Value>) -> axum::response::Response {
    let count = items.len();
    wire::json(
        StatusCode::OK,
        &json!({
            "success": true, "errors": [], "messages": [], "result": items,
            "result_info": { "page": 1, "per_page": count.max(25), "count": count, "total_count": count },
        }),
    )
}

// ---- applications -----------------------------------------------------------------

async fn list_apps(State(sim): State<Sim>, Path(account): Path<String>) -> Reply {
    check_account(&account)?;
    Ok(sim.with(|w| {
        listing(
            w.access
                .apps
                .iter()
                .filter(|((a, _), _)| *a == account)
                .map(|(_, app)| app.to_json())
                .collect(),
        )
    }))
}

async fn create_app(State(sim): State<Sim>, Path(account): Path<String>, body: Bytes) -> Reply {
    check_account(&account)?;
    let fields = checked_app(object(&body)?)?;
    sim.with(|w| {
        let now = ids::cloudflare_timestamp();
        let id = uuid(w);
        let aud = format!("{}{}", w.ids.cloudflare_id(), w.ids.cloudflare_id());
        let app = App {
            id: id.clone(),
            aud,
            fields,
            policies: Vec::new(),
            created_at: now.clone(),
            updated_at: now,
        };
        let shown = app.to_json();
        w.access.apps.insert((account, id), app);
        Ok(success(shown))
    })
}

async fn get_app(State(sim): State<Sim>, Path((account, id)): Path<(String, String)>) -> Reply {
    with_app(&sim, &account, &id, |app, _| Ok(success(app.to_json())))
}

/// PUT replaces the application's settings whole; its ID, audience and policies stay.
async fn update_app(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let fields = checked_app(object(&body)?)?;
    with_app(&sim, &account, &id, |app, _| {
        app.fields = fields;
        app.updated_at = ids::cloudflare_timestamp();
        Ok(success(app.to_json()))
    })
}

async fn delete_app(State(sim): State<Sim>, Path((account, id)): Path<(String, String)>) -> Reply {
    check_account(&account)?;
    sim.with(|w| match w.access.apps.remove(&(account, id.clone())) {
        Some(_) => Ok(success(json!({ "id": id }))),
        None => Err(not_found()),
    })
}

// ---- policies ---------------------------------------------------------------------

async fn list_policies(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
) -> Reply {
    with_app(&sim, &account, &id, |app, _| {
        Ok(listing(app.policies.iter().map(Policy::to_json).collect()))
    })
}

fn precedence_taken() -> CfError {
    invalid("precedence must be unique for each policy within an application")
}

async fn create_policy(
    State(sim): State<Sim>,
    Path((account, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let (fields, precedence) = checked_policy(object(&body)?)?;
    with_app(&sim, &account, &id, |app, w| {
        let next = app.policies.iter().map(|p| p.precedence).max().unwrap_or(0) + 1;
        let precedence = precedence.unwrap_or(next);
        if app.policies.iter().any(|p| p.precedence == precedence) {
            return Err(precedence_taken());
        }
        let now = ids::cloudflare_timestamp();
        let policy = Policy {
            id: uuid(w),
            fields,
            precedence,
            created_at: now.clone(),
            updated_at: now,
        };
        let shown = policy.to_json();
        app.policies.push(policy);
        Ok(success(shown))
    })
}

async fn get_policy(
    State(sim): State<Sim>,
    Path((account, id, policy)): Path<(String, String, String)>,
) -> Reply {
    with_app(&sim, &account, &id, |app, _| {
        let p = app
            .policies
            .iter()
            .find(|p| p.id == policy)
            .ok_or_else(not_found)?;
        Ok(success(p.to_json()))
    })
}

async fn update_policy(
    State(sim): State<Sim>,
    Path((account, id, policy)): Path<(String, String, String)>,
    body: Bytes,
) -> Reply {
    let (fields, precedence) = checked_policy(object(&body)?)?;
    with_app(&sim, &account, &id, |app, _| {
        let index = app
            .policies
            .iter()
            .position(|p| p.id == policy)
            .ok_or_else(not_found)?;
        if let Some(precedence) = precedence
            && app
                .policies
                .iter()
                .any(|p| p.precedence == precedence && p.id != policy)
        {
            return Err(precedence_taken());
        }
        let p = &mut app.policies[index];
        p.fields = fields;
        if let Some(precedence) = precedence {
            p.precedence = precedence;
        }
        p.updated_at = ids::cloudflare_timestamp();
        Ok(success(p.to_json()))
    })
}

async fn delete_policy(
    State(sim): State<Sim>,
    Path((account, id, policy)): Path<(String, String, String)>,
) -> Reply {
    with_app(&sim, &account, &id, |app, _| {
        let index = app
            .policies
            .iter()
            .position(|p| p.id == policy)
            .ok_or_else(not_found)?;
        app.policies.remove(index);
        Ok(success(json!({ "id": policy })))
    })
}

#[cfg(test)]
mod tests;
