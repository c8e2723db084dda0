//! Map values unknown at plan time (`env`, `secrets`, `tags`): read into the planner's
//! input as [`UnknownValues`], and the settings the planner derives from them shown as
//! known after apply.

use super::*;

/// A string map's known entries, with an empty value for each unknown one, and the keys of
/// the unknown ones.
pub(super) fn map_with_unknowns(v: &Value) -> (BTreeMap<String, String>, BTreeSet<String>) {
    let mut values = BTreeMap::new();
    let mut unknown = BTreeSet::new();
    for (k, e) in v.as_map().into_iter().flatten() {
        if e.is_unknown() {
            unknown.insert(k.clone());
            values.insert(k.clone(), String::new());
        } else if let Some(text) = e.as_str() {
            values.insert(k.clone(), text.to_string());
        }
    }
    (values, unknown)
}

/// Whether everything in the configuration is known except some `env`, `secrets` or
/// `tags` values: then the service plans, with those values' settings unknown. Asked on
/// every plan, so it reads the configuration (which holds the environment's whole context)
/// without copying it.
pub(super) fn known_but_map_values(config: &Value) -> bool {
    match config {
        Value::Object(attrs) => attrs.iter().all(|(k, v)| match (k.as_str(), v) {
            ("env" | "secrets" | "tags", Value::Map(entries)) => entries
                .values()
                .all(|e| e.is_unknown() || e.is_wholly_known()),
            _ => v.is_wholly_known(),
        }),
        other => other.is_wholly_known(),
    }
}

/// A child's state value with the settings the plan derived from unknown values marked
/// unknown.
pub(super) fn child_state(c: &crate::planner::Child, plan: &ServicePlan) -> Value {
    let value = attrs::child_value(c);
    let Some(keys) = plan.unknown_settings.get(&c.key) else {
        return value;
    };
    let settings = c.settings.iter().map(|(k, v)| {
        let v = if keys.contains(k) {
            Value::Unknown
        } else {
            s(v.clone())
        };
        (k.clone(), v)
    });
    with(value, [("settings", Value::map(settings))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unknown_values_of_the_three_maps_still_plan() {
        let map = |v: Value| Value::map([("A".to_string(), s("a")), ("B".to_string(), v)]);
        let config = |k: &str, v: Value| {
            Value::object([
                ("name", s("api")),
                ("environment", Value::object([("name", s("prod"))])),
                (k, v),
            ])
        };
        for k in ["env", "secrets", "tags"] {
            assert!(known_but_map_values(&config(k, map(s("b")))), "{k}");
            assert!(known_but_map_values(&config(k, map(Value::Unknown))), "{k}");
            // The whole map unknown: its keys are unknown, so nothing can plan.
            assert!(!known_but_map_values(&config(k, Value::Unknown)), "{k}");
        }
        // Unknown anywhere else does not plan.
        assert!(!known_but_map_values(&config("image", Value::Unknown)));
        assert!(!known_but_map_values(&config(
            "regions",
            map(Value::Unknown)
        )));
        let unknown_context = Value::object([("environment", Value::Unknown)]);
        assert!(!known_but_map_values(&unknown_context));
    }
}
