//! Where a `platform_static_site` is served, and why: the frontend row of the seeds'
//! hosting matrix as one pure function that both the resource (`host = "auto"`) and the
//! `platform_hosting_matrix` data source call.
//!
//! # Rules for `host = "auto"`, first match wins
//!
//! | # | when the site…                                | host               |
//! |---|-----------------------------------------------|--------------------|
//! | 1 | is server-rendered Next.js (`framework = "nextjs"`) | `vercel`     |
//! | 2 | is a static export behind `access_policy`     | `cloudflare_pages` |
//! | 3 | is any other static export                    | `cloudflare_pages` |
//!
//! Only Vercel of the two runs Next.js's server side (its functions, ISR, middleware):
//! a Pages direct upload serves files. A static export goes to Pages, whose static
//! requests are free and unlimited on every plan; with an access policy it must, because
//! Cloudflare Access is what puts a login in front of it.
//!
//! [`check_explicit`] turns a host that cannot serve the site into an error naming the
//! attribute and the host to use.

use std::fmt;
use std::str::FromStr;

use crate::planner::{Violation, messages};
use crate::value::path::AttributePath;

/// The `host` value that asks for placement by the rules.
pub const AUTO: &str = "auto";

/// Every value `host` accepts.
pub const HOST_CHOICES: [&str; 3] = [AUTO, "cloudflare_pages", "vercel"];

/// Every value `framework` accepts.
pub const FRAMEWORK_CHOICES: [&str; 2] = ["static", "nextjs"];

/// Where a site is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteHost {
    /// Cloudflare Pages, direct upload.
    CloudflarePages,
    /// Vercel.
    Vercel,
}

impl SiteHost {
    /// Both hosts, in the order users see them listed.
    pub const ALL: [SiteHost; 2] = [SiteHost::CloudflarePages, SiteHost::Vercel];

    /// The name users write and see as `resolved_host`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteHost::CloudflarePages => "cloudflare_pages",
            SiteHost::Vercel => "vercel",
        }
    }

    /// The product name, for messages.
    pub fn label(self) -> &'static str {
        match self {
            SiteHost::CloudflarePages => "Cloudflare Pages",
            SiteHost::Vercel => "Vercel",
        }
    }

    /// The `provider` of the host's children.
    pub fn provider(self) -> &'static str {
        match self {
            SiteHost::CloudflarePages => "cloudflare",
            SiteHost::Vercel => "vercel",
        }
    }

    /// The host's own domain for projects: `<project>.pages.dev`, `<project>.vercel.app`.
    pub fn default_domain(self, project: &str) -> String {
        match self {
            SiteHost::CloudflarePages => format!("{project}.pages.dev"),
            SiteHost::Vercel => format!("{project}.vercel.app"),
        }
    }
}

impl fmt::Display for SiteHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SiteHost {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        SiteHost::ALL
            .into_iter()
            .find(|h| h.as_str() == s)
            .ok_or(())
    }
}

/// What the uploaded files are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framework {
    /// Files served as they are (a static export of any framework).
    Static,
    /// A Next.js app with a server side (functions, ISR, middleware).
    Nextjs,
}

impl Framework {
    /// The name users write.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Static => "static",
            Framework::Nextjs => "nextjs",
        }
    }
}

impl FromStr for Framework {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "static" => Ok(Framework::Static),
            "nextjs" => Ok(Framework::Nextjs),
            _ => Err(()),
        }
    }
}

/// What a site needs, for placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteNeeds {
    /// What the files are.
    pub framework: Framework,
    /// Whether a login (Cloudflare Access) goes in front of it.
    pub access_policy: bool,
}

/// Where a site is served and the one-line `placement_reason` shown in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitePlacement {
    /// The resolved host.
    pub host: SiteHost,
    /// Why, in one line.
    pub reason: String,
}

/// Places a site by the rules in the module documentation.
pub fn place(needs: SiteNeeds) -> SitePlacement {
    let (host, reason) = match (needs.framework, needs.access_policy) {
        (Framework::Nextjs, _) => (
            SiteHost::Vercel,
            "server-rendered Next.js: Vercel runs its server side (functions, ISR, middleware) beside the static assets",
        ),
        (Framework::Static, true) => (
            SiteHost::CloudflarePages,
            "a static export behind a login: Cloudflare Pages serves it with Cloudflare Access in front",
        ),
        (Framework::Static, false) => (
            SiteHost::CloudflarePages,
            "a static export: Cloudflare Pages serves static assets free and unlimited from every Cloudflare location",
        ),
    };
    SitePlacement {
        host,
        reason: reason.to_string(),
    }
}

/// The placement for a `host` choice: `None` (auto) places by the rules; an explicit
/// host is taken as given, and its reason says what `auto` would have chosen.
pub fn resolve(choice: Option<SiteHost>, needs: SiteNeeds) -> SitePlacement {
    let auto = place(needs);
    match choice {
        None => auto,
        Some(host) if host == auto.host => SitePlacement {
            host,
            reason: format!(
                "`host = \"{host}\"` as configured, which `auto` agrees with: {}",
                auto.reason
            ),
        },
        Some(host) => SitePlacement {
            host,
            reason: format!(
                "`host = \"{host}\"` as configured; `auto` would choose `{}` ({})",
                auto.host, auto.reason
            ),
        },
    }
}

/// Parses `host`: `Ok(None)` for `auto`; the error names the choices (and a likely one).
pub fn parse_host(given: &str) -> Result<Option<SiteHost>, Violation> {
    if given == AUTO {
        return Ok(None);
    }
    given.parse().map(Some).map_err(|()| {
        let wanted = given.trim().to_ascii_lowercase().replace('-', "_");
        let suggestion = if wanted.contains("pages") || wanted == "cloudflare" {
            Some("cloudflare_pages")
        } else if wanted.contains("vercel") {
            Some("vercel")
        } else {
            None
        };
        messages::unknown_choice(
            AttributePath::attr("host"),
            given,
            &HOST_CHOICES,
            suggestion,
        )
    })
}

/// The errors of serving a site with these needs on `host`, each naming the attribute
/// and the fix. Empty when the host can serve it.
pub fn check_explicit(host: SiteHost, needs: SiteNeeds) -> Vec<Violation> {
    let mut out = Vec::new();
    match host {
        SiteHost::CloudflarePages if needs.framework == Framework::Nextjs => {
            out.push(Violation::new(
                AttributePath::attr("host"),
                "Host Cannot Serve The Site",
                "Cloudflare Pages serves the uploaded files as they are; server-rendered Next.js needs a server side. Set `host = \"vercel\"` (or `\"auto\"`), or export the app statically (`output: \"export\"` in next.config) and set `framework = \"static\"`.",
            ));
        }
        SiteHost::Vercel if needs.access_policy && needs.framework == Framework::Nextjs => {
            out.push(Violation::new(
                AttributePath::attr("access_policy"),
                "Access Policy Needs A Static Export",
                "`access_policy` puts Cloudflare Access in front of a site served by Cloudflare Pages, which serves static files; server-rendered Next.js runs on Vercel. Export the app statically (`output: \"export\"` in next.config) and set `framework = \"static\"`, or remove `access_policy` and use Vercel's own deployment protection.",
            ));
        }
        SiteHost::Vercel if needs.access_policy => {
            out.push(Violation::new(
                AttributePath::attr("access_policy"),
                "Access Policy Needs Cloudflare Pages",
                "`access_policy` puts Cloudflare Access in front of the site, which works for sites served by Cloudflare. Set `host = \"cloudflare_pages\"` (or `\"auto\"`) with a static export, or remove `access_policy` and use Vercel's own deployment protection.",
            ));
        }
        _ => {}
    }
    out
}

/// One frontend row of the `platform_hosting_matrix` data source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRow {
    /// The component kind, e.g. `static frontend`.
    pub component: &'static str,
    /// The component of the seeds' plans it stands for.
    pub seed_component: &'static str,
    /// What it needs.
    pub needs: SiteNeeds,
    /// Where [`place`] puts it, and why.
    pub placement: SitePlacement,
}

/// The frontend kinds of the seeds, placed by the same rules as `host = "auto"`.
pub fn matrix() -> Vec<SiteRow> {
    [
        (
            "static frontend",
            "Infrar's web app: a static export on Cloudflare Pages",
            SiteNeeds {
                framework: Framework::Static,
                access_policy: false,
            },
        ),
        (
            "internal dashboard behind a login",
            "PhishSentry's Ops Dashboard behind Cloudflare Zero Trust",
            SiteNeeds {
                framework: Framework::Static,
                access_policy: true,
            },
        ),
        (
            "server-rendered Next.js app",
            "the Next.js app of the fly-api-worker plan, on Vercel",
            SiteNeeds {
                framework: Framework::Nextjs,
                access_policy: false,
            },
        ),
    ]
    .into_iter()
    .map(|(component, seed_component, needs)| SiteRow {
        component,
        seed_component,
        needs,
        placement: place(needs),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(framework: Framework, access_policy: bool) -> SiteNeeds {
        SiteNeeds {
            framework,
            access_policy,
        }
    }

    #[test]
    fn auto_places_by_framework_and_access() {
        assert_eq!(
            place(needs(Framework::Nextjs, false)).host,
            SiteHost::Vercel
        );
        assert_eq!(
            place(needs(Framework::Static, false)).host,
            SiteHost::CloudflarePages
        );
        let dashboard = place(needs(Framework::Static, true));
        assert_eq!(dashboard.host, SiteHost::CloudflarePages);
        assert!(dashboard.reason.contains("Access"), "{}", dashboard.reason);
    }

    #[test]
    fn an_explicit_host_says_what_auto_would_choose() {
        let r = resolve(Some(SiteHost::Vercel), needs(Framework::Static, false));
        assert_eq!(r.host, SiteHost::Vercel);
        assert!(
            r.reason.contains("`auto` would choose `cloudflare_pages`"),
            "{}",
            r.reason
        );
        let same = resolve(Some(SiteHost::Vercel), needs(Framework::Nextjs, false));
        assert!(same.reason.contains("agrees"), "{}", same.reason);
    }

    #[test]
    fn a_host_that_cannot_serve_the_site_is_an_error_naming_the_fix() {
        let v = check_explicit(SiteHost::CloudflarePages, needs(Framework::Nextjs, false));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, AttributePath::attr("host"));
        assert!(
            v[0].detail.contains("host = \\\"vercel\\\"")
                || v[0].detail.contains("host = \"vercel\"")
        );
        let v = check_explicit(SiteHost::Vercel, needs(Framework::Static, true));
        assert_eq!(v[0].path, AttributePath::attr("access_policy"));
        let auto_next = check_explicit(SiteHost::Vercel, needs(Framework::Nextjs, true));
        assert!(
            auto_next[0].detail.contains("framework = \"static\""),
            "{}",
            auto_next[0].detail
        );
        assert!(check_explicit(SiteHost::Vercel, needs(Framework::Nextjs, false)).is_empty());
        assert!(
            check_explicit(SiteHost::CloudflarePages, needs(Framework::Static, true)).is_empty()
        );
    }

    #[test]
    fn unknown_hosts_suggest_the_likely_one() {
        let e = parse_host("pages").unwrap_err();
        assert!(e.detail.contains("cloudflare_pages"), "{}", e.detail);
        assert_eq!(parse_host("auto").unwrap(), None);
        assert_eq!(parse_host("vercel").unwrap(), Some(SiteHost::Vercel));
    }

    #[test]
    fn the_matrix_rows_are_placed_by_the_rules() {
        let rows = matrix();
        assert_eq!(rows.len(), 3);
        for row in rows {
            assert_eq!(row.placement, place(row.needs));
        }
    }
}
