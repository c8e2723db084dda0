//! Vercel: apply, read and delete.

use super::*;
use crate::backends::vercel::{
    Vercel, VercelDeployment, VercelEnv, VercelProjectSpec, VercelTarget,
};

/// The `meta` key a deployment records its digest under.
pub const META_DIGEST: &str = "platformDigest";
/// The `meta` key a preview deployment records its branch under.
pub const META_BRANCH: &str = "branch";

fn seen_deployment(d: &VercelDeployment) -> SeenDeployment {
    SeenDeployment {
        id: d.id.clone(),
        url: if d.url.starts_with("http") {
            d.url.clone()
        } else {
            format!("https://{}", d.url)
        },
        digest: d
            .meta
            .get(META_DIGEST)
            .and_then(|m| recorded_digest(m))
            .map(str::to_string),
    }
}

fn framework(plan: &StaticSitePlan) -> Option<String> {
    match plan.framework {
        crate::planner::static_site::placement::Framework::Nextjs => Some("nextjs".into()),
        crate::planner::static_site::placement::Framework::Static => None,
    }
}

/// The variables (plain values) of the project named `name`, `None` when there is none.
pub(super) async fn project_env(
    name: &str,
    ctx: &CallContext,
) -> Result<Option<BTreeMap<String, String>>, BackendError> {
    let v = Vercel::from_config(&ctx.config)?;
    let Some(project) = v.find_project(&ctx.cancel, name).await? else {
        return Ok(None);
    };
    Ok(Some(plain_env(&v, &project.id, ctx).await?))
}

async fn plain_env(
    v: &Vercel,
    project_id: &str,
    ctx: &CallContext,
) -> Result<BTreeMap<String, String>, BackendError> {
    Ok(values(&v.list_env(&ctx.cancel, project_id).await?))
}

/// The variables whose values Vercel returns, by name.
fn values(all: &[VercelEnv]) -> BTreeMap<String, String> {
    all.iter()
        .filter_map(|e| Some((e.key.clone(), e.value.clone()?)))
        .collect()
}

pub(super) async fn read(plan: &StaticSitePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let v = Vercel::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let mut seen = Seen::default();
    let Some(project) = v.find_project(cancel, &plan.project_name).await? else {
        return Ok(seen);
    };
    if let Some(id) = &project.production_deployment_id {
        seen.production = v
            .get_deployment(cancel, id)
            .await?
            .as_ref()
            .map(seen_deployment);
    }
    // The newest deployment of each preview branch (the list is newest first).
    for d in v.list_deployments(cancel, &project.id).await? {
        if d.target.as_deref() == Some("production") {
            continue;
        }
        if let Some(branch) = d.meta.get(META_BRANCH)
            && !seen.previews.contains_key(branch)
        {
            seen.previews.insert(branch.clone(), seen_deployment(&d));
        }
    }
    for d in v.list_domains(cancel, &project.id).await? {
        if !d.name.ends_with(".vercel.app") {
            let status = if d.verified { "verified" } else { "unverified" };
            seen.domains.insert(d.name, status.to_string());
        }
    }
    // Vercel has no production branch without git: the one recorded in the markers.
    let all = v.list_env(cancel, &project.id).await?;
    seen.variable_names = all.iter().map(|e| e.key.clone()).collect();
    let env = values(&all);
    if !is_ours(plan, &env) {
        // Someone else's project under this name: never read into the state.
        return Ok(Seen::default());
    }
    let branch = production_branch(&env).unwrap_or_else(|| plan.production_branch.clone());
    seen.project = Some((branch, env));
    Ok(seen)
}

/// The production branch a Vercel project records (in `PLATFORM_SPEC`).
fn production_branch(env: &BTreeMap<String, String>) -> Option<String> {
    let record: Vec<String> = serde_json::from_str(env.get(markers::SPEC)?).ok()?;
    let fields = spec::decode(SPEC, &record);
    fields
        .into_iter()
        .find(|(k, _)| *k == "production_branch")
        .and_then(|(_, v)| attrs::opt_string(&v))
        .or_else(|| Some(planner::DEFAULT_PRODUCTION_BRANCH.to_string()))
}

pub(super) async fn apply(
    plan: &StaticSitePlan,
    site: &SiteFiles,
    env: &BTreeMap<String, String>,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let v = Vercel::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.project_name.as_str();
    let spec = VercelProjectSpec {
        name: name.to_string(),
        framework: framework(plan),
        env: env.clone(),
    };
    let targets = ["production", "preview"];
    // The project is the anchor: made with its markers, finished last.
    let project = match v.find_project(cancel, name).await? {
        Some(existing) => {
            // One list serves the owner check, the changed values and the removals.
            let all = v.list_env(cancel, &existing.id).await?;
            let current = values(&all);
            owner.check(
                || format!("The Vercel project `{name}`"),
                &marker_tags(&current),
            )?;
            let project = if existing.framework != spec.framework {
                v.update_project(cancel, &existing.id, &spec).await?
            } else {
                existing
            };
            for (k, value) in &spec.env {
                if current.get(k) != Some(value) {
                    v.set_env(cancel, &project.id, k, value, &targets).await?;
                }
            }
            // Variables no longer wanted go; the secrets named in `secrets` stay.
            for e in &all {
                if !spec.env.contains_key(&e.key) && !plan.secret_names.contains(&e.key) {
                    v.delete_env(cancel, &project.id, &e.id).await?;
                }
            }
            project
        }
        None => v.create_project(cancel, &spec).await?,
    };
    let record = format!("{DIGEST_PREFIX}{}", plan.source.digest);
    let production = match &project.production_deployment_id {
        Some(id) => v.get_deployment(cancel, id).await?,
        None => None,
    };
    let current = production.as_ref().is_some_and(|d| {
        d.meta.get(META_DIGEST) == Some(&record)
            && d.meta.get(META_BRANCH) == Some(&plan.production_branch)
    });
    let meta = |branch: &str| {
        BTreeMap::from([
            (META_DIGEST.to_string(), record.clone()),
            (META_BRANCH.to_string(), branch.to_string()),
        ])
    };
    if !current {
        let up = v
            .deploy(
                cancel,
                &project,
                &VercelTarget::Production,
                site,
                &meta(&plan.production_branch),
            )
            .await?;
        tracing::info!(
            project = name,
            uploaded = up.uploaded,
            files = site.count(),
            "production deployment made"
        );
        // After a rollback made elsewhere Vercel stops moving production to new
        // deployments: promote ours if it did not become production.
        let now = v.find_project(cancel, &project.id).await?;
        if now.and_then(|p| p.production_deployment_id) != Some(up.deployment.id.clone()) {
            v.promote(cancel, &project.id, &up.deployment.id).await?;
        }
    }
    let deployments = v.list_deployments(cancel, &project.id).await?;
    for branch in &plan.preview_branches {
        let fresh = deployments
            .iter()
            .find(|d| {
                d.target.as_deref() != Some("production") && d.meta.get(META_BRANCH) == Some(branch)
            })
            .is_some_and(|d| d.meta.get(META_DIGEST) == Some(&record));
        if !fresh {
            let up = v
                .deploy(
                    cancel,
                    &project,
                    &VercelTarget::Preview {
                        branch: branch.clone(),
                    },
                    site,
                    &meta(branch),
                )
                .await?;
            tracing::info!(project = name, branch = %branch, uploaded = up.uploaded, "preview deployment made");
        }
    }
    for d in &deployments {
        let branch = d.meta.get(META_BRANCH);
        if d.target.as_deref() != Some("production")
            && branch.is_some_and(|b| !plan.preview_branches.contains(b))
        {
            v.delete_deployment(cancel, &d.id).await?;
        }
    }
    let domains = v.list_domains(cancel, &project.id).await?;
    for d in &plan.domains {
        if !domains.iter().any(|x| &x.name == d) {
            v.add_domain(cancel, &project.id, d, None).await?;
        }
    }
    for d in &domains {
        // Vercel's own `*.vercel.app` names stay: they are the project's, not `domains`.
        if !plan.domains.contains(&d.name) && !d.name.ends_with(".vercel.app") {
            v.delete_domain(cancel, &project.id, &d.name).await?;
        }
    }
    if owner.creating {
        for e in v.list_env(cancel, &project.id).await? {
            if e.key == markers::LIFECYCLE {
                v.delete_env(cancel, &project.id, &e.id).await?;
            }
        }
    }
    Ok(())
}

pub(super) async fn delete(plan: &StaticSitePlan, ctx: &CallContext) -> Result<(), BackendError> {
    let v = Vercel::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.project_name.as_str();
    let Some(project) = v.find_project(cancel, name).await? else {
        return Ok(());
    };
    let env = plain_env(&v, &project.id, ctx).await?;
    if ownership::claim(&marker_tags(&env), owner(plan, false).tag) == ownership::Claim::Stranger {
        return Err(BackendError::Refused(format!(
            "The Vercel project `{name}` does not carry this site's markers (`PLATFORM_ENVIRONMENT = {}`), so it is not deleted. Remove it from the state with `terraform state rm` if it is no longer this site's",
            plan.identity.environment
        )));
    }
    v.delete_project(cancel, &project.id).await
}
