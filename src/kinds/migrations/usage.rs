//! "Dropped or renamed, but still used": a second, limited read of the repository, made only when
//! a check reports `still-used` and the release drops or renames a column or table. The code at
//! the range's tip is read from git objects (not the work tree): every file the search selects
//! (code by extension; not migrations, tests, fixtures or schema dumps), up to a size limit,
//! binary files skipped, and searched for each name as a whole word (ASCII word boundaries). A
//! line that lists the name in Rails' `ignored_columns` is the safe way of dropping it, not a use.
//! A column's name counts only where its table is named too, in any of its spellings
//! (`website_events`, `website_event`, `WebsiteEvent`, `websiteEvents`): on the line itself
//! (`board.slug`), in the file's name (`app/models/user.rb`, `users_controller.rb`), or in a Prisma
//! schema, the model of that table. `slug` dropped from `board` is not used by the `slug` of
//! `share`.

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

/// A word to look for, and for a column the spellings of its table that must be named with it.
#[derive(Debug, Clone)]
pub struct Needle {
    pub word: String,
    pub table: Vec<String>,
}

impl Needle {
    /// `column` of `table` (schema prefix dropped), or a table's own name (`table: None`).
    pub fn new(word: &str, table: Option<&str>) -> Self {
        Needle {
            word: word.to_string(),
            table: table.map(spellings).unwrap_or_default(),
        }
    }
}

/// The ways code spells a table: as is, singular or plural, and camel/Pascal case of both.
pub fn spellings(table: &str) -> Vec<String> {
    let t = table.rsplit('.').next().unwrap_or(table).trim_matches('"');
    let mut forms = vec![t.to_string()];
    if let Some(s) = t.strip_suffix("ies") {
        forms.push(format!("{s}y"));
    } else if let Some(s) = t.strip_suffix('s') {
        forms.push(s.to_string());
    } else if let Some(s) = t.strip_suffix('y') {
        forms.push(format!("{s}ies"));
    } else {
        forms.push(format!("{t}s"));
    }
    let cased: Vec<String> = forms
        .iter()
        .flat_map(|f| {
            let pascal: String = f
                .split('_')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let mut c = p.chars();
                    c.next()
                        .map(|h| h.to_uppercase().chain(c).collect::<String>())
                        .unwrap_or_default()
                })
                .collect();
            let mut camel = pascal.clone();
            if let Some(h) = camel.get(..1) {
                camel = h.to_lowercase() + &camel[1..];
            }
            [pascal, camel]
        })
        .collect();
    forms.extend(cased);
    forms.sort();
    forms.dedup();
    forms
}

/// For each line of a Prisma schema, the table of the model it is in (`@@map("t")`, else the
/// model's name); `None` outside models.
fn prisma_tables(data: &[u8]) -> Vec<Option<String>> {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = vec![None; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_start();
        let Some(name) = l
            .strip_prefix("model ")
            .and_then(|r| r.split_whitespace().next())
        else {
            i += 1;
            continue;
        };
        let end = (i..lines.len())
            .find(|&k| lines[k].trim_start().starts_with('}'))
            .unwrap_or(lines.len() - 1);
        let mapped = lines[i..=end].iter().find_map(|l| {
            let r = l.trim_start().strip_prefix("@@map(")?;
            Some(
                r.trim_start_matches(['"', ' '])
                    .split('"')
                    .next()?
                    .to_string(),
            )
        });
        let table = mapped.unwrap_or_else(|| name.to_string());
        for slot in &mut out[i..=end] {
            *slot = Some(table.clone());
        }
        i = end + 1;
    }
    out
}

/// Whether the place names the table (one of `forms`): in a Prisma schema, the model around the
/// line is the table's; elsewhere the line names the table (`board.slug`), or the file's path does
/// (`app/models/user.rb`, `Board.tsx`: code about that table).
fn in_context(
    forms: &[String],
    path: &str,
    text: &[u8],
    prisma: Option<&[Option<String>]>,
    line: usize,
) -> bool {
    if forms.is_empty() {
        return true;
    }
    if let Some(models) = prisma {
        return models
            .get(line)
            .and_then(|t| t.as_deref())
            .is_some_and(|t| forms.iter().any(|f| f == t));
    }
    about_table(forms, path)
        || forms.iter().any(|f| {
            regex::bytes::Regex::new(&format!(r"(?-u:\b){}(?-u:\b)", regex::escape(f)))
                .is_ok_and(|re| re.is_match(text))
        })
}

/// Suffixes of files about one model: `users_controller.rb`, `UserSerializer.ts`.
const MODEL_FILE_SUFFIXES: &[&str] = &[
    "controller",
    "controllers",
    "serializer",
    "model",
    "schema",
    "type",
    "types",
    "dto",
    "entity",
    "repository",
    "service",
    "policy",
    "form",
    "resource",
    "admin",
    "record",
];

/// Whether the file is about the table by its name: its stem is the table (singular or plural,
/// any case), optionally followed by one conventional suffix (`user.rb`, `users_controller.rb`,
/// `Board.tsx`, `BoardSerializer.ts`; not `BoardSharesTable.tsx`).
fn about_table(forms: &[String], path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    let stem = words(stem);
    forms.iter().any(|f| {
        let t = words(f);
        stem.len() >= t.len()
            && stem[..t.len()] == t[..]
            && match &stem[t.len()..] {
                [] => true,
                [suffix] => MODEL_FILE_SUFFIXES.contains(&suffix.as_str()),
                _ => false,
            }
    })
}

/// A path's words, lower case: split at punctuation and at camel-case humps
/// (`src/BoardProvider.tsx` → src, board, provider, tsx).
fn words(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in path.chars() {
        let boundary = !ch.is_ascii_alphanumeric() || (ch.is_ascii_uppercase() && prev_lower);
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if ch.is_ascii_alphanumeric() {
            cur.push(ch.to_ascii_lowercase());
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Searches the files of `tip` that `select` keeps (and are at most `max_size` bytes) for each
/// needle. An object that cannot be read is an error (the answer would be incomplete).
pub fn search(
    repo: &Repository,
    tip: Oid,
    needles: &[Needle],
    select: &dyn Fn(&str) -> bool,
    max_size: usize,
    max: usize,
) -> Result<Uses, String> {
    let mut uses: Uses = needles
        .iter()
        .map(|n| (n.word.clone(), (Vec::new(), 0)))
        .collect();
    if needles.is_empty() {
        return Ok(uses);
    }
    // (word, Ruby module) for each module that defines the word as a method (a Rails concern).
    let mut modules_defining: Vec<(String, String)> = Vec::new();
    let alternatives: Vec<String> = needles.iter().map(|n| regex::escape(&n.word)).collect();
    let re = regex::bytes::Regex::new(&format!(r"(?-u:\b)(?:{})(?-u:\b)", alternatives.join("|")))
        .map_err(|e| e.to_string())?;
    let files = tree_files(repo, tip, "")?;
    for (path, id, size) in &files {
        let (id, size) = (*id, *size);
        if size > max_size || !select(path) {
            continue;
        }
        let data = read_blob(repo, id, path)?;
        if data[..data.len().min(8000)].contains(&0) || !re.is_match(&data) {
            continue;
        }
        let prisma = path.ends_with(".prisma").then(|| prisma_tables(&data));
        // A file that defines the word itself (Ruby/Python `def start_date`, `attr_reader
        // :start_date`) means its own method or attribute where it names it, not the column.
        let own: Vec<&str> = needles
            .iter()
            .map(|n| n.word.as_str())
            .filter(|w| defines(&data, w))
            .collect();
        if path.ends_with(".rb") {
            for w in &own {
                for m in ruby_modules(&data) {
                    modules_defining.push((w.to_string(), m));
                }
            }
        }
        for (i, line) in data.split(|b| *b == b'\n').enumerate() {
            if memchr::memmem::find(line, b"ignored_columns").is_some() || is_comment(line) {
                continue;
            }
            let mut seen = Vec::new();
            for m in re.find_iter(line) {
                let w = String::from_utf8_lossy(m.as_bytes()).into_owned();
                if seen.contains(&w) {
                    continue;
                }
                seen.push(w.clone());
                if own.contains(&w.as_str()) {
                    continue;
                }
                let needle = needles.iter().find(|n| n.word == w);
                let named =
                    needle.is_some_and(|n| in_context(&n.table, path, line, prisma.as_deref(), i));
                if !named {
                    continue;
                }
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
    // A Rails model that defines the dropped column's name itself, or includes a concern that
    // does (`include Syncable`, whose `def last_synced_at` replaces the dropped column): the
    // code's uses of the name call that method.
    // The tip's Ruby model files, each read at most once whatever the number of names asked.
    let mut models: Vec<(&str, Oid, Option<Vec<u8>>)> = files
        .iter()
        .filter(|(path, _, size)| {
            path.ends_with(".rb") && path.contains("models/") && *size <= max_size
        })
        .map(|(path, id, _)| (path.as_str(), *id, None))
        .collect();
    for n in needles.iter().filter(|n| !n.table.is_empty()) {
        if uses.get(&n.word).is_none_or(|(_, k)| *k == 0) {
            continue;
        }
        let mut replaced = false;
        for (path, id, data) in &mut models {
            if replaced {
                break;
            }
            if !about_table(&n.table, path) {
                continue;
            }
            let data = match data {
                Some(d) => d,
                None => data.insert(read_blob(repo, *id, path)?),
            };
            replaced = defines(data, &n.word)
                || ruby_includes(data)
                    .iter()
                    .any(|m| modules_defining.iter().any(|(w, d)| *w == n.word && d == m));
        }
        if replaced {
            uses.insert(n.word.clone(), (Vec::new(), 0));
        }
    }
    Ok(uses)
}

/// The modules a Ruby file opens (`module Syncable`; the last name of `module A::B`).
fn ruby_modules(data: &[u8]) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::bytes::Regex::new(r"(?m)^[ \t]*module[ \t]+(?:[A-Z]\w*::)*([A-Z]\w*)").unwrap()
    })
    .captures_iter(data)
    .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
    .collect()
}

/// The modules a Ruby class includes (`include Syncable, Provided`; last names).
fn ruby_includes(data: &[u8]) -> Vec<String> {
    static RE: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::bytes::Regex::new(
            r"(?m)^[ \t]*include[ \t]+([A-Z][\w:]*(?:[ \t]*,[ \t]*[A-Z][\w:]*)*)",
        )
        .unwrap()
    });
    re.captures_iter(data)
        .flat_map(|c| {
            String::from_utf8_lossy(&c[1])
                .split(',')
                .map(|m| m.trim().rsplit("::").next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A line that is only a comment (`# …`, `// …`, `/* …`, ` * …`, `-- …`, `<%# … %>`): it names the
/// column, it does not use it (maybe's `# … the generic scheduled_for_deletion flag`).
fn is_comment(line: &[u8]) -> bool {
    let t = String::from_utf8_lossy(line);
    let t = t.trim_start();
    (t.starts_with('#') && !t.starts_with("#{"))
        || t.starts_with("//")
        || t.starts_with("/*")
        || t.starts_with("* ")
        || t == "*"
        || t.starts_with("-- ")
        || t.starts_with("<%#")
}

/// Whether the file defines `word` as its own method or attribute: `def word`, `def self.word`
/// (Ruby, Python), `attr_reader/attr_writer/attr_accessor … :word` (Ruby).
fn defines(data: &[u8], word: &str) -> bool {
    let w = regex::escape(word);
    regex::bytes::Regex::new(&format!(
        r"(?m)^[ \t]*(?:(?:async[ \t]+)?def[ \t]+(?:self\.)?{w}(?-u:\b)|attr_(?:reader|writer|accessor)(?-u:\b)[^\n]*:{w}(?-u:\b))"
    ))
    .is_ok_and(|re| re.is_match(data))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_spellings() {
        let s = spellings("public.website_events");
        for f in [
            "website_events",
            "website_event",
            "WebsiteEvent",
            "websiteEvents",
        ] {
            assert!(s.iter().any(|x| x == f), "{f} in {s:?}");
        }
        assert!(spellings("categories").contains(&"Category".to_string()));
    }

    #[test]
    fn prisma_models_know_their_tables() {
        let schema = b"model Board {\n  slug String\n  @@map(\"board\")\n}\nmodel Post {\n  slug String\n}\n";
        let t = prisma_tables(schema);
        assert_eq!(t[1].as_deref(), Some("board"));
        assert_eq!(t[5].as_deref(), Some("Post"));
        let board = spellings("board");
        assert!(in_context(&board, "schema.prisma", b"", Some(&t), 1));
        assert!(!in_context(&board, "schema.prisma", b"", Some(&t), 5));
        assert!(!in_context(&board, "src/share.ts", b"post.slug", None, 0));
        assert!(in_context(&board, "src/share.ts", b"board.slug", None, 0));
        let named_by = |path: &str| in_context(&board, path, b"slug: ''", None, 0);
        assert!(named_by("src/boards/Board.tsx"));
        assert!(named_by("app/controllers/boards_controller.rb"));
        assert!(!named_by("src/Dashboard.tsx"));
        assert!(!named_by("src/boards/BoardSharesTable.tsx"));
    }
}
