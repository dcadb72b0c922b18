//! `GET /api/v1/tokens`: the typed list parameters the SPA encodes and the server parses, and
//! the filter rule a page of tokens follows.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::limits::{DEFAULT_PAGE_SIZE, SEARCH_MAX_CHARS};
use crate::query::{ParamError, known_params, parse_limit, push_pair};
use crate::spelling::wire_enum;
use crate::tokens::{Token, TokenStatus};

wire_enum! {
    /// Sort keys of `GET /api/v1/tokens`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum SortKey {
        Name => "name",
        #[default]
        CreatedAt => "created_at",
        LastUsedAt => "last_used_at",
    }
}

wire_enum! {
    /// Sort direction of `GET /api/v1/tokens`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum SortOrder {
        Asc => "asc",
        #[default]
        Desc => "desc",
    }
}

impl SortOrder {
    /// The other direction.
    pub const fn reversed(self) -> SortOrder {
        match self {
            SortOrder::Asc => SortOrder::Desc,
            SortOrder::Desc => SortOrder::Asc,
        }
    }
}

/// The `detail` of the 403 for a caller who is not a full admin naming another owner.
pub const OWNER_FORBIDDEN: &str = "Only full admins can list other users' tokens.";

/// Filters, order and page of `GET /api/v1/tokens`.
///
/// [`ListParams::to_query_string`] and [`ListParams::parse`] are inverse; the default is what
/// the server assumes for an empty query string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListParams {
    pub status: Option<TokenStatus>,
    /// Case-insensitive substring of the name, matched as given (the SPA trims what is typed);
    /// `None` or empty means any name.
    pub q: Option<String>,
    /// The owner's user id; only full admins may name someone else.
    pub owner: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    /// Tokens per page, 1–100.
    pub limit: u32,
    /// The `next_cursor` of the previous page; opaque to everyone but the server.
    pub cursor: Option<String>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            status: None,
            q: None,
            owner: None,
            sort: SortKey::default(),
            order: SortOrder::default(),
            limit: DEFAULT_PAGE_SIZE,
            cursor: None,
        }
    }
}

impl ListParams {
    /// The parameter names, in the order they are encoded.
    pub const NAMES: [&'static str; 7] =
        ["status", "q", "owner", "sort", "order", "limit", "cursor"];

    /// Parses a raw query string (no leading `?`; `""` when there is none). Refused, naming
    /// the parameter: unknown names, a parameter given twice, a `status`, `sort` or `order`
    /// not spelled as in the contract, `limit` outside 1–100, and a `q` over 256 characters
    /// or with control characters. Empty values count as absent.
    pub fn parse(query: &str) -> Result<ListParams, ParamError> {
        let [status, q, owner, sort, order, limit, cursor] = known_params(query, Self::NAMES)?;
        let invalid = |field, message| ParamError::Invalid { field, message };
        let status = status
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| invalid("status", "Must be generated, active or inactive."))?;
        let sort = sort
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| invalid("sort", "Must be name, created_at or last_used_at."))?
            .unwrap_or_default();
        let order = order
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| invalid("order", "Must be asc or desc."))?
            .unwrap_or_default();
        let limit = parse_limit(limit.as_deref())?;
        if q.as_ref().is_some_and(|q| {
            q.chars().count() > SEARCH_MAX_CHARS || q.chars().any(char::is_control)
        }) {
            return Err(invalid(
                "q",
                "At most 256 characters, without control characters.",
            ));
        }
        Ok(ListParams {
            status,
            q,
            owner,
            sort,
            order,
            limit,
            cursor,
        })
    }

    /// The query string, without the leading `?`: `sort`, `order` and `limit` always, the
    /// others when set and not empty.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        if let Some(status) = self.status {
            push_pair(&mut out, "status", status.as_str());
        }
        if let Some(q) = self.search() {
            push_pair(&mut out, "q", q);
        }
        if let Some(owner) = self.owner.as_deref().filter(|o| !o.is_empty()) {
            push_pair(&mut out, "owner", owner);
        }
        push_pair(&mut out, "sort", self.sort.as_str());
        push_pair(&mut out, "order", self.order.as_str());
        push_pair(&mut out, "limit", &self.limit.to_string());
        if let Some(cursor) = self.cursor.as_deref().filter(|c| !c.is_empty()) {
            push_pair(&mut out, "cursor", cursor);
        }
        out
    }

    /// The name search in effect: `q` unless it is absent or empty.
    pub fn search(&self) -> Option<&str> {
        self.q.as_deref().filter(|q| !q.is_empty())
    }

    /// Whether `token` passes the `status`, `q` and `owner` filters, as the server filters:
    /// `q` is a substring of the name, both lower-cased.
    pub fn matches(&self, token: &Token) -> bool {
        self.matches_with(token, str::to_lowercase)
    }

    /// [`ListParams::matches`] with the given full-Unicode lower-casing: the SPA passes the
    /// browser's, so its bundle carries no lower-casing tables.
    pub fn matches_with(&self, token: &Token, lowercase: impl Fn(&str) -> String) -> bool {
        self.status.is_none_or(|s| s == token.status)
            && self
                .owner
                .as_deref()
                .is_none_or(|o| o.is_empty() || o == token.owner.id)
            && self
                .search()
                .is_none_or(|q| lowercase(&token.name).contains(&lowercase(q)))
    }

    /// Whose tokens `caller_id` lists (the visibility rule): a full admin sees `owner`'s, or
    /// everyone's when `owner` is absent (`Ok(None)`); anyone else only their own, and naming
    /// another owner is refused (403, [`OWNER_FORBIDDEN`]).
    pub fn visible_owner<'a>(
        &'a self,
        caller_id: &'a str,
        full_admin: bool,
    ) -> Result<Option<&'a str>, OwnerForbidden> {
        match self.owner.as_deref().filter(|o| !o.is_empty()) {
            owner if full_admin => Ok(owner),
            Some(owner) if owner != caller_id => Err(OwnerForbidden),
            _ => Ok(Some(caller_id)),
        }
    }
}

/// A caller who is not a full admin named another owner; answers 403 with
/// [`OWNER_FORBIDDEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerForbidden;

impl core::fmt::Display for OwnerForbidden {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(OWNER_FORBIDDEN)
    }
}

impl core::error::Error for OwnerForbidden {}
