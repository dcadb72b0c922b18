//! The token API's JSON bodies ([`token_wire`] types) read and written with
//! [`json::Object`](crate::json::Object), field by field as serde names them in the contract.

use token_wire::{
    CreateToken, CreatedToken, Me, Owner, Privileges, Problem, StatusCounts, Token, TokenList,
    TokenStatus,
};

use crate::json::{JsonError, Object};

/// A body the SPA reads.
pub trait FromJson: Sized {
    fn read(object: &Object) -> Result<Self, JsonError>;
}

/// Parses the JSON text of a `T`.
pub fn parse<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::read(&Object::parse(text)?)
}

/// The JSON text of a `POST /api/v1/tokens` body.
pub fn create_token(body: &CreateToken) -> String {
    Object::default().set_str("name", &body.name).stringify()
}

/// A field spelled as one of the contract's enum values (`FromStr`).
fn spelled<T: std::str::FromStr>(o: &Object, key: &str) -> Result<T, JsonError> {
    let value = o.str(key)?;
    value
        .parse()
        .map_err(|_| JsonError(format!("unknown {key} `{value}`")))
}

impl FromJson for Me {
    fn read(o: &Object) -> Result<Me, JsonError> {
        Ok(Me {
            tenant_id: o.str("tenant_id")?,
            user_id: o.str("user_id")?,
            display_name: o.str("display_name")?,
            roles: o.list("roles", |v| v.as_string().and_then(|r| r.parse().ok()))?,
            full_admin: o.bool("full_admin")?,
            privileges: spelled::<Privileges>(o, "privileges")?,
            portal_url: o.str("portal_url")?,
        })
    }
}

impl FromJson for Owner {
    fn read(o: &Object) -> Result<Owner, JsonError> {
        Ok(Owner {
            id: o.str("id")?,
            display_name: o.str("display_name")?,
        })
    }
}

impl FromJson for Token {
    fn read(o: &Object) -> Result<Token, JsonError> {
        Ok(Token {
            id: o.str("id")?,
            name: o.str("name")?,
            owner: Owner::read(&o.object("owner")?)?,
            created_at: o.str("created_at")?,
            last_used_at: o.opt_str("last_used_at")?,
            status: spelled::<TokenStatus>(o, "status")?,
            privileges: spelled::<Privileges>(o, "privileges")?,
        })
    }
}

impl FromJson for StatusCounts {
    fn read(o: &Object) -> Result<StatusCounts, JsonError> {
        Ok(StatusCounts {
            generated: o.uint("generated")?,
            active: o.uint("active")?,
            inactive: o.uint("inactive")?,
            total: o.uint("total")?,
            capped: o.bool("capped")?,
        })
    }
}

impl FromJson for TokenList {
    fn read(o: &Object) -> Result<TokenList, JsonError> {
        Ok(TokenList {
            items: o.objects("items", Token::read)?,
            total: o.uint("total")?,
            next_cursor: o.opt_str("next_cursor")?,
            counts: StatusCounts::read(&o.object("counts")?)?,
        })
    }
}

impl FromJson for CreatedToken {
    fn read(o: &Object) -> Result<CreatedToken, JsonError> {
        Ok(CreatedToken {
            token: Token::read(&o.object("token")?)?,
            value: o.str("value")?,
            portal_url: o.str("portal_url")?,
        })
    }
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
