//! Deterministic cloud names and the platform's tags.
//!
//! Names are a pure function of the environment and the child's logical name, so they
//! are known at plan time and a retried create can find what it already made. Tags carry
//! the same identity (`platform:environment`, `platform:component`, `managed-by`), which
//! is why users may not set those keys themselves.

use std::collections::BTreeMap;

use crate::value::path::AttributePath;

use super::Violation;
use super::limits::{
    AWS_RESERVED_TAG_PREFIX, IntRange, MAX_TAGS_PER_RESOURCE, TAG_KEY_LENGTH, TAG_VALUE_MAX_CHARS,
};
use super::messages;

/// Tag key naming the environment a resource belongs to.
pub const TAG_ENVIRONMENT: &str = "platform:environment";
/// Tag key naming the composite component that owns a resource.
pub const TAG_COMPONENT: &str = "platform:component";
/// Tag key marking a resource as managed by this provider.
pub const TAG_MANAGED_BY: &str = "managed-by";
/// The value of the `managed-by` tag.
pub const MANAGED_BY: &str = "terraform-provider-platform";

/// The tag keys the platform sets on every resource; users may not set them.
pub const PLATFORM_TAG_KEYS: [&str; 3] = [TAG_ENVIRONMENT, TAG_COMPONENT, TAG_MANAGED_BY];

/// The ECS cluster name of an environment: `<environment>-cluster`.
pub fn cluster_name(environment: &str) -> String {
    child_name(environment, "cluster")
}

/// The cloud name of a child: `<environment>-<name>`.
pub fn child_name(environment: &str, name: &str) -> String {
    format!("{environment}-{name}")
}

/// The tags the platform puts on every resource of `component` in `environment`.
pub fn platform_tags(environment: &str, component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (TAG_ENVIRONMENT.to_string(), environment.to_string()),
        (TAG_COMPONENT.to_string(), component.to_string()),
        (TAG_MANAGED_BY.to_string(), MANAGED_BY.to_string()),
    ])
}

/// Where a set of user tags was written, so diagnostics point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrigin {
    /// The resource's own `tags` attribute.
    Resource,
    /// The provider block's `default_tags`.
    ProviderDefault,
}

impl TagOrigin {
    fn path(self, key: &str) -> AttributePath {
        match self {
            TagOrigin::Resource => AttributePath::attr("tags").then_key(key),
            TagOrigin::ProviderDefault => AttributePath::attr("default_tags").then_key(key),
        }
    }
}

/// Checks user tags against AWS's rules and the platform's reserved keys.
pub fn validate_tags(tags: &BTreeMap<String, String>, origin: TagOrigin) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (key, value) in tags {
        let path = origin.path(key);
        let key_chars = key.chars().count();
        if !TAG_KEY_LENGTH.contains(key_chars as i64) {
            violations.push(messages::length_out_of_range(
                path.clone(),
                "tag key",
                key_chars,
                TAG_KEY_LENGTH,
                None,
            ));
        }
        if key
            .get(..AWS_RESERVED_TAG_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(AWS_RESERVED_TAG_PREFIX))
        {
            violations.push(messages::reserved_aws_tag(path.clone(), key));
        }
        if PLATFORM_TAG_KEYS.contains(&key.as_str()) {
            violations.push(messages::reserved_platform_tag(
                path.clone(),
                key,
                &PLATFORM_TAG_KEYS,
            ));
        }
        let value_chars = value.chars().count();
        if value_chars > TAG_VALUE_MAX_CHARS {
            violations.push(messages::tag_value_too_long(
                path,
                key,
                value_chars,
                TAG_VALUE_MAX_CHARS,
            ));
        }
    }
    violations
}

/// The effective tags of a resource: provider `default_tags`, overridden by the
/// resource's `tags`, overridden by the platform's tags.
///
/// The platform's tags win because adoption after a crash finds children by them; a user
/// tag that tries to set one of those keys is therefore an error rather than being
/// silently dropped. Every other rule of [`validate_tags`] applies to both user sets, and
/// the result must fit AWS's limit of tags per resource.
pub fn merge_tags(
    default_tags: &BTreeMap<String, String>,
    resource_tags: &BTreeMap<String, String>,
    platform: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<Violation>> {
    merge_child_tags(default_tags, &BTreeMap::new(), resource_tags, platform)
}

/// The tags a service or database inherits from its environment: the environment's
/// effective user tags (its provider's `default_tags` and its own `tags`), without the
/// platform's identity tags, which the child sets for itself.
pub fn inherited_tags(environment_tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    environment_tags
        .iter()
        .filter(|(k, _)| {
            !PLATFORM_TAG_KEYS.contains(&k.as_str())
                && !k.starts_with("platform:")
                && !k
                    .get(..AWS_RESERVED_TAG_PREFIX.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(AWS_RESERVED_TAG_PREFIX))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The effective tags of a child of a service or database, lowest precedence first: the
/// provider's `default_tags`, the environment's tags ([`inherited_tags`]), the resource's
/// own `tags`, then the platform's tags. Checked like [`merge_tags`].
pub fn merge_child_tags(
    default_tags: &BTreeMap<String, String>,
    environment_tags: &BTreeMap<String, String>,
    resource_tags: &BTreeMap<String, String>,
    platform: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<Violation>> {
    let mut violations = validate_tags(default_tags, TagOrigin::ProviderDefault);
    violations.extend(validate_tags(resource_tags, TagOrigin::Resource));

    let inherited = inherited_tags(environment_tags);
    let mut merged = default_tags.clone();
    merged.extend(inherited.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged.extend(resource_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    merged.extend(platform.iter().map(|(k, v)| (k.clone(), v.clone())));

    if merged.len() > MAX_TAGS_PER_RESOURCE {
        let why = format!(
            "Together with the provider's `default_tags`{} and the {} platform tags, the resource",
            if inherited.is_empty() {
                ""
            } else {
                ", the environment's tags"
            },
            platform.len()
        );
        violations.push(messages::too_many(
            AttributePath::attr("tags"),
            "tags",
            merged.len(),
            MAX_TAGS_PER_RESOURCE,
            &why,
        ));
    }

    if violations.is_empty() {
        Ok(merged)
    } else {
        Err(violations)
    }
}

/// A lowercase letter first, then lowercase letters, digits and hyphens, no trailing
/// hyphen: a valid DNS label and a valid prefix for every cloud name we derive.
pub fn is_dns_safe(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

/// Checks the `name` attribute of an environment or service: its length within `length`
/// and DNS-safe. Each message offers the nearest valid name, or `example` when there is
/// none; `what` names the resource in the summary (`Service` → `Invalid Service Name`).
pub fn check_dns_name(
    name: &str,
    what: &str,
    length: IntRange,
    example: &str,
    out: &mut Vec<Violation>,
) {
    let chars = name.chars().count();
    let too_long_or_short = !length.contains(chars as i64);
    let unsafe_chars = !name.is_empty() && !is_dns_safe(name);
    if !too_long_or_short && !unsafe_chars {
        // The common case, on every plan: nothing to suggest, nothing to allocate.
        return;
    }
    let path = AttributePath::attr("name");
    let suggestion = suggest_dns_name(name, length.max as usize).filter(|s| s != name);
    if too_long_or_short {
        out.push(messages::length_out_of_range(
            path.clone(),
            "name",
            chars,
            length,
            suggestion.as_deref(),
        ));
    }
    if unsafe_chars {
        out.push(messages::invalid_format(
            path,
            &format!("Invalid {what} Name"),
            name,
            "DNS-safe: a lowercase letter first, then lowercase letters, digits or \
             hyphens, not ending in a hyphen",
            suggestion.as_deref().unwrap_or(example),
        ));
    }
}

/// The nearest DNS-safe name of at most `max_chars` to what the user wrote, if any.
pub fn suggest_dns_name(given: &str, max_chars: usize) -> Option<String> {
    let mut name = String::new();
    for c in given.to_ascii_lowercase().chars() {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if name.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        if c == '-' && name.ends_with('-') {
            continue;
        }
        name.push(c);
    }
    let name: String = name.chars().take(max_chars).collect();
    let name = name.trim_end_matches('-').to_string();
    (!name.is_empty()).then_some(name)
}

/// True for anything shaped like an AWS region code.
///
/// The check is deliberately by shape, not by a list, so a region AWS opens next year is
/// never rejected: a 2–4 letter partition or country prefix (`us`, `cn`, `eusc`), one or
/// more lowercase words (`gov-west`, `isoe-west`, `de-east`), and a 1–2 digit number.
pub fn is_aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return false;
    };
    let is_word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    (2..=4).contains(&first.len())
        && is_word(first)
        && !middle.is_empty()
        && middle.iter().all(|w| is_word(w))
        && (1..=2).contains(&last.len())
        && last.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn names_are_deterministic() {
        assert_eq!(cluster_name("prod"), "prod-cluster");
        assert_eq!(child_name("prod", "api"), "prod-api");
    }

    #[test]
    fn platform_tags_carry_identity() {
        let got = platform_tags("prod", "environment");
        let want = tags(&[
            ("platform:environment", "prod"),
            ("platform:component", "environment"),
            ("managed-by", "terraform-provider-platform"),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn resource_tags_override_default_tags_and_platform_tags_are_added() {
        let defaults = tags(&[("team", "core"), ("cost-center", "42")]);
        let resource = tags(&[("team", "payments")]);
        let merged = merge_tags(&defaults, &resource, &platform_tags("prod", "environment"))
            .expect("no conflicts");
        assert_eq!(
            merged["team"], "payments",
            "resource tags beat default_tags"
        );
        assert_eq!(merged["cost-center"], "42", "default_tags fill the gaps");
        assert_eq!(merged["platform:environment"], "prod");
        assert_eq!(merged["managed-by"], "terraform-provider-platform");
        assert_eq!(merged.len(), 5);
    }

    #[test]
    fn a_resource_tag_may_not_override_a_platform_tag() {
        let resource = tags(&[("platform:environment", "other")]);
        let err = merge_tags(
            &BTreeMap::new(),
            &resource,
            &platform_tags("prod", "environment"),
        )
        .unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].path.to_string(), r#"tags["platform:environment"]"#);
        assert_eq!(err[0].summary, "Reserved Tag Key");
        assert!(err[0].detail.contains("reserved"), "{}", err[0].detail);
        assert!(
            err[0].detail.contains("Remove `platform:environment`"),
            "{}",
            err[0].detail
        );
    }

    #[test]
    fn a_default_tag_may_not_override_a_platform_tag_either() {
        let defaults = tags(&[("managed-by", "someone-else")]);
        let err = merge_tags(
            &defaults,
            &BTreeMap::new(),
            &platform_tags("p", "environment"),
        )
        .unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].path.to_string(), r#"default_tags["managed-by"]"#);
    }

    #[test]
    fn tag_rules_are_checked() {
        let long_key = "k".repeat(129);
        let long_value = "v".repeat(257);
        let cases: [(&str, BTreeMap<String, String>, &str, &str); 5] = [
            (
                "empty key",
                tags(&[("", "x")]),
                r#"tags[""]"#,
                "Invalid Length",
            ),
            (
                "key too long",
                tags(&[(long_key.as_str(), "x")]),
                "",
                "Invalid Length",
            ),
            (
                "value too long",
                tags(&[("k", long_value.as_str())]),
                r#"tags["k"]"#,
                "Tag Value Too Long",
            ),
            (
                "aws prefix",
                tags(&[("aws:cloudformation", "x")]),
                r#"tags["aws:cloudformation"]"#,
                "Reserved Tag Key",
            ),
            (
                "aws prefix in any case",
                tags(&[("AWS:x", "x")]),
                r#"tags["AWS:x"]"#,
                "Reserved Tag Key",
            ),
        ];
        for (name, input, want_path, want_summary) in cases {
            let got = validate_tags(&input, TagOrigin::Resource);
            assert_eq!(got.len(), 1, "{name}: {got:?}");
            if !want_path.is_empty() {
                assert_eq!(got[0].path.to_string(), want_path, "{name}");
            }
            assert_eq!(got[0].summary, want_summary, "{name}");
        }
    }

    #[test]
    fn limits_are_inclusive_and_count_characters_not_bytes() {
        let key = "ü".repeat(128);
        let value = "é".repeat(256);
        assert!(
            validate_tags(
                &tags(&[(key.as_str(), value.as_str())]),
                TagOrigin::Resource
            )
            .is_empty()
        );
        assert!(validate_tags(&tags(&[("awsome", "x")]), TagOrigin::Resource).is_empty());
    }

    #[test]
    fn children_inherit_environment_tags_between_defaults_and_their_own() {
        let defaults = tags(&[("team", "default"), ("cost-center", "42"), ("owner", "d")]);
        let environment = tags(&[
            ("team", "payments"),
            ("owner", "env"),
            ("platform:environment", "prod"),
            ("platform:component", "environment"),
            ("platform:tier", "production"),
            ("managed-by", MANAGED_BY),
        ]);
        let own = tags(&[("owner", "service")]);
        let merged = merge_child_tags(
            &defaults,
            &environment,
            &own,
            &platform_tags("prod", "database"),
        )
        .unwrap();
        assert_eq!(merged["cost-center"], "42", "default_tags fill the gaps");
        assert_eq!(
            merged["team"], "payments",
            "environment tags beat default_tags"
        );
        assert_eq!(
            merged["owner"], "service",
            "the resource's tags beat the environment's"
        );
        assert_eq!(
            merged["platform:component"], "database",
            "the child's identity wins"
        );
        assert!(
            !merged.contains_key("platform:tier"),
            "environment-only platform tags stay"
        );
    }

    #[test]
    fn too_many_tags_after_merging_is_reported() {
        let defaults: BTreeMap<String, String> = (0..30)
            .map(|i| (format!("d{i}"), "x".to_string()))
            .collect();
        let resource: BTreeMap<String, String> = (0..18)
            .map(|i| (format!("r{i}"), "x".to_string()))
            .collect();
        let err = merge_tags(&defaults, &resource, &platform_tags("p", "environment")).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].path.to_string(), "tags");
        assert!(err[0].detail.contains("51 tags"), "{}", err[0].detail);
        assert!(err[0].detail.contains("at most 50"), "{}", err[0].detail);
        assert!(err[0].detail.contains("Remove 1"), "{}", err[0].detail);

        let fits: BTreeMap<String, String> = (0..17)
            .map(|i| (format!("r{i}"), "x".to_string()))
            .collect();
        assert!(merge_tags(&defaults, &fits, &platform_tags("p", "environment")).is_ok());
    }
}
