//! Fault injection: tests queue failures for the next `n` requests that match a
//! method and path prefix, to drive a client's retry and partial-failure paths.
//!
//! A fault normally answers *instead of* the API ("before"). With `after_apply` the
//! request is carried out first and only its response is replaced, which is how a
//! client learns what happens when a create succeeded but the answer was lost.

use serde::Deserialize;
use serde_json::{Value, json};

/// Statuses a fault may carry: throttling and the server errors clients retry.
const ALLOWED_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

/// A fault as a test asks for it (`POST /_sim/faults`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// `"<METHOD> <path-prefix>"`, `"* <path-prefix>"` or just `"<path-prefix>"`.
    #[serde(rename = "match")]
    pub matcher: String,
    /// HTTP status to answer with.
    pub status: u16,
    /// Seconds for the `Retry-After` header (429 defaults to 1).
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// How many matching requests fail (default 1).
    #[serde(default)]
    pub times: Option<u32>,
    /// Error message in the API's own error shape (a default per status otherwise).
    #[serde(default)]
    pub message: Option<String>,
    /// Carry out the request, then replace its response.
    #[serde(default)]
    pub after_apply: bool,
}

/// When a fault applies relative to the request being carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Instead of the request.
    Before,
    /// After the request has changed state.
    After,
}

/// The failure to answer one request with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// HTTP status.
    pub status: u16,
    /// `Retry-After` seconds, if any.
    pub retry_after: Option<u64>,
    /// Message override.
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
struct Fault {
    id: u64,
    method: Option<String>,
    path_prefix: String,
    status: u16,
    retry_after: Option<u64>,
    remaining: u32,
    fired: u32,
    message: Option<String>,
    after_apply: bool,
}

impl Fault {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "match": format!("{} {}", self.method.as_deref().unwrap_or("*"), self.path_prefix),
            "status": self.status,
            "retry_after": self.retry_after,
            "remaining": self.remaining,
            "fired": self.fired,
            "message": self.message,
            "after_apply": self.after_apply,
        })
    }
}

/// Pending faults, consulted in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    rules: Vec<Fault>,
}

impl Faults {
    /// Queue a fault; the JSON describes it, or the error says what is wrong with it.
    pub fn add(&mut self, spec: FaultSpec) -> Result<Value, String> {
        let (method, path_prefix) = match spec.matcher.trim().split_once(char::is_whitespace) {
            Some((method, prefix)) => (Some(method.to_ascii_uppercase()), prefix.trim()),
            None => (None, spec.matcher.trim()),
        };
        let method = method.filter(|m| m != "*");
        if !path_prefix.starts_with('/') {
            return Err(format!(
                "`match` must be \"<METHOD> <path-prefix>\" with a path starting with `/`, got `{}`",
                spec.matcher
            ));
        }
        if !ALLOWED_STATUSES.contains(&spec.status) {
            return Err(format!(
                "`status` must be one of {ALLOWED_STATUSES:?}, got {}",
                spec.status
            ));
        }
        let times = spec.times.unwrap_or(1);
        if times == 0 {
            return Err("`times` must be at least 1".to_owned());
        }
        self.next_id += 1;
        let fault = Fault {
            id: self.next_id,
            method,
            path_prefix: path_prefix.to_owned(),
            status: spec.status,
            retry_after: spec.retry_after.or((spec.status == 429).then_some(1)),
            remaining: times,
            fired: 0,
            message: spec.message,
            after_apply: spec.after_apply,
        };
        let described = fault.to_json();
        self.rules.push(fault);
        Ok(described)
    }

    /// Drop every pending fault; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.rules.len();
        self.rules.clear();
        n
    }

    /// Use up one firing of the first fault matching this request in `phase`.
    pub fn take(&mut self, method: &str, path: &str, phase: Phase) -> Option<Injected> {
        let index = self.rules.iter().position(|f| {
            f.remaining > 0
                && f.after_apply == (phase == Phase::After)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && path.starts_with(&f.path_prefix)
        })?;
        let fault = &mut self.rules[index];
        fault.remaining -= 1;
        fault.fired += 1;
        let injected = Injected {
            status: fault.status,
            retry_after: fault.retry_after,
            message: fault.message.clone(),
        };
        if fault.remaining == 0 {
            self.rules.remove(index);
        }
        Some(injected)
    }

    /// Pending faults as JSON.
    pub fn dump(&self) -> Value {
        Value::Array(self.rules.iter().map(Fault::to_json).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(matcher: &str, status: u16, times: Option<u32>) -> FaultSpec {
        FaultSpec {
            matcher: matcher.to_owned(),
            status,
            retry_after: None,
            times,
            message: None,
            after_apply: false,
        }
    }

    #[test]
    fn a_fault_fires_exactly_times_then_disappears() {
        let mut faults = Faults::default();
        faults.add(spec("POST /fly/v1/apps", 503, Some(2))).unwrap();
        let path = "/fly/v1/apps/a/machines";
        assert!(
            faults.take("GET", path, Phase::Before).is_none(),
            "method must match"
        );
        assert_eq!(
            faults.take("post", path, Phase::Before).unwrap().status,
            503
        );
        assert!(
            faults.take("POST", path, Phase::After).is_none(),
            "phase must match"
        );
        assert_eq!(
            faults.take("POST", path, Phase::Before).unwrap().status,
            503
        );
        assert!(faults.take("POST", path, Phase::Before).is_none());
        assert_eq!(faults.dump(), json!([]));
    }

    #[test]
    fn throttling_defaults_to_a_retry_after_of_one_second() {
        let mut faults = Faults::default();
        faults.add(spec("/cloudflare", 429, None)).unwrap();
        let injected = faults
            .take("PUT", "/cloudflare/client/v4/x", Phase::Before)
            .unwrap();
        assert_eq!(injected.retry_after, Some(1));
    }

    #[test]
    fn bad_specs_are_refused_with_the_reason() {
        let mut faults = Faults::default();
        let cases = [
            (spec("POST fly/v1", 500, None), "path starting with `/`"),
            (spec("POST /fly", 404, None), "`status` must be one of"),
            (
                spec("POST /fly", 500, Some(0)),
                "`times` must be at least 1",
            ),
        ];
        for (bad, want) in cases {
            let err = faults.add(bad).unwrap_err();
            assert!(err.contains(want), "{err}");
        }
    }
}
