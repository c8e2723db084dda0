//! UpgradeResourceState: reads stored state (JSON) written by any schema version and
//! returns it in the current one.

use crate::diagnostics::Diagnostic;
use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;
use crate::value;

pub(super) fn handle(
    platform: &Platform,
    req: tf::upgrade_resource_state::Request,
) -> tf::upgrade_resource_state::Response {
    let Some(resource) = platform.resource(&req.type_name) else {
        return tf::upgrade_resource_state::Response {
            diagnostics: super::unknown_type(platform, &req.type_name),
            ..Default::default()
        };
    };
    let ty = resource.schema().block.value_type();
    let json = req.raw_state.map(|r| r.json).unwrap_or_default();
    let unreadable = |e: &dyn std::fmt::Display| {
        vec![convert::diagnostic(Diagnostic::error(
            "Unreadable Stored State",
            format!(
                "The stored state of this `{}` could not be read: {e}. Restore the state file from a backup, or remove the resource from state and import it again.",
                req.type_name
            ),
        ))]
    };
    let result = if json.is_empty() {
        Ok(value::Value::Null)
    } else {
        serde_json::from_slice::<serde_json::Value>(&json)
            .map_err(|e| unreadable(&e))
            .and_then(|stored| {
                resource
                    .upgrade(req.version, stored)
                    .map_err(convert::diagnostics)
            })
            .and_then(|upgraded| {
                value::json::decode_json(&upgraded, &ty).map_err(|e| unreadable(&e))
            })
    }
    .and_then(|state| convert::encode(&state, &ty).map_err(|d| vec![convert::diagnostic(d)]));
    match result {
        Ok(upgraded) => tf::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            ..Default::default()
        },
        Err(diagnostics) => tf::upgrade_resource_state::Response {
            diagnostics,
            ..Default::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::proto::tfplugin6::provider_server::Provider as _;
    use crate::protocol::rpc::ProviderService;
    use crate::schema::Mode;
    use crate::value::{Type, Value, msgpack};
    use std::sync::Arc;

    /// States the provider wrote at schema version 0 (examples/phishsentry, production).
    const STATES_V0: &str = include_str!("../../../tests/fixtures/state-v0.json");

    fn stored(address: &str) -> serde_json::Value {
        let all: serde_json::Value = serde_json::from_str(STATES_V0).expect("JSON");
        let r = &all["resources"][address];
        assert_eq!(r["schema_version"], 0, "{address}");
        r["attributes"].clone()
    }

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(f)
    }

    fn upgrade(service: &ProviderService, type_name: &str, json: &serde_json::Value) -> Value {
        let response = block_on(service.upgrade_resource_state(tonic::Request::new(
            tf::upgrade_resource_state::Request {
                type_name: type_name.into(),
                version: 0,
                raw_state: Some(tf::RawState {
                    json: serde_json::to_vec(json).unwrap(),
                    flatmap: Default::default(),
                }),
            },
        )))
        .expect("answers")
        .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{type_name}: {:?}",
            response.diagnostics
        );
        let ty = service_type(type_name);
        msgpack::decode(&response.upgraded_state.expect("a state").msgpack, &ty).expect("decodes")
    }

    fn service_type(type_name: &str) -> Type {
        Platform::new()
            .resource(type_name)
            .expect("registered")
            .schema()
            .block
            .value_type()
    }

    /// What the configuration behind `state` holds: the state without its computed-only
    /// attributes.
    fn config_of(type_name: &str, state: &Value) -> Value {
        let platform = Platform::new();
        let resource = platform.resource(type_name).expect("registered");
        let mut config = state.clone();
        if let Value::Object(attrs) = &mut config {
            for a in &resource.schema().block.attributes {
                if a.mode == Mode::Computed {
                    attrs.insert(a.name.clone(), Value::Null);
                }
            }
        }
        config
    }

    fn plan(service: &ProviderService, type_name: &str, prior: &Value, config: &Value) -> Value {
        let ty = service_type(type_name);
        let dynamic = |v: &Value| tf::DynamicValue {
            msgpack: msgpack::encode(v, &ty).unwrap(),
            json: vec![],
        };
        let response = block_on(service.plan_resource_change(tonic::Request::new(
            tf::plan_resource_change::Request {
                type_name: type_name.into(),
                prior_state: Some(dynamic(prior)),
                proposed_new_state: Some(dynamic(prior)),
                config: Some(dynamic(config)),
                client_capabilities: Some(tf::ClientCapabilities {
                    deferral_allowed: false,
                    write_only_attributes_allowed: true,
                }),
                ..Default::default()
            },
        )))
        .expect("answers")
        .into_inner();
        let errors: Vec<_> = response
            .diagnostics
            .iter()
            .filter(|d| d.severity == tf::diagnostic::Severity::Error as i32)
            .collect();
        assert!(errors.is_empty(), "{type_name}: {errors:?}");
        msgpack::decode(&response.planned_state.expect("planned").msgpack, &ty).expect("decodes")
    }

    /// The provider as the example configures it: `default_tags = { project = "phishsentry" }`.
    fn configured() -> ProviderService {
        let service = ProviderService::new(Arc::new(Platform::new()));
        let ty = crate::provider::schema().block.value_type();
        let Type::Object(object) = &ty else {
            unreachable!("a block is an object")
        };
        let config = Value::object(object.attrs.keys().map(|k| {
            let v = if k == "default_tags" {
                Value::map([("project".to_string(), Value::string("phishsentry"))])
            } else {
                Value::Null
            };
            (k.clone(), v)
        }));
        let response = block_on(service.configure_provider(tonic::Request::new(
            tf::configure_provider::Request {
                config: Some(tf::DynamicValue {
                    msgpack: msgpack::encode(&config, &ty).unwrap(),
                    json: vec![],
                }),
                ..Default::default()
            },
        )))
        .expect("answers")
        .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        service
    }

    #[test]
    fn states_of_schema_version_0_upgrade_to_what_the_next_plan_keeps() {
        let service = configured();
        let env = upgrade(
            &service,
            "platform_environment",
            &stored("platform_environment.this"),
        );
        let context = env.get("context").expect("a context").clone();
        // The production environment overrides nothing: the context says so, and keeps
        // only the tags its children inherit.
        assert_eq!(
            context.get("policy"),
            Some(&Value::map(std::iter::empty::<(String, Value)>()))
        );
        let tags = context.get("tags").and_then(Value::as_map).expect("tags");
        assert!(
            tags.keys()
                .all(|k| !k.starts_with("platform:") && k != "managed-by"),
            "{tags:?}"
        );
        assert!(tags.contains_key("on-call"), "{tags:?}");
        let tags_all = env
            .get("tags_all")
            .and_then(Value::as_map)
            .expect("tags_all");
        assert_eq!(
            tags_all.get("platform:tier").and_then(Value::as_str),
            Some("production")
        );
        assert_eq!(
            plan(
                &service,
                "platform_environment",
                &env,
                &config_of("platform_environment", &env)
            ),
            env
        );

        for (type_name, address) in [
            ("platform_database", "platform_database.shared"),
            ("platform_api_service", "platform_api_service.model_engine"),
            ("platform_api_service", "platform_api_service.scoring"),
            (
                "platform_api_service",
                "platform_api_service.telemetry_ingress",
            ),
        ] {
            let state = upgrade(&service, type_name, &stored(address));
            assert_eq!(state.get("environment"), Some(&context), "{address}");
            let children = state
                .get("expansion")
                .and_then(Value::as_list)
                .expect("children");
            assert!(!children.is_empty(), "{address}");
            for child in children {
                let sources = child
                    .get("sources")
                    .and_then(Value::as_map)
                    .expect("sources");
                let grouped: usize = sources
                    .values()
                    .map(|v| v.as_str().unwrap_or_default().split(", ").count())
                    .sum();
                let settings = child
                    .get("settings")
                    .and_then(Value::as_map)
                    .expect("settings");
                assert_eq!(grouped, settings.len(), "{address}: {child:?}");
            }
            let planned = plan(&service, type_name, &state, &config_of(type_name, &state));
            // A Fargate service's first plan also sets the new deployment settings; with
            // them its child IDs wait for apply. Everything else must stay as upgraded.
            let fargate = get_expansion_has_deployment(&planned);
            let (planned, state) = (
                without_new_settings(planned, fargate),
                without_new_settings(state, fargate),
            );
            assert_eq!(
                planned, state,
                "{address}: the first plan after the upgrade changes nothing"
            );
        }
    }

    /// A service's planned state without what this version adds to a Fargate service's
    /// `ecs_service` child beside the state upgrade: the deployment circuit breaker
    /// (`deployment.*`), which an existing service's first plan shows being set, and the
    /// `child_ids` that such a change leaves unknown until apply.
    fn get_expansion_has_deployment(state: &Value) -> bool {
        state
            .get("expansion")
            .and_then(Value::as_list)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("settings").and_then(Value::as_map))
            .any(|s| s.keys().any(|k| k.starts_with("deployment.")))
    }

    fn without_new_settings(mut state: Value, drop_ids: bool) -> Value {
        let Some(Value::List(children)) = state.get("expansion").cloned() else {
            return state;
        };
        let children = children
            .into_iter()
            .map(|mut child| {
                if let Value::Object(o) = &mut child {
                    if let Some(Value::Map(settings)) = o.get_mut("settings") {
                        settings.retain(|k, _| !k.starts_with("deployment."));
                    }
                    if let Some(Value::Map(sources)) = o.get_mut("sources") {
                        for v in sources.values_mut() {
                            if let Some(text) = v.as_str() {
                                let kept: Vec<&str> = text
                                    .split(", ")
                                    .filter(|k| !k.starts_with("deployment."))
                                    .collect();
                                *v = Value::string(kept.join(", "));
                            }
                        }
                        sources.retain(|_, v| v.as_str() != Some(""));
                    }
                }
                child
            })
            .collect();
        if let Value::Object(o) = &mut state {
            o.insert("expansion".into(), Value::List(children));
            if drop_ids {
                o.insert("child_ids".into(), Value::Null);
            }
        }
        state
    }

    #[test]
    fn a_state_from_a_newer_schema_is_refused_with_what_to_do() {
        let service = ProviderService::new(Arc::new(Platform::new()));
        let response = block_on(service.upgrade_resource_state(tonic::Request::new(
            tf::upgrade_resource_state::Request {
                type_name: "platform_environment".into(),
                version: 99,
                raw_state: Some(tf::RawState {
                    json: br#"{"name":"prod"}"#.to_vec(),
                    flatmap: Default::default(),
                }),
            },
        )))
        .expect("answers")
        .into_inner();
        let detail = &response.diagnostics.first().expect("an error").detail;
        assert!(detail.contains("schema version is 99"), "{detail}");
        assert!(detail.contains("terraform init -upgrade"), "{detail}");
    }
}
