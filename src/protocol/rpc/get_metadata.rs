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
        // No RPC needs GetProviderSchema first, so Terraform (1.6+) may answer it from its
        // cache: one schema call per command instead of one per provider process.
        get_provider_schema_optional: true,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_may_cache_the_schema_and_sends_destroy_plans() {
        let caps = capabilities();
        assert!(caps.get_provider_schema_optional);
        assert!(caps.plan_destroy);
        let metadata = handle(&Platform::new());
        assert_eq!(metadata.server_capabilities, Some(caps));
        assert!(
            metadata
                .resources
                .iter()
                .any(|r| r.type_name == "platform_environment")
        );
    }
}
