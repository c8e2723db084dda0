//! terraform-provider-platform: composite Terraform resources that expand a team's hosting
//! plan into ECS Fargate, Fly.io Machines, Cloudflare Workers and RDS — with the expansion,
//! where each value came from, and its cost visible in the plan.
//!
//! Layers, outermost first: [`protocol`] (wire), [`provider`] (the provider block and the
//! registry), [`resources`] and [`data_sources`] (resource logic, taking a [`context`] per
//! call), [`planner`] and [`value`] (pure), [`backends`] (side effects), and [`config`]
//! (the resolved provider block as plain data, a leaf every layer may use).

pub mod backends;
pub mod cli;
pub mod config;
pub mod context;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod planner;
pub mod protocol;
pub mod provider;
pub mod resources;
pub mod schema;
pub mod value;

#[cfg(test)]
mod layering;
