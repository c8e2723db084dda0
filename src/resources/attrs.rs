//! Reading typed inputs out of a configuration [`Value`] and building state values, with
//! diagnostics that name the attribute. Shared by every resource.

use crate::diagnostics::Diagnostic;
use crate::planner::limits::IntRange;
use crate::planner::messages;
use crate::planner::{Child, Source};
use crate::value::{AttributePath, IntegerError, Number, Type, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The attribute of an object, or null.
pub fn get<'a>(v: &'a Value, name: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    v.get(name).unwrap_or(&NULL)
}

/// An optional string.
pub fn opt_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// An optional bool.
pub fn opt_bool(v: &Value) -> Option<bool> {
    v.as_bool()
}

/// An optional whole number whose attribute allows `range`; a fraction, or a number no
/// `i64` holds, is an error at `path` that says which. Only numbers no `i64` holds are
/// checked against `range` here (quoted as written, e.g. `1e400`); the planner checks the
/// rest with the same message.
pub fn opt_int(v: &Value, path: AttributePath, range: IntRange) -> Result<Option<i64>, Diagnostic> {
    let Some(n) = v.as_number() else {
        return Ok(None);
    };
    match n.to_i64() {
        Ok(value) => Ok(Some(value)),
        Err(IntegerError::Fraction) => Err(Diagnostic::error(
            "Whole Number Required",
            format!(
                "`{n}` is not a whole number. Write an integer, e.g. `{}`.",
                n.as_f64().round()
            ),
        )
        .at(path)),
        Err(IntegerError::OutOfRange { .. }) => {
            Err(messages::out_of_range_as_written(path, &n.to_string(), range).into())
        }
    }
}

/// A list of strings (null → empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_list()
        .map(|l| {
            l.iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A map of strings (null → empty).
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, e)| Some((k.clone(), e.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A string value.
pub fn s(v: impl Into<String>) -> Value {
    Value::string(v)
}

/// A whole-number value.
pub fn int(n: i64) -> Value {
    Value::Number(Number::from(n))
}

/// A money value in exact decimal cents, so it survives state's JSON round trip unchanged
/// (the binary f64 nearest to 15.48 is not 15.48).
/// A cost in whole cents: sums of these are exact in Terraform (`sum([...]) / 100` prints
/// exact cents, where a sum of dollar amounts shows binary rounding noise).
pub fn cents(usd: f64) -> Value {
    Value::from((usd * 100.0).round() as i64)
}

/// A cost in dollars, rounded to cents exactly as [`cents`] rounds (so `0.115` is `0.12`
/// in both, where `{:.2}` of the binary `0.115` would print `0.11`).
pub fn money(usd: f64) -> Value {
    let c = (usd * 100.0).round() as i64;
    let sign = if c < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", c.abs() / 100, c.abs() % 100)
        .parse::<Number>()
        .map(Value::Number)
        .unwrap_or_else(|_| Value::Number(Number::zero()))
}

/// A list of strings.
pub fn string_list(items: &[String]) -> Value {
    Value::list(items.iter().map(|i| s(i.clone())))
}

/// A map of strings.
pub fn map_of(m: &BTreeMap<String, String>) -> Value {
    Value::map(m.iter().map(|(k, v)| (k.clone(), s(v.clone()))))
}

/// The object type of one `expansion` element.
pub fn child_type() -> Type {
    Type::object([
        ("key", Type::String),
        ("provider", Type::String),
        ("type", Type::String),
        ("name", Type::String),
        ("settings", Type::map(Type::String)),
        ("sources", Type::map(Type::String)),
        ("monthly_cost_usd", Type::Number),
    ])
}

/// One `expansion` element.
pub fn child_value(c: &Child) -> Value {
    Value::object([
        ("key", s(c.key.clone())),
        ("provider", s(c.provider.clone())),
        ("type", s(c.kind.clone())),
        ("name", s(c.name.clone())),
        ("settings", map_of(&c.settings)),
        ("sources", map_of(&grouped_sources(&c.settings_source))),
        ("monthly_cost_usd", money(c.monthly_cost_usd)),
    ])
}

/// A child's `sources`: for each source, the settings it decided, in order, joined by
/// `, ` — one line per source in the plan instead of one per setting. Setting keys never
/// hold `, ` (they are dotted names), so the grouping reads back exactly.
pub fn grouped_sources(sources: &BTreeMap<String, Source>) -> BTreeMap<String, String> {
    let mut grouped: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (setting, source) in sources {
        grouped
            .entry(source.to_string())
            .or_default()
            .push(setting.as_str());
    }
    grouped
        .into_iter()
        .map(|(source, settings)| (source, settings.join(", ")))
        .collect()
}

/// The `tags_all` attribute every composite has: the tags each of its children carries.
pub fn tags_all_attribute() -> crate::schema::Attribute {
    crate::schema::Attribute::new(
        "tags_all",
        Type::map(Type::String),
        crate::schema::Mode::Computed,
        "The tags every child in `expansion` carries, lowest precedence first: the provider's `default_tags`, the environment's tags, the resource's own `tags`, then the platform's (`managed-by`, `platform:*`). A tag changed out of band on any child shows here as drift.",
    )
}

/// `tags_all` after a read: the planned tags, or the first child's tags as the cloud holds
/// them when they differ, so drift on any child shows as a change.
pub fn observed_tags_all(
    planned: &Value,
    observed: impl IntoIterator<Item = BTreeMap<String, String>>,
) -> Value {
    let want = string_map(planned);
    observed
        .into_iter()
        .find(|tags| *tags != want)
        .map(|tags| map_of(&tags))
        .unwrap_or_else(|| planned.clone())
}

/// The `tags` an import restores: the tags found in the cloud that the platform did not
/// add (`platform:*`, `managed-by`) and that no inherited source (the environment's tags,
/// the provider's `default_tags`) sets to the same value; null when none are left.
pub fn configured_tags(
    found: &BTreeMap<String, String>,
    inherited: &[&BTreeMap<String, String>],
) -> Value {
    let own: BTreeMap<String, String> = found
        .iter()
        .filter(|(k, v)| {
            !k.starts_with("platform:")
                && !crate::planner::naming::PLATFORM_TAG_KEYS.contains(&k.as_str())
                && !inherited.iter().any(|tags| tags.get(*k) == Some(*v))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if own.is_empty() {
        Value::Null
    } else {
        map_of(&own)
    }
}

/// Replaces attributes of an object value.
pub fn with(mut obj: Value, updates: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    if let Value::Object(m) = &mut obj {
        for (k, v) in updates {
            m.insert(k.to_string(), v);
        }
    }
    obj
}

/// A string map's known entries, with an empty value for each unknown one, and the keys of
/// the unknown ones.
pub fn map_with_unknowns(v: &Value) -> (BTreeMap<String, String>, BTreeSet<String>) {
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
/// `tags` values: then the resource plans, with those values' settings unknown. Asked on
/// every plan, so it reads the configuration (which holds the environment's whole context)
/// without copying it.
pub fn known_but_map_values(config: &Value) -> bool {
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

/// A child's state value with the settings the plan derived from unknown values
/// (`unknown_settings`, by child key) marked unknown.
pub fn child_state(c: &Child, unknown_settings: &BTreeMap<String, BTreeSet<String>>) -> Value {
    let value = child_value(c);
    let Some(keys) = unknown_settings.get(&c.key) else {
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

/// Writes what the cloud holds into a state's `expansion`: children without an entry in
/// `observed` (by expansion key) are gone and leave it (the next plan adds them back), and
/// observed settings replace planned ones.
pub fn observed_expansion(
    state: &Value,
    observed: &BTreeMap<String, BTreeMap<String, String>>,
) -> Value {
    match get(state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    let seen = observed.get(key)?;
                    let mut settings = string_map(get(child, "settings"));
                    for (k, v) in seen {
                        if settings.contains_key(k) {
                            settings.insert(k.clone(), v.clone());
                        }
                    }
                    Some(with(child.clone(), [("settings", map_of(&settings))]))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_say_what_is_wrong() {
        let port = crate::planner::limits::PORT;
        /// (written, Ok(value) or Err((summary, detail fragment)))
        type Case = (&'static str, Result<i64, (&'static str, &'static str)>);
        let cases: [Case; 6] = [
            ("8080", Ok(8080)),
            ("70000", Ok(70000)), // in i64: the planner reports the range
            (
                "1e400",
                Err((
                    "Value Out Of Range",
                    "`port` is `1e400`, but it must be between `1` and `65535`.",
                )),
            ),
            (
                "99999999999999999999999",
                Err((
                    "Value Out Of Range",
                    "`port` is `99999999999999999999999`, but it must be between `1` and `65535`.",
                )),
            ),
            (
                "-1e400",
                Err(("Value Out Of Range", "must be between `1` and `65535`")),
            ),
            (
                "80.5",
                Err(("Whole Number Required", "Write an integer, e.g. `81`.")),
            ),
        ];
        for (written, want) in cases {
            let v = Value::Number(written.parse().unwrap());
            let got = opt_int(&v, AttributePath::attr("port"), port);
            match (got, want) {
                (Ok(Some(value)), Ok(w)) => assert_eq!(value, w, "{written}"),
                (Err(d), Err((summary, detail))) => {
                    assert_eq!(d.summary, summary, "{written}");
                    assert!(d.detail.contains(detail), "{written}: {}", d.detail);
                    assert_eq!(d.path, Some(AttributePath::attr("port")), "{written}");
                    assert!(!d.detail.contains("inf"), "{written}: {}", d.detail);
                }
                (got, want) => panic!("{written}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn money_and_cents_round_alike() {
        for usd in [0.115, 0.105, 2.675, 11.5, 0.0, 1234.565] {
            let c = cents(usd).as_number().map(|n| n.as_f64()).unwrap_or(-1.0);
            let m = money(usd).as_number().map(|n| n.as_f64()).unwrap_or(-1.0);
            assert_eq!((m * 100.0).round(), c, "{usd}: {m} dollars vs {c} cents");
        }
        assert_eq!(money(0.115), Value::Number("0.12".parse().unwrap()));
    }

    #[test]
    fn money_is_exact_cents_that_survive_json() {
        let v = money(15.4799999);
        assert_eq!(v, Value::Number("15.48".parse().unwrap()));
        let ty = Type::Number;
        let json = crate::value::json::encode(&v, &ty).unwrap();
        assert_eq!(crate::value::json::decode(&json, &ty).unwrap(), v);
        let packed = crate::value::msgpack::encode(&v, &ty).unwrap();
        assert_eq!(crate::value::msgpack::decode(&packed, &ty).unwrap(), v);
    }

    #[test]
    fn configured_tags_leave_out_what_the_platform_and_inherited_sources_set() {
        let m = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let found = m(&[
            ("platform:environment", "prod"),
            ("managed-by", "terraform-provider-platform"),
            ("team", "payments"),
            ("project", "phishsentry"),
            ("cost-center", "42"),
        ]);
        let environment = m(&[("cost-center", "42")]);
        let defaults = m(&[("project", "phishsentry")]);
        assert_eq!(
            configured_tags(&found, &[&environment, &defaults]),
            map_of(&m(&[("team", "payments")]))
        );
        // A value that differs from the inherited one was set on the resource itself.
        let overridden = m(&[("project", "other")]);
        assert_eq!(
            configured_tags(&overridden, &[&defaults]),
            map_of(&overridden)
        );
        assert_eq!(
            configured_tags(&m(&[("platform:tier", "x")]), &[]),
            Value::Null
        );
    }
}
