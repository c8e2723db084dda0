//! The `platform_bucket` planner: an S3 bucket with public access always blocked, default
//! encryption, versioning per tier, lifecycle rules and CORS.
//!
//! Children, in creation order: `bucket`, `public_access_block`, `encryption`,
//! `versioning`, then `lifecycle` and `cors` when rules are given. The bucket's name is
//! `bucket_name`, or `<environment>-<name>-<8 hex digits>`: the digits hash the region,
//! environment and name, so the name is the same on every plan and unlikely to be taken
//! in S3's global namespace (when it is, the apply says so and `bucket_name` fixes it).
//!
//! Storage is usage-priced: with `expected_storage_gb` the estimate is that many GB-months
//! of S3 Standard from the dated table; without it the estimate is $0 and the bucket's
//! settings say it is usage-priced, never a silent $0.
//!
//! Guards: in production a bucket is neither destroyed nor replaced without
//! `allow_replacement = true`; a bucket holding objects is never deleted without
//! `force_destroy = true` (checked when the delete runs).

use std::collections::BTreeMap;

use super::api_service::digest;
use super::component::{self, Common, Identity};
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::tier::Tier;
use super::{Child, Settings, Source, Violation, messages, prices};
use crate::value::path::AttributePath;

/// The `platform:component` tag value of a bucket's children.
pub const COMPONENT: &str = "bucket";

/// `name`: short enough that `<environment>-<name>-<8 hex>` fits S3's 63 characters.
pub const NAME_LENGTH: IntRange = IntRange { min: 1, max: 30 };

/// S3 bucket names: 3 to 63 characters.
pub const BUCKET_NAME_LENGTH: IntRange = IntRange { min: 3, max: 63 };

/// Days in a lifecycle rule.
pub const DAYS: IntRange = IntRange {
    min: 1,
    max: 36_500,
};

/// S3 allows at most 1,000 lifecycle rules and 100 CORS rules per bucket.
pub const MAX_LIFECYCLE_RULES: usize = 1000;
/// See [`MAX_LIFECYCLE_RULES`].
pub const MAX_CORS_RULES: usize = 100;

/// The storage classes a rule transitions to, and the fewest days S3 allows before each.
pub const STORAGE_CLASSES: &[(&str, i64)] = &[
    ("STANDARD_IA", 30),
    ("ONEZONE_IA", 30),
    ("INTELLIGENT_TIERING", 0),
    ("GLACIER_IR", 0),
    ("GLACIER", 0),
    ("DEEP_ARCHIVE", 0),
];

/// The methods a CORS rule allows.
pub const CORS_METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];

/// `expected_storage_gb`.
pub const STORAGE_GB: IntRange = IntRange {
    min: 0,
    max: 10_000_000,
};

/// The expansion keys.
pub mod keys {
    /// The bucket.
    pub const BUCKET: &str = "bucket";
    /// Its public access block.
    pub const PUBLIC_ACCESS_BLOCK: &str = "public_access_block";
    /// Its default encryption.
    pub const ENCRYPTION: &str = "encryption";
    /// Its versioning.
    pub const VERSIONING: &str = "versioning";
    /// Its lifecycle rules.
    pub const LIFECYCLE: &str = "lifecycle";
    /// Its CORS rules.
    pub const CORS: &str = "cors";
}

/// One `lifecycle_rule` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleRuleInput {
    /// Objects whose key starts with this; all objects when empty.
    pub prefix: Option<String>,
    /// Days after creation an object is deleted.
    pub expire_after_days: Option<i64>,
    /// Days after creation an object moves to `storage_class`.
    pub transition_after_days: Option<i64>,
    /// The storage class it moves to.
    pub storage_class: Option<String>,
}

/// One `cors` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorsInput {
    /// Origins allowed, e.g. `https://app.example.com`.
    pub allowed_origins: Vec<String>,
    /// Methods allowed.
    pub allowed_methods: Vec<String>,
    /// Request headers allowed.
    pub allowed_headers: Vec<String>,
    /// Seconds a browser caches the preflight answer.
    pub max_age_seconds: Option<i64>,
}

/// A bucket's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe name within the environment.
    pub name: String,
    /// The bucket's global name, instead of the derived one.
    pub bucket_name: Option<String>,
    /// Keep every version of every object.
    pub versioning: Option<bool>,
    /// `AES256` (SSE-S3) or `aws:kms` (SSE-KMS).
    pub encryption: Option<String>,
    /// The KMS key ARN for `aws:kms`; without it, the account's `aws/s3` key.
    pub kms_key_id: Option<String>,
    /// The `lifecycle_rule` blocks.
    pub lifecycle_rules: Vec<LifecycleRuleInput>,
    /// The `cors` blocks.
    pub cors: Vec<CorsInput>,
    /// GB stored, for the estimate.
    pub expected_storage_gb: Option<f64>,
    /// Delete the objects with the bucket on destroy.
    pub force_destroy: Option<bool>,
    /// Allow destroying or replacing the bucket in production.
    pub allow_replacement: Option<bool>,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
}

/// A lifecycle rule as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRule {
    /// `rule-<n>`.
    pub id: String,
    /// Key prefix; empty for every object.
    pub prefix: String,
    /// Days before deletion.
    pub expire_after_days: Option<i64>,
    /// Days before the transition, and the class.
    pub transition: Option<(i64, String)>,
}

/// A CORS rule as planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsRule {
    /// Origins.
    pub allowed_origins: Vec<String>,
    /// Methods.
    pub allowed_methods: Vec<String>,
    /// Headers.
    pub allowed_headers: Vec<String>,
    /// Preflight cache seconds.
    pub max_age_seconds: Option<i64>,
}

/// The planned bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketPlan {
    /// Names, region, tier, tags.
    pub identity: Identity,
    /// The bucket's global name.
    pub bucket_name: String,
    /// `arn:<partition>:s3:::<bucket>`.
    pub arn: String,
    /// Versioning on.
    pub versioning: bool,
    /// `None`: SSE-S3; `Some(key)`: SSE-KMS with that key (`None` inside: `aws/s3`).
    pub kms: Option<Option<String>>,
    /// Lifecycle rules.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// CORS rules.
    pub cors: Vec<CorsRule>,
    /// Objects go with the bucket on destroy.
    pub force_destroy: bool,
    /// Destroy and replacement refused (production without `allow_replacement`).
    pub protected: bool,
    /// The grants by name (`read`, `read_write`).
    pub grants: BTreeMap<String, String>,
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// The derived bucket name: `<environment>-<name>-<8 hex digits of a hash of the region,
/// environment and name>`.
pub fn derived_name(region: &str, environment: &str, name: &str) -> String {
    let hash = digest(&format!("{region}/{environment}/{name}"));
    let hex = hash.rsplit(':').next().unwrap_or_default();
    format!("{environment}-{name}-{}", &hex[..8.min(hex.len())])
}

/// Why `name` is not a valid S3 bucket name, if it is not.
pub fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let len = name.len() as i64;
    if !BUCKET_NAME_LENGTH.contains(len) {
        return Some("3 to 63 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Some("lowercase letters, digits, hyphens and dots only");
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("a letter or digit first and last");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Some("no two dots, or a dot beside a hyphen");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Some("not shaped like an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") {
        return Some("no `xn--` or `sthree-` prefix and no `-s3alias` suffix (reserved by S3)");
    }
    None
}

/// Validates and expands a bucket.
pub fn plan(input: &BucketInput) -> Result<BucketPlan, Vec<Violation>> {
    let mut out = Vec::new();
    let at = AttributePath::attr;
    let common = Common {
        environment: &input.environment,
        name: &input.name,
        tags: &input.tags,
        default_tags: &input.default_tags,
    };
    let identity = component::identity(
        &common,
        "Bucket",
        COMPONENT,
        NAME_LENGTH,
        "uploads",
        &mut out,
    );
    if let Some(name) = &input.bucket_name
        && let Some(why) = bucket_name_problem(name)
    {
        out.push(messages::invalid_format(
            at("bucket_name"),
            "Invalid Bucket Name",
            name,
            &format!("an S3 bucket name: {why}"),
            "infrar-prod-uploads",
        ));
    }
    let kms = match input.encryption.as_deref() {
        None | Some("AES256") => {
            if input.kms_key_id.is_some() {
                out.push(messages::needs_companion(
                    at("kms_key_id"),
                    "kms_key_id",
                    "encryption = \"aws:kms\"",
                    "a KMS key is used only for SSE-KMS",
                ));
            }
            None
        }
        Some("aws:kms") => Some(input.kms_key_id.clone()),
        Some(other) => {
            out.push(messages::unknown_choice(
                at("encryption"),
                other,
                &["AES256", "aws:kms"],
                None,
            ));
            None
        }
    };
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
    if let Some(gb) = input.expected_storage_gb
        && !(gb >= 0.0 && gb <= STORAGE_GB.max as f64)
    {
        out.push(messages::out_of_range_as_written(
            at("expected_storage_gb"),
            &gb.to_string(),
            STORAGE_GB,
        ));
    }
    let rules = lifecycle_rules(&input.lifecycle_rules, &mut out);
    let cors = cors_rules(&input.cors, &mut out);
    let Some(identity) = identity.filter(|_| out.is_empty()) else {
        return Err(out);
    };

    let tier = identity.tier;
    let region = identity.region.clone();
    let (bucket_name, name_source) = match &input.bucket_name {
        Some(n) => (n.clone(), Source::Config),
        None => (
            derived_name(&region, &identity.environment, &identity.name),
            Source::Derived,
        ),
    };
    let arn = format!(
        "arn:{}:s3:::{bucket_name}",
        super::api_service::iam::partition(&region)
    );
    let force_destroy = input.force_destroy.unwrap_or(false);
    let allow_replacement = input.allow_replacement.unwrap_or(false);
    let protected = tier == Tier::Production && !allow_replacement;
    let (versioning, versioning_source) = component::or(
        input.versioning,
        tier.defaults().bucket_versioning,
        Source::Tier(tier),
    );
    let flag = |given: Option<bool>| {
        if given.is_some() {
            Source::Config
        } else {
            Source::Fixed
        }
    };

    let mut children = Vec::new();
    let mut b = Settings::default();
    b.set("region", &region, Source::Environment)
        .set("bucket_name", &bucket_name, name_source)
        .set("force_destroy", force_destroy, flag(input.force_destroy))
        .set(
            "allow_replacement",
            allow_replacement,
            flag(input.allow_replacement),
        );
    let storage_price = prices::region(&region).map(|r| r.s3.standard_gb_month);
    let cost = match (input.expected_storage_gb, storage_price) {
        (Some(gb), Some(price)) => {
            b.set("expected_storage_gb", gb, Source::Config).set(
                "pricing",
                format!(
                    "{gb} GB-month of S3 Standard at ${price} (price table of {}); requests and transfer are usage-priced",
                    prices::as_of()
                ),
                Source::Derived,
            );
            gb * price
        }
        (None, Some(price)) => {
            b.set(
                "pricing",
                format!(
                    "usage-priced: ${price} per GB-month of S3 Standard (price table of {}); set expected_storage_gb for an estimate",
                    prices::as_of()
                ),
                Source::Derived,
            );
            0.0
        }
        (_, None) => {
            b.set(
                "pricing",
                format!("no S3 prices for {region} in the price table"),
                Source::Derived,
            );
            0.0
        }
    };
    children.push(b.child(keys::BUCKET, "aws", "s3_bucket", &bucket_name, cost));

    let mut p = Settings::default();
    p.set(
        "blocks",
        "public ACLs, public policies, ignore public ACLs, restrict public buckets",
        Source::Fixed,
    );
    children.push(p.child(
        keys::PUBLIC_ACCESS_BLOCK,
        "aws",
        "s3_public_access_block",
        &bucket_name,
        0.0,
    ));

    let mut e = Settings::default();
    let encryption_source = flag(input.encryption.as_ref().map(|_| true));
    match &kms {
        None => {
            e.set("algorithm", "AES256", encryption_source);
        }
        Some(key) => {
            e.set("algorithm", "aws:kms", Source::Config)
                .set(
                    "kms_key",
                    key.as_deref().unwrap_or("aws/s3"),
                    if key.is_some() {
                        Source::Config
                    } else {
                        Source::Fixed
                    },
                )
                .set("bucket_key", true, Source::Fixed);
        }
    }
    children.push(e.child(
        keys::ENCRYPTION,
        "aws",
        "s3_bucket_encryption",
        &bucket_name,
        0.0,
    ));

    let mut v = Settings::default();
    v.set(
        "status",
        if versioning { "Enabled" } else { "Disabled" },
        versioning_source,
    );
    children.push(v.child(
        keys::VERSIONING,
        "aws",
        "s3_bucket_versioning",
        &bucket_name,
        0.0,
    ));

    if !rules.is_empty() {
        let mut l = Settings::default();
        for r in &rules {
            l.set(&r.id, describe_rule(r), Source::Config);
        }
        children.push(l.child(
            keys::LIFECYCLE,
            "aws",
            "s3_bucket_lifecycle",
            &bucket_name,
            0.0,
        ));
    }
    if !cors.is_empty() {
        let mut c = Settings::default();
        for (i, r) in cors.iter().enumerate() {
            c.set(&format!("rule-{i}"), describe_cors(r), Source::Config);
        }
        children.push(c.child(keys::CORS, "aws", "s3_bucket_cors", &bucket_name, 0.0));
    }

    let objects = format!("{arn}/*");
    let key_grant = |actions: &[&str]| {
        kms.clone()
            .flatten()
            .map(|key| component::grant("UseBucketKey", actions, &[key]))
    };
    let read = component::grants(
        [
            component::grant("ListBucket", &["s3:ListBucket"], std::slice::from_ref(&arn)),
            component::grant(
                "ReadObjects",
                &["s3:GetObject"],
                std::slice::from_ref(&objects),
            ),
        ]
        .into_iter()
        .chain(key_grant(&["kms:Decrypt"]))
        .collect(),
    );
    let read_write = component::grants(
        [
            component::grant("ListBucket", &["s3:ListBucket"], std::slice::from_ref(&arn)),
            component::grant(
                "ReadWriteObjects",
                &[
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:GetObject",
                    "s3:PutObject",
                ],
                std::slice::from_ref(&objects),
            ),
        ]
        .into_iter()
        .chain(key_grant(&["kms:Decrypt", "kms:GenerateDataKey"]))
        .collect(),
    );

    Ok(BucketPlan {
        bucket_name,
        arn,
        versioning,
        kms,
        lifecycle_rules: rules,
        cors,
        force_destroy,
        protected,
        grants: BTreeMap::from([
            ("read".to_string(), read),
            ("read_write".to_string(), read_write),
        ]),
        estimated_monthly_cost_usd: children.iter().map(|c| c.monthly_cost_usd).sum(),
        children,
        identity,
    })
}

/// Checks every input; the errors [`plan`] would return.
pub fn validate(input: &BucketInput) -> Vec<Violation> {
    plan(input).err().unwrap_or_default()
}

fn lifecycle_rules(input: &[LifecycleRuleInput], out: &mut Vec<Violation>) -> Vec<LifecycleRule> {
    if input.len() > MAX_LIFECYCLE_RULES {
        out.push(messages::too_many(
            AttributePath::attr("lifecycle_rule"),
            "lifecycle_rule",
            input.len(),
            MAX_LIFECYCLE_RULES,
            "S3",
        ));
    }
    let mut rules = Vec::new();
    for (i, r) in input.iter().enumerate() {
        let at = |name: &str| {
            AttributePath::attr("lifecycle_rule")
                .then_index(i)
                .then_attr(name)
        };
        let before = out.len();
        for (name, days) in [
            ("expire_after_days", r.expire_after_days),
            ("transition_after_days", r.transition_after_days),
        ] {
            if let Some(d) = days
                && !DAYS.contains(d)
            {
                out.push(messages::out_of_range(at(name), d, DAYS));
            }
        }
        if r.expire_after_days.is_none() && r.transition_after_days.is_none() {
            out.push(Violation::new(
                AttributePath::attr("lifecycle_rule").then_index(i),
                "Lifecycle Rule Does Nothing",
                format!("`lifecycle_rule[{i}]` neither expires nor moves objects. Set `expire_after_days`, or `transition_after_days` with `storage_class`."),
            ));
        }
        match (&r.transition_after_days, &r.storage_class) {
            (Some(_), None) => out.push(messages::needs_companion(
                at("transition_after_days"),
                "transition_after_days",
                "storage_class",
                "a transition moves objects to a storage class, e.g. `storage_class = \"GLACIER_IR\"`",
            )),
            (None, Some(_)) => out.push(messages::needs_companion(
                at("storage_class"),
                "storage_class",
                "transition_after_days",
                "the days after which objects move to that class",
            )),
            (Some(days), Some(class)) => match STORAGE_CLASSES.iter().find(|(c, _)| c == class) {
                None => out.push(messages::unknown_choice(
                    at("storage_class"),
                    class,
                    &STORAGE_CLASSES.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
                    None,
                )),
                Some((_, min)) if days < min => out.push(Violation::new(
                    at("transition_after_days"),
                    "Transition Too Early",
                    format!("S3 moves objects to {class} no sooner than {min} days after creation, but `transition_after_days` is {days}. Use {min} or more, or another storage class."),
                )),
                _ => {}
            },
            (None, None) => {}
        }
        if let (Some(e), Some(t)) = (r.expire_after_days, r.transition_after_days)
            && e <= t
        {
            out.push(Violation::new(
                at("expire_after_days"),
                "Expiry Before Transition",
                format!("Objects would expire after {e} days, before or when they move after {t}. Expire later than the transition, or remove the transition."),
            ));
        }
        if out.len() == before {
            rules.push(LifecycleRule {
                id: format!("rule-{i}"),
                prefix: r.prefix.clone().unwrap_or_default(),
                expire_after_days: r.expire_after_days,
                transition: r.transition_after_days.zip(r.storage_class.clone()),
            });
        }
    }
    rules
}

fn cors_rules(input: &[CorsInput], out: &mut Vec<Violation>) -> Vec<CorsRule> {
    if input.len() > MAX_CORS_RULES {
        out.push(messages::too_many(
            AttributePath::attr("cors"),
            "cors",
            input.len(),
            MAX_CORS_RULES,
            "S3",
        ));
    }
    let mut rules = Vec::new();
    for (i, r) in input.iter().enumerate() {
        let at = |name: &str| AttributePath::attr("cors").then_index(i).then_attr(name);
        let before = out.len();
        if r.allowed_origins.is_empty() {
            out.push(messages::empty_list(
                at("allowed_origins"),
                "allowed_origins",
                "a CORS rule answers requests from these origins, e.g. `[\"https://app.example.com\"]`",
            ));
        }
        if r.allowed_methods.is_empty() {
            out.push(messages::empty_list(
                at("allowed_methods"),
                "allowed_methods",
                "a CORS rule allows these methods, e.g. `[\"GET\", \"PUT\"]`",
            ));
        }
        for (j, m) in r.allowed_methods.iter().enumerate() {
            if !CORS_METHODS.contains(&m.as_str()) {
                out.push(messages::unknown_choice(
                    at("allowed_methods").then_index(j),
                    m,
                    CORS_METHODS,
                    None,
                ));
            }
        }
        if out.len() == before {
            rules.push(CorsRule {
                allowed_origins: r.allowed_origins.clone(),
                allowed_methods: r.allowed_methods.clone(),
                allowed_headers: r.allowed_headers.clone(),
                max_age_seconds: r.max_age_seconds,
            });
        }
    }
    rules
}

/// A lifecycle rule in words: `prefix "logs/": to GLACIER after 30 days; expire after 365 days`.
pub fn describe_rule(r: &LifecycleRule) -> String {
    let mut parts = Vec::new();
    if let Some((days, class)) = &r.transition {
        parts.push(format!("to {class} after {days} days"));
    }
    if let Some(days) = r.expire_after_days {
        parts.push(format!("expire after {days} days"));
    }
    let scope = if r.prefix.is_empty() {
        "every object".to_string()
    } else {
        format!("prefix {:?}", r.prefix)
    };
    format!("{scope}: {}", parts.join("; "))
}

/// A CORS rule in words.
pub fn describe_cors(r: &CorsRule) -> String {
    let mut text = format!(
        "{} from {}",
        r.allowed_methods.join(", "),
        r.allowed_origins.join(", ")
    );
    if !r.allowed_headers.is_empty() {
        text.push_str(&format!("; headers {}", r.allowed_headers.join(", ")));
    }
    if let Some(s) = r.max_age_seconds {
        text.push_str(&format!("; max age {s} s"));
    }
    text
}

#[cfg(test)]
mod tests;
