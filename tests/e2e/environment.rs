//! `platform_environment` through its whole lifecycle on every Terraform CLI the harness
//! finds: plan shows the expansion → apply → the cluster is in moto with its tags → an
//! empty plan → out-of-band changes show as drift → apply fixes them → import into an empty
//! state plans no change → destroy → the cluster is gone.

use crate::harness::{
    Aws, Moto, REQUIRED_PROVIDERS, Terraform, Workdir, block_on, terraform_versions,
};
use std::collections::BTreeMap;

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

fn config(name: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  default_tags = {{ project = "e2e" }}
}}

resource "platform_environment" "this" {{
  name   = "{name}"
  tier   = "production"
  region = "us-east-1"
  network {{
    subnet_ids         = ["subnet-0123456789abcdef0", "subnet-12345678"]
    security_group_ids = ["sg-12345678"]
  }}
  policy {{
    max_instances = 12
  }}
  tags = {{
    team = "scoring"
  }}
}}
"#
    )
}

/// What ECS holds for one cluster: (status, container insights on, tags).
struct Cluster {
    status: String,
    insights: bool,
    tags: BTreeMap<String, String>,
    arn: String,
}

async fn ecs(moto: &Moto) -> aws_sdk_ecs::Client {
    Aws::new(moto).ecs
}

fn describe(moto: &Moto, name: &str) -> Option<Cluster> {
    block_on(async {
        let out = ecs(moto)
            .await
            .describe_clusters()
            .clusters(name)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .include(aws_sdk_ecs::types::ClusterField::Settings)
            .send()
            .await
            .expect("DescribeClusters");
        out.clusters().first().map(|c| Cluster {
            status: c.status().unwrap_or_default().to_string(),
            insights: c.settings().iter().any(|s| s.value() == Some("enabled")),
            tags: c
                .tags()
                .iter()
                .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
                .collect(),
            arn: c.cluster_arn().unwrap_or_default().to_string(),
        })
    })
}

fn change_out_of_band(moto: &Moto, cluster: &Cluster, name: &str) {
    block_on(async {
        let client = ecs(moto).await;
        client
            .update_cluster()
            .cluster(name)
            .settings(
                aws_sdk_ecs::types::ClusterSetting::builder()
                    .name(aws_sdk_ecs::types::ClusterSettingName::ContainerInsights)
                    .value("disabled")
                    .build(),
            )
            .send()
            .await
            .expect("UpdateCluster");
        client
            .tag_resource()
            .resource_arn(&cluster.arn)
            .tags(
                aws_sdk_ecs::types::Tag::builder()
                    .key("rogue")
                    .value("yes")
                    .build(),
            )
            .send()
            .await
            .expect("TagResource");
    });
}

fn delete_out_of_band(moto: &Moto, name: &str) {
    block_on(async {
        ecs(moto)
            .await
            .delete_cluster()
            .cluster(name)
            .send()
            .await
            .expect("DeleteCluster");
    });
}

fn lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    moto.reset();
    let name = format!("e2e{}", tf.version.replace('.', ""));
    let cluster_name = format!("{name}-cluster");
    let wd = moto.workdir(&config(&name));

    // 1. The plan shows the expansion, with provenance grouped by source, before anything
    //    exists.
    let plan = wd.run(tf, &["plan", "-no-color", "-out=tfplan"]);
    plan.expect_success();
    for want in [
        "platform_environment.this will be created",
        "expansion",
        "\"ecs_cluster\"",
        &format!("\"{cluster_name}\""),
        "\"tier:production\"",
        // The context carries the override, as text, and nothing the tier decides.
        "\"max_instances\" = \"12\"",
        "\"container_insights\"        = \"enabled\"",
        "\"tier:production\" = \"container_insights, default_capacity_provider\"",
    ] {
        assert!(
            plan.stdout.contains(want),
            "{tf}: plan lacks {want:?}:\n{}",
            plan.stdout
        );
    }
    assert!(
        describe(&moto, &cluster_name).is_none(),
        "plan must not create anything"
    );

    // 2. Apply creates the cluster with its settings and tags.
    wd.run(tf, &["apply", "-no-color", "tfplan"])
        .expect_success();
    let cluster = describe(&moto, &cluster_name).expect("cluster created");
    assert_eq!(cluster.status, "ACTIVE");
    assert!(cluster.insights, "production turns Container Insights on");
    for (k, v) in [
        ("platform:environment", name.as_str()),
        ("platform:component", "environment"),
        ("managed-by", "terraform-provider-platform"),
        ("platform:tier", "production"),
        ("team", "scoring"),
        ("project", "e2e"),
    ] {
        assert_eq!(
            cluster.tags.get(k).map(String::as_str),
            Some(v),
            "{tf}: tag {k}"
        );
    }

    // 3. Nothing changed: the next plan is empty.
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 4. Out-of-band changes show as drift of that child, and apply fixes them.
    change_out_of_band(&moto, &cluster, &cluster_name);
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"disabled\" -> \"enabled\""),
        "{tf}: drift of container insights not shown:\n{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("\"rogue\""),
        "{tf}: stray tag not shown:\n{}",
        drift.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let fixed = describe(&moto, &cluster_name).unwrap();
    assert!(
        fixed.insights && !fixed.tags.contains_key("rogue"),
        "{tf}: apply repaired drift"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // 5. A cluster deleted out of band is planned for re-creation.
    delete_out_of_band(&moto, &cluster_name);
    let gone = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    gone.expect_code(2);
    assert!(
        gone.stdout.contains("will be created"),
        "{tf}:\n{}",
        gone.stdout
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(describe(&moto, &cluster_name).unwrap().status, "ACTIVE");

    // 6. Import by name into an empty state gives a no-op plan.
    let fresh = moto.workdir(&config(&name));
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.this", &name],
        )
        .expect_success();
    let after_import = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        after_import.code, 0,
        "{tf}: plan after import:\n{}",
        after_import.stdout
    );

    // 7. Destroy removes the cluster.
    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    let after = describe(&moto, &cluster_name);
    assert!(
        after.is_none_or(|c| c.status == "INACTIVE"),
        "{tf}: cluster still active after destroy"
    );
}

fn find(filter: &str) -> Option<Terraform> {
    terraform_versions()
        .into_iter()
        .find(|t| t.version == filter || t.path.to_string_lossy().contains(filter))
}

#[test]
fn lifecycle_on_terraform_1_15() {
    lifecycle(&find("1.15.5").expect("Terraform 1.15.5 is installed by the harness"));
}

/// 1.6.6 is the release OpenTofu forked from: the closest stand-in for OpenTofu we can run.
#[test]
fn lifecycle_on_terraform_1_6() {
    lifecycle(&find("1.6.6").expect("Terraform 1.6.6 is installed by the harness"));
}

#[test]
fn lifecycle_on_terraform_1_0() {
    lifecycle(&find("1.0.3").expect("Terraform 1.0.3 is installed by the harness"));
}

#[test]
fn lifecycle_on_the_machines_terraform() {
    match find("terraform-system") {
        Some(tf) => lifecycle(&tf),
        None => {
            eprintln!("no /usr/local/bin/terraform on this machine; covered by 1.15.5 and 1.0.3")
        }
    }
}

#[test]
fn invalid_input_is_a_plan_time_diagnostic_naming_the_attribute() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let wd = Workdir::new(
        BIN,
        r#"
terraform {
  required_providers {
    platform = { source = "hostmatrix/platform" }
  }
}
resource "platform_environment" "bad" {
  name   = "Prod_Env"
  tier   = "prod"
  region = "eu-west-1"
  network {
    subnet_ids = ["subnet-12345678", "subnet-nothex!"]
  }
}
"#,
    );
    let out = wd.run(&tf, &["plan", "-no-color"]);
    assert_ne!(out.code, 0);
    // Terraform turns each diagnostic's attribute path into a pointer at the source line:
    // `network.subnet_ids[1]` resolves to line 12, where the list is written.
    for want in [
        "Invalid Environment Name",
        "line 8, in resource \"platform_environment\" \"bad\"",
        "Did you mean `production`?",
        "Invalid Subnet ID",
        "line 12, in resource \"platform_environment\" \"bad\"",
        "`subnet-nothex!`",
    ] {
        assert!(
            out.stderr.contains(want),
            "diagnostics lack {want:?}:\n{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains("panic"), "{}", out.stderr);
}

#[test]
fn tf_log_shows_provider_lines_at_their_level() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();
    let wd = moto.workdir(&config("logs"));
    let out = wd.run_with_env(&tf, &["plan", "-no-color"], &[("TF_LOG", "DEBUG")]);
    out.expect_success();
    let ours: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("provider.terraform-provider-platform"))
        .collect();
    assert!(
        ours.iter()
            .any(|l| l.contains("[INFO]") && l.contains("configuring the provider")),
        "INFO line missing:\n{}",
        ours.join("\n")
    );
    assert!(
        ours.iter()
            .any(|l| l.contains("[DEBUG]") && l.contains("serving")),
        "DEBUG line missing:\n{}",
        ours.join("\n")
    );
    // Dependencies' frame-by-frame debug output stays out of the user's log.
    assert!(
        !ours.iter().any(|l| l.contains("h2::")),
        "h2 noise in the log"
    );
    // With TF_LOG=ERROR, Terraform shows none of our INFO or DEBUG lines.
    let quiet = wd.run_with_env(&tf, &["plan", "-no-color"], &[("TF_LOG", "ERROR")]);
    assert!(
        !quiet.stderr.contains("configuring the provider"),
        "{}",
        quiet.stderr
    );
}

fn create_cluster_out_of_band(moto: &Moto, name: &str, tags: &[(&str, &str)]) {
    block_on(async {
        ecs(moto)
            .await
            .create_cluster()
            .cluster_name(name)
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(*k).value(*v).build())
                    .collect(),
            ))
            .send()
            .await
            .expect("CreateCluster");
    });
}

#[test]
fn a_retried_apply_adopts_the_cluster_its_unfinished_create_made_and_refuses_a_strangers() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();

    // As if an earlier apply created the cluster and crashed before finishing its create
    // (the cluster still carries the creating marker); `ownership.rs` kills a real apply.
    create_cluster_out_of_band(
        &moto,
        "crashed-cluster",
        &[
            ("platform:environment", "crashed"),
            ("platform:lifecycle", "creating"),
            ("managed-by", "terraform-provider-platform"),
        ],
    );
    let wd = moto.workdir(&config("crashed"));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let adopted = describe(&moto, "crashed-cluster").unwrap();
    assert_eq!(
        adopted.tags.get("team").map(String::as_str),
        Some("scoring"),
        "brought to the config"
    );
    assert!(
        !adopted.tags.contains_key("platform:lifecycle"),
        "marked finished"
    );
    assert!(adopted.insights);
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // A cluster of the same name that someone else made is never taken over.
    create_cluster_out_of_band(&moto, "taken-cluster", &[("owner", "another-team")]);
    let other = moto.workdir(&config("taken"));
    let out = other.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("Cluster Name Already Taken"),
        "{}",
        out.stderr
    );
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("The ECS cluster `taken-cluster`") && text.contains("Choose another name"),
        "says how to proceed: {text}"
    );
    let untouched = describe(&moto, "taken-cluster").unwrap();
    assert!(
        !untouched.tags.contains_key("managed-by"),
        "the stranger's cluster is untouched"
    );
}

#[test]
fn the_endpoints_block_points_the_provider_at_an_emulator() {
    let tf = find("1.15.5").expect("Terraform 1.15.5");
    let moto = Moto::start();
    let tf_config = config("endpoints").replace(
        "provider \"platform\" {",
        &format!(
            "provider \"platform\" {{\n  endpoints {{\n    ecs = \"{}\"\n  }}",
            moto.endpoint()
        ),
    );
    // Without the block, AWS calls would go to a closed port.
    let mut wd = Workdir::new(BIN, &tf_config);
    wd.without_moto();
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        describe(&moto, "endpoints-cluster").unwrap().status,
        "ACTIVE"
    );
}
