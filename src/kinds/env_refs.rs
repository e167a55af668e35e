//! What counts as a required variable: the `env` kind's model of how code reads the environment.
//! The forms are data (`env_refs.yaml`); this module classifies each read found by the repository
//! pass by the code around it, one read at a time:
//!
//! - not a read: an assignment (`process.env.X = …`), a string (a bundler's `'process.env.X'`
//!   define key), a name the platform sets (`TERM`, `GITHUB_SHA`, `npm_*`), a name that is not
//!   upper case (a bundler's `process.env.cloudMode`); comments and docstrings never reach here;
//! - required: a read that fails when the variable is unset (`os.environ["X"]`, `ENV.fetch("X")`,
//!   `env::var("X")?`, `${X:?}`, `process.env.X!`), or any read the code aborts on when it is
//!   missing (`if not x: raise`, `if (!process.env.X) throw`);
//! - a value: a read that yields nothing when unset, used as a value (`new URL(process.env.X)`,
//!   `password: ENV['X']`). Alone it proves nothing (optional features read their settings so);
//!   the `env` kind counts it as required when a deploy manifest hands the name to the program and
//!   no code tests it or gives it a default;
//! - optional: a read with a default or fallback (`|| d`, `?? d`, `.unwrap_or(..)`, `os.getenv("X",
//!   d)`, `${X:-d}`), a read the code tests (`if (process.env.X)`, `!= ""`, `.is_some()`,
//!   `.present?`, a variable assigned from it and tested on the next lines), and a nullable getter
//!   the code does not abort on (`os.getenv("X")`, `os.Getenv("X")`);
//! - declared: a deploy manifest's entry for the name (a Kubernetes container's `env:` item with a
//!   `value` or `valueFrom`).
//!
//! A compose file's `${X}` is none of these: compose substitutes an empty string and starts.

use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::inputs::content::RawMatch;

/// What a form's read does when the variable is unset (see env_refs.yaml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reads {
    Fails,
    Value,
    Getter,
    Result,
    Default,
    /// Compose's `${X}`: `:?`/`?` fails, `:-`/`-` defaults, plain passes an empty string on.
    Interpolation,
    /// A deploy manifest's entry for the name, not a read.
    Declares,
}

/// One way a language reads a variable.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RefForm {
    pub form: String,
    pub files: Vec<String>,
    pub regex: String,
    pub reads: Reads,
    #[serde(default)]
    pub samples: RefSamples,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefSamples {
    #[serde(default)]
    pub required: Vec<String>,
    /// Value reads: required only with a deploy manifest's declaration.
    #[serde(default)]
    pub value: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
    #[serde(default)]
    pub declares: Vec<String>,
    #[serde(default)]
    pub ignored: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Framework {
    pub name: String,
    /// Files at the repository root that all exist in a project of this framework.
    pub detect: Vec<String>,
    pub marker: Marker,
    pub requires: Vec<FrameworkName>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    pub file: String,
    pub contains: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrameworkName {
    pub name: String,
    /// The configuration file that must read it.
    pub read_in: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Table {
    forms: Vec<RefForm>,
    platform_names: Vec<String>,
    frameworks: Vec<Framework>,
}

/// The table, parsed once (a unit test runs every sample), from the JSON that build.rs converts
/// `env_refs.yaml` to (parsing the YAML at every start was a tenth of a pre-push hook's main
/// thread; `json_and_yaml_tables_agree` checks both forms).
fn loaded() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/env_refs.json")))
            .expect("env_refs.yaml is valid")
    })
}

/// The platform's names as one set, built the first time a name is asked (a run that finds no
/// read in the code never asks).
fn platform() -> &'static GlobSet {
    static SET: OnceLock<GlobSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut b = GlobSetBuilder::new();
        for n in &loaded().platform_names {
            b.add(Glob::new(n).expect("valid platform-name glob"));
        }
        b.build().expect("valid platform names")
    })
}

pub fn forms() -> &'static [RefForm] {
    &loaded().forms
}

pub fn frameworks() -> &'static [Framework] {
    &loaded().frameworks
}

/// Whether the platform, shell or CI sets `name` (never the deploy's to provide), or the name is
/// not an upper-case environment variable at all.
pub fn not_a_deploy_variable(name: &str) -> bool {
    // A name ending in `_` is the prefix of names built at run time (saleor's
    // `"DJANGO_SUPERUSER_" + field.upper()`), not one variable.
    name.bytes().any(|b| b.is_ascii_lowercase()) || name.ends_with('_') || platform().is_match(name)
}

/// Whether the text after a read asks whether the variable is set before the read is used:
/// Python's `os.environ["X"] if "X" in os.environ else None` (paperless-ngx).
fn asked_in_os_environ(after: &str, name: &str) -> bool {
    let Some(at) = after.find(" if ") else {
        return false;
    };
    let cond = after[at + 4..].trim_start();
    [
        format!("\"{name}\" in os.environ"),
        format!("'{name}' in os.environ"),
    ]
    .iter()
    .any(|c| cond.starts_with(c.as_str()))
}

/// How one read uses the variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The program needs it: why, in a few words.
    Required(&'static str),
    /// Used as a value with no fallback: yields nothing when unset.
    Value,
    Optional,
    /// A deploy manifest hands the name to the program.
    Declared,
    /// Not a read of the deploy's environment at all.
    NotRead,
}

fn re(cell: &'static OnceLock<Regex>, src: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(src).expect("valid built-in regex"))
}

/// Why a read the code aborts on is required.
pub const ABORTS: &str = "the code aborts when it is missing";

/// Classifies one read (a match of one of the forms).
pub fn classify(m: &RawMatch) -> Use {
    let Some(form) = forms().iter().find(|f| f.form == m.pattern) else {
        return Use::NotRead;
    };
    let Some(name) = m.name.as_deref() else {
        return Use::NotRead;
    };
    if not_a_deploy_variable(name) {
        return Use::NotRead;
    }
    let line = m.line_text.as_str();
    let (s, e) = m.span_in_line;
    let (before, after) = (&line[..s.min(line.len())], &line[e.min(line.len())..]);
    if is_in_string(before, after) || is_assignment(after) {
        return Use::NotRead;
    }
    if m.has_default || asked_in_os_environ(after, name) {
        return Use::Optional;
    }
    match form.reads {
        Reads::Interpolation if m.fails => Use::Required("compose refuses to start without it"),
        Reads::Interpolation => Use::NotRead,
        Reads::Declares => declared(m),
        Reads::Default => Use::Optional,
        Reads::Fails => Use::Required("it fails when unset"),
        Reads::Result => {
            static UNWRAP: OnceLock<Regex> = OnceLock::new();
            let unwrapped = re(
                &UNWRAP,
                r"^\s*(?:\?|\.\s*(?:unwrap|expect|context|with_context|wrap_err|wrap_err_with)\s*\(|\.\s*map_err\([^;]*\)\s*\?)",
            );
            if unwrapped.is_match(after) && !guarded_before(before) {
                Use::Required("unwrapped with no fallback")
            } else {
                Use::Optional
            }
        }
        Reads::Value if non_null_assertion(after) => Use::Required("asserted to be set (`!`)"),
        Reads::Value => match guard(before, after, m, form) {
            None => Use::Value,
            Some(true) => Use::Required(ABORTS),
            Some(false) => Use::Optional,
        },
        Reads::Getter => match guard(before, after, m, form) {
            Some(true) => Use::Required(ABORTS),
            _ => Use::Optional,
        },
    }
}

/// TypeScript's non-null assertion: `process.env.X!`.
fn non_null_assertion(after: &str) -> bool {
    after.starts_with('!') && !after.starts_with("!=")
}

/// A Kubernetes env item, `- name: X` followed by its `value:` or `valueFrom:`.
fn declared(m: &RawMatch) -> Use {
    let next = m.after.first().map(|l| l.trim_start()).unwrap_or("");
    if next.starts_with("value:") || next.starts_with("valueFrom:") {
        Use::Declared
    } else {
        Use::NotRead
    }
}

/// `'process.env.X'` or `"import.meta.env.X"`: the name inside a string, not a read.
fn is_in_string(before: &str, after: &str) -> bool {
    match (before.chars().last(), after.chars().next()) {
        (Some(q @ ('\'' | '"' | '`')), Some(c)) => q == c,
        _ => false,
    }
}

/// `X = v`, `X ||= v`, `X ??= v`, `X += v`: a write.
fn is_assignment(after: &str) -> bool {
    let a = after.trim_start();
    (a.starts_with('=') && !a.starts_with("==") && !a.starts_with("=>") && !a.starts_with("=~"))
        || ["||=", "??=", "&&=", "+=", "-="]
            .iter()
            .any(|op| a.starts_with(op))
}

/// The read is the operand of a test or a fallback on its own line: `if (X)`, `!X`, `X || d`.
fn guarded_before(before: &str) -> bool {
    static BEFORE: OnceLock<Regex> = OnceLock::new();
    re(
        &BEFORE,
        r"(?:\bif|\bunless|\belif|\bwhile|\buntil|\bwhen|\bcase|\bmatch|\bnot|\band|\bor|\bin|\bBoolean|\btypeof|\bif\s+let\s+\w+\s*\(\s*[\w\s,]*\)\s*=|\blet\s+(?:Ok|Some)\s*\(\s*[\w\s,]*\)\s*=|!|&&|\|\||\?\?|\s\?|\.include\?)\s*\(?\s*$",
    )
    .is_match(before)
}

fn guarded_after(after: &str) -> bool {
    static AFTER: OnceLock<Regex> = OnceLock::new();
    re(
        &AFTER,
        r"^\s*\)?\s*(?:\|\||\?\?|&&|==|!=|<=|>=|<|>|\?\s|\?\.|\?$|\bor\b|\band\b|\bif\b|\bis\s+(?:not\s+)?None|\.\s*(?:present\?|presence|blank\?|nil\?|empty\?|to_s\b|to_i\b|to_f\b|to_b\b|is_some|is_none|is_ok|is_err|is_empty|ok\(\)|unwrap_or|map_or|or_else|or\(|filter\(|length\b|trim\(\)\s*(?:!=|==|\|\||&&))|\s+(?:if|unless)\s)",
    )
    .is_match(after)
}

/// Whether the code tests the read (a guard), and if so whether it aborts when the variable is
/// missing. `None`: no test; the read is used as a value.
fn guard(before: &str, after: &str, m: &RawMatch, form: &RefForm) -> Option<bool> {
    let name = m.name.as_deref().unwrap_or("");
    // Compared for equality with a value (`X === "hosted"`): whatever the block does, it does when
    // the variable holds that value, and an unset variable never does. A condition, not a need.
    // (`X !== "ready"` is true when unset: an abort there is still a requirement.)
    static EQUALS: OnceLock<Regex> = OnceLock::new();
    if re(
        &EQUALS,
        r#"^\s*\)?\s*(?:===?|\beq\b)\s*(?:"[^"]+"|'[^']+'|`[^`]+`|:[A-Za-z_]\w*)"#,
    )
    .is_match(after)
    {
        return Some(false);
    }
    let direct =
        guarded_before(before) || guarded_after(after) || tested_elsewhere_on_line(m, name);
    if direct {
        return Some(aborts(after) || m.after.first().is_some_and(|l| aborts(l)));
    }
    // Assigned to a variable, then tested on the lines that follow.
    let var = assigned_to(before)?;
    let test = var_test(&var);
    for (k, l) in m.after.iter().enumerate() {
        if test.is_match(l) {
            let next = m.after.get(k + 1).map(String::as_str).unwrap_or("");
            return Some(aborts(l) || aborts(next));
        }
    }
    let _ = form;
    None
}

/// The same variable is tested elsewhere on the line: `pidfile ENV["P"] if ENV["P"]`,
/// `process.env.T ? Number(process.env.T) : 30`.
fn tested_elsewhere_on_line(m: &RawMatch, name: &str) -> bool {
    let line = &m.line_text;
    let (s, e) = m.span_in_line;
    let mut at = 0;
    while let Some(i) = line[at..].find(name) {
        let pos = at + i;
        at = pos + name.len();
        if pos >= s && pos < e {
            continue;
        }
        // Find the end of the reference around this occurrence: past closing quotes/brackets.
        let end = line[at..]
            .find(|c: char| !matches!(c, '"' | '\'' | ']' | ')' | '`'))
            .map_or(line.len(), |k| at + k);
        let begin = line[..pos]
            .rfind(|c: char| c.is_whitespace() || c == '(' || c == '!' || c == '{')
            .map_or(0, |k| k + 1);
        if guarded_before(&line[..begin]) || guarded_after(&line[end..]) {
            return true;
        }
    }
    false
}

/// `const x = `, `let x = `, `x := `, `x = `: the local the read is assigned to.
fn assigned_to(before: &str) -> Option<String> {
    static ASSIGN: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &ASSIGN,
        r"(?:^|[\s(;{])(?:const\s+|let\s+(?:mut\s+)?|var\s+|val\s+|my\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::=|=)\s*$",
    )
    .captures(before)?;
    let v = c[1].to_string();
    (!matches!(v.as_str(), "const" | "let" | "var" | "return")).then_some(v)
}

fn var_test(var: &str) -> Regex {
    let v = regex::escape(var);
    Regex::new(&format!(
        r"(?:\b(?:if|unless|elif|while|until|and|or|not)\b[^\n]*\b{v}\b|!\s*{v}\b|\b{v}\b\s*(?:\|\||\?\?|&&|==|!=|\?\s|\?\.|\.\s*(?:present\?|blank\?|nil\?|empty\?|is_empty|length|is_some|is_none|trim)|\bis\s+(?:not\s+)?None|\bor\b|\band\b)|return\s+(?:unless|if)\b[^\n]*\b{v}\b)"
    ))
    .expect("valid")
}

/// Whether line `line` (1-based) of a Python file sits in an `if`/`elif` block whose condition
/// tests the environment (`if "X" in os.environ:`, `if os.getenv("X"):`): the read is made only
/// when the deploy configured that feature, so it requires nothing on its own. A condition that
/// negates (`if "X" not in os.environ:`, `if not os.getenv(..)`) is not such a guard: the block
/// runs when the variable is missing. Found by indentation, walking up through the enclosing
/// headers; a header's condition may span lines (`if (\n "A" in os.environ\n or …\n):`).
pub fn python_under_env_test(text: &str, line: u64) -> bool {
    static TEST: OnceLock<Regex> = OnceLock::new();
    let test = re(
        &TEST,
        r#"(?:["'][A-Za-z_][A-Za-z0-9_]*["']\s+in\s+os\.environ\b|\bos\.environ\.get\(|\bos\.getenv\()"#,
    );
    let lines: Vec<&str> = text.lines().collect();
    let Some(at) = (line as usize).checked_sub(1).filter(|&i| i < lines.len()) else {
        return false;
    };
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut level = indent(lines[at]);
    for k in (0..at).rev() {
        let l = lines[k];
        let t = l.trim_start();
        // Blank lines, comments, deeper lines and the closing line of a bracket (`):`, `}`) do
        // not open the block the read is in.
        if t.is_empty() || t.starts_with(['#', ')', ']', '}']) || indent(l) >= level {
            continue;
        }
        level = indent(l);
        if t.starts_with("if ") || t.starts_with("if(") || t.starts_with("elif ") {
            // The condition: this line and the continuation lines up to the one ending in `:`.
            let mut cond = String::from(t);
            let mut j = k;
            while !cond.trim_end().ends_with(':') && j + 1 < at && j < k + 10 {
                j += 1;
                cond.push(' ');
                cond.push_str(lines[j].trim());
            }
            static NOT: OnceLock<Regex> = OnceLock::new();
            let negated = re(&NOT, r"\bnot\b").is_match(&cond);
            if test.is_match(&cond) && !negated {
                return true;
            }
        }
        if level == 0 {
            break;
        }
    }
    false
}

/// Whether the read is turned into a yes/no answer to "is this configured?":
/// `Boolean(process.env.X)`, `!!process.env.X`, `process.env.X ? true : false`, Python
/// `bool(os.getenv("X"))`. Code that asks so treats the variable as a switch for a feature the
/// program runs without (linkwarden's `isGooglePlayConfigured = () =>
/// Boolean(process.env.GOOGLE_PLAY_SERVICE_ACCOUNT_JSON)`, `stripeEnabled = process.env.
/// STRIPE_SECRET_KEY ? true : false`).
pub fn boolean_probe(m: &RawMatch) -> bool {
    static BEFORE: OnceLock<Regex> = OnceLock::new();
    static AFTER: OnceLock<Regex> = OnceLock::new();
    let line = m.line_text.as_str();
    let (s, e) = m.span_in_line;
    let (before, after) = (&line[..s.min(line.len())], &line[e.min(line.len())..]);
    re(&BEFORE, r"(?:\bBoolean\(|\bbool\(|!!)\s*$").is_match(before)
        || re(&AFTER, r"^\s*\)?\s*\?\s*true\s*:\s*false\b").is_match(after)
}

/// Whether a shell script sets `name` itself on a line above `line` (1-based): `X=$2`, `export
/// X=…`, `local X=…`, `read -r X`, `for X in …`. Its `${X:?}` then guards what the script
/// computed (wallabag's release script: `TMP_FOLDER=$2` … `rm -rf "${TMP_FOLDER:?}"/…`), not
/// the environment. A variable the script only reads stays required.
pub fn shell_sets_before(text: &str, name: &str, line: u64) -> bool {
    let n = regex::escape(name);
    let Ok(set) = Regex::new(&format!(
        r"^\s*(?:(?:export|local|readonly|declare(?:\s+-\w+)*|typeset)\s+)?{n}=|^\s*(?:read\b[^#]*\s|for\s+){n}\b"
    )) else {
        return false;
    };
    text.lines()
        .take((line as usize).saturating_sub(1))
        .any(|l| set.is_match(l))
}

/// Whether a line aborts: throws, raises, panics, exits.
fn aborts(line: &str) -> bool {
    static ABORT: OnceLock<Regex> = OnceLock::new();
    re(
        &ABORT,
        r"\b(?:throw|raise|panic!?|log\.Fatal\w*|Fatal\w*|os\.Exit|process\.exit|sys\.exit|exit!?|abort!?|die|bail!|unreachable!|ImproperlyConfigured)\b",
    )
    .is_match(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON build.rs makes of `env_refs.yaml` loads to the same table as the YAML itself.
    #[test]
    fn json_and_yaml_tables_agree() {
        let yaml: Table =
            yaml_serde::from_str(include_str!("env_refs.yaml")).expect("env_refs.yaml is valid");
        assert_eq!(format!("{yaml:?}"), format!("{:?}", loaded()));
    }

    /// The forms' globs and regexes, which the env kind takes unchecked at run time, compile.
    #[test]
    fn forms_compile() {
        for f in forms() {
            crate::types::GlobList::new(&f.files).unwrap();
            crate::types::Pattern::new(&f.regex)
                .unwrap()
                .compiled()
                .unwrap();
        }
    }
}
