//! The simulated Cloudflare Pages API (direct upload): projects, the upload token and
//! the asset store it opens (`/pages/assets/*`), deployments with their manifests,
//! rollback, and custom domains; plus the test controls under `/_sim/pages`.
//!
//! Facts and their sources:
//! - Shapes follow Cloudflare's OpenAPI-generated SDK (`cloudflare-typescript`,
//!   `resources/pages/**`): a project's `subdomain`, `domains`, `canonical_deployment`,
//!   `latest_deployment`, `deployment_configs.{production,preview}.env_vars`; a
//!   deployment's `short_id`, `environment`, `url`, `aliases`, `deployment_trigger`,
//!   `latest_stage`; a domain's `status` (`initializing`, `pending`, `active`,
//!   `deactivated`, `blocked`, `error`), `verification_data`, `validation_data`.
//! - PATCH on a project: "To delete an environment variable, set the key to null"
//!   (API reference, Update project).
//! - Project names match `^[a-z0-9][a-z0-9-]*$` (OpenAPI `pages_project_name`); the
//!   58-character cap is the simulator's reading of the 63-byte DNS label that
//!   `<name>.pages.dev` and `<short_id>.<name>.pages.dev` must fit.
//! - Error codes seen from the real API: 8000007 project not found, 8000002 name taken,
//!   8000013 upload JWT refused (wrangler's `ApiErrorCodes.UNAUTHORIZED`). The other codes
//!   below are the simulator's choices and say so.
//! - Upload limits: 25 MiB per asset and 20,000 files per deployment (Pages limits page,
//!   wrangler's `MAX_ASSET_SIZE` / `MAX_ASSET_COUNT`); keys are wrangler's 32-hex-digit
//!   hashes. Per upload request the simulator holds clients to wrangler's buckets
//!   (`MAX_BUCKET_FILE_COUNT` 2,000 files, `MAX_BUCKET_SIZE` 40 MiB): Cloudflare does not
//!   publish a request limit, so this is the simulator's strictness.
//!
//! The upload token is a JWT the simulator signs with nothing: its payload names the
//! account and project and carries `max_file_count_allowed` as Cloudflare's does; the
//! simulator accepts on `/pages/assets/*` only tokens it issued, and refuses the API token
//! there (`auth.rs` lets those paths through to this module).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::cloudflare::{CfError, failure, success};
use crate::state::{Sim, World};
use crate::{ids, multipart, wire};

/// Handler outcome: the success response or Cloudflare's error envelope.
type Reply = Result<Response, CfError>;

/// A project name that is taken (real).
const NAME_TAKEN: u32 = 8000002;
/// A project that does not exist (real).
const PROJECT_NOT_FOUND: u32 = 8000007;
/// The upload JWT is missing, unknown or not for this API (real code, wrangler's
/// `UNAUTHORIZED`; the message is the simulator's).
const JWT_REFUSED: u32 = 8000013;
/// A deployment that does not exist. The simulator's choice.
const DEPLOYMENT_NOT_FOUND: u32 = 8000009;
/// A domain that does not exist on the project. The simulator's choice.
const DOMAIN_NOT_FOUND: u32 = 8000010;
/// A malformed request: bad name, body, manifest or asset. The simulator's choice.
const INVALID: u32 = 8000011;
/// A domain already on a project. The simulator's choice.
const DOMAIN_TAKEN: u32 = 8000018;
/// Deleting the live production deployment, or rolling back to a preview one. The
/// simulator's choice.
const DEPLOYMENT_REFUSED: u32 = 8000034;

/// Largest asset Pages serves: 25 MiB (Pages limits; wrangler `MAX_ASSET_SIZE`).
pub const MAX_ASSET_BYTES: usize = 25 * 1024 * 1024;
/// Files one deployment may hold on the Free plan (wrangler `MAX_ASSET_COUNT`), also
/// the `max_file_count_allowed` claim of the upload token.
pub const MAX_DEPLOYMENT_FILES: usize = 20_000;
/// Files one `assets/upload` request may carry (wrangler `MAX_BUCKET_FILE_COUNT`).
pub const MAX_UPLOAD_FILES: usize = 2_000;
/// Decoded bytes one `assets/upload` request may carry (wrangler `MAX_BUCKET_SIZE`).
pub const MAX_UPLOAD_BYTES: usize = 40 * 1024 * 1024;
/// Length of an asset key (wrangler's hash: BLAKE3 hex, first 32 digits).
pub const HASH_LEN: usize = 32;
/// Longest project name (see the module docs).
const MAX_NAME_LEN: usize = 58;
/// A 40 MiB bucket grows by a third in base64: room for it above the server's default.
const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Pages state: projects per account, the account-wide asset store, issued upload tokens.
#[derive(Debug, Default)]
pub struct PagesWorld {
    /// Projects by `(account, name)`.
    pub projects: BTreeMap<(String, String), Project>,
    /// Uploaded assets by key (hash) → content type and size.
    pub assets: BTreeMap<String, Asset>,
    /// Upload JWTs issued, with the `(account, project)` they open.
    pub tokens: BTreeMap<String, (String, String)>,
    /// Files accepted by `assets/upload` since the last reset, over all projects.
    pub uploaded_total: u64,
    /// Upload tokens still to be issued already expired (test control), to exercise a
    /// client's refresh.
    pub expire_next: u32,
}

/// One stored asset.
#[derive(Debug, Clone)]
pub struct Asset {
    /// `metadata.contentType` of the upload.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: usize,
}

/// A Pages project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Project ID (UUID).
    pub id: String,
    /// Project name.
    pub name: String,
    /// `<name>.pages.dev`.
    pub subdomain: String,
    /// The branch whose deployments are production.
    pub production_branch: String,
    /// Environment variables of `production` and `preview`: name → `(type, value)`.
    pub env: BTreeMap<&'static str, BTreeMap<String, (String, String)>>,
    /// Deployments, oldest first.
    pub deployments: Vec<Deployment>,
    /// ID of the deployment production serves.
    pub canonical: Option<String>,
    /// Custom domains, in the order added.
    pub domains: Vec<Domain>,
    /// Files `assets/upload` accepted with a token of this project.
    pub assets_uploaded: u64,
    /// Creation time.
    pub created_on: String,
}

/// A deployment of a project.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// Deployment ID (UUID).
    pub id: String,
    /// First 8 hex digits of the ID.
    pub short_id: String,
    /// Branch it was made for.
    pub branch: String,
    /// `production` or `preview`.
    pub environment: &'static str,
    /// Path → asset hash.
    pub manifest: BTreeMap<String, String>,
    /// `commit_message` form field.
    pub commit_message: String,
    /// `commit_hash` form field.
    pub commit_hash: String,
    /// Creation time.
    pub created_on: String,
}

/// A custom domain of a project.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Domain ID (UUID).
    pub id: String,
    /// Host name.
    pub name: String,
    /// ID of the configured zone the host is under, if any.
    pub zone_tag: Option<String>,
    /// Creation time.
    pub created_on: String,
}

impl Domain {
    /// `active` at once under a configured zone (Cloudflare provisions the CNAME and the
    /// certificate itself there); `pending` otherwise, until the owner adds the CNAME —
    /// which never happens in the simulator. The simulator's choice of timing.
    fn status(&self) -> &'static str {
        if self.zone_tag.is_some() {
            "active"
        } else {
            "pending"
        }
    }

    fn to_json(&self) -> Value {
        let status = self.status();
        json!({
            "id": self.id,
            "domain_id": self.id,
            "name": self.name,
            "status": status,
            "certificate_authority": "google",
            "verification_data": { "status": status },
            "validation_data": { "status": status, "method": "http" },
            "zone_tag": self.zone_tag.clone().unwrap_or_default(),
            "created_on": self.created_on,
        })
    }
}

impl Project {
    fn deployment_json(&self, d: &Deployment) -> Value {
        let aliases = if d.environment == "preview" {
            json!([format!(
                "https://{}.{}",
                branch_alias(&d.branch),
                self.subdomain
            )])
        } else {
            Value::Null
        };
        json!({
            "id": d.id,
            "short_id": d.short_id,
            "project_id": self.id,
            "project_name": self.name,
            "environment": d.environment,
            "url": format!("https://{}.{}", d.short_id, self.subdomain),
            "aliases": aliases,
            "created_on": d.created_on,
            "modified_on": d.created_on,
            "is_skipped": false,
            "deployment_trigger": {
                "type": "ad_hoc",
                "metadata": {
                    "branch": d.branch,
                    "commit_message": d.commit_message,
                    "commit_hash": d.commit_hash,
                    "commit_dirty": false,
                },
            },
            "latest_stage": {
                "name": "deploy", "status": "success",
                "started_on": d.created_on, "ended_on": d.created_on,
            },
            "stages": [
                { "name": "queued", "status": "success", "started_on": d.created_on, "ended_on": d.created_on },
                { "name": "deploy", "status": "success", "started_on": d.created_on, "ended_on": d.created_on },
            ],
            "env_vars": self.env_json(d.environment),
            "build_config": {},
            "source": null,
        })
    }

    /// Env vars as the API shows them: secret values left out.
    fn env_json(&self, environment: &str) -> Value {
        let vars: Map<String, Value> = self
            .env
            .get(environment)
            .into_iter()
            .flatten()
            .map(|(name, (kind, value))| {
                let shown = if kind == "secret_text" {
                    json!({ "type": kind })
                } else {
                    json!({ "type": kind, "value": value })
                };
                (name.clone(), shown)
            })
            .collect();
        Value::Object(vars)
    }

    fn to_json(&self) -> Value {
        let canonical = self
            .canonical
            .as_ref()
            .and_then(|id| self.deployments.iter().find(|d| &d.id == id))
            .map(|d| self.deployment_json(d));
        let latest = self.deployments.last().map(|d| self.deployment_json(d));
        let config = |env: &str| {
            json!({
                "env_vars": self.env_json(env),
                "compatibility_date": "2024-01-01",
                "compatibility_flags": [],
                "always_use_latest_compatibility_date": false,
                "fail_open": true,
                "usage_model": "standard",
            })
        };
        json!({
            "id": self.id,
            "name": self.name,
            "subdomain": self.subdomain,
            "domains": self.domains.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
            "production_branch": self.production_branch,
            "deployment_configs": { "production": config("production"), "preview": config("preview") },
            "build_config": {},
            "source": null,
            "canonical_deployment": canonical,
            "latest_deployment": latest,
            "created_on": self.created_on,
            "framework": "",
            "framework_version": "",
            "uses_functions": false,
        })
    }
}

impl PagesWorld {
    /// A JSON dump for `/_sim/state` (secret values redacted, manifests left out).
    pub fn dump(&self) -> Value {
        json!({
            "projects": self.projects.iter().map(|((account, _), p)| json!({
                "account": account,
                "name": p.name,
                "production_branch": p.production_branch,
                "domains": p.domains.iter().map(|d| json!({"name": d.name, "status": d.status()})).collect::<Vec<_>>(),
                "deployments": p.deployments.len(),
                "canonical_deployment": p.canonical,
                "assets_uploaded": p.assets_uploaded,
            })).collect::<Vec<_>>(),
            "assets": self.assets.len(),
            "asset_bytes": self.assets.values().map(|a| a.size).sum::<usize>(),
            "uploaded_total": self.uploaded_total,
        })
    }
}

/// Whether `path` (below the Cloudflare prefix or with it) is one of the asset
/// endpoints that take the upload JWT instead of the API token.
pub fn is_asset_path(path: &str) -> bool {
    path.contains("/pages/assets/")
}

/// The Pages routes, relative to `/client/v4`.
pub fn router() -> Router<Sim> {
    let project = "/accounts/{account}/pages/projects/{project}";
    Router::new()
        .route(
            "/accounts/{account}/pages/projects",
            get(list_projects).post(create_project),
        )
        .route(
            project,
            get(get_project)
                .patch(update_project)
                .delete(delete_project),
        )
        .route(&format!("{project}/upload-token"), get(upload_token))
        .route(
            &format!("{project}/deployments"),
            get(list_deployments).post(create_deployment),
        )
        .route(
            &format!("{project}/deployments/{{id}}"),
            get(get_deployment).delete(delete_deployment),
        )
        .route(
            &format!("{project}/deployments/{{id}}/rollback"),
            post(rollback),
        )
        .route(
            &format!("{project}/domains"),
            get(list_domains).post(add_domain),
        )
        .route(
            &format!("{project}/domains/{{domain}}"),
            get(get_domain).patch(retry_domain).delete(delete_domain),
        )
        .route("/pages/assets/check-missing", post(check_missing))
        .route(
            "/pages/assets/upload",
            post(upload_assets).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/pages/assets/upsert-hashes", post(upsert_hashes))
}

/// The test controls, relative to `/_sim`.
///
/// `GET /_sim/pages/accounts/{account}/projects/{project}`: the project's deployments
/// with their manifests (path → hash) and each path's stored content type, which one is
/// canonical, and `assets_uploaded` (files `assets/upload` accepted with this project's
/// tokens); `uploaded_total` counts all projects. `POST /_sim/pages/expire-next-token`:
/// the next upload token is issued already expired.
pub fn control_router() -> Router<Sim> {
    Router::new()
        .route(
            "/pages/accounts/{account}/projects/{project}",
            get(control_project),
        )
        .route("/pages/expire-next-token", post(expire_next_token))
}

/// `POST /_sim/pages/expire-next-token`: the next upload token issued is already
/// expired, so the first asset call made with it is refused with 401 code 8000013.
async fn expire_next_token(State(sim): State<Sim>) -> Response {
    let pending = sim.with(|w| {
        w.pages.expire_next += 1;
        w.pages.expire_next
    });
    wire::json(StatusCode::OK, &json!({ "expire_next": pending }))
}

async fn control_project(
    State(sim): State<Sim>,
    Path((account, project)): Path<(String, String)>,
) -> Response {
    sim.with(|w| match w.pages.projects.get(&(account, project)) {
        Some(p) => wire::json(
            StatusCode::OK,
            &json!({
                "name": p.name,
                "production_branch": p.production_branch,
                "canonical_deployment": p.canonical,
                "assets_uploaded": p.assets_uploaded,
                "uploaded_total": w.pages.uploaded_total,
                "deployments": p.deployments.iter().map(|d| json!({
                    "id": d.id,
                    "branch": d.branch,
                    "environment": d.environment,
                    "manifest": d.manifest,
                    "content_types": d.manifest.iter().map(|(path, hash)| {
                        let kind = w.pages.assets.get(hash).map(|a| a.content_type.clone());
                        (path.clone(), json!(kind))
                    }).collect::<Map<String, Value>>(),
                })).collect::<Vec<_>>(),
            }),
        ),
        None => wire::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "no such Pages project" }),
        ),
    })
}

// ---- helpers ----------------------------------------------------------------------

fn invalid(message: impl AsRef<str>) -> CfError {
    failure(StatusCode::BAD_REQUEST, INVALID, message.as_ref())
}

fn project_not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        PROJECT_NOT_FOUND,
        "Project not found. The specified project name does not match any of your existing projects.",
    )
}

fn deployment_not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        DEPLOYMENT_NOT_FOUND,
        "The deployment ID you have specified does not exist. Update the deployment ID and try again.",
    )
}

fn domain_not_found() -> CfError {
    failure(
        StatusCode::NOT_FOUND,
        DOMAIN_NOT_FOUND,
        "The custom domain you have specified does not exist on this project.",
    )
}

/// Account IDs are 32 hex digits; anything else does not route (code 7003, as
/// `cloudflare.rs` answers).
fn check_account(account: &str) -> Result<(), CfError> {
    if account.len() == 32 && account.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(failure(
            StatusCode::BAD_REQUEST,
            7003,
            &format!(
                "Could not route to /client/v4/accounts/{account}/pages/projects, perhaps your object identifier is invalid?"
            ),
        ))
    }
}

fn json_object(body: &[u8]) -> Result<Map<String, Value>, CfError> {
    match wire::json_body(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid("the request body must be a JSON object")),
        Err(e) => Err(invalid(format!(
            "could not parse the request body as JSON: {e}"
        ))),
    }
}

/// A UUID-shaped identifier.
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

/// The alias label of a preview branch: lowercase, non-alphanumerics as `-`.
fn branch_alias(branch: &str) -> String {
    branch
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn check_name(name: &str) -> Result<(), CfError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.bytes().next().is_some_and(|b| b != b'-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "Invalid project name \"{name}\": use 1-{MAX_NAME_LEN} lowercase letters, digits and dashes, not starting with a dash"
        )))
    }
}

/// Apply `deployment_configs` from a create or PATCH body: each environment's
/// `env_vars` entries set (`{type, value}`) or, when `null`, remove a variable.
fn apply_configs(
    env: &mut BTreeMap<&'static str, BTreeMap<String, (String, String)>>,
    configs: Option<&Value>,
) -> Result<(), CfError> {
    let Some(configs) = configs.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let configs = configs
        .as_object()
        .ok_or_else(|| invalid("deployment_configs must be an object"))?;
    for environment in ["production", "preview"] {
        let Some(vars) = configs
            .get(environment)
            .and_then(|c| c.get("env_vars"))
            .filter(|v| !v.is_null())
        else {
            continue;
        };
        let vars = vars.as_object().ok_or_else(|| {
            invalid(format!(
                "deployment_configs.{environment}.env_vars must be an object"
            ))
        })?;
        let target = env.entry(environment).or_default();
        for (name, var) in vars {
            if var.is_null() {
                target.remove(name);
                continue;
            }
            let kind = var
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("plain_text");
            if !matches!(kind, "plain_text" | "secret_text") {
                return Err(invalid(format!(
                    "env var {name}: type must be plain_text or secret_text"
                )));
            }
            let Some(value) = var.get("value").and_then(Value::as_str) else {
                return Err(invalid(format!("env var {name}: value must be a string")));
            };
            target.insert(name.clone(), (kind.to_owned(), value.to_owned()));
        }
    }
    Ok(())
}

/// Run `f` on the project, or answer that it does not exist.
fn with_project<R>(
    sim: &Sim,
    account: &str,
    name: &str,
    f: impl FnOnce(&mut Project, &mut World) -> Result<R, CfError>,
) -> Result<R, CfError> {
    check_account(account)?;
    sim.with(|w| {
        let key = (account.to_owned(), name.to_owned());
        let mut project = w
            .pages
            .projects
            .remove(&key)
            .ok_or_else(project_not_found)?;
        let outcome = f(&mut project, w);
        w.pages.projects.insert(key, project);
        outcome
    })
}

// ---- projects ---------------------------------------------------------------------

async fn list_projects(State(sim): State<Sim>, Path(account): Path<String>) -> Reply {
    check_account(&account)?;
    sim.with(|w| {
        let projects: Vec<Value> = w
            .pages
            .projects
            .iter()
            .filter(|((a, _), _)| *a == account)
            .map(|(_, p)| p.to_json())
            .collect();
        let count = projects.len();
        Ok(paged(Value::Array(projects), count))
    })
}

/// A success envelope with Cloudflare's `result_info` for a one-page list.
fn paged(result: Value, count: usize) -> Response {
    wire::json(
        StatusCode::OK,
        &json!({
            "success": true, "errors": [], "messages": [], "result": result,
            "result_info": { "page": 1, "per_page": count.max(25), "count": count, "total_count": count, "total_pages": 1 },
        }),
    )
}

async fn create_project(State(sim): State<Sim>, Path(account): Path<String>, body: Bytes) -> Reply {
    check_account(&account)?;
    let body = json_object(&body)?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("name is required"))?
        .to_owned();
    check_name(&name)?;
    let production_branch = body
        .get("production_branch")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| invalid("production_branch is required"))?
        .to_owned();
    let mut env = BTreeMap::new();
    apply_configs(&mut env, body.get("deployment_configs"))?;
    sim.with(|w| {
        let key = (account.clone(), name.clone());
        if w.pages.projects.contains_key(&key) {
            return Err(failure(
                StatusCode::CONFLICT,
                NAME_TAKEN,
                "A project with this name already exists. Choose a different project name.",
            ));
        }
        let project = Project {
            id: uuid(w),
            subdomain: format!("{name}.pages.dev"),
            name,
            production_branch,
            env,
            deployments: Vec::new(),
            canonical: None,
            domains: Vec::new(),
            assets_uploaded: 0,
            created_on: ids::cloudflare_timestamp(),
        };
        let shown = project.to_json();
        w.pages.projects.insert(key, project);
        Ok(success(shown))
    })
}

async fn get_project(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| Ok(success(p.to_json())))
}

async fn update_project(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let body = json_object(&body)?;
    let branch = match body.get("production_branch") {
        None | Some(Value::Null) => None,
        Some(Value::String(b)) if !b.is_empty() => Some(b.clone()),
        Some(_) => return Err(invalid("production_branch must be a non-empty string")),
    };
    with_project(&sim, &account, &name, |p, _| {
        let mut env = p.env.clone();
        apply_configs(&mut env, body.get("deployment_configs"))?;
        p.env = env;
        if let Some(branch) = branch {
            p.production_branch = branch;
        }
        Ok(success(p.to_json()))
    })
}

async fn delete_project(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
) -> Reply {
    check_account(&account)?;
    sim.with(|w| match w.pages.projects.remove(&(account, name)) {
        Some(_) => Ok(success(Value::Null)),
        None => Err(project_not_found()),
    })
}

// ---- upload token and assets ------------------------------------------------------

async fn upload_token(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |_, w| {
        let exp = chrono::Utc::now().timestamp() + 300;
        let header = base64url(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = base64url(
            json!({
                "account_id": account,
                "project_name": name,
                "max_file_count_allowed": MAX_DEPLOYMENT_FILES,
                "exp": exp,
                "jti": w.ids.cloudflare_id(),
            })
            .to_string()
            .as_bytes(),
        );
        let signature = ids::fingerprint(&[header.as_bytes(), payload.as_bytes()]);
        let jwt = format!("{header}.{payload}.{signature}");
        if w.pages.expire_next > 0 {
            // Issued expired: the asset endpoints refuse it as they refuse an old token.
            w.pages.expire_next -= 1;
        } else {
            w.pages
                .tokens
                .insert(jwt.clone(), (account.clone(), name.clone()));
        }
        Ok(success(json!({ "jwt": jwt })))
    })
}

/// The `(account, project)` an asset request's JWT opens, or Cloudflare's refusal.
fn jwt_scope(sim: &Sim, headers: &HeaderMap) -> Result<(String, String), CfError> {
    let refused = || {
        failure(
            StatusCode::UNAUTHORIZED,
            JWT_REFUSED,
            "Authorization failed: the assets API takes the upload JWT from the project's upload-token endpoint as the bearer token",
        )
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_owned())
        .ok_or_else(refused)?;
    sim.with(|w| w.pages.tokens.get(&token).cloned())
        .ok_or_else(refused)
}

fn hashes(body: &[u8]) -> Result<Vec<String>, CfError> {
    let body = json_object(body)?;
    let list = body
        .get("hashes")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("hashes must be a list of strings"))?;
    list.iter()
        .map(|h| {
            h.as_str()
                .filter(|h| valid_hash(h))
                .map(str::to_owned)
                .ok_or_else(|| invalid(format!("invalid hash {h}: expected {HASH_LEN} hex digits")))
        })
        .collect()
}

fn valid_hash(h: &str) -> bool {
    h.len() == HASH_LEN && h.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn check_missing(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Reply {
    jwt_scope(&sim, &headers)?;
    let wanted = hashes(&body)?;
    let missing: Vec<String> = sim.with(|w| {
        wanted
            .into_iter()
            .filter(|h| !w.pages.assets.contains_key(h))
            .collect()
    });
    Ok(success(json!(missing)))
}

async fn upload_assets(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Reply {
    let (account, project) = jwt_scope(&sim, &headers)?;
    let items = match wire::json_body(&body) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return Err(invalid("the request body must be a JSON array of assets")),
        Err(e) => {
            return Err(invalid(format!(
                "could not parse the request body as JSON: {e}"
            )));
        }
    };
    if items.len() > MAX_UPLOAD_FILES {
        return Err(invalid(format!(
            "one upload request may carry at most {MAX_UPLOAD_FILES} files; this one has {}",
            items.len()
        )));
    }
    let mut accepted = Vec::with_capacity(items.len());
    let mut total = 0usize;
    for item in &items {
        let key = item
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| valid_hash(k))
            .ok_or_else(|| invalid(format!("every asset needs a key of {HASH_LEN} hex digits")))?;
        let value = item
            .get("value")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(format!("asset {key}: value must be a string")))?;
        let size = if item.get("base64").and_then(Value::as_bool) == Some(true) {
            base64_decoded_len(value)
                .ok_or_else(|| invalid(format!("asset {key}: value is not valid base64")))?
        } else {
            value.len()
        };
        if size > MAX_ASSET_BYTES {
            return Err(invalid(format!(
                "asset {key} is {size} bytes; Pages only supports files up to 25 MiB"
            )));
        }
        total += size;
        let content_type = item
            .pointer("/metadata/contentType")
            .and_then(Value::as_str)
            .unwrap_or("application/octet-stream")
            .to_owned();
        accepted.push((key.to_owned(), Asset { content_type, size }));
    }
    if total > MAX_UPLOAD_BYTES {
        return Err(invalid(format!(
            "one upload request may carry at most {MAX_UPLOAD_BYTES} bytes of files; this one has {total}"
        )));
    }
    sim.with(|w| {
        let count = accepted.len() as u64;
        w.pages.assets.extend(accepted);
        w.pages.uploaded_total += count;
        if let Some(p) = w.pages.projects.get_mut(&(account, project)) {
            p.assets_uploaded += count;
        }
    });
    Ok(success(Value::Null))
}

async fn upsert_hashes(State(sim): State<Sim>, headers: HeaderMap, body: Bytes) -> Reply {
    jwt_scope(&sim, &headers)?;
    let wanted = hashes(&body)?;
    let unknown = sim.with(|w| {
        wanted
            .iter()
            .find(|h| !w.pages.assets.contains_key(*h))
            .cloned()
    });
    match unknown {
        Some(h) => Err(invalid(format!("asset {h} was never uploaded"))),
        None => Ok(success(Value::Null)),
    }
}

// ---- deployments ------------------------------------------------------------------

/// The form fields of a deployment, checked.
struct DeploymentForm {
    manifest: BTreeMap<String, String>,
    branch: Option<String>,
    commit_message: String,
    commit_hash: String,
}

fn parse_deployment(headers: &HeaderMap, body: &[u8]) -> Result<DeploymentForm, CfError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = match multipart::form_data_boundary(content_type) {
        Some(Ok(boundary)) => boundary,
        Some(Err(e)) => return Err(invalid(format!("could not parse multipart body: {e}"))),
        None => return Err(invalid("a deployment is a multipart/form-data upload")),
    };
    let parts = multipart::parse(body, &boundary)
        .map_err(|e| invalid(format!("could not parse multipart body: {e}")))?;
    let field = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.body).into_owned())
    };
    let manifest = field("manifest").ok_or_else(|| invalid("the manifest field is required"))?;
    let manifest: BTreeMap<String, String> = serde_json::from_str(&manifest).map_err(|e| {
        invalid(format!(
            "manifest must be a JSON object of path to hash: {e}"
        ))
    })?;
    if manifest.len() > MAX_DEPLOYMENT_FILES {
        return Err(invalid(format!(
            "Pages only supports up to {MAX_DEPLOYMENT_FILES} files in a deployment; the manifest names {}",
            manifest.len()
        )));
    }
    if let Some((path, _)) = manifest
        .iter()
        .find(|(p, h)| !p.starts_with('/') || !valid_hash(h))
    {
        return Err(invalid(format!(
            "manifest entry {path}: paths start with / and hashes are {HASH_LEN} hex digits"
        )));
    }
    Ok(DeploymentForm {
        manifest,
        branch: field("branch").filter(|b| !b.is_empty()),
        commit_message: field("commit_message").unwrap_or_default(),
        commit_hash: field("commit_hash").unwrap_or_default(),
    })
}

async fn create_deployment(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let form = parse_deployment(&headers, &body)?;
    with_project(&sim, &account, &name, |p, w| {
        if let Some((path, hash)) = form
            .manifest
            .iter()
            .find(|(_, h)| !w.pages.assets.contains_key(*h))
        {
            return Err(invalid(format!(
                "manifest entry {path} names asset {hash}, which was never uploaded"
            )));
        }
        let branch = form.branch.unwrap_or_else(|| p.production_branch.clone());
        let environment = if branch == p.production_branch {
            "production"
        } else {
            "preview"
        };
        let id = uuid(w);
        let deployment = Deployment {
            short_id: id[..8].to_owned(),
            id: id.clone(),
            branch,
            environment,
            manifest: form.manifest,
            commit_message: form.commit_message,
            commit_hash: form.commit_hash,
            created_on: ids::cloudflare_timestamp(),
        };
        let shown = p.deployment_json(&deployment);
        p.deployments.push(deployment);
        if environment == "production" {
            p.canonical = Some(id);
        }
        Ok(success(shown))
    })
}

async fn list_deployments(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        // Newest first, as the dashboard and the API list them.
        let list: Vec<Value> = p
            .deployments
            .iter()
            .rev()
            .map(|d| p.deployment_json(d))
            .collect();
        let count = list.len();
        Ok(paged(Value::Array(list), count))
    })
}

async fn get_deployment(
    State(sim): State<Sim>,
    Path((account, name, id)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        let d = p
            .deployments
            .iter()
            .find(|d| d.id == id)
            .ok_or_else(deployment_not_found)?;
        Ok(success(p.deployment_json(d)))
    })
}

async fn delete_deployment(
    State(sim): State<Sim>,
    Path((account, name, id)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        let index = p
            .deployments
            .iter()
            .position(|d| d.id == id)
            .ok_or_else(deployment_not_found)?;
        if p.canonical.as_deref() == Some(id.as_str()) {
            return Err(failure(
                StatusCode::BAD_REQUEST,
                DEPLOYMENT_REFUSED,
                "Cannot delete the active production deployment. Deploy or roll back to another one first.",
            ));
        }
        p.deployments.remove(index);
        Ok(success(Value::Null))
    })
}

async fn rollback(
    State(sim): State<Sim>,
    Path((account, name, id)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        let d = p
            .deployments
            .iter()
            .find(|d| d.id == id)
            .ok_or_else(deployment_not_found)?;
        if d.environment != "production" {
            return Err(failure(
                StatusCode::BAD_REQUEST,
                DEPLOYMENT_REFUSED,
                "Only production deployments can be rolled back to.",
            ));
        }
        let shown = p.deployment_json(d);
        p.canonical = Some(id.clone());
        Ok(success(shown))
    })
}

// ---- domains ----------------------------------------------------------------------

async fn list_domains(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        let list: Vec<Value> = p.domains.iter().map(Domain::to_json).collect();
        let count = list.len();
        Ok(paged(Value::Array(list), count))
    })
}

fn valid_host(name: &str) -> bool {
    name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

async fn add_domain(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let body = json_object(&body)?;
    let host = body
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .filter(|h| valid_host(h))
        .ok_or_else(|| invalid("name must be a host name such as www.example.com"))?;
    with_project(&sim, &account, &name, |p, w| {
        let taken = p.domains.iter().any(|d| d.name == host)
            || w.pages
                .projects
                .values()
                .any(|other| other.domains.iter().any(|d| d.name == host));
        if taken {
            return Err(failure(
                StatusCode::CONFLICT,
                DOMAIN_TAKEN,
                "You have already added this custom domain.",
            ));
        }
        let zone_tag = w
            .zones
            .values()
            .find(|z| host == z.name || host.ends_with(&format!(".{}", z.name)))
            .map(|z| z.id.clone());
        let domain = Domain {
            id: uuid(w),
            name: host,
            zone_tag,
            created_on: ids::cloudflare_timestamp(),
        };
        let shown = domain.to_json();
        p.domains.push(domain);
        Ok(success(shown))
    })
}

fn find_domain<'a>(p: &'a Project, host: &str) -> Result<&'a Domain, CfError> {
    p.domains
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(host))
        .ok_or_else(domain_not_found)
}

async fn get_domain(
    State(sim): State<Sim>,
    Path((account, name, host)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        Ok(success(find_domain(p, &host)?.to_json()))
    })
}

/// "Retry the validation status of a single domain": the status is recomputed from the
/// configured zones (one added since with `/_sim/cloudflare/zones` makes it active).
async fn retry_domain(
    State(sim): State<Sim>,
    Path((account, name, host)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, w| {
        let domain = p
            .domains
            .iter_mut()
            .find(|d| d.name.eq_ignore_ascii_case(&host))
            .ok_or_else(domain_not_found)?;
        domain.zone_tag = w
            .zones
            .values()
            .find(|z| domain.name == z.name || domain.name.ends_with(&format!(".{}", z.name)))
            .map(|z| z.id.clone());
        Ok(success(domain.to_json()))
    })
}

async fn delete_domain(
    State(sim): State<Sim>,
    Path((account, name, host)): Path<(String, String, String)>,
) -> Reply {
    with_project(&sim, &account, &name, |p, _| {
        let index = p
            .domains
            .iter()
            .position(|d| d.name.eq_ignore_ascii_case(&host))
            .ok_or_else(domain_not_found)?;
        p.domains.remove(index);
        Ok(success(Value::Null))
    })
}

// ---- base64 -----------------------------------------------------------------------
//
// The simulator has no base64 crate (it keeps its dependencies to the server's): these
// two small functions are all it needs.

/// Unpadded base64url, for the JWT's header and payload.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The decoded length of standard, padded base64, or `None` when it is not base64.
fn base64_decoded_len(value: &str) -> Option<usize> {
    let bytes = value.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return None;
    }
    let body = &bytes[..bytes.len() - padding];
    if !body
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
    {
        return None;
    }
    Some(bytes.len() / 4 * 3 - padding)
}

#[cfg(test)]
mod tests;
