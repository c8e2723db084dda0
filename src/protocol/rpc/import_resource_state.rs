//! ImportResourceState: builds a state from an import ID; Terraform then calls ReadResource.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) async fn handle(
    platform: &Platform,
    req: tf::import_resource_state::Request,
) -> tf::import_resource_state::Response {
    let Some(resource) = platform.resource(&req.type_name) else {
        return tf::import_resource_state::Response {
            diagnostics: super::unknown_type(platform, &req.type_name),
            ..Default::default()
        };
    };
    let ty = resource.schema().block.value_type();
    let (state, diags) = resource.import(&req.id, &platform.context(false)).await;
    let mut diagnostics = convert::diagnostics(diags);
    let mut imported_resources = Vec::new();
    if let Some(state) = state {
        match convert::encode(&state, &ty) {
            Ok(v) => imported_resources.push(tf::import_resource_state::ImportedResource {
                type_name: req.type_name.clone(),
                state: Some(v),
                ..Default::default()
            }),
            Err(d) => diagnostics.push(convert::diagnostic(d)),
        }
    }
    tf::import_resource_state::Response {
        imported_resources,
        diagnostics,
        ..Default::default()
    }
}
