//! ReadResource: refreshes a state from the cloud, so out-of-band changes show as drift.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) async fn handle(
    platform: &Platform,
    req: tf::read_resource::Request,
) -> tf::read_resource::Response {
    let fail = |diagnostics| tf::read_resource::Response {
        diagnostics,
        ..Default::default()
    };
    let Some(resource) = platform.resource(&req.type_name) else {
        return fail(super::unknown_type(platform, &req.type_name));
    };
    let ty = resource.schema().block.value_type();
    let state = match convert::decode(req.current_state.as_ref(), &ty, "current state") {
        Ok(s) => s,
        Err(d) => return fail(vec![convert::diagnostic(d)]),
    };
    let outcome = resource
        .read(state, req.private, &platform.context(false))
        .await;
    let mut diagnostics = convert::diagnostics(outcome.diagnostics);
    let new_state = match convert::encode(&outcome.new_state, &ty) {
        Ok(v) => Some(v),
        Err(d) => {
            diagnostics.push(convert::diagnostic(d));
            None
        }
    };
    tf::read_resource::Response {
        new_state,
        private: outcome.private,
        diagnostics,
        ..Default::default()
    }
}
