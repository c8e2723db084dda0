//! Turns any AWS SDK error into a [`BackendError`] that quotes the service's own code and
//! message, and answers "is this that error code?" the same way for every service.
//!
//! An error the SDK retries (throttling, 5xx, a dropped connection) reaches us only after the
//! provider's `max_retries` ran out, so it becomes [`BackendError::GaveUp`]: the diagnostic then
//! says the operation was throttled or the service unavailable after N attempts, not that the
//! configuration or the credentials are wrong.

use crate::backends::{BackendError, Exhausted};
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The error codes the AWS SDKs retry as throttling (the SDKs' shared list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// The error codes the AWS SDKs retry as transient.
const TRANSIENT_CODES: &[&str] = &["RequestTimeout", "RequestTimeoutException"];

/// Whether the SDK gave up on a retryable error, and which kind.
fn exhausted<E, R: 'static>(err: &SdkError<E, R>) -> Option<Exhausted>
where
    E: ProvideErrorMetadata,
{
    let status = |raw: &R| -> Option<u16> {
        // Every service client answers with the same `HttpResponse` type.
        let any: &dyn std::any::Any = raw;
        any.downcast_ref::<aws_sdk_ecs::config::http::HttpResponse>()
            .map(|r| r.status().as_u16())
    };
    match err {
        // Only connection failures are retried; a dispatch failure of another kind (e.g.
        // credentials that cannot be loaded) fails at once and is not "unreachable".
        SdkError::DispatchFailure(f) if f.is_io() || f.is_timeout() => Some(Exhausted::Unreachable),
        SdkError::TimeoutError(_) => Some(Exhausted::Unreachable),
        SdkError::ServiceError(ctx) => {
            let code = ctx.err().code().unwrap_or_default();
            if THROTTLING_CODES.contains(&code) {
                Some(Exhausted::Throttled)
            } else if TRANSIENT_CODES.contains(&code) || status(ctx.raw()).is_some_and(|s| s >= 500)
            {
                Some(Exhausted::Unavailable)
            } else {
                None
            }
        }
        SdkError::ResponseError(ctx) => status(ctx.raw())
            .is_some_and(|s| s >= 500)
            .then_some(Exhausted::Unavailable),
        _ => None,
    }
}

/// The API's error, quoted as `Code: message`; transport failures with their whole chain.
pub(crate) fn api_error<E, R>(
    service: &'static str,
    operation: &'static str,
    err: SdkError<E, R>,
) -> BackendError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let message = match err.as_service_error() {
        Some(e) => format!(
            "{}: {}",
            e.code().unwrap_or("Error"),
            e.message().unwrap_or("no message")
        ),
        None => DisplayErrorContext(&err).to_string(),
    };
    match exhausted(&err) {
        Some(reason) => BackendError::GaveUp {
            service,
            operation,
            reason,
            attempts: super::max_attempts(),
            message,
        },
        None => BackendError::Api {
            service,
            operation,
            message,
        },
    }
}

/// Whether the service answered with error `code` and, when given, a message containing
/// `fragment` (some APIs use one generic code for "not found" and other failures alike).
pub(crate) fn is_error<E, R>(err: &SdkError<E, R>, code: &str, fragment: Option<&str>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error().is_some_and(|e| {
        e.code() == Some(code)
            && fragment.is_none_or(|f| e.message().is_some_and(|m| m.contains(f)))
    })
}
