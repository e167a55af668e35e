//! Stable identities of findings, shared by the SARIF and GitLab reporters: the same problem in
//! the same place keeps its fingerprint when unrelated lines move.

use sha2::{Digest, Sha256};

use crate::report::model::Finding;

/// 32 hex digits from the check id, where the finding is (path or commit or variable, but not the
/// line number), and what was found.
pub fn fingerprint(check: &str, f: &Finding) -> String {
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
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
