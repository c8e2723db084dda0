//! The data sources users read in HCL. Like resources, each file converts values and calls
//! the pure planner; this module holds the [`DataSource`] trait they share.

pub mod hosting_matrix;

use crate::context::CallContext;
use crate::diagnostics::Diagnostics;
use crate::schema::Schema;
use crate::value::Value;
use std::sync::Arc;

/// One data source type.
#[async_trait::async_trait]
pub trait DataSource: Send + Sync {
    /// The type name users write, e.g. `platform_hosting_matrix`.
    fn type_name(&self) -> &'static str;
    /// The schema Terraform sees.
    fn schema(&self) -> &Schema;
    /// Checks a configuration that may still hold unknowns.
    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics;
    /// Reads the data: the configuration with every computed attribute filled in.
    async fn read(&self, config: Value, ctx: &CallContext) -> (Value, Diagnostics);
}

/// Every data source this provider offers.
pub fn all() -> Vec<Arc<dyn DataSource>> {
    vec![Arc::new(hosting_matrix::HostingMatrix::new())]
}
