//! Test harness: drives the full router (edge, auth, faults, log) in process with
//! `tower::ServiceExt::oneshot`, so every test sees exactly what a client would.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, header};
use serde_json::Value;
use tower::ServiceExt;

use crate::server;
use crate::state::{Settings, Sim};

/// The token the default settings accept.
pub const TOKEN: &str = "sim-token";

/// A simulator with default settings and helpers to call it.
pub struct Harness {
    router: Router,
}

/// A response, fully read.
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

impl Harness {
    /// A fresh simulator with default settings.
    pub fn new() -> Self {
        Self {
            router: server::router(Sim::new(Settings::default())),
        }
    }

    /// Send a request; `token` becomes `Authorization: Bearer <token>`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        self.raw(request.body(Body::from(body)).expect("request builds"))
            .await
    }

    /// Send a fully built request.
    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body reads")
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// `GET path` with the default token.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(TOKEN), None, Vec::new())
            .await
    }

    /// A JSON request with the default token.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> Reply {
        let bytes = serde_json::to_vec(&body).expect("serializes");
        self.send(method, path, Some(TOKEN), Some("application/json"), bytes)
            .await
    }
}
