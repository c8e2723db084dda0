//! What the data components (`platform_queue`, `platform_secret`, `platform_bucket`) share:
//! the identity every one of them derives from its environment (names, region, tier,
//! effective tags) and the grants they export, IAM policy statements scoped to exactly
//! their own resource, which a service's or job's `access` turns into its task role.

use std::collections::BTreeMap;

use super::api_service::iam;
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::tier::Tier;
use super::{Source, Violation, naming};

/// A component's identity in its environment, known at plan time.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The environment's name.
    pub environment: String,
    /// The environment's tier.
    pub tier: Tier,
    /// The environment's region.
    pub region: String,
    /// The component's name as configured.
    pub name: String,
    /// `<environment>-<name>`.
    pub cloud_name: String,
    /// Effective tags of every child: provider defaults, the environment's, the
    /// component's own, then the platform's.
    pub tags: BTreeMap<String, String>,
}

/// The inputs every component has besides its own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Common<'a> {
    /// The environment's exported `context`.
    pub environment: &'a EnvironmentContext,
    /// The component's name.
    pub name: &'a str,
    /// The component's own `tags`.
    pub tags: &'a BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: &'a BTreeMap<String, String>,
}

/// Checks the name and tags and derives the identity; `what` names the component in
/// messages (`Queue`), `component` is its `platform:component` tag, `length` the name's.
pub fn identity(
    c: &Common<'_>,
    what: &str,
    component: &str,
    length: IntRange,
    example: &str,
    out: &mut Vec<Violation>,
) -> Option<Identity> {
    let before = out.len();
    naming::check_dns_name(c.name, what, length, example, out);
    let platform = naming::platform_tags(&c.environment.name, component);
    let tags =
        match naming::merge_child_tags(c.default_tags, &c.environment.tags, c.tags, &platform) {
            Ok(tags) => tags,
            Err(v) => {
                out.extend(v);
                return None;
            }
        };
    (out.len() == before).then(|| Identity {
        environment: c.environment.name.clone(),
        tier: c.environment.tier,
        region: c.environment.region.clone(),
        name: c.name.to_string(),
        cloud_name: naming::child_name(&c.environment.name, c.name),
        tags,
    })
}

/// A value the configuration sets, else a default of `source`.
pub fn or<T>(given: Option<T>, default: T, source: Source) -> (T, Source) {
    match given {
        Some(v) => (v, Source::Config),
        None => (default, source),
    }
}

/// One grant: a policy statement allowing `actions` on `resources`, as the JSON text
/// `access` takes. Actions are sorted so the text is stable.
pub fn grant(sid: &str, actions: &[&str], resources: &[String]) -> String {
    let mut actions: Vec<&str> = actions.to_vec();
    actions.sort_unstable();
    let resource = match resources {
        [one] => serde_json::Value::String(one.clone()),
        many => serde_json::Value::from(many.to_vec()),
    };
    serde_json::json!({
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resource,
    })
    .to_string()
}

/// Several statements as one grant (a JSON list), as `access` takes it.
pub fn grants(statements: Vec<String>) -> String {
    if statements.len() == 1 {
        return statements.into_iter().next().unwrap_or_default();
    }
    let values: Vec<serde_json::Value> = statements
        .iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect();
    serde_json::Value::from(values).to_string()
}

/// The ARN of a regional resource whose account the plan cannot know (it is whichever
/// account the provider's credentials reach): `*` in the account field. A role's policy
/// only reaches another account's resource if that resource's own policy admits it, so
/// the statement is, in effect, about this name in this region.
pub fn regional_arn(region: &str, service: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:{region}:*:{resource}",
        iam::partition(region)
    )
}

/// A KMS key ARN (`arn:<partition>:kms:<region>:<account>:key/<id>`): what a grant can
/// be scoped to. Aliases cannot be, so components take key ARNs only.
pub fn is_kms_key_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "kms", region, account, key]
            if partition.starts_with("aws")
                && naming::is_aws_region(region)
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && key.strip_prefix("key/").is_some_and(|id| !id.is_empty()))
}

/// An environment's context for the components' tests: `prod` in eu-west-1.
#[cfg(test)]
pub fn test_context(tier: Tier) -> EnvironmentContext {
    use super::environment::{self, EnvironmentInput, NetworkInput, PolicyInput};
    let input = EnvironmentInput {
        name: "prod".to_string(),
        tier: tier.as_str().to_string(),
        region: "eu-west-1".to_string(),
        network: Some(NetworkInput {
            subnet_ids: vec!["subnet-0a1b2c3d4e5f67890".to_string()],
            security_group_ids: vec!["sg-0a1b2c3d4e5f67890".to_string()],
            assign_public_ip: None,
            public_subnet_ids: Vec::new(),
        }),
        policy: PolicyInput::default(),
        tags: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        default_tags: BTreeMap::new(),
        ingress: None,
    };
    environment::plan(&input)
        .unwrap_or_else(|v| panic!("test environment is valid: {v:#?}"))
        .context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_is_one_statement_access_accepts() {
        let g = grant(
            "SendToQueue",
            &["sqs:SendMessage", "sqs:GetQueueUrl"],
            &["arn:aws:sqs:eu-west-1:*:prod-jobs".into()],
        );
        let parsed = iam::grant(&g).expect("access takes a grant");
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            parsed[0]["Action"],
            serde_json::json!(["sqs:GetQueueUrl", "sqs:SendMessage"])
        );
        assert_eq!(parsed[0]["Resource"], "arn:aws:sqs:eu-west-1:*:prod-jobs");
        let two = grants(vec![g.clone(), g]);
        assert_eq!(iam::grant(&two).expect("a list of statements").len(), 2);
    }

    #[test]
    fn kms_keys_are_arns() {
        assert!(is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        ));
        assert!(!is_kms_key_arn("alias/aws/sqs"));
        assert!(!is_kms_key_arn(
            "arn:aws:kms:eu-west-1:123456789012:alias/mine"
        ));
        assert_eq!(
            regional_arn("cn-north-1", "sqs", "q"),
            "arn:aws-cn:sqs:cn-north-1:*:q"
        );
    }
}
