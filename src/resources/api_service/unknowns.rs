//! Unknown `env`, `secrets` and `tags` values at plan time: placeholders, and the settings they feed shown unknown.

use super::*;

/// Map values that are only known after apply (an `env` value from a database's endpoint,
/// a secret ARN created in the same plan, a tag): placement and the expansion do not
/// depend on them, so the plan uses placeholders for them and shows unknown only the
/// settings they feed.
#[derive(Default, Clone)]
pub(super) struct Pending {
    pub(super) env: bool,
    pub(super) secrets: BTreeSet<String>,
    pub(super) tags: bool,
}

pub(super) const PLACEHOLDER: &str = "(known after apply)";

/// The configuration with placeholders for unknown `env`, `secrets` and `tags` values, when
/// nothing else is unknown and it plans; the secret placeholder is whichever reference
/// form the host takes.
pub(super) fn with_placeholders(
    config: &Value,
    provider: &ProviderConfig,
) -> Option<(Value, Pending)> {
    let unknown_keys = |k: &str| -> Vec<String> {
        get(config, k)
            .as_map()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_unknown())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let pending = Pending {
        env: !unknown_keys("env").is_empty(),
        secrets: unknown_keys("secrets").into_iter().collect(),
        tags: !unknown_keys("tags").is_empty(),
    };
    let fill = |k: &str, value: &dyn Fn(&str) -> String| -> Value {
        match get(config, k) {
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(name, v)| {
                        let v = if v.is_unknown() {
                            s(value(name))
                        } else {
                            v.clone()
                        };
                        (name.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    };
    let arn = |_: &str| "arn:aws:secretsmanager:us-east-1:000000000000:secret:pending".to_string();
    let host_secret = |name: &str| format!("secret://{name}");
    for secret in [&arn as &dyn Fn(&str) -> String, &host_secret] {
        let filled = with(
            config.clone(),
            [
                ("env", fill("env", &|_| PLACEHOLDER.to_string())),
                ("secrets", fill("secrets", secret)),
                ("tags", fill("tags", &|_| "pending".to_string())),
            ],
        );
        if filled.is_wholly_known() && plan_of(&filled, provider).is_some() {
            return Some((filled, pending.clone()));
        }
    }
    None
}

impl Pending {
    /// Puts the unknowns back: the configuration's own values, and the settings they feed.
    pub(super) fn restore(&self, planned: Value, config: &Value) -> Value {
        if !self.env && self.secrets.is_empty() && !self.tags {
            return planned;
        }
        let expansion = match get(&planned, "expansion") {
            Value::List(children) => Value::List(
                children
                    .iter()
                    .map(|child| {
                        let settings = match get(child, "settings") {
                            Value::Map(m) => Value::Map(
                                m.iter()
                                    .map(|(k, v)| {
                                        let fed_by_env = self.env && k.ends_with("env_digest");
                                        let fed_by_secret = k
                                            .rsplit_once("secrets.")
                                            .is_some_and(|(_, name)| self.secrets.contains(name));
                                        let v = if fed_by_env || fed_by_secret {
                                            Value::Unknown
                                        } else {
                                            v.clone()
                                        };
                                        (k.clone(), v)
                                    })
                                    .collect(),
                            ),
                            other => other.clone(),
                        };
                        let mut updates = vec![("settings", settings)];
                        if self.tags {
                            updates.push(("tags", Value::Unknown));
                        }
                        with(child.clone(), updates)
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        with(
            planned,
            [
                ("env", get(config, "env").clone()),
                ("secrets", get(config, "secrets").clone()),
                ("tags", get(config, "tags").clone()),
                ("expansion", expansion),
            ],
        )
    }
}
