//! The dated price tables (`data/prices/aws.json`, `fly.json`, `cloudflare.json`) and
//! lookups into them.
//!
//! Prices are data, not code, so a price update is a reviewed change to one JSON file
//! with its date, sources and uncertainty notes beside the figures. The file is compiled
//! in and parsed once; every lookup returns `None` for a region or instance class the
//! table does not cover, so callers can say "no estimate" instead of guessing.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// Hours in a month for monthly estimates: 365 × 24 / 12, AWS's own convention.
pub const HOURS_PER_MONTH: f64 = 730.0;

const AWS_PRICES_JSON: &str = include_str!("../../data/prices/aws.json");

/// The whole price table: when it was taken, from where, and the figures per region.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The date the figures were taken, `YYYY-MM-DD`.
    pub as_of: String,
    /// The currency of every figure.
    pub currency: String,
    /// Where the figures come from, in a sentence or two.
    pub source: String,
    /// Pricing rules that apply in every region.
    pub rules: PriceRules,
    /// Figures per AWS region code.
    pub regions: BTreeMap<String, RegionPrices>,
}

/// Pricing rules that apply in every region.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRules {
    /// Multiplier from a Single-AZ to a Multi-AZ (one standby) RDS price.
    pub multi_az_factor: f64,
    /// The Multi-AZ rule in words.
    pub multi_az: String,
    /// Share of provisioned storage that RDS backup storage gets for free.
    pub backup_free_fraction_of_provisioned: f64,
    /// The backup rule in words.
    pub backup_storage: String,
    /// How Fargate Spot is priced, in words.
    pub fargate_spot: String,
    /// How an ECS cluster is priced, in words.
    pub ecs_cluster: String,
    /// How an Application Load Balancer is priced, in words.
    pub alb: String,
    /// How S3 storage is priced, in words.
    pub s3: String,
    /// How SQS is priced, in words.
    pub sqs: String,
    /// How Secrets Manager is priced, in words.
    pub secretsmanager: String,
    /// How ElastiCache is priced, in words.
    pub elasticache: String,
}

/// The figures for one region.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionPrices {
    /// Where each figure comes from and how sure it is.
    pub notes: Vec<String>,
    /// Amazon ECS.
    pub ecs: EcsPrices,
    /// Elastic Load Balancing.
    pub elbv2: ElbPrices,
    /// AWS Fargate, Linux on x86.
    pub fargate: FargatePrices,
    /// Amazon RDS for PostgreSQL, on-demand.
    pub rds_postgresql: RdsPrices,
    /// Amazon S3.
    pub s3: S3Prices,
    /// Amazon SQS.
    pub sqs: SqsPrices,
    /// AWS Secrets Manager.
    pub secretsmanager: SecretsManagerPrices,
    /// Amazon ElastiCache, node-based.
    pub elasticache: ElastiCachePrices,
}

/// Amazon ElastiCache node-based prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElastiCachePrices {
    /// Redis OSS on-demand price per node-hour, by node type.
    pub redis_node_hour: BTreeMap<String, f64>,
    /// The fraction of the Redis OSS price a Valkey node costs.
    pub valkey_factor: f64,
}

/// Amazon S3 prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Prices {
    /// S3 Standard storage per GB-month (first 50 TB).
    pub standard_gb_month: f64,
}

/// Amazon SQS prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqsPrices {
    /// Per million requests to standard queues.
    pub standard_per_million_requests: f64,
    /// Per million requests to FIFO queues.
    pub fifo_per_million_requests: f64,
    /// Requests a month free per account.
    pub free_requests_month: f64,
}

/// AWS Secrets Manager prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsManagerPrices {
    /// Per secret per month.
    pub secret_month: f64,
    /// Per 10,000 API calls.
    pub per_10k_api_calls: f64,
}

/// Amazon ECS prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcsPrices {
    /// Monthly charge for a cluster itself (zero: tasks are billed, not clusters).
    pub cluster_month: f64,
}

/// Elastic Load Balancing prices for an Application Load Balancer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElbPrices {
    /// Per hour an ALB exists.
    pub alb_hour: f64,
    /// Per LCU-hour (traffic; usage-priced, not estimated).
    pub lcu_hour: f64,
}

/// AWS Fargate on-demand prices for Linux on x86.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FargatePrices {
    /// Per vCPU per hour.
    pub linux_x86_vcpu_hour: f64,
    /// Per GB of memory per hour.
    pub linux_x86_gb_hour: f64,
    /// Fraction of the on-demand price that Fargate Spot costs.
    pub spot_price_factor: f64,
}

/// Amazon RDS for PostgreSQL on-demand prices.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsPrices {
    /// Single-AZ instance-hour price per instance class.
    pub instance_hour_single_az: BTreeMap<String, f64>,
    /// gp3 storage per GB-month, Single-AZ.
    pub gp3_gb_month_single_az: f64,
    /// Backup storage beyond the free allowance, per GB-month.
    pub backup_gb_month: f64,
}

/// S3 Standard storage of `gb` for a month in `region_code`.
pub fn s3_standard_monthly(region_code: &str, gb: f64) -> Option<f64> {
    region(region_code).map(|r| r.s3.standard_gb_month * gb)
}

/// SQS prices in `region_code`.
pub fn sqs(region_code: &str) -> Option<&'static SqsPrices> {
    region(region_code).map(|r| &r.sqs)
}

/// One cache node of `node_type` running `engine` (`redis` or `valkey`) for a month.
pub fn cache_node_monthly(region_code: &str, engine: &str, node_type: &str) -> Option<f64> {
    let p = &region(region_code)?.elasticache;
    let hour = p.redis_node_hour.get(node_type)?;
    let factor = if engine == "valkey" {
        p.valkey_factor
    } else {
        1.0
    };
    Some(hour * factor * HOURS_PER_MONTH)
}

/// One secret for a month in `region_code`.
pub fn secret_monthly(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.secretsmanager.secret_month)
}

/// The price table, parsed on first use.
pub fn table() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The JSON is compiled in and a unit test parses it, so this cannot fail in a
        // build whose tests passed.
        serde_json::from_str(AWS_PRICES_JSON).expect("data/prices/aws.json must parse")
    })
}

/// The date the figures were taken, `YYYY-MM-DD`, for notes that quote the table.
pub fn as_of() -> &'static str {
    &table().as_of
}

/// The figures for `region`, if the table covers it.
pub fn region(region: &str) -> Option<&'static RegionPrices> {
    table().regions.get(region)
}

/// Monthly charge for an ECS cluster itself.
pub fn ecs_cluster_month(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.ecs.cluster_month)
}

/// An Application Load Balancer's monthly charge for existing (LCUs excluded: they follow
/// traffic).
pub fn alb_monthly(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.elbv2.alb_hour * HOURS_PER_MONTH)
}

/// Fargate (Linux/x86, on-demand) price per vCPU-hour.
pub fn fargate_vcpu_hour(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.fargate.linux_x86_vcpu_hour)
}

/// Fargate (Linux/x86, on-demand) price per GB-hour of memory.
pub fn fargate_gb_hour(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.fargate.linux_x86_gb_hour)
}

/// Fraction of the on-demand Fargate price that Fargate Spot costs.
pub fn fargate_spot_factor(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.fargate.spot_price_factor)
}

/// Monthly price of one Fargate task running all month.
pub fn fargate_task_monthly(
    region_code: &str,
    vcpu: f64,
    memory_gb: f64,
    spot: bool,
) -> Option<f64> {
    let f = &region(region_code)?.fargate;
    let hourly = vcpu * f.linux_x86_vcpu_hour + memory_gb * f.linux_x86_gb_hour;
    let factor = if spot { f.spot_price_factor } else { 1.0 };
    Some(hourly * factor * HOURS_PER_MONTH)
}

/// RDS for PostgreSQL Single-AZ on-demand price per instance-hour.
pub fn rds_instance_hourly(region_code: &str, instance_class: &str) -> Option<f64> {
    region(region_code)?
        .rds_postgresql
        .instance_hour_single_az
        .get(instance_class)
        .copied()
}

/// RDS gp3 storage price per GB-month, Single-AZ.
pub fn rds_gp3_gb_month(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.rds_postgresql.gp3_gb_month_single_az)
}

/// RDS backup storage price per GB-month beyond the free allowance.
pub fn rds_backup_gb_month(region_code: &str) -> Option<f64> {
    region(region_code).map(|r| r.rds_postgresql.backup_gb_month)
}

/// Multiplier from a Single-AZ to a Multi-AZ RDS price.
pub fn multi_az_factor() -> f64 {
    table().rules.multi_az_factor
}

fn deployment_factor(multi_az: bool) -> f64 {
    if multi_az { multi_az_factor() } else { 1.0 }
}

/// Monthly instance price of an RDS for PostgreSQL DB instance.
pub fn rds_instance_monthly(
    region_code: &str,
    instance_class: &str,
    multi_az: bool,
) -> Option<f64> {
    let hourly = rds_instance_hourly(region_code, instance_class)?;
    Some(hourly * deployment_factor(multi_az) * HOURS_PER_MONTH)
}

/// Monthly price of an RDS DB instance's gp3 storage.
pub fn rds_gp3_monthly(region_code: &str, storage_gb: f64, multi_az: bool) -> Option<f64> {
    Some(rds_gp3_gb_month(region_code)? * storage_gb * deployment_factor(multi_az))
}

/// Monthly price of RDS backup storage, after the free allowance of
/// `provisioned_gb` × the free fraction.
pub fn rds_backup_monthly(region_code: &str, backup_gb: f64, provisioned_gb: f64) -> Option<f64> {
    let free = provisioned_gb * table().rules.backup_free_fraction_of_provisioned;
    Some((backup_gb - free).max(0.0) * rds_backup_gb_month(region_code)?)
}

// ---- Fly.io Machines ---------------------------------------------------------------------

const FLY_PRICES_JSON: &str = include_str!("../../data/prices/fly.json");

/// Fly.io Machine prices (`data/prices/fly.json`): when, from where, and the rates.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlyPriceTable {
    /// The date the figures were taken, `YYYY-MM-DD`.
    pub as_of: String,
    /// The currency of every figure.
    pub currency: String,
    /// Where the figures come from.
    pub source: String,
    /// How sure each figure is and what it leaves out.
    pub notes: Vec<String>,
    /// Rates for a started Machine.
    pub machines: FlyMachinePrices,
    /// Fly's own monthly prices for some presets, which the rates must reproduce.
    pub published_presets: Vec<FlyPublishedPreset>,
}

/// Monthly rates for a Machine running all month.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlyMachinePrices {
    /// Per shared CPU per month.
    pub shared_cpu_month: f64,
    /// Per performance CPU per month.
    pub performance_cpu_month: f64,
    /// Per GB of memory per month.
    pub memory_gb_month: f64,
}

/// One published preset price.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlyPublishedPreset {
    /// The preset name, e.g. `shared-cpu-1x`.
    pub size: String,
    /// The preset's memory in MB.
    pub memory_mb: u32,
    /// Fly's monthly price for it.
    pub month: f64,
}

/// The Fly.io price table, parsed on first use.
pub fn fly_table() -> &'static FlyPriceTable {
    static TABLE: OnceLock<FlyPriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Compiled in and parsed by a unit test, like the AWS table.
        serde_json::from_str(FLY_PRICES_JSON).expect("data/prices/fly.json must parse")
    })
}

/// Monthly price of one Fly.io Machine with `cpus` CPUs of `cpu_kind` (`shared` or
/// `performance`) and `memory_mb` of memory, running all month; `None` for another kind.
pub fn fly_machine_monthly(cpu_kind: &str, cpus: u32, memory_mb: u32) -> Option<f64> {
    let rates = &fly_table().machines;
    let per_cpu = match cpu_kind {
        "shared" => rates.shared_cpu_month,
        "performance" => rates.performance_cpu_month,
        _ => return None,
    };
    Some(f64::from(cpus) * per_cpu + f64::from(memory_mb) / 1024.0 * rates.memory_gb_month)
}

// ---- Cloudflare Workers ------------------------------------------------------------------

const CLOUDFLARE_PRICES_JSON: &str = include_str!("../../data/prices/cloudflare.json");

/// Cloudflare Workers prices (`data/prices/cloudflare.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudflarePriceTable {
    /// The date the figures were taken, `YYYY-MM-DD`.
    pub as_of: String,
    /// The currency of every figure.
    pub currency: String,
    /// Where the figures come from.
    pub source: String,
    /// How sure each figure is and what it leaves out.
    pub notes: Vec<String>,
    /// The Workers Paid plan, Standard usage model.
    pub workers_paid: WorkersPaidPrices,
}

/// The Workers Paid plan: a monthly base with included usage, then usage rates.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersPaidPrices {
    /// Monthly base charge per account.
    pub base_month: f64,
    /// Requests per month included in the base.
    pub included_requests_month: f64,
    /// Per million requests beyond the included ones.
    pub requests_per_million: f64,
    /// CPU milliseconds per month included in the base.
    pub included_cpu_ms_month: f64,
    /// Per million CPU milliseconds beyond the included ones.
    pub cpu_ms_per_million: f64,
}

/// The Cloudflare price table, parsed on first use.
pub fn cloudflare_table() -> &'static CloudflarePriceTable {
    static TABLE: OnceLock<CloudflarePriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(CLOUDFLARE_PRICES_JSON)
            .expect("data/prices/cloudflare.json must parse")
    })
}

/// The Workers Paid plan's monthly base charge (per account, not per Worker).
pub fn workers_paid_base_month() -> f64 {
    cloudflare_table().workers_paid.base_month
}

/// Monthly Workers Paid cost of an account serving `requests` requests using
/// `cpu_ms` CPU milliseconds in total in a month.
pub fn workers_paid_monthly(requests: f64, cpu_ms: f64) -> f64 {
    let p = &cloudflare_table().workers_paid;
    let extra_requests = (requests - p.included_requests_month).max(0.0);
    let extra_cpu_ms = (cpu_ms - p.included_cpu_ms_month).max(0.0);
    p.base_month
        + extra_requests / 1e6 * p.requests_per_million
        + extra_cpu_ms / 1e6 * p.cpu_ms_per_million
}

// ---- Static sites: Cloudflare Pages, Vercel, Cloudflare Access ------------------------------

const SITE_PRICES_JSON: &str = include_str!("../../data/prices/sites.json");

/// The plans a static site is priced on (`data/prices/sites.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePriceTable {
    /// The date the figures were taken, `YYYY-MM-DD`.
    pub as_of: String,
    /// The currency of every figure.
    pub currency: String,
    /// Where the figures come from.
    pub source: String,
    /// How sure each figure is and what it leaves out.
    pub notes: Vec<String>,
    /// Cloudflare plans a Pages site is served on.
    pub cloudflare_pages: PagesPrices,
    /// Vercel plans.
    pub vercel: VercelPrices,
    /// Cloudflare Access (Zero Trust) seats.
    pub cloudflare_access: AccessPrices,
}

/// Cloudflare plans, as they bear on a Pages site.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagesPrices {
    /// The Free plan, a month.
    pub free_month: f64,
    /// The Pro plan, a month, billed annually.
    pub pro_month: f64,
}

/// Vercel plans.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VercelPrices {
    /// Hobby, a month.
    pub hobby_month: f64,
    /// Pro, per deploying seat a month.
    pub pro_seat_month: f64,
}

/// Cloudflare Access seats.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPrices {
    /// Users Zero Trust Free covers.
    pub free_users: u32,
    /// Standard, per user a month.
    pub standard_user_month: f64,
}

/// The site price table, parsed on first use.
pub fn site_table() -> &'static SitePriceTable {
    static TABLE: OnceLock<SitePriceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_json::from_str(SITE_PRICES_JSON).expect("data/prices/sites.json must parse")
    })
}

/// The monthly fee of a Pages site on `plan` (`free`, `pro`); `None` for another plan.
pub fn pages_plan_month(plan: &str) -> Option<f64> {
    let p = &site_table().cloudflare_pages;
    match plan {
        "free" => Some(p.free_month),
        "pro" => Some(p.pro_month),
        _ => None,
    }
}

/// The monthly fee of a Vercel site on `plan` (`hobby`, `pro`: one seat).
pub fn vercel_plan_month(plan: &str) -> Option<f64> {
    let p = &site_table().vercel;
    match plan {
        "hobby" => Some(p.hobby_month),
        "pro" => Some(p.pro_seat_month),
        _ => None,
    }
}

/// The monthly Access charge for `users` named users: free up to the Free plan's seats,
/// else Standard for every one of them.
pub fn access_monthly(users: usize) -> f64 {
    let p = &site_table().cloudflare_access;
    if users <= p.free_users as usize {
        0.0
    } else {
        users as f64 * p.standard_user_month
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COVERED_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
    const COVERED_CLASSES: [&str; 12] = [
        "db.t3.micro",
        "db.t3.small",
        "db.t3.medium",
        "db.t3.large",
        "db.t4g.micro",
        "db.t4g.small",
        "db.t4g.medium",
        "db.t4g.large",
        "db.m5.large",
        "db.m6g.large",
        "db.m7g.large",
        "db.r6g.large",
    ];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_table_parses_and_is_dated() {
        let t: PriceTable = serde_json::from_str(AWS_PRICES_JSON).expect("valid JSON");
        assert_eq!(t.as_of, "2026-11-01");
        assert_eq!(t.currency, "USD");
        assert!(!t.source.is_empty());
        assert!(close(t.rules.multi_az_factor, 2.0));
        assert!(close(t.rules.backup_free_fraction_of_provisioned, 1.0));
        assert_eq!(table(), &t);
        assert_eq!(as_of(), "2026-11-01");
    }

    #[test]
    fn every_covered_region_prices_every_component() {
        for r in COVERED_REGIONS {
            let prices = region(r).unwrap_or_else(|| panic!("{r} is covered"));
            assert!(!prices.notes.is_empty(), "{r} explains its figures");
            assert_eq!(ecs_cluster_month(r), Some(0.0), "{r}: clusters are free");
            for class in COVERED_CLASSES {
                let hourly =
                    rds_instance_hourly(r, class).unwrap_or_else(|| panic!("{r} prices {class}"));
                assert!((0.01..1.0).contains(&hourly), "{r} {class}: {hourly}");
            }
            let vcpu = fargate_vcpu_hour(r).expect("vCPU price");
            let gb = fargate_gb_hour(r).expect("GB price");
            assert!(vcpu > gb && gb > 0.0, "{r}: vCPU {vcpu}, GB {gb}");
            let spot = fargate_spot_factor(r).expect("spot factor");
            assert!((0.3..1.0).contains(&spot), "{r}: Spot saves at most 70 %");
            assert!(rds_gp3_gb_month(r).is_some_and(|p| p > 0.05 && p < 0.5));
            assert!(rds_backup_gb_month(r).is_some_and(|p| p > 0.0));
        }
    }

    #[test]
    fn bigger_classes_cost_more() {
        for r in COVERED_REGIONS {
            for family in ["db.t3", "db.t4g"] {
                let sizes = ["micro", "small", "medium", "large"];
                let prices: Vec<f64> = sizes
                    .iter()
                    .map(|s| rds_instance_hourly(r, &format!("{family}.{s}")).expect("priced"))
                    .collect();
                assert!(
                    prices.windows(2).all(|w| w[0] < w[1]),
                    "{r} {family}: {prices:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_regions_and_classes_have_no_price() {
        assert_eq!(rds_instance_hourly("us-east-1", "db.x99.huge"), None);
        assert_eq!(rds_instance_hourly("mars-north-1", "db.t3.micro"), None);
        assert_eq!(fargate_vcpu_hour("mars-north-1"), None);
        assert_eq!(rds_gp3_monthly("mars-north-1", 20.0, false), None);
    }

    #[test]
    fn multi_az_doubles_instance_and_storage() {
        let single = rds_instance_monthly("us-east-1", "db.t3.micro", false).unwrap();
        let multi = rds_instance_monthly("us-east-1", "db.t3.micro", true).unwrap();
        assert!(close(single, 0.018 * 730.0), "{single}");
        assert!(close(multi, 2.0 * single), "{multi}");
        let storage = rds_gp3_monthly("us-east-1", 20.0, true).unwrap();
        assert!(close(storage, 2.0 * 20.0 * 0.115), "{storage}");
    }

    #[test]
    fn backup_storage_is_free_up_to_the_provisioned_size() {
        assert_eq!(rds_backup_monthly("us-east-1", 80.0, 100.0), Some(0.0));
        assert_eq!(rds_backup_monthly("us-east-1", 100.0, 100.0), Some(0.0));
        let excess = rds_backup_monthly("us-east-1", 150.0, 100.0).unwrap();
        assert!(close(excess, 50.0 * 0.095), "{excess}");
    }

    #[test]
    fn fargate_task_month_matches_published_examples() {
        // 1 vCPU + 2 GB on-demand in us-east-1 is quoted at about $36.04 a month.
        let on_demand = fargate_task_monthly("us-east-1", 1.0, 2.0, false).unwrap();
        assert!((on_demand - 36.04).abs() < 0.01, "{on_demand}");
        let spot = fargate_task_monthly("us-east-1", 1.0, 2.0, true).unwrap();
        assert!(close(spot, on_demand * 0.33), "{spot}");
    }

    #[test]
    fn production_database_in_ireland_is_priced_sanely() {
        // The seed (001) budgets a Multi-AZ db.t3.medium with 100 GB gp3 in the EU at
        // about $150 for the instance and $13 for storage per month.
        let instance = rds_instance_monthly("eu-west-1", "db.t3.medium", true).unwrap();
        let storage = rds_gp3_monthly("eu-west-1", 100.0, true).unwrap();
        let total = instance + storage;
        eprintln!(
            "eu-west-1 Multi-AZ db.t3.medium + 100 GB gp3: instance ${instance:.2} + \
             storage ${storage:.2} = ${total:.2} per month (seed: $150 + $13 = $163, \
             ours is {:+.1} %)",
            (total - 163.0) / 163.0 * 100.0
        );
        assert!((100.0..130.0).contains(&instance), "instance {instance}");
        assert!((20.0..30.0).contains(&storage), "storage {storage}");
        assert!((120.0..200.0).contains(&total), "total {total}");
    }

    #[test]
    fn the_fly_table_parses_is_dated_and_reproduces_published_presets() {
        let t: FlyPriceTable = serde_json::from_str(FLY_PRICES_JSON).expect("valid JSON");
        assert_eq!(t.as_of, "2026-11-01");
        assert_eq!(t.currency, "USD");
        assert!(!t.notes.is_empty());
        assert_eq!(fly_table(), &t);
        assert!(t.published_presets.len() >= 5);
        for preset in &t.published_presets {
            let (kind, rest) = preset
                .size
                .rsplit_once('-')
                .expect("presets are named <kind>-<n>x");
            let kind = if kind == "shared-cpu" { "shared" } else { kind };
            let cpus: u32 = rest.trim_end_matches('x').parse().expect("a CPU count");
            let ours = fly_machine_monthly(kind, cpus, preset.memory_mb).expect("priced");
            assert!(
                (ours - preset.month).abs() <= 0.02,
                "{} {} MB: ours {ours:.2}, published {:.2}",
                preset.size,
                preset.memory_mb,
                preset.month
            );
        }
        assert_eq!(fly_machine_monthly("gpu", 1, 2048), None);
    }

    #[test]
    fn the_cloudflare_table_parses_and_prices_the_paid_plan() {
        let t: CloudflarePriceTable =
            serde_json::from_str(CLOUDFLARE_PRICES_JSON).expect("valid JSON");
        assert_eq!(t.as_of, "2026-11-01");
        assert_eq!(cloudflare_table(), &t);
        assert!(close(workers_paid_base_month(), 5.0));
        // Within the included usage only the base is billed.
        assert!(close(workers_paid_monthly(9e6, 2e7), 5.0));
        // 20 M requests and 50 M CPU ms: 10 M × $0.30/M + 20 M × $0.02/M on top.
        assert!(close(workers_paid_monthly(2e7, 5e7), 5.0 + 3.0 + 0.4));
    }

    #[test]
    fn site_plans_are_priced_from_the_table() {
        assert_eq!(pages_plan_month("free"), Some(0.0));
        assert_eq!(pages_plan_month("pro"), Some(20.0));
        assert_eq!(pages_plan_month("business"), None);
        assert_eq!(vercel_plan_month("hobby"), Some(0.0));
        assert_eq!(vercel_plan_month("pro"), Some(20.0));
        assert_eq!(access_monthly(3), 0.0);
        assert_eq!(access_monthly(50), 0.0);
        assert!((access_monthly(51) - 357.0).abs() < 1e-9);
        assert!(site_table().as_of.len() == 10);
    }
}
