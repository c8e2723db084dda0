//! Figures for the provider's own share of `terraform plan`: decode → plan → encode for
//! one resource of each type, as PlanResourceChange does it. Prints figures; never fails
//! on speed. Run: `cargo bench --bench plan`.

// A benchmark reports its figures on stdout; the lint guards the provider's handshake.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;
use terraform_provider_platform::provider::Platform;
use terraform_provider_platform::resources::{PlanRequest, Resource};
use terraform_provider_platform::value::{Number, Type, Value, msgpack};

/// A configuration of `resource` with `given` set and every other attribute null.
fn config(resource: &Arc<dyn Resource>, given: &[(&str, Value)]) -> Value {
    let ty = resource.schema().block.value_type();
    let Type::Object(object) = &ty else {
        unreachable!("a resource's schema is an object")
    };
    Value::object(object.attrs.keys().map(|k| {
        let v = given
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null);
        (k.clone(), v)
    }))
}

/// The environment's planned `context`, as a service or database receives it.
fn context(platform: &Platform) -> Value {
    let env = platform
        .resource("platform_environment")
        .expect("registered");
    let config = config(
        &env,
        &[
            ("name", Value::string("prod")),
            ("tier", Value::string("production")),
            ("region", Value::string("eu-west-1")),
        ],
    );
    let outcome = env.plan(
        PlanRequest {
            prior_state: Value::Null,
            proposed_new_state: config.clone(),
            config,
            prior_private: vec![],
        },
        &platform.context(true),
    );
    outcome
        .planned_state
        .get("context")
        .cloned()
        .expect("a planned context")
}

fn measure(platform: &Platform, type_name: &str, given: &[(&str, Value)]) {
    let resource = platform.resource(type_name).expect("registered");
    let ty = resource.schema().block.value_type();
    let bytes = msgpack::encode(&config(&resource, given), &ty).unwrap();
    let ctx = platform.context(true);
    let n = 2000;
    let mut planned_len = 0;
    let mut errors = 0;
    let started = Instant::now();
    for _ in 0..n {
        let config = msgpack::decode(&bytes, &ty).unwrap();
        let outcome = resource.plan(
            PlanRequest {
                prior_state: Value::Null,
                proposed_new_state: config.clone(),
                config,
                prior_private: vec![],
            },
            &ctx,
        );
        errors += usize::from(outcome.diagnostics.has_errors());
        planned_len = msgpack::encode(&outcome.planned_state, &ty).unwrap().len();
    }
    let per_call = started.elapsed() / n;
    println!(
        "{type_name:<22} {per_call:>10.1?} per plan; request {:>5} B, planned state {:>6} B; \
         500 resources: {:>6.1} ms of provider time{}",
        bytes.len(),
        planned_len,
        per_call.as_secs_f64() * 500.0 * 1000.0,
        if errors > 0 { " (PLAN FAILED)" } else { "" }
    );
}

fn main() {
    let platform = Platform::new();
    let context = context(&platform);
    measure(
        &platform,
        "platform_environment",
        &[
            ("name", Value::string("env-1")),
            ("tier", Value::string("production")),
            ("region", Value::string("eu-west-1")),
        ],
    );
    measure(
        &platform,
        "platform_database",
        &[
            ("environment", context.clone()),
            ("name", Value::string("main")),
            ("extensions", Value::list([Value::string("vector")])),
            (
                "read_replicas",
                Value::list([Value::object([("region", Value::string("us-east-1"))])]),
            ),
        ],
    );
    measure(
        &platform,
        "platform_api_service",
        &[
            ("environment", context),
            ("name", Value::string("scoring-api")),
            (
                "image",
                Value::string("ghcr.io/phishsentry/scoring-api:1.4.2"),
            ),
            ("port", Value::Number(Number::from(3000))),
            (
                "regions",
                Value::list([Value::string("iad"), Value::string("ams")]),
            ),
        ],
    );
}
