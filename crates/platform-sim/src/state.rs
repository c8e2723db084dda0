//! The simulator's memory: what exists on the simulated Fly.io and Cloudflare, plus
//! the test controls (pending faults, the request log).
//!
//! One mutex guards the whole world. Every handler takes it for a few map
//! operations and never across an `.await`, which keeps the simulator obviously
//! consistent: each API call is atomic, as the real control planes promise.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use crate::faults::Faults;
use crate::ids::IdGen;

/// How this run of the simulator was configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Bearer tokens both APIs accept.
    pub tokens: Vec<String>,
    /// Fly organization slugs apps may be created in.
    pub fly_orgs: Vec<String>,
    /// Cloudflare zones that exist, as `(zone_id, zone_name)`.
    pub zones: Vec<(String, String)>,
    /// The `<name>.workers.dev` subdomain every Cloudflare account starts with.
    pub workers_subdomain: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tokens: vec!["sim-token".to_owned()],
            fly_orgs: vec!["personal".to_owned()],
            // The zone ID Cloudflare's own API reference uses in its examples.
            zones: vec![(
                "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
                "example.com".to_owned(),
            )],
            workers_subdomain: "platform-sim".to_owned(),
        }
    }
}

/// A handle on the simulator, cheap to clone into every handler.
#[derive(Clone)]
pub struct Sim {
    world: Arc<Mutex<World>>,
    /// The configuration the world is reset to.
    pub settings: Arc<Settings>,
}

impl Sim {
    /// A simulator holding the initial world for `settings`.
    pub fn new(settings: Settings) -> Self {
        let world = World::fresh(&settings, IdGen::from_clock());
        Self {
            world: Arc::new(Mutex::new(world)),
            settings: Arc::new(settings),
        }
    }

    /// Run `f` with the world locked.
    pub fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panicking handler cannot leave the maps half-written (each change is a
        // single insert or remove), so a poisoned lock is still safe to use.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forget everything: apps, scripts, routes, faults and the request log.
    pub fn reset(&self) {
        let mut world = self.lock();
        let ids = world.ids.clone();
        *world = World::fresh(&self.settings, ids);
    }
}

/// Everything that exists.
#[derive(Debug)]
pub struct World {
    /// Fly apps by name.
    pub fly_apps: BTreeMap<String, FlyApp>,
    /// Cloudflare Pages projects, assets and upload tokens.
    pub pages: crate::pages::PagesWorld,
    /// Cloudflare Access applications and their policies.
    pub access: crate::access::AccessWorld,
    /// Vercel projects, deployments and uploaded files.
    pub vercel: crate::vercel::VercelWorld,
    /// Cloudflare accounts by ID, created on first use.
    pub accounts: BTreeMap<String, Account>,
    /// Cloudflare zones by ID.
    pub zones: BTreeMap<String, Zone>,
    /// Failures waiting to be injected.
    pub faults: Faults,
    /// Every API request answered, oldest first.
    pub log: RequestLog,
    /// Where new identifiers come from.
    pub ids: IdGen,
    default_subdomain: String,
}

impl World {
    fn fresh(settings: &Settings, ids: IdGen) -> Self {
        let zones = settings
            .zones
            .iter()
            .map(|(id, name)| {
                let zone = Zone {
                    id: id.clone(),
                    name: name.clone(),
                    routes: Vec::new(),
                };
                (id.clone(), zone)
            })
            .collect();
        Self {
            fly_apps: BTreeMap::new(),
            pages: Default::default(),
            access: Default::default(),
            vercel: Default::default(),
            accounts: BTreeMap::new(),
            zones,
            faults: Faults::default(),
            log: RequestLog::default(),
            ids,
            default_subdomain: settings.workers_subdomain.clone(),
        }
    }

    /// The account `id`, created with the default workers.dev subdomain if new.
    pub fn account(&mut self, id: &str) -> &mut Account {
        let subdomain = &self.default_subdomain;
        self.accounts
            .entry(id.to_owned())
            .or_insert_with(|| Account {
                id: id.to_owned(),
                // A real account registers its subdomain once, by hand; starting with
                // one lets a provider derive workers.dev URLs without that step.
                subdomain: Some(subdomain.clone()),
                scripts: BTreeMap::new(),
            })
    }

    /// A JSON dump for test assertions, with secret values redacted.
    pub fn dump(&self) -> Value {
        json!({
            "fly": {
                "apps": self.fly_apps.values().map(FlyApp::dump).collect::<Vec<_>>(),
            },
            "cloudflare": {
                "accounts": self.accounts.values().map(Account::dump).collect::<Vec<_>>(),
                "zones": self.zones.values().map(Zone::dump).collect::<Vec<_>>(),
            },
            "pages": self.pages.dump(),
            "access": self.access.dump(),
            "vercel": self.vercel.dump(),
            "faults": self.faults.dump(),
        })
    }
}

/// A Fly app.
#[derive(Debug, Clone)]
pub struct FlyApp {
    /// Opaque app ID.
    pub id: String,
    /// Globally unique app name.
    pub name: String,
    /// Owning organization.
    pub org_slug: String,
    /// Private network the app is attached to.
    pub network: String,
    /// Creation time in Unix milliseconds.
    pub created_at_ms: i64,
    /// Machines in creation order, destroyed ones included.
    pub machines: Vec<Machine>,
}

impl FlyApp {
    /// The machine `id`, destroyed or not.
    pub fn machine_mut(&mut self, id: &str) -> Option<&mut Machine> {
        self.machines.iter_mut().find(|m| m.id == id)
    }

    /// Machines that have not been destroyed.
    pub fn live_machines(&self) -> impl Iterator<Item = &Machine> {
        self.machines
            .iter()
            .filter(|m| m.state != MachineState::Destroyed)
    }

    fn dump(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "org_slug": self.org_slug,
            "network": self.network,
            "machines": self.machines.iter().map(Machine::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A Fly machine's lifecycle state, as far as the simulator models it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineState {
    /// Created with `skip_launch`, never booted.
    Created,
    /// Running.
    Started,
    /// Shut down, can be started again.
    Stopped,
    /// Deleted; still answers GET like the real API does for a while.
    Destroyed,
}

impl MachineState {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Started => "started",
            Self::Stopped => "stopped",
            Self::Destroyed => "destroyed",
        }
    }
}

/// A Fly machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Stable machine ID.
    pub id: String,
    /// Machine name.
    pub name: String,
    /// Region code, e.g. `iad`.
    pub region: String,
    /// Current state.
    pub state: MachineState,
    /// Version of the config; every update changes it.
    pub instance_id: String,
    /// 6PN address.
    pub private_ip: String,
    /// The full machine config as last set.
    pub config: Value,
    /// Creation timestamp.
    pub created_at: String,
    /// Last change timestamp.
    pub updated_at: String,
    /// Lifecycle events, newest first as the API lists them.
    pub events: Vec<Value>,
}

impl Machine {
    /// The machine as the Machines API returns it.
    pub fn to_json(&self) -> Value {
        self.to_json_in_state(self.state)
    }

    /// The machine as the API returns it, reporting `state` instead of the stored one.
    pub fn to_json_in_state(&self, state: MachineState) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "state": state.as_str(),
            "region": self.region,
            "instance_id": self.instance_id,
            "private_ip": self.private_ip,
            "config": self.config,
            "image_ref": image_ref(self.config.get("image").and_then(Value::as_str).unwrap_or("")),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "events": self.events,
        })
    }
}

/// Split an image reference the way Fly reports it in `image_ref`.
pub fn image_ref(image: &str) -> Value {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_owned())),
        None => (image, None),
    };
    let (registry, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_owned(), rest)
        }
        _ => ("registry-1.docker.io".to_owned(), name),
    };
    let last_slash = path.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match path[last_slash..].rfind(':') {
        Some(colon) => (
            path[..last_slash + colon].to_owned(),
            path[last_slash + colon + 1..].to_owned(),
        ),
        None => (path.to_owned(), "latest".to_owned()),
    };
    let digest = digest
        .unwrap_or_else(|| format!("sha256:{}", crate::ids::fingerprint(&[image.as_bytes()])));
    json!({
        "registry": registry,
        "repository": repository,
        "tag": tag,
        "digest": digest,
        "labels": {},
    })
}

/// A Cloudflare account.
#[derive(Debug, Clone)]
pub struct Account {
    /// 32-hex account ID.
    pub id: String,
    /// The account's `<name>.workers.dev` subdomain, if it has registered one.
    pub subdomain: Option<String>,
    /// Worker scripts by name.
    pub scripts: BTreeMap<String, Script>,
}

impl Account {
    fn dump(&self) -> Value {
        json!({
            "id": self.id,
            "subdomain": self.subdomain,
            "scripts": self.scripts.values().map(Script::dump).collect::<Vec<_>>(),
        })
    }
}

/// An uploaded Worker.
#[derive(Debug, Clone)]
pub struct Script {
    /// Script name (its ID in the API).
    pub name: String,
    /// Deployment tag: a fresh 32-hex ID per upload.
    pub tag: String,
    /// Uploaded modules in upload order.
    pub modules: Vec<Module>,
    /// Name of the entry-point module.
    pub main_module: String,
    /// Compatibility date from the metadata.
    pub compatibility_date: Option<String>,
    /// Compatibility flags from the metadata.
    pub compatibility_flags: Vec<String>,
    /// Bindings as uploaded, secret values included (never returned).
    pub bindings: Vec<Value>,
    /// Whether the script is reachable on workers.dev.
    pub workers_dev: bool,
    /// Whether preview URLs are reachable on workers.dev.
    pub previews_enabled: bool,
    /// First upload time.
    pub created_on: String,
    /// Last upload time.
    pub modified_on: String,
}

impl Script {
    /// The content fingerprint Cloudflare reports as `etag`.
    pub fn etag(&self) -> String {
        let mut chunks: Vec<&[u8]> = Vec::new();
        for module in &self.modules {
            chunks.push(module.name.as_bytes());
            chunks.push(module.content_type.as_bytes());
            chunks.push(&module.content);
        }
        crate::ids::fingerprint(&chunks)
    }

    /// The entry-point module.
    pub fn main(&self) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == self.main_module)
    }

    /// Bindings as the API returns them: secret values left out.
    pub fn public_bindings(&self) -> Vec<Value> {
        self.bindings.iter().map(|b| redact(b, None)).collect()
    }

    fn dump(&self) -> Value {
        json!({
            "name": self.name,
            "etag": self.etag(),
            "main_module": self.main_module,
            "compatibility_date": self.compatibility_date,
            "compatibility_flags": self.compatibility_flags,
            "bindings": self.bindings.iter().map(|b| redact(b, Some("<redacted>"))).collect::<Vec<_>>(),
            "modules": self.modules.iter().map(|m| json!({
                "name": m.name,
                "content_type": m.content_type,
                "content": String::from_utf8_lossy(&m.content),
            })).collect::<Vec<_>>(),
            "workers_dev": self.workers_dev,
            "previews_enabled": self.previews_enabled,
            "created_on": self.created_on,
            "modified_on": self.modified_on,
        })
    }
}

/// A secret binding without its value; `placeholder` replaces it when given.
fn redact(binding: &Value, placeholder: Option<&str>) -> Value {
    let mut binding = binding.clone();
    if binding.get("type").and_then(Value::as_str) == Some("secret_text")
        && let Some(map) = binding.as_object_mut()
    {
        match placeholder {
            Some(text) => {
                map.insert("text".to_owned(), Value::String(text.to_owned()));
            }
            None => {
                map.remove("text");
            }
        }
    }
    binding
}

/// One module of a Worker upload.
#[derive(Debug, Clone)]
pub struct Module {
    /// Multipart part name, which is the module's name.
    pub name: String,
    /// Declared content type, e.g. `application/javascript+module`.
    pub content_type: String,
    /// Module source.
    pub content: Vec<u8>,
}

/// A Cloudflare zone.
#[derive(Debug, Clone)]
pub struct Zone {
    /// 32-hex zone ID.
    pub id: String,
    /// Apex domain, e.g. `example.com`.
    pub name: String,
    /// Worker routes on the zone.
    pub routes: Vec<Route>,
}

impl Zone {
    fn dump(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "routes": self.routes.iter().map(Route::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A Worker route.
#[derive(Debug, Clone)]
pub struct Route {
    /// 32-hex route ID.
    pub id: String,
    /// URL pattern, e.g. `api.example.com/*`.
    pub pattern: String,
    /// Script the route runs, if any.
    pub script: Option<String>,
}

impl Route {
    /// The route as the API returns it.
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "pattern": self.pattern, "script": self.script })
    }
}

/// One answered API request: never a body, so never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// HTTP method.
    pub method: String,
    /// Request path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Status returned.
    pub status: u16,
    /// Whether the status came from an injected fault.
    pub injected: bool,
}

/// The request log, bounded so a long demo cannot grow it without limit.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: std::collections::VecDeque<LogEntry>,
}

impl RequestLog {
    const CAPACITY: usize = 10_000;

    /// Record `entry`, dropping the oldest when full.
    pub fn push(&mut self, entry: LogEntry) {
        if self.entries.len() == Self::CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// Forget every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The log as JSON, oldest first.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.entries
                .iter()
                .map(|e| {
                    json!({
                        "method": e.method,
                        "path": e.path,
                        "query": e.query,
                        "status": e.status,
                        "injected": e.injected,
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refs_split_like_fly_reports_them() {
        let cases = [
            (
                "flyio/fastify-functions",
                "registry-1.docker.io",
                "flyio/fastify-functions",
                "latest",
            ),
            ("nginx:1.25", "registry-1.docker.io", "nginx", "1.25"),
            (
                "registry.fly.io/app:deployment-1",
                "registry.fly.io",
                "app",
                "deployment-1",
            ),
            (
                "localhost:5000/team/api:v2",
                "localhost:5000",
                "team/api",
                "v2",
            ),
        ];
        for (image, registry, repository, tag) in cases {
            let r = image_ref(image);
            assert_eq!(r["registry"], registry, "{image}");
            assert_eq!(r["repository"], repository, "{image}");
            assert_eq!(r["tag"], tag, "{image}");
            assert!(r["digest"].as_str().unwrap().starts_with("sha256:"));
        }
    }

    #[test]
    fn secret_bindings_lose_their_value_when_shown() {
        let secret = json!({"type": "secret_text", "name": "KEY", "text": "hunter2"});
        let plain = json!({"type": "plain_text", "name": "MODE", "text": "prod"});
        assert_eq!(
            redact(&secret, None),
            json!({"type": "secret_text", "name": "KEY"})
        );
        assert_eq!(redact(&secret, Some("<redacted>"))["text"], "<redacted>");
        assert_eq!(redact(&plain, None), plain);
    }
}
