//! The expansion's building block: a [`Child`] and the one builder every planner makes
//! it with ([`Settings`]), so each child's settings and their sources stay side by side.

use std::collections::{BTreeMap, BTreeSet};

use super::Source;

/// One child cloud resource of a composite: one element of its `expansion` list.
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    /// Stable logical key within the composite, e.g. `ecs_cluster`; never the cloud name.
    pub key: String,
    /// The cloud that hosts it: `aws`, `fly` or `cloudflare`.
    pub provider: String,
    /// The child's kind, shown to users as `type`, e.g. `ecs_cluster`.
    pub kind: String,
    /// The deterministic cloud name.
    pub name: String,
    /// The effective settings, rendered as strings.
    pub settings: BTreeMap<String, String>,
    /// For each key of `settings`, where its value came from.
    pub settings_source: BTreeMap<String, Source>,
    /// Estimated monthly cost in USD from the dated price table.
    pub monthly_cost_usd: f64,
}

/// A child's settings and their sources, built side by side; [`Settings::child`] turns
/// them into the [`Child`]. Also built from `(setting, value, source)` rows.
#[derive(Debug, Default)]
pub struct Settings {
    /// The settings' values, rendered as strings.
    pub values: BTreeMap<String, String>,
    /// For each key of `values`, where its value came from.
    pub sources: BTreeMap<String, Source>,
    /// Keys whose values derive from inputs unknown at plan time.
    pub unknown: BTreeSet<String>,
}

impl Settings {
    /// Sets `key` to `value`, which came from `source`.
    pub fn set(&mut self, key: &str, value: impl ToString, source: Source) -> &mut Self {
        self.values.insert(key.to_string(), value.to_string());
        self.sources.insert(key.to_string(), source);
        self
    }

    /// Marks `key` as derived from a value unknown at plan time.
    pub fn unknown(&mut self, key: &str) -> &mut Self {
        self.unknown.insert(key.to_string());
        self
    }

    /// The child under `key`, hosted by `provider` (`aws`, `fly`, `cloudflare`).
    pub fn child(self, key: &str, provider: &str, kind: &str, name: &str, cost_usd: f64) -> Child {
        Child {
            key: key.to_string(),
            provider: provider.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            settings: self.values,
            settings_source: self.sources,
            monthly_cost_usd: cost_usd,
        }
    }

    /// [`Settings::child`], noting in `unknown` (by child key) which of its settings are
    /// unknown at plan time.
    pub fn child_noting_unknown(
        mut self,
        unknown: &mut BTreeMap<String, BTreeSet<String>>,
        key: &str,
        provider: &str,
        kind: &str,
        name: &str,
        cost_usd: f64,
    ) -> Child {
        let keys = std::mem::take(&mut self.unknown);
        if !keys.is_empty() {
            unknown.insert(key.to_string(), keys);
        }
        self.child(key, provider, kind, name, cost_usd)
    }
}

impl<'a> FromIterator<(&'a str, String, Source)> for Settings {
    /// Settings from `(setting, value, source)` rows; a later row wins.
    fn from_iter<I: IntoIterator<Item = (&'a str, String, Source)>>(rows: I) -> Self {
        let mut settings = Settings::default();
        for (key, value, source) in rows {
            settings.set(key, value, source);
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planner::Tier;

    #[test]
    fn a_child_keeps_each_setting_beside_its_source() {
        let mut settings: Settings = [("region", "eu-west-1".to_string(), Source::Environment)]
            .into_iter()
            .collect();
        settings.set("port", 8080, Source::Tier(Tier::Staging));
        let child = settings.child("svc", "aws", "ecs_service", "stg-svc", 1.5);
        assert_eq!(child.settings["port"], "8080");
        assert_eq!(child.settings_source["port"], Source::Tier(Tier::Staging));
        assert_eq!(child.settings_source["region"], Source::Environment);
        assert_eq!(
            (
                child.key.as_str(),
                child.provider.as_str(),
                child.kind.as_str()
            ),
            ("svc", "aws", "ecs_service")
        );
        assert_eq!(child.monthly_cost_usd, 1.5);
    }

    #[test]
    fn unknown_settings_are_noted_under_the_childs_key() {
        let mut unknown = BTreeMap::new();
        let mut settings = Settings::default();
        settings
            .set("env_digest", "x", Source::Config)
            .unknown("env_digest");
        settings.child_noting_unknown(&mut unknown, "task", "aws", "ecs_task_definition", "t", 0.0);
        Settings::default().child_noting_unknown(&mut unknown, "other", "aws", "k", "n", 0.0);
        assert_eq!(
            unknown,
            BTreeMap::from([(
                "task".to_string(),
                BTreeSet::from(["env_digest".to_string()])
            )])
        );
    }
}
