//! States written by earlier schema versions, brought to the current one before they are
//! decoded (decoding drops what the current schema no longer has, so this runs on the
//! stored JSON). Every composite shares one schema version, because they share the
//! `context` and `expansion` shapes.
//!
//! * **Version 0 → 1** (the compact plan): an environment's `context` (a service's or
//!   database's `environment`) carries only the policy the environment overrides, as
//!   text, instead of the whole effective policy and its `policy_source`, and only the
//!   tags its children inherit; an `expansion` element groups its settings by source in
//!   `sources` instead of `settings_source`, and its `tags` move to the resource's
//!   `tags_all`.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::attrs::grouped_sources;
use super::environment_context::policy_fields;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::planner::Source;
use crate::planner::naming;

/// The schema version every composite resource writes.
pub const VERSION: i64 = 1;

/// Brings `state`, written at `from_version`, to [`VERSION`]; `context` names the
/// attribute holding an environment context (`context` on the environment, `environment`
/// on the resources inside one).
pub fn upgrade(
    type_name: &str,
    from_version: i64,
    mut state: Json,
    context: &str,
) -> Result<Json, Diagnostics> {
    if from_version > VERSION {
        return Err(Diagnostics::from_error(Diagnostic::error(
            "State From A Newer Provider",
            format!(
                "This `{type_name}` was stored by a provider whose schema version is {from_version}; this provider reads versions up to {VERSION}. Use that provider version or a newer one (`terraform init -upgrade`)."
            ),
        )));
    }
    if from_version < 1
        && let Json::Object(attrs) = &mut state
    {
        if let Some(Json::Object(c)) = attrs.get_mut(context) {
            compact_context(c);
        }
        let mut tags_all = None;
        if let Some(Json::Array(children)) = attrs.get_mut("expansion") {
            for child in children.iter_mut().filter_map(Json::as_object_mut) {
                let tags = child.remove("tags");
                tags_all = tags_all.or(tags);
                group_sources(child);
            }
        }
        attrs.insert("tags_all".into(), tags_all.unwrap_or(Json::Null));
    }
    Ok(state)
}

/// A version-0 context made version 1: the overrides its `policy_source` names, as text,
/// and the inherited tags.
fn compact_context(c: &mut Map<String, Json>) {
    let sources = c.remove("policy_source");
    let overridden = |field: &str| {
        sources
            .as_ref()
            .and_then(|s| s.get(field))
            .and_then(Json::as_str)
            .is_some_and(|s| s == "config" || s == "environment")
    };
    // What `context.policy` may hold: the fields of the environment's `policy` block.
    let policy: Map<String, Json> = match c.get("policy") {
        Some(Json::Object(p)) => policy_fields()
            .into_iter()
            .map(|(f, _, _)| f)
            .filter(|f| overridden(f))
            .filter_map(|f| Some((f.to_string(), Json::String(text(p.get(f)?)?))))
            .collect(),
        _ => Map::new(),
    };
    c.insert("policy".into(), Json::Object(policy));
    if let Some(Json::Object(tags)) = c.get("tags") {
        let tags: BTreeMap<String, String> = tags
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect();
        let inherited = naming::inherited_tags(&tags)
            .into_iter()
            .map(|(k, v)| (k, Json::String(v)))
            .collect();
        c.insert("tags".into(), Json::Object(inherited));
    }
}

/// A scalar as `context.policy` writes it.
fn text(v: &Json) -> Option<String> {
    match v {
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        Json::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A version-0 `expansion` element's `settings_source` grouped into `sources`. A label this
/// version does not know is kept as written.
fn group_sources(child: &mut Map<String, Json>) {
    let Some(Json::Object(by_setting)) = child.remove("settings_source") else {
        child.insert("sources".into(), Json::Null);
        return;
    };
    let mut known = BTreeMap::new();
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (setting, label) in by_setting {
        let label = label.as_str().unwrap_or_default().to_string();
        match label.parse::<Source>() {
            Ok(source) => {
                known.insert(setting, source);
            }
            Err(_) => unknown.entry(label).or_default().push(setting),
        }
    }
    let mut grouped = grouped_sources(&known);
    for (label, settings) in unknown {
        grouped.insert(label, settings.join(", "));
    }
    child.insert(
        "sources".into(),
        Json::Object(
            grouped
                .into_iter()
                .map(|(k, v)| (k, Json::String(v)))
                .collect(),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn version_0_keeps_the_overrides_its_policy_source_names_and_groups_sources() {
        let v0 = json!({
            "environment": {
                "name": "prod",
                "policy": {"min_instances": 3, "max_instances": 10, "multi_az": false, "db_storage_gb": 100},
                "policy_source": {"min_instances": "config", "max_instances": "tier:production",
                                  "multi_az": "config", "db_storage_gb": "tier:production"},
                "tags": {"team": "a", "managed-by": "terraform-provider-platform",
                         "platform:component": "environment", "platform:environment": "prod"}
            },
            "expansion": [{
                "key": "ecs_service",
                "settings": {"cluster": "prod-cluster", "desired_count": "3", "launch": "FARGATE"},
                "settings_source": {"cluster": "environment", "desired_count": "environment",
                                    "launch": "fixed"},
                "tags": {"team": "a", "platform:component": "api_service"}
            }]
        });
        let v1 = upgrade("platform_api_service", 0, v0, "environment").unwrap();
        assert_eq!(
            v1["environment"],
            json!({"name": "prod", "policy": {"min_instances": "3", "multi_az": "false"},
                   "tags": {"team": "a"}})
        );
        assert_eq!(
            v1["expansion"][0],
            json!({"key": "ecs_service",
                   "settings": {"cluster": "prod-cluster", "desired_count": "3", "launch": "FARGATE"},
                   "sources": {"environment": "cluster, desired_count", "fixed": "launch"}})
        );
        assert_eq!(
            v1["tags_all"],
            json!({"team": "a", "platform:component": "api_service"})
        );
        // A current state passes through untouched.
        let same = upgrade("platform_api_service", 1, v1.clone(), "environment").unwrap();
        assert_eq!(same, v1);
    }
}
