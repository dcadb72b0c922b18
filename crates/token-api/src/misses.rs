//! The API-token path against unauthenticated load: well-formed values are cheap to make (the
//! checksum is public), so values the store does not know are remembered for a minute
//! ([`UnknownValues`]), and an address that keeps showing invalid values is refused store
//! lookups for the rest of its minute ([`InvalidTokenLimiter`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// How long a value the store does not know answers 401 without asking it again.
pub const UNKNOWN_TTL_MS: i64 = 60_000;
/// Unknown values remembered at most; past it, the expired go, then all.
const MAX_UNKNOWN: usize = 100_000;
/// Addresses tracked at most; past it, the finished windows go, then all.
const MAX_ADDRESSES: usize = 100_000;
const WINDOW_MS: i64 = 60_000;

/// Value hashes the store did not know, each until its expiry (Unix ms), and how many
/// lookups went to the store.
#[derive(Default)]
pub struct UnknownValues {
    map: Mutex<HashMap<String, i64>>,
    store_lookups: AtomicU64,
}

impl UnknownValues {
    /// Whether `hash` was unknown to the store less than [`UNKNOWN_TTL_MS`] ago.
    pub fn contains(&self, hash: &str, now: i64) -> bool {
        let map = self.map.lock().expect("unknown values lock");
        map.get(hash).is_some_and(|&until| until > now)
    }

    /// Remembers that the store does not know `hash`.
    pub fn insert(&self, hash: &str, now: i64) {
        let mut map = self.map.lock().expect("unknown values lock");
        if map.len() >= MAX_UNKNOWN {
            map.retain(|_, &mut until| until > now);
            if map.len() >= MAX_UNKNOWN {
                map.clear();
            }
        }
        map.insert(hash.to_string(), now + UNKNOWN_TTL_MS);
    }

    /// Forgets `hash` (a token with this value was just created).
    pub fn forget(&self, hash: &str) {
        self.map.lock().expect("unknown values lock").remove(hash);
    }

    /// Counts a lookup that goes to the store.
    pub fn count_store_lookup(&self) {
        self.store_lookups.fetch_add(1, Ordering::Relaxed);
    }

    /// How many API-token lookups went to the store.
    pub fn store_lookups(&self) -> u64 {
        self.store_lookups.load(Ordering::Relaxed)
    }
}

/// Invalid-token answers per client address in fixed one-minute windows.
pub struct InvalidTokenLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl InvalidTokenLimiter {
    /// A limiter allowing `per_minute` invalid values per address and minute.
    pub fn new(per_minute: u32) -> Self {
        InvalidTokenLimiter {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// `Err(retry_after seconds)` while `ip` is over its limit.
    pub fn check(&self, ip: &str, now: i64) -> Result<(), u64> {
        let windows = self.windows.lock().expect("limiter lock");
        match windows.get(ip) {
            Some(&(start, count)) if start + WINDOW_MS > now && count >= self.per_minute => {
                Err(((start + WINDOW_MS - now) as u64).div_ceil(1000))
            }
            _ => Ok(()),
        }
    }

    /// Counts an invalid value shown from `ip`.
    pub fn record(&self, ip: &str, now: i64) {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() >= MAX_ADDRESSES && !windows.contains_key(ip) {
            windows.retain(|_, (start, _)| *start + WINDOW_MS > now);
            if windows.len() >= MAX_ADDRESSES {
                windows.clear();
            }
        }
        let window = windows.entry(ip.to_string()).or_insert((now, 0));
        if window.0 + WINDOW_MS <= now {
            *window = (now, 0);
        }
        window.1 = window.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_expire_and_stay_bounded() {
        let unknown = UnknownValues::default();
        unknown.insert("h", 0);
        assert!(unknown.contains("h", UNKNOWN_TTL_MS - 1));
        assert!(!unknown.contains("h", UNKNOWN_TTL_MS));
        for i in 0..=MAX_UNKNOWN {
            unknown.insert(&i.to_string(), 1);
        }
        assert!(unknown.map.lock().unwrap().len() <= MAX_UNKNOWN);
    }

    #[test]
    fn an_address_over_its_limit_waits_for_the_end_of_its_minute() {
        let limiter = InvalidTokenLimiter::new(2);
        limiter.record("a", 1_000);
        assert_eq!(limiter.check("a", 1_000), Ok(()));
        limiter.record("a", 2_000);
        assert_eq!(limiter.check("a", 2_000), Err(59));
        assert_eq!(limiter.check("b", 2_000), Ok(()));
        assert_eq!(limiter.check("a", 61_000), Ok(()));
    }
}
