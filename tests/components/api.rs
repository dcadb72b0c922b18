//! The API layer's pure parts: list parameters and problem+json answers.

use api_tokens_portal::api::ApiError;
use token_wire::{ListParams, Problem, SortKey, SortOrder, TokenStatus};
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn list_queries_encode_the_contract_parameters() {
    let query = ListParams {
        status: Some(TokenStatus::Inactive),
        q: Some("a&b".into()),
        owner: Some("u 1".into()),
        sort: SortKey::LastUsedAt,
        order: SortOrder::Asc,
        limit: 25,
        cursor: Some("c/2=".into()),
    };
    assert_eq!(
        query.to_query_string(),
        "status=inactive&q=a%26b&owner=u%201&sort=last_used_at&order=asc&limit=25&cursor=c%2F2%3D"
    );
    assert_eq!(
        ListParams::default().to_query_string(),
        "sort=created_at&order=desc&limit=50"
    );
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
