//! A small blocking WebDriver client for the browser benchmark: headless Chromium driven by
//! chromedriver over plain HTTP on 127.0.0.1, plus chromedriver's door to the DevTools
//! protocol (to run a script in every new page before the page's own).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::Result;

/// A WebDriver session in a headless Chromium with a fresh profile; ended when dropped.
pub struct Session {
    port: u16,
    id: String,
    driver: Child,
    profile: std::path::PathBuf,
}

impl Session {
    /// Starts `chromedriver` and a 1280×900 headless Chromium window.
    pub fn start(chromedriver: &Path) -> Result<Session> {
        let port = stack::free_port().map_err(String::from)?;
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromedriver.display()))?;
        let profile = std::env::temp_dir().join(format!("xtask-bench-profile-{port}"));
        let mut session = Session {
            port,
            id: String::new(),
            driver,
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not listen within 10 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Seeding 10,000 API tokens runs as one script: give scripts minutes, not 30 s.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "timeouts": { "script": 600_000, "pageLoad": 60_000 },
            "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,900",
                format!("--user-data-dir={}", session.profile.display())],
        }}}});
        let answer = session.call("POST", "/session", Some(caps))?;
        session.id = answer["value"]["sessionId"]
            .as_str()
            .ok_or("no WebDriver session id")?
            .to_string();
        Ok(session)
    }

    /// Opens `url` and waits for its load event.
    pub fn goto(&self, url: &str) -> Result<()> {
        self.command("POST", "url", json!({ "url": url }))
            .map(|_| ())
    }

    /// Runs `script` (a function body; a returned promise is awaited) with `args`.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.command(
            "POST",
            "execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Calls the DevTools protocol method `method` with `params`.
    pub fn devtools(&self, method: &str, params: Value) -> Result<Value> {
        self.command(
            "POST",
            "goog/cdp/execute",
            json!({ "cmd": method, "params": params }),
        )
    }

    /// Polls `script` until it returns something other than `null`, for at most `timeout`.
    pub fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.execute(script, vec![])?;
            if !value.is_null() {
                return Ok(value);
            }
            if Instant::now() > deadline {
                let url = self.command("GET", "url", Value::Null).unwrap_or_default();
                return Err(format!("{what}: not within {timeout:?} (at {url})"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn command(&self, method: &str, path: &str, body: Value) -> Result<Value> {
        let body = (method == "POST").then_some(body);
        let answer = self.call(method, &format!("/session/{}/{path}", self.id), body)?;
        Ok(answer["value"].clone())
    }

    /// One request to chromedriver; WebDriver errors become `Err`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .map_err(|e| e.to_string())?;
        let (head, payload) = read_answer(&mut stream)?;
        let value: Value = serde_json::from_str(&payload)
            .map_err(|e| format!("chromedriver answered {head:.40}… with no JSON: {e}"))?;
        match value["value"]["error"].as_str() {
            Some(error) => Err(format!(
                "WebDriver {method} {path}: {error}: {}",
                value["value"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
            )),
            None => Ok(value),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.id.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.id), None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Reads one HTTP answer: its head, and its body (by `Content-Length`, chunked, or to the end).
fn read_answer(stream: &mut TcpStream) -> Result<(String, String)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut head_end = None;
    loop {
        if let Some(end) = head_end {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let body = &raw[end + 4..];
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let complete = match length {
                Some(n) => body.len() >= n,
                None if head.contains("transfer-encoding: chunked") => body.ends_with(b"0\r\n\r\n"),
                None => false,
            };
            if complete {
                break;
            }
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        head_end = head_end.or_else(|| raw.windows(4).position(|w| w == b"\r\n\r\n"));
    }
    let end = head_end.ok_or("a malformed HTTP answer")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let body = String::from_utf8_lossy(&raw[end + 4..]).into_owned();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&body)
    } else {
        body
    };
    Ok((head, body))
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        s = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins_chunks() {
        assert_eq!(
            super::dechunk("4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n"),
            "{\"a\":1}"
        );
    }
}
