//! ApplyResourceChange: carries out a planned create, update or delete.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;
use crate::resources::ApplyRequest;

pub(super) async fn handle(
    platform: &Platform,
    req: tf::apply_resource_change::Request,
) -> tf::apply_resource_change::Response {
    let fail = |diagnostics| tf::apply_resource_change::Response {
        diagnostics,
        ..Default::default()
    };
    let Some(resource) = platform.resource(&req.type_name) else {
        return fail(super::unknown_type(platform, &req.type_name));
    };
    let ty = resource.schema().block.value_type();
    let decoded = (|| {
        Ok::<_, crate::diagnostics::Diagnostic>(ApplyRequest {
            prior_state: convert::decode(req.prior_state.as_ref(), &ty, "prior state")?,
            planned_state: convert::decode(req.planned_state.as_ref(), &ty, "planned state")?,
            config: convert::decode(req.config.as_ref(), &ty, "configuration")?,
            planned_private: req.planned_private.clone(),
        })
    })();
    let apply_req = match decoded {
        Ok(r) => r,
        Err(d) => return fail(vec![convert::diagnostic(d)]),
    };
    // Write-only values reach apply only in `config`; the capability matters at plan time.
    let outcome = resource.apply(apply_req, &platform.context(true)).await;
    let mut diagnostics = convert::diagnostics(outcome.diagnostics);
    let new_state = match convert::encode(&outcome.new_state, &ty) {
        Ok(v) => Some(v),
        Err(d) => {
            diagnostics.push(convert::diagnostic(d));
            None
        }
    };
    tf::apply_resource_change::Response {
        new_state,
        private: outcome.private,
        diagnostics,
        ..Default::default()
    }
}
