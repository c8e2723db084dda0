//! ReadDataSource: reads a data source's value from its configuration.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) async fn handle(
    platform: &Platform,
    req: tf::read_data_source::Request,
) -> tf::read_data_source::Response {
    let fail = |diagnostics| tf::read_data_source::Response {
        diagnostics,
        ..Default::default()
    };
    let Some(source) = platform.data_source(&req.type_name) else {
        return fail(super::unknown_data_source(platform, &req.type_name));
    };
    let ty = source.schema().block.value_type();
    let config = match convert::decode(req.config.as_ref(), &ty, "configuration") {
        Ok(c) => c,
        Err(d) => return fail(vec![convert::diagnostic(d)]),
    };
    let (value, diags) = source.read(config, &platform.context(false)).await;
    let mut diagnostics = convert::diagnostics(diags);
    let state = match convert::encode(&value, &ty) {
        Ok(v) => Some(v),
        Err(d) => {
            diagnostics.push(convert::diagnostic(d));
            None
        }
    };
    tf::read_data_source::Response {
        state,
        diagnostics,
        ..Default::default()
    }
}
