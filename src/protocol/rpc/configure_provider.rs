//! ConfigureProvider: resolves the provider block; AWS credentials load lazily on first use.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::{self, Platform};

pub(super) fn handle(
    platform: &Platform,
    req: tf::configure_provider::Request,
) -> tf::configure_provider::Response {
    tracing::info!(terraform_version = %req.terraform_version, "configuring the provider");
    let ty = provider::schema().block.value_type();
    let diagnostics = match convert::decode(req.config.as_ref(), &ty, "provider configuration") {
        Err(d) => vec![convert::diagnostic(d)],
        Ok(config) => match provider::config_from_value(&config) {
            Ok(c) => {
                platform.configure(c);
                vec![]
            }
            Err(diags) => convert::diagnostics(diags),
        },
    };
    tf::configure_provider::Response { diagnostics }
}
