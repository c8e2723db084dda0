//! Tags reach every child: the provider's `default_tags`, the environment's `tags` and each
//! resource's own, with the documented precedence (default_tags < environment < resource <
//! platform), on every cloud resource a service and a database expand into — checked in moto,
//! and in the plan's expansion.

use crate::faults::FaultProxy;
use crate::harness::{Aws, Cloud, Moto, REQUIRED_PROVIDERS, block_on, newest_terraform};
use std::collections::BTreeMap;

type Tags = BTreeMap<String, String>;

/// The tags moto holds for each child of the stack, by a label naming the child.
fn tags_in_moto(moto: &Moto, env: &str) -> Vec<(String, Tags)> {
    let c = Aws::new(moto);
    let db = &c.rds;
    let cluster = format!("{env}-cluster");
    let service = format!("{env}-api");
    block_on(async {
        let mut out = Vec::new();
        let ecs_map = |tags: &[aws_sdk_ecs::types::Tag]| -> Tags {
            tags.iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        };
        let cl = c
            .ecs
            .describe_clusters()
            .clusters(&cluster)
            .include(aws_sdk_ecs::types::ClusterField::Tags)
            .send()
            .await
            .expect("DescribeClusters");
        out.push(("ecs cluster".into(), ecs_map(cl.clusters()[0].tags())));

        let svc = c
            .ecs
            .describe_services()
            .cluster(&cluster)
            .services(&service)
            .send()
            .await
            .expect("DescribeServices");
        let svc = svc
            .services()
            .iter()
            .find(|s| s.status() == Some("ACTIVE"))
            .expect("the ECS service");
        let svc_tags = c
            .ecs
            .list_tags_for_resource()
            .resource_arn(svc.service_arn().unwrap())
            .send()
            .await
            .expect("ListTagsForResource service");
        out.push(("ecs service".into(), ecs_map(svc_tags.tags())));

        let td = c
            .ecs
            .describe_task_definition()
            .task_definition(svc.task_definition().unwrap())
            .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
            .send()
            .await
            .expect("DescribeTaskDefinition");
        out.push(("task definition".into(), ecs_map(td.tags())));

        let groups = c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(format!("/platform/{env}/"))
            .send()
            .await
            .expect("DescribeLogGroups");
        let group = groups.log_groups().first().expect("the log group");
        #[allow(deprecated)]
        let lg = c
            .logs
            .list_tags_log_group()
            .log_group_name(group.log_group_name().unwrap())
            .send()
            .await
            .expect("ListTagsLogGroup");
        out.push((
            format!("log group {}", group.log_group_name().unwrap()),
            lg.tags().cloned().unwrap_or_default().into_iter().collect(),
        ));

        let rds_map = |tags: &[aws_sdk_rds::types::Tag]| -> Tags {
            tags.iter()
                .map(|t| {
                    (
                        t.key().unwrap_or_default().to_string(),
                        t.value().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        };
        let instances = db
            .describe_db_instances()
            .send()
            .await
            .expect("DescribeDBInstances");
        for i in instances.db_instances() {
            let id = i.db_instance_identifier().unwrap_or_default();
            if !id.starts_with(&format!("{env}-")) {
                continue;
            }
            let tags = db
                .list_tags_for_resource()
                .resource_name(i.db_instance_arn().unwrap())
                .send()
                .await
                .expect("ListTagsForResource instance");
            out.push((format!("rds instance {id}"), rds_map(tags.tag_list())));
        }
        let groups = db
            .describe_db_parameter_groups()
            .send()
            .await
            .expect("DescribeDBParameterGroups");
        for g in groups.db_parameter_groups() {
            let name = g.db_parameter_group_name().unwrap_or_default();
            if !name.starts_with(&format!("{env}-")) {
                continue;
            }
            let tags = db
                .list_tags_for_resource()
                .resource_name(g.db_parameter_group_arn().unwrap())
                .send()
                .await
                .expect("ListTagsForResource parameter group");
            out.push((format!("parameter group {name}"), rds_map(tags.tag_list())));
        }
        out
    })
}

#[test]
fn every_child_carries_the_environments_tags_under_its_own() {
    let tf = newest_terraform();
    let Cloud { moto, network, .. } = Cloud::with_network();
    let env = "tagged";
    let config = format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
  default_tags = {{ cost-center = "42", team = "default", owner = "default" }}
}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "development"
  region = "us-east-1"
{network}
  tags = {{ team = "payments", owner = "environment" }}
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
  image       = "ghcr.io/acme/api:1.0.0"
  port        = 3000
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  requirements {{
    private_network_access = true
  }}
  tags = {{ owner = "api" }}
}}

resource "platform_database" "db" {{
  environment   = platform_environment.env.context
  name          = "main"
  extensions    = ["pg_cron"]
  read_replicas = [{{ region = "us-east-1" }}]
  tags          = {{ data = "pii" }}
}}
"#,
        network = network.block(),
    );
    // moto keeps no tags for Application Auto Scaling: a proxy records what the provider sends.
    let recorder = FaultProxy::start(&moto.endpoint(), vec![]);
    let mut wd = moto.workdir(&config);
    wd.set_env("AWS_ENDPOINT_URL", &recorder.endpoint());

    // The plan shows the inherited tags every child it will create carries.
    let plan = wd.run(&tf, &["plan", "-no-color", "-out=tfplan"]);
    plan.expect_success();
    let shown = wd
        .run(&tf, &["show", "-json", "-no-color", "tfplan"])
        .expect_success()
        .json();
    let changes = shown["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut planned = 0;
    for rc in &changes {
        let address = rc["address"].as_str().unwrap_or_default();
        let after = &rc["change"]["after"];
        let tags = &after["tags_all"];
        assert_eq!(tags["team"], "payments", "{address}: {tags}");
        assert_eq!(tags["cost-center"], "42", "{address}: {tags}");
        planned += after["expansion"].as_array().map_or(0, Vec::len);
    }
    assert!(planned >= 6, "children in the plan: {planned}");

    wd.run(&tf, &["apply", "-no-color", "-auto-approve", "tfplan"])
        .expect_success();
    let mut seen = tags_in_moto(&moto, env);
    let registered = recorder.bodies("RegisterScalableTarget");
    let first: serde_json::Value =
        serde_json::from_str(registered.first().expect("a RegisterScalableTarget call"))
            .expect("a JSON body");
    let target_tags: Tags = first["Tags"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    seen.push(("autoscaling target (as registered)".into(), target_tags));
    let labels: Vec<&str> = seen.iter().map(|(l, _)| l.as_str()).collect();
    assert!(seen.len() >= 8, "every child was found: {labels:?}");
    for (label, tags) in &seen {
        let component = tags.get("platform:component").map(String::as_str);
        let want_owner = match component {
            Some("environment") => "environment",
            Some("api_service") => "api",
            Some("database") => "environment",
            other => panic!("{label}: no platform:component ({other:?}): {tags:?}"),
        };
        assert_eq!(
            tags.get("team").map(String::as_str),
            Some("payments"),
            "{label}: the environment's tag beats default_tags: {tags:?}"
        );
        assert_eq!(
            tags.get("cost-center").map(String::as_str),
            Some("42"),
            "{label}: default_tags fill the gaps: {tags:?}"
        );
        assert_eq!(
            tags.get("owner").map(String::as_str),
            Some(want_owner),
            "{label}: a resource's own tags beat the environment's: {tags:?}"
        );
        assert_eq!(
            tags.get("platform:environment").map(String::as_str),
            Some(env),
            "{label}: {tags:?}"
        );
        if component == Some("database") {
            assert_eq!(tags.get("data").map(String::as_str), Some("pii"), "{label}");
        }
    }
    eprintln!("tags: every child carries the inherited tags: {labels:?}");

    // Nothing drifts, and the next plan is empty.
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}
