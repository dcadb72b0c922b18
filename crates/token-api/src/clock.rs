//! Time: the injectable clock, and the two forms times take here — Unix milliseconds in
//! the store, RFC 3339 UTC on the wire.

use std::sync::Arc;

use time::OffsetDateTime;

/// "Now", injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The system clock.
pub fn system() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// Unix milliseconds of a time.
pub fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 UTC of Unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
