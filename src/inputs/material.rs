//! What ships and what does not: the one notion every repository check shares.
//!
//! A file is *material* of a kind that does not ship when its path says so: tests and fixtures,
//! examples and samples, documentation, benchmarks, vendored third-party code, and development
//! tooling (build and CI configuration). `settings.material` in `.shipgate.yaml` replaces any
//! category's globs, and `settings.material.shipped` names paths that ship although a glob says
//! otherwise. Inside files that ship, two kinds of region do not count for some checks: test
//! modules (Rust `#[cfg(test)] mod …`) and comments (with doc comments and Python docstrings), found
//! by a small lexer per language family.
//!
//! Checks say what they look at with `scope` (see `Scope`); a pattern can be reported
//! `everywhere` (a live credential is a leak wherever it is).

use std::ops::Range;

use serde::Deserialize;

use crate::types::GlobList;

/// A kind of material that does not ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Material {
    Test,
    Example,
    Doc,
    Bench,
    Vendored,
    /// Build, CI and development configuration: it runs on developers' machines and CI runners.
    Tooling,
}

impl Material {
    pub const ALL: [Material; 6] = [
        Material::Test,
        Material::Example,
        Material::Doc,
        Material::Bench,
        Material::Vendored,
        Material::Tooling,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Material::Test => "test",
            Material::Example => "example",
            Material::Doc => "doc",
            Material::Bench => "bench",
            Material::Vendored => "vendored",
            Material::Tooling => "tooling",
        }
    }
}

/// What a check looks at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Every file.
    All,
    /// What ships: not tests, examples, docs, benches or vendored code, nor test modules inside
    /// sources. Development tooling counts (it is part of the repository people run).
    #[default]
    Shipped,
    /// What the program runs with: what ships, minus development tooling (build and CI
    /// configuration). For checks about what the program uses, such as the variables it reads.
    Runtime,
}

impl Scope {
    /// Whether a file of this material is looked at.
    pub fn covers(self, m: Option<Material>) -> bool {
        matches!(
            (self, m),
            (Scope::All, _) | (_, None) | (Scope::Shipped, Some(Material::Tooling))
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scope::All => "every file, tests and docs included",
            Scope::Shipped => {
                "what ships: not tests, fixtures, examples, docs, benches or vendored code (settings.material)"
            }
            Scope::Runtime => {
                "what the program runs: not tests, fixtures, examples, docs, benches, vendored code or build/CI tooling (settings.material)"
            }
        }
    }
}

/// The material globs, by category, and the paths that ship anyway.
#[derive(Debug, Clone)]
pub struct Materials {
    /// Per category, its globs in two lists: those of folders (`docs/`, `*-examples/`), which a
    /// path matches by its folder alone, and the others.
    by_kind: Vec<(Material, Split)>,
    shipped: Split,
}

/// A list of globs as its folder globs and the others (a path matches the list when it matches
/// either).
#[derive(Debug, Clone)]
struct Split {
    folders: GlobList,
    rest: GlobList,
}

impl Split {
    fn new(globs: &[String]) -> Result<Split, String> {
        // `dir/` means everything under dir (`types::compile_glob`): a path's file name cannot
        // change whether it matches.
        let (folders, rest): (Vec<String>, Vec<String>) = globs
            .iter()
            .cloned()
            .partition(|g| g.trim_start_matches("./").ends_with('/'));
        Ok(Split {
            folders: GlobList::new(&folders)?,
            rest: GlobList::new(&rest)?,
        })
    }
}

/// What the folder globs said of the folder last asked about: a walk lists a folder's files one
/// after another, and asking each file's path of every category's folder globs again was half of
/// the glob matching of a moby/moby run.
#[derive(Debug, Default)]
pub struct FolderMemo {
    folder: Option<String>,
    shipped: bool,
    kinds: u32,
}

const TEST: &[&str] = &[
    "test/",
    "tests/",
    "__tests__/",
    "__test__/",
    "spec/",
    "specs/",
    "testdata/",
    "test-data/",
    "test_data/",
    "testing/",
    "fixtures/",
    "__fixtures__/",
    "fixture/",
    "__mocks__/",
    // Jest's hand-written stand-ins (remark42's app/__stubs__/jwt.ts: an expired test token).
    "__stubs__/",
    "__snapshots__/",
    "mocks/",
    "e2e/",
    "cypress/",
    // Playwright's end-to-end suites (vaultwarden's `playwright/`, with its own compose stack).
    "playwright/",
    "integration-tests/",
    "test-fixtures/",
    // Throwaway local stacks to test against (linkding's scripts/test-environments/authelia-oidc).
    "test-environments/",
    "test-environment/",
    "__certs__/",
    "features/step_definitions/",
    "features/support/",
    "*_test.go",
    "test_*.py",
    "*_test.py",
    "tests.py",
    "conftest.py",
    "*.test.*",
    "*.spec.*",
    "*_spec.rb",
    "*_test.rb",
    "*Test.java",
    "*Tests.java",
    "*IT.java",
    "*Test.kt",
    "*Tests.kt",
    "*Spec.scala",
    "*Test.scala",
    "*Tests.cs",
    "*Test.php",
    "tests.rs",
    "test.rs",
    "*.feature",
    "*.snap",
    // Kotlin/Gradle source sets of tests.
    "commonTest/",
    "jvmTest/",
    "jsTest/",
    "nativeTest/",
    "androidTest/",
    "androidUnitTest/",
    "iosTest/",
    "testFixtures/",
    "integrationTest/",
    // Rails' test environment: loaded by the test suite only.
    "config/environments/test.rb",
    // Elixir (Mix) projects' test environment: `import_config "#{config_env()}.exs"` loads it
    // under `MIX_ENV=test` only.
    "config/test.exs",
    // Phoenix's development seeds (`mix ecto.setup` runs `priv/repo/seeds.exs` into a new
    // local database) and test data builders: ExMachina's `factory.ex` (hexpm keeps it in
    // `lib/`), factory_boy's `factories.py`. Rails' `db/seeds.rb` and Laravel's `seeders/` may
    // run in production (`db:seed`), and an app's own `factories/` is code: they ship.
    "priv/repo/seeds.exs",
    "factory.ex",
    "*_factory.ex",
    "factories.py",
    // The test environment's dotenv files: loaded when the test runner sets the environment to
    // `test` (outline's `.sequelizerc` picks `.env.test` under NODE_ENV=test; Laravel reads
    // `.env.testing` under APP_ENV=testing; Symfony `.env.test`). A live credential in one is
    // still reported (repo-secrets reports those wherever they are).
    ".env.test",
    ".env.testing",
];

const EXAMPLE: &[&str] = &[
    "examples/",
    "example/",
    "samples/",
    "sample/",
    "demo/",
    "demos/",
    "playground/",
    "playgrounds/",
    "_examples/",
    "example-*/",
    "*-example/",
    "*-examples/",
];

const DOC: &[&str] = &[
    "docs/",
    "doc/",
    "documentation/",
    // The code samples a documentation site includes (FastAPI's, Typer's and SQLModel's
    // `docs_src/security/tutorial004.py`).
    "docs_src/",
    "docs-src/",
    // API references (OpenAPI/Swagger specs and their examples): koel's `api-docs/api.yaml`.
    "api-docs/",
    "api_docs/",
    "apidocs/",
    "site/content/",
    "website/docs/",
    "_docs/",
    "man/",
    "*.md",
    "*.mdx",
    "*.markdown",
    "*.rst",
    "*.adoc",
    "*.asciidoc",
    "*.org",
    "CHANGELOG*",
    "CHANGES*",
    "HISTORY*",
    "NEWS*",
    "README*",
    "AUTHORS*",
    "CONTRIBUTING*",
    "*.ipynb",
    // How-to pages, in a docs tree or shipped as an application's help (wallabag's
    // `views/Developer/howto_app.html.twig`: a sample OAuth exchange with made-up tokens).
    "*howto*",
    "*how-to*",
    "*how_to*",
];

const BENCH: &[&str] = &[
    "bench/",
    "benches/",
    "benchmark/",
    "benchmarks/",
    "perf/",
    "*_bench.go",
    "*.bench.*",
    "*_benchmark.*",
];

const VENDORED: &[&str] = &[
    "vendor/",
    "vendors/",
    "third_party/",
    "third-party/",
    "thirdparty/",
    "external/",
    "node_modules/",
    "bower_components/",
    "jspm_packages/",
    ".yarn/",
    "*.min.js",
    "*.min.css",
    "*.min.mjs",
    "*-min.js",
    "*.bundle.js",
    "*.pb.go",
    "*_pb2.py",
    "*.generated.*",
    // Linters' and type checkers' baselines: the findings a tool recorded, paths of the machine
    // it ran on included (paperless-ngx's `.pyrefly-baseline.json`).
    "*baseline.json",
    "*-baseline.neon",
    "*-baseline.xml",
];

const TOOLING: &[&str] = &[
    ".github/",
    ".gitlab/",
    ".gitlab-ci.yml",
    ".circleci/",
    ".buildkite/",
    ".travis.yml",
    "azure-pipelines.yml",
    "Jenkinsfile",
    ".devcontainer/",
    // Developers' own container setups (wger's extras/docker/development/: its image with git,
    // vim and node on top of the released one).
    "**/docker/development/",
    "**/docker/dev/",
    ".vscode/",
    ".idea/",
    "*.config.js",
    "*.config.cjs",
    "*.config.mjs",
    "*.config.ts",
    "*.config.mts",
    "*.config.cts",
    "vite.config.*",
    "vitest.*",
    "jest.*",
    "webpack.*",
    "rollup.*",
    "babel.config.*",
    ".eslintrc*",
    "eslint.config.*",
    "Gruntfile.*",
    "gulpfile.*",
    "Gemfile",
    "Rakefile",
    "*.rake",
    "Makefile",
    "GNUmakefile",
    "Justfile",
    "justfile",
    "Taskfile*",
    "noxfile.py",
    "tox.ini",
    "setup.py",
    "build.rs",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle*",
    "__utils__/",
    "xtask/",
    ".husky/",
    "lefthook.yml",
    ".pre-commit-config.yaml",
    // Rails' development environment: loaded on developers' machines only.
    "config/environments/development.rb",
    // Elixir (Mix) projects' development environment (`MIX_ENV=dev`; a release is built with
    // `prod`, whose settings are `config/prod.exs` and `config/runtime.exs`).
    "config/dev.exs",
];

/// The default globs of each category.
pub fn default_globs(m: Material) -> &'static [&'static str] {
    match m {
        Material::Test => TEST,
        Material::Example => EXAMPLE,
        Material::Doc => DOC,
        Material::Bench => BENCH,
        Material::Vendored => VENDORED,
        Material::Tooling => TOOLING,
    }
}

impl Default for Materials {
    fn default() -> Self {
        Materials::new(&[], &[]).expect("the default globs are valid")
    }
}

impl Materials {
    /// Each category's globs (a category given in `replace` uses those instead of its defaults),
    /// and the paths that ship anyway.
    pub fn new(replace: &[(Material, Vec<String>)], shipped: &[String]) -> Result<Self, String> {
        let mut by_kind = Vec::new();
        for m in Material::ALL {
            let split = match replace.iter().find(|(k, _)| *k == m) {
                Some((_, g)) => Split::new(g)?,
                None => {
                    // Shipped with shipgate (`default_globs_compile` compiles them): compiled
                    // when first asked, not at every start.
                    let _trusted = crate::types::Trusted::set(true);
                    let globs: Vec<String> =
                        default_globs(m).iter().map(|s| s.to_string()).collect();
                    Split::new(&globs)?
                }
            };
            by_kind.push((m, split));
        }
        Ok(Materials {
            by_kind,
            shipped: Split::new(shipped)?,
        })
    }

    /// The material of the file at `path` (`None`: it ships).
    pub fn of(&self, path: &str) -> Option<Material> {
        self.of_in(path, &mut FolderMemo::default())
    }

    /// [`Materials::of`], the folder globs' answer for `path`'s folder taken from `memo` when it
    /// holds that folder's (and kept there).
    pub fn of_in(&self, path: &str, memo: &mut FolderMemo) -> Option<Material> {
        let folder = path.rsplit_once('/').map_or("", |(d, _)| d);
        let query = crate::types::PathQuery::new(path);
        if memo.folder.as_deref() != Some(folder) {
            memo.shipped = self.shipped.folders.is_match_query(&query);
            memo.kinds = 0;
            for (i, (_, split)) in self.by_kind.iter().enumerate() {
                if split.folders.is_match_query(&query) {
                    memo.kinds |= 1 << i;
                }
            }
            memo.folder = Some(folder.to_string());
        }
        if memo.shipped || self.shipped.rest.is_match_query(&query) {
            return None;
        }
        self.by_kind
            .iter()
            .enumerate()
            .find(|(i, (_, split))| memo.kinds & (1 << i) != 0 || split.rest.is_match_query(&query))
            .map(|(_, (m, _))| *m)
            .or_else(|| mix_env_material(path))
    }
}

/// The material of `path` when it is a Mix project's configuration for an environment no release
/// is built for: `config/<env>.exs` is loaded by `import_config "#{config_env()}.exs"` under
/// `MIX_ENV=<env>` alone, and a release is built with `prod` (or a staging-like environment).
/// `config.exs`, `runtime.exs` and `releases.exs` load in every environment. `dev.exs` is
/// development tooling (in an umbrella's `apps/*/config/` too; the root's has a glob of its
/// own); the environments whose names say no release runs them (hexpm's `config/hex.exs`, the one
/// its client's integration tests run in; `ci`, `e2e`, `bench`, `integration`, `local`, `docs`)
/// are test material; any other file there may ship. `settings.material.shipped` makes one ship.
fn mix_env_material(path: &str) -> Option<Material> {
    let (dir, file) = path.rsplit_once('/')?;
    let env = file.strip_suffix(".exs")?.to_ascii_lowercase();
    if dir != "config" && !dir.ends_with("/config") {
        return None;
    }
    // Only environments whose names say no release runs them: a fragment `config.exs`
    // imports by name (`appsignal.exs`) or an environment called anything else (`qa`, `prd`,
    // `docker`) may ship.
    const NOT_RELEASED: [&str; 9] = [
        "test",
        "hex",
        "ci",
        "e2e",
        "bench",
        "integration",
        "local",
        "docs",
        "dev",
    ];
    if !NOT_RELEASED.contains(&env.as_str()) {
        return None;
    }
    Some(if env == "dev" {
        Material::Tooling
    } else {
        Material::Test
    })
}

/// Regions of a file that do not count for some checks.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    pub comments: Vec<Range<usize>>,
    pub tests: Vec<Range<usize>>,
}

impl Regions {
    pub fn in_comment(&self, at: usize) -> bool {
        self.comments.iter().any(|r| r.contains(&at))
    }

    pub fn in_test(&self, at: usize) -> bool {
        self.tests.iter().any(|r| r.contains(&at))
    }

    /// The doc comment `at` is in (`/** … */`, `/*! … */`, `///`, `//!`, a Python docstring), with
    /// the comments next to it that only white space separates (a run of `///` lines reads as one
    /// comment), or `None` outside doc comments: a plain `//`, `/* */` or `#` comment is not one.
    pub fn doc_comment_around(&self, at: usize, data: &[u8]) -> Option<Range<usize>> {
        let i = self.comments.iter().position(|r| r.contains(&at))?;
        let text = &data[self.comments[i].clone()];
        let doc = (text.starts_with(b"/**") && !text.starts_with(b"/**/"))
            || text.starts_with(b"/*!")
            || (text.starts_with(b"///") && !text.starts_with(b"////"))
            || text.starts_with(b"//!")
            || text.starts_with(b"\"\"\"")
            || text.starts_with(b"'''");
        if !doc {
            return None;
        }
        let blank = |a: usize, b: usize| {
            data.get(a..b)
                .is_some_and(|g| g.iter().all(u8::is_ascii_whitespace))
        };
        let (mut first, mut last) = (i, i);
        while first > 0 && blank(self.comments[first - 1].end, self.comments[first].start) {
            first -= 1;
        }
        while last + 1 < self.comments.len()
            && blank(self.comments[last].end, self.comments[last + 1].start)
        {
            last += 1;
        }
        Some(self.comments[first].start..self.comments[last].end)
    }
}

/// How a language writes comments and strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `//`, `/* */`; strings in `"`, `'`, and backticks.
    CLike,
    /// Rust: C-like with nested block comments, raw strings, and `'` lifetimes.
    Rust,
    /// `#` comments (at a line start or after white space); Python adds docstrings.
    Hash { docstrings: bool },
    /// SQL and Lua: `--` and `/* */`.
    Dash,
    /// `<!-- -->`.
    Markup,
    /// PHP: C-like and `#`.
    Php,
}

fn family(path: &str) -> Option<Family> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    let lower = name.to_ascii_lowercase();
    if lower == "dockerfile" || lower.starts_with("dockerfile.") || lower == "makefile" {
        return Some(Family::Hash { docstrings: false });
    }
    if lower.starts_with(".env") {
        return Some(Family::Hash { docstrings: false });
    }
    Some(match ext.as_deref()? {
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" | "java" | "kt" | "kts"
        | "scala" | "groovy" | "gradle" | "c" | "h" | "cc" | "cpp" | "cxx" | "hpp" | "cs"
        | "go" | "swift" | "dart" | "css" | "scss" | "less" | "vue" | "svelte" | "astro"
        | "jsonc" | "json5" | "proto" | "zig" => Family::CLike,
        "rs" => Family::Rust,
        "py" | "pyi" => Family::Hash { docstrings: true },
        "rb" | "rake" | "sh" | "bash" | "zsh" | "fish" | "yml" | "yaml" | "toml" | "conf"
        | "cfg" | "ini" | "properties" | "r" | "pl" | "pm" | "ex" | "exs" | "nix" | "tf"
        | "hcl" | "ps1" | "dockerfile" | "env" | "mk" | "cmake" | "coffee" => {
            Family::Hash { docstrings: false }
        }
        "php" => Family::Php,
        "sql" | "lua" => Family::Dash,
        "html" | "htm" | "xml" | "svg" | "md" | "markdown" | "xhtml" => Family::Markup,
        _ => return None,
    })
}

/// The comment regions (and, for Rust, test-module regions) of a file, by its path's language.
/// Unknown languages have none.
pub fn regions(path: &str, data: &[u8]) -> Regions {
    let Some(f) = family(path) else {
        return Regions::default();
    };
    let comments = comments(f, data);
    let tests = if f == Family::Rust {
        rust_test_modules(data, &comments)
    } else {
        Vec::new()
    };
    Regions { comments, tests }
}

fn comments(f: Family, d: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = d.len();
    let at_word_start = |i: usize| i == 0 || d[i - 1].is_ascii_whitespace();
    let line_start = |i: usize| {
        let mut j = i;
        while j > 0 && (d[j - 1] == b' ' || d[j - 1] == b'\t') {
            j -= 1;
        }
        j == 0 || d[j - 1] == b'\n'
    };
    while i < n {
        let c = d[i];
        let next = d.get(i + 1).copied();
        let c_like = matches!(f, Family::CLike | Family::Rust | Family::Php);
        if c_like && c == b'/' && next == Some(b'/') {
            let end = line_end(d, i);
            out.push(i..end);
            i = end;
        } else if (c_like || f == Family::Dash) && c == b'/' && next == Some(b'*') {
            let end = block_end(d, i + 2, f == Family::Rust);
            out.push(i..end);
            i = end;
        } else if f == Family::Dash && c == b'-' && next == Some(b'-') {
            let end = line_end(d, i);
            out.push(i..end);
            i = end;
        } else if f == Family::Markup && d[i..].starts_with(b"<!--") {
            let end = find(d, i + 4, b"-->").map_or(n, |e| e + 3);
            out.push(i..end);
            i = end;
        } else if matches!(f, Family::Hash { .. } | Family::Php)
            && c == b'#'
            && (f == Family::Php || at_word_start(i))
        {
            if f == Family::Php && next == Some(b'[') {
                i += 1; // a PHP 8 attribute, not a comment
                continue;
            }
            let end = line_end(d, i);
            out.push(i..end);
            i = end;
        } else if let (Family::Hash { docstrings: true }, true) = (
            f,
            d[i..].starts_with(b"\"\"\"") || d[i..].starts_with(b"'''"),
        ) {
            let q = &d[i..i + 3];
            let end = find(d, i + 3, q).map_or(n, |e| e + 3);
            if line_start(i) {
                out.push(i..end);
            }
            i = end;
        } else if matches!(c, b'"' | b'\'' | b'`') && f != Family::Markup {
            i = string_end(f, d, i);
        } else {
            i += 1;
        }
    }
    out
}

fn line_end(d: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &d[i..]).map_or(d.len(), |e| i + e)
}

fn find(d: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(d.get(from..)?, needle).map(|e| from + e)
}

fn block_end(d: &[u8], mut i: usize, nested: bool) -> usize {
    let mut depth = 1;
    while i + 1 < d.len() {
        if d[i] == b'*' && d[i + 1] == b'/' {
            depth -= 1;
            i += 2;
            if depth == 0 || !nested {
                return i;
            }
        } else if nested && d[i] == b'/' && d[i + 1] == b'*' {
            depth += 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    d.len()
}

/// Where the string that starts at `i` ends (just past its closing quote). A quote that does
/// not open a string here (a Rust lifetime, an apostrophe in a comment-less shell word) ends at
/// the line's end at the latest, so one stray quote never hides the rest of a file.
fn string_end(f: Family, d: &[u8], i: usize) -> usize {
    let q = d[i];
    if f == Family::Rust && q == b'\'' {
        // 'a' or '\n' is a char; 'a (a lifetime) is not a string.
        return match (d.get(i + 1), d.get(i + 2), d.get(i + 3)) {
            (Some(b'\\'), _, _) => find(d, i + 2, b"'").map_or(i + 1, |e| e + 1),
            (Some(_), Some(b'\''), _) => i + 3,
            _ => i + 1,
        };
    }
    if f == Family::Rust && q == b'"' && i > 0 && (d[i - 1] == b'#' || d[i - 1] == b'r') {
        // r"…" or r#"…"#: no escapes; ends at the quote followed by as many #.
        let mut hashes = 0;
        let mut j = i;
        while j > 0 && d[j - 1] == b'#' {
            hashes += 1;
            j -= 1;
        }
        let mut close = vec![b'"'];
        close.extend(std::iter::repeat_n(b'#', hashes));
        return find(d, i + 1, &close).map_or(d.len(), |e| e + close.len());
    }
    let multiline = q == b'`' || f == Family::Rust || matches!(f, Family::Hash { .. }) && q == b'"';
    let mut j = i + 1;
    while j < d.len() {
        match d[j] {
            b'\\' => j += 2,
            b'\n' if !multiline => return j,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    d.len()
}

/// `#[cfg(test)]` followed by `mod name {`: the module's whole text, attribute included.
fn rust_test_modules(d: &[u8], comments: &[Range<usize>]) -> Vec<Range<usize>> {
    const ATTR: &[u8] = b"#[cfg(test)]";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find(d, from, ATTR) {
        from = at + ATTR.len();
        if comments.iter().any(|c| c.contains(&at)) {
            continue;
        }
        // Skip white space and further attributes up to `mod`.
        let mut j = from;
        loop {
            while j < d.len() && d[j].is_ascii_whitespace() {
                j += 1;
            }
            if d[j..].starts_with(b"#[") {
                j = find(d, j, b"]").map_or(d.len(), |e| e + 1);
                continue;
            }
            break;
        }
        let rest = &d[j..];
        let is_mod = rest.starts_with(b"mod ")
            || rest.starts_with(b"pub mod ")
            || rest.starts_with(b"pub(crate) mod ");
        if !is_mod {
            continue;
        }
        let Some(open) = rest.iter().position(|b| *b == b'{' || *b == b';') else {
            continue;
        };
        if rest[open] == b';' {
            continue; // `mod tests;`: the module's file is test material by its name
        }
        let end = matching_brace(d, j + open);
        out.push(at..end);
        from = end;
    }
    out
}

/// Just past the `}` that closes the `{` at `open`, skipping strings, chars and comments.
fn matching_brace(d: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < d.len() {
        match d[i] {
            b'/' if d.get(i + 1) == Some(&b'/') => i = line_end(d, i),
            b'/' if d.get(i + 1) == Some(&b'*') => i = block_end(d, i + 2, true),
            b'"' | b'\'' => i = string_end(Family::Rust, d, i),
            b'{' => {
                depth += 1;
                i += 1;
            }
            b'}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    d.len()
}

#[cfg(test)]
mod tests {
    /// The default globs, which `Materials::new` takes unchecked, compile.
    #[test]
    fn default_globs_compile() {
        for m in super::Material::ALL {
            let globs: Vec<String> = super::default_globs(m)
                .iter()
                .map(|s| s.to_string())
                .collect();
            crate::types::GlobList::new(&globs).unwrap();
        }
    }

    /// A folder's memo gives what each category's whole list says of every path, in any order
    /// of folders and files, for the built-in lists and for replaced ones with folders anchored at
    /// the root.
    #[test]
    fn the_folder_memo_agrees_with_asking_each_list_whole() {
        let replace = vec![(
            Material::Example,
            vec![
                "features/step_definitions/".to_string(),
                "*.sample.*".to_string(),
                "demo-*/".to_string(),
            ],
        )];
        let shipped = vec!["docs/api/".to_string(), "tests/e2e/run.py".to_string()];
        let materials = Materials::new(&replace, &shipped).unwrap();
        let whole: Vec<(Material, GlobList)> = Material::ALL
            .iter()
            .map(|m| {
                let globs: Vec<String> = match replace.iter().find(|(k, _)| k == m) {
                    Some((_, g)) => g.clone(),
                    None => default_globs(*m).iter().map(|s| s.to_string()).collect(),
                };
                (*m, GlobList::new(&globs).unwrap())
            })
            .collect();
        let shipped_whole = GlobList::new(&shipped).unwrap();
        let expected = |p: &str| {
            if shipped_whole.is_match(p) {
                return None;
            }
            whole.iter().find(|(_, g)| g.is_match(p)).map(|(m, _)| *m)
        };
        let paths = [
            "main.go",
            "README.md",
            "docs/guide.md",
            "docs/api/index.html",
            "docs/x.go",
            "src/docs/a.rs",
            "src/a_test.go",
            "src/a.go",
            "src/b.go",
            "tests/e2e/run.py",
            "tests/e2e/other.py",
            "tests/unit.rs",
            "features/step_definitions/a.rb",
            "x/features/step_definitions/a.rb",
            "demo-app/main.py",
            "demo-app/main.sample.py",
            "vendor/lib/x.js",
            "src/a.min.js",
            "src/app.config.js",
            "docs",
            "a/b/c/d.txt",
            "src/a.go",
        ];
        let mut memo = FolderMemo::default();
        for p in paths {
            assert_eq!(materials.of_in(p, &mut memo), expected(p), "{p}");
            assert_eq!(materials.of(p), expected(p), "{p}");
        }
        assert_eq!(materials.of("docs/guide.md"), Some(Material::Doc));
        assert_eq!(materials.of("src/a_test.go"), Some(Material::Test));
        assert_eq!(materials.of("docs/api/index.html"), None);
    }

    use super::*;

    fn commented(path: &str, src: &str) -> Vec<String> {
        regions(path, src.as_bytes())
            .comments
            .iter()
            .map(|r| src[r.clone()].to_string())
            .collect()
    }

    #[test]
    fn materials_by_path() {
        let m = Materials::default();
        assert_eq!(m.of("tests/certs/server.key"), Some(Material::Test));
        assert_eq!(m.of("pkg/server/handler_test.go"), Some(Material::Test));
        assert_eq!(m.of("src/app.test.ts"), Some(Material::Test));
        assert_eq!(
            m.of("examples/tls/self_signed_certs/key.pem"),
            Some(Material::Example)
        );
        assert_eq!(m.of("docs/setup.md"), Some(Material::Doc));
        assert_eq!(m.of("api-docs/api.yaml"), Some(Material::Doc));
        assert_eq!(m.of("src/api/docs.ts"), None);
        assert_eq!(
            m.of("docs_src/security/tutorial004_py310.py"),
            Some(Material::Doc)
        );
        assert_eq!(m.of("fastapi/security/oauth2.py"), None);
        assert_eq!(
            m.of("src/Wallabag/CoreBundle/Resources/views/Developer/howto_app.html.twig"),
            Some(Material::Doc)
        );
        assert_eq!(
            m.of("src/Wallabag/ApiBundle/Controller/AppController.php"),
            None
        );
        assert_eq!(m.of("vendor/github.com/x/y.go"), Some(Material::Vendored));
        assert_eq!(m.of("vite.config.ts"), Some(Material::Tooling));
        assert_eq!(
            m.of("extras/docker/development/Dockerfile"),
            Some(Material::Tooling)
        );
        assert_eq!(m.of("docker/dev/compose.yml"), Some(Material::Tooling));
        assert_eq!(m.of("extras/docker/production/Dockerfile"), None);
        assert_eq!(m.of("src/development/handler.go"), None);
        assert_eq!(m.of("app/__stubs__/jwt.ts"), Some(Material::Test));
        assert_eq!(m.of("app/stubs.ts"), None);
        assert_eq!(m.of(".pyrefly-baseline.json"), Some(Material::Vendored));
        assert_eq!(m.of("phpstan-baseline.neon"), Some(Material::Vendored));
        assert_eq!(m.of("src/main.rs"), None);
        assert_eq!(m.of("config/production.yml"), None);
        assert_eq!(m.of("config/environments/test.rb"), Some(Material::Test));
        assert_eq!(
            m.of("okhttp/src/jvmTest/kotlin/okhttp3/A.kt"),
            Some(Material::Test)
        );
        assert_eq!(m.of("okhttp/src/jvmMain/kotlin/okhttp3/A.kt"), None);
        assert_eq!(m.of("config/environments/production.rb"), None);
        assert_eq!(m.of("config/test.exs"), Some(Material::Test));
        assert_eq!(m.of("config/dev.exs"), Some(Material::Tooling));
        assert_eq!(m.of("config/prod.exs"), None);
        assert_eq!(m.of("config/runtime.exs"), None);
        assert_eq!(m.of("config/config.exs"), None);
        // A Mix environment no release is built for is test material; production, staging and
        // the files every environment loads ship.
        assert_eq!(m.of("config/hex.exs"), Some(Material::Test));
        assert_eq!(m.of("apps/api/config/ci.exs"), Some(Material::Test));
        assert_eq!(m.of("apps/api/config/dev.exs"), Some(Material::Tooling));
        for ships in [
            "config/staging.exs",
            "config/prod.secret.exs",
            "config/production.exs",
            "config/releases.exs",
            "apps/api/config/prod.exs",
            "apps/api/config/runtime.exs",
        ] {
            assert_eq!(m.of(ships), None, "{ships} ships");
        }
        let shipped = Materials::new(&[], &["config/hex.exs".into()]).unwrap();
        assert_eq!(shipped.of("config/hex.exs"), None, "shipped anyway");
        assert_eq!(m.of("priv/repo/seeds.exs"), Some(Material::Test));
        assert_eq!(m.of("database/seeders/UserSeeder.php"), None);
        assert_eq!(m.of("src/factories/stripe.ts"), None);
        assert_eq!(m.of("config/appsignal.exs"), None);
        assert_eq!(m.of("config/qa.exs"), None);
        assert_eq!(m.of("lib/hexpm/factory.ex"), Some(Material::Test));
        assert_eq!(m.of("lib/hexpm/accounts/key.ex"), None);
        assert_eq!(m.of("src/main/java/app/factory/BeanFactory.java"), None);
        let m = Materials::new(&[], &["docs/api/".into()]).unwrap();
        assert_eq!(m.of("docs/api/server.js"), None, "shipped anyway");
        assert!(Scope::Shipped.covers(Some(Material::Tooling)));
        assert!(!Scope::Runtime.covers(Some(Material::Tooling)));
        assert!(!Scope::Shipped.covers(Some(Material::Test)));
        assert!(Scope::All.covers(Some(Material::Test)));
    }

    #[test]
    fn comments_per_language_and_strings_are_not_comments() {
        assert_eq!(
            commented(
                "a.js",
                "const u = \"http://x//y\"; // a comment\n/* block */ x"
            ),
            ["// a comment", "/* block */"]
        );
        assert_eq!(
            commented(
                "a.py",
                "u = 'a#b'  # real\n\"\"\"doc\nstring\"\"\"\nx = f(\"\"\"not doc\"\"\")\n"
            ),
            ["# real", "\"\"\"doc\nstring\"\"\""]
        );
        assert_eq!(
            commented("c.yml", "url: http://x/#frag # note\n"),
            ["# note"]
        );
        assert_eq!(
            commented(
                "l.rs",
                "fn f<'a>(x: &'a str) { let c = '\"'; } // end\n/// doc\n"
            ),
            ["// end", "/// doc"]
        );
        assert_eq!(commented("q.sql", "select 1; -- why\n"), ["-- why"]);
        assert!(commented("x.unknown", "# nothing known").is_empty());
    }

    #[test]
    fn rust_test_modules_are_test_regions() {
        let src = "fn live() { let p = \"/home/alice/\"; }\n#[cfg(test)]\nmod tests {\n    fn t() { let s = \"}\"; let p = \"/home/bob/\"; }\n}\nfn after() {}\n";
        let r = regions("src/lib.rs", src.as_bytes());
        assert_eq!(r.tests.len(), 1);
        assert!(!r.in_test(src.find("/home/alice").unwrap()));
        assert!(r.in_test(src.find("/home/bob").unwrap()));
        assert!(!r.in_test(src.find("fn after").unwrap()));
    }
}
