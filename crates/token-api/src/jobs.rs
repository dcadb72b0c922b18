//! Background jobs of a running server: flushing coalesced API-token uses, listening for
//! changes (PostgreSQL `NOTIFY`) and polling the change log to invalidate cached API tokens,
//! and pruning that log and the spent rate windows.

use std::sync::Arc;
use std::time::Duration;

use token_wire::AuditAction;
use tokio::sync::Notify;

use crate::cache::PendingUse;
use crate::limiter::WINDOW_MS;
use crate::state::AppState;
use crate::store::{ChangeRow, NewAudit};

/// How far back each poll of the change log looks again, for rows that commit late.
const CHANGE_WINDOW_MS: i64 = 30_000;
/// Change-log rows older than this are pruned.
const CHANGE_RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Polls between two prunings of the change log.
const PRUNE_EVERY_POLLS: u64 = 1800;
/// The wait before listening again after the listening connection failed.
const RELISTEN_AFTER: Duration = Duration::from_secs(1);

impl AppState {
    /// Writes the coalesced last-used times and `used` audit events. At the first failure
    /// the uses not yet written are queued again for the next flush (a repeated write is
    /// harmless: the time only moves forward), and this flush stops.
    pub async fn flush(&self) {
        let mut uses = self.pending_uses().drain().into_iter();
        while let Some((id, u)) = uses.next() {
            if let Err(e) = self.write_use(&id, &u).await {
                tracing::warn!(error = %e, "cannot record token uses; retrying later");
                self.pending_uses()
                    .requeue(std::iter::once((id, u)).chain(uses));
                return;
            }
        }
    }

    /// Writes one token's last use and its `used` audit event.
    async fn write_use(&self, id: &str, u: &PendingUse) -> Result<(), sqlx::Error> {
        self.store().touch_token(id, u.at).await?;
        let audit = NewAudit {
            tenant_id: &u.tenant_id,
            at: u.at,
            actor_id: &u.owner_id,
            action: AuditAction::Used,
            token_id: Some(id),
            token_name: Some(&u.name),
            ip: u.ip.as_deref(),
        };
        self.store().audit(&audit).await
    }

    /// Applies the store's change log to the cache once; returns the new position.
    pub async fn poll_changes(&self, after: i64, seen: &mut Vec<(i64, i64)>) -> i64 {
        let now = self.now_ms();
        let rows = match self
            .store()
            .changes_since(after, now - CHANGE_WINDOW_MS)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the change log");
                return after;
            }
        };
        let mut last = after;
        for c in rows {
            last = last.max(c.seq);
            if seen.iter().any(|(s, _)| *s == c.seq) {
                continue;
            }
            seen.push((c.seq, c.at));
            self.apply_change(&c);
        }
        seen.retain(|(_, at)| *at >= now - 2 * CHANGE_WINDOW_MS);
        last
    }

    /// Drops the cache entries a change makes stale.
    fn apply_change(&self, c: &ChangeRow) {
        if let Some(token) = &c.token_id {
            self.api_tokens().evict_token(token);
        }
        if let Some(user) = &c.user_id {
            self.api_tokens().evict_owner(&c.tenant_id, user);
        }
    }

    /// Listens for changes announced by any instance (PostgreSQL only) and applies each at
    /// once. Whenever listening (re)starts, `poll_now` wakes the poller, so that changes made
    /// while no connection listened are read from the change log.
    async fn listen_for_changes(&self, poll_now: Arc<Notify>) {
        loop {
            let mut listener = match self.store().listen_changes().await {
                Ok(Some(listener)) => listener,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; polling meanwhile");
                    tokio::time::sleep(RELISTEN_AFTER).await;
                    continue;
                }
            };
            poll_now.notify_one();
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match serde_json::from_str::<ChangeRow>(n.payload()) {
                        Ok(c) => self.apply_change(&c),
                        Err(e) => tracing::warn!(error = %e, "unreadable change notification"),
                    },
                    // Reconnected (and listening again) after a lost connection.
                    Ok(None) => poll_now.notify_one(),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the change listener; polling meanwhile");
                        break;
                    }
                }
            }
            drop(listener);
            tokio::time::sleep(RELISTEN_AFTER).await;
        }
    }

    /// Starts the change listener and poller, the last-used flusher and, when configured,
    /// the directory sync; they stop with the runtime.
    pub fn spawn_background(&self) {
        self.spawn_directory_sync();
        let poll_now = Arc::new(Notify::new());
        let state = self.clone();
        let wake = poll_now.clone();
        tokio::spawn(async move { state.listen_for_changes(wake).await });
        let state = self.clone();
        tokio::spawn(async move {
            let mut after = state.store().last_change().await.unwrap_or(0);
            let mut seen = Vec::new();
            let mut tick = every(state.config().change_poll_interval);
            for n in 0u64.. {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = poll_now.notified() => {}
                }
                after = state.poll_changes(after, &mut seen).await;
                if n % PRUNE_EVERY_POLLS == 0 {
                    state.prune().await;
                }
            }
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = every(state.config().last_used_flush_interval);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = state.pending_uses().woken() => {}
                }
                state.flush().await;
            }
        });
    }

    /// Deletes change-log rows and audit events past their retention, and rate windows that
    /// have ended.
    pub async fn prune(&self) {
        let now = self.now_ms();
        let audit_ms = i64::from(self.config().audit_retention_days) * 24 * 3600 * 1000;
        if let Err(e) = self.store().prune_audit(now - audit_ms).await {
            tracing::warn!(error = %e, "cannot prune the audit trail");
        }
        if let Err(e) = self.store().prune_changes(now - CHANGE_RETENTION_MS).await {
            tracing::warn!(error = %e, "cannot prune the change log");
        }
        if let Err(e) = self.store().prune_rate_windows(now - 2 * WINDOW_MS).await {
            tracing::warn!(error = %e, "cannot prune the rate windows");
        }
    }
}

/// A ticker that delays, rather than bursts, after a missed tick.
fn every(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}
