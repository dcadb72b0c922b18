//! What sign-in shows: the top bar's account, and the full-page states.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use api_tokens_portal::app::status::{ConfigProblem, SignInFailed};
use api_tokens_portal::auth::provider::{HttpError, Transport};
use api_tokens_portal::auth::{Account, Auth};
use api_tokens_portal::config::{CacheLocation, RuntimeConfig};
use api_tokens_portal::frame::UserMenu;
use leptos::prelude::*;
use token_wire::Role;
use wasm_bindgen_test::*;

use crate::support::{click, click_and_settle, mount_scoped, settle};

fn account(roles: Vec<Role>) -> Account {
    Account {
        tenant_id: "t".into(),
        user_id: "u".into(),
        name: "Adele Vance".into(),
        username: "admin@contoso.test".into(),
        roles,
    }
}

fn text(root: &web_sys::Element, css: &str) -> Option<String> {
    root.query_selector(css)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
}

#[wasm_bindgen_test]
async fn the_top_bar_shows_the_account_and_its_roles_and_signs_out() {
    let (signed_in, set_signed_in) = signal(Some(account(vec![
        Role::SecurityAdministrator,
        Role::GlobalReader,
    ])));
    let clicks = Arc::new(AtomicU32::new(0));
    let counted = clicks.clone();
    let view = mount_scoped(move || {
        let on_sign_out = Callback::new(move |()| {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        view! { <UserMenu account=signed_in on_sign_out /> }
    });
    let root = &view.root;
    assert_eq!(text(root, ".user-name").as_deref(), Some("Adele Vance"));
    assert_eq!(
        text(root, ".user-role").as_deref(),
        Some("Security administrator, Global reader")
    );
    assert_eq!(
        root.query_selector(".user")
            .unwrap()
            .unwrap()
            .get_attribute("title")
            .as_deref(),
        Some("admin@contoso.test")
    );

    click(&root.query_selector(".sign-out").unwrap().unwrap());
    assert_eq!(clicks.load(Ordering::SeqCst), 1);

    set_signed_in.set(None);
    settle().await;
    assert!(
        root.query_selector(".user").unwrap().is_none(),
        "nobody signed in: no account"
    );
    assert!(root.query_selector(".sign-out").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_broken_configuration_is_explained_not_blank() {
    let view =
        mount_scoped(|| view! { <ConfigProblem message="/config.json answered HTTP 404" /> });
    assert_eq!(
        text(&view.root, "h1").as_deref(),
        Some("The portal is not configured")
    );
    assert!(
        text(&view.root, ".status-detail")
            .unwrap()
            .contains("HTTP 404")
    );
    assert!(
        view.root.query_selector("button").unwrap().is_some(),
        "a Reload button"
    );
}

#[wasm_bindgen_test]
async fn a_failed_sign_in_offers_to_try_again_and_says_why_that_fails_too() {
    // An authority no other test has discovered: no document kept in sessionStorage for it.
    let config = RuntimeConfig {
        authority: "https://unreachable-idp.test".into(),
        client_id: "c".into(),
        scopes: vec!["openid".into()],
        api_base_url: "https://portal.test".into(),
        redirect_uri: "https://portal.test/auth/callback".into(),
        post_logout_redirect_uri: "https://portal.test/".into(),
        cache_location: CacheLocation::Memory,
    };
    let offline = Transport::new(|_| Box::pin(async { Err(HttpError("Failed to fetch".into())) }));
    let auth = Auth::with_transport(config, offline, |url| panic!("navigated to {url}"));
    let view = mount_scoped(move || {
        view! { <SignInFailed auth message="the answer does not match a sign-in started here" /> }
    });
    let root = &view.root;
    assert_eq!(text(root, "h1").as_deref(), Some("Sign-in failed"));
    assert_eq!(
        text(root, ".sign-in-error").as_deref(),
        Some("Sign-in failed: the answer does not match a sign-in started here")
    );
    click_and_settle(&root.query_selector(".try-again").unwrap().unwrap()).await;
    let page = root.text_content().unwrap();
    assert!(
        page.contains("could not be reached (Failed to fetch)"),
        "{page}"
    );
}
