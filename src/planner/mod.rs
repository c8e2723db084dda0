//! The planner: a pure function from a composite resource's spec to its expansion.
//!
//! Every composite resource (`platform_environment`, `platform_api_service` and
//! `platform_database`) is planned here in three steps, with no I/O and nothing async:
//!
//! 1. **validate** the inputs against data tables (AWS limits, tier defaults), reporting
//!    every [`Violation`] at once, each pointing at an attribute path with a fix;
//! 2. **resolve** the effective settings, recording for each one its [`Source`]
//!    (`config`, `environment` or `tier:<tier>`);
//! 3. **expand** into [`Child`] resources under stable logical keys, with deterministic
//!    cloud names and a monthly cost from the dated price table.
//!
//! Because the output depends only on the inputs, the whole expansion is known at plan
//! time whenever the inputs are, which is what lets a reviewer read it in `terraform plan`.
//!
//! Modules:
//! - [`changes`]: what changing from one plan to the next does, one type for every composite;
//! - [`expansion`]: a [`Child`] and the [`Settings`] builder every planner makes it with;
//! - [`tier`]: the three tiers and their default policy table;
//! - [`limits`]: AWS limits that validation checks against, as data;
//! - [`naming`]: deterministic cloud names and the platform's tags;
//! - [`messages`]: the shared builders for every diagnostic the planner emits;
//! - [`prices`]: the dated price table in `data/prices/aws.json` and its lookups;
//! - [`units`]: the CPU and memory sizes people write, parsed exactly;
//! - [`placement`]: which host runs a service, and why (also the hosting-matrix data source);
//! - [`render`]: the one reading of a plan, for reviewers and every snapshot test;
//! - [`environment`]: the `platform_environment` planner;
//! - [`api_service`]: the `platform_api_service` planner, per host (Fargate, Fly.io, Workers);
//! - [`database`]: the `platform_database` planner (RDS instance, parameter group, replicas).

pub mod api_service;
pub mod bucket;
pub mod cache;
pub mod changes;
pub mod component;
pub mod database;
pub mod environment;
pub mod expansion;
pub mod job;
pub mod limits;
pub mod messages;
pub mod naming;
pub mod placement;
pub mod prices;
#[cfg(test)]
mod provenance;
pub mod queue;
pub mod render;
pub mod schedule;
pub mod secret;
pub mod static_site;
pub mod tier;
pub mod units;

use std::fmt;

use crate::value::path::AttributePath;

pub use expansion::{Child, Settings};
pub use tier::Tier;

/// A problem with the inputs that the user can fix, located at an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the resource's configuration the offending value lives.
    pub path: AttributePath,
    /// A short Title-Case summary, e.g. `Invalid Subnet ID`.
    pub summary: String,
    /// What is wrong and what to change, with values in backticks.
    pub detail: String,
}

impl Violation {
    /// A violation at `path` with the given summary and detail.
    pub fn new(path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            path,
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Violation {
    /// Renders as `path: Summary: detail`, or `Summary: detail` for the resource itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_root() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}: {}", self.summary, self.detail)
    }
}

/// Where an effective setting's value came from, shown to users as provenance. Every label
/// must be true: a `tier:<t>` value is that tier's default in the tier table, a `fixed`
/// one is the same in every tier (both checked by a property test over every resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// Set explicitly in this resource's configuration.
    Config,
    /// Inherited from the `platform_environment` context (its configuration, region or
    /// network).
    Environment,
    /// The default of the named tier, from the tier table.
    Tier(Tier),
    /// Set in the provider block (`default_tags`, `fly`, `cloudflare`).
    Provider,
    /// The provider's own design, the same in every tier (e.g. `network_mode = awsvpc`).
    Fixed,
    /// Computed from other settings (a name from the environment's and the resource's, a
    /// replica's settings from its source instance).
    Derived,
    /// Set outside Terraform and read from the cloud, where the configuration says so
    /// (`deployment.image_source = "external"`: the image CI deployed).
    External,
}

impl std::str::FromStr for Source {
    type Err = ();

    /// Parses what [`Source`]'s `Display` writes.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "config" => Ok(Source::Config),
            "environment" => Ok(Source::Environment),
            "provider" => Ok(Source::Provider),
            "fixed" => Ok(Source::Fixed),
            "derived" => Ok(Source::Derived),
            "external" => Ok(Source::External),
            _ => s
                .strip_prefix("tier:")
                .and_then(|t| t.parse().ok())
                .map(Source::Tier)
                .ok_or(()),
        }
    }
}

impl fmt::Display for Source {
    /// Renders as `config`, `environment`, `tier:<tier>`, `provider`, `fixed`, `derived` or
    /// `external`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Config => f.write_str("config"),
            Source::Environment => f.write_str("environment"),
            Source::Provider => f.write_str("provider"),
            Source::Fixed => f.write_str("fixed"),
            Source::Derived => f.write_str("derived"),
            Source::External => f.write_str("external"),
            Source::Tier(tier) => write!(f, "tier:{}", tier.as_str()),
        }
    }
}
