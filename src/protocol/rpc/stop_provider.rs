//! StopProvider: cancels every call in flight; the server keeps serving.

use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;

pub(super) fn handle(platform: &Platform) -> tf::stop_provider::Response {
    tracing::info!("StopProvider: cancelling in-flight operations");
    platform.stop();
    tf::stop_provider::Response::default()
}
