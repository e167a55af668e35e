//! Reading migration source we cannot run (Ruby, Python, PHP, JavaScript/TypeScript): comments
//! blanked out so a commented-out `drop_table` is not an operation, strings located so the SQL
//! inside `execute "…"` can be parsed, calls and their arguments, and the extent of a method
//! (`def down … end`, `function down() { … }`) so the down direction is not read as the deploy's.
//! Blanking keeps every byte offset and line, so a match's line is the file's.

/// The language of a migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ruby,
    Python,
    Php,
    Js,
}

/// A string literal: where its text is (`content`) and where it stands in the code (`at`; for a
/// heredoc, its `<<~SQL` marker).
#[derive(Debug, Clone, Copy)]
pub struct Lit {
    pub at: usize,
    pub content: (usize, usize),
}

pub struct Source<'a> {
    pub raw: &'a str,
    /// Comments blanked.
    pub text: String,
    /// Comments and the contents of strings blanked (the quotes stay).
    pub code: String,
    pub lits: Vec<Lit>,
    line_starts: Vec<usize>,
    blocks: std::cell::OnceCell<Blocks>,
}

/// Where indentation-delimited blocks end, indexed once per file so finding a block's end does
/// not read the rest of the file again for every block.
struct Blocks {
    /// Per indentation: the lines holding a Ruby `end` at it, in order.
    ends: std::collections::HashMap<usize, Vec<u64>>,
    /// Per line (0-based): the next non-blank line indented no deeper (0: none).
    dedent: Vec<u64>,
}

/// One call's arguments: their byte ranges in the file, split at top-level commas.
#[derive(Debug, Clone)]
pub struct Call {
    /// The whole argument list (without the parentheses).
    pub span: (usize, usize),
    pub args: Vec<(usize, usize)>,
}

impl<'a> Source<'a> {
    pub fn new(raw: &'a str, lang: Lang) -> Self {
        let (text, code, mut lits) = blank(raw, lang);
        lits.sort_by_key(|l| l.at);
        let mut line_starts = vec![0];
        line_starts.extend(raw.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            raw,
            text,
            code,
            lits,
            line_starts,
            blocks: std::cell::OnceCell::new(),
        }
    }

    fn blocks(&self) -> &Blocks {
        self.blocks.get_or_init(|| {
            let n = self.line_starts.len();
            let mut ends: std::collections::HashMap<usize, Vec<u64>> = Default::default();
            let mut indents = Vec::with_capacity(n);
            for l in 1..=n as u64 {
                let blanked = self.text_line(l);
                if blanked.trim().is_empty() {
                    indents.push(None);
                    continue;
                }
                let raw = self.line_text(l);
                let indent = raw.len() - raw.trim_start().len();
                let t = blanked.trim_start().as_bytes();
                if t.starts_with(b"end")
                    && !t
                        .get(3)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                {
                    ends.entry(indent).or_default().push(l);
                }
                indents.push(Some(indent));
            }
            let mut dedent = vec![0; n];
            let mut stack: Vec<(usize, u64)> = Vec::new();
            for i in (0..n).rev() {
                let Some(k) = indents[i] else {
                    continue;
                };
                while stack.last().is_some_and(|(ki, _)| *ki > k) {
                    stack.pop();
                }
                dedent[i] = stack.last().map_or(0, |(_, l)| *l);
                stack.push((k, i as u64 + 1));
            }
            Blocks { ends, dedent }
        })
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> u64 {
        self.line_starts.partition_point(|s| *s <= offset) as u64
    }

    /// The text of a 1-based line, without its end.
    pub fn line_text(&self, line: u64) -> &str {
        let i = (line as usize).saturating_sub(1);
        let Some(start) = self.line_starts.get(i).copied() else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.raw.len(), |e| e - 1);
        self.raw[start..end].trim_end_matches('\r')
    }

    /// The comment-free text of a range.
    pub fn slice(&self, (a, b): (usize, usize)) -> &str {
        &self.text[a..b]
    }

    /// The arguments of the call whose name ends at `at`: `(…)`, or (Ruby) the rest of the
    /// logical line up to a `do` block.
    pub fn call(&self, at: usize, lang: Lang) -> Option<Call> {
        let code = self.code.as_bytes();
        let mut i = at;
        while i < code.len() && (code[i] == b' ' || code[i] == b'\t') {
            i += 1;
        }
        let span = if code.get(i) == Some(&b'(') {
            (i + 1, self.matching(i)?)
        } else if lang == Lang::Ruby {
            (i, self.ruby_line_end(i))
        } else {
            return None;
        };
        Some(Call {
            span,
            args: self.split_args(span),
        })
    }

    /// The offset of the bracket closing the one at `open`.
    pub fn matching(&self, open: usize) -> Option<usize> {
        let code = self.code.as_bytes();
        let mut depth = 0i32;
        for (j, c) in code.iter().enumerate().skip(open) {
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The end of a paren-less Ruby call: the line, continued while it ends in `,` or `\` or
    /// has open brackets; a trailing `do |t|` or `{ |t|` block is not part of it.
    fn ruby_line_end(&self, from: usize) -> usize {
        let code = self.code.as_bytes();
        let mut depth = 0i32;
        let mut i = from;
        let mut last_sig = b' ';
        while i < code.len() {
            let c = code[i];
            match c {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b'{' if depth == 0 => return i,
                b'\n' if depth <= 0 && last_sig != b',' && last_sig != b'\\' => return i,
                b'd' if depth == 0
                    && self.code[i..].starts_with("do")
                    && !code
                        .get(i + 2)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    && i > 0
                    && (code[i - 1] == b' ' || code[i - 1] == b')') =>
                {
                    return i;
                }
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                last_sig = c;
            }
            i += 1;
        }
        code.len()
    }

    fn split_args(&self, (a, b): (usize, usize)) -> Vec<(usize, usize)> {
        let code = self.code.as_bytes();
        let mut out = Vec::new();
        let mut depth = 0i32;
        let mut start = a;
        for (j, c) in code.iter().enumerate().take(b).skip(a) {
            match c {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    out.push((start, j));
                    start = j + 1;
                }
                _ => {}
            }
        }
        // A trailing comma leaves nothing after it.
        if !self.code[start..b].trim().is_empty() {
            out.push((start, b));
        }
        out
    }

    /// The string literals within a range, in order.
    pub fn lits_in(&self, (a, b): (usize, usize)) -> Vec<Lit> {
        let from = self.lits.partition_point(|l| l.at < a);
        self.lits[from..]
            .iter()
            .take_while(|l| l.at < b)
            .copied()
            .collect()
    }

    /// Where an indentation-delimited block whose header is on the line of `at` ends: Ruby's
    /// `end` at the header's indentation, or (Python) the first line indented no deeper.
    pub fn block_end(&self, at: usize, lang: Lang) -> usize {
        let header = self.line(at);
        let b = self.blocks();
        let end = match lang {
            Lang::Ruby => {
                let raw = self.line_text(header);
                let indent = raw.len() - raw.trim_start().len();
                b.ends.get(&indent).and_then(|v| {
                    let i = v.partition_point(|l| *l <= header);
                    v.get(i).copied()
                })
            }
            _ => b
                .dedent
                .get(header as usize - 1)
                .copied()
                .filter(|l| *l > 0),
        };
        end.map_or(self.raw.len(), |l| self.line_starts[(l - 1) as usize])
    }

    fn text_line(&self, line: u64) -> &str {
        let i = (line as usize).saturating_sub(1);
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |e| e - 1);
        &self.text[start..end]
    }

    /// The range of the first `{ … }` block after `at` (PHP and JavaScript function bodies).
    pub fn brace_block(&self, at: usize) -> Option<(usize, usize)> {
        let open = at + self.code[at..].find('{')?;
        Some((open, self.matching(open)?))
    }
}

/// A keyword argument (`null: false`, `nullable=False`, `:null => false`): its name and value.
pub fn keyword(arg: &str) -> Option<(&str, &str)> {
    let t = arg.trim();
    let t2 = t.strip_prefix(':').unwrap_or(t);
    let name_len = t2
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    if name_len == 0 {
        return None;
    }
    let (name, rest) = t2.split_at(name_len);
    let rest_trim = rest.trim_start();
    let value = if t2.len() == t.len() {
        if let Some(v) = rest.strip_prefix(':') {
            (!v.starts_with(':')).then_some(v)
        } else if let Some(v) = rest_trim.strip_prefix('=') {
            (!v.starts_with('=') && !v.starts_with('>')).then_some(v)
        } else {
            None
        }
    } else {
        rest_trim.strip_prefix("=>")
    }?;
    Some((name, value.trim()))
}

/// The keyword argument `name`'s value among `args`.
pub fn kwarg<'s>(args: &[&'s str], name: &str) -> Option<&'s str> {
    args.iter()
        .filter_map(|a| keyword(a))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The positional arguments (not keywords).
pub fn positional<'s>(args: &[&'s str]) -> Vec<&'s str> {
    args.iter()
        .copied()
        .filter(|a| keyword(a).is_none())
        .collect()
}

/// A literal name: `:users`, `"users"`, `'users'` (no interpolation).
pub fn name_of(arg: &str) -> Option<String> {
    let t = arg.trim();
    if let Some(s) = t.strip_prefix(':') {
        let s = s.trim_matches('"');
        return (!s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| s.to_string());
    }
    for q in ['"', '\'', '`'] {
        if let Some(s) = t.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            if !s.contains(q) && !s.contains("#{") && !s.contains("${") && !s.is_empty() {
                return Some(s.to_string());
            }
        }
    }
    None
}

/// Whether a value is literally true/false (Ruby, Python, PHP, JS spellings).
pub fn is_false(v: &str) -> bool {
    matches!(v.trim(), "false" | "False" | "FALSE")
}

pub fn is_true(v: &str) -> bool {
    matches!(v.trim(), "true" | "True" | "TRUE")
}

/// Blanks comments (in both outputs) and string contents (in the second), recording literals.
fn blank(raw: &str, lang: Lang) -> (String, String, Vec<Lit>) {
    let b = raw.as_bytes();
    let mut text = b.to_vec();
    let mut code = b.to_vec();
    let mut lits = Vec::new();
    let mut pending: Vec<(usize, String, bool)> = Vec::new();
    let mut i = 0;
    let blank_range = |v: &mut Vec<u8>, a: usize, z: usize| {
        for c in &mut v[a..z] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        if c == b'\n' && !pending.is_empty() {
            // Heredoc bodies start on the next line.
            i += 1;
            for (at, term, _squiggly) in std::mem::take(&mut pending) {
                let start = i;
                let mut end = b.len();
                let mut next = b.len();
                let mut j = i;
                while j < b.len() {
                    let le = memchr::memchr(b'\n', &b[j..]).map_or(b.len(), |k| j + k);
                    let line = raw[j..le].trim();
                    if line == term || line.trim_end_matches(';') == term {
                        end = j;
                        next = le;
                        break;
                    }
                    j = le + 1;
                }
                lits.push(Lit {
                    at,
                    content: (start, end),
                });
                blank_range(&mut code, start, end);
                i = next.min(b.len());
            }
            continue;
        }
        let comment_end =
            |from: usize| memchr::memchr(b'\n', &b[from..]).map_or(b.len(), |k| from + k);
        let line_comment = match lang {
            Lang::Ruby | Lang::Python => c == b'#',
            Lang::Php => {
                (c == b'#' && b.get(i + 1) != Some(&b'['))
                    || (c == b'/' && b.get(i + 1) == Some(&b'/'))
            }
            Lang::Js => c == b'/' && b.get(i + 1) == Some(&b'/'),
        };
        if line_comment {
            let e = comment_end(i);
            blank_range(&mut text, i, e);
            blank_range(&mut code, i, e);
            i = e;
            continue;
        }
        if matches!(lang, Lang::Php | Lang::Js) && c == b'/' && b.get(i + 1) == Some(&b'*') {
            let e = raw[i + 2..].find("*/").map_or(b.len(), |k| i + 2 + k + 2);
            blank_range(&mut text, i, e);
            blank_range(&mut code, i, e);
            i = e;
            continue;
        }
        if let Some((term, after)) = heredoc_start(raw, i, lang) {
            pending.push((i, term, true));
            i = after;
            continue;
        }
        let quote = match (lang, c) {
            (_, b'"' | b'\'') => Some(c),
            (Lang::Js, b'`') => Some(c),
            _ => None,
        };
        if let Some(q) = quote {
            let triple =
                lang == Lang::Python && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
            let open = if triple { 3 } else { 1 };
            let start = i + open;
            let mut j = start;
            let end;
            loop {
                if j >= b.len() {
                    end = b.len();
                    break;
                }
                if b[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if triple {
                    if b[j..].starts_with(&[q, q, q]) {
                        end = j;
                        break;
                    }
                } else if b[j] == q || (b[j] == b'\n' && lang == Lang::Python) {
                    end = j;
                    break;
                }
                j += 1;
            }
            let end = end.min(b.len());
            lits.push(Lit {
                at: i,
                content: (start, end),
            });
            blank_range(&mut code, start, end);
            i = (end + open).min(b.len());
            continue;
        }
        i += 1;
    }
    let s = |v: Vec<u8>| {
        String::from_utf8(v).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    };
    (s(text), s(code), lits)
}

/// A Ruby heredoc `<<~SQL`, `<<-SQL`, `<<SQL` (quoted or not) or a PHP heredoc `<<<SQL` at `i`:
/// its terminator and where the marker ends.
fn heredoc_start(raw: &str, i: usize, lang: Lang) -> Option<(String, usize)> {
    let rest = &raw[i..];
    let after = match lang {
        Lang::Ruby => {
            let r = rest.strip_prefix("<<")?;
            r.strip_prefix('~')
                .or_else(|| r.strip_prefix('-'))
                .unwrap_or(r)
        }
        Lang::Php => rest.strip_prefix("<<<")?.trim_start_matches(' '),
        _ => return None,
    };
    let unquoted = after.trim_start_matches(['\'', '"']);
    let name: String = unquoted
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || !name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let quoted = after.len() - unquoted.len();
    let end = raw.len() - unquoted.len() + name.len() + quoted.min(1);
    Some((name, end.min(raw.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_blanked_and_strings_found() {
        let src = "remove_column :users, :email # drop_table :x\nexecute <<~SQL\n  DROP TABLE a;\nSQL\nx = 'it''s'\n";
        let s = Source::new(src, Lang::Ruby);
        assert!(!s.text.contains("drop_table"));
        assert_eq!(s.line(src.find("execute").unwrap()), 2);
        let heredoc = s
            .lits
            .iter()
            .find(|l| s.raw[l.content.0..l.content.1].contains("DROP"))
            .unwrap();
        assert_eq!(s.line(heredoc.content.0), 3);
        assert!(!s.code.contains("DROP"));
        let call = s.call(src.find(" :users").unwrap(), Lang::Ruby).unwrap();
        let args: Vec<&str> = call.args.iter().map(|r| s.slice(*r).trim()).collect();
        assert_eq!(args, [":users", ":email"]);
    }

    #[test]
    fn calls_and_keywords() {
        let src = "op.add_column('users', sa.Column('age', sa.Integer(), nullable=False))\n";
        let s = Source::new(src, Lang::Python);
        let call = s.call(src.find('(').unwrap(), Lang::Python).unwrap();
        assert_eq!(call.args.len(), 2);
        assert_eq!(keyword("nullable=False"), Some(("nullable", "False")));
        assert_eq!(keyword("null: false"), Some(("null", "false")));
        assert_eq!(keyword(":null => false"), Some(("null", "false")));
        assert_eq!(keyword(":users"), None);
        assert_eq!(keyword("a == b"), None);
        assert_eq!(name_of(":users").as_deref(), Some("users"));
        assert_eq!(name_of("'users'").as_deref(), Some("users"));
        assert_eq!(name_of("\"#{x}\""), None);
    }

    #[test]
    fn blocks_end_by_indentation() {
        let src = "class A\n  def up\n    x\n  end\n\n  def down\n    drop_table :a\n  end\nend\n";
        let s = Source::new(src, Lang::Ruby);
        let at = src.find("def down").unwrap();
        let end = s.block_end(at, Lang::Ruby);
        assert!(src[at..end].contains("drop_table"));
        assert!(!src[end..].contains("drop_table"));
        let py = "def upgrade():\n    op.x()\n\n\ndef downgrade():\n    pass\n";
        let s = Source::new(py, Lang::Python);
        let end = s.block_end(0, Lang::Python);
        assert_eq!(&py[..end], "def upgrade():\n    op.x()\n\n\n");
    }
}
