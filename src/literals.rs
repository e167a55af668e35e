//! What the engine reads a pattern as (ASCII word boundaries) and the literals its matches start
//! with. Standalone (regex-syntax only): build.rs includes this file too, to extract the built-in
//! secret patterns' prefixes at build time (`secrets::Redactor`'s screen).

/// The parsed pattern with its word boundaries made ASCII (`engine_syntax`).
pub fn engine_ast(src: &str) -> Result<regex_syntax::ast::Ast, String> {
    use regex_syntax::ast::{self, AssertionKind as K, Ast, GroupKind};
    fn rewrite(a: &mut Ast) {
        match a {
            Ast::Assertion(x)
                if !matches!(
                    x.kind,
                    K::StartLine | K::EndLine | K::StartText | K::EndText
                ) =>
            {
                let span = x.span;
                let inner = std::mem::replace(a, Ast::empty(span));
                *a = Ast::group(ast::Group {
                    span,
                    kind: GroupKind::NonCapturing(ast::Flags {
                        span,
                        items: vec![
                            ast::FlagsItem {
                                span,
                                kind: ast::FlagsItemKind::Negation,
                            },
                            ast::FlagsItem {
                                span,
                                kind: ast::FlagsItemKind::Flag(ast::Flag::Unicode),
                            },
                        ],
                    }),
                    ast: Box::new(inner),
                });
            }
            Ast::Group(g) => rewrite(&mut g.ast),
            Ast::Repetition(r) => rewrite(&mut r.ast),
            Ast::Alternation(x) => x.asts.iter_mut().for_each(rewrite),
            Ast::Concat(x) => x.asts.iter_mut().for_each(rewrite),
            _ => {}
        }
    }
    let mut parsed = ast::parse::Parser::new()
        .parse(src)
        .map_err(|e| invalid(src, &e))?;
    rewrite(&mut parsed);
    Ok(parsed)
}

/// The pattern as the engine runs it (`engine_syntax`), parsed for analysis (multi-line, any
/// bytes): one parse, where printing the rewritten pattern and parsing it again cost twice (the
/// literal extraction parses every secret pattern at every run).
pub fn engine_hir(src: &str) -> Result<regex_syntax::hir::Hir, String> {
    translate(src, true)
}

/// The pattern as it matches in an ASCII text, parsed for analysis: Unicode off where the
/// pattern does not turn it on, so `(?i)k` is `[Kk]` and not also the Kelvin sign, which an
/// ASCII text cannot hold. In an ASCII text a match of the pattern is a match of this one (an
/// ASCII character is in a Unicode class exactly when it is in the ASCII one), so the literals
/// every match of this one holds are held by every match of the pattern in an ASCII text.
pub fn engine_hir_ascii(src: &str) -> Result<regex_syntax::hir::Hir, String> {
    translate(src, false)
}

fn translate(src: &str, unicode: bool) -> Result<regex_syntax::hir::Hir, String> {
    use regex_syntax::hir::translate::TranslatorBuilder;
    let ast = engine_ast(src)?;
    TranslatorBuilder::new()
        .multi_line(true)
        .utf8(false)
        .unicode(unicode)
        .build()
        .translate(src, &ast)
        .map_err(|e| invalid(src, &e))
}

/// The error of a pattern that does not parse or compile, on one line.
pub fn invalid(src: &str, e: &dyn std::fmt::Display) -> String {
    format!("invalid regex `{src}`: {}", one_line(&e.to_string()))
}

fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The prefix literals of `pattern`, the extractor expanding at most `limit` of them.
pub fn prefix_literals_within(pattern: &str, limit: usize) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = engine_hir(pattern).ok()?;
    // Case-insensitive prefixes expand to every spelling (`(?i)twilio`: 64 and more); they fold
    // back into one literal in the ASCII case-insensitive automaton, so the budget is generous.
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_class(16)
        .limit_total(limit)
        .extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().len() < 2) {
        return None;
    }
    // Longer prefixes add states, not selectivity; shortened until few enough remain (`SK` and
    // a hex digit rather than every four-digit spelling). A shorter prefix is still a prefix: it
    // only adds places to try, which the anchored search rejects.
    for len in [8, 6, 5, 4, 3, 2] {
        let mut out: Vec<Vec<u8>> = lits
            .iter()
            .map(|l| l.as_bytes()[..l.len().min(len)].to_ascii_lowercase())
            .collect();
        out.sort_unstable();
        out.dedup();
        if out.len() <= 256 {
            return Some(out);
        }
    }
    None
}

/// ASCII literals one of which every match of `pattern` holds somewhere (`false`), or failing
/// that, every match in an ASCII text (`true`); `None` if neither is known.
pub fn required_ascii_literals(pattern: &str) -> Option<(bool, Vec<Vec<u8>>)> {
    let ascii = |ls: &Vec<Vec<u8>>| ls.iter().all(|l| l.is_ascii());
    if let Some(ls) = engine_hir(pattern)
        .ok()
        .and_then(|h| needs(&h))
        .filter(ascii)
    {
        return Some((false, ls));
    }
    let ls = engine_hir_ascii(pattern)
        .ok()
        .and_then(|h| needs(&h))
        .filter(ascii)?;
    Some((true, ls))
}

/// The literals one of which every match of `h` contains (see
/// `inputs::content::required_literals`).
pub fn needs(h: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::{Hir, HirKind};
    fn score(set: &[Vec<u8>]) -> (usize, std::cmp::Reverse<usize>) {
        let min = set.iter().map(Vec::len).min().unwrap_or(0);
        (min, std::cmp::Reverse(set.len()))
    }
    match h.kind() {
        HirKind::Capture(c) => needs(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => needs(&r.sub),
        HirKind::Alternation(xs) => {
            let mut all = Vec::new();
            for x in xs {
                all.extend(needs(x)?);
            }
            all.sort();
            all.dedup();
            (all.len() <= 64).then_some(all)
        }
        HirKind::Concat(xs) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            for k in 0..xs.len() {
                for cand in [needs(&xs[k]), prefix_set(&Hir::concat(xs[k..].to_vec()))]
                    .into_iter()
                    .flatten()
                {
                    if best.as_ref().is_none_or(|b| score(&cand) > score(b)) {
                        best = Some(cand);
                    }
                }
            }
            best
        }
        _ => prefix_set(h),
    }
}

/// The prefix literals of `h`, if finite, few and each at least two bytes.
pub fn prefix_set(h: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    // The extractor's default limits: this runs for every suffix of every concatenation.
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(h);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().len() < 2) {
        return None;
    }
    // Spellings of one case-insensitive literal are one literal of the case-insensitive
    // automaton: counted once. (Folded first, then minimized: the extractor's own optimization
    // compares every spelling with every other, a fifth of a small run's time.)
    let mut out: Vec<Vec<u8>> = lits
        .iter()
        .map(|l| l.as_bytes()[..l.len().min(16)].to_ascii_lowercase())
        .collect();
    out.sort_unstable();
    out.dedup();
    // A literal another one starts is redundant: a text holding it holds the shorter one. Sorted,
    // a literal's prefixes in the set come before it.
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(out.len());
    for l in out {
        if !kept.iter().any(|k| l.starts_with(k)) {
            kept.push(l);
        }
    }
    (kept.len() <= 64).then_some(kept)
}

/// Whether a match of `h` can hold a line end (`\n`).
pub fn holds_newline(h: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::{Class, HirKind};
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => false,
        HirKind::Literal(l) => l.0.contains(&b'\n'),
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).contains(&b'\n')),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .any(|r| (r.start()..=r.end()).contains(&'\n')),
        HirKind::Repetition(r) => holds_newline(&r.sub),
        HirKind::Capture(c) => holds_newline(&c.sub),
        HirKind::Concat(xs) | HirKind::Alternation(xs) => xs.iter().any(holds_newline),
    }
}

/// How many prefix literals the content matcher lets the extractor expand.
pub const PREFIX_LIMIT: usize = 1024;
