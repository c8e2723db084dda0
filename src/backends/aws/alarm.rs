//! CloudWatch metric alarms that invoke step policies (`autoscaling.rs`): find, put (an
//! upsert, called only when the alarm differs), tags, finish a create, delete — and the two
//! alarms and their steps that scale a queue's workers from zero.
//!
//! An alarm has a name of its own, so a second state (or a stranger) may hold one under
//! ours: an existing alarm is taken over only as its [`Owner`] allows, and is left
//! untouched otherwise. PutMetricAlarm replaces the whole configuration and ignores `Tags`
//! on an existing alarm, so tags go with the create and are synced with
//! TagResource / UntagResource after.
//!
//! # Scaling a queue's workers from zero
//!
//! The service runs at desired count 0 and its scalable target lets it go from 0 to `max`.
//! Two alarms on the queue's SQS metrics (namespace `AWS/SQS`, dimension `QueueName`,
//! statistic Maximum, one-minute periods) invoke two ExactCapacity step policies:
//!
//! - **Backlog** ([`backlog_alarm`], [`queue_steps`]): visible messages ≥ 1 for one
//!   period. The steps set ⌈visible / messages_per_task⌉ tasks, at most `max`.
//! - **Idle** ([`idle_alarm`], [`idle_steps`]): visible + in-flight messages ≤ 0 for five
//!   periods (metric math `visible + in_flight`, so a task still holding a message is not
//!   stopped). The one step sets 0 tasks.
//!
//! Missing data: SQS publishes its metrics only while the queue is active — it stops
//! after about six hours without any call on it, and a message sent wakes it. So a queue
//! with no data points has no messages: the backlog alarm treats missing data as
//! `notBreaching` (nothing to start; no INSUFFICIENT_DATA in between) and the idle alarm
//! as `breaching` (an inactive queue has nothing in flight either, so its workers may
//! stop). CloudWatch fills missing points only when the evaluation range lacks enough real
//! ones, so a late data point of a busy queue does not stop its workers.

use super::api_error::{api_error, is_error};
use super::autoscaling::Step;
use crate::backends::BackendError;
use crate::backends::ownership::{self, Owner};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricAlarm, MetricDataQuery, MetricStat,
    Statistic, Tag,
};
use std::collections::{BTreeMap, HashMap};

const SERVICE: &str = "CloudWatch";

/// How the alarm's value is compared with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// In alarm when the value is at or above the threshold.
    GreaterThanOrEqualToThreshold,
    /// In alarm when the value is at or below the threshold.
    LessThanOrEqualToThreshold,
}

impl Comparison {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Comparison::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    fn operator(self) -> ComparisonOperator {
        ComparisonOperator::from(self.as_str())
    }
}

/// How periods without a data point count (PutMetricAlarm's `TreatMissingData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingData {
    /// As over the threshold.
    Breaching,
    /// As within the threshold.
    NotBreaching,
    /// The alarm keeps its state.
    Ignore,
    /// The alarm goes to INSUFFICIENT_DATA when every point is missing (the API's default).
    Missing,
}

impl MissingData {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingData::Breaching => "breaching",
            MissingData::NotBreaching => "notBreaching",
            MissingData::Ignore => "ignore",
            MissingData::Missing => "missing",
        }
    }
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmMetric {
    /// One metric.
    Single {
        /// Metric name, e.g. `ApproximateNumberOfMessagesVisible`.
        metric_name: String,
        /// Dimensions (name, value), e.g. `("QueueName", "prod-jobs")`.
        dimensions: Vec<(String, String)>,
        /// Statistic, e.g. `Maximum`.
        statistic: String,
    },
    /// The sum of several metrics over the same dimensions (metric math `id1 + id2 + …`).
    Sum {
        /// The summands: (query id, metric name). Ids start with a lower-case letter.
        of: Vec<(String, String)>,
        /// Dimensions (name, value) of every summand.
        dimensions: Vec<(String, String)>,
        /// Statistic of every summand.
        statistic: String,
    },
}

/// The id of a [`AlarmMetric::Sum`]'s expression, the query the alarm watches.
pub const SUM_ID: &str = "total";

impl AlarmMetric {
    /// The metric math expression of a sum's ids: `m1 + m2`.
    fn expression(of: &[(String, String)]) -> String {
        of.iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// The same metric with its dimensions sorted, for a comparison that ignores their order.
    fn normalized(&self) -> AlarmMetric {
        let sorted = |d: &[(String, String)]| {
            let mut d = d.to_vec();
            d.sort();
            d
        };
        match self {
            AlarmMetric::Single {
                metric_name,
                dimensions,
                statistic,
            } => AlarmMetric::Single {
                metric_name: metric_name.clone(),
                dimensions: sorted(dimensions),
                statistic: statistic.clone(),
            },
            AlarmMetric::Sum {
                of,
                dimensions,
                statistic,
            } => AlarmMetric::Sum {
                of: of.clone(),
                dimensions: sorted(dimensions),
                statistic: statistic.clone(),
            },
        }
    }
}

/// What an alarm should be.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredAlarm {
    /// Alarm name.
    pub name: String,
    /// What it is for, shown in the console.
    pub description: String,
    /// Namespace of its metrics, e.g. `AWS/SQS`.
    pub namespace: String,
    /// What it watches.
    pub metrics: AlarmMetric,
    /// How the value is compared with the threshold.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Seconds per data point.
    pub period_seconds: i32,
    /// Consecutive periods over the threshold before it goes into alarm.
    pub evaluation_periods: i32,
    /// How periods without data count.
    pub treat_missing_data: MissingData,
    /// ARNs invoked while in alarm (step policies).
    pub actions: Vec<String>,
    /// Every tag, including the `platform:*` ones.
    pub tags: BTreeMap<String, String>,
}

/// An alarm as CloudWatch reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm {
    /// Alarm name.
    pub name: String,
    /// Alarm ARN.
    pub arn: String,
    /// Description, when set.
    pub description: Option<String>,
    /// Namespace of its metrics (of every summand's, for a sum).
    pub namespace: Option<String>,
    /// What it watches; `None` when it is neither one metric nor a sum of metrics in the
    /// shape [`AlarmMetric`] describes (an extended statistic, another expression).
    pub metrics: Option<AlarmMetric>,
    /// Comparison operator, e.g. `GreaterThanOrEqualToThreshold`.
    pub comparison: Option<String>,
    /// The threshold.
    pub threshold: Option<f64>,
    /// Seconds per data point.
    pub period_seconds: Option<i32>,
    /// Consecutive periods before it goes into alarm.
    pub evaluation_periods: Option<i32>,
    /// `breaching`, `notBreaching`, `ignore`, `missing`; `None` is the default, `missing`.
    pub treat_missing_data: Option<String>,
    /// ARNs invoked while in alarm.
    pub actions: Vec<String>,
    /// Every tag; `None` until read with [`tags`] (DescribeAlarms does not list them).
    pub tags: Option<BTreeMap<String, String>>,
}

/// Whether the alarm differs from the desired one in anything PutMetricAlarm sets (tags
/// aside: they are synced on their own). Dimensions and actions compare in any order.
pub fn differs(observed: &ObservedAlarm, desired: &DesiredAlarm) -> bool {
    let mut actions = observed.actions.clone();
    actions.sort();
    let mut wanted = desired.actions.clone();
    wanted.sort();
    !(observed.description.as_deref().unwrap_or_default() == desired.description
        && observed.namespace.as_deref() == Some(desired.namespace.as_str())
        && observed.metrics.as_ref().map(AlarmMetric::normalized)
            == Some(desired.metrics.normalized())
        && observed.comparison.as_deref() == Some(desired.comparison.as_str())
        && observed.threshold == Some(desired.threshold)
        && observed.period_seconds == Some(desired.period_seconds)
        && observed.evaluation_periods == Some(desired.evaluation_periods)
        && observed.treat_missing_data.as_deref() == Some(desired.treat_missing_data.as_str())
        && actions == wanted)
}

/// The most alarm names one DescribeAlarms takes.
pub const DESCRIBE_LIMIT: usize = 100;

/// Looks an alarm up by name, without its tags; `None` when there is none.
pub async fn find(client: &Client, name: &str) -> Result<Option<ObservedAlarm>, BackendError> {
    Ok(find_many(client, &[name.to_string()]).await?.remove(name))
}

/// Looks up to [`DESCRIBE_LIMIT`] alarms up by name with one DescribeAlarms (every page),
/// without their tags; the answer holds the ones that exist.
pub async fn find_many(
    client: &Client,
    names: &[String],
) -> Result<HashMap<String, ObservedAlarm>, BackendError> {
    let mut found = HashMap::new();
    let mut next_token = None;
    loop {
        let out = client
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .alarm_types(AlarmType::MetricAlarm)
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "DescribeAlarms", e))?;
        for a in out.metric_alarms() {
            if let Some(name) = a.alarm_name()
                && names.iter().any(|n| n == name)
            {
                found.insert(name.to_string(), observe(a));
            }
        }
        next_token = out.next_token().map(str::to_string);
        if next_token.is_none() || found.len() == names.len() {
            return Ok(found);
        }
    }
}

/// The tags of an alarm (one ListTagsForResource).
pub async fn tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, BackendError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "ListTagsForResource", e))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// Creates the alarm (tagged `owner.tags(&desired.tags)`), or brings `existing` — the
/// alarm found under its name — to the desired one: it is refused unless `owner` may take
/// it over, put again only when it [`differs`], and its tags synced.
pub async fn put(
    client: &Client,
    desired: &DesiredAlarm,
    owner: Owner<'_>,
    existing: Option<ObservedAlarm>,
) -> Result<ObservedAlarm, BackendError> {
    let wanted_tags = owner.tags(&desired.tags);
    let Some(existing) = existing else {
        put_metric_alarm(client, desired, Some(&wanted_tags)).await?;
        let created = find(client, &desired.name)
            .await?
            .ok_or_else(|| BackendError::Api {
                service: SERVICE,
                operation: "DescribeAlarms",
                message: format!("alarm `{}` was created but cannot be found", desired.name),
            })?;
        return Ok(ObservedAlarm {
            tags: Some(wanted_tags),
            ..created
        });
    };
    let observed_tags = match &existing.tags {
        Some(t) => t.clone(),
        None => tags(client, &existing.arn).await?,
    };
    owner.check(
        || format!("The CloudWatch alarm `{}`", desired.name),
        &observed_tags,
    )?;
    if differs(&existing, desired) {
        tracing::info!(alarm = %desired.name, "updating the alarm");
        put_metric_alarm(client, desired, None).await?;
    }
    sync_tags(client, &existing.arn, &observed_tags, &wanted_tags).await?;
    Ok(expected(desired, existing.arn, wanted_tags))
}

/// Marks the alarm's create as finished (removes the creating marker).
pub async fn finish(client: &Client, observed: &ObservedAlarm) -> Result<(), BackendError> {
    let marked = match &observed.tags {
        Some(t) => ownership::is_creating(t),
        None => ownership::is_creating(&tags(client, &observed.arn).await?),
    };
    if !marked {
        return Ok(());
    }
    client
        .untag_resource()
        .resource_arn(&observed.arn)
        .tag_keys(ownership::TAG_LIFECYCLE)
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    Ok(())
}

/// Deletes the alarm; one already gone counts as deleted.
pub async fn delete(client: &Client, name: &str) -> Result<(), BackendError> {
    match client.delete_alarms().alarm_names(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_error(&e, "ResourceNotFound", None) => Ok(()),
        Err(e) => Err(api_error(SERVICE, "DeleteAlarms", e)),
    }
}

async fn sync_tags(
    client: &Client,
    arn: &str,
    observed: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), BackendError> {
    let (stale, changed) = super::tag_changes(observed, desired);
    if !stale.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "UntagResource", e))?;
    }
    if !changed.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tag_list(&changed)))
            .send()
            .await
            .map_err(|e| api_error(SERVICE, "TagResource", e))?;
    }
    Ok(())
}

fn tag_list(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The metric half of a PutMetricAlarm: either the top-level metric fields (one metric) or
/// the `Metrics` queries (metric math), never both.
#[derive(Debug, Default)]
struct MetricRequest {
    namespace: Option<String>,
    metric_name: Option<String>,
    statistic: Option<Statistic>,
    dimensions: Option<Vec<Dimension>>,
    period: Option<i32>,
    metrics: Option<Vec<MetricDataQuery>>,
}

fn dimension_list(dimensions: &[(String, String)]) -> Vec<Dimension> {
    dimensions
        .iter()
        .map(|(name, value)| Dimension::builder().name(name).value(value).build())
        .collect()
}

/// What a desired alarm watches, as PutMetricAlarm takes it. A sum is one query per
/// summand (ReturnData false) and the expression (ReturnData true: the one the alarm
/// watches); the period then goes with each summand.
fn metric_request(desired: &DesiredAlarm) -> MetricRequest {
    match &desired.metrics {
        AlarmMetric::Single {
            metric_name,
            dimensions,
            statistic,
        } => MetricRequest {
            namespace: Some(desired.namespace.clone()),
            metric_name: Some(metric_name.clone()),
            statistic: Some(Statistic::from(statistic.as_str())),
            dimensions: Some(dimension_list(dimensions)),
            period: Some(desired.period_seconds),
            metrics: None,
        },
        AlarmMetric::Sum {
            of,
            dimensions,
            statistic,
        } => {
            let mut queries: Vec<MetricDataQuery> = of
                .iter()
                .map(|(id, metric_name)| {
                    let metric = Metric::builder()
                        .namespace(&desired.namespace)
                        .metric_name(metric_name)
                        .set_dimensions(Some(dimension_list(dimensions)))
                        .build();
                    MetricDataQuery::builder()
                        .id(id)
                        .metric_stat(
                            MetricStat::builder()
                                .metric(metric)
                                .period(desired.period_seconds)
                                .stat(statistic)
                                .build(),
                        )
                        .return_data(false)
                        .build()
                })
                .collect();
            queries.push(
                MetricDataQuery::builder()
                    .id(SUM_ID)
                    .expression(AlarmMetric::expression(of))
                    .return_data(true)
                    .build(),
            );
            MetricRequest {
                metrics: Some(queries),
                ..MetricRequest::default()
            }
        }
    }
}

/// PutMetricAlarm with the whole desired configuration; `tags` only on a create (the API
/// ignores them on an update).
async fn put_metric_alarm(
    client: &Client,
    desired: &DesiredAlarm,
    tags: Option<&BTreeMap<String, String>>,
) -> Result<(), BackendError> {
    let metric = metric_request(desired);
    client
        .put_metric_alarm()
        .alarm_name(&desired.name)
        .alarm_description(&desired.description)
        .set_namespace(metric.namespace)
        .set_metric_name(metric.metric_name)
        .set_statistic(metric.statistic)
        .set_dimensions(metric.dimensions)
        .set_period(metric.period)
        .set_metrics(metric.metrics)
        .comparison_operator(desired.comparison.operator())
        .threshold(desired.threshold)
        .evaluation_periods(desired.evaluation_periods)
        .treat_missing_data(desired.treat_missing_data.as_str())
        .actions_enabled(true)
        .set_alarm_actions(Some(desired.actions.clone()))
        .set_tags(tags.map(tag_list))
        .send()
        .await
        .map_err(|e| api_error(SERVICE, "PutMetricAlarm", e))?;
    Ok(())
}

/// The alarm as it is after a put of `desired`.
fn expected(desired: &DesiredAlarm, arn: String, tags: BTreeMap<String, String>) -> ObservedAlarm {
    ObservedAlarm {
        name: desired.name.clone(),
        arn,
        description: Some(desired.description.clone()),
        namespace: Some(desired.namespace.clone()),
        metrics: Some(desired.metrics.clone()),
        comparison: Some(desired.comparison.as_str().to_string()),
        threshold: Some(desired.threshold),
        period_seconds: Some(desired.period_seconds),
        evaluation_periods: Some(desired.evaluation_periods),
        treat_missing_data: Some(desired.treat_missing_data.as_str().to_string()),
        actions: desired.actions.clone(),
        tags: Some(tags),
    }
}

fn dimension_pairs(dimensions: &[Dimension]) -> Vec<(String, String)> {
    dimensions
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_string(),
                d.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A summand of a sum as listed: (id, namespace, metric name, dimensions, period, stat).
type Summand = (String, String, String, Vec<(String, String)>, i32, String);

/// Reads the `Metrics` queries back as a sum, with the summands' namespace and period:
/// `None` unless they are metrics over the same namespace, dimensions, period and
/// statistic plus one returned expression that adds their ids.
fn observe_sum(queries: &[MetricDataQuery]) -> Option<(AlarmMetric, String, i32)> {
    let (returned, summands): (Vec<_>, Vec<_>) =
        queries.iter().partition(|q| q.return_data() == Some(true));
    let [returned] = returned.as_slice() else {
        return None;
    };
    let summands: Vec<Summand> = summands
        .iter()
        .map(|q| {
            let stat = q.metric_stat()?;
            let metric = stat.metric()?;
            let mut dimensions = dimension_pairs(metric.dimensions());
            dimensions.sort();
            Some((
                q.id()?.to_string(),
                metric.namespace()?.to_string(),
                metric.metric_name()?.to_string(),
                dimensions,
                stat.period()?,
                stat.stat()?.to_string(),
            ))
        })
        .collect::<Option<_>>()?;
    let (_, namespace, _, dimensions, period, statistic) = summands.first()?.clone();
    if summands
        .iter()
        .any(|(_, n, _, d, p, s)| (n, d, p, s) != (&namespace, &dimensions, &period, &statistic))
    {
        return None;
    }
    let of: Vec<(String, String)> = summands
        .into_iter()
        .map(|(id, _, name, ..)| (id, name))
        .collect();
    if returned.expression()? != AlarmMetric::expression(&of) {
        return None;
    }
    let sum = AlarmMetric::Sum {
        of,
        dimensions,
        statistic,
    };
    Some((sum, namespace, period))
}

fn observe(a: &MetricAlarm) -> ObservedAlarm {
    let (metrics, namespace, period_seconds) = if a.metrics().is_empty() {
        let single = match (a.metric_name(), a.statistic()) {
            (Some(metric_name), Some(statistic)) => Some(AlarmMetric::Single {
                metric_name: metric_name.to_string(),
                dimensions: dimension_pairs(a.dimensions()),
                statistic: statistic.as_str().to_string(),
            }),
            _ => None,
        };
        (single, a.namespace().map(str::to_string), a.period())
    } else {
        match observe_sum(a.metrics()) {
            Some((sum, namespace, period)) => (Some(sum), Some(namespace), Some(period)),
            None => (None, None, None),
        }
    };
    ObservedAlarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        arn: a.alarm_arn().unwrap_or_default().to_string(),
        description: a.alarm_description().map(str::to_string),
        namespace,
        metrics,
        comparison: a.comparison_operator().map(|c| c.as_str().to_string()),
        threshold: a.threshold(),
        period_seconds,
        evaluation_periods: a.evaluation_periods(),
        treat_missing_data: a.treat_missing_data().map(str::to_string),
        actions: a.alarm_actions().to_vec(),
        tags: None,
    }
}

/// Namespace of SQS metrics.
pub const SQS_NAMESPACE: &str = "AWS/SQS";
/// Messages waiting to be received.
pub const VISIBLE_MESSAGES: &str = "ApproximateNumberOfMessagesVisible";
/// Messages received and not yet deleted (in flight).
pub const IN_FLIGHT_MESSAGES: &str = "ApproximateNumberOfMessagesNotVisible";
/// Seconds per data point of the queue alarms (SQS publishes one a minute).
pub const QUEUE_PERIOD_SECONDS: i32 = 60;
/// Periods without any message before the workers are stopped.
pub const IDLE_PERIODS: i32 = 5;
/// The backlog alarm's threshold: one visible message. [`queue_steps`] is relative to it.
pub const BACKLOG_THRESHOLD: f64 = 1.0;

fn queue_dimensions(queue: &str) -> Vec<(String, String)> {
    vec![("QueueName".to_string(), queue.to_string())]
}

/// The scale-out alarm of a queue's workers: visible messages ≥ 1 for one period invokes
/// `policy_arn`, a step policy with [`queue_steps`].
pub fn backlog_alarm(
    name: &str,
    queue: &str,
    policy_arn: &str,
    tags: BTreeMap<String, String>,
) -> DesiredAlarm {
    DesiredAlarm {
        name: name.to_string(),
        description: format!(
            "Starts the workers of SQS queue `{queue}` for its visible messages (terraform-provider-platform)."
        ),
        namespace: SQS_NAMESPACE.to_string(),
        metrics: AlarmMetric::Single {
            metric_name: VISIBLE_MESSAGES.to_string(),
            dimensions: queue_dimensions(queue),
            statistic: "Maximum".to_string(),
        },
        comparison: Comparison::GreaterThanOrEqualToThreshold,
        threshold: BACKLOG_THRESHOLD,
        period_seconds: QUEUE_PERIOD_SECONDS,
        evaluation_periods: 1,
        treat_missing_data: MissingData::NotBreaching,
        actions: vec![policy_arn.to_string()],
        tags,
    }
}

/// The scale-in alarm of a queue's workers: visible + in-flight messages ≤ 0 for
/// [`IDLE_PERIODS`] periods invokes `policy_arn`, a step policy with [`idle_steps`].
pub fn idle_alarm(
    name: &str,
    queue: &str,
    policy_arn: &str,
    tags: BTreeMap<String, String>,
) -> DesiredAlarm {
    DesiredAlarm {
        name: name.to_string(),
        description: format!(
            "Stops the workers of SQS queue `{queue}` once it has no message, visible or in flight (terraform-provider-platform)."
        ),
        namespace: SQS_NAMESPACE.to_string(),
        metrics: AlarmMetric::Sum {
            of: vec![
                ("visible".to_string(), VISIBLE_MESSAGES.to_string()),
                ("in_flight".to_string(), IN_FLIGHT_MESSAGES.to_string()),
            ],
            dimensions: queue_dimensions(queue),
            statistic: "Maximum".to_string(),
        },
        comparison: Comparison::LessThanOrEqualToThreshold,
        threshold: 0.0,
        period_seconds: QUEUE_PERIOD_SECONDS,
        evaluation_periods: IDLE_PERIODS,
        treat_missing_data: MissingData::Breaching,
        actions: vec![policy_arn.to_string()],
        tags,
    }
}

/// The steps of the backlog policy: with the alarm's threshold at one visible message,
/// step k (1 ≤ k ≤ `max`) covers metric − threshold in [(k−1)·m, k·m), i.e. k·m − m + 1 to
/// k·m visible messages, and sets k tasks; the last step is unbounded above. So n ≥ 1
/// visible messages set min(max, ⌈n / m⌉) tasks. `messages_per_task` and `max` below 1
/// (which the planner refuses) are taken as 1.
pub fn queue_steps(messages_per_task: i64, max: i64) -> Vec<Step> {
    let m = messages_per_task.max(1);
    let max = max.clamp(1, i64::from(i32::MAX));
    (1..=max)
        .map(|k| Step {
            lower: Some(((k - 1).saturating_mul(m)) as f64),
            upper: (k < max).then(|| k.saturating_mul(m) as f64),
            // `max` is clamped to i32::MAX above.
            capacity: i32::try_from(k).unwrap_or(i32::MAX),
        })
        .collect()
}

/// The one step of the idle policy: any breach of the idle alarm (metric − threshold ≤ 0)
/// sets 0 tasks.
pub fn idle_steps() -> Vec<Step> {
    vec![Step {
        lower: None,
        upper: Some(0.0),
        capacity: 0,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step Application Auto Scaling applies for `value` (metric − threshold): above
    /// the threshold the lower bound is inclusive, below it the upper bound.
    fn step_for(steps: &[Step], value: f64, above: bool) -> Vec<&Step> {
        steps
            .iter()
            .filter(|s| {
                let lower = s
                    .lower
                    .is_none_or(|l| if above { value >= l } else { value > l });
                let upper = s
                    .upper
                    .is_none_or(|u| if above { value < u } else { value <= u });
                lower && upper
            })
            .collect()
    }

    fn tags() -> BTreeMap<String, String> {
        BTreeMap::from([("platform:environment".to_string(), "prod".to_string())])
    }

    #[test]
    fn ten_messages_per_task_up_to_five_tasks_is_five_steps() {
        let steps = queue_steps(10, 5);
        let bounds: Vec<_> = steps
            .iter()
            .map(|s| (s.lower, s.upper, s.capacity))
            .collect();
        assert_eq!(
            bounds,
            [
                (Some(0.0), Some(10.0), 1),
                (Some(10.0), Some(20.0), 2),
                (Some(20.0), Some(30.0), 3),
                (Some(30.0), Some(40.0), 4),
                (Some(40.0), None, 5),
            ]
        );
        // 1–10 visible messages: one task; 11: two; 41 and more: five.
        let tasks = |n: f64| step_for(&steps, n - BACKLOG_THRESHOLD, true)[0].capacity;
        assert_eq!(
            [1.0, 10.0, 11.0, 40.0, 41.0, 1000.0].map(tasks),
            [1, 1, 2, 4, 5, 5]
        );
    }

    #[test]
    fn at_most_one_task_is_one_step_unbounded_above() {
        assert_eq!(
            queue_steps(10, 1),
            [Step {
                lower: Some(0.0),
                upper: None,
                capacity: 1
            }]
        );
        assert_eq!(
            queue_steps(0, 0),
            queue_steps(1, 1),
            "below 1 is taken as 1"
        );
    }

    #[test]
    fn an_idle_queue_stops_every_task() {
        let steps = idle_steps();
        // The idle alarm breaches at 0 messages (threshold 0, at or below).
        assert_eq!(step_for(&steps, 0.0, false)[0].capacity, 0);
        assert_eq!(step_for(&steps, -1.0, false).len(), 1);
        assert!(step_for(&steps, 1.0, false).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn every_backlog_sets_one_step_of_the_tasks_it_needs(
            n in 1i64..100_000,
            m in 1i64..1_000,
            max in 1i64..200,
        ) {
            let steps = queue_steps(m, max);
            let matching = step_for(&steps, n as f64 - BACKLOG_THRESHOLD, true);
            proptest::prop_assert_eq!(matching.len(), 1);
            let needed = (n + m - 1) / m;
            proptest::prop_assert_eq!(i64::from(matching[0].capacity), needed.min(max));
        }
    }

    #[test]
    fn one_metric_goes_in_the_top_level_fields() {
        let desired = backlog_alarm("prod-jobs-backlog", "prod-jobs", "arn:out", tags());
        let request = metric_request(&desired);
        assert_eq!(request.namespace.as_deref(), Some("AWS/SQS"));
        assert_eq!(request.metric_name.as_deref(), Some(VISIBLE_MESSAGES));
        assert_eq!(request.statistic, Some(Statistic::Maximum));
        assert_eq!(request.period, Some(60));
        assert_eq!(
            dimension_pairs(request.dimensions.as_deref().unwrap_or_default()),
            queue_dimensions("prod-jobs")
        );
        assert!(request.metrics.is_none());
    }

    #[test]
    fn a_sum_is_one_query_per_metric_and_one_returned_expression() {
        let desired = idle_alarm("prod-jobs-idle", "prod-jobs", "arn:in", tags());
        let request = metric_request(&desired);
        assert!(request.namespace.is_none() && request.metric_name.is_none());
        assert!(request.statistic.is_none() && request.period.is_none());
        let queries = request.metrics.expect("metric math");
        let returned: Vec<_> = queries
            .iter()
            .filter(|q| q.return_data() == Some(true))
            .collect();
        assert_eq!(returned.len(), 1, "exactly one query is watched");
        assert_eq!(returned[0].id(), Some(SUM_ID));
        assert_eq!(returned[0].expression(), Some("visible + in_flight"));
        let summands: Vec<_> = queries
            .iter()
            .filter_map(|q| {
                let stat = q.metric_stat()?;
                let metric = stat.metric()?;
                Some((
                    q.id()?,
                    q.return_data(),
                    metric.namespace()?,
                    metric.metric_name()?,
                    dimension_pairs(metric.dimensions()),
                    stat.period()?,
                    stat.stat()?,
                ))
            })
            .collect();
        let dims = queue_dimensions("prod-jobs");
        assert_eq!(
            summands,
            [
                (
                    "visible",
                    Some(false),
                    "AWS/SQS",
                    VISIBLE_MESSAGES,
                    dims.clone(),
                    60,
                    "Maximum"
                ),
                (
                    "in_flight",
                    Some(false),
                    "AWS/SQS",
                    IN_FLIGHT_MESSAGES,
                    dims,
                    60,
                    "Maximum"
                ),
            ]
        );
    }

    /// The alarm as DescribeAlarms would list it after a put of `desired`.
    fn listed(desired: &DesiredAlarm) -> MetricAlarm {
        let request = metric_request(desired);
        MetricAlarm::builder()
            .alarm_name(&desired.name)
            .alarm_arn(format!(
                "arn:aws:cloudwatch:us-east-1:1:alarm:{}",
                desired.name
            ))
            .alarm_description(&desired.description)
            .set_namespace(request.namespace)
            .set_metric_name(request.metric_name)
            .set_statistic(request.statistic)
            .set_dimensions(request.dimensions)
            .set_period(request.period)
            .set_metrics(request.metrics)
            .comparison_operator(desired.comparison.operator())
            .threshold(desired.threshold)
            .evaluation_periods(desired.evaluation_periods)
            .treat_missing_data(desired.treat_missing_data.as_str())
            .set_alarm_actions(Some(desired.actions.clone()))
            .build()
    }

    #[test]
    fn an_alarm_put_as_desired_reads_back_as_desired() {
        for desired in [
            backlog_alarm("prod-jobs-backlog", "prod-jobs", "arn:out", tags()),
            idle_alarm("prod-jobs-idle", "prod-jobs", "arn:in", tags()),
        ] {
            let observed = observe(&listed(&desired));
            assert!(!differs(&observed, &desired), "{observed:#?}");
            assert_eq!(
                observed,
                ObservedAlarm {
                    tags: None,
                    ..expected(&desired, observed.arn.clone(), tags())
                }
            );
        }
    }

    #[test]
    fn every_setting_of_an_alarm_is_compared() {
        let desired = idle_alarm("prod-jobs-idle", "prod-jobs", "arn:in", tags());
        let observed = observe(&listed(&desired));
        type Change = (&'static str, fn(&mut ObservedAlarm));
        let changes: [Change; 10] = [
            ("description", |o| o.description = None),
            ("namespace", |o| o.namespace = Some("AWS/ECS".into())),
            ("metric", |o| o.metrics = None),
            ("comparison", |o| {
                o.comparison = Some("GreaterThanOrEqualToThreshold".into())
            }),
            ("threshold", |o| o.threshold = Some(1.0)),
            ("period", |o| o.period_seconds = Some(300)),
            ("evaluation periods", |o| o.evaluation_periods = Some(1)),
            ("missing data", |o| o.treat_missing_data = None),
            ("an action more", |o| o.actions.push("arn:other".into())),
            ("another action", |o| o.actions = vec!["arn:old".into()]),
        ];
        for (what, change) in changes {
            let mut changed = observed.clone();
            change(&mut changed);
            assert!(differs(&changed, &desired), "{what}");
        }
        // Order does not matter: dimensions and actions are sets.
        let mut desired = desired;
        if let AlarmMetric::Sum { dimensions, .. } = &mut desired.metrics {
            dimensions.push(("A".into(), "first".into()));
        }
        desired.actions.insert(0, "arn:a".into());
        let mut reordered = observe(&listed(&desired));
        if let Some(AlarmMetric::Sum { dimensions, .. }) = &mut reordered.metrics {
            dimensions.reverse();
        }
        reordered.actions.reverse();
        assert!(!differs(&reordered, &desired));
    }

    #[test]
    fn other_metric_math_is_not_read_as_a_sum() {
        let desired = idle_alarm("prod-jobs-idle", "prod-jobs", "arn:in", tags());
        let mut queries = metric_request(&desired).metrics.expect("metric math");
        let last = queries.len() - 1;
        queries[last] = MetricDataQuery::builder()
            .id(SUM_ID)
            .expression("visible - in_flight")
            .return_data(true)
            .build();
        assert!(observe_sum(&queries).is_none(), "another expression");
        let mut none_returned = metric_request(&desired).metrics.expect("metric math");
        none_returned.pop();
        assert!(observe_sum(&none_returned).is_none(), "nothing returned");
    }

    #[test]
    fn the_queue_alarms_treat_an_inactive_queue_as_empty() {
        let backlog = backlog_alarm("b", "q", "arn:out", tags());
        assert_eq!(backlog.treat_missing_data, MissingData::NotBreaching);
        assert_eq!(backlog.comparison.as_str(), "GreaterThanOrEqualToThreshold");
        let idle = idle_alarm("i", "q", "arn:in", tags());
        assert_eq!(idle.treat_missing_data, MissingData::Breaching);
        assert_eq!(idle.comparison.as_str(), "LessThanOrEqualToThreshold");
        assert_eq!(idle.evaluation_periods, IDLE_PERIODS);
    }
}
