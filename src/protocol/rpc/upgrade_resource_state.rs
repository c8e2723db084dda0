//! UpgradeResourceState: reads stored state (JSON) written by any schema version and
//! returns it in the current one.

use crate::diagnostics::Diagnostic;
use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;
use crate::value;

pub(super) fn handle(
    platform: &Platform,
    req: tf::upgrade_resource_state::Request,
) -> tf::upgrade_resource_state::Response {
    let Some(resource) = platform.resource(&req.type_name) else {
        return tf::upgrade_resource_state::Response {
            diagnostics: super::unknown_type(platform, &req.type_name),
            ..Default::default()
        };
    };
    let ty = resource.schema().block.value_type();
    let json = req.raw_state.map(|r| r.json).unwrap_or_default();
    let decoded = if json.is_empty() {
        Ok(value::Value::Null)
    } else {
        value::json::decode(&json, &ty).map_err(|e| {
            Diagnostic::error(
                "Unreadable Stored State",
                format!("The stored state of this `{}` could not be read: {e}. Restore the state file from a backup, or remove the resource from state and import it again.", req.type_name),
            )
        })
    };
    let result = decoded
        .map_err(|d| vec![convert::diagnostic(d)])
        .and_then(|state| {
            resource
                .upgrade(req.version, state)
                .map_err(convert::diagnostics)
        })
        .and_then(|state| convert::encode(&state, &ty).map_err(|d| vec![convert::diagnostic(d)]));
    match result {
        Ok(upgraded) => tf::upgrade_resource_state::Response {
            upgraded_state: Some(upgraded),
            ..Default::default()
        },
        Err(diagnostics) => tf::upgrade_resource_state::Response {
            diagnostics,
            ..Default::default()
        },
    }
}
