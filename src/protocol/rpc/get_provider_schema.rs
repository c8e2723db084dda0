//! GetProviderSchema: the provider block's and every resource's and data source's schema.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::{self, Platform};

pub(super) fn handle(platform: &Platform) -> tf::get_provider_schema::Response {
    tf::get_provider_schema::Response {
        provider: Some(convert::schema(&provider::schema())),
        resource_schemas: platform
            .resources()
            .iter()
            .map(|r| (r.type_name().to_string(), convert::schema(r.schema())))
            .collect(),
        data_source_schemas: platform
            .data_sources()
            .iter()
            .map(|d| (d.type_name().to_string(), convert::schema(d.schema())))
            .collect(),
        server_capabilities: Some(super::get_metadata::capabilities()),
        ..Default::default()
    }
}
