//! Where the wasm's bytes go: code size per function (from the module's `name` section) and
//! per crate.
//!
//! Reads the module directly instead of installing twiggy: the few sections it needs are a
//! page of code, no tool has to be built on a fresh machine, and it adds what twiggy lacks —
//! totals per crate and each crate's brotli size on its own.

use std::collections::BTreeMap;

use crate::{Result, compress};

/// One function's body.
pub struct Function {
    pub name: String,
    pub size: usize,
    body: std::ops::Range<usize>,
}

/// One crate's share of the code section.
pub struct Crate {
    pub name: String,
    pub functions: usize,
    pub size: usize,
    /// Brotli size of the crate's function bodies compressed together, without the rest.
    pub brotli: usize,
}

/// The parts of a module the breakdown reports.
pub struct Breakdown {
    pub total: usize,
    pub code: usize,
    pub data: usize,
    /// Every section other than code and data (types, imports, exports, names, …).
    pub other: usize,
    pub named: bool,
    /// Largest first.
    pub functions: Vec<Function>,
    /// Largest first.
    pub crates: Vec<Crate>,
}

/// Parses `wasm` and attributes its code to functions and crates.
pub fn analyse(wasm: &[u8]) -> Result<Breakdown> {
    let mut r = Reader {
        bytes: wasm,
        pos: 8,
    };
    if wasm.get(..4) != Some(b"\0asm".as_slice()) {
        return Err("not a WebAssembly module".into());
    }
    let (mut imported, mut code, mut data) = (0, 0, 0);
    let mut bodies = Vec::new();
    let mut names = BTreeMap::new();
    while r.pos < wasm.len() {
        let id = r.byte()?;
        let len = r.leb()? as usize;
        let end = r.pos + len;
        let mut s = Reader {
            bytes: &wasm[..end],
            pos: r.pos,
        };
        match id {
            2 => imported = count_function_imports(&mut s)?,
            10 => {
                code = end - r.pos;
                for _ in 0..s.leb()? {
                    let size = s.leb()? as usize;
                    bodies.push(s.pos..s.pos + size);
                    s.pos += size;
                }
            }
            11 => data = end - r.pos,
            0 if s.name()? == "name" => names = function_names(&mut s)?,
            _ => {}
        }
        r.pos = end;
    }
    let named = !names.is_empty();
    let mut functions: Vec<Function> = bodies
        .into_iter()
        .enumerate()
        .map(|(i, body)| Function {
            name: names
                .remove(&(imported + i as u32))
                .map_or_else(|| "(no name)".into(), |n| readable(&n)),
            size: body.len(),
            body,
        })
        .collect();
    functions.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));

    let mut by_crate: BTreeMap<String, (usize, usize, Vec<u8>)> = BTreeMap::new();
    for f in &functions {
        let e = by_crate.entry(crate_of(&f.name)).or_default();
        e.0 += 1;
        e.1 += f.size;
        e.2.extend_from_slice(&wasm[f.body.clone()]);
    }
    let mut crates = Vec::new();
    for (name, (functions, size, bytes)) in by_crate {
        crates.push(Crate {
            name,
            functions,
            size,
            brotli: compress::brotli(&bytes)?.len(),
        });
    }
    crates.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.name.cmp(&b.name)));
    Ok(Breakdown {
        total: wasm.len(),
        code,
        data,
        other: wasm.len() - code - data,
        named,
        functions,
        crates,
    })
}

/// Where inherent methods of `str`, slices and numbers are counted.
const PRIMITIVES: &str = "core/alloc (primitive types)";

/// The crate a demangled Rust name belongs to. `<T as Trait>::f` counts for `T`'s crate,
/// or for the trait's when `T` comes from the standard library or is a primitive;
/// `drop_in_place<T>` for `T`'s crate.
pub fn crate_of(name: &str) -> String {
    fn path_crate(path: &str) -> Option<&str> {
        let path = path
            .trim_start_matches(['&', '*', '[', '('])
            .trim_start_matches("mut ");
        let path = path.trim_start_matches("const ").trim_start_matches("dyn ");
        if path.starts_with('<') {
            return qualified(path);
        }
        let (first, _) = path.split_once("::")?;
        (!first.is_empty()
            && first
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(first)
    }
    fn qualified(name: &str) -> Option<&str> {
        let (mut depth, mut split) = (0usize, None);
        for (i, c) in name.char_indices() {
            match c {
                '<' => depth += 1,
                '>' => {
                    depth -= 1;
                    if depth == 0 {
                        let (ty, tr) = match split {
                            Some(a) => (&name[1..a], Some(&name[a + 4..i])),
                            None => (&name[1..i], None),
                        };
                        let ty = path_crate(ty);
                        let tr = tr.and_then(path_crate);
                        return match (ty, tr) {
                            (None, None) if split.is_none() => Some(PRIMITIVES),
                            (Some(t), Some(tr)) if is_std(t) && !is_std(tr) => Some(tr),
                            (None, tr) => tr,
                            (t, _) => t,
                        };
                    }
                }
                ' ' if depth == 1 && name[i..].starts_with(" as ") => split = Some(i),
                _ => {}
            }
        }
        None
    }
    fn is_std(c: &str) -> bool {
        matches!(c, "core" | "alloc" | "std")
    }
    // Drop glue counts for the crate of the type it drops.
    if let Some(ty) = name.strip_prefix("core::ptr::drop_in_place<") {
        let ty = ty.rsplit_once('>').map_or(ty, |(ty, _)| ty);
        if let Some(c) = path_crate(ty).filter(|c| !is_std(c)) {
            return c.to_string();
        }
    }
    match path_crate(name) {
        Some(c) => c.to_string(),
        None if name == "(no name)" => name.to_string(),
        None => "(wasm-bindgen glue, runtime and C symbols)".to_string(),
    }
}

/// `name` without what makes it unique but unreadable: the `::h<hash>` suffix of legacy
/// mangling and the `[<hash>]` crate disambiguators of v0 mangling.
pub fn readable(name: &str) -> String {
    let name = match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    };
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let close = rest[open..].find(']').map(|c| open + c);
        let hash = close.map(|c| &rest[open + 1..c]);
        out.push_str(&rest[..open]);
        match (close, hash) {
            (Some(c), Some(h)) if !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                rest = &rest[c + 1..];
            }
            _ => {
                out.push('[');
                rest = &rest[open + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn count_function_imports(s: &mut Reader) -> Result<u32> {
    let mut functions = 0;
    for _ in 0..s.leb()? {
        s.name()?;
        s.name()?;
        match s.byte()? {
            0 => {
                s.leb()?;
                functions += 1;
            }
            1 => {
                s.byte()?;
                s.limits()?;
            }
            2 => s.limits()?,
            3 => {
                s.byte()?;
                s.byte()?;
            }
            4 => {
                s.byte()?;
                s.leb()?;
            }
            k => return Err(format!("unknown import kind {k}")),
        }
    }
    Ok(functions)
}

fn function_names(s: &mut Reader) -> Result<BTreeMap<u32, String>> {
    let mut names = BTreeMap::new();
    while s.pos < s.bytes.len() {
        let id = s.byte()?;
        let len = s.leb()? as usize;
        let end = s.pos + len;
        if id == 1 {
            for _ in 0..s.leb()? {
                let index = s.leb()?;
                names.insert(index, s.name()?.to_string());
            }
        }
        s.pos = end;
    }
    Ok(names)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.pos).ok_or("truncated module")?;
        self.pos += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<u32> {
        let (mut value, mut shift) = (0u32, 0);
        loop {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f).checked_shl(shift).ok_or("bad LEB128")?;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn name(&mut self) -> Result<&'a str> {
        let len = self.leb()? as usize;
        let bytes = self
            .bytes
            .get(self.pos..self.pos + len)
            .ok_or("truncated name")?;
        self.pos += len;
        std::str::from_utf8(bytes).map_err(|e| e.to_string())
    }

    fn limits(&mut self) -> Result<()> {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 == 1 {
            self.leb()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_names_to_crates() {
        assert_eq!(
            crate_of("leptos::mount::mount_to::h0123456789abcdef"),
            "leptos"
        );
        assert_eq!(
            crate_of("<serde_json::de::Deserializer<R>>::parse_any"),
            "serde_json"
        );
        assert_eq!(
            crate_of("<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop"),
            "alloc"
        );
        assert_eq!(
            crate_of("<alloc::string::String as serde::de::Deserialize>::deserialize"),
            "serde"
        );
        assert_eq!(crate_of("<&T as core::fmt::Debug>::fmt"), "core");
        assert_eq!(crate_of("<u64 as token_wire::Thing>::go"), "token_wire");
        assert_eq!(crate_of("<str>::to_lowercase"), PRIMITIVES);
        assert_eq!(
            crate_of("core::ptr::drop_in_place<tachys::view::X<a::B>>"),
            "tachys"
        );
        assert_eq!(
            crate_of("core::ptr::drop_in_place<alloc::string::String>"),
            "core"
        );
        assert_eq!(crate_of("core::ptr::drop_in_place<(a::B,c::D)>.12"), "a");
        assert_eq!(
            crate_of("memcpy"),
            "(wasm-bindgen glue, runtime and C symbols)"
        );
        assert_eq!(readable("a::b::h0123456789abcdef"), "a::b");
        assert_eq!(readable("a::hello"), "a::hello");
        assert_eq!(
            readable("<dlmalloc[e24a27700634d609]::Dlmalloc<[u8]>>::malloc"),
            "<dlmalloc::Dlmalloc<[u8]>>::malloc"
        );
    }

    #[test]
    fn reads_function_sizes_and_names() {
        // One imported function, two bodies (3 and 5 bytes), names for index 1 and 2, 4 data bytes.
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend([1, 4, 1, 0x60, 0, 0]); // type section: () -> ()
        m.extend([2, 7, 1, 1, b'm', 1, b'f', 0, 0]); // import m.f
        m.extend([10, 11, 2, 3, 0, 0x01, 0x0b, 5, 0, 0x01, 0x01, 0x01, 0x0b]);
        m.extend([11, 4, 0, 0, 0, 0]);
        let names = [
            &[1u8, 6, b'a', b':', b':', b'f', b'u', b'n'][..],
            &[2, 3, b'b', b':', b':'],
        ]
        .concat();
        let sub = [&[2u8][..], &names].concat(); // two names
        let mut custom = vec![4, b'n', b'a', b'm', b'e', 1, sub.len() as u8];
        custom.extend(&sub);
        m.push(0);
        m.push(custom.len() as u8);
        m.extend(custom);
        let b = analyse(&m).unwrap();
        assert!(b.named);
        assert_eq!(b.code, 11);
        assert_eq!(b.data, 4);
        let f: Vec<(&str, usize)> = b
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.size))
            .collect();
        assert_eq!(f, [("b::", 5), ("a::fun", 3)]);
        let c: Vec<(&str, usize)> = b.crates.iter().map(|c| (c.name.as_str(), c.size)).collect();
        assert_eq!(c, [("b", 5), ("a", 3)]);
    }
}
