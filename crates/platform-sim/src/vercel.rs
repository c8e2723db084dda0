//! The simulated Vercel REST API (base URL `http://HOST:PORT/vercel`): projects, their
//! environment variables and domains, file uploads, deployments (created from uploaded
//! files, polled until `READY`), promotion and rollback.
//!
//! Shapes follow Vercel's REST API reference (vercel.com/docs/rest-api), the OpenAPI
//! models of the official SDK (`vercel/sdk`) and the paths the official Terraform
//! provider (`vercel/terraform-provider-vercel`, `client/*.go`) calls:
//!
//! - Errors are `{"error": {"code", "message"}}` (docs: "REST API Errors"): `forbidden`
//!   "Not authorized" (403), `not_found` (404), `bad_request` (400), `rate_limited` (429).
//! - `POST /v11/projects` (and `/v8`) answers 200 with the project; a name taken in the
//!   same scope is 409 `conflict` `Project "<name>" already exists.` (the answer reported
//!   in dyad-sh/dyad#1873). Names: up to 100 lowercase letters, digits, `.`, `_`, `-`,
//!   never `---` (Vercel's project-name rule).
//! - `POST /v10/projects/{idOrName}/env` answers 201 `{created, failed}`; a key that
//!   already exists for an overlapping target (and the same `gitBranch`) is refused with
//!   400 `ENV_CONFLICT` (the code the official provider's `conflictingEnvVar` matches),
//!   unless `?upsert=true`, which updates the existing variable (documented). `sensitive`
//!   values are never returned; `encrypted` ones only with `?decrypt=true`.
//! - `POST /v2/files` (and `/v2/now/files`): raw body, `x-vercel-digest` (or
//!   `x-now-digest`) = SHA-1 hex; 200 `{}`. A body whose SHA-1 differs is refused with
//!   400 "SHA1 sum of the file (…) doesn't match the provided SHA1 sum (…)" (the message
//!   Vercel's CLI users report; the `code` is the simulator's choice).
//! - `POST /v13/deployments` (and `/v12/now/deployments`): shas never uploaded in the
//!   caller's scope give 400 `{"error": {"code": "missing_files", "message": "Missing
//!   files", "missing": [sha, ...]}}` (the official provider's `MissingFilesError`).
//! - `POST /v10/projects/{projectId}/promote/{deploymentId}` answers 201 with no body
//!   (the docs list 201 and 202); `POST /v1/projects/{projectId}/rollback/{deploymentId}`
//!   answers 201.
//! - Lists are `{<items>, pagination: {count, next, prev}}`.
//!
//! The simulator's own choices (documented in docs/simulator.md):
//! - Scope: `?teamId=` must look like `team_…` (any such ID is accepted, else 403);
//!   without it the caller's personal account. A project, deployment or uploaded file
//!   belongs to the scope it was created in; from another scope it is 404 / missing.
//! - A deployment moves one step per `GET /v13/deployments/{idOrUrl}`: `QUEUED` →
//!   `BUILDING` → `READY`. On `READY` a production deployment becomes the project's
//!   production deployment (`targets.production`) and `<project>.vercel.app` is aliased
//!   to it. `/_sim/vercel/deployments/{id}/fail` turns one to `ERROR`.
//! - Domains: `*.vercel.app` names and names under a configured zone are `verified` at
//!   once; others are not, with one TXT record at `_vercel.<apex>` to create
//!   (`/_sim/vercel/domains/{name}/verify` verifies one). A name on another project is
//!   400, on the same project 409 (`domain_already_in_use`, code unverified).

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};

use crate::ids::{self, IdGen};
use crate::state::{Sim, World};
use crate::wire;

/// Handler outcome: the success response or Vercel's error.
type Reply = Result<Response, VercelError>;

/// The account ID of the caller's personal scope (no `teamId`).
pub const PERSONAL_ACCOUNT: &str = "sim_personal_account";

/// The steps of a deployment, in order; each `GET` moves one step.
const PROGRESSION: &[&str] = &["QUEUED", "BUILDING", "READY"];

/// The targets an environment variable may name.
const ENV_TARGETS: &[&str] = &["production", "preview", "development"];

/// The Vercel routes, relative to the `/vercel` prefix.
pub fn router() -> Router<Sim> {
    let mut router = Router::new()
        .route("/v2/files", post(upload_file))
        .route("/v2/now/files", post(upload_file))
        .route("/v13/deployments", post(create_deployment))
        .route("/v12/now/deployments", post(create_deployment))
        .route(
            "/v13/deployments/{id}",
            get(get_deployment).delete(delete_deployment),
        )
        .route("/v6/deployments", get(list_deployments))
        .route("/v7/deployments", get(list_deployments))
        .route(
            "/v10/projects/{project}/promote/{deployment}",
            post(promote),
        )
        .route(
            "/v1/projects/{project}/rollback/{deployment}",
            post(rollback),
        )
        .route("/v10/projects/{project}/domains", post(add_domain))
        .route("/v9/projects/{project}/domains", get(list_domains))
        .route(
            "/v9/projects/{project}/domains/{domain}",
            get(get_domain).patch(update_domain).delete(remove_domain),
        )
        .route(
            "/v10/projects/{project}/env",
            post(create_env).get(list_env),
        );
    for version in ["v8", "v11"] {
        router = router.route(&format!("/{version}/projects"), post(create_project));
    }
    for version in ["v8", "v9", "v10"] {
        router = router
            .route(
                &format!("/{version}/projects/{{project}}"),
                get(get_project)
                    .patch(update_project)
                    .delete(delete_project),
            )
            .route(
                &format!("/{version}/projects/{{project}}/env/{{id}}"),
                get(get_env).patch(update_env).delete(remove_env),
            );
    }
    for version in ["v8", "v9"] {
        router = router.route(
            &format!("/{version}/projects/{{project}}/env"),
            get(list_env),
        );
    }
    router
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                "The page could not be found.",
            )
        })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_unknown",
                "This endpoint does not respond to this method",
            )
        })
}

/// The test controls, relative to `/_sim/vercel`.
pub fn control_router() -> Router<Sim> {
    Router::new()
        .route("/projects/{project}/deployments", get(control_deployments))
        .route("/uploads", get(control_uploads))
        .route("/deployments/{id}/fail", post(control_fail))
        .route("/domains/{domain}/verify", post(control_verify))
}

// ---- errors -----------------------------------------------------------------------

/// A Vercel API error, answered as `{"error": {"code", "message", ...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct VercelError {
    status: StatusCode,
    body: Map<String, Value>,
}

impl VercelError {
    /// The same error with one more field in its `error` object (e.g. `missing`).
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.body.insert(key.to_owned(), value);
        self
    }
}

impl IntoResponse for VercelError {
    fn into_response(self) -> Response {
        wire::json(self.status, &json!({ "error": self.body }))
    }
}

/// A Vercel error with `status`, `code` and `message`.
pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> VercelError {
    let mut body = Map::new();
    body.insert("code".to_owned(), json!(code));
    body.insert("message".to_owned(), json!(message.into()));
    VercelError { status, body }
}

fn bad_request(message: impl Into<String>) -> VercelError {
    error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn project_not_found() -> VercelError {
    error(StatusCode::NOT_FOUND, "not_found", "Project not found")
}

fn deployment_not_found() -> VercelError {
    error(StatusCode::NOT_FOUND, "not_found", "Deployment not found")
}

fn body_object(bytes: &[u8]) -> Result<Map<String, Value>, VercelError> {
    match wire::json_body(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(bad_request("Invalid request: the body should be an object")),
        Err(e) => Err(bad_request(format!("Invalid JSON: {e}"))),
    }
}

fn string_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

// ---- state --------------------------------------------------------------------------

/// Everything on the simulated Vercel.
#[derive(Debug, Default)]
pub struct VercelWorld {
    /// Projects by ID.
    pub projects: BTreeMap<String, Project>,
    /// Deployments by ID, all projects.
    pub deployments: BTreeMap<String, Deployment>,
    /// SHA-1s of the files uploaded, per scope (account ID).
    pub files: BTreeMap<String, BTreeSet<String>>,
    /// Uploads accepted by `/v2/files`, per scope.
    pub uploads: BTreeMap<String, u64>,
}

impl VercelWorld {
    fn project_in(&self, scope: &str, id_or_name: &str) -> Option<&Project> {
        self.projects
            .values()
            .find(|p| p.account_id == scope && (p.id == id_or_name || p.name == id_or_name))
    }

    fn project_id_in(&self, scope: &str, id_or_name: &str) -> Result<String, VercelError> {
        self.project_in(scope, id_or_name)
            .map(|p| p.id.clone())
            .ok_or_else(project_not_found)
    }

    fn project_mut(&mut self, id: &str) -> Result<&mut Project, VercelError> {
        self.projects.get_mut(id).ok_or_else(project_not_found)
    }

    fn deployment_in(&self, scope: &str, id_or_url: &str) -> Option<&Deployment> {
        let url = id_or_url
            .trim_start_matches("https://")
            .trim_end_matches('/');
        self.deployments
            .values()
            .find(|d| d.account_id == scope && (d.id == id_or_url || d.url == url))
    }

    /// The domain `name` on any project, with that project's ID.
    fn domain_owner(&self, name: &str) -> Option<&str> {
        self.projects
            .values()
            .find(|p| p.domains.iter().any(|d| d.name == name))
            .map(|p| p.id.as_str())
    }

    /// A JSON dump for `/_sim/state`, secret values redacted.
    pub fn dump(&self) -> Value {
        json!({
            "projects": self.projects.values().map(|p| p.dump(self)).collect::<Vec<_>>(),
            "deployments": self.deployments.values().map(Deployment::dump).collect::<Vec<_>>(),
            "uploads": self.uploads,
        })
    }
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// `prj_…`.
    pub id: String,
    /// Name, unique in its scope.
    pub name: String,
    /// The scope: a `team_…` ID or [`PERSONAL_ACCOUNT`].
    pub account_id: String,
    /// Framework preset, `None` for "Other" (static).
    pub framework: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Environment variables in creation order.
    pub env: Vec<EnvVar>,
    /// Domains in creation order.
    pub domains: Vec<Domain>,
    /// The deployment production traffic goes to.
    pub production: Option<String>,
}

impl Project {
    fn to_json(&self, world: &VercelWorld) -> Value {
        let mut latest: Vec<&Deployment> = world
            .deployments
            .values()
            .filter(|d| d.project_id == self.id)
            .collect();
        latest.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        let mut project = json!({
            "id": self.id,
            "name": self.name,
            "accountId": self.account_id,
            "framework": self.framework,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "nodeVersion": "22.x",
            "link": null,
            "latestDeployments": latest.iter().take(5).map(|d| d.summary(world)).collect::<Vec<_>>(),
            "env": self.env.iter().map(|e| e.to_json(false)).collect::<Vec<_>>(),
        });
        if let Some(production) = self
            .production
            .as_ref()
            .and_then(|id| world.deployments.get(id))
        {
            project["targets"] = json!({ "production": production.summary(world) });
        }
        project
    }

    fn dump(&self, world: &VercelWorld) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "account_id": self.account_id,
            "framework": self.framework,
            "production": self.production,
            "env": self.env.iter().map(|e| {
                let mut v = e.to_json(false);
                if e.kind != "plain" {
                    v["value"] = json!("(redacted)");
                }
                v
            }).collect::<Vec<_>>(),
            "domains": self.domains.iter().map(|d| d.to_json(&self.id)).collect::<Vec<_>>(),
            "deployments": world.deployments.values().filter(|d| d.project_id == self.id).map(|d| d.id.clone()).collect::<Vec<_>>(),
        })
    }
}

/// An environment variable of a project.
#[derive(Debug, Clone)]
pub struct EnvVar {
    /// Opaque 16-character ID.
    pub id: String,
    /// Name.
    pub key: String,
    /// Value as set.
    pub value: String,
    /// `plain`, `encrypted` or `sensitive`.
    pub kind: String,
    /// Some of `production`, `preview`, `development`.
    pub target: Vec<String>,
    /// Only for `preview`: the branch it applies to.
    pub git_branch: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

impl EnvVar {
    /// The variable as the API shows it: `sensitive` values never, `encrypted` ones
    /// only when decrypting.
    fn to_json(&self, decrypt: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "key": self.key,
            "type": self.kind,
            "target": self.target,
            "gitBranch": self.git_branch,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "decrypted": false,
        });
        match self.kind.as_str() {
            "plain" => v["value"] = json!(self.value),
            "encrypted" if decrypt => {
                v["value"] = json!(self.value);
                v["decrypted"] = json!(true);
            }
            // The real API returns ciphertext here; any opaque text serves a client.
            "encrypted" => {
                v["value"] = json!(format!(
                    "enc:{}",
                    ids::fingerprint(&[self.value.as_bytes()])
                ))
            }
            _ => {}
        }
        v
    }

    fn conflicts(&self, key: &str, target: &[String], git_branch: Option<&str>) -> bool {
        self.key == key
            && self.git_branch.as_deref() == git_branch
            && self.target.iter().any(|t| target.contains(t))
    }
}

/// A domain of a project.
#[derive(Debug, Clone)]
pub struct Domain {
    /// Host name.
    pub name: String,
    /// Branch whose preview deployments it serves; `None` for production.
    pub git_branch: Option<String>,
    /// Whether ownership is proven.
    pub verified: bool,
    /// The TXT record that would prove it.
    pub verification: Vec<Value>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

impl Domain {
    fn to_json(&self, project_id: &str) -> Value {
        let labels: Vec<&str> = self.name.split('.').collect();
        let apex = labels[labels.len().saturating_sub(2)..].join(".");
        let mut v = json!({
            "name": self.name,
            "apexName": apex,
            "projectId": project_id,
            "redirect": null,
            "redirectStatusCode": null,
            "gitBranch": self.git_branch,
            "customEnvironmentId": null,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "verified": self.verified,
        });
        if !self.verified {
            v["verification"] = json!(self.verification);
        }
        v
    }
}

/// A deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `dpl_…`.
    pub id: String,
    /// `<name>-<hash>.vercel.app`.
    pub url: String,
    /// The project's name at creation.
    pub name: String,
    /// Owning project.
    pub project_id: String,
    /// Scope it was created in.
    pub account_id: String,
    /// `production`, or `None` for a preview.
    pub target: Option<String>,
    /// `meta` as sent.
    pub meta: Map<String, Value>,
    /// `(file, sha, size)` as sent.
    pub files: Vec<(String, String, u64)>,
    /// `QUEUED`, `BUILDING`, `READY`, `ERROR` or `CANCELED`.
    pub ready_state: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// When it became READY, Unix ms.
    pub ready: Option<i64>,
    /// Framework from `projectSettings`, else the project's.
    pub framework: Option<String>,
}

impl Deployment {
    /// The aliases that point at this deployment now.
    fn aliases(&self, world: &VercelWorld) -> Vec<String> {
        let Some(project) = world.projects.get(&self.project_id) else {
            return Vec::new();
        };
        if project.production.as_deref() == Some(self.id.as_str()) {
            let mut aliases = vec![format!("{}.vercel.app", project.name)];
            aliases.extend(
                project
                    .domains
                    .iter()
                    .filter(|d| d.git_branch.is_none())
                    .map(|d| d.name.clone()),
            );
            return aliases;
        }
        let Some(branch) = self.branch() else {
            return Vec::new();
        };
        // The newest READY preview of a branch holds that branch's domains.
        let newest = world
            .deployments
            .values()
            .filter(|d| {
                d.project_id == self.project_id
                    && d.target.is_none()
                    && d.ready_state == "READY"
                    && d.branch() == Some(branch)
            })
            .max_by_key(|d| d.created_at);
        if newest.map(|d| d.id.as_str()) != Some(self.id.as_str()) {
            return Vec::new();
        }
        project
            .domains
            .iter()
            .filter(|d| d.git_branch.as_deref() == Some(branch))
            .map(|d| d.name.clone())
            .collect()
    }

    fn branch(&self) -> Option<&str> {
        self.meta.get("branch").and_then(Value::as_str)
    }

    fn to_json(&self, world: &VercelWorld) -> Value {
        let ready = self.ready_state == "READY";
        json!({
            "id": self.id,
            "url": self.url,
            "name": self.name,
            "projectId": self.project_id,
            "ownerId": self.account_id,
            "readyState": self.ready_state,
            "status": self.ready_state,
            "target": self.target,
            "meta": self.meta,
            "alias": self.aliases(world),
            "aliasAssigned": ready,
            "aliasError": null,
            "createdAt": self.created_at,
            "buildingAt": self.created_at,
            "ready": self.ready,
            "type": "LAMBDAS",
            "version": 2,
            "public": false,
            "regions": ["iad1"],
            "creator": { "uid": self.account_id },
            "projectSettings": { "framework": self.framework },
        })
    }

    fn summary(&self, world: &VercelWorld) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "readyState": self.ready_state,
            "target": self.target,
            "alias": self.aliases(world),
            "meta": self.meta,
            "createdAt": self.created_at,
        })
    }

    fn list_item(&self) -> Value {
        json!({
            "uid": self.id,
            "name": self.name,
            "url": self.url,
            "projectId": self.project_id,
            "created": self.created_at,
            "createdAt": self.created_at,
            "readyState": self.ready_state,
            "state": self.ready_state,
            "target": self.target,
            "meta": self.meta,
            "type": "LAMBDAS",
            "creator": { "uid": self.account_id },
        })
    }

    fn file_map(&self) -> Value {
        Value::Object(
            self.files
                .iter()
                .map(|(file, sha, _)| (file.clone(), json!(sha)))
                .collect(),
        )
    }

    fn dump(&self) -> Value {
        json!({
            "id": self.id,
            "url": self.url,
            "project_id": self.project_id,
            "account_id": self.account_id,
            "target": self.target,
            "ready_state": self.ready_state,
            "meta": self.meta,
            "files": self.file_map(),
        })
    }
}

// ---- helpers ------------------------------------------------------------------------

/// The scope a request acts in: `teamId` (any `team_…`), else the personal account.
fn scope(query: Option<&str>) -> Result<String, VercelError> {
    match wire::query_value(query, "teamId") {
        None => Ok(PERSONAL_ACCOUNT.to_owned()),
        Some(team) if team.starts_with("team_") && team.len() > 5 => Ok(team),
        Some(_) => Err(error(StatusCode::FORBIDDEN, "forbidden", "Not authorized")),
    }
}

/// `len` lowercase letters and digits from the ID generator.
fn random_alnum(ids: &mut IdGen, len: usize) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let hex = ids.cloudflare_id();
        for pair in hex.as_bytes().chunks(2) {
            let byte =
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
            out.push(ALPHABET[byte as usize % 36] as char);
        }
    }
    out.truncate(len);
    out
}

/// `prj_`/`dpl_` IDs: the prefix and 28 alphanumerics, some upper case like Vercel's.
fn prefixed_id(ids: &mut IdGen, prefix: &str) -> String {
    let body: String = random_alnum(ids, 28)
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 3 == 0 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect();
    format!("{prefix}_{body}")
}

/// Vercel's project-name rule: up to 100 lowercase letters, digits, `.`, `_`, `-`, and
/// never `---`.
fn valid_project_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && !name.contains("---")
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

const NAME_RULE: &str = "Project names can be up to 100 characters long and must be lowercase. They can include letters, digits, and the following characters: '.', '_', '-'. However, they cannot contain the sequence '---'.";

fn framework_field(body: &Map<String, Value>) -> Result<Option<Option<String>>, VercelError> {
    match body.get("framework") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(f))
            if !f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') =>
        {
            Ok(Some(Some(f.clone())))
        }
        Some(other) => Err(bad_request(format!(
            "Invalid request: `framework` should be equal to one of the allowed values, got {other}"
        ))),
    }
}

// ---- projects -----------------------------------------------------------------------

async fn create_project(State(sim): State<Sim>, RawQuery(query): RawQuery, body: Bytes) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    let Some(name) = string_field(&body, "name") else {
        return Err(bad_request(
            "Invalid request: missing required property `name`.",
        ));
    };
    if !valid_project_name(name) {
        return Err(bad_request(NAME_RULE));
    }
    let framework = framework_field(&body)?.flatten();
    // `environmentVariables`: the variables the project is created with.
    let initial_env = match body.get("environmentVariables") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(parse_env).collect::<Result<Vec<_>, _>>()?,
        Some(_) => {
            return Err(bad_request(
                "Invalid request: `environmentVariables` should be array.",
            ));
        }
    };
    sim.with(|w| {
        let World { vercel, ids, .. } = w;
        if vercel.project_in(&scope, name).is_some() {
            return Err(error(
                StatusCode::CONFLICT,
                "conflict",
                format!("Project \"{name}\" already exists."),
            ));
        }
        let now = ids::now_ms();
        let env = initial_env
            .into_iter()
            .map(|new| EnvVar {
                id: random_alnum(ids, 16),
                key: new.key,
                value: new.value,
                kind: new.kind,
                target: new.target,
                git_branch: new.git_branch,
                created_at: now,
                updated_at: now,
            })
            .collect();
        let project = Project {
            id: prefixed_id(ids, "prj"),
            name: name.to_owned(),
            account_id: scope.clone(),
            framework,
            created_at: now,
            updated_at: now,
            env,
            domains: Vec::new(),
            production: None,
        };
        let shown = project.to_json(vercel);
        vercel.projects.insert(project.id.clone(), project);
        Ok(wire::json(StatusCode::OK, &shown))
    })
}

async fn get_project(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let p = w
            .vercel
            .project_in(&scope, &project)
            .ok_or_else(project_not_found)?;
        Ok(wire::json(StatusCode::OK, &p.to_json(&w.vercel)))
    })
}

async fn update_project(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    let framework = framework_field(&body)?;
    let name = match body.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) if valid_project_name(n) => Some(n.clone()),
        Some(_) => return Err(bad_request(NAME_RULE)),
    };
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        if let Some(name) = &name
            && w.vercel
                .project_in(&scope, name)
                .is_some_and(|p| p.id != id)
        {
            return Err(error(
                StatusCode::CONFLICT,
                "conflict",
                format!("Project \"{name}\" already exists."),
            ));
        }
        let p = w.vercel.project_mut(&id)?;
        if let Some(name) = name {
            p.name = name;
        }
        if let Some(framework) = framework {
            p.framework = framework;
        }
        p.updated_at = ids::now_ms();
        let shown = w.vercel.projects[&id].to_json(&w.vercel);
        Ok(wire::json(StatusCode::OK, &shown))
    })
}

async fn delete_project(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        w.vercel.projects.remove(&id);
        w.vercel.deployments.retain(|_, d| d.project_id != id);
        Ok(wire::empty(StatusCode::NO_CONTENT))
    })
}

// ---- environment variables ------------------------------------------------------------

/// One variable of a create request, checked.
struct NewEnv {
    key: String,
    value: String,
    kind: String,
    target: Vec<String>,
    git_branch: Option<String>,
}

fn parse_env(item: &Value) -> Result<NewEnv, VercelError> {
    let Some(obj) = item.as_object() else {
        return Err(bad_request(
            "Invalid request: each variable should be an object",
        ));
    };
    let key = string_field(obj, "key").unwrap_or_default();
    if key.is_empty()
        || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || key.as_bytes()[0].is_ascii_digit()
    {
        return Err(bad_request(format!(
            "Invalid request: `key` {key:?} should contain only letters, digits and underscores, and not start with a digit."
        )));
    }
    let Some(value) = string_field(obj, "value") else {
        return Err(bad_request(
            "Invalid request: missing required property `value`.",
        ));
    };
    let kind = string_field(obj, "type").unwrap_or("plain");
    if !matches!(kind, "plain" | "encrypted" | "sensitive") {
        return Err(bad_request(format!(
            "Invalid request: `type` should be one of \"plain\", \"encrypted\", \"sensitive\", got {kind:?}."
        )));
    }
    let target = parse_targets(obj.get("target"))?;
    if kind == "sensitive" && target.iter().any(|t| t == "development") {
        return Err(bad_request(
            "Sensitive environment variables cannot be created in the Development environment.",
        ));
    }
    let git_branch = parse_branch(obj, &target)?;
    Ok(NewEnv {
        key: key.to_owned(),
        value: value.to_owned(),
        kind: kind.to_owned(),
        target,
        git_branch,
    })
}

fn parse_targets(value: Option<&Value>) -> Result<Vec<String>, VercelError> {
    let targets: Vec<String> = match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    };
    if targets.is_empty() || targets.iter().any(|t| !ENV_TARGETS.contains(&t.as_str())) {
        return Err(bad_request(
            "Invalid request: `target` should be a non-empty list of \"production\", \"preview\", \"development\".",
        ));
    }
    Ok(targets)
}

fn parse_branch(
    obj: &Map<String, Value>,
    target: &[String],
) -> Result<Option<String>, VercelError> {
    match string_field(obj, "gitBranch").filter(|b| !b.is_empty()) {
        None => Ok(None),
        Some(branch) if target == ["preview"] => Ok(Some(branch.to_owned())),
        Some(_) => Err(bad_request(
            "Invalid request: `gitBranch` can only be set when the only target is \"preview\".",
        )),
    }
}

fn env_conflict(key: &str, target: &[String], git_branch: Option<&str>) -> VercelError {
    error(
        StatusCode::BAD_REQUEST,
        "ENV_CONFLICT",
        format!(
            "A variable with the name `{key}` already exists for the target {} on branch {}",
            target.join(","),
            git_branch.unwrap_or("undefined")
        ),
    )
    .with("key", json!(key))
    .with("envVarKey", json!(key))
    .with("target", json!(target))
    .with("gitBranch", json!(git_branch))
}

async fn create_env(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let upsert = wire::query_flag(query.as_deref(), "upsert");
    let body = wire::json_body(&body).map_err(|e| bad_request(format!("Invalid JSON: {e}")))?;
    let (items, single) = match body {
        Value::Array(items) => (items, false),
        obj @ Value::Object(_) => (vec![obj], true),
        _ => {
            return Err(bad_request(
                "Invalid request: the body should be an object or a list",
            ));
        }
    };
    sim.with(|w| {
        let World { vercel, ids, .. } = w;
        let id = vercel.project_id_in(&scope, &project)?;
        let mut created = Vec::new();
        let mut failed = Vec::new();
        for item in &items {
            let new = match parse_env(item) {
                Ok(new) => new,
                Err(e) if single => return Err(e),
                Err(e) => {
                    failed.push(json!({ "error": e.body }));
                    continue;
                }
            };
            let p = vercel.project_mut(&id)?;
            let now = ids::now_ms();
            let existing = p
                .env
                .iter()
                .position(|e| e.conflicts(&new.key, &new.target, new.git_branch.as_deref()));
            match existing {
                Some(i) if upsert => {
                    let e = &mut p.env[i];
                    e.value = new.value;
                    e.kind = new.kind;
                    e.target = new.target;
                    e.updated_at = now;
                    created.push(e.to_json(false));
                }
                Some(_) => {
                    let conflict = env_conflict(&new.key, &new.target, new.git_branch.as_deref());
                    if single {
                        return Err(conflict);
                    }
                    failed.push(json!({ "error": conflict.body }));
                }
                None => {
                    let env = EnvVar {
                        id: random_alnum(ids, 16),
                        key: new.key,
                        value: new.value,
                        kind: new.kind,
                        target: new.target,
                        git_branch: new.git_branch,
                        created_at: now,
                        updated_at: now,
                    };
                    created.push(env.to_json(false));
                    p.env.push(env);
                }
            }
        }
        let created = if single {
            created.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(created)
        };
        Ok(wire::json(
            StatusCode::CREATED,
            &json!({ "created": created, "failed": failed }),
        ))
    })
}

async fn list_env(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let decrypt = wire::query_flag(query.as_deref(), "decrypt");
    sim.with(|w| {
        let p = w.vercel.project_in(&scope, &project).ok_or_else(project_not_found)?;
        let envs: Vec<Value> = p.env.iter().map(|e| e.to_json(decrypt)).collect();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "envs": envs, "pagination": { "count": envs.len(), "next": null, "prev": null } }),
        ))
    })
}

fn env_not_found(id: &str) -> VercelError {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("Environment Variable \"{id}\" was not found"),
    )
}

async fn get_env(
    State(sim): State<Sim>,
    Path((project, env_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let p = w
            .vercel
            .project_in(&scope, &project)
            .ok_or_else(project_not_found)?;
        let e = p
            .env
            .iter()
            .find(|e| e.id == env_id)
            .ok_or_else(|| env_not_found(&env_id))?;
        Ok(wire::json(StatusCode::OK, &e.to_json(true)))
    })
}

async fn update_env(
    State(sim): State<Sim>,
    Path((project, env_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        let p = w.vercel.project_mut(&id)?;
        let index = p
            .env
            .iter()
            .position(|e| e.id == env_id)
            .ok_or_else(|| env_not_found(&env_id))?;
        let current = p.env[index].clone();
        // The variable as it would be, then checked like a create.
        let mut merged = json!({
            "key": current.key,
            "value": current.value,
            "type": current.kind,
            "target": current.target,
            "gitBranch": current.git_branch,
        });
        for (k, v) in &body {
            if ["key", "value", "type", "target", "gitBranch"].contains(&k.as_str()) {
                merged[k.as_str()] = v.clone();
            }
        }
        let new = parse_env(&merged)?;
        if p.env.iter().any(|e| {
            e.id != env_id && e.conflicts(&new.key, &new.target, new.git_branch.as_deref())
        }) {
            return Err(env_conflict(
                &new.key,
                &new.target,
                new.git_branch.as_deref(),
            ));
        }
        let e = &mut p.env[index];
        e.key = new.key;
        e.value = new.value;
        e.kind = new.kind;
        e.target = new.target;
        e.git_branch = new.git_branch;
        e.updated_at = ids::now_ms();
        Ok(wire::json(StatusCode::OK, &e.to_json(false)))
    })
}

async fn remove_env(
    State(sim): State<Sim>,
    Path((project, env_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        let p = w.vercel.project_mut(&id)?;
        let index = p
            .env
            .iter()
            .position(|e| e.id == env_id)
            .ok_or_else(|| env_not_found(&env_id))?;
        let removed = p.env.remove(index);
        Ok(wire::json(StatusCode::OK, &removed.to_json(false)))
    })
}

// ---- files ----------------------------------------------------------------------------

async fn upload_file(
    State(sim): State<Sim>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let Some(digest) = header("x-vercel-digest").or_else(|| header("x-now-digest")) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "missing_digest",
            "File digest missing",
        ));
    };
    if let Some(size) = header("x-now-size")
        && size.parse::<usize>().ok() != Some(body.len())
    {
        return Err(bad_request(format!(
            "The file size ({}) doesn't match the provided size ({size})",
            body.len()
        )));
    }
    let actual = hex(&Sha1::digest(&body));
    if actual != digest {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "sha_mismatch",
            format!(
                "SHA1 sum of the file ({actual}) doesn't match the provided SHA1 sum ({digest})"
            ),
        ));
    }
    sim.with(|w| {
        w.vercel
            .files
            .entry(scope.clone())
            .or_default()
            .insert(actual);
        *w.vercel.uploads.entry(scope).or_default() += 1;
    });
    Ok(wire::json(StatusCode::OK, &json!({})))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- deployments --------------------------------------------------------------------------

fn parse_files(body: &Map<String, Value>) -> Result<Vec<(String, String, u64)>, VercelError> {
    let Some(items) = body
        .get("files")
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
    else {
        return Err(bad_request(
            "Invalid request: `files` should be a non-empty list of {file, sha, size}.",
        ));
    };
    items
        .iter()
        .map(|item| {
            let file = item.get("file").and_then(Value::as_str).filter(|f| !f.is_empty());
            let sha = item
                .get("sha")
                .and_then(Value::as_str)
                .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()));
            match (file, sha) {
                (Some(file), Some(sha)) => Ok((
                    file.trim_start_matches('/').to_owned(),
                    sha.to_ascii_lowercase(),
                    item.get("size").and_then(Value::as_u64).unwrap_or(0),
                )),
                _ => Err(bad_request(
                    "Invalid request: each of `files` needs a `file` path and a 40-digit hex `sha`.",
                )),
            }
        })
        .collect()
}

async fn create_deployment(
    State(sim): State<Sim>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    let Some(name) = string_field(&body, "name").filter(|n| !n.is_empty()) else {
        return Err(bad_request(
            "Invalid request: missing required property `name`.",
        ));
    };
    let target = match body.get("target") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t == "production" || t == "staging" => Some(t.clone()),
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid request: `target` should be \"production\", \"staging\" or null, got {other}."
            )));
        }
    };
    let meta = match body.get("meta") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) if m.values().all(Value::is_string) && m.len() <= 100 => m.clone(),
        Some(_) => {
            return Err(bad_request(
                "Invalid request: `meta` should be an object of at most 100 string values.",
            ));
        }
    };
    let files = parse_files(&body)?;
    let settings_framework = body
        .get("projectSettings")
        .and_then(|s| s.get("framework"))
        .map(|f| f.as_str().map(str::to_owned));
    let project_ref = string_field(&body, "project").unwrap_or(name).to_owned();
    sim.with(|w| {
        let World { vercel, ids, .. } = w;
        let uploaded = vercel.files.get(&scope);
        let mut missing: Vec<String> = files
            .iter()
            .filter(|(_, sha, _)| !uploaded.is_some_and(|set| set.contains(sha)))
            .map(|(_, sha, _)| sha.clone())
            .collect();
        missing.sort();
        missing.dedup();
        if !missing.is_empty() {
            return Err(
                error(StatusCode::BAD_REQUEST, "missing_files", "Missing files")
                    .with("missing", json!(missing)),
            );
        }
        // Like the real API, a deployment naming no existing project makes one.
        let project_id = match vercel.project_in(&scope, &project_ref) {
            Some(p) => p.id.clone(),
            None if valid_project_name(&project_ref) => {
                let now = ids::now_ms();
                let p = Project {
                    id: prefixed_id(ids, "prj"),
                    name: project_ref.clone(),
                    account_id: scope.clone(),
                    framework: None,
                    created_at: now,
                    updated_at: now,
                    env: Vec::new(),
                    domains: Vec::new(),
                    production: None,
                };
                let id = p.id.clone();
                vercel.projects.insert(id.clone(), p);
                id
            }
            None => return Err(bad_request(NAME_RULE)),
        };
        let project = &vercel.projects[&project_id];
        let id = prefixed_id(ids, "dpl");
        let deployment = Deployment {
            url: format!("{}-{}.vercel.app", project.name, random_alnum(ids, 9)),
            id: id.clone(),
            name: project.name.clone(),
            project_id,
            account_id: scope.clone(),
            target,
            meta,
            files,
            ready_state: PROGRESSION[0].to_owned(),
            created_at: ids::now_ms(),
            ready: None,
            framework: settings_framework.unwrap_or_else(|| project.framework.clone()),
        };
        vercel.deployments.insert(id.clone(), deployment);
        let shown = vercel.deployments[&id].to_json(vercel);
        Ok(wire::json(StatusCode::OK, &shown))
    })
}

/// One step along [`PROGRESSION`]; on `READY` a production deployment takes production.
fn advance(vercel: &mut VercelWorld, id: &str) {
    let Some(d) = vercel.deployments.get_mut(id) else {
        return;
    };
    let Some(step) = PROGRESSION.iter().position(|s| *s == d.ready_state) else {
        return; // ERROR and CANCELED are final.
    };
    let Some(next) = PROGRESSION.get(step + 1) else {
        return;
    };
    d.ready_state = (*next).to_owned();
    if *next == "READY" {
        d.ready = Some(ids::now_ms());
        if d.target.as_deref() == Some("production") {
            let (project_id, id) = (d.project_id.clone(), d.id.clone());
            if let Some(p) = vercel.projects.get_mut(&project_id) {
                p.production = Some(id);
            }
        }
    }
}

async fn get_deployment(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let id = w
            .vercel
            .deployment_in(&scope, &id)
            .map(|d| d.id.clone())
            .ok_or_else(deployment_not_found)?;
        advance(&mut w.vercel, &id);
        Ok(wire::json(
            StatusCode::OK,
            &w.vercel.deployments[&id].to_json(&w.vercel),
        ))
    })
}

async fn list_deployments(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Reply {
    let scope = scope(query.as_deref())?;
    let project = wire::query_value(query.as_deref(), "projectId");
    let target = wire::query_value(query.as_deref(), "target");
    let limit = wire::query_value(query.as_deref(), "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20);
    sim.with(|w| {
        let project_id = match project {
            Some(p) => Some(w.vercel.project_id_in(&scope, &p)?),
            None => None,
        };
        let mut list: Vec<&Deployment> = w
            .vercel
            .deployments
            .values()
            .filter(|d| d.account_id == scope)
            .filter(|d| project_id.as_ref().is_none_or(|p| &d.project_id == p))
            .filter(|d| target.as_ref().is_none_or(|t| d.target.as_ref() == Some(t)))
            .collect();
        list.sort_by_key(|d| std::cmp::Reverse(d.created_at));
        let items: Vec<Value> = list.iter().take(limit).map(|d| d.list_item()).collect();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "deployments": items, "pagination": { "count": items.len(), "next": null, "prev": null } }),
        ))
    })
}

async fn delete_deployment(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let id = w
            .vercel
            .deployment_in(&scope, &id)
            .map(|d| d.id.clone())
            .ok_or_else(deployment_not_found)?;
        if let Some(d) = w.vercel.deployments.remove(&id)
            && let Some(p) = w.vercel.projects.get_mut(&d.project_id)
            && p.production.as_deref() == Some(id.as_str())
        {
            p.production = None;
        }
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "uid": id, "state": "DELETED" }),
        ))
    })
}

/// Points production at `deployment` of `project`: it must be that project's, `READY`,
/// and built for production.
fn point_production(sim: &Sim, query: Option<&str>, project: &str, deployment: &str) -> Reply {
    let scope = scope(query)?;
    sim.with(|w| {
        let project_id = w.vercel.project_id_in(&scope, project)?;
        let d = w
            .vercel
            .deployments
            .get(deployment)
            .filter(|d| d.project_id == project_id)
            .ok_or_else(deployment_not_found)?;
        if d.ready_state != "READY" {
            return Err(bad_request(format!(
                "Deployment {deployment} is {} and cannot serve production traffic until it is READY.",
                d.ready_state
            )));
        }
        if d.target.as_deref() != Some("production") {
            return Err(bad_request(format!(
                "Deployment {deployment} is a preview deployment; the simulator promotes only production deployments."
            )));
        }
        w.vercel.project_mut(&project_id)?.production = Some(deployment.to_owned());
        Ok(wire::empty(StatusCode::CREATED))
    })
}

async fn promote(
    State(sim): State<Sim>,
    Path((project, deployment)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    point_production(&sim, query.as_deref(), &project, &deployment)
}

async fn rollback(
    State(sim): State<Sim>,
    Path((project, deployment)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    point_production(&sim, query.as_deref(), &project, &deployment)
}

// ---- domains ------------------------------------------------------------------------------

fn domain_not_found(name: &str) -> VercelError {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("The domain \"{name}\" is not assigned to this project."),
    )
}

fn valid_domain(name: &str) -> bool {
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
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    let name = string_field(&body, "name")
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !valid_domain(&name) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_domain",
            format!("The domain name \"{name}\" is invalid."),
        ));
    }
    let git_branch = string_field(&body, "gitBranch")
        .filter(|b| !b.is_empty())
        .map(str::to_owned);
    let zones: Vec<String> = sim.settings.zones.iter().map(|(_, z)| z.clone()).collect();
    sim.with(|w| {
        let World { vercel, ids, .. } = w;
        let id = vercel.project_id_in(&scope, &project)?;
        match vercel.domain_owner(&name) {
            Some(owner) if owner == id => {
                return Err(error(
                    StatusCode::CONFLICT,
                    "domain_already_in_use",
                    format!("Cannot add {name} since it's already in use by your project."),
                ));
            }
            Some(_) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "domain_already_in_use",
                    format!("Cannot add {name} since it's already assigned to another project."),
                ));
            }
            None => {}
        }
        let verified = name.ends_with(".vercel.app")
            || zones
                .iter()
                .any(|z| name == *z || name.ends_with(&format!(".{z}")));
        let labels: Vec<&str> = name.split('.').collect();
        let apex = labels[labels.len().saturating_sub(2)..].join(".");
        let verification = if verified {
            Vec::new()
        } else {
            vec![json!({
                "type": "TXT",
                "domain": format!("_vercel.{apex}"),
                "value": format!("vc-domain-verify={name},{}", &ids.cloudflare_id()[..20]),
                "reason": "pending_domain_verification",
            })]
        };
        let now = ids::now_ms();
        let domain = Domain {
            name,
            git_branch,
            verified,
            verification,
            created_at: now,
            updated_at: now,
        };
        let shown = domain.to_json(&id);
        vercel.project_mut(&id)?.domains.push(domain);
        Ok(wire::json(StatusCode::OK, &shown))
    })
}

async fn list_domains(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let p = w.vercel.project_in(&scope, &project).ok_or_else(project_not_found)?;
        let domains: Vec<Value> = p.domains.iter().map(|d| d.to_json(&p.id)).collect();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "domains": domains, "pagination": { "count": domains.len(), "next": null, "prev": null } }),
        ))
    })
}

async fn get_domain(
    State(sim): State<Sim>,
    Path((project, domain)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let p = w
            .vercel
            .project_in(&scope, &project)
            .ok_or_else(project_not_found)?;
        let d = p
            .domains
            .iter()
            .find(|d| d.name == domain)
            .ok_or_else(|| domain_not_found(&domain))?;
        Ok(wire::json(StatusCode::OK, &d.to_json(&p.id)))
    })
}

async fn update_domain(
    State(sim): State<Sim>,
    Path((project, domain)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Reply {
    let scope = scope(query.as_deref())?;
    let body = body_object(&body)?;
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        let p = w.vercel.project_mut(&id)?;
        let d = p
            .domains
            .iter_mut()
            .find(|d| d.name == domain)
            .ok_or_else(|| domain_not_found(&domain))?;
        match body.get("gitBranch") {
            Some(Value::String(b)) if !b.is_empty() => d.git_branch = Some(b.clone()),
            Some(Value::String(_) | Value::Null) => d.git_branch = None,
            _ => {}
        }
        d.updated_at = ids::now_ms();
        Ok(wire::json(StatusCode::OK, &d.to_json(&id)))
    })
}

async fn remove_domain(
    State(sim): State<Sim>,
    Path((project, domain)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let id = w.vercel.project_id_in(&scope, &project)?;
        let p = w.vercel.project_mut(&id)?;
        let before = p.domains.len();
        p.domains.retain(|d| d.name != domain);
        if p.domains.len() == before {
            return Err(domain_not_found(&domain));
        }
        Ok(wire::json(StatusCode::OK, &json!({})))
    })
}

// ---- test controls --------------------------------------------------------------------------

async fn control_deployments(
    State(sim): State<Sim>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let scope = scope(query.as_deref())?;
    sim.with(|w| {
        let p = w
            .vercel
            .project_in(&scope, &project)
            .ok_or_else(project_not_found)?;
        let mut list: Vec<&Deployment> = w
            .vercel
            .deployments
            .values()
            .filter(|d| d.project_id == p.id)
            .collect();
        list.sort_by_key(|d| d.created_at);
        let items: Vec<Value> = list
            .iter()
            .map(|d| {
                json!({
                    "id": d.id,
                    "url": d.url,
                    "target": d.target,
                    "ready_state": d.ready_state,
                    "meta": d.meta,
                    "production": p.production.as_deref() == Some(d.id.as_str()),
                    "files": d.file_map(),
                })
            })
            .collect();
        Ok(wire::json(StatusCode::OK, &json!({ "deployments": items })))
    })
}

async fn control_uploads(State(sim): State<Sim>) -> Response {
    sim.with(|w| {
        let total: u64 = w.vercel.uploads.values().sum();
        wire::json(
            StatusCode::OK,
            &json!({ "total": total, "by_scope": w.vercel.uploads }),
        )
    })
}

async fn control_fail(State(sim): State<Sim>, Path(id): Path<String>) -> Reply {
    sim.with(|w| {
        let d = w
            .vercel
            .deployments
            .get_mut(&id)
            .ok_or_else(deployment_not_found)?;
        d.ready_state = "ERROR".to_owned();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "id": id, "readyState": "ERROR" }),
        ))
    })
}

async fn control_verify(State(sim): State<Sim>, Path(domain): Path<String>) -> Reply {
    sim.with(|w| {
        let d = w
            .vercel
            .projects
            .values_mut()
            .flat_map(|p| p.domains.iter_mut())
            .find(|d| d.name == domain)
            .ok_or_else(|| domain_not_found(&domain))?;
        d.verified = true;
        d.verification.clear();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "name": domain, "verified": true }),
        ))
    })
}

#[cfg(test)]
mod tests;
