//! A Fargate service's deployment circuit breaker: off when the configuration says so, on
//! with rollback in staging by the tier. moto keeps no deployment configuration, so
//! the test reads what the provider sends ECS (CreateService, UpdateService) at a
//! recording proxy, and checks the plan shows each setting with its source.

use crate::faults::FaultProxy;
use crate::harness::{Cloud, REQUIRED_PROVIDERS, newest_terraform};

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
