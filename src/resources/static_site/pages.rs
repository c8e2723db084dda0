//! Cloudflare Pages (direct upload) and Cloudflare Access: apply, read and delete.

use super::*;
use crate::backends::cloudflare::Cloudflare;
use crate::backends::cloudflare::access::{AccessApp, AccessAppSpec};
use crate::backends::cloudflare::pages::{PagesDeployment, PagesProjectSpec};
use crate::backends::wait::{self, Poll, WaitPolicy};

/// How long a production deployment may take to go live.
const PRODUCTION_WAIT: WaitPolicy = WaitPolicy {
    initial: std::time::Duration::from_millis(500),
    max_interval: std::time::Duration::from_secs(5),
    timeout: std::time::Duration::from_secs(600),
};

fn seen_deployment(d: &PagesDeployment) -> SeenDeployment {
    SeenDeployment {
        id: d.id.clone(),
        url: d.url.clone(),
        digest: d
            .commit_message
            .as_deref()
            .and_then(recorded_digest)
            .map(str::to_string),
    }
}

/// The Access application named after the site, if it guards the project's own
/// `<project>.pages.dev`: only an application in front of this site's host is this
/// site's. `Err` when one of that name guards other hosts (someone else's).
async fn our_app(
    cf: &Cloudflare,
    plan: &StaticSitePlan,
    ctx: &CallContext,
) -> Result<Option<AccessApp>, BackendError> {
    let name = plan.project_name.as_str();
    match cf.find_access_app(&ctx.cancel, name).await? {
        None => Ok(None),
        Some(app)
            if app.domain == plan.default_domain
                || app.self_hosted_domains.contains(&plan.default_domain) =>
        {
            Ok(Some(app))
        }
        Some(app) => Err(BackendError::Refused(format!(
            "An Access application named `{name}` exists in the account, guarding `{}`, not this site's `{}`; it is not this site's, so it is left alone. Rename or remove it, or give the site another `name`",
            app.domain, plan.default_domain
        ))),
    }
}

/// The variables of the project named `name`, `None` when there is none.
pub(super) async fn project_env(
    name: &str,
    ctx: &CallContext,
) -> Result<Option<BTreeMap<String, String>>, BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    Ok(cf
        .find_pages_project(&ctx.cancel, name)
        .await?
        .map(|p| p.env))
}

pub(super) async fn read(plan: &StaticSitePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.project_name.as_str();
    let mut seen = Seen::default();
    let Some(project) = cf
        .find_pages_project(cancel, name)
        .await?
        .filter(|p| is_ours(plan, &p.env))
    else {
        return Ok(seen);
    };
    seen.production = project.canonical_deployment.as_ref().map(seen_deployment);
    // The newest deployment of each other branch (the list is newest first).
    for d in cf.list_pages_deployments(cancel, name).await? {
        if d.environment != "production" && !seen.previews.contains_key(&d.branch) {
            seen.previews.insert(d.branch.clone(), seen_deployment(&d));
        }
    }
    for d in cf.list_pages_domains(cancel, name).await? {
        seen.domains.insert(d.name, d.status);
    }
    if let Some(app) = our_app(&cf, plan, ctx).await.ok().flatten() {
        let policy = cf
            .list_access_policies(cancel, &app.id)
            .await?
            .into_iter()
            .find(|p| plan.access.as_ref().is_none_or(|a| a.policy_name == p.name))
            .map(|p| (p.emails, p.email_domains));
        seen.access = Some(SeenAccess {
            domains: std::iter::once(app.domain.clone())
                .chain(
                    app.self_hosted_domains
                        .iter()
                        .filter(|d| **d != app.domain)
                        .cloned(),
                )
                .collect(),
            session_duration: app.session_duration.clone(),
            policy,
        });
    }
    seen.variable_names = project
        .env
        .keys()
        .chain(&project.secret_names)
        .cloned()
        .collect();
    seen.project = Some((project.production_branch, project.env));
    Ok(seen)
}

pub(super) async fn apply(
    plan: &StaticSitePlan,
    site: &SiteFiles,
    env: &BTreeMap<String, String>,
    owner: Owner<'_>,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.project_name.as_str();
    let spec = PagesProjectSpec {
        name: name.to_string(),
        production_branch: plan.production_branch.clone(),
        env: env.clone(),
    };
    // The project is the anchor: it carries the marker, made first and finished last.
    let project = match cf.find_pages_project(cancel, name).await? {
        Some(existing) => {
            owner.check(
                || {
                    format!(
                        "The Cloudflare Pages project `{name}` in account `{}`",
                        cf.account_id()
                    )
                },
                &marker_tags(&existing.env),
            )?;
            if existing.production_branch != spec.production_branch || existing.env != spec.env {
                cf.update_pages_project(cancel, &spec, &existing.env)
                    .await?
            } else {
                existing
            }
        }
        None => cf.create_pages_project(cancel, &spec).await?,
    };
    if project.subdomain != plan.default_domain {
        return Err(BackendError::Refused(format!(
            "Cloudflare gave the project the subdomain `{}`, not `{}` (that one belongs to another account), so the planned `url` would be wrong. Choose another `name`, or give the site a custom domain in `domains`",
            project.subdomain, plan.default_domain
        )));
    }
    let record = format!("{DIGEST_PREFIX}{}", plan.source.digest);
    let production = project.canonical_deployment.as_ref().map(seen_deployment);
    let current = production
        .as_ref()
        .is_some_and(|d| d.digest.as_deref() == Some(plan.source.digest.as_str()))
        && project
            .canonical_deployment
            .as_ref()
            .is_some_and(|d| d.branch == plan.production_branch);
    if !current {
        let up = cf
            .deploy_pages(cancel, name, &plan.production_branch, site, &record)
            .await?;
        tracing::info!(
            project = name,
            uploaded = up.uploaded,
            files = site.count(),
            "production deployment made"
        );
        // A direct upload goes live once its deploy stage ends: wait for that, so the
        // state read back is the new deployment.
        let id = up.deployment.id.clone();
        wait::until(
            &format!("Cloudflare Pages deployment `{id}` of `{name}` going live"),
            PRODUCTION_WAIT,
            cancel,
            || async {
                let live = cf
                    .find_pages_project(cancel, name)
                    .await?
                    .and_then(|p| p.canonical_deployment)
                    .map(|d| d.id);
                Ok(match live {
                    Some(live) if live == id => Poll::Ready(()),
                    Some(live) => Poll::Pending(format!("production is still `{live}`")),
                    None => Poll::Pending("no production deployment yet".into()),
                })
            },
        )
        .await?;
    }
    let deployments = cf.list_pages_deployments(cancel, name).await?;
    for branch in &plan.preview_branches {
        let newest = deployments
            .iter()
            .find(|d| d.environment != "production" && &d.branch == branch);
        let fresh = newest
            .and_then(|d| d.commit_message.as_deref())
            .and_then(recorded_digest)
            == Some(plan.source.digest.as_str());
        if !fresh {
            let up = cf.deploy_pages(cancel, name, branch, site, &record).await?;
            tracing::info!(project = name, branch = %branch, uploaded = up.uploaded, "preview deployment made");
        }
    }
    // Previews of branches no longer listed go.
    for d in &deployments {
        if d.environment != "production"
            && !plan.preview_branches.contains(&d.branch)
            && d.branch != plan.production_branch
        {
            cf.delete_pages_deployment(cancel, name, &d.id).await?;
        }
    }
    let domains = cf.list_pages_domains(cancel, name).await?;
    for d in &plan.domains {
        if !domains.iter().any(|x| &x.name == d) {
            cf.add_pages_domain(cancel, name, d).await?;
        }
    }
    for d in &domains {
        if !plan.domains.contains(&d.name) {
            cf.delete_pages_domain(cancel, name, &d.name).await?;
        }
    }
    apply_access(&cf, plan, ctx).await?;
    if owner.creating {
        // The create is complete: the project without the marker.
        let mut finished = spec.env.clone();
        finished.remove(markers::LIFECYCLE);
        cf.update_pages_project(
            cancel,
            &PagesProjectSpec {
                env: finished,
                ..spec.clone()
            },
            &spec.env,
        )
        .await?;
    }
    Ok(())
}

async fn apply_access(
    cf: &Cloudflare,
    plan: &StaticSitePlan,
    ctx: &CallContext,
) -> Result<(), BackendError> {
    let cancel = &ctx.cancel;
    let existing = our_app(cf, plan, ctx).await?;
    let Some(access) = &plan.access else {
        if let Some(app) = existing {
            cf.delete_access_app(cancel, &app.id).await?;
        }
        return Ok(());
    };
    let spec = AccessAppSpec {
        name: access.app_name.clone(),
        domain: access.domain.clone(),
        self_hosted_domains: access.domains.clone(),
        session_duration: access.session_duration.clone(),
    };
    let app = match existing {
        Some(app)
            if app.domain == spec.domain
                && app.self_hosted_domains == spec.self_hosted_domains
                && app.session_duration == spec.session_duration =>
        {
            app
        }
        Some(app) => cf.update_access_app(cancel, &app.id, &spec).await?,
        None => cf.create_access_app(cancel, &spec).await?,
    };
    let policies = cf.list_access_policies(cancel, &app.id).await?;
    match policies.iter().find(|p| p.name == access.policy_name) {
        Some(p) if p.emails == access.emails && p.email_domains == access.email_domains => {}
        Some(p) => {
            cf.update_access_policy(
                cancel,
                &app.id,
                &p.id,
                &access.policy_name,
                &access.emails,
                &access.email_domains,
            )
            .await?;
        }
        None => {
            cf.create_access_policy(
                cancel,
                &app.id,
                &access.policy_name,
                &access.emails,
                &access.email_domains,
            )
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn delete(plan: &StaticSitePlan, ctx: &CallContext) -> Result<(), BackendError> {
    let cf = Cloudflare::from_config(&ctx.config)?;
    let cancel = &ctx.cancel;
    let name = plan.project_name.as_str();
    let Some(project) = cf.find_pages_project(cancel, name).await? else {
        if let Ok(Some(app)) = our_app(&cf, plan, ctx).await {
            cf.delete_access_app(cancel, &app.id).await?;
        }
        return Ok(());
    };
    // Only our own project goes: one that lost its markers is not deleted on our word.
    let tags = marker_tags(&project.env);
    if ownership::claim(&tags, owner(plan, false).tag) == ownership::Claim::Stranger {
        return Err(BackendError::Refused(format!(
            "The Cloudflare Pages project `{name}` does not carry this site's markers (`PLATFORM_ENVIRONMENT = {}`), so it is not deleted. Remove it from the state with `terraform state rm` if it is no longer this site's",
            plan.identity.environment
        )));
    }
    if let Ok(Some(app)) = our_app(&cf, plan, ctx).await {
        cf.delete_access_app(cancel, &app.id).await?;
    }
    for d in cf.list_pages_domains(cancel, name).await? {
        cf.delete_pages_domain(cancel, name, &d.name).await?;
    }
    cf.delete_pages_project(cancel, name).await
}
