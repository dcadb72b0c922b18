//! Errors on the wire: RFC 9457 problem details.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The media type of every error answer.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem details body ([`PROBLEM_CONTENT_TYPE`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field at fault, for 400 and 409 answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_uses_the_rfc_9457_field_names() {
        let p = Problem {
            kind: "about:blank".into(),
            title: "Not Found".into(),
            status: 404,
            detail: "no such token".into(),
            field: None,
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["type"], "about:blank");
        assert!(json.get("field").is_none());
        let with_field: Problem = serde_json::from_str(
            r#"{"type":"about:blank","title":"Bad Request","status":400,"detail":"d","field":"q"}"#,
        )
        .unwrap();
        assert_eq!(with_field.field.as_deref(), Some("q"));
    }
}
