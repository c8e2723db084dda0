//! Application Auto Scaling of ECS services: the scalable target (the service's desired
//! count between a min and a max), its target-tracking policy on average CPU, and step
//! policies that set an exact task count when a CloudWatch alarm invokes them (a queue's
//! workers scaled from zero, see `alarm.rs`).
//!
//! A target has no name of its own: it is identified by its service
//! (`service/<cluster>/<service>`), so ownership follows the service — the service's
//! create refuses a service this provider did not make, and a target found on our own
//! service (a crashed apply's) is adopted. Both calls are upserts: RegisterScalableTarget
//! updates min/max in place, PutScalingPolicy replaces the policy's configuration.

use super::api_error::{api_error, is_error};
use crate::backends::BackendError;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, MetricAggregationType, MetricType, PolicyType, PredefinedMetricSpecification,
    ScalableDimension, ScalingPolicy, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration, TargetTrackingScalingPolicyConfiguration,
};
use std::collections::{BTreeMap, HashMap};

const SERVICE: &str = "Application Auto Scaling";

/// The resource id of an ECS service's scalable target.
pub fn resource_id(cluster: &str, service: &str) -> String {
    format!("service/{cluster}/{service}")
}

/// What a service's scalable target should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredTarget {
    /// `service/<cluster>/<service>`, see [`resource_id`].
    pub resource_id: String,
    /// Fewest tasks.
    pub min_capacity: i32,
    /// Most tasks.
    pub max_capacity: i32,
    /// Tags set when the target is registered.
    pub tags: BTreeMap<String, String>,
}

/// A scalable target as Application Auto Scaling reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedTarget {
    /// `service/<cluster>/<service>`.
    pub resource_id: String,
    /// Target ARN (absent from older APIs and some emulators).
    pub arn: Option<String>,
    /// Fewest tasks.
    pub min_capacity: i32,
    /// Most tasks.
    pub max_capacity: i32,
}

/// What a service's CPU target-tracking policy should be.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredPolicy {
    /// Policy name, `<environment>-<service>-cpu`.
    pub name: String,
    /// The target's resource id.
    pub resource_id: String,
    /// Average CPU the service is scaled to hold, percent.
    pub target_cpu_percent: f64,
    /// Seconds after a scale-out before the next one.
    pub scale_out_cooldown_seconds: i32,
    /// Seconds after a scale-in before the next one.
    pub scale_in_cooldown_seconds: i32,
}

/// A scaling policy as Application Auto Scaling reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedPolicy {
    /// Policy name.
    pub name: String,
    /// Policy ARN.
    pub arn: String,
    /// The target's resource id.
    pub resource_id: String,
    /// `TargetTrackingScaling`, `StepScaling`, …
    pub policy_type: String,
    /// The predefined metric tracked, e.g. `ECSServiceAverageCPUUtilization`.
    pub metric: Option<String>,
    /// Target value, percent.
    pub target_cpu_percent: f64,
    /// Scale-out cooldown, seconds.
    pub scale_out_cooldown_seconds: Option<i32>,
    /// Scale-in cooldown, seconds.
    pub scale_in_cooldown_seconds: Option<i32>,
}

impl ObservedPolicy {
    /// Whether the policy is the desired one.
    pub fn matches(&self, desired: &DesiredPolicy) -> bool {
        self.policy_type == PolicyType::TargetTrackingScaling.as_str()
            && self.metric.as_deref() == Some(MetricType::EcsServiceAverageCpuUtilization.as_str())
            && self.target_cpu_percent == desired.target_cpu_percent
            && self.scale_out_cooldown_seconds == Some(desired.scale_out_cooldown_seconds)
            && self.scale_in_cooldown_seconds == Some(desired.scale_in_cooldown_seconds)
    }
}

/// Looks up the scalable target of a service; `None` when none is registered.
pub async fn find_target(
    client: &Client,
    resource_id: &str,
) -> Result<Option<ObservedTarget>, BackendError> {
    let out = client
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_ids(resource_id)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeScalableTargets", e))?;
    Ok(out
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == resource_id)
        .map(observe_target))
}

/// The most resource ids or policy names one describe is given: a page of
/// DescribeScalableTargets holds up to 50 targets (its MaxResults); DescribeScalingPolicies
/// pages by 10 and is paged through.
pub const DESCRIBE_LIMIT: usize = 50;

/// Looks the scalable targets of up to [`DESCRIBE_LIMIT`] services up with one
/// DescribeScalableTargets (every page); the answer holds the registered ones by resource id.
pub async fn find_targets(
    client: &Client,
    resource_ids: &[String],
) -> Result<HashMap<String, ObservedTarget>, BackendError> {
    let mut found = HashMap::new();
    let mut next_token = None;
    loop {
        let out = client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .set_resource_ids(Some(resource_ids.to_vec()))
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeScalableTargets", e))?;
        for t in out.scalable_targets() {
            if resource_ids.iter().any(|id| id == t.resource_id()) {
                found.insert(t.resource_id().to_string(), observe_target(t));
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() {
            return Ok(found);
        }
    }
}

/// Looks up to [`DESCRIBE_LIMIT`] policies up, each by `(resource id, policy name)`, with
/// one DescribeScalingPolicies by name (every page; the API takes one resource id per call,
/// so none is given and the answer is matched here); the answer holds the ones that exist.
pub async fn find_policies(
    client: &Client,
    keys: &[(String, String)],
) -> Result<HashMap<(String, String), ObservedPolicy>, BackendError> {
    let mut names: Vec<String> = keys.iter().map(|(_, n)| n.clone()).collect();
    names.sort();
    names.dedup();
    let mut found = HashMap::new();
    let mut next_token = None;
    loop {
        let out = client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .set_policy_names(Some(names.clone()))
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeScalingPolicies", e))?;
        for p in out.scaling_policies() {
            let key = (p.resource_id().to_string(), p.policy_name().to_string());
            if p.scalable_dimension() == &ScalableDimension::EcsServiceDesiredCount
                && keys.contains(&key)
            {
                found.insert(key, observe_policy(p));
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() || found.len() == keys.len() {
            return Ok(found);
        }
    }
}

fn observe_target(t: &aws_sdk_applicationautoscaling::types::ScalableTarget) -> ObservedTarget {
    ObservedTarget {
        resource_id: t.resource_id().to_string(),
        arn: t.scalable_target_arn().map(str::to_string),
        min_capacity: t.min_capacity(),
        max_capacity: t.max_capacity(),
    }
}

/// Registers the service's scalable target (the service must exist), or adopts and
/// updates the one a crashed apply registered.
pub async fn create_target(
    client: &Client,
    desired: &DesiredTarget,
) -> Result<ObservedTarget, BackendError> {
    let existing = find_target(client, &desired.resource_id).await?;
    create_target_given(client, desired, existing).await
}

/// [`create_target`] for a caller that has just looked the target up (`existing`).
pub async fn create_target_given(
    client: &Client,
    desired: &DesiredTarget,
    existing: Option<ObservedTarget>,
) -> Result<ObservedTarget, BackendError> {
    if let Some(existing) = existing {
        tracing::info!(resource_id = %desired.resource_id, "adopting the scalable target a previous apply registered");
        return update_target(client, &existing, desired).await;
    }
    register(client, desired, true).await
}

/// Sets min/max when they differ.
pub async fn update_target(
    client: &Client,
    observed: &ObservedTarget,
    desired: &DesiredTarget,
) -> Result<ObservedTarget, BackendError> {
    if observed.min_capacity == desired.min_capacity
        && observed.max_capacity == desired.max_capacity
    {
        return Ok(observed.clone());
    }
    register(client, desired, false).await
}

async fn register(
    client: &Client,
    desired: &DesiredTarget,
    with_tags: bool,
) -> Result<ObservedTarget, BackendError> {
    // Tags go with the first registration only; an update sends min/max alone.
    let tags = with_tags.then(|| desired.tags.clone().into_iter().collect());
    let out = client
        .register_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(&desired.resource_id)
        .min_capacity(desired.min_capacity)
        .max_capacity(desired.max_capacity)
        .set_tags(tags)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "RegisterScalableTarget", e))?;
    Ok(ObservedTarget {
        resource_id: desired.resource_id.clone(),
        arn: out.scalable_target_arn().map(str::to_string),
        min_capacity: desired.min_capacity,
        max_capacity: desired.max_capacity,
    })
}

/// Deregisters the service's scalable target, which also deletes its policies; one
/// already gone counts as deleted.
pub async fn delete_target(client: &Client, resource_id: &str) -> Result<(), BackendError> {
    match client
        .deregister_scalable_target()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e, "No scalable target") => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeregisterScalableTarget", e)),
    }
}

/// Looks up a policy by name on a service's target; `None` when there is none.
pub async fn find_policy(
    client: &Client,
    resource_id: &str,
    name: &str,
) -> Result<Option<ObservedPolicy>, BackendError> {
    let out = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .policy_names(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeScalingPolicies", e))?;
    // Filtered here too: not every implementation honours PolicyNames.
    Ok(out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == name && p.resource_id() == resource_id)
        .map(observe_policy))
}

/// Creates or replaces the CPU target-tracking policy (PutScalingPolicy is an upsert, so
/// a crashed apply's policy is adopted by the same call).
pub async fn put_policy(
    client: &Client,
    desired: &DesiredPolicy,
) -> Result<ObservedPolicy, BackendError> {
    let incomplete = |e: aws_sdk_applicationautoscaling::error::BuildError| BackendError::Api {
        service: SERVICE,
        operation: "PutScalingPolicy",
        message: format!(
            "the configuration of policy `{}` is incomplete: {e}",
            desired.name
        ),
    };
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::EcsServiceAverageCpuUtilization)
        .build()
        .map_err(incomplete)?;
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(desired.target_cpu_percent)
        .predefined_metric_specification(metric)
        .scale_out_cooldown(desired.scale_out_cooldown_seconds)
        .scale_in_cooldown(desired.scale_in_cooldown_seconds)
        .build()
        .map_err(incomplete)?;
    let out = client
        .put_scaling_policy()
        .policy_name(&desired.name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(&desired.resource_id)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutScalingPolicy", e))?;
    Ok(ObservedPolicy {
        name: desired.name.clone(),
        arn: out.policy_arn().to_string(),
        resource_id: desired.resource_id.clone(),
        policy_type: PolicyType::TargetTrackingScaling.as_str().to_string(),
        metric: Some(
            MetricType::EcsServiceAverageCpuUtilization
                .as_str()
                .to_string(),
        ),
        target_cpu_percent: desired.target_cpu_percent,
        scale_out_cooldown_seconds: Some(desired.scale_out_cooldown_seconds),
        scale_in_cooldown_seconds: Some(desired.scale_in_cooldown_seconds),
    })
}

/// Deletes a policy; one already gone (or gone with its target) counts as deleted.
pub async fn delete_policy(
    client: &Client,
    resource_id: &str,
    name: &str,
) -> Result<(), BackendError> {
    match client
        .delete_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if not_found(&e, "No scaling policy") => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteScalingPolicy", e)),
    }
}

/// One step of a step policy: when the alarm's metric minus the alarm's threshold lies
/// between `lower` and `upper`, the service is set to `capacity` tasks (ExactCapacity).
/// The bounds are PutScalingPolicy's `MetricIntervalLowerBound` / `UpperBound`: above the
/// threshold the lower bound is inclusive and the upper exclusive, below it the reverse;
/// `None` is unbounded on that side.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Lower bound of metric − threshold; `None` is minus infinity.
    pub lower: Option<f64>,
    /// Upper bound of metric − threshold; `None` is infinity.
    pub upper: Option<f64>,
    /// Tasks the service is set to.
    pub capacity: i32,
}

/// What a step policy (adjustment type ExactCapacity) should be.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredStepPolicy {
    /// Policy name.
    pub name: String,
    /// The target's resource id.
    pub resource_id: String,
    /// The steps, covering every value the alarm can invoke the policy with.
    pub steps: Vec<Step>,
    /// Seconds after a scaling activity before the policy acts again.
    pub cooldown_seconds: i32,
    /// How the alarm's data points are aggregated before the steps are applied:
    /// `Maximum`, `Minimum` or `Average`.
    pub metric_aggregation: String,
}

/// A step policy as Application Auto Scaling reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedStepPolicy {
    /// Policy name.
    pub name: String,
    /// Policy ARN, what an alarm's action names.
    pub arn: String,
    /// The target's resource id.
    pub resource_id: String,
    /// `StepScaling`, or the type of another policy under this name.
    pub policy_type: String,
    /// `ExactCapacity`, `ChangeInCapacity`, …
    pub adjustment_type: Option<String>,
    /// The steps, as listed.
    pub steps: Vec<Step>,
    /// Cooldown, seconds.
    pub cooldown_seconds: Option<i32>,
    /// `Maximum`, `Minimum`, `Average`.
    pub metric_aggregation: Option<String>,
}

impl ObservedStepPolicy {
    /// Whether the policy is the desired one (the steps compared in any order).
    pub fn matches(&self, desired: &DesiredStepPolicy) -> bool {
        self.policy_type == PolicyType::StepScaling.as_str()
            && self.adjustment_type.as_deref() == Some(AdjustmentType::ExactCapacity.as_str())
            && self.cooldown_seconds == Some(desired.cooldown_seconds)
            && self.metric_aggregation.as_deref() == Some(desired.metric_aggregation.as_str())
            && sorted_steps(&self.steps) == sorted_steps(&desired.steps)
    }
}

/// Steps ordered by lower bound (none first), for a comparison that ignores the order.
fn sorted_steps(steps: &[Step]) -> Vec<Step> {
    let mut steps = steps.to_vec();
    steps.sort_by(|a, b| {
        let key = |s: &Step| s.lower.unwrap_or(f64::NEG_INFINITY);
        key(a).total_cmp(&key(b))
    });
    steps
}

/// Looks up a step policy by name on a service's target; `None` when there is none. A
/// policy of another type under the name is returned too, and does not match.
pub async fn find_step_policy(
    client: &Client,
    resource_id: &str,
    name: &str,
) -> Result<Option<ObservedStepPolicy>, BackendError> {
    let out = client
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(resource_id)
        .policy_names(name)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "DescribeScalingPolicies", e))?;
    // Filtered here too: not every implementation honours PolicyNames.
    Ok(out
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == name && p.resource_id() == resource_id)
        .map(observe_step_policy))
}

/// Creates or replaces a step policy (PutScalingPolicy is an upsert, so a crashed apply's
/// policy is adopted by the same call) and answers its ARN, which the alarm that invokes
/// it names as its action. Callers compare with [`ObservedStepPolicy::matches`] first: an
/// unchanged policy needs no call.
pub async fn put_step_policy(
    client: &Client,
    desired: &DesiredStepPolicy,
) -> Result<String, BackendError> {
    let config = step_configuration(desired).map_err(|e| BackendError::Api {
        service: SERVICE,
        operation: "PutScalingPolicy",
        message: format!(
            "the configuration of policy `{}` is incomplete: {e}",
            desired.name
        ),
    })?;
    let out = client
        .put_scaling_policy()
        .policy_name(&desired.name)
        .service_namespace(ServiceNamespace::Ecs)
        .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
        .resource_id(&desired.resource_id)
        .policy_type(PolicyType::StepScaling)
        .step_scaling_policy_configuration(config)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutScalingPolicy", e))?;
    Ok(out.policy_arn().to_string())
}

/// The StepScalingPolicyConfiguration of a desired step policy.
fn step_configuration(
    desired: &DesiredStepPolicy,
) -> Result<StepScalingPolicyConfiguration, aws_sdk_applicationautoscaling::error::BuildError> {
    let steps = desired
        .steps
        .iter()
        .map(|s| {
            StepAdjustment::builder()
                .set_metric_interval_lower_bound(s.lower)
                .set_metric_interval_upper_bound(s.upper)
                .scaling_adjustment(s.capacity)
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(StepScalingPolicyConfiguration::builder()
        .adjustment_type(AdjustmentType::ExactCapacity)
        .set_step_adjustments(Some(steps))
        .cooldown(desired.cooldown_seconds)
        .metric_aggregation_type(MetricAggregationType::from(
            desired.metric_aggregation.as_str(),
        ))
        .build())
}

fn observe_step_policy(p: &ScalingPolicy) -> ObservedStepPolicy {
    let config = p.step_scaling_policy_configuration();
    ObservedStepPolicy {
        name: p.policy_name().to_string(),
        arn: p.policy_arn().to_string(),
        resource_id: p.resource_id().to_string(),
        policy_type: p.policy_type().as_str().to_string(),
        adjustment_type: config
            .and_then(|c| c.adjustment_type())
            .map(|t| t.as_str().to_string()),
        steps: config
            .map(|c| {
                c.step_adjustments()
                    .iter()
                    .map(|s| Step {
                        lower: s.metric_interval_lower_bound(),
                        upper: s.metric_interval_upper_bound(),
                        capacity: s.scaling_adjustment(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        cooldown_seconds: config.and_then(|c| c.cooldown()),
        metric_aggregation: config
            .and_then(|c| c.metric_aggregation_type())
            .map(|t| t.as_str().to_string()),
    }
}

/// AWS says "not found" with ObjectNotFoundException; moto with a ValidationException
/// whose message starts "No scalable target found" / "No scaling policy found".
fn not_found<E, R>(err: &aws_sdk_applicationautoscaling::error::SdkError<E, R>, moto: &str) -> bool
where
    E: aws_sdk_applicationautoscaling::error::ProvideErrorMetadata,
{
    is_error(err, "ObjectNotFoundException", None)
        || is_error(err, "ValidationException", Some(moto))
}

fn observe_policy(p: &ScalingPolicy) -> ObservedPolicy {
    let tt = p.target_tracking_scaling_policy_configuration();
    ObservedPolicy {
        name: p.policy_name().to_string(),
        arn: p.policy_arn().to_string(),
        resource_id: p.resource_id().to_string(),
        policy_type: p.policy_type().as_str().to_string(),
        metric: tt
            .and_then(|t| t.predefined_metric_specification())
            .map(|m| m.predefined_metric_type().as_str().to_string()),
        target_cpu_percent: tt.map(|t| t.target_value()).unwrap_or_default(),
        scale_out_cooldown_seconds: tt.and_then(|t| t.scale_out_cooldown()),
        scale_in_cooldown_seconds: tt.and_then(|t| t.scale_in_cooldown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_matches_only_with_every_setting_equal() {
        let desired = DesiredPolicy {
            name: "prod-api-cpu".into(),
            resource_id: resource_id("prod-cluster", "prod-api"),
            target_cpu_percent: 70.0,
            scale_out_cooldown_seconds: 60,
            scale_in_cooldown_seconds: 300,
        };
        assert_eq!(desired.resource_id, "service/prod-cluster/prod-api");
        let observed = ObservedPolicy {
            name: desired.name.clone(),
            arn: "arn".into(),
            resource_id: desired.resource_id.clone(),
            policy_type: "TargetTrackingScaling".into(),
            metric: Some("ECSServiceAverageCPUUtilization".into()),
            target_cpu_percent: 70.0,
            scale_out_cooldown_seconds: Some(60),
            scale_in_cooldown_seconds: Some(300),
        };
        assert!(observed.matches(&desired));
        let mut changed = observed.clone();
        changed.scale_in_cooldown_seconds = Some(120);
        assert!(!changed.matches(&desired));
        let mut changed = observed;
        changed.metric = Some("ECSServiceAverageMemoryUtilization".into());
        assert!(!changed.matches(&desired));
    }

    #[test]
    fn a_step_policy_matches_with_its_steps_in_any_order_and_nothing_else_changed() {
        let step = |lower: Option<f64>, upper: Option<f64>, capacity: i32| Step {
            lower,
            upper,
            capacity,
        };
        let desired = DesiredStepPolicy {
            name: "prod-worker-out".into(),
            resource_id: resource_id("prod-cluster", "prod-worker"),
            steps: vec![step(Some(0.0), Some(10.0), 1), step(Some(10.0), None, 2)],
            cooldown_seconds: 60,
            metric_aggregation: "Maximum".into(),
        };
        let observed = ObservedStepPolicy {
            name: desired.name.clone(),
            arn: "arn".into(),
            resource_id: desired.resource_id.clone(),
            policy_type: "StepScaling".into(),
            adjustment_type: Some("ExactCapacity".into()),
            steps: vec![step(Some(10.0), None, 2), step(Some(0.0), Some(10.0), 1)],
            cooldown_seconds: Some(60),
            metric_aggregation: Some("Maximum".into()),
        };
        assert!(observed.matches(&desired));
        type Change = (&'static str, fn(&mut ObservedStepPolicy));
        let changes: [Change; 6] = [
            ("another type", |o| {
                o.policy_type = "TargetTrackingScaling".into()
            }),
            ("another adjustment", |o| {
                o.adjustment_type = Some("ChangeInCapacity".into())
            }),
            ("a step's capacity", |o| o.steps[0].capacity = 3),
            ("a step less", |o| {
                o.steps.pop();
            }),
            ("the cooldown", |o| o.cooldown_seconds = None),
            ("the aggregation", |o| {
                o.metric_aggregation = Some("Average".into())
            }),
        ];
        for (what, change) in changes {
            let mut changed = observed.clone();
            change(&mut changed);
            assert!(!changed.matches(&desired), "{what}");
        }
    }

    #[test]
    fn a_step_policy_configuration_carries_every_step_and_setting() {
        let desired = DesiredStepPolicy {
            name: "prod-worker-in".into(),
            resource_id: resource_id("prod-cluster", "prod-worker"),
            steps: vec![Step {
                lower: None,
                upper: Some(0.0),
                capacity: 0,
            }],
            cooldown_seconds: 300,
            metric_aggregation: "Maximum".into(),
        };
        let config = step_configuration(&desired).expect("complete");
        assert_eq!(
            config.adjustment_type(),
            Some(&AdjustmentType::ExactCapacity)
        );
        assert_eq!(config.cooldown(), Some(300));
        assert_eq!(
            config.metric_aggregation_type(),
            Some(&MetricAggregationType::Maximum)
        );
        let [step] = config.step_adjustments() else {
            panic!("one step: {config:?}");
        };
        assert_eq!(step.metric_interval_lower_bound(), None);
        assert_eq!(step.metric_interval_upper_bound(), Some(0.0));
        assert_eq!(step.scaling_adjustment(), 0);
    }
}
