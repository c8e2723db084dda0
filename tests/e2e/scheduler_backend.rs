//! The EventBridge Scheduler backend (a job's schedule starting its Fargate task) called
//! directly against a private moto server: create while the job is being created → every
//! setting read back through the SDK and through `find` → a retried create adopts it, the
//! create is finished and a later create refuses it → the expression and timezone changed
//! in place, and an unchanged schedule is not written → a schedule someone else made under
//! our name is refused and left as it was → delete, twice, and it is gone.
//!
//! moto does not check the ARNs a target names, so the cluster, role and task definition
//! are made-up ARNs; it stores the target as sent.

use crate::harness::{AWS_REGION, Aws, Moto, block_on};
use aws_sdk_scheduler::types::{
    AssignPublicIp, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::scheduler::{
    self, DEFAULT_GROUP, DesiredSchedule, EcsTarget,
};
use terraform_provider_platform::backends::ownership::{self, Claim, Owner};

const ENV: &str = "schdev";
const NAME: &str = "schdev-nightly";
const FOREIGN: &str = "schdev-export";
const ACCOUNT: &str = "123456789012";
/// The environment in state: schedules carrying its owner tags are its own.
const OWNER: Owner<'static> = Owner {
    tag: ("platform:environment", ENV),
    creating: false,
    marks: true,
};
const CREATING: Owner<'static> = Owner {
    creating: true,
    ..OWNER
};

fn tags() -> BTreeMap<String, String> {
    [
        ("platform:environment", ENV),
        ("platform:component", "job"),
        ("managed-by", "terraform-provider-platform"),
        ("team", "billing"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn desired() -> DesiredSchedule {
    DesiredSchedule {
        name: NAME.into(),
        group: DEFAULT_GROUP.into(),
        expression: "cron(30 2 * * ? *)".into(),
        timezone: Some("Europe/Dublin".into()),
        target: EcsTarget {
            cluster_arn: format!("arn:aws:ecs:{AWS_REGION}:{ACCOUNT}:cluster/{ENV}-cluster"),
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/{ENV}-scheduler"),
            // A family ARN without a revision: the latest ACTIVE revision runs.
            task_definition_arn: format!(
                "arn:aws:ecs:{AWS_REGION}:{ACCOUNT}:task-definition/{NAME}"
            ),
            subnets: vec!["subnet-0a1b2c3d".into(), "subnet-4e5f6a7b".into()],
            security_groups: vec!["sg-0123456789abcdef0".into()],
            assign_public_ip: true,
            capacity_provider: "FARGATE_SPOT".into(),
            task_count: 1,
        },
        enabled: true,
        tags: tags(),
    }
}

fn refused_as(r: Result<impl std::fmt::Debug, BackendError>) -> Claim {
    match r {
        Err(BackendError::Taken(t)) => {
            assert!(
                t.to_string().contains(FOREIGN) || t.to_string().contains(NAME),
                "{t}"
            );
            t.claim
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn scheduler_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let s = &c.scheduler;
    let want = desired();

    // 1. Created while the job is being created: the description carries the marker.
    assert!(
        scheduler::find(s, DEFAULT_GROUP, NAME)
            .await
            .unwrap()
            .is_none()
    );
    let created = scheduler::create_given(s, &want, CREATING, None)
        .await
        .expect("create");
    assert!(ownership::is_creating(&created.tags), "{created:?}");
    assert_eq!(
        created.arn,
        format!("arn:aws:scheduler:{AWS_REGION}:{ACCOUNT}:schedule/default/{NAME}")
    );

    // 2. Every setting as the SDK reads it back.
    let got = s
        .get_schedule()
        .group_name(DEFAULT_GROUP)
        .name(NAME)
        .send()
        .await
        .expect("GetSchedule");
    assert_eq!(got.schedule_expression(), Some("cron(30 2 * * ? *)"));
    assert_eq!(got.schedule_expression_timezone(), Some("Europe/Dublin"));
    assert_eq!(got.state(), Some(&ScheduleState::Enabled));
    assert_eq!(
        got.flexible_time_window().map(|w| w.mode()),
        Some(&FlexibleTimeWindowMode::Off)
    );
    let description = got.description().unwrap_or_default();
    assert!(
        description.starts_with(scheduler::DESCRIPTION_PREFIX)
            && description.contains("platform:environment=schdev")
            && description.contains("platform:lifecycle=creating")
            && !description.contains("team"),
        "{description}"
    );
    let target = got.target().expect("a target");
    assert_eq!(target.arn(), want.target.cluster_arn);
    assert_eq!(target.role_arn(), want.target.role_arn);
    let retry = target.retry_policy().expect("a retry policy");
    assert_eq!(retry.maximum_retry_attempts(), Some(0));
    let ecs = target.ecs_parameters().expect("ECS parameters");
    assert_eq!(ecs.task_definition_arn(), want.target.task_definition_arn);
    assert_eq!(ecs.task_count(), Some(1));
    assert_eq!(
        ecs.launch_type(),
        None,
        "a capacity provider strategy, not a launch type"
    );
    let strategy = ecs.capacity_provider_strategy();
    assert_eq!(strategy.len(), 1, "{strategy:?}");
    assert_eq!(strategy[0].capacity_provider(), "FARGATE_SPOT");
    assert_eq!(strategy[0].weight(), 1);
    let vpc = ecs
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .expect("an awsvpc configuration");
    assert_eq!(vpc.subnets(), want.target.subnets.as_slice());
    assert_eq!(
        vpc.security_groups(),
        want.target.security_groups.as_slice()
    );
    assert_eq!(vpc.assign_public_ip(), Some(&AssignPublicIp::Enabled));

    // 3. `find` reads back what the create answered.
    let found = scheduler::find(s, DEFAULT_GROUP, NAME)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, created);
    assert!(!scheduler::differs(&found, &being_created(&want)));

    // 4. A retried create adopts the unfinished schedule; once finished, a create refuses
    //    it (another state's) while the job in state keeps it.
    let adopted = scheduler::create_given(s, &want, CREATING, Some(found.clone()))
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(adopted, found, "nothing to change");
    let finished = scheduler::finish(s, &adopted, &want).await.expect("finish");
    assert!(!ownership::is_creating(&finished.tags));
    let found = scheduler::find(s, DEFAULT_GROUP, NAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, finished);
    assert!(
        !found.description.contains("lifecycle"),
        "{}",
        found.description
    );
    assert_eq!(
        refused_as(scheduler::create_given(s, &want, CREATING, Some(found.clone())).await),
        Claim::OtherState
    );
    let kept = scheduler::create_given(s, &want, OWNER, Some(found.clone()))
        .await
        .expect("the job in state keeps its schedule");
    assert_eq!(kept, found);

    // 5. A new expression and timezone are one update; an unchanged schedule is not written.
    let before = s
        .get_schedule()
        .name(NAME)
        .send()
        .await
        .unwrap()
        .last_modification_date()
        .copied();
    let same = scheduler::update(s, &found, &want)
        .await
        .expect("no-op update");
    assert_eq!(same, found);
    let after = s.get_schedule().name(NAME).send().await.unwrap();
    assert_eq!(
        after.last_modification_date().copied(),
        before,
        "not written"
    );
    let changed = DesiredSchedule {
        expression: "rate(6 hours)".into(),
        timezone: Some("America/New_York".into()),
        enabled: false,
        ..want.clone()
    };
    assert!(scheduler::differs(&found, &changed));
    let updated = scheduler::update(s, &found, &changed)
        .await
        .expect("update");
    let got = s.get_schedule().name(NAME).send().await.unwrap();
    assert_eq!(got.schedule_expression(), Some("rate(6 hours)"));
    assert_eq!(got.schedule_expression_timezone(), Some("America/New_York"));
    assert_eq!(got.state(), Some(&ScheduleState::Disabled));
    let ecs = got
        .target()
        .and_then(|t| t.ecs_parameters())
        .expect("ECS kept");
    assert_eq!(
        ecs.capacity_provider_strategy().len(),
        1,
        "the whole target resent"
    );
    let found = scheduler::find(s, DEFAULT_GROUP, NAME)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, updated);
    assert!(!scheduler::differs(&found, &changed));
    // No timezone is UTC, whether the answer leaves it out or says `UTC` (moto does).
    let utc = DesiredSchedule {
        timezone: None,
        ..changed.clone()
    };
    scheduler::update(s, &found, &utc).await.expect("update");
    let found = scheduler::find(s, DEFAULT_GROUP, NAME)
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(found.timezone.as_deref(), None | Some("UTC")),
        "{:?}",
        found.timezone
    );
    assert!(!scheduler::differs(&found, &utc));

    // 6. A schedule someone else made under our name is refused and left as it was.
    let foreign_target = Target::builder()
        .arn(format!(
            "arn:aws:lambda:{AWS_REGION}:{ACCOUNT}:function:export"
        ))
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/export"))
        .build()
        .unwrap();
    s.create_schedule()
        .name(FOREIGN)
        .schedule_expression("rate(1 day)")
        .description("Nightly export, owned by the data team")
        .flexible_time_window(
            FlexibleTimeWindow::builder()
                .mode(FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .target(foreign_target)
        .send()
        .await
        .expect("CreateSchedule");
    let stranger = scheduler::find(s, DEFAULT_GROUP, FOREIGN)
        .await
        .unwrap()
        .expect("found");
    assert!(stranger.tags.is_empty(), "{stranger:?}");
    let theirs = DesiredSchedule {
        name: FOREIGN.into(),
        ..want.clone()
    };
    for owner in [CREATING, OWNER] {
        assert_eq!(
            refused_as(scheduler::create_given(s, &theirs, owner, Some(stranger.clone())).await),
            Claim::Stranger
        );
    }
    let got = s.get_schedule().name(FOREIGN).send().await.unwrap();
    assert_eq!(
        got.description(),
        Some("Nightly export, owned by the data team")
    );
    assert_eq!(got.schedule_expression(), Some("rate(1 day)"));
    assert!(got.target().is_some_and(|t| t.ecs_parameters().is_none()));

    // 7. Deleted, twice; the stranger's is not ours to delete and stays.
    scheduler::delete(s, DEFAULT_GROUP, NAME)
        .await
        .expect("delete");
    scheduler::delete(s, DEFAULT_GROUP, NAME)
        .await
        .expect("a second delete finds it gone");
    assert!(
        scheduler::find(s, DEFAULT_GROUP, NAME)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        scheduler::find(s, DEFAULT_GROUP, FOREIGN)
            .await
            .unwrap()
            .is_some()
    );
}

/// `desired` as a create brings it: its tags with the creating marker.
fn being_created(desired: &DesiredSchedule) -> DesiredSchedule {
    DesiredSchedule {
        tags: CREATING.tags(&desired.tags),
        ..desired.clone()
    }
}
