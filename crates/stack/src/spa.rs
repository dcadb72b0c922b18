//! The SPA's run-time configuration (`config.json`) for the local provider.

use std::path::Path;

use crate::idp::{AUDIENCE, CLIENT_ID};
use crate::{Error, Result};

/// Writes `dist/config.json`: sign in at `issuer`, call the API at `app` (the SPA's origin).
pub fn write_config(dist: &Path, app: &str, issuer: &str) -> Result<()> {
    let [
        issuer,
        client_id,
        api_scope,
        app,
        redirect_uri,
        post_logout_redirect_uri,
    ] = [
        issuer,
        CLIENT_ID,
        &format!("{AUDIENCE}/access_as_user"),
        app,
        &format!("{app}/auth/callback"),
        &format!("{app}/"),
    ]
    .map(json_string);
    let config = format!(
        r#"{{
  "authority": {issuer},
  "client_id": {client_id},
  "scopes": ["openid", "profile", "offline_access", {api_scope}],
  "api_base_url": {app},
  "redirect_uri": {redirect_uri},
  "post_logout_redirect_uri": {post_logout_redirect_uri},
  "cache_location": "sessionStorage"
}}
"#
    );
    let path = dist.join("config.json");
    std::fs::write(&path, config).map_err(|e| Error::io(path.display(), e))
}

/// Copies the folder `from` (a built SPA) to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to.display(), e))?;
    let entries = std::fs::read_dir(from).map_err(|e| Error::io(from.display(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(from.display(), e))?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| Error::io(target.display(), e))?;
        }
    }
    Ok(())
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_points_the_spa_at_the_provider_and_the_api() {
        let dir = crate::scratch::ScratchDir::new().unwrap();
        write_config(dir.path(), "http://127.0.0.1:8080", "http://127.0.0.1:9090").unwrap();
        let text = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
        assert!(
            text.contains(r#""authority": "http://127.0.0.1:9090","#),
            "{text}"
        );
        assert!(
            text.contains(r#""client_id": "api-tokens-portal","#),
            "{text}"
        );
        assert!(
            text.contains(r#""api://token-api/access_as_user"]"#),
            "{text}"
        );
        assert!(
            text.contains(r#""redirect_uri": "http://127.0.0.1:8080/auth/callback","#),
            "{text}"
        );
        assert!(
            text.contains(r#""post_logout_redirect_uri": "http://127.0.0.1:8080/","#),
            "{text}"
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(json_string("\n"), r#""\u000a""#);
    }
}
