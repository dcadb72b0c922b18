//! The portal frame.

use api_tokens_portal::frame::HelpMenu;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use crate::support::{click, mount, tick};

#[wasm_bindgen_test]
async fn help_menu_opens_about_with_the_portal_url() {
    let root = mount(|| {
        view! { <HelpMenu portal_url=Signal::stored(Some("https://contoso.eu.portal.example.net".to_string())) /> }
    });
    let help = root.query_selector(".help-button").unwrap().unwrap();
    assert_eq!(
        help.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(root.query_selector(".about-item").unwrap().is_none());

    click(&help);
    tick().await;
    assert_eq!(help.get_attribute("aria-expanded").as_deref(), Some("true"));
    let about = root
        .query_selector(".about-item")
        .unwrap()
        .expect("menu shows About");

    click(&about);
    tick().await;
    assert!(
        root.query_selector(".about-item").unwrap().is_none(),
        "menu closes"
    );
    let url = root
        .query_selector(".portal-url")
        .unwrap()
        .expect("about panel shows the URL");
    assert_eq!(
        url.text_content().unwrap(),
        "https://contoso.eu.portal.example.net"
    );
    let _ = root.dyn_into::<web_sys::HtmlElement>().unwrap();
}
