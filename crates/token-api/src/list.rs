//! Paged listings: the typed parameters of `GET /api/v1/tokens` and `GET /api/v1/audit`
//! (parsed by `token_wire`, refused as problems naming the field), their opaque keyset
//! cursors, and cutting one page from the rows the store returns.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use token_wire::{AuditParams, ListParams, OWNER_FORBIDDEN, ParamError};

use crate::error::AppError;
use crate::store::{AuditRow, KeyValue, Position, TokenQuery};

const NOT_A_CURSOR: &str = "Not a cursor from this listing; start again without it.";

fn bad_param(e: ParamError) -> AppError {
    AppError::bad_request(e.field(), e.message())
}

fn bad_cursor() -> AppError {
    AppError::bad_request("cursor", NOT_A_CURSOR)
}

/// The store query for one page of `GET /api/v1/tokens?{raw}` as `caller_id` sees it: every
/// owner's tokens for full admins (or `owner`'s), otherwise the caller's own. Checked in the
/// contract's order: parameters (400), owner (403), cursor (400).
pub fn token_query(
    raw: Option<&str>,
    caller_id: &str,
    full_admin: bool,
    now: i64,
) -> Result<TokenQuery, AppError> {
    let mut params = ListParams::parse(raw.unwrap_or_default()).map_err(bad_param)?;
    let owner = params
        .visible_owner(caller_id, full_admin)
        .map_err(|_| AppError::Forbidden(OWNER_FORBIDDEN))?
        .map(str::to_owned);
    let after = params
        .cursor
        .as_deref()
        .map(|c| decode_token_cursor(c, &params))
        .transpose()?;
    params.owner = owner;
    Ok(TokenQuery { params, after, now })
}

/// The parameters of `GET /api/v1/audit?{raw}` and the position its cursor names.
pub fn audit_page(raw: Option<&str>) -> Result<(u32, Option<i64>), AppError> {
    let params = AuditParams::parse(raw.unwrap_or_default()).map_err(bad_param)?;
    let before = params
        .cursor
        .as_deref()
        .map(|c| decode_audit_cursor(c).ok_or_else(bad_cursor))
        .transpose()?;
    Ok((params.limit, before))
}

/// Keeps the first `limit` of `rows` (the store fetches one more than a page) and returns the
/// cursor of the next page when there is one (the audit trail's pages).
pub fn cut_page<T>(
    rows: &mut Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> String,
) -> Option<String> {
    if rows.len() <= limit as usize {
        return None;
    }
    rows.truncate(limit as usize);
    rows.last().map(cursor_of)
}

/// A token listing's position: its sort and order, and the sort key and id the next page
/// starts after.
#[derive(Serialize, Deserialize)]
struct TokenCursor {
    s: token_wire::SortKey,
    o: token_wire::SortOrder,
    k: serde_json::Value,
    i: String,
}

/// The cursor of the page after `position` in a listing by `query`'s sort and order.
pub fn token_cursor(query: &TokenQuery, position: &Position) -> String {
    let k = match &position.key {
        KeyValue::Int(i) => serde_json::Value::from(*i),
        KeyValue::Text(s) => serde_json::Value::from(s.clone()),
    };
    let json = serde_json::to_vec(&TokenCursor {
        s: query.params.sort,
        o: query.params.order,
        k,
        i: position.id.clone(),
    })
    .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

fn decode_token_cursor(raw: &str, params: &ListParams) -> Result<Position, AppError> {
    use token_wire::SortKey;
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad_cursor())?;
    let c: TokenCursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
    if c.s != params.sort || c.o != params.order {
        return Err(bad_cursor());
    }
    let key = match (params.sort, c.k) {
        (SortKey::Name, serde_json::Value::String(s)) => KeyValue::Text(s),
        (SortKey::CreatedAt | SortKey::LastUsedAt, serde_json::Value::Number(n)) => {
            KeyValue::Int(n.as_i64().ok_or_else(bad_cursor)?)
        }
        _ => return Err(bad_cursor()),
    };
    Ok(Position { key, id: c.i })
}

/// The cursor after `row` in the audit trail.
pub fn audit_cursor(row: &AuditRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("a:{}", row.seq))
}

fn decode_audit_cursor(raw: &str) -> Option<i64> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("a:")?
        .parse()
        .ok()
}
