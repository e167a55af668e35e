//! A starter `.shipgate.yaml` for the ecosystems detected in a repository (`shipgate init`,
//! which never overwrites an existing file).

use std::path::Path;

/// Ecosystems recognised by their manifest at the repository root.
const ECOSYSTEMS: &[(&str, &str)] = &[
    ("Cargo.toml", "Rust"),
    ("package.json", "JavaScript/TypeScript"),
    ("pyproject.toml", "Python"),
    ("requirements.txt", "Python"),
    ("go.mod", "Go"),
    ("Gemfile", "Ruby"),
    ("pom.xml", "Java"),
];

/// The ecosystems whose manifest is at `root`.
pub fn detect(root: &Path) -> Vec<&'static str> {
    ECOSYSTEMS
        .iter()
        .filter(|(f, _)| root.join(f).exists())
        .map(|(_, e)| *e)
        .collect()
}

/// The usual test command of the first detected ecosystem, as a YAML flow list.
fn test_command(found: &[&str]) -> &'static str {
    match found.first().copied() {
        Some("Rust") => "cargo, test, --locked",
        Some("JavaScript/TypeScript") => "npm, test",
        Some("Python") => "python, -m, pytest",
        Some("Go") => "go, test, ./...",
        Some("Ruby") => "bundle, exec, rake, test",
        Some("Java") => "mvn, -q, test",
        _ => "make, test",
    }
}

pub fn starter(found: &[&str]) -> String {
    let mut exclude = vec!["# - \"vendor/**\""];
    let mut hints = Vec::new();
    for e in found {
        match *e {
            "JavaScript/TypeScript" => {
                exclude
                    .push("# - \"dist/**\"        # build output, checked with --artifact instead");
                hints.push("# JavaScript: `npm pack` then `shipgate run --artifact *.tgz` inspects what would be published.");
            }
            "Rust" => {
                hints.push("# Rust: `cargo package` then `shipgate run --artifact target/package/*.crate`.");
            }
            "Python" => {
                hints
                    .push("# Python: `python -m build` then `shipgate run --artifact dist/*.whl`.");
            }
            _ => {}
        }
    }
    exclude.dedup();
    format!(
        r#"# shipgate configuration — https://github.com/shipgate/shipgate
# Every key is optional: with no file at all, the built-in checklist runs.
{hints}
# Use the built-in checklist (`shipgate list` shows it).
builtins: true

# Extra check files or folders of your own, one check per YAML file.
extra-checks: []
#  - .shipgate/checks/

settings:
  # Time zone for deploy windows and the report (IANA name). Default: the machine's.
  # timezone: Europe/Berlin
  # Files larger than this are listed but not scanned.
  max-file-size: 2MiB
  # Paths no repository check looks at.
  exclude: []
  {exclude}

# Per-check changes, by id: severity, stages, off, message, help, params.
checks: {{}}
#  lockfile-present:
#    severity: error
#  static-paths:
#    params:
#      exclude: ["docs/**"]

# Your test suite as a release item: a `command` check in a file under extra-checks, e.g.
# .shipgate/checks/test-suite.yaml:
#   id: test-suite
#   title: The test suite passes
#   severity: error
#   stages: [release]
#   command:
#     run: [{test_cmd}]
#     timeout: 15m

# Accepted findings, each with a reason and an expiry date (an expired waiver stops waiving).
waivers: []
#  - check: static-paths
#    path: "scripts/dev-setup.sh"
#    reason: "developer setup script, never deployed"
#    expires: 2027-03-31
"#,
        hints = hints.join("\n"),
        test_cmd = test_command(found),
        exclude = exclude.join("\n  ")
    )
}
