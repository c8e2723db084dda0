//! The S3 backend (the buckets of `platform_bucket`) called directly against a private moto
//! server: create while the bucket is being created → every setting read back through the
//! SDK and through `find` → a retried create adopts it, the create is finished and a later
//! create refuses it → versioning suspended and a lifecycle rule removed out of band show in
//! `find` and are put back, CORS replaced and tags synced → a bucket never versioned stays
//! unset → a bucket someone in this account made under our name is refused and left as it
//! was, one another account holds is refused too → a bucket holding objects is kept unless
//! forced, and a forced delete removes every version and delete marker, then the bucket.
//!
//! moto lets every account read every bucket (AWS answers another account's HeadBucket with
//! 403), so a bucket of another account is refused here as a stranger's, not as a conflict.
//! moto 5.2.5 names the XML root of some S3 answers `<{Operation}Response>`, which the Rust
//! SDK refuses; `scripts/moto_server.py` renames them.

use crate::harness::{Aws, Moto, block_on};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRuleFilter, ServerSideEncryption, VersioningConfiguration,
};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::s3::{
    self, CorsRule, DesiredBucket, Encryption, LifecycleRule,
};
use terraform_provider_platform::backends::ownership::{self, Claim, Owner};

const ENV: &str = "s3dev";
const NAME: &str = "s3dev-uploads";
const PLAIN: &str = "s3dev-plain";
const FOREIGN: &str = "s3dev-export";
const ELSEWHERE: &str = "s3dev-taken";
/// The account holding [`ELSEWHERE`] (moto's `x-moto-account-id` header).
const OTHER_ACCOUNT: &str = "210987654321";
/// The environment in state: buckets carrying its owner tags are its own.
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
        ("platform:component", "bucket"),
        ("managed-by", "terraform-provider-platform"),
        ("team", "media"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn desired() -> DesiredBucket {
    DesiredBucket {
        name: NAME.into(),
        region: crate::harness::AWS_REGION.into(),
        versioning: true,
        encryption: Encryption::Kms {
            key_id: Some("alias/s3dev-uploads".into()),
        },
        lifecycle_rules: vec![
            LifecycleRule {
                id: "rule-0".into(),
                prefix: "tmp/".into(),
                expire_after_days: Some(7),
                transition: None,
            },
            LifecycleRule {
                id: "rule-1".into(),
                prefix: "logs/".into(),
                expire_after_days: Some(365),
                transition: Some((30, "STANDARD_IA".into())),
            },
        ],
        cors: vec![CorsRule {
            allowed_origins: vec!["https://app.example.com".into()],
            allowed_methods: vec!["GET".into(), "PUT".into()],
            allowed_headers: vec!["*".into()],
            max_age_seconds: Some(3000),
        }],
        tags: tags(),
    }
}

fn refused_as(r: Result<impl std::fmt::Debug, BackendError>, name: &str) -> Claim {
    match r {
        Err(BackendError::Taken(t)) => {
            assert!(t.to_string().contains(name), "{t}");
            t.claim
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn s3_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let s = &c.s3;
    let want = desired();

    // 1. Created while the bucket is being created: the tags carry the marker.
    assert!(s3::find(s, NAME).await.unwrap().is_none());
    let created = s3::create(s, &want, CREATING).await.expect("create");
    assert!(ownership::is_creating(&created.tags), "{created:?}");

    // 2. Every setting as the SDK reads it back.
    let tagging = s.get_bucket_tagging().bucket(NAME).send().await.unwrap();
    let got: BTreeMap<_, _> = tagging
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_eq!(got, ownership::creating(&tags()));
    let versioning = s.get_bucket_versioning().bucket(NAME).send().await.unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let block = s
        .get_public_access_block()
        .bucket(NAME)
        .send()
        .await
        .unwrap();
    let block = block.public_access_block_configuration().expect("a block");
    assert_eq!(
        (
            block.block_public_acls(),
            block.ignore_public_acls(),
            block.block_public_policy(),
            block.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let sse = s.get_bucket_encryption().bucket(NAME).send().await.unwrap();
    let rule = &sse
        .server_side_encryption_configuration()
        .expect("an encryption configuration")
        .rules()[0];
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some("alias/s3dev-uploads"));
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    let lifecycle = s
        .get_bucket_lifecycle_configuration()
        .bucket(NAME)
        .send()
        .await
        .unwrap();
    let rules = lifecycle.rules();
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert_eq!(rules[1].id(), Some("rule-1"));
    assert_eq!(rules[1].status(), &ExpirationStatus::Enabled);
    assert_eq!(rules[1].filter().and_then(|f| f.prefix()), Some("logs/"));
    assert_eq!(rules[1].expiration().and_then(|e| e.days()), Some(365));
    let transition = &rules[1].transitions()[0];
    assert_eq!(transition.days(), Some(30));
    assert_eq!(
        transition.storage_class().map(|c| c.as_str()),
        Some("STANDARD_IA")
    );
    let cors = s.get_bucket_cors().bucket(NAME).send().await.unwrap();
    let rule = &cors.cors_rules()[0];
    assert_eq!(rule.allowed_origins(), ["https://app.example.com"]);
    assert_eq!(rule.allowed_methods(), ["GET", "PUT"]);
    assert_eq!(rule.allowed_headers(), ["*"]);
    assert_eq!(rule.max_age_seconds(), Some(3000));

    // 3. `find` reads back what the create answered.
    let found = s3::find(s, NAME).await.unwrap().expect("found");
    assert_eq!(found, created);
    assert_eq!(found.region, crate::harness::AWS_REGION);
    assert!(!s3::differs(&found, &being_created(&want)));

    // 4. A retried create adopts the unfinished bucket; once finished, a create refuses it
    //    (another state's) while the bucket in state keeps it.
    let adopted = s3::create(s, &want, CREATING)
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(adopted, found, "nothing to change");
    s3::finish(s, &adopted).await.expect("finish");
    let found = s3::find(s, NAME).await.unwrap().unwrap();
    assert_eq!(found.tags, tags(), "the marker is gone, the rest kept");
    assert!(!s3::differs(&found, &want));
    assert_eq!(
        refused_as(s3::create(s, &want, CREATING).await, NAME),
        Claim::OtherState
    );
    let kept = s3::create(s, &want, OWNER)
        .await
        .expect("the bucket in state keeps its bucket");
    assert_eq!(kept, found);

    // 5. Drift out of band shows in `find` and `update` puts it back.
    s.put_bucket_versioning()
        .bucket(NAME)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let only_first = aws_sdk_s3::types::LifecycleRule::builder()
        .id("rule-0")
        .filter(LifecycleRuleFilter::builder().prefix("tmp/").build())
        .status(ExpirationStatus::Enabled)
        .expiration(LifecycleExpiration::builder().days(7).build())
        .build()
        .unwrap();
    s.put_bucket_lifecycle_configuration()
        .bucket(NAME)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(only_first)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let drifted = s3::find(s, NAME).await.unwrap().unwrap();
    assert_eq!(
        drifted.versioning.as_deref(),
        Some(s3::VERSIONING_SUSPENDED)
    );
    assert_eq!(drifted.lifecycle_rules, want.lifecycle_rules[..1]);
    assert!(s3::differs(&drifted, &want));
    let updated = s3::update(s, &drifted, &want).await.expect("update");
    let found = s3::find(s, NAME).await.unwrap().unwrap();
    assert_eq!(found, updated);
    assert_eq!(found.versioning.as_deref(), Some(s3::VERSIONING_ENABLED));
    assert_eq!(found.lifecycle_rules, want.lifecycle_rules);
    assert!(!s3::differs(&found, &want));

    // CORS replaced, a tag changed, one added and one removed; SSE-S3 instead of KMS.
    let mut changed = DesiredBucket {
        cors: vec![CorsRule {
            allowed_origins: vec!["*".into()],
            allowed_methods: vec!["HEAD".into()],
            allowed_headers: vec![],
            max_age_seconds: None,
        }],
        encryption: Encryption::Aes256,
        ..want.clone()
    };
    changed.tags.remove("team");
    changed.tags.insert("cost-center".into(), "42".into());
    changed
        .tags
        .insert("platform:component".into(), "media".into());
    let updated = s3::update(s, &found, &changed).await.expect("update");
    let found = s3::find(s, NAME).await.unwrap().unwrap();
    assert_eq!(found, updated);
    assert_eq!(found.tags, changed.tags);
    assert_eq!(found.cors, changed.cors);
    assert_eq!(found.encryption, Some(Encryption::Aes256));
    let cors = s.get_bucket_cors().bucket(NAME).send().await.unwrap();
    assert_eq!(cors.cors_rules().len(), 1);
    assert_eq!(cors.cors_rules()[0].allowed_methods(), ["HEAD"]);
    // No CORS and no rules delete the configurations.
    let bare = DesiredBucket {
        cors: vec![],
        lifecycle_rules: vec![],
        ..changed.clone()
    };
    s3::update(s, &found, &bare).await.expect("update");
    let err = s.get_bucket_cors().bucket(NAME).send().await.unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("NoSuchCORSConfiguration")
    );
    let found = s3::find(s, NAME).await.unwrap().unwrap();
    assert!(found.cors.is_empty() && found.lifecycle_rules.is_empty());
    assert!(!s3::differs(&found, &bare));

    // 6. A bucket never versioned stays unset; SSE-S3, no rules, no CORS.
    let plain = DesiredBucket {
        name: PLAIN.into(),
        versioning: false,
        encryption: Encryption::Aes256,
        lifecycle_rules: vec![],
        cors: vec![],
        ..want.clone()
    };
    let made = s3::create(s, &plain, OWNER).await.expect("create");
    let versioning = s
        .get_bucket_versioning()
        .bucket(PLAIN)
        .send()
        .await
        .unwrap();
    assert_eq!(versioning.status(), None, "never versioned");
    let found = s3::find(s, PLAIN).await.unwrap().unwrap();
    assert_eq!(found, made);
    assert_eq!(found.versioning, None);
    assert_eq!(found.encryption, Some(Encryption::Aes256));
    assert!(!s3::differs(&found, &plain));
    s3::delete(s, PLAIN, false)
        .await
        .expect("an empty bucket is deleted without force");
    assert!(s3::find(s, PLAIN).await.unwrap().is_none());

    // 7. A bucket someone in this account made under our name is refused and untouched.
    s.create_bucket().bucket(FOREIGN).send().await.unwrap();
    let theirs = DesiredBucket {
        name: FOREIGN.into(),
        ..want.clone()
    };
    for owner in [CREATING, OWNER] {
        assert_eq!(
            refused_as(s3::create(s, &theirs, owner).await, FOREIGN),
            Claim::Stranger
        );
    }
    let stranger = s3::find(s, FOREIGN).await.unwrap().unwrap();
    assert!(stranger.tags.is_empty(), "{stranger:?}");
    assert!(!stranger.public_access_blocked);
    assert_eq!(stranger.versioning, None);
    assert!(stranger.lifecycle_rules.is_empty() && stranger.cors.is_empty());

    // One another account holds: AWS answers HeadBucket with 403, a conflict naming
    // `bucket_name`; moto lets every account read every bucket, so here it is found, and
    // refused as a stranger's, untagged and unchanged all the same.
    s.create_bucket()
        .bucket(ELSEWHERE)
        .customize()
        .mutate_request(|r| {
            r.headers_mut().insert("x-moto-account-id", OTHER_ACCOUNT);
        })
        .send()
        .await
        .unwrap();
    let elsewhere = DesiredBucket {
        name: ELSEWHERE.into(),
        ..want.clone()
    };
    match s3::create(s, &elsewhere, CREATING).await {
        Err(BackendError::Conflict(m)) => {
            assert!(m.contains(ELSEWHERE) && m.contains("`bucket_name`"), "{m}")
        }
        Err(BackendError::Taken(t)) => assert_eq!(t.claim, Claim::Stranger),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let theirs = s3::find(s, ELSEWHERE).await.unwrap().unwrap();
    assert!(
        theirs.tags.is_empty() && !theirs.public_access_blocked,
        "{theirs:?}"
    );

    // 8. Objects: `a` twice (two versions), `b`, and `c` deleted (a version and a marker).
    for (key, body) in [("a", "1"), ("a", "2"), ("b", "3"), ("c", "4")] {
        s.put_object()
            .bucket(NAME)
            .key(key)
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
            .await
            .unwrap();
    }
    s.delete_object()
        .bucket(NAME)
        .key("c")
        .send()
        .await
        .unwrap();
    let held = s.list_object_versions().bucket(NAME).send().await.unwrap();
    assert_eq!((held.versions().len(), held.delete_markers().len()), (4, 1));
    assert_eq!(s3::object_count(s, NAME, 100).await.unwrap(), 5);
    assert_eq!(s3::object_count(s, NAME, 2).await.unwrap(), 2, "stops at 2");

    match s3::delete(s, NAME, false).await {
        Err(BackendError::Refused(m)) => assert!(
            m.contains(NAME) && m.contains("at least 5") && m.contains("force_destroy = true"),
            "{m}"
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let held = s.list_object_versions().bucket(NAME).send().await.unwrap();
    assert_eq!(
        (held.versions().len(), held.delete_markers().len()),
        (4, 1),
        "nothing deleted"
    );
    assert!(s3::find(s, NAME).await.unwrap().is_some());

    s3::delete(s, NAME, true).await.expect("a forced delete");
    assert!(s3::find(s, NAME).await.unwrap().is_none());
    assert_eq!(s3::object_count(s, NAME, 100).await.unwrap(), 0);
    s3::delete(s, NAME, true)
        .await
        .expect("a second delete finds it gone");
    s3::delete(s, NAME, false).await.expect("and so does this");
    // The stranger's is not ours to delete and stays.
    assert!(s3::find(s, FOREIGN).await.unwrap().is_some());
}

/// `desired` as a create brings it: its tags with the creating marker.
fn being_created(desired: &DesiredBucket) -> DesiredBucket {
    DesiredBucket {
        tags: CREATING.tags(&desired.tags),
        ..desired.clone()
    }
}
