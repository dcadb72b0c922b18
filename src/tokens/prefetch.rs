//! The screen's first two answers — who is signed in, and the first page of tokens — asked for
//! together and as early as the app can: the portal asks as soon as it knows someone with a
//! role is signed in, before it builds the frame around the screen, and the screen takes them.

use futures::FutureExt as _;
use futures::future::Shared;
use leptos::prelude::*;
use leptos::task::spawn_local;
use token_wire::{ListParams, Me, TokenList};

use crate::api::{ApiContext, ApiFuture};

/// The first page of the list without filters, asked for before the screen knows who is
/// signed in (`/api/v1/me`, which it does not depend on).
#[derive(Clone)]
pub struct FirstPage {
    pub(super) params: ListParams,
    pub(super) answer: Shared<ApiFuture<TokenList>>,
}

/// `/api/v1/me` and the first page, both on their way.
#[derive(Clone)]
pub struct FirstAnswers {
    pub(super) me: Shared<ApiFuture<Me>>,
    pub(super) page: FirstPage,
}

impl FirstAnswers {
    /// Asks for both now (the calls run whether or not anyone awaits them yet).
    pub fn ask(api: ApiContext, page_size: u32) -> FirstAnswers {
        let params = ListParams {
            limit: page_size,
            ..ListParams::default()
        };
        let api = api.get();
        let me = api.me().shared();
        let answer = api.list(&params).shared();
        spawn_local(me.clone().map(drop));
        spawn_local(answer.clone().map(drop));
        FirstAnswers {
            me,
            page: FirstPage { params, answer },
        }
    }
}

/// First answers asked for above the screen, in the context until the screen takes them.
#[derive(Clone, Copy)]
pub struct Prefetched {
    answers: StoredValue<Option<FirstAnswers>, LocalStorage>,
    page_size: u32,
}

impl Prefetched {
    /// Asks for the first answers over `api` now, and provides them for the screen below.
    pub fn provide(api: ApiContext, page_size: u32) {
        provide_context(Prefetched {
            answers: StoredValue::new_local(Some(FirstAnswers::ask(api, page_size))),
            page_size,
        });
    }

    /// The answers provided above, once, when they are for pages of `page_size`.
    pub(super) fn take(page_size: u32) -> Option<FirstAnswers> {
        let prefetched = use_context::<Prefetched>()?;
        let answers = prefetched.answers.try_update_value(Option::take).flatten();
        answers.filter(|_| prefetched.page_size == page_size)
    }
}
