//! The Secrets Manager backend (the secrets of `platform_secret`) called directly against
//! a private moto server: create with a value while the secret is being created → its
//! settings and value read back through the SDK and through `find` → a retried create
//! adopts it, the create is finished and a later create refuses it → description, tags and
//! a new value → a secret someone else made under our name is refused and left as it was
//! → deleted for good, twice, and it is gone → deleted with a recovery window, then
//! restored by a retried create of the same owner.

use crate::harness::{Aws, Moto, block_on};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::secrets::{self, DesiredSecret};
use terraform_provider_platform::backends::ownership::{self, Claim, Owner};

const ENV: &str = "secdev";
const NAME: &str = "secdev/orders/api-key";
const FOREIGN: &str = "secdev/imports/token";
/// The secret in state: secrets carrying its owner tags are its own.
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

fn desired() -> DesiredSecret {
    DesiredSecret {
        name: NAME.into(),
        description: "The orders API key".into(),
        kms_key_id: None,
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

/// The current value as GetSecretValue answers it, and its version ID.
async fn current(c: &aws_sdk_secretsmanager::Client, id: &str) -> (String, String) {
    let out = c
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .expect("GetSecretValue");
    (
        out.secret_string().unwrap_or_default().to_string(),
        out.version_id().unwrap_or_default().to_string(),
    )
}

async fn secret_tags(c: &aws_sdk_secretsmanager::Client, id: &str) -> BTreeMap<String, String> {
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret")
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

#[test]
fn secrets_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let s = &c.secrets;
    let want = desired();
    let first = secrets::random_value(32, true).expect("the generator works");

    // 1. Created with its value while the secret is being created: the marker is a tag.
    assert!(secrets::find(s, NAME).await.unwrap().is_none());
    let created = secrets::create(s, &want, &first, CREATING)
        .await
        .expect("create");
    assert!(ownership::is_creating(&created.tags), "{created:?}");
    assert!(
        created.arn.contains(":secret:secdev/orders/api-key-"),
        "{}",
        created.arn
    );
    assert!(!created.scheduled_for_deletion);

    // 2. Settings and value as the SDK reads them back.
    let got = s.describe_secret().secret_id(NAME).send().await.unwrap();
    assert_eq!(got.description(), Some("The orders API key"));
    assert_eq!(got.deleted_date(), None);
    assert_eq!(secret_tags(s, NAME).await, CREATING.tags(&tags()));
    let (value, version) = current(s, NAME).await;
    assert_eq!(value, first.expose());
    assert_eq!(created.current_version.as_deref(), Some(version.as_str()));

    // 3. `find` reads back what the create answered.
    let found = secrets::find(s, NAME).await.unwrap().expect("found");
    assert_eq!(found, created);
    assert!(!secrets::differs(&found, &being_created(&want)));

    // 4. A retried create adopts the unfinished secret (and stores its value again); once
    //    finished, a create refuses it (another state's) while the secret in state keeps it.
    let second = secrets::random_value(32, false).expect("the generator works");
    let adopted = secrets::create(s, &want, &second, CREATING)
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(adopted.arn, found.arn);
    assert_eq!(adopted.tags, found.tags);
    let (value, version) = current(s, NAME).await;
    assert_eq!(value, second.expose());
    assert_eq!(adopted.current_version.as_deref(), Some(version.as_str()));
    secrets::finish(s, &adopted).await.expect("finish");
    let found = secrets::find(s, NAME).await.unwrap().unwrap();
    assert!(!ownership::is_creating(&found.tags), "{:?}", found.tags);
    assert_eq!(found.tags, tags());
    assert_eq!(found.current_version.as_deref(), Some(version.as_str()));
    assert!(!secrets::differs(&found, &want));
    assert_eq!(
        refused_as(secrets::create(s, &want, &first, CREATING).await),
        Claim::OtherState
    );
    assert_eq!(
        current(s, NAME).await.0,
        second.expose(),
        "a refusal changes nothing"
    );
    let kept = secrets::create(s, &want, &second, OWNER)
        .await
        .expect("the secret in state keeps its secret");
    assert_eq!(kept.arn, found.arn);

    // 5. A new description and tags, and a new value.
    let found = secrets::find(s, NAME).await.unwrap().unwrap();
    let mut changed_tags = tags();
    changed_tags.remove("team");
    changed_tags.insert("cost-center".into(), "42".into());
    let changed = DesiredSecret {
        description: "The orders API key, rotated by hand".into(),
        tags: changed_tags.clone(),
        ..want.clone()
    };
    assert!(secrets::differs(&found, &changed));
    let updated = secrets::update(s, &found, &changed).await.expect("update");
    let got = s.describe_secret().secret_id(NAME).send().await.unwrap();
    assert_eq!(
        got.description(),
        Some("The orders API key, rotated by hand")
    );
    assert_eq!(secret_tags(s, NAME).await, changed_tags);
    assert_eq!(
        current(s, NAME).await.0,
        second.expose(),
        "the value is kept"
    );
    let third = secrets::random_value(48, true).expect("the generator works");
    let version = secrets::put_value(s, &found.arn, &third)
        .await
        .expect("put_value");
    let (value, current_version) = current(s, NAME).await;
    assert_eq!(value, third.expose());
    assert_eq!(current_version, version);
    let found = secrets::find(s, NAME).await.unwrap().unwrap();
    assert_eq!(
        found,
        secrets::ObservedSecret {
            current_version: Some(version),
            ..updated
        }
    );
    assert!(!secrets::differs(&found, &changed));

    // 6. A secret someone else made under our name is refused and left as it was.
    s.create_secret()
        .name(FOREIGN)
        .description("Imports token, owned by the data team")
        .secret_string("theirs")
        .send()
        .await
        .expect("CreateSecret");
    let theirs = DesiredSecret {
        name: FOREIGN.into(),
        ..want.clone()
    };
    for owner in [CREATING, OWNER] {
        assert_eq!(
            refused_as(secrets::create(s, &theirs, &first, owner).await),
            Claim::Stranger
        );
    }
    let got = s.describe_secret().secret_id(FOREIGN).send().await.unwrap();
    assert_eq!(
        got.description(),
        Some("Imports token, owned by the data team")
    );
    assert!(got.tags().is_empty(), "{:?}", got.tags());
    assert_eq!(current(s, FOREIGN).await.0, "theirs");

    // 7. Deleted for good, twice; the stranger's is not ours to delete and stays.
    secrets::delete(s, &found.arn, None).await.expect("delete");
    secrets::delete(s, &found.arn, None)
        .await
        .expect("a second delete finds it gone");
    secrets::delete(s, NAME, None)
        .await
        .expect("gone by name as well");
    assert!(secrets::find(s, NAME).await.unwrap().is_none());
    assert!(secrets::find(s, FOREIGN).await.unwrap().is_some());

    // 8. Deleted with a recovery window: it stays, scheduled for deletion, and a retried
    //    create of the same owner restores it.
    let made = secrets::create(s, &want, &first, CREATING)
        .await
        .expect("create again");
    secrets::delete(s, NAME, Some(7))
        .await
        .expect("delete with a window");
    secrets::delete(s, NAME, Some(7))
        .await
        .expect("a second delete finds it scheduled");
    let scheduled = secrets::find(s, NAME).await.unwrap().expect("kept");
    assert!(scheduled.scheduled_for_deletion, "{scheduled:?}");
    let got = s.describe_secret().secret_id(NAME).send().await.unwrap();
    assert!(got.deleted_date().is_some());
    let restored = secrets::create(s, &want, &second, CREATING)
        .await
        .expect("restored");
    assert_eq!(restored.arn, made.arn);
    assert!(!restored.scheduled_for_deletion);
    let found = secrets::find(s, NAME).await.unwrap().unwrap();
    assert!(!found.scheduled_for_deletion, "{found:?}");
    assert!(ownership::is_creating(&found.tags));
    assert_eq!(current(s, NAME).await.0, second.expose());

    // 9. A finished secret (no marker) destroyed with a recovery window belongs to no
    //    state: the next create of the same environment restores it; a stranger's
    //    scheduled secret stays refused.
    secrets::finish(s, &found).await.expect("finish");
    secrets::delete(s, NAME, Some(7))
        .await
        .expect("delete with a window");
    let restored = secrets::create(s, &want, &first, CREATING)
        .await
        .expect("a destroyed secret of ours is restored");
    assert!(!restored.scheduled_for_deletion);
    assert_eq!(current(s, NAME).await.0, first.expose());
    secrets::delete(s, FOREIGN, Some(7))
        .await
        .expect("schedule the stranger's");
    let foreign = DesiredSecret {
        name: FOREIGN.into(),
        ..want.clone()
    };
    assert!(matches!(
        secrets::create(s, &foreign, &first, CREATING).await,
        Err(BackendError::Taken(_))
    ));
    secrets::delete(s, NAME, None).await.expect("delete");
    assert!(secrets::find(s, NAME).await.unwrap().is_none());
}

/// `desired` as a create brings it: its tags with the creating marker.
fn being_created(desired: &DesiredSecret) -> DesiredSecret {
    DesiredSecret {
        tags: CREATING.tags(&desired.tags),
        ..desired.clone()
    }
}
