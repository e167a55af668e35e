//! Hostile inputs, kept as regression tests: YAML alias bombs and deep nesting, regexes the engine
//! cannot run or that look catastrophic, FIFOs, sockets, symlink loops, unreadable files, names
//! that are not UTF-8, a 100 MB single-line file, and a proof that every input error fails closed
//! (status `error`, exit 2). No test here asserts a duration on a shared machine: the time guards
//! only catch hangs.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{check, fake_aws_key, status, write_tar_gz, TestRepo, E};

/// Runs `shipgate ARGS` in `t`, failing the test if it does not finish within `limit`.
fn run_guarded(t: &TestRepo, args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("shipgate"))
        .args(args)
        .current_dir(&t.root)
        .env("HOME", &t.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("NO_COLOR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("shipgate {args:?} did not finish within {limit:?}: a hang");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn yaml_alias_bombs_and_deep_nesting_are_clear_errors() {
    let t = TestRepo::new();
    let mut bomb = String::from("checks:\n  static-paths:\n    params:\n      exclude: *i\nanchors:\n  a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        bomb.push_str(&format!("  {}: &{} [{refs}]\n", w[1], w[1]));
    }
    // The anchors must come first in YAML; put them under a key that loads before use.
    let bomb = bomb.replace(
        "checks:\n  static-paths:\n    params:\n      exclude: *i\nanchors:\n",
        "anchors:\n",
    ) + "checks:\n  static-paths:\n    params:\n      exclude: *i\n";
    t.write(".shipgate.yaml", &bomb);
    let (code, _, err) = run_guarded(&t, &["validate"], Duration::from_secs(60));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".shipgate.yaml"), "{err}");

    let deep = format!(
        "id: x\ntitle: t\nseverity: error\nrepo-files:\n  forbid: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    t.write("deep.yaml", &deep);
    let (code, _, err) = run_guarded(&t, &["validate", "deep.yaml"], Duration::from_secs(60));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deep.yaml"), "{err}");
}

#[test]
fn regexes_the_engine_cannot_run_are_rejected_and_nested_quantifiers_are_linear() {
    let t = TestRepo::new();
    for (name, regex, expect) in [
        ("lookahead", "a(?=b)", "look-around"),
        ("backref", "(a)\\\\1", "backreference"),
        ("huge", "\\\\w{1000}{1000}", "exceeds size limit"),
    ] {
        t.write(
            &format!("checks/{name}.yaml"),
            format!("id: {name}\ntitle: t\nseverity: error\nrepo-content:\n  patterns:\n    - name: p\n      regex: \"{regex}\"\n"),
        );
        let (code, _, err) = t.run(&["validate", &format!("checks/{name}.yaml")]);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(
            err.contains("invalid regex") && err.contains(expect),
            "{name}: {err}"
        );
    }
    // Patterns are compiled when first used by `run`: one too large still ends the run in exit 2.
    let t2 = TestRepo::new();
    t2.write(".shipgate.yaml", "extra-checks: [checks/]\n");
    t2.write("checks/huge.yaml", "id: huge\ntitle: t\nseverity: error\nrepo-content:\n  patterns:\n    - name: p\n      regex: \"\\\\w{1000}{1000}\"\n");
    t2.write("src/a.txt", "hello\n");
    let (code, out, err) = t2.run(&["run"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        out.contains("ERROR") && out.contains("too large"),
        "{out}{err}"
    );
    assert_eq!(
        out.matches("cannot be compiled").count(),
        1,
        "said once: {out}"
    );

    // (a+)+$ backtracks exponentially in other engines; here it is linear.
    let t = TestRepo::new();
    t.write(
        ".shipgate.yaml",
        "builtins: false\nextra-checks: [checks/]\n",
    );
    t.write("checks/nested.yaml", "id: nested\ntitle: t\nseverity: error\nrepo-content:\n  patterns:\n    - name: p\n      regex: \"(a+)+$\"\n");
    t.write("src/input.txt", format!("{}b\n", "a".repeat(1 << 20)));
    let (code, _, _) = run_guarded(&t, &["run"], Duration::from_secs(60));
    assert_eq!(code, 0, "a million a's then b: no match, and no blow-up");
    t.write("src/input.txt", format!("{}b\naaa\n", "a".repeat(1 << 20)));
    let (code, _, _) = run_guarded(&t, &["run"], Duration::from_secs(60));
    assert_eq!(code, 1, "the line that does match is found");
}

#[test]
fn fifos_sockets_and_symlink_loops_never_hang() {
    let t = TestRepo::new();
    t.write("README.md", "x\n")
        .write("src/a.py", "P = '/home/alice/x/'\n");
    t.commit("init");
    let fifo = t.path("src/pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let _sock = std::os::unix::net::UnixListener::bind(t.path("src/sock")).unwrap();
    std::os::unix::fs::symlink("loop-b", t.path("src/loop-a")).unwrap();
    std::os::unix::fs::symlink("loop-a", t.path("src/loop-b")).unwrap();
    std::os::unix::fs::symlink("..", t.path("src/up")).unwrap();
    let (code, out, err) = run_guarded(&t, &["run", "-f", "json"], Duration::from_secs(60));
    assert_eq!(code, 1, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        status(&r, "static-paths"),
        "fail",
        "the real finding is still found"
    );
    assert_eq!(
        check(&r, "static-paths")["findings"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "no file scanned twice through a link"
    );
}

#[test]
fn names_that_are_not_utf8_are_reported_not_fatal() {
    use std::os::unix::ffi::OsStrExt;
    let t = TestRepo::new();
    let name = std::ffi::OsStr::from_bytes(b"src/bad\xffname.py");
    std::fs::create_dir_all(t.path("src")).unwrap();
    std::fs::write(t.root.join(name), "P = '/home/alice/x/'\n").unwrap();
    let (code, out, err) = run_guarded(
        &t,
        &["run", "-f", "json", "--only", "static-paths"],
        Duration::from_secs(60),
    );
    assert_eq!(code, 1, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        check(&r, "static-paths")["findings"][0]["location"]["path"],
        "src/bad\u{FFFD}name.py"
    );
}

#[test]
fn a_100_mb_single_line_file() {
    let t = TestRepo::new();
    let key = fake_aws_key();
    let mut data = vec![b'a'; 100 << 20];
    data.extend_from_slice(format!(";k=\"{key}\"").as_bytes());
    t.write("dist/app.min.js", &data);
    drop(data);
    // By default it is over the size limit: listed, not scanned, and the report says so.
    let (code, out, _) = run_guarded(
        &t,
        &["run", "-f", "json", "--only", "repo-secrets"],
        Duration::from_secs(120),
    );
    assert_eq!(code, 0);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["repo"]["scan"]["not_scanned"][0]["path"],
        "dist/app.min.js"
    );
    // With the limit raised, it is scanned in bounded time and the key at its very end is found.
    t.write(".shipgate.yaml", "settings:\n  max-file-size: 128MiB\n");
    let (code, out, _) = run_guarded(
        &t,
        &["run", "-f", "json", "--only", "repo-secrets"],
        Duration::from_secs(120),
    );
    assert_eq!(code, 1);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &check(&r, "repo-secrets")["findings"][0];
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(f["location"]["column"], (100u64 << 20) + 5);
    assert!(!out.contains(&key));
    assert!(
        f["evidence"].as_str().unwrap().len() < 400,
        "the evidence is an excerpt, not 100 MB"
    );
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(uid)).unwrap();
    if p.is_dir() && !p.is_symlink() {
        for e in std::fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid);
        }
    }
}

#[test]
fn an_unreadable_file_is_an_error_not_a_pass() {
    let t = TestRepo::new();
    t.write("README.md", "x\n")
        .write("src/secret.py", "K = 1\n");
    t.commit("init");
    let secret = t.path("src/secret.py");
    // As root, make the file root's alone after handing the tree to `nobody`; as a normal user,
    // take the read permission away.
    let args = [
        "-C",
        ".",
        "run",
        "-f",
        "json",
        "--only",
        "repo-secrets",
        "--only",
        "committed-env-files",
    ];
    let (code, out) = if unsafe { libc_geteuid() } == 0 {
        chown_tree(t.dir.path(), 65534);
        std::os::unix::fs::chown(&secret, Some(0), Some(0)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        run_as_nobody(&t, &args)
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
        let out = t.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert_eq!(code, 2, "{out}");
    let json = &out[out.find('{').unwrap()..=out.rfind('}').unwrap()];
    let r: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(status(&r, "repo-secrets"), "error");
    assert!(check(&r, "repo-secrets")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cannot read src/secret.py"));
    // A check that only needs the file list still knows the file is there.
    assert_eq!(status(&r, "committed-env-files"), "pass");
}

/// Runs shipgate as user `nobody` (root reads every file, so an unreadable file needs another
/// user); the caller arranges who owns what. Needs `setpriv` (util-linux): without it the test
/// fails, it never passes without having run.
fn run_as_nobody(t: &TestRepo, args: &[&str]) -> (i32, String) {
    let bin = assert_cmd::cargo::cargo_bin("shipgate");
    let mut p = t.dir.path().to_path_buf();
    while let Some(parent) = p.parent() {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode | 0o055)).ok();
        p = parent.to_path_buf();
    }
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(args)
        .current_dir(&t.root)
        .env("HOME", &t.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("this test runs shipgate as another user with `setpriv` (util-linux): install it");
    (
        out.status.code().unwrap(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_repository_owned_by_someone_else_is_refused_not_downgraded() {
    let t = TestRepo::new();
    t.write("README.md", "x\n");
    t.commit("init");
    // Owned by root, run as nobody: libgit2's ownership check refuses it; shipgate must not
    // quietly treat it as a plain folder. Only root can make a repository another user owns.
    assert_eq!(
        unsafe { libc_geteuid() },
        0,
        "this test needs root: it makes a repository owned by another user"
    );
    let (code, out) = run_as_nobody(&t, &["run"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("safe.directory"), "{out}");
}

/// Every input error ends in `error` and exit 2: the gate fails closed.
#[test]
fn every_input_error_fails_closed() {
    let t = TestRepo::new();
    t.write("README.md", "x\n");
    t.write("bad.env", "A=\"never closed\n");
    t.write("ops/holidays.ics", "not a calendar\n");
    t.write(
        ".shipgate.yaml",
        "extra-checks: [checks/]\nchecks:\n  release-freeze:\n    off: false\n    params:\n      holidays: {ics: [ops/holidays.ics]}\n",
    );
    t.write("checks/cmd.yaml", "id: cmd\ntitle: t\nseverity: error\nstages: [release]\ncommand:\n  run: [no-such-program-zz]\n");
    t.commit("init");
    let corrupt = t.dir.path().join("corrupt.tgz");
    write_tar_gz(&corrupt, &[E::File("package/a.js", &[7u8; 100_000])]);
    let bytes = std::fs::read(&corrupt).unwrap();
    std::fs::write(&corrupt, &bytes[..bytes.len() / 3]).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--artifact",
                corrupt.to_str().unwrap(),
                "--only",
                "package-env-files",
            ],
            "package-env-files",
        ),
        (
            &["--env-file", "bad.env", "--only", "missing-env-vars"],
            "missing-env-vars",
        ),
        (
            &["--stage", "release", "--only", "release-freeze"],
            "release-freeze",
        ),
        (&["--stage", "release", "--only", "cmd"], "cmd"),
        (
            &[
                "--stage",
                "release",
                "--only",
                "unreviewed-commits",
                "--range",
                "no-such-rev..HEAD",
            ],
            "unreviewed-commits",
        ),
    ];
    for (args, id) in cases {
        let (code, r) = t.json(args);
        assert_eq!(code, 2, "{id}: {r:#}");
        assert_eq!(status(&r, id), "error", "{id}");
        assert_eq!(r["verdict"], "fail", "{id}");
        assert!(
            !check(&r, id)["reason"].as_str().unwrap().is_empty(),
            "{id} says why"
        );
    }
}
