//! The backends of a queue's workers scaled from zero (`platform_job` with `queue`), called
//! directly against a private moto server: a service at desired count 0 and its scalable
//! target 0..5 → the backlog and idle step policies → the backlog and idle alarms on the
//! queue's SQS metrics invoking them; every setting read back with the raw APIs → a second
//! converge changes nothing → max 5 → 3 rewrites the steps and the alarm follows the policy
//! → an alarm of someone else under our name is refused and left as it was → delete
//! everything, twice, and nothing is left.

use crate::harness::{Aws, Moto, block_on};
use std::collections::BTreeMap;
use terraform_provider_platform::backends::BackendError;
use terraform_provider_platform::backends::aws::alarm::{self, ObservedAlarm};
use terraform_provider_platform::backends::aws::autoscaling::{
    self, DesiredStepPolicy, DesiredTarget,
};
use terraform_provider_platform::backends::ownership::{Claim, Owner};

const CLUSTER: &str = "qsdev-cluster";
const SERVICE: &str = "qsdev-jobs";
const QUEUE: &str = "qsdev-jobs-queue";
/// The job in state: children carrying its owner tag are its own.
const OWNER: Owner<'static> = Owner {
    tag: ("platform:job", "qsdev/jobs"),
    creating: false,
    marks: true,
};

fn tags() -> BTreeMap<String, String> {
    [
        ("platform:environment", "qsdev"),
        ("platform:component", "job"),
        ("managed-by", "terraform-provider-platform"),
        OWNER.tag,
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn backlog_policy(resource_id: &str, max: i64) -> DesiredStepPolicy {
    DesiredStepPolicy {
        name: format!("{SERVICE}-backlog"),
        resource_id: resource_id.to_string(),
        steps: alarm::queue_steps(10, max),
        cooldown_seconds: 60,
        metric_aggregation: "Maximum".into(),
    }
}

fn idle_policy(resource_id: &str) -> DesiredStepPolicy {
    DesiredStepPolicy {
        name: format!("{SERVICE}-idle"),
        resource_id: resource_id.to_string(),
        steps: alarm::idle_steps(),
        cooldown_seconds: 300,
        metric_aggregation: "Maximum".into(),
    }
}

/// What the resource does with a policy: put it only when it does not match; its ARN.
async fn converge_policy(
    client: &aws_sdk_applicationautoscaling::Client,
    desired: &DesiredStepPolicy,
) -> (String, bool) {
    let found = autoscaling::find_step_policy(client, &desired.resource_id, &desired.name)
        .await
        .expect("find policy");
    match found {
        Some(p) if p.matches(desired) => (p.arn, false),
        _ => (
            autoscaling::put_step_policy(client, desired)
                .await
                .expect("put policy"),
            true,
        ),
    }
}

/// What the resource does with an alarm: look it up, then put.
async fn converge_alarm(
    client: &aws_sdk_cloudwatch::Client,
    desired: &alarm::DesiredAlarm,
    owner: Owner<'_>,
) -> Result<ObservedAlarm, BackendError> {
    let existing = alarm::find(client, &desired.name).await?;
    alarm::put(client, desired, owner, existing).await
}

/// The alarm as DescribeAlarms lists it.
async fn raw_alarm(
    client: &aws_sdk_cloudwatch::Client,
    name: &str,
) -> Option<aws_sdk_cloudwatch::types::MetricAlarm> {
    client
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .expect("DescribeAlarms")
        .metric_alarms()
        .first()
        .cloned()
}

/// The policy's step adjustments as DescribeScalingPolicies lists them: (lower, upper,
/// adjustment), with its adjustment type, cooldown and aggregation.
async fn raw_steps(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
    name: &str,
) -> (
    Vec<(Option<f64>, Option<f64>, i32)>,
    Option<String>,
    Option<i32>,
    Option<String>,
) {
    let out = client
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .policy_names(name)
        .send()
        .await
        .expect("DescribeScalingPolicies");
    let policy = out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == name)
        .expect("the policy is listed");
    assert_eq!(policy.policy_type().as_str(), "StepScaling");
    let config = policy
        .step_scaling_policy_configuration()
        .expect("a step configuration");
    (
        config
            .step_adjustments()
            .iter()
            .map(|s| {
                (
                    s.metric_interval_lower_bound(),
                    s.metric_interval_upper_bound(),
                    s.scaling_adjustment(),
                )
            })
            .collect(),
        config.adjustment_type().map(|t| t.as_str().to_string()),
        config.cooldown(),
        config
            .metric_aggregation_type()
            .map(|t| t.as_str().to_string()),
    )
}

#[test]
fn queue_scaling_backend_lifecycle_against_moto() {
    let moto = Moto::start();
    block_on(lifecycle(&moto));
}

async fn lifecycle(moto: &Moto) {
    let c = Aws::new(moto);
    let cw = &c.cloudwatch;
    let scaling = &c.autoscaling;

    // 1. The job's service at desired count 0 (moto registers a target only for a service
    //    that exists) and its scalable target 0..5.
    c.ecs
        .create_cluster()
        .cluster_name(CLUSTER)
        .send()
        .await
        .expect("cluster");
    c.ecs
        .create_service()
        .cluster(CLUSTER)
        .service_name(SERVICE)
        .desired_count(0)
        .launch_type(aws_sdk_ecs::types::LaunchType::Fargate)
        .send()
        .await
        .expect("service");
    let resource_id = autoscaling::resource_id(CLUSTER, SERVICE);
    let target = DesiredTarget {
        resource_id: resource_id.clone(),
        min_capacity: 0,
        max_capacity: 5,
        tags: tags(),
    };
    autoscaling::create_target(scaling, &target)
        .await
        .expect("scalable target");
    let found = autoscaling::find_target(scaling, &resource_id)
        .await
        .unwrap()
        .expect("target");
    assert_eq!((found.min_capacity, found.max_capacity), (0, 5));

    // 2. The two step policies: none yet, then put, then they read back and match.
    let backlog = backlog_policy(&resource_id, 5);
    let idle = idle_policy(&resource_id);
    assert!(
        autoscaling::find_step_policy(scaling, &resource_id, &backlog.name)
            .await
            .unwrap()
            .is_none()
    );
    let (backlog_arn, put) = converge_policy(scaling, &backlog).await;
    assert!(put);
    let (idle_arn, put) = converge_policy(scaling, &idle).await;
    assert!(put);
    let found = autoscaling::find_step_policy(scaling, &resource_id, &backlog.name)
        .await
        .unwrap()
        .expect("backlog policy");
    assert!(found.matches(&backlog), "{found:?}");
    assert_eq!(found.arn, backlog_arn);
    assert_eq!(
        raw_steps(scaling, &resource_id, &backlog.name).await,
        (
            vec![
                (Some(0.0), Some(10.0), 1),
                (Some(10.0), Some(20.0), 2),
                (Some(20.0), Some(30.0), 3),
                (Some(30.0), Some(40.0), 4),
                (Some(40.0), None, 5),
            ],
            Some("ExactCapacity".to_string()),
            Some(60),
            Some("Maximum".to_string()),
        )
    );
    assert_eq!(
        raw_steps(scaling, &resource_id, &idle.name).await,
        (
            vec![(None, Some(0.0), 0)],
            Some("ExactCapacity".to_string()),
            Some(300),
            Some("Maximum".to_string()),
        )
    );

    // 3. The two alarms, made by a create (marked), invoking the policies.
    let backlog_alarm =
        alarm::backlog_alarm(&format!("{SERVICE}-backlog"), QUEUE, &backlog_arn, tags());
    let idle_alarm = alarm::idle_alarm(&format!("{SERVICE}-idle"), QUEUE, &idle_arn, tags());
    let creating = Owner {
        creating: true,
        ..OWNER
    };
    assert!(
        alarm::find(cw, &backlog_alarm.name)
            .await
            .unwrap()
            .is_none()
    );
    let made = converge_alarm(cw, &backlog_alarm, creating)
        .await
        .expect("backlog alarm");
    assert_eq!(
        made.tags
            .as_ref()
            .and_then(|t| t.get("platform:lifecycle"))
            .map(String::as_str),
        Some("creating"),
        "marked while the create is unfinished"
    );
    let retried = converge_alarm(cw, &backlog_alarm, creating)
        .await
        .expect("an unfinished create is adopted");
    assert_eq!(retried.arn, made.arn);
    alarm::finish(cw, &retried).await.expect("finish");
    assert_eq!(alarm::tags(cw, &made.arn).await.unwrap(), tags());
    match converge_alarm(cw, &backlog_alarm, creating).await {
        Err(BackendError::Taken(t)) => assert_eq!(t.claim, Claim::OtherState),
        other => panic!("a finished alarm is never adopted by a create: {other:?}"),
    }
    let idle_made = converge_alarm(cw, &idle_alarm, OWNER)
        .await
        .expect("idle alarm");
    assert_eq!(idle_made.tags, Some(tags()));

    // Read back with the raw API: thresholds, comparison, metrics, dimensions, actions.
    let raw = raw_alarm(cw, &backlog_alarm.name).await.expect("listed");
    assert_eq!(raw.namespace(), Some("AWS/SQS"));
    assert_eq!(raw.metric_name(), Some(alarm::VISIBLE_MESSAGES));
    assert_eq!(raw.statistic().map(|s| s.as_str()), Some("Maximum"));
    assert_eq!(raw.period(), Some(60));
    assert_eq!(raw.evaluation_periods(), Some(1));
    assert_eq!(raw.threshold(), Some(1.0));
    assert_eq!(
        raw.comparison_operator().map(|c| c.as_str()),
        Some("GreaterThanOrEqualToThreshold")
    );
    assert_eq!(raw.treat_missing_data(), Some("notBreaching"));
    assert_eq!(raw.alarm_actions(), [backlog_arn.as_str()]);
    let dims: Vec<_> = raw
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap_or_default(), d.value().unwrap_or_default()))
        .collect();
    assert_eq!(dims, [("QueueName", QUEUE)]);
    assert!(raw.metrics().is_empty());

    let raw = raw_alarm(cw, &idle_alarm.name).await.expect("listed");
    assert_eq!(raw.threshold(), Some(0.0));
    assert_eq!(
        raw.comparison_operator().map(|c| c.as_str()),
        Some("LessThanOrEqualToThreshold")
    );
    assert_eq!(raw.evaluation_periods(), Some(5));
    assert_eq!(raw.treat_missing_data(), Some("breaching"));
    assert_eq!(raw.alarm_actions(), [idle_arn.as_str()]);
    assert!(raw.metric_name().is_none() && raw.period().is_none());
    let queries: Vec<_> = raw
        .metrics()
        .iter()
        .map(|q| {
            let stat = q.metric_stat();
            let metric = stat.and_then(|s| s.metric());
            (
                q.id().unwrap_or_default().to_string(),
                q.return_data(),
                q.expression().map(str::to_string),
                metric.and_then(|m| m.metric_name()).map(str::to_string),
                metric
                    .map(|m| {
                        m.dimensions()
                            .iter()
                            .map(|d| {
                                format!(
                                    "{}={}",
                                    d.name().unwrap_or_default(),
                                    d.value().unwrap_or_default()
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
                stat.and_then(|s| s.period()),
            )
        })
        .collect();
    let queue_dim = vec![format!("QueueName={QUEUE}")];
    assert_eq!(
        queries,
        [
            (
                "visible".to_string(),
                Some(false),
                None,
                Some(alarm::VISIBLE_MESSAGES.to_string()),
                queue_dim.clone(),
                Some(60)
            ),
            (
                "in_flight".to_string(),
                Some(false),
                None,
                Some(alarm::IN_FLIGHT_MESSAGES.to_string()),
                queue_dim,
                Some(60)
            ),
            (
                alarm::SUM_ID.to_string(),
                Some(true),
                Some("visible + in_flight".to_string()),
                None,
                vec![],
                None
            ),
        ]
    );
    for desired in [&backlog_alarm, &idle_alarm] {
        let found = alarm::find(cw, &desired.name).await.unwrap().unwrap();
        assert!(!alarm::differs(&found, desired), "{found:#?}");
    }

    // 4. A second converge changes nothing: moto gives a policy a new ARN on every put and
    //    stamps an alarm's configuration on every put, so both staying proves no call.
    let stamp = |a: &aws_sdk_cloudwatch::types::MetricAlarm| {
        a.alarm_configuration_updated_timestamp().cloned()
    };
    let before = stamp(&raw_alarm(cw, &backlog_alarm.name).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        converge_policy(scaling, &backlog).await,
        (backlog_arn.clone(), false)
    );
    assert_eq!(
        converge_policy(scaling, &idle).await,
        (idle_arn.clone(), false)
    );
    for desired in [&backlog_alarm, &idle_alarm] {
        converge_alarm(cw, desired, OWNER).await.expect("unchanged");
    }
    let after = stamp(&raw_alarm(cw, &backlog_alarm.name).await.unwrap());
    assert!(before.is_some());
    assert_eq!(before, after, "an unchanged alarm is not put again");

    // 5. max 5 → 3: the target and the steps change; the alarm follows the policy's ARN
    //    (a new one in moto; AWS keeps it, and then the alarm is left alone).
    autoscaling::update_target(
        scaling,
        &found_target(scaling, &resource_id).await,
        &DesiredTarget {
            max_capacity: 3,
            ..target.clone()
        },
    )
    .await
    .expect("max 3");
    assert_eq!(found_target(scaling, &resource_id).await.max_capacity, 3);
    let backlog3 = backlog_policy(&resource_id, 3);
    let (backlog3_arn, put) = converge_policy(scaling, &backlog3).await;
    assert!(put, "the steps changed");
    assert_eq!(
        raw_steps(scaling, &resource_id, &backlog3.name).await.0,
        [
            (Some(0.0), Some(10.0), 1),
            (Some(10.0), Some(20.0), 2),
            (Some(20.0), None, 3),
        ]
    );
    let backlog_alarm3 = alarm::backlog_alarm(&backlog_alarm.name, QUEUE, &backlog3_arn, tags());
    converge_alarm(cw, &backlog_alarm3, OWNER)
        .await
        .expect("alarm follows the policy");
    let raw = raw_alarm(cw, &backlog_alarm.name).await.unwrap();
    assert_eq!(raw.alarm_actions(), [backlog3_arn.as_str()]);
    assert_ne!(
        stamp(&raw),
        after,
        "a put stamps the alarm (so step 4 saw none)"
    );
    assert_eq!(raw.threshold(), Some(1.0));

    // 6. Someone else's alarm under our name is refused and left as it was.
    let other_name = "qsdev-other-backlog";
    cw.put_metric_alarm()
        .alarm_name(other_name)
        .namespace("AWS/SQS")
        .metric_name(alarm::VISIBLE_MESSAGES)
        .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
        .period(300)
        .evaluation_periods(3)
        .threshold(99.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("someone else's alarm");
    let theirs = alarm::backlog_alarm(other_name, QUEUE, &backlog3_arn, tags());
    match converge_alarm(cw, &theirs, OWNER).await {
        Err(BackendError::Taken(t)) => {
            assert_eq!(t.claim, Claim::Stranger);
            assert!(t.to_string().contains(other_name), "{t}");
        }
        other => panic!("a stranger's alarm is refused: {other:?}"),
    }
    let raw = raw_alarm(cw, other_name).await.unwrap();
    assert_eq!(raw.threshold(), Some(99.0));
    assert_eq!(raw.period(), Some(300));
    assert!(raw.alarm_actions().is_empty());
    assert!(
        alarm::tags(cw, raw.alarm_arn().unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    // 7. Delete everything; a second delete is a no-op; nothing is left.
    for _ in 0..2 {
        for name in [&backlog_alarm.name, &idle_alarm.name] {
            alarm::delete(cw, name).await.expect("delete alarm");
        }
        for name in [&backlog.name, &idle.name] {
            autoscaling::delete_policy(scaling, &resource_id, name)
                .await
                .expect("delete policy");
        }
        autoscaling::delete_target(scaling, &resource_id)
            .await
            .expect("delete target");
    }
    for name in [&backlog_alarm.name, &idle_alarm.name] {
        assert!(alarm::find(cw, name).await.unwrap().is_none());
    }
    for name in [&backlog.name, &idle.name] {
        assert!(
            autoscaling::find_step_policy(scaling, &resource_id, name)
                .await
                .unwrap()
                .is_none()
        );
    }
    assert!(
        autoscaling::find_target(scaling, &resource_id)
            .await
            .unwrap()
            .is_none()
    );
    let left: Vec<_> = cw
        .describe_alarms()
        .alarm_name_prefix(SERVICE)
        .send()
        .await
        .unwrap()
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

async fn found_target(
    client: &aws_sdk_applicationautoscaling::Client,
    resource_id: &str,
) -> autoscaling::ObservedTarget {
    autoscaling::find_target(client, resource_id)
        .await
        .unwrap()
        .expect("target")
}
