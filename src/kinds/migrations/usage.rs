//! "Dropped or renamed, but still used": a second, limited read of the repository, made only when
//! a check reports `still-used` and the release drops or renames a column or table. The code at
//! the range's tip is read from git objects (not the work tree): every file the search selects
//! (code by extension; not migrations, tests, fixtures or schema dumps), up to a size limit,
//! binary files skipped, and searched for each name as a whole word (ASCII word boundaries). A
//! line that lists the name in Rails' `ignored_columns` is the safe way of dropping it, not a use.

use std::collections::BTreeMap;

use git2::{Oid, Repository};

use crate::inputs::changes::{read_blob, tree_files};
use crate::text::{excerpt, sanitize};

/// One place the code names a word.
#[derive(Debug, Clone)]
pub struct Place {
    pub path: String,
    pub line: u64,
    pub text: String,
}

/// The places, per word: the first `max` of them and how many there are.
pub type Uses = BTreeMap<String, (Vec<Place>, usize)>;

/// Searches the files of `tip` that `select` keeps (and are at most `max_size` bytes) for each
/// word. An object that cannot be read is an error (the answer would be incomplete).
pub fn search(
    repo: &Repository,
    tip: Oid,
    words: &[String],
    select: &dyn Fn(&str) -> bool,
    max_size: usize,
    max: usize,
) -> Result<Uses, String> {
    let mut uses: Uses = words.iter().map(|w| (w.clone(), (Vec::new(), 0))).collect();
    if words.is_empty() {
        return Ok(uses);
    }
    let alternatives: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    let re = regex::bytes::Regex::new(&format!(r"(?-u:\b)(?:{})(?-u:\b)", alternatives.join("|")))
        .map_err(|e| e.to_string())?;
    for (path, id, size) in tree_files(repo, tip, "")? {
        if size > max_size || !select(&path) {
            continue;
        }
        let data = read_blob(repo, id, &path)?;
        if data[..data.len().min(8000)].contains(&0) || !re.is_match(&data) {
            continue;
        }
        for (i, line) in data.split(|b| *b == b'\n').enumerate() {
            if memchr::memmem::find(line, b"ignored_columns").is_some() {
                continue;
            }
            let mut seen = Vec::new();
            for m in re.find_iter(line) {
                let w = String::from_utf8_lossy(m.as_bytes()).into_owned();
                if seen.contains(&w) {
                    continue;
                }
                seen.push(w.clone());
                if let Some((places, n)) = uses.get_mut(&w) {
                    *n += 1;
                    if places.len() < max {
                        places.push(Place {
                            path: path.clone(),
                            line: i as u64 + 1,
                            text: sanitize(&excerpt(String::from_utf8_lossy(line).trim(), 160)),
                        });
                    }
                }
            }
        }
    }
    Ok(uses)
}

/// File extensions of code that can name a column or table.
pub const CODE: &[&str] = &[
    "rb",
    "erb",
    "haml",
    "slim",
    "py",
    "js",
    "jsx",
    "ts",
    "tsx",
    "mjs",
    "cjs",
    "vue",
    "svelte",
    "go",
    "rs",
    "java",
    "kt",
    "kts",
    "scala",
    "php",
    "blade.php",
    "cs",
    "ex",
    "exs",
    "sql",
    "graphql",
    "gql",
    "prisma",
    "swift",
    "dart",
];

/// Paths never searched: tests, fixtures, generated schema dumps, dependencies.
pub const NOT_CODE: &[&str] = &[
    "test/",
    "tests/",
    "spec/",
    "__tests__/",
    "testdata/",
    "fixtures/",
    "*_test.*",
    "*.test.*",
    "*.spec.*",
    "*_spec.rb",
    "test_*.py",
    "db/schema.rb",
    "db/structure.sql",
    "node_modules/",
    "vendor/",
];
