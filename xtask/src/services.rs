//! Starting the local OpenID provider, the token API and a throw-away PostgreSQL, and the
//! `dev` command that runs them together.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::bootstrap::{self, Needs, Tools};
use crate::cmd::{run, step};
use crate::{Result, root, spa};

/// The API identifier (access token audience) used with the local provider.
pub const AUDIENCE: &str = "api://token-api";
/// The SPA's client id at the local provider.
pub const CLIENT_ID: &str = "api-tokens-portal";

/// A child process that is stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Service {
    name: &'static str,
    child: Child,
}

impl Service {
    /// Starts `cmd`, forwards its output prefixed with `name`, and waits up to `timeout` for a
    /// stdout line starting with `ready_prefix`; returns the service and the rest of that line.
    pub fn start(
        name: &'static str,
        cmd: &mut Command,
        ready_prefix: &'static str,
        timeout: Duration,
    ) -> Result<(Service, String)> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if let Some(rest) = line.strip_prefix(ready_prefix) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest.trim().to_string());
                    }
                }
                println!("[{name}] {line}");
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                eprintln!("[{name}] {line}");
            }
        });
        let service = Service { name, child };
        match rx.recv_timeout(timeout) {
            Ok(rest) => Ok((service, rest)),
            Err(_) => Err(format!("{name} did not report '{ready_prefix}…' within {timeout:?}")),
        }
    }

    /// Asks the process to stop and waits for it (at most 10 s, then kills it).
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop in 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The cargo target folder.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// Builds the token API binary (debug profile) and returns its path.
pub fn build_server() -> Result<PathBuf> {
    step("cargo build -p token-api");
    run(Command::new("cargo").args(["build", "-p", "token-api"]).current_dir(root()))?;
    Ok(target_dir().join("debug/token-api"))
}

/// Where the SPA is served from and who signs people in.
pub struct Origins {
    pub app: String,
    pub issuer: String,
}

/// Writes the SPA's run-time configuration for the local provider into `dist`.
pub fn write_spa_config(dist: &Path, origins: &Origins) -> Result<()> {
    let config = format!(
        r#"{{
  "authority": "{issuer}",
  "client_id": "{CLIENT_ID}",
  "scopes": ["openid", "profile", "offline_access", "{AUDIENCE}/access_as_user"],
  "api_base_url": "{app}",
  "redirect_uri": "{app}/auth/callback",
  "post_logout_redirect_uri": "{app}/",
  "cache_location": "sessionStorage"
}}
"#,
        issuer = origins.issuer,
        app = origins.app,
    );
    std::fs::write(dist.join("config.json"), config).map_err(|e| format!("config.json: {e}"))
}

/// Starts the local OpenID provider for an SPA at `app` on `port`.
pub fn start_idp(app: &str, port: u16) -> Result<(Service, String)> {
    let mut cmd = Command::new("node");
    cmd.arg(root().join("dev/idp/server.mjs"))
        .env("IDP_PORT", port.to_string())
        .env("IDP_CLIENT_ID", CLIENT_ID)
        .env("IDP_REDIRECT_URIS", format!("{app}/auth/callback"))
        .env("IDP_POST_LOGOUT_REDIRECT_URIS", format!("{app}/"))
        .env("IDP_CORS_ORIGINS", app)
        .env("IDP_AUDIENCE", AUDIENCE);
    Service::start("idp", &mut cmd, "ready ", Duration::from_secs(30))
}

/// Starts the token API serving `dist` on `port`, trusting `issuer`.
pub fn start_server(bin: &Path, port: u16, issuer: &str, dist: &Path) -> Result<(Service, String)> {
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--issuer", issuer, "--audience", AUDIENCE])
        .arg("--spa-dir")
        .arg(dist)
        .args(["--portal-url-template", "https://{tenant}.eu.portal.example.net"])
        .current_dir(root());
    Service::start("token-api", &mut cmd, "listening on ", Duration::from_secs(60))
}

/// `cargo xtask dev`.
pub fn dev() -> Result<()> {
    let tools = bootstrap::all(Needs { spa: true, browser: false, idp: true, postgres: false })?;
    let dist = spa::build(&tools)?;
    let bin = build_server()?;
    let port = env_port("DEV_PORT", 8080)?;
    let idp_port = env_port("DEV_IDP_PORT", 9090)?;
    let app = format!("http://127.0.0.1:{port}");
    let (mut idp, issuer) = start_idp(&app, idp_port)?;
    write_spa_config(&dist, &Origins { app: app.clone(), issuer: issuer.clone() })?;
    let (mut server, url) = start_server(&bin, port, &issuer, &dist)?;

    let (tx, rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .map_err(|e| e.to_string())?;
    println!();
    println!("  API tokens portal: {url}/settings/security-extensions/api-tokens");
    println!("  OpenID provider:   {issuer}  (accounts: dev/idp/accounts.json, password dev-password)");
    println!("  Press Ctrl-C to stop.");
    println!();
    let _ = rx.recv();
    step("stopping");
    server.stop();
    idp.stop();
    Ok(())
}

fn env_port(var: &str, default: u16) -> Result<u16> {
    match std::env::var(var) {
        Ok(v) => v.parse().map_err(|_| format!("{var}={v} is not a port")),
        Err(_) => Ok(default),
    }
}

/// A throw-away PostgreSQL cluster on a free loopback port, removed when dropped.
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    pub url: String,
    as_postgres_user: bool,
}

impl Postgres {
    /// Creates and starts a cluster with trust authentication on 127.0.0.1.
    pub fn start(tools: &Tools) -> Result<Postgres> {
        let bin = tools.postgres_bin.clone().ok_or("PostgreSQL is not installed")?;
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("xtask-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        // initdb refuses to run as root: run the cluster as the `postgres` system user then.
        let as_postgres_user = crate::cmd::output("id", ["-u"]).as_deref() == Some("0");
        if as_postgres_user {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
        }
        let pg = Postgres { bin, dir, url: format!("postgres://postgres@127.0.0.1:{port}/postgres"), as_postgres_user };
        step(format!("PostgreSQL: throw-away cluster on 127.0.0.1:{port}"));
        let data = pg.dir.join("data");
        run(pg.command("initdb").arg("-D").arg(&data).args(["-A", "trust", "-U", "postgres", "--no-sync"]).stdout(Stdio::null()))?;
        run(pg
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
                pg.dir.display()
            ))
            .args(["-w", "-l"])
            .arg(pg.dir.join("log"))
            .arg("start")
            .stdout(Stdio::null()))?;
        Ok(pg)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
