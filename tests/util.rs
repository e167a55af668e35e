//! Test helpers. Repositories are real git repositories made with git2 and a fixed signature, so
//! SHAs do not depend on the runner's git config or the clock. Commands run hermetically: no
//! NO_COLOR, HOME and XDG_CONFIG_HOME point into the temp dir; stdout is a pipe, so no colour.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use git2::{IndexAddOption, Repository, Signature, Time};
use tempfile::TempDir;

pub struct TestRepo {
    pub dir: TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub repo: Repository,
    clock: std::cell::Cell<i64>,
}

impl TestRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("repo");
        let home = base.join("home");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let repo = Repository::init_opts(
            &root,
            git2::RepositoryInitOptions::new().initial_head("main"),
        )
        .unwrap();
        TestRepo {
            dir,
            root,
            home,
            repo,
            clock: std::cell::Cell::new(1_780_000_000),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let p = self.root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    pub fn remove(&self, rel: &str) -> &Self {
        std::fs::remove_file(self.root.join(rel)).unwrap();
        self
    }

    pub fn signature(&self, name: &str, email: &str) -> Signature<'static> {
        let t = self.clock.get() + 60;
        self.clock.set(t);
        Signature::new(name, email, &Time::new(t, 0)).unwrap()
    }

    /// Stages everything not ignored (`git add -A`) and commits.
    pub fn commit(&self, msg: &str) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        self.commit_index(msg, "Dev", "dev@example.com")
    }

    /// Force-adds one path, as `git add -f` does.
    pub fn force_add(&self, rel: &str) -> &Self {
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(rel)).unwrap();
        index.write().unwrap();
        self
    }

    pub fn commit_index(&self, msg: &str, name: &str, email: &str) -> git2::Oid {
        let mut index = self.repo.index().unwrap();
        let tree_id = index.write_tree().unwrap();
        let tree = self.repo.find_tree(tree_id).unwrap();
        let sig = self.signature(name, email);
        let parents: Vec<git2::Commit> = match self.repo.head() {
            Ok(h) => vec![h.peel_to_commit().unwrap()],
            Err(_) => vec![],
        };
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        self.repo
            .commit(Some("HEAD"), &sig, &sig, msg, &tree, &parents)
            .unwrap()
    }

    /// `shipgate -C <repo>` with a hermetic environment.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("shipgate").unwrap();
        c.current_dir(&self.root)
            .env_remove("NO_COLOR")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TZ", "UTC");
        c
    }

    /// Runs `shipgate run -f json ARGS` and returns (exit code, report).
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        self.json_with(args, &[])
    }

    /// `json`, with these variables set in shipgate's environment (a CI job's `GITHUB_REF_*`).
    pub fn json_with(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, serde_json::Value) {
        let out = self
            .cmd()
            .arg("run")
            .arg("-f")
            .arg("json")
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}); stdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, v)
    }

    /// Runs `shipgate ARGS` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// The result of check `id` in a JSON report.
pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in report: {report:#}"))
}

/// The paths of the check's findings, sorted (each finding must have one).
pub fn finding_paths(report: &serde_json::Value, id: &str) -> Vec<String> {
    let mut paths: Vec<String> = check(report, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    paths
}

pub fn status<'a>(report: &'a serde_json::Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().unwrap()
}

/// A fake AWS key built at run time, so this source file holds no secret-shaped literal.
pub fn fake_aws_key() -> String {
    format!("{}{}", "AKIA", "Q2Z7XK4N5M6P3R2S")
}

/// An entry of a test archive.
pub enum E<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// Writes a tar stream with fixed mtime, mode and owner. Names are written raw into the header,
/// so hostile names (`..`, absolute) can be made.
pub fn tar_bytes(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        let (name, data, ty, link): (&str, &[u8], tar::EntryType, Option<&str>) = match e {
            E::File(n, d) => (n, d, tar::EntryType::Regular, None),
            E::Dir(n) => (n, b"", tar::EntryType::Directory, None),
            E::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t)),
            E::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t)),
        };
        h.set_entry_type(ty);
        h.set_mode(if ty == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        h.set_size(data.len() as u64);
        let raw = h.as_old_mut();
        raw.name = [0; 100];
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(t) = link {
            raw.linkname = [0; 100];
            raw.linkname[..t.len()].copy_from_slice(t.as_bytes());
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// Writes a `.tar.gz` (or `.tgz`, `.crate`: the name is up to the caller).
pub fn write_tar_gz(path: &Path, entries: &[E]) {
    std::fs::write(path, gzip(&tar_bytes(entries))).unwrap();
}

/// Writes a wheel: a zip whose `*.dist-info/RECORD` lists every file with its size, as pip
/// requires.
pub fn write_wheel(path: &Path, entries: &[E]) {
    let mut record = String::new();
    for e in entries {
        if let E::File(n, d) = e {
            record.push_str(&format!("{n},,{}\n", d.len()));
        }
    }
    record.push_str("app-0.1.dist-info/RECORD,,\n");
    let mut all: Vec<E> = entries
        .iter()
        .map(|e| match e {
            E::File(n, d) => E::File(n, d),
            E::Dir(n) => E::Dir(n),
            E::Symlink(a, b) => E::Symlink(a, b),
            E::Hardlink(a, b) => E::Hardlink(a, b),
        })
        .collect();
    all.push(E::File("app-0.1.dist-info/RECORD", record.as_bytes()));
    write_zip(path, &all);
}

/// Writes a zip (also `.whl`, `.jar`).
pub fn write_zip(path: &Path, entries: &[E]) {
    use std::io::Write;
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for e in entries {
        match e {
            E::File(n, d) => {
                z.start_file(*n, opts).unwrap();
                z.write_all(d).unwrap();
            }
            E::Dir(n) => {
                z.add_directory(*n, opts).unwrap();
            }
            E::Symlink(n, t) => {
                z.add_symlink(*n, *t, opts).unwrap();
            }
            E::Hardlink(..) => panic!("zip has no hard links"),
        }
    }
    z.finish().unwrap();
}

/// Runs the `git` binary hermetically in `dir`; panics with its output on failure.
pub fn git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = git_cmd(home, dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn git_cmd(home: &Path, dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Dev")
        .env("GIT_AUTHOR_EMAIL", "dev@example.com")
        .env("GIT_COMMITTER_NAME", "Dev")
        .env("GIT_COMMITTER_EMAIL", "dev@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env_remove("GIT_DIR")
        .env_remove("SHIPGATE_OVERRIDE")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "advice.detachedHead=false",
        ]);
    c
}

impl TestRepo {
    /// Makes a commit of one file with the given message, author and committer.
    pub fn commit_as(
        &self,
        file: &str,
        msg: &str,
        author: (&str, &str),
        committer: (&str, &str),
    ) -> git2::Oid {
        self.write(file, msg);
        let mut index = self.repo.index().unwrap();
        index.add_path(Path::new(file)).unwrap();
        index.write().unwrap();
        let tree = self.repo.find_tree(index.write_tree().unwrap()).unwrap();
        let a = self.signature(author.0, author.1);
        let c = self.signature(committer.0, committer.1);
        let parent = self.repo.head().ok().map(|h| h.peel_to_commit().unwrap());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(Some("HEAD"), &a, &c, msg, &tree, &parents)
            .unwrap()
    }

    /// A merge commit of `other` into HEAD with `msg` (the tree is HEAD's).
    pub fn merge_commit(&self, other: git2::Oid, msg: &str, committer: (&str, &str)) -> git2::Oid {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        let other = self.repo.find_commit(other).unwrap();
        let sig = self.signature(committer.0, committer.1);
        self.repo
            .commit(
                Some("HEAD"),
                &sig,
                &sig,
                msg,
                &head.tree().unwrap(),
                &[&head, &other],
            )
            .unwrap()
    }

    pub fn tag(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo
            .tag_lightweight(name, head.as_object(), false)
            .unwrap();
    }
}

/// A `shipgate run` of chosen checks, built up: `t.only(&["repo-secrets"]).args(&["--stage",
/// "release"]).json()`.
pub struct Run<'a> {
    t: &'a TestRepo,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl TestRepo {
    /// `shipgate run --only ID…`: just these checks.
    pub fn only(&self, ids: &[&str]) -> Run<'_> {
        let mut args = Vec::new();
        for id in ids {
            args.push("--only".to_string());
            args.push(id.to_string());
        }
        Run {
            t: self,
            args,
            env: Vec::new(),
        }
    }
}

impl Run<'_> {
    pub fn args(mut self, more: &[&str]) -> Self {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    /// A variable in shipgate's environment.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// As a CI job that a pushed tag triggered: `GITHUB_REF_TYPE=tag`, `GITHUB_REF_NAME=TAG`.
    pub fn on_tag(self, tag: &str) -> Self {
        self.env("GITHUB_REF_TYPE", "tag")
            .env("GITHUB_REF_NAME", tag)
    }

    /// Runs with `-f json`: (exit code, report).
    pub fn json(self) -> (i32, serde_json::Value) {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        self.t.json_with(&args, &env)
    }

    /// Runs with the human report: (exit code, stdout, stderr).
    pub fn human(self) -> (i32, String, String) {
        let mut args = vec!["run"];
        args.extend(self.args.iter().map(String::as_str));
        self.t.run(&args)
    }
}
