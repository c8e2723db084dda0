//! Tests of [`super`] (vercel.rs).

use axum::body::Body;
use axum::http::{Method, Request, header};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use crate::testing::{Harness, Reply, TOKEN};

const TEAM: &str = "team_simtest";

fn sha(body: &[u8]) -> String {
    super::hex(&Sha1::digest(body))
}

async fn upload(h: &Harness, query: &str, digest: &str, body: &[u8]) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("/vercel/v2/files{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header("x-vercel-digest", digest)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(body.to_vec()))
        .expect("request builds");
    h.raw(request).await
}

async fn create_project(h: &Harness, name: &str) -> Value {
    let r = h
        .json(
            Method::POST,
            "/vercel/v11/projects",
            json!({"name": name, "framework": null}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn files(pairs: &[(&str, &[u8])]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(file, body)| json!({"file": file, "sha": sha(body), "size": body.len()}))
            .collect(),
    )
}

#[tokio::test]
async fn projects_are_created_found_renamed_and_deleted_with_vercel_errors() {
    let h = Harness::new();
    let p = create_project(&h, "shop-web").await;
    let id = p["id"].as_str().unwrap();
    assert!(id.starts_with("prj_") && id.len() == 32, "{id}");
    assert_eq!(p["accountId"], super::PERSONAL_ACCOUNT);

    let dup = h
        .json(
            Method::POST,
            "/vercel/v11/projects",
            json!({"name": "shop-web"}),
        )
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.json()["error"]["code"], "conflict");
    assert_eq!(
        dup.json()["error"]["message"],
        "Project \"shop-web\" already exists."
    );

    for bad in ["Shop", "a---b", "", &"x".repeat(101)] {
        let r = h
            .json(Method::POST, "/vercel/v11/projects", json!({"name": bad}))
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "bad_request");
    }

    let by_name = h.get("/vercel/v9/projects/shop-web").await;
    assert_eq!(by_name.json()["id"], id);
    let by_id = h.get(&format!("/vercel/v10/projects/{id}")).await;
    assert_eq!(by_id.json()["name"], "shop-web");

    let r = h
        .json(
            Method::PATCH,
            &format!("/vercel/v9/projects/{id}"),
            json!({"framework": "nextjs"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["framework"], "nextjs");

    let r = h
        .send(
            Method::DELETE,
            &format!("/vercel/v9/projects/{id}"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 204);
    let r = h.get(&format!("/vercel/v9/projects/{id}")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "not_found");
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_forbidden() {
    let h = Harness::new();
    for token in [None, Some("wrong")] {
        let r = h
            .send(Method::GET, "/vercel/v9/projects/x", token, None, vec![])
            .await;
        assert_eq!(r.status, 403);
        assert_eq!(
            r.json(),
            json!({"error": {"code": "forbidden", "message": "Not authorized"}})
        );
    }
}

#[tokio::test]
async fn projects_belong_to_the_team_they_were_created_in() {
    let h = Harness::new();
    let r = h
        .json(
            Method::POST,
            &format!("/vercel/v11/projects?teamId={TEAM}"),
            json!({"name": "web"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["accountId"], TEAM);
    assert_eq!(
        h.get(&format!("/vercel/v9/projects/web?teamId={TEAM}"))
            .await
            .status,
        200
    );
    assert_eq!(
        h.get("/vercel/v9/projects/web?teamId=team_other")
            .await
            .status,
        404
    );
    assert_eq!(h.get("/vercel/v9/projects/web").await.status, 404);
    assert_eq!(
        h.get("/vercel/v9/projects/web?teamId=nope").await.status,
        403
    );
    // The same name is free in another scope.
    create_project(&h, "web").await;
}

#[tokio::test]
async fn env_conflicts_upserts_and_sensitive_values() {
    let h = Harness::new();
    create_project(&h, "app").await;
    let url = "/vercel/v10/projects/app/env";
    let r = h
        .json(Method::POST, url, json!({"key": "API_URL", "value": "https://a", "type": "encrypted", "target": ["production", "preview"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["created"]["id"].as_str().unwrap().to_owned();

    let r = h
        .json(Method::POST, url, json!({"key": "API_URL", "value": "https://b", "type": "encrypted", "target": ["preview"]}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "ENV_CONFLICT");

    let r = h
        .json(Method::POST, &format!("{url}?upsert=true"), json!({"key": "API_URL", "value": "https://b", "type": "encrypted", "target": ["preview"]}))
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["created"]["id"], id.as_str());

    let r = h
        .json(Method::POST, url, json!({"key": "TOKEN", "value": "s3cret", "type": "sensitive", "target": ["production"]}))
        .await;
    assert_eq!(r.status, 201);
    let r = h
        .json(
            Method::POST,
            url,
            json!({"key": "T2", "value": "x", "type": "sensitive", "target": ["development"]}),
        )
        .await;
    assert_eq!(r.status, 400);

    let list = h
        .get("/vercel/v9/projects/app/env?decrypt=true")
        .await
        .json();
    let envs = list["envs"].as_array().unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(envs[0]["value"], "https://b");
    assert!(envs[1].get("value").is_none(), "{}", envs[1]);
    let plain_list = h.get("/vercel/v9/projects/app/env").await.json();
    assert_ne!(plain_list["envs"][0]["value"], "https://b");

    let r = h
        .json(
            Method::PATCH,
            &format!("/vercel/v9/projects/app/env/{id}"),
            json!({"value": "https://c"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = h
        .send(
            Method::DELETE,
            &format!("/vercel/v9/projects/app/env/{id}"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .send(
            Method::DELETE,
            &format!("/vercel/v9/projects/app/env/{id}"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn uploads_are_checked_against_their_digest() {
    let h = Harness::new();
    let body = b"<h1>hi</h1>";
    let r = upload(&h, "", &sha(body), body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = upload(&h, "", &sha(b"other"), body).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("doesn't match the provided SHA1 sum"),
        "{}",
        r.text()
    );
    let no_digest = h
        .send(
            Method::POST,
            "/vercel/v2/now/files",
            Some(TOKEN),
            None,
            body.to_vec(),
        )
        .await;
    assert_eq!(no_digest.status, 400);
    let counts = h.get("/_sim/vercel/uploads").await.json();
    assert_eq!(counts["total"], 1);
}

#[tokio::test]
async fn deployments_need_their_files_then_become_ready_and_take_production() {
    let h = Harness::new();
    create_project(&h, "site").await;
    let index: &[u8] = b"<h1>v1</h1>";
    let body = json!({"name": "site", "project": "site", "target": "production", "files": files(&[("index.html", index)])});
    let r = h
        .json(Method::POST, "/vercel/v13/deployments", body.clone())
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "missing_files");
    assert_eq!(r.json()["error"]["missing"], json!([sha(index)]));

    // Files uploaded in another scope do not count.
    assert_eq!(
        upload(&h, &format!("?teamId={TEAM}"), &sha(index), index)
            .await
            .status,
        200
    );
    assert_eq!(
        h.json(Method::POST, "/vercel/v13/deployments", body.clone())
            .await
            .status,
        400
    );

    assert_eq!(upload(&h, "", &sha(index), index).await.status, 200);
    let r = h.json(Method::POST, "/vercel/v13/deployments", body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let d = r.json();
    let id = d["id"].as_str().unwrap();
    assert!(id.starts_with("dpl_"));
    assert!(d["url"].as_str().unwrap().starts_with("site-"));
    assert_eq!(d["readyState"], "QUEUED");

    let project = h.get("/vercel/v9/projects/site").await.json();
    assert!(project.get("targets").is_none());
    let states: Vec<Value> = {
        let mut s = Vec::new();
        for _ in 0..3 {
            s.push(
                h.get(&format!("/vercel/v13/deployments/{id}")).await.json()["readyState"].clone(),
            );
        }
        s
    };
    assert_eq!(
        states,
        vec![json!("BUILDING"), json!("READY"), json!("READY")]
    );
    let ready = h.get(&format!("/vercel/v13/deployments/{id}")).await.json();
    assert_eq!(ready["alias"], json!(["site.vercel.app"]));
    let project = h.get("/vercel/v9/projects/site").await.json();
    assert_eq!(project["targets"]["production"]["id"], id);

    let listed = h
        .get(&format!(
            "/vercel/v6/deployments?projectId={}&target=production",
            project["id"].as_str().unwrap()
        ))
        .await
        .json();
    assert_eq!(listed["deployments"][0]["uid"], id);

    let control = h.get("/_sim/vercel/projects/site/deployments").await.json();
    assert_eq!(
        control["deployments"][0]["files"],
        json!({"index.html": sha(index)})
    );
}

#[tokio::test]
async fn promotion_points_production_back_at_an_older_deployment() {
    let h = Harness::new();
    create_project(&h, "site").await;
    let mut ids = Vec::new();
    for content in [b"v1".as_slice(), b"v2".as_slice()] {
        upload(&h, "", &sha(content), content).await;
        let r = h
            .json(Method::POST, "/vercel/v13/deployments", json!({"name": "site", "target": "production", "files": files(&[("index.html", content)])}))
            .await;
        let id = r.json()["id"].as_str().unwrap().to_owned();
        h.get(&format!("/vercel/v13/deployments/{id}")).await;
        h.get(&format!("/vercel/v13/deployments/{id}")).await;
        ids.push(id);
    }
    let project = h.get("/vercel/v9/projects/site").await.json();
    assert_eq!(project["targets"]["production"]["id"], ids[1].as_str());
    let pid = project["id"].as_str().unwrap();
    let r = h
        .send(
            Method::POST,
            &format!("/vercel/v10/projects/{pid}/promote/{}", ids[0]),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let project = h.get("/vercel/v9/projects/site").await.json();
    assert_eq!(project["targets"]["production"]["id"], ids[0].as_str());
    let r = h
        .send(
            Method::POST,
            &format!("/vercel/v1/projects/{pid}/rollback/{}", ids[1]),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 201);
    let r = h
        .send(
            Method::POST,
            &format!("/vercel/v10/projects/{pid}/promote/dpl_missing"),
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn domains_are_verified_for_known_zones_and_unique_across_projects() {
    let h = Harness::new();
    create_project(&h, "one").await;
    create_project(&h, "two").await;
    let r = h
        .json(
            Method::POST,
            "/vercel/v10/projects/one/domains",
            json!({"name": "www.example.com"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["verified"], true);
    let r = h
        .json(
            Method::POST,
            "/vercel/v10/projects/one/domains",
            json!({"name": "shop.elsewhere.dev", "gitBranch": "staging"}),
        )
        .await;
    assert_eq!(r.json()["verified"], false);
    assert_eq!(
        r.json()["verification"][0]["domain"],
        "_vercel.elsewhere.dev"
    );
    assert_eq!(r.json()["gitBranch"], "staging");

    let again = h
        .json(
            Method::POST,
            "/vercel/v10/projects/one/domains",
            json!({"name": "www.example.com"}),
        )
        .await;
    assert_eq!(again.status, 409);
    let other = h
        .json(
            Method::POST,
            "/vercel/v10/projects/two/domains",
            json!({"name": "www.example.com"}),
        )
        .await;
    assert_eq!(other.status, 400);
    let bad = h
        .json(
            Method::POST,
            "/vercel/v10/projects/two/domains",
            json!({"name": "nodot"}),
        )
        .await;
    assert_eq!(bad.status, 400);

    assert_eq!(
        h.get("/vercel/v9/projects/one/domains").await.json()["domains"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    h.send(
        Method::POST,
        "/_sim/vercel/domains/shop.elsewhere.dev/verify",
        None,
        None,
        vec![],
    )
    .await;
    assert_eq!(
        h.get("/vercel/v9/projects/one/domains/shop.elsewhere.dev")
            .await
            .json()["verified"],
        true
    );
    let r = h
        .send(
            Method::DELETE,
            "/vercel/v9/projects/one/domains/www.example.com",
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 200);
    let r = h
        .send(
            Method::DELETE,
            "/vercel/v9/projects/one/domains/www.example.com",
            Some(TOKEN),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn injected_throttling_comes_out_in_vercels_shape() {
    let h = Harness::new();
    let fault = json!({"match": "GET /vercel/v9/projects/x", "status": 429, "retry_after": 3});
    let r = h.json(Method::POST, "/_sim/faults", fault).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let r = h.get("/vercel/v9/projects/x").await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("3"));
    assert_eq!(r.json()["error"]["code"], "rate_limited");
}
