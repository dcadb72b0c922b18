//! Unauthenticated load on the API-token path: well-formed values are free to make (the
//! checksum is public), so an unknown value costs one store lookup a minute, and an address
//! that keeps showing invalid values gets 429 instead of lookups.

mod common;

use std::time::Duration;

use common::{Env, TA};
use token_wire::Role::*;

async fn an_unknown_value_costs_one_store_lookup(env: Env) {
    let s = &env.server;
    let values: Vec<String> = (0..5).map(|_| token_api::values::generate()).collect();
    let before = s.state.token_lookups();
    for _ in 0..3 {
        for v in &values {
            assert_eq!(s.use_api_token(v, false).await.0, 401);
        }
    }
    assert_eq!(s.state.token_lookups() - before, 5);
    // A minute later each is looked up again.
    s.clock.advance(Duration::from_secs(61));
    assert_eq!(s.use_api_token(&values[0], false).await.0, 401);
    assert_eq!(s.state.token_lookups() - before, 6);
}
both_backends!(an_unknown_value_costs_one_store_lookup);

async fn an_address_over_its_invalid_token_limit_gets_429(env: Env) {
    let s = &env.server;
    let op = env.idp.access_token(TA, "op", &[SecurityOperator]);
    let (_, known) = s.create(&op, "known").await;
    assert_eq!(s.use_api_token(&known, false).await.0, 200);
    for _ in 0..5 {
        let (status, _) = s.use_api_token(&token_api::values::generate(), false).await;
        assert_eq!(status, 401);
    }
    let lookups = s.state.token_lookups();
    let r = s
        .send_with_api_token(
            reqwest::Method::GET,
            "/api/v1/alerts/",
            &token_api::values::generate(),
        )
        .await;
    common::rate_limited(r).await;
    assert_eq!(
        s.state.token_lookups(),
        lookups,
        "no store lookup over the limit"
    );
    // A value already known to this instance still works.
    assert_eq!(s.use_api_token(&known, false).await.0, 200);
    s.clock.advance(Duration::from_secs(61));
    let (status, _) = s.use_api_token(&token_api::values::generate(), false).await;
    assert_eq!(status, 401);
}
both_backends!(an_address_over_its_invalid_token_limit_gets_429, |c| {
    c.invalid_tokens_per_minute = 5
});
