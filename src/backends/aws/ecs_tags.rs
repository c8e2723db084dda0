//! Tags of ECS resources (services, task definitions): conversion between ECS's tag list
//! and a map, and bringing a resource's tags to the desired set with the fewest calls.

use super::api_error::api_error;
use crate::backends::{BackendError, ownership};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::Tag;
use std::collections::BTreeMap;

/// ECS's tag list for a map.
pub(crate) fn to_list(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// A map for ECS's tag list; tags without a key are dropped.
pub(crate) fn to_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
        .collect()
}

/// Removes the tags `desired` lacks and sets the ones that differ, on one ARN.
pub(crate) async fn sync(
    client: &Client,
    arn: &str,
    observed: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let (stale, changed) = super::tag_changes(observed, desired);
    if !stale.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error("ECS", "UntagResource", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_list(&changed)))
            .send()
            .await
            .map_err(|e| api_error("ECS", "TagResource", e))?;
    }
    Ok(())
}

/// Removes the creating marker from one ARN, if it carries it: its create finished.
pub(crate) async fn finish(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    if !ownership::is_creating(tags) {
        return Ok(());
    }
    client
        .untag_resource()
        .resource_arn(arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error("ECS", "UntagResource", e))?;
    Ok(())
}
