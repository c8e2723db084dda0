//! IAM roles the platform makes for its services: find (with tags and the one inline
//! policy), create with the trust policy and tags (adopting only an unfinished create of
//! ours), bring the policy and tags to the desired ones, finish a create, delete.
//!
//! IAM answers policy documents URL-encoded (RFC 3986); documents are compared as JSON,
//! so formatting and key order are never drift.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;
use std::collections::BTreeMap;

const SERVICE: &str = "IAM";

/// The tag recording the region of the environment a role serves: role names are
/// account-wide, environment names only unique per region.
pub const TAG_REGION: &str = "platform:region";

/// What a role should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRole {
    /// The role's name.
    pub name: String,
    /// The trust policy (who may assume it), as JSON.
    pub trust_policy: String,
    /// The name of its one inline policy.
    pub policy_name: String,
    /// That policy, as JSON.
    pub policy: String,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// A role as IAM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRole {
    /// The role's name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// The inline policy of the desired name, decoded; `None` when it has none.
    pub policy: Option<String>,
    /// Who may assume it (the trust policy), decoded.
    pub trust_policy: String,
    /// Every tag.
    pub tags: BTreeMap<String, String>,
}

impl ObservedRole {
    /// Whether the role's inline policy says what `desired` does (as JSON, not as text).
    pub fn policy_matches(&self, desired: &str) -> bool {
        self.policy
            .as_deref()
            .is_some_and(|p| same_json(p, desired))
    }
}

/// Whether two JSON documents are equal as JSON.
pub fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A policy document as IAM returns it: URL-encoded on AWS, plain from some emulators.
pub fn decode_document(text: &str) -> String {
    if text.trim_start().starts_with('{') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Looks a role up by name, with its tags and the inline policy `policy_name`; `None`
/// when it does not exist.
pub async fn find(
    client: &Client,
    name: &str,
    policy_name: &str,
) -> Result<Option<ObservedRole>, BackendError> {
    let role = match client.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(e) if is_error(&e, "NoSuchEntity", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "GetRole", e)),
    };
    let Some(role) = role else {
        return Ok(None);
    };
    let tags = client
        .list_role_tags()
        .role_name(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ListRoleTags", e))?
        .tags
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    let policy = match client
        .get_role_policy()
        .role_name(name)
        .policy_name(policy_name)
        .send()
        .await
    {
        Ok(out) => Some(decode_document(&out.policy_document)),
        Err(e) if is_error(&e, "NoSuchEntity", None) => None,
        Err(e) => return Err(api_error(SERVICE, "GetRolePolicy", e)),
    };
    Ok(Some(ObservedRole {
        name: role.role_name,
        arn: role.arn,
        policy,
        trust_policy: role
            .assume_role_policy_document
            .as_deref()
            .map(decode_document)
            .unwrap_or_default(),
        tags,
    }))
}

/// The inline policy `policy_name` of the role `name`, decoded: one call, for a read.
/// `None` when the role or the policy does not exist (either way the next apply makes
/// them again).
pub async fn policy(
    client: &Client,
    name: &str,
    policy_name: &str,
) -> Result<Option<String>, BackendError> {
    match client
        .get_role_policy()
        .role_name(name)
        .policy_name(policy_name)
        .send()
        .await
    {
        Ok(out) => Ok(Some(decode_document(&out.policy_document))),
        Err(e) if is_error(&e, "NoSuchEntity", None) => Ok(None),
        Err(e) => Err(api_error(SERVICE, "GetRolePolicy", e)),
    }
}

fn tag_list(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, BackendError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| BackendError::Api {
                    service: SERVICE,
                    operation: "TagRole",
                    message: e.to_string(),
                })
        })
        .collect()
}

/// Refuses a role of the same name made for an environment of the same name in another
/// region: it belongs to that one, whatever else its tags say.
pub fn check_region(existing: &ObservedRole, desired: &DesiredRole) -> Result<(), BackendError> {
    match (existing.tags.get(TAG_REGION), desired.tags.get(TAG_REGION)) {
        (Some(theirs), Some(ours)) if theirs != ours => Err(BackendError::Conflict(format!(
            "The IAM role `{}` already exists for the environment of the same name in `{theirs}`: IAM role names are account-wide, and this service's role would take the same name in `{ours}`. It was neither adopted nor changed. Rename this environment or service, or set `execution_role_arn` (and `task_role_arn`) to roles of your own.",
            desired.name
        ))),
        _ => Ok(()),
    }
}

/// Creates the role with its trust policy, tags (with the creating marker while `owner` is
/// creating) and inline policy, or adopts the one an unfinished create of this service
/// left (`existing`, just looked up). Any other role of that name is refused untouched.
pub async fn create_given(
    client: &Client,
    desired: &DesiredRole,
    owner: Owner<'_>,
    existing: Option<ObservedRole>,
) -> Result<ObservedRole, BackendError> {
    let desired = &DesiredRole {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        check_region(&existing, desired)?;
        owner.check(
            || format!("The IAM role `{}`", desired.name),
            &existing.tags,
        )?;
        return update(client, &existing, desired).await;
    }
    let created = client
        .create_role()
        .role_name(&desired.name)
        .assume_role_policy_document(&desired.trust_policy)
        .description("Made by terraform-provider-platform for one service; its inline policy allows exactly what the service needs.")
        .set_tags(Some(tag_list(&desired.tags)?))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateRole", e))?;
    let arn = created.role.map(|r| r.arn).unwrap_or_default();
    put_policy(client, desired).await?;
    Ok(ObservedRole {
        name: desired.name.clone(),
        arn,
        policy: Some(desired.policy.clone()),
        trust_policy: desired.trust_policy.clone(),
        tags: desired.tags.clone(),
    })
}

/// Brings the inline policy and tags to the desired ones, calling only what differs.
pub async fn update(
    client: &Client,
    observed: &ObservedRole,
    desired: &DesiredRole,
) -> Result<ObservedRole, BackendError> {
    if !observed.policy_matches(&desired.policy) {
        put_policy(client, desired).await?;
    }
    // Who may assume the role is part of what it allows: put back if changed out of band.
    if !same_json(&observed.trust_policy, &desired.trust_policy) {
        client
            .update_assume_role_policy()
            .role_name(&desired.name)
            .policy_document(&desired.trust_policy)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UpdateAssumeRolePolicy", e))?;
    }
    let (stale, changed) = super::tag_changes(&observed.tags, &desired.tags);
    if !stale.is_empty() {
        client
            .untag_role()
            .role_name(&desired.name)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UntagRole", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_role()
            .role_name(&desired.name)
            .set_tags(Some(tag_list(&changed)?))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "TagRole", e))?;
    }
    Ok(ObservedRole {
        name: observed.name.clone(),
        arn: observed.arn.clone(),
        policy: Some(desired.policy.clone()),
        trust_policy: desired.trust_policy.clone(),
        tags: desired.tags.clone(),
    })
}

async fn put_policy(client: &Client, desired: &DesiredRole) -> Result<(), BackendError> {
    client
        .put_role_policy()
        .role_name(&desired.name)
        .policy_name(&desired.policy_name)
        .policy_document(&desired.policy)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutRolePolicy", e))?;
    Ok(())
}

/// Marks the role's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedRole) -> Result<(), BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(());
    }
    client
        .untag_role()
        .role_name(&observed.name)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UntagRole", e))?;
    Ok(())
}

/// Deletes the role and its inline policy; a role or policy already gone counts as deleted.
pub async fn delete(client: &Client, name: &str, policy_name: &str) -> Result<(), BackendError> {
    match client
        .delete_role_policy()
        .role_name(name)
        .policy_name(policy_name)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if is_error(&e, "NoSuchEntity", None) => {}
        Err(e) => return Err(api_error(SERVICE, "DeleteRolePolicy", e)),
    }
    match client.delete_role().role_name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "NoSuchEntity", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteRole", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_read_url_encoded_or_plain_and_compared_as_json() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:aws:logs:us-east-1:${aws:PrincipalAccount}:log-group:/platform/dev/api:*"]}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22logs%3APutLogEvents%22%5D%2C%22Resource%22%3A%5B%22arn%3Aaws%3Alogs%3Aus-east-1%3A%24%7Baws%3APrincipalAccount%7D%3Alog-group%3A%2Fplatform%2Fdev%2Fapi%3A%2A%22%5D%7D%5D%7D";
        assert_eq!(decode_document(encoded), plain);
        assert_eq!(decode_document(plain), plain);
        let reordered = r#"{ "Statement": [ { "Resource": ["arn:aws:logs:us-east-1:${aws:PrincipalAccount}:log-group:/platform/dev/api:*"], "Action": ["logs:PutLogEvents"], "Effect": "Allow" } ], "Version": "2012-10-17" }"#;
        assert!(same_json(plain, reordered));
        assert!(!same_json(plain, &plain.replace("PutLogEvents", "*")));
        let role = ObservedRole {
            name: "r".into(),
            arn: "arn".into(),
            policy: Some(reordered.into()),
            trust_policy: String::new(),
            tags: BTreeMap::new(),
        };
        assert!(role.policy_matches(plain));
        assert!(
            !ObservedRole {
                policy: None,
                ..role
            }
            .policy_matches(plain)
        );
    }
}
