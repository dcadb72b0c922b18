//! An in-memory [`TokenApi`] that follows the contract's visibility and filter rules
//! (`token_wire::ListParams`) and counts per status as the server does, records every call,
//! and can be told to fail or to answer late.

use std::cell::RefCell;
use std::rc::Rc;

use api_tokens_portal::api::{ApiError, ApiFuture, TokenApi};
use token_wire::{
    API_TOKEN_PREFIX, CreatedToken, ListParams, Me, Owner, Privileges, Role, SortKey, SortOrder,
    StatusCounts, Token, TokenList, TokenStatus,
};

/// Which call a failure applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Me,
    List,
    Create,
    Revoke,
}

#[derive(Default)]
struct State {
    me: Option<Me>,
    tokens: Vec<Token>,
    lists: Vec<ListParams>,
    created: Vec<String>,
    revoked: Vec<String>,
    failures: Vec<(Op, ApiError, bool)>,
    delays: Vec<(Op, i32)>,
    count_cap: Option<u64>,
    scan_stretch: Option<usize>,
    serial: u32,
}

/// The fake; clones share state.
#[derive(Clone, Default)]
pub struct FakeApi(Rc<RefCell<State>>);

impl FakeApi {
    /// A fake API where `me` is signed in and the tenant has `tokens`.
    pub fn new(me: Me, tokens: Vec<Token>) -> FakeApi {
        FakeApi(Rc::new(RefCell::new(State {
            me: Some(me),
            tokens,
            ..State::default()
        })))
    }

    /// The next call of `op` fails with `error`.
    pub fn fail_once(&self, op: Op, error: ApiError) {
        self.0.borrow_mut().failures.push((op, error, false));
    }

    /// Every call of `op` fails with `error` until [`FakeApi::heal`].
    pub fn fail_always(&self, op: Op, error: ApiError) {
        self.0.borrow_mut().failures.push((op, error, true));
    }

    /// Stops all failures.
    pub fn heal(&self) {
        self.0.borrow_mut().failures.clear();
    }

    /// Every answer to `op` comes `ms` milliseconds after the call.
    pub fn delay(&self, op: Op, ms: i32) {
        self.0.borrow_mut().delays.push((op, ms));
    }

    /// Counts per status stop at `cap` matching tokens, as a server with a count cap does:
    /// the counts then say `capped`.
    pub fn cap_counts(&self, cap: u64) {
        self.0.borrow_mut().count_cap = Some(cap);
    }

    /// A search looks at `entries` tokens per page at most, in the list's order, as the
    /// server's scanning search does: a page can hold fewer matches than asked, even none,
    /// with a cursor after the stretch it looked at.
    pub fn scan_in_stretches(&self, entries: usize) {
        self.0.borrow_mut().scan_stretch = Some(entries);
    }

    /// Every list query received, in order.
    pub fn lists(&self) -> Vec<ListParams> {
        self.0.borrow().lists.clone()
    }

    /// Forgets the list queries received so far.
    pub fn forget_lists(&self) {
        self.0.borrow_mut().lists.clear();
    }

    /// Names received by `create`.
    pub fn created(&self) -> Vec<String> {
        self.0.borrow().created.clone()
    }

    /// Ids received by `revoke`.
    pub fn revoked(&self) -> Vec<String> {
        self.0.borrow().revoked.clone()
    }

    fn failure(&self, op: Op) -> Option<ApiError> {
        let mut state = self.0.borrow_mut();
        let at = state.failures.iter().position(|(o, _, _)| *o == op)?;
        let (_, error, sticky) = state.failures[at].clone();
        if !sticky {
            state.failures.remove(at);
        }
        Some(error)
    }

    fn me_now(&self) -> Me {
        self.0.borrow().me.clone().expect("a signed-in user")
    }

    fn answer<T: 'static>(&self, op: Op, ok: impl FnOnce() -> Result<T, ApiError>) -> ApiFuture<T> {
        let result = match self.failure(op) {
            Some(error) => Err(error),
            None => ok(),
        };
        let delay = self
            .0
            .borrow()
            .delays
            .iter()
            .find(|(o, _)| *o == op)
            .map(|d| d.1);
        Box::pin(async move {
            if let Some(ms) = delay {
                super::sleep(ms).await;
            }
            result
        })
    }

    fn list_now(&self, query: &ListParams) -> Result<TokenList, ApiError> {
        let me = self.me_now();
        let mut state = self.0.borrow_mut();
        state.lists.push(query.clone());
        let owner = query
            .visible_owner(&me.user_id, me.full_admin)
            .map_err(|e| ApiError::Forbidden(e.to_string()))?;
        let visible: Vec<&Token> = state
            .tokens
            .iter()
            .filter(|t| owner.is_none_or(|o| o == t.owner.id))
            .collect();
        let any_status = ListParams {
            status: None,
            ..query.clone()
        };
        let counted = |status| {
            let matching = visible.iter().filter(|t| any_status.matches(t));
            matching.filter(|t| t.status == status).count() as u64
        };
        let mut counts = StatusCounts::counted(
            counted(TokenStatus::Generated),
            counted(TokenStatus::Active),
            counted(TokenStatus::Inactive),
        );
        counts.capped = state.count_cap.is_some_and(|cap| counts.total >= cap);
        let stretch = state.scan_stretch.filter(|_| query.search().is_some());
        let any_name = ListParams {
            q: None,
            ..query.clone()
        };
        let mut items: Vec<Token> = visible
            .into_iter()
            .filter(|t| {
                if stretch.is_some() {
                    any_name.matches(t)
                } else {
                    query.matches(t)
                }
            })
            .cloned()
            .collect();
        items.sort_by(|a, b| {
            let order = match query.sort {
                SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
                SortKey::CreatedAt => a.created_at.cmp(&b.created_at),
                SortKey::LastUsedAt => a.last_used_at.cmp(&b.last_used_at),
            };
            if query.order == SortOrder::Desc {
                order.reverse()
            } else {
                order
            }
        });
        let start: usize = query
            .cursor
            .as_deref()
            .map(|c| c.parse().unwrap())
            .unwrap_or(0);
        if let Some(stretch) = stretch {
            let (mut page, mut at) = (Vec::new(), start);
            while at < items.len() && at < start + stretch && page.len() < query.limit as usize {
                if query.matches(&items[at]) {
                    page.push(items[at].clone());
                }
                at += 1;
            }
            return Ok(TokenList {
                total: counts.total,
                items: page,
                next_cursor: (at < items.len()).then(|| at.to_string()),
                counts,
            });
        }
        let total = items.len() as u64;
        let limit = query.limit as usize;
        let end = (start + limit).min(items.len());
        let next_cursor = (end < items.len()).then(|| end.to_string());
        Ok(TokenList {
            items: items[start.min(end)..end].to_vec(),
            total,
            next_cursor,
            counts,
        })
    }

    fn create_now(&self, name: &str) -> Result<CreatedToken, ApiError> {
        let me = self.me_now();
        let mut state = self.0.borrow_mut();
        state.created.push(name.to_string());
        if state
            .tokens
            .iter()
            .any(|t| t.owner.id == me.user_id && t.name == name)
        {
            return Err(ApiError::Conflict {
                field: Some("name".into()),
                detail: "a token with this name exists".into(),
            });
        }
        state.serial += 1;
        let token = Token {
            id: format!("new-{}", state.serial),
            name: name.to_string(),
            owner: Owner {
                id: me.user_id.clone(),
                display_name: me.display_name.clone(),
            },
            created_at: format!("2026-11-25T12:{:02}:00Z", state.serial),
            last_used_at: None,
            status: TokenStatus::Generated,
            privileges: me.privileges,
        };
        state.tokens.push(token.clone());
        Ok(CreatedToken {
            token,
            value: format!("{API_TOKEN_PREFIX}fakeSecretValue{}x", state.serial),
            portal_url: me.portal_url.clone(),
        })
    }

    fn revoke_now(&self, id: &str) -> Result<(), ApiError> {
        let me = self.me_now();
        let mut state = self.0.borrow_mut();
        state.revoked.push(id.to_string());
        let at = state
            .tokens
            .iter()
            .position(|t| t.id == id && (me.full_admin || t.owner.id == me.user_id))
            .ok_or(ApiError::NotFound)?;
        state.tokens.remove(at);
        Ok(())
    }
}

impl TokenApi for FakeApi {
    fn me(&self) -> ApiFuture<Me> {
        self.answer(Op::Me, || Ok(self.me_now()))
    }

    fn list(&self, query: &ListParams) -> ApiFuture<TokenList> {
        self.answer(Op::List, || self.list_now(query))
    }

    fn create(&self, name: &str) -> ApiFuture<CreatedToken> {
        self.answer(Op::Create, || self.create_now(name))
    }

    fn revoke(&self, id: &str) -> ApiFuture<()> {
        self.answer(Op::Revoke, || self.revoke_now(id))
    }
}

/// A security reader of the Contoso tenant.
pub fn reader() -> Me {
    Me {
        tenant_id: "contoso".into(),
        user_id: "u-reader".into(),
        display_name: "Rita Reader".into(),
        roles: vec![Role::SecurityReader],
        full_admin: false,
        privileges: Privileges::Read,
        portal_url: "https://contoso.eu.portal.example.net".into(),
    }
}

/// A security administrator of the Contoso tenant.
pub fn admin() -> Me {
    Me {
        tenant_id: "contoso".into(),
        user_id: "u-admin".into(),
        display_name: "Adam Admin".into(),
        roles: vec![Role::SecurityAdministrator],
        full_admin: true,
        privileges: Privileges::Full,
        portal_url: "https://contoso.eu.portal.example.net".into(),
    }
}

/// A token of `owner`.
pub fn token(
    id: &str,
    name: &str,
    owner: &Me,
    status: TokenStatus,
    last_used_at: Option<&str>,
) -> Token {
    Token {
        id: id.into(),
        name: name.into(),
        owner: Owner {
            id: owner.user_id.clone(),
            display_name: owner.display_name.clone(),
        },
        created_at: format!("2026-11-{:02}T09:30:00Z", 1 + id.len() % 20),
        last_used_at: last_used_at.map(Into::into),
        status,
        privileges: owner.privileges,
    }
}
