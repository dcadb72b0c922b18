//! `GET /api/v1/audit`: the audit trail, its actions and its query parameters.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::query::{ParamError, known_params, parse_limit};
use crate::spelling::wire_enum;
use crate::tokens::Owner;

wire_enum! {
    /// Actions recorded in the audit trail.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum AuditAction {
        Generated => "generated",
        Revoked => "revoked",
        Used => "used",
        Denied => "denied",
    }
}

/// One audit event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditEvent {
    /// RFC 3339 UTC.
    pub at: String,
    /// The user who acted (for `used` and `denied`, the token's owner).
    pub actor: Owner,
    pub action: AuditAction,
    pub token_id: Option<String>,
    pub token_name: Option<String>,
    pub ip: Option<String>,
}

/// `GET /api/v1/audit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AuditList {
    pub items: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

/// The page of `GET /api/v1/audit` asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditParams {
    /// Events per page, 1–100 (default 50).
    pub limit: u32,
    /// The `next_cursor` of the previous page; opaque to everyone but the server.
    pub cursor: Option<String>,
}

impl AuditParams {
    /// Parses a raw query string with the rules of [`ListParams::parse`](crate::ListParams::parse)
    /// for `limit` and `cursor`, the only names taken.
    pub fn parse(query: &str) -> Result<AuditParams, ParamError> {
        let [limit, cursor] = known_params(query, ["limit", "cursor"])?;
        Ok(AuditParams {
            limit: parse_limit(limit.as_deref())?,
            cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_params_take_limit_and_cursor_only() {
        assert_eq!(
            AuditParams::parse(""),
            Ok(AuditParams {
                limit: 50,
                cursor: None
            })
        );
        assert_eq!(
            AuditParams::parse("limit=7&cursor=YTox"),
            Ok(AuditParams {
                limit: 7,
                cursor: Some("YTox".into())
            })
        );
        assert_eq!(
            AuditParams::parse("sort=name").map_err(|e| e.field().to_string()),
            Err("sort".into())
        );
        assert_eq!(
            AuditParams::parse("limit=0").map_err(|e| e.field().to_string()),
            Err("limit".into())
        );
    }

    #[test]
    fn actions_parse_their_stored_spelling() {
        assert_eq!("denied".parse(), Ok(AuditAction::Denied));
        assert!("Denied".parse::<AuditAction>().is_err());
    }
}
