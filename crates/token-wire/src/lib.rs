//! JSON wire types of the token API contract (`shared/design/token-api.md`).
//!
//! One definition of every JSON body, used by the SPA (to read and write) and by the server
//! (to write, read, and describe in OpenAPI when the `openapi` feature is on). Times are
//! RFC 3339 UTC strings so that the SPA needs no date library.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A directory role the portal knows, identified in access tokens by its `wids` template id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    GlobalAdministrator,
    SecurityAdministrator,
    CloudAppSecurityAdministrator,
    ComplianceAdministrator,
    SecurityOperator,
    SecurityReader,
    GlobalReader,
}

impl Role {
    /// Every role, strongest first.
    pub const ALL: [Role; 7] = [
        Role::GlobalAdministrator,
        Role::SecurityAdministrator,
        Role::CloudAppSecurityAdministrator,
        Role::ComplianceAdministrator,
        Role::SecurityOperator,
        Role::SecurityReader,
        Role::GlobalReader,
    ];

    /// The Entra ID role template id carried in the `wids` claim.
    pub const fn wid(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "62e90394-69f5-4237-9190-012177145e10",
            Role::SecurityAdministrator => "194ae4cb-b126-40b2-bd5b-6091b380977d",
            Role::CloudAppSecurityAdministrator => "892c5842-a9a6-463a-8041-72aa08ca3cf6",
            Role::ComplianceAdministrator => "17315797-102d-40b4-93e0-432062caca18",
            Role::SecurityOperator => "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
            Role::SecurityReader => "5d6b6bb7-de71-4623-b4af-96380a352509",
            Role::GlobalReader => "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        }
    }

    /// The role whose template id is `wid` (case-insensitive), if the portal knows it.
    pub fn from_wid(wid: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.wid().eq_ignore_ascii_case(wid))
    }

    /// The name shown to people.
    pub const fn display_name(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global administrator",
            Role::SecurityAdministrator => "Security administrator",
            Role::CloudAppSecurityAdministrator => "Cloud App Security administrator",
            Role::ComplianceAdministrator => "Compliance administrator",
            Role::SecurityOperator => "Security operator",
            Role::SecurityReader => "Security reader",
            Role::GlobalReader => "Global reader",
        }
    }

    /// What this role allows in the portal and through its tokens.
    pub const fn privileges(self) -> Privileges {
        match self {
            Role::GlobalAdministrator
            | Role::SecurityAdministrator
            | Role::CloudAppSecurityAdministrator => Privileges::Full,
            Role::ComplianceAdministrator | Role::SecurityOperator => Privileges::Alerts,
            Role::SecurityReader | Role::GlobalReader => Privileges::Read,
        }
    }
}

/// What a user, or a token acting for them, may do. Ordered: `Read < Alerts < Full`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Privileges {
    /// Read data only.
    Read,
    /// Read, and manage (close) alerts.
    Alerts,
    /// Full admin: every token of the tenant.
    Full,
}

impl Privileges {
    /// The strongest privileges granted by any of `roles`; `None` when no role grants access.
    pub fn of(roles: &[Role]) -> Option<Privileges> {
        roles.iter().map(|r| r.privileges()).max()
    }

    /// Label shown in the UI.
    pub const fn label(self) -> &'static str {
        match self {
            Privileges::Read => "Read-only",
            Privileges::Alerts => "Read and manage alerts",
            Privileges::Full => "Full",
        }
    }
}

/// `GET /api/v1/me`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub tenant_id: String,
    pub user_id: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub full_admin: bool,
    pub privileges: Privileges,
    pub portal_url: String,
}

/// Computed at read time from `last_used_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    /// Never used.
    Generated,
    /// Last used at most 7 days ago.
    Active,
    /// Last used more than 7 days ago.
    Inactive,
}

impl TokenStatus {
    /// Every status, in the order the UI lists them.
    pub const ALL: [TokenStatus; 3] =
        [TokenStatus::Generated, TokenStatus::Active, TokenStatus::Inactive];

    /// The query-string and JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Generated => "generated",
            TokenStatus::Active => "active",
            TokenStatus::Inactive => "inactive",
        }
    }

    /// Parses the query-string spelling.
    pub fn parse(s: &str) -> Option<TokenStatus> {
        TokenStatus::ALL.into_iter().find(|t| t.as_str() == s)
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
    /// How many tokens match the filters, across all pages.
    pub total: u64,
    /// Pass as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Sort keys of `GET /api/v1/tokens`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    Name,
    #[default]
    CreatedAt,
    LastUsedAt,
}

impl SortKey {
    /// The query-string spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::CreatedAt => "created_at",
            SortKey::LastUsedAt => "last_used_at",
        }
    }
}

/// Sort direction of `GET /api/v1/tokens`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

impl SortOrder {
    /// The query-string spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
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

/// The longest token name, in characters.
pub const NAME_MAX_CHARS: usize = 64;

/// Why a token name is refused, before any store is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
    ControlCharacter,
}

impl NameError {
    /// A sentence for a person.
    pub const fn message(self) -> &'static str {
        match self {
            NameError::Empty => "Enter a name for the token.",
            NameError::TooLong => "The name can be at most 64 characters long.",
            NameError::ControlCharacter => "The name cannot contain control characters.",
        }
    }
}

/// Checks a token name as the contract says (trimmed, 1–64 characters, no control characters)
/// and returns the trimmed name. Uniqueness is the server's to check.
pub fn validate_name(raw: &str) -> Result<&str, NameError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(NameError::Empty)
    } else if name.chars().any(char::is_control) {
        Err(NameError::ControlCharacter)
    } else if name.chars().count() > NAME_MAX_CHARS {
        Err(NameError::TooLong)
    } else {
        Ok(name)
    }
}

/// Actions recorded in the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Generated,
    Revoked,
    Used,
    Denied,
}

impl AuditAction {
    /// The stored and JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::Generated => "generated",
            AuditAction::Revoked => "revoked",
            AuditAction::Used => "used",
            AuditAction::Denied => "denied",
        }
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

/// A sample security alert, what token-authenticated software reads and closes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Alert {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// `open` or `closed`.
    pub status: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// `GET /api/v1/alerts/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertList {
    pub items: Vec<Alert>,
}

/// An RFC 9457 problem details body (`application/problem+json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field at fault, for 400 and 409 answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_wid() {
        for role in Role::ALL {
            assert_eq!(Role::from_wid(role.wid()), Some(role));
            assert_eq!(Role::from_wid(&role.wid().to_uppercase()), Some(role));
        }
        assert_eq!(Role::from_wid("00000000-0000-0000-0000-000000000000"), None);
    }

    #[test]
    fn privileges_are_the_strongest_of_the_roles() {
        assert_eq!(Privileges::of(&[]), None);
        assert_eq!(
            Privileges::of(&[Role::SecurityReader, Role::SecurityOperator]),
            Some(Privileges::Alerts)
        );
        assert_eq!(
            Privileges::of(&[Role::GlobalReader, Role::CloudAppSecurityAdministrator]),
            Some(Privileges::Full)
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("  ci deploy  "), Ok("ci deploy"));
        assert_eq!(validate_name("   "), Err(NameError::Empty));
        assert_eq!(validate_name("a\u{7}b"), Err(NameError::ControlCharacter));
        assert_eq!(validate_name(&"é".repeat(64)), Ok("é".repeat(64).as_str()));
        assert_eq!(validate_name(&"é".repeat(65)), Err(NameError::TooLong));
    }

    #[test]
    fn token_json_matches_the_contract() {
        let token = Token {
            id: "t1".into(),
            name: "n".into(),
            owner: Owner { id: "u".into(), display_name: "U".into() },
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
    }

    #[test]
    fn problem_uses_the_rfc_9457_field_names() {
        let p = Problem {
            kind: "about:blank".into(),
            title: "Not Found".into(),
            status: 404,
            detail: "no such token".into(),
            field: None,
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["type"], "about:blank");
        assert!(json.get("field").is_none());
    }
}
