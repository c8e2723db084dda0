//! A `platform-sim` simulator process for tests: started on a free loopback port, killed
//! on drop, with its test controls (faults, request log, state) as methods.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use terraform_provider_platform::backends::cloudflare::Cloudflare;
use terraform_provider_platform::backends::fly::Fly;
use terraform_provider_platform::backends::http::RetryPolicy;
use terraform_provider_platform::config::Secret;

/// The token the simulator accepts unless started with `--token`.
pub const TOKEN: &str = "sim-token";
/// The Cloudflare account every token of the simulator may use.
pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
/// The zone the simulator starts with (`example.com`).
pub const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// Retries fast enough for a test, as many as the standard policy.
pub const QUICK: RetryPolicy = RetryPolicy {
    initial_backoff: Duration::from_millis(20),
    max_backoff: Duration::from_millis(100),
    ..RetryPolicy::STANDARD
};

/// A `platform-sim` process on a free loopback port, killed on drop.
pub struct Sim {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Sim {
    pub fn start(args: &[&str]) -> Sim {
        let mut child = Command::new(crate::harness::platform_sim())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start platform-sim");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("read the simulator's first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from platform-sim: {line:?}"))
            .to_string();
        Sim {
            child,
            base,
            http: reqwest::Client::new(),
        }
    }

    pub fn fly_endpoint(&self) -> String {
        format!("{}/fly", self.base)
    }

    pub fn cloudflare_endpoint(&self) -> String {
        format!("{}/cloudflare/client/v4", self.base)
    }

    pub fn fly(&self, token: &str, org: &str) -> Fly {
        Fly::new(Some(&self.fly_endpoint()), Some(&Secret::new(token)), org)
            .expect("a Fly.io client")
            .with_policy(QUICK)
    }

    pub fn cloudflare(&self, token: &str) -> Cloudflare {
        Cloudflare::new(
            Some(&self.cloudflare_endpoint()),
            Some(&Secret::new(token)),
            Some(ACCOUNT),
        )
        .expect("a Cloudflare client")
        .with_policy(QUICK)
    }

    /// Queues a fault (`POST /_sim/faults`).
    pub async fn fault(&self, spec: Value) {
        let r = self
            .http
            .post(format!("{}/_sim/faults", self.base))
            .json(&spec)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    }

    /// `(method, path, status, injected)` of every API request answered so far.
    pub async fn requests(&self) -> Vec<(String, String, u64, bool)> {
        let log: Value = self
            .http
            .get(format!("{}/_sim/requests", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["method"].as_str().unwrap().to_string(),
                    e["path"].as_str().unwrap().to_string(),
                    e["status"].as_u64().unwrap(),
                    e["injected"].as_bool().unwrap(),
                )
            })
            .collect()
    }

    /// The requests of one method to one path, as `(status, injected)`.
    pub async fn requests_to(&self, method: &str, path: &str) -> Vec<(u64, bool)> {
        self.requests()
            .await
            .into_iter()
            .filter(|(m, p, _, _)| m == method && p == path)
            .map(|(_, _, s, i)| (s, i))
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sim {
    /// Everything the simulator holds (`GET /_sim/state`), secrets redacted.
    pub async fn state(&self) -> Value {
        self.http
            .get(format!("{}/_sim/state", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Posts to a control endpoint under `/_sim`, expecting success.
    pub async fn control(&self, path: &str, body: Vec<u8>) {
        let r = self
            .http
            .post(format!("{}/_sim{path}", self.base))
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap()
        );
    }
}
