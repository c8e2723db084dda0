//! A small JSON-over-HTTP client for the clouds that have no Rust SDK (Fly.io Machines,
//! Cloudflare): bearer auth from a [`Secret`], bounded retries, cancellation, and errors
//! that quote the API's own text.
//!
//! Retries: throttling (429), server errors (5xx but 501/505) and connection failures are
//! retried up to [`RetryPolicy::max_attempts`] times, waiting what `Retry-After` asks
//! (seconds or an HTTP date) or else an exponential backoff with jitter, within a total
//! time budget. Every wait and every request in flight ends at once when Terraform sends
//! StopProvider. The final error quotes the API through the caller's [`ErrorDecoder`].
//!
//! The retry loop and the jittered backoff are `backon`'s; `Retry-After`, the budget,
//! cancellation and the final error are ours (ARCHITECTURE.md says why).
//!
//! Logs name the method, URL path, status and attempt — never headers, query strings or
//! bodies, which carry tokens and secret values.

use super::BackendError;
use crate::config::Secret;
use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// How hard to try before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles per retry (before jitter).
    pub initial_backoff: Duration,
    /// Longest backoff between attempts.
    pub max_backoff: Duration,
    /// Longest `Retry-After` the client honours; a longer one ends the call.
    pub max_retry_after: Duration,
    /// Give up rather than start a wait that would end later than this after the first try.
    pub budget: Duration,
    /// Time limit of one attempt (Fly's `wait` holds a request for up to 60 s).
    pub attempt_timeout: Duration,
}

impl RetryPolicy {
    /// The policy the provider uses: 5 attempts within 2 minutes.
    pub const STANDARD: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_millis(500),
        max_backoff: Duration::from_secs(8),
        max_retry_after: Duration::from_secs(60),
        budget: Duration::from_secs(120),
        attempt_timeout: Duration::from_secs(90),
    };

    /// The pauses between attempts without a `Retry-After`: retry `k` waits within
    /// `[b/2, b)` for `b = initial × 2^(k-1)` capped at `max_backoff` ("equal jitter", so
    /// that clients throttled together spread out), and there are `max_attempts - 1` of them.
    pub fn backoff(&self) -> ExponentialBuilder {
        // backon adds `rand × d` to each delay `d`; halving both ends gives `[b/2, b)`.
        ExponentialBuilder::new()
            .with_min_delay(self.initial_backoff.min(self.max_backoff) / 2)
            .with_max_delay(self.max_backoff / 2)
            .with_factor(2.0)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::STANDARD
    }
}

/// Reads an API's error body into its own message, `None` when it is not in the API's shape.
pub type ErrorDecoder = fn(&[u8]) -> Option<String>;

/// One part of a `multipart/form-data` body.
#[derive(Clone)]
pub struct Part {
    /// Form field name.
    pub name: String,
    /// File name, when the API wants one.
    pub filename: Option<String>,
    /// Content type of the part.
    pub content_type: String,
    /// The bytes (may hold secret values: never logged).
    pub bytes: Vec<u8>,
}

#[derive(Clone)]
enum Body {
    Empty,
    Json(Vec<u8>),
    Multipart(Vec<Part>),
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// A request, kept whole so that each retry sends it again.
#[derive(Clone)]
pub struct Request {
    operation: &'static str,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Body,
    bearer: Option<Secret>,
    headers: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold secrets: only say what the request is.
        f.debug_struct("Request")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request of `method` to `path` (below the base URL), named `operation` in errors.
    pub fn new(operation: &'static str, method: Method, path: impl Into<String>) -> Self {
        Self {
            operation,
            method,
            path: path.into(),
            query: Vec::new(),
            body: Body::Empty,
            bearer: None,
            headers: Vec::new(),
        }
    }

    /// A GET request.
    pub fn get(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::GET, path)
    }

    /// A POST request.
    pub fn post(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::POST, path)
    }

    /// A PUT request.
    pub fn put(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::PUT, path)
    }

    /// A DELETE request.
    pub fn delete(operation: &'static str, path: impl Into<String>) -> Self {
        Self::new(operation, Method::DELETE, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Self {
        // Serialising maps and derived structs cannot fail; an empty body would be refused
        // by the API with its own error, which is the clearer report anyway.
        self.body = Body::Json(serde_json::to_vec(body).unwrap_or_default());
        self
    }

    /// Sets a `multipart/form-data` body.
    pub fn multipart(mut self, parts: Vec<Part>) -> Self {
        self.body = Body::Multipart(parts);
        self
    }

    /// Sets a raw body (a file upload; `Content-Length` follows from it).
    pub fn bytes(mut self, content_type: &'static str, bytes: Vec<u8>) -> Self {
        self.body = Body::Raw {
            content_type,
            bytes,
        };
        self
    }

    /// Adds a request header (e.g. the digest an upload API checks the body against).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Sends this request with `token` as the bearer instead of the client's own (a
    /// short-lived token an API hands out for one job, e.g. the Pages upload JWT).
    pub fn bearer(mut self, token: Secret) -> Self {
        self.bearer = Some(token);
        self
    }

    /// The operation name used in errors.
    pub fn operation(&self) -> &'static str {
        self.operation
    }
}

/// An API's final answer (not one the client retries).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Why one attempt did not succeed, as the retry loop sees it.
#[derive(Debug)]
pub struct Failure {
    /// The error to report if this was the last attempt.
    pub error: BackendError,
    /// Whether another attempt may succeed.
    pub retryable: bool,
    /// How long the API asked to wait, if it said.
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// A failure no retry can fix.
    pub fn fatal(error: BackendError) -> Self {
        Self {
            error,
            retryable: false,
            retry_after: None,
        }
    }
}

impl From<BackendError> for Failure {
    fn from(error: BackendError) -> Self {
        Self::fatal(error)
    }
}

/// Runs `attempt` (given its 1-based number) until it succeeds, fails for good, runs out
/// of attempts or budget, or Terraform cancels. Exposed so that a create that is not
/// idempotent can look for its own earlier effect before trying again.
pub async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    mut attempt: F,
) -> Result<T, BackendError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let started = tokio::time::Instant::now();
    // Shared by the attempts and the hooks; atomic so that the future stays Send.
    let tries = AtomicU32::new(0);
    let retries = (|| attempt(tries.fetch_add(1, Ordering::Relaxed) + 1))
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|f: &Failure| f.retryable)
        .adjust(|f: &Failure, backoff| {
            // `None` ends the retries: out of attempts, too long a `Retry-After`, or a wait
            // past the budget. The wait the API asks for wins over the backoff.
            let pause = f.retry_after.unwrap_or(backoff?);
            let allowed = f.retry_after.is_none_or(|a| a <= policy.max_retry_after);
            (allowed && started.elapsed() + pause <= policy.budget).then_some(pause)
        })
        .notify(|f: &Failure, pause| {
            tracing::info!(
                attempt = tries.load(Ordering::Relaxed),
                pause_ms = pause.as_millis() as u64,
                error = %f.error,
                "retrying after a transient failure"
            );
        });
    // Dropping the retries ends the wait or the request in flight at once.
    let failure = tokio::select! {
        biased;
        _ = cancel.cancelled() => return Err(BackendError::Cancelled),
        outcome = retries => match outcome {
            Ok(v) => return Ok(v),
            Err(f) if !f.retryable => return Err(f.error),
            Err(f) => f,
        },
    };
    // Still retryable: say which limit `adjust` hit, checked in the same order.
    let n = tries.into_inner();
    let why = match failure.retry_after {
        _ if n >= policy.max_attempts => format!(
            "gave up after {n} attempts in {} s; the API may be overloaded or throttling this token — run `terraform apply` again later",
            started.elapsed().as_secs()
        ),
        Some(asked) if asked > policy.max_retry_after => format!(
            "the API asked to retry after {} s, longer than the provider waits ({} s) — run `terraform apply` again later",
            asked.as_secs(),
            policy.max_retry_after.as_secs()
        ),
        _ => format!(
            "gave up after {n} attempts: another would pass the {} s the provider allows one call — run `terraform apply` again later",
            policy.budget.as_secs()
        ),
    };
    Err(gave_up(failure.error, &why))
}

fn gave_up(error: BackendError, why: &str) -> BackendError {
    match error {
        BackendError::Api {
            service,
            operation,
            message,
        } => BackendError::Api {
            service,
            operation,
            message: format!("{message}; {why}"),
        },
        other => other,
    }
}

/// Seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) from `Retry-After`;
/// a date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a status is worth another attempt: throttling and server errors, except the
/// ones that say the server will never do it.
pub fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error()
            && status != StatusCode::NOT_IMPLEMENTED
            && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
}

/// Percent-encodes one path segment (names are usually safe already; this keeps a
/// stray `/` or `?` from changing the route).
pub fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A configured client of one API.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
    service: &'static str,
    decode_error: ErrorDecoder,
    auth_hint: String,
    policy: RetryPolicy,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("service", &self.service)
            .field("base_url", &self.base_url)
            .field("token", &self.token)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Operations whose answers hold secrets: a body the provider cannot read is not quoted.
pub const SECRET_ANSWERS: &[&str] = &["ListEnvironmentVariables", "GetPagesUploadToken"];

impl ApiClient {
    /// A client of `service` (e.g. `Fly.io`) at `base_url`. `auth_hint` is appended to
    /// 401/403 errors and says where the token comes from.
    pub fn new(
        service: &'static str,
        base_url: &str,
        token: Secret,
        decode_error: ErrorDecoder,
        auth_hint: impl Into<String>,
    ) -> Result<Self, BackendError> {
        let base = base_url.trim_end_matches('/');
        if Url::parse(base).is_err()
            || !(base.starts_with("http://") || base.starts_with("https://"))
        {
            return Err(BackendError::Api {
                service,
                operation: "configure",
                message: format!(
                    "`{base_url}` is not an http(s) URL; write the endpoint in full, e.g. `http://127.0.0.1:8080`"
                ),
            });
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!(
                "terraform-provider-platform/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| BackendError::Api {
                service,
                operation: "configure",
                message: format!("cannot build the HTTP client: {}", chain(&e)),
            })?;
        Ok(Self {
            http,
            base_url: base.to_string(),
            token,
            service,
            decode_error,
            auth_hint: auth_hint.into(),
            policy: RetryPolicy::STANDARD,
        })
    }

    /// The same client with another retry policy (tests, slow endpoints).
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The service name used in errors.
    pub fn service(&self) -> &'static str {
        self.service
    }

    /// Sends `request` with retries and returns the API's final answer, 2xx or not;
    /// an error when retries ran out, the connection failed for good, or Terraform cancelled.
    pub async fn send(
        &self,
        cancel: &CancellationToken,
        request: &Request,
    ) -> Result<Reply, BackendError> {
        retrying(&self.policy, cancel, |n| self.send_once(request, n)).await
    }

    /// Sends `request` and requires a 2xx answer.
    pub async fn call(
        &self,
        cancel: &CancellationToken,
        request: &Request,
    ) -> Result<Reply, BackendError> {
        let reply = self.send(cancel, request).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(self.error(request.operation, &reply))
        }
    }

    /// Sends `request`, requires a 2xx answer and reads its JSON body.
    pub async fn call_json<T: DeserializeOwned>(
        &self,
        cancel: &CancellationToken,
        request: &Request,
    ) -> Result<T, BackendError> {
        let reply = self.call(cancel, request).await?;
        self.decode(request.operation, &reply)
    }

    /// Reads a reply's JSON body, or says what was wrong with it.
    pub fn decode<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        reply: &Reply,
    ) -> Result<T, BackendError> {
        serde_json::from_slice(&reply.body).map_err(|e| BackendError::Api {
            service: self.service,
            operation,
            message: if SECRET_ANSWERS.contains(&operation) {
                // The body holds secrets (decrypted variables, an upload token): neither
                // it nor the parser's message, which can quote it, is repeated.
                format!(
                    "the API answered HTTP {} with a body the provider cannot read (not shown: it holds secrets)",
                    reply.status.as_u16()
                )
            } else {
                format!(
                    "the API answered HTTP {} with a body the provider cannot read ({e}): {}",
                    reply.status.as_u16(),
                    excerpt(&reply.body)
                )
            },
        })
    }

    /// The error for a non-2xx reply: the API's own message, the status, and for
    /// 401/403 where the token comes from.
    pub fn error(&self, operation: &'static str, reply: &Reply) -> BackendError {
        self.status_error(operation, reply.status, &reply.body)
    }

    fn status_error(
        &self,
        operation: &'static str,
        status: StatusCode,
        body: &[u8],
    ) -> BackendError {
        let quoted = (self.decode_error)(body).unwrap_or_else(|| excerpt(body));
        let mut message = format!("{quoted} (HTTP {})", status.as_u16());
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
            && !self.auth_hint.is_empty()
        {
            message.push_str(" — ");
            message.push_str(&self.auth_hint);
        }
        BackendError::Api {
            service: self.service,
            operation,
            message,
        }
    }

    fn url(&self, request: &Request) -> Result<Url, BackendError> {
        let mut url = Url::parse(&format!("{}{}", self.base_url, request.path)).map_err(|e| {
            BackendError::Api {
                service: self.service,
                operation: request.operation,
                message: format!("`{}{}` is not a URL: {e}", self.base_url, request.path),
            }
        })?;
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        Ok(url)
    }

    /// One attempt, without retries: the reply, or a failure saying whether to retry.
    pub async fn send_once(&self, request: &Request, attempt: u32) -> Result<Reply, Failure> {
        let url = self.url(request)?;
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .bearer_auth(request.bearer.as_ref().unwrap_or(&self.token).expose())
            .timeout(self.policy.attempt_timeout);
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(bytes) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Body::Multipart(parts) => builder.multipart(form(parts).map_err(|e| {
                Failure::fatal(BackendError::Api {
                    service: self.service,
                    operation: request.operation,
                    message: format!("cannot build the upload: {e}"),
                })
            })?),
            Body::Raw {
                content_type,
                bytes,
            } => builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone()),
        };
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(
                    service = self.service,
                    operation = request.operation,
                    method = %request.method,
                    path = %request.path,
                    attempt,
                    "request failed before an answer"
                );
                return Err(self.transport_failure(request, &e));
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Err(self.transport_failure(request, &e)),
        };
        tracing::debug!(
            service = self.service,
            operation = request.operation,
            method = %request.method,
            path = %request.path,
            status = status.as_u16(),
            attempt,
            "API answered"
        );
        if is_retryable(status) {
            return Err(Failure {
                error: self.status_error(request.operation, status, &body),
                retryable: true,
                retry_after,
            });
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn transport_failure(&self, request: &Request, e: &reqwest::Error) -> Failure {
        let retryable = e.is_connect() || e.is_timeout() || e.is_request() || e.is_body();
        let what = if e.is_timeout() {
            format!(
                "no answer from `{}{}` within {} s",
                self.base_url,
                request.path,
                self.policy.attempt_timeout.as_secs()
            )
        } else {
            format!("could not reach `{}{}`", self.base_url, request.path)
        };
        Failure {
            error: BackendError::Api {
                service: self.service,
                operation: request.operation,
                message: format!("{what}: {} — check the endpoint and the network", chain(e)),
            },
            retryable,
            retry_after: None,
        }
    }
}

fn form(parts: &[Part]) -> Result<reqwest::multipart::Form, reqwest::Error> {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        let mut part =
            reqwest::multipart::Part::bytes(p.bytes.clone()).mime_str(&p.content_type)?;
        if let Some(name) = &p.filename {
            part = part.file_name(name.clone());
        }
        form = form.part(p.name.clone(), part);
    }
    Ok(form)
}

/// An error and its causes, `: `-separated (reqwest hides the useful part in the chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let next = s.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = s.source();
    }
    text
}

/// A body that is not in the API's error shape, shortened for a diagnostic.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "the API gave no error text".to_string();
    }
    let mut cut: String = text.chars().take(300).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("`{cut}`")
}

#[cfg(test)]
mod tests;
