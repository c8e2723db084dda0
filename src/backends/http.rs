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
}

/// A request, kept whole so that each retry sends it again.
#[derive(Clone)]
pub struct Request {
    operation: &'static str,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Body,
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
            message: format!(
                "the API answered HTTP {} with a body the provider cannot read ({e}): {}",
                reply.status.as_u16(),
                excerpt(&reply.body)
            ),
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
            .bearer_auth(self.token.expose())
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
        };
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
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    const FAST: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        initial_backoff: Duration::from_secs(1),
        max_backoff: Duration::from_secs(8),
        max_retry_after: Duration::from_secs(60),
        budget: Duration::from_secs(120),
        attempt_timeout: Duration::from_secs(30),
    };

    fn api_error(message: &str) -> BackendError {
        BackendError::Api {
            service: "Test",
            operation: "Op",
            message: message.to_string(),
        }
    }

    fn transient(retry_after: Option<u64>) -> Failure {
        Failure {
            error: api_error("slow down (HTTP 429)"),
            retryable: true,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        use backon::BackoffBuilder;
        // Retry k waits within [b/2, b): b = 1, 2, 4, 8 s (capped), for 4 retries in all.
        let bases = [1000, 2000, 4000, 8000];
        let mut lowest = [u128::MAX; 4];
        let mut highest = [0u128; 4];
        for seed in 0..500 {
            let pauses: Vec<Duration> = FAST.backoff().with_jitter_seed(seed).build().collect();
            assert_eq!(pauses.len(), 4, "max_attempts - 1 retries");
            for (k, pause) in pauses.iter().enumerate() {
                let (ms, base) = (pause.as_millis(), bases[k]);
                assert!(ms >= base / 2 && ms < base, "retry {} waits {ms} ms", k + 1);
                lowest[k] = lowest[k].min(ms);
                highest[k] = highest[k].max(ms);
            }
        }
        // Spread over the whole upper half, not stuck at one end.
        for ((low, high), base) in lowest.iter().zip(highest).zip(bases) {
            assert!(*low < base * 11 / 20, "{lowest:?} from {bases:?}");
            assert!(high > base * 19 / 20, "{highest:?} from {bases:?}");
        }
        let long = RetryPolicy {
            max_attempts: 30,
            ..FAST
        };
        let last = long.backoff().build().last().unwrap();
        assert!(last < Duration::from_secs(8), "capped: {last:?}");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let cases = [
            ("7", Some(7)),
            (" 0 ", Some(0)),
            ("Wed, 21 Oct 2015 07:28:30 GMT", Some(30)),
            ("Wednesday, 21-Oct-15 07:29:00 GMT", Some(60)),
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(0)),
            ("soon", None),
            ("-3", None),
        ];
        for (value, want) in cases {
            assert_eq!(
                parse_retry_after(value, now),
                want.map(Duration::from_secs),
                "{value}"
            );
        }
    }

    #[test]
    fn throttling_and_server_errors_are_retryable() {
        let cases = [
            (429, true),
            (500, true),
            (502, true),
            (503, true),
            (504, true),
            (501, false),
            (400, false),
            (401, false),
            (404, false),
            (408, false),
            (422, false),
        ];
        for (status, want) in cases {
            assert_eq!(
                is_retryable(StatusCode::from_u16(status).unwrap()),
                want,
                "{status}"
            );
        }
    }

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("prod-api_1.x~"), "prod-api_1.x~");
        assert_eq!(segment("a/b?c d"), "a%2Fb%3Fc%20d");
    }

    /// An attempt closure failing `fail` times with `failure`, then succeeding; counts calls.
    fn flaky(
        fail: u32,
        failure: fn() -> Failure,
    ) -> (
        Arc<AtomicU32>,
        impl FnMut(u32) -> std::future::Ready<Result<u32, Failure>>,
    ) {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let attempt = move |n| {
            let call = c.fetch_add(1, Ordering::SeqCst) + 1;
            assert_eq!(call, n, "attempts are numbered from 1");
            std::future::ready(if call > fail {
                Ok(call)
            } else {
                Err(failure())
            })
        };
        (calls, attempt)
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_exactly() {
        let (calls, attempt) = flaky(2, || transient(Some(7)));
        let started = tokio::time::Instant::now();
        let n = retrying(&FAST, &CancellationToken::new(), attempt)
            .await
            .unwrap();
        assert_eq!((n, calls.load(Ordering::SeqCst)), (3, 3));
        assert_eq!(started.elapsed(), Duration::from_secs(14));
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_backoff_grows() {
        let (_, attempt) = flaky(3, || transient(None));
        let started = tokio::time::Instant::now();
        retrying(&FAST, &CancellationToken::new(), attempt)
            .await
            .unwrap();
        // Retries 1, 2, 3 wait within [0.5, 1] + [1, 2] + [2, 4] seconds.
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(3500) && waited <= Duration::from_secs(7),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_and_the_error_quotes_the_api() {
        let (calls, attempt) = flaky(u32::MAX, || transient(None));
        let err = retrying(&FAST, &CancellationToken::new(), attempt)
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        let text = err.to_string();
        assert!(
            text.starts_with("Test Op failed: slow down (HTTP 429)"),
            "{text}"
        );
        assert!(text.contains("gave up after 5 attempts"), "{text}");
        assert!(text.contains("terraform apply"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_longer_than_the_policy_allows_ends_the_call_at_once() {
        let (calls, attempt) = flaky(u32::MAX, || transient(Some(3600)));
        let started = tokio::time::Instant::now();
        let err = retrying(&FAST, &CancellationToken::new(), attempt)
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert!(err.to_string().contains("retry after 3600 s"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_time_budget_bounds_the_retries() {
        let policy = RetryPolicy {
            max_attempts: 100,
            budget: Duration::from_secs(100),
            ..FAST
        };
        let (calls, attempt) = flaky(u32::MAX, || transient(Some(45)));
        let started = tokio::time::Instant::now();
        let err = retrying(&policy, &CancellationToken::new(), attempt)
            .await
            .unwrap_err();
        // Tries at 0 and 45 s; a third at 90 s + 45 s would pass the 100 s budget.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(started.elapsed(), Duration::from_secs(90));
        assert!(err.to_string().contains("the 100 s"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_fatal_failure_is_not_retried() {
        let (calls, attempt) = flaky(u32::MAX, || Failure::fatal(api_error("no (HTTP 400)")));
        let err = retrying(&FAST, &CancellationToken::new(), attempt)
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(err.to_string(), "Test Op failed: no (HTTP 400)");
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_a_wait_at_once() {
        let (calls, attempt) = flaky(u32::MAX, || transient(Some(30)));
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            c.cancel();
        });
        let started = tokio::time::Instant::now();
        let err = retrying(&FAST, &cancel, attempt).await.unwrap_err();
        assert!(matches!(err, BackendError::Cancelled));
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn cancellation_ends_an_attempt_in_flight() {
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(3)).await;
            c.cancel();
        });
        let started = tokio::time::Instant::now();
        let err = retrying(&FAST, &cancel, |_| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Failure>(())
        })
        .await
        .unwrap_err();
        assert!(matches!(err, BackendError::Cancelled));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    // ---- over real HTTP: a tiny local server -------------------------------------------

    /// What the local server saw of one request.
    #[derive(Debug, Clone)]
    struct Seen {
        method: String,
        path: String,
        authorization: Option<String>,
        content_type: Option<String>,
        body: Vec<u8>,
    }

    /// A scripted answer: status, extra headers, body.
    type Scripted = (u16, Vec<(&'static str, String)>, &'static str);

    /// A local server answering each request with the next scripted reply (the last one
    /// repeats), recording what it was sent.
    async fn server(replies: Vec<Scripted>) -> (String, Arc<Mutex<Vec<Seen>>>) {
        use axum::body::{Body, Bytes};
        use axum::http::{HeaderMap as AxumHeaders, Request as AxumRequest};
        let seen = Arc::new(Mutex::new(Vec::new()));
        let replies = Arc::new(replies);
        let log = seen.clone();
        let app = axum::Router::new().fallback(move |req: AxumRequest<Body>| {
            let log = log.clone();
            let replies = replies.clone();
            async move {
                let (parts, body) = req.into_parts();
                let headers: AxumHeaders = parts.headers;
                let body: Bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
                let header = |h: &str| headers.get(h).map(|v| v.to_str().unwrap().to_string());
                let mut log = log.lock().unwrap();
                log.push(Seen {
                    method: parts.method.to_string(),
                    path: parts.uri.to_string(),
                    authorization: header("authorization"),
                    content_type: header("content-type"),
                    body: body.to_vec(),
                });
                let (status, extra, text) = &replies[(log.len() - 1).min(replies.len() - 1)];
                let mut response = axum::response::Response::new(Body::from(*text));
                *response.status_mut() = axum::http::StatusCode::from_u16(*status).unwrap();
                for (k, v) in extra {
                    response.headers_mut().insert(*k, v.parse().unwrap());
                }
                response
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(axum::serve(listener, app).into_future());
        (format!("http://{addr}/api"), seen)
    }

    fn decode_test_error(body: &[u8]) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        v.get("error")?.as_str().map(str::to_string)
    }

    fn client(base: &str, policy: RetryPolicy) -> ApiClient {
        ApiClient::new(
            "Test",
            base,
            Secret::new("tok-123"),
            decode_test_error,
            "check `TEST_TOKEN`",
        )
        .unwrap()
        .with_policy(policy)
    }

    const QUICK: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
        budget: Duration::from_secs(10),
        attempt_timeout: Duration::from_secs(5),
    };

    #[tokio::test]
    async fn sends_bearer_auth_json_and_query_then_reads_json() {
        let (base, seen) = server(vec![(200, vec![], r#"{"ok":true}"#)]).await;
        let c = client(&base, QUICK);
        let req = Request::post("Create", "/v1/things/a%2Fb")
            .query("force", "true")
            .json(&serde_json::json!({"name": "x"}));
        let got: serde_json::Value = c.call_json(&CancellationToken::new(), &req).await.unwrap();
        assert_eq!(got, serde_json::json!({"ok": true}));
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].method, "POST");
        assert_eq!(seen[0].path, "/api/v1/things/a%2Fb?force=true");
        assert_eq!(seen[0].authorization.as_deref(), Some("Bearer tok-123"));
        assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
        assert_eq!(seen[0].body, br#"{"name":"x"}"#);
    }

    #[tokio::test]
    async fn a_throttled_request_is_sent_again_after_retry_after() {
        let (base, seen) = server(vec![
            (
                429,
                vec![("retry-after", "1".into())],
                r#"{"error":"slow down"}"#,
            ),
            (503, vec![], "upstream gone"),
            (200, vec![], "{}"),
        ])
        .await;
        let started = std::time::Instant::now();
        let reply = client(&base, QUICK)
            .call(
                &CancellationToken::new(),
                &Request::put("Put", "/x").json(&1),
            )
            .await
            .unwrap();
        assert!(reply.is_success());
        assert_eq!(seen.lock().unwrap().len(), 3);
        assert_eq!(seen.lock().unwrap()[2].body, b"1", "the body is sent again");
        assert!(started.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test]
    async fn an_http_date_retry_after_is_honoured() {
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
        let (base, seen) = server(vec![
            (
                503,
                vec![("retry-after", soon)],
                r#"{"error":"maintenance"}"#,
            ),
            (204, vec![], ""),
        ])
        .await;
        let started = std::time::Instant::now();
        client(&base, QUICK)
            .call(&CancellationToken::new(), &Request::delete("Delete", "/x"))
            .await
            .unwrap();
        assert_eq!(seen.lock().unwrap().len(), 2);
        // HTTP dates have whole seconds: at least one second of the two remains.
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn the_final_error_quotes_the_api_and_the_attempts() {
        let (base, seen) = server(vec![(
            503,
            vec![],
            r#"{"error":"capacity exhausted in ams"}"#,
        )])
        .await;
        let err = client(&base, QUICK)
            .call(&CancellationToken::new(), &Request::get("GetThing", "/x"))
            .await
            .unwrap_err();
        assert_eq!(seen.lock().unwrap().len(), 4);
        let text = err.to_string();
        assert!(
            text.starts_with("Test GetThing failed: capacity exhausted in ams (HTTP 503); gave up after 4 attempts"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn client_errors_are_not_retried_and_auth_errors_say_where_the_token_comes_from() {
        let (base, seen) =
            server(vec![(401, vec![], r#"{"error":"token validation error"}"#)]).await;
        let c = client(&base, QUICK);
        let reply = c
            .send(&CancellationToken::new(), &Request::get("List", "/x"))
            .await
            .unwrap();
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(
            c.error("List", &reply).to_string(),
            "Test List failed: token validation error (HTTP 401) — check `TEST_TOKEN`"
        );
    }

    #[tokio::test]
    async fn a_body_not_in_the_apis_shape_is_quoted_short() {
        let (base, _) = server(vec![(400, vec![], "<html>bad gateway config</html>")]).await;
        let c = client(&base, QUICK);
        let err = c
            .call(&CancellationToken::new(), &Request::get("Get", "/x"))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Test Get failed: `<html>bad gateway config</html>` (HTTP 400)"
        );
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_retried_then_named() {
        // Bind then drop: nothing listens on this port.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = client(&format!("http://127.0.0.1:{port}"), QUICK)
            .call(&CancellationToken::new(), &Request::get("Get", "/v1/x"))
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("could not reach `http://127.0.0.1:{port}/v1/x`")),
            "{text}"
        );
        assert!(text.contains("gave up after 4 attempts"), "{text}");
    }

    #[tokio::test]
    async fn multipart_parts_carry_their_names_and_content_types() {
        let (base, seen) = server(vec![(200, vec![], "{}")]).await;
        let parts = vec![
            Part {
                name: "metadata".into(),
                filename: None,
                content_type: "application/json".into(),
                bytes: br#"{"main_module":"index.js"}"#.to_vec(),
            },
            Part {
                name: "index.js".into(),
                filename: Some("index.js".into()),
                content_type: "application/javascript+module".into(),
                bytes: b"export default {}".to_vec(),
            },
        ];
        client(&base, QUICK)
            .call(
                &CancellationToken::new(),
                &Request::put("Upload", "/s").multipart(parts),
            )
            .await
            .unwrap();
        let seen = seen.lock().unwrap();
        assert!(
            seen[0]
                .content_type
                .as_deref()
                .unwrap()
                .starts_with("multipart/form-data; boundary=")
        );
        let body = String::from_utf8_lossy(&seen[0].body);
        assert!(body.contains("name=\"metadata\""), "{body}");
        assert!(
            body.contains("Content-Type: application/javascript+module"),
            "{body}"
        );
        assert!(body.contains("filename=\"index.js\""), "{body}");
    }

    #[test]
    fn a_bad_base_url_is_refused_with_an_example() {
        let err = ApiClient::new(
            "Test",
            "localhost:8080",
            Secret::new("t"),
            decode_test_error,
            "",
        )
        .unwrap_err();
        assert!(err.to_string().contains("not an http(s) URL"), "{err}");
    }

    #[tokio::test]
    async fn logs_and_debug_output_never_carry_the_token_or_the_body() {
        use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
        #[derive(Clone, Default)]
        struct Capture(Arc<Mutex<String>>);
        impl<S: tracing::Subscriber> Layer<S> for Capture {
            fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
                let line = crate::protocol::logging::render(
                    event.metadata().level(),
                    event.metadata().target(),
                    |v| event.record(v),
                );
                self.0.lock().unwrap().push_str(&line);
            }
        }
        // With one dispatcher alive, tracing-core caches a callsite's interest as seen by
        // the thread that first hits it: a test on another thread would switch these log
        // lines off for this one. A second dispatcher makes the interest `sometimes`, asked
        // of each thread's own subscriber.
        let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        let _guard = tracing::subscriber::set_default(subscriber);

        let (base, _) = server(vec![
            (
                429,
                vec![("retry-after", "0".into())],
                r#"{"error":"slow"}"#,
            ),
            (200, vec![], "{}"),
        ])
        .await;
        let c = client(&base, QUICK);
        let req = Request::post("Create", "/x").json(&serde_json::json!({"secret": "hunter2"}));
        c.call(&CancellationToken::new(), &req).await.unwrap();
        let logs = capture.0.lock().unwrap().clone();
        assert!(logs.contains("\"status\":\"429\""), "{logs}");
        assert!(logs.contains("\"attempt\":\"2\""), "{logs}");
        for leak in ["tok-123", "hunter2", "Bearer"] {
            assert!(!logs.contains(leak), "`{leak}` leaked into {logs}");
            assert!(
                !format!("{c:?} {req:?}").contains(leak),
                "`{leak}` in Debug"
            );
        }
    }
}
