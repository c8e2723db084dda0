//! What the state and the clouds record about a service: the spec record (tags, Fly metadata, a Worker binding) that import reads back, and the observed children.

use super::*;

/// The type of a recorded input.
pub(super) enum Kind {
    Text,
    Number,
    Bool,
}

/// The blocks the spec records, field by field.
pub(super) const SPEC_BLOCKS: [(&str, &[(&str, Kind)]); 3] = [
    (
        "scaling",
        &[
            ("min", Kind::Number),
            ("max", Kind::Number),
            ("target_cpu_percent", Kind::Number),
        ],
    ),
    (
        "health_check",
        &[("path", Kind::Text), ("interval_seconds", Kind::Number)],
    ),
    (
        "requirements",
        &[
            ("long_lived_connections", Kind::Bool),
            ("private_network_access", Kind::Bool),
            ("cpu_ms_per_request", Kind::Number),
            ("memory_mb", Kind::Number),
            ("background_work", Kind::Bool),
        ],
    ),
];

/// The configured inputs that the cloud does not hold as such, as `k=v` pairs (values
/// with spaces written with `+`), in characters every host's tags accept.
pub(super) fn spec_pairs(config: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut put = |k: String, v: &Value| {
        let text = match v {
            Value::String(t) => t.replace(' ', "+"),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::List(items) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("/"),
            _ => return,
        };
        out.push(format!("{k}={text}"));
    };
    for k in [
        "host",
        "port",
        "cpu",
        "memory",
        "regions",
        "execution_role_arn",
        "task_role_arn",
    ] {
        put(k.to_string(), get(config, k));
    }
    for (b, fields) in SPEC_BLOCKS {
        let value = get(config, b);
        if !value.is_null() {
            out_block_marker(&mut put, b);
            for (f, _) in fields {
                put(format!("{b}.{f}"), get(value, f));
            }
        }
    }
    for (k, v) in attrs::string_map(get(config, "secrets")) {
        put(format!("secrets.{k}"), &s(v));
    }
    out
}

/// Records that a block was written even when all its fields are null.
pub(super) fn out_block_marker(put: &mut impl FnMut(String, &Value), block: &str) {
    put(format!("{block}."), &Value::Bool(true));
}

/// The configuration values recorded by [`spec_pairs`].
pub(super) fn config_from_spec(pairs: &[String]) -> Vec<(&'static str, Value)> {
    let found: BTreeMap<&str, &str> = pairs.iter().filter_map(|p| p.split_once('=')).collect();
    let text = |k: &str| found.get(k).map(|v| s(v.replace('+', " ")));
    let number = |k: &str| found.get(k).and_then(|v| v.parse::<i64>().ok()).map(int);
    let boolean = |k: &str| found.get(k).and_then(|v| v.parse().ok()).map(Value::Bool);
    let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
    let mut out = vec![
        ("host", or_null(text("host"))),
        ("port", or_null(number("port"))),
        ("cpu", or_null(text("cpu"))),
        ("memory", or_null(text("memory"))),
        (
            "regions",
            or_null(found.get("regions").map(|v| {
                attrs::string_list(
                    &v.split('/')
                        .filter(|r| !r.is_empty())
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                )
            })),
        ),
        ("execution_role_arn", or_null(text("execution_role_arn"))),
        ("task_role_arn", or_null(text("task_role_arn"))),
    ];
    for (b, fields) in SPEC_BLOCKS {
        let block = found.contains_key(format!("{b}.").as_str()).then(|| {
            Value::object(fields.iter().map(|(f, kind)| {
                let k = format!("{b}.{f}");
                let v = match kind {
                    Kind::Text => text(&k),
                    Kind::Number => number(&k),
                    Kind::Bool => boolean(&k),
                };
                (*f, or_null(v))
            }))
        });
        out.push((b, or_null(block)));
    }
    let secrets: BTreeMap<String, String> = found
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("secrets.")?.to_string(), v.to_string())))
        .collect();
    out.push((
        "secrets",
        if secrets.is_empty() {
            Value::Null
        } else {
            map_of(&secrets)
        },
    ));
    out
}

/// The spec as ECS tags: `platform:spec`, `platform:spec:1`, … each within 256 characters.
pub(super) fn spec_tags(pairs: &[String]) -> BTreeMap<String, String> {
    let mut chunks: Vec<String> = vec![String::new()];
    for p in pairs {
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() && last.len() + 1 + p.len() > TAG_VALUE_MAX {
            chunks.push(String::new());
        }
        let last = chunks.last_mut().expect("one chunk");
        if !last.is_empty() {
            last.push(' ');
        }
        // A single pair longer than a tag value is cut rather than refused: import then
        // misses that one input and the plan after import shows it.
        last.push_str(&p.chars().take(TAG_VALUE_MAX).collect::<String>());
    }
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let key = if i == 0 {
                TAG_SPEC.to_string()
            } else {
                format!("{TAG_SPEC}:{i}")
            };
            (key, c)
        })
        .collect()
}

pub(super) fn spec_from_tags(tags: &BTreeMap<String, String>) -> Vec<String> {
    let mut chunks: Vec<(usize, &String)> = tags
        .iter()
        .filter_map(|(k, v)| {
            if k == TAG_SPEC {
                Some((0, v))
            } else {
                k.strip_prefix(&format!("{TAG_SPEC}:"))?
                    .parse()
                    .ok()
                    .map(|i| (i, v))
            }
        })
        .collect();
    chunks.sort();
    chunks
        .into_iter()
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------
// What the cloud holds
// ---------------------------------------------------------------------------------------

/// The children as read from the cloud.
#[derive(Default)]
pub(super) struct Seen {
    /// Observed settings of each child that exists, by expansion key; a key without an
    /// entry does not exist.
    pub(super) children: BTreeMap<String, BTreeMap<String, String>>,
    /// Cloud IDs by expansion key.
    pub(super) ids: BTreeMap<String, String>,
    /// The URL the host reports, when it has one.
    pub(super) url: Option<String>,
    /// Environment variables as deployed (for import).
    pub(super) env: BTreeMap<String, String>,
    /// Image or script as deployed (for import).
    pub(super) artefact: Option<String>,
    /// The recorded spec (for import).
    pub(super) spec: Vec<String>,
    /// Tags of the main child (for import).
    pub(super) tags: BTreeMap<String, String>,
}

impl Seen {
    /// Whether anything of the service exists: a state that records some children is
    /// kept, and the next plan adds the missing ones back.
    pub(super) fn any(&self) -> bool {
        !self.children.is_empty()
    }

    /// The service is complete enough to import when its main child exists.
    pub(super) fn exists(&self, plan: &ServicePlan) -> bool {
        let main = match plan.placement.host {
            Host::AwsFargate => "ecs_service",
            Host::Fly => "fly_app",
            Host::CloudflareWorkers => "worker_script",
        };
        self.children.contains_key(main)
    }
}

/// Writes what the cloud holds into a state: children that are gone leave the
/// expansion (the next plan adds them back), and observed settings replace planned ones.
pub(super) fn observe(state: Value, seen: &Seen, host: Host) -> Value {
    let expansion = match get(&state, "expansion") {
        Value::List(children) => Value::List(
            children
                .iter()
                .filter_map(|child| {
                    let key = get(child, "key").as_str().unwrap_or_default();
                    let observed = seen.children.get(key)?;
                    let mut settings = attrs::string_map(get(child, "settings"));
                    for (k, v) in observed {
                        if settings.contains_key(k) {
                            settings.insert(k.clone(), v.clone());
                        }
                    }
                    Some(with(child.clone(), [("settings", map_of(&settings))]))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    let url = match (&seen.url, host) {
        (Some(u), _) => s(u.clone()),
        (None, Host::AwsFargate) => Value::Null,
        (None, _) => get(&state, "url").clone(),
    };
    let url = if url.is_unknown() { Value::Null } else { url };
    with(
        state,
        [
            ("expansion", expansion),
            ("child_ids", map_of(&seen.ids)),
            ("url", url),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_round_trips_the_configured_inputs() {
        let config = Value::object([
            ("host", s("fly")),
            ("port", int(3000)),
            ("cpu", s("1 vCPU")),
            ("regions", attrs::string_list(&["iad".into(), "ams".into()])),
            (
                "scaling",
                Value::object([
                    ("min", int(2)),
                    ("max", Value::Null),
                    ("target_cpu_percent", Value::Null),
                ]),
            ),
            (
                "health_check",
                Value::object([("path", s("/healthz")), ("interval_seconds", Value::Null)]),
            ),
            (
                "secrets",
                map_of(&BTreeMap::from([(
                    "DATABASE_URL".to_string(),
                    "secret://DATABASE_URL".to_string(),
                )])),
            ),
        ]);
        let pairs = spec_pairs(&config);
        let tags = spec_tags(&pairs);
        assert!(tags.values().all(|v| v.len() <= TAG_VALUE_MAX));
        let back: BTreeMap<&str, Value> = config_from_spec(&spec_from_tags(&tags))
            .into_iter()
            .collect();
        for k in [
            "host",
            "port",
            "cpu",
            "regions",
            "scaling",
            "health_check",
            "secrets",
        ] {
            assert_eq!(back[k], *get(&config, k), "{k}");
        }
        assert!(back["requirements"].is_null() && back["memory"].is_null());
    }

    #[test]
    fn long_specs_are_split_across_tags_within_the_limit() {
        let secrets: BTreeMap<String, String> = (0..12)
            .map(|n| {
                (
                    format!("SECRET_{n}"),
                    format!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/key-{n}"),
                )
            })
            .collect();
        let config = Value::object([("secrets", map_of(&secrets))]);
        let tags = spec_tags(&spec_pairs(&config));
        assert!(tags.len() > 1, "{tags:?}");
        assert!(tags.values().all(|v| v.len() <= TAG_VALUE_MAX));
        let back: BTreeMap<&str, Value> = config_from_spec(&spec_from_tags(&tags))
            .into_iter()
            .collect();
        assert_eq!(back["secrets"], map_of(&secrets));
    }
}
