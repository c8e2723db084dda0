//! The resources users write in HCL. Each file converts between Terraform values and the
//! planner's native types, calls the pure planner, and calls a backend for side effects.
//! This module holds what every resource shares: the [`Resource`] trait and its requests.

pub mod api_service;
mod attrs;
pub mod bucket;
pub mod cache;
mod component;
pub mod database;
pub mod docs;
pub mod environment;
pub mod environment_context;
pub mod framework;
pub mod job;
pub mod queue;
pub mod secret;
mod spec;
pub mod static_site;
pub mod upgrade;

use crate::context::CallContext;
use crate::diagnostics::Diagnostics;
use crate::schema::Schema;
use crate::value::{AttributePath, Value};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A plan request, in native values.
pub struct PlanRequest {
    /// State before the change; null when creating.
    pub prior_state: Value,
    /// Terraform's proposal: the configuration merged over the prior state; null when destroying.
    pub proposed_new_state: Value,
    /// The configuration as written.
    pub config: Value,
    /// Private data saved with the prior state.
    pub prior_private: Vec<u8>,
}

/// A plan answer.
pub struct PlanOutcome {
    /// The state the apply will produce, with unknowns where it cannot be known yet.
    pub planned_state: Value,
    /// Attributes whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    /// Private data passed on to apply.
    pub planned_private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// An apply request, in native values.
pub struct ApplyRequest {
    /// State before the change; null when creating.
    pub prior_state: Value,
    /// The planned state; null when destroying.
    pub planned_state: Value,
    /// The configuration as written (write-only values only appear here).
    pub config: Value,
    /// Private data from the plan.
    pub planned_private: Vec<u8>,
}

/// An apply answer: the new state is returned even on failure, so nothing created is lost.
pub struct ApplyOutcome {
    /// The state after the change (null when destroyed).
    pub new_state: Value,
    /// Private data to save with the state.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// A refresh answer.
pub struct ReadOutcome {
    /// The state as it is in the cloud; null when the resource is gone.
    pub new_state: Value,
    /// Private data to save with the state.
    pub private: Vec<u8>,
    /// Problems found.
    pub diagnostics: Diagnostics,
}

/// One composite resource type.
#[async_trait::async_trait]
pub trait Resource: Send + Sync {
    /// The type name users write, e.g. `platform_environment`.
    fn type_name(&self) -> &'static str;
    /// The schema Terraform sees.
    fn schema(&self) -> &Schema;
    /// Checks a configuration that may still hold unknowns.
    fn validate(&self, config: &Value, ctx: &CallContext) -> Diagnostics;
    /// Plans a create, update or destroy. Pure: no cloud calls.
    fn plan(&self, req: PlanRequest, ctx: &CallContext) -> PlanOutcome;
    /// Carries out a planned change.
    async fn apply(&self, req: ApplyRequest, ctx: &CallContext) -> ApplyOutcome;
    /// Refreshes a state from the cloud.
    async fn read(&self, state: Value, private: Vec<u8>, ctx: &CallContext) -> ReadOutcome;
    /// Builds a state from an import ID.
    async fn import(&self, id: &str, ctx: &CallContext) -> (Option<Value>, Diagnostics);
    /// Brings a stored state (its JSON, before it is decoded: decoding drops what the
    /// current schema no longer has) written at an older schema version to the current
    /// one; the default keeps it as is.
    fn upgrade(
        &self,
        _from_version: i64,
        state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Ok(state)
    }
    /// What the resource's documentation page says beyond its schema; the default, nothing.
    fn docs(&self) -> docs::ResourceDocs {
        docs::ResourceDocs::default()
    }
}

/// The diagnostic for a failed backend call, shared by every resource: cancellation says
/// how to finish, a name conflict says what was being done, an API error quotes the API.
pub(crate) fn backend_diagnostic(
    conflict_summary: &str,
    action: &str,
    e: crate::backends::BackendError,
) -> crate::diagnostics::Diagnostic {
    use crate::backends::{BackendError, Cloud};
    use crate::diagnostics::Diagnostic;
    match e {
        BackendError::Cancelled => Diagnostic::error(
            "Operation Cancelled",
            format!(
                "{action} was cancelled because Terraform asked the provider to stop. The state records what exists; run the command again to finish."
            ),
        ),
        BackendError::Refused(m) => Diagnostic::error(
            format!("Could Not {action}"),
            format!("{}.", m.trim_end_matches('.')),
        ),
        BackendError::Wait(m) => Diagnostic::error(
            format!("Could Not {action}"),
            format!("{m}. What was made is kept and recorded in the state."),
        ),
        BackendError::Conflict(m) => Diagnostic::error(
            conflict_summary,
            format!("Could not {}: {m}", action.to_lowercase()),
        ),
        BackendError::Taken(t) => Diagnostic::error(
            conflict_summary,
            format!("Could not {}: {t}", action.to_lowercase()),
        ),
        e @ BackendError::GaveUp { reason, .. } => {
            let (summary, why) = match reason {
                crate::backends::Exhausted::Throttled => (
                    "AWS Throttled The Request",
                    "AWS is limiting the request rate of this account and region (other Terraform runs, CI jobs or applications share the limit); nothing is wrong with the configuration or the credentials. Run the command again when the load is lower, lower `-parallelism`, or raise `max_retries` (or set `retry_mode = \"adaptive\"`) in the provider block.",
                ),
                crate::backends::Exhausted::Unavailable => (
                    "AWS Service Unavailable",
                    "The AWS service answered with a server error on every attempt; nothing is wrong with the configuration. Check the AWS Health Dashboard and run the command again later, or raise `max_retries` in the provider block.",
                ),
                crate::backends::Exhausted::Unreachable => (
                    "AWS Service Unreachable",
                    "The connection to the AWS service failed on every attempt. Check the network, proxy and `endpoints` settings, then run the command again.",
                ),
            };
            Diagnostic::error(summary, format!("{action} stopped: {e}. {why}"))
        }
        BackendError::Config { cloud, message } => Diagnostic::error(
            format!("{cloud} Not Configured"),
            format!(
                "Could not {}: {message}. Then run the command again.",
                action.to_lowercase()
            ),
        ),
        e @ BackendError::Api { .. } => {
            let check = match e.cloud() {
                Some(Cloud::Fly) => {
                    "Check the Fly.io API token (`FLY_API_TOKEN` or the provider's `fly { api_token }`), the organization (`fly { org_slug }`)"
                }
                Some(Cloud::Cloudflare) => {
                    "Check the Cloudflare API token (`CLOUDFLARE_API_TOKEN` or the provider's `cloudflare { api_token }`), the account and zone in the provider's `cloudflare` block"
                }
                Some(Cloud::Vercel) => {
                    "Check the Vercel API token (`VERCEL_API_TOKEN` or the provider's `vercel { api_token }`), the team (`VERCEL_TEAM_ID` or `vercel { team_id }`)"
                }
                _ => "Check the AWS credentials, region",
            };
            Diagnostic::error(
                format!("Could Not {action}"),
                format!("{e}. {check} and the message above, then run the command again."),
            )
        }
    }
}

/// How long reading back what exists may take after a change failed.
const READ_BACK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// How long it may take after StopProvider: Terraform and the user are waiting for the
/// provider to stop, so the read gets a few round trips, not the full retry budget.
const READ_BACK_AFTER_STOP: std::time::Duration = std::time::Duration::from_secs(3);

/// Reads back what exists after a change stopped, so that the returned state records it.
/// After StopProvider the call's own token is cancelled, so the read runs with a fresh
/// one, bounded by [`READ_BACK_AFTER_STOP`] (else [`READ_BACK_TIMEOUT`]); a timeout
/// counts as cancelled, and the next apply adopts what the unfinished create left.
pub(crate) async fn read_back<T, F>(
    ctx: &CallContext,
    read: impl FnOnce(CallContext) -> F,
) -> Result<T, crate::backends::BackendError>
where
    F: std::future::Future<Output = Result<T, crate::backends::BackendError>>,
{
    let fresh = CallContext {
        cancel: CancellationToken::new(),
        ..ctx.clone()
    };
    let bound = if ctx.cancel.is_cancelled() {
        READ_BACK_AFTER_STOP
    } else {
        READ_BACK_TIMEOUT
    };
    tokio::time::timeout(bound, read(fresh))
        .await
        .unwrap_or(Err(crate::backends::BackendError::Cancelled))
}

/// Every resource this provider offers.
pub fn all() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(environment::EnvironmentResource::new()),
        Arc::new(database::DatabaseResource::new()),
        Arc::new(api_service::ApiServiceResource::new()),
        Arc::new(job::JobResource::new()),
        Arc::new(queue::QueueResource::new()),
        Arc::new(secret::SecretResource::new()),
        Arc::new(bucket::BucketResource::new()),
        Arc::new(cache::CacheResource::new()),
        Arc::new(static_site::StaticSiteResource::new()),
    ]
}

#[cfg(test)]
mod tests {
    use super::backend_diagnostic;
    use crate::backends::BackendError;
    use crate::backends::cloudflare::Cloudflare;
    use crate::backends::fly::Fly;
    use crate::config::Secret;

    /// The summary and detail a failed call shows.
    fn shown(e: BackendError) -> (String, String) {
        let d = backend_diagnostic("Name Taken", "Create The Service", e);
        (d.summary, d.detail)
    }

    #[test]
    fn a_missing_fly_token_is_a_configuration_error_naming_the_variable() {
        let Err(e) = Fly::new(None, None, "personal") else {
            panic!("a client without a token")
        };
        let (summary, detail) = shown(e);
        assert_eq!(summary, "Fly.io Not Configured");
        assert!(detail.contains("FLY_API_TOKEN"), "{detail}");
        assert!(
            !detail.contains("AWS") && !detail.contains("API error"),
            "{detail}"
        );
    }

    #[test]
    fn missing_cloudflare_settings_are_configuration_errors_naming_the_variable() {
        let token = Secret::new("t");
        for (token, account, want) in [
            (None, Some("0123"), "CLOUDFLARE_API_TOKEN"),
            (Some(&token), None, "CLOUDFLARE_ACCOUNT_ID"),
        ] {
            let Err(e) = Cloudflare::new(None, token, account) else {
                panic!("a client without {want}")
            };
            let (summary, detail) = shown(e);
            assert_eq!(summary, "Cloudflare Not Configured");
            assert!(detail.contains(want), "{detail}");
            assert!(!detail.contains("AWS"), "{detail}");
        }
    }

    #[test]
    fn api_errors_advise_on_the_cloud_that_answered() {
        let cases = [
            ("ECS", "Check the AWS credentials", "FLY_API_TOKEN"),
            ("RDS", "Check the AWS credentials", "CLOUDFLARE_API_TOKEN"),
            ("Fly.io", "FLY_API_TOKEN", "AWS"),
            ("Cloudflare", "CLOUDFLARE_API_TOKEN", "AWS"),
        ];
        for (service, want, not) in cases {
            let (summary, detail) = shown(BackendError::Api {
                service,
                operation: "Create",
                message: "forbidden".into(),
            });
            assert_eq!(summary, "Could Not Create The Service", "{service}");
            assert!(detail.contains(want), "{service}: {detail}");
            assert!(!detail.contains(not), "{service}: {detail}");
        }
    }
}
