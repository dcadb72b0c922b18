//! Sample security alerts: what token-authenticated software reads and closes.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// A sample security alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Alert {
    pub id: String,
    pub title: String,
    pub severity: String,
    /// `open` or `closed`.
    pub status: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// `GET /api/v1/alerts/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AlertList {
    pub items: Vec<Alert>,
}
