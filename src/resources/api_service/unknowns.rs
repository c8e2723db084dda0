//! Tests of reading map values unknown at plan time (`env`, `secrets`, `tags`); the
//! functions are shared, in `resources::attrs`.

#[cfg(test)]
mod tests {
    use crate::resources::attrs::{known_but_map_values, s};
    use crate::value::Value;

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
