//! ValidateDataResourceConfig: checks a data source's configuration, unknowns allowed.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) fn handle(
    platform: &Platform,
    req: tf::validate_data_resource_config::Request,
) -> tf::validate_data_resource_config::Response {
    let Some(source) = platform.data_source(&req.type_name) else {
        return tf::validate_data_resource_config::Response {
            diagnostics: super::unknown_data_source(platform, &req.type_name),
        };
    };
    let ty = source.schema().block.value_type();
    let diagnostics = match convert::decode(req.config.as_ref(), &ty, "configuration") {
        Err(d) => vec![convert::diagnostic(d)],
        Ok(config) => convert::diagnostics(source.validate(&config, &platform.context(false))),
    };
    tf::validate_data_resource_config::Response { diagnostics }
}
