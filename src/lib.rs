//! The API tokens portal: a Leptos single-page app.
//!
//! [`App`] is the whole application; the binary mounts it on `<body>`. Components live next to
//! the screen that uses them, so the component tests in `tests/` mount them one at a time.

pub mod api;
mod app;
pub mod auth;
pub mod config;
pub mod frame;
pub mod pages;
pub mod tokens;

pub use app::App;

/// The route of the API tokens screen.
pub const API_TOKENS_PATH: &str = "/settings/security-extensions/api-tokens";
