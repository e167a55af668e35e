//! `--artifact`: each built-in package check on leaky and clean archives of every format, the
//! report's artifact list, and hostile archives (unsafe paths, bombs, truncation, corruption).

use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::util::{
    check, fake_aws_key, gzip, status, tar_bytes, write_tar_gz, write_wheel, write_zip, TestRepo, E,
};

fn repo() -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "app\n");
    t.commit("init");
    t
}

fn art(t: &TestRepo, name: &str) -> PathBuf {
    let d = t.dir.path().join("artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn source_map(files: usize) -> String {
    let sources: Vec<String> = (0..files).map(|i| format!("\"../src/f{i}.ts\"")).collect();
    let contents: Vec<String> = (0..files)
        .map(|i| format!("\"export const a{i} = 1;\""))
        .collect();
    format!(
        "{{\"version\":3,\"sources\":[{}],\"sourcesContent\":[{}],\"mappings\":\"AAAA\"}}",
        sources.join(","),
        contents.join(",")
    )
}

const ARTIFACT_CHECKS: &[&str] = &[
    "package-source-maps",
    "package-inline-source-maps",
    "package-source-map-links",
    "package-env-files",
    "package-private-keys",
    "package-private-key-blocks",
    "package-vcs-dirs",
    "package-npmrc-tokens",
    "package-secrets",
    "package-dev-paths",
    "package-backup-files",
    "package-editor-dirs",
    "package-tests",
    "artifact-unsafe-paths",
];

fn run_art(t: &TestRepo, paths: &[&Path], extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args: Vec<String> = Vec::new();
    for p in paths {
        args.push("--artifact".into());
        args.push(p.to_str().unwrap().into());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    t.json(&args)
}

#[test]
fn a_leaky_npm_tarball_is_caught_check_by_check() {
    let t = repo();
    let key = fake_aws_key();
    let token = format!("{}{}", "npm_", "a".repeat(36));
    let map = source_map(3);
    let js =
        "console.log(1);\nfetch('http://localhost:3000/api');\n//# sourceMappingURL=cli.js.map\n";
    let inline = "x();\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==\n";
    let cfg = format!("module.exports = {{ key: '{key}' }};\n");
    let npmrc = format!("//registry.npmjs.org/:_authToken={token}\n");
    let pem = format!(
        "-----BEGIN RSA {}-----\nMIIEowIBAAKCAQEAjCekw/s/C9N9WXGdCKQ4TR6EtYTc2UWLg0L94HGjzM9EaA6a\n",
        "PRIVATE KEY"
    );
    let path = art(&t, "app-1.0.0.tgz");
    write_tar_gz(
        &path,
        &[
            E::File("package/package.json", b"{\"name\":\"app\"}"),
            E::File("package/dist/cli.js", js.as_bytes()),
            E::File("package/dist/cli.js.map", map.as_bytes()),
            E::File("package/dist/inline.js", inline.as_bytes()),
            E::File("package/dist/config.js", cfg.as_bytes()),
            E::File("package/.env", b"DB_PASSWORD=x\n"),
            E::File("package/.env.example", b"DB_PASSWORD=\n"),
            E::File("package/.npmrc", npmrc.as_bytes()),
            E::File("package/.git/config", b"[core]\n"),
            E::File("package/.git/HEAD", b"ref: refs/heads/main\n"),
            E::File("package/.claude/settings.local.json", b"{}"),
            E::File("package/test/cli.test.js", b"test()"),
            E::File("package/deploy/id_rsa", pem.as_bytes()),
            E::File("package/dist/cli.js.orig", b"old"),
        ],
    );
    let (code, r) = run_art(&t, &[&path], &[]);
    assert_eq!(code, 1, "{r:#}");
    for id in ARTIFACT_CHECKS {
        let expected = match *id {
            "artifact-unsafe-paths" => "pass",
            "package-tests" | "package-source-map-links" => "warn",
            _ => "fail",
        };
        assert_eq!(status(&r, id), expected, "{id}: {:#}", check(&r, id));
    }
    let maps = &check(&r, "package-source-maps")["findings"][0];
    assert_eq!(maps["location"]["path"], "package/dist/cli.js.map");
    assert_eq!(maps["location"]["input"], "artifact");
    assert_eq!(maps["location"]["artifact"], path.to_str().unwrap());
    assert!(
        maps["message"]
            .as_str()
            .unwrap()
            .contains("embeds sourcesContent: exposes 3 original source files"),
        "{maps:#}"
    );
    let vcs = check(&r, "package-vcs-dirs")["findings"]
        .as_array()
        .unwrap();
    assert_eq!(vcs.len(), 1, "one finding per folder: {vcs:#?}");
    assert!(vcs[0]["message"]
        .as_str()
        .unwrap()
        .contains("package/.git/ ships (2 files inside"));
    let envs = check(&r, "package-env-files")["findings"]
        .as_array()
        .unwrap();
    assert_eq!(envs.len(), 1, ".env.example is allowed");
    // Secrets never appear whole, in JSON or in the human report.
    let text = r.to_string();
    assert!(!text.contains(&key) && !text.contains(&token));
    assert!(text.contains("AKIA…"));
    let (_, out, _) = t.run(&["run", "--artifact", path.to_str().unwrap()]);
    assert!(!out.contains(&key) && !out.contains(&token), "{out}");
    assert!(out.contains("!package/dist/cli.js.map"), "{out}");
    // The artifact list.
    let a = &r["artifacts"][0];
    assert_eq!(a["path"], path.to_str().unwrap());
    assert_eq!(a["entries"], 14);
    assert_eq!(a["format"], "tar.gz");
    let sha = format!("{:x}", sha2::Sha256::digest(std::fs::read(&path).unwrap()));
    assert_eq!(a["sha256"], sha);
    let bytes: u64 = a["bytes"].as_u64().unwrap();
    assert!(bytes > 300, "{bytes}");
}

#[test]
fn a_clean_package_passes_in_every_format() {
    let t = repo();
    let entries = [
        E::Dir("package/"),
        E::File("package/package.json", b"{\"name\":\"app\"}"),
        E::File("package/dist/cli.js", b"console.log('hi');\n"),
        E::File(
            "package/README.md",
            b"Run http://localhost:3000 in dev, see /Users/you/.\n",
        ),
        E::File("package/.env.example", b"PORT=\n"),
    ];
    let tgz = art(&t, "clean.tgz");
    write_tar_gz(&tgz, &entries);
    let krate = art(&t, "clean-0.1.0.crate");
    write_tar_gz(&krate, &entries);
    let zip = art(&t, "clean.zip");
    write_zip(&zip, &entries);
    let whl = art(&t, "clean-0.1-py3-none-any.whl");
    write_wheel(&whl, &entries);
    let dir = art(&t, "dist");
    for (p, c) in [
        ("package.json", "{}"),
        ("dist/cli.js", "x()"),
        ("README.md", "http://localhost:1"),
    ] {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, c).unwrap();
    }
    for p in [&tgz, &krate, &zip, &whl, &dir] {
        let (code, r) = run_art(&t, &[p], &[]);
        assert_eq!(code, 0, "{}: {r:#}", p.display());
        for id in ARTIFACT_CHECKS {
            assert_eq!(status(&r, id), "pass", "{id} on {}", p.display());
        }
    }
    let (_, r) = run_art(&t, &[&zip], &[]);
    assert_eq!(r["artifacts"][0]["format"], "zip");
    let (_, r) = run_art(&t, &[&dir], &[]);
    assert_eq!(r["artifacts"][0]["format"], "directory");
    assert_eq!(r["artifacts"][0]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn leaks_are_found_in_crates_wheels_jars_and_folders() {
    let t = repo();
    let krate = art(&t, "app-0.1.0.crate");
    write_tar_gz(
        &krate,
        &[
            E::File("app-0.1.0/Cargo.toml", b"[package]"),
            E::File("app-0.1.0/.env", b"A=1"),
        ],
    );
    let whl = art(&t, "app-0.1-py3-none-any.whl");
    write_wheel(
        &whl,
        &[
            E::File("app/__init__.py", b""),
            E::File("app/.vscode/launch.json", b"{}"),
        ],
    );
    let jar = art(&t, "app.jar");
    write_zip(
        &jar,
        &[
            E::File("META-INF/MANIFEST.MF", b""),
            E::File("keys/release.keystore", b"x"),
        ],
    );
    let dir = art(&t, "dist");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("assets/app.js.map"), source_map(2)).unwrap();
    for (p, id) in [
        (&krate, "package-env-files"),
        (&whl, "package-editor-dirs"),
        (&jar, "package-private-keys"),
        (&dir, "package-source-maps"),
    ] {
        let (code, r) = run_art(&t, &[p], &["--only", id]);
        assert_eq!(code, 1, "{}", p.display());
        assert_eq!(status(&r, id), "fail", "{id}: {r:#}");
    }
    // Several artifacts in one run: findings from each.
    let (_, r) = run_art(&t, &[&krate, &whl], &[]);
    assert_eq!(r["artifacts"].as_array().unwrap().len(), 2);
    assert_eq!(status(&r, "package-env-files"), "fail");
    assert_eq!(status(&r, "package-editor-dirs"), "fail");
}

#[test]
fn format_is_recognised_by_magic_bytes_not_name() {
    let t = repo();
    let p = art(&t, "misnamed.zip");
    write_tar_gz(&p, &[E::File("package/.env", b"A=1")]);
    let (code, r) = run_art(&t, &[&p], &["--only", "package-env-files"]);
    assert_eq!(code, 1);
    assert_eq!(r["artifacts"][0]["format"], "tar.gz");

    let bad = art(&t, "notes.tgz");
    std::fs::write(&bad, "just some text, not an archive\n").unwrap();
    let (code, r) = run_art(&t, &[&bad], &["--only", "package-env-files"]);
    assert_eq!(code, 2);
    assert_eq!(status(&r, "package-env-files"), "error");
    let msg = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(msg.contains("unknown artifact format"), "{msg}");
    assert!(msg.contains("first bytes: 6a 75 73 74"), "{msg}");
}

#[test]
fn without_an_artifact_the_package_checks_are_skipped() {
    let t = repo();
    let (code, r) = t.json(&[]);
    assert_eq!(code, 0);
    assert_eq!(status(&r, "package-source-maps"), "skip");
    assert!(check(&r, "package-source-maps")["reason"]
        .as_str()
        .unwrap()
        .contains("--artifact"));
}

#[test]
fn hostile_entries_are_reported_never_followed_or_written() {
    let t = repo();
    let p = art(&t, "evil.tar.gz");
    write_tar_gz(
        &p,
        &[
            E::File("package/index.js", b"x"),
            E::File("../../escape.txt", b"pwned"),
            E::File("/etc/evil", b"pwned"),
            E::Symlink("package/link", "../../../../etc/passwd"),
            E::Symlink("package/abs", "/etc/shadow"),
            E::Symlink("package/ok", "index.js"),
            E::Hardlink("package/hard", "../outside"),
        ],
    );
    let (code, r) = run_art(&t, &[&p], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 1, "{r:#}");
    let f = check(&r, "artifact-unsafe-paths")["findings"]
        .as_array()
        .unwrap();
    let paths: Vec<&str> = f
        .iter()
        .map(|x| x["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "../../escape.txt",
            "/etc/evil",
            "package/link",
            "package/abs",
            "package/hard"
        ]
    );
    assert!(f[2]["message"]
        .as_str()
        .unwrap()
        .contains("outside the artifact"));
    // Nothing was written anywhere near the archive.
    assert!(!t.dir.path().join("escape.txt").exists());
    assert!(!t.dir.path().parent().unwrap().join("escape.txt").exists());

    let z = art(&t, "evil.zip");
    write_zip(
        &z,
        &[
            E::File("../zip-slip.txt", b"x"),
            E::Symlink("a/link", "/etc/passwd"),
        ],
    );
    let (code, r) = run_art(&t, &[&z], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "artifact-unsafe-paths")["findings"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_gzip_bomb_ends_quickly_as_an_error() {
    let t = repo();
    let p = art(&t, "bomb.tar.gz");
    // 200 MB of zeros at gzip -9 compress to about 200 KB: a 1000:1 ratio, as real bombs do.
    let header = {
        let mut h = tar::Header::new_gnu();
        h.set_path("package/zeros.bin").unwrap();
        h.set_size(200 << 20);
        h.set_mode(0o644);
        h.set_cksum();
        h
    };
    {
        use std::io::Write;
        let f = std::fs::File::create(&p).unwrap();
        let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::best());
        enc.write_all(header.as_bytes()).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..200 {
            enc.write_all(&zeros).unwrap();
        }
        enc.finish().unwrap();
    }
    let started = std::time::Instant::now();
    let (code, r) = run_art(&t, &[&p], &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "package-env-files"), "error");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("decompression bomb"), "{reason}");
    // Not a timing assertion on a shared machine: a guard against a hang.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn zip_bomb_by_declared_ratio_is_an_error() {
    let t = repo();
    let p = art(&t, "bomb.zip");
    {
        use std::io::Write;
        let f = std::fs::File::create(&p).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("zeros.bin", opts).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
    }
    let (code, r) = run_art(&t, &[&p], &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("decompression bomb"));
}

#[test]
fn truncated_and_corrupt_archives_are_errors_with_where_they_broke() {
    let t = repo();
    let big: Vec<u8> = (0..400_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let full = art(&t, "full.tgz");
    write_tar_gz(
        &full,
        &[
            E::File("package/a.js", b"a"),
            E::File("package/big.bin", &big),
            E::File("package/z.js", b"z"),
        ],
    );
    let bytes = std::fs::read(&full).unwrap();
    let cut = art(&t, "cut.tgz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, r) = run_art(&t, &[&cut], &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"].as_str().unwrap();
    assert!(reason.contains("cut.tgz"), "{reason}");
    assert!(
        reason.contains("byte") && reason.contains("package/a.js"),
        "{reason}"
    );

    let z = art(&t, "corrupt.zip");
    let mut data = b"PK\x03\x04".to_vec();
    data.extend(std::iter::repeat_n(0x41u8, 200));
    std::fs::write(&z, data).unwrap();
    let (code, r) = run_art(&t, &[&z], &["--only", "package-env-files"]);
    assert_eq!(code, 2);
    assert!(check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .contains("corrupt zip"));
}

#[test]
fn large_entries_are_listed_and_size_checked_but_not_scanned() {
    let t = repo();
    t.write(
        ".shipgate.yaml",
        "settings:\n  artifact-max-scan-size: 1KiB\n",
    );
    let key = fake_aws_key();
    let mut big = "a".repeat(4096).into_bytes();
    big.extend_from_slice(key.as_bytes());
    let p = art(&t, "big.tgz");
    write_tar_gz(
        &p,
        &[
            E::File("package/big.js", &big),
            E::File("package/.env", b"x"),
        ],
    );
    let (_, r) = run_art(&t, &[&p], &[]);
    assert_eq!(status(&r, "package-env-files"), "fail");
    assert_eq!(status(&r, "package-secrets"), "pass");
    assert_eq!(
        r["artifacts"][0]["not_scanned"][0]["path"],
        "package/big.js"
    );
    assert_eq!(r["artifacts"][0]["not_scanned"][0]["bytes"], 4096 + 20);
}

#[test]
fn project_artifact_checks_allowlist_budgets_and_npm_prefix() {
    let t = repo();
    t.write(
        "checks/pkg.yaml",
        "id: pkg-shape\ntitle: The package has the expected shape\nseverity: error\nartifact-files:\n  require: [\"dist/index.js\", \"package.json\"]\n  only: [\"dist/\", \"package.json\", \"README.md\"]\n  max-entries: 3\n  max-entry-size: 10B\n",
    )
    .write(".shipgate.yaml", "builtins: false\nextra-checks: [checks/]\n");
    let p = art(&t, "a.tgz");
    write_tar_gz(
        &p,
        &[
            E::File("package/package.json", b"{}"),
            E::File("package/dist/cli.js", b"0123456789abcdef"),
            E::File("package/src/a.ts", b"x"),
            E::File("package/README.md", b"x"),
        ],
    );
    let (code, r) = run_art(&t, &[&p], &[]);
    assert_eq!(code, 1);
    let msgs: Vec<&str> = check(&r, "pkg-shape")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        msgs,
        [
            "package/src/a.ts is not in the allowlist of what may ship",
            "no entry matches `dist/index.js`: it is missing from the artifact",
            "4 entries, over the budget of 3",
            "package/dist/cli.js is 16 B, over the per-entry budget of 10 B",
        ]
    );
}

#[test]
fn baseline_reports_new_entries_and_growth() {
    let t = repo();
    let old = art(&t, "app-1.0.tgz");
    write_tar_gz(&old, &[E::File("package/index.js", b"x")]);
    let new = art(&t, "app-1.1.tgz");
    write_tar_gz(
        &new,
        &[
            E::File("package/index.js", b"x"),
            E::File("package/index.js.map", b"{\"sources\":[]}"),
        ],
    );
    let (_, r) = run_art(&t, &[&new], &["--only", "package-new-entries"]);
    assert_eq!(status(&r, "package-new-entries"), "skip");
    assert!(check(&r, "package-new-entries")["reason"]
        .as_str()
        .unwrap()
        .contains("--baseline"));
    let (code, r) = run_art(
        &t,
        &[&new],
        &[
            "--only",
            "package-new-entries",
            "--baseline",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "a warning");
    let msgs: Vec<&str> = check(&r, "package-new-entries")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].starts_with("package/index.js.map is new since the baseline"));
    assert!(
        msgs[1].contains("grew 1400.0% since the baseline"),
        "{msgs:?}"
    );
}

/// examples/leaky-npm-package/check.sh runs as written and the gate catches the leaks.
#[test]
fn the_leaky_npm_example_is_caught() {
    let t = repo();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/leaky-npm-package/check.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .args(["-C", t.root.to_str().unwrap()])
        .env("SHIPGATE", assert_cmd::cargo::cargo_bin("shipgate"))
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("FAIL     package-source-maps"), "{stdout}");
    assert!(
        stdout.contains("exposes 2 original source files"),
        "{stdout}"
    );
    assert!(stdout.contains("FAIL     package-env-files"), "{stdout}");
    assert!(stdout.contains("FAIL     package-editor-dirs"), "{stdout}");
    assert!(!stdout.contains("s3cret-pass"), "{stdout}");
}

/// A raw tar header (ustar/GNU), with its checksum.
fn tar_header(name: &str, size: u64, kind: u8, gnu_real_size: Option<u64>) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[257..265].copy_from_slice(b"ustar  \0");
    if let Some(real) = gnu_real_size {
        // One sparse map entry: offset `real`, no data; the real size in base-256.
        let b256 = |n: u64| {
            let mut v = [0u8; 12];
            v[0] = 0x80;
            v[4..].copy_from_slice(&n.to_be_bytes());
            v
        };
        h[386..398].copy_from_slice(&b256(real));
        h[398..410].copy_from_slice(b"00000000000\0");
        h[483..495].copy_from_slice(&b256(real));
    }
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| *b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// A GNU sparse entry declaring a 1 PiB hole is over the size budget before a byte is read: exit
/// 2 at once, not hours of zeros. A sparse entry within budget is still read.
#[test]
fn sparse_entries_count_their_declared_size_before_reading() {
    let t = repo();
    let mut data = tar_header("package/sparse.bin", 0, b'S', Some(1 << 50)).to_vec();
    data.extend([0u8; 1024]);
    let bomb = art(&t, "sparse.tgz");
    std::fs::write(&bomb, gzip(&data)).unwrap();
    let started = std::time::Instant::now();
    let (code, r) = run_art(&t, &[&bomb], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(started.elapsed().as_secs() < 20, "refused before reading");
    let reason = check(&r, "artifact-unsafe-paths")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("sparse.bin") && reason.contains("budget"),
        "{reason}"
    );

    let mut small = tar_header("package/sparse.bin", 0, b'S', Some(4096)).to_vec();
    small.extend([0u8; 1024]);
    let ok = art(&t, "small-sparse.tgz");
    std::fs::write(&ok, gzip(&small)).unwrap();
    let (code, r) = run_art(&t, &[&ok], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["artifacts"][0]["bytes"], 4096);
}

/// The names an artifact's entries keep are bounded: past the budget, exit 2, not memory
/// growing with every name (the budget is lowered here so the test stays small).
#[test]
fn entry_names_are_bounded() {
    let t = repo();
    t.write(".shipgate.yaml", "settings:\n  artifact-max-names: 64KiB\n");
    t.commit("budget");
    let long = "n".repeat(80);
    let names: Vec<String> = (0..1000)
        .map(|i| format!("package/{long}/{i:04}.js"))
        .collect();
    let entries: Vec<E> = names.iter().map(|n| E::File(n, b"x")).collect();
    let a = art(&t, "names.tgz");
    write_tar_gz(&a, &entries);
    let (code, r) = run_art(&t, &[&a], &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("name budget"), "{reason}");
    // Under the budget, the same archive is read.
    let few: Vec<E> = names[..300].iter().map(|n| E::File(n, b"x")).collect();
    write_tar_gz(&a, &few);
    let (code, r) = run_art(&t, &[&a], &["--only", "package-env-files"]);
    assert_eq!(code, 0, "{r:#}");
}

/// Tar entries after a lone zero block ship (npm's tar and `tar -i` extract them): they are read
/// and checked; `git archive`'s pax_global_header is metadata, not an unsafe entry; an archive
/// with no entries at all is an error, not a pass.
#[test]
fn tar_streams_are_read_to_their_real_end() {
    let t = repo();
    let first = tar_bytes(&[E::File("package/a.js", b"x\n")]);
    let env = format!("SECRET={}\n", fake_aws_key());
    let hidden = tar_bytes(&[E::File("package/.env", env.as_bytes())]);
    let mut data = first[..1024].to_vec();
    data.extend([0u8; 512]);
    data.extend(&hidden);
    let a = art(&t, "zero.tgz");
    std::fs::write(&a, gzip(&data)).unwrap();
    let (code, r) = run_art(&t, &[&a], &["--only", "package-env-files"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "package-env-files")["findings"][0]["location"]["path"],
        "package/.env"
    );

    let ga = art(&t, "ga.tgz");
    let mut pax = tar_header("pax_global_header", 52, b'g', None).to_vec();
    let mut rec = b"52 comment=0123456789abcdef0123456789abcdef01234567\n".to_vec();
    rec.resize(512, 0);
    pax.extend(rec);
    pax.extend(tar_bytes(&[E::File("package/index.js", b"x\n")]));
    std::fs::write(&ga, gzip(&pax)).unwrap();
    let (code, r) = run_art(&t, &[&ga], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["artifacts"][0]["entries"], 1);

    let empty = art(&t, "empty.tgz");
    std::fs::write(&empty, gzip(&[])).unwrap();
    let (code, r) = run_art(&t, &[&empty], &["--only", "artifact-unsafe-paths"]);
    assert_eq!(code, 2, "{r:#}");
    assert!(check(&r, "artifact-unsafe-paths")["reason"]
        .as_str()
        .unwrap()
        .contains("no entries"));
}

/// A zip local file header.
fn lfh(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = b"PK\x03\x04".to_vec();
    for x in [20u16, 0, 0, 0, 0] {
        v.extend(x.to_le_bytes());
    }
    v.extend(crc32fast::hash(data).to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v.extend((name.len() as u16).to_le_bytes());
    v.extend(0u16.to_le_bytes());
    v.extend(name);
    v.extend(data);
    v
}

/// A zip central directory header.
fn cdh(name: &[u8], data: &[u8], offset: u32) -> Vec<u8> {
    let mut v = b"PK\x01\x02".to_vec();
    for x in [0x031eu16, 20, 0, 0, 0, 0] {
        v.extend(x.to_le_bytes());
    }
    v.extend(crc32fast::hash(data).to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v.extend((data.len() as u32).to_le_bytes());
    v.extend((name.len() as u16).to_le_bytes());
    for _ in 0..4 {
        v.extend(0u16.to_le_bytes());
    }
    v.extend(0u32.to_le_bytes());
    v.extend(offset.to_le_bytes());
    v.extend(name);
    v
}

fn eocd(count: u16, cd_len: usize, cd_at: usize) -> Vec<u8> {
    let mut v = b"PK\x05\x06".to_vec();
    for x in [0u16, 0, count, count] {
        v.extend(x.to_le_bytes());
    }
    v.extend((cd_len as u32).to_le_bytes());
    v.extend((cd_at as u32).to_le_bytes());
    v.extend(0u16.to_le_bytes());
    v
}

/// A zip whose local headers and central directory disagree ships different things to
/// different readers: an entry hidden from the central directory, renamed between them, or listed
/// twice is an error (exit 2). A consistent zip written by a real writer passes.
#[test]
fn zip_local_headers_and_central_directory_are_reconciled() {
    let t = repo();
    let secret = format!("SECRET_KEY={}\n", fake_aws_key());
    let a = b"console.log(1)\n";
    let body = [
        lfh(b"package/a.js", a),
        lfh(b"package/.env", secret.as_bytes()),
    ]
    .concat();
    let cd = cdh(b"package/a.js", a, 0);
    let hidden = [body.clone(), cd.clone(), eocd(1, cd.len(), body.len())].concat();
    let d = b"hello\n";
    let p = lfh(b"package/.env", d);
    let cd2 = cdh(b"package/notes.txt", d, 0);
    let renamed = [p.clone(), cd2.clone(), eocd(1, cd2.len(), p.len())].concat();
    let one = lfh(b"package/a.txt", secret.as_bytes());
    let two = lfh(b"package/a.txt", b"ok\n");
    let cd3 = [
        cdh(b"package/a.txt", secret.as_bytes(), 0),
        cdh(b"package/a.txt", b"ok\n", one.len() as u32),
    ]
    .concat();
    let dup = [
        one.clone(),
        two,
        cd3.clone(),
        eocd(2, cd3.len(), one.len() + 3 + 30 + 13),
    ]
    .concat();
    for (name, bytes, says) in [
        ("hidden.zip", hidden, "not in the central directory"),
        ("renamed.zip", renamed, "in its local header"),
        ("dup.zip", dup, "listed twice"),
    ] {
        let path = art(&t, name);
        std::fs::write(&path, bytes).unwrap();
        let (code, r) = run_art(&t, &[&path], &["--only", "package-env-files"]);
        assert_eq!(code, 2, "{name}: {r:#}");
        let reason = check(&r, "package-env-files")["reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(reason.contains(says), "{name}: {reason}");
    }
    let fine = art(&t, "fine.zip");
    write_zip(&fine, &[E::File("package/a.js", a), E::Dir("package/lib/")]);
    let (code, r) = run_art(&t, &[&fine], &["--only", "package-env-files"]);
    assert_eq!(code, 0, "{r:#}");
}

/// A wheel's RECORD must list exactly its files (pip refuses one that does not): a file missing
/// from RECORD, or listed but absent, is an error; a wheel whose RECORD matches passes.
#[test]
fn a_wheels_record_matches_its_entries() {
    let t = repo();
    let module = b"print(1)\n";
    let good_record = format!(
        "app/__init__.py,sha256=x,{}\napp-1.0.dist-info/METADATA,sha256=y,4\napp-1.0.dist-info/RECORD,,\n",
        module.len()
    );
    let whl = art(&t, "app-1.0-py3-none-any.whl");
    write_zip(
        &whl,
        &[
            E::File("app/__init__.py", module),
            E::File("app-1.0.dist-info/METADATA", b"Name"),
            E::File("app-1.0.dist-info/RECORD", good_record.as_bytes()),
        ],
    );
    let (code, r) = run_art(&t, &[&whl], &["--only", "package-env-files"]);
    assert_eq!(code, 0, "{r:#}");
    write_zip(
        &whl,
        &[
            E::File("app/__init__.py", module),
            E::File("app/.env", b"X=1\n"),
            E::File("app-1.0.dist-info/METADATA", b"Name"),
            E::File("app-1.0.dist-info/RECORD", good_record.as_bytes()),
        ],
    );
    let (code, r) = run_art(&t, &[&whl], &["--only", "package-env-files"]);
    assert_eq!(code, 2, "{r:#}");
    let reason = check(&r, "package-env-files")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("`app/.env` is not in RECORD"), "{reason}");
}
