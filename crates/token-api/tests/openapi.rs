//! The OpenAPI document matches the router: every documented operation is routed, and every
//! route of the contract is documented.

mod common;

use std::collections::BTreeSet;

use common::{Db, Env};

const CONTRACT: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/tokens"),
    ("post", "/api/v1/tokens"),
    ("delete", "/api/v1/tokens/{id}"),
    ("get", "/api/v1/audit"),
    ("post", "/api/v1/users/{id}/deprovision"),
    ("post", "/api/v1/users/{id}/restore"),
    ("get", "/api/v1/alerts/"),
    ("get", "/api/v1/alerts"),
    ("post", "/api/v1/alerts/{id}/close"),
];

#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let env = Env::new(Db::Sqlite).await;
    let s = &env.server;
    let spec: serde_json::Value = reqwest::get(s.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        spec,
        serde_json::to_value(token_api::openapi::document()).unwrap()
    );
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let contract: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, contract);

    // Every documented operation is routed: it answers neither the router's 404 nor 405.
    for (method, path) in &documented {
        let url = s.url(&path.replace("{id}", "some-id"));
        let req = s.http.request(method.to_uppercase().parse().unwrap(), url);
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(
            status != 405 && !body.contains("No such resource."),
            "{method} {path}: {status} {body}"
        );
    }
    // And an undocumented path is not.
    let r = reqwest::get(s.url("/api/v1/undocumented")).await.unwrap();
    assert_eq!(r.status(), 404);
    for schema in [
        "Token",
        "TokenList",
        "StatusCounts",
        "CreateToken",
        "CreatedToken",
        "Me",
        "Problem",
        "AuditList",
        "AlertList",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
}

/// The document tells clients that counts stop at a cap: the list's 200 and 503 answers,
/// and `capped` of `StatusCounts`.
#[test]
fn the_spec_describes_capped_counts() {
    let spec = serde_json::to_value(token_api::openapi::document()).unwrap();
    let list = &spec["paths"]["/api/v1/tokens"]["get"];
    let cap = format!("{}", token_wire::STATUS_COUNT_CAP);
    let grouped = format!(
        "{},{:03}",
        token_wire::STATUS_COUNT_CAP / 1000,
        token_wire::STATUS_COUNT_CAP % 1000
    );
    let ok = list["responses"]["200"]["description"].as_str().unwrap();
    assert!(ok.contains(&cap) || ok.contains(&grouped), "{ok}");
    assert!(list["responses"]["503"].is_object(), "{list}");
    let capped =
        spec["components"]["schemas"]["StatusCounts"]["properties"]["capped"]["description"]
            .as_str()
            .unwrap();
    assert!(capped.contains("lower bound"), "{capped}");
}
