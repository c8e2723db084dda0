//! ECS clusters: find by name, create (adopting only an unfinished create of ours), finish
//! a create, update settings, capacity providers and tags, delete.

use super::ecs_tags;
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::types::{
    CapacityProviderStrategyItem, ClusterField, ClusterSetting, ClusterSettingName,
};
use std::collections::BTreeMap;

/// What a cluster should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredCluster {
    /// Cluster name.
    pub name: String,
    /// Container Insights on or off.
    pub container_insights: bool,
    /// Capacity providers associated with the cluster.
    pub capacity_providers: Vec<String>,
    /// The provider tasks use unless they say otherwise.
    pub default_capacity_provider: String,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A cluster as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedCluster {
    /// Cluster name.
    pub name: String,
    /// Cluster ARN.
    pub arn: String,
    /// Container Insights on or off.
    pub container_insights: bool,
    /// Capacity providers associated with the cluster.
    pub capacity_providers: Vec<String>,
    /// First provider of the default strategy, if any.
    pub default_capacity_provider: Option<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

fn api_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &'static str,
    err: aws_sdk_ecs::error::SdkError<E>,
) -> BackendError {
    super::api_error::api_error("ECS", operation, err)
}

fn insights_setting(on: bool) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(if on { "enabled" } else { "disabled" })
        .build()
}

fn strategy(provider: &str) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem::builder()
        .capacity_provider(provider)
        .weight(1)
        .base(0)
        .build()
        .expect("capacity provider and weight are set")
}

/// Looks a cluster up by name; `None` when it does not exist or was deleted (INACTIVE).
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedCluster>, BackendError> {
    let out = client
        .describe_clusters()
        .clusters(name)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .map_err(|e| api_error("DescribeClusters", e))?;
    let Some(c) = out
        .clusters()
        .iter()
        .find(|c| c.cluster_name() == Some(name) && c.status() != Some("INACTIVE"))
    else {
        return Ok(None);
    };
    let container_insights = c.settings().iter().any(|s| {
        s.name() == Some(&ClusterSettingName::ContainerInsights)
            && matches!(s.value(), Some("enabled") | Some("enhanced"))
    });
    Ok(Some(ObservedCluster {
        name: name.to_string(),
        arn: c.cluster_arn().unwrap_or_default().to_string(),
        container_insights,
        capacity_providers: c.capacity_providers().to_vec(),
        default_capacity_provider: c
            .default_capacity_provider_strategy()
            .first()
            .map(|s| s.capacity_provider().to_string()),
        tags: c
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
    }))
}

/// Creates the cluster carrying the creating marker, or adopts the one a crashed create of
/// this environment left (it still carries the marker). Any other cluster of that name —
/// another state's, or a stranger's — is refused and left untouched. Call [`finish`] once
/// the environment's create is complete.
pub async fn create(
    client: &Client,
    desired: &DesiredCluster,
    owner: Owner<'_>,
) -> Result<ObservedCluster, BackendError> {
    let creating = DesiredCluster {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = find(client, &desired.name).await? {
        owner.check(
            || format!("The ECS cluster `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(cluster = %desired.name, "adopting the cluster an unfinished create left");
        return update(client, &existing, &creating).await;
    }
    client
        .create_cluster()
        .cluster_name(&desired.name)
        .settings(insights_setting(desired.container_insights))
        .set_capacity_providers(Some(desired.capacity_providers.clone()))
        .default_capacity_provider_strategy(strategy(&desired.default_capacity_provider))
        .set_tags(Some(ecs_tags::to_list(&creating.tags)))
        .send()
        .await
        .map_err(|e| api_error("CreateCluster", e))?;
    find(client, &desired.name)
        .await?
        .ok_or_else(|| BackendError::Api {
            service: "ECS",
            operation: "DescribeClusters",
            message: format!("cluster `{}` was created but cannot be found", desired.name),
        })
}

/// Marks the cluster's create as finished (removes the creating marker), so that no other
/// state ever adopts it.
pub async fn finish(
    client: &Client,
    mut observed: ObservedCluster,
) -> Result<ObservedCluster, BackendError> {
    ecs_tags::finish(client, &observed.arn, &observed.tags).await?;
    observed.tags.remove(ownership::TAG_LIFECYCLE);
    Ok(observed)
}

/// Brings an existing cluster's settings, capacity providers and tags to the desired ones,
/// calling only the APIs whose part differs.
pub async fn update(
    client: &Client,
    observed: &ObservedCluster,
    desired: &DesiredCluster,
) -> Result<ObservedCluster, BackendError> {
    if observed.container_insights != desired.container_insights {
        client
            .update_cluster()
            .cluster(&desired.name)
            .settings(insights_setting(desired.container_insights))
            .send()
            .await
            .map_err(|e| api_error("UpdateCluster", e))?;
    }
    let mut have = observed.capacity_providers.clone();
    let mut want = desired.capacity_providers.clone();
    have.sort();
    want.sort();
    if have != want
        || observed.default_capacity_provider.as_deref()
            != Some(desired.default_capacity_provider.as_str())
    {
        client
            .put_cluster_capacity_providers()
            .cluster(&desired.name)
            .set_capacity_providers(Some(desired.capacity_providers.clone()))
            .default_capacity_provider_strategy(strategy(&desired.default_capacity_provider))
            .send()
            .await
            .map_err(|e| api_error("PutClusterCapacityProviders", e))?;
    }
    ecs_tags::sync(client, &observed.arn, &observed.tags, &desired.tags).await?;
    find(client, &desired.name)
        .await?
        .ok_or_else(|| BackendError::Api {
            service: "ECS",
            operation: "DescribeClusters",
            message: format!("cluster `{}` disappeared during the update", desired.name),
        })
}

/// Deletes the cluster; one already gone counts as deleted.
pub async fn delete(client: &Client, name: &str) -> Result<(), BackendError> {
    match client.delete_cluster().cluster(name).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .map(|s| s.is_cluster_not_found_exception())
                == Some(true) =>
        {
            Ok(())
        }
        Err(e) => Err(api_error("DeleteCluster", e)),
    }
}
