//! The out-of-band control API under `/_sim`, for tests and the demo. It is not part
//! of either simulated API: no token, no faults, not logged.
//!
//! - `POST /_sim/faults` queues a failure, `GET` lists pending ones, `DELETE` clears.
//! - `POST /_sim/reset` forgets everything.
//! - `GET /_sim/state` dumps what exists (secret values redacted).
//! - `GET /_sim/requests` lists answered API requests (method, path, status — never
//!   bodies); `DELETE` clears the list.
//! - Drift: `POST /_sim/fly/apps/{app}/machines/{id}/config` merges JSON into a
//!   machine's config as an out-of-band `fly machine update` would;
//!   `POST /_sim/cloudflare/accounts/{account}/scripts/{name}/content` replaces the
//!   main module's source with the request body.
//! - `POST /_sim/cloudflare/zones` adds a zone `{"id": ..., "name": ...}`.
//! - `/_sim/vercel/...`: a project's deployments with their files, the upload count,
//!   failing a deployment, verifying a domain (`vercel.rs`, `control_router`).
//! - `/_sim/pages/...`: a Pages project's deployments with their manifests and the
//!   count of assets uploaded; an upload token issued already expired (`pages.rs`,
//!   `control_router`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::faults::FaultSpec;
use crate::state::{MachineState, Sim, Zone};
use crate::{ids, wire};

/// Handler outcome: the success response or the problem.
type Reply = Result<Response, Problem>;

/// The control routes, relative to `/_sim`.
pub fn router() -> Router<Sim> {
    Router::new()
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/reset", post(reset))
        .route("/state", get(state))
        .route("/requests", get(requests).delete(clear_requests))
        .route(
            "/fly/apps/{app}/machines/{id}/config",
            post(drift_machine_config),
        )
        .route(
            "/cloudflare/accounts/{account}/scripts/{name}/content",
            post(drift_script_content),
        )
        .route("/cloudflare/zones", post(add_zone))
        .nest("/vercel", crate::vercel::control_router())
        .merge(crate::pages::control_router())
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "no such control endpoint") })
}

/// A control request that cannot be carried out, answered as `{"error": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        wire::json(self.status, &json!({ "error": self.message }))
    }
}

fn problem(status: StatusCode, message: impl Into<String>) -> Problem {
    Problem {
        status,
        message: message.into(),
    }
}

async fn add_fault(State(sim): State<Sim>, body: Bytes) -> Reply {
    let spec: FaultSpec = serde_json::from_slice(&body)
        .map_err(|e| problem(StatusCode::BAD_REQUEST, format!("invalid fault: {e}")))?;
    let fault = sim
        .with(|w| w.faults.add(spec))
        .map_err(|e| problem(StatusCode::BAD_REQUEST, e))?;
    Ok(wire::json(StatusCode::CREATED, &fault))
}

async fn list_faults(State(sim): State<Sim>) -> Response {
    wire::json(
        StatusCode::OK,
        &json!({ "faults": sim.with(|w| w.faults.dump()) }),
    )
}

async fn clear_faults(State(sim): State<Sim>) -> Response {
    let cleared = sim.with(|w| w.faults.clear());
    wire::json(StatusCode::OK, &json!({ "cleared": cleared }))
}

async fn reset(State(sim): State<Sim>) -> Response {
    sim.reset();
    wire::json(StatusCode::OK, &json!({ "ok": true }))
}

async fn state(State(sim): State<Sim>) -> Response {
    wire::json(StatusCode::OK, &sim.with(|w| w.dump()))
}

async fn requests(State(sim): State<Sim>) -> Response {
    wire::json(
        StatusCode::OK,
        &json!({ "requests": sim.with(|w| w.log.to_json()) }),
    )
}

async fn clear_requests(State(sim): State<Sim>) -> Response {
    sim.with(|w| w.log.clear());
    wire::json(StatusCode::OK, &json!({ "ok": true }))
}

/// JSON merge patch (RFC 7386): objects merge recursively, `null` deletes, anything
/// else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

async fn drift_machine_config(
    State(sim): State<Sim>,
    Path((app, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let patch = match wire::json_body(&body) {
        Ok(patch @ Value::Object(_)) => patch,
        _ => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object to merge into the config",
            ));
        }
    };
    sim.with(|w| {
        let app = w
            .fly_apps
            .get_mut(&app)
            .ok_or_else(|| problem(StatusCode::NOT_FOUND, format!("no Fly app `{app}`")))?;
        let machine = app
            .machine_mut(&id)
            .filter(|m| m.state != MachineState::Destroyed)
            .ok_or_else(|| problem(StatusCode::NOT_FOUND, format!("no live machine `{id}`")))?;
        merge(&mut machine.config, &patch);
        // An out-of-band update is a new version of the machine, as on Fly.
        machine.instance_id = w.ids.ulid(ids::now_ms());
        machine.updated_at = ids::fly_timestamp();
        Ok(wire::json(StatusCode::OK, &machine.to_json()))
    })
}

async fn drift_script_content(
    State(sim): State<Sim>,
    Path((account, name)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    sim.with(|w| {
        let script = w
            .accounts
            .get_mut(&account)
            .and_then(|a| a.scripts.get_mut(&name))
            .ok_or_else(|| {
                problem(
                    StatusCode::NOT_FOUND,
                    format!("no Worker `{name}` in account `{account}`"),
                )
            })?;
        let main = script.main_module.clone();
        let module = script
            .modules
            .iter_mut()
            .find(|m| m.name == main)
            .ok_or_else(|| problem(StatusCode::CONFLICT, "the Worker has no main module"))?;
        module.content = body.to_vec();
        script.modified_on = ids::cloudflare_timestamp();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "id": script.name, "etag": script.etag(), "modified_on": script.modified_on }),
        ))
    })
}

async fn add_zone(State(sim): State<Sim>, body: Bytes) -> Reply {
    let body = wire::json_body(&body).unwrap_or(Value::Null);
    let id = body.get("id").and_then(Value::as_str).unwrap_or("");
    let name = body.get("name").and_then(Value::as_str).unwrap_or("");
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "a zone needs a 32-hex `id` and a domain `name`",
        ));
    }
    sim.with(|w| {
        let zone = w.zones.entry(id.to_owned()).or_insert_with(|| Zone {
            id: id.to_owned(),
            name: name.to_owned(),
            routes: Vec::new(),
        });
        zone.name = name.to_owned();
        Ok(wire::json(
            StatusCode::CREATED,
            &json!({ "id": id, "name": name }),
        ))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Method;
    use serde_json::json;

    use super::merge;
    use crate::testing::{Harness, TOKEN};

    #[test]
    fn merge_patches_follow_rfc_7386() {
        let mut config =
            json!({"image": "a", "guest": {"cpus": 1, "memory_mb": 256}, "env": {"X": "1"}});
        merge(
            &mut config,
            &json!({"guest": {"memory_mb": 512}, "env": null, "image": "b"}),
        );
        assert_eq!(
            config,
            json!({"image": "b", "guest": {"cpus": 1, "memory_mb": 512}})
        );
    }

    #[tokio::test]
    async fn injected_429s_carry_retry_after_and_run_out() {
        let h = Harness::new();
        let fault = h
            .json(
                Method::POST,
                "/_sim/faults",
                json!({"match": "POST /fly/v1/apps", "status": 429, "retry_after": 3, "times": 2}),
            )
            .await;
        assert_eq!(fault.status, 201, "{}", fault.text());
        let create = json!({"app_name": "throttled", "org_slug": "personal"});
        for _ in 0..2 {
            let r = h.json(Method::POST, "/fly/v1/apps", create.clone()).await;
            assert_eq!(r.status, 429);
            assert_eq!(r.header("retry-after").as_deref(), Some("3"));
            assert!(r.json()["error"].is_string(), "Fly's error shape");
        }
        assert_eq!(
            h.json(Method::POST, "/fly/v1/apps", create).await.status,
            201
        );

        let log = h.get("/_sim/requests").await.json();
        let statuses: Vec<(u64, bool)> = log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["status"].as_u64().unwrap(),
                    e["injected"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(statuses, vec![(429, true), (429, true), (201, false)]);
        assert_eq!(log["requests"][0]["path"], "/fly/v1/apps");
        assert_eq!(log["requests"][0]["method"], "POST");
    }

    #[tokio::test]
    async fn cloudflare_faults_use_the_envelope() {
        let h = Harness::new();
        h.json(
            Method::POST,
            "/_sim/faults",
            json!({"match": "* /cloudflare/client/v4/accounts", "status": 503}),
        )
        .await;
        let r = h
            .get("/cloudflare/client/v4/accounts/0123456789abcdef0123456789abcdef/workers/scripts")
            .await;
        assert_eq!(r.status, 503);
        assert_eq!(r.json()["success"], false);
        assert_eq!(r.json()["errors"][0]["code"], 10002);
        assert_eq!(
            r.header("retry-after"),
            None,
            "only throttling defaults a Retry-After"
        );
    }

    #[tokio::test]
    async fn an_after_apply_fault_loses_the_answer_but_keeps_the_change() {
        let h = Harness::new();
        h.json(
            Method::POST,
            "/_sim/faults",
            json!({"match": "POST /fly/v1/apps", "status": 500, "after_apply": true, "message": "connection reset"}),
        )
        .await;
        let r = h
            .json(
                Method::POST,
                "/fly/v1/apps",
                json!({"app_name": "half", "org_slug": "personal"}),
            )
            .await;
        assert_eq!(
            (r.status, r.json()),
            (500, json!({"error": "connection reset"}))
        );
        assert_eq!(
            h.get("/fly/v1/apps/half").await.status,
            200,
            "the app was created anyway"
        );
    }

    #[tokio::test]
    async fn faults_are_listed_cleared_and_validated() {
        let h = Harness::new();
        h.json(
            Method::POST,
            "/_sim/faults",
            json!({"match": "GET /fly", "status": 500, "times": 5}),
        )
        .await;
        assert_eq!(
            h.get("/_sim/faults").await.json()["faults"][0]["remaining"],
            5
        );
        let cleared = h
            .send(Method::DELETE, "/_sim/faults", None, None, vec![])
            .await;
        assert_eq!(cleared.json(), json!({"cleared": 1}));
        assert_eq!(h.get("/fly/v1/apps?org_slug=personal").await.status, 200);
        let bad = h
            .json(
                Method::POST,
                "/_sim/faults",
                json!({"match": "GET /fly", "status": 418}),
            )
            .await;
        assert_eq!(bad.status, 400);
        let unknown_field = h
            .json(
                Method::POST,
                "/_sim/faults",
                json!({"match": "GET /fly", "status": 500, "count": 2}),
            )
            .await;
        assert_eq!(unknown_field.status, 400, "{}", unknown_field.text());
    }

    #[tokio::test]
    async fn reset_forgets_everything() {
        let h = Harness::new();
        h.json(
            Method::POST,
            "/fly/v1/apps",
            json!({"app_name": "old", "org_slug": "personal"}),
        )
        .await;
        h.json(
            Method::POST,
            "/_sim/faults",
            json!({"match": "GET /fly", "status": 500}),
        )
        .await;
        let r = h
            .send(Method::POST, "/_sim/reset", None, None, vec![])
            .await;
        assert_eq!(r.status, 200);
        let state = h.get("/_sim/state").await.json();
        assert_eq!(state["fly"]["apps"], json!([]));
        assert_eq!(state["faults"], json!([]));
        assert_eq!(
            state["cloudflare"]["zones"][0]["name"], "example.com",
            "configured zones come back"
        );
        assert_eq!(h.get("/_sim/requests").await.json()["requests"], json!([]));
        assert_eq!(h.get("/fly/v1/apps/old").await.status, 404);
    }

    #[tokio::test]
    async fn control_requests_need_no_token_and_are_not_logged() {
        let h = Harness::new();
        assert_eq!(
            h.send(Method::GET, "/_sim/state", None, None, vec![])
                .await
                .status,
            200
        );
        assert_eq!(h.get("/_sim/requests").await.json()["requests"], json!([]));
        assert_eq!(h.get("/_sim/nothing").await.status, 404);
    }

    #[tokio::test]
    async fn drift_changes_a_machine_and_a_script_out_of_band() {
        let h = Harness::new();
        h.json(
            Method::POST,
            "/fly/v1/apps",
            json!({"app_name": "drift", "org_slug": "personal"}),
        )
        .await;
        let created = h
            .json(
                Method::POST,
                "/fly/v1/apps/drift/machines",
                json!({"config": {"image": "nginx"}}),
            )
            .await
            .json();
        let id = created["id"].as_str().unwrap();
        let drifted = h
            .json(
                Method::POST,
                &format!("/_sim/fly/apps/drift/machines/{id}/config"),
                json!({"guest": {"memory_mb": 1024}}),
            )
            .await;
        assert_eq!(drifted.status, 200, "{}", drifted.text());
        let got = h
            .get(&format!("/fly/v1/apps/drift/machines/{id}"))
            .await
            .json();
        assert_eq!(
            got["config"]["guest"],
            json!({"cpu_kind": "shared", "cpus": 1, "memory_mb": 1024})
        );
        assert_ne!(got["instance_id"], created["instance_id"]);
        assert_eq!(
            h.json(
                Method::POST,
                "/_sim/fly/apps/drift/machines/nope/config",
                json!({})
            )
            .await
            .status,
            404
        );

        let account = "0123456789abcdef0123456789abcdef";
        let parts = [
            crate::multipart::Part {
                name: "metadata".into(),
                filename: None,
                content_type: Some("application/json".into()),
                body: br#"{"main_module":"index.js"}"#.to_vec(),
            },
            crate::multipart::Part {
                name: "index.js".into(),
                filename: Some("index.js".into()),
                content_type: Some("application/javascript+module".into()),
                body: b"export default {};".to_vec(),
            },
        ];
        let script = format!("/cloudflare/client/v4/accounts/{account}/workers/scripts/edge");
        let uploaded = h
            .send(
                Method::PUT,
                &script,
                Some(TOKEN),
                Some("multipart/form-data; boundary=b0"),
                crate::multipart::encode(&parts, "b0"),
            )
            .await;
        let etag = uploaded.json()["result"]["etag"].clone();
        let drift = h
            .send(
                Method::POST,
                &format!("/_sim/cloudflare/accounts/{account}/scripts/edge/content"),
                None,
                Some("application/javascript"),
                b"export default { changed: true };".to_vec(),
            )
            .await;
        assert_eq!(drift.status, 200);
        assert_ne!(drift.json()["etag"], etag);
        assert_eq!(
            h.get(&format!("{script}/content/v2")).await.text(),
            "export default { changed: true };"
        );
    }

    #[tokio::test]
    async fn zones_can_be_added_for_route_tests() {
        let h = Harness::new();
        let zone = "abcdefabcdefabcdefabcdefabcdef12";
        let added = h
            .json(
                Method::POST,
                "/_sim/cloudflare/zones",
                json!({"id": zone, "name": "corp.dev"}),
            )
            .await;
        assert_eq!(added.status, 201);
        let routes = h
            .get(&format!(
                "/cloudflare/client/v4/zones/{zone}/workers/routes"
            ))
            .await;
        assert_eq!(
            (routes.status, routes.json()["result"].clone()),
            (200, json!([]))
        );
        assert_eq!(
            h.json(Method::POST, "/_sim/cloudflare/zones", json!({"id": "x"}))
                .await
                .status,
            400
        );
    }
}
