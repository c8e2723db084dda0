//! The IAM a Fargate service gets when it brings no role of its own: an execution role whose
//! one inline policy allows exactly what ECS does for this service — pull its image (when the
//! image is in ECR), write to its own log group, read the secrets it references (and decrypt
//! them through the service that holds them) — and nothing else.
//!
//! The policy is fully known at plan time: every ARN comes from the configuration except
//! the account of the log group, which is the policy variable `${aws:PrincipalAccount}`
//! (the role's own account, resolved by IAM when the policy is evaluated).

use std::collections::BTreeSet;

use super::validate::{SecretRef, secret_ref};

/// Who assumes an execution role: the ECS agent on behalf of the task.
pub const ECS_TASKS_PRINCIPAL: &str = "ecs-tasks.amazonaws.com";

/// The name of the one inline policy on a role the platform makes.
pub const INLINE_POLICY_NAME: &str = "platform";

/// An IAM role the platform makes for a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePlan {
    /// The role's name, `<environment>-<service>-execution`.
    pub name: String,
    /// The service principal allowed to assume it.
    pub principal: String,
    /// Its one inline policy.
    pub policy: PolicyDocument,
}

/// An IAM policy document: allow statements, rendered to JSON the same way every time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyDocument {
    /// The statements the platform writes, in a fixed order.
    pub statements: Vec<Statement>,
    /// Statements granted in the configuration (`access`), each as given, after those.
    pub grants: Vec<serde_json::Value>,
}

/// One `Allow` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// What the statement is for, e.g. `WriteLogs`.
    pub sid: String,
    /// Actions, e.g. `logs:PutLogEvents`.
    pub actions: Vec<String>,
    /// Resource ARNs (or `*` where the action has no resource-level permission).
    pub resources: Vec<String>,
    /// A `StringEquals` condition: key and allowed values.
    pub condition: Option<(String, Vec<String>)>,
}

impl PolicyDocument {
    /// The document as IAM takes it: compact JSON, keys in a fixed order.
    pub fn to_json(&self) -> String {
        let statements: Vec<serde_json::Value> = self
            .statements
            .iter()
            .map(|s| {
                let mut o = serde_json::Map::new();
                o.insert("Sid".into(), s.sid.clone().into());
                o.insert("Effect".into(), "Allow".into());
                o.insert("Action".into(), s.actions.clone().into());
                o.insert("Resource".into(), s.resources.clone().into());
                if let Some((key, values)) = &s.condition {
                    o.insert(
                        "Condition".into(),
                        serde_json::json!({ "StringEquals": { key: values } }),
                    );
                }
                serde_json::Value::Object(o)
            })
            .chain(self.grants.iter().cloned())
            .collect();
        serde_json::json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
    }
}

/// The trust policy of a role `principal` assumes.
pub fn trust_policy(principal: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": principal },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// The partition of an AWS region: `aws-cn` for China, `aws-us-gov` for GovCloud.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The ECR repository an image is pulled from, as an ARN, when the image is in ECR
/// (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]`).
pub fn ecr_repository_arn(image: &str) -> Option<String> {
    let (host, path) = image.split_once('/')?;
    let mut labels = host.split('.');
    let account = labels.next()?;
    let (dkr, ecr, region) = (labels.next()?, labels.next()?, labels.next()?);
    let rest: Vec<&str> = labels.collect();
    let ecr_host = dkr == "dkr"
        && ecr == "ecr"
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (rest == ["amazonaws", "com"] || rest == ["amazonaws", "com", "cn"]);
    if !ecr_host {
        return None;
    }
    let repository = path.split('@').next()?;
    let repository = match repository.rsplit_once(':') {
        Some((repo, _tag)) => repo,
        None => repository,
    };
    (!repository.is_empty()).then(|| {
        format!(
            "arn:{}:ecr:{region}:{account}:repository/{repository}",
            partition(region)
        )
    })
}

/// The secret a reference reads, as the ARNs a policy names: a Secrets Manager reference
/// may end in `:<json-key>:<version-stage>:<version-id>`, which is not part of the ARN; and
/// a partial ARN (`…:secret:<name>`, without the `-` and six characters Secrets Manager
/// appends) matches the secret only with that suffix as a wildcard.
fn secret_arns(reference: &str) -> Vec<String> {
    let arn = reference
        .splitn(8, ':')
        .take(7)
        .collect::<Vec<_>>()
        .join(":");
    let name = arn.rsplit(':').next().unwrap_or_default();
    let suffixed = name.len() > 7
        && name.as_bytes()[name.len() - 7] == b'-'
        && name[name.len() - 6..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric());
    if suffixed {
        vec![arn]
    } else {
        vec![format!("{arn}-??????")]
    }
}

/// IAM's longest role name.
pub const MAX_ROLE_NAME: usize = 64;

/// IAM's limit on the size of one role's inline policies, in characters.
pub const MAX_INLINE_POLICY_CHARS: usize = 10_240;

/// The execution role of a Fargate service: `image` pulled, `log_group` written in
/// `region`, and the `secrets` references (Secrets Manager or SSM parameter ARNs) read.
pub fn execution_role<'a>(
    name: String,
    region: &str,
    image: &str,
    log_group: &str,
    secrets: impl IntoIterator<Item = &'a str>,
) -> RolePlan {
    let mut statements = Vec::new();
    if let Some(repository) = ecr_repository_arn(image) {
        statements.push(Statement {
            sid: "PullImage".into(),
            actions: vec![
                "ecr:BatchCheckLayerAvailability".into(),
                "ecr:BatchGetImage".into(),
                "ecr:GetDownloadUrlForLayer".into(),
            ],
            resources: vec![repository],
            condition: None,
        });
        // The registry's token is account-wide: the action takes no resource.
        statements.push(Statement {
            sid: "AuthenticateToRegistry".into(),
            actions: vec!["ecr:GetAuthorizationToken".into()],
            resources: vec!["*".into()],
            condition: None,
        });
    }
    statements.push(Statement {
        sid: "WriteLogs".into(),
        actions: vec!["logs:CreateLogStream".into(), "logs:PutLogEvents".into()],
        resources: vec![format!(
            "arn:{}:logs:{region}:${{aws:PrincipalAccount}}:log-group:{log_group}:*",
            partition(region)
        )],
        condition: None,
    });
    let mut managers = BTreeSet::new();
    let mut parameters = BTreeSet::new();
    let mut via = BTreeSet::new();
    for reference in secrets {
        let region_of = reference.split(':').nth(3).unwrap_or(region).to_string();
        match secret_ref(reference) {
            Some(SecretRef::SecretsManager) => {
                managers.extend(secret_arns(reference));
                via.insert(format!("secretsmanager.{region_of}.amazonaws.com"));
            }
            Some(SecretRef::SsmParameter) => {
                parameters.insert(reference.to_string());
                via.insert(format!("ssm.{region_of}.amazonaws.com"));
            }
            // Validation refuses anything else on Fargate.
            _ => {}
        }
    }
    if !managers.is_empty() {
        statements.push(Statement {
            sid: "ReadSecrets".into(),
            actions: vec!["secretsmanager:GetSecretValue".into()],
            resources: managers.into_iter().collect(),
            condition: None,
        });
    }
    if !parameters.is_empty() {
        statements.push(Statement {
            sid: "ReadParameters".into(),
            actions: vec!["ssm:GetParameters".into()],
            resources: parameters.into_iter().collect(),
            condition: None,
        });
    }
    if !via.is_empty() {
        // A secret encrypted with a customer managed key is decrypted through the service
        // that holds it; the key is not in the reference, the service is.
        statements.push(Statement {
            sid: "DecryptSecrets".into(),
            actions: vec!["kms:Decrypt".into()],
            resources: vec![format!(
                "arn:{}:kms:*:${{aws:PrincipalAccount}}:key/*",
                partition(region)
            )],
            condition: Some(("kms:ViaService".into(), via.into_iter().collect())),
        });
    }
    RolePlan {
        name,
        principal: ECS_TASKS_PRINCIPAL.into(),
        policy: PolicyDocument {
            statements,
            grants: Vec::new(),
        },
    }
}

/// The task role of a service: what its code may do, exactly the `grants` (IAM policy
/// statements) of its `access`. A statement given twice is kept once; IAM wants the `Sid`s
/// of one policy unique, so a `Sid` already used (two buckets' `ListBucket`) gets the
/// next free number (`ListBucket2`).
pub fn task_role(name: String, grants: Vec<serde_json::Value>) -> RolePlan {
    let without_sid = |g: &serde_json::Value| {
        let mut g = g.clone();
        if let Some(o) = g.as_object_mut() {
            o.remove("Sid");
        }
        g
    };
    let mut kept: Vec<serde_json::Value> = Vec::new();
    let mut sids = std::collections::BTreeSet::new();
    for g in grants {
        if kept.iter().any(|k| without_sid(k) == without_sid(&g)) {
            continue;
        }
        let mut g = g;
        if let Some(sid) = g
            .get("Sid")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
        {
            let mut unique = sid.clone();
            let mut n = 1;
            while sids.contains(&unique) {
                n += 1;
                unique = format!("{sid}{n}");
            }
            if unique != sid {
                g["Sid"] = serde_json::Value::String(unique.clone());
            }
            sids.insert(unique);
        }
        kept.push(g);
    }
    RolePlan {
        name,
        principal: ECS_TASKS_PRINCIPAL.into(),
        policy: PolicyDocument {
            statements: Vec::new(),
            grants: kept,
        },
    }
}

/// A grant of `access` read as IAM policy statements: one statement, or a list of them.
/// The reason it is not, if so.
pub fn grant(text: &str) -> Result<Vec<serde_json::Value>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("it is not JSON ({e})"))?;
    match value {
        serde_json::Value::Array(statements) if !statements.is_empty() => {
            statements.into_iter().map(statement).collect()
        }
        other => statement(other).map(|s| vec![s]),
    }
}

/// One IAM policy statement: a JSON object with `Effect` (`Allow` or `Deny`), `Action` or
/// `NotAction`, `Resource` or `NotResource`, and no `Principal` (a task role's policy is
/// identity-based).
fn statement(value: serde_json::Value) -> Result<serde_json::Value, String> {
    let Some(o) = value.as_object() else {
        return Err("it is not a JSON object (one statement, `{ \"Effect\": …, \"Action\": …, \"Resource\": … }`) or a list of them".into());
    };
    match o.get("Effect").and_then(serde_json::Value::as_str) {
        Some("Allow" | "Deny") => {}
        _ => return Err("its `Effect` is not `Allow` or `Deny`".into()),
    }
    let listed = |k: &str| match o.get(k) {
        Some(serde_json::Value::String(s)) => !s.is_empty(),
        Some(serde_json::Value::Array(a)) => {
            !a.is_empty() && a.iter().all(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        }
        _ => false,
    };
    if !listed("Action") && !listed("NotAction") {
        return Err("it names no `Action` (a string or a list of strings)".into());
    }
    if !listed("Resource") && !listed("NotResource") {
        return Err("it names no `Resource` (a string or a list of strings)".into());
    }
    if o.contains_key("Principal") || o.contains_key("NotPrincipal") {
        return Err("it has a `Principal`, which only resource policies have; a task role's policy applies to the role".into());
    }
    Ok(value)
}

/// The name of a service's task role.
pub fn task_role_name(cloud_name: &str) -> String {
    format!("{cloud_name}-task")
}

/// The name of a service's execution role: IAM allows 64 characters, and the environment
/// (≤ 20) and service names keep it well inside.
pub fn execution_role_name(cloud_name: &str) -> String {
    format!("{cloud_name}-execution")
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_task_roles_statements_have_unique_sids_and_no_duplicates() {
        let list = |sid: &str, r: &str| serde_json::json!({"Sid": sid, "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": r});
        let role = task_role(
            "r".into(),
            vec![
                list("ListBucket", "a"),
                list("ListBucket", "b"),
                list("ListBucket", "a"),
                list("ListBucket2", "c"),
            ],
        );
        let sids: Vec<&str> = role
            .policy
            .grants
            .iter()
            .filter_map(|g| g["Sid"].as_str())
            .collect();
        assert_eq!(sids, ["ListBucket", "ListBucket2", "ListBucket22"]);
    }

    use super::*;

    #[test]
    fn an_ecr_image_names_its_repository_and_others_need_no_pull_permission() {
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.4.2")
                .as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/team/api")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:ab")
                .as_deref(),
            Some("arn:aws:ecr:eu-west-1:123456789012:repository/api")
        );
        assert_eq!(
            ecr_repository_arn("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api").as_deref(),
            Some("arn:aws-cn:ecr:cn-north-1:123456789012:repository/api")
        );
        for other in [
            "ghcr.io/acme/api:1.0.0",
            "nginx:1.27",
            "registry.fly.io/app:1",
            "12345.dkr.ecr.eu-west-1.amazonaws.com/api",
            "123456789012.dkr.ecr.eu-west-1.example.com/api",
        ] {
            assert_eq!(ecr_repository_arn(other), None, "{other}");
        }
    }

    #[test]
    fn the_execution_policy_allows_exactly_the_image_the_log_group_and_the_secrets() {
        let role = execution_role(
            "prod-api-execution".into(),
            "eu-west-1",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1",
            "/platform/prod/api",
            [
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf:password::",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-XyZ123",
                "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/flag",
            ],
        );
        let doc: serde_json::Value = serde_json::from_str(&role.policy.to_json()).unwrap();
        let by_sid = |sid: &str| {
            doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
                .unwrap_or_else(|| panic!("no {sid} in {doc}"))
        };
        assert_eq!(
            by_sid("PullImage")["Resource"],
            serde_json::json!(["arn:aws:ecr:eu-west-1:123456789012:repository/api"])
        );
        assert_eq!(
            by_sid("WriteLogs")["Resource"],
            serde_json::json!([
                "arn:aws:logs:eu-west-1:${aws:PrincipalAccount}:log-group:/platform/prod/api:*"
            ])
        );
        assert_eq!(
            by_sid("ReadSecrets")["Resource"],
            serde_json::json!([
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stripe-XyZ123"
            ])
        );
        assert_eq!(
            by_sid("ReadParameters")["Resource"],
            serde_json::json!(["arn:aws:ssm:eu-west-1:123456789012:parameter/prod/flag"])
        );
        assert_eq!(
            by_sid("DecryptSecrets")["Condition"]["StringEquals"]["kms:ViaService"],
            serde_json::json!([
                "secretsmanager.eu-west-1.amazonaws.com",
                "ssm.eu-west-1.amazonaws.com"
            ])
        );
        // Nothing else: no wildcard action, and `*` only where ECR's token needs it.
        for s in doc["Statement"].as_array().unwrap() {
            assert_eq!(s["Effect"], "Allow");
            for a in s["Action"].as_array().unwrap() {
                assert!(!a.as_str().unwrap().contains('*'), "{s}");
            }
            if s["Resource"] == serde_json::json!(["*"]) {
                assert_eq!(
                    s["Action"],
                    serde_json::json!(["ecr:GetAuthorizationToken"])
                );
            }
        }
    }

    #[test]
    fn grants_are_identity_policy_statements_and_land_in_the_task_role_as_given() {
        let read =
            r#"{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::uploads/*"}"#;
        let role = task_role("prod-api-task".into(), grant(read).unwrap());
        let doc: serde_json::Value = serde_json::from_str(&role.policy.to_json()).unwrap();
        assert_eq!(
            doc["Statement"],
            serde_json::json!([serde_json::from_str::<serde_json::Value>(read).unwrap()])
        );
        for (bad, why) in [
            ("s3:GetObject", "not JSON"),
            ("[1]", "not a JSON object"),
            ("[]", "not a JSON object"),
            (
                r#"{"Effect":"Maybe","Action":"s3:GetObject","Resource":"*"}"#,
                "`Effect`",
            ),
            (r#"{"Effect":"Allow","Resource":"*"}"#, "no `Action`"),
            (
                r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#,
                "no `Action`",
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject"}"#,
                "no `Resource`",
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}"#,
                "`Principal`",
            ),
        ] {
            let err = grant(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_grant_may_be_a_list_of_statements_and_a_partial_secret_arn_gets_its_suffix() {
        let two = r#"[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]"#;
        assert_eq!(grant(two).unwrap().len(), 2);
        assert!(grant(r#"[{"Effect":"Allow","Resource":"*"}]"#).is_err());
        assert_eq!(
            secret_arns("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db"),
            ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-??????"]
        );
        assert_eq!(
            secret_arns(
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123:password::"
            ),
            ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123"]
        );
    }

    #[test]
    fn a_public_image_without_secrets_only_writes_its_logs() {
        let role = execution_role(
            "dev-api-execution".into(),
            "us-east-1",
            "ghcr.io/acme/api:1",
            "/platform/dev/api",
            [],
        );
        let sids: Vec<&str> = role
            .policy
            .statements
            .iter()
            .map(|s| s.sid.as_str())
            .collect();
        assert_eq!(sids, ["WriteLogs"]);
        let trust: serde_json::Value =
            serde_json::from_str(&trust_policy(&role.principal)).unwrap();
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "ecs-tasks.amazonaws.com"
        );
    }
}
