//! ECS task definitions of Fargate services: register a revision (one container, awsvpc,
//! awslogs), describe a family's current revision, deregister a family's revisions.
//!
//! A revision is immutable, so any change of what runs — a new image, more memory, another
//! variable — registers a new revision of the same family, which the service is then
//! updated to use in place. Tags alone change on the current revision.

use super::api_error::{api_error, is_error};
use super::ecs_tags;
use crate::backends::BackendError;
use crate::backends::ownership::Owner;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, CpuArchitecture, HealthCheck as EcsHealthCheck,
    KeyValuePair, LogConfiguration, LogDriver, NetworkMode, OsFamily, PortMapping, RuntimePlatform,
    Secret, TaskDefinition, TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus,
    TransportProtocol,
};
use std::collections::{BTreeMap, HashMap};

/// What a task definition should contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTaskDefinition {
    /// Family, `<environment>-<service>`.
    pub family: String,
    /// Task CPU units as ECS takes them, e.g. `"256"`.
    pub cpu: String,
    /// Task memory in MiB as ECS takes it, e.g. `"512"`.
    pub memory: String,
    /// The one container of the task.
    pub container: Container,
    /// Where the container's output goes.
    pub log: LogConfig,
    /// Role ECS uses to pull the image, write logs and read secrets (needed on AWS for
    /// `secrets` and awslogs).
    pub execution_role_arn: Option<String>,
    /// Role the application's own AWS calls use.
    pub task_role_arn: Option<String>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// The service's container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    /// Container name: the service's name.
    pub name: String,
    /// Image reference, e.g. `ghcr.io/acme/api:1.4.2`.
    pub image: String,
    /// TCP port the application listens on; `None` for a worker.
    pub port: Option<i32>,
    /// Plain environment variables.
    pub environment: BTreeMap<String, String>,
    /// Secrets by variable name: Secrets Manager or SSM Parameter Store ARNs (`valueFrom`).
    pub secrets: BTreeMap<String, String>,
    /// Container health check, when the service has a health check path.
    pub health_check: Option<HealthCheck>,
    /// The command run instead of the image's own (`CMD`); empty: the image's.
    pub command: Vec<String>,
}

/// A container health check that ECS runs inside the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Shell command run with `CMD-SHELL`; exit code 0 is healthy.
    pub command: String,
    /// Seconds between checks.
    pub interval_seconds: i32,
}

impl HealthCheck {
    /// An HTTP probe of `path` on the container's own port (the image needs `curl`).
    pub fn http(port: i32, path: &str, interval_seconds: i32) -> Self {
        Self {
            command: format!("curl -fsS http://localhost:{port}{path} || exit 1"),
            interval_seconds,
        }
    }
}

/// The awslogs log configuration of the container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogConfig {
    /// Log group, `/platform/<environment>/<service>` (see [`super::log_group::name`]).
    pub group: String,
    /// Region of the log group.
    pub region: String,
    /// Prefix of each task's log stream.
    pub stream_prefix: String,
}

/// The current revision of a family as ECS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTaskDefinition {
    /// Revision ARN, `arn:aws:ecs:…:task-definition/<family>:<revision>`.
    pub arn: String,
    /// Revision number.
    pub revision: i32,
    /// The revision's content and tags, in the same shape as the desired one.
    pub definition: DesiredTaskDefinition,
}

const LOG_GROUP: &str = "awslogs-group";
const LOG_REGION: &str = "awslogs-region";
const LOG_STREAM_PREFIX: &str = "awslogs-stream-prefix";
const CMD_SHELL: &str = "CMD-SHELL";

/// Whether a revision runs what `desired` describes; tags do not count, they change in
/// place.
pub fn same_content(observed: &DesiredTaskDefinition, desired: &DesiredTaskDefinition) -> bool {
    DesiredTaskDefinition {
        tags: BTreeMap::new(),
        ..observed.clone()
    } == DesiredTaskDefinition {
        tags: BTreeMap::new(),
        ..desired.clone()
    }
}

/// The current (latest active) revision of a family; `None` when it has none.
pub async fn find(
    client: &Client,
    family: &str,
) -> Result<Option<ObservedTaskDefinition>, BackendError> {
    let out = match client
        .describe_task_definition()
        .task_definition(family)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
    {
        Ok(out) => out,
        // ECS says "not found" with its generic ClientException.
        Err(e) if is_error(&e, "ClientException", Some("Unable to describe")) => return Ok(None),
        Err(e) => return Err(api_error("ECS", "DescribeTaskDefinition", e)),
    };
    let Some(td) = out.task_definition() else {
        return Ok(None);
    };
    if td.status() != Some(&TaskDefinitionStatus::Active) || td.family() != Some(family) {
        return Ok(None);
    }
    Ok(Some(observe(td, ecs_tags::to_map(out.tags()))))
}

/// Of `families`, those listed under `prefix` with an active revision (every page of
/// ListTaskDefinitionFamilies): a family not listed has no revision to describe, so one
/// call answers for every family of an environment.
pub async fn listed_families(
    client: &Client,
    prefix: &str,
    families: &[String],
) -> Result<HashMap<String, ()>, BackendError> {
    let mut found = HashMap::new();
    let mut next_token = None;
    loop {
        let out = client
            .list_task_definition_families()
            .family_prefix(prefix)
            .status(TaskDefinitionFamilyStatus::Active)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error("ECS", "ListTaskDefinitionFamilies", e))?;
        for f in out.families() {
            if families.contains(f) {
                found.insert(f.clone(), ());
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() {
            return Ok(found);
        }
    }
}

/// Registers the first revision, or adopts the family an unfinished create of this
/// service registered (registering a new revision only if its content differs). Any
/// other family of that name is refused and left untouched: no revision is registered or
/// deregistered in it.
pub async fn create(
    client: &Client,
    desired: &DesiredTaskDefinition,
    owner: Owner<'_>,
) -> Result<ObservedTaskDefinition, BackendError> {
    let existing = find(client, &desired.family).await?;
    create_given(client, desired, owner, existing).await
}

/// [`create`] for a caller that has just looked the family up (`existing`).
pub async fn create_given(
    client: &Client,
    desired: &DesiredTaskDefinition,
    owner: Owner<'_>,
    existing: Option<ObservedTaskDefinition>,
) -> Result<ObservedTaskDefinition, BackendError> {
    let desired = DesiredTaskDefinition {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        // While the resource is in state, the family is its own whoever registered the
        // current revision: a deploy out of band (CI, the console) registers revisions
        // without our tags, and the apply puts the configured one back.
        if owner.creating {
            owner.check(
                || format!("The ECS task definition family `{}`", desired.family),
                &existing.definition.tags,
            )?;
        }
        tracing::info!(family = %desired.family, "adopting the task definition family of this service");
        return update(client, &existing, &desired).await;
    }
    register(client, &desired).await
}

/// Marks the revision's create as finished (removes the creating marker).
pub async fn finish(
    client: &Client,
    observed: &ObservedTaskDefinition,
) -> Result<(), BackendError> {
    ecs_tags::finish(client, &observed.arn, &observed.definition.tags).await
}

/// Registers a new revision when the content differs, else brings the current revision's
/// tags to the desired ones. Returns the revision the service should run.
pub async fn update(
    client: &Client,
    observed: &ObservedTaskDefinition,
    desired: &DesiredTaskDefinition,
) -> Result<ObservedTaskDefinition, BackendError> {
    if !same_content(&observed.definition, desired) {
        return register(client, desired).await;
    }
    if observed.definition.tags == desired.tags {
        return Ok(observed.clone());
    }
    ecs_tags::sync(
        client,
        &observed.arn,
        &observed.definition.tags,
        &desired.tags,
    )
    .await?;
    Ok(ObservedTaskDefinition {
        definition: desired.clone(),
        ..observed.clone()
    })
}

/// Deregisters every active revision of the family older than `keep` (the one the service
/// runs now), so that old images do not pile up.
pub async fn deregister_older(
    client: &Client,
    family: &str,
    keep: i32,
) -> Result<(), BackendError> {
    for (arn, revision) in active_revisions(client, family).await? {
        if revision < keep {
            deregister(client, &arn).await?;
        }
    }
    Ok(())
}

/// Deregisters every active revision of the family; a family with none counts as deleted.
pub async fn delete(client: &Client, family: &str) -> Result<(), BackendError> {
    for (arn, _) in active_revisions(client, family).await? {
        deregister(client, &arn).await?;
    }
    Ok(())
}

async fn register(
    client: &Client,
    desired: &DesiredTaskDefinition,
) -> Result<ObservedTaskDefinition, BackendError> {
    let out = client
        .register_task_definition()
        .family(&desired.family)
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .runtime_platform(
            RuntimePlatform::builder()
                .operating_system_family(OsFamily::Linux)
                .cpu_architecture(CpuArchitecture::X8664)
                .build(),
        )
        .cpu(&desired.cpu)
        .memory(&desired.memory)
        .set_execution_role_arn(desired.execution_role_arn.clone())
        .set_task_role_arn(desired.task_role_arn.clone())
        .container_definitions(container_definition(desired)?)
        .set_tags(Some(ecs_tags::to_list(&desired.tags)))
        .send()
        .await
        .map_err(|e| api_error("ECS", "RegisterTaskDefinition", e))?;
    let td = out.task_definition().ok_or_else(|| BackendError::Api {
        service: "ECS",
        operation: "RegisterTaskDefinition",
        message: format!(
            "the answer for family `{}` carried no task definition",
            desired.family
        ),
    })?;
    let tags = if out.tags().is_empty() {
        desired.tags.clone()
    } else {
        ecs_tags::to_map(out.tags())
    };
    tracing::info!(family = %desired.family, revision = td.revision(), "registered a task definition revision");
    Ok(observe(td, tags))
}

fn container_definition(d: &DesiredTaskDefinition) -> Result<ContainerDefinition, BackendError> {
    let c = &d.container;
    let invalid = |what: &str, e: aws_sdk_ecs::error::BuildError| BackendError::Api {
        service: "ECS",
        operation: "RegisterTaskDefinition",
        message: format!("the {what} of family `{}` is incomplete: {e}", d.family),
    };
    let secrets = c
        .secrets
        .iter()
        .map(|(name, from)| Secret::builder().name(name).value_from(from).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid("secrets", e))?;
    let log = LogConfiguration::builder()
        .log_driver(LogDriver::Awslogs)
        .options(LOG_GROUP, &d.log.group)
        .options(LOG_REGION, &d.log.region)
        .options(LOG_STREAM_PREFIX, &d.log.stream_prefix)
        .build()
        .map_err(|e| invalid("log configuration", e))?;
    let health_check = c
        .health_check
        .as_ref()
        .map(|h| {
            EcsHealthCheck::builder()
                .command(CMD_SHELL)
                .command(&h.command)
                .interval(h.interval_seconds)
                .build()
        })
        .transpose()
        .map_err(|e| invalid("health check", e))?;
    Ok(ContainerDefinition::builder()
        .name(&c.name)
        .image(&c.image)
        .essential(true)
        .set_port_mappings(c.port.map(|port| {
            vec![
                PortMapping::builder()
                    .container_port(port)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            ]
        }))
        .set_environment(Some(
            c.environment
                .iter()
                .map(|(k, v)| KeyValuePair::builder().name(k).value(v).build())
                .collect(),
        ))
        .set_secrets(Some(secrets))
        .log_configuration(log)
        .set_health_check(health_check)
        .set_command((!c.command.is_empty()).then(|| c.command.clone()))
        .build())
}

/// Reads a revision back into the desired shape, so that a difference is a real drift.
fn observe(td: &TaskDefinition, tags: BTreeMap<String, String>) -> ObservedTaskDefinition {
    let c = td.container_definitions().first();
    let options = c
        .and_then(|c| c.log_configuration())
        .and_then(|l| l.options())
        .cloned()
        .unwrap_or_default();
    let option = |k: &str| options.get(k).cloned().unwrap_or_default();
    let container = c
        .map(|c| Container {
            name: c.name().unwrap_or_default().to_string(),
            image: c.image().unwrap_or_default().to_string(),
            port: c.port_mappings().first().and_then(|p| p.container_port()),
            environment: c
                .environment()
                .iter()
                .filter_map(|kv| {
                    Some((
                        kv.name()?.to_string(),
                        kv.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
            secrets: c
                .secrets()
                .iter()
                .map(|s| (s.name().to_string(), s.value_from().to_string()))
                .collect(),
            health_check: c.health_check().map(|h| HealthCheck {
                command: match h.command() {
                    [kind, command] if kind == CMD_SHELL => command.clone(),
                    other => other.join(" "),
                },
                // ECS's documented default when none was given.
                interval_seconds: h.interval().unwrap_or(30),
            }),
            command: c.command().to_vec(),
        })
        .unwrap_or_default();
    ObservedTaskDefinition {
        arn: td.task_definition_arn().unwrap_or_default().to_string(),
        revision: td.revision(),
        definition: DesiredTaskDefinition {
            family: td.family().unwrap_or_default().to_string(),
            cpu: td.cpu().unwrap_or_default().to_string(),
            memory: td.memory().unwrap_or_default().to_string(),
            container,
            log: LogConfig {
                group: option(LOG_GROUP),
                region: option(LOG_REGION),
                stream_prefix: option(LOG_STREAM_PREFIX),
            },
            execution_role_arn: td.execution_role_arn().map(str::to_string),
            task_role_arn: td.task_role_arn().map(str::to_string),
            tags,
        },
    }
}

/// `(arn, revision)` of every active revision of exactly this family.
async fn active_revisions(
    client: &Client,
    family: &str,
) -> Result<Vec<(String, i32)>, BackendError> {
    let mut found = Vec::new();
    let mut next_token = None;
    loop {
        let out = client
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error("ECS", "ListTaskDefinitions", e))?;
        for arn in out.task_definition_arns() {
            if let Some((f, revision)) = family_and_revision(arn)
                && f == family
            {
                found.push((arn.clone(), revision));
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() {
            return Ok(found);
        }
    }
}

/// `family` and `revision` of `arn:…:task-definition/<family>:<revision>`.
pub fn family_and_revision(arn: &str) -> Option<(&str, i32)> {
    let tail = arn.rsplit('/').next()?;
    let (family, revision) = tail.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

async fn deregister(client: &Client, arn: &str) -> Result<(), BackendError> {
    match client
        .deregister_task_definition()
        .task_definition(arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Deregistered in the meantime: the outcome we wanted.
        Err(e)
            if is_error(&e, "ClientException", Some("does not exist"))
                || is_error(&e, "ClientException", Some("is missing")) =>
        {
            Ok(())
        }
        Err(e) => Err(api_error("ECS", "DeregisterTaskDefinition", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_arns_split_into_family_and_revision() {
        let cases = [
            (
                "arn:aws:ecs:us-east-1:123456789012:task-definition/prod-api:7",
                Some(("prod-api", 7)),
            ),
            ("prod-api:12", Some(("prod-api", 12))),
            ("prod-api", None),
            ("arn:aws:ecs:us-east-1:1:task-definition/x:latest", None),
        ];
        for (arn, want) in cases {
            assert_eq!(family_and_revision(arn), want, "{arn}");
        }
    }

    #[test]
    fn tags_alone_do_not_make_a_new_revision() {
        let a = DesiredTaskDefinition {
            family: "prod-api".into(),
            cpu: "256".into(),
            memory: "512".into(),
            container: Container {
                name: "api".into(),
                image: "nginx:1".into(),
                port: Some(8080),
                health_check: Some(HealthCheck::http(8080, "/healthz", 30)),
                command: Vec::new(),
                ..Container::default()
            },
            log: LogConfig::default(),
            execution_role_arn: None,
            task_role_arn: None,
            tags: BTreeMap::from([("team".into(), "a".into())]),
        };
        let mut b = a.clone();
        b.tags.insert("team".into(), "b".into());
        assert!(same_content(&a, &b));
        b.container.image = "nginx:2".into();
        assert!(!same_content(&a, &b));
        assert_eq!(
            a.container.health_check.unwrap().command,
            "curl -fsS http://localhost:8080/healthz || exit 1"
        );
    }
}
