//! S3 buckets of `platform_bucket`: find, create (adopting only an unfinished create of
//! ours), finish a create, update what differs, count the objects, delete (emptying the
//! bucket first only when asked to).
//!
//! A bucket's settings live in separate subresources, each with its own Get / Put / Delete
//! call: versioning, the public access block, default encryption, lifecycle rules, CORS
//! and tags. [`find`] reads them all; [`update`] writes only those that differ. Tags are
//! written first on a create, so the creating marker is on the bucket before anything else
//! is: a create cut short anywhere after CreateBucket leaves a bucket a retry adopts.
//!
//! Bucket names are global across all AWS accounts: a name another account holds answers
//! HeadBucket with 403 and CreateBucket with `BucketAlreadyExists`; both are a
//! [`BackendError::Conflict`] asking for another `bucket_name`.
//!
//! The provider block's `endpoints.s3` overrides the endpoint, with path-style requests
//! ([`super::AwsClients::s3`]).

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_s3::Client;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CorsConfiguration, CreateBucketConfiguration, Delete, ExpirationStatus, LifecycleExpiration,
    LifecycleRuleFilter, ObjectIdentifier, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging, Transition, TransitionStorageClass, VersioningConfiguration,
};
use std::collections::BTreeMap;

const SERVICE: &str = "S3";

/// The region whose buckets are created without a `LocationConstraint`.
const DEFAULT_REGION: &str = "us-east-1";

/// The most keys one ListObjectVersions page or one DeleteObjects call carries.
const BATCH: i32 = 1000;

/// Versioning status once enabled.
pub const VERSIONING_ENABLED: &str = "Enabled";
/// Versioning status once turned off after being enabled (it never returns to unset).
pub const VERSIONING_SUSPENDED: &str = "Suspended";

/// Default encryption of new objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// SSE-S3: keys managed by S3 (`AES256`).
    Aes256,
    /// SSE-KMS (`aws:kms`) with an S3 bucket key, so objects do not each call KMS.
    Kms {
        /// The KMS key (ID, ARN or alias) as written; `None` is the `aws/s3` managed key.
        key_id: Option<String>,
    },
}

/// One lifecycle rule, as this backend writes it: enabled, filtered by prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRule {
    /// Rule ID (the resource names them `rule-0`, `rule-1`, ...).
    pub id: String,
    /// Key prefix the rule applies to; empty is every object.
    pub prefix: String,
    /// Days after creation current objects expire.
    pub expire_after_days: Option<i32>,
    /// Days after creation objects move, and the storage class they move to
    /// (`STANDARD_IA`, `GLACIER_IR`, `GLACIER`, `DEEP_ARCHIVE`, `INTELLIGENT_TIERING`, ...).
    pub transition: Option<(i32, String)>,
}

/// One CORS rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    /// Origins allowed to make cross-origin requests (`*` allowed).
    pub allowed_origins: Vec<String>,
    /// HTTP methods allowed: `GET`, `PUT`, `POST`, `DELETE`, `HEAD`.
    pub allowed_methods: Vec<String>,
    /// Request headers allowed in a preflight (`*` allowed).
    pub allowed_headers: Vec<String>,
    /// Seconds a browser may cache the preflight answer.
    pub max_age_seconds: Option<i32>,
}

/// What a bucket should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredBucket {
    /// Bucket name (global across AWS).
    pub name: String,
    /// Region the bucket is in.
    pub region: String,
    /// Whether versioning is enabled.
    pub versioning: bool,
    /// Default encryption.
    pub encryption: Encryption,
    /// Lifecycle rules, in order.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// CORS rules, in order.
    pub cors: Vec<CorsRule>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A bucket as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedBucket {
    /// Bucket name.
    pub name: String,
    /// Region the bucket is in.
    pub region: String,
    /// [`VERSIONING_ENABLED`], [`VERSIONING_SUSPENDED`], or `None` when never enabled.
    pub versioning: Option<String>,
    /// Whether all four public access block settings are on.
    pub public_access_blocked: bool,
    /// Default encryption; `None` when there is none, or one this backend does not write
    /// (e.g. DSSE-KMS).
    pub encryption: Option<Encryption>,
    /// The enabled lifecycle rules, read as this backend writes them (prefix filter,
    /// expiration days, the first transition).
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// CORS rules.
    pub cors: Vec<CorsRule>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// Looks a bucket up by name with all its settings; `None` when no bucket has the name.
/// A bucket of another account (403) or in another region (301) is a
/// [`BackendError::Conflict`]: no setting of ours can make it usable.
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedBucket>, BackendError> {
    let head = match client.head_bucket().bucket(name).send().await {
        Ok(out) => out,
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            return match status {
                Some(404) => Ok(None),
                Some(403) => Err(BackendError::Conflict(format!(
                    "The S3 bucket `{name}` exists and belongs to another AWS account (or these credentials may not read it): bucket names are global across AWS. Set `bucket_name` to another name."
                ))),
                Some(301) => Err(BackendError::Conflict(format!(
                    "The S3 bucket `{name}` exists in another region than `{}`: a bucket cannot move between regions. Set `bucket_name` to another name, or the region to the bucket's.",
                    client_region(client)
                ))),
                _ => Err(api_error(SERVICE, "HeadBucket", e)),
            };
        }
    };
    let region = match head.bucket_region() {
        Some(r) => r.to_string(),
        None => location(client, name).await?,
    };
    Ok(Some(ObservedBucket {
        name: name.to_string(),
        region,
        versioning: versioning(client, name).await?,
        public_access_blocked: public_access_blocked(client, name).await?,
        encryption: encryption(client, name).await?,
        lifecycle_rules: lifecycle_rules(client, name).await?,
        cors: cors(client, name).await?,
        tags: tags(client, name).await?,
    }))
}

/// Creates the bucket with every setting, its tags carrying the creating marker while
/// `owner` is creating, or adopts the one an unfinished create of this resource left (and
/// brings it to `desired`). A bucket of ours that `owner` may not take, or anyone else's,
/// is refused and left untouched.
pub async fn create(
    client: &Client,
    desired: &DesiredBucket,
    owner: Owner<'_>,
) -> Result<ObservedBucket, BackendError> {
    let desired = &DesiredBucket {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = find(client, &desired.name).await? {
        return adopt(client, existing, desired, owner).await;
    }
    let mut request = client.create_bucket().bucket(&desired.name);
    if desired.region != DEFAULT_REGION {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(desired.region.as_str()))
                .build(),
        );
    }
    match request.send().await {
        Ok(_) => {}
        // Made between our look-up and our create (by a concurrent apply of ours, or by
        // anyone in this account): judged by its tags like any bucket found.
        Err(e) if is_error(&e, "BucketAlreadyOwnedByYou", None) => {
            let existing = find(client, &desired.name)
                .await?
                .ok_or_else(|| BackendError::Api {
                    service: SERVICE,
                    operation: "CreateBucket",
                    message: format!(
                        "bucket `{}` is owned by this account but cannot be found",
                        desired.name
                    ),
                })?;
            return adopt(client, existing, desired, owner).await;
        }
        Err(e) if is_error(&e, "BucketAlreadyExists", None) => {
            return Err(BackendError::Conflict(format!(
                "The S3 bucket name `{}` is taken by another AWS account: bucket names are global across AWS. Set `bucket_name` to another name.",
                desired.name
            )));
        }
        Err(e) => return Err(api_error(SERVICE, "CreateBucket", e)),
    }
    // A new bucket, as `update` sees it: nothing set yet, so every setting is written,
    // tags first.
    let blank = ObservedBucket {
        name: desired.name.clone(),
        region: desired.region.clone(),
        versioning: None,
        public_access_blocked: false,
        encryption: None,
        lifecycle_rules: Vec::new(),
        cors: Vec::new(),
        tags: BTreeMap::new(),
    };
    update(client, &blank, desired).await
}

/// Takes over a bucket found under our name when `owner` may, and brings it to `desired`.
async fn adopt(
    client: &Client,
    existing: ObservedBucket,
    desired: &DesiredBucket,
    owner: Owner<'_>,
) -> Result<ObservedBucket, BackendError> {
    owner.check(
        || format!("The S3 bucket `{}`", desired.name),
        &existing.tags,
    )?;
    if existing.region != desired.region {
        return Err(BackendError::Conflict(format!(
            "The S3 bucket `{}` exists in region `{}`, not `{}`: a bucket cannot move between regions. Set `bucket_name` to another name, or the region to `{}`.",
            desired.name, existing.region, desired.region, existing.region
        )));
    }
    tracing::info!(bucket = %desired.name, "adopting the S3 bucket of this resource's create");
    update(client, &existing, desired).await
}

/// Marks the bucket's create as finished: rewrites its tags without the creating marker
/// (PutBucketTagging replaces the whole set), or nothing when it has none.
pub async fn finish(client: &Client, observed: &ObservedBucket) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    let mut tags = observed.tags.clone();
    tags.remove(ownership::TAG_LIFECYCLE);
    put_tags(client, &observed.name, &tags).await
}

/// Whether the bucket differs from `desired` in anything [`update`] writes.
pub fn differs(observed: &ObservedBucket, desired: &DesiredBucket) -> bool {
    versioning_differs(observed, desired)
        || !observed.public_access_blocked
        || observed.encryption.as_ref() != Some(&desired.encryption)
        || observed.lifecycle_rules != desired.lifecycle_rules
        || observed.cors != desired.cors
        || observed.tags != desired.tags
}

fn versioning_differs(observed: &ObservedBucket, desired: &DesiredBucket) -> bool {
    let enabled = observed.versioning.as_deref() == Some(VERSIONING_ENABLED);
    enabled != desired.versioning
}

/// Brings the bucket to `desired`, writing only the settings that differ: tags first, then
/// the public access block, encryption, versioning (`Suspended` when turned off; a bucket
/// never versioned stays unset), lifecycle rules and CORS (each deleted when none is
/// desired). Answers the bucket as it now is.
pub async fn update(
    client: &Client,
    observed: &ObservedBucket,
    desired: &DesiredBucket,
) -> Result<ObservedBucket, BackendError> {
    let name = &desired.name;
    if observed.tags != desired.tags {
        put_tags(client, name, &desired.tags).await?;
    }
    if !observed.public_access_blocked {
        client
            .put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "PutPublicAccessBlock", e))?;
    }
    if observed.encryption.as_ref() != Some(&desired.encryption) {
        put_encryption(client, name, &desired.encryption).await?;
    }
    let versioning = if versioning_differs(observed, desired) {
        let status = if desired.versioning {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        client
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(status.clone())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "PutBucketVersioning", e))?;
        Some(status.as_str().to_string())
    } else {
        observed.versioning.clone()
    };
    if observed.lifecycle_rules != desired.lifecycle_rules {
        put_lifecycle(client, name, &desired.lifecycle_rules).await?;
    }
    if observed.cors != desired.cors {
        put_cors(client, name, &desired.cors).await?;
    }
    Ok(ObservedBucket {
        name: name.clone(),
        region: observed.region.clone(),
        versioning,
        public_access_blocked: true,
        encryption: Some(desired.encryption.clone()),
        lifecycle_rules: desired.lifecycle_rules.clone(),
        cors: desired.cors.clone(),
        tags: desired.tags.clone(),
    })
}

/// How many object versions and delete markers the bucket holds, counting no further than
/// `up_to` (at least one page is listed). A bucket that does not exist holds none.
pub async fn object_count(client: &Client, name: &str, up_to: i32) -> Result<usize, BackendError> {
    Ok(count(client, name, up_to).await?.unwrap_or(0))
}

/// [`object_count`], with `None` when the bucket does not exist.
async fn count(client: &Client, name: &str, up_to: i32) -> Result<Option<usize>, BackendError> {
    let limit = usize::try_from(up_to.max(1)).unwrap_or(1);
    let mut counted = 0;
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = match client
            .list_object_versions()
            .bucket(name)
            .max_keys(up_to.clamp(1, BATCH))
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) if is_error(&e, "NoSuchBucket", None) => return Ok(None),
            Err(e) => return Err(api_error(SERVICE, "ListObjectVersions", e)),
        };
        counted += page.versions().len() + page.delete_markers().len();
        if counted >= limit || page.is_truncated() != Some(true) {
            return Ok(Some(counted.min(limit)));
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        if key_marker.is_none() {
            return Ok(Some(counted));
        }
    }
}

/// Deletes the bucket; one already gone counts as deleted. A bucket holding objects is
/// refused (and left as it is) unless `force`, which first deletes every object version
/// and delete marker.
pub async fn delete(client: &Client, name: &str, force: bool) -> Result<(), BackendError> {
    if force {
        if !empty(client, name).await? {
            return Ok(());
        }
    } else {
        match count(client, name, BATCH).await? {
            None => return Ok(()),
            Some(0) => {}
            Some(n) => {
                return Err(BackendError::Refused(format!(
                    "The S3 bucket `{name}` still holds objects (at least {n}, counting every version and delete marker), and deleting it would delete them. Set `force_destroy = true` to delete them with the bucket, or empty it first."
                )));
            }
        }
    }
    match client.delete_bucket().bucket(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "NoSuchBucket", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteBucket", e)),
    }
}

/// Deletes every object version and delete marker, a page (up to 1000) per DeleteObjects,
/// listing from the start again after each page (what was deleted is no longer listed).
/// `false` when the bucket does not exist.
async fn empty(client: &Client, name: &str) -> Result<bool, BackendError> {
    loop {
        let page = match client
            .list_object_versions()
            .bucket(name)
            .max_keys(BATCH)
            .send()
            .await
        {
            Ok(page) => page,
            Err(e) if is_error(&e, "NoSuchBucket", None) => return Ok(false),
            Err(e) => return Err(api_error(SERVICE, "ListObjectVersions", e)),
        };
        let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = page
            .delete_markers()
            .iter()
            .map(|m| (m.key(), m.version_id()));
        let objects = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder()
                    .set_key(key.map(str::to_string))
                    .set_version_id(version.map(str::to_string))
                    .build()
                    .ok()
            })
            .collect::<Vec<_>>();
        if objects.is_empty() {
            return Ok(true);
        }
        tracing::info!(bucket = %name, objects = objects.len(), "deleting object versions before the bucket");
        let batch = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| incomplete("DeleteObjects", name, e))?;
        let out = client
            .delete_objects()
            .bucket(name)
            .delete(batch)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DeleteObjects", e))?;
        if let Some(failed) = out.errors().first() {
            return Err(BackendError::Api {
                service: SERVICE,
                operation: "DeleteObjects",
                message: format!(
                    "{} of the objects of bucket `{name}` could not be deleted, e.g. `{}` ({}): {}",
                    out.errors().len(),
                    failed.key().unwrap_or_default(),
                    failed.code().unwrap_or("Error"),
                    failed.message().unwrap_or("no message")
                ),
            });
        }
    }
}

fn client_region(client: &Client) -> String {
    client
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default()
}

fn incomplete(
    operation: &'static str,
    bucket: &str,
    e: aws_sdk_s3::error::BuildError,
) -> BackendError {
    BackendError::Api {
        service: SERVICE,
        operation,
        message: format!("the request for bucket `{bucket}` is incomplete: {e}"),
    }
}

async fn location(client: &Client, name: &str) -> Result<String, BackendError> {
    let out = client
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "GetBucketLocation", e))?;
    // An empty constraint is us-east-1, the only region created without one.
    Ok(out
        .location_constraint()
        .map(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_REGION)
        .to_string())
}

async fn versioning(client: &Client, name: &str) -> Result<Option<String>, BackendError> {
    let out = client
        .get_bucket_versioning()
        .bucket(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "GetBucketVersioning", e))?;
    Ok(out.status().map(|s| s.as_str().to_string()))
}

async fn public_access_blocked(client: &Client, name: &str) -> Result<bool, BackendError> {
    match client.get_public_access_block().bucket(name).send().await {
        Ok(out) => Ok(out.public_access_block_configuration().is_some_and(|c| {
            c.block_public_acls() == Some(true)
                && c.ignore_public_acls() == Some(true)
                && c.block_public_policy() == Some(true)
                && c.restrict_public_buckets() == Some(true)
        })),
        Err(e) if is_error(&e, "NoSuchPublicAccessBlockConfiguration", None) => Ok(false),
        Err(e) => Err(api_error(SERVICE, "GetPublicAccessBlock", e)),
    }
}

async fn encryption(client: &Client, name: &str) -> Result<Option<Encryption>, BackendError> {
    let out = match client.get_bucket_encryption().bucket(name).send().await {
        Ok(out) => out,
        Err(e) if is_error(&e, "ServerSideEncryptionConfigurationNotFoundError", None) => {
            return Ok(None);
        }
        Err(e) => return Err(api_error(SERVICE, "GetBucketEncryption", e)),
    };
    let default = out
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default());
    Ok(default.and_then(|d| match d.sse_algorithm() {
        ServerSideEncryption::Aes256 => Some(Encryption::Aes256),
        ServerSideEncryption::AwsKms => Some(Encryption::Kms {
            key_id: d.kms_master_key_id().map(str::to_string),
        }),
        _ => None,
    }))
}

async fn lifecycle_rules(client: &Client, name: &str) -> Result<Vec<LifecycleRule>, BackendError> {
    let out = match client
        .get_bucket_lifecycle_configuration()
        .bucket(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "NoSuchLifecycleConfiguration", None) => return Ok(Vec::new()),
        Err(e) => return Err(api_error(SERVICE, "GetBucketLifecycleConfiguration", e)),
    };
    Ok(out
        .rules()
        .iter()
        .filter(|r| r.status() == &ExpirationStatus::Enabled)
        .map(|r| {
            #[allow(deprecated)] // the rule-level Prefix of older configurations
            let legacy = r.prefix();
            LifecycleRule {
                id: r.id().unwrap_or_default().to_string(),
                prefix: r
                    .filter()
                    .and_then(|f| f.prefix().or(f.and().and_then(|a| a.prefix())))
                    .or(legacy)
                    .unwrap_or_default()
                    .to_string(),
                expire_after_days: r.expiration().and_then(|e| e.days()),
                transition: r
                    .transitions()
                    .first()
                    .and_then(|t| Some((t.days()?, t.storage_class()?.as_str().to_string()))),
            }
        })
        .collect())
}

async fn cors(client: &Client, name: &str) -> Result<Vec<CorsRule>, BackendError> {
    let out = match client.get_bucket_cors().bucket(name).send().await {
        Ok(out) => out,
        Err(e) if is_error(&e, "NoSuchCORSConfiguration", None) => return Ok(Vec::new()),
        Err(e) => return Err(api_error(SERVICE, "GetBucketCors", e)),
    };
    Ok(out
        .cors_rules()
        .iter()
        .map(|r| CorsRule {
            allowed_origins: r.allowed_origins().to_vec(),
            allowed_methods: r.allowed_methods().to_vec(),
            allowed_headers: r.allowed_headers().to_vec(),
            max_age_seconds: r.max_age_seconds(),
        })
        .collect())
}

async fn tags(client: &Client, name: &str) -> Result<BTreeMap<String, String>, BackendError> {
    match client.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if is_error(&e, "NoSuchTagSet", None) => Ok(BTreeMap::new()),
        Err(e) => Err(api_error(SERVICE, "GetBucketTagging", e)),
    }
}

/// Replaces the bucket's tags with `tags` (PutBucketTagging), or removes them all.
async fn put_tags(
    client: &Client,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    if tags.is_empty() {
        client
            .delete_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DeleteBucketTagging", e))?;
        return Ok(());
    }
    let set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| incomplete("PutBucketTagging", name, e))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| incomplete("PutBucketTagging", name, e))?;
    client
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutBucketTagging", e))?;
    Ok(())
}

async fn put_encryption(
    client: &Client,
    name: &str,
    encryption: &Encryption,
) -> Result<(), BackendError> {
    let (algorithm, key_id, bucket_key) = match encryption {
        Encryption::Aes256 => (ServerSideEncryption::Aes256, None, None),
        Encryption::Kms { key_id } => (ServerSideEncryption::AwsKms, key_id.clone(), Some(true)),
    };
    let default = ServerSideEncryptionByDefault::builder()
        .sse_algorithm(algorithm)
        .set_kms_master_key_id(key_id)
        .build()
        .map_err(|e| incomplete("PutBucketEncryption", name, e))?;
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .set_bucket_key_enabled(bucket_key)
                .build(),
        )
        .build()
        .map_err(|e| incomplete("PutBucketEncryption", name, e))?;
    client
        .put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutBucketEncryption", e))?;
    Ok(())
}

/// Replaces the lifecycle configuration with `rules`, or deletes it when there are none.
async fn put_lifecycle(
    client: &Client,
    name: &str,
    rules: &[LifecycleRule],
) -> Result<(), BackendError> {
    if rules.is_empty() {
        client
            .delete_bucket_lifecycle()
            .bucket(name)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DeleteBucketLifecycle", e))?;
        return Ok(());
    }
    let rules = rules
        .iter()
        .map(|r| {
            aws_sdk_s3::types::LifecycleRule::builder()
                .id(&r.id)
                .filter(LifecycleRuleFilter::builder().prefix(&r.prefix).build())
                .status(ExpirationStatus::Enabled)
                .set_expiration(
                    r.expire_after_days
                        .map(|d| LifecycleExpiration::builder().days(d).build()),
                )
                .set_transitions(r.transition.as_ref().map(|(days, class)| {
                    vec![
                        Transition::builder()
                            .days(*days)
                            .storage_class(TransitionStorageClass::from(class.as_str()))
                            .build(),
                    ]
                }))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| incomplete("PutBucketLifecycleConfiguration", name, e))?;
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| incomplete("PutBucketLifecycleConfiguration", name, e))?;
    client
        .put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(config)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutBucketLifecycleConfiguration", e))?;
    Ok(())
}

/// Replaces the CORS configuration with `rules`, or deletes it when there are none.
async fn put_cors(client: &Client, name: &str, rules: &[CorsRule]) -> Result<(), BackendError> {
    if rules.is_empty() {
        client
            .delete_bucket_cors()
            .bucket(name)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DeleteBucketCors", e))?;
        return Ok(());
    }
    let rules = rules
        .iter()
        .map(|r| {
            aws_sdk_s3::types::CorsRule::builder()
                .set_allowed_origins(Some(r.allowed_origins.clone()))
                .set_allowed_methods(Some(r.allowed_methods.clone()))
                .set_allowed_headers(
                    (!r.allowed_headers.is_empty()).then(|| r.allowed_headers.clone()),
                )
                .set_max_age_seconds(r.max_age_seconds)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| incomplete("PutBucketCors", name, e))?;
    let config = CorsConfiguration::builder()
        .set_cors_rules(Some(rules))
        .build()
        .map_err(|e| incomplete("PutBucketCors", name, e))?;
    client
        .put_bucket_cors()
        .bucket(name)
        .cors_configuration(config)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutBucketCors", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> DesiredBucket {
        DesiredBucket {
            name: "prod-uploads".into(),
            region: "eu-west-1".into(),
            versioning: true,
            encryption: Encryption::Kms { key_id: None },
            lifecycle_rules: vec![LifecycleRule {
                id: "rule-0".into(),
                prefix: "tmp/".into(),
                expire_after_days: Some(7),
                transition: None,
            }],
            cors: vec![CorsRule {
                allowed_origins: vec!["https://example.com".into()],
                allowed_methods: vec!["GET".into()],
                allowed_headers: vec![],
                max_age_seconds: Some(300),
            }],
            tags: [("platform:environment".to_string(), "prod".to_string())]
                .into_iter()
                .collect(),
        }
    }

    fn observed(d: &DesiredBucket) -> ObservedBucket {
        ObservedBucket {
            name: d.name.clone(),
            region: d.region.clone(),
            versioning: d.versioning.then(|| VERSIONING_ENABLED.to_string()),
            public_access_blocked: true,
            encryption: Some(d.encryption.clone()),
            lifecycle_rules: d.lifecycle_rules.clone(),
            cors: d.cors.clone(),
            tags: d.tags.clone(),
        }
    }

    #[test]
    fn only_a_difference_in_what_is_written_is_an_update() {
        let d = desired();
        assert!(!differs(&observed(&d), &d), "as desired");

        let off = DesiredBucket {
            versioning: false,
            ..d.clone()
        };
        for (status, want) in [
            (None, false),
            (Some(VERSIONING_SUSPENDED), false),
            (Some(VERSIONING_ENABLED), true),
        ] {
            let o = ObservedBucket {
                versioning: status.map(str::to_string),
                ..observed(&off)
            };
            assert_eq!(
                differs(&o, &off),
                want,
                "versioning off, observed {status:?}"
            );
        }

        type Edit = fn(&mut ObservedBucket);
        let changed: [(&str, Edit); 8] = [
            ("versioning suspended", |o| {
                o.versioning = Some(VERSIONING_SUSPENDED.into())
            }),
            ("public access open", |o| o.public_access_blocked = false),
            ("SSE-S3", |o| o.encryption = Some(Encryption::Aes256)),
            ("no encryption", |o| o.encryption = None),
            ("another KMS key", |o| {
                o.encryption = Some(Encryption::Kms {
                    key_id: Some("alias/x".into()),
                })
            }),
            ("a rule removed", |o| o.lifecycle_rules.clear()),
            ("CORS max age", |o| o.cors[0].max_age_seconds = None),
            ("a tag added", |o| {
                o.tags.insert("team".into(), "a".into());
            }),
        ];
        for (name, edit) in changed {
            let mut o = observed(&d);
            edit(&mut o);
            assert!(differs(&o, &d), "{name}");
        }
        let mut elsewhere = observed(&d);
        elsewhere.region = "us-east-1".into();
        assert!(!differs(&elsewhere, &d), "the region is not updated");
    }
}
