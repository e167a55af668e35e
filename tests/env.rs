//! The deploy environment: required names from the code (each language's forms, defaults), from
//! example files and lists; empty values, parity, development values, public secrets; dotenv
//! errors; values never printed.

use crate::util::{check, status, TestRepo};

fn findings(r: &serde_json::Value, id: &str) -> Vec<String> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn names(r: &serde_json::Value, id: &str) -> Vec<String> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn code_repo() -> TestRepo {
    let t = TestRepo::new();
    t.write(
        "web/app.ts",
        "const a = process.env.JS_REQUIRED;\nconst b = process.env[\"JS_INDEX\"];\nconst c = import.meta.env.VITE_API;\nconst d = process.env.JS_OPTIONAL ?? 'x';\nconst e = process.env.JS_OR || 'y';\n",
    )
    .write(
        "svc/app.py",
        "import os\nA = os.environ[\"PY_INDEX\"]\nB = os.environ.get(\"PY_GET\")\nC = os.getenv(\"PY_GETENV\")\nD = os.getenv(\"PY_DEFAULT\", \"d\")\nE = os.environ.get('PY_GET_DEFAULT', 'x')\n",
    )
    .write(
        "src/main.rs",
        "fn main() {\n    let a = std::env::var(\"RS_VAR\").unwrap();\n    let b = env!(\"RS_MACRO\");\n    let c = std::env::var(\"RS_DEFAULT\").unwrap_or_default();\n}\n",
    )
    .write("cmd/main.go", "package main\nimport \"os\"\nvar a = os.Getenv(\"GO_GETENV\")\nvar b, _ = os.LookupEnv(\"GO_LOOKUP\")\n")
    .write("app/config.rb", "A = ENV[\"RB_INDEX\"]\nB = ENV.fetch(\"RB_FETCH\")\nC = ENV.fetch(\"RB_DEFAULT\", \"x\")\nD = ENV.fetch(\"RB_BLOCK\") { 1 }\n")
    .write(
        "docker-compose.yml",
        "services:\n  app:\n    environment:\n      - DB=${COMPOSE_REQUIRED:?set it}\n      - LOG=${COMPOSE_DEFAULT:-info}\n      - HOME_DIR=${HOME}\n",
    )
    .write("deploy.sh", "LOCAL_VAR=1\necho \"${LOCAL_VAR} ${SH_REQUIRED}\"\n")
    .write("tests/test_app.py", "os.environ[\"ONLY_IN_TESTS\"]\n")
    .write("README.md", "Set `process.env.ONLY_IN_DOCS`.\n")
    .write("deploy.env", "# nothing yet\n");
    t.commit("init");
    t
}

#[test]
fn required_names_come_from_every_language_and_defaults_are_optional() {
    let t = code_repo();
    let (code, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-file", "deploy.env"])
        .json();
    assert_eq!(code, 1, "{r:#}");
    let mut got = names(&r, "missing-env-vars");
    got.sort();
    let mut expected = vec![
        "JS_REQUIRED",
        "JS_INDEX",
        "VITE_API",
        "PY_INDEX",
        "PY_GET",
        "PY_GETENV",
        "RS_VAR",
        "RS_MACRO",
        "GO_GETENV",
        "GO_LOOKUP",
        "RB_INDEX",
        "RB_FETCH",
        "COMPOSE_REQUIRED",
        "SH_REQUIRED",
    ];
    expected.sort();
    assert_eq!(got, expected);
    // Each finding points at where the name is required.
    let f = check(&r, "missing-env-vars")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["name"] == "PY_GETENV")
        .unwrap()
        .clone();
    assert_eq!(f["location"]["path"], "svc/app.py");
    assert_eq!(f["location"]["line"], 4);
    assert_eq!(
        f["message"],
        "PY_GETENV is required (svc/app.py:4) but not set in deploy.env"
    );

    // Set them, and the check passes.
    let all: String = expected.iter().map(|n| format!("{n}=v\n")).collect();
    t.write("deploy.env", all);
    let (code, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-file", "deploy.env"])
        .json();
    assert_eq!(code, 0, "{r:#}");
}

#[test]
fn examples_empty_values_parity_and_later_files_win() {
    let t = TestRepo::new();
    t.write(
        ".env.example",
        "DATABASE_URL=\nSECRET_KEY=\n# comment\nFEATURE_X=\n",
    )
    .write(
        "prod.env",
        "DATABASE_URL=postgres://db.internal/app\nSECRET_KEY=\nUNDOCUMENTED=1\n",
    )
    .write("override.env", "FEATURE_X=on\n");
    t.commit("init");
    let (code, r) = t.json(&[
        "--only",
        "missing-env-vars",
        "--only",
        "empty-env-vars",
        "--only",
        "env-parity",
        "--env-file",
        "prod.env",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&r, "missing-env-vars"),
        ["FEATURE_X is required (.env.example:4) but not set in prod.env"]
    );
    assert_eq!(
        findings(&r, "empty-env-vars"),
        ["SECRET_KEY is set but empty in prod.env"]
    );
    assert_eq!(status(&r, "empty-env-vars"), "warn");
    assert_eq!(
        findings(&r, "env-parity"),
        [
            "FEATURE_X is in .env.example but not in prod.env",
            "UNDOCUMENTED is in prod.env but not in .env.example: document it there"
        ]
    );
    let (_, r) = t.json(&[
        "--only",
        "missing-env-vars",
        "--env-file",
        "prod.env",
        "--env-file",
        "override.env",
    ]);
    assert_eq!(status(&r, "missing-env-vars"), "pass");
}

#[test]
fn development_values_and_public_secrets_never_print_values() {
    let t = TestRepo::new();
    let secret = format!("{}{}", "sk_live_", "0123456789abcdefghijklmn");
    t.write(
        "prod.env",
        format!(
            "DEBUG=true\nNODE_ENV=development\nDATABASE_URL=postgres://app:hunter2@localhost/app\nNEXT_PUBLIC_STRIPE_KEY={secret}\nVITE_DB_PASSWORD=hunter3\nNEXT_PUBLIC_API_URL=https://api.example.com\n"
        ),
    );
    t.commit("init");
    let (code, r) = t.json(&[
        "--only",
        "dev-values-in-env",
        "--only",
        "public-env-secrets",
        "--env-file",
        "prod.env",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&r, "dev-values-in-env"),
        [
            "DATABASE_URL has a development value (local-address) in prod.env",
            "DEBUG has a development value (debug-on) in prod.env",
            "NODE_ENV has a development value (development-environment) in prod.env",
        ]
    );
    assert_eq!(
        findings(&r, "public-env-secrets"),
        [
            "NEXT_PUBLIC_STRIPE_KEY is shipped to browsers (the NEXT_PUBLIC_ prefix) and its value looks like a stripe-live-key",
            "VITE_DB_PASSWORD is shipped to browsers (the VITE_ prefix) and its name says it is secret",
        ]
    );
    let f = &check(&r, "dev-values-in-env")["findings"][1];
    assert_eq!(f["location"]["path"], "prod.env");
    assert_eq!(f["location"]["line"], 1);
    let text = r.to_string();
    for v in [secret.as_str(), "hunter2", "hunter3"] {
        assert!(!text.contains(v), "{v} printed");
    }
    let (_, out, err) = t.run(&[
        "run",
        "--only",
        "public-env-secrets",
        "--env-file",
        "prod.env",
    ]);
    assert!(!out.contains(&secret) && !err.contains(&secret));
}

#[test]
fn dotenv_errors_name_file_and_line() {
    let t = TestRepo::new();
    t.write("prod.env", "A=1\nB=\"unterminated\nC=3\n");
    t.commit("init");
    let (code, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-file", "prod.env"])
        .json();
    assert_eq!(code, 2);
    assert_eq!(status(&r, "missing-env-vars"), "error");
    assert_eq!(
        check(&r, "missing-env-vars")["reason"],
        "prod.env:2: the value of B opens a double quote that is never closed"
    );
}

#[test]
fn stages_choose_the_environment() {
    let t = TestRepo::new();
    t.write(
        "app.py",
        "import os\nX = os.environ[\"SHIPGATE_TEST_NEEDED\"]\n",
    );
    t.commit("init");
    // In CI without an env file: skipped, with the reason.
    let (code, r) = t.only(&["missing-env-vars"]).json();
    assert_eq!(code, 0);
    assert_eq!(status(&r, "missing-env-vars"), "skip");
    // At release, the process environment is the deploy environment.
    let (code, r) = t.json(&["--stage", "release", "--only", "missing-env-vars"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&r, "missing-env-vars"),
        ["SHIPGATE_TEST_NEEDED is required (app.py:2) but not set in the process environment"]
    );
    let out = t
        .cmd()
        .args([
            "run",
            "-f",
            "json",
            "--stage",
            "release",
            "--only",
            "missing-env-vars",
        ])
        .env("SHIPGATE_TEST_NEEDED", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Parity needs the deploy env file.
    let (_, r) = t.json(&["--stage", "release", "--only", "env-parity"]);
    assert!(check(&r, "env-parity")["reason"]
        .as_str()
        .unwrap()
        .contains("--env-file"));
}
