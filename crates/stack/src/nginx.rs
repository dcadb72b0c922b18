//! nginx in front of `token-api` instances, configured from `deploy/nginx.conf`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::Service;
use crate::scratch::ScratchDir;
use crate::server::wait_healthy;
use crate::{Error, Result, is_root, workspace_root};

/// How long nginx may take to answer `/healthz` (through an instance) with 200.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// How to start nginx.
#[derive(Clone, Debug)]
pub struct NginxConfig {
    /// The `nginx` binary (Debian's: `/usr/sbin/nginx`).
    pub bin: PathBuf,
    /// Port on 127.0.0.1.
    pub port: u16,
    /// The built SPA to serve, with its `config.json`.
    pub dist: PathBuf,
    /// The instances' addresses, e.g. `127.0.0.1:41234`.
    pub upstreams: Vec<String>,
    /// The headers of the SPA's HTML, as `token-api headers` prints them (see
    /// [`security_headers`](crate::security_headers)).
    pub headers: Vec<(String, String)>,
}

/// The running nginx; stopped when dropped (its folder removed after).
#[derive(Debug)]
pub struct Nginx {
    /// Its origin, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    _service: Service,
    _dir: ScratchDir,
}

impl NginxConfig {
    /// Writes the configuration into a folder of its own (the prefix: pid, temp files), starts
    /// `nginx` in the foreground and waits until `/healthz` answers 200 through it.
    pub fn start(&self) -> Result<Nginx> {
        let dir = ScratchDir::new()?;
        let deploy = workspace_root().join("deploy");
        let template = read(&deploy.join("nginx.conf"))?;
        let conf = dir.path().join("nginx.conf");
        write(&conf, &self.render(&template)?)?;
        write(
            &dir.path().join("proxy.conf"),
            &read(&deploy.join("proxy.conf"))?,
        )?;
        std::fs::create_dir_all(dir.path().join("temp"))
            .map_err(|e| Error::io(dir.path().display(), e))?;
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-p")
            .arg(dir.path())
            .args(["-e", "stderr", "-c"])
            .arg(&conf);
        let service = Service::spawn("nginx", &mut cmd)?;
        let url = format!("http://127.0.0.1:{}", self.port);
        wait_healthy(&url, READY_TIMEOUT)?;
        Ok(Nginx {
            url,
            _service: service,
            _dir: dir,
        })
    }

    /// `template` with its `@…@` placeholders filled in.
    fn render(&self, template: &str) -> Result<String> {
        if let Some((name, value)) = self.headers.iter().find(|(n, v)| {
            !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                || v.contains(['"', '$', '\\', '\n'])
        }) {
            return Err(Error::new(format!(
                "cannot put {name}: {value} in nginx.conf"
            )));
        }
        let csp = self
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-security-policy"))
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| Error::new("no Content-Security-Policy among the headers"))?;
        let others: String = self
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-security-policy"))
            .map(|(name, value)| format!("            add_header {name} \"{value}\" always;\n"))
            .collect();
        let upstreams: String = self
            .upstreams
            .iter()
            .map(|addr| format!("        server {addr} max_fails=1 fail_timeout=10s;\n"))
            .collect();
        // Workers of a master started as root would otherwise run as the missing group nobody.
        let user = if is_root() {
            "user nobody nogroup;"
        } else {
            ""
        };
        let values = [
            ("@USER@", user.to_string()),
            ("@CSP@", csp.to_string()),
            ("@UPSTREAMS@\n", upstreams),
            ("@SECURITY_HEADERS@\n", others),
            ("@LISTEN@", format!("127.0.0.1:{}", self.port)),
            ("@DIST@", self.dist.display().to_string()),
        ];
        let mut conf = template.to_string();
        for (placeholder, value) in values {
            conf = conf.replace(placeholder, &value);
        }
        match placeholder_left(&conf) {
            Some(name) => Err(Error::new(format!(
                "deploy/nginx.conf: {name} is not filled"
            ))),
            None => Ok(conf),
        }
    }
}

/// The first `@NAME@` (capitals and `_`) in `conf`.
fn placeholder_left(conf: &str) -> Option<&str> {
    conf.match_indices('@').find_map(|(at, _)| {
        let rest = &conf[at + 1..];
        let end = rest.find(|c: char| !(c.is_ascii_uppercase() || c == '_'))?;
        (end > 0 && rest[end..].starts_with('@')).then(|| &conf[at..at + end + 2])
    })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(path.display(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_gets_every_placeholder_filled() {
        let config = NginxConfig {
            bin: "nginx".into(),
            port: 8081,
            dist: "/srv/dist".into(),
            upstreams: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into()],
            headers: vec![
                ("x-frame-options".into(), "DENY".into()),
                (
                    "content-security-policy".into(),
                    "default-src 'self'".into(),
                ),
            ],
        };
        let template = read(&workspace_root().join("deploy/nginx.conf")).unwrap();
        let conf = config.render(&template).unwrap();
        assert_eq!(placeholder_left(&conf), None);
        assert_eq!(placeholder_left("a @B_C@ d"), Some("@B_C@"));
        assert!(conf.contains("listen 127.0.0.1:8081;"), "{conf}");
        assert!(conf.contains("root /srv/dist;"), "{conf}");
        assert!(conf.contains("server 127.0.0.1:2 max_fails"), "{conf}");
        assert!(conf.contains(r#"add_header x-frame-options "DENY" always;"#));
        assert!(conf.contains(r#""~^text/html" "default-src 'self'";"#));
    }
}
