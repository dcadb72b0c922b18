//! Building a statement piece by piece with its `$n` values, and the conditions every token
//! listing shares.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use token_wire::{SortKey, SortOrder};

use super::Backend;
use super::tokens::{KeyValue, Position};

/// A value bound to a `$n` placeholder.
#[derive(Clone, Debug)]
enum Bind {
    Int(i64),
    Text(String),
}

/// SQL text and the values of its `$1`, `$2`, … in order.
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub text: String,
    binds: Vec<Bind>,
}

impl Sql {
    /// Starts with `text`.
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    /// Appends `text`.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Binds an integer; returns its placeholder.
    pub fn int(&mut self, value: i64) -> String {
        self.binds.push(Bind::Int(value));
        format!("${}", self.binds.len())
    }

    /// Binds a text; returns its placeholder.
    pub fn text(&mut self, value: &str) -> String {
        self.binds.push(Bind::Text(value.to_string()));
        format!("${}", self.binds.len())
    }

    /// `EXPLAIN QUERY PLAN` of this statement (SQLite), with the same values.
    #[cfg(test)]
    pub fn explained(&self) -> Sql {
        Sql {
            text: format!("EXPLAIN QUERY PLAN {}", self.text),
            binds: self.binds.clone(),
        }
    }

    /// The statement with its values bound.
    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for b in &self.binds {
            query = match b {
                Bind::Int(i) => query.bind(*i),
                Bind::Text(s) => query.bind(s.as_str()),
            };
        }
        query
    }
}

/// Whose listed tokens (live API tokens): a tenant's, or one owner's in it.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub tenant_id: &'a str,
    pub owner: Option<&'a str>,
}

impl Scope<'_> {
    /// `tokens t` read through the listing index of this scope, by status when `by_status`,
    /// then by `sort` (see [`listing_index`]). SQLite is told which (`INDEXED BY`): without
    /// statistics it would take the unique index of live names for one owner's tokens, and
    /// filter the status row by row; PostgreSQL chooses by its statistics.
    pub fn push_tokens(&self, sql: &mut Sql, backend: Backend, by_status: bool, sort: SortKey) {
        sql.push("tokens t");
        if backend == Backend::Sqlite {
            let index = listing_index(self.owner.is_some(), by_status, sort);
            sql.push(&format!(" INDEXED BY {index}"));
        }
    }

    /// ` WHERE …` for the listed tokens of this scope, as `t`. The literal `kind` and
    /// `revoked_at` terms are those of the listing indexes' `WHERE`, so every one applies.
    pub fn push_where(&self, sql: &mut Sql) {
        let listed = self.condition(sql);
        sql.push(&format!(" WHERE {listed}"));
    }

    /// The condition on `t` of the listed tokens of this scope.
    pub fn condition(&self, sql: &mut Sql) -> String {
        let tenant = sql.text(self.tenant_id);
        let mut listed =
            format!("t.tenant_id = {tenant} AND t.kind = 'api' AND t.revoked_at IS NULL");
        if let Some(owner) = self.owner {
            listed += &format!(" AND t.owner_id = {}", sql.text(owner));
        }
        listed
    }
}

/// The index of migration 0002 for listed tokens of a tenant (or of one owner when `owner`),
/// by stored status when `by_status`, then by `sort` and id.
pub fn listing_index(owner: bool, by_status: bool, sort: SortKey) -> &'static str {
    match (owner, by_status, sort) {
        (false, false, SortKey::CreatedAt) => "tokens_list_created",
        (false, false, SortKey::Name) => "tokens_list_name",
        (false, _, SortKey::LastUsedAt) => "tokens_list_used",
        (false, true, SortKey::CreatedAt) => "tokens_list_status_created",
        (false, true, SortKey::Name) => "tokens_list_status_name",
        (true, false, SortKey::CreatedAt) => "tokens_owner_created",
        (true, false, SortKey::Name) => "tokens_owner_name",
        (true, _, SortKey::LastUsedAt) => "tokens_owner_used",
        (true, true, SortKey::CreatedAt) => "tokens_owner_status_created",
        (true, true, SortKey::Name) => "tokens_owner_status_name",
    }
}

/// The column a listing is sorted by (then by `t.id`).
pub fn key_column(sort: SortKey) -> &'static str {
    match sort {
        SortKey::Name => "t.name",
        SortKey::CreatedAt => "t.created_at",
        SortKey::LastUsedAt => "t.last_used_sort",
    }
}

/// The value of the sort key of a row with these fields.
pub fn key_value(sort: SortKey, name: &str, created_at: i64, last_used: Option<i64>) -> KeyValue {
    match sort {
        SortKey::Name => KeyValue::Text(name.to_string()),
        SortKey::CreatedAt => KeyValue::Int(created_at),
        SortKey::LastUsedAt => KeyValue::Int(last_used.unwrap_or(-1)),
    }
}

/// ` AND …` for the rows after `after` in `sort` and `order`: a bound on the key, which an
/// index range starts from, and the row-value comparison that settles ties by id.
pub fn push_after(sql: &mut Sql, sort: SortKey, order: SortOrder, after: &Position) {
    let key = key_column(sort);
    let value = match &after.key {
        KeyValue::Int(i) => sql.int(*i),
        KeyValue::Text(s) => sql.text(s),
    };
    let id = sql.text(&after.id);
    let cmp = match order {
        SortOrder::Asc => ">",
        SortOrder::Desc => "<",
    };
    sql.push(&format!(
        " AND {key} {cmp}= {value} AND ({key}, t.id) {cmp} ({value}, {id})"
    ));
}

/// ` ORDER BY …` for `sort` and `order`, ties by id.
pub fn push_order(sql: &mut Sql, sort: SortKey, order: SortOrder) {
    let key = key_column(sort);
    let dir = match order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    };
    sql.push(&format!(" ORDER BY {key} {dir}, t.id {dir}"));
}

/// `text` as a LIKE pattern matching it anywhere, its `%`, `_` and `\` taken literally (with
/// `ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_binds() {
        let mut sql = Sql::new("SELECT 1 FROM tokens t");
        Scope {
            tenant_id: "t1",
            owner: Some("u1"),
        }
        .push_where(&mut sql);
        let after = Position {
            key: KeyValue::Text("b".into()),
            id: "i".into(),
        };
        push_after(&mut sql, SortKey::Name, SortOrder::Asc, &after);
        push_order(&mut sql, SortKey::Name, SortOrder::Asc);
        assert_eq!(
            sql.text,
            "SELECT 1 FROM tokens t WHERE t.tenant_id = $1 AND t.kind = 'api' AND \
             t.revoked_at IS NULL AND t.owner_id = $2 AND t.name >= $3 AND (t.name, t.id) > ($3, $4) \
             ORDER BY t.name ASC, t.id ASC"
        );
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(contains_pattern(r"5%_a\b"), r"%5\%\_a\\b%");
    }
}
