//! AWS: one SDK configuration from the default chain (credentials, region) or the provider
//! block's `profile` / `assume_role`, the provider's retry policy, endpoint overrides from
//! the provider block, and per-region service clients built once.
//!
//! Retries: every call (waits included, they poll through the same clients) is retried on
//! throttling, 5xx and connection failures up to `max_retries` times with exponential backoff
//! and full jitter — 1 s doubling, capped at [`MAX_BACKOFF`] — so a persistent throttle fails
//! within [`retry_time_bound`]. The SDK's retry quota (a token bucket that stops retrying after
//! about 100 retries across a whole process) is turned off, as the hashicorp/aws provider does:
//! at `-parallelism` 30 under throttling it would end retries long before `max_retries`.

pub mod acm;
pub mod alarm;
mod api_error;
pub mod autoscaling;
pub mod batch;
pub mod ecs;
pub mod ecs_rollout;
pub mod ecs_service;
mod ecs_tags;
pub mod elasticache;
pub mod elbv2;
pub mod iam;
pub mod log_group;
pub mod lookups;
pub mod rds;
pub mod route53;
pub mod rule_priority;
pub mod s3;
pub mod scheduler;
pub mod secrets;
pub mod security_group;
pub mod sqs;
pub mod task_definition;

use crate::config::{AwsSettings, Endpoints, RetryStyle};
pub use crate::config::{DEFAULT_MAX_RETRIES, INITIAL_BACKOFF};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ecs::config::retry::{RetryPartition, TokenBucket};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The longest pause between two attempts (the AWS SDKs' standard cap).
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// The longest the provider sleeps between the attempts of one call before it gives up:
/// the sum of the capped backoffs (jitter only shortens them). 25 retries: 431 s.
pub fn retry_time_bound(max_retries: u32) -> Duration {
    (0..max_retries)
        .map(|i| {
            INITIAL_BACKOFF
                .checked_mul(2u32.saturating_pow(i))
                .unwrap_or(MAX_BACKOFF)
                .min(MAX_BACKOFF)
        })
        .sum()
}

/// Attempts per call (retries + 1) of the configured provider, for error messages. One
/// provider configuration per plugin process, so one value.
static MAX_ATTEMPTS: AtomicU32 = AtomicU32::new(DEFAULT_MAX_RETRIES + 1);

/// How many attempts a call makes before it gives up.
pub(crate) fn max_attempts() -> u32 {
    MAX_ATTEMPTS.load(Ordering::Relaxed)
}

/// The SDK retry configuration for the provider's settings.
fn retry_config(settings: &AwsSettings) -> RetryConfig {
    let base = match settings.retry_mode {
        RetryStyle::Standard => RetryConfig::standard(),
        RetryStyle::Adaptive => RetryConfig::adaptive(),
    };
    let scale = settings.initial_backoff.as_secs_f64() / INITIAL_BACKOFF.as_secs_f64();
    base.with_max_attempts(settings.max_retries.saturating_add(1))
        .with_initial_backoff(settings.initial_backoff)
        .with_max_backoff(MAX_BACKOFF.mul_f64(scale))
}

/// A retry partition of its own per client, without the SDK's retry quota: `max_retries`
/// alone bounds the retries (adaptive mode keeps its rate limiter per partition).
fn retry_partition(service: &str, region: &Region) -> RetryPartition {
    RetryPartition::custom(format!("platform-{service}-{region}"))
        .token_bucket(TokenBucket::unlimited())
        .build()
}

/// What to change to bring a resource's tags from `observed` to `desired`: the keys to
/// remove (those `desired` lacks) and the tags to set (new or with another value). Every
/// AWS backend syncs tags this way; each only has its own untag and tag calls.
pub(crate) fn tag_changes(
    observed: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let stale = observed
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    let changed = desired
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (stale, changed)
}

/// Lazily built AWS clients; cheap to clone.
#[derive(Clone, Default)]
pub struct AwsClients {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    settings: AwsSettings,
    endpoints: Endpoints,
    sdk: OnceCell<SdkConfig>,
    ecs: Mutex<HashMap<String, aws_sdk_ecs::Client>>,
    rds: Mutex<HashMap<String, aws_sdk_rds::Client>>,
    application_autoscaling: Mutex<HashMap<String, aws_sdk_applicationautoscaling::Client>>,
    cloudwatch_logs: Mutex<HashMap<String, aws_sdk_cloudwatchlogs::Client>>,
    iam: Mutex<HashMap<String, aws_sdk_iam::Client>>,
    elbv2: Mutex<HashMap<String, aws_sdk_elasticloadbalancingv2::Client>>,
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    acm: Mutex<HashMap<String, aws_sdk_acm::Client>>,
    route53: Mutex<HashMap<String, aws_sdk_route53::Client>>,
    scheduler: Mutex<HashMap<String, aws_sdk_scheduler::Client>>,
    cloudwatch: Mutex<HashMap<String, aws_sdk_cloudwatch::Client>>,
    sqs: Mutex<HashMap<String, aws_sdk_sqs::Client>>,
    s3: Mutex<HashMap<String, aws_sdk_s3::Client>>,
    secretsmanager: Mutex<HashMap<String, aws_sdk_secretsmanager::Client>>,
    elasticache: Mutex<HashMap<String, aws_sdk_elasticache::Client>>,
    lookups: lookups::ByRegion,
}

impl std::fmt::Debug for AwsClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClients")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl AwsClients {
    /// Clients for a provider block's settings and endpoint overrides.
    pub fn new(settings: AwsSettings, endpoints: Endpoints) -> Self {
        MAX_ATTEMPTS.store(settings.max_retries.saturating_add(1), Ordering::Relaxed);
        Self {
            inner: Arc::new(Inner {
                settings,
                endpoints,
                ..Inner::default()
            }),
        }
    }

    /// The SDK configuration, loaded on first use so that plans never wait on the chain.
    async fn sdk(&self) -> &SdkConfig {
        self.inner
            .sdk
            .get_or_init(|| async {
                let s = &self.inner.settings;
                let mut loader =
                    aws_config::defaults(BehaviorVersion::latest()).retry_config(retry_config(s));
                if let Some(r) = &s.region {
                    loader = loader.region(Region::new(r.clone()));
                }
                if let Some(p) = &s.profile {
                    loader = loader.profile_name(p);
                }
                let mut base = loader.load().await;
                if let Some(p) = &s.profile {
                    // A named profile means that profile's credentials, even when
                    // AWS_ACCESS_KEY_ID is set (the default chain would prefer the variables).
                    let conf = aws_config::provider_config::ProviderConfig::default()
                        .with_region(base.region().cloned());
                    let creds = aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .configure(&conf)
                        .profile_name(p)
                        .build();
                    base = base
                        .into_builder()
                        .credentials_provider(
                            aws_types::sdk_config::SharedCredentialsProvider::new(creds),
                        )
                        .build();
                }
                let Some(role) = &s.assume_role else {
                    return base;
                };
                let mut sts = base.clone();
                if let Some(url) = &self.inner.endpoints.sts {
                    sts = sts.into_builder().endpoint_url(url.clone()).build();
                }
                let mut builder =
                    aws_config::sts::AssumeRoleProvider::builder(role.role_arn.clone())
                        .configure(&sts);
                if let Some(n) = &role.session_name {
                    builder = builder.session_name(n.clone());
                }
                if let Some(id) = &role.external_id {
                    builder = builder.external_id(id.clone());
                }
                let assumed = builder.build().await;
                base.into_builder()
                    .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                        assumed,
                    ))
                    .build()
            })
            .await
    }

    /// The region used when a resource names none.
    pub async fn default_region(&self) -> Option<String> {
        self.sdk().await.region().map(|r| r.to_string())
    }

    /// A client of one service for a region, built once and cached.
    async fn client<C: Clone>(
        &self,
        cache: &Mutex<HashMap<String, C>>,
        region: &str,
        build: impl FnOnce(&SdkConfig, Region) -> C,
    ) -> C {
        if let Some(c) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(region) {
            return c.clone();
        }
        let client = build(self.sdk().await, Region::new(region.to_string()));
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(region.to_string(), client.clone());
        client
    }

    /// The ECS client for a region.
    pub async fn ecs(&self, region: &str) -> aws_sdk_ecs::Client {
        let url = self.inner.endpoints.ecs.clone();
        self.client(&self.inner.ecs, region, |sdk, region| {
            let mut b = aws_sdk_ecs::config::Builder::from(sdk)
                .retry_partition(retry_partition("ecs", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_ecs::Client::from_conf(b.build())
        })
        .await
    }

    /// The RDS client for a region.
    pub async fn rds(&self, region: &str) -> aws_sdk_rds::Client {
        let url = self.inner.endpoints.rds.clone();
        self.client(&self.inner.rds, region, |sdk, region| {
            let mut b = aws_sdk_rds::config::Builder::from(sdk)
                .retry_partition(retry_partition("rds", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_rds::Client::from_conf(b.build())
        })
        .await
    }

    /// The Application Auto Scaling client for a region.
    pub async fn application_autoscaling(
        &self,
        region: &str,
    ) -> aws_sdk_applicationautoscaling::Client {
        let url = self.inner.endpoints.application_autoscaling.clone();
        self.client(
            &self.inner.application_autoscaling,
            region,
            |sdk, region| {
                let mut b = aws_sdk_applicationautoscaling::config::Builder::from(sdk)
                    .retry_partition(retry_partition("applicationautoscaling", &region))
                    .region(region);
                if let Some(url) = url {
                    b = b.endpoint_url(url);
                }
                aws_sdk_applicationautoscaling::Client::from_conf(b.build())
            },
        )
        .await
    }

    /// The CloudWatch Logs client for a region.
    pub async fn cloudwatch_logs(&self, region: &str) -> aws_sdk_cloudwatchlogs::Client {
        let url = self.inner.endpoints.cloudwatch_logs.clone();
        self.client(&self.inner.cloudwatch_logs, region, |sdk, region| {
            let mut b = aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
                .retry_partition(retry_partition("cloudwatchlogs", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_cloudwatchlogs::Client::from_conf(b.build())
        })
        .await
    }

    /// The IAM client for resources in `region`. IAM is global within a partition: its
    /// endpoint is in the partition's home region (`us-east-1` for `aws`, `cn-north-1` for
    /// `aws-cn`, `us-gov-west-1` for `aws-us-gov`).
    pub async fn iam(&self, region: &str) -> aws_sdk_iam::Client {
        let home = partition_home(region);
        let url = self.inner.endpoints.iam.clone();
        self.client(&self.inner.iam, home, |sdk, region| {
            let mut b = aws_sdk_iam::config::Builder::from(sdk)
                .retry_partition(retry_partition("iam", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_iam::Client::from_conf(b.build())
        })
        .await
    }

    /// The Elastic Load Balancing (v2) client for a region.
    pub async fn elbv2(&self, region: &str) -> aws_sdk_elasticloadbalancingv2::Client {
        let url = self.inner.endpoints.elbv2.clone();
        self.client(&self.inner.elbv2, region, |sdk, region| {
            let mut b = aws_sdk_elasticloadbalancingv2::config::Builder::from(sdk)
                .retry_partition(retry_partition("elbv2", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_elasticloadbalancingv2::Client::from_conf(b.build())
        })
        .await
    }

    /// The EC2 client for a region (subnets and security groups).
    pub async fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let url = self.inner.endpoints.ec2.clone();
        self.client(&self.inner.ec2, region, |sdk, region| {
            let mut b = aws_sdk_ec2::config::Builder::from(sdk)
                .retry_partition(retry_partition("ec2", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_ec2::Client::from_conf(b.build())
        })
        .await
    }

    /// The ACM client for a region (a load balancer's certificate is in its region).
    pub async fn acm(&self, region: &str) -> aws_sdk_acm::Client {
        let url = self.inner.endpoints.acm.clone();
        self.client(&self.inner.acm, region, |sdk, region| {
            let mut b = aws_sdk_acm::config::Builder::from(sdk)
                .retry_partition(retry_partition("acm", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_acm::Client::from_conf(b.build())
        })
        .await
    }

    /// The Route 53 client for resources in `region`. Route 53 is global within a
    /// partition, like IAM: its endpoint is in the partition's home region.
    pub async fn route53(&self, region: &str) -> aws_sdk_route53::Client {
        let home = partition_home(region);
        let url = self.inner.endpoints.route53.clone();
        self.client(&self.inner.route53, home, |sdk, region| {
            let mut b = aws_sdk_route53::config::Builder::from(sdk)
                .retry_partition(retry_partition("route53", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_route53::Client::from_conf(b.build())
        })
        .await
    }

    /// The EventBridge Scheduler client for a region (a job's schedule is in its region).
    pub async fn scheduler(&self, region: &str) -> aws_sdk_scheduler::Client {
        let url = self.inner.endpoints.scheduler.clone();
        self.client(&self.inner.scheduler, region, |sdk, region| {
            let mut b = aws_sdk_scheduler::config::Builder::from(sdk)
                .retry_partition(retry_partition("scheduler", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_scheduler::Client::from_conf(b.build())
        })
        .await
    }

    /// The CloudWatch (metrics and alarms) client for a region.
    pub async fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        let url = self.inner.endpoints.cloudwatch.clone();
        self.client(&self.inner.cloudwatch, region, |sdk, region| {
            let mut b = aws_sdk_cloudwatch::config::Builder::from(sdk)
                .retry_partition(retry_partition("cloudwatch", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_cloudwatch::Client::from_conf(b.build())
        })
        .await
    }
    /// The SQS client for a region (the queues of `platform_queue`).
    pub async fn sqs(&self, region: &str) -> aws_sdk_sqs::Client {
        let url = self.inner.endpoints.sqs.clone();
        self.client(&self.inner.sqs, region, |sdk, region| {
            let mut b = aws_sdk_sqs::config::Builder::from(sdk)
                .retry_partition(retry_partition("sqs", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_sqs::Client::from_conf(b.build())
        })
        .await
    }

    /// The S3 client for a region (the buckets of `platform_bucket`). With an endpoint
    /// override (an emulator, a private endpoint) requests are path-style: the bucket is
    /// in the path, not in a host name the override cannot resolve.
    pub async fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let url = self.inner.endpoints.s3.clone();
        self.client(&self.inner.s3, region, |sdk, region| {
            let overridden = url.is_some() || sdk.endpoint_url().is_some();
            let mut b = aws_sdk_s3::config::Builder::from(sdk)
                .retry_partition(retry_partition("s3", &region))
                .region(region)
                .force_path_style(overridden);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        })
        .await
    }

    /// The Secrets Manager client for a region (`platform_secret`, cache auth tokens).
    pub async fn secretsmanager(&self, region: &str) -> aws_sdk_secretsmanager::Client {
        let url = self.inner.endpoints.secretsmanager.clone();
        self.client(&self.inner.secretsmanager, region, |sdk, region| {
            let mut b = aws_sdk_secretsmanager::config::Builder::from(sdk)
                .retry_partition(retry_partition("secretsmanager", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_secretsmanager::Client::from_conf(b.build())
        })
        .await
    }

    /// The ElastiCache client for a region (`platform_cache`).
    pub async fn elasticache(&self, region: &str) -> aws_sdk_elasticache::Client {
        let url = self.inner.endpoints.elasticache.clone();
        self.client(&self.inner.elasticache, region, |sdk, region| {
            let mut b = aws_sdk_elasticache::config::Builder::from(sdk)
                .retry_partition(retry_partition("elasticache", &region))
                .region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_elasticache::Client::from_conf(b.build())
        })
        .await
    }
}

/// The home region of `region`'s partition, where its global services (IAM, Route 53)
/// answer: `us-east-1` for `aws`, `cn-north-1` for `aws-cn`, `us-gov-west-1` for
/// `aws-us-gov`.
fn partition_home(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-north-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else {
        "us-east-1"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_changes_remove_what_is_not_wanted_and_set_what_differs() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let observed = map(&[("keep", "1"), ("stale", "x"), ("moved", "old")]);
        let desired = map(&[("keep", "1"), ("moved", "new"), ("added", "y")]);
        let (stale, changed) = tag_changes(&observed, &desired);
        assert_eq!(stale, ["stale"]);
        assert_eq!(changed, map(&[("added", "y"), ("moved", "new")]));
        assert_eq!(tag_changes(&desired, &desired), (vec![], BTreeMap::new()));
    }
}
