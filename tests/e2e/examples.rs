//! Every stack in `examples/` (a folder with a `main.tf`) validates and plans on every
//! Terraform, as a user would run it: its files copied as they are, no variables set.
//! Each plan must create exactly the environments, services and databases listed here,
//! place every service on the host the example means, and know each resource's expansion
//! and cost at plan time. Plans call no cloud; AWS goes to a private moto all the same,
//! and Fly.io and Cloudflare get dummy credentials.

use crate::harness::{Moto, Terraform, Workdir, repo_root, terraform_versions};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
const TIERS: [&str; 3] = ["development", "staging", "production"];

const FARGATE: Option<&str> = Some("aws_fargate");
const FLY: Option<&str> = Some("fly");
const WORKERS: Option<&str> = Some("cloudflare_workers");
const PAGES: Option<&str> = Some("cloudflare_pages");
const VERCEL: Option<&str> = Some("vercel");

/// Warnings a plan of an example may show: Terraform's own about `dev_overrides`, and the
/// provider's about Fly.io services that reach RDS through WireGuard peering. Any other
/// (an ignored setting, a missing price) means the example says something it should not.
const ALLOWED_WARNINGS: [&str; 2] = [
    "Provider development overrides are in effect",
    "Extra Setup Needed",
];

/// One plan of an example: the `-var` arguments, and every `platform_*` resource it must
/// create with the `resolved_host` it must get (`None` for environments, databases and
/// jobs).
struct Case {
    vars: Vec<&'static str>,
    resources: BTreeMap<String, Option<&'static str>>,
}

impl Case {
    fn new(vars: &[&'static str]) -> Case {
        Case {
            vars: vars.to_vec(),
            resources: BTreeMap::new(),
        }
    }

    /// A resource without `for_each`.
    fn one(mut self, address: &str, host: Option<&'static str>) -> Case {
        self.resources.insert(address.to_string(), host);
        self
    }

    /// A resource with one instance per tier (`for_each` over the three environments).
    fn per_tier(mut self, address: &str, host: Option<&'static str>) -> Case {
        for tier in TIERS {
            self.resources
                .insert(format!("{address}[\"{tier}\"]"), host);
        }
        self
    }
}

/// What each example must plan. A folder in `examples/` with a `main.tf` and no entry
/// here fails [`every_example_is_checked`].
fn expected(example: &str) -> Vec<Case> {
    match example {
        // The demo's environments and databases, no services.
        "environments" => vec![
            Case::new(&[])
                .one("platform_environment.development", None)
                .one("platform_environment.staging", None)
                .one("platform_environment.production", None)
                .one("platform_database.development", None)
                .one("platform_database.production", None),
        ],
        // Scoring API active-active on Fly.io (explicit `fly` in single-region
        // development), Model Engine on Fargate, telemetry ingress on Workers.
        "phishsentry" => vec![
            Case::new(&[])
                .per_tier("platform_environment.this", None)
                .per_tier("platform_api_service.scoring", FLY)
                .per_tier("platform_api_service.model_engine", FARGATE)
                .per_tier("platform_api_service.telemetry_ingress", WORKERS)
                .per_tier("platform_static_site.ops_dashboard", PAGES)
                .per_tier("platform_database.shared", None),
        ],
        // Everything on Fargate and RDS; the executor and the pricing sync, jobs, in
        // production only.
        "infrar-eu-production" => vec![
            Case::new(&[])
                .per_tier("platform_environment.this", None)
                .per_tier("platform_api_service.platform", FARGATE)
                .one("platform_job.executor", None)
                .one("platform_job.pricing_sync", None)
                .one("platform_queue.executor_jobs", None)
                .per_tier("platform_bucket.uploads", None)
                .per_tier("platform_bucket.artifacts", None)
                .per_tier("platform_bucket.logs", None)
                .per_tier("platform_secret.jwt_signing_key", None)
                .per_tier("platform_cache.sessions", None)
                .one("platform_static_site.web[\"development\"]", PAGES)
                .one("platform_static_site.web[\"staging\"]", VERCEL)
                .one("platform_static_site.web[\"production\"]", PAGES)
                .per_tier("platform_database.main", None),
        ],
        "ai-community-platform" => vec![
            Case::new(&[])
                .per_tier("platform_environment.this", None)
                .per_tier("platform_api_service.web", FARGATE)
                .per_tier("platform_bucket.uploads", None)
                .per_tier("platform_cache.jobs", None)
                .per_tier("platform_database.main", None),
        ],
        // The API on Fly.io by default, on Fargate with `api_host = "aws_fargate"`; the
        // worker on Fargate either way.
        "fly-api-worker" => ["fly", "aws_fargate"]
            .into_iter()
            .map(|api_host| {
                let vars: &'static [&'static str] = if api_host == "fly" {
                    &[]
                } else {
                    &["-var", "api_host=aws_fargate"]
                };
                Case::new(vars)
                    .per_tier("platform_environment.this", None)
                    .per_tier("platform_api_service.api", Some(api_host))
                    .per_tier("platform_api_service.worker", FARGATE)
                    .per_tier("platform_queue.jobs", None)
                    .per_tier("platform_static_site.web", VERCEL)
                    .per_tier("platform_database.main", None)
            })
            .collect(),
        "saas-template-aws" => vec![
            Case::new(&[])
                .per_tier("platform_environment.this", None)
                .per_tier("platform_api_service.app", FARGATE)
                .per_tier("platform_queue.tasks", None)
                .per_tier("platform_bucket.files", None)
                .per_tier("platform_cache.sessions", None)
                .per_tier("platform_database.main", None),
        ],
        _ => vec![],
    }
}

fn examples_dir() -> PathBuf {
    repo_root().join("examples")
}

/// Names of the folders of `examples/` that hold a `main.tf`, sorted.
fn example_folders() -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(examples_dir())
        .expect("read examples/")
        .flatten()
        .filter(|e| e.path().join("main.tf").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Every file of `dir` below it, relative path → contents; Terraform's own files (a local
/// `.terraform`, state, lock file) are left out.
fn files_of(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut queue = vec![dir.to_path_buf()];
    while let Some(current) = queue.pop() {
        for entry in fs::read_dir(&current)
            .expect("read example folder")
            .flatten()
        {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".terraform") || name.contains(".tfstate") {
                continue;
            }
            if path.is_dir() {
                queue.push(path);
            } else {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                let relative = path
                    .strip_prefix(dir)
                    .expect("below the example")
                    .to_path_buf();
                out.insert(relative, text);
            }
        }
    }
    out
}

/// The example's files in a fresh working directory wired to the provider under test.
fn workdir(example: &str, moto: &Moto) -> Workdir {
    let dir = examples_dir().join(example);
    let files = files_of(&dir);
    let main_tf = files
        .get(Path::new("main.tf"))
        .unwrap_or_else(|| panic!("{} has no main.tf", dir.display()));
    let mut wd = Workdir::new(BIN, main_tf);
    for (relative, text) in &files {
        wd.write_file(relative, text);
    }
    wd.use_moto(moto)
        .set_env("FLY_API_TOKEN", "fo1_dummy-token-for-plans")
        .set_env("CLOUDFLARE_API_TOKEN", "dummy-token-for-plans")
        .set_env("CLOUDFLARE_ACCOUNT_ID", "0123456789abcdef0123456789abcdef")
        .set_env("VERCEL_API_TOKEN", "dummy-token-for-plans");
    wd
}

/// The summaries of the warnings in Terraform's human-readable output.
fn warnings(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            l.trim_start_matches(['│', '╷', ' '])
                .strip_prefix("Warning: ")
        })
        .map(|s| s.trim().to_string())
        .collect()
}

/// ` -var name=value` for messages, empty without variables.
fn vars_suffix(case: &Case) -> String {
    case.vars.iter().map(|v| format!(" {v}")).collect()
}

/// The tier a planned resource belongs to: an environment's own, or its environment's.
fn tier_of(values: &Json) -> &str {
    values["tier"]
        .as_str()
        .or(values["environment"]["tier"].as_str())
        .unwrap_or_default()
}

/// Validates and plans `example` on `tf` for one case, and checks the saved plan.
/// Returns each resource's tier and planned `estimated_monthly_cost_usd`, by address.
fn check_case(
    tf: &Terraform,
    example: &str,
    case: &Case,
    moto: &Moto,
) -> BTreeMap<String, (String, f64)> {
    let wd = workdir(example, moto);
    let what = format!("{tf}: examples/{example}{}", vars_suffix(case));

    let validate = wd.run(tf, &["validate", "-no-color"]);
    validate.expect_success();

    let mut args = vec!["plan", "-no-color", "-input=false", "-out=p"];
    args.extend(case.vars.iter().copied());
    let plan = wd.run(tf, &args);
    plan.expect_success();
    for warning in warnings(&format!("{}\n{}", plan.stdout, plan.stderr)) {
        assert!(
            ALLOWED_WARNINGS.contains(&warning.as_str()),
            "{what}: unexpected warning `{warning}`:\n{plan}"
        );
    }

    // The cost output sums whole cents and divides by 100, so every Terraform prints exact
    // cents (a sum of dollar amounts prints binary noise like 374.65000…0003).
    let outputs = plan
        .stdout
        .split("Changes to Outputs:")
        .nth(1)
        .unwrap_or_else(|| panic!("{what}: the plan shows no outputs:\n{plan}"));
    assert!(outputs.contains("monthly_cost_usd"), "{what}: {outputs}");
    for token in outputs.split_whitespace() {
        let token = token.trim_matches(|c| c == ',' || c == '"');
        if let Some((whole, fraction)) = token.split_once('.') {
            let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if numeric(whole) && numeric(fraction) {
                assert!(
                    fraction.len() <= 2,
                    "{what}: an output prints `{token}`, not exact cents:\n{outputs}"
                );
            }
        }
    }

    let shown = wd.run(tf, &["show", "-json", "-no-color", "p"]);
    let json = shown.expect_success().json();

    let mut planned: BTreeMap<String, Json> = BTreeMap::new();
    let resources = json["planned_values"]["root_module"]["resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no planned resources in {json}"));
    for r in resources {
        let address = r["address"].as_str().unwrap_or_default().to_string();
        if r["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("platform_"))
        {
            planned.insert(address, r["values"].clone());
        }
    }
    let planned_addresses: Vec<&String> = planned.keys().collect();
    let expected_addresses: Vec<&String> = case.resources.keys().collect();
    assert_eq!(
        planned_addresses, expected_addresses,
        "{what}: the plan does not hold exactly the expected resources"
    );

    for change in json["resource_changes"].as_array().into_iter().flatten() {
        let address = change["address"].as_str().unwrap_or_default();
        assert_eq!(
            change["change"]["actions"],
            serde_json::json!(["create"]),
            "{what}: {address} is not a plain create"
        );
    }

    let mut costs = BTreeMap::new();
    for (address, host) in &case.resources {
        let values = &planned[address];
        // Unknown values are left out of planned_values: each of these must be known.
        let expansion = values["expansion"].as_array();
        assert!(
            expansion.is_some_and(|e| !e.is_empty()),
            "{what}: {address} has no expansion known at plan time: {values}"
        );
        let cost = values["estimated_monthly_cost_usd"]
            .as_f64()
            .unwrap_or_else(|| panic!("{what}: {address} has no cost at plan time: {values}"));
        let cents = values["estimated_monthly_cost_cents"].as_i64();
        assert_eq!(
            cents,
            Some((cost * 100.0).round() as i64),
            "{what}: {address}: the cost in cents is not the cost in dollars: {values}"
        );
        costs.insert(address.clone(), (tier_of(values).to_string(), cost));
        match host {
            Some(host) => {
                assert_eq!(
                    values["resolved_host"].as_str(),
                    Some(*host),
                    "{what}: {address} is placed on {} ({}), not on {host}",
                    values["resolved_host"],
                    values["placement_reason"]
                );
                assert!(
                    values["placement_reason"]
                        .as_str()
                        .is_some_and(|r| !r.is_empty()),
                    "{what}: {address} has no placement_reason: {values}"
                );
            }
            None => assert!(
                values.get("resolved_host").is_none(),
                "{what}: {address} is not a service but has a resolved_host"
            ),
        }
    }
    costs
}

/// Checks `example` on every Terraform, and reports its production cost on stderr.
fn check_example(example: &str) {
    let cases = expected(example);
    assert!(
        !cases.is_empty(),
        "examples/{example} has no expectations in tests/e2e/examples.rs"
    );
    let moto = Moto::start();
    for tf in terraform_versions() {
        for case in &cases {
            let costs = check_case(&tf, example, case, &moto);
            let production: f64 = costs
                .values()
                .filter(|(tier, _)| tier == "production")
                .map(|(_, cost)| cost)
                .sum();
            eprintln!(
                "examples/{example}{} on terraform {}: planned {} resources; production ${production:.2}/month",
                vars_suffix(case),
                tf.version,
                costs.len()
            );
        }
    }
}

#[test]
fn every_example_is_checked() {
    let folders = example_folders();
    assert!(
        folders.len() >= 6,
        "expected the demo's environments and one stack per hosting plan, found {folders:?}"
    );
    for folder in &folders {
        assert!(
            !expected(folder).is_empty(),
            "examples/{folder} has a main.tf but no expectations in tests/e2e/examples.rs"
        );
    }
    for known in [
        "environments",
        "phishsentry",
        "infrar-eu-production",
        "ai-community-platform",
        "fly-api-worker",
        "saas-template-aws",
    ] {
        assert!(
            folders.iter().any(|f| f == known),
            "examples/{known}/main.tf is missing"
        );
    }
}

#[test]
fn environments_example_plans() {
    check_example("environments");
}

#[test]
fn phishsentry_example_plans() {
    check_example("phishsentry");
}

#[test]
fn infrar_eu_production_example_plans() {
    check_example("infrar-eu-production");
}

#[test]
fn ai_community_platform_example_plans() {
    check_example("ai-community-platform");
}

#[test]
fn fly_api_worker_example_plans() {
    check_example("fly-api-worker");
}

#[test]
fn saas_template_aws_example_plans() {
    check_example("saas-template-aws");
}
