//! go-plugin's side services: the controller (Shutdown), stdio streaming and the gRPC
//! health check Terraform's plugin client uses.

use crate::protocol::proto::{health, plugin};
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

/// `plugin.GRPCController`: Shutdown asks the server to exit.
pub struct Controller {
    /// Notified once when Terraform asks the plugin to exit.
    pub shutdown: Arc<Notify>,
}

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        tracing::debug!("GRPCController.Shutdown received");
        self.shutdown.notify_one();
        Ok(Response::new(plugin::Empty {}))
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// `plugin.GRPCStdio`: we never write to stdout or stderr outside logging, so the stream
/// stays open and silent until the plugin exits.
pub struct Stdio;

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _: Request<()>,
    ) -> Result<Response<BoxStream<plugin::StdioData>>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// `grpc.health.v1.Health`: the `plugin` service (and the server as a whole) is serving.
pub struct Health;

fn status_of(service: &str) -> health::health_check_response::ServingStatus {
    use health::health_check_response::ServingStatus;
    if service.is_empty() || service == "plugin" {
        ServingStatus::Serving
    } else {
        ServingStatus::ServiceUnknown
    }
}

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        req: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        let service = req.into_inner().service;
        match status_of(&service) {
            health::health_check_response::ServingStatus::ServiceUnknown => {
                Err(Status::not_found(format!("unknown service `{service}`")))
            }
            s => Ok(Response::new(health::HealthCheckResponse {
                status: s as i32,
            })),
        }
    }

    async fn watch(
        &self,
        req: Request<health::HealthCheckRequest>,
    ) -> Result<Response<BoxStream<health::HealthCheckResponse>>, Status> {
        let status = status_of(&req.into_inner().service) as i32;
        let first = tokio_stream::once(Ok(health::HealthCheckResponse { status }));
        Ok(Response::new(Box::pin(tokio_stream::StreamExt::chain(
            first,
            tokio_stream::pending(),
        ))))
    }
}
