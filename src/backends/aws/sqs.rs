//! SQS queues of `platform_queue`: find, create with every attribute and tags (adopting
//! only an unfinished create of ours), update only what differs, finish a create, delete.
//!
//! Encryption is one of two kinds: SSE-SQS (`SqsManagedSseEnabled=true`, SQS's own keys)
//! when no key is given, or SSE-KMS with the given key (`KmsMasterKeyId`,
//! `SqsManagedSseEnabled=false`). A queue has one kind at a time, so a switch sends both
//! attributes in one SetQueueAttributes, the unused key as `""`.
//!
//! `FifoQueue` is fixed at create (the name then ends with `.fifo`): a change is a new
//! queue, which the caller makes by replacement; [`update`] refuses it.
//!
//! SQS refuses to create a queue under a name deleted less than 60 seconds ago
//! (`QueueDeletedRecently`); [`create`] says so and asks to apply again after that.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::{BTreeMap, HashMap};

const SERVICE: &str = "SQS";

/// The codes of "no such queue": the AWS JSON protocol's, and the query protocol's that
/// the SDK reads from `x-amzn-query-error` when the service sends it.
const NO_SUCH_QUEUE: [&str; 2] = [
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
];

/// The codes of "a queue of this name was deleted less than 60 seconds ago".
const DELETED_RECENTLY: [&str; 2] = [
    "AWS.SimpleQueueService.QueueDeletedRecently",
    "QueueDeletedRecently",
];

/// Where a queue sends a message received too often (the `RedrivePolicy` attribute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// ARN of the dead-letter queue.
    pub dead_letter_arn: String,
    /// Receives after which a message moves to the dead-letter queue (1–1000).
    pub max_receive_count: i32,
}

/// What a queue should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredQueue {
    /// Queue name; ends with `.fifo` for a FIFO queue.
    pub name: String,
    /// Whether the queue is FIFO (fixed at create).
    pub fifo: bool,
    /// Seconds a received message stays invisible to other consumers (0–43200).
    pub visibility_timeout_seconds: i32,
    /// Seconds a message is kept (60–1209600).
    pub message_retention_seconds: i32,
    /// `None`: SSE-SQS; `Some`: SSE-KMS with this key (ID, ARN or alias).
    pub kms_key_id: Option<String>,
    /// The dead-letter queue; `None`: no redrive policy (one present is removed).
    pub redrive: Option<Redrive>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A queue as SQS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedQueue {
    /// Queue name.
    pub name: String,
    /// Queue URL, what every call after GetQueueUrl takes.
    pub url: String,
    /// Queue ARN.
    pub arn: String,
    /// Whether the queue is FIFO.
    pub fifo: bool,
    /// Seconds a received message stays invisible.
    pub visibility_timeout_seconds: i32,
    /// Seconds a message is kept.
    pub message_retention_seconds: i32,
    /// The SSE-KMS key, when the queue is encrypted with one.
    pub kms_key_id: Option<String>,
    /// Whether SSE-SQS is on.
    pub sqs_managed_sse: bool,
    /// The redrive policy, when there is one.
    pub redrive: Option<Redrive>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

/// Looks a queue up by name, with its attributes and tags; `None` when it does not exist.
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedQueue>, BackendError> {
    let Some(url) = url_of(client, name).await? else {
        return Ok(None);
    };
    let attributes = match client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
    {
        Ok(out) => out.attributes().cloned().unwrap_or_default(),
        Err(e) if no_such_queue(&e) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "GetQueueAttributes", e)),
    };
    let tags = match client.list_queue_tags().queue_url(&url).send().await {
        Ok(out) => out
            .tags()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        Err(e) if no_such_queue(&e) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "ListQueueTags", e)),
    };
    observed(name, url, &attributes, tags).map(Some)
}

/// The URL of the queue named `name`; `None` when there is none.
async fn url_of(client: &Client, name: &str) -> Result<Option<String>, BackendError> {
    match client.get_queue_url().queue_name(name).send().await {
        Ok(out) => Ok(out.queue_url().map(str::to_string)),
        Err(e) if no_such_queue(&e) => Ok(None),
        Err(e) => Err(api_error(SERVICE, "GetQueueUrl", e)),
    }
}

fn no_such_queue<E, R>(e: &aws_sdk_sqs::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_sqs::error::ProvideErrorMetadata,
{
    NO_SUCH_QUEUE.iter().any(|code| is_error(e, code, None))
}

/// The queue GetQueueAttributes describes.
fn observed(
    name: &str,
    url: String,
    attributes: &HashMap<QueueAttributeName, String>,
    tags: BTreeMap<String, String>,
) -> Result<ObservedQueue, BackendError> {
    let get = |key: QueueAttributeName| attributes.get(&key).map(String::as_str);
    let number = |key: QueueAttributeName| -> Result<i32, BackendError> {
        let text = get(key.clone()).unwrap_or("0");
        text.parse().map_err(|_| BackendError::Api {
            service: SERVICE,
            operation: "GetQueueAttributes",
            message: format!(
                "queue `{name}`: attribute `{}` is `{text}`, not a number",
                key.as_str()
            ),
        })
    };
    let redrive = match get(QueueAttributeName::RedrivePolicy).filter(|p| !p.is_empty()) {
        Some(policy) => parse_redrive(policy).map_err(|message| BackendError::Api {
            service: SERVICE,
            operation: "GetQueueAttributes",
            message: format!("queue `{name}`: {message}"),
        })?,
        None => None,
    };
    Ok(ObservedQueue {
        name: name.to_string(),
        url,
        arn: get(QueueAttributeName::QueueArn)
            .unwrap_or_default()
            .to_string(),
        fifo: get(QueueAttributeName::FifoQueue) == Some("true"),
        visibility_timeout_seconds: number(QueueAttributeName::VisibilityTimeout)?,
        message_retention_seconds: number(QueueAttributeName::MessageRetentionPeriod)?,
        kms_key_id: get(QueueAttributeName::KmsMasterKeyId)
            .filter(|k| !k.is_empty())
            .map(str::to_string),
        sqs_managed_sse: get(QueueAttributeName::SqsManagedSseEnabled) == Some("true"),
        redrive,
        tags,
    })
}

/// Reads a `RedrivePolicy`: `{"deadLetterTargetArn": "...", "maxReceiveCount": 5}`, the
/// count a number or a string of one. An empty object is no policy.
pub fn parse_redrive(policy: &str) -> Result<Option<Redrive>, String> {
    let value: serde_json::Value = serde_json::from_str(policy)
        .map_err(|e| format!("the redrive policy is not JSON ({e})"))?;
    let Some(object) = value.as_object() else {
        return Err("the redrive policy is not a JSON object".into());
    };
    if object.is_empty() {
        return Ok(None);
    }
    let arn = object
        .get("deadLetterTargetArn")
        .and_then(|v| v.as_str())
        .ok_or("the redrive policy has no `deadLetterTargetArn`")?;
    let count = match object.get("maxReceiveCount") {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .and_then(|n| i32::try_from(n).ok())
    .ok_or("the redrive policy has no numeric `maxReceiveCount`")?;
    Ok(Some(Redrive {
        dead_letter_arn: arn.to_string(),
        max_receive_count: count,
    }))
}

/// The `RedrivePolicy` attribute for `redrive`; `""` (no policy) for `None`.
pub fn redrive_policy(redrive: Option<&Redrive>) -> String {
    match redrive {
        Some(r) => serde_json::json!({
            "deadLetterTargetArn": r.dead_letter_arn,
            "maxReceiveCount": r.max_receive_count,
        })
        .to_string(),
        None => String::new(),
    }
}

/// The encryption attributes for `kms_key_id`: SSE-KMS with it, or SSE-SQS.
fn encryption(kms_key_id: Option<&str>) -> [(QueueAttributeName, String); 2] {
    [
        (
            QueueAttributeName::KmsMasterKeyId,
            kms_key_id.unwrap_or_default().to_string(),
        ),
        (
            QueueAttributeName::SqsManagedSseEnabled,
            kms_key_id.is_none().to_string(),
        ),
    ]
}

/// Whether the queue's encryption is what `kms_key_id` asks for.
fn encryption_differs(observed: &ObservedQueue, kms_key_id: Option<&str>) -> bool {
    match kms_key_id {
        Some(key) => observed.kms_key_id.as_deref() != Some(key),
        None => observed.kms_key_id.is_some() || !observed.sqs_managed_sse,
    }
}

/// Creates the queue with every attribute, carrying the creating marker while `owner` is
/// creating, or takes over the one under its name as `owner` allows and brings it to
/// `desired`. Any other queue of that name is refused and left untouched.
pub async fn create(
    client: &Client,
    desired: &DesiredQueue,
    owner: Owner<'_>,
) -> Result<ObservedQueue, BackendError> {
    let desired = &DesiredQueue {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = find(client, &desired.name).await? {
        owner.check(
            || format!("The SQS queue `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(queue = %desired.name, "adopting the queue of this resource's create");
        return update(client, &existing, desired).await;
    }
    let mut attributes = HashMap::from([
        (
            QueueAttributeName::VisibilityTimeout,
            desired.visibility_timeout_seconds.to_string(),
        ),
        (
            QueueAttributeName::MessageRetentionPeriod,
            desired.message_retention_seconds.to_string(),
        ),
    ]);
    if desired.fifo {
        attributes.insert(QueueAttributeName::FifoQueue, "true".into());
    }
    match &desired.kms_key_id {
        Some(_) => attributes.extend(encryption(desired.kms_key_id.as_deref())),
        None => {
            attributes.insert(QueueAttributeName::SqsManagedSseEnabled, "true".into());
        }
    }
    if desired.redrive.is_some() {
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            redrive_policy(desired.redrive.as_ref()),
        );
    }
    let out = match client
        .create_queue()
        .queue_name(&desired.name)
        .set_attributes(Some(attributes))
        .set_tags(Some(desired.tags.clone().into_iter().collect()))
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if DELETED_RECENTLY.iter().any(|c| is_error(&e, c, None)) => {
            return Err(BackendError::Refused(format!(
                "The SQS queue `{}` cannot be created yet: a queue of this name was deleted less than 60 seconds ago, and SQS refuses the name until then. Wait 60 seconds and apply again.",
                desired.name
            )));
        }
        Err(e) => return Err(api_error(SERVICE, "CreateQueue", e)),
    };
    let url = out.queue_url().unwrap_or_default().to_string();
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "GetQueueAttributes", e))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap_or_default();
    Ok(written(desired, url, arn))
}

/// The queue as [`create`] or [`update`] left it.
fn written(desired: &DesiredQueue, url: String, arn: String) -> ObservedQueue {
    ObservedQueue {
        name: desired.name.clone(),
        url,
        arn,
        fifo: desired.fifo,
        visibility_timeout_seconds: desired.visibility_timeout_seconds,
        message_retention_seconds: desired.message_retention_seconds,
        kms_key_id: desired.kms_key_id.clone(),
        sqs_managed_sse: desired.kms_key_id.is_none(),
        redrive: desired.redrive.clone(),
        tags: desired.tags.clone(),
    }
}

/// Brings the queue to `desired`: one SetQueueAttributes with the attributes that differ
/// (none when none do), then the tags. A change of `fifo` is refused: only a new queue
/// can have it.
pub async fn update(
    client: &Client,
    observed: &ObservedQueue,
    desired: &DesiredQueue,
) -> Result<ObservedQueue, BackendError> {
    if observed.fifo != desired.fifo {
        return Err(BackendError::Refused(format!(
            "The SQS queue `{}` is {}a FIFO queue and cannot be changed to {}: SQS fixes the type at create. Replace the queue to change it.",
            observed.name,
            if observed.fifo { "" } else { "not " },
            if desired.fifo {
                "one"
            } else {
                "a standard queue"
            },
        )));
    }
    let mut attributes = HashMap::new();
    if observed.visibility_timeout_seconds != desired.visibility_timeout_seconds {
        attributes.insert(
            QueueAttributeName::VisibilityTimeout,
            desired.visibility_timeout_seconds.to_string(),
        );
    }
    if observed.message_retention_seconds != desired.message_retention_seconds {
        attributes.insert(
            QueueAttributeName::MessageRetentionPeriod,
            desired.message_retention_seconds.to_string(),
        );
    }
    if encryption_differs(observed, desired.kms_key_id.as_deref()) {
        attributes.extend(encryption(desired.kms_key_id.as_deref()));
    }
    if observed.redrive != desired.redrive {
        attributes.insert(
            QueueAttributeName::RedrivePolicy,
            redrive_policy(desired.redrive.as_ref()),
        );
    }
    if !attributes.is_empty() {
        client
            .set_queue_attributes()
            .queue_url(&observed.url)
            .set_attributes(Some(attributes))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "SetQueueAttributes", e))?;
    }
    let (stale, changed) = super::tag_changes(&observed.tags, &desired.tags);
    if !stale.is_empty() {
        client
            .untag_queue()
            .queue_url(&observed.url)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UntagQueue", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_queue()
            .queue_url(&observed.url)
            .set_tags(Some(changed.into_iter().collect()))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "TagQueue", e))?;
    }
    Ok(written(desired, observed.url.clone(), observed.arn.clone()))
}

/// Whether the queue differs from `desired` in anything [`update`] sets (or refuses):
/// type, visibility timeout, retention, encryption, redrive policy, tags.
pub fn differs(observed: &ObservedQueue, desired: &DesiredQueue) -> bool {
    observed.fifo != desired.fifo
        || observed.visibility_timeout_seconds != desired.visibility_timeout_seconds
        || observed.message_retention_seconds != desired.message_retention_seconds
        || encryption_differs(observed, desired.kms_key_id.as_deref())
        || observed.redrive != desired.redrive
        || observed.tags != desired.tags
}

/// Marks the queue's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedQueue) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    client
        .untag_queue()
        .queue_url(&observed.url)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UntagQueue", e))?;
    Ok(())
}

/// Deletes the queue and its messages; one already gone counts as deleted.
pub async fn delete(client: &Client, name: &str) -> Result<(), BackendError> {
    let Some(url) = url_of(client, name).await? else {
        return Ok(());
    };
    match client.delete_queue().queue_url(url).send().await {
        Ok(_) => Ok(()),
        Err(e) if no_such_queue(&e) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteQueue", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desired() -> DesiredQueue {
        DesiredQueue {
            name: "prod-orders".into(),
            fifo: false,
            visibility_timeout_seconds: 30,
            message_retention_seconds: 345_600,
            kms_key_id: None,
            redrive: Some(Redrive {
                dead_letter_arn: "arn:aws:sqs:eu-west-1:123456789012:prod-orders-dlq".into(),
                max_receive_count: 5,
            }),
            tags: [("platform:environment".to_string(), "prod".to_string())].into(),
        }
    }

    #[test]
    fn a_redrive_policy_reads_its_count_as_a_number_or_a_string() {
        let want = Some(Redrive {
            dead_letter_arn: "arn:aws:sqs:eu-west-1:1:dlq".into(),
            max_receive_count: 5,
        });
        let cases = [
            (
                r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq","maxReceiveCount":5}"#,
                Ok(want.clone()),
            ),
            (
                r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq","maxReceiveCount":"5"}"#,
                Ok(want.clone()),
            ),
            ("{}", Ok(None)),
        ];
        for (policy, expected) in cases {
            assert_eq!(parse_redrive(policy), expected, "{policy}");
        }
        for bad in [
            "",
            "[]",
            r#"{"maxReceiveCount":5}"#,
            r#"{"deadLetterTargetArn":"a","maxReceiveCount":"five"}"#,
        ] {
            assert!(parse_redrive(bad).is_err(), "{bad}");
        }
        let written = redrive_policy(want.as_ref());
        assert_eq!(parse_redrive(&written), Ok(want));
        assert_eq!(redrive_policy(None), "");
    }

    #[test]
    fn only_a_difference_in_what_is_set_is_an_update() {
        let d = desired();
        let same = written(&d, "https://q".into(), "arn:q".into());
        assert!(!differs(&same, &d));
        type Edit = fn(&mut ObservedQueue);
        let changed: [(&str, Edit); 8] = [
            ("fifo", |o| o.fifo = true),
            ("visibility", |o| o.visibility_timeout_seconds = 60),
            ("retention", |o| o.message_retention_seconds = 60),
            ("a KMS key", |o| o.kms_key_id = Some("alias/k".into())),
            ("no encryption", |o| o.sqs_managed_sse = false),
            ("no redrive", |o| o.redrive = None),
            ("max receives", |o| {
                if let Some(r) = o.redrive.as_mut() {
                    r.max_receive_count = 3
                }
            }),
            ("tags", |o| o.tags.clear()),
        ];
        for (name, edit) in changed {
            let mut o = same.clone();
            edit(&mut o);
            assert!(differs(&o, &d), "{name}");
        }
        let kms = DesiredQueue {
            kms_key_id: Some("alias/k".into()),
            ..d.clone()
        };
        let mut o = written(&kms, "https://q".into(), "arn:q".into());
        assert!(!differs(&o, &kms));
        o.sqs_managed_sse = true;
        assert!(
            !differs(&o, &kms),
            "SSE-SQS is not read when a key is given"
        );
        assert!(differs(&o, &d), "SSE-KMS to SSE-SQS");
    }
}
