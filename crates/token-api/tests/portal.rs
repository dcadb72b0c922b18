//! Portal endpoints: the role × endpoint matrix, visibility, status, revoke, pagination,
//! filters and bad input. Every test runs on SQLite and, when configured, PostgreSQL.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Db, Env};
use serde_json::{Value, json};
use token_wire::Role;

const TA: &str = "tenant-a";
const TB: &str = "tenant-b";

/// One caller of the matrix and what each endpoint must answer them.
struct Case {
    who: &'static str,
    tenant: &'static str,
    roles: &'static [Role],
    deprovisioned: bool,
    /// GET /me, GET /tokens, POST /tokens.
    me: u16,
    /// Whose tokens GET /tokens lists: `All` of the tenant, `Own`, or nothing (403).
    sees: Sees,
    create: u16,
    /// DELETE of another tenant-A user's token, and of the caller's own.
    revoke_other: u16,
    revoke_own: u16,
    audit: u16,
    /// POST /users/{id}/deprovision of a tenant-A user (then restore).
    deprovision: u16,
    /// The caller's own token on GET /alerts/ and POST /alerts/{id}/close.
    alerts_read: u16,
    alerts_write: u16,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Sees {
    All,
    Own,
    Nothing,
}

use Role::*;
use Sees::*;

const CASES: &[Case] = &[
    Case {
        who: "global-admin",
        tenant: TA,
        roles: &[GlobalAdministrator],
        deprovisioned: false,
        me: 200,
        sees: All,
        create: 201,
        revoke_other: 204,
        revoke_own: 204,
        audit: 200,
        deprovision: 204,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "security-admin",
        tenant: TA,
        roles: &[SecurityAdministrator],
        deprovisioned: false,
        me: 200,
        sees: All,
        create: 201,
        revoke_other: 204,
        revoke_own: 204,
        audit: 200,
        deprovision: 204,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "cas-admin",
        tenant: TA,
        roles: &[CloudAppSecurityAdministrator],
        deprovisioned: false,
        me: 200,
        sees: All,
        create: 201,
        revoke_other: 204,
        revoke_own: 204,
        audit: 200,
        deprovision: 204,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "compliance-admin",
        tenant: TA,
        roles: &[ComplianceAdministrator],
        deprovisioned: false,
        me: 200,
        sees: Own,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 403,
        deprovision: 403,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "security-operator",
        tenant: TA,
        roles: &[SecurityOperator],
        deprovisioned: false,
        me: 200,
        sees: Own,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 403,
        deprovision: 403,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "security-reader",
        tenant: TA,
        roles: &[SecurityReader],
        deprovisioned: false,
        me: 200,
        sees: Own,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 403,
        deprovision: 403,
        alerts_read: 200,
        alerts_write: 403,
    },
    Case {
        who: "global-reader",
        tenant: TA,
        roles: &[GlobalReader],
        deprovisioned: false,
        me: 200,
        sees: Own,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 403,
        deprovision: 403,
        alerts_read: 200,
        alerts_write: 403,
    },
    Case {
        who: "reader-and-operator",
        tenant: TA,
        roles: &[SecurityReader, SecurityOperator],
        deprovisioned: false,
        me: 200,
        sees: Own,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 403,
        deprovision: 403,
        alerts_read: 200,
        alerts_write: 200,
    },
    Case {
        who: "no-role",
        tenant: TA,
        roles: &[],
        deprovisioned: false,
        me: 403,
        sees: Nothing,
        create: 403,
        revoke_other: 403,
        revoke_own: 403,
        audit: 403,
        deprovision: 403,
        alerts_read: 0,
        alerts_write: 0,
    },
    Case {
        who: "deprovisioned",
        tenant: TA,
        roles: &[SecurityAdministrator],
        deprovisioned: true,
        me: 403,
        sees: Nothing,
        create: 403,
        revoke_other: 403,
        revoke_own: 403,
        audit: 403,
        deprovision: 403,
        alerts_read: 403,
        alerts_write: 403,
    },
    Case {
        who: "tenant-b-admin",
        tenant: TB,
        roles: &[GlobalAdministrator],
        deprovisioned: false,
        me: 200,
        sees: All,
        create: 201,
        revoke_other: 404,
        revoke_own: 204,
        audit: 200,
        deprovision: 404,
        alerts_read: 200,
        alerts_write: 200,
    },
];

async fn role_matrix(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let bearer = |c: &Case| env.idp.token(c.tenant, c.who, c.roles);
    let admin = env.idp.token(TA, "global-admin", &[GlobalAdministrator]);
    let victim_user = env.idp.token(TA, "victim", &[SecurityOperator]);
    assert_eq!(s.get(&victim_user, "/api/v1/me").await.0, 200);

    // Everyone with a role generates one token first; the deprovisioned user is then deprovisioned.
    let mut values = std::collections::HashMap::new();
    for c in CASES.iter().filter(|c| c.me == 200 || c.deprovisioned) {
        let (_, value) = s.create(&bearer(c), &format!("tok-{}", c.who)).await;
        values.insert(c.who, value);
    }
    assert_eq!(
        s.post(&admin, "/api/v1/users/deprovisioned/deprovision", json!({}))
            .await
            .0,
        204
    );
    let mut tenant_a_tokens: BTreeSet<String> = CASES
        .iter()
        .filter(|c| c.tenant == TA && values.contains_key(c.who))
        .map(|c| format!("tok-{}", c.who))
        .collect();

    let mut cells = 0;
    for c in CASES {
        let b = bearer(c);
        let who = c.who;

        let (status, me) = s.get(&b, "/api/v1/me").await;
        assert_eq!(status, c.me, "{who}: GET /me {me}");
        if status == 200 {
            assert_eq!(me["tenant_id"], c.tenant);
            assert_eq!(me["user_id"], who);
            assert_eq!(me["full_admin"], c.sees == All, "{who}");
            assert_eq!(
                me["portal_url"],
                format!("https://{}.eu.portal.example.net", c.tenant)
            );
        }

        let (status, list) = s.get(&b, "/api/v1/tokens?limit=100").await;
        let listed: BTreeSet<String> = list["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| t["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        match c.sees {
            All if c.tenant == TA => {
                assert_eq!(status, 200);
                assert_eq!(listed, tenant_a_tokens, "{who}");
                assert_eq!(list["total"], tenant_a_tokens.len() as u64);
            }
            All | Own => {
                assert_eq!(status, 200, "{who}");
                assert_eq!(listed, BTreeSet::from([format!("tok-{who}")]), "{who}");
            }
            Nothing => assert_eq!(status, 403, "{who}"),
        }

        let (status, created) = s
            .post(&b, "/api/v1/tokens", json!({"name": format!("new-{who}")}))
            .await;
        assert_eq!(status, c.create, "{who}: POST /tokens {created}");
        if status == 201 {
            let v = created["value"].as_str().unwrap();
            assert!(v.starts_with("atp_") && token_api::values::is_well_formed(v));
            assert_eq!(created["token"]["status"], "generated");
            assert_eq!(created["token"]["owner"]["id"], who);
            if c.tenant == TA {
                tenant_a_tokens.insert(format!("new-{who}"));
            }
        }

        let (victim_id, _) = s.create(&victim_user, &format!("victim-for-{who}")).await;
        let status = s.delete(&b, &format!("/api/v1/tokens/{victim_id}")).await.0;
        assert_eq!(status, c.revoke_other, "{who}: DELETE other's token");
        let victim_listed = s
            .names(&admin, "")
            .await
            .contains(&format!("victim-for-{who}"));
        assert_eq!(victim_listed, status != 204, "{who}");
        if victim_listed {
            tenant_a_tokens.insert(format!("victim-for-{who}"));
        }

        if c.create == 201 {
            let (own_id, _) = s.create(&b, &format!("own-{who}")).await;
            assert_eq!(
                s.delete(&b, &format!("/api/v1/tokens/{own_id}")).await.0,
                c.revoke_own,
                "{who}: DELETE own"
            );
        } else {
            assert_eq!(
                s.delete(&b, "/api/v1/tokens/whatever").await.0,
                c.revoke_own,
                "{who}: DELETE own"
            );
        }

        let (status, audit) = s.get(&b, "/api/v1/audit").await;
        assert_eq!(status, c.audit, "{who}: GET /audit");
        if status == 200 {
            for e in audit["items"].as_array().unwrap() {
                let name = e["token_name"].as_str().unwrap_or_default();
                assert_eq!(name.contains("tenant-b"), c.tenant == TB, "{who} sees {e}");
            }
        }

        let status = s
            .post(&b, "/api/v1/users/victim/deprovision", json!({}))
            .await
            .0;
        assert_eq!(status, c.deprovision, "{who}: deprovision");
        if status == 204 {
            assert_eq!(s.get(&victim_user, "/api/v1/me").await.0, 403);
            assert_eq!(
                s.post(&b, "/api/v1/users/victim/restore", json!({}))
                    .await
                    .0,
                204
            );
            assert_eq!(s.get(&victim_user, "/api/v1/me").await.0, 200);
        }

        if let Some(value) = values.get(who) {
            assert_eq!(
                s.use_token(value, false).await.0,
                c.alerts_read,
                "{who}: GET /alerts/"
            );
            assert_eq!(
                s.use_token(value, true).await.0,
                c.alerts_write,
                "{who}: close alert"
            );
        }
        cells += 9;
    }
    assert_eq!(cells, CASES.len() * 9);

    // Tenant B's admin closed tenant B's alert-1; tenant A's stays as tenant A left it.
    let (_, alerts_b) = s.use_token(&values["tenant-b-admin"], false).await;
    assert!(
        alerts_b["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "alert-1" && a["status"] == "closed")
    );
    assert_eq!(alerts_b["items"].as_array().unwrap().len(), 5);
    // The deprovisioned user's token is still listed for the admin.
    assert!(
        s.names(&admin, "")
            .await
            .contains(&"tok-deprovisioned".to_string())
    );
}
both_backends!(role_matrix);

async fn owner_filter_is_for_full_admins(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let admin = env.idp.token(TA, "admin", &[SecurityAdministrator]);
    let reader = env.idp.token(TA, "reader", &[SecurityReader]);
    s.create(&admin, "admin-1").await;
    s.create(&reader, "reader-1").await;
    assert_eq!(s.names(&admin, "&owner=reader").await, ["reader-1"]);
    assert_eq!(s.names(&admin, "&owner=nobody").await, Vec::<String>::new());
    assert_eq!(s.names(&reader, "&owner=reader").await, ["reader-1"]);
    let (status, p) = s.get(&reader, "/api/v1/tokens?owner=admin").await;
    assert_eq!(status, 403, "{p}");
    // Privileges come from the owner's current roles.
    let (_, list) = s.get(&admin, "/api/v1/tokens?sort=name&order=asc").await;
    assert_eq!(list["items"][0]["privileges"], "full");
    assert_eq!(list["items"][1]["privileges"], "read");
    let promoted = env.idp.token(TA, "reader", &[SecurityOperator]);
    assert_eq!(s.get(&promoted, "/api/v1/me").await.0, 200);
    let (_, list) = s.get(&admin, "/api/v1/tokens?sort=name&order=asc").await;
    assert_eq!(list["items"][1]["privileges"], "alerts");
}
both_backends!(owner_filter_is_for_full_admins);

async fn status_moves_with_use_and_time(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let user = env.idp.token(TA, "op", &[SecurityOperator]);
    let (id, value) = s.create(&user, "ci").await;
    let status_of = |v: &Value| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id.as_str())
            .unwrap()
            .clone()
    };

    let (_, list) = s.get(&user, "/api/v1/tokens").await;
    assert_eq!(status_of(&list)["status"], "generated");
    assert_eq!(status_of(&list)["last_used_at"], Value::Null);
    assert_eq!(s.names(&user, "&status=generated").await, ["ci"]);

    assert_eq!(s.use_token(&value, false).await.0, 200);
    let (_, list) = s.get(&user, "/api/v1/tokens").await;
    assert_eq!(
        status_of(&list)["status"],
        "active",
        "the first use is visible at once"
    );
    assert!(status_of(&list)["last_used_at"].is_string());
    assert_eq!(s.names(&user, "&status=active").await, ["ci"]);
    assert!(s.names(&user, "&status=generated").await.is_empty());

    s.clock.advance(Duration::from_secs(7 * 24 * 3600 - 60));
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "active"
    );
    s.clock.advance(Duration::from_secs(120));
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "inactive"
    );
    assert_eq!(s.names(&user, "&status=inactive").await, ["ci"]);
    assert!(s.names(&user, "&status=active").await.is_empty());

    // A later use is coalesced, then flushed.
    assert_eq!(s.use_token(&value, false).await.0, 200);
    s.state.flush().await;
    assert_eq!(
        status_of(&s.get(&user, "/api/v1/tokens").await.1)["status"],
        "active"
    );

    let admin = env.idp.token(TA, "admin", &[GlobalAdministrator]);
    let (_, audit) = s.get(&admin, "/api/v1/audit").await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["used", "used", "generated"]);
    assert_eq!(audit["items"][0]["actor"]["id"], "op");
    assert_eq!(audit["items"][0]["token_name"], "ci");
    assert_eq!(audit["items"][0]["ip"], "127.0.0.1");
}
both_backends!(status_moves_with_use_and_time);

async fn revoke_is_immediate_and_audited(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let admin = env.idp.token(TA, "admin", &[GlobalAdministrator]);
    let reader = env.idp.token(TA, "reader", &[SecurityReader]);
    let (id, value) = s.create(&reader, "soon-gone").await;
    assert_eq!(s.use_token(&value, false).await.0, 200);
    assert!(s.state.cached_tokens() >= 1);
    assert_eq!(
        s.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        204
    );
    let (status, p) = s.use_token(&value, false).await;
    assert_eq!((status, p["title"].as_str()), (401, Some("Invalid token")));
    assert!(s.names(&admin, "").await.is_empty());
    assert!(s.names(&reader, "").await.is_empty());
    assert!(s.names(&admin, "&status=active").await.is_empty());
    assert_eq!(
        s.delete(&admin, &format!("/api/v1/tokens/{id}")).await.0,
        404
    );
    let (_, audit) = s.get(&admin, "/api/v1/audit").await;
    let first = &audit["items"][0];
    assert_eq!(first["action"], "revoked");
    assert_eq!(first["actor"]["id"], "admin");
    assert_eq!(first["actor"]["display_name"], "User admin");
    assert_eq!(first["token_id"], id.as_str());
    assert_eq!(first["token_name"], "soon-gone");
    let body = audit.to_string();
    assert!(!body.contains(&value));
    // The name is free again once revoked.
    s.create(&reader, "soon-gone").await;
}
both_backends!(revoke_is_immediate_and_audited);

async fn keyset_pages_are_stable_under_inserts(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let user = env.idp.token(TA, "u", &[SecurityReader]);
    let mut values = Vec::new();
    for n in [
        "delta", "Alpha", "charlie", "bravo", "echo", "foxtrot", "golf",
    ] {
        values.push(s.create(&user, n).await.1);
        s.clock.advance(Duration::from_millis(5));
    }
    s.use_token(&values[2], false).await;
    s.clock.advance(Duration::from_secs(1));
    s.use_token(&values[5], false).await;
    for sort in ["name", "created_at", "last_used_at"] {
        for order in ["asc", "desc"] {
            let q = format!("/api/v1/tokens?sort={sort}&order={order}");
            let (_, all) = s.get(&user, &format!("{q}&limit=100")).await;
            let expected: Vec<String> = all["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().into())
                .collect();
            assert_eq!(expected.len(), 7);
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let url = match &cursor {
                    Some(c) => format!("{q}&limit=3&cursor={c}"),
                    None => format!("{q}&limit=3"),
                };
                let (status, page) = s.get(&user, &url).await;
                assert_eq!(status, 200, "{page}");
                assert_eq!(page["total"], if pages == 0 { 7 } else { 8 });
                seen.extend(
                    page["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|t| t["name"].as_str().unwrap().to_string()),
                );
                pages += 1;
                if pages == 1 {
                    // Insert mid-listing: a row sorting before the cursor must not shift pages.
                    s.create(&user, &format!("aaa-{sort}-{order}")).await;
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_string()),
                    None => break,
                }
            }
            let seen_originals: Vec<String> = seen
                .iter()
                .filter(|n| !n.starts_with("aaa-"))
                .cloned()
                .collect();
            assert_eq!(seen_originals, expected, "{sort} {order}");
            let unique: BTreeSet<&String> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "no duplicates for {sort} {order}");
            s.get(&user, "/api/v1/tokens").await;
            for t in s.get(&user, "/api/v1/tokens?limit=100&q=aaa-").await.1["items"]
                .as_array()
                .unwrap()
            {
                s.delete(
                    &user,
                    &format!("/api/v1/tokens/{}", t["id"].as_str().unwrap()),
                )
                .await;
            }
        }
    }
    // A cursor from one sort is refused by another.
    let (_, page) = s.get(&user, "/api/v1/tokens?sort=name&limit=2").await;
    let c = page["next_cursor"].as_str().unwrap();
    let (status, p) = s
        .get(
            &user,
            &format!("/api/v1/tokens?sort=created_at&limit=2&cursor={c}"),
        )
        .await;
    assert_eq!((status, p["field"].as_str()), (400, Some("cursor")));
    // q is a case-insensitive substring, with LIKE wildcards taken literally.
    assert_eq!(s.names(&user, "&q=ALP").await, ["Alpha"]);
    assert_eq!(s.names(&user, "&q=%25").await, Vec::<String>::new());
    assert_eq!(s.names(&user, "&q=_").await, Vec::<String>::new());
}

both_backends!(keyset_pages_are_stable_under_inserts);

async fn bad_input_gets_its_4xx(db: Db) {
    let env = Env::new(db).await;
    let s = &env.server;
    let user = env.idp.token(TA, "u", &[SecurityReader]);
    let post_raw = |body: Vec<u8>, ct: &'static str| {
        s.http
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(&user)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let check = |(status, p): (u16, Value), want: u16, field: Option<&str>| {
        assert_eq!(status, want, "{p}");
        if want >= 400 {
            assert_eq!(p["status"], want);
        }
        if let Some(f) = field {
            assert_eq!(p["field"], f, "{p}");
        }
    };
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(20 * 1024));
    check(
        common::status_json(
            post_raw(big.into_bytes(), "application/json")
                .await
                .unwrap(),
        )
        .await,
        413,
        None,
    );
    check(
        common::status_json(
            post_raw(b"{not json".to_vec(), "application/json")
                .await
                .unwrap(),
        )
        .await,
        400,
        Some("body"),
    );
    check(
        common::status_json(post_raw(b"{}".to_vec(), "application/json").await.unwrap()).await,
        400,
        Some("body"),
    );
    check(
        common::status_json(
            post_raw(b"[1,2]".to_vec(), "application/json")
                .await
                .unwrap(),
        )
        .await,
        400,
        Some("body"),
    );
    check(
        common::status_json(
            post_raw(vec![0xff, 0xfe, 0x00], "application/json")
                .await
                .unwrap(),
        )
        .await,
        400,
        Some("body"),
    );
    check(
        common::status_json(
            post_raw(br#"{"name":"x"}"#.to_vec(), "text/plain")
                .await
                .unwrap(),
        )
        .await,
        415,
        None,
    );
    for name in [
        "",
        "   ",
        "a\u{0}b",
        "line\nbreak",
        "tab\there",
        "\u{7f}",
        &"n".repeat(10_000),
        &"é".repeat(65),
    ] {
        check(
            s.post(&user, "/api/v1/tokens", json!({ "name": name }))
                .await,
            400,
            Some("name"),
        );
    }
    check(
        s.post(&user, "/api/v1/tokens", json!({ "name": "  ok  " }))
            .await,
        201,
        None,
    );
    check(
        s.post(&user, "/api/v1/tokens", json!({ "name": "ok" }))
            .await,
        409,
        Some("name"),
    );
    assert_eq!(s.names(&user, "").await, ["ok"]);

    for (q, field) in [
        ("status=used", "status"),
        ("status=ACTIVE", "status"),
        ("sort=owner", "sort"),
        ("order=up", "order"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("cursor=garbage!", "cursor"),
        ("cursor=eyJmb28iOjF9", "cursor"),
        ("colour=red", "colour"),
        ("status=active&status=generated", "status"),
    ] {
        check(
            s.get(&user, &format!("/api/v1/tokens?{q}")).await,
            400,
            Some(field),
        );
    }
    let admin = env.idp.token(TA, "admin", &[GlobalAdministrator]);
    check(
        s.get(&admin, "/api/v1/audit?limit=0").await,
        400,
        Some("limit"),
    );
    check(
        s.get(&admin, "/api/v1/audit?cursor=zzz").await,
        400,
        Some("cursor"),
    );
    check(
        s.get(&admin, "/api/v1/audit?sort=name").await,
        400,
        Some("sort"),
    );
    check(
        s.delete(&user, "/api/v1/tokens/%FF%FE").await,
        400,
        Some("path"),
    );
    check(
        s.delete(&user, "/api/v1/tokens/no-such-id").await,
        404,
        None,
    );
    check(
        s.post(&admin, "/api/v1/users/nobody/deprovision", json!({}))
            .await,
        404,
        None,
    );

    // Garbage and truncated bearer credentials.
    let good = env.idp.token(TA, "u", &[SecurityReader]);
    let mut claims = env.idp.claims(TA, "u", &[SecurityReader]);
    let now = claims["iat"].as_i64().unwrap();
    let variants: Vec<(String, String)> = vec![
        ("no header".into(), String::new()),
        ("empty bearer".into(), "Bearer ".into()),
        ("wrong scheme".into(), format!("Basic {good}")),
        ("token scheme".into(), format!("Token {good}")),
        ("garbage".into(), "Bearer a.b.c".into()),
        (
            "truncated".into(),
            format!("Bearer {}", &good[..good.len() - 7]),
        ),
        (
            "one segment".into(),
            format!("Bearer {}", good.split('.').next().unwrap()),
        ),
        ("wrong audience".into(), {
            claims["aud"] = json!("api://other");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("wrong issuer".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["iss"] = json!("http://evil");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("expired".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["exp"] = json!(now - 120);
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("not yet valid".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims["nbf"] = json!(now + 120);
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("no exp".into(), {
            claims = env.idp.claims(TA, "u", &[]);
            claims.as_object_mut().unwrap().remove("exp");
            format!("Bearer {}", env.idp.sign(&claims))
        }),
        ("other key".into(), {
            let key =
                jsonwebtoken::EncodingKey::from_rsa_pem(common::OTHER_KEY.as_bytes()).unwrap();
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            h.kid = Some(common::KID.into());
            format!(
                "Bearer {}",
                jsonwebtoken::encode(&h, &env.idp.claims(TA, "u", &[SecurityReader]), &key)
                    .unwrap()
            )
        }),
        ("HS256".into(), {
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            h.kid = Some(common::KID.into());
            let key = jsonwebtoken::EncodingKey::from_secret(b"secret");
            format!(
                "Bearer {}",
                jsonwebtoken::encode(&h, &env.idp.claims(TA, "u", &[SecurityReader]), &key)
                    .unwrap()
            )
        }),
        ("unknown kid".into(), {
            let key =
                jsonwebtoken::EncodingKey::from_rsa_pem(common::OTHER_KEY.as_bytes()).unwrap();
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
            h.kid = Some("unknown".into());
            format!(
                "Bearer {}",
                jsonwebtoken::encode(&h, &env.idp.claims(TA, "u", &[SecurityReader]), &key)
                    .unwrap()
            )
        }),
    ];
    for (what, header) in variants {
        let mut req = s.http.get(s.url("/api/v1/me"));
        if !header.is_empty() {
            req = req.header("authorization", header);
        }
        let (status, p) = common::status_json(req.send().await.unwrap()).await;
        assert_eq!(status, 401, "{what}: {p}");
    }
    // Within the 60 s leeway, an expired token still passes.
    claims = env.idp.claims(TA, "u", &[SecurityReader]);
    claims["exp"] = json!(now - 30);
    assert_eq!(s.get(&env.idp.sign(&claims), "/api/v1/me").await.0, 200);
}
both_backends!(bad_input_gets_its_4xx);

#[tokio::test]
async fn portal_answers_503_until_the_issuer_is_reachable() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let idp_issuer = format!("http://127.0.0.1:{port}");
    let db = common::TestDb::new(Db::Sqlite).await;
    let config = token_api::Config {
        issuer: Some(idp_issuer.clone()),
        audience: Some(common::AUDIENCE.into()),
        ..token_api::Config::default()
    };
    let server = common::TestServer::start(&db.url, config).await;
    let idp = common::TestIdp::start().await;
    let mut claims = idp.claims(TA, "u", &[SecurityReader]);
    claims["iss"] = json!(idp_issuer);
    let bearer = idp.sign(&claims);
    let (status, p) = server.get(&bearer, "/api/v1/me").await;
    assert_eq!(status, 503, "{p}");
    // The provider comes up later, on the configured address.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let proxy_to = idp.issuer.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let target = format!("{proxy_to}{uri}");
        async move {
            let body = reqwest::get(target).await.unwrap().text().await.unwrap();
            (
                [("content-type", "application/json")],
                body.replace(&proxy_to, &format!("http://127.0.0.1:{port}")),
            )
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(server.get(&bearer, "/api/v1/me").await.0, 200);
}

#[tokio::test]
async fn sign_in_not_configured_is_503() {
    let db = common::TestDb::new(Db::Sqlite).await;
    let server = common::TestServer::start(&db.url, token_api::Config::default()).await;
    let idp = common::TestIdp::start().await;
    assert_eq!(
        server
            .get(&idp.token(TA, "u", &[SecurityReader]), "/api/v1/me")
            .await
            .0,
        503
    );
}

#[tokio::test]
async fn unknown_kids_refresh_the_jwks_at_most_once_a_minute() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let fetches = || {
        env.idp
            .jwks_fetches
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(fetches(), 0, "discovery is lazy");
    assert_eq!(
        s.get(&env.idp.token(TA, "u", &[SecurityReader]), "/api/v1/me")
            .await
            .0,
        200
    );
    assert_eq!(fetches(), 1);
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(common::OTHER_KEY.as_bytes()).unwrap();
    let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    h.kid = Some("rotated".into());
    let rotated =
        jsonwebtoken::encode(&h, &env.idp.claims(TA, "u", &[SecurityReader]), &key).unwrap();
    for _ in 0..5 {
        assert_eq!(s.get(&rotated, "/api/v1/me").await.0, 401);
    }
    assert_eq!(fetches(), 1, "no refresh within a minute of the last one");
    assert_eq!(
        s.get(&env.idp.token(TA, "u", &[SecurityReader]), "/api/v1/me")
            .await
            .0,
        200
    );
    assert_eq!(fetches(), 1, "known keys need no fetch");
}
