//! Installs what the commands need, idempotently and at pinned versions.
//!
//! Every step prints one line and skips itself when the right version is already there.
//! Tools come from crates.io (built here), the npm registry, Debian's packages, or rustup (the
//! wasm target and the bundle's pinned nightly); no other prebuilt binary is downloaded.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{output, run, step};
use crate::{Result, root, spa};

/// Trunk's pinned version (0.22 needs a newer rustc than this machine's).
const TRUNK_VERSION: &str = "0.21.14";
/// binaryen's wasm-opt from the npm registry. Debian's binaryen 108 emits a module that
/// validates but fails at run time on current Rust output, so it must never be picked up.
const BINARYEN_NPM_VERSION: &str = "132.0.0";
const WASM_OPT_VERSION: &str = "132";

/// schemathesis, from PyPI into its own virtual environment: the `api-fuzz` test layer.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

/// Debian's nginx and the module `deploy/nginx.conf` loads.
const NGINX: &str = "/usr/sbin/nginx";
const NGINX_BROTLI_STATIC: &str = "/usr/lib/nginx/modules/ngx_http_brotli_static_module.so";

/// What a command needs installed.
#[derive(Clone, Copy)]
pub struct Needs {
    pub spa: bool,
    pub browser: bool,
    pub idp: bool,
    pub postgres: bool,
    /// Debian's `wrk`, the load generator of `cargo xtask bench server`.
    pub load: bool,
    /// Debian's `nginx` with its brotli_static module, the front of `deploy/`.
    pub nginx: bool,
    /// schemathesis, the schema-driven fuzzer of the `api-fuzz` layer.
    pub fuzz: bool,
}

impl Needs {
    pub fn everything() -> Needs {
        Needs { spa: true, browser: true, idp: true, postgres: true, load: true, nginx: true, fuzz: true }
    }
    pub fn spa() -> Needs {
        Needs { spa: true, browser: false, idp: false, postgres: false, load: false, nginx: false, fuzz: false }
    }
}

/// Where the installed tools are.
pub struct Tools {
    /// `PATH` with the pinned tools first.
    pub path: OsString,
    pub chromedriver: PathBuf,
    pub postgres_bin: Option<PathBuf>,
    pub nginx: Option<PathBuf>,
    /// schemathesis' `st`.
    pub schemathesis: Option<PathBuf>,
}

impl Tools {
    /// A command that finds the pinned tools first on `PATH`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("PATH", &self.path);
        cmd
    }
}

/// Installs everything `needs` asks for and returns where it is.
pub fn all(needs: Needs) -> Result<Tools> {
    let cargo_bin = cargo_home().join("bin");
    let binaryen_bin = cache_dir().join(format!("binaryen-{BINARYEN_NPM_VERSION}/node_modules/.bin"));
    let mut dirs = vec![binaryen_bin.clone(), cargo_bin];
    dirs.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    let path = std::env::join_paths(dirs).map_err(|e| e.to_string())?;

    let mut apt = Apt::default();
    if needs.spa || needs.browser {
        wasm_target()?;
        wasm_bindgen()?;
    }
    if needs.spa {
        nightly()?;
        trunk()?;
        wasm_opt(&binaryen_bin)?;
    }
    if needs.browser {
        apt.ensure("chromium", &["chromium", "chromium-driver"], || {
            Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists()
        })?;
    }
    if needs.idp {
        idp_packages()?;
    }
    if needs.load {
        apt.ensure("wrk", &["wrk"], || Path::new("/usr/bin/wrk").exists())?;
    }
    let nginx = if needs.nginx {
        let packages = ["nginx", "libnginx-mod-http-brotli-static"];
        apt.ensure("nginx", &packages, || {
            Path::new(NGINX).exists() && Path::new(NGINX_BROTLI_STATIC).exists()
        })?;
        Some(PathBuf::from(NGINX))
    } else {
        None
    };
    let postgres_bin = if needs.postgres {
        apt.ensure("PostgreSQL", &["postgresql"], || postgres_bin().is_some())?;
        postgres_bin()
    } else {
        None
    };
    let schemathesis = if needs.fuzz { Some(schemathesis()?) } else { None };
    Ok(Tools {
        path,
        chromedriver: PathBuf::from("/usr/bin/chromedriver"),
        postgres_bin,
        nginx,
        schemathesis,
    })
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cargo"))
}

fn home() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"))
}

/// Tool cache shared by every clone on this machine, so a fresh clone installs nothing twice.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache"))
        .join("api-tokens-portal")
}

fn wasm_target() -> Result<()> {
    let installed = output("rustup", ["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        step("wasm32-unknown-unknown target: installed");
        return Ok(());
    }
    step("wasm32-unknown-unknown target: installing (rustup)");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The release bundle's pinned nightly ([`spa::NIGHTLY`]) with `rust-src` (for `build-std`)
/// and the wasm target; only what is missing is added.
fn nightly() -> Result<()> {
    let toolchain = spa::NIGHTLY;
    let what = format!("{toolchain} with rust-src and wasm32-unknown-unknown");
    let toolchains = output("rustup", ["toolchain", "list"]).unwrap_or_default();
    let present = toolchains
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .any(|name| name == toolchain || name.starts_with(&format!("{toolchain}-")));
    if !present {
        step(format!("{what}: installing (rustup, minimal profile)"));
        return run(Command::new("rustup")
            .args(["toolchain", "install", toolchain, "--profile", "minimal"])
            .args(["-c", "rust-src", "-t", "wasm32-unknown-unknown"]));
    }
    let installed = |list: &str, item: &str| {
        output("rustup", [list, "list", "--installed", "--toolchain", toolchain])
            .is_some_and(|out| out.lines().any(|l| l.trim().starts_with(item)))
    };
    if !installed("component", "rust-src") {
        step(format!("{toolchain} rust-src: installing (rustup)"));
        run(Command::new("rustup").args(["component", "add", "rust-src", "--toolchain", toolchain]))?;
    }
    if !installed("target", "wasm32-unknown-unknown") {
        step(format!("{toolchain} wasm32-unknown-unknown target: installing (rustup)"));
        run(Command::new("rustup")
            .args(["target", "add", "wasm32-unknown-unknown", "--toolchain", toolchain]))?;
    }
    step(format!("{what}: installed"));
    Ok(())
}

fn trunk() -> Result<()> {
    let want = format!("trunk {TRUNK_VERSION}");
    if cargo_tool_version("trunk").as_deref() == Some(want.as_str()) {
        step(format!("{want}: installed"));
        return Ok(());
    }
    step(format!("{want}: installing (cargo install --locked; about 25 min on 2 cores)"));
    run(Command::new("cargo").args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// The `wasm-bindgen` version locked in Cargo.lock; Trunk.toml must pin the same one.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

fn wasm_bindgen() -> Result<()> {
    let version = locked_wasm_bindgen()?;
    let trunk_toml = std::fs::read_to_string(root().join("Trunk.toml")).map_err(|e| e.to_string())?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{version}\"")) {
        return Err(format!(
            "Trunk.toml must pin wasm_bindgen = \"{version}\", the version in Cargo.lock"
        ));
    }
    let want = format!("wasm-bindgen {version}");
    let have = cargo_tool_version("wasm-bindgen");
    let runner = cargo_tool_version("wasm-bindgen-test-runner");
    if have.as_deref() == Some(want.as_str())
        && runner.as_deref().is_some_and(|r| r.ends_with(&version))
    {
        step(format!("wasm-bindgen-cli {version}: installed"));
        return Ok(());
    }
    // Not --locked: the CLI's own lockfile wants a crate version this registry lacks.
    step(format!("wasm-bindgen-cli {version}: installing (cargo install; about 6 min)"));
    run(Command::new("cargo").args(["install", "--force", "wasm-bindgen-cli", "--version", &version]))
}

fn cargo_tool_version(tool: &str) -> Option<String> {
    output(cargo_home().join("bin").join(tool), ["--version"])
}

fn wasm_opt(bin: &Path) -> Result<()> {
    let want = format!("wasm-opt version {WASM_OPT_VERSION}");
    let have = output(bin.join("wasm-opt"), ["--version"]);
    if have.as_deref().is_some_and(|v| v.starts_with(&want)) {
        step(format!("{want} (npm binaryen@{BINARYEN_NPM_VERSION}): installed"));
        return Ok(());
    }
    step(format!("{want}: installing npm binaryen@{BINARYEN_NPM_VERSION}"));
    let dir = bin.parent().and_then(Path::parent).ok_or("bad binaryen dir")?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(dir)
        .arg(format!("binaryen@{BINARYEN_NPM_VERSION}")))
}

/// `npm ci` for the local OpenID provider, re-run whenever its lockfile changes.
/// schemathesis at its pinned version in a virtual environment of the tool cache.
fn schemathesis() -> Result<PathBuf> {
    let venv = cache_dir().join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    let st = venv.join("bin/st");
    let want = format!("schemathesis {SCHEMATHESIS_VERSION}");
    if st.exists() {
        step(format!("{want}: installed"));
        return Ok(st);
    }
    step(format!("{want}: installing from PyPI"));
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={SCHEMATHESIS_VERSION}"),
    ]))?;
    Ok(st)
}

fn idp_packages() -> Result<()> {
    let dir = root().join("dev/idp");
    let lock = std::fs::read(dir.join("package-lock.json"))
        .map_err(|e| format!("dev/idp/package-lock.json: {e}"))?;
    let stamp_path = dir.join("node_modules/.xtask-lock-stamp");
    let stamp = format!("{:x}", fnv1a(&lock));
    if std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str()) {
        step("dev/idp npm packages: installed");
        return Ok(());
    }
    step("dev/idp npm packages: installing (npm ci)");
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&dir))?;
    std::fs::write(stamp_path, stamp).map_err(|e| e.to_string())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100000001b3))
}

/// The newest PostgreSQL server binaries installed from Debian, if any.
fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// Debian packages, with `apt-get update` run at most once.
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn ensure(&mut self, what: &str, packages: &[&str], present: impl Fn() -> bool) -> Result<()> {
        if present() {
            step(format!("{what}: installed"));
            return Ok(());
        }
        step(format!("{what}: installing {} (apt-get)", packages.join(" ")));
        if !self.updated {
            run(apt_command().arg("update"))?;
            self.updated = true;
        }
        run(apt_command().args(["install", "-y"]).args(packages))?;
        if present() { Ok(()) } else { Err(format!("{what} is still missing after apt-get install")) }
    }
}

fn apt_command() -> Command {
    let is_root = output("id", ["-u"]).as_deref() == Some("0");
    let mut cmd = if is_root {
        Command::new("apt-get")
    } else {
        let mut c = Command::new("sudo");
        c.arg("apt-get");
        c
    };
    cmd.env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}
