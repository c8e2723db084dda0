//! ECS clusters: find by name, create (adopting one we made earlier), update settings,
//! capacity providers and tags, delete.

use super::ecs_tags;
use crate::backends::BackendError;
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

/// Creates the cluster, or adopts the one a crashed apply already made. A cluster of the
/// same name that this provider did not create is a conflict, not something to take over.
pub async fn create(
    client: &Client,
    desired: &DesiredCluster,
    owner_tag: (&str, &str),
) -> Result<ObservedCluster, BackendError> {
    if let Some(existing) = find(client, &desired.name).await? {
        if existing.tags.get(owner_tag.0).map(String::as_str) != Some(owner_tag.1) {
            return Err(BackendError::Conflict(format!(
                "An ECS cluster named `{}` already exists and was not created by this environment (its `{}` tag is not `{}`). Import it with `terraform import`, or choose another environment name.",
                desired.name, owner_tag.0, owner_tag.1
            )));
        }
        tracing::info!(cluster = %desired.name, "adopting the cluster a previous apply created");
        return update(client, &existing, desired).await;
    }
    client
        .create_cluster()
        .cluster_name(&desired.name)
        .settings(insights_setting(desired.container_insights))
        .set_capacity_providers(Some(desired.capacity_providers.clone()))
        .default_capacity_provider_strategy(strategy(&desired.default_capacity_provider))
        .set_tags(Some(ecs_tags::to_list(&desired.tags)))
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
