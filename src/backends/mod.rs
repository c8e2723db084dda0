//! Side effects: the cloud APIs the resources call, each behind a small async interface.
//! Nothing here decides *what* should exist — the planner does; backends make it so.

pub mod aws;
pub mod cloudflare;
pub mod fly;
pub mod http;
pub mod ownership;
pub mod site;
pub mod vercel;
pub mod wait;

use std::future::Future;
use tokio_util::sync::CancellationToken;

/// Why a backend call did not finish.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Terraform asked the provider to stop (Ctrl-C).
    #[error("the operation was cancelled because Terraform asked the provider to stop")]
    Cancelled,
    /// The cloud API answered with an error (its own message is quoted).
    #[error("{service} {operation} failed: {message}")]
    Api {
        /// Service name, e.g. `ECS`.
        service: &'static str,
        /// Operation name, e.g. `CreateCluster`.
        operation: &'static str,
        /// The API's own error text.
        message: String,
    },
    /// The call was retried `attempts` times and every attempt was throttled or failed
    /// transiently (5xx, dropped connection): AWS, not the configuration, stopped it.
    #[error("{service} {operation} {reason} on all {attempts} attempts: {message}")]
    GaveUp {
        /// Service name, e.g. `ECS`.
        service: &'static str,
        /// Operation name, e.g. `DescribeClusters`.
        operation: &'static str,
        /// Throttled, unavailable or unreachable.
        reason: Exhausted,
        /// Attempts made, the first one included.
        attempts: u32,
        /// The last attempt's error.
        message: String,
    },
    /// A wait for a resource to become ready ended without it: it entered a state it will
    /// not leave, or the bound passed. The message says what it last saw.
    #[error("{0}")]
    Wait(String),
    /// The request cannot be carried out as configured (subnets in one zone, deletion
    /// protection on, a resource still in use): nothing was changed, and the message names
    /// the setting or the step that fixes it.
    #[error("{0}")]
    Refused(String),
    /// A resource exists under our name but was not created by this provider.
    #[error("{0}")]
    Conflict(String),
    /// A child exists under our name and is not an unfinished create of this resource.
    #[error("{0}")]
    Taken(ownership::Taken),
    /// The provider lacks a setting this cloud needs (a token, an account): nothing was
    /// called; the message says which variable or provider attribute to set.
    #[error("{message}")]
    Config {
        /// The cloud the setting is for.
        cloud: Cloud,
        /// What is missing and where to set it.
        message: String,
    },
}

/// The clouds the backends call, for advice that fits the one that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// Amazon Web Services (ECS, RDS, Application Auto Scaling, CloudWatch Logs).
    Aws,
    /// Fly.io Machines.
    Fly,
    /// Cloudflare Workers.
    Cloudflare,
    /// Vercel (projects and deployments of static sites).
    Vercel,
}

impl Cloud {
    /// The cloud a backend's service name belongs to (`ECS` → AWS, `Fly.io`, `Cloudflare`).
    pub fn of_service(service: &str) -> Cloud {
        match service {
            fly::SERVICE => Cloud::Fly,
            cloudflare::SERVICE => Cloud::Cloudflare,
            vercel::SERVICE => Cloud::Vercel,
            _ => Cloud::Aws,
        }
    }
}

impl std::fmt::Display for Cloud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cloud::Aws => "AWS",
            Cloud::Fly => "Fly.io",
            Cloud::Cloudflare => "Cloudflare",
            Cloud::Vercel => "Vercel",
        })
    }
}

impl BackendError {
    /// The cloud whose API answered with this error, when one did.
    pub fn cloud(&self) -> Option<Cloud> {
        match self {
            BackendError::Api { service, .. } | BackendError::GaveUp { service, .. } => {
                Some(Cloud::of_service(service))
            }
            BackendError::Config { cloud, .. } => Some(*cloud),
            _ => None,
        }
    }
}

/// Why retries ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// The service answered with a throttling error (`ThrottlingException`, `Throttling`, ...).
    Throttled,
    /// The service answered 5xx or a transient error code.
    Unavailable,
    /// The connection failed, timed out or was dropped.
    Unreachable,
}

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Exhausted::Throttled => "was throttled by AWS",
            Exhausted::Unavailable => "found the service unavailable",
            Exhausted::Unreachable => "could not reach the service",
        })
    }
}

/// Runs a backend call unless Terraform cancels first.
pub async fn cancellable<T>(
    cancel: &CancellationToken,
    fut: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(BackendError::Cancelled),
        r = fut => r,
    }
}
