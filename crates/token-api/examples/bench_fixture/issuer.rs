//! A loopback OpenID provider for the bench: the tests' fixture key, and access tokens of the
//! bench's admin and reader that stay valid for two hours.

#[path = "../../tests/common/directory.rs"]
#[allow(dead_code)]
mod directory;
#[path = "../../tests/common/idp.rs"]
#[allow(dead_code)]
mod idp;

use std::io::{Read, Write};

use serde_json::Value;
use time::OffsetDateTime;
use token_wire::Role;

use crate::{ADMIN, READER, Result, TENANT};

/// How long the printed access tokens stay valid.
const VALID_SECONDS: i64 = 2 * 3600;

/// Prints `issuer <url>`, `admin <jwt>` and `reader <jwt>`, then serves until stdin closes.
pub async fn run() -> Result<()> {
    let idp = idp::TestIdp::start().await;
    let token = |oid: &str, role: Role| {
        let mut claims: Value = idp.claims(TENANT, oid, &[role]);
        claims["exp"] = (OffsetDateTime::now_utc().unix_timestamp() + VALID_SECONDS).into();
        idp.sign(&claims)
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "issuer {}", idp.issuer)?;
    writeln!(out, "admin {}", token(ADMIN, Role::GlobalAdministrator))?;
    writeln!(out, "reader {}", token(READER, Role::SecurityReader))?;
    out.flush()?;
    drop(out);
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await?;
    Ok(())
}
