//! The wire adapter: one file per RPC, each doing the same four steps — look up the
//! resource, decode, call the provider, encode. Errors travel as diagnostics, never as
//! gRPC status codes. RPCs this provider does not offer answer `Unimplemented` (the
//! generated default) or an empty answer where Terraform expects one.

mod apply_resource_change;
mod configure_provider;
mod get_metadata;
mod get_provider_schema;
mod import_resource_state;
mod plan_resource_change;
mod read_data_source;
mod read_resource;
mod stop_provider;
mod upgrade_resource_state;
mod validate_data_resource_config;
mod validate_provider_config;
mod validate_resource_config;

use crate::diagnostics::Diagnostic;
use crate::protocol::proto::tfplugin6 as tf;
use crate::provider::Platform;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The tfplugin6 `Provider` service.
pub struct ProviderService {
    platform: Arc<Platform>,
}

impl ProviderService {
    /// Serves a provider.
    pub fn new(platform: Arc<Platform>) -> Self {
        Self { platform }
    }
}

/// `a`, `b` and `c`: each name in backticks, in the order given.
fn listing(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The diagnostic for a data source type name this provider does not know, listing the
/// registered ones.
fn unknown_data_source(platform: &Platform, type_name: &str) -> Vec<tf::Diagnostic> {
    let names: Vec<&str> = platform
        .data_sources()
        .iter()
        .map(|d| d.type_name())
        .collect();
    let known = match names.as_slice() {
        [one] => format!("Its data source is `{one}`"),
        _ => format!("Its data sources are {}", listing(&names)),
    };
    vec![super::convert::diagnostic(Diagnostic::error(
        "Unknown Data Source Type",
        format!("This provider has no data source `{type_name}`. {known}; check the spelling."),
    ))]
}

/// The diagnostic for a resource type name this provider does not know, listing the
/// registered ones.
fn unknown_type(platform: &Platform, type_name: &str) -> Vec<tf::Diagnostic> {
    let names: Vec<&str> = platform.resources().iter().map(|r| r.type_name()).collect();
    vec![super::convert::diagnostic(Diagnostic::error(
        "Unknown Resource Type",
        format!(
            "This provider has no resource type `{type_name}`. The resource types are {}; check the spelling.",
            listing(&names)
        ),
    ))]
}

type Rpc<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl tf::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<tf::get_metadata::Request>,
    ) -> Rpc<tf::get_metadata::Response> {
        Ok(Response::new(get_metadata::handle(&self.platform)))
    }

    async fn get_provider_schema(
        &self,
        _: Request<tf::get_provider_schema::Request>,
    ) -> Rpc<tf::get_provider_schema::Response> {
        Ok(Response::new(get_provider_schema::handle(&self.platform)))
    }

    async fn validate_provider_config(
        &self,
        req: Request<tf::validate_provider_config::Request>,
    ) -> Rpc<tf::validate_provider_config::Response> {
        Ok(Response::new(validate_provider_config::handle(
            req.into_inner(),
        )))
    }

    async fn configure_provider(
        &self,
        req: Request<tf::configure_provider::Request>,
    ) -> Rpc<tf::configure_provider::Response> {
        Ok(Response::new(configure_provider::handle(
            &self.platform,
            req.into_inner(),
        )))
    }

    async fn validate_resource_config(
        &self,
        req: Request<tf::validate_resource_config::Request>,
    ) -> Rpc<tf::validate_resource_config::Response> {
        Ok(Response::new(validate_resource_config::handle(
            &self.platform,
            req.into_inner(),
        )))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<tf::upgrade_resource_state::Request>,
    ) -> Rpc<tf::upgrade_resource_state::Response> {
        Ok(Response::new(upgrade_resource_state::handle(
            &self.platform,
            req.into_inner(),
        )))
    }

    async fn plan_resource_change(
        &self,
        req: Request<tf::plan_resource_change::Request>,
    ) -> Rpc<tf::plan_resource_change::Response> {
        Ok(Response::new(plan_resource_change::handle(
            &self.platform,
            req.into_inner(),
        )))
    }

    async fn apply_resource_change(
        &self,
        req: Request<tf::apply_resource_change::Request>,
    ) -> Rpc<tf::apply_resource_change::Response> {
        Ok(Response::new(
            apply_resource_change::handle(&self.platform, req.into_inner()).await,
        ))
    }

    async fn read_resource(
        &self,
        req: Request<tf::read_resource::Request>,
    ) -> Rpc<tf::read_resource::Response> {
        Ok(Response::new(
            read_resource::handle(&self.platform, req.into_inner()).await,
        ))
    }

    async fn import_resource_state(
        &self,
        req: Request<tf::import_resource_state::Request>,
    ) -> Rpc<tf::import_resource_state::Response> {
        Ok(Response::new(
            import_resource_state::handle(&self.platform, req.into_inner()).await,
        ))
    }

    async fn stop_provider(
        &self,
        _: Request<tf::stop_provider::Request>,
    ) -> Rpc<tf::stop_provider::Response> {
        Ok(Response::new(stop_provider::handle(&self.platform)))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<tf::get_resource_identity_schemas::Request>,
    ) -> Rpc<tf::get_resource_identity_schemas::Response> {
        // No resource declares an identity yet; an empty answer, not an error.
        Ok(Response::new(Default::default()))
    }

    async fn get_functions(
        &self,
        _: Request<tf::get_functions::Request>,
    ) -> Rpc<tf::get_functions::Response> {
        Ok(Response::new(Default::default()))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<tf::validate_data_resource_config::Request>,
    ) -> Rpc<tf::validate_data_resource_config::Response> {
        Ok(Response::new(validate_data_resource_config::handle(
            &self.platform,
            req.into_inner(),
        )))
    }

    async fn read_data_source(
        &self,
        req: Request<tf::read_data_source::Request>,
    ) -> Rpc<tf::read_data_source::Response> {
        Ok(Response::new(
            read_data_source::handle(&self.platform, req.into_inner()).await,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_type_lists_every_registered_type() {
        let platform = Platform::new();
        let detail = &unknown_type(&platform, "platform_servce")[0].detail;
        let resources = platform.resources();
        assert!(resources.len() >= 3);
        for r in resources {
            assert!(detail.contains(&format!("`{}`", r.type_name())), "{detail}");
        }
        let detail = &unknown_data_source(&platform, "platform_matrix")[0].detail;
        for d in platform.data_sources() {
            assert!(detail.contains(&format!("`{}`", d.type_name())), "{detail}");
        }
    }

    #[test]
    fn names_are_listed_in_english() {
        assert_eq!(listing(&["a"]), "`a`");
        assert_eq!(listing(&["a", "b", "c"]), "`a`, `b` and `c`");
    }
}
