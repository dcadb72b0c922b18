//! [`Stack`]: the provider and the server serving the SPA, started together.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::scratch::ScratchDir;
use crate::{
    Idp, IdpConfig, Result, Server, ServerConfig, Store, copy_dir, free_port, write_spa_config,
};

/// What to start: the local OpenID provider, then `token-api serve` trusting it.
#[derive(Clone, Debug)]
pub struct Stack {
    server_bin: PathBuf,
    spa: Option<Spa>,
    store: Option<Store>,
    port: Option<u16>,
    idp_port: u16,
    access_token_ttl: Option<u32>,
    rate_limit_per_minute: Option<u32>,
    directory_sync_secs: Option<u64>,
    max_tokens_per_user: Option<u32>,
}

#[derive(Clone, Debug)]
enum Spa {
    InPlace(PathBuf),
    Copy(PathBuf),
}

impl Stack {
    /// A stack whose server is the `token-api` binary `server_bin`; everything else default:
    /// no SPA, a SQLite file of its own, free ports, the provider's and server's own limits.
    pub fn new(server_bin: impl Into<PathBuf>) -> Stack {
        Stack {
            server_bin: server_bin.into(),
            spa: None,
            store: None,
            port: None,
            idp_port: 0,
            access_token_ttl: None,
            rate_limit_per_minute: None,
            directory_sync_secs: None,
            max_tokens_per_user: None,
        }
    }

    /// Serves the built SPA in `dist`, writing its `config.json` there.
    pub fn spa(mut self, dist: impl Into<PathBuf>) -> Stack {
        self.spa = Some(Spa::InPlace(dist.into()));
        self
    }

    /// Serves a copy of the built SPA in `dist` (the stack's own, free to edit; see
    /// [`Running::spa_dir`]), leaving `dist` untouched.
    pub fn spa_copy(mut self, dist: impl Into<PathBuf>) -> Stack {
        self.spa = Some(Spa::Copy(dist.into()));
        self
    }

    /// The server's store instead of a SQLite file in the stack's own folder.
    pub fn store(mut self, store: Store) -> Stack {
        self.store = Some(store);
        self
    }

    /// The server's (and so the SPA's) port instead of a free one.
    pub fn port(mut self, port: u16) -> Stack {
        self.port = Some(port);
        self
    }

    /// The provider's port instead of a free one.
    pub fn idp_port(mut self, port: u16) -> Stack {
        self.idp_port = port;
        self
    }

    /// Access token lifetime at the provider, in seconds.
    pub fn access_token_ttl(mut self, seconds: u32) -> Stack {
        self.access_token_ttl = Some(seconds);
        self
    }

    /// Syncs roles from the provider's directory every `secs` seconds.
    pub fn directory_sync(mut self, secs: u64) -> Stack {
        self.directory_sync_secs = Some(secs);
        self
    }

    /// API-token-authenticated calls the server allows per tenant and minute.
    pub fn rate_limit_per_minute(mut self, calls: u32) -> Stack {
        self.rate_limit_per_minute = Some(calls);
        self
    }

    /// Live API tokens the server allows per user.
    pub fn max_tokens_per_user(mut self, cap: u32) -> Stack {
        self.max_tokens_per_user = Some(cap);
        self
    }

    /// Starts the provider, writes the SPA's `config.json`, starts the server and waits until
    /// its `/healthz` answers 200.
    pub fn start(self) -> Result<Running> {
        let dir = ScratchDir::new()?;
        let port = match self.port {
            Some(port) => port,
            None => free_port()?,
        };
        let app = format!("http://127.0.0.1:{port}");
        let idp = IdpConfig {
            apps: vec![app.clone()],
            port: self.idp_port,
            access_token_ttl: self.access_token_ttl,
        }
        .start()?;
        let spa_dir = match self.spa {
            None => None,
            Some(Spa::InPlace(dist)) => Some(dist),
            Some(Spa::Copy(dist)) => {
                let copy = dir.path().join("dist");
                copy_dir(&dist, &copy)?;
                Some(copy)
            }
        };
        if let Some(dist) = &spa_dir {
            write_spa_config(dist, &app, &idp.issuer)?;
        }
        let server = ServerConfig {
            bin: self.server_bin,
            port,
            store: self
                .store
                .unwrap_or_else(|| Store::Sqlite(dir.path().join("tokens.db"))),
            issuer: idp.issuer.clone(),
            spa_dir: spa_dir.clone(),
            rate_limit_per_minute: self.rate_limit_per_minute,
            directory_sync_secs: self.directory_sync_secs,
            max_tokens_per_user: self.max_tokens_per_user,
        }
        .start()?;
        Ok(Running {
            app,
            issuer: idp.issuer.clone(),
            spa_dir,
            server,
            _idp: idp,
            dir,
        })
    }
}

/// A started [`Stack`]. Dropping it stops the server, then the provider, then removes the
/// stack's own folder.
#[derive(Debug)]
pub struct Running {
    /// Origin of the SPA and the API, e.g. `http://127.0.0.1:41234`.
    pub app: String,
    /// The provider's issuer URL.
    pub issuer: String,
    spa_dir: Option<PathBuf>,
    // Fields drop in this order: the server before the provider, the folder last.
    server: Server,
    _idp: Idp,
    dir: ScratchDir,
}

impl Running {
    /// `app` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app)
    }

    /// The folder the SPA is served from (with its `config.json`), if one is served.
    pub fn spa_dir(&self) -> Option<&Path> {
        self.spa_dir.as_deref()
    }

    /// The server's `--database-url`.
    pub fn database_url(&self) -> &str {
        self.server.database_url()
    }

    /// Runs `token-api ARGS…` against the server's store (e.g. `users deprovision …`).
    pub fn token_api(&self, args: &[&str]) -> Result<Output> {
        self.server.cli(args)
    }

    /// The stack's own folder (its default SQLite file, its copy of the SPA).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}
