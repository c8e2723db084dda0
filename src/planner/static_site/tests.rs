use super::*;
use crate::planner::Tier;
use crate::planner::component::test_context;

fn source() -> SiteSource {
    SiteSource {
        dir: "./dist".to_string(),
        digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            .to_string(),
        files: 3,
        bytes: 2_500,
    }
}

/// A valid site on `host` in a `tier` environment named `prod`.
pub(crate) fn site_input(tier: Tier, host: &str) -> StaticSiteInput {
    StaticSiteInput {
        environment: test_context(tier),
        name: "dashboard".to_string(),
        host: Some(host.to_string()),
        framework: None,
        source: source(),
        domains: vec![],
        production_branch: None,
        preview_branches: vec![],
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        access_policy: None,
        plan: None,
    }
}

fn errors(input: &StaticSiteInput) -> Vec<Violation> {
    plan(input).expect_err("invalid")
}

#[test]
fn auto_places_a_static_export_on_pages_with_a_url_known_at_plan() {
    let p = plan(&StaticSiteInput {
        host: None,
        ..site_input(Tier::Production, "auto")
    })
    .expect("valid");
    assert_eq!(p.host, SiteHost::CloudflarePages);
    assert_eq!(p.project_name, "prod-dashboard");
    assert_eq!(p.url, "https://prod-dashboard.pages.dev");
    assert!(
        p.placement_reason.contains("static export"),
        "{}",
        p.placement_reason
    );
    let keys: Vec<&str> = p.children.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["project", "deployment"]);
    let d = &p.children[1];
    assert_eq!(d.settings["content_digest"], source().digest);
    assert_eq!(d.settings["files"], "3");
    assert_eq!(d.settings["branch"], "main");
    assert_eq!(d.settings_source["branch"], Source::Fixed);
    assert_eq!(d.settings["size"], "2.5 KB");
    assert_eq!(p.estimated_monthly_cost_usd, 0.0);
    assert!(p.children[0].settings["pricing"].contains("free and unlimited"));
}

#[test]
fn nextjs_goes_to_vercel_priced_on_the_tiers_plan() {
    for (tier, plan_name, cost) in [
        (Tier::Development, "hobby", 0.0),
        (Tier::Staging, "pro", 20.0),
        (Tier::Production, "pro", 20.0),
    ] {
        let p = plan(&StaticSiteInput {
            host: None,
            framework: Some("nextjs".into()),
            ..site_input(tier, "auto")
        })
        .expect("valid");
        assert_eq!(p.host, SiteHost::Vercel);
        assert_eq!(p.url, "https://prod-dashboard.vercel.app");
        let project = &p.children[0];
        assert_eq!(project.kind, "vercel_project");
        assert_eq!(project.settings["plan"], plan_name);
        assert_eq!(project.settings_source["plan"], Source::Tier(tier));
        assert_eq!(p.estimated_monthly_cost_usd, cost);
    }
    let p = plan(&StaticSiteInput {
        framework: Some("nextjs".into()),
        plan: Some("hobby".into()),
        ..site_input(Tier::Production, "auto")
    })
    .expect("valid");
    assert_eq!(p.children[0].settings_source["plan"], Source::Config);
    assert_eq!(p.estimated_monthly_cost_usd, 0.0);
}

#[test]
fn domains_previews_and_access_expand_into_their_children() {
    let p = plan(&StaticSiteInput {
        domains: vec!["ops.example.com".into(), "dash.example.com".into()],
        preview_branches: vec!["staging".into()],
        env: BTreeMap::from([("API_URL".to_string(), "https://api.example.com".to_string())]),
        access_policy: Some(AccessPolicyInput {
            emails: vec!["oncall@example.com".into()],
            email_domains: vec!["example.com".into()],
            session_duration: None,
        }),
        ..site_input(Tier::Production, "auto")
    })
    .expect("valid");
    let keys: Vec<&str> = p.children.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "project",
            "deployment",
            "preview:staging",
            "domain:ops.example.com",
            "domain:dash.example.com",
            "access_application",
            "access_policy"
        ]
    );
    assert_eq!(p.url, "https://ops.example.com");
    let access = p.access.as_ref().expect("access");
    // Every hostname the site answers on is behind the login, previews included.
    assert_eq!(
        access.domains,
        [
            "ops.example.com",
            "dash.example.com",
            "prod-dashboard.pages.dev",
            "*.prod-dashboard.pages.dev"
        ]
    );
    assert_eq!(access.session_duration, "24h");
    assert_eq!(
        p.children[0].settings["env.API_URL"],
        "https://api.example.com"
    );
    assert_eq!(p.children[2].settings["environment"], "preview");
    let policy = &p.children[6];
    assert_eq!(policy.monthly_cost_usd, 0.0);
    assert!(
        policy.settings["pricing"].contains("email domain"),
        "{}",
        policy.settings["pricing"]
    );
}

#[test]
fn more_than_fifty_named_users_are_priced_on_standard() {
    let emails: Vec<String> = (0..51).map(|i| format!("u{i}@example.com")).collect();
    let p = plan(&StaticSiteInput {
        access_policy: Some(AccessPolicyInput {
            emails,
            ..AccessPolicyInput::default()
        }),
        ..site_input(Tier::Production, "cloudflare_pages")
    })
    .expect("valid");
    assert!((p.estimated_monthly_cost_usd - 357.0).abs() < 1e-9);
}

#[test]
fn a_host_that_cannot_serve_the_site_is_refused_with_the_fix() {
    let e = errors(&StaticSiteInput {
        framework: Some("nextjs".into()),
        ..site_input(Tier::Staging, "cloudflare_pages")
    });
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].path, AttributePath::attr("host"));
    assert!(
        e[0].detail.contains("framework = \"static\""),
        "{}",
        e[0].detail
    );
    let e = errors(&StaticSiteInput {
        access_policy: Some(AccessPolicyInput {
            emails: vec!["a@example.com".into()],
            ..AccessPolicyInput::default()
        }),
        ..site_input(Tier::Staging, "vercel")
    });
    assert_eq!(e[0].path, AttributePath::attr("access_policy"));
}

#[test]
fn bad_inputs_name_the_attribute_and_the_fix() {
    let e = errors(&StaticSiteInput {
        host: Some("pages".into()),
        framework: Some("next".into()),
        domains: vec![
            "https://ops.example.com/".into(),
            "x.pages.dev".into(),
            "a.example.com".into(),
            "a.example.com".into(),
        ],
        production_branch: Some("feature branch".into()),
        preview_branches: vec!["main".into(), "dev".into(), "dev".into()],
        env: BTreeMap::from([
            ("PLATFORM_OWNER".to_string(), "x".to_string()),
            ("1BAD".to_string(), "x".to_string()),
        ]),
        access_policy: Some(AccessPolicyInput {
            emails: vec!["not-an-email".into()],
            email_domains: vec!["@example.com".into()],
            session_duration: Some("1 day".into()),
        }),
        plan: Some("enterprise".into()),
        ..site_input(Tier::Staging, "auto")
    });
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    let has = |needle: &str| {
        assert!(
            text.iter().any(|t| t.contains(needle)),
            "no error containing {needle:?} in {text:#?}"
        )
    };
    has("host: Unsupported Value");
    has("Did you mean `cloudflare_pages`?");
    has("Did you mean `nextjs`?");
    has("for example `ops.example.com`");
    has("Host Domain In Domains");
    has("domains[3]: Duplicate Value");
    has("production_branch: Invalid Branch Name");
    has("env[\"PLATFORM_OWNER\"]: Reserved Variable Name");
    has("env[\"1BAD\"]: Invalid Variable Name");
    has("access_policy.emails[0]: Invalid Email");
    has("access_policy.email_domains[0]: Invalid Email Domain");
    has("access_policy.session_duration: Invalid Session Duration");
    has("plan: Unsupported Value");
}

#[test]
fn previews_of_the_production_branch_and_empty_policies_are_refused() {
    let e = errors(&StaticSiteInput {
        production_branch: Some("release".into()),
        preview_branches: vec!["release".into()],
        access_policy: Some(AccessPolicyInput::default()),
        ..site_input(Tier::Staging, "cloudflare_pages")
    });
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("Preview Of The Production Branch")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("Admits Nobody")),
        "{text:#?}"
    );
}

#[test]
fn a_long_name_is_refused_with_how_much_to_cut() {
    let e = errors(&StaticSiteInput {
        name: "a".repeat(40) + "-and-more-than-that",
        ..site_input(Tier::Staging, "cloudflare_pages")
    });
    assert!(!e.is_empty());
    let e = errors(&StaticSiteInput {
        name: "d".repeat(40),
        environment: {
            let mut c = test_context(Tier::Staging);
            c.name = "production-europe-west".to_string();
            c
        },
        ..site_input(Tier::Staging, "cloudflare_pages")
    });
    assert!(
        e.iter().any(|v| v.summary == "Site Name Too Long"),
        "{e:#?}"
    );
}

#[test]
fn hostnames() {
    assert!(is_hostname("ops.example.com"));
    assert!(is_hostname("a-b.co"));
    assert!(!is_hostname("example"));
    assert!(!is_hostname("Ops.example.com"));
    assert!(!is_hostname("-a.example.com"));
    assert!(!is_hostname("1.2.3.4"));
}

#[test]
fn secrets_are_references_the_plan_shows_without_values() {
    let p = plan(&StaticSiteInput {
        secrets: BTreeMap::from([("STRIPE_KEY".to_string(), "secret://STRIPE_KEY".to_string())]),
        ..site_input(Tier::Production, "vercel")
    })
    .expect("valid");
    assert_eq!(p.secret_names, ["STRIPE_KEY"]);
    assert_eq!(
        p.children[0].settings["secret.STRIPE_KEY"],
        "secret://STRIPE_KEY, set on the project outside Terraform"
    );
    let e = errors(&StaticSiteInput {
        env: BTreeMap::from([("A".to_string(), "1".to_string())]),
        secrets: BTreeMap::from([
            ("A".to_string(), "secret://A".to_string()),
            ("B".to_string(), "sk_live_123".to_string()),
        ]),
        ..site_input(Tier::Production, "vercel")
    });
    let text: Vec<String> = e.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("secrets[\"A\"]: Variable Set Twice")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("secrets[\"B\"]: Invalid Secret Reference")
                && t.contains("secret://B")),
        "{text:#?}"
    );
    assert!(
        text.iter().all(|t| !t.contains("sk_live_123")),
        "a value written by mistake is never repeated: {text:#?}"
    );
}
