//! A child process that announces readiness on stdout and is stopped when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use crate::{Error, Result};

/// How long a stopping process gets after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A running child process; SIGTERM (then SIGKILL) when dropped.
#[derive(Debug)]
pub(crate) struct Service {
    name: &'static str,
    child: Child,
}

impl Service {
    /// Starts `cmd`, forwards its output as `[name] line`, and waits up to `timeout` for a
    /// stdout line starting with `ready_prefix`; returns the service and the rest of that line.
    pub fn start(
        name: &'static str,
        cmd: &mut Command,
        ready_prefix: &'static str,
        timeout: Duration,
    ) -> Result<(Service, String)> {
        let (service, ready_rx) = Service::spawn_watching(name, cmd, Some(ready_prefix))?;
        match ready_rx.recv_timeout(timeout) {
            Ok(rest) => Ok((service, rest)),
            Err(RecvTimeoutError::Timeout) => Err(Error::new(format!(
                "{name} did not report '{ready_prefix}…' within {timeout:?}"
            ))),
            Err(RecvTimeoutError::Disconnected) => {
                Err(Error::new(format!("{name} exited before it was ready")))
            }
        }
    }

    /// Starts `cmd` and forwards its output as `[name] line`, without waiting for it.
    pub fn spawn(name: &'static str, cmd: &mut Command) -> Result<Service> {
        Ok(Service::spawn_watching(name, cmd, None)?.0)
    }

    /// Starts `cmd`, forwards its output, and sends the rest of its first stdout line that
    /// starts with `ready_prefix` (if one is given).
    fn spawn_watching(
        name: &'static str,
        cmd: &mut Command,
        ready_prefix: Option<&'static str>,
    ) -> Result<(Service, mpsc::Receiver<String>)> {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(format_args!("cannot start {name}"), e))?;
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut ready_tx = Some(ready_tx);
            for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
                if let Some(rest) = ready_prefix.and_then(|p| line.strip_prefix(p))
                    && let Some(tx) = ready_tx.take()
                {
                    let _ = tx.send(rest.trim().to_string());
                }
                println!("[{name}] {line}");
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                eprintln!("[{name}] {line}");
            }
        });
        Ok((Service { name, child }, ready_rx))
    }

    /// Asks the process to stop and waits for it ([`STOP_GRACE`] at most, then kills it).
    pub fn stop(&mut self) {
        if self.has_exited() {
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..STOP_GRACE.as_millis() / 100 {
            if self.has_exited() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("{} did not stop in {STOP_GRACE:?}; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}
