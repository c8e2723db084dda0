//! The Cloudflare Pages and Access clients against the `platform-sim` simulator: a
//! project's lifecycle (create, a taken name refused, update of branch and variables,
//! delete twice), direct-upload deployments (only changed files sent again, the
//! manifest the simulator keeps matching the files, batches for a large site),
//! rollback, custom domains, an Access application with its policy, and a throttled
//! call retried after `Retry-After`.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::cloudflare::access::AccessAppSpec;
use terraform_provider_platform::backends::cloudflare::pages::{
    PagesProjectSpec, pages_asset_hash,
};
use terraform_provider_platform::backends::site::{SiteFile, SiteFiles};
use tokio_util::sync::CancellationToken;

use crate::sim::{ACCOUNT, Sim, TOKEN};

const PROJECT: &str = "simtest-site";
const UPLOAD: &str = "/cloudflare/client/v4/pages/assets/upload";

/// `GET /_sim/pages/accounts/{ACCOUNT}/projects/{project}`: deployments with their
/// manifests and the count of assets uploaded.
async fn pages_control(sim: &Sim, project: &str) -> Value {
    let base = sim
        .cloudflare_endpoint()
        .trim_end_matches("/cloudflare/client/v4")
        .to_string();
    reqwest::get(format!(
        "{base}/_sim/pages/accounts/{ACCOUNT}/projects/{project}"
    ))
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
            b"<html><script src=/assets/app.js></script></html>".to_vec(),
        ),
        SiteFile::new("assets/app.js", app_js.as_bytes().to_vec()),
        SiteFile::new("assets/style.css", b"body { margin: 0 }".to_vec()),
    ])
}

fn manifest_of(site: &SiteFiles) -> Value {
    let map: BTreeMap<String, String> = site
        .files
        .iter()
        .map(|f| (format!("/{}", f.path), pages_asset_hash(f)))
        .collect();
    json!(map)
}

fn spec(branch: &str, env: &[(&str, &str)]) -> PagesProjectSpec {
    PagesProjectSpec {
        name: PROJECT.to_string(),
        production_branch: branch.to_string(),
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

#[tokio::test]
async fn pages_project_deployments_domains_and_access_lifecycle() {
    let sim = Sim::start(&[]);
    let cf = sim.cloudflare(TOKEN);
    let cancel = CancellationToken::new();

    // An unknown project is None, not an error.
    assert_eq!(cf.find_pages_project(&cancel, PROJECT).await.unwrap(), None);

    let first_spec = spec(
        "main",
        &[
            ("PLATFORM_ENVIRONMENT", "simtest"),
            ("API_URL", "https://api.example.com"),
        ],
    );
    let project = cf.create_pages_project(&cancel, &first_spec).await.unwrap();
    assert_eq!(project.subdomain, "simtest-site.pages.dev");
    assert_eq!(project.env, first_spec.env);
    assert_eq!(project.canonical_deployment, None);

    // A taken name is a conflict quoting the API.
    match cf.create_pages_project(&cancel, &first_spec).await {
        Err(BackendError::Conflict(message)) => {
            assert!(message.contains("8000002"), "{message}");
            assert!(message.contains(PROJECT), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A name the API refuses comes back with the API's own words.
    let mut bad = first_spec.clone();
    bad.name = "Not_A_Name".into();
    let refused = cf
        .create_pages_project(&cancel, &bad)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("Invalid project name"), "{refused}");

    // First deployment: all three files go up, and the simulator keeps their manifest.
    let v1 = site("console.log('v1')");
    let first = cf
        .deploy_pages(&cancel, PROJECT, "main", &v1, "first")
        .await
        .unwrap();
    assert_eq!(first.uploaded, 3);
    assert_eq!(first.deployment.environment, "production");
    assert_eq!(first.deployment.branch, "main");
    assert_eq!(first.deployment.commit_message.as_deref(), Some("first"));
    assert!(
        first.deployment.url.ends_with(".simtest-site.pages.dev"),
        "{}",
        first.deployment.url
    );
    let control = pages_control(&sim, PROJECT).await;
    assert_eq!(control["deployments"][0]["manifest"], manifest_of(&v1));
    assert_eq!(control["assets_uploaded"], 3);

    // One file changed: exactly one file is sent again, even when the upload JWT has
    // expired (a 401: the client fetches a new JWT and sends the call again).
    sim.control("/pages/expire-next-token", Vec::new()).await;
    let v2 = site("console.log('v2')");
    let second = cf
        .deploy_pages(&cancel, PROJECT, "main", &v2, "second")
        .await
        .unwrap();
    assert_eq!(second.uploaded, 1);
    let check = "/cloudflare/client/v4/pages/assets/check-missing";
    assert_eq!(
        sim.requests_to("POST", check).await[1..],
        [(401, false), (200, false)]
    );
    let token_path =
        format!("/cloudflare/client/v4/accounts/{ACCOUNT}/pages/projects/{PROJECT}/upload-token");
    assert_eq!(sim.requests_to("GET", &token_path).await.len(), 3);
    let control = pages_control(&sim, PROJECT).await;
    assert_eq!(control["assets_uploaded"], 4);
    assert_eq!(control["deployments"][1]["manifest"], manifest_of(&v2));
    let found = cf
        .find_pages_project(&cancel, PROJECT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.canonical_deployment.map(|d| d.id),
        Some(second.deployment.id.clone())
    );

    // Branch and variables change in place; a variable no longer wanted is removed.
    let second_spec = spec(
        "release",
        &[("PLATFORM_ENVIRONMENT", "simtest"), ("NEW_VAR", "1")],
    );
    let updated = cf
        .update_pages_project(&cancel, &second_spec, &first_spec.env)
        .await
        .unwrap();
    assert_eq!(updated.production_branch, "release");
    assert_eq!(updated.env, second_spec.env);
    let found = cf
        .find_pages_project(&cancel, PROJECT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.env, second_spec.env);

    // Domains: one under the simulator's zone is active, another pending; adding again is fine.
    let ours = cf
        .add_pages_domain(&cancel, PROJECT, "www.example.com")
        .await
        .unwrap();
    assert_eq!(ours.status, "active");
    let theirs = cf
        .add_pages_domain(&cancel, PROJECT, "shop.other.org")
        .await
        .unwrap();
    assert_eq!(theirs.status, "pending");
    let again = cf
        .add_pages_domain(&cancel, PROJECT, "www.example.com")
        .await
        .unwrap();
    assert_eq!(again, ours);
    assert_eq!(
        cf.list_pages_domains(&cancel, PROJECT).await.unwrap().len(),
        2
    );
    cf.delete_pages_domain(&cancel, PROJECT, "shop.other.org")
        .await
        .unwrap();
    cf.delete_pages_domain(&cancel, PROJECT, "shop.other.org")
        .await
        .unwrap();
    let domains = cf.list_pages_domains(&cancel, PROJECT).await.unwrap();
    assert_eq!(
        domains.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["www.example.com"]
    );
    let found = cf
        .find_pages_project(&cancel, PROJECT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.domains, ["www.example.com"]);

    // Rollback makes the first production deployment the one served again.
    let deployments = cf.list_pages_deployments(&cancel, PROJECT).await.unwrap();
    assert_eq!(deployments.len(), 2);
    assert_eq!(deployments[0].id, second.deployment.id, "newest first");
    cf.rollback_pages(&cancel, PROJECT, &first.deployment.id)
        .await
        .unwrap();
    let found = cf
        .find_pages_project(&cancel, PROJECT)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.canonical_deployment.map(|d| d.id),
        Some(first.deployment.id.clone())
    );

    // Access: an application with one allow policy, changed, then removed.
    assert_eq!(cf.find_access_app(&cancel, PROJECT).await.unwrap(), None);
    let app_spec = AccessAppSpec {
        name: PROJECT.into(),
        domain: "www.example.com".into(),
        self_hosted_domains: vec!["www.example.com".into(), "simtest-site.pages.dev".into()],
        session_duration: "24h".into(),
    };
    let app = cf.create_access_app(&cancel, &app_spec).await.unwrap();
    assert_eq!(app.self_hosted_domains, app_spec.self_hosted_domains);
    assert_eq!(
        cf.find_access_app(&cancel, PROJECT).await.unwrap(),
        Some(app.clone())
    );
    let emails = vec!["ops@example.com".to_string()];
    let domains = vec!["example.com".to_string()];
    let policy = cf
        .create_access_policy(&cancel, &app.id, "team", &emails, &domains)
        .await
        .unwrap();
    assert_eq!(
        (policy.emails.clone(), policy.email_domains.clone()),
        (emails.clone(), domains)
    );
    let changed = cf
        .update_access_policy(&cancel, &app.id, &policy.id, "team", &emails, &[])
        .await
        .unwrap();
    assert!(changed.email_domains.is_empty());
    assert_eq!(
        cf.list_access_policies(&cancel, &app.id).await.unwrap(),
        vec![changed]
    );
    let mut narrower = app_spec.clone();
    narrower.self_hosted_domains.clear();
    let app2 = cf
        .update_access_app(&cancel, &app.id, &narrower)
        .await
        .unwrap();
    assert_eq!(
        (app2.id.as_str(), app2.self_hosted_domains.clone()),
        (app.id.as_str(), vec!["www.example.com".to_string()])
    );
    cf.delete_access_policy(&cancel, &app.id, &policy.id)
        .await
        .unwrap();
    cf.delete_access_policy(&cancel, &app.id, &policy.id)
        .await
        .unwrap();
    assert!(
        cf.list_access_policies(&cancel, &app.id)
            .await
            .unwrap()
            .is_empty()
    );
    cf.delete_access_app(&cancel, &app.id).await.unwrap();
    cf.delete_access_app(&cancel, &app.id).await.unwrap();
    assert_eq!(cf.find_access_app(&cancel, PROJECT).await.unwrap(), None);

    // A throttled read is retried after Retry-After.
    let path = format!("/cloudflare/client/v4/accounts/{ACCOUNT}/pages/projects/{PROJECT}");
    sim.fault(json!({"match": format!("GET {path}"), "status": 429, "retry_after": 1}))
        .await;
    assert!(
        cf.find_pages_project(&cancel, PROJECT)
            .await
            .unwrap()
            .is_some()
    );
    let tries = sim.requests_to("GET", &path).await;
    assert_eq!(&tries[tries.len() - 2..], [(429, true), (200, false)]);

    // Deleting twice is fine; afterwards the project is gone.
    cf.delete_pages_project(&cancel, PROJECT).await.unwrap();
    cf.delete_pages_project(&cancel, PROJECT).await.unwrap();
    assert_eq!(cf.find_pages_project(&cancel, PROJECT).await.unwrap(), None);
}

#[tokio::test]
async fn a_large_site_goes_up_in_several_requests() {
    let sim = Sim::start(&[]);
    let cf = sim.cloudflare(TOKEN);
    let cancel = CancellationToken::new();
    cf.create_pages_project(&cancel, &spec("main", &[]))
        .await
        .unwrap();

    let files: Vec<SiteFile> = (0..1_200)
        .map(|i| {
            SiteFile::new(
                format!("pages/{i:04}.html"),
                format!("<p>page {i}</p>").into_bytes(),
            )
        })
        .collect();
    let site = SiteFiles::from_files(files);
    let upload = cf
        .deploy_pages(&cancel, PROJECT, "main", &site, "large")
        .await
        .unwrap();
    assert_eq!(upload.uploaded, 1_200);

    let uploads = sim.requests_to("POST", UPLOAD).await;
    assert!(uploads.len() >= 2, "{uploads:?}");
    assert!(
        uploads.iter().all(|(status, _)| *status == 200),
        "{uploads:?}"
    );
    let control = pages_control(&sim, PROJECT).await;
    assert_eq!(control["assets_uploaded"], 1_200);
    assert_eq!(control["deployments"][0]["manifest"], manifest_of(&site));

    // The same site again sends nothing.
    let again = cf
        .deploy_pages(&cancel, PROJECT, "main", &site, "large")
        .await
        .unwrap();
    assert_eq!(again.uploaded, 0);
    assert_eq!(sim.requests_to("POST", UPLOAD).await.len(), uploads.len());
}
