//! One spelling per enum value: the same text in JSON, in query strings and in the store.
//!
//! [`wire_enum!`] declares an enum together with `ALL`, `as_str`, [`FromStr`](core::str::FromStr)
//! and [`Display`](core::fmt::Display), so the spelling of each value is written once. Serde
//! derives keep `rename_all = "snake_case"`; a test holds the two spellings equal.

use core::fmt;

/// A string that is not the spelling of any value of the enum it was parsed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownValue;

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown value")
    }
}

impl core::error::Error for UnknownValue {}

/// Declares a wire enum whose variants are spelled `Variant => "text"`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The spelling in JSON, query strings and the store.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl core::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            /// Parses the exact (case-sensitive) spelling of [`Self::as_str`].
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => Err($crate::UnknownValue),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use wire_enum;
