//! The API tokens screen: toolbar, table, and the generate and revoke dialogs.
//!
//! [`TokensScreen`] asks `/api/v1/me` who is signed in and, at the same time, for the first
//! page of tokens (or takes these answers from [`Prefetched`]), then shows [`TokensView`]. All calls go through the
//! [`TokenApi`](crate::api::TokenApi) in the context, so tests mount the screen with a fake.

mod generate;
mod prefetch;
mod revoke;
mod state;
mod table;
mod toolbar;

use leptos::prelude::*;
use token_wire::{DEFAULT_PAGE_SIZE, Me, Token};

use crate::api::{ApiError, use_token_api};
use crate::frame::MeContext;
use crate::spawned::{refill, spawned};
use crate::ui::{KeyIcon, PlusIcon};
pub use generate::GenerateDialog;
pub use prefetch::{FirstAnswers, FirstPage, Prefetched};
pub use revoke::RevokeDialog;
pub use state::{Load, TokensState};
pub use table::{TokenTable, local_time};
pub use toolbar::{OwnerFilter, SearchBox, StatusFilter};

/// Id of the screen's heading, where focus goes when a dialog closes and nothing better is
/// left. The views spell it out: a literal attribute is part of the static template, a
/// constant one costs code in the bundle.
const HEADING_ID: &str = "api-tokens-heading";

/// The API tokens tab: who is signed in, then their tokens.
#[component]
pub fn TokensScreen(
    /// Tokens per page (tests use small pages).
    #[prop(default = DEFAULT_PAGE_SIZE)]
    page_size: u32,
) -> impl IntoView {
    let api = use_token_api();
    let shared_me = use_context::<MeContext>();
    // The first page does not depend on who is signed in: both calls start together, unless
    // the portal asked for them already.
    let first = Prefetched::take(page_size).unwrap_or_else(|| FirstAnswers::ask(api, page_size));
    let first_page = StoredValue::new_local(first.page);
    let me = spawned(first.me);
    let retry = Callback::new(move |()| {
        let again = FirstAnswers::ask(api, page_size);
        first_page.set_value(again.page);
        refill(me, again.me);
    });
    Effect::new(move || {
        if let (Some(shared), Some(Ok(me))) = (shared_me, me.get()) {
            shared.0.set(Some(me));
        }
    });

    view! {
        <section class="api-tokens" data-testid="api-tokens" aria-labelledby="api-tokens-heading">
            {move || match me.get() {
                None => view! {
                    <Heading />
                    <LoadingState />
                }
                .into_any(),
                Some(Ok(me)) => {
                    view! { <TokensView me page_size first_page=first_page.get_value() /> }
                        .into_any()
                }
                Some(Err(error)) => view! {
                    <Heading />
                    <ErrorState error on_retry=retry />
                }
                .into_any(),
            }}
        </section>
    }
}

/// The tab's heading and what tokens are for.
#[component]
fn Heading(#[prop(optional)] children: Option<Children>) -> impl IntoView {
    view! {
        <div class="tokens-header">
            <div>
                <h3 id="api-tokens-heading" tabindex="-1">"API tokens"</h3>
                <p class="section-note">
                    "API tokens let scripts and other software call the portal's API with your privileges."
                </p>
            </div>
            {children.map(|c| c())}
        </div>
    }
}

/// The screen for a known user.
#[component]
pub fn TokensView(
    /// The signed-in user.
    me: Me,
    /// Tokens per page.
    #[prop(default = DEFAULT_PAGE_SIZE)]
    page_size: u32,
    /// The first page, when it was asked for already.
    #[prop(optional)]
    first_page: Option<FirstPage>,
) -> impl IntoView {
    let api = use_token_api();
    let state = TokensState::new(api, &me, page_size);
    let first_page = StoredValue::new_local(first_page);
    let generating = RwSignal::new(false);
    let revoking = RwSignal::new(None::<Token>);
    let full_admin = me.full_admin;
    let portal_url = me.portal_url.clone();
    let me = StoredValue::new(me);

    Effect::new(move || {
        let query = state.query(None);
        state.take_first(query, first_page.try_update_value(Option::take).flatten());
    });

    let open_generate = Callback::new(move |()| generating.set(true));
    let on_created = Callback::new(move |token: Token| state.add_created(token));
    let on_revoked = Callback::new(move |id: String| state.remove(&id));

    view! {
        <Heading>
            <GenerateButton
                open=open_generate
                class="button primary generate-button"
                test_id="generate-button"
                label="Generate new token"
            />
        </Heading>
        <div class="tokens-toolbar" role="search" aria-label="Filter tokens">
            <StatusFilter state />
            <SearchBox state />
            {full_admin.then(|| view! { <OwnerFilter state me_id=me.with_value(|m| m.user_id.clone()) /> })}
        </div>
        <TokensBody state me open_generate on_revoke=Callback::new(move |t| revoking.set(Some(t))) />
        {move || generating.get().then(|| view! {
            <GenerateDialog
                portal_url=portal_url.clone()
                on_close=Callback::new(move |()| generating.set(false))
                on_created
            />
        })}
        {move || {
            revoking
                .get()
                .map(|token| {
                    view! {
                        <RevokeDialog
                            token
                            show_owner=full_admin
                            on_close=Callback::new(move |()| revoking.set(None))
                            on_revoked
                        />
                    }
                })
        }}
    }
}

/// What [`TokensBody`] shows.
#[derive(Clone, PartialEq)]
enum Body {
    Failed(ApiError),
    Loading,
    NoMatches,
    NoTokens,
    Table,
}

/// The table, or the loading, error and empty states in its place.
#[component]
fn TokensBody(
    state: TokensState,
    me: StoredValue<Me>,
    open_generate: Callback<()>,
    on_revoke: Callback<Token>,
) -> impl IntoView {
    let full_admin = me.with_value(|m| m.full_admin);
    let me_id = me.with_value(|m| m.user_id.clone());
    // Only a change of state replaces the body: new rows, or loading them with rows shown,
    // repaint the table's rows alone.
    let body = Memo::new(move |_| {
        let empty = state.rows.with(Vec::is_empty);
        match state.load.get() {
            Load::Failed(error) => Body::Failed(error),
            Load::Loading if empty => Body::Loading,
            Load::Ready if empty && state.filtered() => Body::NoMatches,
            Load::Ready if empty => Body::NoTokens,
            _ => Body::Table,
        }
    });
    move || {
        match body.get() {
            Body::Failed(error) => view! {
                <ErrorState error on_retry=Callback::new(move |()| state.retry()) />
            }
            .into_any(),
            Body::Loading => view! { <LoadingState /> }.into_any(),
            Body::NoMatches => view! {
                <div class="empty-state" data-testid="no-matches">
                    <h4>"No tokens match these filters"</h4>
                    <p>"Try another status or name, or clear the filters."</p>
                    <button type="button" class="button" on:click=move |_| state.clear_filters()>
                        "Clear filters"
                    </button>
                </div>
            }
            .into_any(),
            Body::NoTokens => view! {
                <div class="empty-state" data-testid="empty-state">
                    <KeyIcon large=true />
                    <h4>"No API tokens yet"</h4>
                    <p>"Generate your first token to connect a script or other software to the portal's API."</p>
                    <GenerateButton
                        open=open_generate
                        class="button primary"
                        test_id="empty-generate-button"
                        label="Generate your first token"
                    />
                </div>
            }
            .into_any(),
            Body::Table => view! {
                <TokenTable state full_admin me_id=me_id.clone() on_revoke />
                <MoreRows state />
            }
            .into_any(),
        }
    }
}

/// "Showing n of m" ("m+" when the counts stopped at the server's cap) and the *Load more*
/// button.
#[component]
fn MoreRows(state: TokensState) -> impl IntoView {
    let shown = move || state.rows.with(Vec::len);
    view! {
        <div class="tokens-footer">
            <p class="tokens-summary" data-testid="tokens-summary" aria-live="polite">
                {move || {
                    let total = state.total.get();
                    let noun = if total == 1 { "token" } else { "tokens" };
                    let capped = state.counts.with(|c| c.is_some_and(|c| c.capped));
                    let plus = if capped { "+" } else { "" };
                    format!("Showing {} of {total}{plus} {noun}", shown())
                }}
            </p>
            {move || {
                state.more.get().map(|more| {
                    let loading = more == Load::Loading;
                    view! {
                        <button
                            type="button"
                            class="button"
                            data-testid="load-more"
                            disabled=loading
                            aria-busy=loading.to_string()
                            on:click=move |_| state.load_more()
                        >
                            {if loading { "Loading…" } else { "Load more" }}
                        </button>
                        {match more {
                            Load::Failed(error) => Some(view! {
                                <p class="field-error" role="alert" data-testid="load-more-error">
                                    {format!("More tokens could not be loaded. {error}")}
                                </p>
                            }),
                            _ => None,
                        }}
                    }
                })
            }}
        </div>
    }
}

/// A spinner while tokens load.
#[component]
pub fn LoadingState() -> impl IntoView {
    view! {
        <div class="loading-state" role="status" data-testid="loading-state">
            <span class="spinner" aria-hidden="true"></span>
            "Loading tokens…"
        </div>
    }
}

/// A failed load, with *Retry*.
#[component]
pub fn ErrorState(error: ApiError, on_retry: Callback<()>) -> impl IntoView {
    let kind = match error {
        ApiError::Network => "network",
        ApiError::Forbidden(_) => "forbidden",
        ApiError::RateLimited { .. } => "rate-limited",
        _ => "other",
    };
    view! {
        <div class="banner error" role="alert" data-testid="error-state" data-error=kind>
            <span class="banner-icon" aria-hidden="true">"!"</span>
            <p class="banner-text">{error.to_string()}</p>
            <button type="button" class="button" data-testid="retry-button" on:click=move |_| on_retry.run(())>
                "Retry"
            </button>
        </div>
    }
}

/// A button that opens the generate dialog.
#[component]
fn GenerateButton(
    open: Callback<()>,
    class: &'static str,
    test_id: &'static str,
    label: &'static str,
) -> impl IntoView {
    view! {
        <button type="button" class=class data-testid=test_id on:click=move |_| open.run(())>
            <PlusIcon />
            {label}
        </button>
    }
}
