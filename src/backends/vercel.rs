//! Vercel REST API: projects (find, create, update, delete), their environment variables
//! and domains, and deployments of a static site from its files (upload what Vercel lacks,
//! create, wait until `READY`), promotion of an earlier production deployment.
//!
//! Paths are the ones Vercel's reference (vercel.com/docs/rest-api) lists as current and
//! the official Terraform provider (`vercel/terraform-provider-vercel`, `client/*.go`)
//! calls: `POST /v11/projects`, `GET`/`PATCH`/`DELETE /v9/projects/{idOrName}`,
//! `GET /v9/projects/{id}/env`, `POST /v10/projects/{id}/env`,
//! `PATCH`/`DELETE /v9/projects/{id}/env/{envId}`, `POST /v2/files`,
//! `POST /v13/deployments`, `GET /v13/deployments/{id}`,
//! `POST /v10/projects/{id}/promote/{deploymentId}` (201, or 202 while it is pending),
//! `POST /v10/projects/{id}/domains`, `GET`/`DELETE /v9/projects/{id}/domains[/{name}]`.
//! Every call carries `?teamId=` when the provider block names a team.
//!
//! A deployment lists every file as `{file, sha, size}` (SHA-1 hex); Vercel answers
//! 400 `missing_files` with the SHA-1s it does not hold yet, which are uploaded to
//! `/v2/files` (raw body, `x-vercel-digest`) a few at a time, and the same create is sent
//! again. Unchanged files are therefore never uploaded twice. A preview deployment (there
//! is no git here) has `target: null` and `meta.branch` = its branch; `gitMetadata` and
//! custom environments are not used.
//!
//! Errors are `{"error": {"code", "message"}}` (vercel.com/docs/rest-api/errors); the
//! decoder also reads the unwrapped `{"code", "message"}` the deployments endpoint has
//! been seen to answer (vercel/terraform-provider-vercel#259).

use super::http::{ApiClient, Reply, Request, RetryPolicy, segment};
use super::site::{self, SiteFile, SiteFiles};
use super::wait::{self, Poll, WaitPolicy};
use super::{BackendError, Cloud};
use crate::config::{ProviderConfig, Secret};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha1::{Digest, Sha1};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The public Vercel API.
pub const DEFAULT_ENDPOINT: &str = "https://api.vercel.com";

/// The service name in errors; [`super::Cloud::of_service`] maps it back to the cloud.
pub(crate) const SERVICE: &str = "Vercel";

/// How long a deployment may take to become `READY` (a static site builds in seconds to
/// minutes; a Next.js build can take longer).
pub const READY_WAIT: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(2),
    max_interval: Duration::from_secs(10),
    timeout: Duration::from_secs(30 * 60),
};

/// File uploads in flight at once.
pub const UPLOAD_CONCURRENCY: usize = 6;

/// The `type` environment variables are created with: `plain`, returned as they are by
/// the list (an `encrypted` one may come back as ciphertext, vercel/sdk#118, and the
/// marker variables must be read back). `env` holds no secrets: those are `secrets`
/// references, set outside Terraform.
const ENV_TYPE: &str = "plain";

/// Reads Vercel's `{"error": {"code", "message"}}` (or the same fields unwrapped) into
/// "message (`code`)".
pub fn decode_error(body: &[u8]) -> Option<String> {
    let e = error_body(body)?;
    let message = e.message.trim();
    match (message.is_empty(), e.code.is_empty()) {
        (true, true) => None,
        (true, false) => Some(format!("`{}`", e.code)),
        (false, true) => Some(message.to_string()),
        (false, false) => Some(format!("{message} (`{}`)", e.code)),
    }
}

/// The fields of an error answer the client acts on.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    /// SHA-1s of the files a deployment lacks (`missing_files`).
    #[serde(default)]
    missing: Vec<String>,
}

fn error_body(body: &[u8]) -> Option<ErrorBody> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let inner = match v.get("error") {
        Some(e @ Value::Object(_)) => e.clone(),
        _ if v.get("code").is_some() => v,
        _ => return None,
    };
    serde_json::from_value(inner).ok()
}

/// The SHA-1 (lowercase hex) Vercel names a file by.
pub fn vercel_sha(file: &SiteFile) -> String {
    site::hex(&Sha1::digest(&file.bytes))
}

/// A Vercel project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelProject {
    /// `prj_…`.
    pub id: String,
    /// Name, unique in its team (or personal account).
    pub name: String,
    /// Framework preset; `None` is "Other" (a static site).
    pub framework: Option<String>,
    /// The deployment production traffic goes to, once there is one.
    pub production_deployment_id: Option<String>,
}

/// What a project should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelProjectSpec {
    /// Project name: up to 100 lowercase letters, digits, `.`, `_`, `-`, never `---`.
    pub name: String,
    /// `nextjs`, or `None` for a static site.
    pub framework: Option<String>,
    /// Plain variables the project is created with (production and preview), sent in the
    /// create call itself (`environmentVariables`), so a project never exists without
    /// them. [`Vercel::update_project`] leaves variables alone: see [`Vercel::set_env`].
    pub env: BTreeMap<String, String>,
}

/// An environment variable of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelEnv {
    /// Vercel's ID of the variable.
    pub id: String,
    /// Name.
    pub key: String,
    /// Value; `None` for a `sensitive` variable, whose value Vercel never returns.
    pub value: Option<String>,
    /// Some of `production`, `preview`, `development`.
    pub targets: Vec<String>,
}

/// Where a deployment goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VercelTarget {
    /// Production: on `READY` it takes the project's production domains.
    Production,
    /// A preview for `branch` (sent as `meta.branch`, target `null`).
    Preview {
        /// The branch it previews.
        branch: String,
    },
}

/// A deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelDeployment {
    /// `dpl_…`.
    pub id: String,
    /// Its own host name, `<project>-<hash>.vercel.app` (no scheme).
    pub url: String,
    /// `QUEUED`, `BUILDING`, `READY`, `ERROR`, `CANCELED`, ...
    pub ready_state: String,
    /// `production`, or `None` for a preview.
    pub target: Option<String>,
    /// The branch from `meta.branch` (previews made by this provider).
    pub branch: Option<String>,
    /// The deployment's `meta`, string values only.
    pub meta: BTreeMap<String, String>,
}

/// A finished deployment and how many files had to be uploaded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelUpload {
    /// The deployment, `READY`.
    pub deployment: VercelDeployment,
    /// Files uploaded to `/v2/files` (those Vercel did not hold yet).
    pub uploaded: usize,
}

/// A domain of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VercelDomain {
    /// Host name.
    pub name: String,
    /// Whether Vercel considers ownership proven (else a TXT record is pending).
    pub verified: bool,
    /// The branch whose previews it serves; `None` for production.
    pub git_branch: Option<String>,
}

#[derive(Deserialize)]
struct ProjectWire {
    id: String,
    name: String,
    #[serde(default)]
    framework: Option<String>,
    #[serde(default)]
    targets: Option<Targets>,
}

#[derive(Deserialize)]
struct Targets {
    #[serde(default)]
    production: Option<TargetDeployment>,
}

#[derive(Deserialize)]
struct TargetDeployment {
    id: String,
}

impl From<ProjectWire> for VercelProject {
    fn from(p: ProjectWire) -> Self {
        VercelProject {
            id: p.id,
            name: p.name,
            framework: p.framework,
            production_deployment_id: p.targets.and_then(|t| t.production).map(|d| d.id),
        }
    }
}

#[derive(Deserialize)]
struct DeploymentWire {
    id: String,
    #[serde(default)]
    url: String,
    #[serde(default, rename = "readyState")]
    ready_state: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    meta: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "errorMessage")]
    error_message: Option<String>,
}

impl From<DeploymentWire> for VercelDeployment {
    fn from(d: DeploymentWire) -> Self {
        let meta: BTreeMap<String, String> = d
            .meta
            .iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
            .collect();
        VercelDeployment {
            branch: meta.get("branch").cloned(),
            meta,
            id: d.id,
            url: d.url,
            ready_state: d.ready_state,
            target: d.target,
        }
    }
}

#[derive(Deserialize)]
struct EnvWire {
    id: String,
    key: String,
    #[serde(default)]
    value: Option<String>,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    target: Value,
    #[serde(default, rename = "gitBranch")]
    git_branch: Option<String>,
}

impl From<EnvWire> for VercelEnv {
    fn from(e: EnvWire) -> Self {
        let targets = match e.target {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Value::String(one) => vec![one],
            _ => Vec::new(),
        };
        VercelEnv {
            id: e.id,
            key: e.key,
            value: if e.kind == "sensitive" { None } else { e.value },
            targets,
        }
    }
}

#[derive(Deserialize)]
struct DomainWire {
    name: String,
    #[serde(default)]
    verified: bool,
    #[serde(default, rename = "gitBranch")]
    git_branch: Option<String>,
}

impl From<DomainWire> for VercelDomain {
    fn from(d: DomainWire) -> Self {
        VercelDomain {
            name: d.name,
            verified: d.verified,
            git_branch: d.git_branch,
        }
    }
}

/// A client of the Vercel API for one scope (a team, or the token's personal account).
#[derive(Debug, Clone)]
pub struct Vercel {
    api: ApiClient,
    team_id: Option<String>,
    wait: WaitPolicy,
}

impl Vercel {
    /// A client at `endpoint` (default [`DEFAULT_ENDPOINT`]; the simulator's is
    /// `http://127.0.0.1:PORT/vercel`) acting in `team_id`, or the personal account.
    pub fn new(
        endpoint: Option<&str>,
        token: Option<&Secret>,
        team_id: Option<&str>,
    ) -> Result<Self, BackendError> {
        let token = token.cloned().ok_or_else(|| BackendError::Config {
            cloud: Cloud::Vercel,
            message: "no Vercel API token: set `VERCEL_API_TOKEN` or `api_token` in the provider's `vercel` block (create one under Account Settings → Tokens, scoped to the team)".to_string(),
        })?;
        let api = ApiClient::new(
            SERVICE,
            endpoint.unwrap_or(DEFAULT_ENDPOINT),
            token,
            decode_error,
            "check the Vercel API token (`VERCEL_API_TOKEN` or the provider's `vercel { api_token }`) and, for a team, that it has access to `vercel { team_id }` (`VERCEL_TEAM_ID`)",
        )?;
        Ok(Self {
            api,
            team_id: team_id.filter(|t| !t.is_empty()).map(str::to_string),
            wait: READY_WAIT,
        })
    }

    /// A client from the provider block: endpoint override, token, team.
    pub fn from_config(config: &ProviderConfig) -> Result<Self, BackendError> {
        Self::new(
            config.endpoints.vercel.as_deref(),
            config.vercel.api_token.as_ref(),
            config.vercel.team_id.as_deref(),
        )
    }

    /// The same client with another retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// The same client waiting for deployments with another policy (tests).
    pub fn with_wait(mut self, wait: WaitPolicy) -> Self {
        self.wait = wait;
        self
    }

    /// The team every call acts in, if any.
    pub fn team_id(&self) -> Option<&str> {
        self.team_id.as_deref()
    }

    /// `request` in this client's scope (`?teamId=`).
    fn scoped(&self, request: Request) -> Request {
        match &self.team_id {
            Some(team) => request.query("teamId", team.clone()),
            None => request,
        }
    }

    fn project_path(id_or_name: &str) -> String {
        format!("/v9/projects/{}", segment(id_or_name))
    }

    /// Sends `request`; a 404 is `Ok(None)`, another non-2xx an error quoting the API.
    async fn send_found(
        &self,
        cancel: &CancellationToken,
        request: &Request,
    ) -> Result<Option<Reply>, BackendError> {
        let reply = self.api.send(cancel, request).await?;
        if reply.status == StatusCode::NOT_FOUND {
            Ok(None)
        } else if reply.is_success() {
            Ok(Some(reply))
        } else {
            Err(self.api.error(request.operation(), &reply))
        }
    }

    // ---- projects -------------------------------------------------------------------

    /// The project named (or with ID) `name_or_id` in this scope, if it exists.
    pub async fn find_project(
        &self,
        cancel: &CancellationToken,
        name_or_id: &str,
    ) -> Result<Option<VercelProject>, BackendError> {
        let request = self.scoped(Request::get("GetProject", Self::project_path(name_or_id)));
        match self.send_found(cancel, &request).await? {
            Some(reply) => Ok(Some(
                self.api
                    .decode::<ProjectWire>(request.operation(), &reply)?
                    .into(),
            )),
            None => Ok(None),
        }
    }

    /// Creates a project; a name already taken in this scope is [`BackendError::Conflict`].
    pub async fn create_project(
        &self,
        cancel: &CancellationToken,
        spec: &VercelProjectSpec,
    ) -> Result<VercelProject, BackendError> {
        let request = self.scoped(
            Request::post("CreateProject", "/v11/projects").json(&json!({
                "name": spec.name,
                "framework": spec.framework,
                "environmentVariables": spec.env.iter().map(|(k, v)| json!({
                    "key": k,
                    "value": v,
                    "type": ENV_TYPE,
                    "target": ["production", "preview"],
                })).collect::<Vec<_>>(),
            })),
        );
        let reply = self.api.send(cancel, &request).await?;
        if reply.status == StatusCode::CONFLICT {
            let quoted = decode_error(&reply.body).unwrap_or_else(|| reply.text());
            return Err(BackendError::Conflict(format!(
                "a Vercel project named `{}` already exists{}: {quoted}. Import it, or choose another name",
                spec.name,
                self.scope_text()
            )));
        }
        if !reply.is_success() {
            return Err(self.api.error(request.operation(), &reply));
        }
        Ok(self
            .api
            .decode::<ProjectWire>(request.operation(), &reply)?
            .into())
    }

    fn scope_text(&self) -> String {
        match &self.team_id {
            Some(team) => format!(" in team `{team}`"),
            None => " in the token's personal account".to_string(),
        }
    }

    /// Renames a project or changes its framework.
    pub async fn update_project(
        &self,
        cancel: &CancellationToken,
        id: &str,
        spec: &VercelProjectSpec,
    ) -> Result<VercelProject, BackendError> {
        let request = self.scoped(
            Request::new(
                "UpdateProject",
                reqwest::Method::PATCH,
                Self::project_path(id),
            )
            .json(&json!({ "name": spec.name, "framework": spec.framework })),
        );
        let project: ProjectWire = self.api.call_json(cancel, &request).await?;
        Ok(project.into())
    }

    /// Deletes a project with its deployments, variables and domains; gone already is fine.
    pub async fn delete_project(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<(), BackendError> {
        let request = self.scoped(Request::delete("DeleteProject", Self::project_path(id)));
        self.send_found(cancel, &request).await.map(|_| ())
    }

    // ---- environment variables -------------------------------------------------------

    /// The project's environment variables (values decrypted; `sensitive` ones `None`).
    pub async fn list_env(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
    ) -> Result<Vec<VercelEnv>, BackendError> {
        #[derive(Deserialize)]
        struct Envs {
            #[serde(default)]
            envs: Vec<EnvWire>,
        }
        let request = self.scoped(
            Request::get(
                "ListEnvironmentVariables",
                format!("{}/env", Self::project_path(project_id)),
            )
            .query("decrypt", "true"),
        );
        let envs: Envs = self.api.call_json(cancel, &request).await?;
        Ok(envs
            .envs
            .into_iter()
            .filter(|e| e.git_branch.is_none())
            .map(VercelEnv::from)
            .collect())
    }

    /// Sets `key` to `value` for `targets`: updates the variable of that name (not tied
    /// to a branch) when there is one, else creates it.
    pub async fn set_env(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        key: &str,
        value: &str,
        targets: &[&str],
    ) -> Result<VercelEnv, BackendError> {
        let existing = self
            .list_env(cancel, project_id)
            .await?
            .into_iter()
            .find(|e| e.key == key);
        if let Some(env) = existing {
            let request = self.scoped(
                Request::new(
                    "EditEnvironmentVariable",
                    reqwest::Method::PATCH,
                    format!(
                        "{}/env/{}",
                        Self::project_path(project_id),
                        segment(&env.id)
                    ),
                )
                .json(&json!({ "key": key, "value": value, "type": ENV_TYPE, "target": targets })),
            );
            let env: EnvWire = self.api.call_json(cancel, &request).await?;
            return Ok(with_value(env.into(), value));
        }
        let request = self.scoped(
            Request::post(
                "CreateEnvironmentVariable",
                format!("/v10/projects/{}/env", segment(project_id)),
            )
            .json(&json!({ "key": key, "value": value, "type": ENV_TYPE, "target": targets })),
        );
        let created: Value = self.api.call_json(cancel, &request).await?;
        let one = match &created["created"] {
            Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        let env: EnvWire = serde_json::from_value(one).map_err(|e| BackendError::Api {
            service: SERVICE,
            operation: "CreateEnvironmentVariable",
            message: format!(
                "the API answered without the created variable ({e}): {}",
                excerpt(&created)
            ),
        })?;
        Ok(with_value(env.into(), value))
    }

    /// Deletes one environment variable; gone already is fine.
    pub async fn delete_env(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        env_id: &str,
    ) -> Result<(), BackendError> {
        let request = self.scoped(Request::delete(
            "RemoveEnvironmentVariable",
            format!("{}/env/{}", Self::project_path(project_id), segment(env_id)),
        ));
        self.send_found(cancel, &request).await.map(|_| ())
    }

    // ---- deployments -----------------------------------------------------------------

    /// Deploys `site` to `project` for `target`: creates the deployment from the file
    /// list, uploads the files Vercel reports missing (at most [`UPLOAD_CONCURRENCY`] at
    /// once), creates it again, and waits until it is `READY`.
    pub async fn deploy(
        &self,
        cancel: &CancellationToken,
        project: &VercelProject,
        target: &VercelTarget,
        site: &SiteFiles,
        meta: &BTreeMap<String, String>,
    ) -> Result<VercelUpload, BackendError> {
        let shas: Vec<String> = site.files.iter().map(vercel_sha).collect();
        let files: Vec<Value> = site
            .files
            .iter()
            .zip(&shas)
            .map(|(f, sha)| json!({ "file": f.path, "sha": sha, "size": f.size() }))
            .collect();
        let mut body = json!({
            "name": project.name,
            "project": project.id,
            "files": files,
            "projectSettings": { "framework": project.framework },
        });
        let mut meta = meta.clone();
        match target {
            VercelTarget::Production => body["target"] = json!("production"),
            VercelTarget::Preview { branch } => {
                meta.insert("branch".to_string(), branch.clone());
            }
        }
        if !meta.is_empty() {
            body["meta"] = json!(meta);
        }
        let request = self.scoped(
            Request::post("CreateDeployment", "/v13/deployments")
                .query("skipAutoDetectionConfirmation", "1")
                .json(&body),
        );
        let mut uploaded = 0;
        let created: DeploymentWire = loop {
            let reply = self.api.send(cancel, &request).await?;
            if reply.is_success() {
                break self.api.decode(request.operation(), &reply)?;
            }
            let missing = error_body(&reply.body)
                .filter(|e| e.code == "missing_files" && !e.missing.is_empty())
                .map(|e| e.missing);
            match missing {
                // One round of uploads; a second `missing_files` is reported as is.
                Some(missing) if uploaded == 0 => {
                    uploaded = self.upload(cancel, site, &shas, &missing).await?;
                }
                _ => return Err(self.api.error(request.operation(), &reply)),
            }
        };
        let what = format!(
            "Vercel deployment `{}` of project `{}`",
            created.id, project.name
        );
        tracing::info!(deployment = %created.id, uploaded, "Vercel deployment created");
        let id = created.id.clone();
        let deployment = wait::until(&what, self.wait, cancel, || self.poll(cancel, &id)).await?;
        Ok(VercelUpload {
            deployment,
            uploaded,
        })
    }

    /// One look at a deployment for [`wait::until`].
    async fn poll(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<Poll<VercelDeployment>, BackendError> {
        let Some(d) = self.get_deployment_wire(cancel, id).await? else {
            return Ok(Poll::Failed("deleted".to_string()));
        };
        Ok(match d.ready_state.as_str() {
            "READY" => Poll::Ready(d.into()),
            "ERROR" | "CANCELED" => Poll::Failed(match &d.error_message {
                Some(m) if !m.is_empty() => format!("{}: {m}", d.ready_state),
                _ => d.ready_state.clone(),
            }),
            other => Poll::Pending(other.to_string()),
        })
    }

    /// Uploads the files whose SHA-1 is in `missing`, [`UPLOAD_CONCURRENCY`] at a time;
    /// returns how many were sent.
    async fn upload(
        &self,
        cancel: &CancellationToken,
        site: &SiteFiles,
        shas: &[String],
        missing: &[String],
    ) -> Result<usize, BackendError> {
        let mut queue = Vec::new();
        for sha in missing {
            let Some(file) = shas.iter().position(|s| s == sha).map(|i| &site.files[i]) else {
                return Err(BackendError::Api {
                    service: SERVICE,
                    operation: "CreateDeployment",
                    message: format!(
                        "the API asked for a file with SHA-1 `{sha}`, which is not part of the site"
                    ),
                });
            };
            queue.push(
                self.scoped(
                    Request::post("UploadFile", "/v2/files")
                        .header("x-vercel-digest", sha.clone())
                        .bytes("application/octet-stream", file.bytes.clone()),
                ),
            );
        }
        let count = queue.len();
        let mut in_flight = tokio::task::JoinSet::new();
        let mut queue = queue.into_iter();
        loop {
            while in_flight.len() < UPLOAD_CONCURRENCY {
                let Some(request) = queue.next() else { break };
                let (api, cancel) = (self.api.clone(), cancel.clone());
                in_flight.spawn(async move { api.call(&cancel, &request).await.map(|_| ()) });
            }
            let Some(done) = in_flight.join_next().await else {
                break;
            };
            // Dropping the set on an error aborts the uploads still in flight.
            match done {
                Ok(result) => result?,
                Err(e) => {
                    return Err(BackendError::Api {
                        service: SERVICE,
                        operation: "UploadFile",
                        message: format!("an upload task failed: {e}"),
                    });
                }
            }
        }
        Ok(count)
    }

    async fn get_deployment_wire(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<Option<DeploymentWire>, BackendError> {
        let request = self.scoped(Request::get(
            "GetDeployment",
            format!("/v13/deployments/{}", segment(id)),
        ));
        match self.send_found(cancel, &request).await? {
            Some(reply) => Ok(Some(self.api.decode(request.operation(), &reply)?)),
            None => Ok(None),
        }
    }

    /// The project's deployments, newest first (the first page: up to 100).
    pub async fn list_deployments(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
    ) -> Result<Vec<VercelDeployment>, BackendError> {
        #[derive(Deserialize)]
        struct Listed {
            #[serde(default)]
            deployments: Vec<Value>,
        }
        let request = self.scoped(
            Request::get("ListDeployments", "/v6/deployments")
                .query("projectId", project_id.to_string())
                .query("limit", "100"),
        );
        let listed: Listed = self.api.call_json(cancel, &request).await?;
        Ok(listed
            .deployments
            .into_iter()
            .filter_map(|mut d| {
                // The list names the ID `uid` and the state `state`.
                if d.get("id").is_none() {
                    let uid = d.get("uid").cloned()?;
                    d["id"] = uid;
                }
                if d.get("readyState").is_none()
                    && let Some(state) = d.get("state").cloned()
                {
                    d["readyState"] = state;
                }
                serde_json::from_value::<DeploymentWire>(d)
                    .ok()
                    .map(Into::into)
            })
            .collect())
    }

    /// Deletes a deployment; one already gone counts as deleted.
    pub async fn delete_deployment(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<(), BackendError> {
        let request = self.scoped(Request::delete(
            "DeleteDeployment",
            format!("/v13/deployments/{}", segment(id)),
        ));
        self.send_found(cancel, &request).await.map(drop)
    }

    /// The deployment `id` (or its URL), if it exists in this scope.
    pub async fn get_deployment(
        &self,
        cancel: &CancellationToken,
        id: &str,
    ) -> Result<Option<VercelDeployment>, BackendError> {
        Ok(self
            .get_deployment_wire(cancel, id)
            .await?
            .map(VercelDeployment::from))
    }

    /// Points the project's production domains at `deployment_id` (an earlier production
    /// deployment: a rollback), without rebuilding it; waits while Vercel answers 202.
    pub async fn promote(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        deployment_id: &str,
    ) -> Result<(), BackendError> {
        let request = self.scoped(Request::post(
            "PromoteDeployment",
            format!(
                "/v10/projects/{}/promote/{}",
                segment(project_id),
                segment(deployment_id)
            ),
        ));
        let reply = self.api.call(cancel, &request).await?;
        if reply.status != StatusCode::ACCEPTED {
            return Ok(());
        }
        let what = format!("the promotion of Vercel deployment `{deployment_id}`");
        wait::until(&what, self.wait, cancel, || async {
            let project = self.find_project(cancel, project_id).await?;
            Ok(match project.and_then(|p| p.production_deployment_id) {
                Some(id) if id == deployment_id => Poll::Ready(()),
                Some(id) => Poll::Pending(format!("production is still `{id}`")),
                None => Poll::Pending("no production deployment yet".to_string()),
            })
        })
        .await
    }

    // ---- domains ---------------------------------------------------------------------

    /// The project's domains.
    pub async fn list_domains(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
    ) -> Result<Vec<VercelDomain>, BackendError> {
        #[derive(Deserialize)]
        struct Domains {
            #[serde(default)]
            domains: Vec<DomainWire>,
        }
        let request = self.scoped(Request::get(
            "GetProjectDomains",
            format!("{}/domains", Self::project_path(project_id)),
        ));
        let domains: Domains = self.api.call_json(cancel, &request).await?;
        Ok(domains
            .domains
            .into_iter()
            .map(VercelDomain::from)
            .collect())
    }

    async fn get_domain(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        name: &str,
    ) -> Result<Option<VercelDomain>, BackendError> {
        let request = self.scoped(Request::get(
            "GetProjectDomain",
            Self::domain_path(project_id, name),
        ));
        match self.send_found(cancel, &request).await? {
            Some(reply) => Ok(Some(
                self.api
                    .decode::<DomainWire>(request.operation(), &reply)?
                    .into(),
            )),
            None => Ok(None),
        }
    }

    fn domain_path(project_id: &str, name: &str) -> String {
        format!(
            "{}/domains/{}",
            Self::project_path(project_id),
            segment(name)
        )
    }

    /// Adds `name` to the project (serving previews of `git_branch` when given). A domain
    /// already on this project is fine (its branch is set as asked); on another project
    /// it is the API's error.
    pub async fn add_domain(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        name: &str,
        git_branch: Option<&str>,
    ) -> Result<VercelDomain, BackendError> {
        let mut body = Map::new();
        body.insert("name".to_string(), json!(name));
        if let Some(branch) = git_branch {
            body.insert("gitBranch".to_string(), json!(branch));
        }
        let request = self.scoped(
            Request::post(
                "AddProjectDomain",
                format!("/v10/projects/{}/domains", segment(project_id)),
            )
            .json(&body),
        );
        let reply = self.api.send(cancel, &request).await?;
        if reply.is_success() {
            return Ok(self
                .api
                .decode::<DomainWire>(request.operation(), &reply)?
                .into());
        }
        let refused = self.api.error(request.operation(), &reply);
        if !matches!(reply.status, StatusCode::CONFLICT | StatusCode::BAD_REQUEST) {
            return Err(refused);
        }
        let Some(existing) = self.get_domain(cancel, project_id, name).await? else {
            return Err(refused);
        };
        if existing.git_branch.as_deref() == git_branch {
            return Ok(existing);
        }
        let request = self.scoped(
            Request::new(
                "UpdateProjectDomain",
                reqwest::Method::PATCH,
                Self::domain_path(project_id, name),
            )
            .json(&json!({ "gitBranch": git_branch })),
        );
        let domain: DomainWire = self.api.call_json(cancel, &request).await?;
        Ok(domain.into())
    }

    /// Removes `name` from the project; not there is fine.
    pub async fn delete_domain(
        &self,
        cancel: &CancellationToken,
        project_id: &str,
        name: &str,
    ) -> Result<(), BackendError> {
        let request = self.scoped(Request::delete(
            "RemoveProjectDomain",
            Self::domain_path(project_id, name),
        ));
        self.send_found(cancel, &request).await.map(|_| ())
    }
}

/// The variable as set: Vercel may answer an update with the value encrypted.
fn with_value(mut env: VercelEnv, value: &str) -> VercelEnv {
    if env.value.is_some() {
        env.value = Some(value.to_string());
    }
    env
}

fn excerpt(v: &Value) -> String {
    let text = v.to_string();
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_read_wrapped_or_not() {
        let wrapped =
            br#"{"error":{"code":"conflict","message":"Project \"web\" already exists."}}"#;
        assert_eq!(
            decode_error(wrapped).as_deref(),
            Some("Project \"web\" already exists. (`conflict`)")
        );
        let flat = br#"{"code":"missing_files","message":"Missing files","missing":["ab"]}"#;
        assert_eq!(
            decode_error(flat).as_deref(),
            Some("Missing files (`missing_files`)")
        );
        assert_eq!(
            error_body(flat).map(|e| e.missing),
            Some(vec!["ab".to_string()])
        );
        assert_eq!(
            decode_error(br#"{"error":{"code":"forbidden","message":""}}"#).as_deref(),
            Some("`forbidden`")
        );
        assert_eq!(decode_error(b"<html>bad gateway</html>"), None);
        assert_eq!(decode_error(br#"{"error":"text"}"#), None);
    }

    #[test]
    fn file_names_are_their_sha1() {
        // `printf 'hello' | shasum`
        let file = SiteFile::new("index.html", b"hello".to_vec());
        assert_eq!(
            vercel_sha(&file),
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
        );
        let empty = SiteFile::new("empty.txt", Vec::new());
        assert_eq!(
            vercel_sha(&empty),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }

    #[test]
    fn sensitive_values_never_come_back() {
        let env: EnvWire = serde_json::from_value(json!({
            "id": "e1", "key": "TOKEN", "type": "sensitive", "value": "", "target": ["production"]
        }))
        .unwrap();
        let env = VercelEnv::from(env);
        assert_eq!(env.value, None);
        assert_eq!(env.targets, vec!["production".to_string()]);
        let one: EnvWire = serde_json::from_value(json!({
            "id": "e2", "key": "MODE", "type": "encrypted", "value": "x", "target": "preview"
        }))
        .unwrap();
        assert_eq!(VercelEnv::from(one).targets, vec!["preview".to_string()]);
    }

    #[test]
    fn a_missing_token_names_both_settings() {
        let err = Vercel::new(None, None, None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("VERCEL_API_TOKEN"), "{text}");
        assert!(text.contains("`vercel` block"), "{text}");
        assert!(matches!(
            err,
            BackendError::Config {
                cloud: Cloud::Vercel,
                ..
            }
        ));
    }

    #[test]
    fn projects_read_their_production_deployment() {
        let p: ProjectWire = serde_json::from_value(json!({
            "id": "prj_1", "name": "web", "framework": null,
            "targets": {"production": {"id": "dpl_9", "url": "web-x.vercel.app"}}
        }))
        .unwrap();
        let p = VercelProject::from(p);
        assert_eq!(p.production_deployment_id.as_deref(), Some("dpl_9"));
        assert_eq!(p.framework, None);
    }
}
