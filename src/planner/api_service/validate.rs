//! Validation rules: the artefact, requirements, regions, variables and secrets, task-definition size and the Workers zone.

use super::*;

pub(super) fn check_artefact(input: &ServiceInput, out: &mut Vec<Violation>) {
    match (&input.image, &input.script) {
        (Some(_), Some(_)) => out.push(messages::conflicting_attributes(
            AttributePath::attr("script"),
            "image",
            "script",
            "a service is either a container image (Fargate, Fly.io) or a Workers module \
             script (Cloudflare Workers)",
        )),
        (None, None) => out.push(messages::missing_one_of(
            AttributePath::attr("image"),
            "image",
            "script",
            "a service runs either a container image (Fargate, Fly.io) or a Workers module \
             script (Cloudflare Workers)",
        )),
        _ => {}
    }
    if let Some(image) = &input.image
        && (image.is_empty() || image.chars().any(char::is_whitespace))
    {
        out.push(messages::invalid_format(
            AttributePath::attr("image"),
            "Invalid Image",
            image,
            "a container image reference without spaces",
            "ghcr.io/acme/scoring-api:1.4.2",
        ));
    }
    if let Some(script) = &input.script {
        let path = AttributePath::attr("script");
        if script.trim().is_empty() {
            out.push(messages::missing_setting(
                path,
                "`script` is empty",
                "Set it to the Worker's ES module source, for example with `file(\"dist/index.js\")`.",
            ));
        } else if script.len() > WORKERS_MAX_SCRIPT_BYTES {
            out.push(messages::too_large(
                path,
                "script",
                script.len(),
                WORKERS_MAX_SCRIPT_BYTES,
                "Cloudflare Workers",
            ));
        }
    }
}

pub(super) fn check_requirements_input(r: &RequirementsInput, out: &mut Vec<Violation>) {
    let path = |field: &str| AttributePath::attr("requirements").then_attr(field);
    if let Some(ms) = r
        .cpu_ms_per_request
        .filter(|v| !CPU_MS_PER_REQUEST.contains(*v))
    {
        out.push(messages::out_of_range(
            path("cpu_ms_per_request"),
            ms,
            CPU_MS_PER_REQUEST,
        ));
    }
    if let Some(mb) = r.memory_mb.filter(|v| !REQUIREMENT_MEMORY_MB.contains(*v)) {
        out.push(messages::out_of_range(
            path("memory_mb"),
            mb,
            REQUIREMENT_MEMORY_MB,
        ));
    }
}

pub(super) fn check_regions_shape(regions: &[String], out: &mut Vec<Violation>) {
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, region) in regions.iter().enumerate() {
        let at = AttributePath::attr("regions").then_index(index);
        if let Some(first) = first_seen.get(region.as_str()) {
            out.push(messages::duplicate(at, region, *first));
        } else {
            first_seen.insert(region, index);
        }
    }
}

/// An environment variable name every host accepts: a letter or `_`, then letters,
/// digits or `_` (also a valid JavaScript identifier, as Worker bindings need).
pub(super) fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The kinds of secret reference the platform understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SecretRef<'a> {
    /// `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
    SecretsManager,
    /// `arn:<partition>:ssm:<region>:<account>:parameter/<name>`.
    SsmParameter,
    /// `secret://<NAME>`: a secret already set on the Fly.io app or the Worker.
    HostSecret(&'a str),
}

/// What secrets may be, quoted in diagnostics.
pub(super) const SECRET_FORMS: &str = "an AWS Secrets Manager ARN \
     (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`) or SSM parameter ARN \
     (`arn:aws:ssm:<region>:<account>:parameter/<name>`) for Fargate, or \
     `secret://<NAME>` for a secret already set on the Fly.io app or the Worker";

pub(super) fn secret_ref(value: &str) -> Option<SecretRef<'_>> {
    if let Some(name) = value.strip_prefix("secret://") {
        return is_variable_name(name).then_some(SecretRef::HostSecret(name));
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return None;
    };
    let shaped = *arn == "arn"
        && partition.starts_with("aws")
        && !region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit());
    if !shaped {
        return None;
    }
    match *service {
        "secretsmanager" => resource
            .strip_prefix("secret:")
            .filter(|name| !name.is_empty())
            .map(|_| SecretRef::SecretsManager),
        "ssm" => resource
            .strip_prefix("parameter/")
            .filter(|name| !name.is_empty())
            .map(|_| SecretRef::SsmParameter),
        _ => None,
    }
}

pub(super) fn check_variables(input: &ServiceInput, host: Option<Host>, out: &mut Vec<Violation>) {
    let invalid_name = |path: AttributePath, name: &str| {
        messages::invalid_format(
            path,
            "Invalid Variable Name",
            name,
            "a letter or `_`, then letters, digits or `_`",
            "DATABASE_URL",
        )
    };
    for (name, value) in &input.env {
        let path = AttributePath::attr("env").then_key(name);
        if !is_variable_name(name) {
            out.push(invalid_name(path.clone(), name));
        }
        if host == Some(Host::CloudflareWorkers) && value.len() > WORKERS_MAX_ENV_VAR_BYTES {
            out.push(messages::too_large(
                path,
                &format!("value of `{name}`"),
                value.len(),
                WORKERS_MAX_ENV_VAR_BYTES,
                "Cloudflare Workers",
            ));
        }
    }
    for (name, value) in &input.secrets {
        let path = AttributePath::attr("secrets").then_key(name);
        if !is_variable_name(name) {
            out.push(invalid_name(path.clone(), name));
        }
        if input.env.contains_key(name) {
            out.push(messages::duplicate_name(
                path.clone(),
                name,
                &format!("env[\"{name}\"]"),
            ));
        }
        if input.unknown.secrets.contains(name) {
            continue; // its form is checked once it is known
        }
        match (secret_ref(value), host) {
            (None, _) => out.push(messages::not_a_secret_reference(path, SECRET_FORMS)),
            (Some(SecretRef::HostSecret(_)), Some(Host::AwsFargate)) => {
                out.push(messages::unusable_secret_reference(
                    path,
                    "AWS ECS Fargate reads container secrets from Secrets Manager or SSM \
                     Parameter Store, not from `secret://` references",
                    &format!(
                        "Store `{name}` in Secrets Manager and use its ARN, \
                         `arn:aws:secretsmanager:<region>:<account>:secret:<name>`."
                    ),
                ));
            }
            (Some(SecretRef::SecretsManager | SecretRef::SsmParameter), Some(host))
                if host != Host::AwsFargate =>
            {
                let how = if host == Host::Fly {
                    format!("`fly secrets set {name}=…`")
                } else {
                    format!("`wrangler secret put {name}`")
                };
                out.push(messages::unusable_secret_reference(
                    path,
                    &format!(
                        "{} cannot read AWS Secrets Manager or SSM Parameter Store",
                        host.label()
                    ),
                    &format!(
                        "Set the secret on the host with {how} and reference it as \
                         `secret://{name}`."
                    ),
                ));
            }
            (Some(SecretRef::HostSecret(other)), Some(_)) if other != name => {
                out.push(messages::unusable_secret_reference(
                    path,
                    &format!(
                        "Fly.io and Cloudflare expose a secret under its own name, so \
                         `secret://{other}` cannot appear as `{name}`"
                    ),
                    &format!("Use `secret://{name}`, or rename the key to `{other}`."),
                ));
            }
            _ => {}
        }
    }
    match host {
        Some(Host::AwsFargate) => check_task_definition_size(input, out),
        Some(Host::Fly) => {
            for (name, value) in &input.env {
                let bytes = name.len() + 1 + value.len();
                if bytes > LINUX_MAX_ENV_STRING_BYTES {
                    out.push(messages::environment_string_too_long(
                        AttributePath::attr("env").then_key(name),
                        name,
                        bytes,
                        LINUX_MAX_ENV_STRING_BYTES,
                        Host::Fly.label(),
                    ));
                }
            }
        }
        _ => {}
    }
    if host == Some(Host::CloudflareWorkers) {
        let count = input.env.len() + input.secrets.len();
        if count > WORKERS_MAX_ENV_VARS {
            out.push(messages::too_many_for(
                AttributePath::attr("env"),
                "environment variables and secrets together",
                count,
                WORKERS_MAX_ENV_VARS,
                "Cloudflare Workers",
            ));
        }
    }
}

/// ECS refuses a task definition over 64 KiB at apply time; variables are what can make
/// it that large, so their JSON (as `RegisterTaskDefinition` carries them) is added up
/// here, over an allowance for the rest of the task definition.
pub(super) fn check_task_definition_size(input: &ServiceInput, out: &mut Vec<Violation>) {
    fn json_len(text: &str) -> usize {
        serde_json::to_string(text).map_or(text.len(), |quoted| quoted.len())
    }
    // `{"name":…,"value":…},` and `{"name":…,"valueFrom":…},`
    let entry = |name: &str, value: &str, field_bytes: usize| {
        json_len(name) + json_len(value) + field_bytes
    };
    let env: Vec<(&str, usize)> = input
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), entry(k, v, r#"{"name":,"value":},"#.len())))
        .collect();
    let secrets: Vec<(&str, usize)> = input
        .secrets
        .iter()
        .map(|(k, v)| (k.as_str(), entry(k, v, r#"{"name":,"valueFrom":},"#.len())))
        .collect();
    let env_bytes: usize = env.iter().map(|(_, b)| b).sum();
    let secret_bytes: usize = secrets.iter().map(|(_, b)| b).sum();
    let image_bytes = input.image.as_deref().map_or(0, str::len);
    let total = ECS_TASK_DEFINITION_BASE_BYTES + image_bytes + env_bytes + secret_bytes;
    if total <= ECS_TASK_DEFINITION_MAX_BYTES {
        return;
    }
    let (attr, entries, share) = if env_bytes >= secret_bytes {
        ("env", env, env_bytes)
    } else {
        ("secrets", secrets, secret_bytes)
    };
    let Some((name, bytes)) = entries.into_iter().max_by_key(|(_, b)| *b) else {
        return;
    };
    out.push(messages::task_definition_too_large(
        AttributePath::attr(attr),
        total,
        ECS_TASK_DEFINITION_MAX_BYTES,
        share,
        (&format!("{attr}[\"{name}\"]"), bytes),
    ));
}

pub(super) fn check_zone(zone: &str, out: &mut Vec<Violation>) {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = zone.split('.').collect();
    if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        out.push(messages::invalid_format(
            AttributePath::attr("cloudflare_zone"),
            "Invalid Zone Name",
            zone,
            "a Cloudflare zone's domain name in lowercase",
            "example.com",
        ));
    }
}

// ---- expansion -------------------------------------------------------------------------

/// `access`: each grant an identity policy statement, on Fargate only, and not beside a
/// `task_role_arn` of the configuration's own.
pub(super) fn check_access(input: &ServiceInput, host: Option<Host>, out: &mut Vec<Violation>) {
    if input.access.is_empty() {
        return;
    }
    if input.task_role_arn.is_some() {
        out.push(messages::conflicting_attributes(
            AttributePath::attr("access"),
            "access",
            "task_role_arn",
            "`access` makes the service's own task role, and `task_role_arn` names another",
        ));
    }
    if let Some(host) = host.filter(|h| *h != Host::AwsFargate) {
        out.push(Violation::new(
            AttributePath::attr("access"),
            "Access Needs AWS",
            format!(
                "`access` grants AWS permissions through an ECS task role, but this service runs on {}. Remove `access`, or set `host = \"aws_fargate\"`.",
                host.as_str()
            ),
        ));
    }
    for (i, text) in input.access.iter().enumerate() {
        if let Err(why) = iam::grant(text) {
            out.push(Violation::new(
                AttributePath::attr("access").then_index(i),
                "Invalid Grant",
                format!(
                    "`access[{i}]` is not an IAM policy statement (or a list of them): {why}. Use a grant a data resource exports, or write one statement, e.g. `jsonencode({{ Effect = \"Allow\", Action = [\"s3:GetObject\"], Resource = \"arn:aws:s3:::uploads/*\" }})`."
                ),
            ));
        }
    }
}

/// `deployment`: Fargate's; a rollback needs the circuit breaker that stops a deployment.
pub(super) fn check_deployment(
    input: &ServiceInput,
    host: Option<Host>,
    errors: &mut Vec<Violation>,
    warnings: &mut Vec<Violation>,
) {
    let d = &input.deployment;
    if d.circuit_breaker.is_none()
        && d.rollback.is_none()
        && d.wait_for_steady_state.is_none()
        && d.timeout_minutes.is_none()
        && d.image_source.is_none()
    {
        return;
    }
    if let Some(host) = host.filter(|h| *h != Host::AwsFargate) {
        warnings.push(messages::ignored_setting(
            AttributePath::attr("deployment"),
            host.label(),
            "`deployment` configures ECS deployments",
        ));
        return;
    }
    let breaker = d
        .circuit_breaker
        .unwrap_or(input.environment.tier.defaults().deployment_circuit_breaker);
    if d.rollback == Some(true) && !breaker {
        errors.push(Violation::new(
            AttributePath::attr("deployment").then_attr("rollback"),
            "Rollback Needs The Circuit Breaker",
            format!(
                "`deployment.rollback = true` rolls back a deployment the circuit breaker stopped, but the circuit breaker is off ({}). Set `deployment.circuit_breaker = true`, or remove `rollback`.",
                if d.circuit_breaker.is_some() {
                    "`circuit_breaker = false`".to_string()
                } else {
                    format!("the {} tier's default", input.environment.tier.as_str())
                }
            ),
        ));
    }
    if let Some(source) = &d.image_source
        && !IMAGE_SOURCES.contains(&source.as_str())
    {
        errors.push(messages::unknown_choice(
            AttributePath::attr("deployment").then_attr("image_source"),
            source,
            &IMAGE_SOURCES,
            None,
        ));
    }
    if let Some(minutes) = d.timeout_minutes {
        let path = AttributePath::attr("deployment").then_attr("timeout_minutes");
        if !limits::DEPLOYMENT_TIMEOUT_MINUTES.contains(minutes) {
            errors.push(messages::out_of_range(
                path,
                minutes,
                limits::DEPLOYMENT_TIMEOUT_MINUTES,
            ));
        } else if d.wait_for_steady_state != Some(true) {
            warnings.push(Violation::new(
                path,
                "Timeout Without A Wait",
                format!(
                    "`deployment.timeout_minutes = {minutes}` bounds the wait for a steady state, but `wait_for_steady_state` is not `true`, so the apply does not wait and the timeout is not used. Set `wait_for_steady_state = true`, or remove `timeout_minutes`."
                ),
            ));
        }
    }
}

/// The roles a Fargate service gets: names within IAM's 64 characters, and policies within
/// IAM's size for a role's inline policies — checked here, not at apply.
pub(super) fn check_roles(input: &ServiceInput, cloud_name: &str, out: &mut Vec<Violation>) {
    let mut roles = Vec::new();
    if input.execution_role_arn.is_none() {
        roles.push((iam::execution_role_name(cloud_name), "execution_role_arn"));
    }
    if !input.access.is_empty() {
        roles.push((iam::task_role_name(cloud_name), "task_role_arn"));
    }
    for (role, own) in roles {
        if role.len() > iam::MAX_ROLE_NAME {
            out.push(Violation::new(
                AttributePath::attr("name"),
                "Role Name Too Long",
                format!(
                    "The service's IAM role would be `{role}`, {} characters, but IAM allows {}. Shorten the service's `name` or the environment's, or set `{own}` to a role of your own.",
                    role.len(),
                    iam::MAX_ROLE_NAME
                ),
            ));
        }
    }
    let grants: Vec<serde_json::Value> = input
        .access
        .iter()
        .filter_map(|g| iam::grant(g).ok())
        .flatten()
        .collect();
    let size = iam::task_role(String::new(), grants)
        .policy
        .to_json()
        .chars()
        .count();
    if size > iam::MAX_INLINE_POLICY_CHARS {
        out.push(Violation::new(
            AttributePath::attr("access"),
            "Access Too Large",
            format!(
                "The grants of `access` make a policy of {size} characters, but IAM allows {} for a role's inline policies. Grant fewer or broader statements, or set `task_role_arn` to a role of your own with managed policies.",
                iam::MAX_INLINE_POLICY_CHARS
            ),
        ));
    }
}
