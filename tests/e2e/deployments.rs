//! A Fargate service's deployment circuit breaker: off when the configuration says so, on
//! with rollback in staging by the tier. moto keeps no deployment configuration, so
//! the test reads what the provider sends ECS (CreateService, UpdateService) at a
//! recording proxy, and checks the plan shows each setting with its source.

use crate::faults::FaultProxy;
use crate::harness::{Aws, Cloud, REQUIRED_PROVIDERS, block_on, newest_terraform};

fn config(env: &str, network: &str, deployment: &str) -> String {
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
  environment        = platform_environment.env.context
  name               = "api"
  host               = "aws_fargate"
  image              = "nginx:1.27"
  execution_role_arn = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
{deployment}
}}
"#
    )
}

/// The deployment circuit breaker of each request body of `operation`.
fn breakers(proxy: &FaultProxy, operation: &str) -> Vec<serde_json::Value> {
    proxy
        .bodies(operation)
        .iter()
        .filter_map(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .map(|b| b["deploymentConfiguration"]["deploymentCircuitBreaker"].clone())
        .collect()
}

#[test]
fn the_configuration_can_turn_the_circuit_breaker_off_and_the_tier_turns_it_on() {
    let tf = newest_terraform();
    let Cloud { moto, network, .. } = Cloud::with_network();
    let env = "deploy";
    let recorder = FaultProxy::start(&moto.endpoint(), vec![]);
    let off = "  deployment {\n    circuit_breaker = false\n  }";

    // Off in the configuration: CreateService says so.
    let mut wd = moto.workdir(&config(env, &network.block(), off));
    wd.set_env("AWS_ENDPOINT_URL", &recorder.endpoint());
    let plan = wd.run(&tf, &["plan", "-no-color"]);
    plan.expect_success();
    assert!(
        plan.stdout
            .contains("\"deployment.circuit_breaker\" = \"false\""),
        "{}",
        plan.stdout
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        breakers(&recorder, "CreateService"),
        [serde_json::json!({"enable": false, "rollback": false})]
    );

    // Left to the tier: staging stops and rolls back failing deployments, an in-place
    // change sent with UpdateService. (The other way round cannot be checked here: moto
    // keeps no deployment configuration to read back, where ECS reports it.)
    wd.write_main_tf(&config(env, &network.block(), ""));
    let change = wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"]);
    change.expect_code(2);
    for want in ["\"false\" -> \"true\"", "\"tier:staging\""] {
        assert!(change.stdout.contains(want), "{want}:\n{}", change.stdout);
    }
    assert!(
        !change.stdout.contains("must be replaced"),
        "{}",
        change.stdout
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert!(
        breakers(&recorder, "UpdateService")
            .contains(&serde_json::json!({"enable": true, "rollback": true})),
        "UpdateService turns it on: {:?}",
        breakers(&recorder, "UpdateService")
    );
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}

/// How many requests of `operation` reached moto.
fn count(proxy: &FaultProxy, operation: &str) -> usize {
    proxy
        .forwarded()
        .iter()
        .filter(|o| o.as_str() == operation)
        .count()
}

#[test]
fn a_deploy_out_of_band_shows_as_the_task_definitions_drift_and_an_unchanged_one_is_not_described()
{
    let tf = newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let env = "oob";
    let recorder = FaultProxy::start(&moto.endpoint(), vec![]);
    let mut wd = moto.workdir(&config(env, &network.block(), ""));
    wd.set_env("AWS_ENDPOINT_URL", &recorder.endpoint());
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();

    // A refresh of a service still running the recorded revision: nothing to describe
    // (a revision is immutable), and nothing changes.
    let before = count(&recorder, "DescribeTaskDefinition");
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    assert_eq!(count(&recorder, "DescribeTaskDefinition"), before);

    // CI deploys another image out of band: a new revision, and the service moved to it.
    let deployed = deploy_out_of_band(&c, env, "nginx:1.28");
    let drift = wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"]);
    drift.expect_code(2);
    assert!(
        drift.stdout.contains("\"nginx:1.28\" -> \"nginx:1.27\""),
        "{}",
        drift.stdout
    );
    assert!(
        count(&recorder, "DescribeTaskDefinition") > before,
        "the new revision was read"
    );

    // The apply puts the configured image back, on a revision of its own.
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let running = running_revision(&c, env);
    assert_ne!(
        running, deployed,
        "the service left the out-of-band revision"
    );
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}

#[test]
fn waiting_for_a_steady_state_is_bounded_and_says_what_it_saw() {
    // moto never finishes a rollout (its services run no task), so the wait runs out:
    // the apply fails after the timeout, naming the service and what it last saw, and
    // the service it made is in the state, not orphaned.
    let tf = newest_terraform();
    let Cloud { moto, network, .. } = Cloud::with_network();
    let waiting =
        "  deployment {\n    wait_for_steady_state = true\n    timeout_minutes       = 1\n  }";
    let wd = moto.workdir(&config("steady", &network.block(), waiting));
    let started = std::time::Instant::now();
    let out = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    let waited = started.elapsed();
    assert_ne!(out.code, 0, "{out}");
    let text = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "the deployment of ECS service `steady-api` in cluster `steady-cluster`",
        "after 1 minutes",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
    assert!(
        waited >= std::time::Duration::from_secs(60),
        "waited {waited:?}"
    );
    let listed = wd.run(&tf, &["state", "list"]);
    assert!(
        listed.stdout.contains("platform_api_service.api"),
        "the service is recorded:\n{listed}"
    );

    // Without the wait, the same configuration applies (a tainted service is replaced).
    wd.write_main_tf(&config("steady", &network.block(), ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}

/// What a CI pipeline does to deploy `image`: registers a new revision of the service's
/// family (a copy of the current one with that image, without this provider's tags) and
/// moves the service to it. Returns the new revision's ARN.
fn deploy_out_of_band(c: &Aws, env: &str, image: &str) -> String {
    block_on(async {
        let current = c
            .ecs
            .describe_task_definition()
            .task_definition(format!("{env}-api"))
            .send()
            .await
            .expect("DescribeTaskDefinition")
            .task_definition
            .expect("the revision");
        let mut container = current.container_definitions()[0].clone();
        container.image = Some(image.into());
        let registered = c
            .ecs
            .register_task_definition()
            .family(current.family().unwrap_or_default())
            .set_requires_compatibilities(current.requires_compatibilities.clone())
            .set_network_mode(current.network_mode.clone())
            .set_cpu(current.cpu.clone())
            .set_memory(current.memory.clone())
            .set_execution_role_arn(current.execution_role_arn.clone())
            .container_definitions(container)
            .send()
            .await
            .expect("RegisterTaskDefinition")
            .task_definition
            .and_then(|t| t.task_definition_arn)
            .expect("the new revision's ARN");
        c.ecs
            .update_service()
            .cluster(format!("{env}-cluster"))
            .service(format!("{env}-api"))
            .task_definition(&registered)
            .send()
            .await
            .expect("UpdateService");
        registered
    })
}

/// The image of the revision the service runs.
/// The ARN of the revision the service runs.
fn running_revision(c: &Aws, env: &str) -> String {
    block_on(async {
        c.ecs
            .describe_services()
            .cluster(format!("{env}-cluster"))
            .services(format!("{env}-api"))
            .send()
            .await
            .expect("DescribeServices")
            .services()[0]
            .task_definition()
            .unwrap_or_default()
            .to_string()
    })
}

fn running_image(c: &Aws, env: &str) -> String {
    let arn = running_revision(c, env);
    block_on(async {
        c.ecs
            .describe_task_definition()
            .task_definition(arn)
            .send()
            .await
            .expect("DescribeTaskDefinition")
            .task_definition
            .and_then(|t| t.container_definitions.unwrap_or_default().first().cloned())
            .and_then(|c| c.image)
            .unwrap_or_default()
    })
}

#[test]
fn with_external_images_a_ci_deploy_is_shown_and_kept() {
    let tf = newest_terraform();
    let Cloud {
        moto,
        aws: c,
        network,
    } = Cloud::with_network();
    let env = "ext";
    let external = "  deployment {\n    image_source = \"external\"\n  }";
    let wd = moto.workdir(&config(env, &network.block(), external));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(
        running_image(&c, env),
        "nginx:1.27",
        "the first image is the configured one"
    );

    // CI deploys 1.28: the plan keeps it and says where it came from (a change of the
    // plan's own record only: the apply calls nothing), then nothing is left to do.
    let deployed = deploy_out_of_band(&c, env, "nginx:1.28");
    let plan = wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"]);
    plan.expect_code(2);
    assert!(
        plan.stdout
            .contains("+ \"external\"    = \"container.image\""),
        "{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("-> \"nginx:1.27\""),
        "{}",
        plan.stdout
    );
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let running = running_revision(&c, env);
    assert_eq!(running, deployed, "the apply left CI's revision running");
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);
    let show = wd.run(&tf, &["show", "-json"]);
    let state: serde_json::Value = serde_json::from_str(&show.stdout).expect("show -json");
    let service = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "platform_api_service.api")
        .expect("the service")
        .clone();
    let task = service["values"]["expansion"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["key"] == "ecs_task_definition")
        .expect("the task definition")
        .clone();
    assert_eq!(task["settings"]["container.image"], "nginx:1.28", "{task}");
    assert!(
        task["sources"]["external"]
            .as_str()
            .is_some_and(|s| s.contains("container.image")),
        "{task}"
    );

    // Another setting changed here applies on a revision that keeps CI's image.
    let resized = config(env, &network.block(), external).replace(
        "  image              = \"nginx:1.27\"",
        "  image              = \"nginx:1.27\"\n  memory             = \"1 GB\"",
    );
    assert_ne!(resized, config(env, &network.block(), external));
    wd.write_main_tf(&resized);
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(running_image(&c, env), "nginx:1.28", "CI's image is kept");
    wd.run(&tf, &["plan", "-no-color", "-detailed-exitcode"])
        .expect_code(0);

    // Back to `config`: the configured image is put back.
    wd.write_main_tf(&config(env, &network.block(), ""));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    assert_eq!(running_image(&c, env), "nginx:1.27");
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
}
