//! Listener rule priorities for the shared load balancer: each service's rule gets a
//! priority derived from a stable key (its preferred one), or the first free one after
//! it, without any state shared between Terraform states.
//!
//! Two states adding services to one environment at once each read the listener's rules,
//! pick a priority nobody holds and create the rule; Elastic Load Balancing refuses a
//! priority already taken (`PriorityInUse`), so the slower one moves on to the next
//! candidate. The key hashes with FNV-1a (not std's `DefaultHasher`, whose output may
//! change between Rust releases), so a service keeps wanting the same priority across
//! provider builds. 1–999 are left to rules the user makes by hand.

use super::elbv2::{self, DesiredRule, ObservedRule, RuleCreated};
use crate::backends::BackendError;
use crate::backends::ownership::Owner;
use aws_sdk_elasticloadbalancingv2::Client;

/// The lowest priority this provider gives a rule (below it: the user's own rules).
pub const FIRST: i32 = 1000;
/// The highest priority this provider gives a rule (Elastic Load Balancing allows up to
/// 50000).
pub const LAST: i32 = 49_999;
/// How many priorities a rule tries, from its preferred one upward, before giving up.
pub const MAX_CANDIDATES: usize = 200;

const SPAN: i32 = LAST - FIRST + 1;

/// FNV-1a, 64 bits: small, and the same on every platform and Rust release.
fn fnv1a_64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(PRIME)
    })
}

/// The priority a rule keyed `key` asks for first, in [`FIRST`]..=[`LAST`].
pub fn preferred(key: &str) -> i32 {
    // SPAN is positive and below 2^31, so the remainder fits.
    FIRST + (fnv1a_64(key.as_bytes()) % SPAN as u64) as i32
}

/// [`MAX_CANDIDATES`] priorities from `start` upward, wrapping from [`LAST`] to [`FIRST`].
fn run_from(start: i32) -> impl Iterator<Item = i32> + use<> {
    (0..MAX_CANDIDATES as i32).map(move |i| FIRST + (start - FIRST + i) % SPAN)
}

/// The priorities a rule keyed `key` tries, in order: [`preferred`], then the next ones
/// upward (wrapping from [`LAST`] to [`FIRST`]), [`MAX_CANDIDATES`] in all.
pub fn candidates(key: &str) -> impl Iterator<Item = i32> + use<> {
    run_from(preferred(key))
}

/// The candidates of `key` that no rule in `taken` holds, in order.
fn untaken<'a>(key: &str, taken: &'a [i32]) -> impl Iterator<Item = i32> + use<'a> {
    candidates(key).filter(move |p| !taken.contains(p))
}

/// Creates `desired` (its `priority` is ignored) at the first of `key`'s [`candidates`]
/// that is not in `taken` (the priorities on the listener, from [`elbv2::rules`]) and that
/// Elastic Load Balancing accepts: one another state took in the meantime
/// ([`RuleCreated::PriorityInUse`]) moves it on to the next. Refused when all
/// [`MAX_CANDIDATES`] are taken.
pub async fn create_rule_probing(
    client: &Client,
    desired: DesiredRule,
    key: &str,
    owner: Owner<'_>,
    taken: &[i32],
) -> Result<ObservedRule, BackendError> {
    let mut desired = desired;
    for priority in untaken(key, taken) {
        desired.priority = priority;
        match elbv2::create_rule(client, &desired, owner).await? {
            RuleCreated::Created(rule) => return Ok(rule),
            RuleCreated::PriorityInUse { priority } => {
                tracing::info!(
                    listener = %desired.listener_arn,
                    priority,
                    "rule priority taken meanwhile, trying the next"
                );
            }
        }
    }
    let first = preferred(key);
    let last = run_from(first).last().unwrap_or(first);
    Err(BackendError::Refused(format!(
        "the listener `{}` has no free rule priority near the one preferred for `{key}`: all {MAX_CANDIDATES} from {first} to {last} are taken. Delete the listener rules it no longer needs (`aws elbv2 describe-rules --listener-arn {}`), then apply again.",
        desired.listener_arn, desired.listener_arn
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference (draft-eastlake-fnv): "" is the offset basis.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn the_preferred_priority_never_changes_for_a_key() {
        // Fixed values: a change of hash would move every existing service's rule.
        assert_eq!(preferred("prod/api"), 48179);
        assert_eq!(preferred("prod/web"), 45333);
        assert_eq!(preferred("prod/api"), preferred("prod/api"));
    }

    #[test]
    fn priorities_stay_in_the_providers_range() {
        for i in 0..5000 {
            let key = format!("env{}/svc{i}", i % 7);
            let p = preferred(&key);
            assert!((FIRST..=LAST).contains(&p), "{key}: {p}");
            assert!(candidates(&key).all(|c| (FIRST..=LAST).contains(&c)));
            assert_eq!(candidates(&key).count(), MAX_CANDIDATES);
        }
    }

    #[test]
    fn candidates_go_upward_from_the_preferred_one_and_wrap() {
        let key = "prod/api";
        let got: Vec<i32> = candidates(key).take(3).collect();
        assert_eq!(got, [48179, 48180, 48181]);
        let wrapped: Vec<i32> = run_from(LAST - 1).take(4).collect();
        assert_eq!(wrapped, [LAST - 1, LAST, FIRST, FIRST + 1]);
        let all: Vec<i32> = run_from(LAST - 9).collect();
        assert_eq!(all.len(), MAX_CANDIDATES);
        assert_eq!(all[10], FIRST);
        assert_eq!(*all.last().unwrap(), FIRST + MAX_CANDIDATES as i32 - 11);
    }

    #[test]
    fn taken_priorities_are_skipped() {
        let key = "prod/web";
        let p = preferred(key);
        let taken = [p, p + 1, p + 3];
        let got: Vec<i32> = untaken(key, &taken).take(3).collect();
        assert_eq!(got, [p + 2, p + 4, p + 5]);
        let everything: Vec<i32> = candidates(key).collect();
        assert_eq!(untaken(key, &everything).count(), 0);
    }
}
