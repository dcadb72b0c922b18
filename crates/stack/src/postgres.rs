//! A throw-away PostgreSQL cluster (initdb + pg_ctl), removed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Error, Result, Store, free_port, is_root};

/// A cluster with trust authentication on a free port of 127.0.0.1, in a temporary folder.
#[derive(Debug)]
pub struct Postgres {
    bin: PathBuf,
    dir: PathBuf,
    url: String,
    port: u16,
    as_postgres_user: bool,
}

impl Postgres {
    /// Creates and starts a cluster with the server programs in `bin` (`initdb`, `pg_ctl`).
    pub fn start(bin: &Path) -> Result<Postgres> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("stack-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
        // initdb refuses to run as root: run the cluster as the `postgres` system user then.
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir))?;
        }
        let pg = Postgres {
            bin: bin.to_path_buf(),
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            port,
            dir,
            as_postgres_user,
        };
        let data = pg.dir.join("data");
        run(pg.command("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ]))?;
        pg.start_again()?;
        Ok(pg)
    }

    /// Stops the cluster at once (`pg_ctl stop -m immediate`), as a crash would; its data
    /// stays for [`Postgres::start_again`].
    pub fn stop(&self) -> Result<()> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-w", "-m", "immediate", "stop"]))
    }

    /// Starts the cluster (again) on its port.
    pub fn start_again(&self) -> Result<()> {
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-o")
            .arg(format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
                self.port,
                self.dir.display()
            ))
            .args(["-w", "-l"])
            .arg(self.dir.join("log"))
            .arg("start"))
    }

    /// Its connection URL, e.g. `postgres://postgres@127.0.0.1:5433/postgres`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The cluster as a server's store.
    pub fn store(&self) -> Store {
        Store::Postgres(self.url.clone())
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        cmd.stdin(Stdio::null()).stdout(Stdio::null());
        cmd
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `cmd` (its stderr shown); fails with its name unless it exits 0.
fn run(cmd: &mut Command) -> Result<()> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let status = cmd
        .status()
        .map_err(|e| Error::io(format_args!("cannot start {name}"), e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "{name} {:?} failed ({status})",
            cmd.get_args().collect::<Vec<_>>()
        )))
    }
}
