//! `platform_static_site` end to end on every Terraform CLI, one lifecycle per host
//! against the `platform-sim` simulator (the environment on moto): plan (placement,
//! digest, children, URL) → apply → the simulator holds the project, the deployment's
//! manifest matches the files, the domains and (Pages) the Access application → empty
//! plan → one file changed is one upload → drift (a domain removed, the production branch
//! changed, a rollback) shown and repaired → import plans empty → destroy leaves nothing.
//! Also: a host that cannot serve the site is a plan-time error, and a project of the
//! same name made by someone else is refused and left alone.

use std::collections::BTreeMap;

use crate::harness::{Moto, REQUIRED_PROVIDERS, Terraform, Workdir, block_on, terraform_versions};
use crate::sim::{ACCOUNT, QUICK, Sim, TOKEN};
use serde_json::Value;
use terraform_provider_platform::backends::cloudflare::Cloudflare;
use terraform_provider_platform::backends::cloudflare::pages::PagesProjectSpec;
use terraform_provider_platform::backends::vercel::Vercel;
use terraform_provider_platform::backends::wait::WaitPolicy;
use terraform_provider_platform::config::Secret;
use tokio_util::sync::CancellationToken;

/// The team Vercel projects are made in.
const TEAM: &str = "team_sitetests";

fn base(sim: &Sim) -> String {
    sim.cloudflare_endpoint()
        .trim_end_matches("/cloudflare/client/v4")
        .to_string()
}

fn vercel(sim: &Sim) -> Vercel {
    Vercel::new(
        Some(&format!("{}/vercel", base(sim))),
        Some(&Secret::new(TOKEN)),
        Some(TEAM),
    )
    .expect("a Vercel client")
    .with_policy(QUICK)
    .with_wait(WaitPolicy {
        initial: std::time::Duration::from_millis(50),
        max_interval: std::time::Duration::from_millis(200),
        ..terraform_provider_platform::backends::vercel::READY_WAIT
    })
}

fn cloudflare(sim: &Sim) -> Cloudflare {
    sim.cloudflare(TOKEN)
}

/// A stack: the provider pointed at the simulator, one staging environment and `site`.
fn stack(sim: &Sim, env: &str, site: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  endpoints {{
    cloudflare = "{cf}"
    vercel     = "{base}/vercel"
  }}
  cloudflare {{
    account_id = "{ACCOUNT}"
  }}
  vercel {{
    team_id = "{TEAM}"
  }}
}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "staging"
  region = "us-east-1"
}}

resource "platform_static_site" "site" {{
  environment = platform_environment.env.context
{site}
}}
"#,
        cf = sim.cloudflare_endpoint(),
        base = base(sim),
    )
}

const OUTPUTS: &str = r#"
output "url" {
  value = platform_static_site.site.url
}
"#;

fn workdir(config: &str, moto: &Moto) -> Workdir {
    let mut wd = moto.workdir(config);
    wd.set_env("CLOUDFLARE_API_TOKEN", TOKEN)
        .set_env("VERCEL_API_TOKEN", TOKEN);
    write_site(&wd, "console.log('v1')");
    wd
}

/// The built site: three files, `app.js` holding `script`.
fn write_site(wd: &Workdir, script: &str) {
    wd.write_file(
        "site/index.html",
        "<!doctype html><script src=\"/app.js\"></script>",
    );
    wd.write_file("site/app.js", script);
    wd.write_file("site/assets/style.css", "body { margin: 0 }");
}

fn assert_contains(tf: &Terraform, text: &str, wants: &[&str]) {
    // Terraform wraps diagnostics at 80 columns.
    let text = &text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in wants {
        assert!(text.contains(want), "{tf}: output lacks {want}:\n{text}");
    }
}

fn site_state(wd: &Workdir, tf: &Terraform) -> Value {
    let state = wd.state_json(tf);
    state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "platform_static_site.site")
        .map(|r| r["values"].clone())
        .unwrap_or(Value::Null)
}

/// Imports the environment and the site into an empty state; the plan must be empty.
fn import_gives_empty_plan(tf: &Terraform, moto: &Moto, config: &str, env: &str, site: &str) {
    let fresh = workdir(config, moto);
    write_site(&fresh, "console.log('v2')");
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", env],
        )
        .expect_success();
    fresh
        .run(
            tf,
            &[
                "import",
                "-no-color",
                "platform_static_site.site",
                &format!("{env}/{site}"),
            ],
        )
        .expect_success();
    let plan = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "{tf}: plan after import:\n{}\n{}",
        plan.stdout, plan.stderr
    );
}

async fn pages_control(sim: &Sim, project: &str) -> Value {
    reqwest::get(format!(
        "{}/_sim/pages/accounts/{ACCOUNT}/projects/{project}",
        base(sim)
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap()
}

async fn vercel_control(sim: &Sim, path: &str) -> Value {
    reqwest::get(format!("{}/_sim/vercel{path}", base(sim)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn manifest_paths(deployment: &Value) -> Vec<String> {
    let mut paths: Vec<String> = deployment["manifest"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    paths.sort();
    paths
}

// ---------------------------------------------------------------------------------------
// Cloudflare Pages + Access
// ---------------------------------------------------------------------------------------

fn pages_site() -> String {
    r#"  name             = "ops"
  source_dir       = "${path.module}/site"
  domains          = ["ops.example.com"]
  preview_branches = ["feature-x"]
  env = {
    API_URL = "https://api.example.com"
  }
  access_policy {
    emails        = ["oncall@pager.example"]
    email_domains = ["example.com"]
  }"#
    .to_string()
}

fn pages_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let cf = cloudflare(&sim);
    let cancel = CancellationToken::new();
    let env = format!("pg{}", tf.version.replace('.', ""));
    let name = format!("{env}-ops");
    let config = stack(&sim, &env, &pages_site()) + OUTPUTS;
    let wd = workdir(&config, &moto);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        tf,
        &plan.stdout,
        &[
            "\"cloudflare_pages\"",
            "a static export behind a login",
            "\"pages_project\"",
            "\"pages_deployment\"",
            "\"preview:feature-x\"",
            "\"domain:ops.example.com\"",
            "\"access_application\"",
            "*.pg",
            "sha256:",
            "\"https://ops.example.com\"",
        ],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();

    // The simulator holds the project, its deployments, the domain and Access.
    let project = block_on(cf.find_pages_project(&cancel, &name))
        .unwrap()
        .unwrap_or_else(|| panic!("{tf}: project {name}"));
    assert_eq!(project.production_branch, "main");
    assert_eq!(project.env["API_URL"], "https://api.example.com");
    assert_eq!(project.env["PLATFORM_ENVIRONMENT"], env);
    assert!(
        !project.env.contains_key("PLATFORM_LIFECYCLE"),
        "{tf}: the create finished: {:?}",
        project.env
    );
    let control = block_on(pages_control(&sim, &name));
    let deployments = control["deployments"].as_array().unwrap();
    let production: Vec<&Value> = deployments
        .iter()
        .filter(|d| d["environment"] == "production")
        .collect();
    assert_eq!(production.len(), 1, "{tf}: {control}");
    assert_eq!(
        manifest_paths(production[0]),
        ["/app.js", "/assets/style.css", "/index.html"]
    );
    assert!(
        deployments
            .iter()
            .any(|d| d["branch"] == "feature-x" && d["environment"] == "preview"),
        "{tf}: {control}"
    );
    assert_eq!(control["assets_uploaded"], 3, "{tf}: every file once");
    let domains = block_on(cf.list_pages_domains(&cancel, &name)).unwrap();
    assert_eq!(domains.len(), 1);
    assert_eq!(domains[0].name, "ops.example.com");
    let app = block_on(cf.find_access_app(&cancel, &name))
        .unwrap()
        .unwrap_or_else(|| panic!("{tf}: Access application"));
    assert!(
        app.self_hosted_domains
            .contains(&format!("*.{name}.pages.dev")),
        "{tf}: previews behind the login: {app:?}"
    );
    let policies = block_on(cf.list_access_policies(&cancel, &app.id)).unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].emails, ["oncall@pager.example"]);
    assert_eq!(policies[0].email_domains, ["example.com"]);
    let state = site_state(&wd, tf);
    assert_eq!(state["url"], "https://ops.example.com");
    assert_eq!(state["domain_status"]["ops.example.com"], "active");
    assert_eq!(state["file_count"], 3);
    assert!(state["preview_urls"]["feature-x"].is_string(), "{state}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // A rebuilt site is an in-place change; only the changed file is uploaded.
    write_site(&wd, "console.log('v2')");
    let changed = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    changed.expect_code(2);
    assert_contains(tf, &changed.stdout, &["content_digest", "1 to change"]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let control = block_on(pages_control(&sim, &name));
    assert_eq!(control["assets_uploaded"], 4, "{tf}: one file sent again");
    let first_id = production[0]["id"].as_str().unwrap().to_string();
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: a domain removed, the production branch changed, production rolled back.
    block_on(cf.delete_pages_domain(&cancel, &name, "ops.example.com")).unwrap();
    let now = block_on(cf.find_pages_project(&cancel, &name))
        .unwrap()
        .unwrap();
    block_on(cf.update_pages_project(
        &cancel,
        &PagesProjectSpec {
            name: name.clone(),
            production_branch: "release".into(),
            env: now.env.clone(),
        },
        &now.env,
    ))
    .unwrap();
    block_on(cf.rollback_pages(&cancel, &name, &first_id)).unwrap();
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(
        tf,
        &drift.stdout,
        &["\"release\" -> \"main\"", "\"domain:ops.example.com\""],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let repaired = block_on(cf.find_pages_project(&cancel, &name))
        .unwrap()
        .unwrap();
    assert_eq!(repaired.production_branch, "main");
    assert_ne!(
        repaired
            .canonical_deployment
            .as_ref()
            .map(|d| d.id.as_str()),
        Some(first_id.as_str()),
        "{tf}: production is the current site again"
    );
    assert_eq!(
        block_on(cf.list_pages_domains(&cancel, &name))
            .unwrap()
            .len(),
        1
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    import_gives_empty_plan(tf, &moto, &stack(&sim, &env, &pages_site()), &env, "ops");

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        block_on(cf.find_pages_project(&cancel, &name))
            .unwrap()
            .is_none(),
        "{tf}: project deleted"
    );
    assert!(
        block_on(cf.find_access_app(&cancel, &name))
            .unwrap()
            .is_none(),
        "{tf}: Access application deleted"
    );
}

#[test]
fn pages_site_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        pages_lifecycle(&tf);
    }
}

// ---------------------------------------------------------------------------------------
// Vercel
// ---------------------------------------------------------------------------------------

fn vercel_site() -> String {
    r#"  name             = "web"
  framework        = "nextjs"
  source_dir       = "${path.module}/site"
  domains          = ["web.example.com"]
  preview_branches = ["develop"]
  env = {
    NEXT_PUBLIC_API_URL = "https://api.example.com"
  }
  secrets = {
    SESSION_KEY = "secret://SESSION_KEY"
  }"#
    .to_string()
}

fn vercel_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let v = vercel(&sim);
    let cancel = CancellationToken::new();
    let env = format!("vc{}", tf.version.replace('.', ""));
    let name = format!("{env}-web");
    let config = stack(&sim, &env, &vercel_site()) + OUTPUTS;
    let wd = workdir(&config, &moto);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        tf,
        &plan.stdout,
        &[
            "\"vercel\"",
            "server-rendered Next.js",
            "\"vercel_project\"",
            "\"vercel_deployment\"",
            "\"preview:develop\"",
            "\"tier:staging\"",
            "\"https://web.example.com\"",
        ],
    );
    let applied = wd.run(tf, &["apply", "-no-color", "-auto-approve"]);
    applied.expect_success();
    assert_contains(
        tf,
        &format!("{}{}", applied.stdout, applied.stderr),
        &["Secret Not Set", "vercel env add SESSION_KEY"],
    );

    let project = block_on(v.find_project(&cancel, &name))
        .unwrap()
        .unwrap_or_else(|| panic!("{tf}: project {name}"));
    assert_eq!(project.framework.as_deref(), Some("nextjs"));
    // The secret is set the way the reference says: outside Terraform. The warning goes,
    // its value never reaches the state, and the provider's own variable sync leaves it
    // alone.
    const SESSION_VALUE: &str = "session-value-never-in-state";
    block_on(v.set_env(
        &cancel,
        &project.id,
        "SESSION_KEY",
        SESSION_VALUE,
        &["production", "preview"],
    ))
    .unwrap();
    let set = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    set.expect_code(0);
    assert!(
        !format!("{}{}", set.stdout, set.stderr).contains("Secret Not Set"),
        "{tf}: the secret is set now:\n{set}"
    );
    wd.run(
        tf,
        &["apply", "-no-color", "-auto-approve", "-refresh-only"],
    )
    .expect_success();
    assert!(
        !wd.state_json(tf).to_string().contains(SESSION_VALUE),
        "{tf}: a secret's value in the state"
    );
    let vars: BTreeMap<String, Option<String>> = block_on(v.list_env(&cancel, &project.id))
        .unwrap()
        .into_iter()
        .map(|e| (e.key, e.value))
        .collect();
    assert_eq!(
        vars["NEXT_PUBLIC_API_URL"].as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(vars["PLATFORM_ENVIRONMENT"].as_deref(), Some(env.as_str()));
    assert!(
        vars.contains_key("SESSION_KEY"),
        "{tf}: the secret is kept: {vars:?}"
    );
    assert!(!vars.contains_key("PLATFORM_LIFECYCLE"), "{tf}: {vars:?}");
    let listed = block_on(vercel_control(
        &sim,
        &format!("/projects/{}/deployments?teamId={TEAM}", project.id),
    ));
    let deployments = listed["deployments"].as_array().unwrap();
    let production = deployments
        .iter()
        .find(|d| d["target"] == "production")
        .unwrap_or_else(|| panic!("{tf}: {listed}"));
    let mut files: Vec<&String> = production["files"].as_object().unwrap().keys().collect();
    files.sort();
    assert_eq!(files, ["app.js", "assets/style.css", "index.html"]);
    assert!(
        deployments
            .iter()
            .any(|d| d["target"].is_null() && d["meta"]["branch"] == "develop"),
        "{tf}: {listed}"
    );
    let uploads = |sim: &Sim| block_on(vercel_control(sim, "/uploads"))["total"].clone();
    assert_eq!(uploads(&sim), 3, "{tf}: every file once");
    let domains = block_on(v.list_domains(&cancel, &project.id)).unwrap();
    assert!(
        domains.iter().any(|d| d.name == "web.example.com"),
        "{tf}: {domains:?}"
    );
    let state = site_state(&wd, tf);
    assert_eq!(state["url"], "https://web.example.com");
    assert_eq!(state["domain_status"]["web.example.com"], "verified");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // A rebuilt site: one file uploaded.
    write_site(&wd, "console.log('v2')");
    let changed = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    changed.expect_code(2);
    assert_contains(tf, &changed.stdout, &["content_digest"]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(uploads(&sim), 4, "{tf}: one file sent again");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: the domain removed, a variable changed, production rolled back.
    let first_id = production["id"].as_str().unwrap().to_string();
    block_on(v.delete_domain(&cancel, &project.id, "web.example.com")).unwrap();
    block_on(v.set_env(
        &cancel,
        &project.id,
        "NEXT_PUBLIC_API_URL",
        "https://elsewhere.example.com",
        &["production", "preview"],
    ))
    .unwrap();
    block_on(v.promote(&cancel, &project.id, &first_id)).unwrap();
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(
        tf,
        &drift.stdout,
        &[
            "https://elsewhere.example.com",
            "\"domain:web.example.com\"",
        ],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let repaired = block_on(v.find_project(&cancel, &name)).unwrap().unwrap();
    assert_ne!(
        repaired.production_deployment_id.as_deref(),
        Some(first_id.as_str()),
        "{tf}: production is the current site again"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    import_gives_empty_plan(tf, &moto, &stack(&sim, &env, &vercel_site()), &env, "web");

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        block_on(v.find_project(&cancel, &name)).unwrap().is_none(),
        "{tf}: project deleted"
    );
}

#[test]
fn vercel_site_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        vercel_lifecycle(&tf);
    }
}

// ---------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------

#[test]
fn a_host_that_cannot_serve_the_site_is_a_plan_time_error() {
    let tf = crate::harness::newest_terraform();
    let moto = Moto::shared();
    let sim = Sim::start(&[]);
    let site = r#"  name       = "web"
  host       = "cloudflare_pages"
  framework  = "nextjs"
  source_dir = "${path.module}/site""#;
    let wd = workdir(&stack(&sim, "refused", site), moto);
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    assert!(!plan.success(), "{plan}");
    assert_contains(
        &tf,
        &plan.stderr,
        &["Host Cannot Serve The Site", "host = \"vercel\""],
    );
    assert!(
        block_on(sim.requests()).is_empty(),
        "a refused plan calls nothing"
    );

    let missing = r#"  name       = "web"
  source_dir = "${path.module}/not-built""#;
    let wd = workdir(&stack(&sim, "refused", missing), moto);
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    assert!(!plan.success(), "{plan}");
    assert_contains(&tf, &plan.stderr, &["Site Not Readable", "source_dir"]);
}

#[test]
fn a_project_someone_else_made_is_refused_and_left_alone() {
    let tf = crate::harness::newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let cf = cloudflare(&sim);
    let cancel = CancellationToken::new();
    let theirs = PagesProjectSpec {
        name: "theirs-ops".into(),
        production_branch: "trunk".into(),
        env: BTreeMap::from([("OWNER".to_string(), "another team".to_string())]),
    };
    block_on(cf.create_pages_project(&cancel, &theirs)).unwrap();
    let site = r#"  name       = "ops"
  source_dir = "${path.module}/site""#;
    let wd = workdir(&stack(&sim, "theirs", site), &moto);
    let apply = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert!(!apply.success(), "{apply}");
    assert_contains(&tf, &apply.stderr, &["theirs-ops"]);
    let still = block_on(cf.find_pages_project(&cancel, "theirs-ops"))
        .unwrap()
        .unwrap();
    assert_eq!(still.production_branch, "trunk");
    assert_eq!(still.env, theirs.env, "their project is untouched");
    assert!(still.canonical_deployment.is_none(), "nothing deployed");
    assert!(
        site_state(&wd, &tf).is_null(),
        "their project is not recorded in our state"
    );
}

#[test]
fn a_project_an_interrupted_create_left_is_adopted_and_finished() {
    let tf = crate::harness::newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let cf = cloudflare(&sim);
    let cancel = CancellationToken::new();
    // What a create killed after its first call leaves: the project, marked unfinished.
    let left = PagesProjectSpec {
        name: "crashed-ops".into(),
        production_branch: "main".into(),
        env: BTreeMap::from([
            ("PLATFORM_ENVIRONMENT".to_string(), "crashed".to_string()),
            ("PLATFORM_COMPONENT".to_string(), "static_site".to_string()),
            ("PLATFORM_LIFECYCLE".to_string(), "creating".to_string()),
        ]),
    };
    block_on(cf.create_pages_project(&cancel, &left)).unwrap();
    let site = r#"  name       = "ops"
  source_dir = "${path.module}/site""#;
    let wd = workdir(&stack(&sim, "crashed", site), &moto);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let project = block_on(cf.find_pages_project(&cancel, "crashed-ops"))
        .unwrap()
        .unwrap();
    assert!(
        !project.env.contains_key("PLATFORM_LIFECYCLE"),
        "the adopted create is finished: {:?}",
        project.env
    );
    assert!(project.canonical_deployment.is_some(), "deployed");
    assert_eq!(site_state(&wd, &tf)["project_name"], "crashed-ops");
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // A site rebuilt between a saved plan and its apply is refused before anything is
    // uploaded: Terraform plans again at apply and finds another content digest.
    write_site(&wd, "console.log('planned')");
    wd.run(&tf, &["plan", "-no-color", "-out=p"])
        .expect_success();
    write_site(&wd, "console.log('rebuilt after the plan')");
    let before = block_on(pages_control(&sim, "crashed-ops"))["assets_uploaded"].clone();
    let apply = wd.run(&tf, &["apply", "-no-color", "p"]);
    assert!(!apply.success(), "{apply}");
    assert_contains(&tf, &apply.stderr, &["content_digest"]);
    assert_eq!(
        block_on(pages_control(&sim, "crashed-ops"))["assets_uploaded"],
        before,
        "nothing uploaded"
    );
}
