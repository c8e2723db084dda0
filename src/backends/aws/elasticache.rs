//! ElastiCache for `platform_cache`: the cache subnet group, the cache parameter group and
//! the Redis / Valkey replication group (cluster mode disabled: one shard, a primary and
//! its replicas), each with find / create (adopting only an unfinished create of ours) /
//! update / delete, and the waits a replication group needs.
//!
//! Ownership: subnet groups and replication groups take tags and carry the creating marker
//! like every other child ([`Owner::tags`], removed by [`finish_subnet_group`] and
//! [`finish_replication_group`]). Parameter groups take no tags in our design; their owner
//! tags live in the Description, written and read by the scheduler backend's
//! [`description`] / [`tags_of`]. ModifyCacheParameterGroup cannot change a Description
//! (it takes only parameter names and values), so a marker written there could never be
//! removed: a parameter group's description never carries it. A parameter group is
//! therefore made as a child *after* an anchor ([`Owner::after_anchor`]): the caller passes
//! the owner it got for the children after its anchor, and a retried create adopts the
//! group by name when the anchor was found unfinished.
//!
//! Replication groups are always created with encryption in transit and at rest and an
//! AUTH token; the token is sent once and never logged, stored or quoted in an error.

use super::api_error::{api_error, is_error};
use super::scheduler::{description, tags_of};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::backends::wait::{self, Poll, WaitPolicy};
use crate::config::Secret;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, MultiAzStatus, ParameterNameValue, ReplicationGroup, Tag,
};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SERVICE: &str = "ElastiCache";

/// The most parameters one ModifyCacheParameterGroup (or ResetCacheParameterGroup) takes.
pub const PARAMETERS_PER_CALL: usize = 20;

/// Replication group transitions: creating a Multi-AZ group, a node type change or a
/// deletion each take 10–30 minutes.
pub const WAIT: WaitPolicy = WaitPolicy {
    initial: Duration::from_secs(5),
    max_interval: Duration::from_secs(30),
    timeout: Duration::from_secs(60 * 60),
};

/// A new AUTH token: 64 letters and digits, within ElastiCache's rules (16–128 printable
/// characters, none of `/`, `"`, `@` or space).
pub fn auth_token() -> Result<Secret, BackendError> {
    super::secrets::random_value(64, false)
}

fn tag_list(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of a resource by ARN (ListTagsForResource); none for an empty ARN.
async fn tags_of_arn(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, BackendError> {
    if arn.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ListTagsForResource", e))?
        .tag_list()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// Brings a resource's tags from `observed` to `desired` (RemoveTagsFromResource for the
/// stale keys, AddTagsToResource for the changed ones).
async fn sync_tags(
    client: &Client,
    arn: &str,
    observed: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let (stale, changed) = super::tag_changes(observed, desired);
    if !stale.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "RemoveTagsFromResource", e))?;
    }
    if !changed.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tag_list(&changed)))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "AddTagsToResource", e))?;
    }
    Ok(())
}

/// Removes the creating marker from a resource's tags, by ARN; nothing when it has none.
async fn remove_marker(
    client: &Client,
    arn: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    if !ownership::is_creating(tags) || arn.is_empty() {
        return Ok(());
    }
    client
        .remove_tags_from_resource()
        .resource_name(arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "RemoveTagsFromResource", e))?;
    Ok(())
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

// ------------------------------------------------------------------------- subnet groups

/// What a cache subnet group should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredSubnetGroup {
    /// Subnet group name (at most 255 characters; ElastiCache stores it lowercase).
    pub name: String,
    /// Description (set at create; ModifyCacheSubnetGroup changes it when subnets change).
    pub description: String,
    /// The subnets the cache nodes may be placed in.
    pub subnet_ids: Vec<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// A cache subnet group as ElastiCache reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedSubnetGroup {
    /// Subnet group name.
    pub name: String,
    /// ARN.
    pub arn: String,
    /// Its subnets.
    pub subnet_ids: Vec<String>,
    /// Tags (ListTagsForResource).
    pub tags: BTreeMap<String, String>,
}

/// Looks a subnet group up by name, with its tags; `None` when it does not exist.
pub async fn find_subnet_group(
    client: &Client,
    name: &str,
) -> Result<Option<ObservedSubnetGroup>, BackendError> {
    let out = match client
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_subnet_group_not_found_fault()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(api_error(SERVICE, "DescribeCacheSubnetGroups", e)),
    };
    let Some(group) = out.cache_subnet_groups().iter().find(|g| {
        g.cache_subnet_group_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) else {
        return Ok(None);
    };
    let arn = group.arn().unwrap_or_default().to_string();
    Ok(Some(ObservedSubnetGroup {
        name: group.cache_subnet_group_name().unwrap_or(name).to_string(),
        subnet_ids: group
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect(),
        tags: tags_of_arn(client, &arn).await?,
        arn,
    }))
}

/// Creates the subnet group (carrying the creating marker while `owner` is creating); one
/// found under its name that `owner` may take over is brought to `desired`, any other is
/// refused and left as it is.
pub async fn create_subnet_group(
    client: &Client,
    desired: &DesiredSubnetGroup,
    owner: Owner<'_>,
) -> Result<ObservedSubnetGroup, BackendError> {
    let desired = &DesiredSubnetGroup {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = find_subnet_group(client, &desired.name).await? {
        owner.check(
            || format!("The ElastiCache subnet group `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(subnet_group = %desired.name, "adopting the cache subnet group of this cache's create");
        return update_subnet_group(client, &existing, desired).await;
    }
    let out = client
        .create_cache_subnet_group()
        .cache_subnet_group_name(&desired.name)
        .cache_subnet_group_description(&desired.description)
        .set_subnet_ids(Some(desired.subnet_ids.clone()))
        .set_tags(Some(tag_list(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateCacheSubnetGroup", e))?;
    Ok(ObservedSubnetGroup {
        name: desired.name.clone(),
        arn: out
            .cache_subnet_group()
            .and_then(|g| g.arn())
            .unwrap_or_default()
            .to_string(),
        subnet_ids: desired.subnet_ids.clone(),
        tags: desired.tags.clone(),
    })
}

/// Brings the subnet group to `desired`: ModifyCacheSubnetGroup when the subnets differ (in
/// any order), then the tags.
pub async fn update_subnet_group(
    client: &Client,
    observed: &ObservedSubnetGroup,
    desired: &DesiredSubnetGroup,
) -> Result<ObservedSubnetGroup, BackendError> {
    if sorted(&observed.subnet_ids) != sorted(&desired.subnet_ids) {
        client
            .modify_cache_subnet_group()
            .cache_subnet_group_name(&observed.name)
            .cache_subnet_group_description(&desired.description)
            .set_subnet_ids(Some(desired.subnet_ids.clone()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ModifyCacheSubnetGroup", e))?;
    }
    sync_tags(client, &observed.arn, &observed.tags, &desired.tags).await?;
    Ok(ObservedSubnetGroup {
        subnet_ids: desired.subnet_ids.clone(),
        tags: desired.tags.clone(),
        ..observed.clone()
    })
}

/// Marks the subnet group's create as finished (removes the creating marker).
pub async fn finish_subnet_group(
    client: &Client,
    observed: &ObservedSubnetGroup,
) -> Result<(), BackendError> {
    remove_marker(client, &observed.arn, &observed.tags).await
}

/// Deletes the subnet group; one already gone counts as deleted. One still used by a
/// replication group is refused.
pub async fn delete_subnet_group(client: &Client, name: &str) -> Result<(), BackendError> {
    match client
        .delete_cache_subnet_group()
        .cache_subnet_group_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_subnet_group_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_subnet_group_in_use()) =>
        {
            Err(BackendError::Refused(format!(
                "The ElastiCache subnet group `{name}` is still used by a replication group; delete the replication group first."
            )))
        }
        Err(e) => Err(api_error(SERVICE, "DeleteCacheSubnetGroup", e)),
    }
}

// ---------------------------------------------------------------------- parameter groups

/// What a cache parameter group should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredParameterGroup {
    /// Parameter group name.
    pub name: String,
    /// Family, e.g. `redis7`, `valkey8`; fixed at create.
    pub family: String,
    /// The parameters set on it (everything else keeps the family's default).
    pub parameters: BTreeMap<String, String>,
    /// The resource's tags; the owner tags go into the description.
    pub tags: BTreeMap<String, String>,
}

/// A cache parameter group as ElastiCache reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedParameterGroup {
    /// Parameter group name.
    pub name: String,
    /// Family.
    pub family: String,
    /// The parameters set on it (DescribeCacheParameters `Source=user`).
    pub parameters: BTreeMap<String, String>,
    /// The owner tags read from the description; empty for a stranger's.
    pub tags: BTreeMap<String, String>,
}

/// The description tags of a parameter group: `tags` without the creating marker (see the
/// module docs).
fn described(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags = tags.clone();
    tags.remove(ownership::TAG_LIFECYCLE);
    tags
}

/// Looks a parameter group up by name, with the parameters set on it; `None` when it does
/// not exist.
pub async fn find_parameter_group(
    client: &Client,
    name: &str,
) -> Result<Option<ObservedParameterGroup>, BackendError> {
    let out = match client
        .describe_cache_parameter_groups()
        .cache_parameter_group_name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_parameter_group_not_found_fault()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(api_error(SERVICE, "DescribeCacheParameterGroups", e)),
    };
    let Some(group) = out.cache_parameter_groups().iter().find(|g| {
        g.cache_parameter_group_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    }) else {
        return Ok(None);
    };
    let mut parameters = BTreeMap::new();
    let mut marker = None;
    loop {
        let page = client
            .describe_cache_parameters()
            .cache_parameter_group_name(name)
            .source("user")
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeCacheParameters", e))?;
        for p in page.parameters() {
            if let (Some(k), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                parameters.insert(k.to_string(), v.to_string());
            }
        }
        marker = page.marker().map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(Some(ObservedParameterGroup {
        name: name.to_string(),
        family: group
            .cache_parameter_group_family()
            .unwrap_or_default()
            .to_string(),
        parameters,
        tags: tags_of(group.description().unwrap_or_default()),
    }))
}

/// Creates the parameter group and sets its parameters; one found under its name that
/// `owner` may take over (judged by the tags in its description) is brought to `desired`
/// unless its family differs (a family cannot change: refused), any other is refused and
/// left as it is. `owner` is the owner of the children after the anchor (module docs).
pub async fn create_parameter_group(
    client: &Client,
    desired: &DesiredParameterGroup,
    owner: Owner<'_>,
) -> Result<ObservedParameterGroup, BackendError> {
    let tags = described(&desired.tags);
    if let Some(existing) = find_parameter_group(client, &desired.name).await? {
        owner.check(
            || format!("The ElastiCache parameter group `{}`", desired.name),
            &existing.tags,
        )?;
        if existing.family != desired.family {
            return Err(BackendError::Refused(format!(
                "The ElastiCache parameter group `{}` is of family `{}`, not `{}`, and a family cannot change; delete it or choose another engine version.",
                desired.name, existing.family, desired.family
            )));
        }
        tracing::info!(parameter_group = %desired.name, "adopting the cache parameter group of this cache's create");
        return update_parameter_group(client, &existing, desired).await;
    }
    client
        .create_cache_parameter_group()
        .cache_parameter_group_name(&desired.name)
        .cache_parameter_group_family(&desired.family)
        .description(description(&tags))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateCacheParameterGroup", e))?;
    let created = ObservedParameterGroup {
        name: desired.name.clone(),
        family: desired.family.clone(),
        parameters: BTreeMap::new(),
        tags: tags_of(&description(&tags)),
    };
    update_parameter_group(client, &created, desired).await
}

/// Sets the parameters that differ (ModifyCacheParameterGroup, at most
/// [`PARAMETERS_PER_CALL`] a call) and returns the ones no longer desired to their defaults
/// (ResetCacheParameterGroup). The description, and with it the owner tags, cannot change.
pub async fn update_parameter_group(
    client: &Client,
    observed: &ObservedParameterGroup,
    desired: &DesiredParameterGroup,
) -> Result<ObservedParameterGroup, BackendError> {
    let changed: Vec<ParameterNameValue> = desired
        .parameters
        .iter()
        .filter(|(k, v)| observed.parameters.get(*k) != Some(*v))
        .map(|(k, v)| {
            ParameterNameValue::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    for chunk in changed.chunks(PARAMETERS_PER_CALL) {
        client
            .modify_cache_parameter_group()
            .cache_parameter_group_name(&observed.name)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ModifyCacheParameterGroup", e))?;
    }
    let stale: Vec<ParameterNameValue> = observed
        .parameters
        .keys()
        .filter(|k| !desired.parameters.contains_key(*k))
        .map(|k| ParameterNameValue::builder().parameter_name(k).build())
        .collect();
    for chunk in stale.chunks(PARAMETERS_PER_CALL) {
        client
            .reset_cache_parameter_group()
            .cache_parameter_group_name(&observed.name)
            .reset_all_parameters(false)
            .set_parameter_name_values(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ResetCacheParameterGroup", e))?;
    }
    Ok(ObservedParameterGroup {
        parameters: desired.parameters.clone(),
        ..observed.clone()
    })
}

/// Deletes the parameter group; one already gone counts as deleted. One still used by a
/// replication group is refused.
pub async fn delete_parameter_group(client: &Client, name: &str) -> Result<(), BackendError> {
    match client
        .delete_cache_parameter_group()
        .cache_parameter_group_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_parameter_group_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_invalid_cache_parameter_group_state_fault()) =>
        {
            Err(BackendError::Refused(format!(
                "The ElastiCache parameter group `{name}` cannot be deleted now (it is still used by a replication group); delete or move the replication group first."
            )))
        }
        Err(e) => Err(api_error(SERVICE, "DeleteCacheParameterGroup", e)),
    }
}

// -------------------------------------------------------------------- replication groups

/// What a replication group should look like (cluster mode disabled: one shard).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredReplicationGroup {
    /// Replication group id (at most 40 characters, lowercase).
    pub id: String,
    /// Description.
    pub description: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// Engine version, e.g. `7.1`; `None` takes the engine's default at create.
    pub engine_version: Option<String>,
    /// Node type, e.g. `cache.t4g.small`.
    pub node_type: String,
    /// Replicas besides the primary (`NumCacheClusters` = 1 + replicas).
    pub replicas: i32,
    /// Multi-AZ with automatic failover; needs at least one replica.
    pub multi_az: bool,
    /// Daily snapshots kept, 0 for none.
    pub snapshot_retention_days: i32,
    /// The cache subnet group.
    pub subnet_group: String,
    /// The VPC security groups of the nodes.
    pub security_group_ids: Vec<String>,
    /// The cache parameter group; `None` is the family's default.
    pub parameter_group: Option<String>,
    /// Port, 6379.
    pub port: i32,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

impl DesiredReplicationGroup {
    /// Whether Multi-AZ and automatic failover are on: asked for, with a replica to fail
    /// over to.
    fn failover(&self) -> bool {
        self.multi_az && self.replicas >= 1
    }
}

/// A replication group as ElastiCache reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedReplicationGroup {
    /// Replication group id.
    pub id: String,
    /// ARN.
    pub arn: String,
    /// `creating`, `available`, `modifying`, `deleting`, `create-failed`, `snapshotting`.
    pub status: String,
    /// Description.
    pub description: String,
    /// Engine, when reported.
    pub engine: Option<String>,
    /// Node type, when reported.
    pub node_type: Option<String>,
    /// The member cache clusters (primary first, as reported).
    pub member_clusters: Vec<String>,
    /// Nodes: the primary and its replicas.
    pub members: usize,
    /// Multi-AZ enabled.
    pub multi_az: bool,
    /// Automatic failover enabled.
    pub automatic_failover: bool,
    /// Daily snapshots kept.
    pub snapshot_retention_days: i32,
    /// Encryption in transit.
    pub transit_encryption: bool,
    /// Encryption at rest.
    pub at_rest_encryption: bool,
    /// AUTH token required.
    pub auth_token_enabled: bool,
    /// The primary endpoint (address, port), once there is one.
    pub primary_endpoint: Option<(String, i32)>,
    /// The reader endpoint (address, port), once there is one.
    pub reader_endpoint: Option<(String, i32)>,
    /// Tags (ListTagsForResource).
    pub tags: BTreeMap<String, String>,
}

fn observed_group(g: &ReplicationGroup) -> ObservedReplicationGroup {
    let shard = g.node_groups().first();
    let endpoint = |e: Option<&aws_sdk_elasticache::types::Endpoint>| {
        e.and_then(|e| Some((e.address()?.to_string(), e.port().unwrap_or_default())))
    };
    ObservedReplicationGroup {
        id: g.replication_group_id().unwrap_or_default().to_string(),
        arn: g.arn().unwrap_or_default().to_string(),
        status: g.status().unwrap_or_default().to_string(),
        description: g.description().unwrap_or_default().to_string(),
        engine: g.engine().map(str::to_string),
        node_type: g.cache_node_type().map(str::to_string),
        member_clusters: g.member_clusters().to_vec(),
        members: g.member_clusters().len(),
        multi_az: g.multi_az() == Some(&MultiAzStatus::Enabled),
        automatic_failover: matches!(
            g.automatic_failover(),
            Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
        ),
        snapshot_retention_days: g.snapshot_retention_limit().unwrap_or_default(),
        transit_encryption: g.transit_encryption_enabled().unwrap_or_default(),
        at_rest_encryption: g.at_rest_encryption_enabled().unwrap_or_default(),
        auth_token_enabled: g.auth_token_enabled().unwrap_or_default(),
        primary_endpoint: endpoint(shard.and_then(|s| s.primary_endpoint())),
        reader_endpoint: endpoint(shard.and_then(|s| s.reader_endpoint())),
        tags: BTreeMap::new(),
    }
}

/// The group as described, `deleting` included; `None` when ElastiCache knows none.
async fn describe_replication_group(
    client: &Client,
    id: &str,
) -> Result<Option<ObservedReplicationGroup>, BackendError> {
    let out = match client
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(api_error(SERVICE, "DescribeReplicationGroups", e)),
    };
    Ok(out
        .replication_groups()
        .iter()
        .map(observed_group)
        .find(|g| g.id == id))
}

/// Looks a replication group up by id, with its tags; `None` when it does not exist or is
/// being deleted (a group in `deleting` is on its way out: nothing may be changed on it,
/// and the id is free once it is gone).
pub async fn find_replication_group(
    client: &Client,
    id: &str,
) -> Result<Option<ObservedReplicationGroup>, BackendError> {
    match describe_replication_group(client, id).await? {
        Some(g) if g.status != "deleting" => {
            let tags = tags_of_arn(client, &g.arn).await?;
            Ok(Some(ObservedReplicationGroup { tags, ..g }))
        }
        _ => Ok(None),
    }
}

/// Creates the replication group with encryption in transit and at rest and `auth_token`
/// (carrying the creating marker while `owner` is creating); one found under its id that
/// `owner` may take over is brought to `desired`, any other is refused and left as it is.
/// Does not wait: see [`wait_available`].
pub async fn create_replication_group(
    client: &Client,
    desired: &DesiredReplicationGroup,
    auth_token: &Secret,
    owner: Owner<'_>,
) -> Result<ObservedReplicationGroup, BackendError> {
    let desired = &DesiredReplicationGroup {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = find_replication_group(client, &desired.id).await? {
        owner.check(
            || format!("The ElastiCache replication group `{}`", desired.id),
            &existing.tags,
        )?;
        tracing::info!(replication_group = %desired.id, "adopting the replication group of this cache's create");
        return update_replication_group(client, &existing, desired).await;
    }
    let failover = desired.failover();
    let out = client
        .create_replication_group()
        .replication_group_id(&desired.id)
        .replication_group_description(&desired.description)
        .engine(&desired.engine)
        .set_engine_version(desired.engine_version.clone())
        .cache_node_type(&desired.node_type)
        .num_cache_clusters(1 + desired.replicas)
        .multi_az_enabled(failover)
        .automatic_failover_enabled(failover)
        .snapshot_retention_limit(desired.snapshot_retention_days)
        .cache_subnet_group_name(&desired.subnet_group)
        .set_security_group_ids(Some(desired.security_group_ids.clone()))
        .set_cache_parameter_group_name(desired.parameter_group.clone())
        .port(desired.port)
        .transit_encryption_enabled(true)
        .at_rest_encryption_enabled(true)
        .auth_token(auth_token.expose())
        .set_tags(Some(tag_list(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateReplicationGroup", e))?;
    let mut created = out
        .replication_group()
        .map(observed_group)
        .unwrap_or_default();
    created.tags = desired.tags.clone();
    Ok(created)
}

/// The parameter group and security groups of the group's primary, from
/// DescribeCacheClusters (the replication group does not report them); `None` for what
/// cannot be read (no member, a member not described).
async fn member_settings(
    client: &Client,
    observed: &ObservedReplicationGroup,
) -> Result<(Option<String>, Option<Vec<String>>), BackendError> {
    let Some(primary) = observed.member_clusters.first() else {
        return Ok((None, None));
    };
    let out = match client
        .describe_cache_clusters()
        .cache_cluster_id(primary)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_cache_cluster_not_found_fault()) =>
        {
            return Ok((None, None));
        }
        Err(e) => return Err(api_error(SERVICE, "DescribeCacheClusters", e)),
    };
    let Some(cluster) = out.cache_clusters().first() else {
        return Ok((None, None));
    };
    Ok((
        cluster
            .cache_parameter_group()
            .and_then(|p| p.cache_parameter_group_name())
            .map(str::to_string),
        Some(
            cluster
                .security_groups()
                .iter()
                .filter_map(|s| s.security_group_id().map(str::to_string))
                .collect(),
        ),
    ))
}

/// Brings the replication group to `desired` with one ModifyReplicationGroup applied
/// immediately, holding only what differs (node type, snapshot retention, description,
/// Multi-AZ and failover, parameter group, security groups; the last two are read from
/// the primary and sent when they cannot be read), then the tags. A different replica
/// count is refused: it takes IncreaseReplicaCount / DecreaseReplicaCount, which moto
/// does not emulate and this backend does not call yet.
pub async fn update_replication_group(
    client: &Client,
    observed: &ObservedReplicationGroup,
    desired: &DesiredReplicationGroup,
) -> Result<ObservedReplicationGroup, BackendError> {
    let wanted_members = usize::try_from(1 + desired.replicas.max(0)).unwrap_or(1);
    if observed.members != 0 && observed.members != wanted_members {
        return Err(BackendError::Refused(format!(
            "The ElastiCache replication group `{}` has {} node(s) and the configuration asks for {wanted_members} ({} replica(s)); changing the replica count in place is not supported yet. Keep `replicas` at {}, or replace the cache.",
            desired.id,
            observed.members,
            desired.replicas,
            observed.members.saturating_sub(1)
        )));
    }
    let mut req = client
        .modify_replication_group()
        .replication_group_id(&desired.id)
        .apply_immediately(true);
    let mut changed: Vec<&str> = Vec::new();
    if observed.node_type.as_deref() != Some(desired.node_type.as_str()) {
        req = req.cache_node_type(&desired.node_type);
        changed.push("node type");
    }
    if observed.snapshot_retention_days != desired.snapshot_retention_days {
        req = req.snapshot_retention_limit(desired.snapshot_retention_days);
        changed.push("snapshot retention");
    }
    if observed.description != desired.description {
        req = req.replication_group_description(&desired.description);
        changed.push("description");
    }
    let failover = desired.failover();
    if observed.multi_az != failover || observed.automatic_failover != failover {
        req = req
            .multi_az_enabled(failover)
            .automatic_failover_enabled(failover);
        changed.push("multi-AZ");
    }
    let (parameter_group, security_groups) = member_settings(client, observed).await?;
    if let Some(group) = &desired.parameter_group
        && parameter_group.as_ref() != Some(group)
    {
        req = req.cache_parameter_group_name(group);
        changed.push("parameter group");
    }
    if security_groups.is_none_or(|s| sorted(&s) != sorted(&desired.security_group_ids)) {
        req = req.set_security_group_ids(Some(desired.security_group_ids.clone()));
        changed.push("security groups");
    }
    let mut updated = observed.clone();
    if !changed.is_empty() {
        tracing::info!(replication_group = %desired.id, changed = ?changed, "modifying the replication group");
        let out = req
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "ModifyReplicationGroup", e))?;
        if let Some(g) = out.replication_group() {
            updated = observed_group(g);
        }
    }
    sync_tags(client, &observed.arn, &observed.tags, &desired.tags).await?;
    updated.tags = desired.tags.clone();
    Ok(updated)
}

/// Marks the replication group's create as finished (removes the creating marker).
pub async fn finish_replication_group(
    client: &Client,
    observed: &ObservedReplicationGroup,
) -> Result<(), BackendError> {
    remove_marker(client, &observed.arn, &observed.tags).await
}

/// Deletes the replication group, with a final snapshot when one is named, and waits
/// (bounded, cancellable) until it is gone, so its subnet and parameter groups can be
/// deleted next. One already gone counts as deleted; one already `deleting` is waited for.
pub async fn delete_replication_group(
    client: &Client,
    id: &str,
    final_snapshot: Option<&str>,
    cancel: &CancellationToken,
) -> Result<(), BackendError> {
    match describe_replication_group(client, id).await? {
        None => return Ok(()),
        Some(g) if g.status == "deleting" => {}
        Some(_) => {
            match client
                .delete_replication_group()
                .replication_group_id(id)
                .set_final_snapshot_identifier(final_snapshot.map(str::to_string))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_replication_group_not_found_fault()) =>
                {
                    return Ok(());
                }
                Err(e) if is_error(&e, "InvalidReplicationGroupState", None) => {
                    return Err(BackendError::Refused(format!(
                        "The ElastiCache replication group `{id}` cannot be deleted in its current state ({}); run `terraform destroy` again once it is `available`.",
                        e.as_service_error()
                            .and_then(
                                |s| aws_sdk_elasticache::error::ProvideErrorMetadata::message(s)
                            )
                            .unwrap_or("no message")
                    )));
                }
                Err(e) => return Err(api_error(SERVICE, "DeleteReplicationGroup", e)),
            }
        }
    }
    let what = format!("ElastiCache replication group `{id}`");
    wait::until(&what, WAIT, cancel, || async {
        Ok(match describe_replication_group(client, id).await? {
            None => Poll::Ready(()),
            Some(g) => Poll::Pending(g.status),
        })
    })
    .await
}

/// Waits (bounded, cancellable) until the replication group is `available`.
pub async fn wait_available(
    client: &Client,
    id: &str,
    cancel: &CancellationToken,
) -> Result<ObservedReplicationGroup, BackendError> {
    let what = format!("ElastiCache replication group `{id}`");
    wait::until(&what, WAIT, cancel, || async {
        Ok(match find_replication_group(client, id).await? {
            None => Poll::Pending("not visible yet".into()),
            Some(g) => match g.status.as_str() {
                "available" => Poll::Ready(g),
                "create-failed" => Poll::Failed(g.status),
                _ => Poll::Pending(g.status),
            },
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_group_descriptions_never_carry_the_creating_marker() {
        let tags: BTreeMap<String, String> = [
            ("platform:environment", "prod"),
            ("platform:component", "cache"),
            (ownership::TAG_LIFECYCLE, ownership::CREATING),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let read = tags_of(&description(&described(&tags)));
        assert!(!ownership::is_creating(&read));
        assert_eq!(
            read.get("platform:environment").map(String::as_str),
            Some("prod")
        );
    }

    #[test]
    fn failover_needs_a_replica() {
        let desired = DesiredReplicationGroup {
            id: "prod-cache".into(),
            description: "d".into(),
            engine: "valkey".into(),
            engine_version: None,
            node_type: "cache.t4g.small".into(),
            replicas: 0,
            multi_az: true,
            snapshot_retention_days: 1,
            subnet_group: "prod-cache".into(),
            security_group_ids: vec![],
            parameter_group: None,
            port: 6379,
            tags: BTreeMap::new(),
        };
        assert!(!desired.failover());
        assert!(
            DesiredReplicationGroup {
                replicas: 1,
                ..desired
            }
            .failover()
        );
    }

    #[test]
    fn auth_tokens_follow_elasticache_rules() {
        let token = auth_token().expect("the generator works");
        let t = token.expose();
        assert!((16..=128).contains(&t.len()));
        assert!(t.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
