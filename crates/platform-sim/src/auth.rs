//! Bearer-token checks, answered the way each API refuses a caller.
//!
//! - Fly: `401 {"error": "Authenticate: token validation error"}` for a missing or
//!   unknown token (Fly's docs list 401 for "missing or invalid" keys; the message is
//!   the one the Machines API returns). Both `Bearer` and `FlyV1` schemes are read.
//! - Cloudflare: no credentials → 400 code 9106; a malformed `Authorization` header →
//!   400 code 6003 with an `error_chain` of 6111; a well-formed but unknown token →
//!   403 code 10000 `Authentication error`, what Workers endpoints answer.
//!   `GET /user/tokens/verify` answers an unknown token with 401 code 1000.
//!   The Pages asset endpoints (`/pages/assets/*`) take the project's upload JWT instead
//!   of the API token; they pass here and `pages.rs` checks the JWT.
//! - Vercel: a missing or unknown bearer token → 403 `{"error": {"code": "forbidden",
//!   "message": "Not authorized"}}` (vercel.com/docs/rest-api/errors).

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::cloudflare::{self, CfError};
use crate::fly::{self, FlyError};
use crate::server::Api;
use crate::vercel::{self, VercelError};

/// A request turned away, in the shape of the API it was for.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Refused by the Fly API.
    Fly(FlyError),
    /// Refused by the Cloudflare API.
    Cloudflare(CfError),
    /// Refused by the Vercel API.
    Vercel(VercelError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Fly(e) => e.into_response(),
            Self::Cloudflare(e) => e.into_response(),
            Self::Vercel(e) => e.into_response(),
        }
    }
}

/// Let the request through, or the refusal to answer it with.
pub fn check(tokens: &[String], api: Api, headers: &HeaderMap, path: &str) -> Result<(), Refusal> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match api {
        Api::Fly => {
            let token = authorization.and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                let scheme_ok = scheme.eq_ignore_ascii_case("bearer") || scheme == "FlyV1";
                scheme_ok.then(|| token.trim())
            });
            match token {
                Some(t) if tokens.iter().any(|known| known == t) => Ok(()),
                _ => Err(Refusal::Fly(fly::error(
                    StatusCode::UNAUTHORIZED,
                    "Authenticate: token validation error",
                ))),
            }
        }
        Api::Vercel => {
            let token = authorization
                .and_then(|value| value.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim());
            match token {
                Some(t) if tokens.iter().any(|known| known == t) => Ok(()),
                _ => Err(Refusal::Vercel(vercel::error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Not authorized",
                ))),
            }
        }
        // The Pages asset endpoints take the upload JWT, checked by `pages.rs`.
        Api::Cloudflare if crate::pages::is_asset_path(path) => Ok(()),
        Api::Cloudflare => {
            let Some(value) = authorization else {
                return Err(Refusal::Cloudflare(cloudflare::failure(
                    StatusCode::BAD_REQUEST,
                    9106,
                    "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
                )));
            };
            let token = value
                .split_once(' ')
                .filter(|(scheme, token)| {
                    scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
                })
                .map(|(_, token)| token.trim());
            let Some(token) = token else {
                return Err(Refusal::Cloudflare(cloudflare::failure_with(
                    StatusCode::BAD_REQUEST,
                    vec![json!({
                        "code": 6003,
                        "message": "Invalid request headers",
                        "error_chain": [{"code": 6111, "message": "Invalid format for Authorization header"}],
                    })],
                )));
            };
            if tokens.iter().any(|known| known == token) {
                Ok(())
            } else if path.ends_with("/user/tokens/verify") {
                Err(Refusal::Cloudflare(cloudflare::failure(
                    StatusCode::UNAUTHORIZED,
                    1000,
                    "Invalid API Token",
                )))
            } else {
                Err(Refusal::Cloudflare(cloudflare::failure(
                    StatusCode::FORBIDDEN,
                    10000,
                    "Authentication error",
                )))
            }
        }
    }
}
