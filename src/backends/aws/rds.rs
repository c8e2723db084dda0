//! RDS for PostgreSQL: DB instances, read replicas (same or another region), parameter
//! groups, final snapshots. Every call quotes the API's own error on failure.

use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::backends::wait::{self, Poll, WaitPolicy};
use crate::config::Secret;
use aws_sdk_rds::Client;
use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_sdk_rds::types::{ApplyMethod, DbInstance, Parameter, Tag};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

/// How the master password is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// RDS generates and rotates it in Secrets Manager.
    Managed,
    /// A write-only value from the configuration; sent once, never stored.
    WriteOnly(Secret),
    /// Replicas inherit the primary's credentials; nothing is sent.
    Inherited,
}

/// What a DB instance should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredInstance {
    /// DB instance identifier.
    pub identifier: String,
    /// Instance class, e.g. `db.t3.medium`.
    pub instance_class: String,
    /// PostgreSQL version, e.g. `16.4`.
    pub engine_version: String,
    /// Allocated storage in GiB.
    pub allocated_storage: i32,
    /// Storage type, `gp3`.
    pub storage_type: String,
    /// Encryption at rest.
    pub storage_encrypted: bool,
    /// Standby in a second AZ.
    pub multi_az: bool,
    /// Automated backup retention in days.
    pub backup_retention: i32,
    /// Refuses DeleteDBInstance while on.
    pub deletion_protection: bool,
    /// Parameter group, when the default one does not do.
    pub parameter_group: Option<String>,
    /// Master user name.
    pub master_username: String,
    /// Master password handling.
    pub password: Password,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// A DB instance as RDS reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedInstance {
    /// DB instance identifier.
    pub identifier: String,
    /// ARN.
    pub arn: String,
    /// `available`, `creating`, `modifying`, …
    pub status: String,
    /// Instance class.
    pub instance_class: String,
    /// Engine version.
    pub engine_version: String,
    /// Allocated storage in GiB.
    pub allocated_storage: i32,
    /// Storage type.
    pub storage_type: String,
    /// Encryption at rest.
    pub storage_encrypted: bool,
    /// Multi-AZ.
    pub multi_az: bool,
    /// Backup retention days.
    pub backup_retention: i32,
    /// Deletion protection.
    pub deletion_protection: bool,
    /// Parameter group names.
    pub parameter_groups: Vec<String>,
    /// Endpoint address, once there is one.
    pub endpoint: Option<String>,
    /// Endpoint port.
    pub port: Option<i32>,
    /// Secrets Manager ARN of a managed master password.
    pub master_user_secret_arn: Option<String>,
    /// The primary this replica follows.
    pub replica_source: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time as `YYYYMMDDTHHMMSSZ`, which makes final snapshot names unique.
    pub created: Option<String>,
}

fn api_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    operation: &'static str,
    err: aws_sdk_rds::error::SdkError<E>,
) -> BackendError {
    super::api_error::api_error("RDS", operation, err)
}

fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn observed(db: &DbInstance) -> ObservedInstance {
    ObservedInstance {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().unwrap_or_default().to_string(),
        status: db.db_instance_status().unwrap_or_default().to_string(),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        engine_version: db.engine_version().unwrap_or_default().to_string(),
        allocated_storage: db.allocated_storage().unwrap_or_default(),
        storage_type: db.storage_type().unwrap_or_default().to_string(),
        storage_encrypted: db.storage_encrypted().unwrap_or_default(),
        multi_az: db.multi_az().unwrap_or_default(),
        backup_retention: db.backup_retention_period().unwrap_or_default(),
        deletion_protection: db.deletion_protection().unwrap_or_default(),
        parameter_groups: db
            .db_parameter_groups()
            .iter()
            .filter_map(|g| g.db_parameter_group_name().map(str::to_string))
            .collect(),
        endpoint: db.endpoint().and_then(|e| e.address()).map(str::to_string),
        port: db.endpoint().and_then(|e| e.port()),
        master_user_secret_arn: db
            .master_user_secret()
            .and_then(|s| s.secret_arn())
            .map(str::to_string),
        replica_source: db
            .read_replica_source_db_instance_identifier()
            .map(str::to_string),
        tags: db
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect(),
        created: db
            .instance_create_time()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
            .map(|t| {
                t.replace(['-', ':'], "")
                    .split('.')
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches('Z')
                    .to_string()
                    + "Z"
            }),
    }
}

/// Waits until the instance is gone (deleted), bounded and cancellable.
pub async fn wait_gone(
    client: &Client,
    identifier: &str,
    cancel: &CancellationToken,
    policy: WaitPolicy,
) -> Result<(), BackendError> {
    let what = format!("DB instance `{identifier}`");
    wait::until(&what, policy, cancel, || async {
        Ok(match find(client, identifier).await? {
            None => Poll::Ready(()),
            Some(db) => Poll::Pending(db.status),
        })
    })
    .await
}

/// True when a DB snapshot of that name exists.
pub async fn snapshot_exists(client: &Client, snapshot: &str) -> Result<bool, BackendError> {
    match client
        .describe_db_snapshots()
        .db_snapshot_identifier(snapshot)
        .send()
        .await
    {
        Ok(out) => Ok(!out.db_snapshots().is_empty()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_snapshot_not_found_fault()) =>
        {
            Ok(false)
        }
        Err(e) => Err(api_error("DescribeDBSnapshots", e)),
    }
}

/// Looks an instance up by identifier; `None` when it does not exist or is being deleted.
pub async fn find(
    client: &Client,
    identifier: &str,
) -> Result<Option<ObservedInstance>, BackendError> {
    match client
        .describe_db_instances()
        .db_instance_identifier(identifier)
        .send()
        .await
    {
        Ok(out) => Ok(out
            .db_instances()
            .iter()
            .map(observed)
            .find(|db| db.identifier == identifier && db.status != "deleting")),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
        {
            Ok(None)
        }
        Err(e) => Err(api_error("DescribeDBInstances", e)),
    }
}

/// The most identifiers one look-up sends in its `db-instance-id` filter (a page of
/// DescribeDBInstances holds up to 100 instances: its MaxRecords).
pub const DESCRIBE_LIMIT: usize = 50;

/// Looks up to [`DESCRIBE_LIMIT`] instances up with one DescribeDBInstances filtered by
/// `db-instance-id` (every page); the answer holds the ones that exist and are not being
/// deleted, by identifier.
pub async fn find_many(
    client: &Client,
    identifiers: &[String],
) -> Result<std::collections::HashMap<String, ObservedInstance>, BackendError> {
    let filter = aws_sdk_rds::types::Filter::builder()
        .name("db-instance-id")
        .set_values(Some(identifiers.to_vec()))
        .build();
    let mut found = std::collections::HashMap::new();
    let mut marker = None;
    loop {
        let out = client
            .describe_db_instances()
            .filters(filter.clone())
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| api_error("DescribeDBInstances", e))?;
        for db in out.db_instances().iter().map(observed) {
            if db.status != "deleting" && identifiers.contains(&db.identifier) {
                found.insert(db.identifier.clone(), db);
            }
        }
        marker = out.marker().map(str::to_string);
        if marker.is_none() {
            return Ok(found);
        }
    }
}

/// Waits until the instance is `available` (bounded, cancellable).
pub async fn wait_available(
    client: &Client,
    identifier: &str,
    cancel: &CancellationToken,
    policy: WaitPolicy,
) -> Result<ObservedInstance, BackendError> {
    let what = format!("DB instance `{identifier}`");
    wait::until(&what, policy, cancel, || async {
        Ok(match find(client, identifier).await? {
            None => Poll::Pending("not visible yet".into()),
            Some(db) => match db.status.as_str() {
                "available" => Poll::Ready(db),
                "failed"
                | "incompatible-parameters"
                | "incompatible-restore"
                | "storage-full"
                | "inaccessible-encryption-credentials" => Poll::Failed(db.status),
                _ => Poll::Pending(db.status),
            },
        })
    })
    .await
}

/// Creates the primary instance (carrying the creating marker while `owner` is creating);
/// an instance of the same name that `owner` may take over (an unfinished create's) is
/// adopted, any other is refused and left untouched.
pub async fn create(
    client: &Client,
    desired: &DesiredInstance,
    owner: Owner<'_>,
) -> Result<ObservedInstance, BackendError> {
    let existing = find(client, &desired.identifier).await?;
    create_given(client, desired, owner, existing).await
}

/// [`create`] for a caller that has just looked the instance up (`existing`).
pub async fn create_given(
    client: &Client,
    desired: &DesiredInstance,
    owner: Owner<'_>,
    existing: Option<ObservedInstance>,
) -> Result<ObservedInstance, BackendError> {
    if let Some(existing) = existing {
        adopt_check(&existing, owner)?;
        tracing::info!(identifier = %desired.identifier, "adopting the DB instance of this database's create");
        return Ok(existing);
    }
    let mut req = client
        .create_db_instance()
        .db_instance_identifier(&desired.identifier)
        .engine("postgres")
        .engine_version(&desired.engine_version)
        .db_instance_class(&desired.instance_class)
        .allocated_storage(desired.allocated_storage)
        .storage_type(&desired.storage_type)
        .storage_encrypted(desired.storage_encrypted)
        .multi_az(desired.multi_az)
        .backup_retention_period(desired.backup_retention)
        .deletion_protection(desired.deletion_protection)
        .copy_tags_to_snapshot(true)
        .master_username(&desired.master_username)
        .set_db_parameter_group_name(desired.parameter_group.clone())
        .set_tags(Some(tags(&owner.tags(&desired.tags))));
    req = match &desired.password {
        Password::Managed => req.manage_master_user_password(true),
        Password::WriteOnly(p) => req.master_user_password(p.expose()),
        Password::Inherited => req,
    };
    let out = req
        .send()
        .await
        .map_err(|e| api_error("CreateDBInstance", e))?;
    Ok(out.db_instance().map(observed).unwrap_or_default())
}

/// Refuses an existing instance that `owner` may not take over.
pub fn adopt_check(existing: &ObservedInstance, owner: Owner<'_>) -> Result<(), BackendError> {
    owner.check(
        || match &existing.replica_source {
            Some(_) => format!("The RDS read replica `{}`", existing.identifier),
            None => format!("The RDS instance `{}`", existing.identifier),
        },
        &existing.tags,
    )
}

/// Creates a read replica of `source` (an identifier in the same region, an ARN across
/// regions), carrying the creating marker while `owner` is creating. Replicas are created
/// without a master password, as AWS requires.
pub async fn create_replica(
    client: &Client,
    source: &str,
    desired: &DesiredInstance,
    owner: Owner<'_>,
) -> Result<ObservedInstance, BackendError> {
    if let Some(existing) = find(client, &desired.identifier).await? {
        adopt_check(&existing, owner)?;
        return Ok(existing);
    }
    let out = client
        .create_db_instance_read_replica()
        .db_instance_identifier(&desired.identifier)
        .source_db_instance_identifier(source)
        .db_instance_class(&desired.instance_class)
        .storage_type(&desired.storage_type)
        .multi_az(desired.multi_az)
        .deletion_protection(desired.deletion_protection)
        .copy_tags_to_snapshot(true)
        .set_tags(Some(tags(&owner.tags(&desired.tags))))
        .send()
        .await
        .map_err(|e| api_error("CreateDBInstanceReadReplica", e))?;
    Ok(out.db_instance().map(observed).unwrap_or_default())
}

/// Marks an RDS resource's create as finished (removes the creating marker), by ARN.
pub async fn finish(
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
        .map_err(|e| api_error("RemoveTagsFromResource", e))?;
    Ok(())
}

/// Brings an instance to the desired settings with one ModifyDBInstance (applied
/// immediately) holding only what differs, then fixes tags. A new write-only password is
/// sent only when its version changed.
pub async fn modify(
    client: &Client,
    current: &ObservedInstance,
    desired: &DesiredInstance,
    rotate_password: Option<&Secret>,
) -> Result<(), BackendError> {
    let mut req = client
        .modify_db_instance()
        .db_instance_identifier(&desired.identifier)
        .apply_immediately(true);
    let mut any = false;
    if current.instance_class != desired.instance_class {
        req = req.db_instance_class(&desired.instance_class);
        any = true;
    }
    if current.allocated_storage != desired.allocated_storage {
        req = req.allocated_storage(desired.allocated_storage);
        any = true;
    }
    if current.storage_type != desired.storage_type {
        req = req.storage_type(&desired.storage_type);
        any = true;
    }
    if current.multi_az != desired.multi_az && current.replica_source.is_none() {
        req = req.multi_az(desired.multi_az);
        any = true;
    }
    if current.backup_retention != desired.backup_retention && current.replica_source.is_none() {
        req = req.backup_retention_period(desired.backup_retention);
        any = true;
    }
    if current.deletion_protection != desired.deletion_protection {
        req = req.deletion_protection(desired.deletion_protection);
        any = true;
    }
    if current.engine_version != desired.engine_version && current.replica_source.is_none() {
        let major = |v: &str| v.split('.').next().unwrap_or_default().to_string();
        req = req
            .engine_version(&desired.engine_version)
            .allow_major_version_upgrade(
                major(&current.engine_version) != major(&desired.engine_version),
            );
        any = true;
    }
    if let Some(group) = &desired.parameter_group
        && !current.parameter_groups.contains(group)
    {
        req = req.db_parameter_group_name(group);
        any = true;
    }
    if let Some(p) = rotate_password {
        req = req.master_user_password(p.expose());
        any = true;
    }
    if any {
        req.send()
            .await
            .map_err(|e| api_error("ModifyDBInstance", e))?;
    }
    sync_tags(client, current, &desired.tags).await
}

async fn sync_tags(
    client: &Client,
    current: &ObservedInstance,
    desired: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let (stale, changed) = super::tag_changes(&current.tags, desired);
    if !stale.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(&current.arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error("RemoveTagsFromResource", e))?;
    }
    if !changed.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(&current.arn)
            .set_tags(Some(tags(&changed)))
            .send()
            .await
            .map_err(|e| api_error("AddTagsToResource", e))?;
    }
    Ok(())
}

/// Deletes an instance, with a final snapshot when one is named. Already gone counts as deleted.
pub async fn delete(
    client: &Client,
    identifier: &str,
    final_snapshot: Option<&str>,
) -> Result<(), BackendError> {
    let req = client
        .delete_db_instance()
        .db_instance_identifier(identifier)
        .delete_automated_backups(false);
    let req = match final_snapshot {
        Some(s) => req
            .skip_final_snapshot(false)
            .final_db_snapshot_identifier(s),
        None => req.skip_final_snapshot(true),
    };
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_instance_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e) => Err(api_error("DeleteDBInstance", e)),
    }
}

/// A parameter group as RDS reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedParameterGroup {
    /// ARN.
    pub arn: String,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// Looks a parameter group up by name, with its tags; `None` when it does not exist.
pub async fn find_parameter_group(
    client: &Client,
    name: &str,
) -> Result<Option<ObservedParameterGroup>, BackendError> {
    let arn = match client
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(out) => match out.db_parameter_groups().first() {
            Some(g) => g.db_parameter_group_arn().unwrap_or_default().to_string(),
            None => return Ok(None),
        },
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(api_error("DescribeDBParameterGroups", e)),
    };
    let tags = if arn.is_empty() {
        BTreeMap::new()
    } else {
        client
            .list_tags_for_resource()
            .resource_name(&arn)
            .send()
            .await
            .map_err(|e| api_error("ListTagsForResource", e))?
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect()
    };
    Ok(Some(ObservedParameterGroup { arn, tags }))
}

/// Creates (or updates) a parameter group with the given parameters. One that exists is
/// changed only when `owner` may take it over; any other is refused and left untouched.
pub async fn ensure_parameter_group(
    client: &Client,
    name: &str,
    family: &str,
    parameters: &BTreeMap<String, String>,
    tags_map: &BTreeMap<String, String>,
    owner: Owner<'_>,
) -> Result<ObservedParameterGroup, BackendError> {
    let existing = find_parameter_group(client, name).await?;
    if let Some(g) = &existing {
        owner.check(|| format!("The RDS parameter group `{name}`"), &g.tags)?;
    } else {
        client
            .create_db_parameter_group()
            .db_parameter_group_name(name)
            .db_parameter_group_family(family)
            .description(format!(
                "Managed by terraform-provider-platform for `{name}`"
            ))
            .set_tags(Some(tags(&owner.tags(tags_map))))
            .send()
            .await
            .map_err(|e| api_error("CreateDBParameterGroup", e))?;
    }
    if !parameters.is_empty() {
        client
            .modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(
                parameters
                    .iter()
                    .map(|(k, v)| {
                        Parameter::builder()
                            .parameter_name(k)
                            .parameter_value(v)
                            .apply_method(ApplyMethod::PendingReboot)
                            .build()
                    })
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| api_error("ModifyDBParameterGroup", e))?;
    }
    match existing {
        Some(g) => Ok(g),
        None => Ok(find_parameter_group(client, name)
            .await?
            .unwrap_or_default()),
    }
}

/// Deletes a parameter group; already gone counts as deleted.
pub async fn delete_parameter_group(client: &Client, name: &str) -> Result<(), BackendError> {
    match client
        .delete_db_parameter_group()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_db_parameter_group_not_found_fault()) =>
        {
            Ok(())
        }
        Err(e) => Err(api_error("DeleteDBParameterGroup", e)),
    }
}
