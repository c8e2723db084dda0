//! Turns any AWS SDK error into a [`BackendError`] that quotes the service's own code and
//! message, and answers "is this that error code?" the same way for every service.

use crate::backends::BackendError;
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

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
    BackendError::Api {
        service,
        operation,
        message,
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
