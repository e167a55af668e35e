//! A dotenv parser that reads a file as python-dotenv (1.2) reads it: comments (a `#` after
//! whitespace in an unquoted value, and `A= # comment` is empty, as for dotenvy and docker compose
//! too), `export`, single quotes (only `\\` and `\'` escaped), double quotes (`\n`, `\t`, `\"` …
//! escaped) spanning lines, and `${VAR}` / `${VAR:-default}` expanded from the variables above it in
//! the file, then from an outer environment the caller gives. dotenvy differs on a few cases
//! (`A=#x` is empty for it, it expands `$VAR` and leaves single-quoted values alone, it refuses
//! `1A=x`); python-dotenv is the reference. A statement python-dotenv cannot parse (and skips with
//! a warning) is an error naming the file and the line, and so is a name without `=`
//! (python-dotenv reads it as unset, dotenvy refuses it). Values are secrets: they never appear in
//! an error.
//!
//! The rules are tested on one table of cases, `dotenv_cases.json`, whose expected values are
//! python-dotenv's own (`dotenv_cases.py` regenerates it).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    /// The value, `${VAR}` references expanded.
    pub value: String,
    /// 1-based line where the variable starts.
    pub line: u64,
    /// The value names a `${VAR}` set neither above it nor in the outer environment: it reads as
    /// empty there (as python-dotenv reads it), but where it runs it may well be set.
    pub unresolved: bool,
}

/// A dotenv file that cannot be read: its file, the line of the statement, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct DotenvError {
    pub file: String,
    pub line: u64,
    pub problem: String,
}

impl From<DotenvError> for String {
    fn from(e: DotenvError) -> String {
        e.to_string()
    }
}

/// Parses dotenv text; `label` names the file in errors. `${VAR}` is expanded from the file alone.
pub fn parse(text: &str, label: &str) -> Result<Vec<EnvVar>, DotenvError> {
    parse_in(text, label, &|_| None)
}

/// As [`parse`], with `outer` the environment a `${VAR}` not set above it in the file comes from.
pub fn parse_in(
    text: &str,
    label: &str,
    outer: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<EnvVar>, DotenvError> {
    let mut r = Reader {
        s: text.strip_prefix('\u{feff}').unwrap_or(text),
        pos: 0,
        line: 1,
    };
    let mut out: Vec<EnvVar> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    while let Some((name, raw, line)) = binding(&mut r, label)? {
        let Some((value, unresolved)) =
            expand(&raw, &|n| seen.get(n).cloned().or_else(|| outer(n)))
        else {
            return Err(DotenvError {
                file: label.to_string(),
                line,
                problem: format!(
                    "the value of {} expands to more than {} MiB",
                    shown(&name),
                    MAX_EXPANDED >> 20
                ),
            });
        };
        seen.insert(name.clone(), value.clone());
        out.push(EnvVar {
            name,
            value,
            line,
            unresolved,
        });
    }
    Ok(out)
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
    line: u64,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }

    /// Matches `re` (anchored with `^`) here and moves past it; its first group, or the match.
    fn eat(&mut self, re: &Regex) -> Option<String> {
        let rest = &self.s[self.pos..];
        let caps = re.captures(rest)?;
        let whole = caps.get(0)?;
        let text = caps
            .get(1)
            .map_or(whole.as_str(), |g| g.as_str())
            .to_string();
        self.line += newlines(whole.as_str());
        self.pos += whole.end();
        Some(text)
    }
}

/// Line ends as python-dotenv counts them (`\r\n` is one).
fn newlines(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

struct Res {
    multiline_ws: Regex,
    ws: Regex,
    export: Regex,
    quoted_key: Regex,
    key: Regex,
    equals: Regex,
    single: Regex,
    double: Regex,
    unquoted: Regex,
    comment: Regex,
    end_of_line: Regex,
    inline_comment: Regex,
    double_escapes: Regex,
    single_escapes: Regex,
    variable: Regex,
}

/// python-dotenv's regular expressions (dotenv/parser.py, dotenv/variables.py), anchored.
fn res() -> &'static Res {
    static RES: OnceLock<Res> = OnceLock::new();
    RES.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid");
        Res {
            multiline_ws: re(r"^\s*"),
            ws: re(r"^[^\S\r\n]*"),
            export: re(r"^(?:export[^\S\r\n]+)?"),
            quoted_key: re(r"^'([^']+)'"),
            key: re(r"^([^=#\s]+)"),
            equals: re(r"^(=[^\S\r\n]*)"),
            single: re(r"^'((?s:\\.|[^'\\])*)'"),
            double: re(r#"^"((?s:\\.|[^"\\])*)""#),
            unquoted: re(r"^([^\r\n]*)"),
            comment: re(r"^(?:[^\S\r\n]*#[^\r\n]*)?"),
            end_of_line: re(r"^[^\S\r\n]*(?:\r\n|\n|\r|$)"),
            inline_comment: re(r"\s+#.*"),
            double_escapes: re(r#"\\[\\'"abfnrtv]"#),
            single_escapes: re(r"\\[\\']"),
            variable: re(r"\$\{([^}:]*)(?::-([^}]*))?\}"),
        }
    })
}

/// The next `NAME=value` (value not yet expanded) and its line; `None` at the end of the text.
fn binding(r: &mut Reader<'_>, label: &str) -> Result<Option<(String, String, u64)>, DotenvError> {
    let x = res();
    loop {
        r.eat(&x.multiline_ws);
        if r.pos >= r.s.len() {
            return Ok(None);
        }
        let line = r.line;
        let err = |problem: String| DotenvError {
            file: label.to_string(),
            line,
            problem,
        };
        r.eat(&x.export);
        let key = match r.peek() {
            Some('#') => None,
            Some('\'') => r.eat(&x.quoted_key),
            _ => r.eat(&x.key),
        };
        let key = match (key, r.peek()) {
            (Some(k), _) => Some(k),
            (None, Some('#')) => None,
            (None, _) => {
                return Err(err(
                    "expected NAME=value (a line that does not start with a name); comments start with `#`".into(),
                ))
            }
        };
        r.eat(&x.ws);
        let value = if r.peek() == Some('=') {
            let equals = r.eat(&x.equals).unwrap_or_default();
            Some(value(r, &equals, key.as_deref().unwrap_or(""), &err)?)
        } else {
            None
        };
        r.eat(&x.comment);
        if r.eat(&x.end_of_line).is_none() {
            let name = shown(key.as_deref().unwrap_or(""));
            return Err(err(match value {
                Some(_) => format!("unexpected text after the value of {name} (quote a value that holds spaces and quotes)"),
                None => "expected NAME=value; comments start with `#`".into(),
            }));
        }
        match (key, value) {
            (Some(k), Some(v)) => return Ok(Some((k, v, line))),
            (Some(k), None) => {
                let k = shown(&k);
                let bare = k.trim_matches('`');
                return Err(err(format!(
                    "{k} has no `=` (write `{bare}=` for an empty value)"
                )));
            }
            (None, _) => continue, // a comment line
        }
    }
}

/// The value after `=` (`equals` is what was read of it, with the spaces after it).
fn value(
    r: &mut Reader<'_>,
    equals: &str,
    name: &str,
    err: &dyn Fn(String) -> DotenvError,
) -> Result<String, DotenvError> {
    let x = res();
    let unclosed = |q: &str| {
        err(format!(
            "the value of {} opens a {q} quote that is never closed",
            shown(name)
        ))
    };
    Ok(match r.peek() {
        // `A= # comment`: empty, the rest a comment (`A=#x` is the value `#x`).
        Some('#') if equals.len() > 1 => String::new(),
        Some('\'') => {
            let v = r.eat(&x.single).ok_or_else(|| unclosed("single"))?;
            unescape(&x.single_escapes, &v)
        }
        Some('"') => {
            let v = r.eat(&x.double).ok_or_else(|| unclosed("double"))?;
            unescape(&x.double_escapes, &v)
        }
        None | Some('\n' | '\r') => String::new(),
        Some(_) => {
            let v = r.eat(&x.unquoted).unwrap_or_default();
            x.inline_comment.replace(&v, "").trim_end().to_string()
        }
    })
}

/// A name as an error shows it: sanitized and short.
fn shown(name: &str) -> String {
    format!(
        "`{}`",
        crate::text::sanitize(&crate::text::excerpt(name, 40))
    )
}

/// Decodes the escapes `re` matches (a backslash and one character), as Python's unicode-escape.
fn unescape(re: &Regex, s: &str) -> String {
    re.replace_all(s, |c: &regex::Captures<'_>| {
        match c[0].as_bytes()[1] {
            b'a' => "\u{7}",
            b'b' => "\u{8}",
            b'f' => "\u{c}",
            b'n' => "\n",
            b'r' => "\r",
            b't' => "\t",
            b'v' => "\u{b}",
            b'\\' => "\\",
            b'\'' => "'",
            _ => "\"",
        }
        .to_string()
    })
    .into_owned()
}

/// The longest value `${VAR}` may expand to: each line can double the one above it.
const MAX_EXPANDED: usize = 1 << 20;

/// Expands `${VAR}` and `${VAR:-default}` (a default when VAR is not set at all); whether some
/// VAR was set nowhere. `None` when the value would grow past [`MAX_EXPANDED`].
fn expand(raw: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<(String, bool)> {
    let mut unresolved = false;
    let mut len = raw.len();
    let value = res()
        .variable
        .replace_all(raw, |c: &regex::Captures<'_>| {
            let v = match lookup(&c[1]) {
                Some(v) => v,
                None => match c.get(2) {
                    Some(d) => d.as_str().to_string(),
                    None => {
                        unresolved = true;
                        String::new()
                    }
                },
            };
            len = len.saturating_add(v.len());
            if len > MAX_EXPANDED {
                String::new()
            } else {
                v
            }
        })
        .into_owned();
    (len <= MAX_EXPANDED).then_some((value, unresolved))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One table of cases, each with what python-dotenv reads from it: `dotenv_cases.json`, made
    /// by `dotenv_cases.py` (python-dotenv 1.2.4, run under `env -i`). Every value is python-dotenv's;
    /// where python-dotenv skips a statement with a warning, or reads a name without `=` as unset,
    /// shipgate refuses the file naming that line.
    #[test]
    fn reads_every_case_as_python_dotenv_does() {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("dotenv_cases.json")).unwrap();
        let cases = table["cases"].as_array().unwrap();
        assert!(cases.len() >= 40);
        for case in cases {
            let (name, text) = (
                case["name"].as_str().unwrap(),
                case["text"].as_str().unwrap(),
            );
            let values = case["values"].as_object().unwrap();
            let invalid = case["invalid"].as_array().unwrap();
            let got = parse(text, "t.env");
            if let Some(line) = invalid.first() {
                let e = got.expect_err(name);
                assert_eq!(Some(e.line), line.as_u64(), "{name}: {e}");
                continue;
            }
            if values.values().any(|v| v.is_null()) {
                let e = got.expect_err(name);
                assert!(e.problem.contains("has no `=`"), "{name}: {e}");
                continue;
            }
            let got: std::collections::BTreeMap<String, serde_json::Value> = got
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .into_iter()
                .map(|v| (v.name, v.value.into()))
                .collect();
            let want: std::collections::BTreeMap<String, serde_json::Value> =
                values.clone().into_iter().collect();
            assert_eq!(got, want, "{name}: {text:?}");
        }
    }

    #[test]
    fn lines_and_references_set_nowhere() {
        let v = parse("A=1\nB=\"x\ny\"\n\n  C=3\n", "f").unwrap();
        assert_eq!(v.iter().map(|v| v.line).collect::<Vec<_>>(), [1, 2, 5]);
        let v = parse("A=${X}\nB=${X:-d}\nX=1\nC=${X}\n", "f").unwrap();
        assert_eq!(
            v.iter().map(|v| v.unresolved).collect::<Vec<_>>(),
            [true, false, false, false]
        );
        // An outer environment is read after the file's own variables.
        let outer = |n: &str| (n == "HOST").then(|| "db".to_string());
        let v = parse_in("URL=${HOST}/x\nHOST=cache\nU2=${HOST}\n", "f", &outer).unwrap();
        assert_eq!(
            (v[0].value.as_str(), v[2].value.as_str()),
            ("db/x", "cache")
        );
        assert!(!v[0].unresolved);
    }

    #[test]
    fn dotenv_errors_name_file_and_line() {
        let e = parse("A=1\nnot a var\n", "prod.env").unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("prod.env", 2));
        assert!(
            e.to_string().starts_with("prod.env:2: expected NAME=value"),
            "{e}"
        );
        assert!(parse("A=1\n\nA=\"open\nB=2\n", "p.env")
            .unwrap_err()
            .to_string()
            .starts_with("p.env:3: the value of `A` opens a double quote"));
        assert!(parse("A\n", "p.env")
            .unwrap_err()
            .to_string()
            .contains("`A` has no `=` (write `A=` for an empty value)"));
        assert!(parse("A=\"x\" y\n", "p.env")
            .unwrap_err()
            .problem
            .contains("after the value of `A`"));
        assert!(parse("=1\n", "p.env").unwrap_err().line == 1);
        // Each line doubling the one above: bounded, an error naming the line.
        let mut bomb = "A0=xxxxxxxxxxxxxxxx\n".to_string();
        for i in 1..40 {
            bomb.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
        }
        let e = parse(&bomb, "b.env").unwrap_err();
        assert!(e.problem.contains("expands to more than 1 MiB"), "{e}");
        assert_eq!(e.line, 17);
        // The value never appears in an error.
        let e = parse("A=\"s3cret\" junk\n", "p.env").unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
    }
}
