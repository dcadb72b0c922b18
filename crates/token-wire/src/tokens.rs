//! API tokens as listed and generated: the `Token` body, its status rule and its name rule.

use core::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::limits::NAME_MAX_CHARS;
use crate::roles::Privileges;
use crate::spelling::wire_enum;

/// The fixed, recognisable prefix of every API token value (`atp_…`), which secret scanners
/// look for.
pub const API_TOKEN_PREFIX: &str = "atp_";

/// How long after its last use a token stays active: 7 days, in milliseconds.
pub const ACTIVE_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;

wire_enum! {
    /// Computed at read time from `last_used_at` by [`TokenStatus::at`].
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum TokenStatus {
        /// Never used.
        Generated => "generated",
        /// Last used at most 7 days ago.
        Active => "active",
        /// Last used more than 7 days ago.
        Inactive => "inactive",
    }
}

impl TokenStatus {
    /// The status of a token last used at `last_used_ms` (Unix ms; `None` if never), seen at
    /// `now_ms`: active while `now_ms - last_used_ms <= ACTIVE_WINDOW_MS`.
    pub const fn at(last_used_ms: Option<i64>, now_ms: i64) -> TokenStatus {
        match last_used_ms {
            None => TokenStatus::Generated,
            Some(t) if t >= TokenStatus::active_since(now_ms) => TokenStatus::Active,
            Some(_) => TokenStatus::Inactive,
        }
    }

    /// The earliest last use (Unix ms) that still counts as active at `now_ms`; a store
    /// filters `last_used_at >= active_since` for active, `<` for inactive.
    pub const fn active_since(now_ms: i64) -> i64 {
        now_ms - ACTIVE_WINDOW_MS
    }

    /// Parses the query-string spelling; the same as `s.parse().ok()`.
    pub fn parse(s: &str) -> Option<TokenStatus> {
        s.parse().ok()
    }

    /// Label shown in the UI.
    pub const fn label(self) -> &'static str {
        match self {
            TokenStatus::Generated => "Generated",
            TokenStatus::Active => "Active",
            TokenStatus::Inactive => "Inactive",
        }
    }
}

/// The user who generated a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Owner {
    pub id: String,
    pub display_name: String,
}

/// An API token as listed; never carries its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Token {
    pub id: String,
    pub name: String,
    pub owner: Owner,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC; `None` if never used.
    pub last_used_at: Option<String>,
    pub status: TokenStatus,
    pub privileges: Privileges,
}

/// `GET /api/v1/tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TokenList {
    pub items: Vec<Token>,
    /// How many tokens match the filters, across all pages: the figure of `counts` for the
    /// `status` filter (their total without one), so a lower bound when `counts.capped`.
    pub total: u64,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// The tokens of each status under the same visibility, owner and name filters, whatever
    /// the `status` filter: the numbers beside the status filter's buttons. Added after v1;
    /// v1 clients ignore it.
    pub counts: StatusCounts,
}

/// The most tokens a server counts for one figure of [`StatusCounts`]: each figure is exact
/// up to this many, and a figure past it stops there and sets [`StatusCounts::capped`],
/// shown as "1000+" (the cap of list counts on large code hosts as well). Counting never
/// reads more than this many tokens per figure, however large the tenant: at a million
/// tokens, counting to 10,000 took about 4 ms of each listing, to 1,000 about 0.5 ms.
pub const STATUS_COUNT_CAP: u64 = 1_000;

/// The tokens of each status that match a listing's filters, its `status` filter aside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatusCounts {
    pub generated: u64,
    pub active: u64,
    pub inactive: u64,
    /// All three together.
    pub total: u64,
    /// `true` when counting stopped before the end (a figure went past
    /// [`STATUS_COUNT_CAP`], or a name search was too common to count through): every number
    /// is then a lower bound, shown as "N+".
    pub capped: bool,
}

impl StatusCounts {
    /// Exact counts per status, as far as [`STATUS_COUNT_CAP`]: a figure above the cap is
    /// the cap, and `capped` is then set. (A server counts at most one past the cap.)
    pub const fn counted(generated: u64, active: u64, inactive: u64) -> StatusCounts {
        let capped = generated > STATUS_COUNT_CAP
            || active > STATUS_COUNT_CAP
            || inactive > STATUS_COUNT_CAP;
        StatusCounts::of_figures(generated, active, inactive, capped)
    }

    /// Counts per status that are lower bounds (counting stopped early), at most
    /// [`STATUS_COUNT_CAP`] each; always `capped`.
    pub const fn at_least(generated: u64, active: u64, inactive: u64) -> StatusCounts {
        StatusCounts::of_figures(generated, active, inactive, true)
    }

    const fn of_figures(generated: u64, active: u64, inactive: u64, capped: bool) -> StatusCounts {
        let (generated, active, inactive) = (
            at_most_cap(generated),
            at_most_cap(active),
            at_most_cap(inactive),
        );
        StatusCounts {
            generated,
            active,
            inactive,
            total: generated + active + inactive,
            capped,
        }
    }

    /// The count of `status`; `None` (no status filter) is the total.
    pub const fn of(&self, status: Option<TokenStatus>) -> u64 {
        match status {
            None => self.total,
            Some(TokenStatus::Generated) => self.generated,
            Some(TokenStatus::Active) => self.active,
            Some(TokenStatus::Inactive) => self.inactive,
        }
    }

    /// Counts one token of `status` more (`added`) or less, as after generating or revoking
    /// it.
    pub fn adjust(&mut self, status: TokenStatus, added: bool) {
        let count = match status {
            TokenStatus::Generated => &mut self.generated,
            TokenStatus::Active => &mut self.active,
            TokenStatus::Inactive => &mut self.inactive,
        };
        for n in [count, &mut self.total] {
            *n = if added { *n + 1 } else { n.saturating_sub(1) };
        }
    }
}

const fn at_most_cap(n: u64) -> u64 {
    if n > STATUS_COUNT_CAP {
        STATUS_COUNT_CAP
    } else {
        n
    }
}

/// `POST /api/v1/tokens` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreateToken {
    pub name: String,
}

/// `POST /api/v1/tokens` answer: the only time the value is ever sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CreatedToken {
    pub token: Token,
    pub value: String,
    pub portal_url: String,
}

/// Why a token name is refused, before any store is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
    ControlCharacter,
    /// A bidirectional override or isolate, or a zero-width character: they make a name
    /// look like another in lists.
    InvisibleCharacter,
}

impl NameError {
    /// A sentence for a person.
    pub const fn message(self) -> &'static str {
        match self {
            NameError::Empty => "Enter a name for the token.",
            NameError::TooLong => "The name can be at most 64 characters long.",
            NameError::ControlCharacter => "The name cannot contain control characters.",
            NameError::InvisibleCharacter => {
                "The name cannot contain invisible or text-direction characters."
            }
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl core::error::Error for NameError {}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// zero-width characters (U+200B–U+200D, U+FEFF).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

/// Checks a token name as the contract says (trimmed, 1–[`NAME_MAX_CHARS`] characters, no
/// control, bidirectional-override or zero-width characters) and returns the trimmed name. Uniqueness is the server's to check.
pub fn validate_name(raw: &str) -> Result<&str, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().any(char::is_control) {
        Err(NameError::ControlCharacter)
    } else if name.chars().any(is_invisible) {
        Err(NameError::InvisibleCharacter)
    } else if name.chars().count() > NAME_MAX_CHARS {
        Err(NameError::TooLong)
    } else {
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_MS: i64 = 24 * 60 * 60 * 1000;

    #[test]
    fn status_turns_inactive_just_after_7_days() {
        let now = 1_800_000_000_000;
        assert_eq!(TokenStatus::at(None, now), TokenStatus::Generated);
        assert_eq!(TokenStatus::at(Some(now), now), TokenStatus::Active);
        assert_eq!(
            TokenStatus::at(Some(now - 7 * DAY_MS), now),
            TokenStatus::Active
        );
        assert_eq!(
            TokenStatus::at(Some(now - 7 * DAY_MS - 1), now),
            TokenStatus::Inactive
        );
        assert_eq!(TokenStatus::active_since(now), now - 7 * DAY_MS);
        assert_eq!(TokenStatus::at(Some(now + 5), now), TokenStatus::Active);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  ci deploy  "), Ok("ci deploy"));
        assert_eq!(validate_name("   "), Err(NameError::Empty));
        assert_eq!(validate_name("a\u{7}b"), Err(NameError::ControlCharacter));
        for c in [
            '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}', '\u{200B}', '\u{200D}', '\u{FEFF}',
        ] {
            let name = format!("deploy{c}key");
            assert_eq!(
                validate_name(&name),
                Err(NameError::InvisibleCharacter),
                "{c:?}"
            );
        }
        assert_eq!(
            validate_name("déploiement \u{5d0}"),
            Ok("déploiement \u{5d0}")
        );
        assert_eq!(validate_name(&"é".repeat(64)), Ok("é".repeat(64).as_str()));
        assert_eq!(validate_name(&"é".repeat(65)), Err(NameError::TooLong));
    }

    #[test]
    fn the_too_long_message_states_the_limit() {
        assert!(
            NameError::TooLong
                .message()
                .contains(&format!(" {NAME_MAX_CHARS} "))
        );
    }

    #[test]
    fn status_counts_add_up_and_follow_generation_and_revocation() {
        let mut counts = StatusCounts::counted(2, 3, 4);
        assert_eq!((counts.total, counts.capped), (9, false));
        assert_eq!(counts.of(None), 9);
        assert_eq!(counts.of(Some(TokenStatus::Active)), 3);
        counts.adjust(TokenStatus::Generated, true);
        counts.adjust(TokenStatus::Inactive, false);
        assert_eq!(counts, StatusCounts::counted(3, 3, 3));
        let mut none = StatusCounts::default();
        none.adjust(TokenStatus::Active, false);
        assert_eq!(none, StatusCounts::default(), "never below zero");
    }

    #[test]
    fn status_counts_stop_at_the_cap() {
        let exact = StatusCounts::counted(STATUS_COUNT_CAP, 0, 1);
        assert_eq!(
            (exact.generated, exact.total, exact.capped),
            (STATUS_COUNT_CAP, STATUS_COUNT_CAP + 1, false)
        );
        let over = StatusCounts::counted(2, STATUS_COUNT_CAP + 1, 5);
        assert_eq!(over.active, STATUS_COUNT_CAP, "a figure stops at the cap");
        assert_eq!(
            (over.generated, over.inactive),
            (2, 5),
            "the others stay exact"
        );
        assert_eq!((over.total, over.capped), (STATUS_COUNT_CAP + 7, true));
        let bounds = StatusCounts::at_least(3, 0, 5 * STATUS_COUNT_CAP);
        assert_eq!(
            (bounds.inactive, bounds.total, bounds.capped),
            (STATUS_COUNT_CAP, STATUS_COUNT_CAP + 3, true)
        );
    }

    #[test]
    fn status_counts_json_matches_the_contract() {
        let json = serde_json::to_value(StatusCounts::counted(1, 2, 3)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"generated": 1, "active": 2, "inactive": 3, "total": 6, "capped": false})
        );
    }

    #[test]
    fn token_json_matches_the_contract() {
        let token = Token {
            id: "t1".into(),
            name: "n".into(),
            owner: Owner {
                id: "u".into(),
                display_name: "U".into(),
            },
            created_at: "2026-01-01T00:00:00Z".into(),
            last_used_at: None,
            status: TokenStatus::Generated,
            privileges: Privileges::Read,
        };
        let json = serde_json::to_value(&token).unwrap();
        assert_eq!(json["last_used_at"], serde_json::Value::Null);
        assert_eq!(json["status"], "generated");
        assert_eq!(json["privileges"], "read");
        assert_eq!(json["owner"]["display_name"], "U");
        assert_eq!(serde_json::from_value::<Token>(json).unwrap(), token);
    }
}
