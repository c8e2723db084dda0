//! Tests of [`super`] (cloudflare.rs).

use axum::http::Method;
use serde_json::{Value, json};

use crate::multipart::{self, Part};
use crate::testing::{Harness, TOKEN};

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const SOURCE: &str = "export default { async fetch() { return new Response('ok'); } };";

fn part(name: &str, content_type: Option<&str>, body: &str) -> Part {
    Part {
        name: name.to_owned(),
        filename: Some(name.to_owned()),
        content_type: content_type.map(str::to_owned),
        body: body.as_bytes().to_vec(),
    }
}

fn metadata(value: Value) -> Part {
    part("metadata", Some("application/json"), &value.to_string())
}

fn good_metadata() -> Value {
    json!({
        "main_module": "index.js",
        "compatibility_date": "2024-09-23",
        "bindings": [
            {"type": "plain_text", "name": "MODE", "text": "production"},
            {"type": "secret_text", "name": "API_KEY", "text": "s3cr3t-value"},
        ],
    })
}

async fn upload(h: &Harness, name: &str, parts: &[Part]) -> crate::testing::Reply {
    h.send(
        Method::PUT,
        &format!("/cloudflare/client/v4/accounts/{ACCOUNT}/workers/scripts/{name}"),
        Some(TOKEN),
        Some("multipart/form-data; boundary=sim-boundary"),
        multipart::encode(parts, "sim-boundary"),
    )
    .await
}

async fn upload_good(h: &Harness, name: &str) {
    let r = upload(
        h,
        name,
        &[
            metadata(good_metadata()),
            part("index.js", Some("application/javascript+module"), SOURCE),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn script_path(name: &str) -> String {
    format!("/cloudflare/client/v4/accounts/{ACCOUNT}/workers/scripts/{name}")
}

#[tokio::test]
async fn refusals_use_cloudflares_envelope_and_codes() {
    let h = Harness::new();
    let path = script_path("api");
    let unknown = h
        .send(Method::GET, &path, Some("not-a-token"), None, vec![])
        .await;
    assert_eq!(unknown.status, 403);
    assert_eq!(
        unknown.json(),
        json!({"success": false, "errors": [{"code": 10000, "message": "Authentication error"}], "messages": [], "result": null})
    );
    let missing = h.send(Method::GET, &path, None, None, vec![]).await;
    assert_eq!(
        (missing.status, missing.json()["errors"][0]["code"].clone()),
        (400, json!(9106))
    );

    let malformed = h
        .raw(
            axum::http::Request::get(&path)
                .header("authorization", "Token abc")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.json()["errors"][0]["error_chain"][0]["code"],
        6111
    );

    let verify = h
        .send(
            Method::GET,
            "/cloudflare/client/v4/user/tokens/verify",
            Some("nope"),
            None,
            vec![],
        )
        .await;
    assert_eq!(
        (verify.status, verify.json()["errors"][0]["code"].clone()),
        (401, json!(1000))
    );
    let verified = h
        .get("/cloudflare/client/v4/user/tokens/verify")
        .await
        .json();
    assert_eq!(verified["result"]["status"], "active");
}

#[tokio::test]
async fn a_module_worker_round_trips_without_its_secrets() {
    let h = Harness::new();
    upload_good(&h, "api").await;

    let listed = h
        .get(&format!(
            "/cloudflare/client/v4/accounts/{ACCOUNT}/workers/scripts"
        ))
        .await
        .json();
    assert_eq!(listed["result"][0]["id"], "api");
    assert_eq!(listed["result"][0]["etag"].as_str().unwrap().len(), 64);

    let settings = h
        .get(&format!("{}/settings", script_path("api")))
        .await
        .json();
    assert_eq!(settings["result"]["compatibility_date"], "2024-09-23");
    assert_eq!(
        settings["result"]["bindings"],
        json!([
            {"type": "plain_text", "name": "MODE", "text": "production"},
            {"type": "secret_text", "name": "API_KEY"},
        ])
    );

    let content = h.get(&format!("{}/content/v2", script_path("api"))).await;
    assert_eq!(content.text(), SOURCE);
    assert_eq!(
        content.header("content-type").as_deref(),
        Some("application/javascript+module")
    );

    let download = h.get(&script_path("api")).await;
    let content_type = download.header("content-type").unwrap();
    let boundary = multipart::form_data_boundary(&content_type)
        .unwrap()
        .unwrap();
    let parts = multipart::parse(&download.body, &boundary).unwrap();
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].body, SOURCE.as_bytes());

    let state = h.get("/_sim/state").await.text();
    assert!(
        !state.contains("s3cr3t-value"),
        "the state dump must redact secrets"
    );
    for response in [listed.to_string(), settings.to_string(), download.text()] {
        assert!(!response.contains("s3cr3t-value"));
    }
}

#[tokio::test]
async fn bad_uploads_are_refused_with_code_10021() {
    let h = Harness::new();
    let module = || part("index.js", Some("application/javascript+module"), SOURCE);
    let cases: Vec<(&str, Vec<Part>, &str)> = vec![
        (
            "missing metadata",
            vec![module()],
            "could not read content for part metadata",
        ),
        (
            "metadata not JSON",
            vec![
                part("metadata", Some("application/json"), "{nope"),
                module(),
            ],
            "could not parse metadata as JSON",
        ),
        (
            "no main_module",
            vec![
                metadata(json!({"compatibility_date": "2024-01-01"})),
                module(),
            ],
            "metadata.main_module is required",
        ),
        (
            "main_module names no part",
            vec![metadata(json!({"main_module": "worker.js"})), module()],
            "Main module name is not present in bundle",
        ),
        (
            "module sent as CommonJS",
            vec![
                metadata(json!({"main_module": "index.js"})),
                part("index.js", Some("application/javascript"), SOURCE),
            ],
            "Unexpected token 'export'",
        ),
        (
            "module without a content type",
            vec![
                metadata(json!({"main_module": "index.js"})),
                part("index.js", None, "addEventListener('fetch', () => {})"),
            ],
            "has content type \"text/plain\"",
        ),
        (
            "unknown content type",
            vec![
                metadata(json!({"main_module": "index.js"})),
                module(),
                part("x.bin", Some("image/png"), "x"),
            ],
            "Unrecognized content type \"image/png\"",
        ),
        (
            "secret without text",
            vec![
                metadata(
                    json!({"main_module": "index.js", "bindings": [{"type": "secret_text", "name": "K"}]}),
                ),
                module(),
            ],
            "needs a string text",
        ),
        (
            "duplicate binding",
            vec![
                metadata(
                    json!({"main_module": "index.js", "bindings": [{"type": "plain_text", "name": "K", "text": "a"}, {"type": "plain_text", "name": "K", "text": "b"}]}),
                ),
                module(),
            ],
            "used more than once",
        ),
        (
            "bad date",
            vec![
                metadata(json!({"main_module": "index.js", "compatibility_date": "23/09/2024"})),
                module(),
            ],
            "Invalid compatibility date",
        ),
        (
            "future date",
            vec![
                metadata(json!({"main_module": "index.js", "compatibility_date": "2999-01-01"})),
                module(),
            ],
            "in the future",
        ),
    ];
    for (case, parts, message) in cases {
        let r = upload(&h, "bad", &parts).await;
        assert_eq!(r.status, 400, "{case}: {}", r.text());
        let body = r.json();
        assert_eq!(body["success"], false, "{case}");
        assert_eq!(body["errors"][0]["code"], 10021, "{case}");
        let got = body["errors"][0]["message"].as_str().unwrap().to_owned();
        assert!(got.contains(message), "{case}: {got}");
    }

    let not_multipart = h
        .send(
            Method::PUT,
            &script_path("bad"),
            Some(TOKEN),
            Some("application/json"),
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(not_multipart.status, 400);
    assert!(not_multipart.text().contains("Content-Type must be one of"));
    assert_eq!(
        h.get(&script_path("bad")).await.status,
        404,
        "nothing was stored"
    );
}

#[tokio::test]
async fn missing_workers_and_bad_ids_are_refused() {
    let h = Harness::new();
    let r = h.get(&script_path("ghost")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["errors"][0],
        json!({"code": 10007, "message": "This Worker does not exist on your account."})
    );
    let deleted = h
        .send(
            Method::DELETE,
            &script_path("ghost"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(deleted.status, 404);

    let bad = h
        .get("/cloudflare/client/v4/accounts/not-an-id/workers/scripts")
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["errors"][0]["code"], 7003);
    assert_eq!(
        bad.json()["errors"][0]["message"],
        "Could not route to /client/v4/accounts/not-an-id/workers/scripts, perhaps your object identifier is invalid?"
    );
    let unknown_path = h.get("/cloudflare/client/v4/nothing/here").await;
    assert_eq!(
        (
            unknown_path.status,
            unknown_path.json()["errors"][0]["code"].clone()
        ),
        (404, json!(7000))
    );
}

#[tokio::test]
async fn uploads_replace_bindings_unless_kept() {
    let h = Harness::new();
    upload_good(&h, "keep").await;
    let module = part("index.js", Some("application/javascript+module"), SOURCE);
    let replaced = upload(
        &h,
        "keep",
        &[metadata(json!({"main_module": "index.js"})), module.clone()],
    )
    .await;
    assert_eq!(replaced.status, 200);
    let settings = h
        .get(&format!("{}/settings", script_path("keep")))
        .await
        .json();
    assert_eq!(settings["result"]["bindings"], json!([]));

    upload_good(&h, "keep").await;
    let kept = upload(
        &h,
        "keep",
        &[
            metadata(json!({"main_module": "index.js", "keep_bindings": ["secret_text"]})),
            module,
        ],
    )
    .await;
    assert_eq!(kept.status, 200);
    let settings = h
        .get(&format!("{}/settings", script_path("keep")))
        .await
        .json();
    assert_eq!(
        settings["result"]["bindings"],
        json!([{"type": "secret_text", "name": "API_KEY"}])
    );
}

#[tokio::test]
async fn workers_dev_is_enabled_per_script_on_the_account_subdomain() {
    let h = Harness::new();
    let account = h
        .get(&format!(
            "/cloudflare/client/v4/accounts/{ACCOUNT}/workers/subdomain"
        ))
        .await
        .json();
    assert_eq!(account["result"]["subdomain"], "platform-sim");
    upload_good(&h, "edge").await;
    let path = format!("{}/subdomain", script_path("edge"));
    assert_eq!(h.get(&path).await.json()["result"]["enabled"], false);
    let enabled = h.json(Method::POST, &path, json!({"enabled": true})).await;
    assert_eq!(
        enabled.json()["result"],
        json!({"enabled": true, "previews_enabled": true})
    );
    upload_good(&h, "edge").await;
    assert_eq!(
        h.get(&path).await.json()["result"]["enabled"],
        true,
        "a re-upload keeps the flag"
    );
    assert_eq!(
        h.json(Method::POST, &path, json!({"enabled": "yes"}))
            .await
            .status,
        400
    );
    let disabled = h
        .send(Method::DELETE, &path, Some(TOKEN), None, vec![])
        .await;
    assert_eq!(disabled.json()["result"]["enabled"], false);
    assert_eq!(
        h.json(
            Method::POST,
            &format!("{}/subdomain", script_path("ghost")),
            json!({"enabled": true})
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn routes_live_on_the_zone_and_refuse_duplicates() {
    let h = Harness::new();
    upload_good(&h, "edge").await;
    let routes = format!("/cloudflare/client/v4/zones/{ZONE}/workers/routes");
    let created = h
        .json(
            Method::POST,
            &routes,
            json!({"pattern": "api.example.com/*", "script": "edge"}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text());
    let id = created.json()["result"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);

    let cases = [
        (
            json!({"pattern": "api.example.com/*", "script": "edge"}),
            409,
            10020,
        ),
        (
            json!({"pattern": "api.other.org/*", "script": "edge"}),
            400,
            10022,
        ),
        (
            json!({"pattern": "www.example.com/*", "script": "ghost"}),
            400,
            10019,
        ),
    ];
    for (body, status, code) in cases {
        let r = h.json(Method::POST, &routes, body.clone()).await;
        assert_eq!(
            (r.status, r.json()["errors"][0]["code"].clone()),
            (status, json!(code)),
            "{body}"
        );
    }

    let one = format!("{routes}/{id}");
    assert_eq!(
        h.get(&one).await.json()["result"]["pattern"],
        "api.example.com/*"
    );
    let moved = h
        .json(
            Method::PUT,
            &one,
            json!({"pattern": "*.example.com/v2/*", "script": "edge"}),
        )
        .await;
    assert_eq!(moved.json()["result"]["pattern"], "*.example.com/v2/*");
    assert_eq!(
        h.get(&routes).await.json()["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let deleted = h
        .send(Method::DELETE, &one, Some(TOKEN), None, vec![])
        .await;
    assert_eq!(deleted.json()["result"]["id"], id.as_str());
    assert_eq!(h.get(&one).await.status, 404);

    let unknown_zone = h
        .get("/cloudflare/client/v4/zones/ffffffffffffffffffffffffffffffff/workers/routes")
        .await;
    assert_eq!(
        (
            unknown_zone.status,
            unknown_zone.json()["errors"][0]["code"].clone()
        ),
        (400, json!(7003))
    );
}

#[tokio::test]
async fn bad_bodies_and_unknown_routes_are_refused_in_the_envelope() {
    let h = Harness::new();
    upload_good(&h, "edge").await;
    let account = format!("/cloudflare/client/v4/accounts/{ACCOUNT}/workers");
    let routes = format!("/cloudflare/client/v4/zones/{ZONE}/workers/routes");
    let ghost_route = format!("{routes}/ffffffffffffffffffffffffffffffff");
    let cases: Vec<(Method, String, &str, u16, Value)> = vec![
        (
            Method::POST,
            format!("{account}/scripts/edge/subdomain"),
            "{",
            400,
            json!([{"code": 10001, "message": "could not parse the request body as JSON: EOF while parsing an object at line 1 column 1"}]),
        ),
        (
            Method::POST,
            format!("{account}/scripts/edge/subdomain"),
            "{}",
            400,
            json!([{"code": 10001, "message": "enabled is required and must be a boolean"}]),
        ),
        (
            Method::PUT,
            format!("{account}/subdomain"),
            "[]",
            400,
            json!([{"code": 10001, "message": "the request body must be a JSON object"}]),
        ),
        (
            Method::PUT,
            format!("{account}/subdomain"),
            r#"{"subdomain": "Not Valid"}"#,
            400,
            json!([{"code": 10001, "message": "subdomain must be 1-63 lowercase letters, digits or dashes"}]),
        ),
        (
            Method::POST,
            routes.clone(),
            r#"{"script": "edge"}"#,
            400,
            json!([{"code": 10001, "message": "pattern is required"}]),
        ),
        (
            Method::PUT,
            ghost_route.clone(),
            r#"{"pattern": "api.example.com/*"}"#,
            404,
            json!([{"code": 10005, "message": "Route not found."}]),
        ),
        (
            Method::PUT,
            ghost_route.clone(),
            "{",
            400,
            json!([{"code": 10001, "message": "could not parse the request body as JSON: EOF while parsing an object at line 1 column 1"}]),
        ),
        (
            Method::DELETE,
            ghost_route.clone(),
            "",
            404,
            json!([{"code": 10005, "message": "Route not found."}]),
        ),
        (
            Method::GET,
            "/cloudflare/client/v4/zones/not-a-zone/workers/routes/x".to_owned(),
            "",
            400,
            json!([
                {"code": 7003, "message": "Could not route to /client/v4/zones/not-a-zone/workers/routes/x, perhaps your object identifier is invalid?"},
                {"code": 7000, "message": "No route for that URI"},
            ]),
        ),
    ];
    for (method, path, body, status, errors) in cases {
        let r = h
            .send(
                method.clone(),
                &path,
                Some(TOKEN),
                Some("application/json"),
                body.as_bytes().to_vec(),
            )
            .await;
        assert_eq!(
            (r.status, r.json()["errors"].clone()),
            (status, errors),
            "{method} {path} {body}"
        );
    }
}
