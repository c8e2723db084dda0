//! The Vercel client called directly against the `platform-sim` simulator: projects
//! (create, a taken name refused quoting the API, find, delete twice), environment
//! variables, deployments of a static site (only missing files uploaded, READY after
//! polling, preview on a branch, promotion back to an earlier deployment), domains,
//! throttling retried after `Retry-After`, and team scoping.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::site::{SiteFile, SiteFiles};
use terraform_provider_platform::backends::vercel::{
    Vercel, VercelProjectSpec, VercelTarget, vercel_sha,
};
use terraform_provider_platform::backends::wait::WaitPolicy;
use terraform_provider_platform::config::Secret;
use tokio_util::sync::CancellationToken;

use crate::sim::{QUICK, Sim, TOKEN};

const TEAM_A: &str = "team_alpha";
const TEAM_B: &str = "team_beta";

/// Polls a deployment every few milliseconds (the simulator moves one step per GET).
const FAST_WAIT: WaitPolicy = WaitPolicy {
    initial: Duration::from_millis(10),
    max_interval: Duration::from_millis(50),
    timeout: Duration::from_secs(20),
};

/// The simulator's base URL (`http://127.0.0.1:PORT`).
fn base(sim: &Sim) -> String {
    sim.fly_endpoint().trim_end_matches("/fly").to_string()
}

fn client(sim: &Sim, team: Option<&str>) -> Vercel {
    Vercel::new(
        Some(&format!("{}/vercel", base(sim))),
        Some(&Secret::new(TOKEN)),
        team,
    )
    .expect("a Vercel client")
    .with_policy(QUICK)
    .with_wait(FAST_WAIT)
}

async fn control(sim: &Sim, path: &str) -> Value {
    reqwest::get(format!("{}/_sim/vercel{path}", base(sim)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn site(app_js: &str) -> SiteFiles {
    SiteFiles::from_files(vec![
        SiteFile::new(
            "index.html",
            b"<!doctype html><script src=/assets/app.js></script>".to_vec(),
        ),
        SiteFile::new("assets/app.js", app_js.as_bytes().to_vec()),
        SiteFile::new("assets/app.css", b"body { margin: 0 }".to_vec()),
    ])
}

fn file_map(site: &SiteFiles) -> Value {
    Value::Object(
        site.files
            .iter()
            .map(|f| (f.path.clone(), json!(vercel_sha(f))))
            .collect(),
    )
}

#[tokio::test]
async fn vercel_client_lifecycle_against_the_simulator() {
    let sim = Sim::start(&[]);
    let v = client(&sim, Some(TEAM_A));
    let cancel = CancellationToken::new();
    let spec = VercelProjectSpec {
        name: "shop-web".into(),
        framework: None,
        env: BTreeMap::from([("MARK".to_string(), "made-at-create".to_string())]),
    };

    // Projects: create, then the same name is refused quoting the API.
    let project = v.create_project(&cancel, &spec).await.unwrap();
    assert!(project.id.starts_with("prj_"), "{project:?}");
    assert_eq!(project.production_deployment_id, None);
    // The variables given at create exist as soon as the project does.
    let at_create = v.list_env(&cancel, &project.id).await.unwrap();
    assert!(
        at_create
            .iter()
            .any(|e| e.key == "MARK" && e.value.as_deref() == Some("made-at-create")),
        "{at_create:?}"
    );
    for e in &at_create {
        v.delete_env(&cancel, &project.id, &e.id).await.unwrap();
    }
    match v.create_project(&cancel, &spec).await {
        Err(BackendError::Conflict(m)) => {
            assert!(m.contains("Project \"shop-web\" already exists."), "{m}");
            assert!(m.contains("team_alpha"), "{m}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A name Vercel refuses comes back with Vercel's own words.
    let bad = VercelProjectSpec {
        name: "Shop Web".into(),
        framework: None,
        env: BTreeMap::new(),
    };
    let err = v
        .update_project(&cancel, &project.id, &bad)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Project names can be up to 100 characters"),
        "{err}"
    );

    // Environment variables: create, update the same key, delete (twice).
    let env = v
        .set_env(
            &cancel,
            &project.id,
            "PLATFORM_OWNER",
            "env-a",
            &["production", "preview"],
        )
        .await
        .unwrap();
    assert_eq!(env.value.as_deref(), Some("env-a"));
    let listed = v.list_env(&cancel, &project.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].value.as_deref(), Some("env-a"));
    assert_eq!(listed[0].targets, vec!["production", "preview"]);
    let updated = v
        .set_env(
            &cancel,
            &project.id,
            "PLATFORM_OWNER",
            "env-b",
            &["production"],
        )
        .await
        .unwrap();
    assert_eq!(updated.id, env.id);
    let listed = v.list_env(&cancel, &project.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].value.as_deref(), Some("env-b"));
    assert_eq!(listed[0].targets, vec!["production"]);
    v.delete_env(&cancel, &project.id, &env.id).await.unwrap();
    v.delete_env(&cancel, &project.id, &env.id).await.unwrap();
    assert!(v.list_env(&cancel, &project.id).await.unwrap().is_empty());

    // A three-file production deployment: every file uploaded, READY after polling.
    let v1 = site("console.log('v1')");
    let first = v
        .deploy(
            &cancel,
            &project,
            &VercelTarget::Production,
            &v1,
            &BTreeMap::from([("digest".to_string(), "one".to_string())]),
        )
        .await
        .unwrap();
    assert_eq!(first.deployment.meta["digest"], "one");
    assert_eq!(first.uploaded, 3);
    assert_eq!(first.deployment.ready_state, "READY");
    assert_eq!(first.deployment.target.as_deref(), Some("production"));
    assert!(
        first.deployment.url.starts_with("shop-web-"),
        "{:?}",
        first.deployment
    );
    let deployments = control(
        &sim,
        &format!("/projects/{}/deployments?teamId={TEAM_A}", project.id),
    )
    .await;
    assert_eq!(deployments["deployments"][0]["files"], file_map(&v1));
    assert_eq!(control(&sim, "/uploads").await["total"], 3);
    let found = v.find_project(&cancel, "shop-web").await.unwrap().unwrap();
    assert_eq!(
        found.production_deployment_id.as_deref(),
        Some(first.deployment.id.as_str())
    );

    // One file changed: exactly that one is uploaded.
    let v2 = site("console.log('v2')");
    let second = v
        .deploy(
            &cancel,
            &project,
            &VercelTarget::Production,
            &v2,
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    assert_eq!(second.uploaded, 1);
    assert_eq!(control(&sim, "/uploads").await["total"], 4);
    let found = v.find_project(&cancel, &project.id).await.unwrap().unwrap();
    assert_eq!(
        found.production_deployment_id.as_deref(),
        Some(second.deployment.id.as_str())
    );

    // A preview of branch `staging`: nothing new to upload, production unchanged.
    let preview = v
        .deploy(
            &cancel,
            &project,
            &VercelTarget::Preview {
                branch: "staging".into(),
            },
            &v2,
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    assert_eq!(preview.uploaded, 0);
    let listed = v.list_deployments(&cancel, &project.id).await.unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0].id, preview.deployment.id, "newest first");
    assert_eq!(listed[0].branch.as_deref(), Some("staging"));
    assert_eq!(listed[2].meta["digest"], "one");
    assert_eq!(preview.deployment.target, None);
    assert_eq!(preview.deployment.branch.as_deref(), Some("staging"));
    let found = v.find_project(&cancel, &project.id).await.unwrap().unwrap();
    assert_eq!(
        found.production_deployment_id.as_deref(),
        Some(second.deployment.id.as_str())
    );

    // Rollback: the first deployment serves production again.
    v.promote(&cancel, &project.id, &first.deployment.id)
        .await
        .unwrap();
    let found = v.find_project(&cancel, &project.id).await.unwrap().unwrap();
    assert_eq!(
        found.production_deployment_id.as_deref(),
        Some(first.deployment.id.as_str())
    );
    let got = v
        .get_deployment(&cancel, &first.deployment.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.ready_state, "READY");
    assert_eq!(
        v.get_deployment(&cancel, "dpl_missing").await.unwrap(),
        None
    );

    // Domains: a zone the simulator knows is verified at once, another waits for TXT.
    let www = v
        .add_domain(&cancel, &project.id, "www.example.com", None)
        .await
        .unwrap();
    assert!(www.verified);
    let staging = v
        .add_domain(
            &cancel,
            &project.id,
            "staging.elsewhere.dev",
            Some("staging"),
        )
        .await
        .unwrap();
    assert!(!staging.verified);
    assert_eq!(staging.git_branch.as_deref(), Some("staging"));
    let again = v
        .add_domain(&cancel, &project.id, "www.example.com", None)
        .await
        .unwrap();
    assert_eq!(again, www);
    assert_eq!(v.list_domains(&cancel, &project.id).await.unwrap().len(), 2);
    v.delete_domain(&cancel, &project.id, "staging.elsewhere.dev")
        .await
        .unwrap();
    v.delete_domain(&cancel, &project.id, "staging.elsewhere.dev")
        .await
        .unwrap();
    let domains = v.list_domains(&cancel, &project.id).await.unwrap();
    assert_eq!(domains, vec![www]);

    // Throttled with Retry-After: retried, then found.
    sim.fault(
        json!({"match": "GET /vercel/v9/projects/shop-web", "status": 429, "retry_after": 1}),
    )
    .await;
    assert!(v.find_project(&cancel, "shop-web").await.unwrap().is_some());
    assert_eq!(
        sim.requests_to("GET", "/vercel/v9/projects/shop-web").await,
        vec![(200, false), (429, true), (200, false)]
    );

    // Team scoping: another team, or the personal account, does not see it.
    assert_eq!(
        client(&sim, Some(TEAM_B))
            .find_project(&cancel, "shop-web")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        client(&sim, None)
            .find_project(&cancel, &project.id)
            .await
            .unwrap(),
        None
    );

    // Delete twice.
    v.delete_project(&cancel, &project.id).await.unwrap();
    v.delete_project(&cancel, &project.id).await.unwrap();
    assert_eq!(v.find_project(&cancel, &project.id).await.unwrap(), None);
}

#[tokio::test]
async fn a_deployment_that_fails_to_build_is_an_error_naming_it() {
    let sim = Sim::start(&[]);
    let v = client(&sim, None).with_wait(WaitPolicy {
        initial: Duration::from_secs(1),
        max_interval: Duration::from_secs(1),
        timeout: Duration::from_secs(20),
    });
    let cancel = CancellationToken::new();
    let project = v
        .create_project(
            &cancel,
            &VercelProjectSpec {
                name: "broken".into(),
                framework: Some("nextjs".into()),
                env: BTreeMap::new(),
            },
        )
        .await
        .unwrap();
    let deploying = {
        let (v, cancel, project) = (v.clone(), cancel.clone(), project.clone());
        tokio::spawn(async move {
            v.deploy(
                &cancel,
                &project,
                &VercelTarget::Production,
                &site("x"),
                &BTreeMap::new(),
            )
            .await
        })
    };
    // Fail it while the client waits between polls.
    let id = loop {
        let listed = control(&sim, &format!("/projects/{}/deployments", project.id)).await;
        if let Some(id) = listed["deployments"][0]["id"].as_str() {
            break id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/vercel/deployments/{id}/fail", base(&sim)))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let err = deploying.await.unwrap().unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BackendError::Wait(_)), "{text}");
    assert!(text.contains(&id) && text.contains("ERROR"), "{text}");
}
