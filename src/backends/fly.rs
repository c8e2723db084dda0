//! Fly.io Machines API: apps (find, create — adopting only an unfinished create of ours —,
//! delete) and machines (list, find by name, create — adopting likewise —, mark finished,
//! update with the full config, wait until `started`, delete).
//!
//! Fly apps carry no metadata of their own, so ownership is read from what they hold: an
//! app may be taken over when it is in our organization and every live machine in it may
//! (see `backends::ownership`: while creating, only machines still marked as being
//! created). Machines are found by name, which the planner makes unique per app.
//! A machine create is not idempotent, so before retrying one the client looks for the
//! machine the lost attempt may have made.

use super::http::{self, ApiClient, Failure, Reply, Request, RetryPolicy, segment};
use super::ownership::{self, Owner};
use super::wait::{self, Poll, WaitPolicy};
use super::{BackendError, Cloud};
use crate::config::{ProviderConfig, Secret};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The public Machines API.
pub const DEFAULT_ENDPOINT: &str = "https://api.machines.dev";

/// The organization apps go to when the provider block names none.
pub const DEFAULT_ORG: &str = "personal";

/// The service name in errors; [`super::Cloud::of_service`] maps it back to the cloud.
pub(crate) const SERVICE: &str = "Fly.io";

/// How long a machine may take to boot after a create or an update.
pub const START_WAIT: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(1),
    max_interval: Duration::from_secs(5),
    timeout: Duration::from_secs(5 * 60),
};

/// Reads Fly's `{"error": "..."}`.
pub fn decode_error(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let message = v.get("error")?.as_str()?.trim();
    (!message.is_empty()).then(|| message.to_string())
}

/// A Fly app as the API reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// Opaque app ID.
    pub id: String,
    /// Globally unique app name.
    pub name: String,
    /// Owning organization's slug.
    pub org_slug: String,
    /// `pending` until a machine runs, then `deployed`.
    pub status: String,
}

/// A machine's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    /// `shared` or `performance`.
    pub cpu_kind: String,
    /// CPU count.
    pub cpus: u32,
    /// Memory, MB.
    pub memory_mb: u32,
}

/// An HTTP health check on the machine's internal port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    /// Path probed with GET.
    pub path: String,
    /// Seconds between probes.
    pub interval_seconds: u32,
}

/// What one machine should be: the provider's view of a machine config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineSpec {
    /// Machine name, unique within the app (the planner's `<app>-<region>-<n>`).
    pub name: String,
    /// Region code, e.g. `iad`.
    pub region: String,
    /// Container image.
    pub image: String,
    /// Size.
    pub guest: Guest,
    /// Port the app listens on; Fly serves 80 (redirect to HTTPS) and 443 in front of it.
    /// `None` for a worker: no service, nothing public.
    pub internal_port: Option<u16>,
    /// Health check, if any.
    pub check: Option<HttpCheck>,
    /// Environment variables (plain values; secrets are set on the app out of band).
    pub env: BTreeMap<String, String>,
    /// Metadata, including the `platform:*` tags the owner check reads.
    pub metadata: BTreeMap<String, String>,
}

impl MachineSpec {
    /// The machine `config` the API takes: image, guest, env, metadata, restart always,
    /// one TCP service (80 → HTTPS redirect, 443 TLS + HTTP, never auto-stopped) and the
    /// HTTP check.
    pub fn config(&self) -> Value {
        let mut config = json!({
            "image": self.image,
            "guest": {
                "cpu_kind": self.guest.cpu_kind,
                "cpus": self.guest.cpus,
                "memory_mb": self.guest.memory_mb,
            },
            "env": self.env,
            "metadata": self.metadata,
            "restart": { "policy": "always" },
        });
        let Some(port) = self.internal_port else {
            // A worker: no service, so no public ports and nothing to check.
            return config;
        };
        config["services"] = json!([{
            "protocol": "tcp",
            "internal_port": port,
            "ports": [
                { "port": 80, "handlers": ["http"], "force_https": true },
                { "port": 443, "handlers": ["tls", "http"] },
            ],
            "autostop": "off",
        }]);
        if let Some(check) = &self.check {
            config["checks"] = json!({
                "http": {
                    "type": "http",
                    "port": port,
                    "method": "GET",
                    "path": check.path,
                    "interval": format!("{}s", check.interval_seconds),
                    "timeout": format!("{}s", check.interval_seconds.clamp(1, 5)),
                }
            });
        }
        config
    }
}

/// A machine as the API reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Machine {
    /// Stable machine ID.
    pub id: String,
    /// Machine name.
    #[serde(default)]
    pub name: String,
    /// Region code.
    #[serde(default)]
    pub region: String,
    /// Lifecycle state: `created`, `started`, `stopped`, `destroyed`, ...
    #[serde(default)]
    pub state: String,
    /// Version of the config; every update changes it.
    #[serde(default)]
    pub instance_id: String,
    /// The full config as last set.
    #[serde(default)]
    pub config: Value,
}

impl Machine {
    /// The machine's metadata.
    pub fn metadata(&self) -> BTreeMap<String, String> {
        string_map(self.config.get("metadata"))
    }

    /// The machine read back into a [`MachineSpec`], for drift detection; fields the
    /// config lacks come back empty or zero.
    pub fn spec(&self) -> MachineSpec {
        let c = &self.config;
        let guest = &c["guest"];
        let service = &c["services"][0];
        let number = |v: &Value| v.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let check = c
            .get("checks")
            .and_then(Value::as_object)
            .and_then(|checks| {
                checks
                    .values()
                    .find(|k| k.get("type").and_then(Value::as_str) == Some("http"))
            })
            .map(|k| HttpCheck {
                path: k["path"].as_str().unwrap_or_default().to_string(),
                interval_seconds: k["interval"]
                    .as_str()
                    .and_then(parse_go_duration)
                    .map(|d| d.as_secs() as u32)
                    .unwrap_or(0),
            });
        MachineSpec {
            name: self.name.clone(),
            region: self.region.clone(),
            image: c["image"].as_str().unwrap_or_default().to_string(),
            guest: Guest {
                cpu_kind: guest["cpu_kind"].as_str().unwrap_or_default().to_string(),
                cpus: number(&guest["cpus"]),
                memory_mb: number(&guest["memory_mb"]),
            },
            internal_port: service["internal_port"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok()),
            check,
            env: string_map(c.get("env")),
            metadata: self.metadata(),
        }
    }

    fn is_live(&self) -> bool {
        !matches!(self.state.as_str(), "destroyed" | "destroying")
    }
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A Go duration as Fly writes intervals (`30s`, `1m0s`, `1m30s`, `500ms`).
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "h" => Duration::from_secs(3600),
            "m" => Duration::from_secs(60),
            "s" => Duration::from_secs(1),
            "ms" => Duration::from_millis(1),
            _ => return None,
        };
        total += unit * u32::try_from(n).ok()?;
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[derive(Deserialize)]
struct AppWire {
    #[serde(default)]
    id: String,
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    organization: Option<OrgWire>,
}

#[derive(Deserialize)]
struct OrgWire {
    #[serde(default)]
    slug: String,
}

/// A client of the Fly Machines API for one organization.
#[derive(Debug, Clone)]
pub struct Fly {
    api: ApiClient,
    org_slug: String,
}

impl Fly {
    /// A client at `endpoint` (default [`DEFAULT_ENDPOINT`]; the simulator's is
    /// `http://127.0.0.1:PORT/fly`) creating apps in `org_slug`.
    pub fn new(
        endpoint: Option<&str>,
        token: Option<&Secret>,
        org_slug: &str,
    ) -> Result<Self, BackendError> {
        let token = token.cloned().ok_or_else(|| BackendError::Config {
            cloud: Cloud::Fly,
            message: "no Fly.io API token: set `FLY_API_TOKEN` (for example from `fly tokens create org`) or `api_token` in the provider's `fly` block".to_string(),
        })?;
        let api = ApiClient::new(
            SERVICE,
            endpoint.unwrap_or(DEFAULT_ENDPOINT),
            token,
            decode_error,
            "check the Fly.io API token (`FLY_API_TOKEN` or the provider's `fly { api_token }`) and that it may manage the organization's apps",
        )?;
        Ok(Self {
            api,
            org_slug: org_slug.to_string(),
        })
    }

    /// A client from the provider block: endpoint override, token, organization.
    pub fn from_config(config: &ProviderConfig) -> Result<Self, BackendError> {
        Self::new(
            config.endpoints.fly.as_deref(),
            config.fly.api_token.as_ref(),
            config.fly.org_slug.as_deref().unwrap_or(DEFAULT_ORG),
        )
    }

    /// The same client with another retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.api = self.api.with_policy(policy);
        self
    }

    /// The organization apps are created in.
    pub fn org_slug(&self) -> &str {
        &self.org_slug
    }

    fn not_found(reply: &Reply) -> bool {
        // Fly's router answers unknown paths with `404 page not found`: that is a wrong
        // endpoint, not a missing app, and must not pass for "already deleted".
        reply.status == StatusCode::NOT_FOUND
            && decode_error(&reply.body).is_some_and(|m| m != "404 page not found")
    }

    // ---- apps ------------------------------------------------------------------------

    /// The app `name`, or `None` when it does not exist.
    pub async fn get_app(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<Option<App>, BackendError> {
        let req = Request::get("GetApp", format!("/v1/apps/{}", segment(name)));
        let reply = self.api.send(cancel, &req).await?;
        if Self::not_found(&reply) {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(self.api.error(req.operation(), &reply));
        }
        let app: AppWire = self.api.decode(req.operation(), &reply)?;
        Ok(Some(App {
            id: app.id,
            name: app.name,
            org_slug: app.organization.map(|o| o.slug).unwrap_or_default(),
            status: app.status,
        }))
    }

    /// Creates the app, or adopts the one an unfinished create of this service made. An
    /// app of that name that is not ours to take (another organization, or machines that
    /// `owner` may not take over) is refused and left untouched.
    pub async fn create_app(
        &self,
        cancel: &CancellationToken,
        name: &str,
        owner: Owner<'_>,
    ) -> Result<App, BackendError> {
        if let Some(app) = self.get_app(cancel, name).await? {
            self.check_owner(cancel, &app, owner).await?;
            tracing::info!(app = %name, "adopting the Fly.io app of this service");
            return Ok(app);
        }
        let req = Request::post("CreateApp", "/v1/apps")
            .json(&json!({ "app_name": name, "org_slug": self.org_slug }));
        let reply = self.api.send(cancel, &req).await?;
        if reply.status == StatusCode::UNPROCESSABLE_ENTITY
            && decode_error(&reply.body).is_some_and(|m| m.contains("already been taken"))
        {
            // Made by a lost attempt of ours, or taken elsewhere (names are global).
            return match self.get_app(cancel, name).await? {
                Some(app) => {
                    self.check_owner(cancel, &app, owner).await?;
                    Ok(app)
                }
                None => Err(BackendError::Conflict(format!(
                    "The Fly.io app name `{name}` is taken by another organization (app names are global on Fly.io). Choose another service or environment name."
                ))),
            };
        }
        if !reply.is_success() {
            return Err(self.api.error(req.operation(), &reply));
        }
        self.get_app(cancel, name)
            .await?
            .ok_or_else(|| BackendError::Api {
                service: SERVICE,
                operation: "GetApp",
                message: format!("app `{name}` was created but cannot be found"),
            })
    }

    /// Fly apps carry no metadata, so an app is judged by its machines: each must be one
    /// `owner` may take over. An app without live machines is the first step of an
    /// unfinished create (a finished service always runs at least one machine).
    async fn check_owner(
        &self,
        cancel: &CancellationToken,
        app: &App,
        owner: Owner<'_>,
    ) -> Result<(), BackendError> {
        if app.org_slug != self.org_slug {
            return Err(BackendError::Conflict(format!(
                "A Fly.io app named `{}` already exists in organization `{}`, not `{}`. Choose another service or environment name, or set `fly {{ org_slug }}` to the app's organization.",
                app.name, app.org_slug, self.org_slug
            )));
        }
        for m in self.list_machines(cancel, &app.name).await? {
            owner.check(
                || {
                    format!(
                        "The Fly.io app `{}` (its machine `{}`, metadata `{}`)",
                        app.name,
                        m.id,
                        m.metadata()
                            .iter()
                            .filter(|(k, _)| k.starts_with("platform:"))
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                },
                &m.metadata(),
            )?;
        }
        Ok(())
    }

    /// Marks a machine's create as finished: removes the creating marker from its
    /// metadata (a metadata call, which neither restarts the machine nor changes its config
    /// version).
    pub async fn finish_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        machine: &Machine,
    ) -> Result<(), BackendError> {
        if !ownership::is_creating(&machine.metadata()) {
            return Ok(());
        }
        let req = Request::delete(
            "DeleteMachineMetadata",
            format!(
                "/v1/apps/{}/machines/{}/metadata/{}",
                segment(app),
                segment(&machine.id),
                segment(ownership::TAG_LIFECYCLE)
            ),
        );
        let reply = self.api.send(cancel, &req).await?;
        if reply.is_success() {
            Ok(())
        } else {
            Err(self.api.error(req.operation(), &reply))
        }
    }

    /// Deletes the app and its machines; one already gone counts as deleted.
    pub async fn delete_app(
        &self,
        cancel: &CancellationToken,
        name: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete("DeleteApp", format!("/v1/apps/{}", segment(name)));
        let reply = self.api.send(cancel, &req).await?;
        if reply.is_success() || Self::not_found(&reply) {
            Ok(())
        } else {
            Err(self.api.error(req.operation(), &reply))
        }
    }

    // ---- machines --------------------------------------------------------------------

    fn list_request(app: &str) -> Request {
        Request::get(
            "ListMachines",
            format!("/v1/apps/{}/machines", segment(app)),
        )
    }

    /// The app's live machines.
    pub async fn list_machines(
        &self,
        cancel: &CancellationToken,
        app: &str,
    ) -> Result<Vec<Machine>, BackendError> {
        let machines: Vec<Machine> = self.api.call_json(cancel, &Self::list_request(app)).await?;
        Ok(machines.into_iter().filter(Machine::is_live).collect())
    }

    /// The live machine named `name`, if any.
    pub async fn find_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        name: &str,
    ) -> Result<Option<Machine>, BackendError> {
        Ok(self
            .list_machines(cancel, app)
            .await?
            .into_iter()
            .find(|m| m.name == name))
    }

    /// The machine `id`, or `None` when it does not exist or was destroyed.
    pub async fn get_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        id: &str,
    ) -> Result<Option<Machine>, BackendError> {
        let req = Request::get(
            "GetMachine",
            format!("/v1/apps/{}/machines/{}", segment(app), segment(id)),
        );
        let reply = self.api.send(cancel, &req).await?;
        if Self::not_found(&reply) {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(self.api.error(req.operation(), &reply));
        }
        let machine: Machine = self.api.decode(req.operation(), &reply)?;
        Ok(machine.is_live().then_some(machine))
    }

    /// Creates the machine and waits until it has started. A machine of the same name
    /// that `owner` may take over (an unfinished create's) is adopted and updated if its
    /// config differs; any other is refused and left untouched.
    pub async fn create_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        spec: &MachineSpec,
        owner: Owner<'_>,
    ) -> Result<Machine, BackendError> {
        let spec = &MachineSpec {
            metadata: owner.tags(&spec.metadata),
            ..spec.clone()
        };
        if let Some(existing) = self.find_machine(cancel, app, &spec.name).await? {
            owner.check(
                || {
                    format!(
                        "The machine `{}` (`{}`) in the Fly.io app `{app}`",
                        spec.name, existing.id
                    )
                },
                &existing.metadata(),
            )?;
            tracing::info!(app, machine = %existing.id, "adopting the machine of this service's create");
            if existing.spec() == *spec {
                self.wait_started(cancel, app, &existing.id, &existing.instance_id)
                    .await?;
                return Ok(existing);
            }
            return self.update_machine(cancel, app, &existing.id, spec).await;
        }
        let create = Request::post(
            "CreateMachine",
            format!("/v1/apps/{}/machines", segment(app)),
        )
        .json(&json!({ "name": spec.name, "region": spec.region, "config": spec.config() }));
        let list = Self::list_request(app);
        let machine = http::retrying(self.api.policy(), cancel, |attempt| {
            let (create, list) = (&create, &list);
            async move {
                if attempt > 1 {
                    // The lost attempt may have created it: never make a second one.
                    let reply = self.api.send_once(list, attempt).await?;
                    if !reply.is_success() {
                        return Err(Failure::fatal(self.api.error(list.operation(), &reply)));
                    }
                    let machines: Vec<Machine> = self.api.decode(list.operation(), &reply)?;
                    if let Some(m) = machines
                        .into_iter()
                        .find(|m| m.is_live() && m.name == spec.name)
                    {
                        return Ok(m);
                    }
                }
                let reply = self.api.send_once(create, attempt).await?;
                if !reply.is_success() {
                    return Err(Failure::fatal(self.api.error(create.operation(), &reply)));
                }
                Ok(self.api.decode::<Machine>(create.operation(), &reply)?)
            }
        })
        .await?;
        self.wait_started(cancel, app, &machine.id, &machine.instance_id)
            .await?;
        self.started(cancel, app, &machine.id).await
    }

    /// Replaces the machine's config with `spec`'s (Fly updates take the full config)
    /// and waits until the new version has started. The region cannot change in place.
    pub async fn update_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        id: &str,
        spec: &MachineSpec,
    ) -> Result<Machine, BackendError> {
        let req = Request::post(
            "UpdateMachine",
            format!("/v1/apps/{}/machines/{}", segment(app), segment(id)),
        )
        .json(&json!({ "name": spec.name, "config": spec.config() }));
        let machine: Machine = self.api.call_json(cancel, &req).await?;
        self.wait_started(cancel, app, &machine.id, &machine.instance_id)
            .await?;
        self.started(cancel, app, &machine.id).await
    }

    async fn started(
        &self,
        cancel: &CancellationToken,
        app: &str,
        id: &str,
    ) -> Result<Machine, BackendError> {
        self.get_machine(cancel, app, id)
            .await?
            .ok_or_else(|| BackendError::Api {
                service: SERVICE,
                operation: "GetMachine",
                message: format!("machine `{id}` of app `{app}` disappeared after it started"),
            })
    }

    /// Waits until the machine (at config version `instance_id`, when not empty) is
    /// `started`: Fly's `wait` holds each call up to 30 s, repeated within [`START_WAIT`].
    pub async fn wait_started(
        &self,
        cancel: &CancellationToken,
        app: &str,
        id: &str,
        instance_id: &str,
    ) -> Result<(), BackendError> {
        let mut req = Request::get(
            "WaitMachine",
            format!("/v1/apps/{}/machines/{}/wait", segment(app), segment(id)),
        )
        .query("state", "started")
        .query("timeout", "30");
        if !instance_id.is_empty() {
            req = req.query("instance_id", instance_id);
        }
        let what = format!("Fly.io machine `{id}` of app `{app}`");
        wait::until(&what, START_WAIT, cancel, || async {
            let reply = self.api.send(cancel, &req).await?;
            if reply.is_success() {
                return Ok(Poll::Ready(()));
            }
            if reply.status != StatusCode::REQUEST_TIMEOUT {
                return Err(self.api.error(req.operation(), &reply));
            }
            match self.get_machine(cancel, app, id).await? {
                None => Ok(Poll::Failed("destroyed".to_string())),
                Some(m) if matches!(m.state.as_str(), "failed" | "launch_failed") => {
                    Ok(Poll::Failed(m.state))
                }
                Some(m) => Ok(Poll::Pending(m.state)),
            }
        })
        .await
    }

    /// Destroys the machine, running or not; one already gone counts as deleted.
    pub async fn delete_machine(
        &self,
        cancel: &CancellationToken,
        app: &str,
        id: &str,
    ) -> Result<(), BackendError> {
        let req = Request::delete(
            "DeleteMachine",
            format!("/v1/apps/{}/machines/{}", segment(app), segment(id)),
        )
        .query("force", "true");
        let reply = self.api.send(cancel, &req).await?;
        if reply.is_success() || Self::not_found(&reply) {
            Ok(())
        } else {
            Err(self.api.error(req.operation(), &reply))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> MachineSpec {
        MachineSpec {
            name: "prod-api-iad-1".into(),
            region: "iad".into(),
            image: "registry.fly.io/api:v1".into(),
            guest: Guest {
                cpu_kind: "shared".into(),
                cpus: 1,
                memory_mb: 512,
            },
            internal_port: Some(8080),
            check: Some(HttpCheck {
                path: "/healthz".into(),
                interval_seconds: 30,
            }),
            env: BTreeMap::from([("MODE".into(), "prod".into())]),
            metadata: BTreeMap::from([("platform:environment".into(), "prod".into())]),
        }
    }

    #[test]
    fn a_spec_round_trips_through_its_config() {
        let spec = spec();
        let machine = Machine {
            id: "1781".into(),
            name: spec.name.clone(),
            region: spec.region.clone(),
            state: "started".into(),
            instance_id: "01J".into(),
            config: spec.config(),
        };
        assert_eq!(machine.spec(), spec);
        let without_check = MachineSpec {
            check: None,
            ..spec.clone()
        };
        let config = without_check.config();
        assert!(config.get("checks").is_none());
        assert_eq!(
            config["services"][0]["ports"][1],
            json!({"port": 443, "handlers": ["tls", "http"]})
        );
    }

    #[test]
    fn go_durations_parse() {
        let cases = [
            ("30s", Some(30_000)),
            ("1m0s", Some(60_000)),
            ("1m30s", Some(90_000)),
            ("500ms", Some(500)),
            ("1h", Some(3_600_000)),
            ("", None),
            ("30", None),
            ("3x", None),
        ];
        for (text, want) in cases {
            assert_eq!(
                parse_go_duration(text),
                want.map(Duration::from_millis),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_decode_from_flys_shape() {
        assert_eq!(
            decode_error(br#"{"error":"app not found"}"#).as_deref(),
            Some("app not found")
        );
        assert_eq!(decode_error(br#"{"error":""}"#), None);
        assert_eq!(decode_error(b"<html>"), None);
    }

    #[test]
    fn a_missing_token_says_where_to_set_it() {
        let err = Fly::new(None, None, "personal").unwrap_err();
        assert!(err.to_string().contains("FLY_API_TOKEN"), "{err}");
    }
}
