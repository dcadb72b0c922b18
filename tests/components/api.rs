//! The API layer's pure parts: the JSON bodies and problem+json answers. (List parameters are
//! the contract crate's and tested there, in `crates/token-wire/tests/list_params.rs`.)

use api_tokens_portal::api::ApiError;
use api_tokens_portal::api::wire::{self, FromJson};
use token_wire::{
    CreateToken, CreatedToken, Me, Owner, Privileges, Problem, Role, StatusCounts, Token,
    TokenList, TokenStatus,
};
use wasm_bindgen_test::*;

/// `value` read back by the SPA's reader from the JSON serde writes for the contract.
fn through_json<T: FromJson + serde::Serialize>(value: &T) -> T {
    wire::parse(&serde_json::to_string(value).unwrap()).unwrap()
}

#[wasm_bindgen_test]
fn the_readers_read_what_the_contract_writes() {
    let token = |last_used_at: Option<&str>| Token {
        id: "t1".into(),
        name: "nightly “report”".into(),
        owner: Owner {
            id: "u1".into(),
            display_name: "Rita".into(),
        },
        created_at: "2026-01-01T00:00:00Z".into(),
        last_used_at: last_used_at.map(Into::into),
        status: TokenStatus::Inactive,
        privileges: Privileges::Alerts,
    };
    let list = TokenList {
        items: vec![token(None), token(Some("2026-02-01T00:00:00Z"))],
        total: 2,
        next_cursor: Some("c2".into()),
        counts: StatusCounts::counted(1, 0, 2),
    };
    assert_eq!(through_json(&list), list);
    let created = CreatedToken {
        token: token(None),
        value: "atp_secret".into(),
        portal_url: "https://contoso.portal.example.net".into(),
    };
    assert_eq!(through_json(&created), created);
    let me = Me {
        tenant_id: "t".into(),
        user_id: "u".into(),
        display_name: "Rita".into(),
        roles: vec![Role::GlobalAdministrator, Role::SecurityReader],
        full_admin: true,
        privileges: Privileges::Full,
        portal_url: "https://contoso.portal.example.net".into(),
    };
    assert_eq!(through_json(&me), me);
    let problem = Problem {
        kind: "about:blank".into(),
        title: "Conflict".into(),
        status: 409,
        detail: "taken".into(),
        field: Some("name".into()),
    };
    assert_eq!(through_json(&problem), problem);
    let body = CreateToken {
        name: "ci \"deploy\"".into(),
    };
    assert_eq!(
        wire::create_token(&body),
        serde_json::to_string(&body).unwrap()
    );
    assert!(wire::parse::<TokenList>("<!doctype html>").is_err());
    assert!(wire::parse::<Me>(r#"{"user_id": 7}"#).is_err());
}

#[wasm_bindgen_test]
fn problems_map_to_api_errors() {
    let problem = |status: u16, detail: &str, field: Option<&str>| Problem {
        kind: "about:blank".into(),
        title: "t".into(),
        status,
        detail: detail.into(),
        field: field.map(Into::into),
    };
    assert_eq!(
        ApiError::from_problem(409, Some(problem(409, "name taken", Some("name"))), None),
        ApiError::Conflict {
            field: Some("name".into()),
            detail: "name taken".into()
        }
    );
    assert_eq!(
        ApiError::from_problem(429, None, Some("17")),
        ApiError::RateLimited {
            retry_after_secs: 17
        }
    );
    assert_eq!(
        ApiError::from_problem(403, Some(problem(403, "Permission denied", None)), None),
        ApiError::Forbidden("Permission denied".into())
    );
    assert_eq!(ApiError::from_problem(404, None, None), ApiError::NotFound);
    assert_eq!(
        ApiError::from_problem(401, None, None),
        ApiError::Unauthorized
    );
    assert_eq!(
        ApiError::from_problem(503, None, None),
        ApiError::Server("HTTP 503".into())
    );
    assert_eq!(
        ApiError::RateLimited {
            retry_after_secs: 5
        }
        .to_string(),
        "Too many requests. Try again in 5 s."
    );
}
