//! AWS: one SDK configuration from the default chain (credentials, region), endpoint
//! overrides from the provider block, and per-region service clients built once.

mod api_error;
pub mod autoscaling;
pub mod ecs;
pub mod ecs_service;
mod ecs_tags;
pub mod log_group;
pub mod rds;
pub mod task_definition;

use crate::provider::Endpoints;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Lazily built AWS clients; cheap to clone.
#[derive(Clone, Default)]
pub struct AwsClients {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    region: Option<String>,
    endpoints: Endpoints,
    sdk: OnceCell<SdkConfig>,
    ecs: Mutex<HashMap<String, aws_sdk_ecs::Client>>,
    rds: Mutex<HashMap<String, aws_sdk_rds::Client>>,
    application_autoscaling: Mutex<HashMap<String, aws_sdk_applicationautoscaling::Client>>,
    cloudwatch_logs: Mutex<HashMap<String, aws_sdk_cloudwatchlogs::Client>>,
}

impl std::fmt::Debug for AwsClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClients")
            .field("region", &self.inner.region)
            .finish_non_exhaustive()
    }
}

impl AwsClients {
    /// Clients for a provider block's region and endpoint overrides.
    pub fn new(region: Option<String>, endpoints: Endpoints) -> Self {
        Self {
            inner: Arc::new(Inner {
                region,
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
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(r) = &self.inner.region {
                    loader = loader.region(Region::new(r.clone()));
                }
                loader.load().await
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
            let mut b = aws_sdk_ecs::config::Builder::from(sdk).region(region);
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
            let mut b = aws_sdk_rds::config::Builder::from(sdk).region(region);
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
                let mut b =
                    aws_sdk_applicationautoscaling::config::Builder::from(sdk).region(region);
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
            let mut b = aws_sdk_cloudwatchlogs::config::Builder::from(sdk).region(region);
            if let Some(url) = url {
                b = b.endpoint_url(url);
            }
            aws_sdk_cloudwatchlogs::Client::from_conf(b.build())
        })
        .await
    }
}
