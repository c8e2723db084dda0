//! Every diagnostic the planner emits is built here, so the wording stays consistent:
//! a short Title-Case summary, then a detail that says what is wrong and what to change,
//! with values in backticks.

use crate::value::path::AttributePath;

use super::Violation;
use super::limits::IntRange;

/// Renders values as a backticked, comma-separated list: `` `a`, `b`, `c` ``.
pub fn backticked<T: std::fmt::Display>(values: &[T]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number outside its allowed range.
pub fn out_of_range(path: AttributePath, value: i64, range: IntRange) -> Violation {
    let detail = format!(
        "`{path}` is `{value}`, but it must be between `{}` and `{}`. \
         Set it to a value in that range.",
        range.min, range.max
    );
    Violation::new(path, "Value Out Of Range", detail)
}

/// A number that is not one of a fixed set, with the nearest allowed value suggested.
pub fn not_an_allowed_number(
    path: AttributePath,
    value: i64,
    allowed: &[i64],
    nearest: i64,
) -> Violation {
    let detail = format!(
        "`{path}` is `{value}`, which AWS does not accept. Use `{nearest}`, the nearest \
         allowed value, or another of: {}.",
        backticked(allowed)
    );
    Violation::new(path, "Unsupported Value", detail)
}

/// A string that is not one of a fixed set of choices.
pub fn unknown_choice(
    path: AttributePath,
    value: &str,
    choices: &[&str],
    suggestion: Option<&str>,
) -> Violation {
    let hint = match suggestion {
        Some(s) => format!(" Did you mean `{s}`?"),
        None => String::new(),
    };
    let detail = format!(
        "`{path}` is `{value}`, but it must be one of {}.{hint}",
        backticked(choices)
    );
    Violation::new(path, "Unsupported Value", detail)
}

/// A string that does not have the expected shape.
///
/// `expected` completes "it must be ..."; `example` is a valid value to copy.
pub fn invalid_format(
    path: AttributePath,
    summary: &str,
    value: &str,
    expected: &str,
    example: &str,
) -> Violation {
    let detail = format!("`{value}` is not valid: it must be {expected}, for example `{example}`.");
    Violation::new(path, summary, detail)
}

/// A string whose length in characters is outside its allowed range.
pub fn length_out_of_range(
    path: AttributePath,
    what: &str,
    length: usize,
    range: IntRange,
    suggestion: Option<&str>,
) -> Violation {
    let hint = match suggestion {
        Some(s) => format!(" For example `{s}`."),
        None => String::new(),
    };
    let detail = format!(
        "The {what} is {length} characters long, but it must be {} to {} characters. \
         Choose a {what} of that length.{hint}",
        range.min, range.max
    );
    Violation::new(path, "Invalid Length", detail)
}

/// A list element that repeats an earlier one.
pub fn duplicate(path: AttributePath, value: &str, first_index: usize) -> Violation {
    let detail =
        format!("`{value}` already appears at index `{first_index}`. Remove the repeated entry.");
    Violation::new(path, "Duplicate Value", detail)
}

/// A list that is empty but must not be.
pub fn empty_list(path: AttributePath, what: &str, why: &str) -> Violation {
    let detail = format!("`{path}` is empty, but {why}. Add at least one {what}.");
    Violation::new(path, "Missing Value", detail)
}

/// A list or map with more entries than AWS allows.
pub fn too_many(path: AttributePath, what: &str, count: usize, max: usize, why: &str) -> Violation {
    let detail = format!(
        "{why} has {count} {what}, but AWS allows at most {max}. Remove {} of them.",
        count - max
    );
    Violation::new(path, "Too Many Values", detail)
}

/// A minimum instance count above the maximum, naming where each side came from.
pub fn min_exceeds_max(
    path: AttributePath,
    min: i64,
    min_from: &str,
    max: i64,
    max_from: &str,
) -> Violation {
    let detail = format!(
        "The minimum instance count `{min}` ({min_from}) is greater than the maximum \
         `{max}` ({max_from}). Set `policy.max_instances` to at least `{min}`, or lower \
         `policy.min_instances` to at most `{max}`."
    );
    Violation::new(path, "Minimum Instances Exceed Maximum", detail)
}

/// A tag key the platform sets itself, so users may not.
pub fn reserved_platform_tag(path: AttributePath, key: &str, reserved: &[&str]) -> Violation {
    let detail = format!(
        "The tag key `{key}` is reserved: the provider sets {} on every resource it \
         manages so it can find and adopt them. Remove `{key}` from your tags.",
        backticked(reserved)
    );
    Violation::new(path, "Reserved Tag Key", detail)
}

/// A tag key with AWS's reserved `aws:` prefix.
pub fn reserved_aws_tag(path: AttributePath, key: &str) -> Violation {
    let detail = format!(
        "The tag key `{key}` starts with `aws:`, a prefix AWS reserves for its own tags \
         in any letter case. Rename the key."
    );
    Violation::new(path, "Reserved Tag Key", detail)
}

/// A tag value longer than AWS allows.
pub fn tag_value_too_long(path: AttributePath, key: &str, length: usize, max: usize) -> Violation {
    let detail = format!(
        "The value of tag `{key}` is {length} characters long, but AWS allows at most \
         {max}. Shorten the value."
    );
    Violation::new(path, "Tag Value Too Long", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_put_values_in_backticks_and_say_what_to_do() {
        let v = out_of_range(
            AttributePath::attr("policy").then_attr("min_instances"),
            1200,
            IntRange { min: 0, max: 1000 },
        );
        assert_eq!(v.summary, "Value Out Of Range");
        assert!(
            v.detail.contains("`policy.min_instances` is `1200`"),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("between `0` and `1000`"), "{}", v.detail);
        assert!(v.detail.contains("Set it"), "{}", v.detail);
    }

    #[test]
    fn unknown_choice_lists_choices_and_suggests() {
        let v = unknown_choice(AttributePath::attr("tier"), "prod", &["a", "b"], Some("b"));
        assert!(v.detail.contains("one of `a`, `b`"), "{}", v.detail);
        assert!(v.detail.ends_with("Did you mean `b`?"), "{}", v.detail);
    }

    #[test]
    fn display_includes_the_path_unless_root() {
        let at = Violation::new(AttributePath::attr("name"), "S", "d");
        assert_eq!(at.to_string(), "name: S: d");
        let root = Violation::new(AttributePath::root(), "S", "d");
        assert_eq!(root.to_string(), "S: d");
    }
}
