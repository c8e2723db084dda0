//! The Fly.io and Cloudflare clients called directly against the `platform-sim`
//! simulator (one private simulator per test): create → read → update → delete on both
//! APIs, not-found handling, refusals quoting the API's own error, adoption of what a
//! retried apply made versus conflicts with what someone else made, and the retry policy
//! under injected faults (429 with `Retry-After`, 5xx, a lost create answer, cancellation).

use serde_json::json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::cloudflare::ScriptUpload;
use terraform_provider_platform::backends::fly::{Fly, Guest, HttpCheck, MachineSpec};
use terraform_provider_platform::backends::ownership::Owner;
use terraform_provider_platform::config::Secret;
use tokio_util::sync::CancellationToken;

use crate::sim::{ACCOUNT, Sim, TOKEN, ZONE};

/// A service in state: apps and machines carrying its owner metadata are its own (the
/// creating marker is covered by `ownership.rs`).
const OWNER: Owner<'static> = Owner {
    tag: ("platform:environment", "simtest"),
    creating: false,
    marks: true,
};
const SOURCE: &str = "export default { async fetch() { return new Response('v1'); } };";

fn machine_spec(name: &str, region: &str, image: &str) -> MachineSpec {
    MachineSpec {
        name: name.to_string(),
        region: region.to_string(),
        image: image.to_string(),
        guest: Guest {
            cpu_kind: "shared".into(),
            cpus: 1,
            memory_mb: 512,
        },
        internal_port: Some(8080),
        check: Some(HttpCheck {
            path: "/healthz".into(),
            interval_seconds: 15,
        }),
        env: BTreeMap::from([("MODE".into(), "production".into())]),
        metadata: BTreeMap::from([
            (OWNER.tag.0.into(), OWNER.tag.1.into()),
            ("platform:component".into(), "api_service".into()),
        ]),
    }
}

fn worker(name: &str, source: &str) -> ScriptUpload {
    ScriptUpload {
        name: name.to_string(),
        main_module: "index.js".into(),
        source: source.to_string(),
        compatibility_date: "2025-01-15".into(),
        cpu_ms: None,
        env: BTreeMap::from([("MODE".into(), "production".into())]),
        secrets: BTreeMap::from([("API_KEY".into(), Secret::new("s3cr3t-value"))]),
        keep_existing_secrets: true,
    }
}

fn text(r: Result<impl std::fmt::Debug, BackendError>) -> String {
    r.expect_err("the call should fail").to_string()
}

// ---- Fly.io -------------------------------------------------------------------------

#[tokio::test]
async fn fly_app_and_machine_lifecycle() {
    let sim = Sim::start(&[]);
    let fly = sim.fly(TOKEN, "personal");
    let cancel = CancellationToken::new();
    let app_name = "simtest-api";

    assert_eq!(fly.get_app(&cancel, app_name).await.unwrap(), None);
    let app = fly.create_app(&cancel, app_name, OWNER).await.unwrap();
    assert_eq!(
        (app.name.as_str(), app.org_slug.as_str()),
        (app_name, "personal")
    );
    let again = fly.create_app(&cancel, app_name, OWNER).await.unwrap();
    assert_eq!(again.id, app.id, "a retried apply adopts the app");
    assert_eq!(
        sim.requests_to("POST", "/fly/v1/apps").await,
        [(201, false)]
    );

    let spec = machine_spec("simtest-api-ams-1", "ams", "nginx:1.27");
    let machine = fly
        .create_machine(&cancel, app_name, &spec, OWNER)
        .await
        .unwrap();
    assert_eq!(machine.state, "started");
    assert_eq!(machine.spec(), spec, "what was asked for is what exists");
    let got = fly
        .get_machine(&cancel, app_name, &machine.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.spec(), spec);

    let adopted = fly
        .create_machine(&cancel, app_name, &spec, OWNER)
        .await
        .unwrap();
    assert_eq!(adopted.id, machine.id, "a retried apply adopts the machine");
    let listed = fly.list_machines(&cancel, app_name).await.unwrap();
    assert_eq!(listed.len(), 1);

    let bigger = MachineSpec {
        image: "nginx:1.28".into(),
        guest: Guest {
            cpu_kind: "shared".into(),
            cpus: 2,
            memory_mb: 1024,
        },
        ..spec.clone()
    };
    let updated = fly
        .update_machine(&cancel, app_name, &machine.id, &bigger)
        .await
        .unwrap();
    assert_eq!(updated.id, machine.id, "an update is in place");
    assert_ne!(updated.instance_id, machine.instance_id);
    assert_eq!(
        (updated.state.as_str(), updated.spec()),
        ("started", bigger.clone())
    );

    // Adopting a machine whose config drifted brings it back to the spec.
    let readopted = fly
        .create_machine(&cancel, app_name, &spec, OWNER)
        .await
        .unwrap();
    assert_eq!(
        (readopted.id.as_str(), readopted.spec()),
        (machine.id.as_str(), spec)
    );

    fly.delete_machine(&cancel, app_name, &machine.id)
        .await
        .unwrap();
    assert_eq!(
        fly.get_machine(&cancel, app_name, &machine.id)
            .await
            .unwrap(),
        None
    );
    fly.delete_machine(&cancel, app_name, &machine.id)
        .await
        .expect("deleting a deleted machine is done");
    assert!(
        fly.list_machines(&cancel, app_name)
            .await
            .unwrap()
            .is_empty()
    );

    fly.delete_app(&cancel, app_name).await.unwrap();
    assert_eq!(fly.get_app(&cancel, app_name).await.unwrap(), None);
    fly.delete_app(&cancel, app_name)
        .await
        .expect("deleting a deleted app is done");
}

#[tokio::test]
async fn fly_refusals_quote_the_api() {
    let sim = Sim::start(&[]);
    let cancel = CancellationToken::new();

    let err = text(
        sim.fly("not-the-token", "personal")
            .get_app(&cancel, "x")
            .await,
    );
    assert!(
        err.starts_with("Fly.io GetApp failed: Authenticate: token validation error (HTTP 401)"),
        "{err}"
    );
    assert!(err.contains("FLY_API_TOKEN"), "{err}");

    let fly = sim.fly(TOKEN, "personal");
    let err = text(fly.list_machines(&cancel, "ghost").await);
    assert_eq!(err, "Fly.io ListMachines failed: app not found (HTTP 404)");

    fly.create_app(&cancel, "simtest-big", OWNER).await.unwrap();
    let too_big = MachineSpec {
        guest: Guest {
            cpu_kind: "shared".into(),
            cpus: 1,
            memory_mb: 4096,
        },
        ..machine_spec("simtest-big-iad-1", "iad", "nginx")
    };
    let err = text(
        fly.create_machine(&cancel, "simtest-big", &too_big, OWNER)
            .await,
    );
    assert_eq!(
        err,
        "Fly.io CreateMachine failed: invalid config.guest.memory_mb, maximum allowed 2048 MiB (HTTP 422)"
    );
    assert_eq!(
        sim.requests_to("POST", "/fly/v1/apps/simtest-big/machines")
            .await,
        [(422, false)],
        "a refusal is not retried"
    );

    let err = text(
        sim.fly(TOKEN, "nobody")
            .create_app(&cancel, "simtest-org", OWNER)
            .await,
    );
    assert_eq!(
        err,
        "Fly.io CreateApp failed: organization nobody not found (HTTP 404)"
    );
}

#[tokio::test]
async fn fly_refuses_to_adopt_what_it_did_not_create() {
    let sim = Sim::start(&["--fly-org", "personal", "--fly-org", "other"]);
    let cancel = CancellationToken::new();
    let fly = sim.fly(TOKEN, "personal");

    sim.fly(TOKEN, "other")
        .create_app(&cancel, "simtest-taken", OWNER)
        .await
        .unwrap();
    let err = fly
        .create_app(&cancel, "simtest-taken", OWNER)
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("in organization `other`, not `personal`"),
        "{err}"
    );

    // An app of ours by organization, holding a machine someone made by hand.
    fly.create_app(&cancel, "simtest-hand", OWNER)
        .await
        .unwrap();
    let mut hand_made = machine_spec("hand-made", "iad", "nginx");
    hand_made.metadata.clear();
    let hand = fly
        .create_machine(&cancel, "simtest-hand", &hand_made, OWNER)
        .await
        .unwrap();
    let err = fly
        .create_app(&cancel, "simtest-hand", OWNER)
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Taken(_)), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("`{}`", hand.id)), "{message}");
    assert!(message.contains("`simtest-hand`"), "{message}");
    assert!(
        message.contains("not created by terraform-provider-platform"),
        "{message}"
    );

    // A machine of the same name without our metadata is not taken over either.
    let err = fly
        .create_machine(
            &cancel,
            "simtest-hand",
            &machine_spec("hand-made", "iad", "nginx:2"),
            OWNER,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Taken(_)), "{err:?}");
    assert!(err.to_string().contains("`hand-made`"), "{err}");
}

#[tokio::test]
async fn fly_a_lost_create_answer_does_not_make_a_second_machine() {
    let sim = Sim::start(&[]);
    let cancel = CancellationToken::new();
    let fly = sim.fly(TOKEN, "personal");
    fly.create_app(&cancel, "simtest-lost", OWNER)
        .await
        .unwrap();
    sim.fault(json!({
        "match": "POST /fly/v1/apps/simtest-lost/machines",
        "status": 500,
        "after_apply": true,
        "message": "connection reset by peer",
    }))
    .await;

    let spec = machine_spec("simtest-lost-iad-1", "iad", "nginx");
    let machine = fly
        .create_machine(&cancel, "simtest-lost", &spec, OWNER)
        .await
        .unwrap();
    assert_eq!(machine.state, "started");
    let machines = fly.list_machines(&cancel, "simtest-lost").await.unwrap();
    assert_eq!(machines.len(), 1, "{machines:?}");
    assert_eq!(machines[0].id, machine.id);
    assert_eq!(
        sim.requests_to("POST", "/fly/v1/apps/simtest-lost/machines")
            .await,
        [(500, true)],
        "the retry found the machine instead of creating another"
    );
}

// ---- Cloudflare ---------------------------------------------------------------------

#[tokio::test]
async fn cloudflare_worker_route_and_subdomain_lifecycle() {
    let sim = Sim::start(&[]);
    let cf = sim.cloudflare(TOKEN);
    let cancel = CancellationToken::new();
    let name = "simtest-edge";

    assert_eq!(cf.script_settings(&cancel, name).await.unwrap(), None);
    assert_eq!(cf.script_content(&cancel, name).await.unwrap(), None);
    assert_eq!(cf.workers_dev(&cancel, name).await.unwrap(), None);

    let info = cf
        .upload_script(&cancel, &worker(name, SOURCE))
        .await
        .unwrap();
    assert_eq!(info.id, name);
    assert_eq!(
        cf.script_content(&cancel, name).await.unwrap().as_deref(),
        Some(SOURCE)
    );
    let settings = cf.script_settings(&cancel, name).await.unwrap().unwrap();
    assert_eq!(settings.compatibility_date.as_deref(), Some("2025-01-15"));
    assert_eq!(
        settings.env(),
        BTreeMap::from([("MODE".into(), "production".into())])
    );
    assert_eq!(
        settings.secret_names().into_iter().collect::<Vec<_>>(),
        ["API_KEY"]
    );
    assert!(
        settings
            .bindings
            .iter()
            .all(|b| b.text.as_deref() != Some("s3cr3t-value")),
        "the API never returns a secret"
    );

    // A new version without secret values keeps the secret already set on the Worker.
    let v2 = SOURCE.replace("v1", "v2");
    let mut upload = worker(name, &v2);
    upload.secrets.clear();
    let info2 = cf.upload_script(&cancel, &upload).await.unwrap();
    assert_ne!(info2.etag, info.etag);
    assert_eq!(cf.script_content(&cancel, name).await.unwrap(), Some(v2));
    let settings = cf.script_settings(&cancel, name).await.unwrap().unwrap();
    assert_eq!(
        settings.secret_names().into_iter().collect::<Vec<_>>(),
        ["API_KEY"]
    );

    assert_eq!(cf.workers_dev(&cancel, name).await.unwrap(), Some(false));
    assert!(cf.set_workers_dev(&cancel, name, true).await.unwrap());
    assert_eq!(cf.workers_dev(&cancel, name).await.unwrap(), Some(true));
    assert_eq!(
        cf.account_subdomain(&cancel).await.unwrap().as_deref(),
        Some("platform-sim")
    );

    let pattern = "simtest-edge.example.com/*";
    assert!(cf.list_routes(&cancel, ZONE).await.unwrap().is_empty());
    let route = cf.create_route(&cancel, ZONE, pattern, name).await.unwrap();
    assert_eq!(
        (route.pattern.as_str(), route.script.as_deref()),
        (pattern, Some(name))
    );
    let adopted = cf.create_route(&cancel, ZONE, pattern, name).await.unwrap();
    assert_eq!(adopted.id, route.id, "a retried apply adopts its route");
    let moved = cf
        .update_route(
            &cancel,
            ZONE,
            &route.id,
            "simtest-edge.example.com/v2/*",
            name,
        )
        .await
        .unwrap();
    assert_eq!(moved.pattern, "simtest-edge.example.com/v2/*");
    assert_eq!(
        cf.get_route(&cancel, ZONE, &route.id).await.unwrap(),
        Some(moved)
    );
    assert_eq!(cf.list_routes(&cancel, ZONE).await.unwrap().len(), 1);
    cf.delete_route(&cancel, ZONE, &route.id).await.unwrap();
    assert_eq!(cf.get_route(&cancel, ZONE, &route.id).await.unwrap(), None);
    cf.delete_route(&cancel, ZONE, &route.id)
        .await
        .expect("deleting a deleted route is done");

    cf.delete_script(&cancel, name).await.unwrap();
    assert_eq!(cf.script_settings(&cancel, name).await.unwrap(), None);
    cf.delete_script(&cancel, name)
        .await
        .expect("deleting a deleted Worker is done");
}

#[tokio::test]
async fn cloudflare_refusals_quote_the_envelope() {
    let sim = Sim::start(&[]);
    let cancel = CancellationToken::new();

    let err = text(
        sim.cloudflare("not-the-token")
            .script_settings(&cancel, "x")
            .await,
    );
    assert!(
        err.starts_with(
            "Cloudflare GetWorkerScriptSettings failed: code 10000: Authentication error (HTTP 403)"
        ),
        "{err}"
    );
    assert!(err.contains("CLOUDFLARE_API_TOKEN"), "{err}");

    let cf = sim.cloudflare(TOKEN);
    let err = text(cf.set_workers_dev(&cancel, "ghost", true).await);
    assert_eq!(
        err,
        "Cloudflare SetWorkerSubdomain failed: code 10007: This Worker does not exist on your account. (HTTP 404)"
    );

    let mut future = worker("simtest-future", SOURCE);
    future.compatibility_date = "2999-01-01".into();
    let err = text(cf.upload_script(&cancel, &future).await);
    assert_eq!(
        err,
        "Cloudflare UploadWorkerScript failed: code 10021: Can't set compatibility date in the future (HTTP 400)"
    );

    let err = text(
        cf.create_route(&cancel, ZONE, "api.other.org/*", "ghost")
            .await,
    );
    assert!(err.contains("code 10022"), "{err}");

    // A route someone pointed at another Worker is not taken over.
    for name in ["simtest-a", "simtest-b"] {
        cf.upload_script(&cancel, &worker(name, SOURCE))
            .await
            .unwrap();
    }
    cf.create_route(&cancel, ZONE, "shared.example.com/*", "simtest-a")
        .await
        .unwrap();
    let err = cf
        .create_route(&cancel, ZONE, "shared.example.com/*", "simtest-b")
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Conflict(_)), "{err:?}");
    assert!(
        err.to_string().contains("runs the Worker `simtest-a`"),
        "{err}"
    );
}

// ---- faults and the retry policy ----------------------------------------------------

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after() {
    let sim = Sim::start(&[]);
    let cancel = CancellationToken::new();
    // The standard policy: its own first backoff is under a second, so waiting two
    // seconds can only come from the header.
    let fly = Fly::new(
        Some(&sim.fly_endpoint()),
        Some(&Secret::new(TOKEN)),
        "personal",
    )
    .unwrap();
    sim.fault(json!({"match": "POST /fly/v1/apps", "status": 429, "retry_after": 2}))
        .await;

    let started = Instant::now();
    fly.create_app(&cancel, "simtest-throttled", OWNER)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    assert_eq!(
        sim.requests_to("POST", "/fly/v1/apps").await,
        [(429, true), (201, false)]
    );
}

#[tokio::test]
async fn five_503s_end_in_an_error_quoting_the_api() {
    let sim = Sim::start(&[]);
    let cancel = CancellationToken::new();
    let path =
        format!("/cloudflare/client/v4/accounts/{ACCOUNT}/workers/scripts/simtest-down/settings");
    sim.fault(json!({
        "match": format!("GET {path}"),
        "status": 503,
        "times": 5,
        "message": "backend overloaded in the simulator",
    }))
    .await;
    let cf = sim.cloudflare(TOKEN);
    let err = text(cf.script_settings(&cancel, "simtest-down").await);
    assert!(
        err.starts_with(
            "Cloudflare GetWorkerScriptSettings failed: code 10002: backend overloaded in the simulator (HTTP 503); gave up after 5 attempts"
        ),
        "{err}"
    );
    assert!(err.contains("terraform apply"), "{err}");
    assert_eq!(sim.requests_to("GET", &path).await, vec![(503, true); 5]);

    // Fly's shape, with the simulator's default message.
    sim.fault(json!({"match": "GET /fly/v1/apps/simtest-down", "status": 503, "times": 5}))
        .await;
    let err = text(
        sim.fly(TOKEN, "personal")
            .get_app(&cancel, "simtest-down")
            .await,
    );
    assert!(
        err.starts_with(
            "Fly.io GetApp failed: service unavailable (HTTP 503); gave up after 5 attempts"
        ),
        "{err}"
    );

    // The faults are used up: the next calls get the API's real answers.
    assert_eq!(
        cf.script_settings(&cancel, "simtest-down").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn cancellation_mid_retry_returns_promptly() {
    let sim = Sim::start(&[]);
    sim.fault(json!({"match": "GET /fly/v1/apps/simtest-slow", "status": 429, "retry_after": 30}))
        .await;
    let fly = sim.fly(TOKEN, "personal");
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.cancel();
    });
    let started = Instant::now();
    let err = fly.get_app(&cancel, "simtest-slow").await.unwrap_err();
    assert!(matches!(err, BackendError::Cancelled), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        sim.requests_to("GET", "/fly/v1/apps/simtest-slow").await,
        [(429, true)],
        "no attempt after the cancellation"
    );
}
