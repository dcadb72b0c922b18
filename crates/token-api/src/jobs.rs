//! Background jobs of a running server: flushing coalesced API-token uses, polling the
//! change log to invalidate cached API tokens, and pruning that log.

use std::time::Duration;

use token_wire::AuditAction;

use crate::state::AppState;
use crate::store::NewAudit;

/// How far back each poll of the change log looks again, for rows that commit late.
const CHANGE_WINDOW_MS: i64 = 30_000;
/// Change-log rows older than this are pruned.
const CHANGE_RETENTION_MS: i64 = 24 * 3600 * 1000;
/// Polls between two prunings of the change log.
const PRUNE_EVERY_POLLS: u64 = 1800;

impl AppState {
    /// Writes the coalesced last-used times and `used` audit events.
    pub async fn flush(&self) {
        for (id, u) in self.pending_uses().drain() {
            if let Err(e) = self.store().touch_token(&id, u.at).await {
                tracing::warn!(error = %e, "cannot record a token use");
                continue;
            }
            let audit = NewAudit {
                tenant_id: &u.tenant_id,
                at: u.at,
                actor_id: &u.owner_id,
                action: AuditAction::Used,
                token_id: Some(&id),
                token_name: Some(&u.name),
                ip: u.ip.as_deref(),
            };
            if let Err(e) = self.store().audit(&audit).await {
                tracing::warn!(error = %e, "cannot audit a token use");
            }
        }
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
            if let Some(token) = &c.token_id {
                self.api_tokens().evict_token(token);
            }
            if let Some(user) = &c.user_id {
                self.api_tokens().evict_owner(&c.tenant_id, user);
            }
        }
        seen.retain(|(_, at)| *at >= now - 2 * CHANGE_WINDOW_MS);
        last
    }

    /// Starts the change-log poller and the last-used flusher; they stop with the runtime.
    pub fn spawn_background(&self) {
        let state = self.clone();
        tokio::spawn(async move {
            let mut after = state.store().last_change().await.unwrap_or(0);
            let mut seen = Vec::new();
            let mut tick = every(state.config().change_poll_interval);
            for n in 0u64.. {
                tick.tick().await;
                after = state.poll_changes(after, &mut seen).await;
                if n % PRUNE_EVERY_POLLS == 0 {
                    let before = state.now_ms() - CHANGE_RETENTION_MS;
                    if let Err(e) = state.store().prune_changes(before).await {
                        tracing::warn!(error = %e, "cannot prune the change log");
                    }
                }
            }
        });
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = every(state.config().last_used_flush_interval);
            loop {
                tick.tick().await;
                state.flush().await;
            }
        });
    }
}

/// A ticker that delays, rather than bursts, after a missed tick.
fn every(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}
