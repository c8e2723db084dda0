//! ValidateResourceConfig: checks a resource's configuration, unknowns allowed.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) fn handle(
    platform: &Platform,
    req: tf::validate_resource_config::Request,
) -> tf::validate_resource_config::Response {
    let Some(resource) = platform.resource(&req.type_name) else {
        return tf::validate_resource_config::Response {
            diagnostics: super::unknown_type(platform, &req.type_name),
        };
    };
    let ty = resource.schema().block.value_type();
    let write_only = req
        .client_capabilities
        .as_ref()
        .is_some_and(|c| c.write_only_attributes_allowed);
    let diagnostics = match convert::decode(req.config.as_ref(), &ty, "configuration") {
        Err(d) => vec![convert::diagnostic(d)],
        Ok(config) => {
            convert::diagnostics(resource.validate(&config, &platform.context(write_only)))
        }
    };
    tf::validate_resource_config::Response { diagnostics }
}
