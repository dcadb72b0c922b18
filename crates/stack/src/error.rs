//! The one error type: a message saying which step failed and why.

use std::fmt;

/// Starting or stopping a piece of the stack failed.
#[derive(Debug)]
pub struct Error(String);

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    pub(crate) fn io(what: impl fmt::Display, e: std::io::Error) -> Error {
        Error(format!("{what}: {e}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// xtask reports errors as plain messages.
impl From<Error> for String {
    fn from(e: Error) -> String {
        e.0
    }
}
