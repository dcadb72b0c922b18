//! The test provider's directory: a client-credentials token endpoint for one application and
//! Microsoft Graph's `roleManagement/directory/roleAssignments`, by role
//! (`$filter=roleDefinitionId eq '…'`, required as by Graph) and paged one at a time, over
//! role assignments the test sets.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::json;
use token_wire::Role;

pub const DIRECTORY_CLIENT_ID: &str = "token-api-directory";
pub const DIRECTORY_SECRET: &str = "test-directory-secret";
/// Assignments a page: one, so that a role held twice takes two pages.
const PAGE: usize = 1;

/// Role assignments by principal id, and the application tokens issued.
#[derive(Clone)]
pub struct Directory {
    base: String,
    roles: Arc<Mutex<BTreeMap<String, Vec<Role>>>>,
    /// Groups (role-assignable, so principals too) and their users.
    groups: Arc<Mutex<BTreeMap<String, Vec<String>>>>,
    tokens: Arc<Mutex<HashSet<String>>>,
}

impl Directory {
    pub fn new(issuer: &str) -> Directory {
        Directory {
            base: format!("{issuer}/v1.0"),
            roles: Arc::default(),
            groups: Arc::default(),
            tokens: Arc::default(),
        }
    }

    /// The directory API's base URL (`DIRECTORY_URL`).
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Assigns `roles` to user `oid`, replacing what they had (none: no assignment).
    pub fn set_roles(&self, oid: &str, roles: &[Role]) {
        self.roles
            .lock()
            .unwrap()
            .insert(oid.to_string(), roles.to_vec());
    }

    /// Makes `group` a group of `users` (its roles are set with [`Self::set_roles`]).
    pub fn set_group(&self, group: &str, users: &[&str]) {
        let users = users.iter().map(|u| u.to_string()).collect();
        self.groups.lock().unwrap().insert(group.to_string(), users);
    }

    /// Whether `headers` carry an application token this directory issued.
    fn authorized(&self, headers: &HeaderMap) -> bool {
        let bearer = authorization(headers)
            .strip_prefix("Bearer ")
            .unwrap_or_default();
        self.tokens.lock().unwrap().contains(bearer)
    }

    /// How many application tokens were issued.
    pub fn sign_ins(&self) -> usize {
        self.tokens.lock().unwrap().len()
    }

    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/token", post(token))
            .route(
                "/v1.0/roleManagement/directory/roleAssignments",
                get(assignments),
            )
            .route(
                "/v1.0/groups/{id}/transitiveMembers/microsoft.graph.user",
                get(members),
            )
            .with_state(self.clone())
    }
}

/// The Authorization header ("" without one).
fn authorization(headers: &HeaderMap) -> &str {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct TokenForm {
    grant_type: String,
    scope: Option<String>,
}

/// Client credentials with HTTP Basic authentication of the one application.
async fn token(
    State(d): State<Directory>,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> Response {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{DIRECTORY_CLIENT_ID}:{DIRECTORY_SECRET}"));
    if authorization(&headers) != format!("Basic {basic}") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    if f.grant_type != "client_credentials"
        || f.scope.as_deref() != Some("https://graph.microsoft.com/.default")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request"})),
        )
            .into_response();
    }
    let access_token = format!("directory-{}", token_api::values::new_id());
    d.tokens.lock().unwrap().insert(access_token.clone());
    Json(json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}))
        .into_response()
}

#[derive(serde::Deserialize)]
struct PageQuery {
    #[serde(rename = "$skiptoken")]
    skip: Option<usize>,
    #[serde(rename = "$filter")]
    filter: Option<String>,
}

async fn assignments(
    State(d): State<Directory>,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Response {
    if !d.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some(wid) = q
        .filter
        .as_deref()
        .and_then(|f| f.strip_prefix("roleDefinitionId eq '"))
        .and_then(|f| f.strip_suffix('\''))
        .map(str::to_string)
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let all: Vec<_> = d
        .roles
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, roles)| roles.iter().any(|r| r.wid() == wid))
        .map(|(oid, _)| {
            let kind = if d.groups.lock().unwrap().contains_key(oid) {
                "group"
            } else {
                "user"
            };
            json!({
                "principalId": oid, "roleDefinitionId": wid, "directoryScopeId": "/",
                "principal": {"@odata.type": format!("#microsoft.graph.{kind}"), "id": oid},
            })
        })
        .collect();
    let skip = q.skip.unwrap_or(0);
    let mut page = json!({"value": all.iter().skip(skip).take(PAGE).collect::<Vec<_>>()});
    if skip + PAGE < all.len() {
        page["@odata.nextLink"] = json!(format!(
            "{}/roleManagement/directory/roleAssignments?$filter={}&$skiptoken={}",
            d.base,
            form_urlencoded::byte_serialize(q.filter.as_deref().unwrap_or_default().as_bytes())
                .collect::<String>(),
            skip + PAGE
        ));
    }
    Json(page).into_response()
}

/// The users of a group.
async fn members(
    State(d): State<Directory>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !d.authorized(&headers) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let users = d
        .groups
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .unwrap_or_default();
    let value: Vec<_> = users.iter().map(|u| json!({"id": u})).collect();
    Json(json!({ "value": value })).into_response()
}
