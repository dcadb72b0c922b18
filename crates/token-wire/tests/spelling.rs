//! Every enum value has one spelling: `as_str`, `FromStr`, `Display` and serde agree.

use core::fmt::{Debug, Display};
use core::str::FromStr;

use serde::Serialize;
use token_wire::{AuditAction, Privileges, Role, SortKey, SortOrder, TokenStatus, UnknownValue};

fn one_spelling<T>(all: &[T], as_str: fn(T) -> &'static str)
where
    T: Copy + PartialEq + Debug + Display + Serialize + FromStr<Err = UnknownValue>,
{
    for &value in all {
        let text = as_str(value);
        assert_eq!(serde_json::to_value(value).unwrap(), text, "{value:?}");
        assert_eq!(text.parse::<T>(), Ok(value));
        assert_eq!(value.to_string(), text);
        assert_eq!(
            text.to_uppercase().parse::<T>(),
            Err(UnknownValue),
            "{text}"
        );
    }
    assert_eq!("".parse::<T>(), Err(UnknownValue));
    assert_eq!(" x".parse::<T>(), Err(UnknownValue));
}

#[test]
fn every_enum_has_one_spelling() {
    one_spelling(&Role::ALL, Role::as_str);
    one_spelling(&Privileges::ALL, Privileges::as_str);
    one_spelling(&TokenStatus::ALL, TokenStatus::as_str);
    one_spelling(&SortKey::ALL, SortKey::as_str);
    one_spelling(&SortOrder::ALL, SortOrder::as_str);
    one_spelling(&AuditAction::ALL, AuditAction::as_str);
}

#[test]
fn lists_keep_their_documented_order() {
    assert_eq!(Role::ALL[0], Role::GlobalAdministrator);
    assert_eq!(Role::ALL.len(), 7);
    assert_eq!(
        TokenStatus::ALL,
        [
            TokenStatus::Generated,
            TokenStatus::Active,
            TokenStatus::Inactive
        ]
    );
    assert_eq!(TokenStatus::parse("active"), Some(TokenStatus::Active));
    assert_eq!(TokenStatus::parse("Active"), None);
    assert_eq!(SortOrder::Asc.reversed(), SortOrder::Desc);
}
