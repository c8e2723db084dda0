//! `platform_static_site`: a built frontend on Cloudflare Pages (with Cloudflare Access in
//! front when asked) or Vercel. The planner (`planner::static_site`) decides everything
//! from the configuration and the site as read from `source_dir` at plan time (its digest
//! and file count); this module reads that directory, makes the host match the plan
//! (`pages.rs`, `vercel.rs`), reads the host back so an out-of-band change shows as one
//! child's drift, and imports a site from the record kept on its project.
//!
//! Neither host has tags. The project's environment variables stand for them:
//! `PLATFORM_ENVIRONMENT` and `PLATFORM_COMPONENT` (the owner), `PLATFORM_LIFECYCLE =
//! creating` while a create is unfinished, and `PLATFORM_SPEC` (the import record). Each
//! deployment records the content digest it was made from (a Pages deployment in its
//! commit message, a Vercel one in its `meta`), so a rollback made outside Terraform
//! shows as a different digest on the `deployment` child.

mod pages;
mod vercel;

use super::attrs::{self, get, map_of, s, with};
use super::environment_context::{
    NOT_A_CONTEXT, context_from_value, context_type, invalid_environment,
};
use super::framework::{Composite, Diff, Kept, violations};
use super::spec::{self, Field, Kind, field};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::backends::site::SiteFiles;
use crate::context::CallContext;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Violation;
use crate::planner::naming;
use crate::planner::static_site::placement::SiteHost;
use crate::planner::static_site::{
    self as planner, AccessPolicyInput, SiteSource, StaticSiteInput, StaticSitePlan, keys,
};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The marker variables on a site's project.
pub mod markers {
    /// The environment the site belongs to (the owner).
    pub const ENVIRONMENT: &str = "PLATFORM_ENVIRONMENT";
    /// `static_site`.
    pub const COMPONENT: &str = "PLATFORM_COMPONENT";
    /// `creating` while a create is unfinished.
    pub const LIFECYCLE: &str = "PLATFORM_LIFECYCLE";
    /// The import record.
    pub const SPEC: &str = "PLATFORM_SPEC";
}

/// What the import record holds: the configured inputs, so an import plans empty.
const SPEC: &[Field] = &[
    field("host", Kind::Text),
    field("framework", Kind::Text),
    field("source_dir", Kind::Text),
    field("domains", Kind::List),
    field("production_branch", Kind::Text),
    field("preview_branches", Kind::List),
    field("env", Kind::Map),
    field("secrets", Kind::Map),
    field("plan", Kind::Text),
    field(
        "access_policy",
        Kind::Block(&[
            field("emails", Kind::List),
            field("email_domains", Kind::List),
            field("session_duration", Kind::Text),
        ]),
    ),
];

/// How a deployment's commit message (Pages) or `meta` (Vercel) records its digest.
pub const DIGEST_PREFIX: &str = "terraform-provider-platform ";

/// The `platform_static_site` resource.
pub struct StaticSiteResource {
    schema: Schema,
}

impl StaticSiteResource {
    /// The resource with its schema.
    pub fn new() -> Self {
        Self { schema: schema() }
    }
}

impl Default for StaticSiteResource {
    fn default() -> Self {
        Self::new()
    }
}

fn schema() -> Schema {
    let req = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Required, d);
    let opt = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Optional, d);
    let computed = |name: &str, ty: Type, d: &str| Attribute::new(name, ty, Mode::Computed, d);
    let attributes = vec![
        req(
            "environment",
            context_type(),
            "The environment's `context`: `platform_environment.<name>.context`.",
        ),
        req(
            "name",
            Type::String,
            "Site name within the environment (DNS-safe); the project is `<environment>-<name>`. Changing it replaces the site.",
        ),
        opt(
            "host",
            Type::String,
            "`auto` (default), `cloudflare_pages` or `vercel`. `auto` places a static export on Cloudflare Pages and server-rendered Next.js on Vercel; an explicit host that cannot serve the site is a plan-time error. Changing the host replaces the site.",
        ),
        opt(
            "framework",
            Type::String,
            "`static` (default: the files are served as they are) or `nextjs` (a Next.js app with a server side, which Vercel builds and runs).",
        ),
        req(
            "source_dir",
            Type::String,
            "The built site (`dist`, `out`, `build`), relative to where Terraform runs, e.g. `\"${path.module}/dist\"`. Read at plan time: its content digest and file count are in the plan, so a rebuilt site is an in-place change. Uploaded at apply; only files the host lacks are sent.",
        ),
        opt(
            "domains",
            Type::list(Type::String),
            "Custom domains; the first is the site's `url`. Each is added to the project and its verification status read back into `domain_status`. DNS for them is yours to point at the host.",
        ),
        opt(
            "production_branch",
            Type::String,
            "The branch production deployments are made on. Default `main`.",
        ),
        opt(
            "preview_branches",
            Type::list(Type::String),
            "Branches that get a preview deployment of the same files (their URLs in `preview_urls`), e.g. `[\"staging\"]`.",
        ),
        opt(
            "env",
            Type::map(Type::String),
            "Plain-text environment variables (Vercel: build and runtime, production and preview; Pages: Functions). Shown in the plan: do not put secrets here. Names starting `PLATFORM_` are reserved.",
        ),
        opt(
            "secrets",
            Type::map(Type::String),
            "Secret variables the site reads, as references: `{ STRIPE_KEY = \"secret://STRIPE_KEY\" }`. The value is set on the project outside Terraform (`wrangler pages secret put`, `vercel env add`) and never reaches plan or state; the provider keeps the variable and the plan shows whether it is set.",
        ),
        opt(
            "plan",
            Type::String,
            "The host account's plan, for the estimate: `free` or `pro` on Pages (default `free`), `hobby` or `pro` on Vercel (default: the tier's, Hobby in development, Pro otherwise — Hobby is for non-commercial use only).",
        ),
        computed("id", Type::String, "`<environment>/<name>`, the import ID."),
        computed(
            "resolved_host",
            Type::String,
            "Where the site is served: `cloudflare_pages` or `vercel`.",
        ),
        computed(
            "placement_reason",
            Type::String,
            "Why it is served there, in one line.",
        ),
        computed(
            "project_name",
            Type::String,
            "The project's name on the host, `<environment>-<name>`.",
        ),
        computed(
            "url",
            Type::String,
            "The site's URL, known at plan time: `https://` + the first custom domain, else the host's `<project>.pages.dev` or `<project>.vercel.app`.",
        ),
        computed(
            "content_digest",
            Type::String,
            "SHA-256 over the site's files (paths and contents) as read from `source_dir`; a change means a new deployment.",
        ),
        computed("file_count", Type::Number, "Files in `source_dir`."),
        computed(
            "deployment_id",
            Type::String,
            "The production deployment's ID.",
        ),
        computed(
            "deployment_url",
            Type::String,
            "The production deployment's own URL (unique to this deployment).",
        ),
        computed(
            "preview_urls",
            Type::map(Type::String),
            "The URL of each preview branch's deployment.",
        ),
        computed(
            "domain_status",
            Type::map(Type::String),
            "Each custom domain's verification status as the host reports it (`active`, `pending`, `verified`, `unverified`).",
        ),
        computed(
            "expansion",
            Type::list(attrs::child_type()),
            "What the site expands into (project, deployments, domains, Access application and policy), with their effective settings, `sources` and monthly cost.",
        ),
        computed(
            "estimated_monthly_cost_usd",
            Type::Number,
            "The account plan's fee (shown on every site on that plan) plus Cloudflare Access seats beyond the free 50, from the dated price table.",
        ),
        computed(
            "estimated_monthly_cost_cents",
            Type::Number,
            "The same estimate in whole cents, for exact totals.",
        ),
    ];
    Schema {
        version: crate::resources::upgrade::VERSION,
        block: Block {
            description: "A frontend built into `source_dir`, served by Cloudflare Pages or Vercel (`host = \"auto\"` places by `framework`), with custom domains, preview deployments on named branches and, on Pages, Cloudflare Access in front (`access_policy { … }`). The plan shows the placement, the content digest of the files, every child and the cost; `url` is known at plan time.".into(),
            attributes,
            blocks: vec![NestedBlock {
                name: "access_policy".into(),
                repeated: false,
                block: Block {
                    description: "Cloudflare Access in front of the site (Pages only): only these people sign in. The application guards every hostname the site answers on: the custom domains, `<project>.pages.dev` and the preview subdomains `*.<project>.pages.dev`.".into(),
                    attributes: vec![
                        opt("emails", Type::list(Type::String), "Email addresses allowed in."),
                        opt("email_domains", Type::list(Type::String), "Email domains whose addresses are allowed in, e.g. `[\"example.com\"]`."),
                        opt("session_duration", Type::String, "How long a login lasts, `<n>h` or `<n>m`. Default `24h`."),
                    ],
                    blocks: vec![],
                },
            }],
        },
    }
}

/// Reads the configuration (or a state) into the planner's input. The site is read from
/// `source_dir` unless the value already records its digest (a state): a stored site is
/// re-planned from what it recorded, so destroying or refreshing it never needs the
/// built files.
fn input(v: &Value, ctx: &CallContext) -> Result<StaticSiteInput, Diagnostics> {
    let environment = match context_from_value(get(v, "environment")) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Diagnostics::from_error(invalid_environment(NOT_A_CONTEXT))),
        Err(detail) => return Err(Diagnostics::from_error(invalid_environment(&detail))),
    };
    let dir = attrs::opt_string(get(v, "source_dir")).unwrap_or_default();
    let recorded = attrs::opt_string(get(v, "content_digest")).zip(
        get(v, "file_count")
            .as_number()
            .and_then(|n| n.as_u64())
            .and_then(|n| usize::try_from(n).ok()),
    );
    let source = match recorded {
        Some((digest, files)) => SiteSource {
            dir,
            digest,
            files,
            bytes: 0,
        },
        None => {
            let site = read_site(&dir)?;
            source_of(&dir, &site)
        }
    };
    let _ = ctx;
    let ap = get(v, "access_policy");
    Ok(StaticSiteInput {
        environment,
        name: attrs::opt_string(get(v, "name")).unwrap_or_default(),
        host: attrs::opt_string(get(v, "host")),
        framework: attrs::opt_string(get(v, "framework")),
        source,
        domains: attrs::strings(get(v, "domains")),
        production_branch: attrs::opt_string(get(v, "production_branch")),
        preview_branches: attrs::strings(get(v, "preview_branches")),
        env: attrs::string_map(get(v, "env")),
        secrets: attrs::string_map(get(v, "secrets")),
        access_policy: (!ap.is_null()).then(|| AccessPolicyInput {
            emails: attrs::strings(get(ap, "emails")),
            email_domains: attrs::strings(get(ap, "email_domains")),
            session_duration: attrs::opt_string(get(ap, "session_duration")),
        }),
        plan: attrs::opt_string(get(v, "plan")),
    })
}

/// Reads `source_dir`; the error names the attribute and what to do.
fn read_site(dir: &str) -> Result<SiteFiles, Diagnostics> {
    SiteFiles::read(Path::new(dir)).map_err(|e| {
        Diagnostics::from_error(
            Diagnostic::error(
                "Site Not Readable",
                format!(
                    "`source_dir` is `{dir}`: {e}. Build the site before `terraform plan`, and write the path relative to where Terraform runs (e.g. `\"${{path.module}}/dist\"`)."
                ),
            )
            .at(AttributePath::attr("source_dir")),
        )
    })
}

fn source_of(dir: &str, site: &SiteFiles) -> SiteSource {
    SiteSource {
        dir: dir.to_string(),
        digest: site.digest(),
        files: site.count(),
        bytes: site.total_bytes(),
    }
}

/// The marker variables a project carries: owner, import record and, while creating,
/// the lifecycle marker.
fn marker_env(plan: &StaticSitePlan, config: &Value, creating: bool) -> BTreeMap<String, String> {
    let mut env = plan.env.clone();
    env.insert(
        markers::ENVIRONMENT.into(),
        plan.identity.environment.clone(),
    );
    env.insert(markers::COMPONENT.into(), planner::COMPONENT.into());
    env.insert(
        markers::SPEC.into(),
        serde_json::Value::from(spec::encode(SPEC, config)).to_string(),
    );
    if creating {
        env.insert(markers::LIFECYCLE.into(), ownership::CREATING.into());
    }
    env
}

/// The markers of a project as the tags `ownership::claim` reads.
fn marker_tags(env: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::new();
    if let Some(e) = env.get(markers::ENVIRONMENT)
        && env.get(markers::COMPONENT).map(String::as_str) == Some(planner::COMPONENT)
    {
        tags.insert(naming::TAG_ENVIRONMENT.to_string(), e.clone());
    }
    if let Some(l) = env.get(markers::LIFECYCLE) {
        tags.insert(ownership::TAG_LIFECYCLE.to_string(), l.clone());
    }
    tags
}

/// Whether a project's variables mark it as this site's (finished or not): a project
/// without them is someone else's and is never read into the state.
fn is_ours(plan: &StaticSitePlan, env: &BTreeMap<String, String>) -> bool {
    ownership::claim(&marker_tags(env), owner(plan, false).tag) != ownership::Claim::Stranger
}

/// The owner of a site's project.
fn owner(plan: &StaticSitePlan, creating: bool) -> Owner<'_> {
    Owner {
        tag: (naming::TAG_ENVIRONMENT, plan.identity.environment.as_str()),
        creating,
        marks: true,
    }
}

/// The digest a deployment recorded, from its commit message or meta value.
pub fn recorded_digest(text: &str) -> Option<&str> {
    text.strip_prefix(DIGEST_PREFIX).map(str::trim)
}

/// One deployment as the host reports it.
#[derive(Debug, Clone, Default, PartialEq)]
struct SeenDeployment {
    id: String,
    url: String,
    /// The digest it recorded; `None` for a deployment made outside Terraform.
    digest: Option<String>,
}

/// The Access application and policy as Cloudflare reports them.
#[derive(Debug, Clone, Default, PartialEq)]
struct SeenAccess {
    domains: Vec<String>,
    session_duration: String,
    policy: Option<(Vec<String>, Vec<String>)>,
}

/// What the host holds for a site.
#[derive(Debug, Clone, Default, PartialEq)]
struct Seen {
    /// The project's production branch and every variable (markers included); `None`
    /// when there is no project.
    project: Option<(String, BTreeMap<String, String>)>,
    /// The production deployment.
    production: Option<SeenDeployment>,
    /// The newest deployment of each branch other than production.
    previews: BTreeMap<String, SeenDeployment>,
    /// Custom domains and their status.
    domains: BTreeMap<String, String>,
    /// Names of every variable on the project, secret ones included.
    variable_names: BTreeSet<String>,
    /// Access, when an application of the site's name exists.
    access: Option<SeenAccess>,
}

async fn read(plan: &StaticSitePlan, ctx: &CallContext) -> Result<Seen, BackendError> {
    match plan.host {
        SiteHost::CloudflarePages => pages::read(plan, ctx).await,
        SiteHost::Vercel => vercel::read(plan, ctx).await,
    }
}

/// The observed settings of a deployment child: the digest it recorded, or what it is.
fn deployment_digest(d: Option<&SeenDeployment>) -> String {
    match d {
        None => "none".to_string(),
        Some(SeenDeployment {
            digest: Some(digest),
            ..
        }) => digest.clone(),
        Some(d) => format!("deployment {} made outside Terraform", d.id),
    }
}

/// A state with what the host holds: each child's observed settings, the deployments'
/// IDs and URLs and the domains' status.
fn observe(state: Value, plan: &StaticSitePlan, seen: &Seen) -> Value {
    let mut children: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    if let Some((branch, env)) = &seen.project {
        let mut m = BTreeMap::from([("production_branch".to_string(), branch.clone())]);
        for k in plan.env.keys() {
            m.insert(
                format!("env.{k}"),
                env.get(k)
                    .cloned()
                    .unwrap_or_else(|| "(absent)".to_string()),
            );
        }
        children.insert(keys::PROJECT.into(), m);
        children.insert(
            keys::DEPLOYMENT.into(),
            BTreeMap::from([(
                "content_digest".to_string(),
                deployment_digest(seen.production.as_ref()),
            )]),
        );
        for b in &plan.preview_branches {
            if let Some(d) = seen.previews.get(b) {
                children.insert(
                    keys::preview(b),
                    BTreeMap::from([("content_digest".to_string(), deployment_digest(Some(d)))]),
                );
            }
        }
        for d in seen.domains.keys() {
            children.insert(keys::domain(d), BTreeMap::new());
        }
        if let Some(a) = &seen.access {
            children.insert(
                keys::ACCESS_APPLICATION.into(),
                BTreeMap::from([
                    ("domains".to_string(), a.domains.join(", ")),
                    ("session_duration".to_string(), a.session_duration.clone()),
                ]),
            );
            if let Some((emails, domains)) = &a.policy {
                let joined = |v: &Vec<String>| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.join(", ")
                    }
                };
                children.insert(
                    keys::ACCESS_POLICY.into(),
                    BTreeMap::from([
                        ("emails".to_string(), joined(emails)),
                        ("email_domains".to_string(), joined(domains)),
                    ]),
                );
            }
        }
    }
    let expansion = attrs::observed_expansion(&state, &children);
    let opt = |d: Option<&SeenDeployment>, f: fn(&SeenDeployment) -> &String| {
        d.map_or(Value::Null, |d| s(f(d).clone()))
    };
    let preview_urls: BTreeMap<String, String> = seen
        .previews
        .iter()
        .filter(|(b, _)| plan.preview_branches.contains(b))
        .map(|(b, d)| (b.clone(), d.url.clone()))
        .collect();
    with(
        state,
        [
            ("expansion", expansion),
            ("deployment_id", opt(seen.production.as_ref(), |d| &d.id)),
            ("deployment_url", opt(seen.production.as_ref(), |d| &d.url)),
            ("preview_urls", map_of(&preview_urls)),
            ("domain_status", map_of(&seen.domains)),
        ],
    )
}

/// The planned state. `kept` is the prior state when the site is updated in place: the
/// deployment's ID and URL are kept when it is not redeployed, previews and domains'
/// status likewise.
fn state_value(config: &Value, plan: &StaticSitePlan, kept: Option<&Value>) -> Value {
    let none = BTreeMap::<String, BTreeSet<String>>::new();
    let setting = |state: &Value, key: &str, name: &str| -> Option<String> {
        match get(state, "expansion") {
            Value::List(children) => children
                .iter()
                .find(|c| get(c, "key").as_str() == Some(key))
                .and_then(|c| get(get(c, "settings"), name).as_str().map(str::to_string)),
            _ => None,
        }
    };
    let redeploy = |key: &str, branch: &str| {
        kept.is_none_or(|k| {
            setting(k, key, "content_digest").as_deref() != Some(plan.source.digest.as_str())
                || setting(k, key, "branch").as_deref() != Some(branch)
        })
    };
    let keep = |name: &str, redeployed: bool| match kept {
        Some(k) if !redeployed => get(k, name).clone(),
        _ => Value::Unknown,
    };
    let production = redeploy(keys::DEPLOYMENT, &plan.production_branch);
    let previews_change = plan
        .preview_branches
        .iter()
        .any(|b| redeploy(&keys::preview(b), b))
        || kept.is_some_and(|k| {
            let before: BTreeSet<String> = attrs::string_map(get(k, "preview_urls"))
                .into_keys()
                .collect();
            before != plan.preview_branches.iter().cloned().collect()
        });
    let domains_change = kept.is_none_or(|k| {
        let before: BTreeSet<String> = attrs::string_map(get(k, "domain_status"))
            .into_keys()
            .collect();
        before != plan.domains.iter().cloned().collect()
    });
    let state = with(
        config.clone(),
        [
            (
                "id",
                s(format!(
                    "{}/{}",
                    plan.identity.environment, plan.identity.name
                )),
            ),
            ("resolved_host", s(plan.host.as_str())),
            ("placement_reason", s(plan.placement_reason.clone())),
            ("project_name", s(plan.project_name.clone())),
            ("url", s(plan.url.clone())),
            ("content_digest", s(plan.source.digest.clone())),
            ("file_count", attrs::int(plan.source.files as i64)),
            ("deployment_id", keep("deployment_id", production)),
            ("deployment_url", keep("deployment_url", production)),
            ("preview_urls", keep("preview_urls", previews_change)),
            ("domain_status", keep("domain_status", domains_change)),
            (
                "expansion",
                Value::list(plan.children.iter().map(|c| attrs::child_state(c, &none))),
            ),
            (
                "estimated_monthly_cost_usd",
                attrs::money(plan.estimated_monthly_cost_usd),
            ),
            (
                "estimated_monthly_cost_cents",
                attrs::cents(plan.estimated_monthly_cost_usd),
            ),
        ],
    );
    // A status still settling (`pending`, `initializing`, `unverified`) may change by
    // itself before an apply reads it back: when this plan applies anything, it is
    // unknown; when it changes nothing, it is kept, so the plan stays empty.
    match kept {
        Some(k)
            if attrs::string_map(get(k, "domain_status"))
                .values()
                .any(|s| s != "active" && s != "verified")
                && with(state.clone(), [("domain_status", Value::Null)])
                    != with(k.clone(), [("domain_status", Value::Null)]) =>
        {
            with(state, [("domain_status", Value::Unknown)])
        }
        _ => state,
    }
}

/// A warning for each secret `secrets` names that the project does not hold: the
/// provider cannot set it (its value stays out of Terraform), so it says how.
fn unset_secrets(plan: &StaticSitePlan, seen: &Seen) -> Diagnostics {
    plan.secret_names
        .iter()
        .filter(|k| !seen.variable_names.contains(*k))
        .map(|k| {
            Diagnostic::warning(
                "Secret Not Set",
                format!(
                    "`secrets` names `{k}`, but the project `{}` has no variable `{k}`. Set it on the project (`vercel env add {k}`, or `wrangler pages secret put {k} --project-name {}`); the site reads nothing until then.",
                    plan.project_name, plan.project_name
                ),
            )
            .at(AttributePath::attr("secrets").then_key(k))
        })
        .collect()
}

/// The diagnostic of a failed call to the host.
fn diagnostic(action: &str, e: BackendError) -> Diagnostic {
    super::backend_diagnostic("Site Project Name Already Taken", action, e)
}

#[async_trait::async_trait]
impl Composite for StaticSiteResource {
    type Input = StaticSiteInput;
    type Plan = StaticSitePlan;
    const TYPE_NAME: &'static str = "platform_static_site";

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn docs(&self) -> super::docs::ResourceDocs {
        super::docs::ResourceDocs {
            expansion: EXPANSION,
            tier_rows: super::docs::SITE_ROWS,
        }
    }

    fn decode(&self, config: &Value, ctx: &CallContext) -> Result<StaticSiteInput, Diagnostics> {
        input(config, ctx)
    }

    fn validate(&self, input: &StaticSiteInput) -> Vec<Violation> {
        planner::validate(input)
    }

    fn plan(&self, input: &StaticSiteInput) -> Result<StaticSitePlan, Vec<Violation>> {
        planner::plan(input)
    }

    fn requires_replace(&self, prior: &Value, config: &Value) -> Vec<AttributePath> {
        super::framework::changed(prior, config, &["name"])
    }

    fn diff(
        &self,
        _prior: &Value,
        prior_plan: &StaticSitePlan,
        _i: &StaticSiteInput,
        plan: &StaticSitePlan,
    ) -> Diff {
        let mut replace = Vec::new();
        if prior_plan.host != plan.host {
            replace.push(AttributePath::attr("host"));
        }
        if prior_plan.project_name != plan.project_name {
            replace.push(AttributePath::attr("environment"));
        }
        Diff {
            replace,
            diagnostics: Diagnostics::new(),
        }
    }

    fn planned_state(
        &self,
        config: &Value,
        _input: &StaticSiteInput,
        plan: &StaticSitePlan,
        kept: Option<Kept<'_, StaticSitePlan>>,
    ) -> Value {
        let same = kept
            .as_ref()
            .filter(|k| {
                k.plan
                    .is_some_and(|p| p.project_name == plan.project_name && p.host == plan.host)
            })
            .map(|k| k.state);
        state_value(config, plan, same)
    }

    async fn reconcile(
        &self,
        prior: Value,
        config: &Value,
        _input: &StaticSiteInput,
        plan: &StaticSitePlan,
        ctx: &CallContext,
    ) -> (Value, Diagnostics) {
        let creating = prior.is_null();
        let mut diags = Diagnostics::new();
        let applied = match read_site(&plan.source.dir) {
            Err(d) => return (prior, d),
            Ok(site) if site.digest() != plan.source.digest => {
                return (
                    prior,
                    Diagnostics::from_error(
                        Diagnostic::error(
                            "Site Changed Since The Plan",
                            format!(
                                "The files in `{}` are not the ones planned (planned {}, now {}): the site was rebuilt between plan and apply. Run `terraform plan` again and apply that plan.",
                                plan.source.dir,
                                plan.source.digest,
                                site.digest()
                            ),
                        )
                        .at(AttributePath::attr("source_dir")),
                    ),
                );
            }
            Ok(site) => {
                let env = marker_env(plan, config, creating);
                let owner = owner(plan, creating);
                match plan.host {
                    SiteHost::CloudflarePages => pages::apply(plan, &site, &env, owner, ctx).await,
                    SiteHost::Vercel => vercel::apply(plan, &site, &env, owner, ctx).await,
                }
            }
        };
        if let Err(e) = applied {
            // A project that is not ours (another state's, or anyone's) is never recorded.
            let foreign = matches!(e, BackendError::Taken(_));
            let e = ownership::with_import(
                e,
                "platform_static_site",
                &format!("{}/{}", plan.identity.environment, plan.identity.name),
            );
            diags.push(diagnostic("Apply The Site", e));
            if !creating || foreign {
                return (prior, diags);
            }
        }
        let planned = state_value(config, plan, None);
        match super::read_back(ctx, |fresh| async move { read(plan, &fresh).await }).await {
            Ok(seen) if seen.project.is_some() => {
                diags.extend(unset_secrets(plan, &seen));
                (observe(planned, plan, &seen), diags)
            }
            Ok(_) => (prior, diags),
            Err(e) => {
                diags.push(diagnostic("Read The Site", e));
                (prior, diags)
            }
        }
    }

    async fn delete(&self, prior: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&prior, ctx) else {
            return (prior, super::component::unreadable("site"));
        };
        let deleted = match plan.host {
            SiteHost::CloudflarePages => pages::delete(&plan, ctx).await,
            SiteHost::Vercel => vercel::delete(&plan, ctx).await,
        };
        match deleted {
            Ok(()) => (Value::Null, Diagnostics::new()),
            Err(e) => (
                prior,
                Diagnostics::from_error(diagnostic("Delete The Site", e)),
            ),
        }
    }

    async fn observe(&self, state: Value, ctx: &CallContext) -> (Value, Diagnostics) {
        let Some((_, plan)) = self.replan(&state, ctx) else {
            return (state, Diagnostics::new());
        };
        match read(&plan, ctx).await {
            Ok(seen) if seen.project.is_none() => {
                tracing::info!(project = %plan.project_name, "site project is gone; it will be planned for creation");
                (Value::Null, Diagnostics::new())
            }
            Ok(seen) => {
                let warnings = unset_secrets(&plan, &seen);
                (observe(state, &plan, &seen), warnings)
            }
            Err(e) => (
                state,
                Diagnostics::from_error(diagnostic("Read The Site", e)),
            ),
        }
    }

    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics) {
        let (context, env, name) =
            match super::component::import_target(id, "prod/dashboard", ctx).await {
                Ok(t) => t,
                Err(d) => return (None, d),
            };
        let project = naming::child_name(&env.name, &name);
        // The project may be on either host: Pages first when Cloudflare is configured.
        let mut found = None;
        for host in SiteHost::ALL {
            let vars = match host {
                SiteHost::CloudflarePages if ctx.config.cloudflare.api_token.is_some() => {
                    pages::project_env(&project, ctx).await
                }
                SiteHost::Vercel if ctx.config.vercel.api_token.is_some() => {
                    vercel::project_env(&project, ctx).await
                }
                _ => Ok(None),
            };
            match vars {
                // Only a project of this site counts: a stranger's of the same name on
                // one host does not hide ours on the other.
                Ok(Some(vars))
                    if vars.get(markers::ENVIRONMENT) == Some(&env.name)
                        && vars.get(markers::COMPONENT).map(String::as_str)
                            == Some(planner::COMPONENT) =>
                {
                    found = Some((host, vars));
                    break;
                }
                Ok(Some(_)) => {}
                Ok(None) => {}
                Err(e) => {
                    return (
                        None,
                        Diagnostics::from_error(diagnostic("Read The Site", e)),
                    );
                }
            }
        }
        let Some((_host, vars)) = found.filter(|(_, vars)| {
            vars.get(markers::ENVIRONMENT) == Some(&env.name)
                && vars.get(markers::COMPONENT).map(String::as_str) == Some(planner::COMPONENT)
        }) else {
            return (
                None,
                super::component::not_found(
                    "Site Not Found",
                    &format!("Cloudflare Pages or Vercel project `{project}`"),
                    &env.name,
                    "<environment>/<site>",
                    ", and that the provider is configured for the host the site is on",
                ),
            );
        };
        let record: Vec<String> = vars
            .get(markers::SPEC)
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        let mut fields = vec![("environment", context), ("name", s(name.clone()))];
        fields.extend(spec::decode(SPEC, &record));
        // Without `host` in the record the site was placed by `auto`, which places it the
        // same way again.
        let config = Value::object(fields);
        // The state records what is deployed: the production deployment's digest.
        let probe = match input_with_digest(&config, "sha256:unknown", 0, ctx) {
            Ok(i) => match planner::plan(&i) {
                Ok(p) => p,
                Err(v) => return (None, violations(v)),
            },
            Err(d) => return (None, d),
        };
        let seen = match read(&probe, ctx).await {
            Ok(seen) => seen,
            Err(e) => {
                return (
                    None,
                    Diagnostics::from_error(diagnostic("Read The Site", e)),
                );
            }
        };
        let digest = seen
            .production
            .as_ref()
            .and_then(|d| d.digest.clone())
            .unwrap_or_else(|| "none".to_string());
        // The files on disk stand for the deployment when they are what it was made from.
        let on_disk = attrs::opt_string(get(&config, "source_dir")).and_then(|dir| {
            SiteFiles::read(Path::new(&dir))
                .ok()
                .filter(|site| site.digest() == digest)
                .map(|site| source_of(&dir, &site))
        });
        let config = with(
            config,
            [
                ("content_digest", s(digest)),
                (
                    "file_count",
                    attrs::int(on_disk.as_ref().map_or(0, |d| d.files as i64)),
                ),
            ],
        );
        let plan = match input(&config, ctx).map(|mut i| {
            if let Some(source) = on_disk {
                i.source = source;
            }
            planner::plan(&i)
        }) {
            Ok(Ok(p)) => p,
            Ok(Err(v)) => return (None, violations(v)),
            Err(d) => return (None, d),
        };
        let state = state_value(&config, &plan, None);
        (Some(observe(state, &plan, &seen)), Diagnostics::new())
    }
}

/// The input of a configuration with a given recorded digest (no disk read).
fn input_with_digest(
    config: &Value,
    digest: &str,
    files: i64,
    ctx: &CallContext,
) -> Result<StaticSiteInput, Diagnostics> {
    input(
        &with(
            config.clone(),
            [
                ("content_digest", s(digest)),
                ("file_count", attrs::int(files)),
            ],
        ),
        ctx,
    )
}

/// What the page says it expands into.
const EXPANSION: &str = "\
- `project`: the Cloudflare Pages or Vercel project `<environment>-<name>`, its production branch, `env` variables and the account plan it is priced on. The provider keeps its markers there too (`PLATFORM_ENVIRONMENT`, `PLATFORM_COMPONENT`, `PLATFORM_SPEC`, and `PLATFORM_LIFECYCLE` while a create is unfinished): neither host has tags.
- `deployment`: the production deployment of `source_dir` on `production_branch`: its `content_digest` (SHA-256 over paths and contents), file count and size. Pages: a direct upload (only assets the project lacks are sent, in parallel batches); Vercel: the files the deployment lacks, then the deployment, waited for until `READY`.
- `preview:<branch>`: a preview deployment of the same files for each `preview_branches` entry.
- `domain:<name>`: each custom domain; `domain_status` reads its verification back.
- `access_application` and `access_policy` (Pages, with `access_policy`): a self-hosted Cloudflare Access application guarding every hostname of the site (custom domains, `<project>.pages.dev`, `*.<project>.pages.dev`) and its allow policy.

Drift shown in the plan: a domain removed, the production branch or a variable changed, and the production deployment replaced or rolled back outside Terraform (its digest differs, or it is `made outside Terraform`); the next apply restores each. A changed site is uploaded at apply. A site rebuilt between a saved plan and its apply is refused before anything is uploaded: Terraform re-plans at apply, sees a different `content_digest` and stops.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_described() {
        for (path, a) in schema().block.walk() {
            assert!(a.description.len() > 10, "{path:?} lacks a description");
        }
    }

    #[test]
    fn markers_claim_like_tags() {
        let env = BTreeMap::from([
            (markers::ENVIRONMENT.to_string(), "prod".to_string()),
            (markers::COMPONENT.to_string(), "static_site".to_string()),
            (markers::LIFECYCLE.to_string(), "creating".to_string()),
        ]);
        let owner = (naming::TAG_ENVIRONMENT, "prod");
        assert_eq!(
            ownership::claim(&marker_tags(&env), owner),
            ownership::Claim::Unfinished
        );
        let mut finished = env.clone();
        finished.remove(markers::LIFECYCLE);
        assert_eq!(
            ownership::claim(&marker_tags(&finished), owner),
            ownership::Claim::OtherState
        );
        let mut other = finished.clone();
        other.insert(markers::COMPONENT.into(), "something".into());
        assert_eq!(
            ownership::claim(&marker_tags(&other), owner),
            ownership::Claim::Stranger
        );
        assert_eq!(
            ownership::claim(&marker_tags(&BTreeMap::new()), owner),
            ownership::Claim::Stranger
        );
    }

    #[test]
    fn a_deployment_records_its_digest() {
        let text = format!("{DIGEST_PREFIX}sha256:abc");
        assert_eq!(recorded_digest(&text), Some("sha256:abc"));
        assert_eq!(recorded_digest("fix typo"), None);
    }

    #[test]
    fn the_record_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("source_dir", s("./dist")),
            (
                "domains",
                attrs::string_list(&["ops.example.com".to_string()]),
            ),
            (
                "env",
                map_of(&BTreeMap::from([("A".to_string(), "b c".to_string())])),
            ),
            (
                "access_policy",
                Value::object([
                    (
                        "emails",
                        attrs::string_list(&["oncall@example.com".to_string()]),
                    ),
                    ("email_domains", Value::Null),
                    ("session_duration", s("8h")),
                ]),
            ),
        ]);
        let record = serde_json::Value::from(spec::encode(SPEC, &config)).to_string();
        let back: Vec<String> = serde_json::from_str(&record).unwrap();
        let fields: BTreeMap<&str, Value> = spec::decode(SPEC, &back).into_iter().collect();
        assert_eq!(fields["source_dir"], s("./dist"));
        assert_eq!(
            attrs::strings(&fields["domains"]),
            vec!["ops.example.com".to_string()]
        );
        assert_eq!(attrs::string_map(&fields["env"])["A"], "b c");
        assert_eq!(get(&fields["access_policy"], "session_duration"), &s("8h"));
    }
}
