//! The per-tenant rate limit of API-token calls, shared by every instance on one store.
//!
//! Each tenant may make `per_minute` calls in each fixed one-minute window (aligned to the
//! Unix epoch, so instances agree on it). An instance leases budget from the store in
//! batches of about 2 % of the limit ([`Store::lease_rate`]) and spends it locally, so the
//! hot path touches the database once per batch, not per call. The store never grants more
//! than the limit; budget leased but unspent when the window ends is lost, so the calls
//! admitted across instances stay within one batch per instance below the limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::Store;

/// The length of a rate window.
pub const WINDOW_MS: i64 = 60_000;
/// The batch is the limit divided by this (at least 1).
const BATCHES_PER_WINDOW: i64 = 50;
/// Tenants kept before windows that ended are dropped from memory.
const MAX_TENANTS: usize = 100_000;

/// Per-tenant rate limiter over budget leased from the store.
pub struct RateLimiter {
    limit: i64,
    batch: i64,
    tenants: Mutex<HashMap<String, Budget>>,
}

/// This instance's budget of one tenant in one window.
struct Budget {
    window: i64,
    left: i64,
    /// The store has no more budget in this window.
    spent: bool,
    /// Held while leasing, so that concurrent calls lease one batch, not one each.
    leasing: Arc<tokio::sync::Mutex<()>>,
}

/// What the local budget says of a call.
enum Local {
    Allowed,
    Refused,
    Lease(Arc<tokio::sync::Mutex<()>>),
}

impl RateLimiter {
    /// A limiter allowing `per_minute` calls a minute per tenant (at least 1).
    pub fn new(per_minute: u32) -> Self {
        let limit = i64::from(per_minute.max(1));
        RateLimiter {
            limit,
            batch: (limit / BATCHES_PER_WINDOW).max(1),
            tenants: Mutex::new(HashMap::new()),
        }
    }

    /// How many calls one lease takes from the store.
    pub fn batch(&self) -> i64 {
        self.batch
    }

    /// `Ok` if `tenant` may make a call at `now_ms`, else `Err(seconds to wait)`. Leases a
    /// batch from `store` when the local budget is spent; if the store cannot answer, the
    /// call is admitted on a local batch (the limit then holds per instance only).
    pub async fn check(&self, store: &Store, tenant: &str, now_ms: i64) -> Result<(), u64> {
        let window = now_ms.div_euclid(WINDOW_MS) * WINDOW_MS;
        let retry = || retry_after(window, now_ms);
        let leasing = match self.take(tenant, window) {
            Local::Allowed => return Ok(()),
            Local::Refused => return Err(retry()),
            Local::Lease(leasing) => leasing,
        };
        let _held = leasing.lock().await;
        // Another call may have leased while this one waited.
        match self.take(tenant, window) {
            Local::Allowed => return Ok(()),
            Local::Refused => return Err(retry()),
            Local::Lease(_) => {}
        }
        let granted = match store
            .lease_rate(tenant, window, self.batch, self.limit)
            .await
        {
            Ok(granted) => granted,
            Err(e) => {
                tracing::warn!(error = %e, "cannot lease rate budget; admitting on a local batch");
                self.batch
            }
        };
        let mut tenants = self.tenants.lock().expect("limiter lock");
        let Some(budget) = tenants.get_mut(tenant).filter(|b| b.window == window) else {
            // The window ended while leasing: admit this call on what was leased.
            return if granted > 0 { Ok(()) } else { Err(retry()) };
        };
        if granted == 0 {
            budget.spent = true;
            return Err(retry());
        }
        budget.left += granted - 1;
        Ok(())
    }

    /// Spends one call of the local budget if there is one.
    fn take(&self, tenant: &str, window: i64) -> Local {
        let mut tenants = self.tenants.lock().expect("limiter lock");
        if !tenants.contains_key(tenant) {
            if tenants.len() >= MAX_TENANTS {
                tenants.retain(|_, b| b.window >= window);
            }
            let budget = Budget {
                window,
                left: 0,
                spent: false,
                leasing: Arc::default(),
            };
            tenants.insert(tenant.to_string(), budget);
        }
        let budget = tenants.get_mut(tenant).expect("inserted above");
        if budget.window != window {
            budget.window = window;
            budget.left = 0;
            budget.spent = false;
        }
        if budget.left > 0 {
            budget.left -= 1;
            Local::Allowed
        } else if budget.spent {
            Local::Refused
        } else {
            Local::Lease(budget.leasing.clone())
        }
    }
}

/// Whole seconds from `now_ms` to the end of the window starting at `window` (at least 1).
fn retry_after(window: i64, now_ms: i64) -> u64 {
    let ms = (window + WINDOW_MS - now_ms).max(1);
    u64::try_from((ms + 999) / 1000).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_a_fiftieth_of_the_limit() {
        assert_eq!(RateLimiter::new(5).batch(), 1);
        assert_eq!(RateLimiter::new(600).batch(), 12);
        assert_eq!(RateLimiter::new(0).batch(), 1);
    }

    #[test]
    fn retry_after_counts_to_the_end_of_the_window() {
        assert_eq!(retry_after(60_000, 60_000), 60);
        assert_eq!(retry_after(60_000, 119_001), 1);
        assert_eq!(retry_after(60_000, 119_999), 1);
        assert_eq!(retry_after(60_000, 100_500), 20);
    }
}
