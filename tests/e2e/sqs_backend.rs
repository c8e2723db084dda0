//! The SQS backend (the queues of `platform_queue`) called directly against a private moto
//! server: create while the queue is being created → every attribute read back through the
//! SDK and through `find` → a retried create adopts it, the create is finished and a later
//! create refuses it → visibility, retention, a redrive policy to a dead-letter queue and
//! SSE-KMS changed in place, then the redrive policy removed and SSE-SQS back → a FIFO
//! queue, whose type cannot change → a queue someone else made under our name is refused
//! and left as it was → delete, twice, and it is gone.
//!
//! moto does not check KMS keys, so the key is a made-up alias; it stores it as sent.

use crate::harness::{AWS_REGION, Aws, Moto, block_on};
use aws_sdk_sqs::types::QueueAttributeName;
use std::collections::{BTreeMap, HashMap};
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::sqs::{self, DesiredQueue, Redrive};
use terraform_provider_platform::backends::ownership::{self, Claim, Owner};

const ENV: &str = "sqsdev";
const NAME: &str = "sqsdev-orders";
const DLQ: &str = "sqsdev-orders-dlq";
const FIFO: &str = "sqsdev-events.fifo";
const FOREIGN: &str = "sqsdev-imports";
const ACCOUNT: &str = "123456789012";
const KEY: &str = "alias/sqsdev-queues";
/// The queue in state: queues carrying its owner tags are its own.
const OWNER: Owner<'static> = Owner {
    tag: ("platform:environment", ENV),
    creating: false,
    marks: true,
};
const CREATING: Owner<'static> = Owner {
    creating: true,
    ..OWNER
};

fn tags() -> BTreeMap<String, String> {
    [
        ("platform:environment", ENV),
        ("platform:component", "orders"),
        ("managed-by", "terraform-provider-platform"),
        ("team", "billing"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn desired() -> DesiredQueue {
    DesiredQueue {
        name: NAME.into(),
        fifo: false,
        visibility_timeout_seconds: 45,
        message_retention_seconds: 86_400,
        kms_key_id: None,
        redrive: None,
        tags: tags(),
    }
}

fn refused_as(r: Result<impl std::fmt::Debug, BackendError>) -> Claim {
    match r {
        Err(BackendError::Taken(t)) => {
            assert!(
                t.to_string().contains(FOREIGN) || t.to_string().contains(NAME),
                "{t}"
            );
            t.claim
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Every attribute of the queue at `url`, as the SDK reads it.
async fn attributes(c: &aws_sdk_sqs::Client, url: &str) -> HashMap<QueueAttributeName, String> {
    c.get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes()
        .cloned()
        .unwrap_or_default()
}

async fn queue_tags(c: &aws_sdk_sqs::Client, url: &str) -> BTreeMap<String, String> {
    c.list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .expect("ListQueueTags")
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

#[test]
fn sqs_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let q = &c.sqs;
    let want = desired();

    // 1. Created while the queue is being created: its tags carry the marker.
    assert!(sqs::find(q, NAME).await.unwrap().is_none());
    let created = sqs::create(q, &want, CREATING).await.expect("create");
    assert!(ownership::is_creating(&created.tags), "{created:?}");
    assert_eq!(
        created.arn,
        format!("arn:aws:sqs:{AWS_REGION}:{ACCOUNT}:{NAME}")
    );
    assert!(
        created.url.ends_with(&format!("/{ACCOUNT}/{NAME}")),
        "{}",
        created.url
    );

    // 2. Every attribute as the SDK reads it back.
    let got = attributes(q, &created.url).await;
    let attr = |k: QueueAttributeName| got.get(&k).map(String::as_str);
    assert_eq!(attr(QueueAttributeName::VisibilityTimeout), Some("45"));
    assert_eq!(
        attr(QueueAttributeName::MessageRetentionPeriod),
        Some("86400")
    );
    assert_eq!(attr(QueueAttributeName::SqsManagedSseEnabled), Some("true"));
    assert_eq!(attr(QueueAttributeName::KmsMasterKeyId), None);
    assert_eq!(attr(QueueAttributeName::RedrivePolicy), None);
    assert_ne!(attr(QueueAttributeName::FifoQueue), Some("true"));
    let sdk_tags = queue_tags(q, &created.url).await;
    assert_eq!(sdk_tags, CREATING.tags(&tags()));

    // 3. `find` reads back what the create answered.
    let found = sqs::find(q, NAME).await.unwrap().expect("found");
    assert_eq!(found, created);
    assert!(!sqs::differs(&found, &being_created(&want)));

    // 4. A retried create adopts the unfinished queue; once finished, a create refuses it
    //    (another state's) while the queue in state keeps it.
    let adopted = sqs::create(q, &want, CREATING)
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(adopted, found, "nothing to change");
    sqs::finish(q, &adopted).await.expect("finish");
    let found = sqs::find(q, NAME).await.unwrap().unwrap();
    assert!(!ownership::is_creating(&found.tags), "{:?}", found.tags);
    assert_eq!(found.tags, tags());
    assert!(!sqs::differs(&found, &want));
    assert_eq!(
        refused_as(sqs::create(q, &want, CREATING).await),
        Claim::OtherState
    );
    assert_eq!(
        queue_tags(q, &found.url).await,
        tags(),
        "a refusal changes nothing"
    );
    let kept = sqs::create(q, &want, OWNER)
        .await
        .expect("the queue in state keeps its queue");
    assert_eq!(kept, found);

    // 5. Visibility, retention, a redrive policy to a dead-letter queue, SSE-KMS and a tag:
    //    one SetQueueAttributes, then the tags.
    let dlq = sqs::create(
        q,
        &DesiredQueue {
            name: DLQ.into(),
            message_retention_seconds: 1_209_600,
            ..want.clone()
        },
        OWNER,
    )
    .await
    .expect("the dead-letter queue");
    let mut changed_tags = tags();
    changed_tags.remove("team");
    changed_tags.insert("cost-center".into(), "42".into());
    let changed = DesiredQueue {
        visibility_timeout_seconds: 120,
        message_retention_seconds: 604_800,
        kms_key_id: Some(KEY.into()),
        redrive: Some(Redrive {
            dead_letter_arn: dlq.arn.clone(),
            max_receive_count: 5,
        }),
        tags: changed_tags.clone(),
        ..want.clone()
    };
    assert!(sqs::differs(&found, &changed));
    let updated = sqs::update(q, &found, &changed).await.expect("update");
    let got = attributes(q, &found.url).await;
    let attr = |k: QueueAttributeName| got.get(&k).map(String::as_str);
    assert_eq!(attr(QueueAttributeName::VisibilityTimeout), Some("120"));
    assert_eq!(
        attr(QueueAttributeName::MessageRetentionPeriod),
        Some("604800")
    );
    assert_eq!(attr(QueueAttributeName::KmsMasterKeyId), Some(KEY));
    assert_eq!(
        attr(QueueAttributeName::SqsManagedSseEnabled),
        Some("false")
    );
    let policy: serde_json::Value =
        serde_json::from_str(attr(QueueAttributeName::RedrivePolicy).expect("a redrive policy"))
            .unwrap();
    assert_eq!(policy["deadLetterTargetArn"], dlq.arn.as_str());
    assert_eq!(policy["maxReceiveCount"].to_string(), "5");
    assert_eq!(queue_tags(q, &found.url).await, changed_tags);
    let found = sqs::find(q, NAME).await.unwrap().unwrap();
    assert_eq!(found, updated);
    assert!(!sqs::differs(&found, &changed));

    // 6. The redrive policy removed and SSE-SQS back.
    let plain = DesiredQueue {
        kms_key_id: None,
        redrive: None,
        ..changed.clone()
    };
    assert!(sqs::differs(&found, &plain));
    sqs::update(q, &found, &plain).await.expect("update");
    let got = attributes(q, &found.url).await;
    let attr = |k: QueueAttributeName| got.get(&k).map(String::as_str);
    assert_eq!(attr(QueueAttributeName::RedrivePolicy), None, "{got:?}");
    assert_eq!(attr(QueueAttributeName::KmsMasterKeyId), None, "{got:?}");
    assert_eq!(attr(QueueAttributeName::SqsManagedSseEnabled), Some("true"));
    let found = sqs::find(q, NAME).await.unwrap().unwrap();
    assert_eq!(found.redrive, None);
    assert!(!sqs::differs(&found, &plain), "{found:?}");

    // 7. A FIFO queue is made FIFO and cannot turn into a standard one.
    let fifo = DesiredQueue {
        name: FIFO.into(),
        fifo: true,
        ..want.clone()
    };
    let made = sqs::create(q, &fifo, CREATING).await.expect("a FIFO queue");
    let got = attributes(q, &made.url).await;
    assert_eq!(
        got.get(&QueueAttributeName::FifoQueue).map(String::as_str),
        Some("true")
    );
    let found_fifo = sqs::find(q, FIFO).await.unwrap().unwrap();
    assert!(found_fifo.fifo);
    assert_eq!(found_fifo, made);
    let standard = DesiredQueue {
        fifo: false,
        ..fifo.clone()
    };
    assert!(sqs::differs(&found_fifo, &standard));
    match sqs::update(q, &found_fifo, &standard).await {
        Err(BackendError::Refused(m)) => assert!(m.contains(FIFO) && m.contains("Replace"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // 8. A queue someone else made under our name is refused and left as it was.
    let foreign_url = q
        .create_queue()
        .queue_name(FOREIGN)
        .attributes(QueueAttributeName::VisibilityTimeout, "300")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url()
        .unwrap()
        .to_string();
    let theirs = DesiredQueue {
        name: FOREIGN.into(),
        ..want.clone()
    };
    for owner in [CREATING, OWNER] {
        assert_eq!(
            refused_as(sqs::create(q, &theirs, owner).await),
            Claim::Stranger
        );
    }
    let got = attributes(q, &foreign_url).await;
    assert_eq!(
        got.get(&QueueAttributeName::VisibilityTimeout)
            .map(String::as_str),
        Some("300")
    );
    assert!(queue_tags(q, &foreign_url).await.is_empty());

    // 9. Deleted, twice; the stranger's is not ours to delete and stays.
    for name in [NAME, DLQ, FIFO] {
        sqs::delete(q, name).await.expect("delete");
        sqs::delete(q, name)
            .await
            .expect("a second delete finds it gone");
        assert!(sqs::find(q, name).await.unwrap().is_none(), "{name}");
    }
    assert!(sqs::find(q, FOREIGN).await.unwrap().is_some());
}

/// `desired` as a create brings it: its tags with the creating marker.
fn being_created(desired: &DesiredQueue) -> DesiredQueue {
    DesiredQueue {
        tags: CREATING.tags(&desired.tags),
        ..desired.clone()
    }
}
