//! Figures for the provider's own share of `terraform plan`: decode → plan → encode for
//! one `platform_environment`, as PlanResourceChange does it. Prints figures; never fails
//! on speed. Run: `cargo bench --bench plan`.

// A benchmark reports its figures on stdout; the lint guards the provider's handshake.
#![allow(clippy::print_stdout)]

use std::time::Instant;
use terraform_provider_platform::provider::Platform;
use terraform_provider_platform::resources::PlanRequest;
use terraform_provider_platform::value::{Type, Value, msgpack};

fn main() {
    let platform = Platform::new();
    let resource = platform
        .resource("platform_environment")
        .expect("registered");
    let ty = resource.schema().block.value_type();
    let Type::Object(object) = &ty else {
        unreachable!()
    };
    let config = Value::object(object.attrs.keys().map(|k| {
        let v = match k.as_str() {
            "name" => Value::string("env-1"),
            "tier" => Value::string("production"),
            "region" => Value::string("eu-west-1"),
            _ => Value::Null,
        };
        (k.clone(), v)
    }));
    let bytes = msgpack::encode(&config, &ty).unwrap();
    let ctx = platform.context(true);
    let n = 5000;
    let mut planned_len = 0;
    let started = Instant::now();
    for _ in 0..n {
        let ty = resource.schema().block.value_type();
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
        planned_len = msgpack::encode(&outcome.planned_state, &ty).unwrap().len();
    }
    let per_call = started.elapsed() / n;
    println!("plan_resource_change(platform_environment): {per_call:?} per call over {n} calls");
    println!(
        "request {} bytes, planned state {} bytes",
        bytes.len(),
        planned_len
    );
    println!(
        "500 resources: {:.1} ms of provider time",
        per_call.as_secs_f64() * 500.0 * 1000.0
    );
}
