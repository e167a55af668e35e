//! One multi-pattern matcher per input. The patterns of every content check that reads an input
//! are compiled into one `RegexSet`; a file or entry is read once and searched once, and only the
//! patterns the set reports are run again to find positions. Adding the fiftieth content check adds
//! a pattern to the set, not a fiftieth read.

use regex::bytes::{RegexSet, RegexSetBuilder};

use crate::types::{GlobList, Pattern, PatternDef};

/// A content rule: one pattern of one check.
struct Rule {
    owner: usize,
    def: PatternDef,
}

/// A check's content patterns and the files they are searched in.
pub struct ContentRule {
    pub selection: Selection,
    pub patterns: Vec<PatternDef>,
}

/// A check's file selection.
#[derive(Clone)]
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
    /// The fast "does anything match?" that most files answer with no.
    any: AnyMatch,
    /// Which patterns match, for the files that do; built the first time a file does.
    set: std::sync::OnceLock<Result<RegexSet, String>>,
    selections: Vec<(usize, Selection)>,
}

/// "Could any pattern match this file?", answered without running every pattern over it.
///
/// A union of many patterns defeats the regex crate's own prefilter: its literal extraction has a
/// budget, and fifty case-insensitive words blow it (the lazy DFA then runs on every byte, 20
/// times slower than with five patterns). Extracted pattern by pattern and deduplicated, the
/// prefixes are few (fifty checks often share them), so one prefilter over them finds the only
/// places a match can start, and an anchored search at each candidate confirms or rejects it
/// quickly — what the regex engine does inside for a single pattern. A file without candidates is
/// never searched. Patterns whose matches can start anywhere (no finite prefix literals) stay in
/// a union that always runs.
struct AnyMatch {
    /// Prefix literals of the patterns that have them, and their union.
    literal: Option<(
        regex_automata::util::prefilter::Prefilter,
        regex_automata::meta::Regex,
    )>,
    /// The union of the patterns without usable prefixes.
    rest: Option<regex_automata::meta::Regex>,
}

impl AnyMatch {
    fn new(patterns: &[&str]) -> Result<Self, String> {
        let mut with = Vec::new();
        let mut without = Vec::new();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        for p in patterns {
            match prefix_literals(p) {
                Some(l) => {
                    literals.extend(l);
                    with.push(*p);
                }
                None => without.push(*p),
            }
        }
        // Worth it only when every pattern has prefixes: otherwise one full pass over each file is
        // needed anyway, and the plain union (with the engine's own prefilter) is the cheapest.
        let pre = if without.is_empty() {
            fast_prefilter(literals)
        } else {
            None
        };
        match pre {
            Some(pre) => Ok(AnyMatch {
                literal: union(&with)?.map(|u| (pre, u)),
                rest: None,
            }),
            None => Ok(AnyMatch {
                literal: None,
                rest: union(patterns)?,
            }),
        }
    }

    fn is_match(&self, data: &[u8]) -> bool {
        use regex_automata::{Anchored, Input, Span};
        if let Some((pre, union)) = &self.literal {
            let mut at = 0;
            while at < data.len() {
                let Some(hit) = pre.find(data, Span::from(at..data.len())) else {
                    break;
                };
                // Anchored at the candidate, with the whole haystack around it for `\b` and `^`.
                let input = Input::new(data)
                    .span(hit.start..data.len())
                    .anchored(Anchored::Yes)
                    .earliest(true);
                if union.is_match(input) {
                    return true;
                }
                at = hit.start + 1;
            }
        }
        self.rest.as_ref().is_some_and(|r| r.is_match(data))
    }
}

/// A SIMD prefilter (Teddy) over `literals`, shortened until few enough remain for it. A shorter
/// prefix is still a prefix: it only adds candidates, which the anchored check rejects.
fn fast_prefilter(
    mut literals: Vec<Vec<u8>>,
) -> Option<regex_automata::util::prefilter::Prefilter> {
    use regex_automata::util::prefilter::Prefilter;
    for len in [16, 8, 6, 5, 4, 3, 2] {
        for l in literals.iter_mut() {
            l.truncate(len);
        }
        literals.sort();
        literals.dedup();
        if literals.len() <= 64 {
            if let Some(p) = Prefilter::new(regex_automata::MatchKind::LeftmostFirst, &literals)
                .filter(|p| p.is_fast())
            {
                return Some(p);
            }
        }
    }
    None
}

/// One regex of the patterns' alternation, without captures (their names would collide).
fn union(patterns: &[&str]) -> Result<Option<regex_automata::meta::Regex>, String> {
    use regex_automata::{meta, util::syntax};
    if patterns.is_empty() {
        return Ok(None);
    }
    let parts: Vec<String> = patterns
        .iter()
        .map(|p| without_captures(p).map(|p| format!("(?:{p})")))
        .collect::<Result<_, _>>()?;
    meta::Regex::builder()
        .syntax(syntax::Config::new().multi_line(true).utf8(false))
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .nfa_size_limit(Some(64 << 20))
                .hybrid_cache_capacity(64 << 20),
        )
        .build(&parts.join("|"))
        .map(Some)
        .map_err(|e| format!("the combined content patterns are too large: {e}"))
}

/// The literals every match of `pattern` starts with, if there are few enough to be useful.
fn prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .utf8(false)
        .build()
        .parse(pattern)
        .ok()?;
    let mut seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    seq.optimize_for_prefix_by_preference();
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().len() < 2) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// What one scan of one file found.
#[derive(Default)]
pub struct ScanOutcome {
    pub matches: Vec<RawMatch>,
    /// (owner, count) of findings silenced by `shipgate:allow`.
    pub suppressed: Vec<usize>,
    /// (owner, message): a pattern of that check could not be compiled, so the file could not be
    /// searched for it. The check ends in `error`.
    pub errors: Vec<(usize, String)>,
}

impl ContentMatcher {
    /// `checks`: (owner index, its rule).
    pub fn new(checks: Vec<(usize, ContentRule)>) -> Result<Self, String> {
        let mut rules = Vec::new();
        let mut selections = Vec::new();
        for (owner, rule) in checks {
            selections.push((owner, rule.selection));
            for def in rule.patterns {
                rules.push(Rule { owner, def });
            }
        }
        let sources: Vec<&str> = rules.iter().map(|r| r.def.regex.as_str()).collect();
        let any = AnyMatch::new(&sources)?;
        Ok(ContentMatcher {
            rules,
            any,
            set: std::sync::OnceLock::new(),
            selections,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn set(&self) -> Result<&RegexSet, String> {
        self.set
            .get_or_init(|| {
                RegexSetBuilder::new(self.rules.iter().map(|r| r.def.regex.as_str()))
                    .multi_line(true)
                    .size_limit(crate::types::PATTERN_SIZE_LIMIT)
                    .dfa_size_limit(64 << 20)
                    .build()
                    .map_err(|e| format!("the combined content patterns are too large: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The owners whose selection includes `path`.
    pub fn owners_for(&self, path: &str) -> Vec<usize> {
        self.selections
            .iter()
            .filter(|(_, s)| s.selects(path))
            .map(|(o, _)| *o)
            .collect()
    }

    /// Searches `data` (the contents of the file named `paths`: its path, and in an artifact its
    /// path without the top folder) for the patterns of `owners`.
    pub fn scan(
        &self,
        paths: &[&str],
        owners: &[usize],
        data: &[u8],
        ids: &dyn Fn(usize) -> String,
    ) -> ScanOutcome {
        let mut out = ScanOutcome::default();
        if owners.is_empty() {
            return out;
        }
        if !self.any.is_match(data) {
            return out;
        }
        let set = match self.set() {
            Ok(s) => s,
            Err(e) => {
                out.errors.extend(owners.iter().map(|o| (*o, e.clone())));
                return out;
            }
        };
        let hits = set.matches(data);
        if !hits.matched_any() {
            return out;
        }
        let mut lines = LineIndex::new(data);
        for i in hits.iter() {
            let rule = &self.rules[i];
            if !owners.contains(&rule.owner) {
                continue;
            }
            if let Some(only) = &rule.def.paths {
                if !paths.iter().any(|p| only.is_match(p)) {
                    continue;
                }
            }
            let compiled = (
                rule.def.regex.compiled(),
                rule.def.allow.as_ref().map(Pattern::compiled).transpose(),
                rule.def
                    .unless_defined_by
                    .as_ref()
                    .map(Pattern::compiled)
                    .transpose(),
            );
            let (regex, allow, defined_by) = match compiled {
                (Ok(r), Ok(a), Ok(d)) => (r, a, d),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    out.errors.push((rule.owner, e));
                    continue;
                }
            };
            let defined: Option<Vec<Vec<u8>>> = defined_by.map(|p| {
                p.captures_iter(data)
                    .filter_map(|c| c.get(1).map(|m| m.as_bytes().to_ascii_lowercase()))
                    .collect()
            });
            for caps in regex.captures_iter(data) {
                let whole = caps.get(0).unwrap();
                if whole.is_empty() {
                    continue;
                }
                // A `match` group narrows what is reported (the path, not its delimiter).
                let m = caps.name("match").unwrap_or(whole);
                if allow.is_some_and(|a| a.is_match(m.as_bytes())) {
                    continue;
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

/// `pattern` with every capture group made non-capturing (names would collide in a union).
fn without_captures(pattern: &str) -> Result<String, String> {
    use regex_syntax::ast::{self, Ast, GroupKind};
    fn strip(a: &mut Ast) {
        match a {
            Ast::Group(g) => {
                if !matches!(g.kind, GroupKind::NonCapturing(_)) {
                    g.kind = GroupKind::NonCapturing(ast::Flags {
                        span: g.span,
                        items: Vec::new(),
                    });
                }
                strip(&mut g.ast);
            }
            Ast::Repetition(r) => strip(&mut r.ast),
            Ast::Alternation(x) => x.asts.iter_mut().for_each(strip),
            Ast::Concat(x) => x.asts.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut parsed = ast::parse::Parser::new()
        .parse(pattern)
        .map_err(|e| format!("invalid regex `{pattern}`: {e}"))?;
    strip(&mut parsed);
    let mut out = String::new();
    ast::print::Printer::new()
        .print(&parsed, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
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

    /// The fast path answers exactly as running every pattern would.
    #[test]
    fn any_match_agrees_with_every_pattern() {
        let with_prefixes: Vec<String> = (1..=60)
            .flat_map(|i| {
                [
                    format!(r"(?i)\b(?:legacy_api_{i}|hack_{i})\s*\("),
                    format!(r"TODO\({i}-[A-Z]{{2,8}}\)"),
                ]
            })
            .chain([
                r"(?m)^(?:<{7}|>{7})(?:[ \t].*)?$".to_string(),
                r"(?P<match>/home/[a-z]+/)".to_string(),
            ])
            .collect();
        let mut all = with_prefixes.clone();
        all.extend([
            r"(?:^|[\s=])(?P<match>/Users/[a-z]+/)".to_string(),
            r"[0-9]+x".to_string(),
        ]);
        for (patterns, prefiltered) in [(&with_prefixes, true), (&all, false)] {
            check_agreement(patterns, prefiltered);
        }
    }

    fn check_agreement(patterns: &[String], prefiltered: bool) {
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let any = AnyMatch::new(&refs).unwrap();
        assert_eq!(any.literal.is_some(), prefiltered);
        let each: Vec<regex::bytes::Regex> = refs
            .iter()
            .map(|p| {
                regex::bytes::RegexBuilder::new(p)
                    .multi_line(true)
                    .build()
                    .unwrap()
            })
            .collect();
        let hay = [
            "nothing here at all",
            "x = Legacy_API_7 (1)",
            "x = legacy_api_7(1)",
            "xlegacy_api_7(1)",
            "HAC\u{212A}_3 (",
            "a TODO(12-AB) b",
            "TODO(12-a)",
            "line\n<<<<<<< HEAD\n",
            "<<<<<<<< eight",
            "P=/home/alice/x", // shipgate:allow static-paths
            "P=x/home/alice/x",
            "P=/Users/bob/x", // shipgate:allow static-paths
            "P=x/Users/bob/x",
            "abc 123x",
            "hack_9(",
            "zzzz hack_9(",
        ];
        for h in hay {
            let expected = each.iter().any(|r| r.is_match(h.as_bytes()));
            assert_eq!(any.is_match(h.as_bytes()), expected, "{h:?}");
        }
    }

    #[test]
    fn captures_are_stripped_for_the_union() {
        assert_eq!(
            without_captures("(?P<match>a(b)(?:c))(?i)x").unwrap(),
            "(?:a(?:b)(?:c))(?i)x"
        );
        assert_eq!(without_captures(r"\(?P<not>").unwrap(), r"\(?P<not>");
    }

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
