//! Tests of [`super`] (access.rs).

use axum::http::Method;
use serde_json::{Value, json};

use crate::testing::{Harness, TOKEN};

const APPS: &str = "/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/access/apps";

fn app_body(domain: &str) -> Value {
    json!({"name": "site", "domain": domain, "type": "self_hosted", "session_duration": "24h"})
}

#[tokio::test]
async fn applications_are_created_replaced_and_deleted() {
    let h = Harness::new();
    let r = h
        .json(Method::POST, APPS, app_body("www.example.com"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let app = r.json()["result"].clone();
    let id = app["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(app["aud"].as_str().unwrap().len(), 64);
    assert_eq!(app["self_hosted_domains"], json!(["www.example.com"]));

    let bad = h
        .json(
            Method::POST,
            APPS,
            json!({"name": "x", "domain": "a.b", "session_duration": "one day"}),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    let no_domain = h
        .json(
            Method::POST,
            APPS,
            json!({"name": "x", "type": "self_hosted"}),
        )
        .await;
    assert_eq!(no_domain.status, 400);

    let one = format!("{APPS}/{id}");
    let put = h.json(Method::PUT, &one, app_body("app.example.com")).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["result"]["domain"], "app.example.com");
    assert_eq!(put.json()["result"]["aud"], app["aud"]);

    assert_eq!(
        h.get(APPS).await.json()["result"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        h.send(Method::DELETE, &one, Some(TOKEN), None, vec![])
            .await
            .status,
        200
    );
    let gone = h.get(&one).await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.json()["errors"][0]["message"],
        "access.api.error.not_found"
    );
}

#[tokio::test]
async fn policies_belong_to_their_application() {
    let h = Harness::new();
    let app = h
        .json(Method::POST, APPS, app_body("www.example.com"))
        .await
        .json()["result"]
        .clone();
    let policies = format!("{APPS}/{}/policies", app["id"].as_str().unwrap());
    let allow = json!({
        "name": "team", "decision": "allow",
        "include": [{"email": {"email": "a@example.com"}}, {"email_domain": {"domain": "example.com"}}],
    });
    let r = h.json(Method::POST, &policies, allow.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let policy = r.json()["result"].clone();
    assert_eq!(policy["precedence"], 1);
    assert_eq!(
        policy["include"][1]["email_domain"]["domain"],
        "example.com"
    );

    let clash = h.json(Method::POST, &policies, json!({"name": "b", "decision": "allow", "include": [{"everyone": {}}], "precedence": 1})).await;
    assert_eq!(clash.status, 400, "precedence is unique: {}", clash.text());
    let empty = h
        .json(
            Method::POST,
            &policies,
            json!({"name": "b", "decision": "allow", "include": []}),
        )
        .await;
    assert_eq!(empty.status, 400);
    let bad_email = h
        .json(
            Method::POST,
            &policies,
            json!({"name": "b", "decision": "allow", "include": [{"email": {"email": "nobody"}}]}),
        )
        .await;
    assert_eq!(bad_email.status, 400);

    let one = format!("{policies}/{}", policy["id"].as_str().unwrap());
    let mut changed = allow;
    changed["include"] = json!([{"email": {"email": "b@example.com"}}]);
    let put = h.json(Method::PUT, &one, changed).await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.json()["result"]["include"][0]["email"]["email"],
        "b@example.com"
    );
    assert_eq!(
        h.get(&policies).await.json()["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.send(Method::DELETE, &one, Some(TOKEN), None, vec![])
            .await
            .status,
        200
    );
    assert_eq!(h.get(&one).await.status, 404);
    let other_app = format!("{APPS}/00000000-0000-0000-0000-000000000000/policies");
    assert_eq!(h.get(&other_app).await.status, 404);
}

#[test]
fn session_durations_are_go_durations() {
    for ok in ["24h", "30m", "2h45m", "300ms", "1.5h"] {
        assert!(super::valid_duration(ok), "{ok}");
    }
    for bad in ["", "24", "one day", "5d", "h"] {
        assert!(!super::valid_duration(bad), "{bad}");
    }
}
