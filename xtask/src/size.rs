//! The release bundle's size: per file raw, gzip and brotli, and the budget `cargo xtask test`
//! holds it to (`bench/size-budget`).

use std::fmt::Write;
use std::path::Path;

use crate::{Result, compress, root};

/// How far over the budget the bundle may grow before the test fails.
const TOLERANCE_PERCENT: usize = 2;

/// One file of `dist/`.
pub struct FileSize {
    /// `wasm`, `js`, `css` or `html`.
    pub kind: &'static str,
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// Every wasm, js, css and html file at the top of `dist` (their `.br`/`.gz` copies aside),
/// by kind then name.
pub fn measure(dist: &Path) -> Result<Vec<FileSize>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => "wasm",
            Some("js") => "js",
            Some("css") => "css",
            Some("html") => "html",
            _ => continue,
        };
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        files.push(FileSize {
            kind,
            name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            raw: bytes.len(),
            gzip: compress::gzip(&bytes)?.len(),
            brotli: compress::brotli(&bytes)?.len(),
        });
    }
    files.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(files)
}

/// The figure the budget holds: brotli bytes of wasm + js + css.
pub fn budgeted(files: &[FileSize]) -> usize {
    files
        .iter()
        .filter(|f| f.kind != "html")
        .map(|f| f.brotli)
        .sum()
}

/// A Markdown table of `files` with the wasm + js + css and first-visit totals.
pub fn table(files: &[FileSize]) -> String {
    let mut out = String::from("| file | raw | gzip -9 | brotli -q 11 |\n|---|---:|---:|---:|\n");
    let mut row = |label: &str, pick: &dyn Fn(&FileSize) -> bool| {
        let sum =
            |f: fn(&FileSize) -> usize| files.iter().filter(|x| pick(x)).map(f).sum::<usize>();
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            group(sum(|f| f.raw)),
            group(sum(|f| f.gzip)),
            group(sum(|f| f.brotli))
        );
    };
    for f in files {
        row(&format!("{} `{}`", f.kind, f.name), &|x| x.name == f.name);
    }
    row("**wasm + js + css**", &|x| x.kind != "html");
    row("**all (a first visit)**", &|_| true);
    out
}

/// Checks the bundle in `dist` against `bench/size-budget`; a layer's `outcome` becomes a
/// failure when the bundle is more than 2 % over the budget.
pub fn guard<T>(dist: &Path, outcome: Result<(T, bool)>) -> Result<(T, bool)> {
    let (counts, ok) = outcome?;
    let within = check_budget(dist, &root().join("bench/size-budget")).unwrap_or_else(|e| {
        eprintln!("size budget: {e}");
        false
    });
    Ok((counts, ok && within))
}

/// Whether the bundle in `dist` is within the budget in the file `path` (+ 2 %).
fn check_budget(dist: &Path, path: &Path) -> Result<bool> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let budget =
        parse_budget(&text).ok_or_else(|| format!("{} holds no number", path.display()))?;
    let size = budgeted(&measure(dist)?);
    let limit = budget + budget * TOLERANCE_PERCENT / 100;
    let verdict = if size <= limit { "ok" } else { "OVER BUDGET" };
    println!(
        "size budget: wasm + js + css = {} B brotli; budget {} B (+{TOLERANCE_PERCENT} % = {} B): {verdict}",
        group(size),
        group(budget),
        group(limit)
    );
    if size * 100 < budget * 98 {
        println!("size budget: the bundle is smaller now; lower bench/size-budget to {size}");
    }
    Ok(size <= limit)
}

/// The first line of `text` that is neither empty nor a `#` comment, as a number.
fn parse_budget(text: &str) -> Option<usize> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?
        .replace('_', "")
        .parse()
        .ok()
}

/// `1234567` as `1,234,567`.
pub fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_budget_after_comments() {
        assert_eq!(parse_budget("# brotli bytes\n\n 292_971 \n"), Some(292_971));
        assert_eq!(parse_budget("# nothing\n"), None);
        assert_eq!(parse_budget("lots\n"), None);
    }

    #[test]
    fn the_budget_allows_two_percent() {
        let dir = std::env::temp_dir().join(format!("xtask-budget-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Bytes brotli cannot shrink: the budgeted size is a little over 10,000.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let noise: Vec<u8> = (0..10_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect();
        std::fs::write(dir.join("app_bg.wasm"), &noise).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
        let size = budgeted(&measure(&dir).unwrap());
        assert!((10_000..10_100).contains(&size), "{size}");
        let budget = dir.join("budget");
        let check = |n: usize| {
            std::fs::write(&budget, format!("# test\n{n}\n")).unwrap();
            check_budget(&dir, &budget).unwrap()
        };
        assert!(check(size));
        assert!(check(size * 100 / 102 + 1), "within 2 %");
        assert!(!check(size * 100 / 103), "more than 2 % over");
        std::fs::write(&budget, "# no number\n").unwrap();
        assert!(check_budget(&dir, &budget).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn groups_digits() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(292971), "292,971");
        assert_eq!(group(1234567), "1,234,567");
    }

    #[test]
    fn totals_leave_html_out_of_the_budget() {
        let f = |kind, name: &str, brotli| FileSize {
            kind,
            name: name.into(),
            raw: 10 * brotli,
            gzip: 2 * brotli,
            brotli,
        };
        let files = [
            f("css", "a.css", 5),
            f("html", "index.html", 7),
            f("js", "a.js", 11),
            f("wasm", "a.wasm", 100),
        ];
        assert_eq!(budgeted(&files), 116);
        let t = table(&files);
        assert!(
            t.contains("| **wasm + js + css** | 1,160 | 232 | 116 |"),
            "{t}"
        );
        assert!(
            t.contains("| **all (a first visit)** | 1,230 | 246 | 123 |"),
            "{t}"
        );
    }
}
