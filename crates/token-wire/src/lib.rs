//! The token API contract (`shared/design/token-api.md`), in one crate.
//!
//! The SPA, the server and every test fake use these definitions instead of their own:
//! the JSON bodies (serialized by serde; described in OpenAPI when the `openapi` feature is
//! on), the spelling of every enum value, the list parameters and their acceptance rules, the
//! status rule, the role and display-name rules, and every limit and default. Times are
//! RFC 3339 UTC strings so that the SPA needs no date library.
//!
//! | module | subject |
//! |---|---|
//! | [`roles`] | roles from `wids`, privileges, the display name, `GET /me` |
//! | [`tokens`] | the `Token` body, its status rule, its name rule, the value prefix, the list answer and its status counts |
//! | [`list`] | `GET /tokens` parameters: parse, encode, filter, visibility |
//! | [`audit`] | the audit trail and its parameters |
//! | [`alerts`] | the sample alerts token-authenticated software reads |
//! | [`problem`] | problem+json errors |
//! | [`limits`] | limits and defaults |
//! | [`query`] | query-string encoding and the rules shared by listings |

pub mod alerts;
pub mod audit;
pub mod limits;
pub mod list;
pub mod problem;
pub mod query;
pub mod roles;
mod spelling;
pub mod tokens;

pub use alerts::{Alert, AlertList};
pub use audit::{AuditAction, AuditEvent, AuditList, AuditParams};
pub use limits::*;
pub use list::{ListParams, OWNER_FORBIDDEN, OwnerForbidden, SortKey, SortOrder};
pub use problem::{PROBLEM_CONTENT_TYPE, Problem};
pub use query::ParamError;
pub use roles::{Me, Privileges, Role, display_name, roles_from_wids};
pub use spelling::UnknownValue;
pub use tokens::{
    ACTIVE_WINDOW_MS, API_TOKEN_PREFIX, CreateToken, CreatedToken, NameError, Owner,
    STATUS_COUNT_CAP, StatusCounts, Token, TokenList, TokenStatus, validate_name,
};
