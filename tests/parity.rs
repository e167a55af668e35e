//! Dev/prod parity (issue 17), end to end through `shipgate run`: runtime version drift, lockfiles
//! in sync with their manifests, the deploy environment read from the deploy's own manifests
//! (`--env-from`, `settings.env-from`), secrets written into them, and one version per dependency
//! across a monorepo. Each test puts the true case beside the case that must not be reported.

use crate::util::{check, status, TestRepo};

fn messages(r: &serde_json::Value, id: &str) -> Vec<String> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn workflow(python: &str) -> String {
    format!(
        "on: push\njobs:\n  test:\n    strategy:\n      matrix:\n        python: [{python}]\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{{{ matrix.python }}}}\n"
    )
}

/// Node: .nvmrc, the Dockerfile and CI agree at the precision they state; a CI matrix that
/// includes the pinned version is no drift; the Dockerfile that ships another major is, and the
/// finding names every declaration with file:line and value.
#[test]
fn runtime_version_drift_names_every_declaration() {
    let t = TestRepo::new();
    t.write(".nvmrc", "20.11.0\n")
        .write("Dockerfile", "ARG NODE=20\nFROM node:${NODE}-alpine\n")
        .write(
            ".github/workflows/ci.yml",
            "on: push\njobs:\n  test:\n    strategy:\n      matrix:\n        node: [18, 20, 22]\n    steps:\n      - uses: actions/setup-node@v4\n        with:\n          node-version: ${{ matrix.node }}\n",
        )
        .write("package.json", "{\n  \"name\": \"app\",\n  \"engines\": {\"node\": \">=18\"}\n}\n");
    t.commit("init");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 0, "{r:#}");

    t.write("Dockerfile", "ARG NODE=18\nFROM node:${NODE}-alpine\n");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 1, "{r:#}");
    let f = &check(&r, "runtime-version-drift")["findings"][0];
    let msg = f["message"].as_str().unwrap();
    for part in [
        ".nvmrc:1 pins 20.11.0",
        "Dockerfile:2 pins node:${NODE}-alpine",
        "package.json:3 requires >=18",
        ".github/workflows/ci.yml:6 tests 18",
    ] {
        assert!(msg.contains(part), "{part} missing from: {msg}");
    }
    assert!(f["location"]["path"].is_string() && f["location"]["line"].is_u64());
}

/// Python: requires-python is a range, `.python-version` a pin, CI's matrix what is tested; a
/// pin outside the matrix is drift, a pin inside it is not; a pyproject that does not parse is
/// an error naming the file and line.
#[test]
fn runtime_versions_python_ranges_matrices_and_bad_input() {
    let t = TestRepo::new();
    t.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nrequires-python = \">=3.10\"\n",
    )
    .write(".python-version", "3.12\n")
    .write(
        ".github/workflows/ci.yml",
        workflow("'3.10', '3.11', '3.12'"),
    );
    t.commit("init");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 0, "{r:#}");

    t.write(".github/workflows/ci.yml", workflow("'3.10', '3.11'"));
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 1, "{r:#}");
    assert!(messages(&r, "runtime-version-drift")[0].contains("which CI never tests"));

    t.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nrequires-python = \n",
    );
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "runtime-version-drift"), "error");
    let f = &check(&r, "runtime-version-drift")["findings"][0];
    assert_eq!(f["location"]["path"], "pyproject.toml");
    assert_eq!(f["location"]["line"], 3);
}

/// Rust's rust-version is a floor, not a pin: a toolchain at or above it is fine.
#[test]
fn runtime_versions_rust_floor_and_toolchain() {
    let t = TestRepo::new();
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nrust-version = \"1.80\"\n",
    )
    .write("rust-toolchain.toml", "[toolchain]\nchannel = \"1.82.0\"\n")
    .write("Dockerfile", "FROM rust:1.82-slim\n");
    t.commit("init");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 0, "{r:#}");
    t.write("Dockerfile", "FROM rust:1.79-slim\n");
    let (code, r) = t.only(&["runtime-version-drift"]).json();
    assert_eq!(code, 1, "{r:#}");
    let m = &messages(&r, "runtime-version-drift")[0];
    assert!(m.contains("below the 1.80 that Cargo.toml:4 needs"), "{m}");
}

/// npm: a dependency changed in package.json but not in package-lock.json fails; the same files
/// in sync pass; an unknown lockfileVersion is an error naming the file and line.
#[test]
fn lockfile_in_sync_npm_and_unknown_versions() {
    let t = TestRepo::new();
    t.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"private\": true,\n  \"dependencies\": {\n    \"express\": \"^5.1.0\"\n  }\n}\n",
    )
    .write(
        "package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": {\"\": {\"dependencies\": {\"express\": \"^5.1.0\"}}}}",
    );
    t.commit("init");
    let (code, r) = t.only(&["lockfile-in-sync"]).json();
    assert_eq!(code, 0, "{r:#}");

    t.write(
        "package.json",
        "{\n  \"name\": \"app\",\n  \"private\": true,\n  \"dependencies\": {\n    \"express\": \"^5.1.0\",\n    \"pg\": \"^8.0.0\"\n  }\n}\n",
    );
    let (code, r) = t.only(&["lockfile-in-sync"]).json();
    assert_eq!(code, 1, "{r:#}");
    let f = &check(&r, "lockfile-in-sync")["findings"][0];
    assert_eq!(f["location"]["path"], "package.json");
    assert_eq!(f["location"]["line"], 6);
    assert!(f["message"].as_str().unwrap().contains("pg ^8.0.0"));

    t.write(
        "package-lock.json",
        "{\n  \"lockfileVersion\": 7,\n  \"packages\": {}\n}",
    );
    let (code, r) = t.only(&["lockfile-in-sync"]).json();
    assert_eq!(code, 2, "{r:#}");
    let f = &check(&r, "lockfile-in-sync")["findings"][0];
    assert_eq!(f["location"]["path"], "package-lock.json");
    assert_eq!(f["location"]["line"], 2);
}

/// Cargo, Go and Poetry: a member bumped without its lock, a require without its go.sum lines,
/// a pyproject edited after `poetry lock`; beside each, the files in sync. Lockfiles of test
/// fixtures do not count.
#[test]
fn lockfile_in_sync_cargo_go_poetry() {
    let t = TestRepo::new();
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.2.0\"\n[dependencies]\nserde = \"1\"\n",
    )
    .write(
        "Cargo.lock",
        "version = 4\n[[package]]\nname = \"app\"\nversion = \"0.2.0\"\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n",
    )
    .write("svc/go.mod", "module x\n\ngo 1.22\n\nrequire github.com/a/b v1.2.3\n")
    .write("svc/go.sum", "github.com/a/b v1.2.3/go.mod h1:abc=\n")
    // Poetry 2.5.1 wrote this content-hash for this pyproject.toml.
    .write(
        "py/pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = []\n\n[tool.poetry]\npackage-mode = false\n",
    )
    .write(
        "py/poetry.lock",
        "package = []\n\n[metadata]\nlock-version = \"2.1\"\npython-versions = \">=3.10\"\ncontent-hash = \"b08227dc5674045d1a6b5ab20f461c6a08d2d9bdfd724891aceb1a0c2b3614b1\"\n",
    )
    .write("tests/fixtures/stale/package.json", "{\"dependencies\": {\"x\": \"1\"}}")
    .write("tests/fixtures/stale/package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"\": {}}}");
    t.commit("init");
    let (code, r) = t.only(&["lockfile-in-sync"]).json();
    assert_eq!(code, 0, "{r:#}");

    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.3.0\"\n[dependencies]\nserde = \"1\"\n",
    )
    .write("svc/go.sum", "")
    .write(
        "py/pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\ndependencies = [\"httpx\"]\n\n[tool.poetry]\npackage-mode = false\n",
    );
    let (code, r) = t.only(&["lockfile-in-sync"]).json();
    assert_eq!(code, 1, "{r:#}");
    let m = messages(&r, "lockfile-in-sync");
    assert_eq!(m.len(), 3, "{m:#?}");
    assert!(m
        .iter()
        .any(|m| m.contains("version 0.3.0 in Cargo.toml but 0.2.0")));
    assert!(m.iter().any(|m| m.contains("github.com/a/b v1.2.3")));
    assert!(m
        .iter()
        .any(|m| m.contains("py/poetry.lock is out of date")));
}

/// A Kubernetes manifest is the deploy environment: a literal value, a secretKeyRef (provided,
/// no value: not empty), a ConfigMap of the same files (its keys); a name none of them sets is
/// missing. A ConfigMap defined elsewhere makes the required names possibly provided, and
/// deploy-manifest-refs says so.
#[test]
fn env_from_kubernetes_is_the_deploy_environment() {
    let t = TestRepo::new();
    t.write(
        "app.py",
        "import os\nA = os.environ[\"DATABASE_URL\"]\nB = os.environ[\"API_TOKEN\"]\nC = os.environ[\"LOG_LEVEL\"]\nD = os.environ[\"REDIS_URL\"]\n",
    )
    .write(
        "k8s/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG_LEVEL: info\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          env:\n            - name: DATABASE_URL\n              value: postgres://db.internal/app\n            - name: API_TOKEN\n              valueFrom:\n                secretKeyRef: {name: api, key: token}\n          envFrom:\n            - configMapRef:\n                name: app\n",
    );
    t.commit("init");
    let ids = [
        "missing-env-vars",
        "empty-env-vars",
        "deploy-manifest-refs",
        "deploy-manifest-secrets",
    ];
    let (code, r) = t.only(&ids).args(&["--env-from", "k8s/app.yaml"]).json();
    assert_eq!(code, 1, "{r:#}");
    let missing = &check(&r, "missing-env-vars")["findings"];
    assert_eq!(missing.as_array().unwrap().len(), 1, "{r:#}");
    assert_eq!(missing[0]["location"]["name"], "REDIS_URL");
    assert!(missing[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("not set in k8s/app.yaml"));
    assert_eq!(
        status(&r, "empty-env-vars"),
        "pass",
        "a secret reference is not empty"
    );
    assert_eq!(status(&r, "deploy-manifest-refs"), "pass");
    assert_eq!(status(&r, "deploy-manifest-secrets"), "pass");

    // REDIS_URL from a ConfigMap defined elsewhere: possibly provided, and said so.
    t.write(
        "k8s/app.yaml",
        std::fs::read_to_string(t.path("k8s/app.yaml")).unwrap().replace(
            "                name: app\n",
            "                name: app\n            - configMapRef:\n                name: cache-settings\n",
        ),
    );
    let (code, r) = t.only(&ids).args(&["--env-from", "k8s/app.yaml"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "missing-env-vars"), "pass");
    assert_eq!(status(&r, "deploy-manifest-refs"), "warn");
    let m = &messages(&r, "deploy-manifest-refs")[0];
    assert!(
        m.contains("configMap cache-settings") && m.contains("keys are not known"),
        "{m}"
    );
}

/// A secret written into a manifest is reported with its file and line, redacted; its value never
/// appears in the output.
#[test]
fn secrets_written_into_manifests_are_redacted() {
    let t = TestRepo::new();
    let secret = ["k9Qx2Lr7", "Pz4Wm1Vb8Tn3"].concat();
    t.write(
        "fly.toml",
        format!("app = \"api\"\n\n[env]\n  PORT = \"8080\"\n  SESSION_SECRET = \"{secret}\"\n"),
    );
    t.commit("init");
    let (code, stdout, _) = t.run(&[
        "run",
        "-f",
        "json",
        "--only",
        "deploy-manifest-secrets",
        "--env-from",
        "fly.toml",
    ]);
    assert_eq!(code, 1, "{stdout}");
    assert!(!stdout.contains(&secret), "a secret was printed whole");
    let r: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let f = &check(&r, "deploy-manifest-secrets")["findings"][0];
    assert_eq!(f["location"]["path"], "fly.toml");
    assert_eq!(f["location"]["line"], 5);
    assert_eq!(f["evidence"], "k9Qx…");
}

/// A compose file (named as a deploy names it), app.json and render.yaml feed the env checks like an env file; a manifest that does
/// not parse is an error naming the file and line, never a pass; `.shipgate.yaml` names the
/// manifests per stage, strictly.
#[test]
fn env_from_compose_heroku_render_and_settings() {
    let t = TestRepo::new();
    t.write(
        "server.js",
        "const url = process.env.DATABASE_URL;\nif (!url) throw new Error('DATABASE_URL is not set');\nconnect(url);\n",
    )
    .write(
            "deploy/stack.yaml",
            "services:\n  web:\n    env_file: [web.env]\n    environment:\n      NODE_ENV: production\n",
        )
        .write("deploy/web.env", "DATABASE_URL=postgres://db/app\n")
        .write("app.json", "{\"env\": {\"DATABASE_URL\": {\"required\": true}}}\n")
        .write(
            "render.yaml",
            "services:\n  - type: web\n    envVars:\n      - key: NODE_ENV\n        value: production\n",
        );
    t.commit("init");
    for (manifest, code) in [
        ("deploy/stack.yaml", 0),
        ("app.json", 0),
        ("render.yaml", 1),
    ] {
        let (got, r) = t
            .only(&["missing-env-vars"])
            .args(&["--env-from", manifest])
            .json();
        assert_eq!(got, code, "{manifest}: {r:#}");
    }

    t.write("render.yaml", "services:\n  - type: web\n    envVars: [\n");
    let (code, r) = t
        .only(&["missing-env-vars"])
        .args(&["--env-from", "render.yaml"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "missing-env-vars"), "error");

    // settings.env-from: CI reads the compose file without a flag.
    t.write(
        ".shipgate.yaml",
        "settings:\n  env-from:\n    ci: [deploy/stack.yaml]\n",
    );
    let (code, r) = t.only(&["missing-env-vars"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "missing-env-vars"), "pass");

    t.write(
        ".shipgate.yaml",
        "settings:\n  env-from:\n    ci: [deploy/stack.yaml]\n    prod: [x.yaml]\n",
    );
    let (code, _, stderr) = t.run(&["run"]);
    assert_eq!(code, 2);
    assert!(stderr.contains(".shipgate.yaml:4"), "{stderr}");
    assert!(stderr.contains("unknown field `prod`"), "{stderr}");
}

/// Two workspace packages asking for React 18 and 19 are reported as a warning; caret
/// requirements one version satisfies are not.
#[test]
fn monorepo_dependency_versions() {
    let t = TestRepo::new();
    t.write(
        "package.json",
        "{\"private\": true, \"workspaces\": [\"packages/*\"]}",
    )
    .write(
        "packages/web/package.json",
        "{\"name\": \"web\", \"dependencies\": {\"react\": \"^18.2.0\", \"zod\": \"^3.22.0\"}}",
    )
    .write(
        "packages/admin/package.json",
        "{\"dependencies\": {\"react\": \"^19.0.0\", \"zod\": \"^3.23.8\", \"web\": \"workspace:*\"}}",
    );
    t.commit("init");
    let (code, r) = t.only(&["monorepo-dependency-versions"]).json();
    assert_eq!(code, 0, "a warning does not fail the gate: {r:#}");
    assert_eq!(status(&r, "monorepo-dependency-versions"), "warn");
    let m = messages(&r, "monorepo-dependency-versions");
    assert_eq!(m.len(), 1, "{m:#?}");
    assert!(
        m[0].contains("packages/web/package.json:1 asks for ^18.2.0"),
        "{}",
        m[0]
    );
    // Built apart (admin no longer loads web), each app installs the React it asked for.
    t.write(
        "packages/admin/package.json",
        "{\"dependencies\": {\"react\": \"^19.0.0\", \"zod\": \"^3.23.8\"}}",
    );
    t.commit("admin stands alone");
    let (code, r) = t.only(&["monorepo-dependency-versions"]).json();
    assert_eq!(code, 0, "{r:#}");
    assert!(
        messages(&r, "monorepo-dependency-versions").is_empty(),
        "{r:#}"
    );
}

/// yarn locks a dependency under the root's `resolutions` entry, not under the range the manifest
/// asks for (outline's `"@types/koa": "^2.15.1"` resolved to `2.15.1`, locked as
/// `@types/koa@npm:2.15.1`). The true cases beside it: a dependency with no resolution and no
/// lock entry, and a resolution the lock does not have either, are still drift.
#[test]
fn yarn_resolutions_are_what_the_lock_records() {
    let t = TestRepo::new();
    t.write(
        "package.json",
        "{\"name\": \"app\", \"private\": true, \"dependencies\": {\"koa\": \"^2.15.0\"}, \"devDependencies\": {\"@types/koa\": \"^2.15.1\", \"@types/react\": \"^17.0.0\", \"typescript\": \"^5.4.0\"}, \"resolutions\": {\"@types/koa\": \"2.15.1\", \"**/@types/react\": \"17.0.91\"}}\n",
    )
    .write(
        "yarn.lock",
        "__metadata:\n  version: 8\n\n\"koa@npm:^2.15.0\":\n  version: 2.15.3\n\n\"@types/koa@npm:2.15.1\":\n  version: 2.15.1\n\n\"typescript@npm:^5.3.0\":\n  version: 5.3.3\n",
    );
    t.commit("init");
    let (code, r) = t.only(&["lockfile-in-sync-partial"]).json();
    assert_eq!(code, 0, "warnings only: {r:#}");
    let m = messages(&r, "lockfile-in-sync-partial");
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(
        m.iter().any(|m| m.contains("@types/react ^17.0.0")),
        "{m:?}"
    );
    assert!(m.iter().any(|m| m.contains("typescript ^5.4.0")), "{m:?}");
    assert!(!m.iter().any(|m| m.contains("@types/koa")), "{m:?}");
}
