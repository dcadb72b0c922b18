//! The generate and revoke dialogs: steps, errors, focus and keyboard.

use api_tokens_portal::api::ApiError;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use super::{cell, rate_limited, reader_screen, reader_tokens, row, row_names, screen};
use crate::support::fake_api::{FakeApi, Op, reader};
use crate::support::{
    by_id, click, click_and_settle, document, find, press, settle, sleep, text, type_into,
};

#[wasm_bindgen_test]
async fn generate_dialog_validates_submits_and_shows_the_value_once() {
    let (api, view) = reader_screen().await;
    let root = &view.root;

    let generate = by_id(root, "generate-button");
    assert!(text(&generate).contains("Generate new token"));
    generate
        .unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    click_and_settle(&generate).await;
    let dialog = by_id(root, "generate-dialog");
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    let title_id = dialog.get_attribute("aria-labelledby").unwrap();
    assert_eq!(
        text(&document().get_element_by_id(&title_id).unwrap()),
        "Generate new token"
    );
    let name = by_id(root, "token-name-input");
    assert_eq!(
        document().active_element(),
        Some(name.clone()),
        "focus moves into the dialog"
    );
    let label = find(root, "label[for=token-name]").expect("a label");
    assert_eq!(text(&label), "Token name");

    click_and_settle(&by_id(root, "next-button")).await;
    assert_eq!(
        text(&by_id(root, "name-error")),
        "⚠ Enter a name for the token."
    );
    assert_eq!(name.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(api.created().is_empty(), "invalid names are not sent");

    type_into(&name, "  siem pull ");
    settle().await;
    assert!(
        find(root, "[data-testid=name-error]").is_none(),
        "typing clears the error"
    );
    press(&name, "Enter");
    settle().await;
    assert_eq!(
        api.created(),
        vec!["siem pull"],
        "Enter submits the trimmed name"
    );
    assert!(text(&by_id(root, "name-error")).contains("already have a token named “siem pull”"));
    assert_eq!(
        name.unchecked_ref::<web_sys::HtmlInputElement>().value(),
        "  siem pull ",
        "the typed name is kept"
    );

    type_into(&name, "ci deploy");
    click_and_settle(&by_id(root, "next-button")).await;
    let value = by_id(root, "token-value");
    let value_input = value.unchecked_ref::<web_sys::HtmlInputElement>();
    assert_eq!(value_input.value(), "atp_fakeSecretValue1x");
    assert!(value_input.read_only());
    assert!(text(&by_id(root, "value-warning")).contains("cannot be shown again"));
    assert_eq!(
        text(&by_id(root, "portal-url")),
        "https://contoso.eu.portal.example.net"
    );
    assert_eq!(
        cell(&row(root, "ci deploy"), "token-status"),
        "Generated",
        "the new row is there already"
    );
    assert_eq!(row_names(root)[0], "ci deploy");

    click(&by_id(root, "copy-button"));
    sleep(50).await;
    settle().await;
    let status = text(&by_id(root, "copy-status"));
    assert!(
        status.contains("Copied") || status.contains("Ctrl+C"),
        "{status}"
    );

    press(&value, "Escape");
    settle().await;
    assert!(
        find(root, "[data-testid=generate-dialog]").is_none(),
        "Escape closes"
    );
    assert!(
        !root.inner_html().contains("atp_fakeSecretValue1x"),
        "closing forgets the value"
    );
    assert_eq!(
        document().active_element(),
        Some(generate.clone()),
        "focus goes back"
    );

    click_and_settle(&generate).await;
    assert!(
        find(root, "[data-testid=token-value]").is_none(),
        "a new dialog starts at step 1"
    );
    assert_eq!(
        by_id(root, "token-name-input")
            .unchecked_ref::<web_sys::HtmlInputElement>()
            .value(),
        ""
    );
    click_and_settle(&by_id(root, "cancel-button")).await;
    assert!(find(root, "[data-testid=generate-dialog]").is_none());
    assert_eq!(cell(&row(root, "ci deploy"), "token-status"), "Generated");
    assert_eq!(text(&by_id(root, "count-generated")), "2");
    assert_eq!(text(&by_id(root, "count-all")), "4");
    assert_eq!(
        api.lists().len(),
        1,
        "the counts follow without another call"
    );
}

#[wasm_bindgen_test]
async fn generate_errors_keep_the_name() {
    let me = reader();
    let api = FakeApi::new(me.clone(), reader_tokens(&me));
    let view = screen(&api, 50).await;
    let root = &view.root;

    click_and_settle(&by_id(root, "generate-button")).await;
    let name = by_id(root, "token-name-input");
    type_into(&name, "rate me");

    api.fail_once(Op::Create, rate_limited(30));
    click_and_settle(&by_id(root, "next-button")).await;
    assert!(text(&by_id(root, "generate-error")).contains("Try again in 30 s"));
    assert_eq!(
        name.unchecked_ref::<web_sys::HtmlInputElement>().value(),
        "rate me"
    );

    api.fail_once(Op::Create, ApiError::Forbidden("Permission denied".into()));
    click_and_settle(&by_id(root, "next-button")).await;
    assert!(text(&by_id(root, "generate-error")).contains("You don't have permission"));

    api.fail_once(Op::Create, ApiError::Network);
    click_and_settle(&by_id(root, "next-button")).await;
    assert!(text(&by_id(root, "generate-error")).contains("could not reach the server"));
    assert_eq!(
        name.unchecked_ref::<web_sys::HtmlInputElement>().value(),
        "rate me"
    );

    click_and_settle(&by_id(root, "next-button")).await;
    assert!(find(root, "[data-testid=generate-error]").is_none());
    assert!(
        find(root, "[data-testid=token-value]").is_some(),
        "the retry worked"
    );
    click_and_settle(&by_id(root, "done-button")).await;
}

#[wasm_bindgen_test]
async fn revoke_dialog_names_the_token_and_removes_the_row() {
    let (api, view) = reader_screen().await;
    let root = &view.root;

    let dialog = open_revoke_dialog(root, "siem pull").await;
    assert_eq!(dialog.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(dialog.get_attribute("aria-modal").as_deref(), Some("true"));
    assert_eq!(text(&by_id(root, "revoke-token-name")), "“siem pull”");
    assert!(text(&dialog).contains("any software using it will fail"));
    assert_eq!(
        document().active_element(),
        Some(by_id(root, "cancel-revoke")),
        "the safe choice has focus"
    );

    click_and_settle(&by_id(root, "cancel-revoke")).await;
    assert!(find(root, "[data-testid=revoke-dialog]").is_none());
    assert_eq!(row_names(root).len(), 3, "cancel keeps the token");
    assert!(api.revoked().is_empty());

    open_revoke_dialog(root, "siem pull").await;
    api.fail_once(Op::Revoke, rate_limited(12));
    click_and_settle(&by_id(root, "confirm-revoke")).await;
    assert!(text(&by_id(root, "revoke-error")).contains("Try again in 12 s"));
    assert_eq!(row_names(root).len(), 3);

    click_and_settle(&by_id(root, "confirm-revoke")).await;
    assert!(find(root, "[data-testid=revoke-dialog]").is_none());
    assert_eq!(row_names(root), vec!["old script", "nightly export"]);
    assert_eq!(
        api.revoked(),
        vec!["t22"],
        "the rate-limited call never reached the store"
    );
    assert_eq!(text(&by_id(root, "count-active")), "0");
    assert_eq!(text(&by_id(root, "count-all")), "2");
    assert!(text(&by_id(root, "tokens-summary")).contains("Showing 2 of 2"));
}

#[wasm_bindgen_test]
async fn tab_stays_inside_a_dialog() {
    let (_api, view) = reader_screen().await;
    let root = &view.root;
    open_revoke_dialog(root, "old script").await;
    let confirm = by_id(root, "confirm-revoke");
    confirm
        .unchecked_ref::<web_sys::HtmlElement>()
        .focus()
        .unwrap();
    press(&confirm, "Tab");
    assert_eq!(
        document().active_element(),
        Some(by_id(root, "cancel-revoke")),
        "Tab wraps to the first button"
    );
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Tab");
    init.set_shift_key(true);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let shift_tab =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    by_id(root, "cancel-revoke")
        .dispatch_event(&shift_tab)
        .unwrap();
    assert_eq!(
        document().active_element(),
        Some(confirm),
        "Shift+Tab wraps to the last"
    );
    press(&by_id(root, "cancel-revoke"), "Escape");
    settle().await;
    assert!(find(root, "[data-testid=revoke-dialog]").is_none());
    assert_eq!(
        document().active_element(),
        Some(by_id(&row(root, "old script"), "revoke-button")),
        "focus returns to the row's button"
    );
}

/// Clicks *Revoke* in the row of the token called `name`; returns the dialog it opens.
async fn open_revoke_dialog(root: &web_sys::Element, name: &str) -> web_sys::Element {
    click_and_settle(&by_id(&row(root, name), "revoke-button")).await;
    by_id(root, "revoke-dialog")
}
