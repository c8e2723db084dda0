//! What the state and the clouds record about a service: the spec record (tags, Fly metadata, a Worker binding) that import reads back, and the observed children.

use super::*;

use crate::resources::spec::{Field, Kind, field};

/// What the import record holds: the configured inputs the hosts do not hold as such.
pub(super) const SPEC: &[Field] = &[
    field("host", Kind::Text),
    field("port", Kind::Number),
    field("cpu", Kind::Text),
    field("memory", Kind::Text),
    field("regions", Kind::List),
    field("execution_role_arn", Kind::Text),
    field("task_role_arn", Kind::Text),
    field(
        "scaling",
        Kind::Block(&[
            field("min", Kind::Number),
            field("max", Kind::Number),
            field("target_cpu_percent", Kind::Number),
        ]),
    ),
    field(
        "health_check",
        Kind::Block(&[
            field("path", Kind::Text),
            field("interval_seconds", Kind::Number),
        ]),
    ),
    field(
        "deployment",
        Kind::Block(&[
            field("circuit_breaker", Kind::Bool),
            field("rollback", Kind::Bool),
            field("wait_for_steady_state", Kind::Bool),
            field("timeout_minutes", Kind::Number),
            field("image_source", Kind::Text),
        ]),
    ),
    field(
        "ingress",
        Kind::Block(&[
            field("hostname", Kind::Text),
            field("path", Kind::Text),
            field("public", Kind::Bool),
        ]),
    ),
    field(
        "requirements",
        Kind::Block(&[
            field("long_lived_connections", Kind::Bool),
            field("private_network_access", Kind::Bool),
            field("cpu_ms_per_request", Kind::Number),
            field("memory_mb", Kind::Number),
            field("background_work", Kind::Bool),
        ]),
    ),
    field("secrets", Kind::Map),
];

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
    let expansion = attrs::observed_expansion(&state, &seen.children);
    let url = match (&seen.url, host) {
        (Some(u), _) => s(u.clone()),
        // Fargate: the hostname behind the load balancer as planned, or none.
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
    use crate::resources::attrs::int;
    use crate::resources::spec;

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
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        assert!(
            tags.values()
                .all(|v| v.len() <= crate::planner::limits::TAG_VALUE_MAX_CHARS)
        );
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
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
        let tags = spec::to_tags(TAG_SPEC, &spec::encode(SPEC, &config));
        assert!(tags.len() > 1, "{tags:?}");
        assert!(
            tags.values()
                .all(|v| v.len() <= crate::planner::limits::TAG_VALUE_MAX_CHARS)
        );
        let back: BTreeMap<&str, Value> = spec::decode(SPEC, &spec::from_tags(TAG_SPEC, &tags))
            .into_iter()
            .collect();
        assert_eq!(back["secrets"], map_of(&secrets));
    }
}
