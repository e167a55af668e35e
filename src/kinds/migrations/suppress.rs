//! The suppressions migration tools already use, honoured as they document them, and shipgate's
//! own:
//! - strong_migrations: operations inside `safety_assured { … }` / `safety_assured do … end`;
//! - squawk: `-- squawk-ignore rule[, rule]` on the line of the operation or the line above
//!   (squawk's rule names), `-- squawk-ignore-file [rule, …]` anywhere in the file (without rules:
//!   every rule). A `squawk-ignore` without rules silences every rule on its line;
//! - django-migration-linter: `IgnoreMigration()` in the operations ignores the migration;
//! - `shipgate:allow <check-id>` on the line or the line above (a bare one allows every check).
//!
//! Lines are those of the operation and of the statement it is in.

use super::ops::{Class, Op};
use super::orm::Marks;
use crate::inputs::content::allows;

/// What silences findings in one file.
#[derive(Default)]
pub struct Silencers {
    lines: Vec<String>,
    marks: Marks,
    /// `squawk-ignore-file`: `Some(empty)` silences every rule.
    file_rules: Option<Vec<String>>,
}

impl Silencers {
    pub fn new(text: &str, marks: Marks) -> Self {
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut file_rules: Option<Vec<String>> = None;
        for l in &lines {
            if let Some(rules) = squawk_rules(l, "squawk-ignore-file") {
                let all = file_rules.get_or_insert_with(Vec::new);
                if rules.is_empty() {
                    all.clear();
                    all.push("*".into());
                } else {
                    all.extend(rules);
                }
            }
        }
        Silencers {
            lines,
            marks,
            file_rules,
        }
    }

    fn line(&self, n: u64) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.lines.get(i as usize))
            .map_or("", String::as_str)
    }

    /// The text of a 1-based line.
    pub fn text(&self, n: u64) -> &str {
        self.line(n)
    }

    fn near(&self, op: &Op) -> Vec<&str> {
        let mut v = Vec::new();
        for n in [
            op.line,
            op.line.saturating_sub(1),
            op.statement_line,
            op.statement_line.saturating_sub(1),
        ] {
            if n > 0 {
                v.push(self.line(n));
            }
        }
        v
    }

    /// Which tool's convention silences `op`, if one does.
    pub fn ecosystem(&self, op: &Op) -> Option<&'static str> {
        let class = op.rule.class();
        if !matches!(
            class,
            Class::Destructive | Class::Incompatible | Class::Locking
        ) {
            return None;
        }
        if self.marks.ignored {
            return Some("IgnoreMigration()");
        }
        if self
            .marks
            .assured
            .iter()
            .any(|(a, b)| op.line >= *a && op.line <= *b)
        {
            return Some("safety_assured");
        }
        let names = op.rule.squawk();
        let hit = |rules: &[String]| {
            rules
                .iter()
                .any(|r| r == "*" || names.contains(&r.as_str()))
        };
        if self.file_rules.as_deref().is_some_and(hit) {
            return Some("squawk-ignore-file");
        }
        for l in self.near(op) {
            if let Some(mut rules) = squawk_rules(l, "squawk-ignore") {
                if rules.is_empty() {
                    rules.push("*".into());
                }
                if hit(&rules) {
                    return Some("squawk-ignore");
                }
            }
        }
        None
    }

    /// Whether a `shipgate:allow` for check `id` is on the operation's lines.
    pub fn allowed(&self, op: &Op, id: &str) -> bool {
        self.near(op).iter().any(|l| allows(l.as_bytes(), id))
    }
}

/// The rules named after `marker` on a comment line (`-- squawk-ignore a, b`), or `None` if the
/// line has no such marker. `squawk-ignore` does not match `squawk-ignore-file`.
fn squawk_rules(line: &str, marker: &str) -> Option<Vec<String>> {
    let i = line.find(marker)?;
    let rest = &line[i + marker.len()..];
    if marker == "squawk-ignore" && rest.starts_with("-file") {
        return None;
    }
    if rest
        .chars()
        .next()
        .is_some_and(|c| !c.is_whitespace() && c != ',')
    {
        return None;
    }
    let rest = rest.split("--").next().unwrap_or("");
    let rest = rest.split("*/").next().unwrap_or("");
    Some(
        rest.split(',')
            .map(|r| r.trim().trim_matches(|c: char| c == '"' || c == '\''))
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::migrations::ops::Rule;

    #[test]
    fn squawk_comments() {
        assert_eq!(
            squawk_rules(
                "-- squawk-ignore ban-drop-column, renaming-column",
                "squawk-ignore"
            )
            .unwrap(),
            ["ban-drop-column", "renaming-column"]
        );
        assert!(squawk_rules("-- squawk-ignore-file", "squawk-ignore").is_none());
        assert!(squawk_rules("-- squawk-ignore-file", "squawk-ignore-file")
            .unwrap()
            .is_empty());
        assert_eq!(
            squawk_rules("/* squawk-ignore ban-drop-table */", "squawk-ignore").unwrap(),
            ["ban-drop-table"]
        );
        let s = Silencers::new("-- squawk-ignore ban-drop-column\nALTER TABLE a DROP COLUMN b;\nALTER TABLE a DROP COLUMN c;\n", Marks::default());
        assert_eq!(
            s.ecosystem(&Op::new(Rule::DropColumn, 2, "x")),
            Some("squawk-ignore")
        );
        assert_eq!(s.ecosystem(&Op::new(Rule::DropColumn, 3, "x")), None);
        assert_eq!(s.ecosystem(&Op::new(Rule::RenameColumn, 2, "x")), None);
        let s = Silencers::new(
            "-- squawk-ignore-file ban-drop-table\nDROP TABLE a;\n",
            Marks::default(),
        );
        assert!(s.ecosystem(&Op::new(Rule::DropTable, 2, "x")).is_some());
        assert!(s.ecosystem(&Op::new(Rule::DropColumn, 2, "x")).is_none());
    }
}
