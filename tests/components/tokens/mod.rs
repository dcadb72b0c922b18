//! The API tokens screen against the fake API layer.

mod dialogs;
mod filters;
mod loading;
mod table;

use std::rc::Rc;

use api_tokens_portal::api::{ApiError, provide_token_api};
use api_tokens_portal::tokens::TokensScreen;
use leptos::prelude::*;
use token_wire::{Me, TokenStatus};

use crate::support::fake_api::{FakeApi, reader, token};
use crate::support::{Mounted, by_id, find, find_all, mount_scoped, settle, text};

/// A recent time, as the API writes it.
const NOW: &str = "2026-11-24T08:15:00Z";

/// Three tokens of `me`: one of each status.
fn reader_tokens(me: &Me) -> Vec<token_wire::Token> {
    vec![
        token("t1", "nightly export", me, TokenStatus::Generated, None),
        token("t22", "siem pull", me, TokenStatus::Active, Some(NOW)),
        token(
            "t333",
            "old script",
            me,
            TokenStatus::Inactive,
            Some("2026-09-01T10:00:00Z"),
        ),
    ]
}

/// The screen over `api`, mounted and settled, with `page_size` tokens per page.
async fn screen(api: &FakeApi, page_size: u32) -> Mounted {
    let api = api.clone();
    let mounted = mount_scoped(move || {
        provide_token_api(Rc::new(api));
        view! { <TokensScreen page_size /> }
    });
    settle().await;
    mounted
}

/// A reader with their three tokens ([`reader_tokens`]) in a fake API, and the screen over
/// it with pages of 50.
async fn reader_screen() -> (FakeApi, Mounted) {
    let me = reader();
    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    let view = screen(&api, 50).await;
    (api, view)
}

/// The API's answer to a tenant over its rate limit.
fn rate_limited(retry_after_secs: u64) -> ApiError {
    ApiError::RateLimited { retry_after_secs }
}

/// The table's rows.
fn rows(root: &web_sys::Element) -> Vec<web_sys::Element> {
    find_all(root, "[data-testid=token-row]")
}

/// The names in the table, top to bottom.
fn row_names(root: &web_sys::Element) -> Vec<String> {
    rows(root)
        .iter()
        .filter_map(|r| r.get_attribute("data-token-name"))
        .collect()
}

/// The row of the token called `name`.
fn row(root: &web_sys::Element, name: &str) -> web_sys::Element {
    find(
        root,
        &format!("[data-testid=token-row][data-token-name=\"{name}\"]"),
    )
    .unwrap_or_else(|| panic!("no row {name}"))
}

/// The text of the cell marked `id` in `row`.
fn cell(row: &web_sys::Element, id: &str) -> String {
    text(&by_id(row, id))
}
