//! The provider itself: its configuration block, the resources it serves, and the state
//! shared by every call (configuration, the StopProvider token).

use crate::backends::aws::AwsClients;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::resources::{self, CallContext, Resource};
use crate::schema::{Attribute, Block, Mode, Nesting, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;

/// Endpoint overrides, for emulators and private endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// ECS API URL.
    pub ecs: Option<String>,
    /// RDS API URL.
    pub rds: Option<String>,
    /// Application Auto Scaling API URL.
    pub application_autoscaling: Option<String>,
    /// Fly Machines API URL.
    pub fly: Option<String>,
    /// Cloudflare API URL.
    pub cloudflare: Option<String>,
}

/// The provider block, resolved.
#[derive(Debug, Clone, Default)]
pub struct ProviderConfig {
    /// Region used when a resource names none (import); else the SDK's default chain.
    pub region: Option<String>,
    /// Tags added to every cloud resource.
    pub default_tags: BTreeMap<String, String>,
    /// Endpoint overrides.
    pub endpoints: Endpoints,
    /// AWS clients, built lazily from the SDK's default chain.
    pub aws: AwsClients,
}

/// The provider configuration schema.
pub fn schema() -> Schema {
    let url = |name: &str, service: &str| {
        Attribute::new(
            name,
            Type::String,
            Mode::Optional,
            &format!(
                "Custom {service} API URL, e.g. an emulator (`http://127.0.0.1:5000`). The SDK's own `AWS_ENDPOINT_URL_*` variables work too."
            ),
        )
    };
    Schema {
        version: 0,
        block: Block {
            description: "The `platform` provider turns a team's hosting plan into infrastructure: environments, API services on ECS Fargate, Fly.io Machines or Cloudflare Workers, and PostgreSQL on RDS. It works with no arguments: AWS credentials and region come from the AWS SDK's default chain.".into(),
            attributes: vec![
                Attribute::new(
                    "region",
                    Type::String,
                    Mode::Optional,
                    "AWS region used when a resource does not name one (for example on import). Defaults to the AWS SDK's chain (`AWS_REGION`, profile).",
                ),
                Attribute::new(
                    "default_tags",
                    Type::Map(Box::new(Type::String)),
                    Mode::Optional,
                    "Tags added to every cloud resource this provider creates. Resource `tags` win over these; the `platform:*` tags always win.",
                ),
                Attribute::nested(
                    "endpoints",
                    Nesting::Single,
                    vec![
                        url("ecs", "Amazon ECS"),
                        url("rds", "Amazon RDS"),
                        url("application_autoscaling", "Application Auto Scaling"),
                        url("fly", "Fly.io Machines"),
                        url("cloudflare", "Cloudflare"),
                    ],
                    Mode::Optional,
                    "Override the API endpoints, like the AWS provider's `endpoints` block.",
                ),
            ],
        },
    }
}

/// Reads the provider block; unknown values are reported, not guessed.
pub fn config_from_value(v: &Value) -> Result<ProviderConfig, Diagnostics> {
    let mut diags = Diagnostics::new();
    let string = |v: Option<&Value>, path: AttributePath, diags: &mut Diagnostics| match v {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Unknown) => {
            diags.push(
                Diagnostic::error(
                    "Provider Configuration Not Known",
                    "This value is only known after apply; the provider needs it to plan. Use a value known at plan time.",
                )
                .at(path),
            );
            None
        }
        _ => None,
    };
    let region = string(v.get("region"), AttributePath::attr("region"), &mut diags);
    let mut default_tags = BTreeMap::new();
    match v.get("default_tags") {
        Some(Value::Map(m)) => {
            for (k, val) in m {
                if let Some(s) = string(
                    Some(val),
                    AttributePath::attr("default_tags").then_key(k),
                    &mut diags,
                ) {
                    default_tags.insert(k.clone(), s);
                }
            }
        }
        Some(Value::Unknown) => diags.push(
            Diagnostic::error(
                "Provider Configuration Not Known",
                "`default_tags` is only known after apply; the provider needs it to plan. Use values known at plan time.",
            )
            .at(AttributePath::attr("default_tags")),
        ),
        _ => {}
    }
    let mut endpoints = Endpoints::default();
    if let Some(e @ Value::Object(_)) = v.get("endpoints") {
        let p = |n: &str| AttributePath::attr("endpoints").then_attr(n);
        endpoints.ecs = string(e.get("ecs"), p("ecs"), &mut diags);
        endpoints.rds = string(e.get("rds"), p("rds"), &mut diags);
        endpoints.application_autoscaling = string(
            e.get("application_autoscaling"),
            p("application_autoscaling"),
            &mut diags,
        );
        endpoints.fly = string(e.get("fly"), p("fly"), &mut diags);
        endpoints.cloudflare = string(e.get("cloudflare"), p("cloudflare"), &mut diags);
        for (name, url) in [
            ("ecs", &endpoints.ecs),
            ("rds", &endpoints.rds),
            (
                "application_autoscaling",
                &endpoints.application_autoscaling,
            ),
            ("fly", &endpoints.fly),
            ("cloudflare", &endpoints.cloudflare),
        ] {
            if let Some(u) = url
                && !(u.starts_with("http://") || u.starts_with("https://"))
            {
                diags.push(
                    Diagnostic::error(
                        "Invalid Endpoint URL",
                        format!("`{u}` is not an http(s) URL. Write it in full, e.g. `http://127.0.0.1:5000`."),
                    )
                    .at(p(name)),
                );
            }
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let aws = AwsClients::new(region.clone(), endpoints.clone());
    Ok(ProviderConfig {
        region,
        default_tags,
        endpoints,
        aws,
    })
}

/// The state every RPC shares.
pub struct Platform {
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    config: RwLock<Option<Arc<ProviderConfig>>>,
    stop: Mutex<CancellationToken>,
}

impl Platform {
    /// A provider serving every resource, not yet configured.
    pub fn new() -> Self {
        Self {
            resources: resources::all()
                .into_iter()
                .map(|r| (r.type_name(), r))
                .collect(),
            config: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    /// The resource of a type name.
    pub fn resource(&self, type_name: &str) -> Option<Arc<dyn Resource>> {
        self.resources.get(type_name).cloned()
    }

    /// Every resource, sorted by type name.
    pub fn resources(&self) -> Vec<Arc<dyn Resource>> {
        let mut all: Vec<_> = self.resources.values().cloned().collect();
        all.sort_by_key(|r| r.type_name());
        all
    }

    /// Stores the configuration from ConfigureProvider.
    pub fn configure(&self, config: ProviderConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(config));
    }

    /// The context for one call. Before ConfigureProvider (validation), an empty configuration.
    pub fn context(&self, write_only_allowed: bool) -> CallContext {
        let config = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        CallContext {
            config,
            cancel: self.stop.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            write_only_allowed,
        }
    }

    /// Cancels every call in flight; later calls get a fresh token, so the server keeps serving.
    pub fn stop(&self) {
        let mut token = self.stop.lock().unwrap_or_else(|e| e.into_inner());
        token.cancel();
        *token = CancellationToken::new();
    }
}

impl Default for Platform {
    fn default() -> Self {
        Self::new()
    }
}
