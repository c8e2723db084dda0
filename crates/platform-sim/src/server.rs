//! The HTTP surface: Fly under `/fly/v1`, Cloudflare under `/cloudflare/client/v4`,
//! test controls under `/_sim`, and the edge every API request passes through.
//!
//! The edge does what the real platforms do in front of their APIs, in order:
//! injected faults (standing in for rate limiters and failing backends), then
//! authentication, then the handler; and it logs method, path and status of every
//! API request. Control requests bypass all of it.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::{Injected, Phase};
use crate::state::{LogEntry, Sim};
use crate::{auth, cloudflare, control, fly, vercel, wire};

/// Path prefix of the simulated Fly Machines API (the provider's base URL is
/// `http://HOST:PORT/fly`).
pub const FLY_PREFIX: &str = "/fly/v1";

/// Path prefix of the simulated Cloudflare API (the provider's base URL).
pub const CLOUDFLARE_PREFIX: &str = "/cloudflare/client/v4";

/// Path prefix of the simulated Vercel API (the provider's base URL is
/// `http://HOST:PORT/vercel`; Vercel's paths carry their own version, `/v13/...`).
pub const VERCEL_PREFIX: &str = "/vercel";

/// Worker bundles may be up to 10 MB compressed; leave room above axum's 2 MB default.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Which simulated API a request is for, which decides how errors are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Fly Machines API: `{"error": "..."}`.
    Fly,
    /// The Cloudflare v4 API: `{success, errors, messages, result}`.
    Cloudflare,
    /// The Vercel REST API: `{"error": {"code", "message"}}`.
    Vercel,
}

impl Api {
    fn of(path: &str) -> Self {
        if path.starts_with(CLOUDFLARE_PREFIX) {
            Self::Cloudflare
        } else if path == VERCEL_PREFIX || path.starts_with("/vercel/") {
            Self::Vercel
        } else {
            Self::Fly
        }
    }

    /// The response for an injected fault, in this API's error shape.
    fn fault_response(self, fault: &Injected) -> Response {
        let status =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = match self {
            Self::Fly => {
                let message = fault.message.clone().unwrap_or_else(|| match fault.status {
                    429 => "rate limit exceeded, please retry later".to_owned(),
                    503 => "service unavailable".to_owned(),
                    _ => "internal server error".to_owned(),
                });
                fly::error(status, message).into_response()
            }
            Self::Cloudflare => {
                // 971 is Cloudflare's throttling code; 10002 its generic "unknown error".
                let (code, default) = match fault.status {
                    429 => (
                        971,
                        "Please wait and consider throttling your request speed",
                    ),
                    _ => (10002, "An unknown error has occurred"),
                };
                let message = fault.message.clone().unwrap_or_else(|| default.to_owned());
                cloudflare::failure(status, code, &message).into_response()
            }
            Self::Vercel => {
                // Vercel's documented codes: `rate_limited` (429), `internal_server_error`.
                let (code, default) = match fault.status {
                    429 => ("rate_limited", "Rate limit exceeded"),
                    _ => (
                        "internal_server_error",
                        "An unexpected internal error occurred",
                    ),
                };
                let message = fault.message.clone().unwrap_or_else(|| default.to_owned());
                vercel::error(status, code, message).into_response()
            }
        };
        if let Some(seconds) = fault.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The whole simulator as one router.
pub fn router(sim: Sim) -> Router {
    let apis = Router::new()
        .nest(FLY_PREFIX, fly::router())
        .nest(CLOUDFLARE_PREFIX, cloudflare::router())
        .nest(VERCEL_PREFIX, vercel::router())
        .layer(middleware::from_fn_with_state(sim.clone(), edge));
    Router::new()
        .merge(apis)
        .nest("/_sim", control::router())
        .fallback(|| async {
            wire::json(
                StatusCode::NOT_FOUND,
                &json!({"error": format!(
                    "platform-sim serves {FLY_PREFIX}/..., {CLOUDFLARE_PREFIX}/..., {VERCEL_PREFIX}/... and /_sim/..."
                )}),
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(sim)
}

/// Faults, authentication and the request log around every API request.
async fn edge(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let api = Api::of(&path);

    let (response, injected) = match sim.with(|w| w.faults.take(&method, &path, Phase::Before)) {
        Some(fault) => (api.fault_response(&fault), true),
        None => match auth::check(&sim.settings.tokens, api, request.headers(), &path) {
            Err(refusal) => (refusal.into_response(), false),
            Ok(()) => {
                let response = next.run(request).await;
                match sim.with(|w| w.faults.take(&method, &path, Phase::After)) {
                    Some(fault) => (api.fault_response(&fault), true),
                    None => (response, false),
                }
            }
        },
    };

    let status = response.status().as_u16();
    sim.with(|w| {
        w.log.push(LogEntry {
            method,
            path,
            query,
            status,
            injected,
        });
    });
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::state::Settings;

    /// One HTTP/1.1 exchange over a fresh connection; returns the raw response.
    async fn exchange(addr: std::net::SocketAddr, request: String) -> String {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
            .await
            .expect("server answered in time")
            .unwrap();
        String::from_utf8(raw).unwrap()
    }

    #[tokio::test]
    async fn a_bound_server_throttles_then_serves_over_real_http() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sim = Sim::new(Settings::default());
        let server = tokio::spawn(axum::serve(listener, router(sim)).into_future());

        let fault = r#"{"match":"GET /cloudflare/client/v4/user/tokens/verify","status":429,"retry_after":7}"#;
        let raw = exchange(
            addr,
            format!(
                "POST /_sim/faults HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{fault}",
                fault.len()
            ),
        )
        .await;
        assert!(raw.starts_with("HTTP/1.1 201"), "{raw}");

        let verify = "GET /cloudflare/client/v4/user/tokens/verify HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer sim-token\r\nConnection: close\r\n\r\n";
        let throttled = exchange(addr, verify.to_owned()).await;
        assert!(throttled.starts_with("HTTP/1.1 429"), "{throttled}");
        assert!(
            throttled.to_ascii_lowercase().contains("retry-after: 7"),
            "{throttled}"
        );
        assert!(throttled.contains(r#""code":971"#), "{throttled}");

        let served = exchange(addr, verify.to_owned()).await;
        assert!(served.starts_with("HTTP/1.1 200"), "{served}");
        assert!(
            served.contains("This API Token is valid and active"),
            "{served}"
        );
        server.abort();
    }
}
