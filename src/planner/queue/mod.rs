//! The `platform_queue` planner: an SQS queue (standard or FIFO) with server-side
//! encryption always on, and — unless `dead_letter { enabled = false }` — a dead-letter
//! queue that takes a message after the tier's number of receives.
//!
//! Children, in creation order: `dead_letter_queue` (the main queue's redrive policy names
//! it, so it exists first) and `queue`. Names are `<environment>-<name>` (`-dlq` for the
//! dead-letter queue), with `.fifo` added for FIFO queues, as SQS requires; all known at
//! plan time. The exported grants (`send`, `consume`) are statements on exactly this
//! queue's name in the environment's region.
//!
//! SQS has no monthly charge per queue: the estimate is $0 and the queue's settings give
//! the request price from the dated table, so a reviewer sees a usage-priced $0, never a
//! silent one.

use std::collections::BTreeMap;

use super::component::{self, Common, Identity};
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::{Child, Settings, Source, Violation, messages, prices};
use crate::value::path::AttributePath;

/// The `platform:component` tag value of a queue's children.
pub const COMPONENT: &str = "queue";

/// `name`: short enough that `<environment>-<name>-dlq.fifo` fits SQS's 80 characters.
pub const NAME_LENGTH: IntRange = IntRange { min: 1, max: 50 };

/// SQS queue names are at most this long, `.fifo` included.
pub const QUEUE_NAME_MAX: usize = 80;

/// `visibility_timeout_seconds`: SQS allows 0 s to 12 hours.
pub const VISIBILITY_TIMEOUT_SECONDS: IntRange = IntRange {
    min: 0,
    max: 43_200,
};

/// SQS's default visibility timeout.
pub const DEFAULT_VISIBILITY_TIMEOUT_SECONDS: i64 = 30;

/// `retention_days`: SQS keeps messages 60 s to 14 days; whole days here.
pub const RETENTION_DAYS: IntRange = IntRange { min: 1, max: 14 };

/// SQS's default retention, 4 days.
pub const DEFAULT_RETENTION_DAYS: i64 = 4;

/// A dead-letter queue keeps messages as long as SQS allows, so there is time to look.
pub const DEAD_LETTER_RETENTION_DAYS: i64 = 14;

/// `dead_letter.max_receives`: SQS's `maxReceiveCount` is 1 to 1000.
pub const MAX_RECEIVES: IntRange = IntRange { min: 1, max: 1000 };

const SECONDS_PER_DAY: i64 = 86_400;

/// The expansion keys.
pub mod keys {
    /// The queue.
    pub const QUEUE: &str = "queue";
    /// Its dead-letter queue.
    pub const DEAD_LETTER: &str = "dead_letter_queue";
}

/// The `dead_letter` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadLetterInput {
    /// False: no dead-letter queue (messages are received until retention ends).
    pub enabled: Option<bool>,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receives: Option<i64>,
}

/// A queue's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe queue name; the cloud name is `<environment>-<name>`.
    pub name: String,
    /// FIFO (exactly-once, ordered per message group) instead of standard.
    pub fifo: Option<bool>,
    /// Seconds a received message stays hidden from other consumers.
    pub visibility_timeout_seconds: Option<i64>,
    /// Days a message is kept.
    pub retention_days: Option<i64>,
    /// The `dead_letter` block.
    pub dead_letter: Option<DeadLetterInput>,
    /// A KMS key ARN for SSE-KMS; without it, SSE-SQS (SQS-managed keys).
    pub kms_key_id: Option<String>,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
}

/// The dead-letter queue of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterPlan {
    /// Its cloud name.
    pub queue_name: String,
    /// Receives before a message moves to it.
    pub max_receives: i64,
}

/// The planned queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePlan {
    /// Names, region, tier, tags.
    pub identity: Identity,
    /// The queue's cloud name (`.fifo` included).
    pub queue_name: String,
    /// FIFO or standard.
    pub fifo: bool,
    /// Seconds a received message stays hidden.
    pub visibility_timeout_seconds: i64,
    /// Seconds a message is kept.
    pub retention_seconds: i64,
    /// The KMS key, for SSE-KMS.
    pub kms_key_id: Option<String>,
    /// The dead-letter queue, unless disabled.
    pub dead_letter: Option<DeadLetterPlan>,
    /// The grants by name (`send`, `consume`): policy statements as JSON.
    pub grants: BTreeMap<String, String>,
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs (usage-priced: $0).
    pub estimated_monthly_cost_usd: f64,
}

/// Validates and expands a queue.
pub fn plan(input: &QueueInput) -> Result<QueuePlan, Vec<Violation>> {
    let mut out = Vec::new();
    let at = AttributePath::attr;
    let common = Common {
        environment: &input.environment,
        name: &input.name,
        tags: &input.tags,
        default_tags: &input.default_tags,
    };
    if input.name.ends_with(".fifo") || input.name.ends_with("-fifo") {
        out.push(Violation::new(
            at("name"),
            "FIFO Suffix In The Name",
            format!(
                "`name` is `{}`, but the `.fifo` suffix SQS requires is added by the provider. Write `name = \"{}\"` and set `fifo = true`.",
                input.name,
                input.name.trim_end_matches(".fifo").trim_end_matches("-fifo")
            ),
        ));
    }
    let identity = component::identity(&common, "Queue", COMPONENT, NAME_LENGTH, "jobs", &mut out);
    let range = |v: Option<i64>, name: &str, r: IntRange, out: &mut Vec<Violation>| {
        if let Some(v) = v
            && !r.contains(v)
        {
            out.push(messages::out_of_range(at(name), v, r));
        }
    };
    range(
        input.visibility_timeout_seconds,
        "visibility_timeout_seconds",
        VISIBILITY_TIMEOUT_SECONDS,
        &mut out,
    );
    range(
        input.retention_days,
        "retention_days",
        RETENTION_DAYS,
        &mut out,
    );
    if let Some(d) = &input.dead_letter {
        if let Some(v) = d.max_receives
            && !MAX_RECEIVES.contains(v)
        {
            out.push(messages::out_of_range(
                at("dead_letter").then_attr("max_receives"),
                v,
                MAX_RECEIVES,
            ));
        }
        if d.enabled == Some(false) && d.max_receives.is_some() {
            out.push(Violation::new(
                at("dead_letter").then_attr("max_receives"),
                "Dead-Letter Queue Disabled",
                "`dead_letter.max_receives` has no effect with `dead_letter.enabled = false`. Remove `max_receives`, or enable the dead-letter queue.",
            ));
        }
    }
    if let Some(key) = &input.kms_key_id
        && !component::is_kms_key_arn(key)
    {
        out.push(messages::invalid_format(
            at("kms_key_id"),
            "Invalid KMS Key",
            key,
            "a KMS key ARN, `arn:aws:kms:<region>:<account>:key/<id>` (the grants are scoped to the key, which an alias cannot be)",
            "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ));
    }
    let fifo = input.fifo.unwrap_or(false);
    let suffix = if fifo { ".fifo" } else { "" };
    if let Some(id) = &identity {
        let longest = format!("{}-dlq{suffix}", id.cloud_name);
        if longest.len() > QUEUE_NAME_MAX {
            out.push(Violation::new(
                at("name"),
                "Queue Name Too Long",
                format!(
                    "The dead-letter queue's name `{longest}` has {} characters, but SQS allows {QUEUE_NAME_MAX}. Shorten `name` by {} characters.",
                    longest.len(),
                    longest.len() - QUEUE_NAME_MAX
                ),
            ));
        }
    }
    let Some(identity) = identity.filter(|_| out.is_empty()) else {
        return Err(out);
    };

    let tier = identity.tier;
    let queue_name = format!("{}{suffix}", identity.cloud_name);
    let fifo_source = if input.fifo.is_some() {
        Source::Config
    } else {
        Source::Fixed
    };
    let (visibility, visibility_source) = component::or(
        input.visibility_timeout_seconds,
        DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
        Source::Fixed,
    );
    let (retention_days, retention_source) =
        component::or(input.retention_days, DEFAULT_RETENTION_DAYS, Source::Fixed);
    let dl = input.dead_letter.clone().unwrap_or_default();
    let dead_letter = (dl.enabled != Some(false)).then(|| {
        let (max_receives, source) = component::or(
            dl.max_receives,
            tier.defaults().queue_max_receives,
            Source::Tier(tier),
        );
        (
            DeadLetterPlan {
                queue_name: format!("{}-dlq{suffix}", identity.cloud_name),
                max_receives,
            },
            source,
        )
    });
    let encryption = match &input.kms_key_id {
        Some(key) => format!("SSE-KMS ({key})"),
        None => "SSE-SQS".to_string(),
    };
    let encryption_source = if input.kms_key_id.is_some() {
        Source::Config
    } else {
        Source::Fixed
    };
    let pricing = prices::sqs(&identity.region).map(|p| {
        format!(
            "usage-priced: ${:.2} per million {} requests after the first {} a month (price table of {}); no charge per queue",
            if fifo {
                p.fifo_per_million_requests
            } else {
                p.standard_per_million_requests
            },
            if fifo { "FIFO" } else { "standard" },
            thousands(p.free_requests_month),
            prices::as_of()
        )
    });

    let mut children = Vec::new();
    if let Some((d, _)) = &dead_letter {
        let mut s = Settings::default();
        s.set("fifo", fifo, fifo_source)
            .set("retention_days", DEAD_LETTER_RETENTION_DAYS, Source::Fixed)
            .set("encryption", &encryption, encryption_source)
            .set("receives_from", &queue_name, Source::Derived);
        children.push(s.child(keys::DEAD_LETTER, "aws", "sqs_queue", &d.queue_name, 0.0));
    }
    let mut s = Settings::default();
    s.set("fifo", fifo, fifo_source)
        .set("visibility_timeout_seconds", visibility, visibility_source)
        .set("retention_days", retention_days, retention_source)
        .set("encryption", &encryption, encryption_source);
    match &dead_letter {
        Some((d, source)) => {
            s.set("dead_letter.max_receives", d.max_receives, *source)
                .set("dead_letter.queue", &d.queue_name, Source::Derived);
        }
        None => {
            s.set("dead_letter.queue", "none", Source::Config);
        }
    }
    if let Some(p) = &pricing {
        s.set("pricing", p, Source::Derived);
    }
    children.push(s.child(keys::QUEUE, "aws", "sqs_queue", &queue_name, 0.0));

    let arn = component::regional_arn(&identity.region, "sqs", &queue_name);
    let kms: Vec<String> = input.kms_key_id.iter().cloned().collect();
    let with_key = |statement: String, key_actions: &[&str]| {
        if kms.is_empty() {
            statement
        } else {
            component::grants(vec![
                statement,
                component::grant("UseQueueKey", key_actions, &kms),
            ])
        }
    };
    let grants = BTreeMap::from([
        (
            "send".to_string(),
            with_key(
                component::grant(
                    "SendToQueue",
                    &[
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                        "sqs:SendMessage",
                    ],
                    std::slice::from_ref(&arn),
                ),
                &["kms:Decrypt", "kms:GenerateDataKey"],
            ),
        ),
        (
            "consume".to_string(),
            with_key(
                component::grant(
                    "ConsumeQueue",
                    &[
                        "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl",
                        "sqs:ReceiveMessage",
                    ],
                    std::slice::from_ref(&arn),
                ),
                &["kms:Decrypt"],
            ),
        ),
    ]);

    Ok(QueuePlan {
        identity,
        queue_name,
        fifo,
        visibility_timeout_seconds: visibility,
        retention_seconds: retention_days * SECONDS_PER_DAY,
        kms_key_id: input.kms_key_id.clone(),
        dead_letter: dead_letter.map(|(d, _)| d),
        grants,
        estimated_monthly_cost_usd: children.iter().map(|c| c.monthly_cost_usd).sum(),
        children,
    })
}

/// Checks every input; the errors [`plan`] would return.
pub fn validate(input: &QueueInput) -> Vec<Violation> {
    plan(input).err().unwrap_or_default()
}

/// A whole number with thousands separators: `1,000,000`.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The dead-letter retention in seconds.
pub fn dead_letter_retention_seconds() -> i64 {
    DEAD_LETTER_RETENTION_DAYS * SECONDS_PER_DAY
}

#[cfg(test)]
mod tests;
