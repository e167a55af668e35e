//! Stable identities of findings, shared by the SARIF and GitLab reporters: the same problem in
//! the same place keeps its fingerprint when unrelated lines move, and two findings that look the
//! same (one secret pasted twice into one file) keep two fingerprints, so code scanning and Code
//! Quality show two alerts, not one.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::report::model::{CheckResult, Finding};

/// 32 hex digits from the check id, where the finding is (path or commit or variable, but not the
/// line number), and what was found.
pub fn fingerprint(check: &str, f: &Finding) -> String {
    hash(check, f, 0)
}

/// The fingerprints of a check's findings, in order. The first of the findings with equal
/// [`fingerprint`]s keeps it; each later one is told apart by its occurrence (the second, the
/// third … in the file, as findings are ordered by line): stable when lines move above, below or
/// between them, and distinct.
pub fn fingerprints(c: &CheckResult) -> Vec<String> {
    let mut seen: HashMap<String, u64> = HashMap::new();
    c.findings
        .iter()
        .map(|f| {
            let first = fingerprint(&c.id, f);
            let n = seen.entry(first.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                first
            } else {
                hash(&c.id, f, *n - 1)
            }
        })
        .collect()
}

fn hash(check: &str, f: &Finding, occurrence: u64) -> String {
    let l = &f.location;
    let mut h = Sha256::new();
    for part in [
        check,
        l.input.as_str(),
        l.artifact.as_deref().unwrap_or(""),
        l.path.as_deref().unwrap_or(""),
        l.commit.as_deref().unwrap_or(""),
        l.name.as_deref().unwrap_or(""),
        f.evidence.as_deref().unwrap_or(&f.message),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    if occurrence > 0 {
        h.update(format!("occurrence {occurrence}").as_bytes());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::{Location, Status};
    use crate::types::Severity;

    fn check(lines: &[u64]) -> CheckResult {
        CheckResult {
            id: "repo-secrets".into(),
            title: "t".into(),
            kind: "repo-content",
            severity: Severity::Error,
            status: Status::Fail,
            duration_ms: 0,
            findings: lines
                .iter()
                .map(|&l| Finding {
                    message: "an AWS key".into(),
                    location: Location::repo("config/prod.env").with_line(l, Some(5)),
                    evidence: Some("AKIA…".into()),
                })
                .collect(),
            override_: None,
            reason: None,
            suppressed: 0,
            waived: 0,
            help: None,
            why: None,
            finds_secrets: true,
        }
    }

    #[test]
    fn identical_lines_get_distinct_fingerprints_that_survive_moved_lines() {
        let before = fingerprints(&check(&[3, 9]));
        assert_ne!(before[0], before[1], "two alerts, not one");
        // Lines added above and between: same fingerprints.
        assert_eq!(fingerprints(&check(&[10, 40])), before);
        // The first keeps the fingerprint a single finding has.
        assert_eq!(before[0], fingerprints(&check(&[3]))[0]);
    }
}
