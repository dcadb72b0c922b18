//! Running commands with a visible progress line.

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use crate::Result;

/// Prints one progress line, the way every step announces itself.
pub fn step(msg: impl std::fmt::Display) {
    println!("==> {msg}");
}

/// Runs `cmd` with inherited output; fails with its name if it does not exit 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

/// Runs `program args` quietly and returns its trimmed stdout, or `None` if it can't run or fails.
pub fn output<I, S>(program: impl AsRef<OsStr>, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `program arg …` for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}
