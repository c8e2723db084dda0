//! PlanResourceChange: the expansion, provenance and cost a reviewer reads in the plan.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;
use crate::resources::PlanRequest;

pub(super) fn handle(
    platform: &Platform,
    req: tf::plan_resource_change::Request,
) -> tf::plan_resource_change::Response {
    let fail = |diagnostics| tf::plan_resource_change::Response {
        diagnostics,
        ..Default::default()
    };
    let Some(resource) = platform.resource(&req.type_name) else {
        return fail(super::unknown_type(platform, &req.type_name));
    };
    let ty = resource.schema().block.value_type();
    let decoded = (|| {
        Ok::<_, crate::diagnostics::Diagnostic>(PlanRequest {
            prior_state: convert::decode(req.prior_state.as_ref(), &ty, "prior state")?,
            proposed_new_state: convert::decode(
                req.proposed_new_state.as_ref(),
                &ty,
                "proposed new state",
            )?,
            config: convert::decode(req.config.as_ref(), &ty, "configuration")?,
            prior_private: req.prior_private.clone(),
        })
    })();
    let plan_req = match decoded {
        Ok(r) => r,
        Err(d) => return fail(vec![convert::diagnostic(d)]),
    };
    let write_only = req
        .client_capabilities
        .as_ref()
        .is_some_and(|c| c.write_only_attributes_allowed);
    let outcome = resource.plan(plan_req, &platform.context(write_only));
    let mut diagnostics = convert::diagnostics(outcome.diagnostics);
    let planned_state = match convert::encode(&outcome.planned_state, &ty) {
        Ok(v) => Some(v),
        Err(d) => {
            diagnostics.push(convert::diagnostic(d));
            None
        }
    };
    tf::plan_resource_change::Response {
        planned_state,
        requires_replace: outcome.requires_replace.iter().map(convert::path).collect(),
        planned_private: outcome.planned_private,
        diagnostics,
        ..Default::default()
    }
}
