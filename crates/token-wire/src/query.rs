//! Query strings: percent-encoding, decoding as HTML forms do, and the acceptance rules every
//! listing shares (unknown or repeated parameters and a bad `limit` are refused by name).
//!
//! Hand-rolled so the SPA needs no URL crate: encoding keeps what `encodeURIComponent`
//! keeps; decoding follows `application/x-www-form-urlencoded` (WHATWG URL, §5.1), the rules
//! of the server's former parser (`+` is a space, a malformed `%` escape stays as written,
//! bytes that are not UTF-8 become U+FFFD).

use core::fmt;

use crate::limits::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// A query parameter refused, with the parameter to blame (the problem's `field`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// A parameter the endpoint does not take; holds its name, cut to 64 characters.
    Unknown(String),
    /// A parameter given more than once with a value.
    Repeated(&'static str),
    /// A known parameter with a value it does not accept.
    Invalid {
        field: &'static str,
        message: &'static str,
    },
}

impl ParamError {
    /// The parameter at fault.
    pub fn field(&self) -> &str {
        match self {
            ParamError::Unknown(name) => name,
            ParamError::Repeated(field) | ParamError::Invalid { field, .. } => field,
        }
    }

    /// Why, as a sentence for the problem's `detail`.
    pub const fn message(&self) -> &'static str {
        match self {
            ParamError::Unknown(_) => "Unknown query parameter.",
            ParamError::Repeated(_) => "Give this parameter at most once.",
            ParamError::Invalid { message, .. } => message,
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field(), self.message())
    }
}

impl core::error::Error for ParamError {}

/// Appends `value` to `out` percent-encoded as `encodeURIComponent` does: everything but
/// ASCII letters, digits and `-_.!~*'()` becomes `%XX` (UTF-8 bytes, upper-case hex).
pub fn encode_component(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// Decodes one name or value of a form-encoded query string.
pub fn decode_component(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let hex_at = |i: usize| {
        bytes
            .get(i)
            .and_then(|b| (*b as char).to_digit(16))
            .map(|d| d as u8)
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex_at(i + 1), hex_at(i + 2)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The decoded `(name, value)` pairs of `query` (no leading `?`), in order; empty pieces
/// between `&`s are skipped and a piece without `=` has an empty value.
pub fn decode_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (decode_component(name), decode_component(value))
        })
}

/// The values of `names` in `query`, in the order of `names`. Empty values count as absent;
/// any other name is [`ParamError::Unknown`], a second value [`ParamError::Repeated`].
pub(crate) fn known_params<const N: usize>(
    query: &str,
    names: [&'static str; N],
) -> Result<[Option<String>; N], ParamError> {
    let mut values = [const { None }; N];
    for (name, value) in decode_pairs(query) {
        let Some(at) = names.iter().position(|n| *n == name) else {
            return Err(ParamError::Unknown(name.chars().take(64).collect()));
        };
        if value.is_empty() {
            continue;
        }
        if values[at].replace(value).is_some() {
            return Err(ParamError::Repeated(names[at]));
        }
    }
    Ok(values)
}

/// `limit`: an integer from 1 to [`MAX_PAGE_SIZE`]; [`DEFAULT_PAGE_SIZE`] when absent.
pub(crate) fn parse_limit(value: Option<&str>) -> Result<u32, ParamError> {
    let Some(value) = value else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
        .ok_or(ParamError::Invalid {
            field: "limit",
            message: "Must be an integer from 1 to 100.",
        })
}

/// Appends `name=value` (value encoded) to a query string being built.
pub(crate) fn push_pair(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(name);
    out.push('=');
    encode_component(value, out);
}
