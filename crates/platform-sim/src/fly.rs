//! The simulated Fly Machines API (`/v1/apps/...`), as documented at
//! fly.io/docs/machines/api: apps (create, get, list by org, delete) and machines
//! (create, get, list, update, start, stop, wait, delete).
//!
//! Errors are `{"error": "..."}` with the texts the real API uses where they are
//! known. State changes are instant: a created machine is `started` as soon as the
//! create call returns (the create response itself still says `created`, as the
//! real one does before boot), and `wait` answers at once — 200 when the machine is
//! in the requested state, 408 when it is not.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::state::{FlyApp, Machine, MachineState, Sim, World};
use crate::{guest, ids, wire};

/// Handler outcome: the success response or Fly's error.
type Reply = Result<Response, FlyError>;

/// Regions a machine may be placed in (Fly's public region codes).
const REGIONS: &[&str] = &[
    "ams", "arn", "atl", "bog", "bom", "bos", "cdg", "den", "dfw", "ewr", "eze", "fra", "gdl",
    "gig", "gru", "hkg", "iad", "jnb", "lax", "lhr", "mad", "mia", "nrt", "ord", "otp", "phx",
    "qro", "scl", "sea", "sin", "sjc", "syd", "waw", "yul", "yyz",
];

/// Where machines land when the request names no region.
const DEFAULT_REGION: &str = "iad";

/// The Fly routes, relative to `/v1`.
pub fn router() -> Router<Sim> {
    Router::new()
        .route("/apps", get(list_apps).post(create_app))
        .route("/apps/{app}", get(get_app).delete(delete_app))
        .route(
            "/apps/{app}/machines",
            get(list_machines).post(create_machine),
        )
        .route(
            "/apps/{app}/machines/{id}",
            get(get_machine).post(update_machine).delete(delete_machine),
        )
        .route("/apps/{app}/machines/{id}/start", post(start_machine))
        .route("/apps/{app}/machines/{id}/stop", post(stop_machine))
        .route("/apps/{app}/machines/{id}/wait", get(wait_machine))
        .route("/apps/{app}/machines/{id}/metadata", get(get_metadata))
        .route(
            "/apps/{app}/machines/{id}/metadata/{key}",
            post(set_metadata).delete(delete_metadata),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "404 page not found") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        })
}

/// A Fly API error, answered as `{"error": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlyError {
    status: StatusCode,
    message: String,
}

impl IntoResponse for FlyError {
    fn into_response(self) -> Response {
        wire::json(self.status, &json!({ "error": self.message }))
    }
}

/// A Fly error with `status` and `message`.
pub fn error(status: StatusCode, message: impl Into<String>) -> FlyError {
    FlyError {
        status,
        message: message.into(),
    }
}

fn app_not_found() -> FlyError {
    error(StatusCode::NOT_FOUND, "app not found")
}

fn machine_not_found() -> FlyError {
    error(StatusCode::NOT_FOUND, "machine not found")
}

fn body_object(bytes: &[u8]) -> Result<Map<String, Value>, FlyError> {
    match wire::json_body(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "json: cannot unmarshal {} into the request object",
                kind_of(&other)
            ),
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            format!("invalid JSON body: {e}"),
        )),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        _ => "value",
    }
}

fn string_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Fly app names: lowercase letters, digits and dashes, under 64 characters.
fn valid_app_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

// ---- apps -------------------------------------------------------------------------

async fn create_app(State(sim): State<Sim>, body: Bytes) -> Reply {
    let body = body_object(&body)?;
    let Some(name) = string_field(&body, "app_name") else {
        return Err(error(StatusCode::BAD_REQUEST, "app_name is required"));
    };
    let Some(org) = string_field(&body, "org_slug") else {
        return Err(error(StatusCode::BAD_REQUEST, "org_slug is required"));
    };
    if !valid_app_name(name) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Name under 63 chars using numbers, lowercase letters and dashes",
        ));
    }
    if !sim.settings.fly_orgs.iter().any(|o| o == org) {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("organization {org} not found"),
        ));
    }
    let network = string_field(&body, "network")
        .unwrap_or("default")
        .to_owned();
    sim.with(|w| {
        if w.fly_apps.contains_key(name) {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed: Name has already been taken",
            ));
        }
        let app = FlyApp {
            id: w.ids.fly_app_id(),
            name: name.to_owned(),
            org_slug: org.to_owned(),
            network,
            created_at_ms: ids::now_ms(),
            machines: Vec::new(),
        };
        let created = json!({ "id": app.id, "created_at": app.created_at_ms });
        w.fly_apps.insert(name.to_owned(), app);
        Ok(wire::json(StatusCode::CREATED, &created))
    })
}

async fn get_app(State(sim): State<Sim>, Path(app): Path<String>) -> Reply {
    sim.with(|w| {
        let app = w.fly_apps.get(&app).ok_or_else(app_not_found)?;
        let status = if app.live_machines().next().is_some() {
            "deployed"
        } else {
            "pending"
        };
        Ok(wire::json(
            StatusCode::OK,
            &json!({
                "id": app.id,
                "name": app.name,
                "status": status,
                "organization": { "name": app.org_slug, "slug": app.org_slug },
            }),
        ))
    })
}

async fn list_apps(State(sim): State<Sim>, RawQuery(query): RawQuery) -> Reply {
    let Some(org) = wire::query_value(query.as_deref(), "org_slug").filter(|o| !o.is_empty())
    else {
        return Err(error(StatusCode::BAD_REQUEST, "org_slug is required"));
    };
    sim.with(|w| {
        let apps: Vec<Value> = w
            .fly_apps
            .values()
            .filter(|a| a.org_slug == org)
            .map(|a| {
                json!({
                    "id": a.id,
                    "name": a.name,
                    "machine_count": a.live_machines().count(),
                    "network": a.network,
                })
            })
            .collect();
        Ok(wire::json(
            StatusCode::OK,
            &json!({ "total_apps": apps.len(), "apps": apps }),
        ))
    })
}

async fn delete_app(State(sim): State<Sim>, Path(app): Path<String>) -> Reply {
    sim.with(|w| match w.fly_apps.remove(&app) {
        Some(_) => Ok(wire::empty(StatusCode::ACCEPTED)),
        None => Err(app_not_found()),
    })
}

// ---- machines ---------------------------------------------------------------------

/// Validate a machine `config`, returning it with defaults (guest size) filled in.
fn checked_config(body: &Map<String, Value>) -> Result<Value, FlyError> {
    let Some(Value::Object(config)) = body.get("config") else {
        return Err(error(StatusCode::BAD_REQUEST, "config is required"));
    };
    if string_field(config, "image").is_none() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid config.image, must be set",
        ));
    }
    let guest = guest::normalize(config.get("guest"))
        .map_err(|message| error(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    let mut config = config.clone();
    config.insert("guest".to_owned(), guest);
    Ok(Value::Object(config))
}

fn with_machine<R>(
    world: &mut World,
    app: &str,
    id: &str,
    f: impl FnOnce(&mut Machine, &mut crate::ids::IdGen) -> Result<R, FlyError>,
) -> Result<R, FlyError> {
    let app = world.fly_apps.get_mut(app).ok_or_else(app_not_found)?;
    let machine = app.machine_mut(id).ok_or_else(machine_not_found)?;
    f(machine, &mut world.ids)
}

fn event(kind: &str, status: &str, source: &str) -> Value {
    json!({
        "type": kind,
        "status": status,
        "source": source,
        "timestamp": ids::now_ms(),
    })
}

async fn create_machine(State(sim): State<Sim>, Path(app): Path<String>, body: Bytes) -> Reply {
    let body = body_object(&body)?;
    if !sim.with(|w| w.fly_apps.contains_key(&app)) {
        return Err(app_not_found());
    }
    let config = checked_config(&body)?;
    let region = string_field(&body, "region")
        .unwrap_or(DEFAULT_REGION)
        .to_owned();
    if !REGIONS.contains(&region.as_str()) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("invalid region \"{region}\""),
        ));
    }
    let skip_launch = body
        .get("skip_launch")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    sim.with(|w| {
        if !w.fly_apps.contains_key(&app) {
            return Err(app_not_found());
        }
        let id = w.ids.fly_machine_id();
        let now = ids::fly_timestamp();
        let name = string_field(&body, "name")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("machine-{id}"));
        let mut events = vec![event("launch", "created", "user")];
        let state = if skip_launch {
            MachineState::Created
        } else {
            events.insert(0, event("start", "started", "flyd"));
            MachineState::Started
        };
        let machine = Machine {
            instance_id: w.ids.ulid(ids::now_ms()),
            private_ip: w.ids.fly_private_ip(),
            id,
            name,
            region,
            state,
            config,
            created_at: now.clone(),
            updated_at: now,
            events,
        };
        // The answer describes the machine as created, before it boots.
        let created = machine.to_json_in_state(MachineState::Created);
        if let Some(app) = w.fly_apps.get_mut(&app) {
            app.machines.push(machine);
        }
        Ok(wire::json(StatusCode::OK, &created))
    })
}

async fn get_machine(State(sim): State<Sim>, Path((app, id)): Path<(String, String)>) -> Reply {
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            Ok(wire::json(StatusCode::OK, &m.to_json()))
        })
    })
}

async fn list_machines(
    State(sim): State<Sim>,
    Path(app): Path<String>,
    RawQuery(query): RawQuery,
) -> Reply {
    let query = query.as_deref();
    let include_deleted = wire::query_flag(query, "include_deleted");
    let region = wire::query_value(query, "region");
    let metadata: Vec<(String, String)> = wire::query_pairs(query)
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("metadata.").map(|k| (k.to_owned(), v)))
        .collect();
    sim.with(|w| {
        let app = w.fly_apps.get(&app).ok_or_else(app_not_found)?;
        let machines: Vec<Value> = app
            .machines
            .iter()
            .filter(|m| include_deleted || m.state != MachineState::Destroyed)
            .filter(|m| region.as_ref().is_none_or(|r| &m.region == r))
            .filter(|m| {
                metadata.iter().all(|(k, v)| {
                    m.config
                        .get("metadata")
                        .and_then(|md| md.get(k))
                        .and_then(Value::as_str)
                        == Some(v.as_str())
                })
            })
            .map(Machine::to_json)
            .collect();
        Ok(wire::json(StatusCode::OK, &Value::Array(machines)))
    })
}

async fn update_machine(
    State(sim): State<Sim>,
    Path((app, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    let body = body_object(&body)?;
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| match m.state {
            MachineState::Destroyed => Err(machine_not_found()),
            _ => Ok(()),
        })
    })?;
    let config = checked_config(&body)?;
    let skip_launch = body
        .get("skip_launch")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    sim.with(|w| {
        with_machine(w, &app, &id, |m, ids_gen| {
            if m.state == MachineState::Destroyed {
                return Err(machine_not_found());
            }
            m.config = config;
            m.instance_id = ids_gen.ulid(ids::now_ms());
            m.updated_at = ids::fly_timestamp();
            m.events.insert(0, event("update", "replaced", "user"));
            if !skip_launch {
                m.state = MachineState::Started;
                m.events.insert(0, event("start", "started", "flyd"));
            }
            Ok(wire::json(StatusCode::OK, &m.to_json()))
        })
    })
}

async fn start_machine(State(sim): State<Sim>, Path((app, id)): Path<(String, String)>) -> Reply {
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            let previous = m.state;
            if previous == MachineState::Destroyed {
                return Err(machine_not_found());
            }
            if previous != MachineState::Started {
                m.state = MachineState::Started;
                m.updated_at = ids::fly_timestamp();
                m.events.insert(0, event("start", "started", "user"));
            }
            Ok(wire::json(
                StatusCode::OK,
                &json!({ "previous_state": previous.as_str(), "migrated": false, "new_host": "" }),
            ))
        })
    })
}

async fn stop_machine(
    State(sim): State<Sim>,
    Path((app, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    // Validated for shape only: signal and timeout have nothing to act on here.
    body_object(&body)?;
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            if m.state == MachineState::Destroyed {
                return Err(machine_not_found());
            }
            if m.state == MachineState::Started {
                m.state = MachineState::Stopped;
                m.updated_at = ids::fly_timestamp();
                m.events.insert(0, event("exit", "stopped", "user"));
            }
            Ok(wire::json(StatusCode::OK, &json!({ "ok": true })))
        })
    })
}

async fn wait_machine(
    State(sim): State<Sim>,
    Path((app, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let wanted =
        wire::query_value(query.as_deref(), "state").unwrap_or_else(|| "started".to_owned());
    if !["started", "stopped", "suspended", "destroyed"].contains(&wanted.as_str()) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "invalid state \"{wanted}\", must be one of started, stopped, suspended, destroyed"
            ),
        ));
    }
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            if m.state.as_str() == wanted {
                Ok(wire::json(StatusCode::OK, &json!({ "ok": true })))
            } else {
                Err(error(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "deadline_exceeded: machine did not reach state \"{wanted}\" (current state \"{}\")",
                        m.state.as_str()
                    ),
                ))
            }
        })
    })
}

async fn delete_machine(
    State(sim): State<Sim>,
    Path((app, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Reply {
    let force = wire::query_flag(query.as_deref(), "force");
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            match m.state {
                MachineState::Destroyed => return Err(machine_not_found()),
                MachineState::Started if !force => {
                    return Err(error(
                        StatusCode::PRECONDITION_FAILED,
                        "failed_precondition: unable to destroy machine, not currently stopped or suspended",
                    ));
                }
                _ => {}
            }
            m.state = MachineState::Destroyed;
            m.updated_at = ids::fly_timestamp();
            m.events.insert(0, event("destroy", "destroyed", "user"));
            Ok(wire::json(StatusCode::OK, &json!({ "ok": true })))
        })
    })
}

/// The machine's `config.metadata`, created empty when the config has none.
fn metadata_of(m: &mut Machine) -> &mut Map<String, Value> {
    if !m.config.get("metadata").is_some_and(Value::is_object) {
        m.config["metadata"] = json!({});
    }
    m.config["metadata"]
        .as_object_mut()
        .expect("metadata was just made an object")
}

/// `GET .../metadata`: the machine's metadata map.
async fn get_metadata(State(sim): State<Sim>, Path((app, id)): Path<(String, String)>) -> Reply {
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| match m.state {
            MachineState::Destroyed => Err(machine_not_found()),
            _ => Ok(wire::json(
                StatusCode::OK,
                &Value::Object(metadata_of(m).clone()),
            )),
        })
    })
}

/// `POST .../metadata/{key}` `{"value": "..."}`: sets one key in place, 204. Like Fly's,
/// a metadata change neither restarts the machine nor makes a new config version.
async fn set_metadata(
    State(sim): State<Sim>,
    Path((app, id, key)): Path<(String, String, String)>,
    body: Bytes,
) -> Reply {
    let body = body_object(&body)?;
    let Some(value) = string_field(&body, "value") else {
        return Err(error(StatusCode::BAD_REQUEST, "value is required"));
    };
    let value = value.to_owned();
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            if m.state == MachineState::Destroyed {
                return Err(machine_not_found());
            }
            metadata_of(m).insert(key, Value::String(value));
            m.updated_at = ids::fly_timestamp();
            Ok(wire::empty(StatusCode::NO_CONTENT))
        })
    })
}

/// `DELETE .../metadata/{key}`: removes one key (absent counts as removed), 204.
async fn delete_metadata(
    State(sim): State<Sim>,
    Path((app, id, key)): Path<(String, String, String)>,
) -> Reply {
    sim.with(|w| {
        with_machine(w, &app, &id, |m, _| {
            if m.state == MachineState::Destroyed {
                return Err(machine_not_found());
            }
            metadata_of(m).remove(&key);
            m.updated_at = ids::fly_timestamp();
            Ok(wire::empty(StatusCode::NO_CONTENT))
        })
    })
}

#[cfg(test)]
mod tests;
