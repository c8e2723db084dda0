//! Tests of [`super`] (fly.rs).

use axum::http::Method;
use serde_json::json;

use crate::testing::Harness;

async fn app(h: &Harness, name: &str) {
    let r = h
        .json(
            Method::POST,
            "/fly/v1/apps",
            json!({"app_name": name, "org_slug": "personal"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
}

async fn machine(h: &Harness, app: &str, config: serde_json::Value) -> serde_json::Value {
    let r = h
        .json(
            Method::POST,
            &format!("/fly/v1/apps/{app}/machines"),
            json!({"config": config, "region": "ams"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn requests_without_a_known_token_get_flys_401() {
    let h = Harness::new();
    for token in [None, Some("wrong"), Some("")] {
        let r = h
            .send(
                Method::GET,
                "/fly/v1/apps?org_slug=personal",
                token,
                None,
                vec![],
            )
            .await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json(),
            json!({"error": "Authenticate: token validation error"})
        );
    }
}

#[tokio::test]
async fn apps_are_created_listed_and_refused_twice() {
    let h = Harness::new();
    app(&h, "dev-api").await;

    let got = h.get("/fly/v1/apps/dev-api").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["organization"]["slug"], "personal");
    assert_eq!(got.json()["status"], "pending");

    let again = h
        .json(
            Method::POST,
            "/fly/v1/apps",
            json!({"app_name": "dev-api", "org_slug": "personal"}),
        )
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(
        again.json(),
        json!({"error": "Validation failed: Name has already been taken"})
    );

    let list = h.get("/fly/v1/apps?org_slug=personal").await.json();
    assert_eq!(list["total_apps"], 1);
    assert_eq!(list["apps"][0]["name"], "dev-api");
    assert_eq!(list["apps"][0]["machine_count"], 0);
}

#[tokio::test]
async fn bad_app_requests_are_refused() {
    let h = Harness::new();
    let cases = [
        (
            json!({"app_name": "Bad_Name", "org_slug": "personal"}),
            422,
            "Validation failed: Name under 63 chars",
        ),
        (
            json!({"app_name": "ok", "org_slug": "nobody"}),
            404,
            "organization nobody not found",
        ),
        (json!({"org_slug": "personal"}), 400, "app_name is required"),
    ];
    for (body, status, message) in cases {
        let r = h.json(Method::POST, "/fly/v1/apps", body.clone()).await;
        assert_eq!(r.status, status, "{body}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(message),
            "{}",
            r.text()
        );
    }
    assert_eq!(
        h.get("/fly/v1/apps").await.status,
        400,
        "org_slug is required to list"
    );
}

#[tokio::test]
async fn what_does_not_exist_is_404() {
    let h = Harness::new();
    let r = h.get("/fly/v1/apps/ghost").await;
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"error": "app not found"}))
    );
    app(&h, "real").await;
    let r = h.get("/fly/v1/apps/real/machines/0123456789abcd").await;
    assert_eq!(
        (r.status, r.json()),
        (404, json!({"error": "machine not found"}))
    );
    let r = h
        .json(
            Method::POST,
            "/fly/v1/apps/ghost/machines",
            json!({"config": {}}),
        )
        .await;
    assert_eq!(
        r.status, 404,
        "a missing app is reported before a bad config"
    );
    let r = h
        .json(
            Method::POST,
            "/fly/v1/apps/real/machines/0123456789abcd",
            json!({"config": {}}),
        )
        .await;
    assert_eq!(
        r.status, 404,
        "a missing machine is reported before a bad config"
    );
    assert_eq!(
        h.send(
            Method::DELETE,
            "/fly/v1/apps/ghost",
            Some("sim-token"),
            None,
            vec![]
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn machines_boot_with_defaults_and_are_listed() {
    let h = Harness::new();
    app(&h, "svc").await;
    let created = machine(
        &h,
        "svc",
        json!({"image": "registry.fly.io/svc:v1", "env": {"MODE": "prod"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 14);
    assert_eq!(created["state"], "created");
    assert_eq!(created["region"], "ams");
    assert_eq!(
        created["config"]["guest"],
        json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 256})
    );
    assert_eq!(created["image_ref"]["tag"], "v1");

    let got = h
        .get(&format!("/fly/v1/apps/svc/machines/{id}"))
        .await
        .json();
    assert_eq!(got["state"], "started");
    assert_eq!(got["config"]["env"]["MODE"], "prod");
    let wait = h
        .get(&format!(
            "/fly/v1/apps/svc/machines/{id}/wait?state=started&timeout=60"
        ))
        .await;
    assert_eq!((wait.status, wait.json()), (200, json!({"ok": true})));

    let listed = h.get("/fly/v1/apps/svc/machines").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        h.get("/fly/v1/apps/svc/machines?region=iad").await.json(),
        json!([])
    );
    assert_eq!(h.get("/fly/v1/apps/svc").await.json()["status"], "deployed");
}

#[tokio::test]
async fn guest_sizes_outside_flys_limits_are_refused() {
    let h = Harness::new();
    app(&h, "sized").await;
    let cases = [
        (
            json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 4096}),
            "invalid config.guest.memory_mb, maximum allowed 2048 MiB",
        ),
        (
            json!({"cpu_kind": "performance", "cpus": 1, "memory_mb": 1024}),
            "invalid config.guest.memory_mb, minimum required 2048 MiB",
        ),
        (
            json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 500}),
            "invalid memory size 500; must be in 256 MiB increment (256 would work)",
        ),
        (
            json!({"cpu_kind": "shared", "cpus": 3, "memory_mb": 768}),
            "invalid config.guest.cpus 3 for shared guest, valid numbers are [1 2 4 6 8]",
        ),
        (
            json!({"cpu_kind": "dedicated", "cpus": 1}),
            "invalid config.guest.cpu_kind \"dedicated\"",
        ),
    ];
    for (guest, message) in cases {
        let r = h
            .json(
                Method::POST,
                "/fly/v1/apps/sized/machines",
                json!({"config": {"image": "nginx", "guest": guest}}),
            )
            .await;
        assert_eq!(r.status, 422, "{guest}");
        assert!(
            r.json()["error"].as_str().unwrap().starts_with(message),
            "{}",
            r.text()
        );
    }
    let no_image = h
        .json(
            Method::POST,
            "/fly/v1/apps/sized/machines",
            json!({"config": {}}),
        )
        .await;
    assert_eq!(no_image.status, 422);
    let no_config = h
        .json(Method::POST, "/fly/v1/apps/sized/machines", json!({}))
        .await;
    assert_eq!(no_config.status, 400);
    let bad_region = h
        .json(
            Method::POST,
            "/fly/v1/apps/sized/machines",
            json!({"config": {"image": "nginx"}, "region": "xyz"}),
        )
        .await;
    assert_eq!(
        bad_region.json(),
        json!({"error": "invalid region \"xyz\""})
    );
    assert_eq!(
        h.get("/fly/v1/apps/sized/machines").await.json(),
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn an_update_replaces_the_config_and_bumps_the_instance_id() {
    let h = Harness::new();
    app(&h, "upd").await;
    let created = machine(&h, "upd", json!({"image": "nginx:1", "env": {"A": "1"}})).await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/fly/v1/apps/upd/machines/{id}");
    let updated = h
        .json(
            Method::POST,
            &path,
            json!({"config": {"image": "nginx:2", "guest": {"cpu_kind": "performance", "cpus": 2, "memory_mb": 4096}}}),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let updated = updated.json();
    assert_ne!(updated["instance_id"], created["instance_id"]);
    assert_eq!(updated["config"]["image"], "nginx:2");
    assert_eq!(
        updated["config"].get("env"),
        None,
        "the config is replaced, not merged"
    );
    assert_eq!(updated["state"], "started");

    let too_small = h
        .json(Method::POST, &path, json!({"config": {"image": "nginx:3", "guest": {"cpu_kind": "performance", "cpus": 2, "memory_mb": 2048}}}))
        .await;
    assert_eq!(too_small.status, 422);
    assert_eq!(
        h.get(&path).await.json()["config"]["image"],
        "nginx:2",
        "a refused update changes nothing"
    );
}

#[tokio::test]
async fn machines_stop_start_wait_and_are_destroyed() {
    let h = Harness::new();
    app(&h, "life").await;
    let id = machine(&h, "life", json!({"image": "nginx"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let base = format!("/fly/v1/apps/life/machines/{id}");

    let refused = h
        .send(Method::DELETE, &base, Some("sim-token"), None, vec![])
        .await;
    assert_eq!(refused.status, 412, "a started machine needs force=true");
    assert!(refused.text().contains("not currently stopped"));

    assert_eq!(
        h.json(Method::POST, &format!("{base}/stop"), json!({}))
            .await
            .status,
        200
    );
    assert_eq!(
        h.get(&format!("{base}/wait?state=stopped")).await.status,
        200
    );
    let timed_out = h.get(&format!("{base}/wait?state=started")).await;
    assert_eq!(timed_out.status, 408);
    let started = h
        .json(Method::POST, &format!("{base}/start"), json!(null))
        .await;
    assert_eq!(started.json()["previous_state"], "stopped");
    assert_eq!(
        h.get(&format!("{base}/wait")).await.status,
        200,
        "state defaults to started"
    );
    assert_eq!(
        h.get(&format!("{base}/wait?state=sleeping")).await.status,
        400
    );

    let destroyed = h
        .send(
            Method::DELETE,
            &format!("{base}?force=true"),
            Some("sim-token"),
            None,
            vec![],
        )
        .await;
    assert_eq!(
        (destroyed.status, destroyed.json()),
        (200, json!({"ok": true}))
    );
    assert_eq!(
        h.get(&base).await.json()["state"],
        "destroyed",
        "GET still shows the tombstone"
    );
    assert_eq!(
        h.get(&format!("{base}/wait?state=destroyed")).await.status,
        200
    );
    assert_eq!(h.get("/fly/v1/apps/life/machines").await.json(), json!([]));
    assert_eq!(
        h.get("/fly/v1/apps/life/machines?include_deleted=true")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.json(Method::POST, &format!("{base}/start"), json!(null))
            .await
            .status,
        404
    );
    assert_eq!(
        h.send(Method::DELETE, &base, Some("sim-token"), None, vec![])
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn machines_filter_by_metadata() {
    let h = Harness::new();
    app(&h, "meta").await;
    machine(
        &h,
        "meta",
        json!({"image": "nginx", "metadata": {"platform:component": "api"}}),
    )
    .await;
    machine(
        &h,
        "meta",
        json!({"image": "nginx", "metadata": {"platform:component": "worker"}}),
    )
    .await;
    let listed = h
        .get("/fly/v1/apps/meta/machines?metadata.platform%3Acomponent=api")
        .await
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["config"]["metadata"]["platform:component"], "api");
}

#[tokio::test]
async fn metadata_keys_change_in_place_without_a_new_version() {
    let h = Harness::new();
    app(&h, "keys").await;
    let m = machine(
        &h,
        "keys",
        json!({"image": "nginx", "metadata": {"platform:lifecycle": "creating"}}),
    )
    .await;
    let id = m["id"].as_str().unwrap();
    let base = format!("/fly/v1/apps/keys/machines/{id}");
    let version = h.get(&base).await.json()["instance_id"].clone();
    let set = h
        .json(
            Method::POST,
            &format!("{base}/metadata/owner"),
            json!({"value": "team-a"}),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text());
    let gone = h
        .send(
            Method::DELETE,
            &format!("{base}/metadata/platform%3Alifecycle"),
            Some("sim-token"),
            None,
            vec![],
        )
        .await;
    assert_eq!(gone.status, 204, "{}", gone.text());
    assert_eq!(
        h.get(&format!("{base}/metadata")).await.json(),
        json!({"owner": "team-a"})
    );
    let after = h.get(&base).await.json();
    assert_eq!(after["instance_id"], version, "no new config version");
    assert_eq!(after["config"]["metadata"], json!({"owner": "team-a"}));
    let missing = h
        .json(Method::POST, &format!("{base}/metadata/x"), json!({}))
        .await;
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn deleting_an_app_removes_its_machines() {
    let h = Harness::new();
    app(&h, "gone").await;
    machine(&h, "gone", json!({"image": "nginx"})).await;
    let r = h
        .send(
            axum::http::Method::DELETE,
            "/fly/v1/apps/gone",
            Some("sim-token"),
            None,
            vec![],
        )
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(h.get("/fly/v1/apps/gone/machines").await.status, 404);
}
