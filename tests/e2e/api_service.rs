//! `platform_api_service` end to end on every Terraform CLI, one lifecycle per host:
//! ECS Fargate against moto, Fly.io Machines and Cloudflare Workers against the
//! `platform-sim` simulator. Each goes plan → apply → the children checked in the
//! emulator → empty plan → an out-of-band change shown as drift → apply fixes it → a new
//! image or script in place → import into an empty state plans nothing → destroy removes
//! every child. Also: placement errors at plan time, a host change as a replacement, a
//! partial failure recorded and finished, tokens kept out of logs and state, and the
//! `platform_hosting_matrix` data source.

use crate::harness::{
    Aws, Cloud, Moto, REQUIRED_PROVIDERS, Terraform, Workdir, block_on, newest_terraform,
    terraform_versions,
};
use crate::sim::{ACCOUNT, Sim, TOKEN, ZONE};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");
const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url-AbCdEf";
const SCRIPT_V1: &str = "export default { async fetch() { return new Response('v1'); } };";
const SCRIPT_V2: &str = "export default { async fetch() { return new Response('v2'); } };";

/// A stack: the provider pointed at the simulator, one environment and one service.
fn stack(
    sim: Option<&Sim>,
    zone: bool,
    env: &str,
    tier: &str,
    network: &str,
    service: &str,
) -> String {
    let endpoints = sim
        .map(|s| {
            format!(
                "  endpoints {{\n    fly        = \"{}\"\n    cloudflare = \"{}\"\n  }}\n",
                s.fly_endpoint(),
                s.cloudflare_endpoint()
            )
        })
        .unwrap_or_default();
    let zone = if zone {
        format!("    zone_id    = \"{ZONE}\"\n    zone_name  = \"example.com\"\n")
    } else {
        String::new()
    };
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
{endpoints}  cloudflare {{
    account_id = "{ACCOUNT}"
{zone}  }}
}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "{tier}"
  region = "us-east-1"
{network}
}}

resource "platform_api_service" "api" {{
  environment = platform_environment.env.context
  name        = "api"
{service}
}}

output "url" {{
  value = platform_api_service.api.url
}}
"#
    )
}

fn workdir(config: &str, moto: &Moto, token: &str) -> Workdir {
    let mut wd = moto.workdir(config);
    wd.set_env("FLY_API_TOKEN", token)
        .set_env("CLOUDFLARE_API_TOKEN", token);
    wd
}

fn assert_contains(tf: &Terraform, text: &str, wants: &[&str]) {
    // Terraform wraps diagnostics at 80 columns.
    let text = &text.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in wants {
        assert!(text.contains(want), "{tf}: output lacks {want}:\n{text}");
    }
}

/// Imports the environment and the service into an empty state; the plan must be empty.
fn import_gives_empty_plan(tf: &Terraform, moto: &Moto, config: &str, env: &str) {
    // Outputs are not imported: without them the plan speaks of resources only.
    let resources = config.split("output \"url\"").next().unwrap_or(config);
    let fresh = workdir(resources, moto, TOKEN);
    fresh
        .run(
            tf,
            &["import", "-no-color", "platform_environment.env", env],
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
    let plan = fresh.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        plan.code, 0,
        "{tf}: plan after import:\n{}\n{}",
        plan.stdout, plan.stderr
    );
}

fn state_attr(wd: &Workdir, tf: &Terraform, attr: &str) -> Value {
    let state = wd.state_json(tf);
    state["values"]["root_module"]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "platform_api_service.api")
        .map(|r| r["values"][attr].clone())
        .unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------
// ECS Fargate
// ---------------------------------------------------------------------------------------

struct FargateSeen {
    desired_count: i32,
    task_definition: String,
    image: String,
    cpu: String,
    scaling: Option<(i32, i32)>,
}

fn fargate_seen(c: &Aws, cluster: &str, name: &str) -> Option<FargateSeen> {
    block_on(async {
        let out = c
            .ecs
            .describe_services()
            .cluster(cluster)
            .services(name)
            .send()
            .await
            .ok()?;
        let svc = out
            .services()
            .iter()
            .find(|s| s.status() == Some("ACTIVE"))?;
        let td_arn = svc.task_definition().unwrap_or_default().to_string();
        let td = c
            .ecs
            .describe_task_definition()
            .task_definition(&td_arn)
            .send()
            .await
            .ok()?;
        let td = td.task_definition()?;
        let targets = c
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .resource_ids(format!("service/{cluster}/{name}"))
            .send()
            .await
            .ok()?;
        Some(FargateSeen {
            desired_count: svc.desired_count(),
            task_definition: td_arn,
            image: td.container_definitions()[0]
                .image()
                .unwrap_or_default()
                .to_string(),
            cpu: td.cpu().unwrap_or_default().to_string(),
            scaling: targets
                .scalable_targets()
                .first()
                .map(|t| (t.min_capacity(), t.max_capacity())),
        })
    })
}

fn fargate_lifecycle(tf: &Terraform) {
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let env = format!("fg{}", tf.version.replace('.', ""));
    let (cluster, name) = (format!("{env}-cluster"), format!("{env}-api"));
    let network = network.block();
    let service = |image: &str| {
        format!(
            r#"  image       = "{image}"
  port        = 3000
  cpu         = "0.5"
  memory      = "1GB"
  env         = {{ NODE_ENV = "production" }}
  secrets     = {{ DATABASE_URL = "{SECRET_ARN}" }}
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  health_check {{
    path = "/healthz"
  }}
  requirements {{
    private_network_access = true
  }}"#
        )
    };
    let config = stack(
        None,
        false,
        &env,
        "development",
        &network,
        &service("ghcr.io/acme/api:1.0.0"),
    );
    let wd = workdir(&config, &moto, TOKEN);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        tf,
        &plan.stdout,
        &[
            "\"aws_fargate\"",
            "needs private access to AWS",
            "\"log_group\"",
            "\"cloudwatch_log_group\"",
            "\"ecs_task_definition\"",
            "\"ecs_service\"",
            "\"autoscaling_target\"",
            "\"autoscaling_policy\"",
            "\"tier:development\"",
            "estimated_monthly_cost_usd",
        ],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let seen = fargate_seen(&c, &cluster, &name).expect("service created");
    assert_eq!(seen.desired_count, 1, "{tf}: the tier's minimum");
    assert_eq!(seen.image, "ghcr.io/acme/api:1.0.0");
    assert_eq!(seen.cpu, "512", "{tf}: \"0.5\" vCPU is 512 units");
    assert_eq!(
        seen.scaling,
        Some((1, 2)),
        "{tf}: the tier's autoscaling range"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: a desired count outside the autoscaling range shows and is put back.
    block_on(async {
        c.ecs
            .update_service()
            .cluster(&cluster)
            .service(&name)
            .desired_count(5)
            .send()
            .await
            .expect("UpdateService");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(tf, &drift.stdout, &["\"5\" -> \"1\""]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(fargate_seen(&c, &cluster, &name).unwrap().desired_count, 1);

    // The log group is a child of its own: a retention changed out of band shows in the
    // plan as that child's change, and the apply puts the tier's back.
    let group = format!("/platform/{env}/api");
    let retention = || {
        block_on(async {
            let out = c
                .logs
                .describe_log_groups()
                .log_group_name_prefix(&group)
                .send()
                .await
                .expect("DescribeLogGroups");
            out.log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(group.as_str()))
                .map(|g| g.retention_in_days())
        })
    };
    assert_eq!(
        retention(),
        Some(Some(7)),
        "{tf}: the development tier's retention"
    );
    block_on(async {
        c.logs
            .put_retention_policy()
            .log_group_name(&group)
            .retention_in_days(14)
            .send()
            .await
            .expect("PutRetentionPolicy");
    });
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(tf, &drift.stdout, &["\"14\" -> \"7\""]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(retention(), Some(Some(7)), "{tf}: retention put back");

    // A new image: a new task definition revision, the same service, no replacement.
    let v2 = stack(
        None,
        false,
        &env,
        "development",
        &network,
        &service("ghcr.io/acme/api:1.1.0"),
    );
    wd.write_main_tf(&v2);
    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert!(
        !plan.stdout.contains("must be replaced"),
        "{tf}: an image is not a replacement:\n{}",
        plan.stdout
    );
    assert_contains(tf, &plan.stdout, &["1 to change"]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let seen = fargate_seen(&c, &cluster, &name).unwrap();
    assert_eq!(seen.image, "ghcr.io/acme/api:1.1.0");
    assert!(
        seen.task_definition.ends_with(":2"),
        "{}",
        seen.task_definition
    );

    import_gives_empty_plan(tf, &moto, &v2, &env);

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        fargate_seen(&c, &cluster, &name).is_none(),
        "{tf}: service deleted"
    );
    block_on(async {
        let targets = c
            .autoscaling
            .describe_scalable_targets()
            .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
            .send()
            .await
            .unwrap();
        assert!(
            targets.scalable_targets().is_empty(),
            "{tf}: target deleted"
        );
        let families = c
            .ecs
            .list_task_definitions()
            .family_prefix(&name)
            .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
            .send()
            .await
            .unwrap();
        assert!(
            families.task_definition_arns().is_empty(),
            "{tf}: revisions deregistered"
        );
    });
    assert_eq!(retention(), None, "{tf}: log group deleted");
}

#[test]
fn fargate_service_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        fargate_lifecycle(&tf);
    }
}

// ---------------------------------------------------------------------------------------
// Fly.io Machines
// ---------------------------------------------------------------------------------------

fn fly_app(sim: &Sim, app: &str) -> Option<Value> {
    let state = block_on(sim.state());
    state["fly"]["apps"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == app)
        .cloned()
}

/// The app's live machines as `(id, name, image, memory_mb)`.
fn fly_machines(sim: &Sim, app: &str) -> Vec<(String, String, String, u64)> {
    fly_app(sim, app)
        .map(|a| {
            a["machines"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["state"] != "destroyed")
                .map(|m| {
                    (
                        m["id"].as_str().unwrap().to_string(),
                        m["name"].as_str().unwrap().to_string(),
                        m["config"]["image"].as_str().unwrap().to_string(),
                        m["config"]["guest"]["memory_mb"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn fly_service(image: &str) -> String {
    fly_service_in(image, r#"["iad", "ams"]"#)
}

fn fly_service_in(image: &str, regions: &str) -> String {
    format!(
        r#"  image       = "{image}"
  cpu         = "1"
  memory      = "512"
  regions     = {regions}
  env         = {{ NODE_ENV = "production" }}
  secrets     = {{ DATABASE_URL = "secret://DATABASE_URL" }}
  scaling {{
    min = 1
  }}
  health_check {{
    path = "/healthz"
  }}"#
    )
}

fn fly_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let env = format!("fl{}", tf.version.replace('.', ""));
    let app = format!("{env}-api");
    let config = stack(
        Some(&sim),
        false,
        &env,
        "production",
        "",
        &fly_service("ghcr.io/acme/api:1.0.0"),
    );
    let wd = workdir(&config, &moto, TOKEN);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        tf,
        &plan.stdout,
        &[
            "\"fly\"",
            "active-active in several regions",
            "\"fly_machine_iad_1\"",
            "\"fly_machine_ams_1\"",
            &format!("https://{app}.fly.dev"),
        ],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let machines = fly_machines(&sim, &app);
    let mut names: Vec<&str> = machines.iter().map(|m| m.1.as_str()).collect();
    names.sort();
    assert_eq!(names, [format!("{app}-ams-1"), format!("{app}-iad-1")]);
    assert!(
        machines
            .iter()
            .all(|m| m.2 == "ghcr.io/acme/api:1.0.0" && m.3 == 512)
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: a machine resized out of band shows as that machine's change.
    let (id, ..) = machines[0].clone();
    block_on(
        sim.control(
            &format!("/fly/apps/{app}/machines/{id}/config"),
            json!({"guest": {"memory_mb": 1024}})
                .to_string()
                .into_bytes(),
        ),
    );
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(tf, &drift.stdout, &["\"1024\" -> \"512\""]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(fly_machines(&sim, &app).iter().all(|m| m.3 == 512));

    // A new image updates the same machines in place.
    let v2 = stack(
        Some(&sim),
        false,
        &env,
        "production",
        "",
        &fly_service("ghcr.io/acme/api:1.1.0"),
    );
    wd.write_main_tf(&v2);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let after = fly_machines(&sim, &app);
    let mut ids_before: Vec<&String> = machines.iter().map(|m| &m.0).collect();
    let mut ids_after: Vec<&String> = after.iter().map(|m| &m.0).collect();
    ids_before.sort();
    ids_after.sort();
    assert_eq!(ids_before, ids_after, "{tf}: the same machines, updated");
    assert!(after.iter().all(|m| m.2 == "ghcr.io/acme/api:1.1.0"));

    // One region fewer: that region's machine goes, the other stays. (With one region
    // `auto` would no longer mean Fly.io, so the host is named.)
    let v3 = stack(
        Some(&sim),
        false,
        &env,
        "production",
        "",
        &format!(
            "  host        = \"fly\"\n{}",
            fly_service_in("ghcr.io/acme/api:1.1.0", r#"["iad"]"#)
        ),
    );
    wd.write_main_tf(&v3);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let left = fly_machines(&sim, &app);
    assert_eq!(left.len(), 1, "{tf}: {left:?}");
    assert_eq!(left[0].1, format!("{app}-iad-1"));

    import_gives_empty_plan(tf, &moto, &v3, &env);

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(fly_app(&sim, &app).is_none(), "{tf}: app deleted");
}

#[test]
fn fly_service_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        fly_lifecycle(&tf);
    }
}

// ---------------------------------------------------------------------------------------
// Cloudflare Workers
// ---------------------------------------------------------------------------------------

fn worker(sim: &Sim, name: &str) -> Option<Value> {
    let state = block_on(sim.state());
    state["cloudflare"]["accounts"]
        .as_array()?
        .iter()
        .flat_map(|a| a["scripts"].as_array().cloned().unwrap_or_default())
        .find(|s| s["name"] == name)
}

fn worker_source(sim: &Sim, name: &str) -> Option<String> {
    worker(sim, name).map(|w| w["modules"][0]["content"].as_str().unwrap().to_string())
}

fn workers_service(script: &str) -> String {
    format!(
        r#"  script      = "{}"
  env         = {{ MODE = "edge" }}
  secrets     = {{ API_KEY = "secret://API_KEY" }}
  requirements {{
    cpu_ms_per_request = 5
    memory_mb          = 32
  }}"#,
        script.replace('"', "\\\"")
    )
}

fn workers_lifecycle(tf: &Terraform) {
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let env = format!("cf{}", tf.version.replace('.', ""));
    let name = format!("{env}-api");
    let config = stack(
        Some(&sim),
        false,
        &env,
        "staging",
        "",
        &workers_service(SCRIPT_V1),
    );
    let wd = workdir(&config, &moto, TOKEN);

    let plan = wd.run(tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        tf,
        &plan.stdout,
        &[
            "\"cloudflare_workers\"",
            "edge script using 5 ms CPU",
            "\"worker_script\"",
            "\"workers_dev_subdomain\"",
        ],
    );
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(worker_source(&sim, &name).as_deref(), Some(SCRIPT_V1));
    let w = worker(&sim, &name).unwrap();
    assert_eq!(w["workers_dev"], true, "{tf}: on workers.dev");
    let url = wd.outputs_json(tf)["url"]["value"].clone();
    assert_eq!(
        url,
        json!(format!("https://{name}.platform-sim.workers.dev")),
        "{tf}"
    );
    wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Drift: the script's content changed out of band shows and is uploaded again.
    block_on(sim.control(
        &format!("/cloudflare/accounts/{ACCOUNT}/scripts/{name}/content"),
        b"export default { async fetch() { return new Response('hacked'); } };".to_vec(),
    ));
    let drift = wd.run(tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert_contains(tf, &drift.stdout, &["script_digest"]);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(worker_source(&sim, &name).as_deref(), Some(SCRIPT_V1));

    // A new script is a new upload of the same Worker.
    let v2 = stack(
        Some(&sim),
        false,
        &env,
        "staging",
        "",
        &workers_service(SCRIPT_V2),
    );
    wd.write_main_tf(&v2);
    wd.run(tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(worker_source(&sim, &name).as_deref(), Some(SCRIPT_V2));

    import_gives_empty_plan(tf, &moto, &v2, &env);

    wd.run(tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(worker(&sim, &name).is_none(), "{tf}: Worker deleted");
}

#[test]
fn workers_service_lifecycle_on_every_terraform() {
    for tf in terraform_versions() {
        workers_lifecycle(&tf);
    }
}

#[test]
fn a_worker_on_a_zone_gets_a_route_and_its_url_at_plan_time() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let name = "zn-api";
    let config = stack(
        Some(&sim),
        true,
        "zn",
        "production",
        "",
        &workers_service(SCRIPT_V1),
    );
    let wd = workdir(&config, &moto, TOKEN);
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        &tf,
        &plan.stdout,
        &["\"worker_route\"", "https://zn-api.example.com"],
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let state = block_on(sim.state());
    let routes = state["cloudflare"]["zones"][0]["routes"].clone();
    assert_eq!(routes[0]["pattern"], "zn-api.example.com/*", "{routes}");
    assert_eq!(routes[0]["script"], name);
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    let state = block_on(sim.state());
    assert_eq!(state["cloudflare"]["zones"][0]["routes"], json!([]));
    assert!(worker(&sim, name).is_none());
}

// ---------------------------------------------------------------------------------------
// Placement, replacement, partial failure, secrets
// ---------------------------------------------------------------------------------------

#[test]
fn a_host_that_cannot_run_the_service_is_a_plan_time_error() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let cases = [
        (
            "  host   = \"cloudflare_workers\"\n  script = \"export default {}\"\n  requirements {\n    long_lived_connections = true\n  }",
            "long_lived_connections",
        ),
        (
            "  host  = \"cloudflare_workers\"\n  image = \"nginx\"",
            "image",
        ),
        ("  host  = \"fargate\"\n  image = \"nginx\"", "aws_fargate"),
        (
            "  host   = \"fly\"\n  image  = \"nginx\"\n  cpu    = \"1\"\n  memory = \"16GB\"",
            "memory",
        ),
    ];
    for (service, names) in cases {
        let wd = workdir(
            &stack(None, false, "pe", "development", "", service),
            &moto,
            TOKEN,
        );
        let out = wd.run(&tf, &["plan", "-no-color"]);
        assert_ne!(out.code, 0, "{service}: must be refused");
        assert!(
            out.stderr.contains(names),
            "{service}: the error names `{names}`:\n{}",
            out.stderr
        );
    }
}

#[test]
fn changing_host_replaces_the_service() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let workers = stack(
        Some(&sim),
        false,
        "hc",
        "staging",
        "",
        &workers_service(SCRIPT_V1),
    );
    let wd = workdir(&workers, &moto, TOKEN);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(worker(&sim, "hc-api").is_some());

    let fly = stack(
        Some(&sim),
        false,
        "hc",
        "staging",
        "",
        "  host  = \"fly\"\n  image = \"ghcr.io/acme/api:1.0.0\"",
    );
    wd.write_main_tf(&fly);
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert_contains(
        &tf,
        &plan.stdout,
        &["must be replaced", "forces replacement", "\"fly_app\""],
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(worker(&sim, "hc-api").is_none(), "the Worker is deleted");
    assert_eq!(
        fly_machines(&sim, "hc-api").len(),
        1,
        "the Fly machine exists"
    );
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}

#[test]
fn a_failed_machine_leaves_the_app_in_state_and_the_next_apply_finishes() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let config = stack(
        Some(&sim),
        false,
        "pf",
        "staging",
        "",
        &fly_service("ghcr.io/acme/api:1.0.0"),
    );
    let wd = workdir(&config, &moto, TOKEN);
    // Every attempt to create a machine fails: the app is made, its machines are not.
    block_on(sim.fault(json!({
        "match": "POST /fly/v1/apps/pf-api/machines",
        "status": 503,
        "times": 5,
        "message": "capacity exhausted in the simulator",
    })));
    let failed = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(failed.code, 0);
    assert_contains(
        &tf,
        &failed.stderr,
        &["capacity exhausted in the simulator", "next apply"],
    );
    assert!(fly_app(&sim, "pf-api").is_some(), "the app exists");
    let ids = state_attr(&wd, &tf, "child_ids");
    assert!(
        ids["fly_app"].is_string(),
        "the state records the app: {ids}"
    );

    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(fly_machines(&sim, "pf-api").len(), 2);
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}

#[test]
fn api_tokens_never_reach_logs_plan_or_state() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let token = "tok-9f3b1c7e5a2d4f60b8e1";
    let sim = Sim::start(&["--token", token]);
    for (env, service) in [
        ("sa", fly_service("ghcr.io/acme/api:1.0.0")),
        ("sb", workers_service(SCRIPT_V1)),
    ] {
        let config = stack(Some(&sim), false, env, "development", "", &service);
        let wd = workdir(&config, &moto, token);
        let log = wd.path().join("trace.log");
        let log_path = log.to_string_lossy().to_string();
        let env_vars = [("TF_LOG", "TRACE"), ("TF_LOG_PATH", log_path.as_str())];
        let plan = wd.run_with_env(&tf, &["plan", "-no-color"], &env_vars);
        let apply = wd.run_with_env(&tf, &["apply", "-no-color", "-auto-approve"], &env_vars);
        apply.expect_success();
        let state = wd.read_file("terraform.tfstate");
        let trace = std::fs::read_to_string(&log).unwrap();
        assert!(trace.len() > 10_000, "the trace log was written");
        for (what, text) in [
            ("plan", plan.stdout + &plan.stderr),
            ("apply", apply.stdout + &apply.stderr),
            ("state", state),
            ("trace log", trace),
        ] {
            assert!(
                !text.contains(token),
                "{env}: the token leaked into the {what}"
            );
        }
        wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
            .expect_success();
    }
}

// ---------------------------------------------------------------------------------------
// platform_hosting_matrix
// ---------------------------------------------------------------------------------------

#[test]
fn the_hosting_matrix_answers_on_every_terraform() {
    let config = r#"
terraform {
  required_providers {
    platform = { source = "hostmatrix/platform" }
  }
}

data "platform_hosting_matrix" "realtime" {
  requirements {
    long_lived_connections = true
  }
}

data "platform_hosting_matrix" "all" {}

output "realtime" {
  value = [data.platform_hosting_matrix.realtime.resolved_host, data.platform_hosting_matrix.realtime.rule]
}

output "rows" {
  value = { for r in data.platform_hosting_matrix.all.rows : r.component => r.resolved_host }
}
"#;
    for tf in terraform_versions() {
        let mut wd = Workdir::new(BIN, config);
        wd.without_moto();
        wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
            .expect_success();
        let out = wd.outputs_json(&tf);
        assert_eq!(
            out["realtime"]["value"],
            json!(["fly", "long_lived_connections"]),
            "{tf}"
        );
        let rows = &out["rows"]["value"];
        for (component, host) in [
            ("edge gateway script", "cloudflare_workers"),
            ("realtime / WebSocket API", "fly"),
            ("multi-region API", "fly"),
            ("ML inference / heavy CPU", "aws_fargate"),
            ("API needing RDS access", "aws_fargate"),
        ] {
            assert_eq!(rows[component], host, "{tf}: {component}: {rows}");
        }
    }
}

#[test]
fn a_worker_someone_else_made_is_refused_not_overwritten() {
    let tf = newest_terraform();
    let moto = Moto::start();
    let sim = Sim::start(&[]);
    let foreign = "export default { fetch() { return new Response('theirs'); } };";
    block_on(async {
        let upload = terraform_provider_platform::backends::cloudflare::ScriptUpload {
            name: "ow-api".into(),
            main_module: "index.js".into(),
            source: foreign.into(),
            compatibility_date: "2026-06-01".into(),
            cpu_ms: None,
            env: Default::default(),
            secrets: Default::default(),
            keep_existing_secrets: false,
        };
        sim.cloudflare(TOKEN)
            .upload_script(&Default::default(), &upload)
            .await
            .expect("someone else's Worker");
    });
    let config = stack(
        Some(&sim),
        false,
        "ow",
        "development",
        "",
        &workers_service(SCRIPT_V1),
    );
    let wd = workdir(&config, &moto, TOKEN);
    let out = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    assert_ne!(out.code, 0);
    assert_contains(
        &tf,
        &out.stderr,
        &[
            "Service Name Already Taken",
            "The Cloudflare Worker `ow-api`",
            "not created by terraform-provider-platform",
        ],
    );
    assert_eq!(
        worker_source(&sim, "ow-api").as_deref(),
        Some(foreign),
        "left as it was"
    );
    let state = wd.run(&tf, &["state", "list"]);
    assert!(
        !state.stdout.contains("platform_api_service.api"),
        "someone else's Worker is not recorded as ours: {}",
        state.stdout
    );
}

#[test]
fn a_service_wired_to_a_new_database_shows_its_placement_at_plan_time() {
    for tf in terraform_versions() {
        let Cloud { moto, network, .. } = Cloud::with_network();
        let env = format!("db{}", tf.version.replace('.', ""));
        let network = network.block();
        // `env` holds a value known only after apply: the database's endpoint.
        let service = r#"  image = "ghcr.io/acme/api:1.0.0"
  env   = { DATABASE_HOST = platform_database.db.endpoint, NODE_ENV = "production" }
  requirements {
    private_network_access = true
  }
}

resource "platform_database" "db" {
  environment = platform_environment.env.context
  name        = "main""#;
        let config = stack(None, false, &env, "development", &network, service);
        let wd = workdir(&config, &moto, TOKEN);
        let plan = wd.run(&tf, &["plan", "-no-color"]);
        plan.expect_success();
        assert_contains(
            &tf,
            &plan.stdout,
            &[
                "resolved_host = \"aws_fargate\"",
                "\"ecs_task_definition\"",
                "\"container.env_digest\" = (known after apply)",
            ],
        );
        wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
            .expect_success();
        wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
            .expect_code(0);
    }
}
