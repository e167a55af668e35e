//! Small text helpers shared by the loader and the reporters: nearest-name suggestions, redaction
//! of secrets, and sanitizing of untrusted text (archive member names, commit subjects) before it
//! reaches a terminal.

/// Levenshtein distance between two short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `name`, if it is near enough to be a plausible typo.
pub fn nearest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "did you mean `x`?" for the nearest candidate, if any.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    nearest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The redacted form of a secret: its first 4 characters, then `…`.
pub fn redact(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

/// The redacted form of a matched secret that may carry its name (`password = "s3cr…"`): the
/// name and the operator stay, the value is redacted; otherwise as [`redact`].
pub fn redact_match(secret: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"^([A-Za-z_][A-Za-z0-9_.\-]{0,60}["'\]]?[ \t]*(?:=>|:=|=|:)[ \t]*["'`]?)([^\s"'`].{3,})$"#)
            .expect("valid")
    });
    match re.captures(secret) {
        Some(c) => format!("{}{}", &c[1], redact(&c[2])),
        None => redact(secret),
    }
}

/// Replaces control characters (terminal escapes, carriage returns) by visible escapes, so text
/// from archives, commits and files cannot rewrite the terminal.
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push(' '),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Word-wraps `text` for a terminal `width` columns wide: the first line starts at column
/// `first` (after a label already printed), the others at column `indent` (the caller prints the
/// indent). A word longer than a line stays whole. Without a width, `text` is one line.
pub fn wrap(text: &str, width: Option<usize>, first: usize, indent: usize) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut room = width.saturating_sub(first).max(20);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
            room = width.saturating_sub(indent).max(20);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The lines of `text` to wrap to a terminal: with a width, the lines of a hard-wrapped
/// paragraph are joined first (a line starting a list item, an indented line or a blank line
/// starts a new one), so the text reflows; without one, the lines as they are.
pub fn paragraphs(text: &str, width: Option<usize>) -> Vec<String> {
    if width.is_none() {
        return text.lines().map(str::to_string).collect();
    }
    let starts_item = |l: &str| {
        let t = l.trim_start();
        t.len() != l.len()
            || t.is_empty()
            || t.starts_with(['-', '*', '•', '|', '>', '#', '`'])
            || t.split_once(['.', ')'])
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for l in text.lines() {
        match out.last_mut() {
            Some(last) if open && !starts_item(l) && !l.trim().is_empty() => {
                last.push(' ');
                last.push_str(l.trim());
            }
            _ => out.push(l.to_string()),
        }
        open = !l.trim().is_empty()
            && !l.trim_start().starts_with('`')
            && l.trim_start().len() == l.len();
    }
    out
}

/// Shortens a line for display around byte range `start..end`, keeping at most `max` characters.
pub fn excerpt(line: &str, max: usize) -> String {
    let trimmed = line.trim();
    if trimmed.chars().count() <= max {
        return trimmed.to_string();
    }
    let s: String = trimmed.chars().take(max).collect();
    format!("{s}…")
}

/// Thousands separators for counts in messages ("1,906").
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count for people: "532 KiB".
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_keeps_words_whole_and_leaves_room_for_the_indent() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        assert_eq!(wrap(text, None, 9, 9), [text]);
        let lines = wrap(text, Some(40), 15, 9);
        assert_eq!(lines.join(" "), text);
        assert!(lines[0].len() <= 25, "{lines:?}");
        assert!(lines[1..].iter().all(|l| l.len() <= 31), "{lines:?}");
        assert_eq!(wrap("x".repeat(50).as_str(), Some(30), 0, 0).len(), 1);
    }

    #[test]
    fn paragraphs_reflow_only_for_a_terminal() {
        let text = "A deploy that breaks\non Friday.\n\n- one item\n- two\n  continued\nNext";
        assert_eq!(paragraphs(text, None).len(), 7);
        assert_eq!(
            paragraphs(text, Some(80)),
            [
                "A deploy that breaks on Friday.",
                "",
                "- one item",
                "- two",
                "  continued",
                "Next"
            ]
        );
    }

    use super::*;

    #[test]
    fn suggests_nearest() {
        assert_eq!(
            nearest("severty", ["id", "severity", "stages"]),
            Some("severity")
        );
        assert_eq!(nearest("zzzzzz", ["id", "severity"]), None);
    }

    #[test]
    fn redacts_to_four_chars() {
        // shipgate:allow repo-secrets
        assert_eq!(redact("AKIAABCDEFGHIJKLMNOP"), "AKIA…");
        assert_eq!(redact("ab"), "ab…");
    }

    #[test]
    fn sanitizes_escapes() {
        assert_eq!(sanitize("a\x1b[31mb\r"), "a\\u{1b}[31mb\\r");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(1906), "1,906");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }
}
