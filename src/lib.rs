//! terraform-provider-platform: composite Terraform resources that expand a team's hosting
//! plan into ECS Fargate, Fly.io Machines, Cloudflare Workers and RDS — with the expansion,
//! where each value came from, and its cost visible in the plan.
//!
//! Layers, outermost first: [`protocol`] (wire), [`provider`] and [`resources`] (framework
//! and resource logic), [`planner`] and [`value`] (pure), [`backends`] (side effects).

pub mod backends;
pub mod cli;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod planner;
pub mod protocol;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod value;
