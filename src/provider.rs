//! The provider itself: its configuration block, the resources it serves, and the state
//! shared by every call (configuration, the StopProvider token).

use crate::backends::aws::{self, AwsClients};
use crate::config::{
    AssumeRole, AwsSettings, CloudflareConfig, Endpoints, FlyConfig, ProviderConfig, RetryStyle,
    Secret, VercelConfig,
};
use crate::context::CallContext;
use crate::data_sources::{self, DataSource};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::naming::{self, TagOrigin};
use crate::resources::{self, Resource};
use crate::schema::{Attribute, Block, Mode, NestedBlock, Schema};
use crate::value::{AttributePath, Type, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use tokio_util::sync::CancellationToken;

fn single_block(name: &str, description: &str, attributes: Vec<Attribute>) -> NestedBlock {
    NestedBlock {
        repeated: false,
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
                    "Tags added to every cloud resource this provider creates. Precedence, lowest first: `default_tags`, the environment's `tags` (inherited by every service and database in it), the resource's own `tags`, then the `platform:*` and `managed-by` tags, which always win.",
                ),
                text("profile", "Named profile of the AWS shared config and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/`), like the AWS provider's `profile`. When set, its credentials are used even if `AWS_ACCESS_KEY_ID` is set; its `role_arn` / `source_profile`, SSO and `credential_process` settings work too. Default: the SDK's chain (`AWS_PROFILE`)."),
                Attribute::new(
                    "max_retries",
                    Type::Number,
                    Mode::Optional,
                    &format!(
                        "How many times an AWS API call (waits included) is retried when AWS throttles it or fails transiently (5xx, a dropped connection), with exponential backoff and jitter: 1 s doubling, capped at {} s between attempts. Default {}, like the AWS provider's `max_retries` (or `AWS_MAX_ATTEMPTS` − 1). A call throttled on every attempt fails after at most {} s of backoff with the default; `0` turns retries off.",
                        aws::MAX_BACKOFF.as_secs(),
                        aws::DEFAULT_MAX_RETRIES,
                        aws::retry_time_bound(aws::DEFAULT_MAX_RETRIES).as_secs(),
                    ),
                ),
                text("retry_mode", "How AWS calls are retried: `standard` (default: exponential backoff with jitter) or `adaptive` (standard plus a client-side rate limiter that slows down after throttling; for runs that share a busy account). Defaults to `AWS_RETRY_MODE`."),
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
                        url("iam", "AWS IAM (the execution roles of Fargate services)"),
                        url("elbv2", "Elastic Load Balancing (the shared Application Load Balancer, its listeners, target groups and rules)"),
                        url("ec2", "Amazon EC2 (subnets and the load balancer's security groups)"),
                        url("acm", "AWS Certificate Manager (the ingress certificate)"),
                        url("route53", "Amazon Route 53 (certificate validation and service DNS records)"),
                        url("scheduler", "Amazon EventBridge Scheduler (the schedules of `platform_job`)"),
                        url("cloudwatch", "Amazon CloudWatch (the queue-depth alarms of `platform_job`)"),
                        url("sqs", "Amazon SQS (the queues of `platform_queue`)"),
                        url("s3", "Amazon S3 (the buckets of `platform_bucket`; requests are path-style when an endpoint is overridden)"),
                        url("secretsmanager", "AWS Secrets Manager (`platform_secret`)"),
                        url("elasticache", "Amazon ElastiCache (`platform_cache`)"),
                        url("sts", "AWS STS (used by `assume_role`)"),
                        url("fly", "Fly.io Machines (or `PLATFORM_ENDPOINT_FLY`)"),
                        url("cloudflare", "Cloudflare (or `PLATFORM_ENDPOINT_CLOUDFLARE`)"),
                        url("vercel", "Vercel (or `PLATFORM_ENDPOINT_VERCEL`)"),
                    ],
                ),
                single_block(
                    "assume_role",
                    "Assume an IAM role with the base credentials (environment, `profile` or the default chain) and use the role's credentials for every AWS call, like the AWS provider's `assume_role`: with provider aliases, one configuration can manage environments in several accounts.",
                    vec![
                        text("role_arn", "ARN of the role to assume, e.g. `arn:aws:iam::222222222222:role/deploy`. Required in the block."),
                        text("session_name", "Session name recorded in CloudTrail. Default: generated by the AWS SDK."),
                        text("external_id", "External ID the role's trust policy requires, if any."),
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
                single_block(
                    "vercel",
                    "Vercel settings for static sites placed on Vercel.",
                    vec![
                        text("team_id", "Vercel team projects are created in (`team_...`). Defaults to `VERCEL_TEAM_ID`; without either, the token's personal account."),
                        text("api_token", "Vercel API token. Defaults to `VERCEL_API_TOKEN`; prefer the variable so the token stays out of configuration.").sensitive(),
                    ],
                ),
            ],
        },
    }
}

/// The largest `max_retries` accepted: with the 20 s cap, about 33 minutes of backoff.
const MAX_RETRIES_LIMIT: i64 = 100;

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
    let profile = string(v.get("profile"), AttributePath::attr("profile"), &mut diags);
    let max_retries = match v.get("max_retries") {
        Some(Value::Unknown) => {
            diags.push(
                Diagnostic::error(
                    "Provider Configuration Not Known",
                    "`max_retries` is only known after apply; the provider needs it to plan. Use a value known at plan time.",
                )
                .at(AttributePath::attr("max_retries")),
            );
            aws::DEFAULT_MAX_RETRIES
        }
        Some(Value::Number(n)) => match n.as_i64() {
            Some(r @ 0..=MAX_RETRIES_LIMIT) => r as u32,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Invalid Max Retries",
                        format!(
                            "`max_retries` is {n}; write a whole number from 0 to {MAX_RETRIES_LIMIT} (default {}).",
                            aws::DEFAULT_MAX_RETRIES
                        ),
                    )
                    .at(AttributePath::attr("max_retries")),
                );
                aws::DEFAULT_MAX_RETRIES
            }
        },
        _ => (env.var)("AWS_MAX_ATTEMPTS")
            .and_then(|a| a.trim().parse::<u32>().ok())
            .filter(|a| (1..=MAX_RETRIES_LIMIT as u32 + 1).contains(a))
            .map_or(aws::DEFAULT_MAX_RETRIES, |a| a - 1),
    };
    let retry_mode_text = string(
        v.get("retry_mode"),
        AttributePath::attr("retry_mode"),
        &mut diags,
    );
    let from_block = retry_mode_text.is_some();
    let retry_mode = match retry_mode_text
        .or_else(|| (env.var)("AWS_RETRY_MODE"))
        .as_deref()
    {
        None | Some("standard") => RetryStyle::Standard,
        Some("adaptive") => RetryStyle::Adaptive,
        Some(other) if from_block => {
            diags.push(
                Diagnostic::error(
                    "Invalid Retry Mode",
                    format!("`retry_mode` is `{other}`; write `standard` or `adaptive`."),
                )
                .at(AttributePath::attr("retry_mode")),
            );
            RetryStyle::Standard
        }
        // AWS_RETRY_MODE=legacy and the like: the SDK's own fallback.
        Some(_) => RetryStyle::Standard,
    };
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
        iam: string(e.get("iam"), p("iam"), &mut diags),
        elbv2: string(e.get("elbv2"), p("elbv2"), &mut diags),
        ec2: string(e.get("ec2"), p("ec2"), &mut diags),
        acm: string(e.get("acm"), p("acm"), &mut diags),
        route53: string(e.get("route53"), p("route53"), &mut diags),
        scheduler: string(e.get("scheduler"), p("scheduler"), &mut diags),
        cloudwatch: string(e.get("cloudwatch"), p("cloudwatch"), &mut diags),
        sqs: string(e.get("sqs"), p("sqs"), &mut diags),
        s3: string(e.get("s3"), p("s3"), &mut diags),
        secretsmanager: string(e.get("secretsmanager"), p("secretsmanager"), &mut diags),
        elasticache: string(e.get("elasticache"), p("elasticache"), &mut diags),
        sts: string(e.get("sts"), p("sts"), &mut diags),
        fly: string(e.get("fly"), p("fly"), &mut diags)
            .or_else(|| (env.var)("PLATFORM_ENDPOINT_FLY")),
        cloudflare: string(e.get("cloudflare"), p("cloudflare"), &mut diags)
            .or_else(|| (env.var)("PLATFORM_ENDPOINT_CLOUDFLARE")),
        vercel: string(e.get("vercel"), p("vercel"), &mut diags)
            .or_else(|| (env.var)("PLATFORM_ENDPOINT_VERCEL")),
    };
    for (name, url) in [
        ("ecs", &endpoints.ecs),
        ("rds", &endpoints.rds),
        (
            "application_autoscaling",
            &endpoints.application_autoscaling,
        ),
        ("cloudwatch_logs", &endpoints.cloudwatch_logs),
        ("iam", &endpoints.iam),
        ("elbv2", &endpoints.elbv2),
        ("ec2", &endpoints.ec2),
        ("acm", &endpoints.acm),
        ("route53", &endpoints.route53),
        ("scheduler", &endpoints.scheduler),
        ("cloudwatch", &endpoints.cloudwatch),
        ("sqs", &endpoints.sqs),
        ("s3", &endpoints.s3),
        ("secretsmanager", &endpoints.secretsmanager),
        ("elasticache", &endpoints.elasticache),
        ("sts", &endpoints.sts),
        ("fly", &endpoints.fly),
        ("cloudflare", &endpoints.cloudflare),
        ("vercel", &endpoints.vercel),
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
    let a = block("assume_role");
    let ap = |n: &str| AttributePath::attr("assume_role").then_attr(n);
    let assume_role = if a.is_null() {
        None
    } else {
        let role_arn = string(a.get("role_arn"), ap("role_arn"), &mut diags);
        let session_name = string(a.get("session_name"), ap("session_name"), &mut diags);
        let external_id = string(a.get("external_id"), ap("external_id"), &mut diags);
        match role_arn {
            Some(arn) if arn.starts_with("arn:") && arn.contains(":role/") => Some(AssumeRole {
                role_arn: arn,
                session_name,
                external_id,
            }),
            Some(arn) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid Role ARN",
                        format!("`{arn}` is not an IAM role ARN. Write it in full, e.g. `arn:aws:iam::222222222222:role/deploy`."),
                    )
                    .at(ap("role_arn")),
                );
                None
            }
            None => {
                if !matches!(a.get("role_arn"), Some(Value::Unknown)) {
                    diags.push(
                        Diagnostic::error(
                            "Missing Role ARN",
                            "An `assume_role` block needs `role_arn`, e.g. `role_arn = \"arn:aws:iam::222222222222:role/deploy\"`; remove the block to use the base credentials.",
                        )
                        .at(ap("role_arn")),
                    );
                }
                None
            }
        }
    };
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
    let v = block("vercel");
    let vp = |n: &str| AttributePath::attr("vercel").then_attr(n);
    let vercel = VercelConfig {
        team_id: string(v.get("team_id"), vp("team_id"), &mut diags)
            .or_else(|| (env.var)("VERCEL_TEAM_ID")),
        api_token: string(v.get("api_token"), vp("api_token"), &mut diags)
            .or_else(|| (env.var)("VERCEL_API_TOKEN"))
            .map(Secret::new),
    };
    if diags.has_errors() {
        return Err(diags);
    }
    let aws_settings = AwsSettings {
        region: region.clone(),
        profile,
        assume_role,
        max_retries,
        retry_mode,
        initial_backoff: (env.var)("PLATFORM_AWS_RETRY_INITIAL_BACKOFF_MS")
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .filter(|ms| (1..=60_000).contains(ms))
            .map_or(aws::INITIAL_BACKOFF, std::time::Duration::from_millis),
    };
    Ok(ProviderConfig {
        region,
        default_tags,
        endpoints,
        aws_settings,
        fly,
        cloudflare,
        vercel,
    })
}

/// The state every RPC shares.
pub struct Platform {
    resources: HashMap<&'static str, Arc<dyn Resource>>,
    data_sources: HashMap<&'static str, Arc<dyn DataSource>>,
    config: RwLock<Option<(Arc<ProviderConfig>, AwsClients)>>,
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

    /// Stores the configuration from ConfigureProvider, with the AWS clients built from it.
    pub fn configure(&self, config: ProviderConfig) {
        let aws = AwsClients::new(config.aws_settings.clone(), config.endpoints.clone());
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Some((Arc::new(config), aws));
    }

    /// The context for one call. Before ConfigureProvider (validation), an empty configuration.
    pub fn context(&self, write_only_allowed: bool) -> CallContext {
        let (config, aws) = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        CallContext {
            config,
            aws,
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
    fn retries_default_to_the_aws_providers_25_and_can_be_set() {
        let c = config_from_value_with(&Value::Null, &no_env()).unwrap();
        assert_eq!(c.aws_settings.max_retries, 25);
        assert_eq!(c.aws_settings.retry_mode, RetryStyle::Standard);
        let v = Value::object([
            ("max_retries", Value::number(3)),
            ("retry_mode", Value::string("adaptive")),
        ]);
        let c = config_from_value_with(&v, &no_env()).unwrap();
        assert_eq!(c.aws_settings.max_retries, 3);
        assert_eq!(c.aws_settings.retry_mode, RetryStyle::Adaptive);
        let env = EnvFallback {
            var: &|n| (n == "AWS_MAX_ATTEMPTS").then(|| "5".to_string()),
        };
        let c = config_from_value_with(&Value::Null, &env).unwrap();
        assert_eq!(c.aws_settings.max_retries, 4, "attempts include the first");
    }

    #[test]
    fn bad_retry_settings_name_the_attribute() {
        let v = Value::object([("max_retries", Value::number(-1))]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        assert_eq!(err.0[0].path.as_ref().unwrap().to_string(), "max_retries");
        let v = Value::object([("retry_mode", Value::string("legacy"))]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        assert_eq!(err.0[0].path.as_ref().unwrap().to_string(), "retry_mode");
        assert!(err.0[0].detail.contains("`adaptive`"));
    }

    #[test]
    fn the_retry_bound_sums_the_capped_backoffs() {
        assert_eq!(aws::retry_time_bound(0).as_secs(), 0);
        assert_eq!(aws::retry_time_bound(3).as_secs(), 1 + 2 + 4);
        // 1 + 2 + 4 + 8 + 16, then 20 s for each of the other 20 retries.
        assert_eq!(aws::retry_time_bound(25).as_secs(), 431);
    }

    #[test]
    fn profile_and_assume_role_are_read() {
        let v = Value::object([
            ("profile", Value::string("staging")),
            (
                "assume_role",
                Value::object([
                    (
                        "role_arn",
                        Value::string("arn:aws:iam::222222222222:role/deploy"),
                    ),
                    ("session_name", Value::string("ci")),
                    ("external_id", Value::Null),
                ]),
            ),
        ]);
        let c = config_from_value_with(&v, &no_env()).unwrap();
        assert_eq!(c.aws_settings.profile.as_deref(), Some("staging"));
        let role = c.aws_settings.assume_role.unwrap();
        assert_eq!(role.role_arn, "arn:aws:iam::222222222222:role/deploy");
        assert_eq!(role.session_name.as_deref(), Some("ci"));
        assert_eq!(role.external_id, None);
    }

    #[test]
    fn assume_role_needs_a_role_arn() {
        for arn in [Value::Null, Value::string("deploy")] {
            let v = Value::object([("assume_role", Value::object([("role_arn", arn)]))]);
            let err = config_from_value_with(&v, &no_env()).unwrap_err();
            assert_eq!(
                err.0[0].path.as_ref().unwrap().to_string(),
                "assume_role.role_arn"
            );
        }
    }

    #[test]
    fn unknown_default_tags_are_reported() {
        let v = Value::object([("default_tags", Value::Unknown)]);
        let err = config_from_value_with(&v, &no_env()).unwrap_err();
        assert_eq!(err.0[0].summary, "Provider Configuration Not Known");
    }
}
