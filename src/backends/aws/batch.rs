//! Coalesces concurrent look-ups of one kind into one Describe call.
//!
//! Terraform reads and applies resources in parallel, and every Fargate service looks up its
//! ECS service, scalable target and policy on its own. The AWS Describe APIs take many keys
//! per call (DescribeServices up to 10 services of a cluster, DescribeScalableTargets a list
//! of resource ids, ...), so a [`Batcher`] collects the keys asked for while a short window
//! is open, or while its previous call is still in flight, and sends them as one call of at
//! most `limit` keys (more keys: several calls, at the same time). Every caller gets the
//! answer for its own key; an error goes to every caller of that call.
//!
//! A call is sent only after every key in it was asked for, so an answer is never older
//! than the question: a look-up that follows a write sees what a lone Describe would. The
//! call runs in a task of its own, so a caller that goes away (Terraform cancelled that
//! resource) takes nobody's answer with it; a key whose every caller went away before the
//! call was sent is left out.

use crate::backends::BackendError;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a batch stays open for more keys after its first one: long enough for the
/// resources Terraform walks at the same time to join (it starts them a few milliseconds
/// apart; 20 services refreshed at once take 3 calls of each kind with this window, 5 with
/// 50 ms), short beside a Terraform command.
pub const WINDOW: Duration = Duration::from_millis(100);

/// The answer of one call: the value of every key asked for that exists.
pub type Found<K, V> = Result<HashMap<K, V>, BackendError>;

type Fetch<K, V> =
    dyn Fn(Vec<K>) -> Pin<Box<dyn Future<Output = Found<K, V>> + Send>> + Send + Sync;

type Reply<V> = oneshot::Sender<Result<Option<V>, BackendError>>;

/// Look-ups of one kind waiting for the next call.
struct Queue<K, V> {
    waiting: Vec<(K, Reply<V>)>,
    /// Whether a task is sending calls (it takes every key that arrives until none is left).
    draining: bool,
}

/// Coalesces look-ups by key into calls of at most `limit` keys.
pub struct Batcher<K, V> {
    limit: usize,
    window: Duration,
    fetch: Arc<Fetch<K, V>>,
    queue: Arc<Mutex<Queue<K, V>>>,
}

impl<K, V> Batcher<K, V>
where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: Clone + Send + 'static,
{
    /// A batcher whose calls are `fetch(keys)`, at most `limit` keys each.
    pub fn new<F, Fut>(limit: usize, window: Duration, fetch: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Found<K, V>> + Send + 'static,
    {
        Batcher {
            limit: limit.max(1),
            window,
            fetch: Arc::new(move |keys| Box::pin(fetch(keys))),
            queue: Arc::new(Mutex::new(Queue {
                waiting: Vec::new(),
                draining: false,
            })),
        }
    }

    /// The value of `key`, `None` when the call's answer does not hold it.
    pub async fn get(&self, key: K) -> Result<Option<V>, BackendError> {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.waiting.push((key, reply));
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            tokio::spawn(drain(
                self.queue.clone(),
                self.fetch.clone(),
                self.limit,
                self.window,
            ));
        }
        answer.await.unwrap_or_else(|_| {
            Err(BackendError::Api {
                service: "AWS",
                operation: "Describe",
                message: "the batched look-up ended without an answer; run the command again"
                    .to_string(),
            })
        })
    }
}

/// Resets the queue when the draining task ends, even by a panic: later look-ups start a
/// new task, and the ones still waiting get an error rather than waiting forever.
struct Draining<K, V>(Arc<Mutex<Queue<K, V>>>);

impl<K, V> Drop for Draining<K, V> {
    fn drop(&mut self) {
        // Reached only when the task ends abnormally (a normal end forgets the guard).
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.waiting.clear();
        q.draining = false;
    }
}

/// Sends calls until no key is waiting: each round waits for the window, takes every key
/// waiting, and sends them in calls of at most `limit` keys at once.
async fn drain<K, V>(
    queue: Arc<Mutex<Queue<K, V>>>,
    fetch: Arc<Fetch<K, V>>,
    limit: usize,
    window: Duration,
) where
    K: Clone + Eq + Hash + Send + Sync + 'static,
    V: Clone + Send + 'static,
{
    let guard = Draining(queue.clone());
    loop {
        tokio::time::sleep(window).await;
        let waiting = {
            let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
            if q.waiting.is_empty() {
                // Under the lock, so a key that arrives now starts a new task.
                q.draining = false;
                drop(q);
                std::mem::forget(guard);
                return;
            }
            std::mem::take(&mut q.waiting)
        };
        // Callers that went away need no answer.
        let waiting: Vec<(K, Reply<V>)> = waiting
            .into_iter()
            .filter(|(_, reply)| !reply.is_closed())
            .collect();
        let mut keys: Vec<K> = Vec::new();
        for (k, _) in &waiting {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        let calls: Vec<(Vec<K>, _)> = keys
            .chunks(limit)
            .map(|chunk| (chunk.to_vec(), tokio::spawn(fetch(chunk.to_vec()))))
            .collect();
        let mut answers: HashMap<K, Result<Option<V>, Arc<BackendError>>> = HashMap::new();
        for (chunk, call) in calls {
            let found = call.await.unwrap_or_else(|e| {
                Err(BackendError::Api {
                    service: "AWS",
                    operation: "Describe",
                    message: format!("the batched look-up failed: {e}"),
                })
            });
            match found {
                Ok(mut values) => {
                    for k in chunk {
                        let v = values.remove(&k);
                        answers.insert(k, Ok(v));
                    }
                }
                Err(e) => {
                    let e = Arc::new(e);
                    for k in chunk {
                        answers.insert(k, Err(e.clone()));
                    }
                }
            }
        }
        for (k, reply) in waiting {
            let answer = match answers.get(&k) {
                Some(Ok(v)) => Ok(v.clone()),
                Some(Err(e)) => Err(duplicate(e)),
                None => Ok(None),
            };
            // A caller gone since the call was sent no longer wants it.
            let _ = reply.send(answer);
        }
    }
}

/// The same error for another caller of the call that failed.
fn duplicate(e: &BackendError) -> BackendError {
    match e {
        BackendError::Cancelled => BackendError::Cancelled,
        BackendError::Wait(m) => BackendError::Wait(m.clone()),
        BackendError::Refused(m) => BackendError::Refused(m.clone()),
        BackendError::Api {
            service,
            operation,
            message,
        } => BackendError::Api {
            service,
            operation,
            message: message.clone(),
        },
        BackendError::GaveUp {
            service,
            operation,
            reason,
            attempts,
            message,
        } => BackendError::GaveUp {
            service,
            operation,
            reason: *reason,
            attempts: *attempts,
            message: message.clone(),
        },
        BackendError::Conflict(m) => BackendError::Conflict(m.clone()),
        BackendError::Taken(t) => BackendError::Taken(t.clone()),
        BackendError::Config { cloud, message } => BackendError::Config {
            cloud: *cloud,
            message: message.clone(),
        },
    }
}

#[cfg(test)]
mod tests;
