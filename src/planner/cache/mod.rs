//! The `platform_cache` planner: Redis OSS or Valkey on ElastiCache, a replication group in
//! the environment's subnets, always encrypted at rest and in transit, with an auth token
//! the provider generates into a Secrets Manager secret (never into state).
//!
//! Children, in creation order: `auth_secret` (`<environment>/<name>-cache-auth`),
//! `security_group` (`<environment>-<name>-cache`, admitting the environment's service
//! security groups on 6379), `subnet_group`, `parameter_group` (when `maxmemory_policy` or
//! `parameters` differ from the engine family's defaults; the default `allkeys-lru` does),
//! `replication_group` (`<environment>-<name>`). Node type, replicas, Multi-AZ, snapshot
//! retention and the final snapshot on destroy come from the tier unless configured.
//!
//! Cost: the node-hour price of the node type × (1 + replicas) × 730 hours, from the dated
//! table (Valkey at its factor of the Redis OSS price), plus the auth secret's month.
//! Production: a change that replaces the cache is refused unless `allow_replacement`.

use std::collections::BTreeMap;

use super::component::{self, Common, Identity};
use super::environment::EnvironmentContext;
use super::limits::IntRange;
use super::tier::Tier;
use super::{Child, Settings, Source, Violation, messages, prices};
use crate::value::path::AttributePath;

/// The `platform:component` tag value of a cache's children.
pub const COMPONENT: &str = "cache";

/// `name`: `<environment>-<name>` fits ElastiCache's 40-character replication group IDs.
pub const NAME_LENGTH: IntRange = IntRange { min: 1, max: 19 };

/// The port every cache listens on.
pub const PORT: i64 = 6379;

/// `replicas`: ElastiCache allows up to 5 read replicas per primary.
pub const REPLICAS: IntRange = IntRange { min: 0, max: 5 };

/// `snapshot_retention_days`: 0 (none) to 35.
pub const SNAPSHOT_RETENTION_DAYS: IntRange = IntRange { min: 0, max: 35 };

/// The eviction policy unless `maxmemory_policy` says: a cache evicts the least recently
/// used key rather than refuse writes (the engines' own default, `volatile-lru`, evicts
/// only keys with a TTL).
pub const DEFAULT_MAXMEMORY_POLICY: &str = "allkeys-lru";

/// The engine family's own eviction policy.
pub const FAMILY_MAXMEMORY_POLICY: &str = "volatile-lru";

/// The eviction policies the engines take.
pub const MAXMEMORY_POLICIES: &[&str] = &[
    "volatile-lru",
    "allkeys-lru",
    "volatile-lfu",
    "allkeys-lfu",
    "volatile-random",
    "allkeys-random",
    "volatile-ttl",
    "noeviction",
];

/// Engine versions offered, with their parameter group family: (engine, version, family).
pub const VERSIONS: &[(&str, &str, &str)] = &[
    ("redis", "6.2", "redis6.x"),
    ("redis", "7.0", "redis7"),
    ("redis", "7.1", "redis7"),
    ("valkey", "7.2", "valkey7"),
    ("valkey", "8.0", "valkey8"),
    ("valkey", "8.1", "valkey8"),
];

/// The version an engine gets unless `engine_version` says: the newest offered.
pub fn default_version(engine: &str) -> &'static str {
    VERSIONS
        .iter()
        .rev()
        .find(|(e, _, _)| *e == engine)
        .map(|(_, v, _)| *v)
        .unwrap_or("7.1")
}

/// Node types by memory (GiB), smallest first: what `size` picks from.
pub const NODE_MEMORY_GIB: &[(&str, f64)] = &[
    ("cache.t3.micro", 0.5),
    ("cache.t3.small", 1.37),
    ("cache.t3.medium", 3.09),
    ("cache.m6g.large", 6.38),
    ("cache.r6g.large", 13.07),
    ("cache.r6g.xlarge", 26.32),
];

/// The expansion keys.
pub mod keys {
    /// The secret holding the auth token.
    pub const AUTH_SECRET: &str = "auth_secret";
    /// The security group.
    pub const SECURITY_GROUP: &str = "security_group";
    /// The subnet group.
    pub const SUBNET_GROUP: &str = "subnet_group";
    /// The parameter group.
    pub const PARAMETER_GROUP: &str = "parameter_group";
    /// The replication group.
    pub const REPLICATION_GROUP: &str = "replication_group";
}

/// A cache's configuration, as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheInput {
    /// The environment's exported `context`.
    pub environment: EnvironmentContext,
    /// DNS-safe name; the replication group is `<environment>-<name>`.
    pub name: String,
    /// `redis` or `valkey`.
    pub engine: Option<String>,
    /// `7.1`, `8.0`, …
    pub engine_version: Option<String>,
    /// Memory as written (`1GB`): the smallest node type with at least that much.
    pub size: Option<String>,
    /// An ElastiCache node type.
    pub node_type: Option<String>,
    /// Read replicas.
    pub replicas: Option<i64>,
    /// Automatic failover to a replica in another AZ.
    pub multi_az: Option<bool>,
    /// Days of automatic snapshots.
    pub snapshot_retention_days: Option<i64>,
    /// The eviction policy.
    pub maxmemory_policy: Option<String>,
    /// Other engine parameters.
    pub parameters: BTreeMap<String, String>,
    /// Allow replacing a production cache.
    pub allow_replacement: Option<bool>,
    /// The resource's own tags.
    pub tags: BTreeMap<String, String>,
    /// The provider's `default_tags`.
    pub default_tags: BTreeMap<String, String>,
}

/// The planned cache.
#[derive(Debug, Clone, PartialEq)]
pub struct CachePlan {
    /// Names, region, tier, tags.
    pub identity: Identity,
    /// `<environment>-<name>`: replication group, subnet group, parameter group.
    pub id: String,
    /// `redis` or `valkey`.
    pub engine: String,
    /// The engine version.
    pub engine_version: String,
    /// The parameter group family, e.g. `redis7`.
    pub family: String,
    /// The node type.
    pub node_type: String,
    /// Read replicas.
    pub replicas: i64,
    /// Multi-AZ with automatic failover.
    pub multi_az: bool,
    /// Days of snapshots.
    pub snapshot_retention_days: i64,
    /// A snapshot before destroy.
    pub final_snapshot: bool,
    /// The parameters of the parameter group; `None` when the family's defaults do.
    pub parameters: Option<BTreeMap<String, String>>,
    /// The secret holding the auth token.
    pub auth_secret_name: String,
    /// The security group's name.
    pub security_group_name: String,
    /// The subnets.
    pub subnet_ids: Vec<String>,
    /// The security groups admitted on the port: the environment's services'.
    pub admitted_security_groups: Vec<String>,
    /// A change replacing it is refused (production without `allow_replacement`).
    pub protected: bool,
    /// The grants by name (`connect`).
    pub grants: BTreeMap<String, String>,
    /// The expansion, in creation order.
    pub children: Vec<Child>,
    /// Sum of the children's monthly costs.
    pub estimated_monthly_cost_usd: f64,
}

/// The smallest node type with at least `gib` of memory.
pub fn node_for_memory(gib: f64) -> Option<&'static str> {
    NODE_MEMORY_GIB
        .iter()
        .find(|(_, m)| *m >= gib)
        .map(|(n, _)| *n)
}

/// Memory as people write it (`512MB`, `1GB`, `1.5 GiB`), in GiB.
fn parse_memory(text: &str) -> Option<f64> {
    let t = text.trim().to_ascii_lowercase().replace(' ', "");
    let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = number.parse().ok()?;
    let gib = match unit {
        "" | "gb" | "gib" | "g" => n,
        "mb" | "mib" | "m" => n / 1024.0,
        _ => return None,
    };
    (gib > 0.0).then_some(gib)
}

/// Validates and expands a cache.
pub fn plan(input: &CacheInput) -> Result<CachePlan, Vec<Violation>> {
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
        "Cache",
        COMPONENT,
        NAME_LENGTH,
        "sessions",
        &mut out,
    );
    let network = &input.environment.network;
    if network.subnet_ids.is_empty() {
        out.push(Violation::new(
            at("environment"),
            "Environment Has No Network",
            format!(
                "A cache runs in its environment's subnets and admits its services' security groups, but environment `{}` has no `network` block. Add `network {{ subnet_ids = [...], security_group_ids = [...] }}` to the environment.",
                input.environment.name
            ),
        ));
    }
    let engine = input.engine.clone().unwrap_or_else(|| "redis".into());
    if !["redis", "valkey"].contains(&engine.as_str()) {
        out.push(messages::unknown_choice(
            at("engine"),
            &engine,
            &["redis", "valkey"],
            None,
        ));
    }
    let version = input
        .engine_version
        .clone()
        .unwrap_or_else(|| default_version(&engine).to_string());
    let family = VERSIONS
        .iter()
        .find(|(e, v, _)| *e == engine && *v == version)
        .map(|(_, _, f)| f.to_string());
    if family.is_none() && out.iter().all(|v| v.path != at("engine")) {
        let offered: Vec<&str> = VERSIONS
            .iter()
            .filter(|(e, _, _)| *e == engine)
            .map(|(_, v, _)| *v)
            .collect();
        out.push(messages::unknown_choice(
            at("engine_version"),
            &version,
            &offered,
            None,
        ));
    }
    if input.size.is_some() && input.node_type.is_some() {
        out.push(Violation::new(
            at("size"),
            "Size Given Twice",
            "`size` picks a node type by memory and `node_type` names one. Remove one of them.",
        ));
    }
    let sized = match &input.size {
        Some(text) => match parse_memory(text).map(|g| (g, node_for_memory(g))) {
            Some((_, Some(node))) => Some(node.to_string()),
            Some((gib, None)) => {
                out.push(Violation::new(
                    at("size"),
                    "Size Too Large",
                    format!("`size` asks for {gib} GiB, more than the largest node offered here ({} GiB, cache.r6g.xlarge). Set `node_type` to a larger node type.", NODE_MEMORY_GIB.last().map_or(0.0, |(_, m)| *m)),
                ));
                None
            }
            None => {
                out.push(messages::invalid_format(
                    at("size"),
                    "Invalid Size",
                    text,
                    "memory with its unit, e.g. `1GB` or `512MB`",
                    "1GB",
                ));
                None
            }
        },
        None => None,
    };
    if let Some(n) = &input.node_type
        && !(n.starts_with("cache.") && n.split('.').count() == 3)
    {
        out.push(messages::invalid_format(
            at("node_type"),
            "Invalid Node Type",
            n,
            "an ElastiCache node type, `cache.<family>.<size>`",
            "cache.t4g.small",
        ));
    }
    for (name, value, range) in [
        ("replicas", input.replicas, REPLICAS),
        (
            "snapshot_retention_days",
            input.snapshot_retention_days,
            SNAPSHOT_RETENTION_DAYS,
        ),
    ] {
        if let Some(v) = value
            && !range.contains(v)
        {
            out.push(messages::out_of_range(at(name), v, range));
        }
    }
    if input.multi_az == Some(true) && input.replicas == Some(0) {
        out.push(Violation::new(
            at("multi_az"),
            "Multi-AZ Needs A Replica",
            "`multi_az = true` fails over to a replica, and `replicas = 0`. Set `replicas = 1` or more, or `multi_az = false`.",
        ));
    }
    let policy = input
        .maxmemory_policy
        .clone()
        .unwrap_or_else(|| DEFAULT_MAXMEMORY_POLICY.into());
    if !MAXMEMORY_POLICIES.contains(&policy.as_str()) {
        out.push(messages::unknown_choice(
            at("maxmemory_policy"),
            &policy,
            MAXMEMORY_POLICIES,
            None,
        ));
    }
    if input.parameters.contains_key("maxmemory-policy") {
        out.push(Violation::new(
            at("parameters").then_key("maxmemory-policy"),
            "Eviction Policy Given Twice",
            "Set the eviction policy with `maxmemory_policy`, not in `parameters`.",
        ));
    }
    let Some(identity) = identity.filter(|_| out.is_empty()) else {
        return Err(out);
    };
    let family = family.unwrap_or_default();
    let tier = identity.tier;
    let d = tier.defaults();
    let id = identity.cloud_name.clone();

    let (node_type, node_source) = match (&input.node_type, sized) {
        (Some(n), _) => (n.clone(), Source::Config),
        (None, Some(n)) => (n, Source::Derived),
        (None, None) => (d.cache_node_type.to_string(), Source::Tier(tier)),
    };
    let (replicas, replicas_source) =
        component::or(input.replicas, d.cache_replicas, Source::Tier(tier));
    let (multi_az, multi_az_source) = match input.multi_az {
        Some(m) => (m, Source::Config),
        // The tier's Multi-AZ needs a replica to fail over to; configured without one,
        // there is none.
        None if replicas == 0 && d.cache_multi_az => (false, Source::Derived),
        None => (d.cache_multi_az, Source::Tier(tier)),
    };
    let (retention, retention_source) = component::or(
        input.snapshot_retention_days,
        d.cache_snapshot_retention_days,
        Source::Tier(tier),
    );
    let final_snapshot = d.cache_final_snapshot;
    let mut parameters = input.parameters.clone();
    parameters.insert("maxmemory-policy".into(), policy.clone());
    let custom = policy != FAMILY_MAXMEMORY_POLICY
        || input.parameters.keys().any(|k| k != "maxmemory-policy");
    let parameters = custom.then_some(parameters);

    let auth_secret_name = format!("{}/{}-cache-auth", identity.environment, identity.name);
    let security_group_name = format!("{id}-cache");
    let subnet_ids = network.subnet_ids.clone();
    let admitted = network.security_group_ids.clone();
    let region = identity.region.clone();

    let mut children = Vec::new();
    let secret_cost = prices::secret_monthly(&region).unwrap_or(0.0);
    let mut s = Settings::default();
    s.set(
        "value",
        "auth token generated by the provider at create (64 letters and digits)",
        Source::Fixed,
    )
    .set("recovery_window_days", 0, Source::Fixed);
    children.push(s.child(
        keys::AUTH_SECRET,
        "aws",
        "secretsmanager_secret",
        &auth_secret_name,
        secret_cost,
    ));

    let mut g = Settings::default();
    g.set(
        "admits",
        format!("tcp/{PORT} from {}", admitted.join(", ")),
        Source::Environment,
    );
    children.push(g.child(
        keys::SECURITY_GROUP,
        "aws",
        "ec2_security_group",
        &security_group_name,
        0.0,
    ));

    let mut n = Settings::default();
    n.set("subnet_ids", subnet_ids.join(","), Source::Environment);
    children.push(n.child(
        keys::SUBNET_GROUP,
        "aws",
        "elasticache_subnet_group",
        &id,
        0.0,
    ));

    if let Some(params) = &parameters {
        let mut p = Settings::default();
        p.set("family", &family, Source::Derived);
        for (k, v) in params {
            let source = if k == "maxmemory-policy" && input.maxmemory_policy.is_none() {
                Source::Fixed
            } else {
                Source::Config
            };
            p.set(&format!("parameter.{k}"), v, source);
        }
        children.push(p.child(
            keys::PARAMETER_GROUP,
            "aws",
            "elasticache_parameter_group",
            &id,
            0.0,
        ));
    }

    let node_month = prices::cache_node_monthly(&region, &engine, &node_type);
    let nodes = 1 + replicas;
    let cost = node_month.map_or(0.0, |m| m * nodes as f64);
    let mut r = Settings::default();
    r.set(
        "engine",
        &engine,
        if input.engine.is_some() {
            Source::Config
        } else {
            Source::Fixed
        },
    )
    .set(
        "engine_version",
        &version,
        if input.engine_version.is_some() {
            Source::Config
        } else {
            Source::Fixed
        },
    )
    .set("node_type", &node_type, node_source)
    .set("replicas", replicas, replicas_source)
    .set("multi_az", multi_az, multi_az_source)
    .set("snapshot_retention_days", retention, retention_source)
    .set("final_snapshot", final_snapshot, Source::Tier(tier))
    .set("encryption_at_rest", true, Source::Fixed)
    .set("encryption_in_transit", true, Source::Fixed)
    .set(
        "auth_token",
        format!("from {auth_secret_name}"),
        Source::Derived,
    )
    .set("port", PORT, Source::Fixed)
    .set(
        "parameter_group",
        if parameters.is_some() {
            id.clone()
        } else {
            format!("default.{family}")
        },
        Source::Derived,
    );
    match node_month {
        Some(m) => r.set(
            "pricing",
            format!(
                "{nodes} node(s) × ${:.2} a month (price table of {})",
                m,
                prices::as_of()
            ),
            Source::Derived,
        ),
        None => r.set(
            "pricing",
            format!("no price for {node_type} in {region} in the price table"),
            Source::Derived,
        ),
    };
    children.push(r.child(
        keys::REPLICATION_GROUP,
        "aws",
        "elasticache_replication_group",
        &id,
        cost,
    ));

    let secret_arn = component::regional_arn(
        &region,
        "secretsmanager",
        &format!("secret:{auth_secret_name}-??????"),
    );
    let grants = BTreeMap::from([(
        "connect".to_string(),
        component::grant(
            "ReadCacheAuthToken",
            &[
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
            ],
            &[secret_arn],
        ),
    )]);
    let protected = tier == Tier::Production && !input.allow_replacement.unwrap_or(false);
    Ok(CachePlan {
        id,
        engine,
        engine_version: version,
        family,
        node_type,
        replicas,
        multi_az,
        snapshot_retention_days: retention,
        final_snapshot,
        parameters,
        auth_secret_name,
        security_group_name,
        subnet_ids,
        admitted_security_groups: admitted,
        protected,
        grants,
        estimated_monthly_cost_usd: children.iter().map(|c| c.monthly_cost_usd).sum(),
        children,
        identity,
    })
}

/// Checks every input; the errors [`plan`] would return.
pub fn validate(input: &CacheInput) -> Vec<Violation> {
    plan(input).err().unwrap_or_default()
}

#[cfg(test)]
mod tests;
