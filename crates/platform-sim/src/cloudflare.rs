//! The simulated Cloudflare v4 API for Workers: module script upload, download,
//! settings and deletion; the workers.dev subdomain of a script and of an account;
//! Worker routes on a zone; and token verification.
//!
//! Every answer is Cloudflare's envelope `{success, errors, messages, result}`.
//! Error codes are the ones Cloudflare is seen returning: 10000 authentication,
//! 10007 Worker (or subdomain) not found, 10021 script validation, 10019 route to a
//! missing Worker, 10020 duplicate route, 10022 pattern outside the zone, 7003/7000
//! for malformed identifiers. Where no real code is known the module says so.
//!
//! Accounts are not configured: every well-formed account ID exists, with the
//! simulator's workers.dev subdomain. Zones are configured (`--zone ID=NAME`).

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::multipart::{self, Part};
use crate::state::{Module, Route, Script, Sim, Zone};
use crate::{ids, wire};

/// Handler outcome: the success response or Cloudflare's error envelope.
type Reply = Result<Response, CfError>;

/// Script validation failures (`Uncaught ...`, malformed uploads).
const SCRIPT_INVALID: u32 = 10021;
/// A Worker or a workers.dev subdomain that does not exist.
const NOT_FOUND: u32 = 10007;
/// A route naming a Worker that does not exist.
const ROUTE_SCRIPT_MISSING: u32 = 10019;
/// A route pattern already used on the zone.
const DUPLICATE_ROUTE: u32 = 10020;
/// A route pattern not under the zone's domain.
const PATTERN_OUTSIDE_ZONE: u32 = 10022;
/// A route ID that does not exist. No real code is documented; this one is the
/// simulator's choice.
const ROUTE_NOT_FOUND: u32 = 10005;
/// A JSON body that cannot be read. No real code is documented; the simulator's choice.
const BAD_BODY: u32 = 10001;

/// Module content types Workers accept, and whether each is an ES module.
const MODULE_TYPES: &[(&str, bool)] = &[
    ("application/javascript+module", true),
    ("text/javascript+module", true),
    ("application/javascript", false),
    ("text/javascript", false),
    ("application/wasm", false),
    ("text/plain", false),
    ("application/octet-stream", false),
    ("application/json", false),
    ("application/source-map", false),
];

/// The Cloudflare routes, relative to `/client/v4`.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/user/tokens/verify", get(verify_token))
        .route("/accounts/{account}/workers/scripts", get(list_scripts))
        .route(
            "/accounts/{account}/workers/scripts/{name}",
            get(download_script)
                .put(upload_script)
                .delete(delete_script),
        )
        .route(
            "/accounts/{account}/workers/scripts/{name}/content/v2",
            get(script_content),
        )
        .route(
            "/accounts/{account}/workers/scripts/{name}/settings",
            get(script_settings),
        )
        .route(
            "/accounts/{account}/workers/scripts/{name}/subdomain",
            get(get_script_subdomain)
                .post(set_script_subdomain)
                .delete(disable_script_subdomain),
        )
        .route(
            "/accounts/{account}/workers/subdomain",
            get(get_account_subdomain).put(set_account_subdomain),
        )
        .route(
            "/zones/{zone}/workers/routes",
            get(list_routes).post(create_route),
        )
        .route(
            "/zones/{zone}/workers/routes/{id}",
            get(get_route).put(update_route).delete(delete_route),
        )
        .merge(crate::pages::router())
        .merge(crate::access::router())
        .fallback(|| async { no_route(StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|| async { no_route(StatusCode::METHOD_NOT_ALLOWED) })
}

// ---- envelope ---------------------------------------------------------------------

/// A successful envelope around `result`.
pub fn success(result: Value) -> Response {
    wire::json(
        StatusCode::OK,
        &json!({ "success": true, "errors": [], "messages": [], "result": result }),
    )
}

/// A Cloudflare API error, answered as a failed envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct CfError {
    status: StatusCode,
    errors: Vec<Value>,
}

impl IntoResponse for CfError {
    fn into_response(self) -> Response {
        wire::json(
            self.status,
            &json!({ "success": false, "errors": self.errors, "messages": [], "result": null }),
        )
    }
}

/// A failed envelope with one error.
pub fn failure(status: StatusCode, code: u32, message: &str) -> CfError {
    failure_with(status, vec![json!({ "code": code, "message": message })])
}

/// A failed envelope with the given error objects.
pub fn failure_with(status: StatusCode, errors: Vec<Value>) -> CfError {
    CfError { status, errors }
}

fn no_route(status: StatusCode) -> CfError {
    failure(status, 7000, "No route for that URI")
}

fn invalid_script(message: impl AsRef<str>) -> CfError {
    failure(StatusCode::BAD_REQUEST, SCRIPT_INVALID, message.as_ref())
}

fn worker_not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        "This Worker does not exist on your account.",
    )
}

fn subdomain_not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        NOT_FOUND,
        "workers.api.error.subdomain_not_found",
    )
}

fn bad_body(message: &str) -> CfError {
    failure(StatusCode::BAD_REQUEST, BAD_BODY, message)
}

fn route_not_found() -> CfError {
    failure(StatusCode::NOT_FOUND, ROUTE_NOT_FOUND, "Route not found.")
}

/// Account, zone and route IDs are 32 hex digits; anything else does not route.
fn checked_id(id: &str, uri: &OriginalUri) -> Result<(), CfError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(());
    }
    Err(unroutable(uri))
}

fn unroutable(uri: &OriginalUri) -> CfError {
    let path = uri.path().strip_prefix("/cloudflare").unwrap_or(uri.path());
    failure_with(
        StatusCode::BAD_REQUEST,
        vec![
            json!({
                "code": 7003,
                "message": format!("Could not route to {path}, perhaps your object identifier is invalid?"),
            }),
            json!({ "code": 7000, "message": "No route for that URI" }),
        ],
    )
}

// ---- request paths and bodies ------------------------------------------------------
//
// Every endpoint names an account, a script, a zone or a route in its path. These
// extractors check the identifier (and that a zone exists) before the handler runs,
// so a handler starts from something that routes; what they refuse is answered with
// the same envelope the handlers use.

/// `/accounts/{account}/...`: an account ID that routes (every one exists).
struct AccountPath(String);

impl<S: Send + Sync> FromRequestParts<S> for AccountPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let account: String = path_params(parts, state).await?;
        checked_id(&account, &original_uri(parts)).map_err(IntoResponse::into_response)?;
        Ok(Self(account))
    }
}

/// `/accounts/{account}/workers/scripts/{name}/...`: a script named on an account that
/// routes; whether the script exists is [`ScriptPath::with`]'s answer.
struct ScriptPath {
    account: String,
    name: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ScriptPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let (account, name): (String, String) = path_params(parts, state).await?;
        checked_id(&account, &original_uri(parts)).map_err(IntoResponse::into_response)?;
        Ok(Self { account, name })
    }
}

impl ScriptPath {
    /// Run `f` on the script and its account's workers.dev subdomain, or answer
    /// that the Worker does not exist.
    fn with<R>(
        &self,
        sim: &Sim,
        f: impl FnOnce(&mut Script, Option<&str>) -> Result<R, CfError>,
    ) -> Result<R, CfError> {
        sim.with(|w| {
            let account = w.account(&self.account);
            let subdomain = account.subdomain.clone();
            let script = account
                .scripts
                .get_mut(&self.name)
                .ok_or_else(worker_not_found)?;
            f(script, subdomain.as_deref())
        })
    }
}

/// `/zones/{zone}/...`: a zone that exists, with its name.
struct ZonePath {
    id: String,
    name: String,
}

impl FromRequestParts<Sim> for ZonePath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Self, Response> {
        let id: String = path_params(parts, sim).await?;
        existing_zone(sim, id, &original_uri(parts)).map_err(IntoResponse::into_response)
    }
}

/// `/zones/{zone}/workers/routes/{id}`: a route ID on a zone that exists; whether
/// the route exists is [`RoutePath::with`]'s answer.
struct RoutePath {
    zone: ZonePath,
    id: String,
}

impl FromRequestParts<Sim> for RoutePath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, sim: &Sim) -> Result<Self, Response> {
        let (zone, id): (String, String) = path_params(parts, sim).await?;
        let zone =
            existing_zone(sim, zone, &original_uri(parts)).map_err(IntoResponse::into_response)?;
        Ok(Self { zone, id })
    }
}

impl RoutePath {
    /// Run `f` on the zone and the index of the route in it, or answer that the
    /// route does not exist.
    fn with<R>(
        &self,
        sim: &Sim,
        f: impl FnOnce(&mut Zone, usize) -> Result<R, CfError>,
    ) -> Result<R, CfError> {
        sim.with(|w| {
            let zone = w.zones.get_mut(&self.zone.id).ok_or_else(route_not_found)?;
            let index = zone
                .routes
                .iter()
                .position(|r| r.id == self.id)
                .ok_or_else(route_not_found)?;
            f(zone, index)
        })
    }
}

/// The path's parameters, or axum's own refusal when they do not decode.
async fn path_params<T, S>(parts: &mut Parts, state: &S) -> Result<T, Response>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    match Path::<T>::from_request_parts(parts, state).await {
        Ok(Path(params)) => Ok(params),
        Err(rejection) => Err(rejection.into_response()),
    }
}

/// The request's full URI (the nested routers see only the part below their prefix).
fn original_uri(parts: &Parts) -> OriginalUri {
    parts
        .extensions
        .get::<OriginalUri>()
        .cloned()
        .unwrap_or_else(|| OriginalUri(parts.uri.clone()))
}

/// The zone `id` names, or the refusal for an ID that does not route to one.
fn existing_zone(sim: &Sim, id: String, uri: &OriginalUri) -> Result<ZonePath, CfError> {
    checked_id(&id, uri)?;
    let name = sim
        .with(|w| w.zones.get(&id).map(|z| z.name.clone()))
        .ok_or_else(|| unroutable(uri))?;
    Ok(ZonePath { id, name })
}

/// A request body that must be a JSON object.
struct JsonObject(Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match wire::json_body(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(bad_body("the request body must be a JSON object").into_response()),
            Err(e) => Err(
                bad_body(&format!("could not parse the request body as JSON: {e}")).into_response(),
            ),
        }
    }
}

// ---- token ------------------------------------------------------------------------

async fn verify_token(headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let id = ids::fingerprint(&[token.as_bytes()])[..32].to_owned();
    wire::json(
        StatusCode::OK,
        &json!({
            "success": true,
            "errors": [],
            "messages": [{ "code": 10000, "message": "This API Token is valid and active", "type": null }],
            "result": { "id": id, "status": "active" },
        }),
    )
}

// ---- scripts ----------------------------------------------------------------------

/// A script as the API describes it (no content, no secrets).
fn script_json(script: &Script) -> Value {
    json!({
        "id": script.name,
        "tag": script.tag,
        "etag": script.etag(),
        "handlers": ["fetch"],
        "has_modules": true,
        "compatibility_date": script.compatibility_date,
        "compatibility_flags": script.compatibility_flags,
        "usage_model": "standard",
        "logpush": false,
        "created_on": script.created_on,
        "modified_on": script.modified_on,
    })
}

async fn list_scripts(State(sim): State<Sim>, AccountPath(account): AccountPath) -> Reply {
    sim.with(|w| {
        let scripts: Vec<Value> = w
            .account(&account)
            .scripts
            .values()
            .map(script_json)
            .collect();
        Ok(success(Value::Array(scripts)))
    })
}

/// A module Worker upload, checked.
#[derive(Debug, Clone)]
struct Upload {
    main_module: String,
    compatibility_date: Option<String>,
    compatibility_flags: Vec<String>,
    bindings: Vec<Value>,
    keep_bindings: Vec<String>,
    modules: Vec<Module>,
}

/// Check a script upload body the way the Workers API does, or say why not.
fn parse_upload(content_type: Option<&str>, body: &[u8]) -> Result<Upload, CfError> {
    let content_type = content_type.unwrap_or("");
    let boundary = match multipart::form_data_boundary(content_type) {
        Some(Ok(boundary)) => boundary,
        Some(Err(e)) => {
            return Err(invalid_script(format!(
                "could not parse multipart body: {e}"
            )));
        }
        None => {
            let essence = content_type.split(';').next().unwrap_or("").trim();
            return Err(
                if ["application/javascript", "text/javascript"].contains(&essence) {
                    invalid_script(
                        "platform-sim simulates ES module Workers only: upload multipart/form-data with a metadata part",
                    )
                } else {
                    invalid_script(
                        "Content-Type must be one of: application/javascript, text/javascript, multipart/form-data",
                    )
                },
            );
        }
    };
    let parts = multipart::parse(body, &boundary)
        .map_err(|e| invalid_script(format!("could not parse multipart body: {e}")))?;

    let Some(metadata_part) = parts.iter().find(|p| p.name == "metadata") else {
        return Err(invalid_script("could not read content for part metadata"));
    };
    let metadata = match serde_json::from_slice::<Value>(&metadata_part.body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(invalid_script("metadata must be a JSON object")),
        Err(e) => {
            return Err(invalid_script(format!(
                "could not parse metadata as JSON: {e}"
            )));
        }
    };
    if metadata.contains_key("body_part") && !metadata.contains_key("main_module") {
        return Err(invalid_script(
            "platform-sim simulates ES module Workers only: metadata must set main_module, not body_part",
        ));
    }
    let Some(main_module) = metadata.get("main_module").and_then(Value::as_str) else {
        return Err(invalid_script(
            "metadata.main_module is required: it names the part holding the entry-point module",
        ));
    };

    let mut modules = Vec::new();
    for part in parts.iter().filter(|p| p.name != "metadata") {
        // RFC 7578: a part without Content-Type is text/plain.
        let content_type = part
            .content_type
            .clone()
            .unwrap_or_else(|| "text/plain".to_owned());
        if !MODULE_TYPES.iter().any(|(t, _)| *t == content_type) {
            return Err(invalid_script(format!(
                "Unrecognized content type \"{content_type}\" for part \"{}\"",
                part.name
            )));
        }
        modules.push(Module {
            name: part.name.clone(),
            content_type,
            content: part.body.clone(),
        });
    }
    let Some(main) = modules.iter().find(|m| m.name == main_module) else {
        return Err(invalid_script(
            "Uncaught TypeError: Main module name is not present in bundle.",
        ));
    };
    let is_esm = MODULE_TYPES
        .iter()
        .any(|(t, esm)| *t == main.content_type && *esm);
    if !is_esm {
        let source = String::from_utf8_lossy(&main.content);
        return Err(if source.contains("export ") {
            invalid_script("Uncaught SyntaxError: Unexpected token 'export'")
        } else {
            invalid_script(format!(
                "main module \"{main_module}\" has content type \"{}\"; an ES module needs application/javascript+module",
                main.content_type
            ))
        });
    }

    let compatibility_date = match metadata.get("compatibility_date") {
        None | Some(Value::Null) => None,
        Some(Value::String(date)) => {
            let parsed = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .map_err(|_| invalid_script(format!("Invalid compatibility date: \"{date}\"")))?;
            if parsed > chrono::Utc::now().date_naive() {
                return Err(invalid_script("Can't set compatibility date in the future"));
            }
            Some(date.clone())
        }
        Some(_) => {
            return Err(invalid_script(
                "metadata.compatibility_date must be a string",
            ));
        }
    };
    let compatibility_flags =
        string_list(metadata.get("compatibility_flags"), "compatibility_flags")?;
    let keep_bindings = string_list(metadata.get("keep_bindings"), "keep_bindings")?;
    let bindings = checked_bindings(metadata.get("bindings"))?;

    Ok(Upload {
        main_module: main_module.to_owned(),
        compatibility_date,
        compatibility_flags,
        bindings,
        keep_bindings,
        modules,
    })
}

fn string_list(value: Option<&Value>, field: &str) -> Result<Vec<String>, CfError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid_script(format!("metadata.{field} must be a list of strings"))),
        Some(_) => Err(invalid_script(format!(
            "metadata.{field} must be a list of strings"
        ))),
    }
}

/// Bindings need a name and a type; text bindings need their text.
fn checked_bindings(value: Option<&Value>) -> Result<Vec<Value>, CfError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid_script("metadata.bindings must be a list")),
    };
    let mut names: Vec<&str> = Vec::new();
    for binding in items {
        let name = binding
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let kind = binding.get("type").and_then(Value::as_str);
        let (Some(name), Some(kind)) = (name, kind) else {
            return Err(invalid_script("every binding needs a string name and type"));
        };
        if matches!(kind, "plain_text" | "secret_text")
            && binding.get("text").and_then(Value::as_str).is_none()
        {
            return Err(invalid_script(format!(
                "binding \"{name}\" of type {kind} needs a string text"
            )));
        }
        if names.contains(&name) {
            return Err(invalid_script(format!(
                "binding name \"{name}\" is used more than once"
            )));
        }
        names.push(name);
    }
    Ok(items.clone())
}

async fn upload_script(
    State(sim): State<Sim>,
    ScriptPath { account, name }: ScriptPath,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let upload = parse_upload(content_type, &body)?;
    sim.with(|w| {
        let tag = w.ids.cloudflare_id();
        let now = ids::cloudflare_timestamp();
        let account = w.account(&account);
        let previous = account.scripts.get(&name);
        let mut bindings = upload.bindings;
        if let Some(previous) = previous {
            // `keep_bindings` carries over bindings of those types the upload omits.
            let kept = previous.bindings.iter().filter(|b| {
                let kind = b.get("type").and_then(Value::as_str).unwrap_or("");
                let name = b.get("name").and_then(Value::as_str).unwrap_or("");
                upload.keep_bindings.iter().any(|k| k == kind)
                    && !bindings
                        .iter()
                        .any(|n| n.get("name").and_then(Value::as_str) == Some(name))
            });
            let kept: Vec<Value> = kept.cloned().collect();
            bindings.extend(kept);
        }
        let script = Script {
            name: name.clone(),
            tag,
            modules: upload.modules,
            main_module: upload.main_module,
            compatibility_date: upload.compatibility_date,
            compatibility_flags: upload.compatibility_flags,
            bindings,
            workers_dev: previous.is_some_and(|p| p.workers_dev),
            previews_enabled: previous.is_some_and(|p| p.previews_enabled),
            created_on: previous.map_or_else(|| now.clone(), |p| p.created_on.clone()),
            modified_on: now,
        };
        let described = script_json(&script);
        account.scripts.insert(name, script);
        Ok(success(described))
    })
}

async fn download_script(State(sim): State<Sim>, script: ScriptPath) -> Reply {
    script.with(&sim, |script, _| {
        let boundary = format!("platform-sim-{}", script.tag);
        let parts: Vec<Part> = script
            .modules
            .iter()
            .map(|m| Part {
                name: m.name.clone(),
                filename: Some(m.name.clone()),
                content_type: Some(m.content_type.clone()),
                body: m.content.clone(),
            })
            .collect();
        let mut response = Response::new(Body::from(multipart::encode(&parts, &boundary)));
        let content_type = format!("multipart/form-data; boundary={boundary}");
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            response.headers_mut().insert(header::CONTENT_TYPE, value);
        }
        Ok(response)
    })
}

async fn script_content(State(sim): State<Sim>, script: ScriptPath) -> Reply {
    script.with(&sim, |script, _| {
        let main = script.main().ok_or_else(worker_not_found)?;
        let mut response = Response::new(Body::from(main.content.clone()));
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&main.content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        if let Ok(value) = HeaderValue::from_str(&main.name) {
            headers.insert("cf-entrypoint", value);
        }
        Ok(response)
    })
}

async fn script_settings(State(sim): State<Sim>, script: ScriptPath) -> Reply {
    script.with(&sim, |script, _| {
        Ok(success(json!({
            "bindings": script.public_bindings(),
            "compatibility_date": script.compatibility_date,
            "compatibility_flags": script.compatibility_flags,
            "logpush": false,
            "placement": {},
            "tags": [],
            "tail_consumers": [],
            "usage_model": "standard",
        })))
    })
}

async fn delete_script(State(sim): State<Sim>, ScriptPath { account, name }: ScriptPath) -> Reply {
    sim.with(|w| match w.account(&account).scripts.remove(&name) {
        Some(_) => Ok(success(Value::Null)),
        None => Err(worker_not_found()),
    })
}

// ---- workers.dev ------------------------------------------------------------------

fn subdomain_json(script: &Script) -> Value {
    json!({ "enabled": script.workers_dev, "previews_enabled": script.previews_enabled })
}

async fn get_script_subdomain(State(sim): State<Sim>, script: ScriptPath) -> Reply {
    script.with(&sim, |script, _| Ok(success(subdomain_json(script))))
}

async fn set_script_subdomain(
    State(sim): State<Sim>,
    script: ScriptPath,
    JsonObject(body): JsonObject,
) -> Reply {
    let Some(enabled) = body.get("enabled").and_then(Value::as_bool) else {
        return Err(bad_body("enabled is required and must be a boolean"));
    };
    let previews = body.get("previews_enabled").and_then(Value::as_bool);
    script.with(&sim, |script, subdomain| {
        if enabled && subdomain.is_none() {
            return Err(subdomain_not_found());
        }
        script.workers_dev = enabled;
        script.previews_enabled = previews.unwrap_or(enabled);
        Ok(success(subdomain_json(script)))
    })
}

async fn disable_script_subdomain(State(sim): State<Sim>, script: ScriptPath) -> Reply {
    script.with(&sim, |script, _| {
        script.workers_dev = false;
        script.previews_enabled = false;
        Ok(success(subdomain_json(script)))
    })
}

async fn get_account_subdomain(State(sim): State<Sim>, AccountPath(account): AccountPath) -> Reply {
    sim.with(|w| match &w.account(&account).subdomain {
        Some(subdomain) => Ok(success(json!({ "subdomain": subdomain }))),
        None => Err(subdomain_not_found()),
    })
}

async fn set_account_subdomain(
    State(sim): State<Sim>,
    AccountPath(account): AccountPath,
    JsonObject(body): JsonObject,
) -> Reply {
    let subdomain = body
        .get("subdomain")
        .and_then(Value::as_str)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 63
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .ok_or_else(|| bad_body("subdomain must be 1-63 lowercase letters, digits or dashes"))?
        .to_owned();
    sim.with(|w| {
        w.account(&account).subdomain = Some(subdomain.clone());
        Ok(success(json!({ "subdomain": subdomain })))
    })
}

// ---- routes -----------------------------------------------------------------------

/// The host of a route pattern must be the zone or under it.
fn pattern_in_zone(pattern: &str, zone: &str) -> bool {
    let without_scheme = pattern
        .strip_prefix("https://")
        .or_else(|| pattern.strip_prefix("http://"))
        .unwrap_or(pattern);
    let host = without_scheme.split('/').next().unwrap_or("");
    let host = host.trim_start_matches('*').trim_start_matches('.');
    host == zone || host.ends_with(&format!(".{zone}"))
}

/// Check a route body against the zone; `except` is the route being replaced.
fn checked_route(
    sim: &Sim,
    zone: &ZonePath,
    body: &Map<String, Value>,
    except: Option<&str>,
) -> Result<(String, Option<String>), CfError> {
    let Some(pattern) = body
        .get("pattern")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
    else {
        return Err(bad_body("pattern is required"));
    };
    if !pattern_in_zone(pattern, &zone.name) {
        return Err(failure(
            StatusCode::BAD_REQUEST,
            PATTERN_OUTSIDE_ZONE,
            &format!("Route pattern must include zone name: {pattern}"),
        ));
    }
    let script = body
        .get("script")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty());
    sim.with(|w| {
        if let Some(script) = script
            && !w.accounts.values().any(|a| a.scripts.contains_key(script))
        {
            return Err(failure(
                StatusCode::BAD_REQUEST,
                ROUTE_SCRIPT_MISSING,
                "Cannot configure a route for a Worker which does not exist. Please ensure this Worker exists and try again.",
            ));
        }
        let taken = w.zones.get(&zone.id).is_some_and(|z| {
            z.routes
                .iter()
                .any(|r| r.pattern == pattern && Some(r.id.as_str()) != except)
        });
        if taken {
            return Err(failure(
                StatusCode::CONFLICT,
                DUPLICATE_ROUTE,
                "workers.api.error.duplicate_route",
            ));
        }
        Ok((pattern.to_owned(), script.map(str::to_owned)))
    })
}

async fn list_routes(State(sim): State<Sim>, zone: ZonePath) -> Reply {
    sim.with(|w| {
        let routes = w
            .zones
            .get(&zone.id)
            .map(|z| z.routes.iter().map(Route::to_json).collect())
            .unwrap_or_default();
        Ok(success(Value::Array(routes)))
    })
}

async fn create_route(
    State(sim): State<Sim>,
    zone: ZonePath,
    JsonObject(body): JsonObject,
) -> Reply {
    let (pattern, script) = checked_route(&sim, &zone, &body, None)?;
    sim.with(|w| {
        let route = Route {
            id: w.ids.cloudflare_id(),
            pattern,
            script,
        };
        let described = route.to_json();
        if let Some(zone) = w.zones.get_mut(&zone.id) {
            zone.routes.push(route);
        }
        Ok(success(described))
    })
}

async fn get_route(State(sim): State<Sim>, route: RoutePath) -> Reply {
    route.with(&sim, |zone, index| {
        Ok(success(zone.routes[index].to_json()))
    })
}

async fn update_route(
    State(sim): State<Sim>,
    path: RoutePath,
    JsonObject(body): JsonObject,
) -> Reply {
    path.with(&sim, |_, _| Ok(()))?;
    let (pattern, script) = checked_route(&sim, &path.zone, &body, Some(&path.id))?;
    path.with(&sim, |zone, index| {
        let route = &mut zone.routes[index];
        route.pattern = pattern;
        route.script = script;
        Ok(success(route.to_json()))
    })
}

async fn delete_route(State(sim): State<Sim>, path: RoutePath) -> Reply {
    path.with(&sim, |zone, index| {
        zone.routes.remove(index);
        Ok(success(json!({ "id": path.id })))
    })
}

#[cfg(test)]
mod tests;
