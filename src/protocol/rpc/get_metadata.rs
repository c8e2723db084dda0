//! GetMetadata: the resource and data source types this provider serves, without their
//! schemas.

use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) fn handle(platform: &Platform) -> tf::get_metadata::Response {
    tf::get_metadata::Response {
        server_capabilities: Some(capabilities()),
        resources: platform
            .resources()
            .iter()
            .map(|r| tf::get_metadata::ResourceMetadata {
                type_name: r.type_name().to_string(),
            })
            .collect(),
        data_sources: platform
            .data_sources()
            .iter()
            .map(|d| tf::get_metadata::DataSourceMetadata {
                type_name: d.type_name().to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

/// What this server supports beyond the basics.
pub(super) fn capabilities() -> tf::ServerCapabilities {
    tf::ServerCapabilities {
        // Destroy plans come to us, so production databases can refuse them at plan time.
        plan_destroy: true,
        get_provider_schema_optional: false,
        ..Default::default()
    }
}
