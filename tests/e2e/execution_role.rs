//! A Fargate service without `execution_role_arn` gets its own execution role, and one
//! with `access` a task role of exactly those grants: the plan
//! shows the role and its policy before anything exists; apply makes the role in IAM with
//! exactly that policy (its ECR repository, its log group, the secret and parameter it
//! references, decryption through those services) and names it in the task definition;
//! a policy widened out of band shows as drift and is put back; import finds the role as
//! the service's own; destroy deletes the role.

use terraform_provider_platform::backends::aws::iam::decode_document;

use crate::harness::{
    Aws, Cloud, Network, REQUIRED_PROVIDERS, Terraform, block_on, newest_terraform, on_versions,
};

const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/api:1.0.0";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:er/db-AbCdEf";
const PARAMETER: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/er/flag";
const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:er-jobs";

fn config(env: &str, network: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "staging"
  region = "us-east-1"
{network}
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  host        = "aws_fargate"
  image       = "{IMAGE}"
  port        = 8080
  secrets     = {{ DATABASE_URL = "{SECRET}", FLAG = "{PARAMETER}" }}
  access      = [jsonencode({{ Effect = "Allow", Action = ["sqs:SendMessage"], Resource = "{QUEUE}" }})]
}}
"#
    )
}

/// A role's ARN, if it exists.
fn role_arn(aws: &Aws, role: &str) -> Option<String> {
    block_on(async {
        aws.iam
            .get_role()
            .role_name(role)
            .send()
            .await
            .ok()?
            .role
            .map(|r| r.arn)
    })
}

/// The role's inline policy as IAM holds it, parsed.
fn policy_in_iam(aws: &Aws, role: &str) -> Option<serde_json::Value> {
    block_on(async {
        let out = aws
            .iam
            .get_role_policy()
            .role_name(role)
            .policy_name("platform")
            .send()
            .await
            .ok()?;
        // IAM answers URL-encoded documents; the provider's own decoder reads them.
        let text = decode_document(out.policy_document());
        serde_json::from_str(&text).ok()
    })
}

fn statement(policy: &serde_json::Value, sid: &str) -> serde_json::Value {
    policy["Statement"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["Sid"] == sid))
        .cloned()
        .unwrap_or_else(|| panic!("no {sid} statement in {policy}"))
}

fn lifecycle(tf: &Terraform) {
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = format!("er{}", tf.version.replace('.', ""));
    let role = format!("{env}-api-execution");
    let wd = moto.workdir(&config(&env, &network.block()));

    // 1. The plan shows the role and its whole policy before anything exists.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"execution_role\"",
        "\"iam_role\"",
        &format!("\"{role}\""),
        "secretsmanager:GetSecretValue",
        "ssm:GetParameters",
        "ecr:BatchGetImage",
        "${aws:PrincipalAccount}",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: the plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }

    // 2. Apply: the role exists with exactly the planned permissions, and the task
    //    definition runs with it.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let (arn, tags) = block_on(async {
        let r = aws
            .iam
            .get_role()
            .role_name(&role)
            .send()
            .await
            .expect("the role exists")
            .role
            .expect("a role");
        let tags = aws
            .iam
            .list_role_tags()
            .role_name(&role)
            .send()
            .await
            .expect("ListRoleTags")
            .tags;
        (r.arn, tags)
    });
    let tag = |k: &str| tags.iter().find(|t| t.key == k).map(|t| t.value.clone());
    assert_eq!(tag("platform:environment").as_deref(), Some(env.as_str()));
    assert_eq!(
        tag("managed-by").as_deref(),
        Some("terraform-provider-platform")
    );
    assert_eq!(tag("platform:lifecycle"), None, "{tf}: the create finished");
    let policy = policy_in_iam(&aws, &role).expect("the inline policy");
    assert_eq!(
        statement(&policy, "ReadSecrets")["Resource"],
        serde_json::json!([SECRET]),
        "{tf}: exactly the referenced secret"
    );
    assert_eq!(
        statement(&policy, "ReadParameters")["Resource"],
        serde_json::json!([PARAMETER])
    );
    assert_eq!(
        statement(&policy, "PullImage")["Resource"],
        serde_json::json!(["arn:aws:ecr:us-east-1:123456789012:repository/acme/api"])
    );
    let logs = statement(&policy, "WriteLogs")["Resource"].to_string();
    assert!(
        logs.contains(&format!("log-group:/platform/{env}/api:*")),
        "{logs}"
    );
    let sids: Vec<&str> = policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["Sid"].as_str())
        .collect();
    assert_eq!(
        sids,
        [
            "PullImage",
            "AuthenticateToRegistry",
            "WriteLogs",
            "ReadSecrets",
            "ReadParameters",
            "DecryptSecrets"
        ],
        "{tf}: nothing else"
    );
    // `access` makes the task role: its policy is exactly the grant.
    let task_role = format!("{env}-api-task");
    let granted = policy_in_iam(&aws, &task_role).expect("the task role's policy");
    assert_eq!(
        granted["Statement"],
        serde_json::json!([{"Action": ["sqs:SendMessage"], "Effect": "Allow", "Resource": QUEUE}]),
        "{tf}: exactly the grant"
    );
    let (execution, task) = block_on(async {
        let td = aws
            .ecs
            .describe_task_definition()
            .task_definition(format!("{env}-api"))
            .send()
            .await
            .expect("DescribeTaskDefinition")
            .task_definition
            .expect("a task definition");
        (td.execution_role_arn, td.task_role_arn)
    });
    assert_eq!(execution.as_deref(), Some(arn.as_str()), "{tf}");
    assert_eq!(task, role_arn(&aws, &task_role), "{tf}");
    assert!(
        task.is_some(),
        "{tf}: the task definition runs as the task role"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 3. A policy widened out of band is drift of the role, and apply narrows it again.
    block_on(async {
        aws.iam
            .put_role_policy()
            .role_name(&role)
            .policy_name("platform")
            .policy_document(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            )
            .send()
            .await
            .expect("PutRolePolicy");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    // Newer Terraform shows the JSON as `jsonencode(...)` with a structural diff, older
    // as the strings themselves.
    assert!(
        drift.stdout.contains("Action   = \"*\" ->") || drift.stdout.contains("\"Action\":\"*\""),
        "{tf}: the widened policy shows:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let repaired = policy_in_iam(&aws, &role).expect("the inline policy");
    assert_eq!(repaired, policy, "{tf}: the planned policy is back");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. Import into an empty state finds the role as the service's own: no changes.
    let fresh = moto.workdir(&config(&env, &network.block()));
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", &env],
        )
        .expect_success();
    fresh
        .run(
            tf,
            &[
                "import",
                "-no-color",
                "platform_api_service.api",
                &format!("{env}/api"),
            ],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 5. `access` removed: the task role goes, the execution role stays.
    wd.write_main_tf(&config(&env, &network.block()).replace(
        &format!(
            "  access      = [jsonencode({{ Effect = \"Allow\", Action = [\"sqs:SendMessage\"], Resource = \"{QUEUE}\" }})]\n"
        ),
        "",
    ));
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        role_arn(&aws, &task_role),
        None,
        "{tf}: the task role is deleted"
    );
    assert!(
        role_arn(&aws, &role).is_some(),
        "{tf}: the execution role stays"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 6. Destroy deletes the role with everything else.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        role_arn(&aws, &role),
        None,
        "{tf}: the execution role is deleted"
    );
    assert_eq!(
        role_arn(&aws, &task_role),
        None,
        "{tf}: the task role is deleted"
    );
}

#[test]
fn a_fargate_service_gets_a_least_privilege_execution_role_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn a_fargate_service_gets_a_least_privilege_execution_role_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn a_fargate_service_gets_a_least_privilege_execution_role_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}

/// IAM role names are account-wide; environment names are unique per region. A service of
/// an environment named like one in another region is refused its role, and the other
/// region's role is left as it was.
#[test]
fn a_role_of_the_same_name_in_another_region_is_refused_and_left_alone() {
    let tf = newest_terraform();
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = "twin";
    let role = format!("{env}-api-execution");
    let east = moto.workdir(&config(env, &network.block()));
    east.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let before = policy_in_iam(&aws, &role).expect("the first region's role");

    let west_aws = Aws::in_region(&moto, "eu-west-1");
    let west_network = block_on(Network::create(&west_aws.ec2));
    let west = moto.workdir(
        &config(env, &west_network.block())
            .replace("region = \"us-east-1\"", "region = \"eu-west-1\""),
    );
    let refused = west.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    let said = format!("{}{}", refused.stdout, refused.stderr).replace('\n', " ");
    assert!(
        said.contains(&format!("`{role}`")) && said.contains("account-wide"),
        "the error names the role and why:\n{said}"
    );
    assert_eq!(
        policy_in_iam(&aws, &role),
        Some(before),
        "the other region's role is unchanged"
    );
    east.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}
