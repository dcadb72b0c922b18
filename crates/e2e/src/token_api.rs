//! Calls to the token API with an API token value (`Authorization: Token <value>`), as a
//! script would make them.

use crate::Running;

/// `GET /api/v1/alerts/`; the status and the body.
pub async fn list_alerts(stack: &Running, value: &str) -> (u16, serde_json::Value) {
    list_alerts_at(&stack.app, value).await
}

/// `GET {origin}/api/v1/alerts/`; the status and the body.
pub async fn list_alerts_at(origin: &str, value: &str) -> (u16, serde_json::Value) {
    let answer = reqwest::Client::new()
        .get(format!("{origin}/api/v1/alerts/"))
        .header("Authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or_default())
}

/// `POST /api/v1/alerts/{id}/close`; the status.
pub async fn close_alert(stack: &Running, value: &str, id: &str) -> u16 {
    reqwest::Client::new()
        .post(stack.url(&format!("/api/v1/alerts/{id}/close")))
        .header("Authorization", format!("Token {value}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
