//! The two-step "Generate new token" dialog: name, then the value shown once.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use token_wire::{CreatedToken, Token, validate_name};
use wasm_bindgen_futures::JsFuture;

use super::HEADING_ID;
use crate::api::{ApiError, use_token_api};
use crate::ui::{BusyButton, CopyIcon, ErrorBanner, Modal};

/// Generates a token. Closing forgets the value: it lives only in this component.
#[component]
pub fn GenerateDialog(
    /// The tenant's custom portal URL.
    #[prop(into)]
    portal_url: String,
    /// Closes the dialog.
    on_close: Callback<()>,
    /// Told about the new token (without its value) as soon as it exists.
    on_created: Callback<Token>,
) -> impl IntoView {
    let created = RwSignal::new(None::<CreatedToken>);
    view! {
        <Modal
            labelled_by="generate-title"
            test_id="generate-dialog"
            return_focus="[data-testid=generate-button]"
            fallback_focus=HEADING_ID
            on_close
        >
            {move || match created.get() {
                None => view! { <NameStep on_close on_created created /> }.into_any(),
                Some(created) => {
                    view! { <ValueStep created fallback_url=portal_url.clone() on_close /> }.into_any()
                }
            }}
        </Modal>
    }
}

/// Step 1: the name.
#[component]
fn NameStep(
    on_close: Callback<()>,
    on_created: Callback<Token>,
    created: RwSignal<Option<CreatedToken>>,
) -> impl IntoView {
    let api = use_token_api();
    let name = RwSignal::new(String::new());
    let name_error = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);

    let submit = move || {
        if pending.get_untracked() {
            return;
        }
        let raw = name.get_untracked();
        let valid = match validate_name(&raw) {
            Ok(valid) => valid.to_string(),
            Err(error) => {
                name_error.set(Some(error.message().into()));
                focus_name();
                return;
            }
        };
        name_error.set(None);
        failure.set(None);
        pending.set(true);
        let call = api.get().create(&valid);
        spawn_local(async move {
            let answer = call.await;
            pending.set(false);
            match answer {
                Ok(answer) => {
                    on_created.run(answer.token.clone());
                    created.set(Some(answer));
                }
                Err(ApiError::Conflict { .. }) => {
                    name_error.set(Some(format!(
                        "You already have a token named “{valid}”. Choose another name."
                    )));
                    focus_name();
                }
                Err(ApiError::BadRequest { field, detail })
                    if field.as_deref().is_none_or(|f| f == "name") =>
                {
                    name_error.set(Some(detail));
                    focus_name();
                }
                Err(error) => failure.set(Some(error.to_string())),
            }
        });
    };

    view! {
        <form
            class="modal-form"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <h2 id="generate-title">"Generate new token"</h2>
            <div class="field">
                <label for="token-name">"Token name"</label>
                <p id="token-name-hint" class="hint">
                    "What will use this token? For example “SIEM export” or “nightly report script”."
                </p>
                <input
                    id="token-name"
                    class="text-input"
                    type="text"
                    autocomplete="off"
                    spellcheck="false"
                    data-testid="token-name-input"
                    data-autofocus
                    aria-invalid=move || name_error.with(Option::is_some).to_string()
                    aria-describedby=move || {
                        if name_error.with(Option::is_some) { "token-name-hint token-name-error" } else { "token-name-hint" }
                    }
                    prop:value=move || name.get()
                    on:input=move |ev| {
                        name.set(event_target_value(&ev));
                        name_error.set(None);
                    }
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            submit();
                        }
                    }
                />
                {move || name_error.get().map(|message| view! {
                    <p id="token-name-error" class="field-error" data-testid="name-error">
                        <span aria-hidden="true">"⚠ "</span>
                        {message}
                    </p>
                })}
            </div>
            <ErrorBanner failure test_id="generate-error" />
            <div class="modal-actions">
                <button type="button" class="button" data-testid="cancel-button" on:click=move |_| on_close.run(())>
                    "Cancel"
                </button>
                <BusyButton class="button primary" test_id="next-button" pending label="Next" busy_label="Generating…" />
            </div>
        </form>
    }
}

/// Step 2: the value, once.
#[component]
fn ValueStep(created: CreatedToken, fallback_url: String, on_close: Callback<()>) -> impl IntoView {
    let value_input = NodeRef::<html::Input>::new();
    let copied = RwSignal::new(None::<bool>);
    let portal_url = if created.portal_url.is_empty() {
        fallback_url
    } else {
        created.portal_url.clone()
    };
    let value = StoredValue::new(created.value.clone());
    Effect::new(move || {
        if let Some(input) = value_input.get() {
            let _ = input.focus();
            input.select();
        }
    });

    let copy = move |_| {
        let text = value.get_value();
        spawn_local(async move {
            let clipboard = window().navigator().clipboard();
            let done = JsFuture::from(clipboard.write_text(&text)).await.is_ok();
            if !done && let Some(input) = value_input.get_untracked() {
                let _ = input.focus();
                input.select();
            }
            copied.set(Some(done));
        });
    };

    view! {
        <h2 id="generate-title">"Copy your new token"</h2>
        <p class="banner warning" role="note" data-testid="value-warning">
            <span class="banner-icon" aria-hidden="true">"!"</span>
            <span class="banner-text">
                "Copy the value now and keep it somewhere safe. For your security it cannot be shown again."
            </span>
        </p>
        <div class="field">
            <label for="token-value">{format!("Value of “{}”", created.token.name)}</label>
            <div class="copy-field">
                <input
                    id="token-value"
                    class="text-input mono"
                    type="text"
                    readonly
                    spellcheck="false"
                    autocomplete="off"
                    data-testid="token-value"
                    node_ref=value_input
                    prop:value=created.value.clone()
                />
                <button type="button" class="button" data-testid="copy-button" on:click=copy>
                    <CopyIcon />
                    "Copy"
                </button>
            </div>
            <p class="copy-status" role="status" data-testid="copy-status">
                {move || match copied.get() {
                    Some(true) => "✓ Copied",
                    Some(false) => "Copying was not allowed: the value is selected, press Ctrl+C (⌘C) to copy it.",
                    None => "",
                }}
            </p>
        </div>
        <p class="hint">
            "Software sends it in the header " <code>"Authorization: Token …"</code>
            " to your portal at "
            <a class="portal-url" data-testid="portal-url" href=portal_url.clone() target="_blank" rel="noopener noreferrer">
                {portal_url.clone()}
            </a>
            "."
        </p>
        <div class="modal-actions">
            <button type="button" class="button primary" data-testid="done-button" on:click=move |_| on_close.run(())>
                "Done"
            </button>
        </div>
    }
}

fn focus_name() {
    if let Some(input) = document().get_element_by_id("token-name") {
        use wasm_bindgen::JsCast;
        if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
            let _ = input.focus();
        }
    }
}
