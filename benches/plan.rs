//! Figures for the provider's own share of `terraform plan`: one PlanResourceChange call
//! for one resource of each type, through the provider's gRPC service as Terraform makes
//! it (less the wire): decode the request's prior state, proposed new state and
//! configuration, plan, encode the planned state. Prints figures; never fails on speed.
//! Run: `cargo bench --bench plan`.

// A benchmark reports its figures on stdout; the lint guards the provider's handshake.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;
use terraform_provider_platform::protocol::proto::tfplugin6 as tf;
use terraform_provider_platform::protocol::rpc::ProviderService;
use terraform_provider_platform::provider::Platform;
use terraform_provider_platform::resources::{PlanRequest, Resource};
use terraform_provider_platform::value::{Number, Type, Value, msgpack};
use tf::provider_server::Provider as _;

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

/// The request Terraform sends to plan creating `type_name` with `given` set.
fn create_request(
    platform: &Platform,
    type_name: &str,
    given: &[(&str, Value)],
) -> tf::plan_resource_change::Request {
    let resource = platform.resource(type_name).expect("registered");
    let ty = resource.schema().block.value_type();
    let dynamic = |v: &Value| tf::DynamicValue {
        msgpack: msgpack::encode(v, &ty).unwrap(),
        json: vec![],
    };
    let config = config(&resource, given);
    tf::plan_resource_change::Request {
        type_name: type_name.to_string(),
        prior_state: Some(dynamic(&Value::Null)),
        proposed_new_state: Some(dynamic(&config)),
        config: Some(dynamic(&config)),
        client_capabilities: Some(tf::ClientCapabilities {
            deferral_allowed: false,
            write_only_attributes_allowed: true,
        }),
        ..Default::default()
    }
}

fn measure(
    service: &ProviderService,
    runtime: &tokio::runtime::Runtime,
    request: &tf::plan_resource_change::Request,
) {
    let n = 2000;
    let mut planned_len = 0;
    let mut errors = 0;
    let started = Instant::now();
    for _ in 0..n {
        let response = runtime
            .block_on(service.plan_resource_change(tonic::Request::new(request.clone())))
            .expect("PlanResourceChange answers")
            .into_inner();
        errors += usize::from(
            response
                .diagnostics
                .iter()
                .any(|d| d.severity == tf::diagnostic::Severity::Error as i32),
        );
        planned_len = response.planned_state.map_or(0, |v| v.msgpack.len());
    }
    let per_call = started.elapsed() / n;
    let request_len = request.config.as_ref().map_or(0, |v| v.msgpack.len());
    println!(
        "{:<22} {per_call:>10.1?} per plan; request {:>5} B, planned state {:>6} B; \
         500 resources: {:>6.1} ms of provider time{}",
        request.type_name,
        request_len,
        planned_len,
        per_call.as_secs_f64() * 500.0 * 1000.0,
        if errors > 0 { " (PLAN FAILED)" } else { "" }
    );
}

fn main() {
    let platform = Platform::new();
    let context = context(&platform);
    let requests = [
        create_request(
            &platform,
            "platform_environment",
            &[
                ("name", Value::string("env-1")),
                ("tier", Value::string("production")),
                ("region", Value::string("eu-west-1")),
            ],
        ),
        create_request(
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
        ),
        create_request(
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
        ),
    ];
    let service = ProviderService::new(Arc::new(platform));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    for request in &requests {
        measure(&service, &runtime, request);
    }
}
