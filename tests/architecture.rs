//! The shape of the code, kept by tests (ARCHITECTURE.md's invariants): no function in `src/` is
//! over 150 lines; no library module imports the command line; every kind is registered and its
//! type is named in its own module and the registry only; inputs never import kinds.

use std::path::{Path, PathBuf};

fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Lines of every `fn` body (from the `fn` line to its closing brace), with strings and comments
/// skipped when matching braces.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(pos) = text[search..].find("fn ") {
        let at = search + pos;
        search = at + 3;
        let before = text[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[line_start..at];
        if line.trim_start().starts_with("//") || line.contains('"') {
            continue;
        }
        let name: String = text[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        // The body: the first `{` before any `;` at depth 0.
        let mut i = at;
        let mut paren = 0i32;
        let open = loop {
            if i >= bytes.len() {
                break None;
            }
            match bytes[i] {
                b'(' | b'<' | b'[' => paren += 1,
                b')' | b'>' | b']' => paren -= 1,
                b';' if paren <= 0 => break None,
                b'{' if paren <= 0 => break Some(i),
                _ => {}
            }
            i += 1;
        };
        let Some(open) = open else { continue };
        let close = matching_brace(bytes, open);
        let first = text[..at].matches('\n').count() + 1;
        let last = text[..close].matches('\n').count() + 1;
        out.push((name, first, last - first + 1));
    }
    out
}

fn matching_brace(b: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'r' if b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"') => {
                // A raw string r"…" or r#"…"#: no escapes, ends at `"` and as many `#`.
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= b.len() {
                        break;
                    }
                    if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                        j += hashes;
                        break;
                    }
                    j += 1;
                }
                i = j;
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'\'' if b.get(i + 2) == Some(&b'\'') || (b.get(i + 1) == Some(&b'\\')) => {
                // a char literal: skip it
                i += if b.get(i + 1) == Some(&b'\\') { 3 } else { 2 };
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[test]
fn no_function_is_over_150_lines() {
    let mut long = Vec::new();
    for (file, text) in sources() {
        for (name, line, len) in functions(&text) {
            if len > 150 {
                long.push(format!("{file}:{line} fn {name}: {len} lines"));
            }
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn only_the_command_layer_imports_the_command_line() {
    let layer = ["src/main.rs", "src/lib.rs", "src/cli.rs"];
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(f, _)| !layer.contains(&f.as_str()) && !f.starts_with("src/commands/"))
        .filter(|(_, t)| t.contains("crate::cli") || t.contains("crate::commands"))
        .map(|(f, _)| f)
        .collect();
    assert!(
        offenders.is_empty(),
        "{offenders:?} import the command line"
    );
}

#[test]
fn inputs_do_not_import_kinds() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(f, t)| f.starts_with("src/inputs/") && t.contains("crate::kinds"))
        .map(|(f, _)| f)
        .collect();
    assert!(offenders.is_empty(), "{offenders:?} import kinds");
}

/// (module, type, variant) of each line of `for_each_kind!`.
fn registry(mod_rs: &str) -> Vec<(String, String, String)> {
    let start = mod_rs.find("macro_rules! for_each_kind").unwrap();
    let end = start
        + mod_rs[start..]
            .find("pub(crate) use for_each_kind")
            .unwrap();
    mod_rs[start..end]
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (variant, rest) = l.split_once(": ")?.1.split_once('(')?;
            let path = rest.strip_prefix("$crate::kinds::")?.trim_end_matches("),");
            let (module, ty) = path.split_once("::")?;
            Some((module.to_string(), ty.to_string(), variant.to_string()))
        })
        .collect()
}

#[test]
fn every_kind_is_registered_and_named_only_in_its_module_and_the_registry() {
    let src = sources();
    let mod_rs = &src.iter().find(|(f, _)| f == "src/kinds/mod.rs").unwrap().1;
    let kinds = registry(mod_rs);
    assert!(kinds.len() >= 10, "the registry was not read: {kinds:?}");
    for (file, text) in &src {
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("impl Kind for ") else {
                continue;
            };
            let ty = rest.trim_end_matches(" {").trim();
            assert!(
                kinds
                    .iter()
                    .any(|(m, t, _)| t == ty && file == &format!("src/kinds/{m}.rs")),
                "{file}: `impl Kind for {ty}` has no line in for_each_kind! (src/kinds/mod.rs)"
            );
        }
    }
    for (module, ty, variant) in &kinds {
        let own = format!("src/kinds/{module}.rs");
        for (file, text) in &src {
            if *file == own || file == "src/kinds/mod.rs" {
                continue;
            }
            for needle in [format!("{module}::{ty}"), format!("Spec::{variant}(")] {
                let named = text.match_indices(&needle).any(|(i, _)| {
                    let after = text[i + needle.len()..].chars().next();
                    let before = text[..i].chars().last();
                    !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                assert!(
                    !named,
                    "{file} names `{needle}`: a kind's type belongs to its module and the registry"
                );
            }
        }
    }
}
