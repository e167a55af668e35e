//! One multi-pattern matcher per input. The patterns of every content check that reads an input
//! are compiled into one `RegexSet`; a file or entry is read once and searched once, and only the
//! patterns the set reports are run again to find positions. Adding the fiftieth content check adds
//! a pattern to the set, not a fiftieth read.

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::check::GlobList;
use crate::kinds::content::PatternDef;

/// A content rule: one pattern of one check.
struct Rule {
    owner: usize,
    def: PatternDef,
}

/// A check's file selection.
pub struct Selection {
    pub include: Option<GlobList>,
    pub exclude: GlobList,
}

impl Selection {
    pub fn selects(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match(path)) && !self.exclude.is_match(path)
    }
}

/// A match before it becomes a finding: the owner check turns it into one.
#[derive(Debug, Clone)]
pub struct RawMatch {
    pub owner: usize,
    pub pattern: String,
    pub secret: bool,
    pub line: u64,
    pub column: u64,
    pub matched: String,
    /// The `name` capture group, when the pattern has one.
    pub name: Option<String>,
    /// Whether the `default` capture group took part (e.g. `${X:-d}`).
    pub has_default: bool,
    pub line_text: String,
}

pub struct ContentMatcher {
    rules: Vec<Rule>,
    set: RegexSet,
    selections: Vec<(usize, Selection)>,
}

/// What one scan of one file found.
#[derive(Default)]
pub struct ScanOutcome {
    pub matches: Vec<RawMatch>,
    /// (owner, count) of findings silenced by `shipgate:allow`.
    pub suppressed: Vec<usize>,
}

impl ContentMatcher {
    /// `checks`: (owner index, selection, patterns).
    pub fn new(checks: Vec<(usize, Selection, Vec<PatternDef>)>) -> Result<Self, String> {
        let mut rules = Vec::new();
        let mut selections = Vec::new();
        for (owner, sel, defs) in checks {
            selections.push((owner, sel));
            for def in defs {
                rules.push(Rule { owner, def });
            }
        }
        let set = RegexSetBuilder::new(rules.iter().map(|r| r.def.regex.as_str()))
            .multi_line(true)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(|e| format!("the combined content patterns are too large: {e}"))?;
        Ok(ContentMatcher {
            rules,
            set,
            selections,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The owners whose selection includes `path`.
    pub fn owners_for(&self, path: &str) -> Vec<usize> {
        self.selections
            .iter()
            .filter(|(_, s)| s.selects(path))
            .map(|(o, _)| *o)
            .collect()
    }

    /// Searches `data` (the contents of `path`) for the patterns of `owners`.
    pub fn scan(
        &self,
        owners: &[usize],
        data: &[u8],
        ids: &dyn Fn(usize) -> String,
    ) -> ScanOutcome {
        let mut out = ScanOutcome::default();
        if owners.is_empty() {
            return out;
        }
        let hits = self.set.matches(data);
        if !hits.matched_any() {
            return out;
        }
        let mut lines = LineIndex::new(data);
        for i in hits.iter() {
            let rule = &self.rules[i];
            if !owners.contains(&rule.owner) {
                continue;
            }
            let defined: Option<Vec<Vec<u8>>> = rule.def.unless_defined_by.as_ref().map(|p| {
                p.0.captures_iter(data)
                    .filter_map(|c| c.get(1).map(|m| m.as_bytes().to_ascii_lowercase()))
                    .collect()
            });
            for caps in rule.def.regex.0.captures_iter(data) {
                let whole = caps.get(0).unwrap();
                if whole.is_empty() {
                    continue;
                }
                // A `match` group narrows what is reported (the path, not its delimiter).
                let m = caps.name("match").unwrap_or(whole);
                if let Some(allow) = &rule.def.allow {
                    if allow.0.is_match(m.as_bytes()) {
                        continue;
                    }
                }
                let name = caps.name("name").map(|n| n.as_bytes());
                if let (Some(defined), Some(name)) = (&defined, name) {
                    if defined.contains(&name.to_ascii_lowercase()) {
                        continue;
                    }
                }
                let (line, line_start) = lines.line_of(m.start());
                let line_bytes = line_at(data, line_start);
                let prefix = String::from_utf8_lossy(&data[line_start..m.start()]);
                let column = prefix.chars().count() as u64 + 1;
                let id = ids(rule.owner);
                let prev = (line > 1).then(|| line_at(data, lines.start_of(line - 1)));
                if allows(line_bytes, &id) || prev.is_some_and(|p| allows(p, &id)) {
                    out.suppressed.push(rule.owner);
                    continue;
                }
                out.matches.push(RawMatch {
                    owner: rule.owner,
                    pattern: rule.def.name.clone(),
                    secret: rule.def.secret,
                    line,
                    column,
                    matched: String::from_utf8_lossy(m.as_bytes()).into_owned(),
                    name: name.map(|n| String::from_utf8_lossy(n).into_owned()),
                    has_default: caps.name("default").is_some(),
                    line_text: String::from_utf8_lossy(line_bytes).into_owned(),
                });
            }
        }
        out
    }
}

/// The line (without its newline) that starts at `start`.
fn line_at(data: &[u8], start: usize) -> &[u8] {
    let end = memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    let line = &data[start..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|b| *b == needle)
}

/// Whether a line carries `shipgate:allow` for check `id` (a bare `shipgate:allow` allows all).
pub fn allows(line: &[u8], id: &str) -> bool {
    const MARK: &[u8] = b"shipgate:allow";
    let Some(pos) = line.windows(MARK.len()).position(|w| w == MARK) else {
        return false;
    };
    let rest = String::from_utf8_lossy(&line[pos + MARK.len()..]);
    let ids: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .take_while(|t| {
            t.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
        .collect();
    ids.is_empty() || ids.contains(&id)
}

/// Line numbers for byte offsets, computed once per file and only when something matched.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(data: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            data.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// (1-based line, byte offset where it starts).
    fn line_of(&mut self, offset: usize) -> (u64, usize) {
        let i = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (i as u64 + 1, self.starts[i])
    }

    fn start_of(&self, line: u64) -> usize {
        self.starts[(line - 1) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_comment_forms() {
        assert!(allows(
            b"x = 1 # shipgate:allow static-paths",
            "static-paths"
        ));
        assert!(allows(b"// shipgate:allow", "anything"));
        assert!(allows(
            b"# shipgate:allow a-b, static-paths",
            "static-paths"
        ));
        assert!(!allows(b"# shipgate:allow repo-secrets", "static-paths"));
        assert!(!allows(b"plain line", "static-paths"));
    }
}
