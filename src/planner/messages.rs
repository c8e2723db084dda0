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
    out_of_range_as_written(path, &value.to_string(), range)
}

/// A number outside its allowed range, quoted as written (`1e400`), for numbers too large
/// to hold as an `i64`.
pub fn out_of_range_as_written(path: AttributePath, value: &str, range: IntRange) -> Violation {
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

/// An attribute that must be set because another one is.
pub fn required_with(
    path: AttributePath,
    missing: &str,
    because: &str,
    example: &str,
) -> Violation {
    let detail =
        format!("`{missing}` must be set when {because}. Add it, for example `{example}`.");
    Violation::new(path, "Missing Required Attribute", detail)
}

/// An attribute that does nothing without a companion attribute.
pub fn needs_companion(path: AttributePath, attr: &str, companion: &str, why: &str) -> Violation {
    let detail = format!(
        "`{attr}` {why}, so it has no effect without `{companion}`. Set `{companion}` too, \
         or remove `{attr}`."
    );
    Violation::new(path, "Missing Companion Attribute", detail)
}

/// A master user name RDS or PostgreSQL keeps for itself.
pub fn reserved_master_username(path: AttributePath, name: &str, example: &str) -> Violation {
    let detail = format!(
        "`{name}` is reserved: RDS for PostgreSQL refuses its own roles (`rdsadmin`, names \
         starting with `rds_`), PostgreSQL's reserved words and names starting with `pg_` \
         as the master user name. Choose another, for example `{example}`."
    );
    Violation::new(path, "Reserved Master Username", detail)
}

/// A write-only master password RDS would refuse. `problem` completes "`master_password_wo`
/// ..." and must never quote the password.
pub fn invalid_master_password(path: AttributePath, problem: &str) -> Violation {
    let detail = format!(
        "The value of `master_password_wo` {problem}. Choose another password (this message \
         never shows the value)."
    );
    Violation::new(path, "Invalid Master Password", detail)
}

/// A database that would be created with no master password at all.
pub fn no_master_password(path: AttributePath) -> Violation {
    let detail = "RDS needs a master password to create the instance, but \
                  `manage_master_password = false` turns off the one RDS keeps in Secrets \
                  Manager and no `master_password_wo` is set. Remove \
                  `manage_master_password = false`, or set `master_password_wo` together with \
                  `master_password_wo_version`.";
    Violation::new(path, "Missing Master Password", detail)
}

/// An extension that the chosen engine version does not offer yet.
///
/// `requirement` completes "it needs ..."; `suggestion` is a version that has it.
pub fn extension_needs_newer_engine(
    path: AttributePath,
    extension: &str,
    engine_version: &str,
    requirement: &str,
    suggestion: &str,
) -> Violation {
    let detail = format!(
        "RDS for PostgreSQL `{engine_version}` does not offer the `{extension}` extension: \
         it needs {requirement}. Set `engine_version` to `{suggestion}` or later, or remove \
         `{extension}`."
    );
    Violation::new(path, "Extension Needs Newer PostgreSQL", detail)
}

/// An extension written under a name that is not its `CREATE EXTENSION` name.
pub fn misnamed_extension(path: AttributePath, given: &str, name: &str, why: &str) -> Violation {
    let detail = format!(
        "`{given}` is not an extension name: {why}. Write `{name}`, the name \
         `CREATE EXTENSION` takes."
    );
    Violation::new(path, "Unknown Extension Name", detail)
}

/// An extension that RDS for PostgreSQL does not offer at all.
pub fn extension_not_offered(path: AttributePath, name: &str, alternative: &str) -> Violation {
    let detail = format!(
        "RDS for PostgreSQL does not offer the `{name}` extension, so `CREATE EXTENSION \
         {name}` would fail on the instance. Remove `{name}`; {alternative}."
    );
    Violation::new(path, "Extension Not Available On RDS", detail)
}

/// A storage size outside what the storage type allows, quoting the value as written.
pub fn storage_out_of_range(
    path: AttributePath,
    given: &str,
    gib: i64,
    storage_type: &str,
    range: IntRange,
) -> Violation {
    let detail = format!(
        "`{path}` is `{given}` ({gib} GiB), but {storage_type} storage on RDS for PostgreSQL \
         must be between `{}` and `{}` GiB. Set it to a value in that range.",
        range.min, range.max
    );
    Violation::new(path, "Value Out Of Range", detail)
}

/// A storage size smaller than what the instance already has.
pub fn storage_decrease(
    path: AttributePath,
    prior: i64,
    next: i64,
    smallest_growth: i64,
) -> Violation {
    let detail = format!(
        "`{path}` would go from `{prior}` to `{next}` GiB, but RDS cannot shrink allocated \
         storage. Keep `{prior}` or grow to at least `{smallest_growth}`; to move to a smaller \
         volume, restore a snapshot into a new database."
    );
    Violation::new(path, "Storage Cannot Shrink", detail)
}

/// A storage increase smaller than the step RDS requires.
pub fn storage_increase_too_small(
    path: AttributePath,
    prior: i64,
    next: i64,
    minimum: i64,
    percent: i64,
) -> Violation {
    let detail = format!(
        "`{path}` would grow from `{prior}` to `{next}` GiB, but RDS grows storage only by at \
         least {percent} %. Set it to at least `{minimum}`, or keep `{prior}`."
    );
    Violation::new(path, "Storage Increase Too Small", detail)
}

/// Read replicas on a database whose automated backups are off.
pub fn replicas_need_backups(
    path: AttributePath,
    retention_from: &str,
    replicas: usize,
) -> Violation {
    let detail = format!(
        "`backup_retention_days` is `0` ({retention_from}), but RDS creates read replicas only \
         from an instance with automated backups, and `read_replicas` has {replicas}. Set \
         `backup_retention_days` to at least `1`, or remove the read replicas."
    );
    Violation::new(path, "Backups Required For Replicas", detail)
}

/// A derived cloud identifier longer than AWS allows.
pub fn identifier_too_long(
    path: AttributePath,
    what: &str,
    identifier: &str,
    max: usize,
    fix: &str,
) -> Violation {
    let detail = format!(
        "The {what} `{identifier}` is {} characters long, but RDS allows at most {max}. {fix}",
        identifier.chars().count()
    );
    Violation::new(path, "Name Too Long", detail)
}

/// A change that would replace a production database without `allow_replacement`.
pub fn replacement_blocked(path: AttributePath, identifier: &str, reason: &str) -> Violation {
    let detail = format!(
        "Applying this would replace the production database `{identifier}`: {reason}. \
         Replacing deletes the instance (after a final snapshot when `final_snapshot` is on) \
         and creates an empty one. To keep the database, revert the change to `{path}`. To \
         replace it on purpose, set `allow_replacement = true` for this apply, and \
         `deletion_protection = false` if it is on."
    );
    Violation::new(path, "Database Replacement Blocked", detail)
}

/// A change that would replace a database whose deletion protection stays on.
pub fn replacement_needs_unprotected(
    path: AttributePath,
    identifier: &str,
    reason: &str,
) -> Violation {
    let detail = format!(
        "This change replaces the database `{identifier}` ({reason}), but its deletion \
         protection is on, so RDS refuses to delete the old instance. Revert the change, or \
         set `deletion_protection = false` in the same apply."
    );
    Violation::new(path, "Deletion Protection Prevents Replacement", detail)
}

/// A destroy that the database's protection refuses; `steps` says how to proceed.
pub fn deletion_blocked(
    path: AttributePath,
    identifier: &str,
    why: &str,
    steps: &str,
) -> Violation {
    let detail = format!("Destroying would delete the database `{identifier}`, but {why}. {steps}");
    Violation::new(path, "Database Deletion Blocked", detail)
}

/// A host that cannot meet a requirement, naming the host to use instead.
///
/// `problem` is a full sentence naming the host and the requirement; `extra` completes
/// "Use `host = "<alternative>"` instead…", e.g. ", with a container `image`".
pub fn host_cannot_meet(
    path: AttributePath,
    problem: &str,
    alternative: &str,
    extra: &str,
) -> Violation {
    let detail = format!("{problem} Use `host = \"{alternative}\"` instead{extra}.");
    Violation::new(path, "Host Cannot Meet Requirement", detail)
}

/// A host that meets a requirement only with setup this provider does not do (a warning).
pub fn host_needs_setup(path: AttributePath, problem: &str, setup: &str) -> Violation {
    let detail = format!("{problem} {setup}");
    Violation::new(path, "Extra Setup Needed", detail)
}

/// A size (CPU, memory) that a host does not offer, with valid sizes to copy.
pub fn unsupported_size(
    path: AttributePath,
    summary: &str,
    problem: &str,
    suggestions: &[String],
) -> Violation {
    let detail = match suggestions {
        [] => problem.to_string(),
        [only] => format!("{problem} Use {only}."),
        [rest @ .., last] => format!("{problem} Use {}, or {last}.", rest.join(", ")),
    };
    Violation::new(path, summary, detail)
}

/// A quantity (CPU, memory) that could not be read; `message` says what is accepted.
pub fn invalid_quantity(path: AttributePath, summary: &str, message: &str) -> Violation {
    Violation::new(path, summary, message)
}

/// Two attributes that must not both be set.
pub fn conflicting_attributes(
    path: AttributePath,
    first: &str,
    second: &str,
    why: &str,
) -> Violation {
    let detail = format!("`{first}` and `{second}` are both set, but {why}. Remove one of them.");
    Violation::new(path, "Conflicting Attributes", detail)
}

/// Neither of two attributes, one of which is required, is set.
pub fn missing_one_of(path: AttributePath, first: &str, second: &str, why: &str) -> Violation {
    let detail = format!("Neither `{first}` nor `{second}` is set, but {why}. Set one of them.");
    Violation::new(path, "Missing Value", detail)
}

/// A required setting that is missing and cannot be defaulted.
pub fn missing_setting(path: AttributePath, why: &str, fix: &str) -> Violation {
    Violation::new(path, "Missing Value", format!("{why}. {fix}"))
}

/// A secret that is not a reference. The value is never quoted: it may be the secret.
pub fn not_a_secret_reference(path: AttributePath, accepted: &str) -> Violation {
    let detail = format!(
        "`{path}` is not a secret reference, so it may be a secret value; it is not \
         repeated here. Secrets must be references: {accepted}. Store the value there and \
         put its reference in `{path}`."
    );
    Violation::new(path, "Secret Is Not A Reference", detail)
}

/// A secret reference the chosen host cannot resolve.
pub fn unusable_secret_reference(path: AttributePath, why: &str, fix: &str) -> Violation {
    Violation::new(path, "Unusable Secret Reference", format!("{why}. {fix}"))
}

/// A name set both as a plain variable and as a secret.
pub fn duplicate_name(path: AttributePath, name: &str, other: &str) -> Violation {
    let detail = format!(
        "`{name}` is also set in `{other}`, but a service sees one variable per name. Keep \
         it in only one of them."
    );
    Violation::new(path, "Duplicate Name", detail)
}

/// A setting that has no effect on the chosen host (a warning).
pub fn ignored_setting(path: AttributePath, host: &str, why: &str) -> Violation {
    let detail =
        format!("`{path}` has no effect on {host}: {why}. Remove it to silence this warning.");
    Violation::new(path, "Setting Ignored", detail)
}

/// A minimum instance count above the maximum in a service's `scaling` block.
pub fn scaling_min_exceeds_max(
    path: AttributePath,
    min: i64,
    min_from: &str,
    max: i64,
    max_from: &str,
) -> Violation {
    let detail = format!(
        "The minimum instance count `{min}` ({min_from}) is greater than the maximum \
         `{max}` ({max_from}). Set `scaling.max` to at least `{min}`, or lower \
         `scaling.min` to at most `{max}`."
    );
    Violation::new(path, "Minimum Instances Exceed Maximum", detail)
}

/// More entries than a cloud allows, naming the cloud.
pub fn too_many_for(
    path: AttributePath,
    what: &str,
    count: usize,
    max: usize,
    cloud: &str,
) -> Violation {
    let detail = format!(
        "There are {count} {what}, but {cloud} allows at most {max}. Remove {} of them.",
        count.saturating_sub(max)
    );
    Violation::new(path, "Too Many Values", detail)
}

/// A value larger than a cloud allows, naming the cloud.
pub fn too_large(
    path: AttributePath,
    what: &str,
    size: usize,
    max: usize,
    cloud: &str,
) -> Violation {
    let detail = format!(
        "The {what} is {size} bytes, but {cloud} allows at most {max} bytes. Make it smaller."
    );
    Violation::new(path, "Value Too Large", detail)
}

/// Variables that make the ECS task definition larger than ECS registers.
///
/// `biggest` is the largest variable's path and its share, in bytes.
pub fn task_definition_too_large(
    path: AttributePath,
    total: usize,
    max: usize,
    share: usize,
    biggest: (&str, usize),
) -> Violation {
    let (name, bytes) = biggest;
    let detail = format!(
        "The ECS task definition for this service would be about {total} bytes, but ECS \
         registers task definitions of at most {max} bytes (64 KiB, the \"Task definition \
         size\" quota, not adjustable). `{path}` takes {share} bytes of it, the most in \
         `{name}` ({bytes} bytes). Keep large values out of the task definition: build them \
         into the image, or store them in Secrets Manager and reference them in `secrets`."
    );
    Violation::new(path, "Task Definition Too Large", detail)
}

/// An environment variable longer than Linux passes to a process.
pub fn environment_string_too_long(
    path: AttributePath,
    name: &str,
    bytes: usize,
    max: usize,
    host: &str,
) -> Violation {
    let detail = format!(
        "`{name}=…` is {bytes} bytes, but Linux starts no process with an environment \
         string over {max} bytes (`MAX_ARG_STRLEN`; execve fails with `E2BIG`), so the \
         {host} machine could not start. Build the value into the image or read it from a \
         file instead."
    );
    Violation::new(path, "Value Too Large", detail)
}

/// A Fargate service region other than its environment's.
pub fn region_outside_environment(
    path: AttributePath,
    region: &str,
    environment_region: &str,
) -> Violation {
    let detail = format!(
        "`{region}` is not the environment's region `{environment_region}`, but an AWS ECS \
         Fargate service runs in its environment's cluster. Remove `regions`, or set it to \
         `[\"{environment_region}\"]`."
    );
    Violation::new(path, "Region Outside The Environment", detail)
}

/// A child whose cost the dated price table cannot estimate (a warning).
pub fn no_price_estimate(path: AttributePath, what: &str, region: &str) -> Violation {
    let detail = format!(
        "The price table has no figures for {what} in `{region}`, so its estimated cost \
         shows as `0`. The plan is otherwise unaffected."
    );
    Violation::new(path, "No Price Estimate", detail)
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

    #[test]
    fn host_errors_name_the_alternative() {
        let v = host_cannot_meet(
            AttributePath::attr("requirements").then_attr("long_lived_connections"),
            "Cloudflare Workers cannot hold connections open.",
            "fly",
            ", with a container `image`",
        );
        assert_eq!(v.summary, "Host Cannot Meet Requirement");
        assert!(
            v.detail
                .ends_with("Use `host = \"fly\"` instead, with a container `image`."),
            "{}",
            v.detail
        );
    }

    #[test]
    fn size_suggestions_read_as_a_list() {
        let path = AttributePath::attr("memory");
        let one = unsupported_size(path.clone(), "S", "Bad.", &["`a`".to_string()]);
        assert_eq!(one.detail, "Bad. Use `a`.");
        let two = unsupported_size(path, "S", "Bad.", &["`a`".into(), "`b`".into()]);
        assert_eq!(two.detail, "Bad. Use `a`, or `b`.");
    }

    #[test]
    fn a_secret_that_is_not_a_reference_is_never_quoted() {
        let v = not_a_secret_reference(
            AttributePath::attr("secrets").then_key("DB_PASSWORD"),
            "an ARN",
        );
        assert_eq!(v.summary, "Secret Is Not A Reference");
        assert!(
            v.detail.contains(r#"`secrets["DB_PASSWORD"]`"#),
            "{}",
            v.detail
        );
        assert!(v.detail.contains("not repeated"), "{}", v.detail);
    }
}
