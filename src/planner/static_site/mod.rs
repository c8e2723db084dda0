//! The `platform_static_site` planner: a built frontend served by Cloudflare Pages (direct
//! upload) or Vercel, placed by `framework` (see [`placement`]), with custom domains,
//! preview deployments on named branches, and — on Pages — Cloudflare Access in front.
//!
//! Children, in creation order:
//! - `project`: the Pages or Vercel project `<environment>-<name>`, its production branch
//!   and environment variables, priced by the account plan.
//! - `deployment`: the production deployment of `source_dir`. Its settings carry the
//!   content digest and file count the resource read from disk, so a rebuilt site is an
//!   in-place change of this child and nothing else.
//! - `preview:<branch>`: one preview deployment of the same files per `preview_branches`
//!   entry.
//! - `domain:<name>`: each custom domain.
//! - `access_application` and `access_policy` (Pages only): the Cloudflare Access
//!   application guarding every hostname the site answers on — the custom domains,
//!   `<project>.pages.dev` and its preview subdomains `*.<project>.pages.dev` — and its
//!   allow policy.
//!
//! `url` is known at plan time: the first custom domain, else the host's own
//! `<project>.pages.dev` / `<project>.vercel.app`.

pub mod placement;

use std::collections::BTreeMap;

use super::component::{self, Common, Identity};
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::{Child, Settings, Source, Violation, messages, prices};
use crate::value::path::AttributePath;
use placement::{Framework, SiteHost, SiteNeeds};

/// The `platform:component` value of a site's children.
pub const COMPONENT: &str = "static_site";

/// `name`: the project name `<environment>-<name>` must fit [`PROJECT_NAME_MAX`].
pub const NAME_LENGTH: IntRange = IntRange { min: 1, max: 40 };

/// Pages project names are at most 58 characters (the `pages.dev` subdomain label);
/// Vercel's 100 are looser, so one limit serves both hosts.
pub const PROJECT_NAME_MAX: usize = 58;

/// The production branch when none is given.
pub const DEFAULT_PRODUCTION_BRANCH: &str = "main";

/// How long an Access login lasts when `access_policy` names no `session_duration`.
pub const DEFAULT_SESSION_DURATION: &str = "24h";

/// Environment variable names starting with this are the provider's own (ownership
/// markers and the import record) and cannot be set in `env`.
pub const RESERVED_ENV_PREFIX: &str = "PLATFORM_";

/// How `secrets` name a variable set on the project outside Terraform.
pub const SECRET_SCHEME: &str = "secret://";

/// The setting a secret variable shows in the plan (never its value).
pub fn secret_setting(name: &str) -> String {
    format!("{SECRET_SCHEME}{name}, set on the project outside Terraform")
}

/// Custom domains per site: Pages allows 100 per project, Vercel 50 on Hobby; the
/// smaller one is the limit for both.
pub const MAX_DOMAINS: usize = 50;

/// The expansion keys.
pub mod keys {
    /// The Pages or Vercel project.
    pub const PROJECT: &str = "project";
    /// The production deployment.
    pub const DEPLOYMENT: &str = "deployment";
    /// The Access application.
    pub const ACCESS_APPLICATION: &str = "access_application";
    /// Its policy.
    pub const ACCESS_POLICY: &str = "access_policy";

    /// The key of a preview deployment.
    pub fn preview(branch: &str) -> String {
        format!("preview:{branch}")
    }

    /// The key of a custom domain.
    pub fn domain(name: &str) -> String {
        format!("domain:{name}")
    }
}

/// The built site as the resource read it from `source_dir`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteSource {
    /// `source_dir` as configured.
    pub dir: String,
    /// `sha256:<hex>` over the sorted (path, content hash) list.
    pub digest: String,
    /// Number of files.
    pub files: usize,
    /// Total size in bytes.
    pub bytes: u64,
}

/// The `access_policy` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessPolicyInput {
    /// Email addresses allowed in.
    pub emails: Vec<String>,
    /// Email domains whose addresses are allowed in.
    pub email_domains: Vec<String>,
    /// How long a login lasts (`24h`, `30m`).
    pub session_duration: Option<String>,
}

/// A site's configuration, as the user wrote it (with `source_dir` read).
#[derive(Debug, Clone, PartialEq)]
pub struct StaticSiteInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe site name.
    pub name: String,
    /// `auto`, `cloudflare_pages` or `vercel`; `None` is `auto`.
    pub host: Option<String>,
    /// `static` or `nextjs`; `None` is `static`.
    pub framework: Option<String>,
    /// The built site.
    pub source: SiteSource,
    /// Custom domains, the first one the site's `url`.
    pub domains: Vec<String>,
    /// The branch production deployments are made on.
    pub production_branch: Option<String>,
    /// Branches that get a preview deployment of the same files.
    pub preview_branches: Vec<String>,
    /// Plain-text environment variables.
    pub env: BTreeMap<String, String>,
    /// Secret variables set on the project outside Terraform: name → `secret://<name>`.
    pub secrets: BTreeMap<String, String>,
    /// Cloudflare Access in front of the site.
    pub access_policy: Option<AccessPolicyInput>,
    /// The host account's plan, for the estimate.
    pub plan: Option<String>,
}

/// The Access application and policy of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessPlan {
    /// The application's name (`<environment>-<name>`).
    pub app_name: String,
    /// The application's main hostname (the site's `url` host).
    pub domain: String,
    /// Every hostname the application guards, `domain` first.
    pub domains: Vec<String>,
    /// The policy's name.
    pub policy_name: String,
    /// Allowed emails.
    pub emails: Vec<String>,
    /// Allowed email domains.
    pub email_domains: Vec<String>,
    /// Login lifetime.
    pub session_duration: String,
}

/// The planned site.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticSitePlan {
    /// Names, region, tier.
    pub identity: Identity,
    /// Where it is served.
    pub host: SiteHost,
    /// What the files are.
    pub framework: Framework,
    /// Why it is served there.
    pub placement_reason: String,
    /// The project's name on the host.
    pub project_name: String,
    /// The production branch.
    pub production_branch: String,
    /// The preview branches, in the order given.
    pub preview_branches: Vec<String>,
    /// The custom domains.
    pub domains: Vec<String>,
    /// `https://` + the first custom domain, else the host's own domain.
    pub url: String,
    /// The host's own domain for the project (`<project>.pages.dev`).
    pub default_domain: String,
    /// The environment variables.
    pub env: BTreeMap<String, String>,
    /// Names of the secret variables the project keeps (set outside Terraform).
    pub secret_names: Vec<String>,
    /// Cloudflare Access, when configured.
    pub access: Option<AccessPlan>,
    /// The built site.
    pub source: SiteSource,
    /// The account plan the estimate uses.
    pub account_plan: String,
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// Validates and expands a site.
pub fn plan(input: &StaticSiteInput) -> Result<StaticSitePlan, Vec<Violation>> {
    let mut out = Vec::new();
    let at = AttributePath::attr;
    let no_tags = BTreeMap::new();
    let common = Common {
        environment: &input.environment,
        name: &input.name,
        tags: &no_tags,
        default_tags: &no_tags,
    };
    let identity = component::identity(
        &common,
        "Site",
        COMPONENT,
        NAME_LENGTH,
        "dashboard",
        &mut out,
    );
    if let Some(id) = &identity
        && id.cloud_name.len() > PROJECT_NAME_MAX
    {
        out.push(Violation::new(
            at("name"),
            "Site Name Too Long",
            format!(
                "The project name `{}` has {} characters, but Cloudflare Pages allows {PROJECT_NAME_MAX}. Shorten `name` by {} characters.",
                id.cloud_name,
                id.cloud_name.len(),
                id.cloud_name.len() - PROJECT_NAME_MAX
            ),
        ));
    }
    let choice = match placement::parse_host(input.host.as_deref().unwrap_or(placement::AUTO)) {
        Ok(c) => c,
        Err(v) => {
            out.push(v);
            None
        }
    };
    let framework = match input.framework.as_deref() {
        None => Framework::Static,
        Some(f) => f.parse().unwrap_or_else(|()| {
            out.push(messages::unknown_choice(
                at("framework"),
                f,
                &placement::FRAMEWORK_CHOICES,
                f.to_ascii_lowercase().contains("next").then_some("nextjs"),
            ));
            Framework::Static
        }),
    };
    let needs = SiteNeeds {
        framework,
        access_policy: input.access_policy.is_some(),
    };
    let placed = placement::resolve(choice, needs);
    out.extend(placement::check_explicit(placed.host, needs));

    check_domains(&input.domains, &mut out);
    let production_branch = input
        .production_branch
        .clone()
        .unwrap_or_else(|| DEFAULT_PRODUCTION_BRANCH.to_string());
    if let Some(b) = &input.production_branch {
        check_branch(b, at("production_branch"), &mut out);
    }
    for (i, b) in input.preview_branches.iter().enumerate() {
        let path = at("preview_branches").then_index(i);
        check_branch(b, path.clone(), &mut out);
        if *b == production_branch {
            out.push(Violation::new(
                path,
                "Preview Of The Production Branch",
                format!(
                    "`{b}` is the production branch, which gets the production deployment. Remove it from `preview_branches`."
                ),
            ));
        } else if let Some(first) = input.preview_branches[..i].iter().position(|x| x == b) {
            out.push(messages::duplicate(path, b, first));
        }
    }
    for key in input.env.keys() {
        check_env_key(key, &mut out);
    }
    for (key, reference) in &input.secrets {
        check_env_key(key, &mut out);
        let path = AttributePath::attr("secrets").then_key(key);
        if reference != &format!("{SECRET_SCHEME}{key}") {
            // The value is not quoted: it may be the secret itself, written by mistake.
            out.push(Violation::new(
                path,
                "Invalid Secret Reference",
                format!(
                    "`secrets` takes references, not values: write `{key} = \"{SECRET_SCHEME}{key}\"` and set the value on the project itself (`wrangler pages secret put {key}` or `vercel env add {key}`), so it never reaches Terraform's plan or state."
                ),
            ));
        } else if input.env.contains_key(key) {
            out.push(Violation::new(
                path,
                "Variable Set Twice",
                format!("`{key}` is in both `env` and `secrets`. Keep it in one of them: `secrets` for a value that must stay out of Terraform."),
            ));
        }
    }
    let session_duration = match &input.access_policy {
        Some(a) => check_access(a, &mut out),
        None => DEFAULT_SESSION_DURATION.to_string(),
    };
    let account_plan = account_plan(
        input.plan.as_deref(),
        placed.host,
        &input.environment,
        &mut out,
    );

    let Some(identity) = identity.filter(|_| out.is_empty()) else {
        return Err(out);
    };
    let (account_plan, plan_source) = account_plan;
    let host = placed.host;
    let project_name = identity.cloud_name.clone();
    let default_domain = host.default_domain(&project_name);
    let url_host = input
        .domains
        .first()
        .cloned()
        .unwrap_or_else(|| default_domain.clone());
    let url = format!("https://{url_host}");
    let branch_source = if input.production_branch.is_some() {
        Source::Config
    } else {
        Source::Fixed
    };

    let mut children = Vec::new();
    // The project: branch, variables and the plan it is priced on.
    let plan_fee = match host {
        SiteHost::CloudflarePages => prices::pages_plan_month(&account_plan),
        SiteHost::Vercel => prices::vercel_plan_month(&account_plan),
    }
    .unwrap_or_default();
    let mut s = Settings::default();
    s.set("production_branch", &production_branch, branch_source)
        .set(
            "framework",
            framework.as_str(),
            if input.framework.is_some() {
                Source::Config
            } else {
                Source::Fixed
            },
        )
        .set(
            "placement",
            &placed.reason,
            if input.host.is_some() && choice.is_some() {
                Source::Config
            } else {
                Source::Derived
            },
        )
        .set("default_domain", &default_domain, Source::Derived)
        .set("plan", &account_plan, plan_source)
        .set("pricing", pricing(host, &account_plan), Source::Derived);
    for (k, v) in &input.env {
        s.set(&format!("env.{k}"), v, Source::Config);
    }
    for k in input.secrets.keys() {
        s.set(&format!("secret.{k}"), secret_setting(k), Source::Config);
    }
    let project_kind = match host {
        SiteHost::CloudflarePages => "pages_project",
        SiteHost::Vercel => "vercel_project",
    };
    children.push(s.child(
        keys::PROJECT,
        host.provider(),
        project_kind,
        &project_name,
        plan_fee,
    ));

    let deployment_kind = match host {
        SiteHost::CloudflarePages => "pages_deployment",
        SiteHost::Vercel => "vercel_deployment",
    };
    let deployment = |branch: &str, branch_source: Source, environment: &str| {
        let mut s = Settings::default();
        s.set("branch", branch, branch_source)
            .set("environment", environment, Source::Derived)
            .set("source_dir", &input.source.dir, Source::Config)
            .set("content_digest", &input.source.digest, Source::Derived)
            .set("files", input.source.files, Source::Derived)
            .set("size", human_bytes(input.source.bytes), Source::Derived);
        s
    };
    children.push(
        deployment(&production_branch, branch_source, "production").child(
            keys::DEPLOYMENT,
            host.provider(),
            deployment_kind,
            &format!("{project_name}@{production_branch}"),
            0.0,
        ),
    );
    for b in &input.preview_branches {
        children.push(deployment(b, Source::Config, "preview").child(
            &keys::preview(b),
            host.provider(),
            deployment_kind,
            &format!("{project_name}@{b}"),
            0.0,
        ));
    }
    let domain_kind = match host {
        SiteHost::CloudflarePages => "pages_domain",
        SiteHost::Vercel => "vercel_domain",
    };
    for (i, d) in input.domains.iter().enumerate() {
        let mut s = Settings::default();
        s.set("project", &project_name, Source::Derived).set(
            "role",
            if i == 0 { "url" } else { "alias" },
            Source::Derived,
        );
        children.push(s.child(&keys::domain(d), host.provider(), domain_kind, d, 0.0));
    }

    let access = input.access_policy.as_ref().map(|a| {
        let mut domains = vec![url_host.clone()];
        for d in input
            .domains
            .iter()
            .cloned()
            .chain([default_domain.clone(), format!("*.{default_domain}")])
        {
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        AccessPlan {
            app_name: project_name.clone(),
            domain: url_host.clone(),
            domains,
            policy_name: format!("{project_name}-allow"),
            emails: a.emails.clone(),
            email_domains: a.email_domains.clone(),
            session_duration: session_duration.clone(),
        }
    });
    if let Some(a) = &access {
        let duration_source = if input
            .access_policy
            .as_ref()
            .is_some_and(|p| p.session_duration.is_some())
        {
            Source::Config
        } else {
            Source::Fixed
        };
        let mut s = Settings::default();
        s.set("type", "self_hosted", Source::Fixed)
            .set("domains", a.domains.join(", "), Source::Derived)
            .set("session_duration", &a.session_duration, duration_source);
        children.push(s.child(
            keys::ACCESS_APPLICATION,
            "cloudflare",
            "access_application",
            &a.app_name,
            0.0,
        ));
        let users = a.emails.len();
        let mut s = Settings::default();
        s.set("decision", "allow", Source::Fixed)
            .set(
                "emails",
                if a.emails.is_empty() {
                    "none".to_string()
                } else {
                    a.emails.join(", ")
                },
                Source::Config,
            )
            .set(
                "email_domains",
                if a.email_domains.is_empty() {
                    "none".to_string()
                } else {
                    a.email_domains.join(", ")
                },
                Source::Config,
            )
            .set(
                "pricing",
                access_pricing(users, !a.email_domains.is_empty()),
                Source::Derived,
            );
        children.push(s.child(
            keys::ACCESS_POLICY,
            "cloudflare",
            "access_policy",
            &a.policy_name,
            prices::access_monthly(users),
        ));
    }

    Ok(StaticSitePlan {
        identity,
        host,
        framework,
        placement_reason: placed.reason,
        project_name,
        production_branch,
        preview_branches: input.preview_branches.clone(),
        domains: input.domains.clone(),
        url,
        default_domain,
        env: input.env.clone(),
        secret_names: input.secrets.keys().cloned().collect(),
        access,
        source: input.source.clone(),
        account_plan,
        estimated_monthly_cost_usd: children.iter().map(|c| c.monthly_cost_usd).sum(),
        children,
    })
}

/// Checks every input; the errors [`plan`] would return.
pub fn validate(input: &StaticSiteInput) -> Vec<Violation> {
    plan(input).err().unwrap_or_default()
}

/// The account plan and where it came from: the configuration, else Pages' Free (every
/// tier: a static site costs nothing there) or the tier's Vercel plan.
fn account_plan(
    given: Option<&str>,
    host: SiteHost,
    env: &EnvironmentContext,
    out: &mut Vec<Violation>,
) -> (String, Source) {
    let choices: &[&str] = match host {
        SiteHost::CloudflarePages => &["free", "pro"],
        SiteHost::Vercel => &["hobby", "pro"],
    };
    match given {
        Some(p) if choices.contains(&p) => (p.to_string(), Source::Config),
        Some(p) => {
            out.push(messages::unknown_choice(
                AttributePath::attr("plan"),
                p,
                choices,
                None,
            ));
            (p.to_string(), Source::Config)
        }
        None => match host {
            SiteHost::CloudflarePages => ("free".to_string(), Source::Fixed),
            SiteHost::Vercel => (
                env.tier.defaults().site_vercel_plan.to_string(),
                Source::Tier(env.tier),
            ),
        },
    }
}

fn pricing(host: SiteHost, plan: &str) -> String {
    let as_of = &prices::site_table().as_of;
    match (host, plan) {
        (SiteHost::CloudflarePages, "pro") => format!(
            "Cloudflare Pro plan ${:.2}/month billed annually, per zone and account-wide; static requests free and unlimited (price table of {as_of})",
            prices::site_table().cloudflare_pages.pro_month
        ),
        (SiteHost::CloudflarePages, _) => format!(
            "$0: static requests are free and unlimited on every Cloudflare plan, and a direct upload runs no build (price table of {as_of})"
        ),
        (SiteHost::Vercel, "pro") => format!(
            "Vercel Pro ${:.2} per deploying seat a month, one seat counted, account-wide, $20 usage credit included; usage beyond it not estimated (price table of {as_of})",
            prices::site_table().vercel.pro_seat_month
        ),
        (SiteHost::Vercel, _) => format!(
            "$0: Vercel Hobby, for personal and non-commercial projects only (price table of {as_of})"
        ),
    }
}

fn access_pricing(users: usize, domains: bool) -> String {
    let t = &prices::site_table().cloudflare_access;
    let more = if domains {
        "; users admitted by email domain are not counted"
    } else {
        ""
    };
    format!(
        "{users} named users: Zero Trust Free covers up to {}, beyond that ${:.2} a user-month for every user{more} (price table of {})",
        t.free_users,
        t.standard_user_month,
        prices::site_table().as_of
    )
}

/// `12.3 MB`, `512 B`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A hostname: lowercase labels of letters, digits and hyphens, at least two labels.
pub fn is_hostname(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_lowercase()))
}

fn check_domains(domains: &[String], out: &mut Vec<Violation>) {
    let at = || AttributePath::attr("domains");
    if domains.len() > MAX_DOMAINS {
        out.push(Violation::new(
            at(),
            "Too Many Domains",
            format!(
                "`domains` has {} entries, but a site may have {MAX_DOMAINS} (Vercel Hobby's per-project limit; Pages allows 100). Remove {} of them.",
                domains.len(),
                domains.len() - MAX_DOMAINS
            ),
        ));
    }
    for (i, d) in domains.iter().enumerate() {
        let path = at().then_index(i);
        let bare = d
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_ascii_lowercase();
        if !is_hostname(d) {
            out.push(messages::invalid_format(
                path,
                "Invalid Domain",
                d,
                "a lowercase hostname without scheme or path",
                if is_hostname(&bare) {
                    &bare
                } else {
                    "dashboard.example.com"
                },
            ));
        } else if d.ends_with(".pages.dev") || d.ends_with(".vercel.app") {
            out.push(Violation::new(
                path,
                "Host Domain In Domains",
                format!(
                    "`{d}` is the host's own domain, which every project gets without asking. Remove it from `domains`; `url` is it when no custom domain is given."
                ),
            ));
        } else if let Some(first) = domains[..i].iter().position(|x| x == d) {
            out.push(messages::duplicate(path, d, first));
        }
    }
}

/// A branch name git accepts (`git check-ref-format --branch`, the common rules).
fn check_branch(b: &str, path: AttributePath, out: &mut Vec<Violation>) {
    let bad = b.is_empty()
        || b.len() > 255
        || b.starts_with('-')
        || b.starts_with('/')
        || b.ends_with('/')
        || b.ends_with('.')
        || b.ends_with(".lock")
        || b.contains("..")
        || b.contains("//")
        || b.contains("@{")
        || b.chars().any(|c| {
            c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        });
    if bad {
        out.push(messages::invalid_format(
            path,
            "Invalid Branch Name",
            b,
            "a git branch name (no spaces, `..`, `~^:?*[\\`, and no leading `-` or trailing `/` or `.`)",
            "staging",
        ));
    }
}

fn check_env_key(key: &str, out: &mut Vec<Violation>) {
    let path = AttributePath::attr("env").then_key(key);
    let valid = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        out.push(messages::invalid_format(
            path,
            "Invalid Variable Name",
            key,
            "letters, digits and `_`, not starting with a digit",
            "API_URL",
        ));
    } else if key.to_ascii_uppercase().starts_with(RESERVED_ENV_PREFIX) {
        out.push(Violation::new(
            path,
            "Reserved Variable Name",
            format!(
                "`{key}` starts with `{RESERVED_ENV_PREFIX}`, which the provider keeps for its own markers on the project. Rename the variable."
            ),
        ));
    }
}

/// Checks `access_policy` and returns its session duration.
fn check_access(a: &AccessPolicyInput, out: &mut Vec<Violation>) -> String {
    let at = |n: &str| AttributePath::attr("access_policy").then_attr(n);
    if a.emails.is_empty() && a.email_domains.is_empty() {
        out.push(Violation::new(
            at("emails"),
            "Access Policy Admits Nobody",
            "`access_policy` names no `emails` and no `email_domains`, so nobody could sign in. Add the people (`emails = [\"ops@example.com\"]`) or your company's domain (`email_domains = [\"example.com\"]`), or remove the block to leave the site public.",
        ));
    }
    for (i, e) in a.emails.iter().enumerate() {
        let ok = e.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && !domain.contains('@') && is_hostname(&domain.to_ascii_lowercase())
        });
        if !ok {
            out.push(messages::invalid_format(
                at("emails").then_index(i),
                "Invalid Email",
                e,
                "an email address",
                "ops@example.com",
            ));
        } else if let Some(first) = a.emails[..i].iter().position(|x| x.eq_ignore_ascii_case(e)) {
            out.push(messages::duplicate(at("emails").then_index(i), e, first));
        }
    }
    for (i, d) in a.email_domains.iter().enumerate() {
        if !is_hostname(d) {
            out.push(messages::invalid_format(
                at("email_domains").then_index(i),
                "Invalid Email Domain",
                d,
                "a lowercase domain without `@`",
                "example.com",
            ));
        }
    }
    match &a.session_duration {
        None => DEFAULT_SESSION_DURATION.to_string(),
        Some(d) => {
            let ok = d
                .strip_suffix('h')
                .or_else(|| d.strip_suffix('m'))
                .is_some_and(|n| {
                    !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_digit())
                        && n != "0"
                        && n.len() <= 4
                });
            if !ok {
                out.push(messages::invalid_format(
                    at("session_duration"),
                    "Invalid Session Duration",
                    d,
                    "a whole number of hours or minutes, `<n>h` or `<n>m`",
                    "24h",
                ));
            }
            d.clone()
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
