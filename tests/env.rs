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

/// Commits the repository's files with a deploy environment file that sets none of them
/// (`deploy.env`: `OTHER=1`), and runs missing-env-vars against it.
fn missing_against_an_unrelated_env(t: &TestRepo) -> (i32, serde_json::Value) {
    t.write("deploy.env", "OTHER=1\n");
    t.commit("init");
    t.only(&["missing-env-vars"])
        .args(&["--env-file", "deploy.env"])
        .json()
}

fn code_repo() -> TestRepo {
    let t = TestRepo::new();
    t.write(
        "web/app.ts",
        "const a = process.env.JS_REQUIRED;\nconst b = process.env[\"JS_INDEX\"]!;\nconst g = process.env.JS_VALUE_ONLY;\nconst c = import.meta.env.VITE_API;\nconst d = process.env.JS_OPTIONAL ?? 'x';\nconst e = process.env.JS_OR || 'y';\nif (process.env.JS_PROBE) { enable(); }\nprocess.env.JS_WRITTEN = '1';\nconst f = process.env.cloudMode;\n",
    )
    .write(
        "svc/app.py",
        "import os\nA = os.environ[\"PY_INDEX\"]\nB = os.environ.get(\"PY_GET\")\nC = os.getenv(\"PY_GETENV\")\nD = os.getenv(\"PY_DEFAULT\", \"d\")\nE = os.environ.get('PY_GET_DEFAULT', 'x')\nF = os.getenv(\"PY_CHECKED\")\nif not F:\n    raise RuntimeError(\"PY_CHECKED is not set\")\n# G = os.environ[\"PY_COMMENTED\"]\n",
    )
    .write(
        "src/main.rs",
        "fn main() {\n    let a = std::env::var(\"RS_VAR\").unwrap();\n    let b = env!(\"RS_MACRO\");\n    let c = std::env::var(\"RS_DEFAULT\").unwrap_or_default();\n    if let Ok(d) = std::env::var(\"RS_PROBE\") {}\n}\n#[cfg(test)]\nmod tests {\n    fn t() { std::env::var(\"RS_IN_TEST\").unwrap(); }\n}\n",
    )
    .write("cmd/main.go", "package main\nimport \"os\"\nvar a = os.Getenv(\"GO_GETENV\")\nvar b, _ = os.LookupEnv(\"GO_LOOKUP\")\n")
    .write("app/config.rb", "A = ENV[\"RB_INDEX\"]\nB = ENV.fetch(\"RB_FETCH\")\nC = ENV.fetch(\"RB_DEFAULT\", \"x\")\nD = ENV.fetch(\"RB_BLOCK\") { 1 }\nE = ENV[\"RB_PRESENT\"].present?\n")
    .write(
        "docker-compose.yml",
        "services:\n  app:\n    environment:\n      - DB=${COMPOSE_REQUIRED:?set it}\n      - LOG=${COMPOSE_DEFAULT:-info}\n      - HOME_DIR=${HOME}\n      - PROVIDED_BY_COMPOSE=1\n",
    )
    .write("web/db.js", "connect(process.env.PROVIDED_BY_COMPOSE);\n")
    .write("deploy.sh", "LOCAL_VAR=1\necho \"${LOCAL_VAR} ${SH_PARAM}\"\npsql \"${SH_REQUIRED:?set it}\"\n")
    .write("vite.config.ts", "export default { base: process.env.TOOLING_ONLY };\n")
    .write("tests/test_app.py", "os.environ[\"ONLY_IN_TESTS\"]\n")
    .write("README.md", "Set `process.env.ONLY_IN_DOCS`.\n")
    .write(
        "deploy/k8s/web.yaml",
        "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          env:\n            - name: JS_REQUIRED\n              valueFrom: {secretKeyRef: {name: web, key: js}}\n            - name: RB_INDEX\n              value: x\n",
    )
    .write("deploy.env", "# nothing yet\n");
    t.commit("init");
    t
}

/// Each language's forms both ways: what the code requires is reported, and beside each, the
/// read it does not require (a default, a test, a write, a comment, a test module, tooling, a
/// build-time macro, a bundler-inlined name, a name the compose file sets, a value read no deploy
/// manifest declares). Value reads (`process.env.JS_REQUIRED`, `ENV["RB_INDEX"]`) count because
/// the Kubernetes manifest hands those names to the program.
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
        "PY_INDEX",
        "PY_CHECKED",
        "RS_VAR",
        "RB_INDEX",
        "RB_FETCH",
        "COMPOSE_REQUIRED",
        "SH_REQUIRED",
    ];
    expected.sort();
    assert_eq!(got, expected);
    // Each finding points at where the name is required, and says why.
    let f = check(&r, "missing-env-vars")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["location"]["name"] == "PY_INDEX")
        .unwrap()
        .clone();
    assert_eq!(f["location"]["path"], "svc/app.py");
    assert_eq!(f["location"]["line"], 2);
    assert_eq!(
        f["message"],
        "PY_INDEX is required (svc/app.py:2) but not set in deploy.env"
    );
    assert!(f["evidence"].as_str().unwrap().contains("fails when unset"));

    // Set them, and the check passes.
    let all: String = expected.iter().map(|n| format!("{n}=v\n")).collect();
    t.write("deploy.env", all);
    let (code, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-file", "deploy.env"])
        .json();
    assert_eq!(code, 0, "{r:#}");
}

/// One read with a default does not make a name optional where another read requires it.
#[test]
fn requiredness_is_per_read_not_per_name() {
    let t = TestRepo::new();
    t.write(
        "compose.yml",
        "services:\n  web:\n    environment:\n      - HOST=${DOMAIN:-localhost}\n",
    )
    .write(
        "compose.deploy.yml",
        "services:\n  web:\n    labels:\n      - rule=Host(`${DOMAIN:?Variable not set}`)\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(names(&r, "missing-env-vars"), ["DOMAIN"]);
    assert_eq!(
        check(&r, "missing-env-vars")["findings"][0]["location"]["path"],
        "compose.deploy.yml"
    );
}

/// A Python read inside a block that tests the environment (`if "X" in os.environ:`, a feature
/// the deploy may leave off) requires nothing; the same read at the top level, under a test that
/// is not about the environment, or under a negated test still does.
#[test]
fn python_reads_under_an_environment_test_are_conditional() {
    let t = TestRepo::new();
    t.write(
        "site/settings/production.py",
        "import os\nSECRET_KEY = os.environ[\"SECRET_KEY\"]\nif not DEBUG:\n    DB = os.environ[\"DATABASE_URL\"]\nif \"S3_BUCKET\" not in os.environ:\n    MEDIA = os.environ[\"MEDIA_ROOT\"]\n\nif \"S3_BUCKET\" in os.environ:\n    BUCKET = os.getenv(\"S3_BUCKET\")\n    if \"S3_REGION\" in os.environ:\n        REGION = os.environ[\"S3_REGION\"]\n\nif (\n    \"CF_TOKEN\" in os.environ\n    or \"CF_BEARER\" in os.environ\n):\n    CACHE = {\n        \"default\": {\n            \"ZONE\": os.environ[\"CF_ZONE\"],\n        }\n    }\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        names(&r, "missing-env-vars"),
        ["DATABASE_URL", "MEDIA_ROOT", "SECRET_KEY"]
    );
}

/// A read whose own line asks whether the variable is set (paperless-ngx's
/// `os.environ["X"] if "X" in os.environ else None`) is optional, as is a name built at run time
/// from a prefix (saleor's `"DJANGO_SUPERUSER_" + field.upper()`). A read asking about another
/// name, and the same subscript alone, still require it.
#[test]
fn python_reads_that_ask_first_or_name_a_prefix_are_not_required() {
    let t = TestRepo::new();
    t.write(
        "site/settings.py",
        "import os\nPROXY = os.environ[\"PROXY_SSL_HEADER\"] if \"PROXY_SSL_HEADER\" in os.environ else None\nHOST = os.environ[\"DB_HOST\"] if \"DB_PORT\" in os.environ else None\nUSER = os.environ[\"DJANGO_SUPERUSER_\"]\nKEY = os.environ[\"SECRET_KEY\"]\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(names(&r, "missing-env-vars"), ["DB_HOST", "SECRET_KEY"]);
}

/// The `.env` beside a compose file provides its `${X}`; a framework's own requirement counts.
#[test]
fn compose_env_files_and_framework_requirements() {
    let t = TestRepo::new();
    t.write(
        "compose.yaml",
        "services:\n  app:\n    image: app:${TAG:?set the tag}\n    env_file: [config/app.env]\n",
    )
    .write(".env", "TAG=1.4\n")
    .write("config/app.env", "API_SECRET=placeholder\n")
    .write(
        "server.js",
        "const s = process.env.API_SECRET!;\nsign(s);\n",
    )
    .write("artisan", "#!/usr/bin/env php\n")
    .write(
        "composer.json",
        "{\"require\": {\"laravel/framework\": \"^12.0\"}}\n",
    )
    .write(
        "config/app.php",
        "<?php return ['key' => env('APP_KEY'), 'debug' => env('APP_DEBUG', false)];\n",
    )
    .write("deploy.env", "X=1\n");
    t.commit("init");
    let (_, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-file", "deploy.env"])
        .json();
    assert_eq!(names(&r, "missing-env-vars"), ["APP_KEY"]);
    assert!(check(&r, "missing-env-vars")["findings"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("Laravel"));
}

/// A variable the code requires that the example file does not list is reported (a warning);
/// one it lists is not; without an example file nothing is said.
#[test]
fn undocumented_variables_are_reported_when_an_example_exists() {
    let t = TestRepo::new();
    t.write(
        ".env.example",
        "# required: where the database is\nDATABASE_URL=\n",
    )
    .write(
        "app.py",
        "import os\nDB = os.environ[\"DATABASE_URL\"]\nKEY = os.environ[\"SIGNING_KEY\"]\n",
    );
    t.commit("init");
    let (code, r) = t.only(&["undocumented-env-vars"]).json();
    assert_eq!(code, 0, "a warning: {r:#}");
    assert_eq!(status(&r, "undocumented-env-vars"), "warn");
    assert_eq!(
        findings(&r, "undocumented-env-vars"),
        ["SIGNING_KEY is required (app.py:3) but .env.example does not list it: the next environment will miss it"]
    );
    t.remove(".env.example");
    t.commit("no example");
    let (_, r) = t.only(&["undocumented-env-vars"]).json();
    assert_eq!(status(&r, "undocumented-env-vars"), "pass");
}

#[test]
fn examples_empty_values_parity_and_later_files_win() {
    let t = TestRepo::new();
    t.write(
        ".env.example",
        "DATABASE_URL=\nSECRET_KEY= # required\n# Required: turns the new flow on\nFEATURE_X=\nOPTIONAL_KNOB=\n",
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
            "OPTIONAL_KNOB is in .env.example but not in prod.env",
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
        "prod.env:2: the value of `B` opens a double quote that is never closed"
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
    let (code, _) = t
        .only(&["missing-env-vars"])
        .args(&["--stage", "release"])
        .env("SHIPGATE_TEST_NEEDED", "1")
        .json();
    assert_eq!(code, 0);
    // Parity needs the deploy env file.
    let (_, r) = t.json(&["--stage", "release", "--only", "env-parity"]);
    assert!(check(&r, "env-parity")["reason"]
        .as_str()
        .unwrap()
        .contains("--env-file"));
}

/// Env files are read as the apps that load them read them (python-dotenv, dotenvy, compose):
/// `A= # comment` is empty, `A=#x` is a value, `${VAR}` is expanded from above and from the files
/// given before; a `${VAR}` set in no file is set with a value not known here, never "empty".
#[test]
fn env_files_read_as_the_apps_that_load_them() {
    let t = TestRepo::new();
    t.write(
        ".env.example",
        "SECRET_KEY= # required\nSALT= # required\nAPI_URL= # required\nDB_URL= # required\n",
    )
    .write(
        "prod.env",
        "SECRET_KEY= # set by the deploy, see ops/README\nSALT=#kept\nAPI_URL=http://${API_HOST}:8080\nDB_URL=${DATABASE_URL}\n",
    )
    .write("base.env", "API_HOST=localhost\n");
    t.commit("init");
    let (code, r) = t.json(&[
        "--only",
        "empty-env-vars,dev-values-in-env",
        "--env-file",
        "base.env",
        "--env-file",
        "prod.env",
    ]);
    assert_eq!(code, 1, "{r:#}");
    // Empty, as the app reads it: a comment is not a value (but `#kept` right after `=` is one).
    assert_eq!(
        findings(&r, "empty-env-vars"),
        ["SECRET_KEY is set but empty in base.env, prod.env"]
    );
    // Expanded: the local address comes from base.env, reported at the line in prod.env.
    assert_eq!(
        findings(&r, "dev-values-in-env"),
        ["API_URL has a development value (local-address) in base.env, prod.env"]
    );
    let f = &check(&r, "dev-values-in-env")["findings"][0];
    assert_eq!(
        (&f["location"]["path"], &f["location"]["line"]),
        (&"prod.env".into(), &3.into())
    );
    // Without base.env, API_HOST is set nowhere: the value is not known, so not a finding.
    let (code, r) = t.json(&[
        "--only",
        "empty-env-vars,dev-values-in-env",
        "--env-file",
        "prod.env",
    ]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "dev-values-in-env"), "pass");
}

/// The Actions runner sets every one of GitHub's default variables for an action's step
/// (`GITHUB_ACTION_PATH`: black's `action/main.py`), so the deploy never provides them; a token
/// an action must be given (`GITHUB_TOKEN` is not a default variable) is still required. And an
/// abort under an equality test (`X === "hosted"`) happens only when the variable is set: a
/// condition; under an inequality (`X !== "ready"`) it happens when it is unset: required.
#[test]
fn runner_variables_and_equality_tests_are_not_requirements() {
    let t = TestRepo::new();
    t.write(
        "action/main.py",
        "import os\nfrom pathlib import Path\nACTION_PATH = Path(os.environ[\"GITHUB_ACTION_PATH\"])\nWORKFLOW = os.environ[\"GITHUB_WORKFLOW_REF\"]\nTOKEN = os.environ[\"GITHUB_TOKEN\"]\n",
    )
    .write(
        "server/scripts/backfill.ts",
        "const teamId = process.argv[2];\nif (!teamId && process.env.DEPLOYMENT === \"hosted\") {\n  throw new Error(\"Team ID is required\");\n}\nif (process.env.MIGRATION_MODE !== \"ready\") {\n  throw new Error(\"set MIGRATION_MODE\");\n}\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        names(&r, "missing-env-vars"),
        ["GITHUB_TOKEN", "MIGRATION_MODE"]
    );
}

/// wallabag's release script: `TMP_FOLDER=$2` and then `rm -rf "${TMP_FOLDER:?}"/…`. The `:?`
/// guards what the script computed itself, not the environment. A `${X:?}` of a variable the
/// script never sets (or sets only after the read) still requires it.
#[test]
fn a_shell_scripts_own_variable_is_no_requirement() {
    let t = TestRepo::new();
    t.write(
        "scripts/release.sh",
        "#!/usr/bin/env bash\nVERSION=app-$1\nTMP_FOLDER=$2\nexport OUT_DIR=\"$3\"\nfor ITEM in a b; do :; done\nrm -rf \"${TMP_FOLDER:?}\"/\"${OUT_DIR:?}\"\necho \"${ITEM:?}\"\npsql \"${DATABASE_URL:?set DATABASE_URL}\"\necho \"${LATE:?}\"\nLATE=1\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(names(&r, "missing-env-vars"), ["DATABASE_URL", "LATE"]);
}

/// linkwarden asks whether billing is configured (`Boolean(process.env.X)`,
/// `process.env.X ? true : false`) and throws only inside the billing client: a switch of a
/// feature the program runs without. The true case beside it: the same abort on a name nothing
/// turns into a yes/no (an `if (process.env.X)` log line is no such question) is still required.
#[test]
fn an_abort_on_a_feature_switch_is_the_features_requirement() {
    let t = TestRepo::new();
    t.write(
        "lib/billing/googlePlay.ts",
        "export const isGooglePlayConfigured = () =>\n  Boolean(process.env.GOOGLE_PLAY_SERVICE_ACCOUNT_JSON);\n\nconst getClient = () => {\n  const raw = process.env.GOOGLE_PLAY_SERVICE_ACCOUNT_JSON;\n\n  if (!raw)\n    throw new Error(\"Missing GOOGLE_PLAY_SERVICE_ACCOUNT_JSON\");\n  return raw;\n};\n",
    )
    .write(
        "lib/billing/stripe.ts",
        "const stripeEnabled = process.env.STRIPE_SECRET_KEY ? true : false;\n\nexport default function stripeSDK() {\n  const secretKey = process.env.STRIPE_SECRET_KEY;\n\n  if (!secretKey) {\n    throw new Error(\"Stripe secret key is not defined\");\n  }\n  return secretKey;\n}\n",
    )
    .write(
        "lib/db.ts",
        "if (process.env.POSTGRES_URL) console.log(\"db configured\");\nconst url = process.env.POSTGRES_URL;\n\nif (!url) {\n  throw new Error(\"POSTGRES_URL is not set\");\n}\n",
    );
    let (code, r) = missing_against_an_unrelated_env(&t);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(names(&r, "missing-env-vars"), ["POSTGRES_URL"]);
}
