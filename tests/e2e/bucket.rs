//! `platform_bucket` against moto: the plan shows the bucket's parts with sources and a
//! usage-priced estimate; apply makes the bucket with public access blocked, encryption,
//! versioning and lifecycle rules; versioning suspended and a lifecycle rule removed out of
//! band show as those children's drift and are put back; import rebuilds the bucket; a
//! bucket holding objects is not deleted without `force_destroy`, and a production bucket
//! not destroyed without `allow_replacement`. Then a service with `access` to a bucket and
//! a queue: its task role allows exactly those ARNs and actions.

use crate::harness::{Aws, Cloud, REQUIRED_PROVIDERS, Terraform, block_on, on_versions};
use terraform_provider_platform::backends::aws::iam::decode_document;

fn config(env: &str, tier: &str, extra: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "{tier}"
  region = "us-east-1"
}}

resource "platform_bucket" "logs" {{
  environment         = platform_environment.env.context
  name                = "logs"
  expected_storage_gb = 200
{extra}
  lifecycle_rule {{
    prefix                = "app/"
    transition_after_days = 30
    storage_class         = "GLACIER_IR"
    expire_after_days     = 365
  }}

  lifecycle_rule {{
    prefix            = "tmp/"
    expire_after_days = 7
  }}

  cors {{
    allowed_origins = ["https://app.example.com"]
    allowed_methods = ["GET", "PUT"]
  }}
}}

output "bucket" {{
  value = platform_bucket.logs.bucket
}}
"#
    )
}

fn bucket_name(wd: &crate::harness::Workdir, tf: &Terraform) -> String {
    let out = wd.run(tf, &["output", "-raw", "bucket"]);
    out.expect_success();
    out.stdout.trim().to_string()
}

fn versioning(aws: &Aws, bucket: &str) -> Option<String> {
    block_on(async {
        aws.s3
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .ok()?
            .status()
            .map(|s| s.as_str().to_string())
    })
}

fn rule_ids(aws: &Aws, bucket: &str) -> Vec<String> {
    block_on(async {
        aws.s3
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .map(|o| {
                o.rules()
                    .iter()
                    .filter_map(|r| r.id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn exists(aws: &Aws, bucket: &str) -> bool {
    block_on(async { aws.s3.head_bucket().bucket(bucket).send().await.is_ok() })
}

fn lifecycle(tf: &Terraform) {
    let moto = crate::harness::Moto::start();
    let aws = Aws::new(&moto);
    let env = format!("bk{}", tf.version.replace('.', ""));
    let wd = moto.workdir(&config(&env, "staging", ""));

    // 1. The plan: every part, with sources, and 200 GB-months priced.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"s3_public_access_block\"",
        "\"s3_bucket_versioning\"",
        "\"tier:staging\" = \"status\"",
        "prefix \\\"app/\\\": to GLACIER_IR after 30 days; expire after 365 days",
        "GET, PUT from https://app.example.com",
        "200 GB-month of S3 Standard at $0.023",
        "s3:PutObject",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: the plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }

    // 2. Apply: everything in S3.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let bucket = bucket_name(&wd, tf);
    assert!(
        bucket.starts_with(&format!("{env}-logs-")),
        "{tf}: {bucket}"
    );
    assert_eq!(
        versioning(&aws, &bucket).as_deref(),
        Some("Enabled"),
        "{tf}"
    );
    assert_eq!(rule_ids(&aws, &bucket), ["rule-0", "rule-1"], "{tf}");
    let blocked = block_on(async {
        aws.s3
            .get_public_access_block()
            .bucket(&bucket)
            .send()
            .await
            .expect("GetPublicAccessBlock")
            .public_access_block_configuration
            .expect("a configuration")
    });
    assert_eq!(
        (
            blocked.block_public_acls(),
            blocked.block_public_policy(),
            blocked.ignore_public_acls(),
            blocked.restrict_public_buckets()
        ),
        (Some(true), Some(true), Some(true), Some(true)),
        "{tf}"
    );
    let sse = block_on(async {
        aws.s3
            .get_bucket_encryption()
            .bucket(&bucket)
            .send()
            .await
            .expect("GetBucketEncryption")
    });
    let algorithm = sse
        .server_side_encryption_configuration()
        .and_then(|c| c.rules().first())
        .and_then(|r| r.apply_server_side_encryption_by_default())
        .map(|d| d.sse_algorithm().as_str().to_string());
    assert_eq!(algorithm.as_deref(), Some("AES256"), "{tf}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 3. Versioning suspended and a rule removed out of band: drift, put back.
    block_on(async {
        aws.s3
            .put_bucket_versioning()
            .bucket(&bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                    .build(),
            )
            .send()
            .await
            .expect("PutBucketVersioning");
        let keep = aws
            .s3
            .get_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .send()
            .await
            .expect("GetBucketLifecycleConfiguration")
            .rules()
            .iter()
            .filter(|r| r.id() == Some("rule-0"))
            .cloned()
            .collect::<Vec<_>>();
        aws.s3
            .put_bucket_lifecycle_configuration()
            .bucket(&bucket)
            .lifecycle_configuration(
                aws_sdk_s3::types::BucketLifecycleConfiguration::builder()
                    .set_rules(Some(keep))
                    .build()
                    .expect("a configuration"),
            )
            .send()
            .await
            .expect("PutBucketLifecycleConfiguration");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"Disabled\""),
        "{tf}: suspended shows:\n{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("\"rule-1\""),
        "{tf}: the removed rule shows:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        versioning(&aws, &bucket).as_deref(),
        Some("Enabled"),
        "{tf}"
    );
    assert_eq!(rule_ids(&aws, &bucket), ["rule-0", "rule-1"], "{tf}");
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. Import into an empty state rebuilds the bucket: no changes.
    let whole = config(&env, "staging", "");
    let fresh = moto.workdir(whole.split("output \"bucket\"").next().unwrap_or(&whole));
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
                "platform_bucket.logs",
                &format!("{env}/logs"),
            ],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 5. A bucket holding objects is not deleted without force_destroy; with it, it is.
    block_on(async {
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key("app/report.json")
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"{}"))
            .send()
            .await
            .expect("PutObject");
    });
    let refused = wd.run(tf, &["destroy", "-no-color", "-auto-approve"]);
    assert_ne!(refused.code, 0, "{tf}: a bucket with objects is kept");
    assert!(
        refused.stderr.contains("force_destroy"),
        "{tf}:\n{}",
        refused.stderr
    );
    assert!(exists(&aws, &bucket), "{tf}: the bucket is still there");
    wd.write_main_tf(&config(&env, "staging", "  force_destroy = true"));
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(!exists(&aws, &bucket), "{tf}: the bucket is gone");
}

#[test]
fn a_bucket_with_rules_drift_and_guards_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn a_bucket_with_rules_drift_and_guards_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn a_bucket_with_rules_drift_and_guards_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}

/// In production, destroying a bucket is refused at plan time, naming `allow_replacement`,
/// and nothing is deleted.
#[test]
fn a_production_bucket_is_not_destroyed_without_allow_replacement() {
    let tf = crate::harness::newest_terraform();
    let moto = crate::harness::Moto::start();
    let aws = Aws::new(&moto);
    let wd = moto.workdir(&config("bkprod", "production", ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let bucket = bucket_name(&wd, &tf);
    let refused = wd.run(&tf, &["destroy", "-no-color", "-auto-approve"]);
    assert_ne!(refused.code, 0, "the destroy is refused");
    assert!(
        refused.stderr.contains("allow_replacement"),
        "{}",
        refused.stderr
    );
    assert!(exists(&aws, &bucket));
    wd.write_main_tf(&config(
        "bkprod",
        "production",
        "  allow_replacement = true",
    ));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(!exists(&aws, &bucket));
}

/// A service's `access` to a bucket (read/write) and a queue (send): its task role's policy
/// in IAM allows exactly those actions on exactly those ARNs, and nothing else.
#[test]
fn a_service_with_access_gets_exactly_those_grants() {
    let tf = crate::harness::newest_terraform();
    let Cloud { moto, aws, network } = Cloud::with_network();
    let env = "bkacc";
    let main = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "development"
  region = "us-east-1"
{network}
}}

resource "platform_bucket" "uploads" {{
  environment = platform_environment.env.context
  name        = "uploads"
}}

resource "platform_queue" "jobs" {{
  environment = platform_environment.env.context
  name        = "jobs"
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  host        = "aws_fargate"
  image       = "ghcr.io/example/api:1.0.0"
  access      = [platform_bucket.uploads.grants.read_write, platform_queue.jobs.grants.send]
}}

output "bucket" {{
  value = platform_bucket.uploads.bucket
}}
"#,
        network = network.block()
    );
    let wd = moto.workdir(&main);
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert!(
        plan.stdout.contains("\"task_role\"") && plan.stdout.contains("s3:PutObject"),
        "the task role's policy is in the plan:\n{}",
        plan.stdout
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let bucket = bucket_name(&wd, &tf);
    let policy: serde_json::Value = block_on(async {
        let out = aws
            .iam
            .get_role_policy()
            .role_name(format!("{env}-api-task"))
            .policy_name("platform")
            .send()
            .await
            .expect("the task role's policy");
        serde_json::from_str(&decode_document(out.policy_document())).expect("JSON")
    });
    let mut allowed: Vec<(String, String)> = Vec::new();
    for st in policy["Statement"].as_array().expect("statements") {
        assert_eq!(st["Effect"], "Allow");
        let list = |v: &serde_json::Value| -> Vec<String> {
            match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
                serde_json::Value::String(s) => vec![s.clone()],
                _ => vec![],
            }
        };
        for action in list(&st["Action"]) {
            for resource in list(&st["Resource"]) {
                allowed.push((action.clone(), resource));
            }
        }
    }
    allowed.sort();
    let arn = format!("arn:aws:s3:::{bucket}");
    let objects = format!("{arn}/*");
    let queue = format!("arn:aws:sqs:us-east-1:*:{env}-jobs");
    let mut want: Vec<(String, String)> = [
        ("s3:ListBucket", arn.as_str()),
        ("s3:AbortMultipartUpload", objects.as_str()),
        ("s3:DeleteObject", objects.as_str()),
        ("s3:GetObject", objects.as_str()),
        ("s3:PutObject", objects.as_str()),
        ("sqs:GetQueueAttributes", queue.as_str()),
        ("sqs:GetQueueUrl", queue.as_str()),
        ("sqs:SendMessage", queue.as_str()),
    ]
    .iter()
    .map(|(a, r)| (a.to_string(), r.to_string()))
    .collect();
    want.sort();
    assert_eq!(allowed, want, "exactly these grants: {policy}");
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}
