use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

/// Every call's keys, in the order the calls were sent.
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<Vec<u32>>>>);

impl Calls {
    fn record(&self, keys: &[u32]) {
        let mut keys = keys.to_vec();
        keys.sort();
        self.0.lock().unwrap().push(keys);
    }

    fn all(&self) -> Vec<Vec<u32>> {
        self.0.lock().unwrap().clone()
    }
}

/// A batcher answering `key * 10` for every even key (odd keys do not exist).
fn tens(limit: usize, calls: &Calls) -> Arc<Batcher<u32, u32>> {
    let calls = calls.clone();
    Arc::new(Batcher::new(limit, WINDOW, move |keys: Vec<u32>| {
        calls.record(&keys);
        async move {
            Ok(keys
                .into_iter()
                .filter(|k| k % 2 == 0)
                .map(|k| (k, k * 10))
                .collect())
        }
    }))
}

async fn all_of(b: &Arc<Batcher<u32, u32>>, keys: &[u32]) -> Vec<Option<u32>> {
    let tasks: Vec<_> = keys
        .iter()
        .map(|&k| {
            let b = b.clone();
            tokio::spawn(async move { b.get(k).await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap().unwrap());
    }
    out
}

#[tokio::test(start_paused = true)]
async fn concurrent_lookups_go_out_as_one_call_and_each_caller_gets_its_own_answer() {
    let calls = Calls::default();
    let b = tens(10, &calls);
    let got = all_of(&b, &[2, 4, 5, 6, 8]).await;
    assert_eq!(got, vec![Some(20), Some(40), None, Some(60), Some(80)]);
    assert_eq!(calls.all(), vec![vec![2, 4, 5, 6, 8]]);
}

#[tokio::test(start_paused = true)]
async fn a_call_holds_at_most_the_limit_and_the_rest_go_in_calls_of_their_own() {
    let calls = Calls::default();
    let b = tens(10, &calls);
    let keys: Vec<u32> = (0..25).collect();
    let got = all_of(&b, &keys).await;
    let want: Vec<Option<u32>> = keys
        .iter()
        .map(|k| (k % 2 == 0).then_some(k * 10))
        .collect();
    assert_eq!(got, want);
    let calls = calls.all();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(calls.iter().all(|c| c.len() <= 10), "{calls:?}");
    let mut sent: Vec<u32> = calls.concat();
    sent.sort();
    assert_eq!(sent, keys, "every key asked for once");
}

#[tokio::test(start_paused = true)]
async fn the_same_key_asked_twice_is_sent_once() {
    let calls = Calls::default();
    let b = tens(10, &calls);
    let got = all_of(&b, &[4, 4, 6]).await;
    assert_eq!(got, vec![Some(40), Some(40), Some(60)]);
    assert_eq!(calls.all(), vec![vec![4, 6]]);
}

#[tokio::test(start_paused = true)]
async fn an_error_reaches_every_caller_of_that_call() {
    let b: Arc<Batcher<u32, u32>> = Arc::new(Batcher::new(10, WINDOW, |_keys: Vec<u32>| async {
        Err(BackendError::Api {
            service: "ECS",
            operation: "DescribeServices",
            message: "AccessDeniedException: no".into(),
        })
    }));
    let tasks: Vec<_> = (0..3)
        .map(|k| {
            let b = b.clone();
            tokio::spawn(async move { b.get(k).await })
        })
        .collect();
    for t in tasks {
        let err = t.await.unwrap().expect_err("every caller sees the error");
        assert_eq!(
            err.to_string(),
            "ECS DescribeServices failed: AccessDeniedException: no"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_caller_that_goes_away_loses_nobody_else_their_answer() {
    let calls = Calls::default();
    let release = Arc::new(Notify::new());
    let b: Arc<Batcher<u32, u32>> = {
        let (calls, release) = (calls.clone(), release.clone());
        Arc::new(Batcher::new(10, WINDOW, move |keys: Vec<u32>| {
            calls.record(&keys);
            let release = release.clone();
            async move {
                release.notified().await;
                Ok(keys.into_iter().map(|k| (k, k * 10)).collect())
            }
        }))
    };
    // The first caller starts the batch, then is cancelled while the call is in flight.
    let first = {
        let b = b.clone();
        tokio::spawn(async move { b.get(1).await })
    };
    let others: Vec<_> = [2, 3]
        .into_iter()
        .map(|k| {
            let b = b.clone();
            tokio::spawn(async move { b.get(k).await })
        })
        .collect();
    tokio::time::sleep(WINDOW * 2).await;
    assert_eq!(calls.all(), vec![vec![1, 2, 3]], "the call is in flight");
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    release.notify_one();
    for (t, want) in others.into_iter().zip([20, 30]) {
        assert_eq!(t.await.unwrap().unwrap(), Some(want));
    }
}

#[tokio::test(start_paused = true)]
async fn a_caller_gone_before_the_call_is_left_out_of_it() {
    let calls = Calls::default();
    let b = tens(10, &calls);
    let gone = {
        let b = b.clone();
        tokio::spawn(async move { b.get(8).await })
    };
    tokio::task::yield_now().await;
    gone.abort();
    let _ = gone.await;
    assert_eq!(all_of(&b, &[2]).await, vec![Some(20)]);
    assert_eq!(calls.all(), vec![vec![2]]);
}

#[tokio::test(start_paused = true)]
async fn keys_asked_while_a_call_is_in_flight_go_in_the_next_call_not_that_one() {
    let sent = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(Notify::new());
    let calls = Calls::default();
    let b: Arc<Batcher<u32, u32>> = {
        let (calls, release, sent) = (calls.clone(), release.clone(), sent.clone());
        Arc::new(Batcher::new(10, WINDOW, move |keys: Vec<u32>| {
            calls.record(&keys);
            let n = sent.fetch_add(1, Ordering::SeqCst) as u32;
            let release = release.clone();
            async move {
                if n == 0 {
                    release.notified().await;
                }
                // The answer says which call it came from.
                Ok(keys.into_iter().map(|k| (k, n)).collect())
            }
        }))
    };
    let early = {
        let b = b.clone();
        tokio::spawn(async move { b.get(1).await })
    };
    tokio::time::sleep(WINDOW * 2).await;
    let late: Vec<_> = [1, 2]
        .into_iter()
        .map(|k| {
            let b = b.clone();
            tokio::spawn(async move { b.get(k).await })
        })
        .collect();
    tokio::time::sleep(WINDOW * 2).await;
    assert_eq!(
        calls.all(),
        vec![vec![1]],
        "the late keys wait for the call"
    );
    release.notify_one();
    assert_eq!(early.await.unwrap().unwrap(), Some(0));
    for t in late {
        assert_eq!(
            t.await.unwrap().unwrap(),
            Some(1),
            "answered by a call sent after it was asked"
        );
    }
    assert_eq!(calls.all(), vec![vec![1], vec![1, 2]]);
}

#[tokio::test(start_paused = true)]
async fn a_batcher_keeps_working_after_a_call_panics() {
    let calls = Calls::default();
    let b: Arc<Batcher<u32, u32>> = {
        let calls = calls.clone();
        Arc::new(Batcher::new(10, WINDOW, move |keys: Vec<u32>| {
            calls.record(&keys);
            async move {
                if keys.contains(&13) {
                    panic!("a bug in a look-up");
                }
                Ok(keys.into_iter().map(|k| (k, k)).collect())
            }
        }))
    };
    let err = b.get(13).await.expect_err("the panic is an error");
    assert!(err.to_string().contains("batched look-up"), "{err}");
    assert_eq!(b.get(4).await.unwrap(), Some(4));
}
