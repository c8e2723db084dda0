//! AWS: one SDK configuration from the default chain (credentials, region), endpoint
//! overrides from the provider block, and per-region service clients built once.

pub mod ecs;

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

    /// The ECS client for a region.
    pub async fn ecs(&self, region: &str) -> aws_sdk_ecs::Client {
        if let Some(c) = self.cached_ecs(region) {
            return c;
        }
        let mut builder = aws_sdk_ecs::config::Builder::from(self.sdk().await)
            .region(Region::new(region.to_string()));
        if let Some(url) = &self.inner.endpoints.ecs {
            builder = builder.endpoint_url(url);
        }
        let client = aws_sdk_ecs::Client::from_conf(builder.build());
        self.inner
            .ecs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(region.to_string(), client.clone());
        client
    }

    fn cached_ecs(&self, region: &str) -> Option<aws_sdk_ecs::Client> {
        self.inner
            .ecs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(region)
            .cloned()
    }
}
