//! In-memory state of the API-token hot path: API-token lookups cached by value hash and the
//! coalesced last-used writes (the rate limit is in [`crate::limiter`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use token_wire::Privileges;

use crate::store::{TokenRow, parse_roles};

/// What the hot path needs to know about an API token, cached by value hash.
#[derive(Debug)]
pub struct CachedApiToken {
    pub id: String,
    pub tenant_id: String,
    pub owner_id: String,
    pub name: String,
    pub value_hash: String,
    pub is_api: bool,
    pub revoked: bool,
    pub owner_deprovisioned: bool,
    /// The owner's privileges from their roles as last seen; `None` when no role grants any.
    pub privileges: Option<Privileges>,
    /// Set while the store still says "never used": the first use is written at once so the
    /// token's status changes immediately.
    pub never_used: AtomicBool,
}

impl From<TokenRow> for CachedApiToken {
    fn from(r: TokenRow) -> Self {
        CachedApiToken {
            privileges: Privileges::of(&parse_roles(&r.owner_roles)),
            owner_deprovisioned: r.owner_deprovisioned != 0,
            revoked: r.revoked_at.is_some(),
            is_api: r.kind == "api",
            never_used: AtomicBool::new(r.last_used_at.is_none()),
            id: r.id,
            tenant_id: r.tenant_id,
            owner_id: r.owner_id,
            name: r.name,
            value_hash: r.value_hash,
        }
    }
}

impl CachedApiToken {
    /// Whether this is the first use the process sees of a never-used token.
    pub fn take_first_use(&self) -> bool {
        self.never_used.swap(false, Ordering::AcqRel)
    }
}

const MAX_ENTRIES: usize = 100_000;
/// How long an entry is used before the store is read again (Unix ms): a bound on staleness
/// should an invalidation ever be missed.
pub const ENTRY_LIFETIME_MS: i64 = 60_000;

/// API-token lookups cached by value hash, each for at most [`ENTRY_LIFETIME_MS`]. Every
/// invalidation bumps an epoch; a lookup that started before an invalidation does not insert
/// its (possibly stale) result.
#[derive(Default)]
pub struct ApiTokenCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    epoch: u64,
    /// Entries and when each was read from the store (Unix ms).
    map: HashMap<String, (Arc<CachedApiToken>, i64)>,
}

impl ApiTokenCache {
    /// The cached entry, unless read from the store [`ENTRY_LIFETIME_MS`] or more before
    /// `now`, and the current epoch.
    pub fn get(&self, hash: &str, now: i64) -> (Option<Arc<CachedApiToken>>, u64) {
        let inner = self.inner.lock().expect("cache lock");
        let fresh = inner
            .map
            .get(hash)
            .filter(|(_, at)| (0..ENTRY_LIFETIME_MS).contains(&(now - at)));
        (fresh.map(|(e, _)| e.clone()), inner.epoch)
    }

    /// Caches `entry`, read from the store at `now`, unless an invalidation happened since
    /// `epoch`.
    pub fn insert(&self, entry: Arc<CachedApiToken>, epoch: u64, now: i64) {
        let mut inner = self.inner.lock().expect("cache lock");
        if inner.epoch != epoch {
            return;
        }
        if inner.map.len() >= MAX_ENTRIES {
            inner.map.clear();
        }
        inner.map.insert(entry.value_hash.clone(), (entry, now));
    }

    /// Drops the entry of a token.
    pub fn evict_token(&self, token_id: &str) {
        let mut inner = self.inner.lock().expect("cache lock");
        inner.epoch += 1;
        inner.map.retain(|_, (e, _)| e.id != token_id);
    }

    /// Drops the entries of every token of a user.
    pub fn evict_owner(&self, tenant_id: &str, user_id: &str) {
        let mut inner = self.inner.lock().expect("cache lock");
        inner.epoch += 1;
        inner
            .map
            .retain(|_, (e, _)| !(e.tenant_id == tenant_id && e.owner_id == user_id));
    }

    /// How many entries are cached.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("cache lock").map.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A use of a token not yet written to the store.
#[derive(Clone, Debug)]
pub struct PendingUse {
    pub tenant_id: String,
    pub owner_id: String,
    pub name: String,
    pub at: i64,
    pub ip: Option<String>,
}

/// Tokens with a pending use at most; a use of another token is then dropped (logged).
pub const MAX_PENDING: usize = 100_000;

/// Coalesced last-used writes, flushed by the background job: periodically, when woken (a
/// first use), and on shutdown. Writes that fail are queued again.
#[derive(Default)]
pub struct PendingUses {
    map: Mutex<HashMap<String, PendingUse>>,
    wake: tokio::sync::Notify,
}

impl PendingUses {
    /// Remembers the latest use of a token.
    pub fn record(&self, token_id: &str, use_: PendingUse) {
        let mut map = self.map.lock().expect("pending lock");
        Self::keep_latest(&mut map, token_id.to_string(), use_);
    }

    /// Queues again uses whose write failed, unless a later use of the token came meanwhile.
    pub fn requeue(&self, uses: impl IntoIterator<Item = (String, PendingUse)>) {
        let mut map = self.map.lock().expect("pending lock");
        for (id, use_) in uses {
            Self::keep_latest(&mut map, id, use_);
        }
    }

    fn keep_latest(map: &mut HashMap<String, PendingUse>, id: String, use_: PendingUse) {
        let full = map.len() >= MAX_PENDING;
        match map.entry(id) {
            Entry::Occupied(mut p) if p.get().at < use_.at => {
                p.insert(use_);
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(_) if full => {
                tracing::warn!("too many pending token uses; one is dropped");
            }
            Entry::Vacant(v) => {
                v.insert(use_);
            }
        }
    }

    /// Asks the background job to flush now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Completes when [`PendingUses::wake`] was called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// How many tokens have a pending use.
    pub fn len(&self) -> usize {
        self.map.lock().expect("pending lock").len()
    }

    /// Whether no use is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes every pending use.
    pub fn drain(&self) -> Vec<(String, PendingUse)> {
        self.map.lock().expect("pending lock").drain().collect()
    }
}
