//! `ListParams`: parsing with the server's acceptance rules, encoding as the SPA sends it,
//! and the filter and visibility rules.

use token_wire::{
    ListParams, Owner, OwnerForbidden, ParamError, Privileges, SortKey, SortOrder, Token,
    TokenStatus,
};

/// A query with every parameter set, none to its default.
fn every_parameter() -> ListParams {
    ListParams {
        status: Some(TokenStatus::Inactive),
        q: Some("a&b".into()),
        owner: Some("u 1".into()),
        sort: SortKey::LastUsedAt,
        order: SortOrder::Asc,
        limit: 25,
        cursor: Some("c/2=".into()),
    }
}

fn refused(query: &str) -> (String, &'static str) {
    let e = ListParams::parse(query).expect_err(query);
    (e.field().to_string(), e.message())
}

#[test]
fn an_empty_query_gives_the_defaults() {
    let p = ListParams::parse("").unwrap();
    assert_eq!(p, ListParams::default());
    assert_eq!(
        (p.sort, p.order, p.limit),
        (SortKey::CreatedAt, SortOrder::Desc, 50)
    );
    assert_eq!(ListParams::parse("status=&q=&limit=&cursor=").unwrap(), p);
}

#[test]
fn every_parameter_is_read() {
    let p = ListParams::parse(
        "status=inactive&q=a%26b+c&owner=u%201&sort=last_used_at&order=asc&limit=25&cursor=c%2F2%3D",
    )
    .unwrap();
    let plus_is_a_space = ListParams {
        q: Some("a&b c".into()),
        ..every_parameter()
    };
    assert_eq!(p, plus_is_a_space);
}

#[test]
fn refusals_name_the_parameter_with_the_servers_wording() {
    // (parameter, the server's wording, queries refused with it)
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "status",
            "Must be generated, active or inactive.",
            &["status=used", "status=ACTIVE"],
        ),
        (
            "sort",
            "Must be name, created_at or last_used_at.",
            &["sort=owner"],
        ),
        ("order", "Must be asc or desc.", &["order=up"]),
        (
            "limit",
            "Must be an integer from 1 to 100.",
            &[
                "limit=0",
                "limit=101",
                "limit=-1",
                "limit=ten",
                "limit=99999999999999999999",
            ],
        ),
        (
            "colour",
            "Unknown query parameter.",
            &["colour=red", "colour="],
        ),
        ("%zz", "Unknown query parameter.", &["%zz=1"]),
        (
            "status",
            "Give this parameter at most once.",
            &["status=active&status=generated"],
        ),
        (
            "q",
            "At most 256 characters, without control characters.",
            &["q=%00"],
        ),
    ];
    for (field, message, queries) in cases {
        for query in queries {
            assert_eq!(refused(query), (field.to_string(), message), "{query}");
        }
    }
    let long = "a".repeat(257);
    assert_eq!(refused(&format!("q={long}")).0, "q");
    assert!(ListParams::parse(&format!("q={}", "é".repeat(256))).is_ok());
}

#[test]
fn unknown_names_are_cut_to_64_characters() {
    let name = "x".repeat(100);
    assert_eq!(refused(&format!("{name}=1")).0, "x".repeat(64));
}

#[test]
fn checks_run_in_a_fixed_order() {
    assert_eq!(refused("limit=0&status=no").0, "status");
    assert_eq!(refused("status=no&colour=1").0, "colour");
    assert_eq!(refused("q=%01&limit=0").0, "limit");
}

#[test]
fn empty_repeats_and_odd_values_are_accepted_as_the_server_did() {
    assert_eq!(
        ListParams::parse("status=&status=active").unwrap().status,
        Some(TokenStatus::Active)
    );
    assert_eq!(ListParams::parse("limit=%2B7").unwrap().limit, 7);
    assert_eq!(ListParams::parse("limit=100").unwrap().limit, 100);
    assert_eq!(ListParams::parse("&&limit=1&").unwrap().limit, 1);
    assert_eq!(
        ListParams::parse("q=%FF").unwrap().q.as_deref(),
        Some("\u{FFFD}")
    );
    assert_eq!(
        ListParams::parse("q=%20x").unwrap().q.as_deref(),
        Some(" x")
    );
}

#[test]
fn the_query_string_is_what_the_spa_sends() {
    assert_eq!(
        every_parameter().to_query_string(),
        "status=inactive&q=a%26b&owner=u%201&sort=last_used_at&order=asc&limit=25&cursor=c%2F2%3D"
    );
    assert_eq!(
        ListParams::default().to_query_string(),
        "sort=created_at&order=desc&limit=50"
    );
    let blank = ListParams {
        q: Some(String::new()),
        owner: Some(String::new()),
        cursor: Some(String::new()),
        ..ListParams::default()
    };
    assert_eq!(
        blank.to_query_string(),
        "sort=created_at&order=desc&limit=50"
    );
}

#[test]
fn parse_reads_back_what_to_query_string_writes() {
    let unicode = ListParams {
        q: Some("ünï cödé +%&=#?/ 50% ☃".into()),
        cursor: Some("eyJzIjoibmFtZSJ9".into()),
        status: Some(TokenStatus::Generated),
        sort: SortKey::Name,
        limit: 1,
        ..every_parameter()
    };
    for p in [every_parameter(), unicode] {
        assert_eq!(ListParams::parse(&p.to_query_string()), Ok(p.clone()));
    }
    for status in TokenStatus::ALL {
        for sort in SortKey::ALL {
            for order in SortOrder::ALL {
                let p = ListParams {
                    status: Some(status),
                    sort,
                    order,
                    ..ListParams::default()
                };
                assert_eq!(ListParams::parse(&p.to_query_string()), Ok(p));
            }
        }
    }
}

fn token(name: &str, owner: &str, status: TokenStatus) -> Token {
    Token {
        id: format!("{owner}-{name}"),
        name: name.into(),
        owner: Owner {
            id: owner.into(),
            display_name: owner.to_uppercase(),
        },
        created_at: "2026-01-01T00:00:00Z".into(),
        last_used_at: None,
        status,
        privileges: Privileges::Read,
    }
}

#[test]
fn matches_filters_by_status_owner_and_name_substring() {
    let t = token("CI Deploy", "u1", TokenStatus::Active);
    let with = |q: Option<&str>, status, owner: Option<&str>| ListParams {
        q: q.map(Into::into),
        status,
        owner: owner.map(Into::into),
        ..ListParams::default()
    };
    assert!(ListParams::default().matches(&t));
    assert!(with(Some("ci d"), None, None).matches(&t));
    assert!(with(Some("DEPLOY"), Some(TokenStatus::Active), Some("u1")).matches(&t));
    assert!(with(Some(""), None, Some("")).matches(&t));
    assert!(!with(Some("deploy "), None, None).matches(&t));
    assert!(!with(Some("prod"), None, None).matches(&t));
    assert!(!with(None, Some(TokenStatus::Generated), None).matches(&t));
    assert!(!with(None, None, Some("u2")).matches(&t));
    assert!(with(Some("ÉTÉ"), None, None).matches(&token("été", "u1", TokenStatus::Active)));
}

#[test]
fn matches_with_lower_cases_by_the_function_given() {
    let summer = token("été", "u1", TokenStatus::Active);
    let search = ListParams {
        q: Some("ÉTÉ".into()),
        ..ListParams::default()
    };
    assert!(search.matches_with(&summer, str::to_lowercase));
    assert!(!search.matches_with(&summer, str::to_ascii_lowercase));
}

#[test]
fn only_full_admins_see_other_owners() {
    let asking = |owner: Option<&str>| ListParams {
        owner: owner.map(Into::into),
        ..ListParams::default()
    };
    assert_eq!(asking(None).visible_owner("me", true), Ok(None));
    assert_eq!(asking(Some("u2")).visible_owner("me", true), Ok(Some("u2")));
    assert_eq!(asking(None).visible_owner("me", false), Ok(Some("me")));
    assert_eq!(asking(Some("")).visible_owner("me", false), Ok(Some("me")));
    assert_eq!(
        asking(Some("me")).visible_owner("me", false),
        Ok(Some("me"))
    );
    assert_eq!(
        asking(Some("u2")).visible_owner("me", false),
        Err(OwnerForbidden)
    );
    assert_eq!(
        OwnerForbidden.to_string(),
        "Only full admins can list other users' tokens."
    );
}

#[test]
fn param_errors_display_field_and_reason() {
    assert_eq!(
        ParamError::Repeated("status").to_string(),
        "status: Give this parameter at most once."
    );
}
