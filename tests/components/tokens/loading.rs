//! Loading the screen: who is signed in and the first page at the same time, failed loads
//! with *Retry*, and sharing `/api/v1/me` with the frame.

use std::rc::Rc;

use api_tokens_portal::api::{ApiError, provide_token_api, use_token_api};
use api_tokens_portal::frame::{portal_url, provide_me};
use api_tokens_portal::tokens::{Prefetched, TokensScreen};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{rate_limited, reader_tokens, row_names, screen};
use crate::support::fake_api::{FakeApi, Op, admin, reader};
use crate::support::{
    by_id, click_and_settle, find, mount_scoped, press, settle, sleep, text, type_into,
};

#[wasm_bindgen_test]
async fn list_errors_show_a_banner_with_retry() {
    let me = reader();
    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    api.fail_always(Op::List, ApiError::Network);
    let view = screen(&api, 50).await;
    let root = &view.root;

    let error = by_id(root, "error-state");
    assert_eq!(error.get_attribute("role").as_deref(), Some("alert"));
    assert!(text(&error).contains("could not reach the server"));
    assert!(find(root, "[data-testid=tokens-table]").is_none());

    api.heal();
    click_and_settle(&by_id(root, "retry-button")).await;
    assert!(find(root, "[data-testid=error-state]").is_none());
    assert_eq!(row_names(root).len(), 3);
    assert_eq!(
        text(&by_id(root, "count-all")),
        "3",
        "the retried page brings the counts"
    );

    let search = by_id(root, "search-input");
    type_into(&search, "old");
    api.fail_once(Op::List, ApiError::Forbidden("Permission denied".into()));
    press(&search, "Enter");
    settle().await;
    let error = by_id(root, "error-state");
    assert!(
        text(&error).contains("You don't have permission"),
        "{}",
        text(&error)
    );
    assert_eq!(
        search.unchecked_ref::<web_sys::HtmlInputElement>().value(),
        "old",
        "the search is kept"
    );

    api.fail_once(Op::List, rate_limited(30));
    click_and_settle(&by_id(root, "retry-button")).await;
    assert!(text(&by_id(root, "error-state")).contains("Try again in 30 s"));
    click_and_settle(&by_id(root, "retry-button")).await;
    assert_eq!(row_names(root), vec!["old script"]);
}

#[wasm_bindgen_test]
async fn the_first_page_is_asked_for_together_with_who_is_signed_in() {
    let me = reader();
    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    api.delay(Op::Me, 300);
    let view = screen(&api, 50).await;
    let root = &view.root;
    assert_eq!(
        api.lists().len(),
        1,
        "the first page is asked for while /me is in flight"
    );
    assert!(find(root, "[data-testid=loading-state]").is_some());

    sleep(400).await;
    settle().await;
    assert_eq!(row_names(root).len(), 3);
    assert_eq!(text(&by_id(root, "count-all")), "3");
    assert_eq!(api.lists().len(), 1, "that answer fills the screen");
}

#[wasm_bindgen_test]
async fn me_errors_show_a_clear_message() {
    let api = FakeApi::new(reader(), Vec::new());
    api.fail_once(Op::Me, ApiError::Forbidden("Permission denied".into()));
    let view = screen(&api, 50).await;
    let root = &view.root;
    assert!(text(&by_id(root, "error-state")).contains("You don't have permission"));
    click_and_settle(&by_id(root, "retry-button")).await;
    assert!(find(root, "[data-testid=empty-state]").is_some());
    assert_eq!(
        api.lists().len(),
        2,
        "retry asks for /me and the first page again"
    );
}

#[wasm_bindgen_test]
async fn the_screen_shares_who_is_signed_in_with_the_frame() {
    let api = FakeApi::new(admin(), Vec::new());
    let url = RwSignal::new(None::<Option<String>>);
    let view = mount_scoped({
        let api = api.clone();
        move || {
            provide_me();
            provide_token_api(Rc::new(api));
            let shared = portal_url();
            Effect::new(move || url.set(Some(shared.get())));
            view! { <TokensScreen /> }
        }
    });
    settle().await;
    assert_eq!(
        url.get_untracked(),
        Some(Some("https://contoso.eu.portal.example.net".to_string()))
    );
    drop(view);
}

/// The screen with pages of `page_size`, under first answers asked for pages of 50.
fn screen_under_prefetched(api: &FakeApi, page_size: u32) -> crate::support::Mounted {
    let api = api.clone();
    mount_scoped(move || {
        provide_token_api(Rc::new(api));
        Prefetched::provide(use_token_api(), 50);
        view! { <TokensScreen page_size /> }
    })
}

#[wasm_bindgen_test]
async fn the_screen_takes_the_answers_asked_for_above_it() {
    let me = reader();
    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    let view = screen_under_prefetched(&api, 50);
    settle().await;
    assert_eq!(row_names(&view.root).len(), 3);
    assert_eq!(
        api.lists().len(),
        1,
        "the screen asked for no page of its own"
    );
    drop(view);

    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    let view = screen_under_prefetched(&api, 2);
    settle().await;
    assert_eq!(row_names(&view.root).len(), 2, "pages of its own size");
    assert_eq!(
        api.lists().len(),
        2,
        "answers for another page size are not taken"
    );
    drop(view);
}
