//! The OpenAPI document matches the router: every documented operation is routed, and every
//! route of the contract is documented.

mod common;

use std::collections::BTreeSet;

use common::{Db, Env};
use serde_json::Value;

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

/// Every `"$ref"` under `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// A client generated from the served document works: every `$ref` resolves, and every
/// operation lists the answers its way of being called can give (401 and 403 with a
/// credential, 429 with an API token, 503 when it reads the store, 400/413/415 with a JSON
/// body).
#[tokio::test]
async fn the_served_document_is_complete() {
    let env = Env::new(Db::Sqlite).await;
    let spec: Value = reqwest::get(env.server.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(found.iter().any(|r| r.ends_with("/SortKey")), "{found:?}");
    for r in found {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(spec.pointer(pointer).is_some(), "{r} does not resolve");
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let schemes: Vec<&String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s.as_object().unwrap().keys())
                .collect();
            let mut need = Vec::new();
            if !schemes.is_empty() {
                need.extend(["401", "403", "503"]);
            }
            if schemes.iter().any(|s| *s == "token") {
                need.push("429");
            }
            if op.get("requestBody").is_some() {
                need.extend(["400", "413", "415"]);
            }
            for status in need {
                let answer = &op["responses"][status];
                assert!(answer.is_object(), "{method} {path} does not list {status}");
                assert!(
                    answer["content"]["application/problem+json"].is_object(),
                    "{method} {path} {status}: {answer}"
                );
            }
        }
    }
}
