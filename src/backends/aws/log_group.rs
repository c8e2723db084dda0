//! CloudWatch Logs groups of Fargate services (`/platform/<environment>/<service>`): find,
//! create with retention and tags (adopting only an unfinished create of ours), finish a
//! create, update, delete.
//!
//! The provider block has no endpoint override for CloudWatch Logs; the SDK's own
//! `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` / `AWS_ENDPOINT_URL` settings apply.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_cloudwatchlogs::Client;
use std::collections::{BTreeMap, HashMap};

const SERVICE: &str = "CloudWatch Logs";

/// The log group of a service.
pub fn name(environment: &str, service: &str) -> String {
    format!("/platform/{environment}/{service}")
}

/// What a log group should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredLogGroup {
    /// Log group name.
    pub name: String,
    /// Days events are kept (one of CloudWatch's allowed values, e.g. 7, 14, 30).
    pub retention_days: i32,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A log group as CloudWatch Logs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedLogGroup {
    /// Log group name.
    pub name: String,
    /// ARN without the trailing `:*`.
    pub arn: String,
    /// Days events are kept; `None` is "never expire".
    pub retention_days: Option<i32>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// Looks a log group up by exact name, with its tags; `None` when it does not exist.
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedLogGroup>, BackendError> {
    let out = client
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeLogGroups", e))?;
    match out
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(name))
    {
        Some(group) => tagged(client, listed(group)).await.map(Some),
        None => Ok(None),
    }
}

/// A log group as DescribeLogGroups lists it: everything but its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedLogGroup {
    /// Log group name.
    pub name: String,
    /// ARN without the trailing `:*`.
    pub arn: String,
    /// Days events are kept; `None` is "never expire".
    pub retention_days: Option<i32>,
}

/// The longest prefix DescribeLogGroups is asked for when groups are looked up together:
/// the name up to its last `/` (`/platform/<environment>/`), so one call lists an
/// environment's groups and nothing else.
pub fn directory(name: &str) -> &str {
    name.rfind('/').map_or(name, |i| &name[..=i])
}

/// Lists the groups named `<prefix>…` (every page) and returns those of `names` that exist.
pub async fn find_many(
    client: &Client,
    prefix: &str,
    names: &[String],
) -> Result<HashMap<String, ListedLogGroup>, BackendError> {
    let mut found = HashMap::new();
    let mut next_token = None;
    loop {
        let out = client
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeLogGroups", e))?;
        for g in out.log_groups() {
            if let Some(name) = g.log_group_name()
                && names.iter().any(|n| n == name)
            {
                found.insert(name.to_string(), listed(g));
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() || found.len() == names.len() {
            return Ok(found);
        }
    }
}

fn listed(group: &aws_sdk_cloudwatchlogs::types::LogGroup) -> ListedLogGroup {
    ListedLogGroup {
        name: group.log_group_name().unwrap_or_default().to_string(),
        arn: group
            .log_group_arn()
            .or(group.arn().map(|a| a.trim_end_matches(":*")))
            .unwrap_or_default()
            .to_string(),
        retention_days: group.retention_in_days(),
    }
}

/// A listed group with its tags (one ListTagsForResource).
pub async fn tagged(
    client: &Client,
    group: ListedLogGroup,
) -> Result<ObservedLogGroup, BackendError> {
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&group.arn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ListTagsForResource", e))?
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(ObservedLogGroup {
        name: group.name,
        arn: group.arn,
        retention_days: group.retention_days,
        tags,
    })
}

/// Creates the log group with its retention, carrying the creating marker while `owner`
/// is creating, or adopts the one an unfinished create of this service left. Any other
/// group of that name is refused and left untouched.
pub async fn create(
    client: &Client,
    desired: &DesiredLogGroup,
    owner: Owner<'_>,
) -> Result<ObservedLogGroup, BackendError> {
    let existing = find(client, &desired.name).await?;
    if let Some(group) = create_given(client, desired, owner, existing).await? {
        return Ok(group);
    }
    find(client, &desired.name)
        .await?
        .ok_or_else(|| BackendError::Api {
            service: SERVICE,
            operation: "DescribeLogGroups",
            message: format!(
                "log group `{}` was created but cannot be found",
                desired.name
            ),
        })
}

/// [`create`] for a caller that has just looked the group up (`existing`): the adopted
/// group, or `None` when it created one (CreateLogGroup does not answer with the ARN:
/// look it up, its tags are `owner.tags(&desired.tags)` and its retention the desired).
pub async fn create_given(
    client: &Client,
    desired: &DesiredLogGroup,
    owner: Owner<'_>,
    existing: Option<ObservedLogGroup>,
) -> Result<Option<ObservedLogGroup>, BackendError> {
    let desired = &DesiredLogGroup {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || format!("The CloudWatch Logs group `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(log_group = %desired.name, "adopting the log group of this service's create");
        return update(client, &existing, desired).await.map(Some);
    }
    client
        .create_log_group()
        .log_group_name(&desired.name)
        .set_tags(Some(desired.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateLogGroup", e))?;
    put_retention(client, desired).await?;
    Ok(None)
}

/// Marks the group's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedLogGroup) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    client
        .untag_resource()
        .resource_arn(&observed.arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    Ok(())
}

/// Brings retention and tags to the desired ones, calling only what differs.
pub async fn update(
    client: &Client,
    observed: &ObservedLogGroup,
    desired: &DesiredLogGroup,
) -> Result<ObservedLogGroup, BackendError> {
    if observed.retention_days != Some(desired.retention_days) {
        put_retention(client, desired).await?;
    }
    let (stale, changed) = super::tag_changes(&observed.tags, &desired.tags);
    if !stale.is_empty() {
        client
            .untag_resource()
            .resource_arn(&observed.arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_resource()
            .resource_arn(&observed.arn)
            .set_tags(Some(changed.into_iter().collect()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "TagResource", e))?;
    }
    Ok(ObservedLogGroup {
        name: observed.name.clone(),
        arn: observed.arn.clone(),
        retention_days: Some(desired.retention_days),
        tags: desired.tags.clone(),
    })
}

/// Deletes the log group and its events; one already gone counts as deleted.
pub async fn delete(client: &Client, name: &str) -> Result<(), BackendError> {
    match client.delete_log_group().log_group_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteLogGroup", e)),
    }
}

async fn put_retention(client: &Client, desired: &DesiredLogGroup) -> Result<(), BackendError> {
    client
        .put_retention_policy()
        .log_group_name(&desired.name)
        .retention_in_days(desired.retention_days)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutRetentionPolicy", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_looked_up_together_by_their_directory() {
        let cases = [
            ("/platform/prod/api", "/platform/prod/"),
            ("/platform/prod/", "/platform/prod/"),
            ("plain", "plain"),
        ];
        for (group, want) in cases {
            assert_eq!(directory(group), want, "{group}");
        }
        assert_eq!(name("prod", "api"), "/platform/prod/api");
    }
}
