//! One multi-pattern matcher per input. The patterns of every content check that reads an input
//! are searched in one pass over each file or entry, read once: adding the fiftieth content check
//! adds a pattern to the matcher, not a fiftieth read.
//!
//! How the pass stays near the cost of one literal scan whatever the patterns are:
//! - One Aho-Corasick automaton (a DFA, ASCII case-insensitive, so `(?i)twilio` is one literal
//!   and not 64 spellings) holds the prefix literals of every pattern that has them (`AKIA`,
//!   `ghp_`, `-----BEGIN`) and the literals every match of the other patterns must contain
//!   (`/home/`, `Q~`). One overlapping pass over a file gives both: the places where prefixed
//!   patterns may start, each tried there anchored (no second search), and which of the other
//!   patterns can match the file at all.
//! - A pattern without such prefixes (`(?:^|[\s"=])/home/…`) that can match is searched on its own, by the regex
//!   engine with its own literal optimisations (an inner literal such as `/home/`, found by a SIMD
//!   scan, with a reverse search for the start). Unioning it with the others would lose them: a
//!   union of heterogeneous patterns runs the automaton over every byte.
//! - A file is searched for the literals of the rules that apply to it (the checks whose
//!   selection takes it in, the patterns whose `paths` name it): one smaller automaton per set of
//!   such rules, made the first time a file has that set. On moby/moby, files of one set need 1,021
//!   of the 1,139 literals, and the 118 left out (`key`, `token`, `http`, `debug`, `from `) are
//!   common in Go: 2.21 G → 1.94 G instructions for the run.
//! - Word boundaries are ASCII (`types::engine_syntax`): a Unicode `\b` makes the fast engines
//!   give up at the first non-ASCII byte.
//!
//! Patterns are compiled the first time a file needs them.

use std::sync::OnceLock;

use regex_automata::meta::Regex as Meta;
use regex_automata::{Anchored, Input};

use crate::inputs::material::{self, Material, Regions, Scope};
use crate::types::{engine_syntax, GlobList, Pattern, PatternDef};

/// A content rule: one pattern of one check.
struct Rule {
    owner: usize,
    def: PatternDef,
    /// The engine's form of the pattern (compiled on first use).
    search: OnceLock<Result<Meta, String>>,
    /// Whether the pattern has named groups that shape the finding (`match`, `name`, `default`).
    groups: bool,
}

/// A check's content patterns and the files they are searched in.
pub struct ContentRule {
    pub selection: Selection,
    pub patterns: Vec<PatternDef>,
}

/// A check's file selection.
#[derive(Clone, Default)]
pub struct Selection {
    pub include: Option<GlobList>,
    pub exclude: GlobList,
    /// Which material it looks at (tests, docs… or not).
    pub scope: Scope,
    /// Matches inside comments and docstrings do not count (checks about what the program uses).
    pub ignore_comments: bool,
}

/// The file being searched: its names (its path, and in an artifact its path without the top
/// folder) and its material (`None`: it ships).
pub struct Subject<'a> {
    pub paths: &'a [&'a str],
    pub material: Option<Material>,
}

impl Selection {
    fn selects_query(&self, path: &crate::types::PathQuery<'_>) -> bool {
        self.include.as_ref().is_none_or(|g| g.is_match_query(path))
            && !self.exclude.is_match_query(path)
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
    /// Whether the `fails` capture group took part (e.g. `${X:?err}`).
    pub fails: bool,
    pub line_text: String,
    /// Where the whole match starts and ends in `line_text` (bytes; the end is clipped to the
    /// line).
    pub span_in_line: (usize, usize),
    /// The lines after the match's line, when the pattern asks for them (`context-after`).
    pub after: Vec<String>,
}

pub struct ContentMatcher {
    rules: Vec<Rule>,
    /// Made when the first file is scanned: a run with nothing to read (a pre-push hook on a
    /// small change, an empty tree) does not pay for the literal extraction.
    plan: OnceLock<ScanPlan>,
    selections: Vec<(usize, Selection)>,
}

struct ScanPlan {
    /// The one literal pass over each file: every prefix literal and every required inner
    /// literal of every rule, in one automaton.
    literals: Option<Literals>,
    /// Rules with no usable prefix literals, searched on their own (each with the regex
    /// engine's own literal optimisations), on the files the literal pass says they can match.
    alone: Vec<usize>,
    /// Per rule: it is searched alone, has required literals, and none of its matches can
    /// hold a line end. Such a match lies on one line, around one of the literals' occurrences,
    /// so only the lines holding them are searched (not the whole file).
    by_line: Vec<bool>,
}

/// One Aho-Corasick automaton (a DFA, ASCII case-insensitive) over the literals of all rules.
/// A hit of a prefix literal is a place where the rules it starts may match (tried anchored
/// there); a hit of an inner literal says a rule searched alone can match this file at all.
struct Literals {
    automaton: Automaton,
    /// Per automaton pattern: the rules it is a prefix of.
    prefix_of: Vec<Vec<usize>>,
    /// Per automaton pattern: the rules searched alone that require it somewhere.
    inner_of: Vec<Vec<usize>>,
    /// Per rule searched alone: whether it has required literals (one without is always
    /// searched).
    has_inner: Vec<bool>,
    /// The literals, for the smaller passes below.
    patterns: Vec<Vec<u8>>,
    /// Per set of active rules (a bitset): the pass over only the literals those rules need.
    /// Most files are looked at by a few of the checks (a Go file by neither the Dockerfile nor
    /// the production-configuration checks), and a literal no active rule needs is work at
    /// every place it may start, and makes the first stage's buckets let more places through.
    /// Files of one kind share a set: a tree has a few dozen of them.
    passes: std::sync::Mutex<std::collections::HashMap<Vec<u64>, std::sync::Arc<OnceLock<Pass>>>>,
}

/// The literal pass a file gets.
enum Pass {
    /// Every literal: the automaton of `Literals`.
    Full,
    /// Only some: their automaton, and each one's index among all the literals.
    Some(Automaton, Vec<u32>),
    /// No active rule needs a literal.
    None,
}

impl Literals {
    /// The pass for the rules `active`: made the first time a file has that set of rules (by
    /// the thread that asks first, outside the lock: a thread wanting another set goes on).
    fn pass(&self, active: &[bool]) -> std::sync::Arc<OnceLock<Pass>> {
        let mut key = vec![0u64; active.len().div_ceil(64)];
        for (i, _) in active.iter().enumerate().filter(|(_, a)| **a) {
            key[i / 64] |= 1 << (i % 64);
        }
        let mut passes = self.passes.lock().unwrap_or_else(|e| e.into_inner());
        std::sync::Arc::clone(passes.entry(key).or_default())
    }

    /// The literals the rules `active` need, and their automaton.
    fn make_pass(&self, active: &[bool]) -> Pass {
        let needed: Vec<u32> = (0..self.patterns.len())
            .filter(|&p| {
                self.prefix_of[p]
                    .iter()
                    .chain(&self.inner_of[p])
                    .any(|&r| active[r])
            })
            .map(|p| p as u32)
            .collect();
        if needed.is_empty() {
            return Pass::None;
        }
        if needed.len() == self.patterns.len() {
            return Pass::Full;
        }
        let lits: Vec<Vec<u8>> = needed
            .iter()
            .map(|&p| self.patterns[p as usize].clone())
            .collect();
        match Automaton::new(&lits) {
            Some(a) => Pass::Some(a, needed),
            None => Pass::Full,
        }
    }
}

/// The literal automaton: the SIMD first stage of `teddy` where the CPU has AVX2, else a DFA
/// searched with a loop of our own, or (too many states for a DFA) the crate's NFA.
enum Automaton {
    Teddy(Box<crate::inputs::teddy::Teddy>),
    Dfa(Box<aho_corasick::dfa::DFA>),
    Nfa(aho_corasick::AhoCorasick),
}

impl Automaton {
    /// The automaton over `patterns` (lowercase literals, matched ASCII case-insensitively).
    fn new(patterns: &[Vec<u8>]) -> Option<Automaton> {
        match crate::inputs::teddy::Teddy::new(patterns) {
            Some(t) => Some(Automaton::Teddy(Box::new(t))),
            None => Self::without_simd(patterns),
        }
    }

    /// The DFA (or NFA) alone.
    fn without_simd(patterns: &[Vec<u8>]) -> Option<Automaton> {
        match aho_corasick::dfa::DFA::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .ascii_case_insensitive(true)
            .start_kind(aho_corasick::StartKind::Unanchored)
            .build(patterns)
        {
            Ok(dfa) => Some(Automaton::Dfa(Box::new(dfa))),
            // Too many states for a DFA: the same automaton as an NFA.
            Err(_) => aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::Standard)
                .ascii_case_insensitive(true)
                .build(patterns)
                .ok()
                .map(Automaton::Nfa),
        }
    }

    /// Calls `f(pattern, start)` for every occurrence of every literal in `data`, overlapping
    /// ones included (in no particular order). The first stage of `teddy` is about two
    /// instructions a byte on moby/moby; the DFA's loop, one table lookup and one comparison per
    /// byte, about ten (the crate's overlapping iterator, which keeps its position in a state
    /// object and returns at every match, was nineteen).
    fn each(&self, data: &[u8], mut f: impl FnMut(usize, usize)) {
        use aho_corasick::automaton::Automaton as _;
        match self {
            Automaton::Teddy(t) => t.each(data, f),
            Automaton::Dfa(dfa) => {
                let Ok(mut sid) = dfa.start_state(aho_corasick::Anchored::No) else {
                    return;
                };
                let pre = dfa.prefilter();
                let mut at = 0;
                while at < data.len() {
                    sid = dfa.next_state(aho_corasick::Anchored::No, sid, data[at]);
                    // The special states: the dead one (an unanchored search never enters it),
                    // the match states and, with a prefilter, the start state.
                    if dfa.is_special(sid) {
                        if dfa.is_match(sid) {
                            for k in 0..dfa.match_len(sid) {
                                let p = dfa.match_pattern(sid, k);
                                f(p.as_usize(), at + 1 - dfa.pattern_len(p));
                            }
                        } else if let Some(pre) = pre {
                            // Back at the start: the prefilter skips to the next place a
                            // literal may begin.
                            let span = aho_corasick::Span::from(at..data.len());
                            match pre.find_in(data, span).into_option() {
                                None => return,
                                Some(i) if i > at => {
                                    at = i;
                                    continue;
                                }
                                Some(_) => {}
                            }
                        }
                    }
                    at += 1;
                }
            }
            Automaton::Nfa(ac) => {
                for m in ac.find_overlapping_iter(aho_corasick::Input::new(data)) {
                    f(m.pattern().as_usize(), m.start());
                }
            }
        }
    }
}

/// What one scan of one file found.
#[derive(Default)]
pub struct ScanOutcome {
    pub matches: Vec<RawMatch>,
    /// Owner of each finding silenced by `shipgate:allow`.
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
                let groups = ["match", "name", "default", "fails"]
                    .iter()
                    .any(|g| def.regex.as_str().contains(&format!("?P<{g}>")));
                rules.push(Rule {
                    owner,
                    def,
                    search: OnceLock::new(),
                    groups,
                });
            }
        }
        Ok(ContentMatcher {
            rules,
            plan: OnceLock::new(),
            selections,
        })
    }

    fn plan(&self) -> &ScanPlan {
        self.plan.get_or_init(|| {
            let rules = &self.rules;
            let mut alone = Vec::new();
            let mut prefixes = Vec::new();
            for (i, r) in rules.iter().enumerate() {
                match prefix_literals(r.def.regex.as_str()) {
                    Some(ls) => prefixes.push((i, ls)),
                    None => alone.push(i),
                }
            }
            let inner: Vec<(usize, Vec<Vec<u8>>)> = alone
                .iter()
                .filter_map(|&i| required_literals(rules[i].def.regex.as_str()).map(|ls| (i, ls)))
                .collect();
            let literals = Literals::new(rules.len(), &prefixes, &inner);
            let mut by_line = vec![false; rules.len()];
            if literals.is_some() {
                for (i, _) in &inner {
                    by_line[*i] = stays_on_a_line(rules[*i].def.regex.as_str());
                }
            }
            ScanPlan {
                literals,
                alone,
                by_line,
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Makes, ahead of the first file, what scanning one needs: the literal pass over every
    /// pattern and the selections' glob sets (each is otherwise made by the first file that
    /// needs it, while the other threads wait).
    pub fn prepare(&self) {
        let _ = self.plan();
        for (_, s) in &self.selections {
            s.include
                .iter()
                .chain([&s.exclude])
                .for_each(GlobList::prepare);
        }
        self.rules
            .iter()
            .filter_map(|r| r.def.paths.as_ref())
            .for_each(GlobList::prepare);
    }

    /// The owners whose selection includes `path`.
    pub fn owners_for(&self, path: &str) -> Vec<usize> {
        let path = crate::types::PathQuery::new(path);
        self.selections
            .iter()
            .filter(|(_, s)| s.selects_query(&path))
            .map(|(o, _)| *o)
            .collect()
    }

    /// Whether the selection of `owner` looks at files of `material`.
    pub fn covers(&self, owner: usize, material: Option<Material>) -> bool {
        self.selection(owner)
            .is_none_or(|s| s.scope.covers(material))
    }

    fn selection(&self, owner: usize) -> Option<&Selection> {
        self.selections
            .iter()
            .find(|(o, _)| *o == owner)
            .map(|(_, s)| s)
    }

    /// Searches `data`, the contents of `file`, for the patterns of `owners`.
    pub fn scan(
        &self,
        file: &Subject<'_>,
        owners: &[usize],
        data: &[u8],
        ids: &dyn Fn(usize) -> String,
    ) -> ScanOutcome {
        let mut out = ScanOutcome::default();
        if owners.is_empty() {
            return out;
        }
        let paths: Vec<crate::types::PathQuery<'_>> = file
            .paths
            .iter()
            .map(|p| crate::types::PathQuery::new(p))
            .collect();
        let active: Vec<bool> = self
            .rules
            .iter()
            .map(|r| {
                owners.contains(&r.owner)
                    && r.def
                        .paths
                        .as_ref()
                        .is_none_or(|only| paths.iter().any(|p| only.is_match_query(p)))
                    && (r.def.everywhere
                        || self
                            .selection(r.owner)
                            .is_none_or(|s| s.scope.covers(file.material)))
            })
            .collect();
        if !active.iter().any(|a| *a) {
            return out;
        }
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        let mut possible = Vec::new();
        let mut inner_hits = Vec::new();
        let mut hits_sorted = false;
        let plan = self.plan();
        if let Some(lits) = &plan.literals {
            possible =
                self.scan_literals(lits, &active, data, &mut found, &mut inner_hits, &mut out);
        }
        for &i in &plan.alone {
            if !active[i] {
                continue;
            }
            // A rule whose required literal is nowhere in the file cannot match it.
            let has = plan.literals.as_ref().is_some_and(|l| l.has_inner[i]);
            if has && !possible[i] {
                continue;
            }
            let re = match self.regex(i) {
                Ok(re) => re,
                Err(e) => {
                    out.errors.push((self.rules[i].owner, e));
                    continue;
                }
            };
            let mut search = |input: Input<'_>| {
                found.extend(
                    re.find_iter(input)
                        .filter(|m| !m.is_empty())
                        .map(|m| (i, m.start(), m.end())),
                )
            };
            if !plan.by_line[i] {
                search(Input::new(data));
                continue;
            }
            // The lines holding an occurrence of the rule's literals, each searched once, in
            // order (the span keeps the text around it in view for `^`, `$` and `\b`).
            if !hits_sorted {
                // (The DFA reports them by where they end.)
                inner_hits.sort_unstable();
                hits_sorted = true;
            }
            let first = inner_hits.partition_point(|&(r, _)| r < i);
            let mut searched = 0;
            for &(_, at) in inner_hits[first..].iter().take_while(|(r, _)| *r == i) {
                if at < searched {
                    continue;
                }
                let start = memchr::memrchr(b'\n', &data[..at]).map_or(0, |n| n + 1);
                let end = memchr(b'\n', &data[at..]).map_or(data.len(), |n| at + n);
                search(Input::new(data).span(start..end));
                searched = end + 1;
            }
        }
        if found.is_empty() {
            return out;
        }
        self.report(found, file, data, ids, &mut out);
        out
    }

    /// Whether a match of rule `i` at `at` falls in a region the rule's check does not count
    /// (a test module, a comment), or in a doc comment that shows it as an example
    /// (`unless-in-comment-with`).
    fn in_ignored_region(&self, i: usize, at: usize, regions: &Regions, data: &[u8]) -> bool {
        let rule = &self.rules[i];
        let example = rule.def.unless_in_comment_with.as_ref().is_some_and(|p| {
            regions
                .doc_comment_around(at, data)
                .is_some_and(|r| p.hit(&data[r]))
        });
        let Some(sel) = self.selection(rule.owner) else {
            return example;
        };
        example
            || (sel.ignore_comments && regions.in_comment(at))
            || (!rule.def.everywhere && sel.scope != Scope::All && regions.in_test(at))
    }

    fn needs_regions(&self, i: usize) -> bool {
        let rule = &self.rules[i];
        rule.def.unless_in_comment_with.is_some()
            || self.selection(rule.owner).is_some_and(|s| {
                s.ignore_comments || (!rule.def.everywhere && s.scope != Scope::All)
            })
    }

    /// The one literal pass: at each place a prefix literal occurs, the rules it starts are
    /// tried, anchored there, in the order of the places; per rule, matches do not overlap (as a
    /// leftmost-first search finds them). Returns, per rule, whether one of its required inner
    /// literals occurs in `data`.
    fn scan_literals(
        &self,
        lits: &Literals,
        active: &[bool],
        data: &[u8],
        found: &mut Vec<(usize, usize, usize)>,
        inner_hits: &mut Vec<(usize, usize)>,
        out: &mut ScanOutcome,
    ) -> Vec<bool> {
        let by_line = &self.plan().by_line;
        let mut possible = vec![false; self.rules.len()];
        let mut starts: Vec<(usize, u32)> = Vec::new();
        let mut hit = |p: usize, start: usize| {
            if !lits.prefix_of[p].is_empty() {
                starts.push((start, p as u32));
            }
            for &r in &lits.inner_of[p] {
                possible[r] = true;
                if by_line[r] && active[r] {
                    inner_hits.push((r, start));
                }
            }
        };
        let pass = lits.pass(active);
        match pass.get_or_init(|| lits.make_pass(active)) {
            Pass::Full => lits.automaton.each(data, hit),
            Pass::Some(automaton, ids) => {
                automaton.each(data, |q, start| hit(ids[q] as usize, start))
            }
            Pass::None => {}
        }
        starts.sort_unstable();
        let mut next_ok = vec![0usize; self.rules.len()];
        let mut tried = vec![usize::MAX; self.rules.len()];
        let mut failed = vec![false; self.rules.len()];
        for (h, p) in starts {
            for &i in &lits.prefix_of[p as usize] {
                if !active[i] || failed[i] || h < next_ok[i] || tried[i] == h {
                    continue;
                }
                tried[i] = h;
                let re = match self.regex(i) {
                    Ok(re) => re,
                    Err(e) => {
                        failed[i] = true;
                        out.errors.push((self.rules[i].owner, e));
                        continue;
                    }
                };
                let input = Input::new(data).span(h..data.len()).anchored(Anchored::Yes);
                if let Some(m) = re.find(input) {
                    if !m.is_empty() {
                        found.push((i, m.start(), m.end()));
                        next_ok[i] = m.end();
                    }
                }
            }
        }
        possible
    }

    /// The engine's regex of rule `i`, compiled on first use.
    fn regex(&self, i: usize) -> Result<&Meta, String> {
        self.rules[i]
            .search
            .get_or_init(|| build(self.rules[i].def.regex.as_str()))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether a secret match of rule `i` is made up: a placeholder by its check's rules (unless
    /// its checksum verifies), or a look-alike whose checksum fails, in material the check's scope
    /// leaves out (a test fixture's fake token).
    fn made_up(&self, i: usize, text: &[u8], file: &Subject<'_>) -> bool {
        let def = &self.rules[i].def;
        if !def.secret {
            return false;
        }
        let token = String::from_utf8_lossy(text);
        let verified = def.checksum.and_then(|c| c.verify(&token));
        if verified == Some(true) {
            return false;
        }
        if verified == Some(false) {
            let scope = self
                .selection(self.rules[i].owner)
                .map_or(Scope::Shipped, |s| s.scope);
            let shipped = if scope == Scope::All {
                Scope::Shipped
            } else {
                scope
            };
            if !shipped.covers(file.material) {
                return true;
            }
        }
        match &def.placeholders {
            Some(p) => p.why(&token, def.entropy).is_some(),
            None => def
                .entropy
                .is_some_and(|min| crate::secrets::shannon(&token) < min),
        }
    }

    /// Turns match spans into raw matches: the reported group, `allow`, `unless-defined-by`,
    /// `shipgate:allow` comments, the line and column.
    fn report(
        &self,
        mut found: Vec<(usize, usize, usize)>,
        file: &Subject<'_>,
        data: &[u8],
        ids: &dyn Fn(usize) -> String,
        out: &mut ScanOutcome,
    ) {
        found.sort_unstable();
        if found.iter().any(|(i, _, _)| self.needs_regions(*i)) {
            let regions = material::regions(file.paths[0], data);
            found.retain(|(i, start, _)| !self.in_ignored_region(*i, *start, &regions, data));
        }
        let mut lines = LineIndex::new(data);
        let mut defined: std::collections::HashMap<usize, Vec<Vec<u8>>> = Default::default();
        let mut using: std::collections::HashMap<usize, Vec<Vec<u8>>> = Default::default();
        for (i, start, end) in found {
            let rule = &self.rules[i];
            fn compiled(p: &Option<Pattern>) -> Result<Option<&regex::bytes::Regex>, String> {
                p.as_ref().map(Pattern::compiled).transpose()
            }
            let d = &rule.def;
            let extras = (|| {
                Ok::<_, String>((
                    compiled(&d.allow)?,
                    compiled(&d.unless_defined_by)?,
                    compiled(&d.unless_before)?,
                    compiled(&d.unless_whole)?,
                    compiled(&d.only_if_used)?,
                    compiled(&d.unless_near)?,
                ))
            })();
            let (allow, defined_by, before, whole, used_by, near) = match extras {
                Ok(x) => x,
                Err(e) => {
                    out.errors.push((rule.owner, e));
                    continue;
                }
            };
            if whole.is_some_and(|w| w.is_match(&data[start..end])) {
                continue;
            }
            let (m, name, has_default, fails) = match (rule.groups, rule.def.regex.compiled()) {
                (true, Ok(re)) => match re.captures_at(data, start) {
                    Some(c) if c.get(0).is_some_and(|w| w.start() == start) => {
                        let whole = c.get(0).unwrap();
                        let m = c.name("match").unwrap_or(whole);
                        let name = c.name("name").map(|n| n.as_bytes().to_vec());
                        let took_part = |g: &str| c.name(g).is_some();
                        (
                            (m.start(), m.end()),
                            name,
                            took_part("default"),
                            took_part("fails"),
                        )
                    }
                    _ => ((start, end), None, false, false),
                },
                (true, Err(e)) => {
                    out.errors.push((rule.owner, e));
                    continue;
                }
                (false, _) => ((start, end), None, false, false),
            };
            let text = &data[m.0..m.1];
            if allow.is_some_and(|a| a.is_match(text)) || self.made_up(i, text, file) {
                continue;
            }
            if let (Some(p), Some(n)) = (defined_by, &name) {
                let names = defined.entry(i).or_insert_with(|| {
                    p.captures_iter(data)
                        .filter_map(|c| c.get(1).map(|m| m.as_bytes().to_ascii_lowercase()))
                        .collect()
                });
                if names.contains(&n.to_ascii_lowercase()) {
                    continue;
                }
            }
            if let Some(u) = used_by {
                let uses = using
                    .entry(i)
                    .or_insert_with(|| u.find_iter(data).map(|m| m.as_bytes().to_vec()).collect());
                if !name
                    .as_ref()
                    .is_some_and(|n| uses.iter().any(|t| refers_to(t, n)))
                {
                    continue;
                }
            }
            let (line, line_start) = lines.line_of(m.0);
            let line_bytes = line_at(data, line_start);
            if let Some(b) = before {
                if b.is_match(&data[line_start.min(start)..start]) {
                    continue;
                }
            }
            if near.is_some() {
                let w = lines.around(m.0, m.1, crate::types::NEAR_LINES, data.len());
                if rule
                    .def
                    .allowed_near(&data[w.start..m.0], &data[m.0..w.end])
                {
                    continue;
                }
            }
            let prefix = String::from_utf8_lossy(&data[line_start..m.0]);
            let column = prefix.chars().count() as u64 + 1;
            let id = ids(rule.owner);
            let prev = (line > 1).then(|| line_at(data, lines.start_of(line - 1)));
            if allows(line_bytes, &id) || prev.is_some_and(|p| allows(p, &id)) {
                out.suppressed.push(rule.owner);
                continue;
            }
            let whole_start = start.saturating_sub(line_start);
            let span_in_line = (
                whole_start.min(line_bytes.len()),
                end.saturating_sub(line_start).min(line_bytes.len()),
            );
            let mut after = Vec::new();
            let mut next = line_start + line_bytes.len() + 1;
            for _ in 0..rule.def.context_after {
                if next > data.len() {
                    break;
                }
                let l = line_at(data, next.min(data.len()));
                after.push(String::from_utf8_lossy(l).into_owned());
                next += l.len() + 1;
            }
            out.matches.push(RawMatch {
                owner: rule.owner,
                pattern: rule.def.name.clone(),
                secret: rule.def.secret,
                line,
                column,
                matched: String::from_utf8_lossy(text).into_owned(),
                name: name.map(|n| String::from_utf8_lossy(&n).into_owned()),
                has_default,
                fails,
                line_text: String::from_utf8_lossy(line_bytes).into_owned(),
                span_in_line,
                after,
            });
        }
    }
}

/// Whether `text` refers to the variable `name` as `$name` or `${name}` (`$name_2` is another).
fn refers_to(text: &[u8], name: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    memchr::memchr_iter(b'$', text).any(|at| {
        let rest = &text[at + 1..];
        match rest.strip_prefix(b"{") {
            Some(inner) => {
                inner.starts_with(name) && inner.get(name.len()).is_some_and(|&b| !word(b))
            }
            None => rest.starts_with(name) && rest.get(name.len()).is_none_or(|&b| !word(b)),
        }
    })
}

/// The engine's regex for one pattern: multi-line, bytes, ASCII word boundaries, no captures
/// (positions only; the few matches that need groups are re-read with `Pattern::compiled`).
fn build(src: &str) -> Result<Meta, String> {
    use regex_automata::{meta, nfa::thompson::WhichCaptures, util::syntax};
    meta::Regex::builder()
        .syntax(syntax::Config::new().multi_line(true).utf8(false))
        .configure(
            meta::Config::new()
                .utf8_empty(false)
                .which_captures(WhichCaptures::Implicit)
                .nfa_size_limit(Some(crate::types::PATTERN_SIZE_LIMIT))
                .hybrid_cache_capacity(8 << 20),
        )
        .build(&engine_syntax(src)?)
        .map_err(|e| {
            let mut msg = format!("the pattern `{src}` cannot be compiled: {e}");
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                msg.push_str(&format!(": {c}"));
                cause = c.source();
            }
            if e.size_limit().is_some() {
                msg.push_str(" (it is too large: simplify it, or split it into several patterns)");
            }
            msg
        })
}

impl Literals {
    /// The automaton over the rules' prefix literals and the inner literals of the rules searched
    /// alone. ASCII letters are folded (the automaton is ASCII case-insensitive), so a
    /// case-insensitive prefix is one literal, not one per spelling; a literal another literal of
    /// the same rule starts with adds nothing and is left out.
    fn new(
        rules: usize,
        prefixes: &[(usize, Vec<Vec<u8>>)],
        inner: &[(usize, Vec<Vec<u8>>)],
    ) -> Option<Literals> {
        let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut prefix_of: Vec<Vec<usize>> = Vec::new();
        let mut inner_of: Vec<Vec<usize>> = Vec::new();
        let mut has_inner = vec![false; rules];
        let mut wanted: Vec<(usize, bool, Vec<u8>)> = Vec::new();
        for (of, is_prefix) in [(prefixes, true), (inner, false)] {
            for (rule, ls) in of {
                let mut ls: Vec<Vec<u8>> = ls.iter().map(|l| l.to_ascii_lowercase()).collect();
                ls.sort_unstable();
                ls.dedup();
                // Sorted, a literal that another one starts with comes right after it.
                let mut kept: Vec<Vec<u8>> = Vec::new();
                for l in ls {
                    if kept.last().is_none_or(|k| !l.starts_with(k)) {
                        kept.push(l);
                    }
                }
                if !is_prefix {
                    has_inner[*rule] = true;
                }
                wanted.extend(kept.into_iter().map(|l| (*rule, is_prefix, l)));
            }
        }
        if wanted.is_empty() {
            return None;
        }
        for (rule, is_prefix, lit) in wanted {
            let p = *index.entry(lit.clone()).or_insert_with(|| {
                patterns.push(lit);
                prefix_of.push(Vec::new());
                inner_of.push(Vec::new());
                patterns.len() - 1
            });
            let list = if is_prefix {
                &mut prefix_of[p]
            } else {
                &mut inner_of[p]
            };
            if !list.contains(&rule) {
                list.push(rule);
            }
        }
        let automaton = Automaton::new(&patterns)?;
        Some(Literals {
            automaton,
            prefix_of,
            inner_of,
            has_inner,
            patterns,
            passes: Default::default(),
        })
    }
}

/// Literals one of which every match of `pattern` contains somewhere (not only at its start):
/// for a concatenation, the best of its elements' and of its suffixes' prefix literals; for an
/// alternation, the union of its branches'. `None` when no useful set exists (each literal at
/// least two bytes, at most 64 of them).
fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    if let Some((_, _, required, _)) = built_in_plan(pattern) {
        return required.map(|ls| ls.iter().map(|l| l.to_vec()).collect());
    }
    static CACHE: OnceLock<LiteralCache> = OnceLock::new();
    cached(&CACHE, pattern, extract_required_literals)
}

/// Whether no match of `pattern` holds a line end (it can be searched line by line).
fn stays_on_a_line(pattern: &str) -> bool {
    if let Some((_, _, _, on_a_line)) = built_in_plan(pattern) {
        return *on_a_line;
    }
    hir(pattern).is_some_and(|h| !crate::literals::holds_newline(&h))
}

type PlanRow = (
    &'static str,
    Option<&'static [&'static [u8]]>,
    Option<&'static [&'static [u8]]>,
    bool,
);

/// A built-in pattern's plan, made at build time (build.rs, by the same code:
/// `built_in_plans_are_extracted_ones` checks the table): its prefix literals, the literals
/// every match holds, and whether a match stays on one line.
fn built_in_plan(pattern: &str) -> Option<&'static PlanRow> {
    let i = PLAN_LITERALS
        .binary_search_by(|(p, _, _, _)| (*p).cmp(pattern))
        .ok()?;
    Some(&PLAN_LITERALS[i])
}

/// `pattern` as the engine reads it (`types::engine_syntax`), for literal extraction.
fn hir(pattern: &str) -> Option<regex_syntax::hir::Hir> {
    crate::types::engine_hir(pattern).ok()
}

fn extract_required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = hir(pattern)?;
    crate::literals::needs(&hir)
}

/// A quick version of [`prefix_literals`] (the extractor's default limits: shorter, fewer
/// literals), for screening short texts.
pub(crate) fn quick_prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // The built-in secret patterns' were extracted at build time, by the same code (build.rs
    // includes `literals`): extracting them at every start was half of the redactor's screen,
    // which a pre-push hook's report waits for. `built_in_quick_prefixes_are_extracted_ones`
    // checks the table.
    if let Ok(i) = QUICK_PREFIXES.binary_search_by(|(p, _)| (*p).cmp(pattern)) {
        return QUICK_PREFIXES[i]
            .1
            .map(|ls| ls.iter().map(|l| l.to_vec()).collect());
    }
    static CACHE: OnceLock<LiteralCache> = OnceLock::new();
    cached(&CACHE, pattern, |p| {
        crate::literals::prefix_literals_within(p, QUICK_PREFIX_LIMIT)
    })
}

/// For a built-in secret pattern without quick prefix literals: literals one of which every
/// match holds somewhere, all ASCII, and whether that holds only of matches in an ASCII text
/// (`crate::literals::required_ascii_literals`, run at build time; `None` for any other pattern).
pub(crate) fn built_in_required_literals(pattern: &str) -> Option<(bool, Vec<Vec<u8>>)> {
    let i = SCREEN_REQUIRED
        .binary_search_by(|(p, _, _)| (*p).cmp(pattern))
        .ok()?;
    let (_, ascii_only, ls) = SCREEN_REQUIRED[i];
    Some((ascii_only, ls.iter().map(|l| l.to_vec()).collect()))
}

/// How many prefix literals `quick_prefix_literals` lets the extractor expand (build.rs uses
/// the same).
pub(crate) const QUICK_PREFIX_LIMIT: usize = 250;

// `QUICK_PREFIXES`: (pattern, its `quick_prefix_literals`) of every built-in secret pattern,
// sorted by pattern; `SCREEN_REQUIRED`: see `built_in_required_literals`.
include!(concat!(env!("OUT_DIR"), "/quick_prefixes.rs"));

/// The literals every match of `pattern` starts with, if there are few enough to be useful (each at
/// least two bytes long).
pub(crate) fn prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    // The same patterns reach several matchers (a repository's, an artifact's, the redactor's):
    // extracted once per process.
    static CACHE: OnceLock<LiteralCache> = OnceLock::new();
    cached(&CACHE, pattern, extract_prefix_literals)
}

type LiteralCache = std::sync::Mutex<std::collections::HashMap<String, Option<Vec<Vec<u8>>>>>;

/// `extract(pattern)`, computed once per process and pattern.
fn cached(
    cache: &OnceLock<LiteralCache>,
    pattern: &str,
    extract: fn(&str) -> Option<Vec<Vec<u8>>>,
) -> Option<Vec<Vec<u8>>> {
    let cache = cache.get_or_init(Default::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(pattern).cloned()) {
        return hit;
    }
    let lits = extract(pattern);
    if let Ok(mut c) = cache.lock() {
        c.insert(pattern.to_string(), lits.clone());
    }
    lits
}

fn extract_prefix_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    if let Some((_, prefix, _, _)) = built_in_plan(pattern) {
        return prefix.map(|ls| ls.iter().map(|l| l.to_vec()).collect());
    }
    crate::literals::prefix_literals_within(pattern, crate::literals::PREFIX_LIMIT)
}

/// The line (without its newline) that starts at `start`.
fn line_at(data: &[u8], start: usize) -> &[u8] {
    let end = memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    let line = &data[start..end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
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

    /// The bytes of the lines holding `from..to` and `n` lines on each side of them, in a text
    /// of `len` bytes (`unless-near`).
    fn around(&mut self, from: usize, to: usize, n: usize, len: usize) -> std::ops::Range<usize> {
        let (first, _) = self.line_of(from);
        let (last, _) = self.line_of(to.saturating_sub(1).max(from));
        let start = self.start_of(first.saturating_sub(n as u64).max(1));
        let end = self.starts.get(last as usize + n).map_or(len, |s| *s);
        start..end.min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unless-near` sees the match's line and `NEAR_LINES` lines on each side, no more, and
    /// stops at the start and end of the file.
    #[test]
    fn the_near_window_is_six_lines_each_side() {
        let lines: Vec<String> = (0..20).map(|n| format!("line {n}")).collect();
        let text = lines.join("\n");
        let data = text.as_bytes();
        let mut index = LineIndex::new(data);
        let mut around = |from: usize, to: usize| {
            let w = index.around(from, to, crate::types::NEAR_LINES, data.len());
            std::str::from_utf8(&data[w]).unwrap()
        };
        let start = text.find("line 10").unwrap();
        let seen = around(start, start + 7);
        assert!(
            seen.starts_with("line 4\n") && seen.trim_end().ends_with("line 16"),
            "{seen}"
        );
        assert!(around(0, 6).trim_end().ends_with("line 6"));
        let start = text.find("line 18").unwrap();
        let seen = around(start, start + 7);
        assert!(
            seen.starts_with("line 12\n") && seen.ends_with("line 19"),
            "{seen}"
        );
    }

    /// The plans build.rs makes are what the run-time extraction gives.
    #[test]
    fn built_in_plans_are_extracted_ones() {
        assert!(PLAN_LITERALS.len() > 60);
        for (p, prefix, required, on_a_line) in PLAN_LITERALS {
            let table =
                |ls: &Option<&[&[u8]]>| ls.map(|ls| ls.iter().map(|l| l.to_vec()).collect());
            let h = hir(p).unwrap();
            assert_eq!(
                crate::literals::prefix_literals_within(p, crate::literals::PREFIX_LIMIT),
                table(prefix),
                "{p}"
            );
            assert_eq!(crate::literals::needs(&h), table(required), "{p}");
            assert_eq!(!crate::literals::holds_newline(&h), *on_a_line, "{p}");
        }
        assert!(!stays_on_a_line(r"(?s)a.*b") && stays_on_a_line(r"a[^\n]*b"));
    }

    /// The table build.rs makes is what the run-time extraction gives, and it holds every
    /// built-in secret pattern.
    #[test]
    fn built_in_quick_prefixes_are_extracted_ones() {
        for (p, ls) in QUICK_PREFIXES {
            let table: Option<Vec<Vec<u8>>> = ls.map(|ls| ls.iter().map(|l| l.to_vec()).collect());
            assert_eq!(
                crate::literals::prefix_literals_within(p, QUICK_PREFIX_LIMIT),
                table,
                "{p}"
            );
        }
        for (p, ascii_only, ls) in SCREEN_REQUIRED {
            let (only, required) = crate::literals::required_ascii_literals(p).unwrap();
            assert!(required.iter().all(|l| l.is_ascii()), "{p}");
            assert_eq!(ls.iter().map(|l| l.to_vec()).collect::<Vec<_>>(), required);
            assert_eq!(*ascii_only, only, "{p}");
            assert!(quick_prefix_literals(p).is_none(), "{p}");
        }
        // The generic assignment patterns (`(?i)`, no prefix) are screened in ASCII texts.
        assert!(SCREEN_REQUIRED
            .iter()
            .any(|(p, only, ls)| *only && p.starts_with("(?i)") && ls.contains(&&b"passw"[..])));
        let secrets = crate::config::builtin_secret_patterns();
        assert!(secrets.len() > 40);
        for d in &secrets {
            assert!(
                built_in_plan(d.regex.as_str()).is_some(),
                "{}",
                d.regex.as_str()
            );
        }
        for d in secrets {
            assert!(
                QUICK_PREFIXES
                    .binary_search_by(|(p, _)| (*p).cmp(d.regex.as_str()))
                    .is_ok(),
                "{}",
                d.regex.as_str()
            );
        }
    }

    #[test]
    fn the_simd_first_stage_finds_what_the_dfa_finds() {
        let lits: Vec<Vec<u8>> = [
            "akia",
            "-----beg",
            "/home/",
            "key",
            "${",
            "mg",
            "http",
            "xoxb-0",
            "dapi0a",
            "wss://",
            "u\u{17f}ers/",
            "fla\u{212a}_e",
            "0q~",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!(
                "line {i}: KEY=${{HOME}} AKIA{i:016} -----BEGIN cat /HOME/x Http://a \
                 XOXB-0 DAPI0A wsS:// u\u{17f}ers/ fla\u{212a}_e 0Q~ mG\n"
            ));
        }
        let all = |a: &Automaton| {
            let mut v = Vec::new();
            a.each(text.as_bytes(), |p, s| v.push((s, p)));
            v.sort_unstable();
            v
        };
        let dfa = all(&Automaton::without_simd(&lits).unwrap());
        assert!(dfa.len() > 2000, "{}", dfa.len());
        assert_eq!(all(&Automaton::new(&lits).unwrap()), dfa);
    }

    fn matcher(patterns: &[&str]) -> ContentMatcher {
        ContentMatcher::new(vec![(
            0,
            ContentRule {
                selection: Selection::default(),
                patterns: patterns
                    .iter()
                    .enumerate()
                    .map(|(i, p)| PatternDef::new(&format!("p{i}"), Pattern::new(p).unwrap()))
                    .collect(),
            },
        )])
        .unwrap()
    }

    fn found(m: &ContentMatcher, hay: &str) -> Vec<(String, String)> {
        found_for(m, &[0], hay)
    }

    /// What the checks `owners` find in `hay`, sorted by pattern name and match.
    fn found_for(m: &ContentMatcher, owners: &[usize], hay: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = m
            .scan(
                &Subject {
                    paths: &["f"],
                    material: None,
                },
                owners,
                hay.as_bytes(),
                &|_| "x".into(),
            )
            .matches
            .into_iter()
            .map(|r| (r.pattern, r.matched))
            .collect();
        v.sort();
        v
    }

    /// A file some checks do not look at gets a pass over only the literals of the checks that
    /// do (one per set of checks, made once): what it finds is exactly what those checks'
    /// patterns find on their own, prefixed and searched-alone ones alike, and nothing of the
    /// others'; the full set still finds everything.
    #[test]
    fn a_file_is_searched_for_the_literals_of_the_checks_that_look_at_it() {
        let a = [r"(?P<match>AKIA[0-9A-Z]{16})", r"[a-z]+/home/[a-z]+"];
        let b = [r"(?P<match>ghp_[A-Za-z0-9]{36})", r"(?i)\bdebug\s*=\s*true"];
        let rule = |ps: &[&str], tag: &str| ContentRule {
            selection: Selection::default(),
            patterns: ps
                .iter()
                .enumerate()
                .map(|(i, p)| PatternDef::new(&format!("{tag}{i}"), Pattern::new(p).unwrap()))
                .collect(),
        };
        let m = ContentMatcher::new(vec![(0, rule(&a, "a")), (1, rule(&b, "b"))]).unwrap();
        // Built at run time: shipgate checks its own source.
        let hay = format!(
            "id = {}\nt = {}\nx=a/home/bob DEBUG = true\n",
            ["AKIA", "QWERTYUIOPASDFGH"].concat(),
            ["ghp_", "abcdefghijklmnopqrstuvwxyz0123456789"].concat()
        );
        let hay = hay.as_str();
        let run = |owners: &[usize]| found_for(&m, owners, hay);
        let names = |tag: &str, v: Vec<(String, String)>| -> Vec<(String, String)> {
            v.into_iter()
                .map(|(p, s)| (p.replacen('p', tag, 1), s))
                .collect()
        };
        let only_a = names("a", each_alone(&a, hay));
        let only_b = names("b", each_alone(&b, hay));
        assert_eq!(only_a.len(), 2, "{only_a:?}");
        assert_eq!(only_b.len(), 2, "{only_b:?}");
        for _ in 0..2 {
            assert_eq!(run(&[0]), only_a);
            assert_eq!(run(&[1]), only_b);
            let mut both = [only_a.clone(), only_b.clone()].concat();
            both.sort();
            assert_eq!(run(&[0, 1]), both);
        }
        // One pass per set of checks: each owner alone, and both (the full one).
        let lits = m.plan().literals.as_ref().unwrap();
        assert_eq!(lits.passes.lock().unwrap().len(), 3);
    }

    /// What each pattern finds run on its own over the whole of `hay` (its `match` group, or the
    /// whole match), as `found` names them.
    fn each_alone(patterns: &[&str], hay: &str) -> Vec<(String, String)> {
        let mut expected: Vec<(String, String)> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let re = Pattern::new(p).unwrap();
            let re = re.compiled().unwrap();
            for c in re.captures_iter(hay.as_bytes()) {
                let m = c.name("match").unwrap_or(c.get(0).unwrap());
                expected.push((
                    format!("p{i}"),
                    String::from_utf8_lossy(m.as_bytes()).into(),
                ));
            }
        }
        expected.sort();
        expected
    }

    /// The matcher finds exactly what running every pattern on its own finds, whether a pattern
    /// shares the prefilter or is searched alone.
    #[test]
    fn patterns_without_a_prefix_still_require_an_inner_literal() {
        let entra =
            r"(?:^|[^A-Za-z0-9_~.-])(?P<match>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})";
        let lits = required_literals(entra).unwrap();
        assert!(lits.iter().all(|l| l.ends_with(b"q~")), "{lits:?}");
        let azure = r"(?:^|[^A-Za-z0-9+/_-])(?P<match>[A-Za-z0-9+/]{76}(?:\+ASt|ACDb)[A-Za-z0-9+/]{5}[AQgw]==|[A-Za-z0-9+/]{33}AzCa[A-P][A-Za-z0-9+/]{5}=)";
        let lits = required_literals(azure).unwrap();
        for l in [&b"+ast"[..], b"acdb", b"azca"] {
            assert!(
                lits.iter().any(|x| x.windows(l.len()).any(|w| w == l)),
                "{lits:?}"
            );
        }
        // Nothing required: searched on every file.
        assert!(required_literals(r"[A-Za-z]{8,}").is_none());
    }

    #[test]
    fn agrees_with_every_pattern_run_alone() {
        let patterns: Vec<String> = (1..=60)
            .flat_map(|i| {
                [
                    format!(r"(?i)\b(?:legacy_api_{i}|hack_{i})\s*\("),
                    format!(r"TODO\({i}-[A-Z]{{2,8}}\)"),
                ]
            })
            .chain([
                r"(?m)^(?:<{7}|>{7})(?:[ \t].*)?$".to_string(),
                r"(?P<match>/home/[a-z]+/)".to_string(),
                r"(?:^|[\s=])(?P<match>/Users/[a-z]+/)".to_string(),
                r"[0-9]+x".to_string(),
                r"\bAKIA[A-Z2-7]{16}\b".to_string(),
            ])
            .collect();
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let m = matcher(&refs);
        assert!(
            m.plan()
                .literals
                .as_ref()
                .is_some_and(|l| l.prefix_of.iter().any(|p| !p.is_empty()))
                && !m.plan().alone.is_empty()
        );
        // Built at run time, so this file holds no secret-shaped literal.
        let key = ["AKIA", "Q2Z7XK4N5M6P3R2S"].concat();
        let keys = format!("k={key} é{key}");
        let hay = [
            "nothing here at all",
            "x = Legacy_API_7 (1) and hack_9(",
            "xlegacy_api_7(1)",
            "a TODO(12-AB) b TODO(12-a) TODO(13-ZZ)",
            "line\n<<<<<<< HEAD\n>>>>>>> x\n<<<<<<<< eight",
            "P=/home/alice/x /home/bob/ x/home/carol/",
            "P=/Users/bob/x x/Users/eve/",
            "abc 123x 45x",
            keys.as_str(),
        ]
        .join("\n");
        let expected = each_alone(&refs, &hay);
        assert!(expected.len() > 10);
        assert_eq!(found(&m, &hay), expected);
    }

    /// A pattern searched alone that cannot match a line end is searched on the lines holding its
    /// literals only: it finds what a search of the whole file finds (matches at the file's
    /// edges, several on one line, `^`/`$`/`\b` at a line's edges, a literal that occurs twice on
    /// a line); a pattern that can cross a line end is still searched across them.
    #[test]
    fn line_local_patterns_searched_alone_find_what_a_whole_file_search_finds() {
        let local =
            r"(?i)(?P<match>[a-z_]*(?:secret|token)[a-z_]*)[ \t]*[:=][ \t]*(?P<v>[A-Za-z0-9]{6,})";
        let anchored = r"(?m)^[ \t]*-[ \t]*name:[ \t]*(?P<name>[A-Z][A-Z0-9_]*)[ \t]*$";
        let bounded = r"\b[a-z]+:/Users/[a-z]+/";
        let crossing =
            r"(?i)(?P<match>[a-z_]*(?:passw(?:or)?d|credential))\s*[:=]\s*(?P<v>[A-Za-z0-9]{6,})";
        let refs = [local, anchored, bounded, crossing];
        let m = matcher(&refs);
        let plan = m.plan();
        assert_eq!(plan.alone.len(), 4);
        assert!(plan.by_line[0] && plan.by_line[1] && plan.by_line[2]);
        assert!(!plan.by_line[3], "\\s can match a line end");
        let hay = [
            "secret=abcdef1 token: zzzzzz9",
            "x",
            "  - name: API_KEY",
            "- name: lower_case",
            "SECRET_token = qwerty12 and secret",
            "c:/Users/ann/ xc:/Users/bob/",
            "password =",
            "   hunter22",
            "credential:",
            "token=abcdef",
        ]
        .join("\n");
        let expected = each_alone(&refs, &hay);
        let got = found(&m, &hay);
        assert_eq!(got, expected);
        // The whole-file search's own answers, as a person reads them.
        for want in [
            ("p0", "secret"),
            ("p0", "token"),
            ("p0", "SECRET_token"),
            ("p1", "  - name: API_KEY"),
            ("p2", "c:/Users/ann/"),
            ("p2", "xc:/Users/bob/"),
            ("p3", "password"),
            ("p0", "token"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        assert!(
            !got.iter().any(|(p, t)| p == "p1" && t.contains("lower")),
            "{got:?}"
        );
    }

    /// Case-insensitive prefixes fold into one literal of the ASCII case-insensitive automaton;
    /// a case-sensitive pattern hit by another spelling is rejected by its anchored search, and
    /// the Unicode spellings the engine folds (`ſ` for `s`, the Kelvin sign for `k`) still start
    /// a match.
    #[test]
    fn folded_prefixes_find_what_each_pattern_finds_alone() {
        let patterns = [
            r"(?i)secret_[a-z]{3}",
            r"(?i)\bmg[a-z]{2}=",
            r"\bSK[0-9a-f]{4}\b",
            r"(?i)https?://localhost",
            r"(?i)(?:token|key)=[0-9]{3}",
        ];
        let m = matcher(&patterns);
        assert!(
            m.plan().alone.is_empty(),
            "every pattern has prefixes: {:?}",
            m.plan()
                .alone
                .iter()
                .map(|i| patterns[*i])
                .collect::<Vec<_>>()
        );
        let hay = "SECRET_abc ſecret_xyz secret_ab\nmgxy= MGab= xmgab=\nsk12ab SK12ab SK12abc\n\
                   HTTPS://LOCALHOST http://localhost:3000 Token=123 \u{212A}EY=456 kEy=78";
        let mut expected: Vec<(String, String)> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let re = Pattern::new(p).unwrap();
            for x in re.compiled().unwrap().find_iter(hay.as_bytes()) {
                expected.push((
                    format!("p{i}"),
                    String::from_utf8_lossy(x.as_bytes()).into(),
                ));
            }
        }
        expected.sort();
        for want in [
            "ſecret_xyz",
            "SK12ab",
            "HTTPS://LOCALHOST",
            "\u{212A}EY=456",
            "MGab=",
        ] {
            assert!(
                expected.iter().any(|(_, s)| s == want),
                "{want}: {expected:?}"
            );
        }
        assert!(!expected.iter().any(|(_, s)| s == "sk12ab"));
        assert_eq!(found(&m, hay), expected);
    }

    #[test]
    fn overlapping_prefixes_and_starts_inside_other_matches_are_found() {
        let m = matcher(&["sk-[a-z]{3}", "k-[a-z]{3}x", "sk-a"]);
        assert_eq!(
            found(&m, "sk-abcx"),
            [
                ("p0".into(), "sk-abc".into()),
                ("p1".into(), "k-abcx".into()),
                ("p2".into(), "sk-a".into())
            ]
        );
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
