//! Secret values: what a placeholder looks like (one set of rules per check, declared in its YAML
//! and shared by all its secret patterns), the offline checksums some token formats carry, and the
//! redactor the sink runs over every text a report shows.
//!
//! A match of a secret pattern is a placeholder, not a finding, when its characters carry too
//! little information (Shannon entropy under `min-entropy` bits per character), when it holds a
//! long run of one character (`xxxxxxxx`) or of consecutive characters (`abcdefgh`, `12345678`),
//! a word that marks made-up values (`example`, `your`, `changeme`), one of the check's
//! placeholder regexes (`<…>`, `${…}`), or a vendor's documented example token. A token whose
//! checksum verifies (GitHub's and npm's CRC-32 tail, GitLab's routable tokens) is a real token's
//! shape and is never taken for a placeholder; one whose checksum does not verify is a look-alike,
//! which in tests, examples and docs is not reported.

use std::collections::HashSet;

use regex::Regex;
use serde::Deserialize;

use crate::text::{redact, redact_match};
use crate::types::{Pattern, PatternDef};

/// The placeholder rules of one check (`placeholders:` beside its `patterns:`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Placeholders {
    /// A match whose characters carry fewer bits each (Shannon entropy) is a placeholder. A
    /// pattern's own `entropy` replaces it for that pattern.
    #[serde(default)]
    pub min_entropy: Option<f64>,
    /// A run of this many identical characters (`xxxxxxxx`, `00000000`); in a value over 32
    /// characters, a quarter of it.
    #[serde(default)]
    pub repeated: Option<usize>,
    /// A run of this many consecutive characters, up or down (`abcdefgh`, `12345678`).
    #[serde(default)]
    pub sequence: Option<usize>,
    /// Words that mark a made-up value, matched without regard to case (`example`, `your`).
    #[serde(default)]
    pub words: Vec<String>,
    /// Regexes that mark a made-up value (`<[^>]*>`, `\$\{`).
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// Example tokens vendors document, exactly as written.
    #[serde(default)]
    pub examples: Vec<String>,
}

impl Placeholders {
    /// Why `token` is a placeholder, if it is. `entropy` is the pattern's own threshold.
    pub fn why(&self, token: &str, entropy: Option<f64>) -> Option<String> {
        // The example itself, or as the value of an assignment match (`token: tk_AgQd…`).
        let as_value = |e: &str| {
            token.strip_suffix(e).is_some_and(|rest| {
                rest.is_empty() || !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        };
        if self.examples.iter().any(|e| as_value(e)) {
            return Some("a documented example value".into());
        }
        if let Some(min) = entropy.or(self.min_entropy) {
            let e = shannon(token);
            if e < min {
                return Some(format!("{e:.1} bits of entropy per character, under {min}"));
            }
        }
        // In a long value a short run is chance (a base64 blob's `AAAAAAAA`): past 32 characters
        // the run must be a quarter of the value.
        let len = token.chars().count();
        let need = self
            .repeated
            .map(|n| if len > 32 { n.max(len / 4) } else { n });
        if let Some(n) = need.filter(|n| longest_run(token, |a, b| a == b) >= *n) {
            return Some(format!("{n} or more identical characters in a row"));
        }
        let consecutive = |a: char, b: char| {
            a.is_ascii_alphanumeric()
                && b.is_ascii_alphanumeric()
                && ((b as i32 - a as i32).abs() == 1)
                && a.is_ascii_digit() == b.is_ascii_digit()
        };
        if let Some(n) = self
            .sequence
            .filter(|n| longest_run(token, consecutive) >= *n)
        {
            return Some(format!("{n} or more consecutive characters"));
        }
        let lower = token.to_ascii_lowercase();
        if let Some(w) = self
            .words
            .iter()
            .find(|w| lower.contains(&w.to_ascii_lowercase()))
        {
            return Some(format!("it says `{w}`"));
        }
        // A base64 value that decodes to readable text saying one of those words is that text
        // encoded (JHipster's `bXktc2VjcmV0…`: `my-secret-key-which-should-be-changed-in-
        // production…`). A generated key decodes to random bytes, never to words, so a real one
        // is still reported; so is a real password in base64 (no placeholder word in it).
        // (The match may carry its key, `jwtSecretKey": "bXkt…`: each base64 run is tried.)
        // A vendor token's body is also tried for letters typed by hand (`letters_typed`).
        let body = vendor_body(token);
        let runs = token
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
            .filter(|r| r.len() >= 16);
        for run in runs {
            let Some(text) = crate::inputs::deploy_env::decode_base64(run).filter(|t| {
                !t.is_empty()
                    && t.bytes()
                        .all(|b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r')
            }) else {
                continue;
            };
            if body == Some(run) && letters_typed(&text) {
                return Some(format!(
                    "its body decodes (base64) to letters typed by hand (`{}…`)",
                    &text[..4]
                ));
            }
            let text = text.to_ascii_lowercase();
            if let Some(w) = self
                .words
                .iter()
                .find(|w| text.contains(&w.to_ascii_lowercase()))
            {
                return Some(format!("it decodes (base64) to text that says `{w}`"));
            }
        }
        self.patterns
            .iter()
            .find(|p| p.compiled().is_ok_and(|re| re.is_match(token.as_bytes())))
            .map(|p| format!("it matches the placeholder pattern `{}`", p.as_str()))
    }

    /// Every regex of these rules (for compile checks).
    pub fn regexes(&self) -> impl Iterator<Item = &Pattern> {
        self.patterns.iter()
    }
}

/// The body of a vendor token (`whsec_…`, `sk_test_…`: lowercase words and `_` before it), its
/// base64 padding left off as the runs `Placeholders::why` decodes leave it.
fn vendor_body(token: &str) -> Option<&str> {
    let (prefix, body) = token.rsplit_once('_')?;
    let vendor = prefix.len() >= 2
        && prefix
            .split('_')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.bytes().all(|b| b.is_ascii_lowercase()));
    vendor.then(|| body.trim_end_matches('='))
}

/// A vendor token's body that decodes to nothing but letters was typed by hand and encoded to
/// look real: ntfy's docs show `whsec_ZnNkZnNIRExB…`, which is `fsdfsHDLAHSDKHADSfhsdkflhd`. A
/// vendor generates the body at random: 12 random bytes all letters has odds of 1 in 10^8, so a
/// real token is still reported. Only a body behind a vendor prefix is tried; a bare base64
/// value (a Kubernetes Secret's) may be a real password a person chose, and is still reported.
fn letters_typed(decoded: &str) -> bool {
    decoded.len() >= 12 && decoded.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Shannon entropy of the characters of `s`, in bits per character.
pub fn shannon(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// The longest run of characters where each follows the one before by `step`.
fn longest_run(s: &str, step: impl Fn(char, char) -> bool) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev: Option<char> = None;
    for c in s.chars() {
        run = match prev {
            Some(p) if step(p, c) => run + 1,
            _ => 1,
        };
        best = best.max(run);
        prev = Some(c);
    }
    best
}

/// A checksum a token format carries, verifiable offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub's `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` tokens and npm's `npm_`: the last 6 characters
    /// are the CRC-32 of the rest of the body (after the prefix), in base 62 (`0-9A-Za-z`).
    GithubCrc32,
    /// GitLab's routable tokens (`glpat-….01.xx` + 7 characters): the CRC-32 of everything before
    /// it, prefix included, in base 36.
    GitlabRoutable,
}

impl Checksum {
    /// `Some(true)`: it verifies; `Some(false)`: the token has the checksummed shape and the
    /// checksum is wrong (a look-alike); `None`: the token is not of the checksummed shape (an
    /// older format without one).
    pub fn verify(self, token: &str) -> Option<bool> {
        match self {
            Checksum::GithubCrc32 => {
                let body = token.split_once('_')?.1;
                if body.len() < 7 || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                let (data, tail) = body.split_at(body.len() - 6);
                let want = base(crc32fast::hash(data.as_bytes()), BASE62, 6);
                Some(tail == want)
            }
            Checksum::GitlabRoutable => {
                // `….vv.LLccccccc` or `….LLccccccc`: only routable tokens carry it.
                let dot = token.rfind('.')?;
                let tail = &token[dot + 1..];
                if tail.len() != 9 || !tail.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                let (head, crc) = token.split_at(token.len() - 7);
                let want = base(crc32fast::hash(head.as_bytes()), BASE36, 7);
                Some(crc.eq_ignore_ascii_case(&want))
            }
        }
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE36: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// `n` in the alphabet's base, left-padded with its zero digit to `width`.
fn base(mut n: u32, alphabet: &[u8], width: usize) -> String {
    let b = alphabet.len() as u32;
    let mut digits = Vec::new();
    while n > 0 {
        digits.push(alphabet[(n % b) as usize]);
        n /= b;
    }
    while digits.len() < width {
        digits.push(alphabet[0]);
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Redacts every secret-shaped value in the texts a report shows: each match of every secret
/// pattern, the password of every `scheme://user:password@host` URL, and a private key block
/// whole (from its `-----BEGIN` to its `-----END`, or to the end of the text).
pub struct Redactor {
    /// One automaton (ASCII case-insensitive) over the literals every match of a pattern
    /// contains, to tell quickly which patterns can apply to a text; a pattern without such
    /// literals is always tried. (A `RegexSet` of the patterns ran the PikeVM over every
    /// finding's text: 34% of the time on an npm package with 2,751 findings.)
    /// Made on the first text to clean (a run that prints no finding does not pay for it).
    screen: std::sync::OnceLock<Screen>,
    /// Compiled the first time a text may hold a match (most runs print no secret-shaped text).
    patterns: Vec<Pattern>,
}

struct Screen {
    automaton: Option<aho_corasick::AhoCorasick>,
    /// Per literal of the automaton: the patterns that contain it.
    of: Vec<Vec<usize>>,
    always: Vec<usize>,
    /// Patterns whose literals the automaton holds for an ASCII text only, tried on every
    /// other: a case-insensitive pattern's `k` also matches the Kelvin sign, its `\d` the
    /// digits of other scripts (`crate::literals::engine_hir_ascii`).
    ascii_only: Vec<usize>,
}

fn url_password() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(://[^/\s:@]*:)([^@\s/]+)@").expect("valid"))
}

fn key_block() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----|\z)",
        )
        .expect("valid")
    })
}

/// `text` with each private key block replaced whole.
pub fn redact_key_blocks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("-----BEGIN") {
        return std::borrow::Cow::Borrowed(text);
    }
    key_block().replace_all(text, "-----BEGIN … PRIVATE KEY (redacted)")
}

impl Redactor {
    /// A redactor for these secret patterns (a pattern that does not compile is passed over: the
    /// check that owns it reports the error).
    pub fn new(defs: &[PatternDef]) -> Self {
        let mut seen = HashSet::new();
        let patterns = defs
            .iter()
            .filter(|d| d.secret && seen.insert(d.regex.as_str().to_string()))
            .map(|d| d.regex.clone())
            .collect();
        Redactor {
            screen: std::sync::OnceLock::new(),
            patterns,
        }
    }

    fn screen(&self) -> &Screen {
        self.screen.get_or_init(|| {
            let mut lits: Vec<Vec<u8>> = Vec::new();
            let mut of: Vec<Vec<usize>> = Vec::new();
            let mut always = Vec::new();
            let mut ascii_only = Vec::new();
            for (i, p) in self.patterns.iter().enumerate() {
                // Prefixes only, quickly extracted: the literals inside a pattern cost a search
                // per suffix to find, and a finding's text is short enough to search with the
                // few patterns left.
                // A built-in pattern without such prefixes: the ASCII literals one of which its
                // every match holds somewhere, extracted at build time (a text without any cannot
                // hold a match, and redacting a match adds no ASCII text that was not there, so
                // no later pass over the text can either). Compiling the few patterns with
                // neither, to try them on every text, was most of a pre-push hook's critical path.
                // A generic assignment pattern (`(?i)passw…`) has such literals for ASCII texts
                // only: compiling it (Unicode case folding spelled out over classes repeated 149
                // times) was most of the redactor's critical path in a pre-push hook, whose
                // texts hold none of them.
                let quick = crate::inputs::content::quick_prefix_literals(p.as_str());
                let Some((only_ascii, ls)) = quick
                    .map(|ls| (false, ls))
                    .or_else(|| crate::inputs::content::built_in_required_literals(p.as_str()))
                else {
                    always.push(i);
                    continue;
                };
                if only_ascii {
                    ascii_only.push(i);
                }
                for l in ls {
                    match lits.iter().position(|x| *x == l) {
                        Some(at) => of[at].push(i),
                        None => {
                            lits.push(l);
                            of.push(vec![i]);
                        }
                    }
                }
            }
            let automaton = aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .ascii_case_insensitive(true)
                .build(&lits)
                .ok();
            if automaton.is_none() {
                always = (0..self.patterns.len()).collect();
            }
            Screen {
                automaton,
                of,
                always,
                ascii_only,
            }
        })
    }

    /// Builds now what the first text to clean would: the screen and the patterns it cannot
    /// screen, then those it screens in ASCII texts only, which a text of findings often
    /// needs (the engine calls this on a spare thread while the passes run; a text waits only
    /// for what it needs).
    pub fn warm(&self) {
        let screen = self.screen();
        for &i in screen.always.iter().chain(&screen.ascii_only) {
            let _ = self.patterns[i].compiled();
        }
    }

    /// `text` with every secret-shaped value redacted.
    pub fn clean(&self, text: &str) -> String {
        let mut out = redact_key_blocks(text).into_owned();
        if out.contains("://") {
            out = url_password()
                .replace_all(&out, |c: &regex::Captures| {
                    format!("{}{}@", &c[1], redact(&c[2]))
                })
                .into_owned();
        }
        let screen = self.screen();
        let mut hits = vec![false; self.patterns.len()];
        for &i in &screen.always {
            hits[i] = true;
        }
        // Decided on the text before any pattern redacts it: a redaction adds `…` only, which
        // no pattern's small ASCII class holds.
        if !out.is_ascii() {
            for &i in &screen.ascii_only {
                hits[i] = true;
            }
        }
        if let Some(automaton) = &screen.automaton {
            for m in automaton.find_overlapping_iter(aho_corasick::Input::new(out.as_bytes())) {
                for &i in &screen.of[m.pattern().as_usize()] {
                    hits[i] = true;
                }
            }
        }
        for (i, _) in hits.iter().enumerate().filter(|(_, h)| **h) {
            let Ok(re) = self.patterns[i].compiled() else {
                continue;
            };
            let mut secrets: Vec<String> = Vec::new();
            for c in re.captures_iter(out.as_bytes()) {
                let m = c.name("match").or_else(|| c.get(0));
                if let Some(m) = m.filter(|m| !m.is_empty()) {
                    secrets.push(String::from_utf8_lossy(m.as_bytes()).into_owned());
                }
            }
            for s in secrets {
                out = out.replace(&s, &redact_match(&s));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Placeholders {
        Placeholders {
            min_entropy: Some(3.0),
            repeated: Some(6),
            sequence: Some(6),
            words: vec!["example".into(), "your".into()],
            patterns: vec![Pattern::new(r"<[^>]*>").unwrap()],
            examples: vec![
                "AKIAIOSFODNN7EXAMPLE".into(),
                "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2".into(),
            ],
        }
    }

    /// Placeholders both ways: each rule beside a random token of the same shape.
    #[test]
    fn placeholders_and_real_shapes() {
        let p = rules();
        for fake in [
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "AKIAIOSFODNN7EXAMPLE",
            "glpat-abcdefghijklmnopqrst",
            "sk_live_YOUR_KEY_GOES_HERE_1234",
            "xoxb-<your-token>",
            "AKIAAAAAAAAAAAAAAAAA",
            // base64 of `fsdfsHDLAHSDKHADSfhsdkflhd` (ntfy's docs)
            "whsec_ZnNkZnNIRExBSFNES0hBRFNmaHNka2ZsaGR",
            // The example as an assignment's value.
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "token: tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2",
        ] {
            assert!(p.why(fake, None).is_some(), "{fake} is a placeholder");
        }
        // Built at run time: shipgate checks its own source.
        for real in [
            format!("ghp_{}", "R7o9wQ2mZx4LkP0cVb8NtY3sHf6JdG1aUe5K"),
            format!("AKIA{}", "3LUNPCCWDU4G4BR2"),
            format!("glpat-{}", "StPKR0CsTy4Qwb8DwkNh"),
            format!("whsec_{}", "x8d3rnIqnpsgvildDiimgdLDMT4HfIxI"),
            // A bare base64 value may be a password a person chose: no vendor prefix, kept.
            "ZnNkZnNIRExBSFNES0hBRFNmaHNka2ZsaGR".to_string(),
            // A longer token that only ends like the example is not it.
            format!("token: Xtk_{}", "AgQdq7mVBoFD37zQVN29RhuMzNIz2"),
        ] {
            assert_eq!(p.why(&real, None), None, "{real} is not");
        }
        assert!(shannon("aaaa") < 0.01 && shannon("abcd") > 1.99);
    }

    /// The checksums on tokens made the way the vendors make them, and on look-alikes.
    #[test]
    fn checksums_verify_offline() {
        let body = "R7o9wQ2mZx4LkP0cVb8NtY3sHf6J";
        let crc = base(crc32fast::hash(body.as_bytes()), BASE62, 6);
        let good = format!("ghp_{body}{crc}");
        assert_eq!(Checksum::GithubCrc32.verify(&good), Some(true));
        let bad = format!("ghp_{body}zzzzzz");
        assert_eq!(Checksum::GithubCrc32.verify(&bad), Some(false));
        let head = format!("glpat-{}", "Q2mZx4LkP0cVb8NtY3sHf6JdG1aUe5K.01.0w");
        let crc = base(crc32fast::hash(head.as_bytes()), BASE36, 7);
        assert_eq!(
            Checksum::GitlabRoutable.verify(&format!("{head}{crc}")),
            Some(true)
        );
        assert_eq!(
            Checksum::GitlabRoutable.verify(&format!("glpat-{}", "StPKR0CsTy4Qwb8DwkNh")),
            None,
            "a legacy token has no checksum"
        );
    }

    #[test]
    fn the_redactor_hides_every_secret_on_a_line() {
        let defs = vec![
            PatternDef {
                secret: true,
                ..PatternDef::new("aws", Pattern::new(r"\bAKIA[A-Z2-7]{16}\b").unwrap())
            },
            PatternDef {
                secret: true,
                ..PatternDef::new(
                    "gh",
                    Pattern::new(r"\b(?P<match>ghp_[A-Za-z0-9]{36})\b").unwrap(),
                )
            },
            // Screened by a case-insensitive literal; and one with no literal at all.
            PatternDef {
                secret: true,
                ..PatternDef::new(
                    "tw",
                    Pattern::new(r"(?i)twilio_token=(?P<match>[0-9a-f]{32})").unwrap(),
                )
            },
            PatternDef {
                secret: true,
                ..PatternDef::new("any", Pattern::new(r"\b[0-9]{6}-[0-9]{6}\b").unwrap())
            },
        ];
        let r = Redactor::new(&defs);
        let tw = format!("TWILIO_Token={}", "9f3c1a7e5b2d4f6a8c0e1b3d5f7a9c2e");
        let out = r.clean(&format!("x {tw} y 123456-654321 z"));
        assert!(
            !out.contains("9f3c1a7e5b2d4f6a8c0e1b3d5f7a9c2e") && !out.contains("123456-654321"),
            "{out}"
        );
        let aws = format!("AKIA{}", "3LUNPCCWDU4G4BR2");
        let gh = format!("ghp_{}", "R7o9wQ2mZx4LkP0cVb8NtY3sHf6JdG1aUe5K");
        let pem = format!(
            "{{\"private_key\": \"-----BEGIN {k}-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END {k}-----\\n\", \"x\": 1}}",
            k = "PRIVATE KEY"
        );
        let line = format!("a={aws} b={gh} url=postgres://admin:hunter22@db:5432/app {pem}");
        let out = r.clean(&line);
        for secret in [
            aws.as_str(),
            gh.as_str(),
            "hunter22",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        ] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains("AKIA…") && out.contains("ghp_…") && out.contains("admin:hunt…@db"));
        assert!(
            out.contains("\"x\": 1"),
            "text after the block stays: {out}"
        );
        assert_eq!(r.clean("nothing here"), "nothing here");
    }

    /// The generic assignment patterns are screened by their words in an ASCII text, and
    /// tried on any other: `(?i)key` also matches the Kelvin sign's `Kkey`.
    #[test]
    fn generic_patterns_are_screened_in_ascii_texts_only() {
        let defs = crate::config::builtin_secret_patterns();
        let generic = |r: &Redactor| {
            r.patterns
                .iter()
                .filter(|p| p.as_str().starts_with("(?i)(?P<match>(?:passw"))
                .map(|p| p.is_compiled())
                .collect::<Vec<_>>()
        };
        let r = Redactor::new(&defs);
        assert_eq!(generic(&r).len(), 2);
        let skip = "runs in stage release (this run: pre-push)";
        assert_eq!(r.clean(skip), skip);
        assert_eq!(
            generic(&r),
            [false, false],
            "an ASCII text without their words"
        );
        let value = "Xk8sP2mQ9vR4tL7wZ3";
        for text in [
            format!("DB_PASSWORD=\"{value}\""),
            format!("\u{212A}EY = '{value}'"),
            format!("caf\u{e9}: \u{212A}ey = '{value}'"),
        ] {
            let out = Redactor::new(&defs).clean(&text);
            assert!(!out.contains(value), "{text} became {out}");
        }
    }
}
