//! Cloudflare Pages, direct upload: projects (with their plain-text environment
//! variables), deployments of a built site, rollback, and custom domains.
//!
//! A deployment follows wrangler's `pages deploy` (cloudflare/workers-sdk,
//! `packages/wrangler/src/pages/upload.ts` and `api/pages/deploy.ts`): fetch the
//! project's upload JWT; ask `/pages/assets/check-missing` which file hashes the asset
//! store lacks; upload those in batches (`/pages/assets/upload`, at most
//! [`MAX_BATCH_FILES`] files and [`MAX_BATCH_BYTES`] bytes each, [`UPLOAD_CONCURRENCY`] in
//! flight); register every hash (`/pages/assets/upsert-hashes`); then create the
//! deployment from a manifest `{"/path": hash}`. The three asset calls take the JWT as
//! their bearer, never the API token; one refused with 401 (an expired JWT) is sent again
//! once with a fresh JWT. Unchanged files are never sent again, so a
//! re-deploy after changing one file uploads one file.
//!
//! The asset key is wrangler's `hashFile`: BLAKE3 of the base64 of the content followed by
//! the extension (no dot), hex, first 32 digits ([`pages_asset_hash`]).

use super::{Cloudflare, SERVICE, error_codes};
use crate::backends::BackendError;
use crate::backends::http::{Part, Reply, Request, segment};
use crate::backends::site::{SiteFile, SiteFiles};
use crate::config::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use tokio_util::sync::CancellationToken;

/// Most files one upload request carries (wrangler `MAX_BUCKET_FILE_COUNT`).
pub const MAX_BATCH_FILES: usize = 2_000;
/// Most bytes of file content one upload request carries (wrangler `MAX_BUCKET_SIZE`,
/// 40 MiB; base64 makes the body a third larger).
pub const MAX_BATCH_BYTES: u64 = 40 * 1024 * 1024;
/// Upload requests in flight at once (wrangler `BULK_UPLOAD_CONCURRENCY`).
pub const UPLOAD_CONCURRENCY: usize = 3;
/// A project name that is taken on the account.
const NAME_TAKEN: i64 = 8_000_002;

/// A Pages project as the provider reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesProject {
    /// Project name.
    pub name: String,
    /// `<name>.pages.dev` (Cloudflare adds a suffix when the name is taken globally).
    pub subdomain: String,
    /// The branch whose deployments are production.
    pub production_branch: String,
    /// Custom domains.
    pub domains: Vec<String>,
    /// Plain-text variables of the production environment.
    pub env: BTreeMap<String, String>,
    /// The deployment production serves, if any.
    pub canonical_deployment: Option<PagesDeployment>,
    /// Names of the production `secret_text` variables (their values are never returned).
    pub secret_names: std::collections::BTreeSet<String>,
}

/// What a project should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesProjectSpec {
    /// Project name: lowercase letters, digits and dashes.
    pub name: String,
    /// The branch whose deployments are production.
    pub production_branch: String,
    /// Plain-text variables, set on both production and preview.
    pub env: BTreeMap<String, String>,
}

/// One deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesDeployment {
    /// Deployment ID.
    pub id: String,
    /// Its own URL, `https://<short_id>.<subdomain>`.
    pub url: String,
    /// The branch it was made for.
    pub branch: String,
    /// `production` or `preview`.
    pub environment: String,
    /// Creation time.
    pub created_on: String,
    /// The commit message it was made with (`deployment_trigger.metadata.commit_message`):
    /// where the provider records the content digest a deployment was made from.
    pub commit_message: Option<String>,
}

/// The outcome of [`Cloudflare::deploy_pages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesUpload {
    /// The deployment made.
    pub deployment: PagesDeployment,
    /// Files sent this time (the others were in the asset store already).
    pub uploaded: usize,
}

/// A custom domain of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagesDomain {
    /// Host name.
    pub name: String,
    /// `initializing`, `pending`, `active`, `deactivated`, `blocked` or `error`.
    pub status: String,
}

#[derive(Deserialize)]
struct ProjectJson {
    name: String,
    #[serde(default)]
    subdomain: Option<String>,
    #[serde(default)]
    production_branch: String,
    #[serde(default)]
    domains: Option<Vec<String>>,
    #[serde(default)]
    deployment_configs: Value,
    #[serde(default)]
    canonical_deployment: Option<DeploymentJson>,
}

impl From<ProjectJson> for PagesProject {
    fn from(p: ProjectJson) -> Self {
        let env = p
            .deployment_configs
            .pointer("/production/env_vars")
            .and_then(Value::as_object)
            .map(|vars| {
                vars.iter()
                    .filter(|(_, v)| {
                        v.get("type")
                            .and_then(Value::as_str)
                            .unwrap_or("plain_text")
                            == "plain_text"
                    })
                    .filter_map(|(k, v)| Some((k.clone(), v.get("value")?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let secret_names = p
            .deployment_configs
            .pointer("/production/env_vars")
            .and_then(Value::as_object)
            .map(|vars| {
                vars.iter()
                    .filter(|(_, v)| v.get("type").and_then(Value::as_str) == Some("secret_text"))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        PagesProject {
            secret_names,
            subdomain: p
                .subdomain
                .unwrap_or_else(|| format!("{}.pages.dev", p.name)),
            name: p.name,
            production_branch: p.production_branch,
            domains: p.domains.unwrap_or_default(),
            env,
            canonical_deployment: p.canonical_deployment.map(Into::into),
        }
    }
}

#[derive(Deserialize)]
struct DeploymentJson {
    id: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    created_on: String,
    #[serde(default)]
    deployment_trigger: Value,
}

impl From<DeploymentJson> for PagesDeployment {
    fn from(d: DeploymentJson) -> Self {
        PagesDeployment {
            branch: d
                .deployment_trigger
                .pointer("/metadata/branch")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            commit_message: d
                .deployment_trigger
                .pointer("/metadata/commit_message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_string),
            id: d.id,
            url: d.url,
            environment: d.environment,
            created_on: d.created_on,
        }
    }
}

#[derive(Deserialize)]
struct DomainJson {
    name: String,
    #[serde(default)]
    status: String,
}

impl From<DomainJson> for PagesDomain {
    fn from(d: DomainJson) -> Self {
        PagesDomain {
            name: d.name,
            status: d.status,
        }
    }
}

#[derive(Deserialize)]
struct UploadToken {
    jwt: String,
}

/// Wrangler's asset key of a file: BLAKE3 over `base64(content) + extension`, lowercase
/// hex, the first 32 digits.
pub fn pages_asset_hash(file: &SiteFile) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(BASE64.encode(&file.bytes).as_bytes());
    hasher.update(file.extension().as_bytes());
    let mut hex = hasher.finalize().to_hex().to_string();
    hex.truncate(32);
    hex
}

/// Splits files (given as sizes) into upload requests the way wrangler fills its
/// buckets: largest first, each into the next bucket with room (starting from a
/// different one each time, so that [`UPLOAD_CONCURRENCY`] requests share a small site),
/// a new bucket when none has room; each bucket within [`MAX_BATCH_FILES`] and
/// [`MAX_BATCH_BYTES`] (a single larger file gets a bucket of its own). Returns the
/// indices of `sizes` per request; no request is empty.
pub fn upload_batches(sizes: &[u64]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|a, b| sizes[*b].cmp(&sizes[*a]).then(a.cmp(b)));
    let mut buckets: Vec<(Vec<usize>, u64)> = (0..UPLOAD_CONCURRENCY)
        .map(|_| (Vec::new(), MAX_BATCH_BYTES))
        .collect();
    for (offset, index) in order.into_iter().enumerate() {
        let size = sizes[index];
        let count = buckets.len();
        let slot = (0..count)
            .map(|i| (i + offset) % count)
            .find(|b| buckets[*b].1 >= size && buckets[*b].0.len() < MAX_BATCH_FILES);
        match slot {
            Some(b) => {
                buckets[b].0.push(index);
                buckets[b].1 -= size;
            }
            None => buckets.push((vec![index], MAX_BATCH_BYTES.saturating_sub(size))),
        }
    }
    buckets
        .into_iter()
        .map(|(files, _)| files)
        .filter(|files| !files.is_empty())
        .collect()
}

/// The env-var map of `deployment_configs` for both environments.
fn configs(vars: Map<String, Value>) -> Value {
    json!({
        "production": { "env_vars": vars.clone() },
        "preview": { "env_vars": vars },
    })
}

fn plain_vars(env: &BTreeMap<String, String>) -> Map<String, Value> {
    env.iter()
        .map(|(k, v)| (k.clone(), json!({ "type": "plain_text", "value": v })))
        .collect()
}

impl Cloudflare {
    fn projects_path(&self) -> String {
        format!("/accounts/{}/pages/projects", segment(&self.account_id))
    }

    fn project_path(&self, name: &str) -> String {
        format!("{}/{}", self.projects_path(), segment(name))
    }

    /// The project, or `None` when it does not exist.
    pub async fn find_pages_project(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<PagesProject>, BackendError> {
        let req = Request::get("GetPagesProject", self.project_path(name));
        Ok(self
            .find::<ProjectJson>(cancel, &req)
            .await?
            .map(Into::into))
    }

    /// Creates the project with its variables on production and preview. A name taken
    /// on the account is [`BackendError::Conflict`], quoting the API.
    pub async fn create_pages_project(
        &self,
        cancel: &CancellationToken,
        spec: &PagesProjectSpec,
    ) -> Result<PagesProject, BackendError> {
        let req = Request::post("CreatePagesProject", self.projects_path()).json(&json!({
            "name": spec.name,
            "production_branch": spec.production_branch,
            "deployment_configs": configs(plain_vars(&spec.env)),
        }));
        let reply = self.api.send(cancel, &req).await?;
        if error_codes(&reply).contains(&NAME_TAKEN) {
            let quoted = self.api.error(req.operation(), &reply);
            return Err(BackendError::Conflict(format!(
                "The Pages project `{}` already exists on this Cloudflare account ({quoted}). Import it with `terraform import`, delete it, or choose another name.",
                spec.name
            )));
        }
        Ok(self.result::<ProjectJson>(req.operation(), &reply)?.into())
    }

    /// Sets the production branch and the variables: those of `spec.env` are set on
    /// production and preview, those of `old_env` no longer wanted are removed (the API
    /// removes a variable set to `null`); other variables are left alone.
    pub async fn update_pages_project(
        &self,
        cancel: &CancellationToken,
        spec: &PagesProjectSpec,
        old_env: &BTreeMap<String, String>,
    ) -> Result<PagesProject, BackendError> {
        let mut vars = plain_vars(&spec.env);
        for gone in old_env.keys().filter(|k| !spec.env.contains_key(*k)) {
            vars.insert(gone.clone(), Value::Null);
        }
        let req = Request::new(
            "UpdatePagesProject",
            Method::PATCH,
            self.project_path(&spec.name),
        )
        .json(&json!({
            "production_branch": spec.production_branch,
            "deployment_configs": configs(vars),
        }));
        Ok(self.fetch::<ProjectJson>(cancel, &req).await?.into())
    }

    /// Deletes the project with its deployments and domains; one already gone counts as
    /// deleted.
    pub async fn delete_pages_project(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete("DeletePagesProject", self.project_path(name));
        self.remove(cancel, &req).await
    }

    /// Deploys `site` to `branch` (production when it is the project's production
    /// branch), uploading only the files the asset store lacks.
    pub async fn deploy_pages(
        &self,
        cancel: &CancellationToken,
        project: &str,
        branch: &str,
        site: &SiteFiles,
        commit_message: &str,
    ) -> Result<PagesUpload, BackendError> {
        // Shared by the asset calls, so that a JWT refreshed by one serves the next.
        let jwt = Arc::new(Mutex::new(self.pages_upload_token(cancel, project).await?));

        let hashes: Vec<String> = site.files.iter().map(pages_asset_hash).collect();
        let unique: BTreeSet<&String> = hashes.iter().collect();
        let check = Request::post("CheckMissingPagesAssets", "/pages/assets/check-missing")
            .json(&json!({ "hashes": unique }));
        let reply = self.asset_call(cancel, project, &jwt, check).await?;
        let missing: BTreeSet<String> = self
            .result::<Vec<String>>("CheckMissingPagesAssets", &reply)?
            .into_iter()
            .collect();

        // One file per missing hash (files with equal content and extension share one).
        let mut seen = BTreeSet::new();
        let to_send: Vec<usize> = (0..site.files.len())
            .filter(|i| missing.contains(&hashes[*i]) && seen.insert(&hashes[*i]))
            .collect();
        let sizes: Vec<u64> = to_send.iter().map(|i| site.files[*i].size()).collect();
        let batches: Vec<Vec<usize>> = upload_batches(&sizes)
            .into_iter()
            .map(|b| b.into_iter().map(|j| to_send[j]).collect())
            .collect();
        tracing::info!(
            project,
            files = site.files.len(),
            uploading = to_send.len(),
            requests = batches.len(),
            "uploading Pages assets"
        );
        self.upload_assets(cancel, project, &jwt, site, &hashes, batches)
            .await?;

        let upsert = Request::post("UpsertPagesAssetHashes", "/pages/assets/upsert-hashes")
            .json(&json!({ "hashes": unique }));
        if let Err(e) = self.asset_call(cancel, project, &jwt, upsert).await {
            if matches!(e, BackendError::Cancelled) {
                return Err(e);
            }
            // wrangler carries on too: the deployment holds; the next one may upload more.
            tracing::warn!(error = %e, "registering the Pages asset hashes failed");
        }

        let manifest: BTreeMap<String, &String> = site
            .files
            .iter()
            .zip(&hashes)
            .map(|(f, h)| (format!("/{}", f.path), h))
            .collect();
        let text = |name: &str, value: String| Part {
            name: name.to_string(),
            filename: None,
            content_type: "text/plain".to_string(),
            bytes: value.into_bytes(),
        };
        let req = Request::post(
            "CreatePagesDeployment",
            format!("{}/deployments", self.project_path(project)),
        )
        .multipart(vec![
            Part {
                content_type: "application/json".to_string(),
                ..text("manifest", json!(manifest).to_string())
            },
            text("branch", branch.to_string()),
            text("commit_message", commit_message.to_string()),
        ]);
        let deployment: DeploymentJson = self.fetch(cancel, &req).await?;
        Ok(PagesUpload {
            deployment: deployment.into(),
            uploaded: to_send.len(),
        })
    }

    /// A fresh upload JWT for the project's asset calls.
    async fn pages_upload_token(
        &self,
        cancel: &CancellationToken,
        project: &str,
    ) -> Result<Secret, BackendError> {
        let req = Request::get(
            "GetPagesUploadToken",
            format!("{}/upload-token", self.project_path(project)),
        );
        let token: UploadToken = self.fetch(cancel, &req).await?;
        Ok(Secret::new(token.jwt))
    }

    /// Sends an asset call with the upload JWT as its bearer and requires a 2xx answer.
    /// A 401 means the JWT expired (wrangler fetches a new one on code 8000013 too): the
    /// call is sent once more with a fresh JWT.
    async fn asset_call(
        &self,
        cancel: &CancellationToken,
        project: &str,
        jwt: &Mutex<Secret>,
        req: Request,
    ) -> Result<Reply, BackendError> {
        let current = jwt.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let mut reply = self.api.send(cancel, &req.clone().bearer(current)).await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            tracing::info!(
                operation = req.operation(),
                "the Pages upload token was refused; fetching a new one"
            );
            let fresh = self.pages_upload_token(cancel, project).await?;
            *jwt.lock().unwrap_or_else(PoisonError::into_inner) = fresh.clone();
            reply = self.api.send(cancel, &req.clone().bearer(fresh)).await?;
        }
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(self.api.error(req.operation(), &reply))
        }
    }

    /// Sends the batches, [`UPLOAD_CONCURRENCY`] at a time; the first failure ends the
    /// upload (the requests still in flight are dropped).
    async fn upload_assets(
        &self,
        cancel: &CancellationToken,
        project: &str,
        jwt: &Arc<Mutex<Secret>>,
        site: &SiteFiles,
        hashes: &[String],
        batches: Vec<Vec<usize>>,
    ) -> Result<(), BackendError> {
        let mut in_flight = tokio::task::JoinSet::new();
        let mut pending = batches.into_iter();
        loop {
            while in_flight.len() < UPLOAD_CONCURRENCY {
                let Some(batch) = pending.next() else { break };
                // The body is built when its turn comes, so at most a few batches are in
                // memory at once.
                let body: Vec<Value> = batch
                    .iter()
                    .map(|i| {
                        let file = &site.files[*i];
                        json!({
                            "key": hashes[*i],
                            "value": BASE64.encode(&file.bytes),
                            "metadata": { "contentType": file.content_type() },
                            "base64": true,
                        })
                    })
                    .collect();
                let req = Request::post("UploadPagesAssets", "/pages/assets/upload").json(&body);
                let client = self.clone();
                let cancel = cancel.clone();
                let (project, jwt) = (project.to_string(), jwt.clone());
                in_flight.spawn(async move {
                    client
                        .asset_call(&cancel, &project, &jwt, req)
                        .await
                        .map(drop)
                });
            }
            let Some(done) = in_flight.join_next().await else {
                return Ok(());
            };
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => {
                    return Err(BackendError::Api {
                        service: SERVICE,
                        operation: "UploadPagesAssets",
                        message: format!("the upload task failed: {e}"),
                    });
                }
            }
        }
    }

    /// The project's deployments, newest first (the API's first page).
    pub async fn list_pages_deployments(
        &self,
        cancel: &CancellationToken,
        project: &str,
    ) -> Result<Vec<PagesDeployment>, BackendError> {
        let req = Request::get(
            "ListPagesDeployments",
            format!("{}/deployments", self.project_path(project)),
        );
        let list: Vec<DeploymentJson> = self.fetch(cancel, &req).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Makes the production deployment `deployment_id` the one production serves again.
    pub async fn rollback_pages(
        &self,
        cancel: &CancellationToken,
        project: &str,
        deployment_id: &str,
    ) -> Result<(), BackendError> {
        let req = Request::post(
            "RollbackPagesDeployment",
            format!(
                "{}/deployments/{}/rollback",
                self.project_path(project),
                segment(deployment_id)
            ),
        );
        self.fetch::<Value>(cancel, &req).await.map(drop)
    }

    /// Deletes a deployment that is not the production one; one already gone counts as
    /// deleted.
    pub async fn delete_pages_deployment(
        &self,
        cancel: &CancellationToken,
        project: &str,
        deployment_id: &str,
    ) -> Result<(), BackendError> {
        // `force`: the newest deployment of a branch is aliased
        // (`<branch>.<project>.pages.dev`); Cloudflare deletes an aliased one only forced.
        let req = Request::delete(
            "DeletePagesDeployment",
            format!(
                "{}/deployments/{}",
                self.project_path(project),
                segment(deployment_id)
            ),
        )
        .query("force", "true");
        self.remove(cancel, &req).await
    }

    /// The project's custom domains with their status.
    pub async fn list_pages_domains(
        &self,
        cancel: &CancellationToken,
        project: &str,
    ) -> Result<Vec<PagesDomain>, BackendError> {
        let req = Request::get(
            "ListPagesDomains",
            format!("{}/domains", self.project_path(project)),
        );
        let list: Vec<DomainJson> = self.fetch(cancel, &req).await?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    /// Adds the custom domain; one the project has already is returned as it is (a
    /// retried apply).
    pub async fn add_pages_domain(
        &self,
        cancel: &CancellationToken,
        project: &str,
        domain: &str,
    ) -> Result<PagesDomain, BackendError> {
        let req = Request::post(
            "AddPagesDomain",
            format!("{}/domains", self.project_path(project)),
        )
        .json(&json!({ "name": domain }));
        let reply = self.api.send(cancel, &req).await?;
        if reply.is_success() {
            return Ok(self.result::<DomainJson>(req.operation(), &reply)?.into());
        }
        let existing = self
            .list_pages_domains(cancel, project)
            .await?
            .into_iter()
            .find(|d| d.name.eq_ignore_ascii_case(domain));
        match existing {
            Some(found) => Ok(found),
            None => Err(self.api.error(req.operation(), &reply)),
        }
    }

    /// Removes the custom domain; one already gone counts as removed.
    pub async fn delete_pages_domain(
        &self,
        cancel: &CancellationToken,
        project: &str,
        domain: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete(
            "DeletePagesDomain",
            format!("{}/domains/{}", self.project_path(project), segment(domain)),
        );
        self.remove(cancel, &req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asset_hash_is_blake3_of_base64_and_extension() {
        // BLAKE3("") and BLAKE3("abc") from the BLAKE3 reference test vectors: an empty
        // file hashes "" + its extension.
        let empty = SiteFile::new("LICENSE", Vec::new());
        assert_eq!(pages_asset_hash(&empty), "af1349b9f5f9a1a6a0404dea36dcc949");
        let abc = SiteFile::new("dir/empty.abc", Vec::new());
        assert_eq!(pages_asset_hash(&abc), "6437b3ac38465133ffb63b75273a8db5");
        // Content goes in as base64 ("hi" is "aGk="), then the extension without the dot.
        let page = SiteFile::new("index.html", b"hi".to_vec());
        let expected = blake3::hash(b"aGk=html").to_hex().to_string();
        assert_eq!(pages_asset_hash(&page), expected[..32]);
        // The same content under another extension is another asset.
        let text = SiteFile::new("index.txt", b"hi".to_vec());
        assert_ne!(pages_asset_hash(&page), pages_asset_hash(&text));
    }

    #[test]
    fn a_small_site_is_spread_over_the_concurrent_requests() {
        let batches = upload_batches(&[10, 20, 30, 40, 50]);
        assert_eq!(batches.len(), UPLOAD_CONCURRENCY);
        let mut all: Vec<usize> = batches.concat();
        all.sort();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
        assert!(upload_batches(&[]).is_empty());
        assert_eq!(upload_batches(&[1]), vec![vec![0]]);
    }

    #[test]
    fn batches_stay_within_the_file_count_and_byte_limits() {
        let many = vec![100u64; 7_000];
        let batches = upload_batches(&many);
        assert!(batches.iter().all(|b| b.len() <= MAX_BATCH_FILES));
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 7_000);
        assert_eq!(batches.len(), 4);

        let mib = 1024 * 1024;
        let big = vec![15 * mib; 10];
        let batches = upload_batches(&big);
        for b in &batches {
            let bytes: u64 = b.iter().map(|i| big[*i]).sum();
            assert!(bytes <= MAX_BATCH_BYTES, "{bytes}");
        }
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 10);

        // A file over the request limit still goes, alone.
        let huge = upload_batches(&[MAX_BATCH_BYTES + 1, 5]);
        assert!(huge.contains(&vec![0]));
    }
}
