//! [`Deployment`]: the product as `deploy/` runs it — nginx serving the SPA and proxying to
//! several `token-api` instances on one PostgreSQL database — around the local provider.

use std::path::PathBuf;

use crate::nginx::{Nginx, NginxConfig};
use crate::scratch::ScratchDir;
use crate::{
    Idp, IdpConfig, Postgres, Result, Server, ServerConfig, copy_dir, free_port, security_headers,
    write_spa_config,
};

/// What to start: the provider, a throw-away PostgreSQL cluster, the instances, then nginx.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The `token-api` binary.
    pub server_bin: PathBuf,
    /// The `nginx` binary.
    pub nginx_bin: PathBuf,
    /// PostgreSQL's server programs (`initdb`, `pg_ctl`).
    pub postgres_bin: PathBuf,
    /// The built SPA; the deployment serves a copy of it with its own `config.json`.
    pub dist: PathBuf,
    /// How many `token-api` instances.
    pub instances: usize,
    /// API-token-authenticated calls per tenant and minute; the server's default when `None`.
    pub rate_limit_per_minute: Option<u32>,
}

/// A started [`Deployment`]. Dropping it stops nginx, the instances, the provider and the
/// cluster, then removes its folder.
#[derive(Debug)]
pub struct Deployed {
    /// nginx's origin, the one the SPA and API clients use.
    pub app: String,
    /// The provider's issuer URL.
    pub issuer: String,
    // Fields drop in this order: the front first, the folder last.
    _nginx: Nginx,
    servers: Vec<Option<Server>>,
    _idp: Idp,
    _postgres: Postgres,
    dir: ScratchDir,
}

impl Deployment {
    /// Starts everything, the instances one after the other (the first migrates the
    /// database), and waits until `/healthz` answers through nginx.
    pub fn start(&self) -> Result<Deployed> {
        let dir = ScratchDir::new()?;
        let port = free_port()?;
        let app = format!("http://127.0.0.1:{port}");
        let idp = IdpConfig {
            apps: vec![app.clone()],
            ..IdpConfig::default()
        }
        .start()?;
        let dist = dir.path().join("dist");
        copy_dir(&self.dist, &dist)?;
        write_spa_config(&dist, &app, &idp.issuer)?;
        let postgres = Postgres::start(&self.postgres_bin)?;
        let servers = (0..self.instances)
            .map(|_| {
                ServerConfig {
                    bin: self.server_bin.clone(),
                    port: 0,
                    store: postgres.store(),
                    issuer: idp.issuer.clone(),
                    spa_dir: Some(dist.clone()),
                    rate_limit_per_minute: self.rate_limit_per_minute,
                    directory_sync_secs: None,
                    max_tokens_per_user: None,
                }
                .start()
                .map(Some)
            })
            .collect::<Result<Vec<_>>>()?;
        let headers = security_headers(&self.server_bin, &idp.issuer, &dist)?;
        let nginx = NginxConfig {
            bin: self.nginx_bin.clone(),
            port,
            dist,
            upstreams: servers
                .iter()
                .flatten()
                .map(|s| s.url.trim_start_matches("http://").to_string())
                .collect(),
            headers,
        }
        .start()?;
        Ok(Deployed {
            app,
            issuer: idp.issuer.clone(),
            _nginx: nginx,
            servers,
            _idp: idp,
            _postgres: postgres,
            dir,
        })
    }
}

impl Deployed {
    /// `app` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app)
    }

    /// The folder nginx serves the SPA from (with its `config.json`).
    pub fn spa_dir(&self) -> PathBuf {
        self.dir.path().join("dist")
    }

    /// The origin of instance `i` (answering directly, not through nginx), while it runs.
    pub fn instance(&self, i: usize) -> Option<&str> {
        Some(self.servers.get(i)?.as_ref()?.url.as_str())
    }

    /// Stops instance `i` as a supervisor would (SIGTERM: it finishes the requests it has,
    /// then exits) and waits for it.
    pub fn stop_instance(&mut self, i: usize) {
        drop(self.servers.get_mut(i).and_then(Option::take));
    }
}
