//! `platform_queue` against moto: the plan shows the queue and its dead-letter queue with
//! sources and a usage-priced $0; apply makes both, encrypted, with the redrive policy after
//! the tier's 5 receives; a dead-letter queue detached and a retention changed out of band
//! show as the queue's drift and are put back; import rebuilds the queue; destroy leaves
//! neither queue.

use crate::harness::{Aws, REQUIRED_PROVIDERS, Terraform, block_on, on_versions};
use std::collections::HashMap;

fn config(env: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "production"
  region = "us-east-1"
}}

resource "platform_queue" "jobs" {{
  environment                = platform_environment.env.context
  name                       = "jobs"
  visibility_timeout_seconds = 120
  tags                       = {{ team = "billing" }}
}}
"#
    )
}

const OUTPUTS: &str = r#"
output "url" {
  value = platform_queue.jobs.url
}

output "consume" {
  value = platform_queue.jobs.grants.consume
}
"#;

/// The queue's attributes as SQS holds them; `None` when it does not exist.
fn attributes(aws: &Aws, name: &str) -> Option<HashMap<String, String>> {
    block_on(async {
        let url = aws
            .sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .ok()?
            .queue_url?;
        let out = aws
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .ok()?;
        Some(
            out.attributes()?
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                .collect(),
        )
    })
}

fn set_attribute(aws: &Aws, name: &str, key: aws_sdk_sqs::types::QueueAttributeName, value: &str) {
    block_on(async {
        let url = aws
            .sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .expect("GetQueueUrl")
            .queue_url
            .expect("a URL");
        aws.sqs
            .set_queue_attributes()
            .queue_url(url)
            .attributes(key, value)
            .send()
            .await
            .expect("SetQueueAttributes");
    });
}

fn lifecycle(tf: &Terraform) {
    let moto = crate::harness::Moto::start();
    let aws = Aws::new(&moto);
    let env = format!("qu{}", tf.version.replace('.', ""));
    let queue = format!("{env}-jobs");
    let dlq = format!("{env}-jobs-dlq");
    let wd = moto.workdir(&format!("{}{OUTPUTS}", config(&env)));

    // 1. The plan: both queues, their sources, a usage-priced $0 and the grants.
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    for want in [
        "\"dead_letter_queue\"",
        "\"sqs_queue\"",
        &queue,
        &dlq,
        "\"tier:production\" = \"dead_letter.max_receives\"",
        "usage-priced: $0.40 per million standard requests",
        "sqs:ReceiveMessage",
        "arn:aws:sqs:us-east-1:*:",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: the plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }

    // 2. Apply: both queues, encrypted, the main one redriving to the other after 5.
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let main = attributes(&aws, &queue).expect("the queue exists");
    let dead = attributes(&aws, &dlq).expect("the dead-letter queue exists");
    assert_eq!(main["VisibilityTimeout"], "120", "{tf}");
    assert_eq!(main["MessageRetentionPeriod"], "345600", "{tf}");
    assert_eq!(dead["MessageRetentionPeriod"], "1209600", "{tf}");
    assert_eq!(
        main.get("SqsManagedSseEnabled").map(String::as_str),
        Some("true"),
        "{tf}"
    );
    let redrive: serde_json::Value =
        serde_json::from_str(&main["RedrivePolicy"]).expect("a redrive policy");
    assert_eq!(
        redrive["deadLetterTargetArn"],
        dead["QueueArn"].as_str(),
        "{tf}"
    );
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "5",
        "{tf}"
    );
    let url = wd.run(tf, &["output", "-raw", "url"]);
    url.expect_success();
    assert!(
        url.stdout.ends_with(&format!("/{queue}")),
        "{tf}: {}",
        url.stdout
    );
    let consume = wd.run(tf, &["output", "-raw", "consume"]);
    consume.expect_success();
    let statement: serde_json::Value = serde_json::from_str(&consume.stdout).expect("JSON");
    assert_eq!(
        statement["Resource"],
        format!("arn:aws:sqs:us-east-1:*:{queue}"),
        "{tf}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 3. The dead-letter queue detached and the retention changed out of band: the queue's
    //    drift, put back by the next apply.
    set_attribute(
        &aws,
        &queue,
        aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
        "",
    );
    set_attribute(
        &aws,
        &queue,
        aws_sdk_sqs::types::QueueAttributeName::MessageRetentionPeriod,
        "86400",
    );
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"dead_letter.queue\"") && drift.stdout.contains("\"none\""),
        "{tf}: the detached dead-letter queue shows:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let main = attributes(&aws, &queue).expect("the queue exists");
    assert_eq!(main["MessageRetentionPeriod"], "345600", "{tf}");
    assert!(
        main.contains_key("RedrivePolicy") && !main["RedrivePolicy"].is_empty(),
        "{tf}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. Import into an empty state rebuilds the queue: no changes.
    let fresh = moto.workdir(&config(&env));
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
                "platform_queue.jobs",
                &format!("{env}/jobs"),
            ],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 5. Destroy leaves neither queue.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        attributes(&aws, &queue).is_none(),
        "{tf}: the queue is gone"
    );
    assert!(
        attributes(&aws, &dlq).is_none(),
        "{tf}: the dead-letter queue is gone"
    );
}

#[test]
fn a_queue_with_its_dead_letter_queue_on_terraform_1_15() {
    on_versions(&["1.15.5"], lifecycle);
}

#[test]
fn a_queue_with_its_dead_letter_queue_on_terraform_1_11() {
    on_versions(&["1.11.4"], lifecycle);
}

#[test]
fn a_queue_with_its_dead_letter_queue_on_terraform_1_0() {
    on_versions(&["1.0.3"], lifecycle);
}
