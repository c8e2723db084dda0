//! ValidateProviderConfig: checks the provider block before it is configured.

use crate::protocol::convert;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider;

pub(super) fn handle(
    req: tf::validate_provider_config::Request,
) -> tf::validate_provider_config::Response {
    let ty = provider::schema().block.value_type();
    let diagnostics = match convert::decode(req.config.as_ref(), &ty, "provider configuration") {
        Err(d) => vec![convert::diagnostic(d)],
        // Unknown values are allowed here: they may become known before ConfigureProvider.
        Ok(config) => match provider::config_from_value(&config) {
            Ok(_) => vec![],
            Err(diags) => convert::diagnostics(
                diags
                    .into_iter()
                    .filter(|d| d.summary != "Provider Configuration Not Known")
                    .collect(),
            ),
        },
    };
    tf::validate_provider_config::Response { diagnostics }
}
