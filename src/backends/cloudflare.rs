//! Cloudflare v4 API for Workers: upload a script as an ES module with its bindings, read
//! its content and settings back, delete it; turn its workers.dev subdomain on or off and
//! read the account's subdomain; and Worker routes on a zone (list, get, create —
//! adopting our own duplicate —, update, delete).
//!
//! Every answer is Cloudflare's envelope `{success, errors, messages, result}`; errors
//! are quoted with their codes, e.g. `code 10007: This Worker does not exist on your
//! account.`. Secret binding values go into the upload and nowhere else.
//!
//! Pages (direct upload, domains) and Access (applications and their policies) are
//! further `impl Cloudflare` blocks in [`pages`] and [`access`], on the same client.

use super::http::{ApiClient, Part, Reply, Request, RetryPolicy, segment};
use super::{BackendError, Cloud};
use crate::config::{ProviderConfig, Secret};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use tokio_util::sync::CancellationToken;

pub mod access;
pub mod pages;

/// The public Cloudflare API.
pub const DEFAULT_ENDPOINT: &str = "https://api.cloudflare.com/client/v4";

/// Content type of an ES module part.
pub const MODULE_CONTENT_TYPE: &str = "application/javascript+module";

/// The service name in errors; [`super::Cloud::of_service`] maps it back to the cloud.
pub(crate) const SERVICE: &str = "Cloudflare";

/// "No route for that URI": a wrong endpoint, never a missing object.
const NO_ROUTE: i64 = 7000;
/// A route pattern already used on the zone.
const DUPLICATE_ROUTE: i64 = 10020;

#[derive(Debug, Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
    #[serde(default)]
    error_chain: Vec<ErrorItem>,
}

impl ErrorItem {
    fn render(&self) -> String {
        let mut text = format!("code {}: {}", self.code, self.message);
        if !self.error_chain.is_empty() {
            let chain: Vec<String> = self.error_chain.iter().map(ErrorItem::render).collect();
            text.push_str(&format!(" ({})", chain.join("; ")));
        }
        text
    }
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ErrorItem>,
    result: Option<T>,
}

fn error_items(body: &[u8]) -> Vec<ErrorItem> {
    serde_json::from_slice::<Envelope<Value>>(body)
        .map(|e| e.errors)
        .unwrap_or_default()
}

/// Reads Cloudflare's envelope errors as `code N: message`, `; `-separated.
pub fn decode_error(body: &[u8]) -> Option<String> {
    let items = error_items(body);
    (!items.is_empty()).then(|| {
        items
            .iter()
            .map(ErrorItem::render)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The error codes of a failed envelope.
fn error_codes(reply: &Reply) -> Vec<i64> {
    error_items(&reply.body).iter().map(|e| e.code).collect()
}

/// A Worker to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptUpload {
    /// Script name (the planner's `<environment>-<name>`).
    pub name: String,
    /// Name of the module part, e.g. `index.js`.
    pub main_module: String,
    /// The ES module source.
    pub source: String,
    /// Workers runtime compatibility date, `YYYY-MM-DD`.
    pub compatibility_date: String,
    /// CPU limit per request, ms, when above the default.
    pub cpu_ms: Option<u32>,
    /// Plain-text bindings (environment variables).
    pub env: BTreeMap<String, String>,
    /// Secret bindings with their values.
    pub secrets: BTreeMap<String, Secret>,
    /// Keep the secrets already set on the Worker (`wrangler secret put`) that `secrets`
    /// does not name; otherwise an upload drops them.
    pub keep_existing_secrets: bool,
}

impl ScriptUpload {
    fn metadata(&self) -> Value {
        let mut bindings: Vec<Value> = self
            .env
            .iter()
            .map(|(name, text)| json!({ "type": "plain_text", "name": name, "text": text }))
            .collect();
        bindings.extend(self.secrets.iter().map(
            |(name, value)| json!({ "type": "secret_text", "name": name, "text": value.expose() }),
        ));
        let mut metadata = json!({
            "main_module": self.main_module,
            "compatibility_date": self.compatibility_date,
            "bindings": bindings,
        });
        if self.keep_existing_secrets {
            metadata["keep_bindings"] = json!(["secret_text"]);
        }
        if let Some(ms) = self.cpu_ms {
            metadata["limits"] = json!({ "cpu_ms": ms });
        }
        metadata
    }

    fn parts(&self) -> Vec<Part> {
        vec![
            Part {
                name: "metadata".to_string(),
                filename: None,
                content_type: "application/json".to_string(),
                bytes: self.metadata().to_string().into_bytes(),
            },
            Part {
                name: self.main_module.clone(),
                filename: Some(self.main_module.clone()),
                content_type: MODULE_CONTENT_TYPE.to_string(),
                bytes: self.source.clone().into_bytes(),
            },
        ]
    }
}

/// An uploaded Worker, as the upload answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScriptInfo {
    /// Script name.
    pub id: String,
    /// Content fingerprint.
    #[serde(default)]
    pub etag: String,
    /// Last upload time.
    #[serde(default)]
    pub modified_on: String,
}

/// One binding of a Worker, secret values left out by the API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Binding {
    /// `plain_text`, `secret_text`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Name the script sees.
    pub name: String,
    /// The value of a `plain_text` binding.
    #[serde(default)]
    pub text: Option<String>,
}

/// A Worker's settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ScriptSettings {
    /// Every binding.
    #[serde(default)]
    pub bindings: Vec<Binding>,
    /// Compatibility date.
    #[serde(default)]
    pub compatibility_date: Option<String>,
}

impl ScriptSettings {
    /// The plain-text bindings, as environment variables.
    pub fn env(&self) -> BTreeMap<String, String> {
        self.bindings
            .iter()
            .filter(|b| b.kind == "plain_text")
            .map(|b| (b.name.clone(), b.text.clone().unwrap_or_default()))
            .collect()
    }

    /// The names of the secret bindings.
    pub fn secret_names(&self) -> BTreeSet<String> {
        self.bindings
            .iter()
            .filter(|b| b.kind == "secret_text")
            .map(|b| b.name.clone())
            .collect()
    }
}

/// A Worker route on a zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Route {
    /// Route ID.
    pub id: String,
    /// URL pattern, e.g. `prod-api.example.com/*`.
    pub pattern: String,
    /// Script it runs, if any.
    #[serde(default)]
    pub script: Option<String>,
}

#[derive(Deserialize)]
struct Subdomain {
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    subdomain: Option<String>,
}

/// A client of the Cloudflare API for one account.
#[derive(Debug, Clone)]
pub struct Cloudflare {
    api: ApiClient,
    account_id: String,
}

impl Cloudflare {
    /// A client at `endpoint` (default [`DEFAULT_ENDPOINT`]; the simulator's is
    /// `http://127.0.0.1:PORT/cloudflare/client/v4`) for `account_id`.
    pub fn new(
        endpoint: Option<&str>,
        token: Option<&Secret>,
        account_id: Option<&str>,
    ) -> Result<Self, BackendError> {
        let token = token.cloned().ok_or_else(|| BackendError::Config {
            cloud: Cloud::Cloudflare,
            message: "no Cloudflare API token: set `CLOUDFLARE_API_TOKEN` (a token with the Workers Scripts and Workers Routes edit permissions) or `api_token` in the provider's `cloudflare` block".to_string(),
        })?;
        let account_id = account_id
            .filter(|a| !a.is_empty())
            .ok_or_else(|| BackendError::Config {
                cloud: Cloud::Cloudflare,
                message: "no Cloudflare account: set `CLOUDFLARE_ACCOUNT_ID` or `account_id` in the provider's `cloudflare` block (the ID is on the dashboard's Workers overview)".to_string(),
            })?;
        let api = ApiClient::new(
            SERVICE,
            endpoint.unwrap_or(DEFAULT_ENDPOINT),
            token,
            decode_error,
            "check the Cloudflare API token (`CLOUDFLARE_API_TOKEN` or the provider's `cloudflare { api_token }`): it needs Workers Scripts and Workers Routes edit permissions on this account and zone",
        )?;
        Ok(Self {
            api,
            account_id: account_id.to_string(),
        })
    }

    /// A client from the provider block: endpoint override, token, account.
    pub fn from_config(config: &ProviderConfig) -> Result<Self, BackendError> {
        Self::new(
            config.endpoints.cloudflare.as_deref(),
            config.cloudflare.api_token.as_ref(),
            config.cloudflare.account_id.as_deref(),
        )
    }

    /// The same client with another retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// The account Workers go to.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    fn script_path(&self, name: &str) -> String {
        format!(
            "/accounts/{}/workers/scripts/{}",
            segment(&self.account_id),
            segment(name)
        )
    }

    fn routes_path(zone_id: &str) -> String {
        format!("/zones/{}/workers/routes", segment(zone_id))
    }

    /// A 404 about the object, not about the URL (a wrong endpoint answers code 7000).
    fn not_found(reply: &Reply) -> bool {
        reply.status == StatusCode::NOT_FOUND && !error_codes(reply).contains(&NO_ROUTE)
    }

    /// The `result` of a successful envelope.
    fn result<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        reply: &Reply,
    ) -> Result<T, BackendError> {
        if !reply.is_success() {
            return Err(self.api.error(operation, reply));
        }
        let envelope: Envelope<T> = self.api.decode(operation, reply)?;
        match envelope.result {
            Some(result) if envelope.success => Ok(result),
            _ => Err(self.api.error(operation, reply)),
        }
    }

    /// Sends and reads the envelope's result; `None` when the object does not exist.
    async fn find<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        req: &Request,
    ) -> Result<Option<T>, BackendError> {
        let reply = self.api.send(cancel, req).await?;
        if Self::not_found(&reply) {
            return Ok(None);
        }
        self.result(req.operation(), &reply).map(Some)
    }

    /// Sends and reads the envelope's result.
    async fn fetch<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        req: &Request,
    ) -> Result<T, BackendError> {
        let reply = self.api.send(cancel, req).await?;
        self.result(req.operation(), &reply)
    }

    /// Sends a delete; an object already gone counts as deleted.
    async fn remove(&self, cancel: &CancellationToken, req: &Request) -> Result<(), BackendError> {
        let reply = self.api.send(cancel, req).await?;
        if reply.is_success() || Self::not_found(&reply) {
            Ok(())
        } else {
            Err(self.api.error(req.operation(), &reply))
        }
    }

    // ---- scripts ---------------------------------------------------------------------

    /// Uploads (creates or replaces) the Worker as an ES module. An upload replaces the
    /// script whole, so a retry after a lost answer is harmless.
    pub async fn upload_script(
        &self,
        cancel: &CancellationToken,
        script: &ScriptUpload,
    ) -> Result<ScriptInfo, BackendError> {
        let req = Request::put("UploadWorkerScript", self.script_path(&script.name))
            .multipart(script.parts());
        self.fetch(cancel, &req).await
    }

    /// The Worker's main module source, or `None` when the Worker does not exist.
    pub async fn script_content(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<String>, BackendError> {
        let req = Request::get(
            "GetWorkerScriptContent",
            format!("{}/content/v2", self.script_path(name)),
        );
        let reply = self.api.send(cancel, &req).await?;
        if Self::not_found(&reply) {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(self.api.error(req.operation(), &reply));
        }
        Ok(Some(reply.text()))
    }

    /// The Worker's bindings and compatibility date, or `None` when it does not exist.
    pub async fn script_settings(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<ScriptSettings>, BackendError> {
        let req = Request::get(
            "GetWorkerScriptSettings",
            format!("{}/settings", self.script_path(name)),
        );
        self.find(cancel, &req).await
    }

    /// Deletes the Worker; one already gone counts as deleted.
    pub async fn delete_script(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete("DeleteWorkerScript", self.script_path(name));
        self.remove(cancel, &req).await
    }

    // ---- workers.dev -----------------------------------------------------------------

    /// Turns the Worker's `<script>.<account-subdomain>.workers.dev` URL on or off.
    pub async fn set_workers_dev(
        &self,
        cancel: &CancellationToken,
        name: &str,
        enabled: bool,
    ) -> Result<bool, BackendError> {
        let req = Request::post(
            "SetWorkerSubdomain",
            format!("{}/subdomain", self.script_path(name)),
        )
        .json(&json!({ "enabled": enabled, "previews_enabled": enabled }));
        let state: Subdomain = self.fetch(cancel, &req).await?;
        Ok(state.enabled)
    }

    /// Whether the Worker is reachable on workers.dev; `None` when it does not exist.
    pub async fn workers_dev(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<bool>, BackendError> {
        let req = Request::get(
            "GetWorkerSubdomain",
            format!("{}/subdomain", self.script_path(name)),
        );
        Ok(self
            .find::<Subdomain>(cancel, &req)
            .await?
            .map(|s| s.enabled))
    }

    /// The account's `<name>.workers.dev` subdomain; `None` when the account has not
    /// registered one (done once, on the dashboard).
    pub async fn account_subdomain(
        &self,
        cancel: &CancellationToken,
    ) -> Result<Option<String>, BackendError> {
        let req = Request::get(
            "GetAccountSubdomain",
            format!("/accounts/{}/workers/subdomain", segment(&self.account_id)),
        );
        Ok(self
            .find::<Subdomain>(cancel, &req)
            .await?
            .and_then(|s| s.subdomain))
    }

    // ---- routes ----------------------------------------------------------------------

    /// Every Worker route on the zone.
    pub async fn list_routes(
        &self,
        cancel: &CancellationToken,
        zone_id: &str,
    ) -> Result<Vec<Route>, BackendError> {
        let req = Request::get("ListWorkerRoutes", Self::routes_path(zone_id));
        self.fetch(cancel, &req).await
    }

    /// The route `id`, or `None` when it does not exist.
    pub async fn get_route(
        &self,
        cancel: &CancellationToken,
        zone_id: &str,
        id: &str,
    ) -> Result<Option<Route>, BackendError> {
        let req = Request::get(
            "GetWorkerRoute",
            format!("{}/{}", Self::routes_path(zone_id), segment(id)),
        );
        self.find(cancel, &req).await
    }

    /// Creates the route. When the pattern is taken already by a route to the same
    /// script (a crashed or retried apply), that route is adopted; a route to another
    /// script is a conflict.
    pub async fn create_route(
        &self,
        cancel: &CancellationToken,
        zone_id: &str,
        pattern: &str,
        script: &str,
    ) -> Result<Route, BackendError> {
        let req = Request::post("CreateWorkerRoute", Self::routes_path(zone_id))
            .json(&json!({ "pattern": pattern, "script": script }));
        let reply = self.api.send(cancel, &req).await?;
        if !error_codes(&reply).contains(&DUPLICATE_ROUTE) {
            return self.result(req.operation(), &reply);
        }
        let existing = self
            .list_routes(cancel, zone_id)
            .await?
            .into_iter()
            .find(|r| r.pattern == pattern);
        match existing {
            Some(route) if route.script.as_deref() == Some(script) => {
                tracing::info!(
                    pattern,
                    "adopting the Worker route a previous apply created"
                );
                Ok(route)
            }
            Some(route) => Err(BackendError::Conflict(format!(
                "The route `{pattern}` already exists on zone `{zone_id}` and runs {}, not `{script}`. Remove or change that route, or choose another service name.",
                route
                    .script
                    .map(|s| format!("the Worker `{s}`"))
                    .unwrap_or_else(|| "no Worker".to_string())
            ))),
            None => Err(self.api.error(req.operation(), &reply)),
        }
    }

    /// Points the route `id` at `pattern` and `script`.
    pub async fn update_route(
        &self,
        cancel: &CancellationToken,
        zone_id: &str,
        id: &str,
        pattern: &str,
        script: &str,
    ) -> Result<Route, BackendError> {
        let req = Request::put(
            "UpdateWorkerRoute",
            format!("{}/{}", Self::routes_path(zone_id), segment(id)),
        )
        .json(&json!({ "pattern": pattern, "script": script }));
        self.fetch(cancel, &req).await
    }

    /// Deletes the route; one already gone counts as deleted.
    pub async fn delete_route(
        &self,
        cancel: &CancellationToken,
        zone_id: &str,
        id: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete(
            "DeleteWorkerRoute",
            format!("{}/{}", Self::routes_path(zone_id), segment(id)),
        );
        self.remove(cancel, &req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_errors_are_quoted_with_their_codes() {
        let cases = [
            (
                r#"{"success":false,"errors":[{"code":10007,"message":"workers.api.error.script_not_found"}],"messages":[],"result":null}"#,
                Some("code 10007: workers.api.error.script_not_found"),
            ),
            (
                r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}]}"#,
                Some(
                    "code 6003: Invalid request headers (code 6111: Invalid format for Authorization header)",
                ),
            ),
            (
                r#"{"success":false,"errors":[{"code":7003,"message":"Could not route"},{"code":7000,"message":"No route for that URI"}]}"#,
                Some("code 7003: Could not route; code 7000: No route for that URI"),
            ),
            (r#"{"success":true,"errors":[],"result":{}}"#, None),
            ("<html>", None),
        ];
        for (body, want) in cases {
            assert_eq!(decode_error(body.as_bytes()).as_deref(), want, "{body}");
        }
    }

    fn upload() -> ScriptUpload {
        ScriptUpload {
            name: "prod-edge".into(),
            main_module: "index.js".into(),
            source: "export default {}".into(),
            compatibility_date: "2025-01-01".into(),
            cpu_ms: None,
            env: BTreeMap::from([("MODE".into(), "prod".into())]),
            secrets: BTreeMap::from([("API_KEY".into(), Secret::new("s3cr3t"))]),
            keep_existing_secrets: true,
        }
    }

    #[test]
    fn an_upload_is_metadata_plus_one_es_module() {
        let parts = upload().parts();
        assert_eq!(parts.len(), 2);
        let metadata: Value = serde_json::from_slice(&parts[0].bytes).unwrap();
        assert_eq!(
            metadata,
            json!({
                "main_module": "index.js",
                "compatibility_date": "2025-01-01",
                "bindings": [
                    {"type": "plain_text", "name": "MODE", "text": "prod"},
                    {"type": "secret_text", "name": "API_KEY", "text": "s3cr3t"},
                ],
                "keep_bindings": ["secret_text"],
            })
        );
        assert_eq!(parts[1].name, "index.js");
        assert_eq!(parts[1].content_type, MODULE_CONTENT_TYPE);
    }

    #[test]
    fn an_upload_never_prints_its_secrets() {
        assert!(!format!("{:?}", upload()).contains("s3cr3t"));
    }

    #[test]
    fn settings_split_env_and_secret_names() {
        let settings: ScriptSettings = serde_json::from_value(json!({
            "bindings": [
                {"type": "plain_text", "name": "MODE", "text": "prod"},
                {"type": "secret_text", "name": "API_KEY"},
            ],
            "compatibility_date": "2025-01-01",
        }))
        .unwrap();
        assert_eq!(
            settings.env(),
            BTreeMap::from([("MODE".to_string(), "prod".to_string())])
        );
        assert_eq!(
            settings.secret_names(),
            BTreeSet::from(["API_KEY".to_string()])
        );
    }

    #[test]
    fn missing_credentials_say_where_to_set_them() {
        let token = Secret::new("t");
        let cases = [
            (None, Some("0123"), "CLOUDFLARE_API_TOKEN"),
            (Some(&token), None, "CLOUDFLARE_ACCOUNT_ID"),
            (Some(&token), Some(""), "CLOUDFLARE_ACCOUNT_ID"),
        ];
        for (token, account, want) in cases {
            let err = Cloudflare::new(None, token, account).unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
    }
}
