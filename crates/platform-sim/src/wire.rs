//! Reading requests and writing JSON responses, shared by both simulated APIs and
//! the control API. Query strings and bodies are parsed by hand because the
//! simulator enables none of axum's serde-based extractors (they would pull crates
//! the project does not otherwise use).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// A JSON response with `status`.
pub fn json(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// An empty response with `status`.
pub fn empty(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// Parse a request body as JSON; an empty body is `null`.
pub fn json_body(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// Decoded `key=value` pairs of a raw query string, in order.
pub fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// The first value of `key` in a raw query string.
pub fn query_value(raw: Option<&str>, key: &str) -> Option<String> {
    query_pairs(raw)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Whether a query flag such as `force=true` is set.
pub fn query_flag(raw: Option<&str>, key: &str) -> bool {
    matches!(query_value(raw, key).as_deref(), Some("true" | "1" | ""))
}

/// Decode `%XX` escapes and `+` (form encoding's space).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let raw = Some("state=started&timeout=30&metadata.platform%3Aenv=prod&x=a+b&flag");
        assert_eq!(query_value(raw, "state").as_deref(), Some("started"));
        assert_eq!(
            query_value(raw, "metadata.platform:env").as_deref(),
            Some("prod")
        );
        assert_eq!(query_value(raw, "x").as_deref(), Some("a b"));
        assert!(query_flag(raw, "flag"));
        assert!(!query_flag(raw, "force"));
        assert_eq!(
            query_value(Some("bad=%zz%"), "bad").as_deref(),
            Some("%zz%")
        );
    }

    #[test]
    fn empty_bodies_are_null() {
        assert_eq!(json_body(b"").unwrap(), Value::Null);
        assert_eq!(json_body(b" \n").unwrap(), Value::Null);
        assert!(json_body(b"{").is_err());
    }
}
