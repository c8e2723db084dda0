//! The provider itself: its configuration block, the resources it serves, and the state
//! shared by every call (configuration, the StopProvider token).

use crate::backends::aws::AwsClients;
use crate::data_sources::{self, DataSource};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::naming::{self, TagOrigin};
use crate::resources::{self, CallContext, Resource};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;

/// A credential: shown as `***` in every log and debug rendering.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Endpoint overrides, for emulators and private endpoints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// ECS API URL.
    pub ecs: Option<String>,
    /// RDS API URL.
    pub rds: Option<String>,
    /// Application Auto Scaling API URL.
    pub application_autoscaling: Option<String>,
    /// CloudWatch Logs API URL.
    pub cloudwatch_logs: Option<String>,
    /// Fly Machines API URL.
    pub fly: Option<String>,
    /// Cloudflare API URL.
    pub cloudflare: Option<String>,
}

/// Fly.io settings.
#[derive(Debug, Clone, Default)]
pub struct FlyConfig {
    /// Organization apps are created in.
    pub org_slug: Option<String>,
    /// API token (`FLY_API_TOKEN` when not set in the block).
    pub api_token: Option<Secret>,
}

/// Cloudflare settings.
#[derive(Debug, Clone, Default)]
pub struct CloudflareConfig {
    /// Account Workers are uploaded to (`CLOUDFLARE_ACCOUNT_ID`).
    pub account_id: Option<String>,
    /// Zone routes are created on.
    pub zone_id: Option<String>,
    /// That zone's name (`example.com`): routes are `<environment>-<service>.<zone_name>/*`.
    pub zone_name: Option<String>,
    /// API token (`CLOUDFLARE_API_TOKEN`).
    pub api_token: Option<Secret>,
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
    /// Fly.io settings.
    pub fly: FlyConfig,
    /// Cloudflare settings.
    pub cloudflare: CloudflareConfig,
    /// AWS clients, built lazily from the SDK's default chain.
    pub aws: AwsClients,
}

fn single_block(name: &str, description: &str, attributes: Vec<Attribute>) -> NestedBlock {
    NestedBlock {
        name: name.to_string(),
        block: Block {
            description: description.to_string(),
            attributes,
            blocks: vec![],
        },
    }
}

/// The provider configuration schema.
pub fn schema() -> Schema {
    let url = |name: &str, service: &str| {
        Attribute::new(
            name,
            Type::String,
            Mode::Optional,
            &format!("Custom {service} API URL, e.g. an emulator (`http://127.0.0.1:5000`)."),
        )
    };
    let text = |name: &str, description: &str| {
        Attribute::new(name, Type::String, Mode::Optional, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "The `platform` provider turns a team's hosting plan into infrastructure: environments, API services on ECS Fargate, Fly.io Machines or Cloudflare Workers, and PostgreSQL on RDS. It works with no arguments: AWS credentials and region come from the AWS SDK's default chain, Fly.io and Cloudflare credentials from `FLY_API_TOKEN`, `CLOUDFLARE_API_TOKEN` and `CLOUDFLARE_ACCOUNT_ID`.".into(),
            attributes: vec![
                text("region", "AWS region used when a resource does not name one (for example on import). Defaults to the AWS SDK's chain (`AWS_REGION`, profile)."),
                Attribute::new(
                    "default_tags",
                    Type::Map(Box::new(Type::String)),
                    Mode::Optional,
                    "Tags added to every cloud resource this provider creates. Resource `tags` win over these; the `platform:*` tags always win.",
                ),
            ],
            blocks: vec![
                single_block(
                    "endpoints",
                    "Override API endpoints, like the AWS provider's `endpoints` block: for emulators and private endpoints. The AWS SDK's own `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables work too.",
                    vec![
                        url("ecs", "Amazon ECS"),
                        url("rds", "Amazon RDS"),
                        url("application_autoscaling", "Application Auto Scaling"),
                        url("cloudwatch_logs", "Amazon CloudWatch Logs"),
                        url("fly", "Fly.io Machines (or `PLATFORM_ENDPOINT_FLY`)"),
                        url("cloudflare", "Cloudflare (or `PLATFORM_ENDPOINT_CLOUDFLARE`)"),
                    ],
                ),
                single_block(
                    "fly",
                    "Fly.io settings for services placed on Fly Machines.",
                    vec![
                        text("org_slug", "Fly.io organization new apps are created in. Default `personal`."),
                        text("api_token", "Fly.io API token. Defaults to `FLY_API_TOKEN`; prefer the variable so the token stays out of configuration.").sensitive(),
                    ],
                ),
                single_block(
                    "cloudflare",
                    "Cloudflare settings for services placed on Workers.",
                    vec![
                        text("account_id", "Cloudflare account ID Workers are uploaded to. Defaults to `CLOUDFLARE_ACCOUNT_ID`."),
                        text("zone_id", "Zone for Worker routes (set with `zone_name`); without it a service gets a workers.dev subdomain."),
                        text("zone_name", "Name of the `zone_id` zone, e.g. `example.com`: a Worker answers on `<environment>-<service>.<zone_name>`."),
                        text("api_token", "Cloudflare API token. Defaults to `CLOUDFLARE_API_TOKEN`; prefer the variable so the token stays out of configuration.").sensitive(),
                    ],
                ),
            ],
        },
    }
}

/// Where a value of the provider block comes from when the block does not set it.
pub struct EnvFallback<'a> {
    /// Reads an environment variable (injected so tests need not touch the process's).
    pub var: &'a dyn Fn(&str) -> Option<String>,
}

/// Reads the provider block; unknown values are reported, not guessed.
pub fn config_from_value(v: &Value) -> Result<ProviderConfig, Diagnostics> {
    config_from_value_with(
        v,
        &EnvFallback {
            var: &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
        },
    )
}

/// [`config_from_value`] with an explicit environment.
pub fn config_from_value_with(
    v: &Value,
    env: &EnvFallback<'_>,
) -> Result<ProviderConfig, Diagnostics> {
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
    diags.extend(
        naming::validate_tags(&default_tags, TagOrigin::ProviderDefault)
            .into_iter()
            .map(Diagnostic::from),
    );
    let null = Value::Null;
    let block = |name: &str| v.get(name).unwrap_or(&null);
    let e = block("endpoints");
    let p = |n: &str| AttributePath::attr("endpoints").then_attr(n);
    let endpoints = Endpoints {
        ecs: string(e.get("ecs"), p("ecs"), &mut diags),
        rds: string(e.get("rds"), p("rds"), &mut diags),
        application_autoscaling: string(
            e.get("application_autoscaling"),
            p("application_autoscaling"),
            &mut diags,
        ),
        cloudwatch_logs: string(e.get("cloudwatch_logs"), p("cloudwatch_logs"), &mut diags),
        fly: string(e.get("fly"), p("fly"), &mut diags)
            .or_else(|| (env.var)("PLATFORM_ENDPOINT_FLY")),
        cloudflare: string(e.get("cloudflare"), p("cloudflare"), &mut diags)
            .or_else(|| (env.var)("PLATFORM_ENDPOINT_CLOUDFLARE")),
    };
    for (name, url) in [
        ("ecs", &endpoints.ecs),
        ("rds", &endpoints.rds),
        (
            "application_autoscaling",
            &endpoints.application_autoscaling,
        ),
        ("cloudwatch_logs", &endpoints.cloudwatch_logs),
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
    let f = block("fly");
    let fly = FlyConfig {
        org_slug: string(
            f.get("org_slug"),
            AttributePath::attr("fly").then_attr("org_slug"),
            &mut diags,
        ),
        api_token: string(
            f.get("api_token"),
            AttributePath::attr("fly").then_attr("api_token"),
            &mut diags,
        )
        .or_else(|| (env.var)("FLY_API_TOKEN"))
        .map(Secret::new),
    };
    let c = block("cloudflare");
    let cp = |n: &str| AttributePath::attr("cloudflare").then_attr(n);
    let cloudflare = CloudflareConfig {
        account_id: string(c.get("account_id"), cp("account_id"), &mut diags)
            .or_else(|| (env.var)("CLOUDFLARE_ACCOUNT_ID")),
        zone_id: string(c.get("zone_id"), cp("zone_id"), &mut diags),
        zone_name: string(c.get("zone_name"), cp("zone_name"), &mut diags),
        api_token: string(c.get("api_token"), cp("api_token"), &mut diags)
            .or_else(|| (env.var)("CLOUDFLARE_API_TOKEN"))
            .map(Secret::new),
    };
    if cloudflare.zone_id.is_some() != cloudflare.zone_name.is_some() {
        diags.push(
            Diagnostic::error(
                "Incomplete Cloudflare Zone",
                "Worker routes need both the zone's ID and its name: set `zone_id` and `zone_name` together in the `cloudflare` block, or neither to use workers.dev subdomains.",
            )
            .at(cp(if cloudflare.zone_id.is_some() { "zone_name" } else { "zone_id" })),
        );
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let aws = AwsClients::new(region.clone(), endpoints.clone());
    Ok(ProviderConfig {
        region,
        default_tags,
        endpoints,
        fly,
        cloudflare,
        aws,
    })
}

/// The state every RPC shares.
pub struct Platform {
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
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
            data_sources: data_sources::all()
                .into_iter()
                .map(|d| (d.type_name(), d))
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

    /// The data source of a type name.
    pub fn data_source(&self, type_name: &str) -> Option<Arc<dyn DataSource>> {
        self.data_sources.get(type_name).cloned()
    }

    /// Every data source, sorted by type name.
    pub fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        let mut all: Vec<_> = self.data_sources.values().cloned().collect();
        all.sort_by_key(|d| d.type_name());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env() -> EnvFallback<'static> {
        EnvFallback { var: &|_| None }
    }

    #[test]
    fn works_with_no_arguments() {
        let c = config_from_value_with(&Value::Null, &no_env()).unwrap();
        assert!(c.default_tags.is_empty() && c.endpoints == Endpoints::default());
        assert!(c.fly.api_token.is_none());
    }

    #[test]
    fn tokens_fall_back_to_the_environment_and_never_print() {
        let env = EnvFallback {
            var: &|n| (n == "FLY_API_TOKEN").then(|| "fo1_secret".to_string()),
        };
        let c = config_from_value_with(&Value::Null, &env).unwrap();
        assert_eq!(
            c.fly.api_token.as_ref().map(Secret::expose),
            Some("fo1_secret")
        );
        assert!(!format!("{c:?}").contains("fo1_secret"));
    }

    #[test]
    fn simulator_endpoints_fall_back_to_the_environment() {
        let env = EnvFallback {
            var: &|n| match n {
                "PLATFORM_ENDPOINT_FLY" => Some("http://127.0.0.1:1/fly".to_string()),
                "PLATFORM_ENDPOINT_CLOUDFLARE" => Some("ftp://nope".to_string()),
                _ => None,
            },
        };
        let e = config_from_value_with(&Value::Null, &env).unwrap_err();
        assert!(
            format!("{e:?}").contains("ftp://nope"),
            "checked like the block's"
        );
        let env = EnvFallback {
            var: &|n| (n == "PLATFORM_ENDPOINT_FLY").then(|| "http://127.0.0.1:1/fly".to_string()),
        };
        let c = config_from_value_with(&Value::Null, &env).unwrap();
        assert_eq!(c.endpoints.fly.as_deref(), Some("http://127.0.0.1:1/fly"));
        assert_eq!(c.endpoints.cloudflare, None);
    }

    #[test]
    fn endpoint_must_be_a_url() {
        let v = Value::object([(
            "endpoints",
            Value::object([("ecs", Value::string("localhost:5000"))]),
        )]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        let d = &err.0[0];
        assert_eq!(d.summary, "Invalid Endpoint URL");
        assert_eq!(d.path.as_ref().unwrap().to_string(), "endpoints.ecs");
    }

    #[test]
    fn reserved_default_tags_are_refused() {
        let v = Value::object([(
            "default_tags",
            Value::map([("managed-by", Value::string("me"))]),
        )]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        assert!(
            err.0[0]
                .path
                .as_ref()
                .unwrap()
                .to_string()
                .starts_with("default_tags")
        );
    }

    #[test]
    fn unknown_default_tags_are_reported() {
        let v = Value::object([("default_tags", Value::Unknown)]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        assert_eq!(err.0[0].summary, "Provider Configuration Not Known");
    }
}
