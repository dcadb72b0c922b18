//! The token API's JSON bodies ([`token_wire`] types) read and written with
//! [`json::Object`](crate::json::Object), field by field as serde names them in the contract.

use token_wire::{
    CreateToken, CreatedToken, Me, Owner, Privileges, Problem, Role, StatusCounts, Token,
    TokenList, TokenStatus,
};

use crate::from_json;
pub use crate::json::FromJson;
use crate::json::{Field, JsonError, Object};

/// Parses the JSON text of a `T`.
pub fn parse<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::parse(text)
}

/// The JSON text of a `POST /api/v1/tokens` body.
pub fn create_token(body: &CreateToken) -> String {
    Object::default().set_str("name", &body.name).stringify()
}

/// Implements [`Field`] for the contract's enums, spelled as their values (`FromStr`).
macro_rules! spelled_fields {
    ($($ty:ty),*) => {$(
        impl Field for $ty {
            fn field(o: &Object, key: &str) -> Result<$ty, JsonError> {
                let value = o.str(key)?;
                value
                    .parse()
                    .map_err(|_| JsonError(format!("unknown {key} `{value}`")))
            }
        }
    )*};
}

spelled_fields!(Privileges, TokenStatus);

impl Field for Vec<Role> {
    fn field(o: &Object, key: &str) -> Result<Vec<Role>, JsonError> {
        o.list(key, |v| v.as_string().and_then(|r| r.parse().ok()))
    }
}

from_json! {
    Me { tenant_id, user_id, display_name, roles, full_admin, privileges, portal_url }
    Owner { id, display_name }
    Token { id, name, owner, created_at, last_used_at, status, privileges }
    StatusCounts { generated, active, inactive, total, capped }
    TokenList { items, total, next_cursor, counts }
    CreatedToken { token, value, portal_url }
}

impl FromJson for Problem {
    fn read(o: &Object) -> Result<Problem, JsonError> {
        Ok(Problem {
            kind: o.str("type")?,
            title: o.str("title")?,
            status: u16::try_from(o.int("status")?)
                .map_err(|_| JsonError("`status` must be an HTTP status".into()))?,
            detail: o.str("detail")?,
            field: o.opt_str("field")?,
        })
    }
}
