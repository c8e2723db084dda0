//! Secrets Manager secrets of `platform_secret` (and a cache's auth token): find, create
//! with a value and tags (adopting only an unfinished create of ours, restoring it when it
//! is scheduled for deletion), put a new value, update, finish a create, delete — and
//! [`random_value`], a generated value.
//!
//! A value is a [`Secret`] (shown as `***`): it goes into the request that stores it and
//! nowhere else — never a log line, an error message or a returned struct. The SDK redacts
//! `SecretString` in its own debug output.
//!
//! A deleted secret stays, scheduled for deletion, for its recovery window (7–30 days) and
//! holds its name until then; [`create`] restores one of ours rather than fail on the name.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use crate::config::Secret;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::Tag;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::BTreeMap;

const SERVICE: &str = "Secrets Manager";

/// The staging label of a secret's current version.
pub const CURRENT_STAGE: &str = "AWSCURRENT";

/// The KMS key Secrets Manager uses when none is given (DescribeSecret then names none).
pub const DEFAULT_KMS_KEY: &str = "alias/aws/secretsmanager";

/// What a secret should look like (its value goes separately, see [`create`] and
/// [`put_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredSecret {
    /// Secret name.
    pub name: String,
    /// Description.
    pub description: String,
    /// KMS key that encrypts the value; `None`: Secrets Manager's own
    /// ([`DEFAULT_KMS_KEY`]).
    pub kms_key_id: Option<String>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A secret as DescribeSecret reports it (never its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSecret {
    /// Secret name.
    pub name: String,
    /// Secret ARN (the name plus a random suffix).
    pub arn: String,
    /// Description; empty when it has none.
    pub description: String,
    /// KMS key; `None` for Secrets Manager's own.
    pub kms_key_id: Option<String>,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
    /// Whether it is scheduled for deletion (DescribeSecret's `DeletedDate` is set).
    pub scheduled_for_deletion: bool,
    /// The ID of the version staged [`CURRENT_STAGE`]; `None` while it has no value.
    pub current_version: Option<String>,
}

/// Looks a secret up by name or ARN; `None` when it does not exist.
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedSecret>, BackendError> {
    let out = match client.describe_secret().secret_id(name).send().await {
        Ok(out) => out,
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "DescribeSecret", e)),
    };
    let current_version = out.version_ids_to_stages().and_then(|versions| {
        versions
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == CURRENT_STAGE))
            .map(|(id, _)| id.clone())
    });
    Ok(Some(ObservedSecret {
        name: out.name().unwrap_or(name).to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        description: out.description().unwrap_or_default().to_string(),
        kms_key_id: key(out.kms_key_id()),
        tags: out
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect(),
        scheduled_for_deletion: out.deleted_date().is_some(),
        current_version,
    }))
}

/// A KMS key as the API names it: absent, empty and [`DEFAULT_KMS_KEY`] are all the default.
fn key(id: Option<&str>) -> Option<String> {
    id.filter(|k| !k.is_empty() && *k != DEFAULT_KMS_KEY)
        .map(str::to_string)
}

/// Creates the secret with `value`, carrying the creating marker while `owner` is
/// creating; or takes over the one under its name as `owner` allows (a stranger's is
/// refused and left untouched), restores it when it is scheduled for deletion, brings it
/// to `desired` and stores `value` as its current version.
pub async fn create(
    client: &Client,
    desired: &DesiredSecret,
    value: &Secret,
    owner: Owner<'_>,
) -> Result<ObservedSecret, BackendError> {
    let desired = &DesiredSecret {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(mut existing) = find(client, &desired.name).await? {
        // A secret of this environment awaiting deletion was destroyed by the state that
        // had it: no state holds it any more, so it is this create's to restore, finished
        // or not. Any other is taken over only as `owner` allows.
        let deleted_ours = existing.scheduled_for_deletion
            && ownership::claim(&existing.tags, owner.tag) != ownership::Claim::Stranger;
        if !deleted_ours {
            owner.check(
                || format!("The Secrets Manager secret `{}`", desired.name),
                &existing.tags,
            )?;
        }
        if existing.scheduled_for_deletion {
            tracing::info!(secret = %desired.name, "restoring the secret scheduled for deletion");
            client
                .restore_secret()
                .secret_id(&existing.arn)
                .send()
                .await
                .map_err(|e| api_error(SERVICE, "RestoreSecret", e))?;
            existing.scheduled_for_deletion = false;
        }
        tracing::info!(secret = %desired.name, "adopting the secret of this resource's create");
        let mut updated = update(client, &existing, desired).await?;
        updated.current_version = Some(put_value(client, &updated.arn, value).await?);
        return Ok(updated);
    }
    let out = client
        .create_secret()
        .name(&desired.name)
        .description(&desired.description)
        .set_kms_key_id(desired.kms_key_id.clone())
        .secret_string(value.expose())
        .set_tags(Some(tags(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateSecret", e))?;
    Ok(ObservedSecret {
        name: desired.name.clone(),
        arn: out.arn().unwrap_or_default().to_string(),
        description: desired.description.clone(),
        kms_key_id: key(desired.kms_key_id.as_deref()),
        tags: desired.tags.clone(),
        scheduled_for_deletion: false,
        current_version: out.version_id().map(str::to_string),
    })
}

fn tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Stores `value` as the secret's new current version; answers its version ID.
pub async fn put_value(client: &Client, arn: &str, value: &Secret) -> Result<String, BackendError> {
    let out = client
        .put_secret_value()
        .secret_id(arn)
        .secret_string(value.expose())
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutSecretValue", e))?;
    Ok(out.version_id().unwrap_or_default().to_string())
}

/// Brings description, KMS key and tags to `desired`, calling only what differs (one
/// UpdateSecret for description and key). The value is left as it is.
pub async fn update(
    client: &Client,
    observed: &ObservedSecret,
    desired: &DesiredSecret,
) -> Result<ObservedSecret, BackendError> {
    let description = (observed.description != desired.description).then_some(&desired.description);
    let kms_key_id = (observed.kms_key_id != key(desired.kms_key_id.as_deref())).then(|| {
        desired
            .kms_key_id
            .clone()
            .unwrap_or_else(|| DEFAULT_KMS_KEY.to_string())
    });
    if description.is_some() || kms_key_id.is_some() {
        client
            .update_secret()
            .secret_id(&observed.arn)
            .set_description(description.cloned())
            .set_kms_key_id(kms_key_id)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UpdateSecret", e))?;
    }
    let (stale, changed) = super::tag_changes(&observed.tags, &desired.tags);
    if !stale.is_empty() {
        client
            .untag_resource()
            .secret_id(&observed.arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_resource()
            .secret_id(&observed.arn)
            .set_tags(Some(tags(&changed)))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "TagResource", e))?;
    }
    Ok(ObservedSecret {
        description: desired.description.clone(),
        kms_key_id: key(desired.kms_key_id.as_deref()),
        tags: desired.tags.clone(),
        ..observed.clone()
    })
}

/// Whether the secret differs from `desired` in anything [`update`] sets: description,
/// KMS key (absent and [`DEFAULT_KMS_KEY`] are the same), tags.
pub fn differs(observed: &ObservedSecret, desired: &DesiredSecret) -> bool {
    observed.description != desired.description
        || observed.kms_key_id != key(desired.kms_key_id.as_deref())
        || observed.tags != desired.tags
}

/// Marks the secret's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedSecret) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    client
        .untag_resource()
        .secret_id(&observed.arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    Ok(())
}

/// Deletes the secret: at once and for good with `None`, or scheduled for deletion after
/// `recovery_window_days` (7–30), restorable until then. One already gone, or already
/// scheduled when a window is asked for, counts as deleted.
pub async fn delete(
    client: &Client,
    arn_or_name: &str,
    recovery_window_days: Option<i64>,
) -> Result<(), BackendError> {
    let request = client.delete_secret().secret_id(arn_or_name);
    let request = match recovery_window_days {
        None => request.force_delete_without_recovery(true),
        Some(days) => request.recovery_window_in_days(days),
    };
    let e = match request.send().await {
        Ok(_) => return Ok(()),
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => return Ok(()),
        Err(e) => e,
    };
    // Asking for a window again on a secret already scheduled for deletion is refused.
    if recovery_window_days.is_some() && is_error(&e, "InvalidRequestException", None) {
        let scheduled = find(client, arn_or_name).await?;
        if scheduled.is_none_or(|s| s.scheduled_for_deletion) {
            return Ok(());
        }
    }
    Err(api_error(SERVICE, "DeleteSecret", e))
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
/// The special characters of a value with `special`: none a shell, a URL or a connection
/// string quotes differently from the others (`'`, `"`, `\`, `/`, `@`, `` ` `` are left out).
pub const SPECIAL: &[u8] = b"!#$%&*()-_=+[]{}<>:?";

/// A random value of `length` characters from the system's generator: letters and digits,
/// plus [`SPECIAL`] when `special`, each character uniform over that alphabet (rejection
/// sampling). From 4 characters on it has at least one lower-case letter, one upper-case
/// letter, one digit (and one special character when `special`): a value without is
/// drawn again. Fails only when the operating system's generator does.
pub fn random_value(length: usize, special: bool) -> Result<Secret, BackendError> {
    let mut alphabet = [LOWER, UPPER, DIGITS].concat();
    if special {
        alphabet.extend_from_slice(SPECIAL);
    }
    let rng = SystemRandom::new();
    loop {
        let value = draw(&rng, &alphabet, length)?;
        let has = |class: &[u8]| value.iter().any(|c| class.contains(c));
        let complete =
            length < 4 || (has(LOWER) && has(UPPER) && has(DIGITS) && (!special || has(SPECIAL)));
        if complete {
            // The alphabet is ASCII, so every byte is a character.
            return Ok(Secret::new(
                value.into_iter().map(char::from).collect::<String>(),
            ));
        }
    }
}

/// `length` characters of `alphabet`, each uniform: a random byte is used only below the
/// largest multiple of the alphabet's size that fits a byte, so `byte % size` favours none.
fn draw(rng: &SystemRandom, alphabet: &[u8], length: usize) -> Result<Vec<u8>, BackendError> {
    let size = alphabet.len();
    let limit = 256 - 256 % size;
    let mut value = Vec::with_capacity(length);
    let mut bytes = [0u8; 64];
    while value.len() < length {
        rng.fill(&mut bytes).map_err(|_| {
            BackendError::Refused(
                "the operating system's random number generator failed, so no value was generated; run the command again".into(),
            )
        })?;
        value.extend(
            bytes
                .iter()
                .map(|&b| usize::from(b))
                .filter(|&b| b < limit)
                .map(|b| alphabet[b % size])
                .take(length - value.len()),
        );
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_value_has_its_length_and_every_class() {
        for length in [4, 5, 16, 32, 64, 200] {
            for special in [false, true] {
                let value = random_value(length, special).expect("the generator works");
                let text = value.expose();
                assert_eq!(text.chars().count(), length);
                assert!(text.chars().any(|c| c.is_ascii_lowercase()), "{length}");
                assert!(text.chars().any(|c| c.is_ascii_uppercase()), "{length}");
                assert!(text.chars().any(|c| c.is_ascii_digit()), "{length}");
                let specials = text.bytes().filter(|c| SPECIAL.contains(c)).count();
                if special {
                    assert!(specials > 0, "{length}");
                } else {
                    assert_eq!(specials, 0, "{length}");
                    assert!(text.chars().all(|c| c.is_ascii_alphanumeric()));
                }
                assert!(
                    text.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || SPECIAL.contains(&c))
                );
            }
        }
        for length in [0, 1, 3] {
            assert_eq!(
                random_value(length, true)
                    .expect("the generator works")
                    .expose()
                    .len(),
                length
            );
        }
    }

    #[test]
    fn two_random_values_differ_and_are_not_shown() {
        let a = random_value(32, true).expect("the generator works");
        let b = random_value(32, true).expect("the generator works");
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "***");
    }

    #[test]
    fn every_character_of_the_alphabet_is_drawn() {
        // 82 characters over 20 000 draws: each expected ~244 times.
        let rng = SystemRandom::new();
        let alphabet = [LOWER, UPPER, DIGITS, SPECIAL].concat();
        let value = draw(&rng, &alphabet, 20_000).expect("the generator works");
        let mut counts = BTreeMap::new();
        for c in value {
            *counts.entry(c).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), alphabet.len());
        assert!(counts.values().all(|&n| n > 100), "{counts:?}");
    }

    #[test]
    fn the_default_key_is_no_key() {
        assert_eq!(key(None), None);
        assert_eq!(key(Some("")), None);
        assert_eq!(key(Some(DEFAULT_KMS_KEY)), None);
        assert_eq!(key(Some("alias/prod")), Some("alias/prod".into()));
        let desired = DesiredSecret {
            name: "prod/db".into(),
            description: "d".into(),
            kms_key_id: Some(DEFAULT_KMS_KEY.into()),
            tags: BTreeMap::new(),
        };
        let observed = ObservedSecret {
            name: "prod/db".into(),
            arn: "arn".into(),
            description: "d".into(),
            kms_key_id: None,
            tags: BTreeMap::new(),
            scheduled_for_deletion: false,
            current_version: None,
        };
        assert!(!differs(&observed, &desired));
        assert!(differs(
            &observed,
            &DesiredSecret {
                description: "e".into(),
                ..desired
            }
        ));
    }
}
