//! shipgate's integration tests: one binary (autotests = false), one module per area.

// Shared helpers: TestRepo (a real git repository in a temp dir), archive builders.
mod util;

// `shipgate run` on the built-in checklist: each check fails on a bad repo and passes on a clean one.
mod builtin_checks;
// The command line: exit codes, JSON report, -o, list, explain, validate, init.
mod cli;
// Configuration: validation errors with positions, waivers, inline allows, overrides, stages.
mod config;
// Artifacts: real tar.gz/tgz/.crate/zip/whl/directory archives, leaky and clean, hostile ones.
mod artifacts;
// Container images: docker save, OCI layouts and archives, layers, whiteouts, digests, config.
mod images;
// Git: commit ranges and review evidence, repository state, shallow clones, the pre-push hook.
mod git;
// Hook managers run for real (lefthook, husky, pre-commit; #[ignore]d: they need the tools).
mod hook_managers;
// Database migrations in the release: every layout, each operation both ways, edits, uses, suppressions.
mod migrations;
// Deploy windows: zones, DST in both hemispheres, freezes, holidays, `shipgate windows`.
mod windows;
// The deploy environment: code references, examples, parity, values never printed.
mod env;
// Dev/prod parity: runtime versions, lockfiles in sync, --env-from manifests, monorepo versions.
mod parity;
// Output formats (SARIF, JUnit, GitHub, GitLab, Markdown) with hostile text; CI examples run.
mod formats;
// The reports as their consumers validate them: SARIF schema, code scanning, Code Quality, junit-10.xsd.
mod consumers;
// The CI templates (action.yml, the GitLab CI template) run their shell as the runners do.
mod ci_templates;
// One hostile report value rendered by every reporter, snapshotted.
mod reporters;
// The shape of the code: function size, module boundaries, the kind registry.
mod architecture;
// Sign-off: manual items, command checks, records in git notes, verify, the interactive flow.
mod signoff;
// Hostile inputs: YAML bombs, regexes, FIFOs, sockets, loops, unreadable files, huge lines;
// every input error fails closed.
#[cfg(unix)]
mod hostile;
