//! AWS under load, through the fault proxy in front of moto ([`crate::faults`]), with real
//! Terraform: bursts of throttling, 5xx answers and dropped connections are retried until the
//! apply succeeds; a throttle that never ends fails within a bounded time with a diagnostic
//! that names the operation and says it was throttled.
//!
//! Figures go to stderr (`cargo test --test e2e throttl -- --nocapture`).

use crate::faults::{Fault, FaultProxy, Rule, Scope};
use crate::harness::{Moto, REQUIRED_PROVIDERS, Workdir, newest_terraform};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-platform");

/// Backoff for the long sequences: 20 ms doubling, capped at 400 ms (the real 1 s / 20 s
/// scaled by 1/50), so 10 retries per call take seconds rather than minutes.
const FAST_BACKOFF_MS: &str = "20";

fn stack(env: &str, provider: &str) -> String {
    format!(
        r#"
{REQUIRED_PROVIDERS}
provider "platform" {{
{provider}
}}

resource "platform_environment" "env" {{
  name   = "{env}"
  tier   = "development"
  region = "us-east-1"
}}

resource "platform_database" "db" {{
  environment = platform_environment.env.context
  name        = "main"
}}
"#
    )
}

/// Terraform's diagnostic box, one line: `│ ` prefixes gone, wrapped lines joined.
fn unwrapped(stderr: &str) -> String {
    stderr
        .lines()
        .map(|l| l.trim_start_matches('│').trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn workdir(proxy: &FaultProxy, config: &str, backoff_ms: Option<&str>) -> Workdir {
    let mut wd = Workdir::new(BIN, config);
    wd.set_env("AWS_ENDPOINT_URL", &proxy.endpoint());
    if let Some(ms) = backoff_ms {
        wd.set_env("PLATFORM_AWS_RETRY_INITIAL_BACKOFF_MS", ms);
    }
    wd
}

#[test]
fn bursts_of_3_and_10_throttles_per_request_still_apply_and_destroy() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    for burst in [3u32, 10] {
        let proxy = FaultProxy::start(
            &moto.endpoint(),
            vec![Rule::new(
                Fault::Throttle,
                Scope::FirstOfEachCall(burst),
                &[],
            )],
        );
        let env = format!("thr{burst}");
        // E2E_THROTTLE_REAL_BACKOFF=1 measures with the real 1 s / 20 s backoff.
        let real = std::env::var_os("E2E_THROTTLE_REAL_BACKOFF").is_some();
        let backoff = (!real).then_some(FAST_BACKOFF_MS);
        let wd = workdir(&proxy, &stack(&env, ""), backoff);
        let started = Instant::now();
        wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
            .expect_success();
        let applied = started.elapsed();
        let throttled = proxy.injected(Fault::Throttle);
        let ops = proxy.faulted_operations();
        for op in ["CreateCluster", "CreateDBInstance", "DescribeDBInstances"] {
            assert_eq!(
                proxy.injected_for(op, Fault::Throttle) % burst,
                0,
                "every {op} call met exactly {burst} throttles: {ops:?}"
            );
            assert!(
                proxy.injected_for(op, Fault::Throttle) >= burst,
                "{op} was throttled: {ops:?}"
            );
        }
        let state = wd.state_json(&tf);
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(resources.len(), 2, "both resources in state: {state}");

        let started = Instant::now();
        wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
            .expect_success();
        eprintln!(
            "throttling figures: a burst of {burst} throttles on every AWS request: apply survived {throttled} throttles over {} operations ({}) in {:.1}s, destroy survived {} more in {:.1}s ({})",
            ops.len(),
            ops.join(", "),
            applied.as_secs_f64(),
            proxy.injected(Fault::Throttle) - throttled,
            started.elapsed().as_secs_f64(),
            if real {
                "real backoff"
            } else {
                "backoff scaled 1/50"
            },
        );
    }
}

/// Runs an apply against a throttle that never ends and returns (output, elapsed).
fn persistent(
    env: &str,
    provider: &str,
    fault: Fault,
    operation: &str,
    backoff_ms: Option<&str>,
) -> (crate::harness::Output, Duration, u32) {
    let tf = newest_terraform();
    let proxy = FaultProxy::start(
        &Moto::shared().endpoint(),
        vec![Rule::new(fault, Scope::Always, &[operation])],
    );
    let wd = workdir(&proxy, &stack(env, provider), backoff_ms);
    let started = Instant::now();
    let out = wd.run(&tf, &["apply", "-no-color", "-auto-approve"]);
    let elapsed = started.elapsed();
    assert!(
        !out.success(),
        "apply must fail under a persistent {fault:?}:\n{out}"
    );
    (out, elapsed, proxy.injected_for(operation, fault))
}

#[test]
fn a_persistent_throttle_fails_in_bounded_time_naming_the_operation() {
    // Real backoff (1 s doubling, 20 s cap) with max_retries = 5: at most 1+2+4+8+16 = 31 s.
    let (out, elapsed, attempts) = persistent(
        "thrp5",
        "  max_retries = 5",
        Fault::Throttle,
        "CreateCluster",
        None,
    );
    let text = unwrapped(&out.stderr);
    for want in [
        "AWS Throttled The Request",
        "ECS CreateCluster was throttled by AWS on all 6 attempts",
        "ThrottlingException: Rate exceeded",
        "max_retries",
    ] {
        assert!(text.contains(want), "diagnostic lacks {want:?}:\n{out}");
    }
    assert!(
        !text.contains("Check the AWS credentials"),
        "a throttle is not a credentials problem:\n{out}"
    );
    assert_eq!(attempts, 6, "1 attempt + max_retries 5");
    assert!(
        elapsed < Duration::from_secs(31 + 30),
        "bounded by 31 s of backoff plus Terraform's own time, took {elapsed:?}"
    );
    eprintln!(
        "throttling figures: persistent throttle on ECS CreateCluster, max_retries = 5, real backoff: failed after {attempts} attempts in {:.1}s (bound: 31 s of backoff)",
        elapsed.as_secs_f64()
    );

    // The default, 25 retries: 431 s of backoff at most in real time; scaled by 1/50 here.
    let (out, elapsed, attempts) = persistent(
        "thrpd",
        "",
        Fault::Throttle,
        "CreateDBInstance",
        Some(FAST_BACKOFF_MS),
    );
    let text = unwrapped(&out.stderr);
    assert!(
        text.contains("RDS CreateDBInstance was throttled by AWS on all 26 attempts"),
        "{out}"
    );
    assert!(text.contains("Throttling: Rate exceeded"), "{out}");
    assert_eq!(attempts, 26, "1 attempt + the default max_retries 25");
    eprintln!(
        "throttling figures: persistent throttle on RDS CreateDBInstance, default max_retries = 25, backoff scaled 1/50: failed after {attempts} attempts in {:.1}s (real-time bound: 431 s of backoff, about half that on average with jitter)",
        elapsed.as_secs_f64()
    );
}

#[test]
fn server_errors_and_dropped_connections_are_retried() {
    let tf = newest_terraform();
    let moto = Moto::shared();
    let proxy = FaultProxy::start(
        &moto.endpoint(),
        vec![
            Rule::new(
                Fault::Unavailable,
                Scope::FirstOfEachCall(2),
                &["CreateCluster", "DescribeDBInstances"],
            ),
            Rule::new(
                Fault::Drop,
                Scope::FirstOfEachCall(2),
                &["DescribeClusters", "CreateDBInstance"],
            ),
        ],
    );
    let wd = workdir(&proxy, &stack("thr5xx", ""), Some(FAST_BACKOFF_MS));
    wd.run(&tf, &["apply", "-no-color", "-auto-approve"])
        .expect_success();
    let unavailable = proxy.injected(Fault::Unavailable);
    let dropped = proxy.injected(Fault::Drop);
    assert!(
        proxy.injected_for("CreateCluster", Fault::Unavailable) >= 2,
        "{:?}",
        proxy.faulted_operations()
    );
    assert!(proxy.injected_for("CreateDBInstance", Fault::Drop) >= 2);
    wd.run(&tf, &["destroy", "-no-color", "-auto-approve"])
        .expect_success();
    eprintln!(
        "throttling figures: apply and destroy survived {unavailable} HTTP 503 answers and {dropped} dropped connections (2 of each per call)"
    );

    // A 503 that never ends names the service as unavailable, not the credentials.
    let (out, _, attempts) = persistent(
        "thr503",
        "  max_retries = 2",
        Fault::Unavailable,
        "CreateCluster",
        Some(FAST_BACKOFF_MS),
    );
    let text = unwrapped(&out.stderr);
    assert!(text.contains("AWS Service Unavailable"), "{out}");
    assert!(
        text.contains("ECS CreateCluster found the service unavailable on all 3 attempts"),
        "{out}"
    );
    assert!(!text.contains("Check the AWS credentials"), "{out}");
    assert_eq!(attempts, 3);
}
