//! EventBridge Scheduler schedules that run a job's Fargate task (`<environment>-<job>` in
//! the `default` group): find, create (adopting only an unfinished create of ours), update,
//! finish a create, delete.
//!
//! Schedules carry no tags (the API has none for them, only for groups), so the owner tags
//! live in the schedule's Description: [`description`] writes them, [`tags_of`] reads them
//! back, and [`Owner::check`] judges a found schedule by what they say. A schedule whose
//! description is anything else belongs to a stranger.
//!
//! The target is the ECS RunTask templated target: `Target.Arn` is the cluster's ARN and
//! `EcsParameters` the task to run. `TaskDefinitionArn` is a plain ARN of at most 1600
//! characters to the Scheduler API, which hands it to ECS RunTask; RunTask takes the full
//! ARN with or without `:<revision>`, and without one runs the family's latest ACTIVE
//! revision. A family ARN (`arn:aws:ecs:<region>:<account>:task-definition/<family>`) thus
//! runs whatever revision is newest when the schedule fires, and the role Scheduler assumes
//! then needs `ecs:RunTask` on `task-definition/<family>:*`, not on one revision.
//!
//! The provider block's `endpoints.scheduler` overrides the endpoint
//! ([`super::AwsClients::scheduler`]).

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_scheduler::Client;
use aws_sdk_scheduler::types::{
    AssignPublicIp, AwsVpcConfiguration, CapacityProviderStrategyItem, EcsParameters,
    FlexibleTimeWindow, FlexibleTimeWindowMode, NetworkConfiguration, RetryPolicy, ScheduleState,
    Target,
};
use std::collections::BTreeMap;

const SERVICE: &str = "EventBridge Scheduler";

/// The schedule group every job's schedule is in.
pub const DEFAULT_GROUP: &str = "default";

/// How a description written by [`description`] starts.
pub const DESCRIPTION_PREFIX: &str = "Managed by terraform-provider-platform: ";

/// The longest Description the API accepts (the `Description` shape: 0–512 characters).
pub const DESCRIPTION_MAX_CHARS: usize = 512;

/// The tags written into the description, in this order; any other tag is left out (user
/// tags have no place on a schedule).
pub const DESCRIBED_TAGS: [&str; 4] = [
    "managed-by",
    "platform:environment",
    "platform:component",
    ownership::TAG_LIFECYCLE,
];

/// The timezone Scheduler evaluates an expression in when none is given.
const DEFAULT_TIMEZONE: &str = "UTC";

/// Retries of a failed delivery. Scheduler retries when its RunTask call fails (throttled,
/// no Fargate Spot capacity, ...), by default 185 times over up to 24 hours. A job is
/// started by its schedule and by nothing else, so a late start is a run at a time nobody
/// chose: it may overlap the next scheduled run or a manual one, and a job need not be safe
/// to run twice. A failed start is therefore dropped (Scheduler counts it in its
/// `InvocationDroppedCount` metric) and the next tick runs the job. This concerns starting
/// the task only: a task that starts and then fails is never re-run by Scheduler anyway.
const RETRY_ATTEMPTS: i32 = 0;

/// The event age a retry policy must give (60–86400 seconds) even with no retries.
const MAX_EVENT_AGE_SECONDS: i32 = 60;

/// What a job's schedule should look like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredSchedule {
    /// Schedule name, `<environment>-<job>` (at most 64 of `[0-9a-zA-Z-_.]`).
    pub name: String,
    /// Schedule group, [`DEFAULT_GROUP`] for now.
    pub group: String,
    /// `cron(minutes hours day-of-month month day-of-week year)` or `rate(value unit)`.
    pub expression: String,
    /// IANA timezone the expression is evaluated in, e.g. `Europe/Dublin`; `None` is UTC.
    pub timezone: Option<String>,
    /// The task the schedule starts.
    pub target: EcsTarget,
    /// Whether the schedule fires (state ENABLED) or is paused (DISABLED).
    pub enabled: bool,
    /// The resource's tags; those in [`DESCRIBED_TAGS`] go into the description.
    pub tags: BTreeMap<String, String>,
}

/// The Fargate task a schedule starts (ECS RunTask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    /// ARN of the cluster the task runs in.
    pub cluster_arn: String,
    /// ARN of the role Scheduler assumes to call RunTask (and pass the task's roles).
    pub role_arn: String,
    /// Task definition ARN, with `:<revision>` or without (the latest ACTIVE revision when
    /// the schedule fires; see the module docs).
    pub task_definition_arn: String,
    /// Subnets of the task's network interface.
    pub subnets: Vec<String>,
    /// Security groups of the task's network interface.
    pub security_groups: Vec<String>,
    /// Whether the task gets a public IP.
    pub assign_public_ip: bool,
    /// `FARGATE` or `FARGATE_SPOT`: the one capacity provider of the strategy (weight 1).
    pub capacity_provider: String,
    /// Tasks started per run (1–10).
    pub task_count: i32,
}

/// A schedule as Scheduler reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedSchedule {
    /// Schedule name.
    pub name: String,
    /// Schedule group.
    pub group: String,
    /// Schedule ARN.
    pub arn: String,
    /// The schedule expression.
    pub expression: String,
    /// The timezone as reported; absent or `UTC` both mean UTC.
    pub timezone: Option<String>,
    /// The Description, where the owner tags are.
    pub description: String,
    /// Whether the state is ENABLED.
    pub state_enabled: bool,
    /// The ECS task it starts (empty fields when the target is not an ECS task).
    pub target: ObservedEcsTarget,
    /// Delivery retries (`RetryPolicy.MaximumRetryAttempts`), when a policy is reported.
    pub retry_attempts: Option<i32>,
    /// The flexible time window in minutes; `None` when it is OFF.
    pub flexible_window_minutes: Option<i32>,
    /// The owner tags read from the description ([`tags_of`]); empty for a stranger's.
    pub tags: BTreeMap<String, String>,
}

/// The ECS task of a schedule as Scheduler reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObservedEcsTarget {
    /// `Target.Arn`: the cluster's ARN for an ECS target.
    pub cluster_arn: String,
    /// The role Scheduler assumes.
    pub role_arn: String,
    /// The task definition ARN as given.
    pub task_definition_arn: String,
    /// Subnets of the task's network interface.
    pub subnets: Vec<String>,
    /// Security groups of the task's network interface.
    pub security_groups: Vec<String>,
    /// Whether the task gets a public IP.
    pub assign_public_ip: bool,
    /// The first capacity provider of the strategy; `None` when there is none (e.g. a
    /// launch type instead).
    pub capacity_provider: Option<String>,
    /// Tasks started per run (1, Scheduler's default, when not reported).
    pub task_count: i32,
}

/// The Description carrying the owner tags: [`DESCRIPTION_PREFIX`] then the
/// [`DESCRIBED_TAGS`] present in `tags`, as `key=value` separated by `; `. Names limit an
/// environment to 62 characters (the schedule name is at most 64), so it stays far below
/// [`DESCRIPTION_MAX_CHARS`].
pub fn description(tags: &BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = DESCRIBED_TAGS
        .iter()
        .filter_map(|k| tags.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    format!("{DESCRIPTION_PREFIX}{}", pairs.join("; "))
}

/// The owner tags a [`description`] carries. Anything else (another prefix, a pair without
/// `=`, a key [`description`] does not write, a key twice) gives no tags: a stranger.
pub fn tags_of(description: &str) -> BTreeMap<String, String> {
    let Some(rest) = description.strip_prefix(DESCRIPTION_PREFIX) else {
        return BTreeMap::new();
    };
    let mut tags = BTreeMap::new();
    for pair in rest.split("; ") {
        match pair.split_once('=') {
            Some((k, v)) if DESCRIBED_TAGS.contains(&k) && !tags.contains_key(k) => {
                tags.insert(k.to_string(), v.to_string());
            }
            _ => return BTreeMap::new(),
        }
    }
    tags
}

/// Looks a schedule up by group and name; `None` when it does not exist.
pub async fn find(
    client: &Client,
    group: &str,
    name: &str,
) -> Result<Option<ObservedSchedule>, BackendError> {
    let out = match client
        .get_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => return Ok(None),
        Err(e) => return Err(api_error(SERVICE, "GetSchedule", e)),
    };
    let description = out.description().unwrap_or_default().to_string();
    let target = out.target();
    let ecs = target.and_then(|t| t.ecs_parameters());
    let vpc = ecs
        .and_then(|p| p.network_configuration())
        .and_then(|n| n.awsvpc_configuration());
    Ok(Some(ObservedSchedule {
        name: out.name().unwrap_or(name).to_string(),
        group: out.group_name().unwrap_or(group).to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        expression: out.schedule_expression().unwrap_or_default().to_string(),
        timezone: out.schedule_expression_timezone().map(str::to_string),
        state_enabled: out.state() == Some(&ScheduleState::Enabled),
        target: ObservedEcsTarget {
            cluster_arn: target.map(|t| t.arn().to_string()).unwrap_or_default(),
            role_arn: target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
            task_definition_arn: ecs
                .map(|p| p.task_definition_arn().to_string())
                .unwrap_or_default(),
            subnets: vpc.map(|v| v.subnets().to_vec()).unwrap_or_default(),
            security_groups: vpc
                .map(|v| v.security_groups().to_vec())
                .unwrap_or_default(),
            assign_public_ip: vpc.and_then(|v| v.assign_public_ip())
                == Some(&AssignPublicIp::Enabled),
            capacity_provider: ecs
                .and_then(|p| p.capacity_provider_strategy().first())
                .map(|s| s.capacity_provider().to_string()),
            task_count: ecs.and_then(|p| p.task_count()).unwrap_or(1),
        },
        retry_attempts: target
            .and_then(|t| t.retry_policy())
            .and_then(|r| r.maximum_retry_attempts()),
        flexible_window_minutes: out
            .flexible_time_window()
            .filter(|w| w.mode() != &FlexibleTimeWindowMode::Off)
            .map(|w| w.maximum_window_in_minutes().unwrap_or_default()),
        tags: tags_of(&description),
        description,
    }))
}

/// Creates the schedule, its description carrying the creating marker while `owner` is
/// creating, or, given the one found under its name (`existing`), checks that `owner` may
/// take it over and brings it to `desired`. Any other schedule is refused and left as it is.
pub async fn create_given(
    client: &Client,
    desired: &DesiredSchedule,
    owner: Owner<'_>,
    existing: Option<ObservedSchedule>,
) -> Result<ObservedSchedule, BackendError> {
    let desired = &DesiredSchedule {
        tags: owner.tags(&desired.tags),
        ..desired.clone()
    };
    if let Some(existing) = existing {
        owner.check(
            || format!("The EventBridge Scheduler schedule `{}`", desired.name),
            &existing.tags,
        )?;
        tracing::info!(schedule = %desired.name, "adopting the schedule of this job's create");
        return update(client, &existing, desired).await;
    }
    let parts = Parts::of(desired, "CreateSchedule")?;
    let out = client
        .create_schedule()
        .name(&desired.name)
        .group_name(&desired.group)
        .schedule_expression(&desired.expression)
        .set_schedule_expression_timezone(desired.timezone.clone())
        .description(&parts.description)
        .state(parts.state)
        .flexible_time_window(parts.window)
        .target(parts.target)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "CreateSchedule", e))?;
    Ok(written(desired, out.schedule_arn()))
}

/// Brings the schedule to `desired` when [`differs`] says it is not. UpdateSchedule
/// replaces the whole schedule (what it is not sent returns to its default), so every
/// setting is sent.
pub async fn update(
    client: &Client,
    observed: &ObservedSchedule,
    desired: &DesiredSchedule,
) -> Result<ObservedSchedule, BackendError> {
    if !differs(observed, desired) {
        return Ok(observed.clone());
    }
    let parts = Parts::of(desired, "UpdateSchedule")?;
    let out = client
        .update_schedule()
        .name(&desired.name)
        .group_name(&desired.group)
        .schedule_expression(&desired.expression)
        .set_schedule_expression_timezone(desired.timezone.clone())
        .description(&parts.description)
        .state(parts.state)
        .flexible_time_window(parts.window)
        .target(parts.target)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UpdateSchedule", e))?;
    Ok(written(desired, out.schedule_arn()))
}

/// Marks the schedule's create as finished: rewrites the description without the creating
/// marker (one UpdateSchedule carrying `desired`), or nothing when it has none.
pub async fn finish(
    client: &Client,
    observed: &ObservedSchedule,
    desired: &DesiredSchedule,
) -> Result<ObservedSchedule, BackendError> {
    if !ownership::is_creating(&observed.tags) {
        return Ok(observed.clone());
    }
    let mut tags = desired.tags.clone();
    tags.remove(ownership::TAG_LIFECYCLE);
    update(
        client,
        observed,
        &DesiredSchedule {
            tags,
            ..desired.clone()
        },
    )
    .await
}

/// Deletes the schedule; one already gone counts as deleted.
pub async fn delete(client: &Client, group: &str, name: &str) -> Result<(), BackendError> {
    match client
        .delete_schedule()
        .group_name(group)
        .name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "ResourceNotFoundException", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteSchedule", e)),
    }
}

/// Whether the schedule differs from `desired` in anything this backend sets: expression,
/// timezone (absent and `UTC` are the same), description, state, the ECS task (subnets and
/// security groups in any order), the retry policy and the flexible time window.
pub fn differs(observed: &ObservedSchedule, desired: &DesiredSchedule) -> bool {
    let zone = |z: Option<&str>| z.unwrap_or(DEFAULT_TIMEZONE).to_string();
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    let (o, d) = (&observed.target, &desired.target);
    observed.expression != desired.expression
        || zone(observed.timezone.as_deref()) != zone(desired.timezone.as_deref())
        || observed.description != description(&desired.tags)
        || observed.state_enabled != desired.enabled
        || o.cluster_arn != d.cluster_arn
        || o.role_arn != d.role_arn
        || o.task_definition_arn != d.task_definition_arn
        || sorted(&o.subnets) != sorted(&d.subnets)
        || sorted(&o.security_groups) != sorted(&d.security_groups)
        || o.assign_public_ip != d.assign_public_ip
        || o.capacity_provider.as_deref() != Some(d.capacity_provider.as_str())
        || o.task_count != d.task_count
        || observed.retry_attempts != Some(RETRY_ATTEMPTS)
        || observed.flexible_window_minutes.is_some()
}

/// What CreateSchedule and UpdateSchedule are both sent besides names and expression.
struct Parts {
    description: String,
    state: ScheduleState,
    window: FlexibleTimeWindow,
    target: Target,
}

impl Parts {
    fn of(desired: &DesiredSchedule, operation: &'static str) -> Result<Parts, BackendError> {
        let incomplete = |e: aws_sdk_scheduler::error::BuildError| BackendError::Api {
            service: SERVICE,
            operation,
            message: format!(
                "the configuration of schedule `{}` is incomplete: {e}",
                desired.name
            ),
        };
        let t = &desired.target;
        let vpc = AwsVpcConfiguration::builder()
            .set_subnets(Some(t.subnets.clone()))
            .set_security_groups(Some(t.security_groups.clone()))
            .assign_public_ip(if t.assign_public_ip {
                AssignPublicIp::Enabled
            } else {
                AssignPublicIp::Disabled
            })
            .build()
            .map_err(incomplete)?;
        let strategy = CapacityProviderStrategyItem::builder()
            .capacity_provider(&t.capacity_provider)
            .weight(1)
            .base(0)
            .build()
            .map_err(incomplete)?;
        let ecs = EcsParameters::builder()
            .task_definition_arn(&t.task_definition_arn)
            .task_count(t.task_count)
            .capacity_provider_strategy(strategy)
            .network_configuration(
                NetworkConfiguration::builder()
                    .awsvpc_configuration(vpc)
                    .build(),
            )
            .build()
            .map_err(incomplete)?;
        let target = Target::builder()
            .arn(&t.cluster_arn)
            .role_arn(&t.role_arn)
            .ecs_parameters(ecs)
            .retry_policy(
                RetryPolicy::builder()
                    .maximum_retry_attempts(RETRY_ATTEMPTS)
                    .maximum_event_age_in_seconds(MAX_EVENT_AGE_SECONDS)
                    .build(),
            )
            .build()
            .map_err(incomplete)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(incomplete)?;
        Ok(Parts {
            description: description(&desired.tags),
            state: if desired.enabled {
                ScheduleState::Enabled
            } else {
                ScheduleState::Disabled
            },
            window,
            target,
        })
    }
}

/// The schedule a create or update with `desired` leaves (both answer with the ARN only).
fn written(desired: &DesiredSchedule, arn: &str) -> ObservedSchedule {
    let t = &desired.target;
    let description = description(&desired.tags);
    ObservedSchedule {
        name: desired.name.clone(),
        group: desired.group.clone(),
        arn: arn.to_string(),
        expression: desired.expression.clone(),
        timezone: desired.timezone.clone(),
        state_enabled: desired.enabled,
        target: ObservedEcsTarget {
            cluster_arn: t.cluster_arn.clone(),
            role_arn: t.role_arn.clone(),
            task_definition_arn: t.task_definition_arn.clone(),
            subnets: t.subnets.clone(),
            security_groups: t.security_groups.clone(),
            assign_public_ip: t.assign_public_ip,
            capacity_provider: Some(t.capacity_provider.clone()),
            task_count: t.task_count,
        },
        retry_attempts: Some(RETRY_ATTEMPTS),
        flexible_window_minutes: None,
        tags: tags_of(&description),
        description,
    }
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

    fn owner_tags() -> BTreeMap<String, String> {
        tags(&[
            ("managed-by", "terraform-provider-platform"),
            ("platform:environment", "prod"),
            ("platform:component", "job"),
            ("team", "billing"),
        ])
    }

    fn desired() -> DesiredSchedule {
        DesiredSchedule {
            name: "prod-nightly".into(),
            group: DEFAULT_GROUP.into(),
            expression: "cron(0 3 * * ? *)".into(),
            timezone: Some("Europe/Dublin".into()),
            target: EcsTarget {
                cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod-cluster".into(),
                role_arn: "arn:aws:iam::123456789012:role/prod-scheduler".into(),
                task_definition_arn:
                    "arn:aws:ecs:eu-west-1:123456789012:task-definition/prod-nightly".into(),
                subnets: vec!["subnet-a".into(), "subnet-b".into()],
                security_groups: vec!["sg-1".into()],
                assign_public_ip: false,
                capacity_provider: "FARGATE_SPOT".into(),
                task_count: 1,
            },
            enabled: true,
            tags: owner_tags(),
        }
    }

    #[test]
    fn the_description_carries_the_owner_tags_and_reads_back() {
        let text = description(&owner_tags());
        assert_eq!(
            text,
            "Managed by terraform-provider-platform: managed-by=terraform-provider-platform; \
             platform:environment=prod; platform:component=job"
        );
        let mut want = owner_tags();
        want.remove("team");
        assert_eq!(tags_of(&text), want, "user tags are not described");

        let creating = ownership::creating(&owner_tags());
        let text = description(&creating);
        assert!(text.ends_with("; platform:lifecycle=creating"), "{text}");
        let read = tags_of(&text);
        assert!(ownership::is_creating(&read));
        assert_eq!(
            ownership::claim(&read, ("platform:environment", "prod")),
            ownership::Claim::Unfinished
        );
    }

    #[test]
    fn a_description_not_written_by_us_is_a_stranger() {
        let cases = [
            ("empty", ""),
            ("free text", "Runs the nightly export"),
            ("free text with a pair", "platform:environment=prod"),
            ("our prefix, nothing after it", DESCRIPTION_PREFIX),
            (
                "our prefix, a pair without =",
                "Managed by terraform-provider-platform: platform:environment",
            ),
            (
                "our prefix, a key we never write",
                "Managed by terraform-provider-platform: platform:environment=prod; owner=me",
            ),
            (
                "our prefix, a key twice",
                "Managed by terraform-provider-platform: platform:environment=prod; platform:environment=dev",
            ),
        ];
        for (name, text) in cases {
            let read = tags_of(text);
            assert!(read.is_empty(), "{name}: {read:?}");
            assert_eq!(
                ownership::claim(&read, ("platform:environment", "prod")),
                ownership::Claim::Stranger,
                "{name}"
            );
        }
    }

    #[test]
    fn the_longest_description_fits_the_api_limit() {
        // A schedule name has at most 64 characters, `<environment>-<job>`.
        let environment = "e".repeat(62);
        let longest = ownership::creating(&tags(&[
            ("managed-by", "terraform-provider-platform"),
            ("platform:environment", &environment),
            ("platform:component", "scheduled_job_component_name"),
        ]));
        let text = description(&longest);
        assert!(text.len() <= DESCRIPTION_MAX_CHARS, "{}", text.len());
        assert_eq!(tags_of(&text), longest);
    }

    #[test]
    fn only_a_difference_in_what_is_sent_is_an_update() {
        let d = desired();
        let same = written(
            &d,
            "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/x",
        );
        assert!(!differs(&same, &d), "just created");

        type Edit = fn(&mut ObservedSchedule);
        let unchanged: [(&str, Edit); 3] = [
            ("subnets in another order", |o| o.target.subnets.reverse()),
            ("UTC reported for no timezone", |o| {
                o.timezone = Some("UTC".into())
            }),
            ("another ARN", |o| o.arn = "arn:other".into()),
        ];
        let changed: [(&str, Edit); 15] = [
            ("expression", |o| o.expression = "rate(1 hour)".into()),
            ("timezone", |o| o.timezone = Some("UTC".into())),
            ("description", |o| o.description = "hello".into()),
            ("state", |o| o.state_enabled = false),
            ("cluster", |o| o.target.cluster_arn = "arn:c".into()),
            ("role", |o| o.target.role_arn = "arn:r".into()),
            ("task definition", |o| {
                o.target.task_definition_arn.push_str(":3")
            }),
            ("a subnet fewer", |o| {
                o.target.subnets.pop();
            }),
            ("security groups", |o| o.target.security_groups.clear()),
            ("public ip", |o| o.target.assign_public_ip = true),
            ("capacity provider", |o| {
                o.target.capacity_provider = Some("FARGATE".into())
            }),
            ("launch type instead of a strategy", |o| {
                o.target.capacity_provider = None
            }),
            ("task count", |o| o.target.task_count = 2),
            ("default retry policy", |o| o.retry_attempts = Some(185)),
            ("flexible window", |o| o.flexible_window_minutes = Some(15)),
        ];
        for (name, edit) in unchanged {
            let mut d = d.clone();
            if name.starts_with("UTC") {
                d.timezone = None;
            }
            let mut o = written(&d, "arn:x");
            edit(&mut o);
            assert!(!differs(&o, &d), "{name}");
        }
        for (name, edit) in changed {
            let mut o = same.clone();
            edit(&mut o);
            assert!(differs(&o, &d), "{name}");
        }
        let finished = DesiredSchedule {
            tags: ownership::creating(&d.tags),
            ..d.clone()
        };
        assert!(
            differs(&same, &finished),
            "the marker is in the description"
        );
    }
}
