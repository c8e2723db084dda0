//! Tests of [`super`] (pages.rs).

use axum::http::Method;
use serde_json::{Value, json};

use crate::multipart::{self, Part};
use crate::testing::{Harness, Reply, TOKEN};

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const PROJECTS: &str =
    "/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/pages/projects";
const HASH_A: &str = "0123456789abcdef0123456789abcdef";
const HASH_B: &str = "fedcba9876543210fedcba9876543210";

async fn create(h: &Harness, name: &str) -> Reply {
    h.json(
        Method::POST,
        PROJECTS,
        json!({
            "name": name,
            "production_branch": "main",
            "deployment_configs": {
                "production": {"env_vars": {
                    "MODE": {"type": "plain_text", "value": "prod"},
                    "KEY": {"type": "secret_text", "value": "s3cr3t"},
                }},
            },
        }),
    )
    .await
}

async fn jwt(h: &Harness, name: &str) -> String {
    let r = h.get(&format!("{PROJECTS}/{name}/upload-token")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["result"]["jwt"].as_str().unwrap().to_owned()
}

async fn assets(h: &Harness, token: &str, path: &str, body: Value) -> Reply {
    h.send(
        Method::POST,
        &format!("/cloudflare/client/v4/pages/assets/{path}"),
        Some(token),
        Some("application/json"),
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

async fn deploy(h: &Harness, name: &str, manifest: Value, branch: &str) -> Reply {
    let field = |name: &str, body: String| Part {
        name: name.to_owned(),
        filename: None,
        content_type: None,
        body: body.into_bytes(),
    };
    let parts = vec![
        field("manifest", manifest.to_string()),
        field("branch", branch.to_owned()),
        field("commit_message", "first".to_owned()),
    ];
    h.send(
        Method::POST,
        &format!("{PROJECTS}/{name}/deployments"),
        Some(TOKEN),
        Some("multipart/form-data; boundary=sim-b"),
        multipart::encode(&parts, "sim-b"),
    )
    .await
}

fn asset(key: &str, value: &str) -> Value {
    json!({"key": key, "value": value, "metadata": {"contentType": "text/html"}, "base64": true})
}

#[tokio::test]
async fn projects_are_created_read_patched_and_deleted() {
    let h = Harness::new();
    let r = create(&h, "my-site").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let p = &r.json()["result"];
    assert_eq!(p["subdomain"], "my-site.pages.dev");
    assert_eq!(
        p["deployment_configs"]["production"]["env_vars"]["MODE"]["value"],
        "prod"
    );
    assert!(
        p["deployment_configs"]["production"]["env_vars"]["KEY"]
            .get("value")
            .is_none()
    );
    assert_eq!(p["canonical_deployment"], Value::Null);

    let dup = create(&h, "my-site").await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json()["errors"][0]["code"], 8000002);
    let bad = create(&h, "My_Site").await;
    assert_eq!(bad.status, 400, "{}", bad.text());

    let patched = h
        .json(
            Method::PATCH,
            &format!("{PROJECTS}/my-site"),
            json!({"production_branch": "release", "deployment_configs": {"production": {"env_vars": {"MODE": null, "NEW": {"type": "plain_text", "value": "1"}}}}}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let env = &patched.json()["result"]["deployment_configs"]["production"]["env_vars"];
    assert!(env.get("MODE").is_none(), "{env}");
    assert_eq!(env["NEW"]["value"], "1");
    assert!(env.get("KEY").is_some(), "untouched vars stay: {env}");
    assert_eq!(patched.json()["result"]["production_branch"], "release");

    assert_eq!(
        h.get(PROJECTS).await.json()["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let gone = h
        .send(
            Method::DELETE,
            &format!("{PROJECTS}/my-site"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(gone.status, 200);
    let missing = h.get(&format!("{PROJECTS}/my-site")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["errors"][0]["code"], 8000007);
}

#[tokio::test]
async fn assets_take_the_upload_jwt_not_the_api_token() {
    let h = Harness::new();
    create(&h, "site").await;
    let token = jwt(&h, "site").await;
    assert_eq!(token.split('.').count(), 3);

    let with_api_token = assets(&h, TOKEN, "check-missing", json!({"hashes": [HASH_A]})).await;
    assert_eq!(with_api_token.status, 401);
    assert_eq!(with_api_token.json()["errors"][0]["code"], 8000013);
    let anonymous = h
        .send(
            Method::POST,
            "/cloudflare/client/v4/pages/assets/check-missing",
            None,
            None,
            vec![],
        )
        .await;
    assert_eq!(anonymous.status, 401);

    let missing = assets(
        &h,
        &token,
        "check-missing",
        json!({"hashes": [HASH_A, HASH_B]}),
    )
    .await;
    assert_eq!(missing.json()["result"], json!([HASH_A, HASH_B]));
    let up = assets(&h, &token, "upload", json!([asset(HASH_A, "aGVsbG8=")])).await;
    assert_eq!(up.status, 200, "{}", up.text());
    let missing = assets(
        &h,
        &token,
        "check-missing",
        json!({"hashes": [HASH_A, HASH_B]}),
    )
    .await;
    assert_eq!(missing.json()["result"], json!([HASH_B]));
    assert_eq!(
        assets(&h, &token, "upsert-hashes", json!({"hashes": [HASH_A]}))
            .await
            .status,
        200
    );

    let not_base64 = assets(&h, &token, "upload", json!([asset(HASH_B, "%%%")])).await;
    assert_eq!(not_base64.status, 400);
    let short_key = assets(&h, &token, "upload", json!([asset("abc", "aGVsbG8=")])).await;
    assert_eq!(short_key.status, 400);
    let too_many: Vec<Value> = (0..2001)
        .map(|i| asset(&format!("{i:032x}"), "aGk="))
        .collect();
    let r = assets(&h, &token, "upload", Value::Array(too_many)).await;
    assert_eq!(r.status, 400, "{}", r.text());

    let control: Value = serde_json::from_slice(
        &h.send(
            Method::GET,
            &format!("/_sim/pages/accounts/{ACCOUNT}/projects/site"),
            None,
            None,
            vec![],
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(control["assets_uploaded"], 1);
}

#[tokio::test]
async fn deployments_need_uploaded_assets_and_production_is_canonical() {
    let h = Harness::new();
    create(&h, "site").await;
    let token = jwt(&h, "site").await;

    let refused = deploy(&h, "site", json!({"/index.html": HASH_A}), "main").await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert!(refused.text().contains("never uploaded"));

    assets(
        &h,
        &token,
        "upload",
        json!([asset(HASH_A, "aGVsbG8="), asset(HASH_B, "aGk=")]),
    )
    .await;
    let first = deploy(&h, "site", json!({"/index.html": HASH_A}), "main").await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json()["result"].clone();
    assert_eq!(first["environment"], "production");
    assert_eq!(first["deployment_trigger"]["metadata"]["branch"], "main");
    let short = first["short_id"].as_str().unwrap();
    assert_eq!(first["url"], format!("https://{short}.site.pages.dev"));

    let preview = deploy(&h, "site", json!({"/index.html": HASH_B}), "feature/x")
        .await
        .json()["result"]
        .clone();
    assert_eq!(preview["environment"], "preview");
    assert_eq!(preview["aliases"][0], "https://feature-x.site.pages.dev");
    let second = deploy(&h, "site", json!({"/index.html": HASH_B}), "main")
        .await
        .json()["result"]
        .clone();

    let project = h.get(&format!("{PROJECTS}/site")).await.json()["result"].clone();
    assert_eq!(project["canonical_deployment"]["id"], second["id"]);
    assert_eq!(project["latest_deployment"]["id"], second["id"]);

    let rb = |id: &Value| {
        format!(
            "{PROJECTS}/site/deployments/{}/rollback",
            id.as_str().unwrap()
        )
    };
    assert_eq!(
        h.json(Method::POST, &rb(&preview["id"]), json!({}))
            .await
            .status,
        400
    );
    assert_eq!(
        h.json(Method::POST, &rb(&first["id"]), json!({}))
            .await
            .status,
        200
    );
    let project = h.get(&format!("{PROJECTS}/site")).await.json()["result"].clone();
    assert_eq!(project["canonical_deployment"]["id"], first["id"]);

    let del = |id: &Value| format!("{PROJECTS}/site/deployments/{}", id.as_str().unwrap());
    let live = h
        .send(
            Method::DELETE,
            &del(&first["id"]),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(live.status, 400, "the live production deployment stays");
    assert_eq!(
        h.send(
            Method::DELETE,
            &del(&second["id"]),
            Some(TOKEN),
            None,
            vec![]
        )
        .await
        .status,
        200
    );
    assert_eq!(h.get(&del(&second["id"])).await.status, 404);
    let list = h.get(&format!("{PROJECTS}/site/deployments")).await.json()["result"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2);

    let control: Value = serde_json::from_slice(
        &h.send(
            Method::GET,
            &format!("/_sim/pages/accounts/{ACCOUNT}/projects/site"),
            None,
            None,
            vec![],
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(
        control["deployments"][0]["manifest"],
        json!({"/index.html": HASH_A})
    );
    assert_eq!(control["assets_uploaded"], 2);
}

#[tokio::test]
async fn domains_under_a_configured_zone_are_active_others_pending() {
    let h = Harness::new();
    create(&h, "site").await;
    let domains = format!("{PROJECTS}/site/domains");
    let ours = h
        .json(Method::POST, &domains, json!({"name": "www.example.com"}))
        .await;
    assert_eq!(ours.status, 200, "{}", ours.text());
    assert_eq!(ours.json()["result"]["status"], "active");
    assert_eq!(
        ours.json()["result"]["zone_tag"],
        "023e105f4ecef8ad9ca31a8372d0c353"
    );
    let theirs = h
        .json(Method::POST, &domains, json!({"name": "shop.other.org"}))
        .await;
    assert_eq!(theirs.json()["result"]["status"], "pending");
    assert_eq!(
        theirs.json()["result"]["validation_data"]["status"],
        "pending"
    );
    let again = h
        .json(Method::POST, &domains, json!({"name": "www.example.com"}))
        .await;
    assert_eq!(again.status, 409);

    let list = h.get(&domains).await.json()["result"].clone();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let project = h.get(&format!("{PROJECTS}/site")).await.json()["result"].clone();
    assert_eq!(
        project["domains"],
        json!(["www.example.com", "shop.other.org"])
    );

    let one = format!("{domains}/www.example.com");
    assert_eq!(h.get(&one).await.status, 200);
    assert_eq!(
        h.send(Method::DELETE, &one, Some(TOKEN), None, vec![])
            .await
            .status,
        200
    );
    assert_eq!(h.get(&one).await.status, 404);
}

#[test]
fn base64_helpers_round_trip_lengths() {
    assert_eq!(super::base64url(b"{\"a\":1}"), "eyJhIjoxfQ");
    assert_eq!(super::base64_decoded_len("aGVsbG8="), Some(5));
    assert_eq!(super::base64_decoded_len("aGk="), Some(2));
    assert_eq!(super::base64_decoded_len("aGVsbG8"), None);
    assert!(super::base64_decoded_len("a$==").is_none());
}

#[tokio::test]
async fn a_token_issued_expired_is_refused_and_the_next_one_works() {
    let h = Harness::new();
    create(&h, "site").await;
    let r = h
        .send(
            Method::POST,
            "/_sim/pages/expire-next-token",
            None,
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let expired = jwt(&h, "site").await;
    let refused = assets(&h, &expired, "check-missing", json!({"hashes": [HASH_A]})).await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["errors"][0]["code"], 8000013);
    let fresh = jwt(&h, "site").await;
    let ok = assets(&h, &fresh, "check-missing", json!({"hashes": [HASH_A]})).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test]
async fn an_upload_request_may_exceed_the_servers_default_body_limit() {
    let h = Harness::new();
    create(&h, "site").await;
    let token = jwt(&h, "site").await;
    // Two 15 MiB files: 30 MiB of content, a body of about 40 MiB once in base64 —
    // above the 32 MiB the rest of the simulator accepts, within wrangler's bucket.
    let big = "A".repeat(20 * 1024 * 1024);
    let body = json!([asset(HASH_A, &big), asset(HASH_B, &big)]);
    let r = assets(&h, &token, "upload", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Three such files are over the 40 MiB a request may carry.
    let third = "fedcba9876543210fedcba98765432ff";
    let body = json!([asset(HASH_A, &big), asset(HASH_B, &big), asset(third, &big)]);
    let r = assets(&h, &token, "upload", body).await;
    assert_eq!(r.status, 400, "{}", r.text());
}
