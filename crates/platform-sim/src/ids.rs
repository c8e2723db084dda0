//! Identifiers and timestamps in the shapes the real APIs hand out.
//!
//! Fly machine IDs are 14 hex digits, app IDs 16 lowercase alphanumerics and
//! `instance_id`s ULIDs; Cloudflare IDs are 32 hex digits and etags 64. Keeping the
//! shapes real means a provider that parses or validates them is exercised too.
//! Nothing here needs to be unpredictable, so a seeded SplitMix64 stands in for a
//! random source.

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The alphabet ULIDs are written in (Crockford's base 32).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A deterministic source of identifiers.
#[derive(Debug, Clone)]
pub struct IdGen {
    state: u64,
}

impl IdGen {
    /// A generator that starts from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A generator seeded from the clock, so IDs differ between runs.
    pub fn from_clock() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed);
        Self::new(nanos)
    }

    fn next_u64(&mut self) -> u64 {
        // SplitMix64: small, fast, and every seed gives a full-period sequence.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A Fly machine ID such as `148ed123456789`.
    pub fn fly_machine_id(&mut self) -> String {
        format!("{:014x}", self.next_u64() & 0x00FF_FFFF_FFFF_FFFF)
    }

    /// A Fly app ID such as `z4k69dxd8r31p5mx`.
    pub fn fly_app_id(&mut self) -> String {
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..16)
            .map(|_| ALPHABET[(self.next_u64() % 36) as usize] as char)
            .collect()
    }

    /// A ULID for `now_ms`, the format of a Fly machine's `instance_id`.
    pub fn ulid(&mut self, now_ms: i64) -> String {
        let time = now_ms.max(0) as u64 & 0xFFFF_FFFF_FFFF;
        let mut out = String::with_capacity(26);
        for i in 0..10 {
            out.push(CROCKFORD[((time >> (45 - 5 * i)) & 31) as usize] as char);
        }
        let mut random = self.next_u64();
        for i in 0..16 {
            if i == 12 {
                random = self.next_u64();
            }
            out.push(CROCKFORD[(random & 31) as usize] as char);
            random >>= 5;
        }
        out
    }

    /// A 6PN address like the `private_ip` Fly reports.
    pub fn fly_private_ip(&mut self) -> String {
        let r = self.next_u64();
        format!(
            "fdaa:0:{:x}:a7b:{:x}:{:x}:{:x}:2",
            r & 0xFFFF,
            (r >> 16) & 0xFFFF,
            (r >> 32) & 0xFFFF,
            (r >> 48) & 0xFFFF
        )
    }

    /// A Cloudflare identifier: 32 lowercase hex digits.
    pub fn cloudflare_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// A 64-hex-digit fingerprint of `chunks`, stable for equal input: used for etags and
/// image digests, so changed content shows as a changed fingerprint.
pub fn fingerprint(chunks: &[&[u8]]) -> String {
    let mut out = String::with_capacity(64);
    for lane in 0u64..4 {
        let mut hasher = DefaultHasher::new();
        lane.hash(&mut hasher);
        for chunk in chunks {
            chunk.hash(&mut hasher);
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{:016x}", hasher.finish());
    }
    out
}

/// Milliseconds since the Unix epoch, the unit of Fly's app `created_at`.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Now as Fly writes machine timestamps: `2022-05-20T17:07:36Z`.
pub fn fly_timestamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now as Cloudflare writes timestamps: `2017-01-01T00:00:00.000000Z`.
pub fn cloudflare_timestamp() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_have_the_real_shapes() {
        let mut ids = IdGen::new(7);
        let machine = ids.fly_machine_id();
        assert_eq!(machine.len(), 14);
        assert!(machine.chars().all(|c| c.is_ascii_hexdigit()));
        let app = ids.fly_app_id();
        assert_eq!(app.len(), 16);
        assert!(
            app.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let ulid = ids.ulid(1_708_631_799_000);
        assert_eq!(ulid.len(), 26);
        assert!(ulid.starts_with("01HQ"), "{ulid}");
        let cf = ids.cloudflare_id();
        assert_eq!(cf.len(), 32);
        assert!(cf.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn fingerprints_follow_content() {
        assert_eq!(fingerprint(&[b"a"]), fingerprint(&[b"a"]));
        assert_ne!(fingerprint(&[b"a"]), fingerprint(&[b"b"]));
        assert_eq!(fingerprint(&[b"a"]).len(), 64);
    }
}
