//! The bench fixture's processes seen from `cargo xtask bench server`: its one-shot commands,
//! its loopback OpenID provider, and plain HTTP/1.1 `GET`s to the server under test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::Result;

/// Runs the fixture with `args` and returns its trimmed stdout.
pub fn fixture_output(fixture: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(fixture)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {}: {e}", fixture.display()))?;
    if !out.status.success() {
        return Err(format!("bench_fixture {args:?} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The fixture's loopback OpenID provider; stops when dropped (its stdin closes).
pub struct Issuer {
    pub url: String,
    pub admin: String,
    pub reader: String,
    _stdin: ChildStdin,
    child: Child,
}

impl Issuer {
    pub fn start(fixture: &Path) -> Result<Issuer> {
        let mut child = Command::new(fixture)
            .arg("issuer")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", fixture.display()))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let mut next = |key: &str| -> Result<String> {
            let line = lines
                .next()
                .and_then(|l| l.ok())
                .ok_or("the bench issuer stopped early")?;
            line.strip_prefix(key)
                .map(|v| v.trim().to_string())
                .ok_or_else(|| format!("the bench issuer said {line:?}, expected {key}…"))
        };
        Ok(Issuer {
            url: next("issuer ")?,
            admin: next("admin ")?,
            reader: next("reader ")?,
            _stdin: stdin,
            child,
        })
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `base` (`http://host:port`) over HTTP/1.1; the status and the JSON body
/// (`Null` when it is not JSON).
pub fn get(base: &str, path: &str, authorization: Option<&str>) -> Result<(u16, Value)> {
    let addr = base.strip_prefix("http://").unwrap_or(base);
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    let auth = authorization.map_or(String::new(), |a| format!("Authorization: {a}\r\n"));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {path}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {path}: no HTTP status in {head:?}"))?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}
