//! Each built-in check, run alone with `--only`, fails on a repository that has the problem and
//! passes on one that does not. Repositories are real and committed.

use crate::util::{check, fake_aws_key, finding_paths, status, TestRepo};

/// (check id, files of a bad repo, files of a clean repo, status expected on the bad repo).
type Files = Vec<(&'static str, String)>;

fn cases() -> Vec<(&'static str, Files, Files, &'static str)> {
    vec![
        (
            "static-paths",
            vec![(
                "src/config.py",
                "DATA = '/Users/alice/work/data.csv'\n".into(),
            )],
            vec![(
                "src/config.py",
                "DATA = os.path.join(BASE, 'data.csv')\n".into(),
            )],
            "fail",
        ),
        (
            "localhost-urls",
            vec![(
                "config/production.yml",
                "redis: redis://localhost:6379\n".into(),
            )],
            vec![
                (
                    "config/production.yml",
                    "redis: redis://cache.internal:6379\n".into(),
                ),
                (
                    "config/development.yml",
                    "redis: redis://localhost:6379\n".into(),
                ),
            ],
            "fail",
        ),
        (
            "debug-settings",
            vec![("app/settings/production.py", "DEBUG = True\n".into())],
            vec![("app/settings/production.py", "DEBUG = False\n".into())],
            "fail",
        ),
        (
            "repo-secrets",
            vec![(
                "deploy.sh",
                format!("export AWS_ACCESS_KEY_ID={}\n", fake_aws_key()),
            )],
            vec![(
                "deploy.sh",
                "export AWS_ACCESS_KEY_ID=\"$AWS_KEY\"\n".into(),
            )],
            "fail",
        ),
        (
            "committed-env-files",
            vec![(".env", "SECRET=k9Qx2Lr7Pz4Wm1Vb8Tn3\n".into())],
            vec![
                (".env.example", "SECRET=\n".into()),
                // A template's committed defaults are not a leak.
                (
                    "template/.env",
                    "SECRET_KEY=changethis\nAPI_URL=http://localhost:8000\n".into(),
                ),
            ],
            "fail",
        ),
        (
            "merge-conflict-markers",
            vec![(
                "src/a.rs",
                format!(
                    "{} HEAD\nfn a() {{}}\n=======\nfn b() {{}}\n{} topic\n",
                    "<".repeat(7),
                    ">".repeat(7)
                ),
            )],
            vec![("src/a.rs", "fn a() {}\n".into())],
            "fail",
        ),
        (
            "lockfile-present",
            vec![(
                "package.json",
                "{\"private\": true, \"dependencies\": {\"express\": \"^4\"}}\n".into(),
            )],
            vec![
                (
                    "package.json",
                    "{\"private\": true, \"dependencies\": {\"express\": \"^4\"}}\n".into(),
                ),
                ("package-lock.json", "{}\n".into()),
            ],
            "warn",
        ),
        (
            "unpinned-base-images",
            vec![("Dockerfile", "FROM node:latest\nRUN npm ci\n".into())],
            vec![(
                "Dockerfile",
                "FROM node:20.11-alpine AS build\nFROM build\n".into(),
            )],
            "warn",
        ),
    ]
}

#[test]
fn each_builtin_fails_on_a_bad_repo_and_passes_on_a_clean_one() {
    for (id, bad, clean, expected) in cases() {
        let t = TestRepo::new();
        for (p, c) in &bad {
            t.write(p, c);
        }
        t.commit("bad");
        let (code, r) = t.only(&[id]).json();
        assert_eq!(status(&r, id), expected, "{id} on the bad repo: {r:#}");
        assert_eq!(code, if expected == "fail" { 1 } else { 0 }, "{id}");
        assert!(!check(&r, id)["findings"].as_array().unwrap().is_empty());

        let t = TestRepo::new();
        for (p, c) in &clean {
            t.write(p, c);
        }
        t.commit("clean");
        let (code, r) = t.only(&[id]).json();
        assert_eq!(status(&r, id), "pass", "{id} on the clean repo: {r:#}");
        assert_eq!(code, 0);
    }
}

#[test]
fn a_clean_repository_passes_the_whole_checklist() {
    let t = TestRepo::new();
    t.write("src/main.rs", "fn main() { println!(\"hi\"); }\n")
        .write("Cargo.toml", "[package]\nname = \"x\"\n")
        .write(
            "Cargo.lock",
            "version = 3\n\n[[package]]\nname = \"x\"\nversion = \"0.0.0\"\n",
        )
        .write(".gitignore", "/target\n.env\n")
        .write(
            "README.md",
            "Install to /Users/you/bin/ or /home/alice/bin/.\n",
        );
    t.commit("init");
    let (code, out, _) = t.run(&["run"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PASSED"), "{out}");
}

#[test]
fn secrets_are_redacted_in_every_output() {
    let t = TestRepo::new();
    let key = fake_aws_key();
    t.write("a.env.sh", format!("KEY={key}\n"));
    t.commit("leak");
    let (code, out, err) = t.run(&["run", "--only", "repo-secrets"]);
    assert_eq!(code, 1);
    assert!(!out.contains(&key) && !err.contains(&key), "{out}");
    assert!(out.contains("AKIA…"), "{out}");
    let (_, r) = t.only(&["repo-secrets"]).json();
    let text = r.to_string();
    assert!(!text.contains(&key));
    let f = &check(&r, "repo-secrets")["findings"][0];
    assert_eq!(f["evidence"], "KEY=AKIA…");
    assert_eq!(f["location"]["path"], "a.env.sh");
    assert_eq!(f["location"]["line"], 1);
    assert_eq!(f["location"]["column"], 5);
}

#[test]
fn url_passwords_are_redacted_in_evidence() {
    let t = TestRepo::new();
    t.write(
        "config/production.yml",
        "db: postgres://app:hunter2secret@localhost:5432/app\n",
    );
    t.commit("x");
    let (_, r) = t.only(&["localhost-urls"]).json();
    assert!(!r.to_string().contains("hunter2secret"), "{r:#}");
    assert_eq!(
        check(&r, "localhost-urls")["findings"][0]["evidence"],
        "db: postgres://app:hunt…@localhost:5432/app"
    );
}

#[test]
fn env_files_tracked_despite_gitignore_are_found_and_ignored_ones_are_not() {
    let t = TestRepo::new();
    t.write(".gitignore", ".env*\n!.env.example\n")
        .write(".env.example", "A=\n")
        .write(".env.production", "API_TOKEN=tok_8f3k2m9x7q1w5e4r\n");
    t.commit("init");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 0, "an ignored, untracked .env is fine: {r:#}");

    t.force_add(".env.production");
    t.commit_index("oops", "Dev", "dev@example.com");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1);
    let f = &check(&r, "committed-env-files")["findings"][0];
    assert_eq!(f["location"]["path"], ".env.production");
    assert!(f["message"].as_str().unwrap().contains("tracked by git"));
}

/// Symfony commits `.env` with the defaults of every environment: a mailer DSN of the `null://`
/// transport, a SQLite path, an `APP_SECRET` that says it is not one. A URL with no credential
/// in it is harmless whatever its scheme; a DSN carrying a password still fails the check.
#[test]
fn committed_env_defaults_without_credentials_pass_and_a_dsn_password_fails() {
    let t = TestRepo::new();
    t.write(
        ".env",
        "APP_ENV=dev\nAPP_SECRET=\nDATABASE_URL=\"sqlite:///%kernel.project_dir%/data/database.sqlite\"\nMAILER_DSN=null://null\nDEFAULT_URI=http://localhost\n",
    )
    .write(".env.local.demo", "APP_SECRET=not-a-secret--read-the-doc!\n");
    t.commit("init");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 0, "{r:#}");

    let password = ["Zq8Lr2", "Pw7Xk4"].concat();
    t.write(
        ".env",
        format!("MAILER_DSN=smtp://mailer:{password}@smtp.acme-corp.io:587\n"),
    );
    t.commit("a real mailer");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "committed-env-files")["findings"][0]["location"]["path"],
        ".env"
    );
}

/// excalidraw commits `.env.production` with what its browser build bakes in: service URLs, a
/// Firebase web config (its `apiKey` beside its `firebaseapp.com` authDomain, public by design)
/// and the public key its client checks exports with. None of that is a leak; a Google key with
/// no Firebase config beside it, or a private key under a public-sounding name, still is.
#[test]
fn a_committed_env_of_public_browser_settings_passes_and_a_real_key_beside_it_fails() {
    let t = TestRepo::new();
    let key = ["AIzaSynkRZG9EyGRU2vNf", "1yJHvKFBiy7WPhocFK"].concat();
    let public = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE3vlmalAxrX2CF96K1eMJW4m7ekgo\n\
                  i0FIi+vjYAcy7VCLwRzljnqpS875Gsl2VSZ/4Ekwe4BBjB2GQpSHG+7Oig==";
    let env = format!(
        "VITE_APP_WS_SERVER_URL=https://oss-collab.acme.dev\n\
         VITE_APP_FIREBASE_CONFIG='{{\"apiKey\":\"{key}\",\"authDomain\":\"acme-app.firebaseapp.com\",\"projectId\":\"acme-app\"}}'\n\
         VITE_APP_ENABLE_TRACKING=false\n\
         VITE_APP_EXPORT_PUBLIC_KEY='{public}'\n"
    );
    t.write(".env.production", &env);
    t.commit("init");
    let (code, r) = t
        .only(&["committed-env-files", "repo-secrets", "generic-secrets"])
        .json();
    assert_eq!(code, 0, "{r:#}");

    t.write(".env.production", format!("{env}VITE_APP_MAPS_KEY={key}\n"));
    t.commit("a maps key");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 1, "a Google key alone is a secret: {r:#}");
    assert!(!r.to_string().contains(&key), "{r:#}");

    let private = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8apQcKR3jXvo6Oow\
                   PlduNZdjJomA3zt1RduNpbHT146hRANCAATe+WZqUDGtfYIX3orV4wlbibt6SCiL\
                   QUiL6+NgBzLtUIvBHOWOeqlLzvkayXZVJn/gSTB7gEGMHYZClIcb7s6K";
    t.write(".env.production", env.replace(public, private));
    t.commit("a private key where the public one was");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
}

/// formbricks tracks `apps/web/.env` as a symbolic link to the root's `.env`, which git ignores:
/// a link holds no values, so it is not a committed env file. A real `.env` beside it is.
#[test]
fn a_committed_env_symlink_is_no_env_file() {
    let t = TestRepo::new();
    t.write(".gitignore", "/.env\n")
        .write("apps/web/package.json", "{}\n");
    std::os::unix::fs::symlink("../../.env", t.path("apps/web/.env")).unwrap();
    t.commit("link the app's env to the root's");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 0, "{r:#}");
    let password = ["Zq8Lr2", "Pw7Xk4"].concat();
    t.write("apps/api/.env", format!("DB_PASSWORD={password}\n"));
    t.commit("a real env file");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "committed-env-files")["findings"][0]["location"]["path"],
        "apps/api/.env"
    );
}

/// The home of an account the repository creates is that service's (formbricks' Dockerfile runs
/// `adduser -S -u 1001 -G nextjs nextjs`, and its start script uses `/home/nextjs/`; huginn's
/// install guide runs `sudo adduser … huginn` for its nginx template's `/home/huginn/`). The
/// true case beside it: another user's home in the same files is still a developer's machine.
#[test]
fn the_home_of_an_account_the_repository_creates_is_no_developers_machine() {
    let t = TestRepo::new();
    t.write(
        "apps/web/Dockerfile",
        "FROM node:22-alpine\nRUN addgroup -S nextjs \\\n    && adduser -S -u 1001 -G nextjs nextjs\nCOPY start.sh /start.sh\n",
    )
    .write(
        "apps/web/scripts/start.sh",
        "#!/bin/sh\ncd /home/nextjs/apps/web && node server.js\n",
    )
    .write(
        "doc/manual/installation.md",
        "Create a user:\n\n    sudo adduser --disabled-login --gecos 'Huginn' huginn\n",
    )
    .write(
        "deployment/nginx/huginn",
        "server {\n  root /home/huginn/huginn/public;\n}\n",
    );
    t.commit("service accounts");
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 0, "{r:#}");
    t.write(
        "apps/web/scripts/start.sh",
        "#!/bin/sh\ncd /home/nextjs/apps/web && node server.js\ncp /home/dave/certs/dev.pem /tmp/\n",
    );
    t.commit("a developer's path");
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(found_lines(&r, "static-paths"), [3], "{r:#}");
}

/// A Dockerfile that works in `/home/shlink` (shlink's `WORKDIR /home/shlink`, `VOLUME
/// /home/shlink`) makes that folder the container's: its compose file mounts the code there and
/// its nginx configuration serves from it. Another user's home beside them is still reported.
#[test]
fn the_home_a_dockerfile_works_in_is_the_containers() {
    let t = TestRepo::new();
    t.write(
        "data/infra/php.Dockerfile",
        "FROM php:8.4-cli\nVOLUME /home/shlink\nWORKDIR /home/shlink\n",
    )
    .write(
        "docker-compose.yml",
        "services:\n  web:\n    image: nginx:1.25-alpine\n    volumes:\n      - ./:/home/shlink/www\n",
    )
    .write(
        "data/infra/vhost.conf",
        "server {\n    root /home/shlink/www/public;\n}\n",
    );
    t.commit("the container's home");
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 0, "{r:#}");
    t.write(
        "data/infra/vhost.conf",
        "server {\n    root /home/shlink/www/public;\n    error_log /home/alejandro/logs/error.log;\n}\n",
    );
    t.commit("a developer's path");
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(found_lines(&r, "static-paths"), [3], "{r:#}");
}

/// Kamal's `.env.erb` (once-campfire's) renders the deploy's secrets from a password manager at
/// deploy time: its `<%= … %>` outputs are no values, its `<% … %>` tags no variables. A literal
/// secret written beside them is still a committed secret.
#[test]
fn an_erb_env_template_of_computed_values_passes_and_a_literal_fails() {
    let t = TestRepo::new();
    let template = "<% if (session_token = `op signin --account ACME --raw`.strip) != \"\" %># Generated by kamal envify\nKAMAL_REGISTRY_PASSWORD=<%= `op read \"op://Deploy/Docker Hub/password\" -n --session #{session_token}` %>\nRAILS_MASTER_KEY=<%= `op read \"op://Deploy/App/RAILS_MASTER_KEY\" -n` %>\n<% else raise ArgumentError, \"Session token missing\" end %>\n";
    t.write(".env.erb", template);
    t.commit("init");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 0, "{r:#}");

    let key = ["9f3c1a7e", "5b2d4f60", "8e1a3c5d"].concat();
    t.write(".env.erb", format!("{template}SECRET_KEY_BASE={key}\n"));
    t.commit("a literal");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "committed-env-files")["findings"][0]["location"]["path"],
        ".env.erb"
    );
}

/// An Elixir project's `config/test.exs` is loaded under `MIX_ENV=test` only: a signing key in
/// it is a test key. The same key in `config/prod.exs` ships.
#[test]
fn mix_test_config_is_test_material_and_prod_config_ships() {
    let t = TestRepo::new();
    let body = "MHcCAQEEIHUgIrJNc1hyxptBqaIXJhiJLC+sNx1e9PtWtybMMDjKoAoGCCqGSM49";
    let pem = format!(
        "-----BEGIN {k}-----\n  {body}\n  AwEHoUQDQgAENEaVGMojo1bTG/IR6W+grIx/hY97Mxp4OalFU3x/KxXX4ud/mtJL\n  -----END {k}-----\n",
        k = "EC PRIVATE KEY"
    );
    let config =
        format!("import Config\n\nconfig :app,\n  jwt_signing_key: \"\"\"\n  {pem}  \"\"\"\n");
    t.write("mix.exs", "defmodule App.MixProject do\nend\n")
        .write("config/test.exs", &config);
    t.commit("init");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 0, "{r:#}");

    t.write("config/prod.exs", &config);
    t.commit("prod");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "repo-secrets")["findings"][0]["location"]["path"],
        "config/prod.exs"
    );
}

#[test]
fn untracked_unignored_env_file_is_reported_as_one_add_away() {
    let t = TestRepo::new();
    t.write("README.md", "x\n");
    t.commit("init");
    t.write(".env", "DB_PASSWORD=s3cr3tP4ss\n");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1);
    assert!(check(&r, "committed-env-files")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("git add ."));
}

#[test]
fn binary_and_large_files_are_counted_not_scanned() {
    let t = TestRepo::new();
    t.write("img.bin", [0u8, 1, 2, 3, b'/', b'U']);
    let big = format!("{}\n/Users/alice/x/\n", "a".repeat(3 << 20));
    t.write("src/big.js", big);
    t.write(".shipgate.yaml", "settings:\n  max-file-size: 1MiB\n");
    t.commit("init");
    let (code, r) = t.only(&["static-paths"]).json();
    assert_eq!(code, 0);
    let scan = &r["repo"]["scan"];
    assert_eq!(scan["skipped_binary"], 1, "{scan:#}");
    assert_eq!(scan["skipped_large"], 1);
    assert_eq!(scan["not_scanned"][0]["path"], "src/big.js");
    let (_, out, _) = t.run(&["run", "--only", "static-paths"]);
    assert!(out.contains("not scanned: src/big.js"), "{out}");
}

#[test]
fn multi_stage_dockerfile_stage_names_are_not_images() {
    let t = TestRepo::new();
    t.write(
        "Dockerfile",
        "FROM rust:1.80 AS builder\nRUN cargo build\nFROM debian:12-slim AS runtime\nFROM runtime\nFROM builder AS test\n",
    );
    t.commit("init");
    let (_, r) = t.only(&["unpinned-base-images"]).json();
    assert_eq!(status(&r, "unpinned-base-images"), "pass", "{r:#}");
}

/// Applications need a lockfile; published libraries, tooling-only manifests and npm with
/// lockfiles turned off do not.
#[test]
fn lockfiles_are_required_of_applications_not_libraries() {
    let t = TestRepo::new();
    let deps = "\"dependencies\": {\"x\": \"1\"}";
    t.write(
        "app/package.json",
        format!("{{\"private\": true, {deps}}}\n"),
    )
    .write(
        "lib/package.json",
        format!("{{\"name\": \"lib\", \"main\": \"index.js\", {deps}}}\n"),
    )
    .write(
        "tools/package.json",
        "{\"devDependencies\": {\"eslint\": \"9\"}}\n",
    )
    // A Rust project's linting setup: no name, nothing that runs or ships.
    .write(
        "package.json",
        "{\"dependencies\": {\"eslint\": \"^10\"}, \"scripts\": {\"lint\": \"eslint .\"}}\n",
    )
    .write(
        "nolock/package.json",
        format!("{{\"private\": true, {deps}}}\n"),
    )
    .write("nolock/.npmrc", "package-lock=false\n")
    .write(
        "pylib/pyproject.toml",
        "[project]\nname = \"p\"\n[build-system]\nrequires = [\"hatchling\"]\n",
    )
    .write(
        "pyapp/pyproject.toml",
        "[project]\nname = \"a\"\n[build-system]\nrequires = [\"hatchling\"]\n",
    )
    .write("pyapp/Dockerfile", "FROM python:3.12-slim\n");
    t.commit("init");
    let (_, r) = t.only(&["lockfile-present"]).json();
    let mut paths: Vec<&str> = check(&r, "lockfile-present")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, ["app/package.json", "pyapp/pyproject.toml"], "{r:#}");
}

/// No secret is shown whole in any format: a line holding several secrets (every one redacted,
/// not only the one its finding is about), a one-line PEM in a service-account JSON (the key
/// block redacted whole), a URL with a password, and a command whose argv and output hold secrets.
#[test]
fn every_secret_on_every_shown_line_is_redacted_in_every_format() {
    let t = TestRepo::new();
    // Built at run time: shipgate checks its own source.
    let aws = fake_aws_key();
    let gh = format!("ghp_{}", "R7o9wQ2mZx4LkP0cVb8NtY3sHf6JdG1aUe5K");
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQYL9FNr5vy2imkb";
    let pem = format!(
        "-----BEGIN {k}-----\\n{body}\\nr6t33vgOCkvaZU9t3irsPzKnBBpLzyMGN6oGuhuYkMpeSfyVewv2nAx30\\n-----END {k}-----\\n",
        k = "PRIVATE KEY"
    );
    let password = "hunter2-Secret-9";
    t.write(
        "src/config.py",
        format!("CREDS = (\"{aws}\", \"{gh}\", \"postgres://app:{password}@db.internal/app\")\n"),
    )
    .write(
        "deploy/sa.json",
        format!("{{\"type\": \"service_account\", \"private_key\": \"{pem}\", \"client_email\": \"x@y.iam.gserviceaccount.com\"}}\n"),
    )
    .write(".shipgate.yaml", "extra-checks: [ci-checks/]
")
    .write(
        "ci-checks/leaky-cmd.yaml",
        format!("id: leaky-cmd\ntitle: t\nseverity: error\ncommand:\n  run: [sh, -c, \"echo deploying with {gh}; echo db=postgres://root:{password}@db/x; exit 1\", \"--token={aws}\"]\n"),
    );
    t.commit("leaks");
    let secrets = [
        aws.as_str(),
        gh.as_str(),
        password,
        &body[40..],
        "r6t33vgOCkvaZU9t3irsPzKnBBpL",
    ];
    for format in [
        "human", "json", "sarif", "junit", "github", "markdown", "gitlab",
    ] {
        let (code, out, err) = t.run(&[
            "run",
            "--only",
            "repo-secrets",
            "--only",
            "leaky-cmd",
            "-f",
            format,
        ]);
        assert_eq!(code, 1, "{format}: {out}{err}");
        for s in secrets {
            assert!(
                !out.contains(s) && !err.contains(s),
                "{format} shows {s} whole:\n{out}\n{err}"
            );
        }
        assert!(
            out.contains("AKIA…") || format == "gitlab",
            "{format}: {out}"
        );
    }
    // Each finding of the line with three secrets shows all three redacted.
    let (_, r) = t.only(&["repo-secrets"]).json();
    let on_line: Vec<&serde_json::Value> = check(&r, "repo-secrets")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["location"]["path"] == "src/config.py")
        .collect();
    assert_eq!(on_line.len(), 2, "{r:#}");
    for f in on_line {
        let e = f["evidence"].as_str().unwrap();
        assert!(
            e.contains("AKIA…") && e.contains("ghp_…") && e.contains("app:hunt…@db"),
            "{e}"
        );
    }
    let key = check(&r, "repo-secrets")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["path"] == "deploy/sa.json")
        .expect("the one-line key is found")
        .clone();
    assert!(
        key["evidence"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY (redacted)")
            && key["evidence"].as_str().unwrap().contains("client_email"),
        "{key:#}"
    );
}

/// A PEM block built at run time (shipgate checks its own source), each line prefixed.
fn pem(label: &str, body: &[&str], prefix: &str) -> String {
    let mut s = format!("{prefix}-----BEGIN {label}-----\n");
    for l in body {
        s.push_str(&format!("{prefix}{l}\n"));
    }
    s.push_str(&format!("{prefix}-----END {label}-----\n"));
    s
}

/// A doc comment that shows a key with its certificate (okhttp's `HeldCertificate.decode()` KDoc)
/// is documentation; the same key alone in a doc comment, with its certificate in code or in a
/// plain comment (commented-out configuration), is still a committed key.
#[test]
fn a_key_shown_with_its_certificate_in_a_doc_comment_is_an_example() {
    let t = TestRepo::new();
    let key = ["MEECAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQcEJzAlAgEBBCA7ODT0xhGSNn4ESj6J"];
    let cert = ["MIIBYTCCAQegAwIBAgIBKjAKBggqhkjOPQQDAjApMRQwEgYDVQQLEwtlbmdpbmVl"];
    let (k, c) = (format!("{} KEY", "PRIVATE"), "CERTIFICATE".to_string());
    // A certificate and its key, each line behind `prefix`.
    let pair = |prefix: &str| pem(&c, &cert, prefix) + &pem(&k, &key, prefix);
    // KDoc block: ` * ` lines inside `/** … */`.
    let kdoc = format!(
        "/**\n * Decodes a certificate and key like this:\n * ```\n{} * ```\n */\nfun decode(s: String) = s\n",
        pair(" * ")
    );
    // Rust `///` lines: one comment per line, read as one run.
    let rustdoc = format!(
        "/// ```text\n{}/// ```\npub fn decode(s: &str) {{}}\n",
        pair("/// ")
    );
    let alone = format!(
        "/**\n * The service key:\n{} */\nfun load() = 1\n",
        pem(&k, &key, " * ")
    );
    let in_code = format!(
        "val PAIR = \"\"\"\n{}\"\"\"\n// a cert and key, for the tests\n",
        pair("")
    );
    // A certificate in another comment further down does not make a key comment an example.
    let apart = format!(
        "/**\n{} */\nfun a() = 1\n\n/**\n{} */\nfun b() = 2\n",
        pem(&k, &key, " * "),
        pem(&c, &cert, " * ")
    );
    // Commented-out configuration is no documentation: a `#` or plain `//` comment holding a
    // certificate and its key still holds a key.
    let yaml = format!("tls:\n{}  enabled: true\n", pair("#   "));
    let plain = format!("{}fun serve() = 1\n", pair("// "));
    t.write("config/production.yml", yaml)
        .write("tls/src/main/kotlin/Plain.kt", plain);
    t.write("tls/src/main/kotlin/Held.kt", kdoc)
        .write("tls/src/lib.rs", rustdoc)
        .write("tls/src/main/kotlin/Loader.kt", alone)
        .write("tls/src/main/kotlin/Pair.kt", in_code)
        .write("tls/src/main/kotlin/Apart.kt", apart);
    t.commit("tls");
    let (_, r) = t.only(&["repo-secrets"]).json();
    let mut paths: Vec<&str> = check(&r, "repo-secrets")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "config/production.yml",
            "tls/src/main/kotlin/Apart.kt",
            "tls/src/main/kotlin/Loader.kt",
            "tls/src/main/kotlin/Pair.kt",
            "tls/src/main/kotlin/Plain.kt"
        ],
        "{r:#}"
    );
}

/// A variant-named Dockerfile (`Dockerfile.<x>`, `<x>.Dockerfile`) that no file of the repository
/// names is not built (documenso's leftover `Dockerfile.chromium`, `Dockerfile.pnpm`): its base
/// image is neither an unpinned image nor a runtime that drifts, and the result says it was left
/// out. Named by a workflow, a compose file or a package.json script, it is built and reported; a
/// plain `Dockerfile` always is; a mention in the docs builds nothing.
#[test]
fn dockerfiles_nothing_builds_are_left_out_and_said_so() {
    let t = TestRepo::new();
    t.write("Dockerfile", "FROM ubuntu\n")
        .write("docker/Dockerfile.chromium", "ARG TAG=latest\nFROM documenso/documenso:${TAG}\n")
        .write("docker/Dockerfile.worker", "FROM redis\n")
        .write("api.Dockerfile", "FROM nginx:latest\n")
        .write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker build -f docker/Dockerfile.worker .\n",
        )
        .write("compose.yml", "services:\n  api:\n    build:\n      context: .\n      dockerfile: api.Dockerfile\n")
        .write("docs/docker.md", "Chromium: `docker build -f docker/Dockerfile.chromium .`\n");
    t.commit("images");
    let (_, r) = t.only(&["unpinned-base-images"]).json();
    let c = check(&r, "unpinned-base-images");
    let mut paths: Vec<&str> = c["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        ["Dockerfile", "api.Dockerfile", "docker/Dockerfile.worker"],
        "{r:#}"
    );
    let reason = c["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("not looked at: docker/Dockerfile.chromium"),
        "{r:#}"
    );
    let (_, out, _) = t.only(&["unpinned-base-images"]).human();
    assert!(
        out.contains("not looked at: docker/Dockerfile.chromium"),
        "{out}"
    );

    // Runtime drift: a Dockerfile nothing builds pins no runtime of the project.
    let t = TestRepo::new();
    t.write(".nvmrc", "22\n")
        .write("package.json", "{\n  \"name\": \"app\",\n  \"engines\": {\"node\": \">=22\"},\n  \"scripts\": {\"image\": \"docker build -f apps/web/Dockerfile.bun .\"}\n}\n")
        .write("package-lock.json", "{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {\"\": {\"name\": \"app\"}}}\n")
        .write("apps/web/Dockerfile.pnpm", "FROM node:20-alpine\n");
    t.commit("leftover");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 0, "{r:#}");
    let c = check(&r, "runtime-version-drift");
    assert!(
        c["reason"]
            .as_str()
            .unwrap_or("")
            .contains("apps/web/Dockerfile.pnpm"),
        "{r:#}"
    );
    // The one a package.json script builds drifts.
    t.write("apps/web/Dockerfile.bun", "FROM node:20-alpine\n");
    t.commit("built");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 1, "{r:#}");
    let f = check(&r, "runtime-version-drift")["findings"].to_string();
    assert!(
        f.contains("apps/web/Dockerfile.bun") && !f.contains("Dockerfile.pnpm:"),
        "{r:#}"
    );
}

/// A script beside the workflows is no workflow: static-paths keeps every shell script for
/// its own reading, and runtime-version-drift read navidrome's
/// `push-translations.sh` as YAML and stopped with an error. The true case beside it: a workflow
/// that tests another Node than `.nvmrc` pins still drifts in the same run.
#[test]
fn runtime_drift_reads_only_its_own_files() {
    let t = TestRepo::new();
    t.write(".nvmrc", "22\n")
        .write(
            ".github/workflows/push-translations.sh",
            "#!/bin/sh\ncat <<EOF\n---\na: 1\n---\nb: 2\nEOF\n",
        )
        // lldap keeps its CI image's Dockerfile there: read as a Dockerfile, not as YAML.
        .write(
            ".github/workflows/Dockerfile.ci.alpine",
            "FROM localhost:5000/lldap/lldap:alpine-base\nRUN set -eux; \\\n\tapk add --no-cache gnupg \\\n\t; \\\n\tgpgconf --kill all\n---\n",
        )
        .write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          node-version: 22\n",
        );
    t.commit("ci");
    let (code, r) = t.only(&["runtime-version-drift", "static-paths"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        check(&r, "runtime-version-drift")["status"],
        "pass",
        "{r:#}"
    );
    t.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          node-version: 20\n",
    );
    t.commit("older node in ci");
    let (code, r) = t.only(&["runtime-version-drift", "static-paths"]).json();
    assert_eq!(code, 1, "{r:#}");
    let c = check(&r, "runtime-version-drift");
    assert_eq!(c["status"], "fail", "{r:#}");
    assert!(
        c["findings"]
            .to_string()
            .contains(".github/workflows/ci.yml"),
        "{r:#}"
    );
}

/// The test environment's dotenv file (`.env.test`, `.env.testing`) is test material: outline
/// commits its test `SECRET_KEY` there. The true cases beside it: the same value in
/// `.env.production` is a committed env file, and a live-looking credential in `.env.test` is
/// still a secret.
#[test]
fn the_test_environments_env_file_is_test_material() {
    let value = format!(
        "{}{}",
        "F0E5AD933D7F6FD8F4DBB3E038C501C0", "52E6F9E3A7A1B3C4"
    );
    let t = TestRepo::new();
    t.write(".env.test", format!("NODE_ENV=test\nSECRET_KEY={value}\n"))
        .write(".env.testing", format!("APP_KEY={value}\n"));
    t.commit("init");
    let (code, r) = t
        .only(&["committed-env-files", "generic-secrets", "repo-secrets"])
        .json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "committed-env-files"), "pass");
    assert!(check(&r, "generic-secrets")["findings"]
        .as_array()
        .unwrap()
        .is_empty());
    t.write(".env.production", format!("SECRET_KEY={value}\n"));
    t.commit("production values");
    let (code, r) = t.only(&["committed-env-files"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        check(&r, "committed-env-files")["findings"][0]["location"]["path"],
        ".env.production"
    );
    t.write(
        ".env.test",
        format!("AWS_ACCESS_KEY_ID={}\n", fake_aws_key()),
    );
    t.commit("a live key in the test env");
    let (_, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(status(&r, "repo-secrets"), "fail", "{r:#}");
}

/// A pyproject.toml with trove classifiers is published to PyPI (black, with a Dockerfile that
/// installs the same package): its users resolve its dependencies, so no lockfile is needed. The
/// true case beside it: the same layout without classifiers is an application built into an
/// image, and still needs its lockfile.
#[test]
fn a_published_python_package_needs_no_lockfile_whatever_is_beside_it() {
    let pyproject = |classifiers: &str| {
        format!("[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"fmt\"\nversion = \"1.0\"\n{classifiers}dependencies = [\"click>=8.0.0\"]\n")
    };
    let t = TestRepo::new();
    t.write(
        "pyproject.toml",
        pyproject("classifiers = [\n    \"Programming Language :: Python :: 3\",\n]\n"),
    )
    .write(
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /src\nRUN pip install /src\n",
    );
    t.commit("init");
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "pass", "{r:#}");
    t.write("pyproject.toml", pyproject(""));
    t.commit("an application");
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "warn", "{r:#}");
}

/// A pyproject.toml that only configures tools (Tandoor's [tool.yapf] and [tool.isort], its
/// dependencies in requirements.txt) declares nothing a lockfile would lock. The true cases
/// beside it: the same file with a [project] and its dependencies, or Poetry's
/// [tool.poetry.dependencies], still needs its lockfile.
#[test]
fn a_pyproject_of_tool_settings_needs_no_lockfile() {
    let t = TestRepo::new();
    let tools = "[tool.yapf]\ncolumn_limit = 179\n\n[tool.isort]\nline_length = 179\n";
    t.write("pyproject.toml", tools)
        .write("requirements.txt", "Django==5.2\n")
        .write("manage.py", "import django\n")
        .write("Dockerfile", "FROM python:3.12-slim\n");
    t.commit("init");
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "pass", "{r:#}");
    t.write(
        "pyproject.toml",
        format!("[project]\nname = \"app\"\nversion = \"1.0\"\ndependencies = [\"django>=5\"]\n\n{tools}"),
    );
    t.commit("a project");
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "warn", "{r:#}");
    t.write(
        "pyproject.toml",
        format!("[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\n\n{tools}"),
    );
    t.commit("poetry");
    let (_, r) = t.only(&["lockfile-present"]).json();
    assert_eq!(status(&r, "lockfile-present"), "warn", "{r:#}");
}

/// A folder of throwaway stacks to test against is test material: linkding's
/// `scripts/test-environments/authelia-oidc/` holds the JWKS signing key of a local Authelia on
/// example.com. The true case beside it: the same configuration under `scripts/deploy/` ships,
/// and its private key fails the gate.
#[test]
fn test_environments_are_test_material() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQYL9FNr5vy2imkb";
    let config = format!(
        "identity_providers:\n  oidc:\n    jwks:\n      - key: |\n          -----BEGIN {k}-----\n          {body}\n          r6t33vgOCkvaZU9t3irsPzKnBBpLzyMGN6oGuhuYkMpeSfyVewv2nAx30\n          -----END {k}-----\n",
        k = "PRIVATE KEY"
    );
    let t = TestRepo::new();
    t.write(
        "scripts/test-environments/authelia-oidc/authelia/configuration.yml",
        &config,
    );
    t.commit("test stack");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "repo-secrets"), "pass", "{r:#}");
    t.write("scripts/deploy/authelia/configuration.yml", &config);
    t.commit("deploy stack");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        finding_paths(&r, "repo-secrets"),
        ["scripts/deploy/authelia/configuration.yml"],
        "{r:#}"
    );
}

/// Developers' container images do not run in production: wger's
/// `extras/docker/development/Dockerfile` (`FROM wger/server:latest` plus git, vim and node) and
/// a dev container's. The true case beside it: the production Dockerfile beside the development
/// one is still reported.
#[test]
fn development_dockerfiles_are_tooling() {
    let t = TestRepo::new();
    t.write(
        "extras/docker/development/Dockerfile",
        "FROM wger/server:latest\nRUN apt-get install -y git vim\n",
    )
    .write(".devcontainer/Dockerfile", "FROM node\n");
    t.commit("dev images");
    let (code, r) = t.only(&["unpinned-base-images"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_ne!(status(&r, "unpinned-base-images"), "warn", "{r:#}");
    t.write(
        "extras/docker/production/Dockerfile",
        "FROM wger/base:latest\nCOPY . /app\n",
    );
    t.commit("production image");
    let (_, r) = t.only(&["unpinned-base-images"]).json();
    assert_eq!(status(&r, "unpinned-base-images"), "warn", "{r:#}");
    assert_eq!(
        finding_paths(&r, "unpinned-base-images"),
        ["extras/docker/production/Dockerfile"],
        "{r:#}"
    );
}

/// Jest's `__stubs__/` are test material: remark42's `app/__stubs__/jwt.ts` holds the tokens its
/// tests log in with. The true case beside it: the same token in the application's source is
/// still reported.
#[test]
fn jest_stubs_are_test_material() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1aWQiOjI3NzIwOSwic2NvcGUiOiJhZG1pbiIsImV4cCI6MTg5MzQ1NjAwMH0.yzqV_QRkiRMBSTlhUfhYiLUnuIiojp-95dLk1ZbKq1Y";
    let t = TestRepo::new();
    t.write(
        "frontend/app/__stubs__/jwt.ts",
        format!("export const validToken = '{jwt}';\n"),
    );
    t.commit("stubs");
    let (_, r) = t.only(&["generic-secrets"]).json();
    assert!(finding_paths(&r, "generic-secrets").is_empty(), "{r:#}");
    t.write(
        "frontend/app/api.ts",
        format!("export const token = '{jwt}';\n"),
    );
    t.commit("in the app");
    let (_, r) = t.only(&["generic-secrets"]).json();
    let paths = finding_paths(&r, "generic-secrets");
    assert!(
        !paths.is_empty() && paths.iter().all(|p| p == "frontend/app/api.ts"),
        "{r:#}"
    );
}

/// Playwright's end-to-end suite is test material: vaultwarden's `playwright/` builds its test
/// stack `FROM` an image its own compose file builds. The true case beside it: the same
/// Dockerfile line in the application's Dockerfile is still reported.
#[test]
fn a_playwright_suite_is_test_material() {
    let t = TestRepo::new();
    t.write(
        "playwright/compose/warden/Dockerfile",
        "FROM playwright_oidc_vaultwarden_prebuilt AS prebuilt\nFROM debian:12-slim\nCOPY --from=prebuilt /app /app\n",
    )
    .write(
        "playwright/docker-compose.yml",
        "services:\n  warden:\n    build:\n      context: compose/warden\n",
    )
    .write("Dockerfile", "FROM rust:1.85 AS build\nFROM debian:12-slim\n");
    t.commit("init");
    let (_, r) = t.only(&["unpinned-base-images"]).json();
    assert_eq!(status(&r, "unpinned-base-images"), "pass", "{r:#}");
    t.write(
        "Dockerfile",
        "FROM playwright_oidc_vaultwarden_prebuilt AS prebuilt\nFROM debian:12-slim\n",
    );
    t.commit("the app's own Dockerfile");
    let (_, r) = t.only(&["unpinned-base-images"]).json();
    assert_eq!(status(&r, "unpinned-base-images"), "warn", "{r:#}");
    assert_eq!(
        check(&r, "unpinned-base-images")["findings"][0]["location"]["path"],
        "Dockerfile"
    );
}

/// The application's own key in a CI workflow (realworld-axum-sqlx's `HMAC_KEY`, outline's
/// `SECRET_KEY`) or in its development configuration (`mix phx.new`'s `config/dev.exs`) is what a
/// test run or a developer's server signs with. The true cases beside it: a token for another
/// service in the same workflow, and the same key in the application's production settings, are
/// still reported.
#[test]
fn a_ci_workflows_key_for_the_app_under_test_is_not_a_leak() {
    let key = format!(
        "{}{}",
        "2b6c3e9caa0215a0c05c9b220479a4d3", "0c7099233f66f862382945c17b6b607f"
    );
    let token = format!("{}{}", "Zq8Xv2Lm4Np6Rt1Wy3Ab5Cd7Ef9Gh", "0JkLmNoPq");
    let t = TestRepo::new();
    t.write(
        ".github/workflows/test.yml",
        format!("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      HMAC_KEY: {key}\n      SECRET_KEY: {key}\n      - DJANGO_SECRET_KEY={key}\n    steps:\n      - run: cargo test\n"),
    )
    .write(
        "config/environments/development.rb",
        format!("Rails.application.configure do\n  config.secret_key_base = \"{key}\"\nend\n"),
    )
    .write(
        "config/dev.exs",
        format!("config :app, AppWeb.Endpoint,\n  secret_key_base: \"{key}\",\n  debug_errors: true\n"),
    );
    t.commit("init");
    let (_, r) = t.only(&["generic-secrets"]).json();
    assert!(
        check(&r, "generic-secrets")["findings"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{r:#}"
    );
    t.write(
        ".github/workflows/deploy.yml",
        format!("on: push\njobs:\n  deploy:\n    env:\n      API_TOKEN: {token}\n      STRIPE_SECRET_KEY: {token}\n"),
    )
    .write("settings/production.py", format!("SECRET_KEY = \"{key}\"\n"))
    .write(
        "config/prod.exs",
        format!("config :app, AppWeb.Endpoint,\n  secret_key_base: \"{key}\"\n"),
    );
    t.commit("a deploy token and the production key");
    let (_, r) = t.only(&["generic-secrets"]).json();
    let mut paths: Vec<String> = check(&r, "generic-secrets")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["location"]["path"].as_str().unwrap(),
                f["location"]["line"]
            )
        })
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ".github/workflows/deploy.yml:5",
            ".github/workflows/deploy.yml:6",
            "config/prod.exs:2",
            "settings/production.py:1"
        ],
        "{r:#}"
    );
}

/// A commented-out line of an env example file shows an alternative value (vaultwarden's
/// `.env.template`: `# ADMIN_TOKEN=…`). The true cases beside it: the same value uncommented in
/// the example, and commented out in the application's configuration, are still reported.
#[test]
fn a_commented_out_line_of_an_env_example_is_documentation() {
    let token = format!(
        "{}{}",
        "Vy2VyYTTsKPv8W5aEOWUbB/Bt3DEKePbHmI4m9Vc", "emUMS2rEviDowNAFqYi1xjmp"
    );
    let t = TestRepo::new();
    t.write(
        ".env.template",
        format!("## Old plain text string\n# ADMIN_TOKEN={token}\n"),
    );
    t.commit("init");
    let (_, r) = t.only(&["generic-secrets"]).json();
    assert!(
        check(&r, "generic-secrets")["findings"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{r:#}"
    );
    t.write(".env.template", format!("ADMIN_TOKEN={token}\n"))
        .write("config/app.env", format!("# ADMIN_TOKEN={token}\n"));
    t.commit("uncommented, and commented out elsewhere");
    let (_, r) = t.only(&["generic-secrets"]).json();
    let paths = finding_paths(&r, "generic-secrets");
    assert_eq!(paths, [".env.template", "config/app.env"], "{r:#}");
}

/// A key file named for localhost beside its certificate (ghostfolio's `apps/client/localhost.pem`
/// for `ng serve --ssl`, mkcert's `localhost-key.pem`) is a local development server's key, and
/// so is one named for development (fider's `etc/dev-fider-io.key`). The true cases beside it:
/// the same key in `server.pem` or `prod-fider-io.key`, and another secret in `localhost.pem`,
/// are still reported.
#[test]
fn a_key_file_named_for_localhost_is_a_local_servers_key() {
    let body = format!(
        "{}{}",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQYL9FNr5vy2imkb",
        "\nr6t33vgOCkvaZU9t3irsPzKnBBpLzyMGN6oGuhuYkMpeSfyVewv2nAx30\n"
    );
    let pem = |k: &str| format!("-----BEGIN {k}-----\n{body}-----END {k}-----\n");
    let t = TestRepo::new();
    t.write("apps/client/localhost.pem", pem("PRIVATE KEY"))
        .write("apps/client/localhost.cert", pem("CERTIFICATE"))
        .write("certs/localhost-key.pem", pem("PRIVATE KEY"))
        .write("etc/dev-fider-io.key", pem("PRIVATE KEY"))
        .write("etc/dev-fider-io.crt", pem("CERTIFICATE"));
    t.commit("init");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 0, "{r:#}");
    t.write("deploy/server.pem", pem("PRIVATE KEY"))
        .write("etc/prod-fider-io.key", pem("PRIVATE KEY"))
        .write(
            "apps/client/localhost.pem",
            format!(
                "{}aws_access_key_id = {}\n",
                pem("PRIVATE KEY"),
                fake_aws_key()
            ),
        );
    t.commit("a server key, and an AWS key in the localhost file");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 1, "{r:#}");
    let paths = finding_paths(&r, "repo-secrets");
    assert_eq!(
        paths,
        [
            "apps/client/localhost.pem",
            "deploy/server.pem",
            "etc/prod-fider-io.key"
        ],
        "{r:#}"
    );
}

/// hexpm's `config/dev.exs` sets the development server's `secret:`; solidtime's `.env.ci`, the
/// CI jobs' environment (`cp .env.ci .env` before the tests), holds Laravel Passport's personal
/// access client secret. Only a developer's server or a test run uses them, and `.env.ci` is no
/// deployment's env file. The true cases beside them: the same secret in `config/prod.exs`, a
/// token for another service in `.env.ci`, and a `.env.production`, are still reported.
#[test]
fn the_development_and_ci_environments_own_keys_are_not_leaks() {
    let secret = format!("{}{}", "38K8orQfRHMC6ZWXIdgItQEiumeY", "L2Ls0fvYfTMt4AoG5");
    let client = format!("{}{}", "EL5mXp3aF8ITjcwoOXRp", "bSK7zGrWhW4zTDpQXTkf");
    let t = TestRepo::new();
    t.write(
        "config/dev.exs",
        format!("import Config\n\nconfig :app,\n  secret: \"{secret}\",\n  sudo: false\n"),
    )
    .write(
        ".env.ci",
        format!("APP_ENV=testing\nPASSPORT_PERSONAL_ACCESS_CLIENT_SECRET=\"{client}\"\n"),
    );
    t.commit("init");
    let ids = ["generic-secrets", "committed-env-files"];
    let (code, r) = t.only(&ids).json();
    assert_eq!(code, 0, "{r:#}");
    for id in ids {
        assert!(
            check(&r, id)["findings"].as_array().unwrap().is_empty(),
            "{id}: {r:#}"
        );
    }
    t.write(
        "config/prod.exs",
        format!("import Config\n\nconfig :app,\n  secret: \"{secret}\"\n"),
    )
    .write(
        ".env.ci",
        format!("APP_ENV=testing\nSTRIPE_SECRET_KEY=\"{client}\"\n"),
    )
    .write(".env.production", format!("APP_KEY={client}\n"));
    t.commit("the production secret, another service's token in CI, a production env file");
    let (code, r) = t.only(&ids).json();
    assert_eq!(code, 1, "{r:#}");
    let paths = |id: &str| finding_paths(&r, id);
    assert_eq!(
        paths("generic-secrets"),
        [".env.ci", ".env.production", "config/prod.exs"],
        "{r:#}"
    );
    assert_eq!(paths("committed-env-files"), [".env.production"], "{r:#}");
}

#[test]
fn a_check_with_no_file_of_its_material_says_so_and_one_with_a_file_evaluates() {
    let t = TestRepo::new();
    // Production configuration only inside the tests: the check looks at what ships.
    t.write("src/main.rs", "fn main() {}\n")
        .write("tests/fixtures/settings/production.py", "DEBUG = True\n");
    t.commit("init");
    let (code, r) = t.only(&["debug-settings"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "debug-settings"), "skip", "{r:#}");
    assert!(
        check(&r, "debug-settings")["reason"]
            .as_str()
            .unwrap()
            .starts_with("no file to look at"),
        "{r:#}"
    );

    // A symbolic link is a listed file too: the check has something to look at (and a link is
    // never read, so nothing is found in it).
    #[cfg(unix)]
    {
        std::fs::create_dir_all(t.path("settings")).unwrap();
        std::os::unix::fs::symlink("../src/main.rs", t.path("settings/production.py")).unwrap();
        t.commit("link");
        let (code, r) = t.only(&["debug-settings"]).json();
        assert_eq!(code, 0, "{r:#}");
        assert_eq!(status(&r, "debug-settings"), "pass", "{r:#}");
        t.remove("settings/production.py");
    }

    // Shipped production configuration is looked at, and its debug switch found.
    t.write("settings/production.py", "DEBUG = True\n");
    t.commit("prod");
    let (code, r) = t.only(&["debug-settings"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(status(&r, "debug-settings"), "fail", "{r:#}");
}

/// A private key in the configuration of the development or test environment alone (hexpm's
/// development JWT signing key in Mix's `config/dev.exs`, which `config/config.exs` imports only
/// when `MIX_ENV=dev`) is a developer's server's key: a production release never loads it. The
/// true cases beside it: the same key in `config/prod.exs` and `config/runtime.exs`, and a live
/// token in `config/dev.exs`, are still reported.
#[test]
fn a_key_in_development_environment_configuration_is_a_developers_key() {
    let body = format!(
        "{}{}",
        "MHcCAQEEIPISAWTKQ64wDwp/464yFXWPz+WfmCJde2jvCW0eJuUUT1nY8ABxUpuI",
        "\nYxyJpAaexqt+Gsa+C5iNN3gMLDGVF1cpMHH5GrENUn8GWUwnarKni8FHZ4RA0Ktd\n"
    );
    let key = format!("-----BEGIN EC PRIVATE KEY-----\n{body}-----END EC PRIVATE KEY-----\n");
    let exs =
        |k: &str| format!("import Config\n\nconfig :app,\n  jwt_signing_key: \"\"\"\n{k}\"\"\"\n");
    let t = TestRepo::new();
    t.write("mix.exs", "defmodule App.MixProject do\nend\n")
        .write(
            "config/config.exs",
            "import Config\nimport_config \"#{config_env()}.exs\"\n",
        )
        .write("config/dev.exs", exs(&key))
        .write("config/test.exs", exs(&key))
        // hexpm's `config/hex.exs`: the environment its client's integration tests run in.
        .write("config/hex.exs", exs(&key))
        .write(
            "config/environments/development.rb",
            format!("KEY = <<~PEM\n{key}PEM\n"),
        );
    t.commit("init");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 0, "{r:#}");
    t.write("config/prod.exs", exs(&key))
        .write("config/runtime.exs", exs(&key))
        .write("config/staging.exs", exs(&key))
        .write(
            "config/dev.exs",
            format!("{}aws_access_key_id = {}\n", exs(&key), fake_aws_key()),
        );
    t.commit("a key in production configuration, and an AWS key in dev.exs");
    let (code, r) = t.only(&["repo-secrets"]).json();
    assert_eq!(code, 1, "{r:#}");
    let paths = finding_paths(&r, "repo-secrets");
    assert_eq!(
        paths,
        [
            "config/dev.exs",
            "config/prod.exs",
            "config/runtime.exs",
            "config/staging.exs"
        ],
        "{r:#}"
    );
}

/// Phoenix's `config/config.exs` holds the development `secret_key_base`; `config/runtime.exs`,
/// loaded after it, sets the key again for production (teslamate, papercups). That default is
/// not reported; the same key with no later setting, and another secret on a line of its own in
/// config.exs, still are.
#[test]
fn a_config_exs_key_that_runtime_exs_sets_again_is_a_development_default() {
    let kb = "Kz7vmP1gPYv/sogke6P3RP9uipMjOLhneQdbokZVx5gpLsNaN44TD20vtOWkMFIT";
    let config = format!("import Config\n\nconfig :app, AppWeb.Endpoint,\n  url: [host: \"localhost\"],\n  secret_key_base: \"{kb}\",\n  pubsub_server: App.PubSub\n\nconfig :app, App.Mailer,\n  api_key: \"SG7pW2rTq9XvL4mZ8nB3cD6fH1jK5sA0eR\"\n");
    let t = TestRepo::new();
    t.write("mix.exs", "defmodule App.MixProject do\nend\n")
        .write("config/config.exs", &config);
    t.commit("no runtime.exs");
    let (_, r) = t.only(&["generic-secrets"]).json();
    let lines: Vec<u64> = found_lines(&r, "generic-secrets");
    assert_eq!(lines, [5, 9], "{r:#}");
    t.write(
        "config/runtime.exs",
        "import Config\n\nif config_env() == :prod do\n  config :app, AppWeb.Endpoint,\n    # the release reads it from the environment\n    secret_key_base: System.fetch_env!(\"SECRET_KEY_BASE\")\nend\n",
    );
    t.commit("runtime.exs sets secret_key_base");
    let (_, r) = t.only(&["generic-secrets"]).json();
    assert_eq!(found_lines(&r, "generic-secrets"), [9], "{r:#}");
    // A runtime.exs that mentions the key only in a comment sets nothing.
    t.write(
        "config/runtime.exs",
        "import Config\n# secret_key_base: set by the platform\n",
    );
    t.commit("runtime.exs only mentions it");
    let (_, r) = t.only(&["generic-secrets"]).json();
    assert_eq!(found_lines(&r, "generic-secrets"), [5, 9], "{r:#}");
}

/// The line of each finding of check `id`, sorted.
fn found_lines(r: &serde_json::Value, id: &str) -> Vec<u64> {
    let mut v: Vec<u64> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .flat_map(|c| c["findings"].as_array().unwrap().clone())
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    v.sort();
    v
}
