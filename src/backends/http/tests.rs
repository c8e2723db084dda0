//! Tests of [`super`] (http.rs).

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
async fn a_request_may_carry_its_own_bearer_token() {
    let (base, seen) = server(vec![(200, vec![], r#"{"ok":true}"#)]).await;
    let c = client(&base, QUICK);
    let cancel = CancellationToken::new();
    let req = Request::post("Upload", "/v1/assets").bearer(Secret::new("jwt-456"));
    assert!(!format!("{req:?}").contains("jwt-456"));
    c.call(&cancel, &req).await.unwrap();
    c.call(&cancel, &Request::get("Read", "/v1/assets"))
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].authorization.as_deref(), Some("Bearer jwt-456"));
    assert_eq!(seen[1].authorization.as_deref(), Some("Bearer tok-123"));
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
        text.starts_with(
            "Test GetThing failed: capacity exhausted in ams (HTTP 503); gave up after 4 attempts"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn client_errors_are_not_retried_and_auth_errors_say_where_the_token_comes_from() {
    let (base, seen) = server(vec![(401, vec![], r#"{"error":"token validation error"}"#)]).await;
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
