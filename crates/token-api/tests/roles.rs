//! The role × endpoint matrix: what every kind of caller gets from every endpoint, one row per
//! caller. Runs on SQLite and, when configured, PostgreSQL.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{Env, TA, TestServer};
use serde_json::json;
use token_wire::Role::{self, *};

const TB: &str = "tenant-b";

/// One caller of the matrix and what each endpoint must answer them.
struct Case {
    who: &'static str,
    tenant: &'static str,
    roles: &'static [Role],
    deprovisioned: bool,
    /// GET /me.
    me: u16,
    /// Whose API tokens GET /tokens lists: `All` of the tenant, `Own`, or nothing (403).
    sees: Sees,
    /// POST /tokens.
    create: u16,
    /// DELETE of another tenant-A user's API token, and of the caller's own.
    revoke_other: u16,
    revoke_own: u16,
    /// GET /audit.
    audit: u16,
    /// POST /users/{id}/deprovision of a tenant-A user (then restore).
    deprovision: u16,
    /// The caller's own API token on GET /alerts/ and POST /alerts/{id}/close (0: the caller
    /// has none).
    alerts_read: u16,
    alerts_write: u16,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Sees {
    All,
    Own,
    Nothing,
}

use Sees::*;

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { who: "global-admin",        tenant: TA, roles: &[GlobalAdministrator],              deprovisioned: false,
           me: 200, sees: All,     create: 201, revoke_other: 204, revoke_own: 204, audit: 200, deprovision: 204, alerts_read: 200, alerts_write: 200 },
    Case { who: "security-admin",      tenant: TA, roles: &[SecurityAdministrator],            deprovisioned: false,
           me: 200, sees: All,     create: 201, revoke_other: 204, revoke_own: 204, audit: 200, deprovision: 204, alerts_read: 200, alerts_write: 200 },
    Case { who: "cas-admin",           tenant: TA, roles: &[CloudAppSecurityAdministrator],    deprovisioned: false,
           me: 200, sees: All,     create: 201, revoke_other: 204, revoke_own: 204, audit: 200, deprovision: 204, alerts_read: 200, alerts_write: 200 },
    Case { who: "compliance-admin",    tenant: TA, roles: &[ComplianceAdministrator],          deprovisioned: false,
           me: 200, sees: Own,     create: 201, revoke_other: 404, revoke_own: 204, audit: 403, deprovision: 403, alerts_read: 200, alerts_write: 200 },
    Case { who: "security-operator",   tenant: TA, roles: &[SecurityOperator],                 deprovisioned: false,
           me: 200, sees: Own,     create: 201, revoke_other: 404, revoke_own: 204, audit: 403, deprovision: 403, alerts_read: 200, alerts_write: 200 },
    Case { who: "security-reader",     tenant: TA, roles: &[SecurityReader],                   deprovisioned: false,
           me: 200, sees: Own,     create: 201, revoke_other: 404, revoke_own: 204, audit: 403, deprovision: 403, alerts_read: 200, alerts_write: 403 },
    Case { who: "global-reader",       tenant: TA, roles: &[GlobalReader],                     deprovisioned: false,
           me: 200, sees: Own,     create: 201, revoke_other: 404, revoke_own: 204, audit: 403, deprovision: 403, alerts_read: 200, alerts_write: 403 },
    Case { who: "reader-and-operator", tenant: TA, roles: &[SecurityReader, SecurityOperator], deprovisioned: false,
           me: 200, sees: Own,     create: 201, revoke_other: 404, revoke_own: 204, audit: 403, deprovision: 403, alerts_read: 200, alerts_write: 200 },
    Case { who: "no-role",             tenant: TA, roles: &[],                                 deprovisioned: false,
           me: 403, sees: Nothing, create: 403, revoke_other: 403, revoke_own: 403, audit: 403, deprovision: 403, alerts_read: 0,   alerts_write: 0 },
    Case { who: "deprovisioned",       tenant: TA, roles: &[SecurityAdministrator],            deprovisioned: true,
           me: 403, sees: Nothing, create: 403, revoke_other: 403, revoke_own: 403, audit: 403, deprovision: 403, alerts_read: 403, alerts_write: 403 },
    Case { who: "tenant-b-admin",      tenant: TB, roles: &[GlobalAdministrator],              deprovisioned: false,
           me: 200, sees: All,     create: 201, revoke_other: 404, revoke_own: 204, audit: 200, deprovision: 404, alerts_read: 200, alerts_write: 200 },
];

/// What the matrix shares while it walks the rows: the tenant-A admin, the victim whose API
/// tokens others try to revoke, each caller's first API token, and the names a tenant-A full
/// admin must list.
struct World<'a> {
    s: &'a TestServer,
    admin: String,
    victim: String,
    values: HashMap<&'static str, String>,
    tenant_a_tokens: BTreeSet<String>,
}

async fn role_matrix(env: Env) {
    let s = &env.server;
    let bearer = |c: &Case| env.idp.access_token(c.tenant, c.who, c.roles);
    let admin = env
        .idp
        .access_token(TA, "global-admin", &[GlobalAdministrator]);
    let victim = env.idp.access_token(TA, "victim", &[SecurityOperator]);
    assert_eq!(s.get(&victim, "/api/v1/me").await.0, 200);

    // Everyone with a role generates one API token first; the deprovisioned user is then
    // deprovisioned.
    let mut values = HashMap::new();
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
    let tenant_a_tokens = CASES
        .iter()
        .filter(|c| c.tenant == TA && values.contains_key(c.who))
        .map(|c| format!("tok-{}", c.who))
        .collect();
    let mut world = World {
        s,
        admin,
        victim,
        values,
        tenant_a_tokens,
    };

    let mut cells = 0;
    for c in CASES {
        let b = bearer(c);
        check_me(&world, c, &b).await;
        check_list(&world, c, &b).await;
        check_create(&mut world, c, &b).await;
        check_revoke_other(&mut world, c, &b).await;
        check_revoke_own(&world, c, &b).await;
        check_audit(&world, c, &b).await;
        check_deprovision(&world, c, &b).await;
        check_alerts(&world, c).await;
        cells += 9;
    }
    assert_eq!(cells, CASES.len() * 9);

    // Tenant B's admin closed tenant B's alert-1; tenant A's stays as tenant A left it.
    let (_, alerts_b) = s
        .use_api_token(&world.values["tenant-b-admin"], false)
        .await;
    assert!(
        alerts_b["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "alert-1" && a["status"] == "closed")
    );
    assert_eq!(alerts_b["items"].as_array().unwrap().len(), 5);
    // The deprovisioned user's API token is still listed for the admin.
    assert!(
        s.names(&world.admin, "")
            .await
            .contains(&"tok-deprovisioned".to_string())
    );
}
both_backends!(role_matrix);

async fn check_me(w: &World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let (status, me) = w.s.get(b, "/api/v1/me").await;
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
}

async fn check_list(w: &World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let (status, list) = w.s.get(b, "/api/v1/tokens?limit=100").await;
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
            assert_eq!(listed, w.tenant_a_tokens, "{who}");
            assert_eq!(list["total"], w.tenant_a_tokens.len() as u64);
        }
        All | Own => {
            assert_eq!(status, 200, "{who}");
            assert_eq!(listed, BTreeSet::from([format!("tok-{who}")]), "{who}");
        }
        Nothing => assert_eq!(status, 403, "{who}"),
    }
}

async fn check_create(w: &mut World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let (status, created) =
        w.s.post(b, "/api/v1/tokens", json!({"name": format!("new-{who}")}))
            .await;
    assert_eq!(status, c.create, "{who}: POST /tokens {created}");
    if status == 201 {
        let v = created["value"].as_str().unwrap();
        assert!(v.starts_with("atp_") && token_api::values::is_well_formed(v));
        assert_eq!(created["token"]["status"], "generated");
        assert_eq!(created["token"]["owner"]["id"], who);
        if c.tenant == TA {
            w.tenant_a_tokens.insert(format!("new-{who}"));
        }
    }
}

async fn check_revoke_other(w: &mut World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let (victim_id, _) = w.s.create(&w.victim, &format!("victim-for-{who}")).await;
    let status =
        w.s.delete(b, &format!("/api/v1/tokens/{victim_id}"))
            .await
            .0;
    assert_eq!(status, c.revoke_other, "{who}: DELETE other's token");
    let victim_listed =
        w.s.names(&w.admin, "")
            .await
            .contains(&format!("victim-for-{who}"));
    assert_eq!(victim_listed, status != 204, "{who}");
    if victim_listed {
        w.tenant_a_tokens.insert(format!("victim-for-{who}"));
    }
}

async fn check_revoke_own(w: &World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let path = if c.create == 201 {
        let (own_id, _) = w.s.create(b, &format!("own-{who}")).await;
        format!("/api/v1/tokens/{own_id}")
    } else {
        "/api/v1/tokens/whatever".to_string()
    };
    assert_eq!(
        w.s.delete(b, &path).await.0,
        c.revoke_own,
        "{who}: DELETE own"
    );
}

async fn check_audit(w: &World<'_>, c: &Case, b: &str) {
    let who = c.who;
    let (status, audit) = w.s.get(b, "/api/v1/audit").await;
    assert_eq!(status, c.audit, "{who}: GET /audit");
    if status == 200 {
        for e in audit["items"].as_array().unwrap() {
            let name = e["token_name"].as_str().unwrap_or_default();
            assert_eq!(name.contains("tenant-b"), c.tenant == TB, "{who} sees {e}");
        }
    }
}

async fn check_deprovision(w: &World<'_>, c: &Case, b: &str) {
    let s = w.s;
    let status = s
        .post(b, "/api/v1/users/victim/deprovision", json!({}))
        .await
        .0;
    assert_eq!(status, c.deprovision, "{}: deprovision", c.who);
    if status == 204 {
        assert_eq!(s.get(&w.victim, "/api/v1/me").await.0, 403);
        assert_eq!(
            s.post(b, "/api/v1/users/victim/restore", json!({})).await.0,
            204
        );
        assert_eq!(s.get(&w.victim, "/api/v1/me").await.0, 200);
    }
}

async fn check_alerts(w: &World<'_>, c: &Case) {
    let who = c.who;
    if let Some(value) = w.values.get(who) {
        assert_eq!(
            w.s.use_api_token(value, false).await.0,
            c.alerts_read,
            "{who}: GET /alerts/"
        );
        assert_eq!(
            w.s.use_api_token(value, true).await.0,
            c.alerts_write,
            "{who}: close alert"
        );
    }
}
