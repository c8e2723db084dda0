//! What every call gets besides its own request: the provider's configuration, the AWS
//! clients built from it, and the StopProvider token. Resources and data sources take it;
//! backends never do (they take the clients or the configuration they need).

use crate::backends::aws::AwsClients;
use crate::config::ProviderConfig;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What every call gets besides its own request.
#[derive(Clone, Default)]
pub struct CallContext {
    /// The configured provider (credentials, endpoints, default tags).
    pub config: Arc<ProviderConfig>,
    /// AWS clients for that configuration, built lazily and shared by every call.
    pub aws: AwsClients,
    /// Cancelled when Terraform sends StopProvider.
    pub cancel: CancellationToken,
    /// Whether the client supports write-only attributes (Terraform ≥ 1.11).
    pub write_only_allowed: bool,
}
