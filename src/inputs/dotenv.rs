//! A dotenv parser: comments, `export`, single and double quotes, escapes in double quotes, and
//! multi-line quoted values. A syntax error names the file and the line. Values are secrets: they
//! never appear in an error message.

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
    /// 1-based line where the variable starts.
    pub line: u64,
}

/// Parses dotenv text; `label` names the file in errors.
pub fn parse(text: &str, label: &str) -> Result<Vec<EnvVar>, String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i as u64 + 1;
        let raw = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        i += 1;
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some(eq) = line.find('=') else {
            return Err(format!(
                "{label}:{lineno}: expected NAME=value (a line with no `=`); comments start with `#`"
            ));
        };
        let name = line[..eq].trim();
        if name.is_empty()
            || !name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            return Err(format!(
                "{label}:{lineno}: `{}` is not a variable name (letters, digits and `_`, not starting with a digit)",
                crate::text::sanitize(&crate::text::excerpt(name, 40))
            ));
        }
        let rest = line[eq + 1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => {
                // A quoted value may span lines until its closing quote.
                let mut body = String::new();
                let mut chunk = &rest[1..];
                let mut closed = None;
                loop {
                    match find_close(chunk, q) {
                        Some(end) => {
                            body.push_str(&chunk[..end]);
                            closed = Some(&chunk[end + 1..]);
                            break;
                        }
                        None => {
                            body.push_str(chunk);
                            if i >= lines.len() {
                                break;
                            }
                            body.push('\n');
                            chunk = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
                            i += 1;
                        }
                    }
                }
                let Some(after) = closed else {
                    return Err(format!(
                        "{label}:{lineno}: the value of {name} opens a {} quote that is never closed",
                        if q == '"' { "double" } else { "single" }
                    ));
                };
                let after = after.trim();
                if !after.is_empty() && !after.starts_with('#') {
                    return Err(format!(
                        "{label}:{lineno}: unexpected text after the closing quote of {name}"
                    ));
                }
                if q == '"' {
                    unescape(&body)
                } else {
                    body
                }
            }
            _ => {
                // Unquoted: up to an inline ` #` comment, trimmed.
                let v = match rest.find(" #") {
                    Some(p) => &rest[..p],
                    None => rest,
                };
                v.trim().to_string()
            }
        };
        out.push(EnvVar {
            name: name.to_string(),
            value,
            line: lineno,
        });
    }
    Ok(out)
}

/// Index of the closing quote in `s` (a double quote may be escaped with `\`).
fn find_close(s: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if q == '"' && escaped {
            escaped = false;
            continue;
        }
        if q == '"' && c == '\\' {
            escaped = true;
            continue;
        }
        if c == q {
            return Some(i);
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(s: &str) -> Vec<(String, String)> {
        parse(s, "x.env")
            .unwrap()
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect()
    }

    #[test]
    fn dotenv_syntax() {
        let text = "# comment\n\nA=1\nexport B = two words  # trailing\nC='single # not a comment'\nD=\"line\\nbreak \\\"q\\\"\"\nE=\"multi\nline\"\nF=\nG=a=b\n";
        assert_eq!(
            vars(text),
            [
                ("A", "1"),
                ("B", "two words"),
                ("C", "single # not a comment"),
                ("D", "line\nbreak \"q\""),
                ("E", "multi\nline"),
                ("F", ""),
                ("G", "a=b"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let v = parse("A=1\nB=\"x\ny\"\nC=3\n", "f").unwrap();
        assert_eq!(v[2].line, 4);
    }

    #[test]
    fn dotenv_errors_name_file_and_line() {
        assert_eq!(
            parse("A=1\nnot a var\n", "prod.env")
                .unwrap_err()
                .split(':')
                .take(2)
                .collect::<Vec<_>>(),
            ["prod.env", "2"]
        );
        assert!(parse("A=\"open\nB=2\n", "p.env")
            .unwrap_err()
            .starts_with("p.env:1: the value of A opens a double quote"));
        assert!(parse("1A=x\n", "p.env")
            .unwrap_err()
            .contains("not a variable name"));
        assert!(parse("A=\"x\" y\n", "p.env")
            .unwrap_err()
            .contains("after the closing quote"));
        // The value never appears in an error.
        assert!(!parse("A=\"s3cret\" junk\n", "p.env")
            .unwrap_err()
            .contains("s3cret"));
    }
}
