//! The API tokens portal: a Leptos single-page app.
//!
//! [`App`] is the whole application; the binary mounts it on `<body>`. Its rooms:
//!
//! | module | what |
//! |---|---|
//! | [`app`] | start-up and sign-in pages, then the routes |
//! | [`auth`] | sign-in state: redirect, OAuth token cache, renewal (no views) |
//! | [`config`] | `/config.json` |
//! | [`early`] | calls `index.html` made before the app started |
//! | [`fetch`] | the browser's `fetch` |
//! | [`api`] | the token API: trait, HTTP client, errors, Leptos context |
//! | [`frame`] | top bar, help menu, left navigation and the frame's state |
//! | [`json`] | JSON through the browser's `JSON.parse`/`JSON.stringify` |
//! | [`pages`] | routed pages |
//! | [`tokens`] | the API tokens screen |
//! | [`ui`] | shared UI pieces: modal, status pages, icons |
//!
//! Components take their collaborators as props or from the context, so the component tests
//! in `tests/` mount them one at a time.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod early;
pub mod fetch;
pub mod frame;
pub mod json;
pub mod pages;
pub mod spawned;
pub mod tokens;
pub mod ui;

pub use app::App;

/// The route of the API tokens screen.
pub const API_TOKENS_PATH: &str = "/settings/security-extensions/api-tokens";
