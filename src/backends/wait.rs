//! Waiting for a cloud resource to reach a state: polls with capped exponential backoff,
//! stops at once when Terraform cancels, and gives up after a bound with a clear error.
//! moto makes everything ready at once, so this logic is unit-tested here with fake time.

use super::BackendError;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long and how often to poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// First pause between polls.
    pub initial: Duration,
    /// Longest pause between polls.
    pub max_interval: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl WaitPolicy {
    /// RDS instance transitions: creating a Multi-AZ instance takes 10–40 minutes.
    pub const RDS: WaitPolicy = WaitPolicy {
        initial: Duration::from_secs(5),
        max_interval: Duration::from_secs(30),
        timeout: Duration::from_secs(90 * 60),
    };
}

/// What one poll saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll<T> {
    /// The wait is over.
    Ready(T),
    /// Not yet; the current status, for the log and the timeout message.
    Pending(String),
    /// It will never get there (e.g. `failed`, `incompatible-parameters`).
    Failed(String),
}

/// Polls `probe` until it reports `Ready`, `Failed`, the policy's timeout, or cancellation.
pub async fn until<T, F, Fut>(
    what: &str,
    policy: WaitPolicy,
    cancel: &CancellationToken,
    mut probe: F,
) -> Result<T, BackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>, BackendError>>,
{
    let started = tokio::time::Instant::now();
    let mut pause = policy.initial;
    loop {
        let status = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(BackendError::Cancelled),
            p = probe() => p?,
        };
        match status {
            Poll::Ready(v) => return Ok(v),
            Poll::Failed(s) => {
                return Err(BackendError::Wait(format!(
                    "{what} entered status `{s}`, from which it will not become ready"
                )));
            }
            Poll::Pending(s) => {
                if started.elapsed() >= policy.timeout {
                    return Err(BackendError::Wait(format!(
                        "{what} is still `{s}` after {} minutes; it may finish on its own — run `terraform apply` again later to continue",
                        policy.timeout.as_secs() / 60
                    )));
                }
                tracing::debug!(what, status = %s, "waiting");
            }
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(BackendError::Cancelled),
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(policy.max_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const FAST: WaitPolicy = WaitPolicy {
        initial: Duration::from_secs(1),
        max_interval: Duration::from_secs(8),
        timeout: Duration::from_secs(60),
    };

    type Probe = std::future::Ready<Result<Poll<usize>, BackendError>>;

    /// A probe that is ready on its `ready_after`-th call, and counts its calls.
    fn counting(ready_after: usize) -> (Arc<AtomicUsize>, impl FnMut() -> Probe) {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let probe = move || {
            let n = c.fetch_add(1, Ordering::SeqCst) + 1;
            std::future::ready(Ok(if n >= ready_after {
                Poll::Ready(n)
            } else {
                Poll::Pending("creating".into())
            }))
        };
        (calls, probe)
    }

    #[tokio::test(start_paused = true)]
    async fn returns_when_ready_with_backoff() {
        let (calls, probe) = counting(5);
        let started = tokio::time::Instant::now();
        let n = until("db", FAST, &CancellationToken::new(), probe)
            .await
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(calls.load(Ordering::SeqCst), 5);
        // Pauses 1 + 2 + 4 + 8 seconds: doubling, capped at 8.
        assert_eq!(started.elapsed(), Duration::from_secs(15));
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_the_timeout_with_the_status() {
        let (_, probe) = counting(usize::MAX);
        let err = until(
            "database `prod-main`",
            FAST,
            &CancellationToken::new(),
            probe,
        )
        .await
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("still `creating`"), "{text}");
        assert!(text.contains("terraform apply"), "{text}");
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_once_when_cancelled() {
        let (calls, probe) = counting(usize::MAX);
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(2500)).await;
            c.cancel();
        });
        let started = tokio::time::Instant::now();
        let err = until("db", FAST, &cancel, probe).await.unwrap_err();
        assert!(matches!(err, BackendError::Cancelled));
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(2500),
            "not after the next poll"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_status_ends_the_wait() {
        let probe = || {
            std::future::ready(Ok::<_, BackendError>(Poll::<()>::Failed(
                "incompatible-parameters".into(),
            )))
        };
        let err = until("db", FAST, &CancellationToken::new(), probe)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("incompatible-parameters"));
    }
}
