//! Hook managers, run for real: lefthook, husky 9 and the pre-commit framework install their
//! pre-push hook in a clone of a local bare remote, and `git push` goes through them. In each, an
//! unreviewed commit pushed to main is blocked and a feature branch goes through.
//!
//! The tools are not part of a Rust toolchain, so these tests are `#[ignore]`d: run them with
//! `cargo test --test integration hook_managers -- --ignored` with `lefthook`, `husky` (npm's
//! `node_modules/.bin`) and `pre-commit` (`pip install pre-commit`) on PATH. A tool missing from
//! PATH then fails the test, never passes it. The logic they rely on (what `git push` would send,
//! without git's push input) is tested without any of them in `git.rs`.

use std::path::{Path, PathBuf};

use crate::git::Pushable;
use crate::util::{git, git_cmd};

/// `name` on PATH, or a panic saying what to install.
fn tool(name: &str, install: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("this test needs `{name}` on PATH: {install}"))
}

/// PATH with this build of shipgate first, so hook lines that say `shipgate` run it.
fn path_with_shipgate() -> std::ffi::OsString {
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

impl Pushable {
    /// `git push ARGS` with shipgate on PATH, through whatever hook the tool installed.
    fn push_via(&self, args: &[&str]) -> (bool, String) {
        let out = git_cmd(&self.t.home, &self.work)
            .arg("push")
            .args(args)
            .env("PATH", path_with_shipgate())
            .env("PRE_COMMIT_HOME", self.t.home.join("pre-commit-cache"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// A command of the tool, in the clone, with the test's HOME and shipgate on PATH.
    fn tool_cmd(&self, program: &Path) -> std::process::Command {
        let mut t = std::process::Command::new(program);
        t.current_dir(&self.work)
            .env("HOME", &self.t.home)
            .env("XDG_CONFIG_HOME", self.t.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", path_with_shipgate())
            .env("PRE_COMMIT_HOME", self.t.home.join("pre-commit-cache"))
            .env("NO_COLOR", "1");
        t
    }

    fn run_tool(&self, program: &Path, args: &[&str]) -> (bool, String) {
        let out = self.tool_cmd(program).args(args).output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    /// `push.autoSetupRemote`: a set-up without git's push input needs it for a new branch.
    fn auto_setup_remote(&self) {
        git(
            &self.t.home,
            &self.work,
            &["config", "push.autoSetupRemote", "true"],
        );
    }

    /// Commits `files` with a reviewed message and pushes main past the hook, so the set-up of a
    /// tool is not itself the unreviewed commit under test.
    fn commit_setup(&self, files: &[&str]) {
        let mut add = vec!["add", "-f", "--"];
        add.extend_from_slice(files);
        git(&self.t.home, &self.work, &add);
        git(
            &self.t.home,
            &self.work,
            &["commit", "-q", "-m", "Hook set-up\n\nReviewed-by: A <a@x>"],
        );
        git(
            &self.t.home,
            &self.work,
            &["push", "-q", "--no-verify", "origin", "main"],
        );
    }

    /// The scenario every tool must pass: an unreviewed commit to main is blocked and not pushed,
    /// the same work on a new feature branch goes through, and once reviewed main takes it.
    fn blocks_main_and_passes_a_feature_branch(&self, blocked_says: &str) {
        self.commit("a.txt", "Direct change");
        let (ok, out) = self.push_via(&["origin", "main"]);
        assert!(!ok, "the unreviewed push to main went through: {out}");
        assert!(out.contains(blocked_says), "{out}");
        let head = || {
            git(&self.t.home, &self.work, &["rev-parse", "HEAD"])
                .trim()
                .to_string()
        };
        let unreviewed = head();
        assert!(
            !self.remote_has(&format!("{unreviewed}^{{commit}}")),
            "nothing was pushed"
        );

        git(
            &self.t.home,
            &self.work,
            &["checkout", "-q", "-b", "feature/a"],
        );
        let (ok, out) = self.push_via(&["origin", "feature/a"]);
        assert!(ok, "the feature branch was blocked: {out}");
        assert!(self.remote_has("refs/heads/feature/a"));

        git(&self.t.home, &self.work, &["checkout", "-q", "main"]);
        git(
            &self.t.home,
            &self.work,
            &[
                "commit",
                "-q",
                "--amend",
                "-m",
                "Direct change\n\nReviewed-by: Alice <alice@example.com>",
            ],
        );
        let (ok, out) = self.push_via(&["origin", "main"]);
        assert!(ok, "the reviewed push to main was blocked: {out}");
        assert_eq!(
            git(&self.t.home, &self.remote, &["rev-parse", "main"]).trim(),
            head()
        );
    }
}

const LEFTHOOK: &str = "lefthook (npm install lefthook, or its release binary)";
const HUSKY: &str = "husky 9 (npm install husky; node_modules/.bin on PATH)";
const PRE_COMMIT: &str = "pre-commit (pip install pre-commit)";

/// A pushable repository with lefthook installed from `config` (its `lefthook.yml`), committed.
fn with_lefthook(config: &str) -> Pushable {
    let lefthook = tool("lefthook", LEFTHOOK);
    let p = Pushable::new();
    std::fs::write(p.work.join("lefthook.yml"), config).unwrap();
    let (ok, out) = p.run_tool(&lefthook, &["install"]);
    assert!(ok, "{out}");
    p.commit_setup(&["lefthook.yml"]);
    p
}

/// lefthook with the plain command: no push input reaches shipgate, which examines what
/// `git push` would send (push.autoSetupRemote lets a new branch go to its own name).
#[test]
#[ignore = "needs lefthook on PATH (npm install lefthook)"]
fn lefthook_runs_shipgate_run_without_push_input() {
    let p = with_lefthook(
        "pre-push:\n  commands:\n    shipgate:\n      run: shipgate run --stage pre-push\n",
    );
    p.auto_setup_remote();
    p.blocks_main_and_passes_a_feature_branch("unreviewed-commits");
}

/// lefthook with git's input passed on (`use_stdin`, `{1} {2}`): shipgate's own hook command,
/// which sees every ref of the push.
#[test]
#[ignore = "needs lefthook on PATH (npm install lefthook)"]
fn lefthook_passes_git_push_input_to_shipgate_hook_pre_push() {
    let p = with_lefthook(
        "pre-push:\n  commands:\n    shipgate:\n      use_stdin: true\n      run: shipgate hook pre-push {1} {2}\n",
    );
    p.blocks_main_and_passes_a_feature_branch("BLOCKED by unreviewed-commits");
}

/// husky 9 with `shipgate run --stage pre-push` as a line of `.husky/pre-push`.
#[test]
#[ignore = "needs husky 9 on PATH (npm install husky; node_modules/.bin)"]
fn husky_runs_a_shipgate_run_line() {
    let husky = tool("husky", HUSKY);
    let p = Pushable::new();
    let (ok, out) = p.run_tool(&husky, &[]);
    assert!(ok, "{out}");
    std::fs::write(
        p.work.join(".husky/pre-push"),
        "shipgate run --stage pre-push\n",
    )
    .unwrap();
    p.commit_setup(&[".husky/pre-push"]);
    p.auto_setup_remote();
    p.blocks_main_and_passes_a_feature_branch("unreviewed-commits");
}

/// husky 9 with `shipgate hook install`, which adds its call (with git's input) to
/// `.husky/pre-push`.
#[test]
#[ignore = "needs husky 9 on PATH (npm install husky; node_modules/.bin)"]
fn husky_with_shipgate_hook_install() {
    let husky = tool("husky", HUSKY);
    let p = Pushable::new();
    let (ok, out) = p.run_tool(&husky, &[]);
    assert!(ok, "{out}");
    std::fs::write(p.work.join(".husky/pre-push"), "echo user hook ran\n").unwrap();
    let (code, out) = p.shipgate(&["hook", "install"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("husky"), "{out}");
    p.commit_setup(&[".husky/pre-push"]);
    p.blocks_main_and_passes_a_feature_branch("BLOCKED by unreviewed-commits");
    let (_, out) = p.push_via(&["origin", "main"]);
    assert!(out.contains("user hook ran"), "{out}");
}

/// A hooks repository holding this repository's `.pre-commit-hooks.yaml`, committed; its sha.
fn hooks_repo(p: &Pushable) -> (PathBuf, String) {
    let dir = p.t.dir.path().join("hooks-repo");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
        dir.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git(&p.t.home, &dir, &["init", "-q"]);
    git(&p.t.home, &dir, &["add", "."]);
    git(&p.t.home, &dir, &["commit", "-q", "-m", "hooks"]);
    let sha = git(&p.t.home, &dir, &["rev-parse", "HEAD"])
        .trim()
        .to_string();
    (dir, sha)
}

/// `.pre-commit-config.yaml` using the `shipgate-system` hook of [`hooks_repo`]; that repository.
fn pre_commit_config(p: &Pushable) -> PathBuf {
    let (repo, sha) = hooks_repo(p);
    std::fs::write(
        p.work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {sha}\n    hooks:\n      - id: shipgate-system\n",
            repo.display()
        ),
    )
    .unwrap();
    repo
}

/// pre-commit's own pre-push hook, with the `shipgate-system` hook of `.pre-commit-hooks.yaml`
/// (the installed binary): the refs come from PRE_COMMIT_* variables.
#[test]
#[ignore = "needs pre-commit on PATH (pip install pre-commit)"]
fn pre_commit_hook_with_the_installed_binary() {
    let pre_commit = tool("pre-commit", PRE_COMMIT);
    let p = Pushable::new();
    pre_commit_config(&p);
    let (ok, out) = p.run_tool(&pre_commit, &["install", "--hook-type", "pre-push"]);
    assert!(ok, "{out}");
    p.commit_setup(&[".pre-commit-config.yaml"]);
    p.blocks_main_and_passes_a_feature_branch("unreviewed-commits");
}

/// `pre-commit try-repo … --hook-stage pre-push` and `pre-commit run --hook-stage pre-push` by
/// hand set no PRE_COMMIT_REMOTE_BRANCH: shipgate examines what `git push` would send, so an
/// unreviewed commit on main fails, and a feature branch passes.
#[test]
#[ignore = "needs pre-commit on PATH (pip install pre-commit)"]
fn pre_commit_try_repo_and_run_by_hand_do_not_skip() {
    let pre_commit = tool("pre-commit", PRE_COMMIT);
    let p = Pushable::new();
    let repo = pre_commit_config(&p);
    p.commit_setup(&[".pre-commit-config.yaml"]);
    let repo = repo.to_str().unwrap();
    let try_repo = [
        "try-repo",
        repo,
        "shipgate-system",
        "--hook-stage",
        "pre-push",
    ];
    let by_hand = ["run", "--hook-stage", "pre-push"];

    p.commit("a.txt", "Direct change");
    for args in [&try_repo[..], &by_hand[..]] {
        let (ok, out) = p.run_tool(&pre_commit, args);
        assert!(!ok, "{args:?} passed an unreviewed commit on main: {out}");
        assert!(out.contains("unreviewed-commits"), "{out}");
    }
    git(&p.t.home, &p.work, &["checkout", "-q", "-b", "feature/a"]);
    git(
        &p.t.home,
        &p.work,
        &["push", "-q", "--no-verify", "-u", "origin", "feature/a"],
    );
    p.commit("b.txt", "More work");
    for args in [&try_repo[..], &by_hand[..]] {
        let (ok, out) = p.run_tool(&pre_commit, args);
        assert!(ok, "{args:?} blocked a feature branch: {out}");
    }
}
