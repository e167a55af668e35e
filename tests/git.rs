//! Git: which commits are examined and what counts as review, the repository-state checks, shallow
//! clones, and real pushes through the installed pre-push hook (the `git` binary, a local bare
//! remote).

use std::path::{Path, PathBuf};

use crate::util::{check, git, git_cmd, status, TestRepo};

const DEV: (&str, &str) = ("Dev", "dev@example.com");

fn findings_subjects(r: &serde_json::Value, id: &str) -> Vec<String> {
    check(r, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let m = f["message"].as_str().unwrap();
            m.split('"').nth(1).unwrap_or(m).to_string()
        })
        .collect()
}

/// gotify merged a pull request that kept two `fixup!` commits: reviewed with their branch, and
/// with nothing left to fold them into once merged. A `fixup!` pushed straight to the branch is
/// still reported, and so is a `WIP` commit, merged or not.
#[test]
fn fixups_a_reviewed_merge_brought_in_are_not_reported() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial import", DEV, DEV);
    t.tag("v1.0.0");
    let base = t.repo.head().unwrap().peel_to_commit().unwrap();
    t.commit_as("b", "feat: elevation", DEV, DEV);
    t.commit_as("c", "fixup! feat: elevation", DEV, DEV);
    let tip = t.commit_as("d", "WIP: clients page", DEV, DEV);
    t.repo
        .reset(base.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(
        tip,
        "Merge pull request #952 from gotify/elevation\n\nElevation",
        DEV,
    );
    t.commit_as("e", "fixup! Merge pull request #952", DEV, DEV);
    let (code, r) = t.json(&["--stage", "release", "--only", "wip-commits"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "wip-commits"),
        ["fixup! Merge pull request #952", "WIP: clients page"]
    );
}

/// Symfony's merge tool writes `feature #1658 Update to Symfony 8.1 (javiereguiluz)` for a
/// pull request's merge: the commits it brings in came through review like those of GitHub's
/// `Merge pull request #N`. The same branch merged as a plain `Merge branch` is no such evidence.
#[test]
fn symfony_pull_request_merges_are_review_evidence() {
    for (subject, reported) in [
        ("feature #1658 Update to Symfony 8.1 (javiereguiluz)", false),
        (
            "minor #1660 Bump symfony/ux-live-component (dependabot[bot])",
            false,
        ),
        ("Merge branch 'symfony-8.1'", true),
    ] {
        let t = TestRepo::new();
        t.commit_as("a", "Initial import", DEV, DEV);
        t.tag("v1.0.0");
        let base = t.repo.head().unwrap().peel_to_commit().unwrap();
        let tip = t.commit_as("b", "Update to Symfony 8.1", DEV, DEV);
        t.repo
            .reset(base.as_object(), git2::ResetType::Hard, None)
            .unwrap();
        t.commit_as(
            "c",
            "Reviewed change\n\nReviewed-by: Alice <alice@example.com>\n",
            DEV,
            DEV,
        );
        t.merge_commit(tip, subject, DEV);
        let (_, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
        // (The plain merge is reported too: this test's merge is not a clean one of its
        // parents, and it has no evidence of its own.)
        let expected: Vec<&str> = if reported {
            vec![subject, "Update to Symfony 8.1"]
        } else {
            vec![]
        };
        assert_eq!(
            findings_subjects(&r, "unreviewed-commits"),
            expected,
            "{subject}: {r:#}"
        );
    }
}

#[test]
fn review_evidence_trailers_merges_squashes_forge_and_bots() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial import", DEV, DEV);
    t.tag("v1.0.0");
    t.commit_as("b", "Direct push to main", DEV, DEV);
    t.commit_as(
        "c",
        "Reviewed change\n\nReviewed-by: Alice <alice@example.com>\n",
        DEV,
        DEV,
    );
    t.commit_as("d", "Squashed feature (#42)", DEV, DEV);
    t.commit_as(
        "e",
        "Edited in the web UI",
        DEV,
        ("GitHub", "noreply@github.com"),
    );
    t.commit_as(
        "f",
        "Bump serde",
        (
            "dependabot[bot]",
            "49699333+dependabot[bot]@users.noreply.github.com",
        ),
        DEV,
    );
    // A pull request: two commits on a branch, merged with GitHub's subject.
    let base = t.repo.head().unwrap().peel_to_commit().unwrap();
    t.commit_as("g", "Feature part 1", DEV, DEV);
    let tip = t.commit_as("h", "Feature part 2", DEV, DEV);
    t.repo
        .reset(base.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(
        tip,
        "Merge pull request #7 from team/feature\n\nFeature",
        DEV,
    );
    // A merge that adds nothing beyond its parents needs no review of its own…
    t.merge_commit(tip, "Merge branch 'x'", DEV);
    // …one that changes something on the way does.
    t.write("evil.txt", "changed in the merge\n");
    let mut index = t.repo.index().unwrap();
    index.add_path(Path::new("evil.txt")).unwrap();
    index.write().unwrap();
    let tree = t.repo.find_tree(index.write_tree().unwrap()).unwrap();
    let head = t.repo.head().unwrap().peel_to_commit().unwrap();
    let other = t.repo.find_commit(tip).unwrap();
    let sig = t.signature(DEV.0, DEV.1);
    t.repo
        .commit(
            Some("HEAD"),
            &sig,
            &sig,
            "Merge branch 'y'",
            &tree,
            &[&head, &other],
        )
        .unwrap();

    let (code, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Merge branch 'y'", "Direct push to main"]
    );
    // What was looked for is said once, with the first commit that has none of it.
    assert!(check(&r, "unreviewed-commits")["findings"][1]["evidence"].is_null());
    let f = &check(&r, "unreviewed-commits")["findings"][1];
    assert_eq!(f["location"]["input"], "git");
    assert_eq!(f["location"]["commit"].as_str().unwrap().len(), 40);
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("by Dev <dev@example.com>"));
    assert!(check(&r, "unreviewed-commits")["findings"][0]["evidence"]
        .as_str()
        .unwrap()
        .contains("Reviewed-by/Approved-by/Acked-by/Reviewed-on trailer"));
    assert_eq!(r["ranges"][0]["label"], "v1.0.0..HEAD");
    assert_eq!(r["ranges"][0]["commits"], 10);

    // An explicit range.
    let (_, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "unreviewed-commits",
        "--range",
        "v1.0.0~0..v1.0.0",
    ]);
    assert_eq!(status(&r, "unreviewed-commits"), "pass");
    let (code, _, err) = t.run(&[
        "run",
        "--stage",
        "release",
        "--only",
        "unreviewed-commits",
        "--range",
        "nope..HEAD",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// With no release tag, nothing bounds the range: the check skips and says how to bound it,
/// instead of judging all history as this release. A moving tag or a branch marker is not a
/// release.
#[test]
fn without_a_release_tag_the_check_says_how_to_bound_the_range() {
    let t = TestRepo::new();
    t.commit_as("a", "One", DEV, DEV);
    t.tag("1.5.x");
    t.commit_as("b", "Two", DEV, DEV);
    t.tag("latest");
    t.commit_as("c", "Three", DEV, DEV);
    let (code, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(status(&r, "unreviewed-commits"), "skip");
    assert!(check(&r, "unreviewed-commits")["reason"]
        .as_str()
        .unwrap()
        .contains("no release tag is reachable"));
    // With a range, the commits are examined.
    let (_, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "unreviewed-commits",
        "--range",
        "HEAD~2..HEAD",
    ]);
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Three", "Two"]
    );
    let (code, r) = t.json(&[]);
    assert_eq!(code, 0);
    assert_eq!(status(&r, "unreviewed-commits"), "skip");
}

/// The release being made is HEAD's own tag: the range is what it adds to the previous release.
/// In a monorepo, a sub-package's tag does not end the project's range.
#[test]
fn a_tagged_release_is_examined_since_the_previous_release_of_its_own_family() {
    let t = TestRepo::new();
    t.commit_as("a", "Release 1.0.0\n\nReviewed-by: A <a@x>", DEV, DEV);
    t.tag("v1.0.0");
    t.commit_as("b", "Direct fix", DEV, DEV);
    t.tag("macros-v0.5.0");
    t.commit_as("c", "Release 1.1.0\n\nReviewed-by: A <a@x>", DEV, DEV);
    t.tag("v1.1.0");
    let (_, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
    assert_eq!(r["ranges"][0]["label"], "v1.0.0..HEAD", "{r:#}");
    assert_eq!(findings_subjects(&r, "unreviewed-commits"), ["Direct fix"]);
}

/// A base tag cut on a development branch (Tandoor tags `develop`, then merges it into master)
/// does not reach the merge commits that shipped the earlier releases on master: what any earlier
/// release tag reaches is not examined again. The true cases beside it: a commit on master after
/// the previous release, and the merge that brings the new tag in, are still examined.
#[test]
fn what_earlier_releases_shipped_is_not_examined_again() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial\n\nReviewed-by: A <a@x>", DEV, DEV);
    let main0 = t.repo.head().unwrap().peel_to_commit().unwrap();
    let d1 = t.commit_as("d1", "Feature one\n\nReviewed-by: A <a@x>", DEV, DEV);
    t.repo
        .reset(main0.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    let m1 = t.merge_commit(d1, "Merge branch 'develop' for 1.0.0", DEV);
    t.tag("1.0.0");
    t.commit_as("h", "Hotfix on master", DEV, DEV);
    let master = t.repo.head().unwrap().peel_to_commit().unwrap();
    let d1c = t.repo.find_commit(d1).unwrap();
    t.repo
        .reset(d1c.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    let d2 = t.commit_as("d2", "Feature two\n\nReviewed-by: A <a@x>", DEV, DEV);
    t.tag("1.0.1");
    t.repo
        .reset(master.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(d2, "Merge branch 'develop' for 1.0.1", DEV);
    assert!(t
        .repo
        .graph_descendant_of(t.repo.head().unwrap().target().unwrap(), m1)
        .unwrap());
    let (_, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
    assert_eq!(r["ranges"][0]["label"], "1.0.1..HEAD", "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Merge branch 'develop' for 1.0.1", "Hotfix on master"],
        "{r:#}"
    );
}

/// The remote's default branch is the project's main line whatever it is called: FreshRSS tags
/// its releases on `edge` (as pixelfed on `dev`, mealie on `mealie-next`). The true cases beside
/// it: the same branch with no remote naming it default, and a tag on a commit only a feature
/// branch has, still fail.
#[test]
fn the_remotes_default_branch_is_a_release_branch() {
    let t = TestRepo::new();
    t.commit_as("a", "Release 1.24.3", DEV, DEV);
    git(&t.home, &t.root, &["branch", "-m", "main", "edge"]);
    let remote = t.dir.path().join("remote.git");
    let remote_s = remote.to_str().unwrap();
    git(&t.home, &t.root, &["clone", "-q", "--bare", ".", remote_s]);
    git(&t.home, &t.root, &["remote", "add", "origin", remote_s]);
    git(&t.home, &t.root, &["fetch", "-q", "origin"]);
    let release = |tag: &str| {
        t.only(&["release-branch"])
            .args(&["--stage", "release"])
            .on_tag(tag)
            .json()
            .1
    };
    // No remote names a default branch yet: `edge` is not an allowed name.
    let (_, r) = t.json(&["--stage", "release", "--only", "release-branch"]);
    assert_eq!(status(&r, "release-branch"), "fail", "{r:#}");
    git(&t.home, &t.root, &["remote", "set-head", "origin", "edge"]);
    let (_, r) = t.json(&["--stage", "release", "--only", "release-branch"]);
    assert_eq!(status(&r, "release-branch"), "pass", "{r:#}");
    // A tag-triggered job on the detached tag commit.
    let head = t.repo.head().unwrap().peel_to_commit().unwrap();
    t.repo.set_head_detached(head.id()).unwrap();
    assert_eq!(status(&release("1.24.3"), "release-branch"), "pass");
    // A commit only a feature branch has.
    t.repo.branch("feature/x", &head, false).unwrap();
    t.repo.set_head("refs/heads/feature/x").unwrap();
    let feature = t.commit_as("f", "feature work", DEV, DEV);
    t.repo.set_head_detached(feature).unwrap();
    let r = release("1.25.0");
    assert_eq!(status(&r, "release-branch"), "fail", "{r:#}");
    assert!(
        check(&r, "release-branch")["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("or the default branch edge"),
        "{r:#}"
    );
}

/// Review evidence real teams leave: a commit applied by another person, a bot committer, a bot
/// author that does not say [bot], commits a squash-subject merge brought in.
#[test]
fn review_evidence_teams_and_forges_leave() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial", DEV, DEV);
    t.tag("v1.0.0");
    t.commit_as(
        "b",
        "Contributor patch",
        ("Eve", "eve@contrib.org"),
        ("Max", "max@maintainers.org"),
    );
    t.commit_as(
        "c",
        "Update version to v1.1.0",
        DEV,
        (
            "github-actions[bot]",
            "41898282+github-actions[bot]@users.noreply.github.com",
        ),
    );
    t.commit_as(
        "d",
        "[ImgBot] Optimize images",
        ("ImgBotApp", "imgbot@users.noreply.github.com"),
        ("ImgBotApp", "imgbot@users.noreply.github.com"),
    );
    let base = t.repo.head().unwrap().peel_to_commit().unwrap();
    let tip = t.commit_as("e", "Part of a pull request", DEV, DEV);
    t.repo
        .reset(base.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(tip, "Merge branch 'feature' (#12)", DEV);
    t.commit_as("f", "Pushed by myself", DEV, DEV);
    let (_, r) = t.json(&["--stage", "release", "--only", "unreviewed-commits"]);
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Pushed by myself"],
        "{r:#}"
    );
}

#[test]
fn wip_and_unsigned_commits() {
    let t = TestRepo::new();
    t.commit_as("0", "Initial", DEV, DEV);
    t.tag("v0.1.0");
    t.commit_as("a", "Add login\n\nReviewed-by: A <a@x>", DEV, DEV);
    t.commit_as("b", "fixup! Add login", DEV, DEV);
    t.commit_as("c", "WIP: dashboard", DEV, DEV);
    let (code, r) = t.json(&["--stage", "release", "--only", "wip-commits"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings_subjects(&r, "wip-commits"),
        ["WIP: dashboard", "fixup! Add login"]
    );

    // A signed commit (the signature's presence is what is checked).
    let head = t.repo.head().unwrap().peel_to_commit().unwrap();
    let sig = t.signature("Dev", "dev@example.com");
    let buf = t
        .repo
        .commit_create_buffer(&sig, &sig, "Signed", &head.tree().unwrap(), &[&head])
        .unwrap();
    let fake = "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----";
    let id = t
        .repo
        .commit_signed(buf.as_str().unwrap(), fake, None)
        .unwrap();
    t.repo
        .reference("refs/heads/main", id, true, "signed")
        .unwrap();
    let (code, r) = t.json(&["--stage", "release", "--only", "unsigned-commits"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings_subjects(&r, "unsigned-commits").len(),
        3,
        "the signed one passes: {r:#}"
    );
    // Off by default.
    let (_, r) = t.json(&["--stage", "release"]);
    assert!(r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "unsigned-commits"));
}

#[test]
fn repository_state_checks() {
    let t = TestRepo::new();
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.4.1\"\n",
    )
    .write("Cargo.lock", "");
    t.commit("Release 1.4.1");
    t.tag("v1.4.1");
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.4.2\"\n",
    );
    t.commit("Release 1.4.2");
    let (code, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "version-tag",
        "--only",
        "release-branch",
        "--only",
        "dirty-worktree",
    ]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "version-tag"), "fail");
    assert!(check(&r, "version-tag")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Cargo.toml says 1.4.2, but HEAD has no tag: tag the release `git tag v1.4.2`"));
    assert_eq!(status(&r, "release-branch"), "pass");
    assert_eq!(status(&r, "dirty-worktree"), "pass");

    t.tag("v1.4.2");
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.4.3\"\n",
    );
    let (_, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "version-tag",
        "--only",
        "dirty-worktree",
    ]);
    assert_eq!(status(&r, "dirty-worktree"), "fail");
    assert_eq!(
        check(&r, "dirty-worktree")["findings"][0]["location"]["path"],
        "Cargo.toml"
    );
    assert!(check(&r, "version-tag")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("HEAD is tagged v1.4.2"));

    // A feature branch, then a detached HEAD (named by CI's variable, or not at all).
    t.write(
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"1.4.2\"\n",
    );
    let head = t.repo.head().unwrap().peel_to_commit().unwrap();
    t.repo.branch("feature/x", &head, false).unwrap();
    t.repo.set_head("refs/heads/feature/x").unwrap();
    let (_, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "release-branch",
        "--only",
        "version-tag",
    ]);
    assert!(check(&r, "release-branch")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("`feature/x`"));
    assert_eq!(status(&r, "version-tag"), "pass");
    // Detached on a commit main contains: released from main.
    t.repo.set_head_detached(head.id()).unwrap();
    let (_, r) = t.json(&["--stage", "release", "--only", "release-branch"]);
    assert!(r["repo"]["branch"].is_null());
    assert_eq!(status(&r, "release-branch"), "pass", "{r:#}");
    // Detached on a commit only a feature branch has: not released from an allowed branch.
    t.repo.set_head("refs/heads/feature/x").unwrap();
    let feature = t.commit_as("f", "feature work", DEV, DEV);
    t.repo.set_head_detached(feature).unwrap();
    let (_, r) = t.json(&["--stage", "release", "--only", "release-branch"]);
    assert!(check(&r, "release-branch")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("HEAD (detached) is on no allowed branch"));
    // A tag-triggered job names the tag, not a branch: the tag's commit must be on a branch.
    let (_, r) = t
        .only(&["release-branch"])
        .args(&["--stage", "release"])
        .on_tag("v9.9.9")
        .json();
    assert!(check(&r, "release-branch")["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("the tag `v9.9.9` being released is on no allowed branch"));
    t.repo.set_head_detached(head.id()).unwrap();
    let (_, r) = t
        .only(&["release-branch"])
        .args(&["--stage", "release"])
        .on_tag("v1.4.2")
        .json();
    assert_eq!(
        status(&r, "release-branch"),
        "pass",
        "the tagged commit is on main: {r:#}"
    );
    let (_, r) = t
        .only(&["release-branch"])
        .args(&["--stage", "release"])
        .env("GITHUB_REF_NAME", "main")
        .json();
    assert_eq!(status(&r, "release-branch"), "pass");
}

/// The version a project declares, in each ecosystem's manifest, against HEAD's tag; what has no
/// version to compare is skipped with the reason, never failed.
#[test]
fn version_tag_reads_every_ecosystem_and_skips_what_has_no_version() {
    let run = |files: &[(&str, &str)], tags: &[&str]| {
        let t = TestRepo::new();
        t.write("README.md", "x\n");
        t.commit("first");
        t.tag("v0.0.1-old");
        for (p, c) in files {
            t.write(p, c);
        }
        t.commit("release");
        for tag in tags {
            t.tag(tag);
        }
        let (_, r) = t
            .only(&["version-tag"])
            .args(&["--stage", "release"])
            .json();
        let c = check(&r, "version-tag").clone();
        (
            c["status"].as_str().unwrap().to_string(),
            c["findings"][0]["message"]
                .as_str()
                .or(c["reason"].as_str())
                .unwrap_or("")
                .to_string(),
        )
    };
    let pom = "<project><artifactId>a</artifactId><version>2.1.0</version></project>";
    assert_eq!(run(&[("pom.xml", pom)], &["v2.1.0"]).0, "pass");
    let (st, msg) = run(&[("pom.xml", pom)], &[]);
    assert_eq!(st, "fail");
    assert!(
        msg.contains("pom.xml says 2.1.0, but HEAD has no tag"),
        "{msg}"
    );
    assert_eq!(
        run(&[("gradle.properties", "version=1.0.2\n")], &["1.0.2"]).0,
        "pass"
    );
    // Go: the version is the tag; nothing to compare.
    let (st, msg) = run(&[("go.mod", "module x\n")], &["v1.12.0"]);
    assert_eq!(st, "skip");
    assert!(msg.contains("no manifest declares the version"), "{msg}");
    // A monorepo: the virtual root has no version, the member the tag names does.
    let members = [
        ("Cargo.toml", "[workspace]\nmembers = [\"axum\"]\n"),
        (
            "axum/Cargo.toml",
            "[package]\nname = \"axum\"\nversion = \"0.8.9\"\n",
        ),
    ];
    assert_eq!(run(&members, &["axum-v0.8.9"]).0, "pass");
    // A workspace root's placeholder 0.0.0 beside the member the tag names (linkwarden's
    // apps/web): that member is the release. With no member named by the tag, still a failure.
    let placeholder = [
        (
            "package.json",
            "{\"name\": \"root\", \"version\": \"0.0.0\", \"private\": true}",
        ),
        (
            "apps/web/package.json",
            "{\"name\": \"web\", \"version\": \"v2.16.1\", \"private\": true}",
        ),
        (
            "apps/worker/package.json",
            "{\"name\": \"worker\", \"version\": \"0.0.0\"}",
        ),
    ];
    assert_eq!(run(&placeholder, &["v2.16.1"]).0, "pass");
    let (st, msg) = run(&placeholder, &["v2.17.0"]);
    assert_eq!(st, "fail");
    assert!(
        msg.contains("package.json says 0.0.0, which is no release version"),
        "{msg}"
    );
    // A dynamic Python version is read from the file the backend names.
    let dynamic = [
        ("pyproject.toml", "[project]\nname = \"h\"\ndynamic = [\"version\"]\n[tool.hatch.version]\npath = \"h/__version__.py\"\n"),
        ("h/__version__.py", "__version__ = \"0.28.1\"\n"),
    ];
    assert_eq!(run(&dynamic, &["0.28.1"]).0, "pass");
    // A development version is not released, and the advice follows the tags' convention.
    let (st, msg) = run(
        &[("pyproject.toml", "[project]\nversion = \"3.2.0.dev0\"\n")],
        &[],
    );
    assert_eq!(st, "fail");
    assert!(msg.contains("development version"), "{msg}");
    // With no tags at all, the project is not released by tag.
    let t = TestRepo::new();
    t.write("package.json", "{\"version\": \"0.1.0\"}\n");
    t.commit("init");
    let (_, r) = t
        .only(&["version-tag"])
        .args(&["--stage", "release"])
        .json();
    assert_eq!(status(&r, "version-tag"), "skip");
    // Nor with only a branch marker (`1.5.x`): a snapshot version is not a release's then.
    t.write(
        "pom.xml",
        "<project><version>4.0.0-SNAPSHOT</version></project>\n",
    );
    t.commit("snapshot");
    t.tag("1.5.x");
    let (_, r) = t
        .only(&["version-tag"])
        .args(&["--stage", "release"])
        .json();
    assert_eq!(status(&r, "version-tag"), "skip", "{r:#}");
    assert!(check(&r, "version-tag")["reason"]
        .as_str()
        .unwrap()
        .contains("no tag is a release tag (1.5.x)"));
    // A release tag makes it count.
    t.tag("v3.9.0");
    let (_, r) = t
        .only(&["version-tag"])
        .args(&["--stage", "release"])
        .json();
    assert_eq!(status(&r, "version-tag"), "fail", "{r:#}");
}

/// A bare remote, a clone of it with the hook installed, and the path of the remote.
pub(crate) struct Pushable {
    pub(crate) t: TestRepo,
    pub(crate) remote: PathBuf,
    pub(crate) work: PathBuf,
}

impl Pushable {
    pub(crate) fn new() -> Self {
        let t = TestRepo::new();
        let base = t.dir.path().canonicalize().unwrap();
        let remote = base.join("remote.git");
        git(
            &t.home,
            &base,
            &["init", "-q", "--bare", remote.to_str().unwrap()],
        );
        let work = base.join("work");
        git(
            &t.home,
            &base,
            &[
                "clone",
                "-q",
                remote.to_str().unwrap(),
                work.to_str().unwrap(),
            ],
        );
        std::fs::write(work.join("README.md"), "app\n").unwrap();
        git(&t.home, &work, &["add", "."]);
        git(
            &t.home,
            &work,
            &[
                "commit",
                "-q",
                "-m",
                "Initial\n\nReviewed-by: A <a@example.com>",
            ],
        );
        git(&t.home, &work, &["push", "-q", "origin", "main"]);
        Pushable { t, remote, work }
    }

    pub(crate) fn shipgate(&self, args: &[&str]) -> (i32, String) {
        let out = self
            .t
            .cmd()
            .current_dir(&self.work)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    }

    pub(crate) fn commit(&self, file: &str, msg: &str) {
        std::fs::write(self.work.join(file), msg).unwrap();
        git(&self.t.home, &self.work, &["add", "."]);
        git(&self.t.home, &self.work, &["commit", "-q", "-m", msg]);
    }

    /// `git push ARGS` through the hook: (success, output).
    pub(crate) fn push(&self, args: &[&str]) -> (bool, String) {
        let out = git_cmd(&self.t.home, &self.work)
            .arg("push")
            .args(args)
            .env("SHIPGATE", assert_cmd::cargo::cargo_bin("shipgate"))
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

    pub(crate) fn remote_has(&self, rev: &str) -> bool {
        git_cmd(&self.t.home, &self.remote)
            .args(["rev-parse", "--verify", "-q", rev])
            .output()
            .unwrap()
            .status
            .success()
    }
}

#[test]
fn pushes_through_the_installed_hook() {
    let p = Pushable::new();
    let (code, out) = p.shipgate(&["hook", "install"]);
    assert_eq!(code, 0, "{out}");
    assert!(p.work.join(".git/hooks/pre-push").exists());

    // An unreviewed commit to main is refused, with the way out spelled out.
    p.commit("a.txt", "Direct change");
    let (ok, out) = p.push(&["origin", "main"]);
    assert!(!ok, "{out}");
    assert!(out.contains("unreviewed-commits"), "{out}");
    assert!(out.contains("refs/heads/main → refs/heads/main: 1 commit(s) examined: BLOCKED by unreviewed-commits"), "{out}");
    assert!(out.contains("git push --no-verify"), "{out}");
    assert!(
        out.contains("SHIPGATE_OVERRIDE='unreviewed-commits="),
        "{out}"
    );
    assert!(!p.remote_has("refs/heads/main~1"), "nothing was pushed");

    // The same commits on a new feature branch go through: a feature branch is pushed to be reviewed.
    let (ok, out) = p.push(&["origin", "main:refs/heads/feature/a"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("commits not examined (not a protected branch)"),
        "{out}"
    );

    // Reviewed: amend with a trailer, and main accepts it.
    git(
        &p.t.home,
        &p.work,
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "Direct change\n\nReviewed-by: Alice <alice@example.com>",
        ],
    );
    let (ok, out) = p.push(&["origin", "main"]);
    assert!(ok, "{out}");
    assert!(out.contains("1 commit(s) examined: ok"), "{out}");

    // Several refs in one push: each gets its verdict.
    p.commit("b.txt", "Another direct change");
    git(&p.t.home, &p.work, &["branch", "feature/b"]);
    let (ok, out) = p.push(&["origin", "main", "feature/b"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("refs/heads/feature/b → refs/heads/feature/b: commits not examined"),
        "{out}"
    );
    assert!(
        out.contains("refs/heads/main → refs/heads/main: 1 commit(s) examined: BLOCKED"),
        "{out}"
    );

    // An override for one push, with a reason.
    let out = git_cmd(&p.t.home, &p.work)
        .args(["push", "origin", "main"])
        .env("SHIPGATE", assert_cmd::cargo::cargo_bin("shipgate"))
        .env(
            "SHIPGATE_OVERRIDE",
            "unreviewed-commits=hotfix for incident 4211",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A deletion sends no commits.
    let (ok, out) = p.push(&["origin", ":feature/a"]);
    assert!(ok, "{out}");
    assert!(out.contains("deletion: no commits sent"), "{out}");

    // Around review through a new protected branch: unreviewed work pushed to a feature branch
    // first (allowed), then to a new release branch. Only what the remote's protected branches
    // hold is left out, so the unreviewed commit is examined and the push refused.
    git(&p.t.home, &p.work, &["checkout", "-q", "-b", "feature/x"]);
    p.commit("c.txt", "Unreviewed work");
    let (ok, out) = p.push(&["origin", "feature/x"]);
    assert!(ok, "{out}");
    let (ok, out) = p.push(&["origin", "HEAD:refs/heads/release/1.0"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("refs/heads/release/1.0: ") && out.contains("BLOCKED by unreviewed-commits"),
        "{out}"
    );
    assert!(!p.remote_has("refs/heads/release/1.0"));
}

#[test]
fn an_existing_hook_keeps_running_and_comes_back() {
    let p = Pushable::new();
    let hooks = p.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let theirs = "#!/bin/sh\n# the team's own hook\nwhile read l; do echo \"$l\" >> \"$(git rev-parse --git-dir)/their-hook-ran\"; done\n";
    std::fs::write(hooks.join("pre-push"), theirs).unwrap();
    make_exec(&hooks.join("pre-push"));
    let (code, out) = p.shipgate(&["hook", "install"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("still runs first"), "{out}");
    p.commit("a.txt", "Change\n\nReviewed-by: A <a@x>");
    let (ok, out) = p.push(&["origin", "main"]);
    assert!(ok, "{out}");
    let ran = std::fs::read_to_string(p.work.join(".git/their-hook-ran")).unwrap();
    assert!(
        ran.starts_with("refs/heads/main "),
        "their hook got git's input: {ran}"
    );
    // Installing twice keeps theirs; uninstall restores it byte for byte.
    assert_eq!(p.shipgate(&["hook", "install"]).0, 0);
    let (code, out) = p.shipgate(&["hook", "uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        theirs
    );
    assert!(!hooks.join("pre-push.shipgate-chained").exists());
    // Uninstall never removes a hook that is not shipgate's; with nothing to do it exits 0.
    let (code, out) = p.shipgate(&["hook", "uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is not shipgate's"), "{out}");
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-push")).unwrap(),
        theirs
    );
}

/// A pre-push hook that is a dangling symlink (a build step makes its target later) is the
/// user's: install keeps it chained, uninstall puts the link back.
#[cfg(unix)]
#[test]
fn a_dangling_symlink_hook_is_kept() {
    let p = Pushable::new();
    let hooks = p.work.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::os::unix::fs::symlink("../../tools/hooks/pre-push", hooks.join("pre-push")).unwrap();
    let (code, out) = p.shipgate(&["hook", "install"]);
    assert_eq!(code, 0, "{out}");
    let kept = hooks.join("pre-push.shipgate-chained");
    assert!(std::fs::symlink_metadata(&kept)
        .unwrap()
        .file_type()
        .is_symlink());
    let (code, out) = p.shipgate(&["hook", "uninstall"]);
    assert_eq!(code, 0, "{out}");
    let back = std::fs::read_link(hooks.join("pre-push")).unwrap();
    assert_eq!(back, Path::new("../../tools/hooks/pre-push"));
}

/// Husky 9 runs `.husky/pre-push` from a stub that finds it by its own name: shipgate's call goes
/// into `.husky/pre-push`, so the user's hook still runs (and still blocks), and shipgate blocks
/// an unreviewed push to main; uninstall takes the block out and leaves the user's hook as it was.
#[cfg(unix)]
#[test]
fn husky_hooks_keep_running_with_shipgate() {
    let p = Pushable::new();
    let husky = p.work.join(".husky");
    std::fs::create_dir_all(husky.join("_")).unwrap();
    std::fs::write(
        husky.join("_/h"),
        "#!/usr/bin/env sh\nn=$(basename \"$0\")\ns=$(dirname \"$(dirname \"$0\")\")/$n\n[ ! -f \"$s\" ] && exit 0\nsh -e \"$s\" \"$@\"\n",
    )
    .unwrap();
    std::fs::write(
        husky.join("_/pre-push"),
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
    )
    .unwrap();
    make_exec(&husky.join("_/h"));
    make_exec(&husky.join("_/pre-push"));
    let theirs = "while read l; do echo \"$l\" >> .git/husky-hook-ran; done\n[ -f block-push ] && exit 1\nexit 0\n";
    std::fs::write(husky.join("pre-push"), theirs).unwrap();
    git(
        &p.t.home,
        &p.work,
        &["config", "core.hooksPath", ".husky/_"],
    );
    let (code, out) = p.shipgate(&["hook", "install"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("husky"), "{out}");
    // Husky's stub is untouched.
    assert!(!husky.join("_/pre-push.shipgate-chained").exists());
    // shipgate blocks an unreviewed commit to main.
    p.commit("a.txt", "Direct change");
    let (ok, out) = p.push(&["origin", "main"]);
    assert!(
        !ok && out.contains("BLOCKED by unreviewed-commits"),
        "{out}"
    );
    // Reviewed: shipgate passes, and the user's hook runs with git's input.
    git(
        &p.t.home,
        &p.work,
        &[
            "commit",
            "-q",
            "--amend",
            "-m",
            "Direct change\n\nReviewed-by: A <a@x>",
        ],
    );
    let (ok, out) = p.push(&["origin", "main"]);
    assert!(ok, "{out}");
    let ran = std::fs::read_to_string(p.work.join(".git/husky-hook-ran")).unwrap();
    assert!(ran.starts_with("refs/heads/main "), "{ran}");
    // The user's hook still blocks a push on its own.
    std::fs::write(p.work.join("block-push"), "").unwrap();
    git(&p.t.home, &p.work, &["checkout", "-q", "-b", "feature/y"]);
    let (ok, out) = p.push(&["origin", "feature/y"]);
    assert!(!ok, "the user's hook blocked it: {out}");
    let (code, out) = p.shipgate(&["hook", "uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(husky.join("pre-push")).unwrap(),
        theirs
    );
}

#[test]
fn hooks_path_and_linked_worktrees_are_honoured() {
    let p = Pushable::new();
    git(
        &p.t.home,
        &p.work,
        &["config", "core.hooksPath", ".githooks"],
    );
    assert_eq!(p.shipgate(&["hook", "install"]).0, 0);
    assert!(p.work.join(".githooks/pre-push").exists());
    git(&p.t.home, &p.work, &["config", "--unset", "core.hooksPath"]);

    let wt = p.t.dir.path().join("wt");
    git(
        &p.t.home,
        &p.work,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "wt-branch",
            wt.to_str().unwrap(),
        ],
    );
    let out =
        p.t.cmd()
            .current_dir(&wt)
            .args(["hook", "install"])
            .output()
            .unwrap();
    assert!(out.status.success());
    assert!(
        p.work.join(".git/hooks/pre-push").exists(),
        "linked worktrees share the main hooks"
    );
    let out =
        p.t.cmd()
            .current_dir(&wt)
            .args(["run", "-f", "json"])
            .output()
            .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["repo"]["branch"], "wt-branch");
}

#[test]
fn a_shallow_clone_that_hides_the_range_is_an_error() {
    let p = Pushable::new();
    p.commit("a.txt", "Second\n\nReviewed-by: A <a@x>");
    p.commit("b.txt", "Third\n\nReviewed-by: A <a@x>");
    git(
        &p.t.home,
        &p.work,
        &["push", "-q", "--no-verify", "origin", "main"],
    );
    let shallow = p.t.dir.path().join("shallow");
    let url = format!("file://{}", p.remote.display());
    git(
        &p.t.home,
        p.t.dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    let out =
        p.t.cmd()
            .current_dir(&shallow)
            .args([
                "run",
                "-f",
                "json",
                "--stage",
                "release",
                "--only",
                "unreviewed-commits",
            ])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status(&r, "unreviewed-commits"), "error");
    let reason = check(&r, "unreviewed-commits")["reason"].as_str().unwrap();
    assert!(
        reason.contains("shallow clone") && reason.contains("fetch-depth: 0"),
        "{reason}"
    );
    // A range inside what the clone has is fine.
    let out =
        p.t.cmd()
            .current_dir(&shallow)
            .args([
                "run",
                "-f",
                "json",
                "--stage",
                "release",
                "--only",
                "unreviewed-commits",
                "--range",
                "HEAD..HEAD",
            ])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn behind_upstream_as_far_as_local_refs_know() {
    let p = Pushable::new();
    let other = p.t.dir.path().join("other");
    git(
        &p.t.home,
        p.t.dir.path(),
        &[
            "clone",
            "-q",
            p.remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    std::fs::write(other.join("x"), "x").unwrap();
    git(&p.t.home, &other, &["add", "."]);
    git(&p.t.home, &other, &["commit", "-q", "-m", "Elsewhere"]);
    git(
        &p.t.home,
        &other,
        &["push", "-q", "--no-verify", "origin", "main"],
    );
    let (_, out) = p.shipgate(&["run", "--stage", "release", "--only", "behind-upstream"]);
    assert!(
        out.contains("PASS     behind-upstream"),
        "not fetched yet: {out}"
    );
    git(&p.t.home, &p.work, &["fetch", "-q"]);
    let (code, out) = p.shipgate(&["run", "--stage", "release", "--only", "behind-upstream"]);
    assert_eq!(code, 0, "a warning");
    assert!(
        out.contains("`main` is 1 commit(s) behind origin/main"),
        "{out}"
    );
}

#[test]
fn bare_repositories_are_refused_clearly() {
    let p = Pushable::new();
    let out =
        p.t.cmd()
            .current_dir(&p.remote)
            .args(["run"])
            .output()
            .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
}

#[test]
fn malformed_pre_push_input_is_an_error() {
    let t = TestRepo::new();
    t.commit_as("a", "x", DEV, DEV);
    let out = t
        .cmd()
        .args(["hook", "pre-push", "origin", "url"])
        .write_stdin("not a push line\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pre-push input line 1"));
}

fn make_exec(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The pre-commit framework runs `shipgate run --stage pre-push` with PRE_COMMIT_* variables
/// instead of git's stdin; they name the same push.
#[test]
fn the_pre_commit_framework_refs_are_the_push() {
    let t = TestRepo::new();
    let base = t.commit_as("a", "Initial\n\nReviewed-by: A <a@x>", DEV, DEV);
    let tip = t.commit_as("b", "Direct change", DEV, DEV);
    let run = |remote_branch: &str| {
        let out = t
            .cmd()
            .args([
                "run",
                "-f",
                "json",
                "--stage",
                "pre-push",
                "--only",
                "unreviewed-commits",
            ])
            .env("PRE_COMMIT_FROM_REF", base.to_string())
            .env("PRE_COMMIT_TO_REF", tip.to_string())
            .env("PRE_COMMIT_REMOTE_BRANCH", remote_branch)
            .env("PRE_COMMIT_REMOTE_NAME", "origin")
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), r)
    };
    let (code, r) = run("refs/heads/main");
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Direct change"]
    );
    let (code, r) = run("refs/heads/feature/x");
    assert_eq!(code, 0);
    assert_eq!(status(&r, "unreviewed-commits"), "skip");
}

/// The loose object file of `id`.
fn object_path(t: &TestRepo, id: git2::Oid) -> PathBuf {
    let hex = id.to_string();
    t.root.join(".git/objects").join(&hex[..2]).join(&hex[2..])
}

/// A missing HEAD commit is a damaged repository, not an unborn branch: the commit and state
/// checks end in error (exit 2). A commit rewritten in place (its hash no longer matches) with a
/// forged `Reviewed-by:` is not read as reviewed: exit 2, with the object named.
#[test]
fn damaged_history_is_an_error_not_a_pass() {
    let t = TestRepo::new();
    t.write("f", "1\n");
    t.commit("Initial");
    t.tag("v0");
    let head = t.commit_as("f", "unreviewed change", DEV, DEV);
    std::fs::remove_file(object_path(&t, head)).unwrap();
    let (code, r) = t
        .only(&["unreviewed-commits", "wip-commits", "release-branch"])
        .args(&["--stage", "release"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    for id in ["unreviewed-commits", "wip-commits", "release-branch"] {
        assert_eq!(status(&r, id), "error", "{id}: {r:#}");
    }
    assert!(check(&r, "unreviewed-commits")["reason"]
        .as_str()
        .unwrap()
        .contains("cannot be read"));

    // Tampered: the commit's content changed without its name.
    let t = TestRepo::new();
    t.write("f", "1\n");
    t.commit("Initial");
    t.tag("v0");
    let head = t.commit_as("f", "change", DEV, DEV);
    forge_review(&t, head);
    let (code, r) = t
        .only(&["unreviewed-commits"])
        .args(&["--stage", "release", "--range", "HEAD~1..HEAD"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "unreviewed-commits"), "error");

    // A commit inside the range, read first by the walk (which checks commit hashes itself).
    let t = TestRepo::new();
    t.write("f", "1\n");
    t.commit("Initial");
    t.tag("v0");
    let middle = t.commit_as("f", "change", DEV, DEV);
    t.commit_as(
        "g",
        "later\n\nReviewed-by: Boss <boss@example.com>",
        DEV,
        DEV,
    );
    forge_review(&t, middle);
    let (code, r) = t
        .only(&["unreviewed-commits"])
        .args(&["--stage", "release", "--range", "v0..HEAD"])
        .json();
    assert_eq!(code, 2, "{r:#}");
    assert_eq!(status(&r, "unreviewed-commits"), "error");
    let reason = check(&r, "unreviewed-commits")["reason"].as_str().unwrap();
    assert!(reason.contains(&middle.to_string()[..8]), "{reason}");
}

/// Rewrites the loose object of commit `id` in place with a forged `Reviewed-by:` trailer: its
/// content changes, its name does not.
fn forge_review(t: &TestRepo, id: git2::Oid) {
    let path = object_path(t, id);
    let raw = {
        use std::io::Read;
        let mut d = flate2::read::ZlibDecoder::new(std::fs::File::open(&path).unwrap());
        let mut v = Vec::new();
        d.read_to_end(&mut v).unwrap();
        v
    };
    let body = &raw[raw.iter().position(|b| *b == 0).unwrap() + 1..];
    let mut forged = String::from_utf8(body.to_vec()).unwrap();
    forged = forged.trim_end().to_string() + "\n\nReviewed-by: Boss <boss@example.com>\n";
    let mut obj = format!("commit {}\0", forged.len()).into_bytes();
    obj.extend(forged.as_bytes());
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&obj).unwrap();
    std::fs::write(&path, e.finish().unwrap()).unwrap();
}

/// Commits whose bytes libgit2 does not keep whole (a NUL inside the message; no message and no
/// blank line after the header) are intact, not damaged: the walk has libgit2 check them and
/// goes on, and each is judged like any other commit.
#[test]
fn unusual_but_intact_commits_are_read_not_refused() {
    let t = TestRepo::new();
    t.write("f", "1\n");
    t.commit("Initial");
    t.tag("v0");
    let head = t.repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree_id();
    let ident = "Dev <dev@example.com> 1700000000 +0000";
    let odb = t.repo.odb().unwrap();
    let nul = format!(
        "tree {tree}\nparent {}\nauthor {ident}\ncommitter {ident}\n\nwith a NUL\0inside\n",
        head.id()
    );
    let nul = odb.write(git2::ObjectType::Commit, nul.as_bytes()).unwrap();
    let bare = format!("tree {tree}\nparent {nul}\nauthor {ident}\ncommitter {ident}\n");
    let bare = odb
        .write(git2::ObjectType::Commit, bare.as_bytes())
        .unwrap();
    t.repo
        .reference("refs/heads/main", bare, true, "raw commits")
        .unwrap();
    t.repo.set_head("refs/heads/main").unwrap();
    let (code, r) = t
        .only(&["unreviewed-commits"])
        .args(&["--stage", "release", "--range", "v0..HEAD"])
        .json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(status(&r, "unreviewed-commits"), "fail", "{r:#}");
    let findings = check(&r, "unreviewed-commits")["findings"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(findings, 2, "{r:#}");
}

/// What a forge merge brought in was reviewed with it (a security-advisory "Merge commit from
/// fork" that GitHub committed), and a commit the range itself reverts does not ship; beside each,
/// the same commit merged by a person, or not reverted, is reported.
#[test]
fn forge_merges_and_reverted_commits() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial", DEV, DEV);
    t.tag("v1.0.0");
    let base = t.repo.head().unwrap().peel_to_commit().unwrap();
    let fix = t.commit_as("s", "Fix the advisory", DEV, DEV);
    t.repo
        .reset(base.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(
        fix,
        "Merge commit from fork",
        ("GitHub", "noreply@github.com"),
    );
    let bad = t.commit_as("b", "Direct push that was undone", DEV, DEV);
    t.commit_as(
        "b",
        &format!("Revert \"Direct push that was undone\"\n\nThis reverts commit {bad}.\n\nReviewed-by: A <a@example.com>"),
        DEV,
        DEV,
    );
    t.commit_as("c", "Direct push that ships", DEV, DEV);
    let (code, r) = t
        .only(&["unreviewed-commits"])
        .args(&["--stage", "release"])
        .json();
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Direct push that ships"]
    );

    // The same fix merged by a person, with the same subject, is not review.
    let t = TestRepo::new();
    t.commit_as("a", "Initial", DEV, DEV);
    t.tag("v1.0.0");
    let base = t.repo.head().unwrap().peel_to_commit().unwrap();
    let fix = t.commit_as("s", "Fix the advisory", DEV, DEV);
    t.repo
        .reset(base.as_object(), git2::ResetType::Hard, None)
        .unwrap();
    t.merge_commit(fix, "Merge commit from fork", DEV);
    let (_, r) = t
        .only(&["unreviewed-commits"])
        .args(&["--stage", "release"])
        .json();
    let got = findings_subjects(&r, "unreviewed-commits");
    assert!(got.contains(&"Fix the advisory".to_string()), "{got:?}");
}

impl Pushable {
    /// `shipgate run --stage pre-push` as a hook manager runs it: no push input on stdin.
    pub(crate) fn run_pre_push(&self, envs: &[(&str, &str)]) -> (i32, serde_json::Value) {
        let out = self
            .t
            .cmd()
            .current_dir(&self.work)
            .args(["run", "-f", "json", "--stage", "pre-push"])
            .args(["--only", "unreviewed-commits"])
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        let r = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), r)
    }

    pub(crate) fn git(&self, args: &[&str]) -> String {
        git(&self.t.home, &self.work, args)
    }
}

/// Hook managers (lefthook, a line of a husky hook, `pre-commit run` by hand) run `shipgate run
/// --stage pre-push` without git's push input: it examines what `git push` would send from here,
/// the current branch to its push destination, and fails closed where git would have to be told.
#[test]
fn without_push_input_the_pre_push_stage_examines_what_git_push_would_send() {
    let p = Pushable::new();
    // On main, one unreviewed commit ahead of origin/main: examined, refused.
    p.commit("a.txt", "Direct change");
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["Direct change"]
    );
    assert_eq!(r["ranges"][0]["commits"], 1, "{r:#}");
    // The same commit reviewed passes.
    p.git(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "Direct change\n\nReviewed-by: A <a@x>",
    ]);
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (0, "pass"),
        "{r:#}"
    );

    // A feature branch with an upstream of its name: pushed to be reviewed, not examined.
    p.git(&["checkout", "-q", "-b", "feature/a"]);
    p.commit("b.txt", "Unreviewed work");
    p.git(&["push", "-q", "--no-verify", "-u", "origin", "feature/a"]);
    p.commit("c.txt", "More unreviewed work");
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (0, "skip"),
        "{r:#}"
    );
    let reason = check(&r, "unreviewed-commits")["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "would send from here (feature/a → origin feature/a) updates no protected branch"
        ),
        "{reason}"
    );
    // A branch tracking main under another name is refused by `git push` (push.default=simple):
    // shipgate cannot tell either, and says how to fix it.
    p.git(&["checkout", "-q", "-b", "topic", "--track", "origin/main"]);
    p.commit("d.txt", "Topic work");
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (2, "error"),
        "{r:#}"
    );
    assert!(format!("{r}").contains("a branch of another name"), "{r:#}");
    // ... unless push.default says where it goes: upstream pushes to main, which is examined.
    p.git(&["config", "push.default", "upstream"]);
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(findings_subjects(&r, "unreviewed-commits"), ["Topic work"]);
    p.git(&["config", "--unset", "push.default"]);

    // A new branch without an upstream: `git push` would have to be told where: an error, exit 2,
    // with the fix, never a skip.
    p.git(&["checkout", "-q", "-b", "feature/b", "main"]);
    p.commit("e.txt", "New work");
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (2, "error"),
        "{r:#}"
    );
    let text = format!("{r}");
    assert!(text.contains("has no upstream"), "{r:#}");
    assert!(text.contains("push.autoSetupRemote"), "{r:#}");
    assert!(text.contains("shipgate hook pre-push"), "{r:#}");
    // With push.autoSetupRemote, a new branch goes to its own name.
    p.git(&["config", "push.autoSetupRemote", "true"]);
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (0, "skip"),
        "{r:#}"
    );
    // A new protected branch is examined: what the remote's protected branches do not hold.
    p.git(&["checkout", "-q", "-b", "release/1.0", "feature/a"]);
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits"),
        ["More unreviewed work", "Unreviewed work"]
    );

    // A detached HEAD pushes no branch: an error, not a pass.
    p.git(&["checkout", "-q", "--detach"]);
    let (code, r) = p.run_pre_push(&[]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (2, "error"),
        "{r:#}"
    );
    assert!(format!("{r}").contains("HEAD is detached"), "{r:#}");

    // pre-commit run by hand: `--from-ref A --to-ref B` names the commits, whatever the branch.
    let (code, r) = p.run_pre_push(&[
        ("PRE_COMMIT_FROM_REF", "main"),
        ("PRE_COMMIT_TO_REF", "feature/a"),
    ]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(
        findings_subjects(&r, "unreviewed-commits").len(),
        2,
        "{r:#}"
    );
}

/// A repository with no remote: nothing says where a push would go, so the pre-push stage's
/// commit checks end in error (exit 2); `--range` still names the commits.
#[test]
fn without_push_input_or_remote_the_pre_push_stage_fails_closed() {
    let t = TestRepo::new();
    t.commit_as("a", "Initial\n\nReviewed-by: A <a@x>", DEV, DEV);
    let (code, r) = t.json(&["--stage", "pre-push", "--only", "unreviewed-commits"]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (2, "error"),
        "{r:#}"
    );
    assert!(format!("{r}").contains("has no remote to push to"), "{r:#}");
    let (code, r) = t.json(&[
        "--stage",
        "pre-push",
        "--only",
        "unreviewed-commits",
        "--range",
        "HEAD",
    ]);
    assert_eq!(
        (code, status(&r, "unreviewed-commits")),
        (0, "pass"),
        "{r:#}"
    );
}

/// A manifest that named the released version at none of the earlier release tags does not carry
/// the release version (bakerydemo's private front-end `package.json` at `1.0.0` beside `v7.3`,
/// vaultwarden's `Cargo.toml` at `1.0.0` beside `1.37.2`, gophish's `0.4.0-dev`): skipped, with
/// the reason. The true cases beside it: a manifest that matched the last release and was not
/// bumped for this one, and a first release, still fail.
#[test]
fn version_tag_skips_a_manifest_that_never_carried_the_release_version() {
    let release = |manifest: &str, earlier: &[(&str, &str)], tag: &str| {
        let t = TestRepo::new();
        for (i, (version, tag)) in earlier.iter().enumerate() {
            t.write(
                "package.json",
                format!("{{\"name\": \"front\", \"private\": true, \"version\": \"{version}\"}}\n"),
            )
            .write("app.py", format!("step = {i}\n"));
            t.commit(&format!("release {tag}"));
            t.tag(tag);
        }
        t.write(
            "package.json",
            format!("{{\"name\": \"front\", \"private\": true, \"version\": \"{manifest}\"}}\n"),
        )
        .write("app.py", "step = 99\n");
        t.commit("this release");
        t.tag(tag);
        let (_, r) = t
            .only(&["version-tag"])
            .args(&["--stage", "release"])
            .json();
        let c = check(&r, "version-tag").clone();
        let text = c["findings"][0]["message"]
            .as_str()
            .or(c["reason"].as_str())
            .unwrap_or("")
            .to_string();
        (c["status"].as_str().unwrap().to_string(), text)
    };
    // Never bumped: 1.0.0 at v7.1 and v7.2, and now at v7.3.
    let (st, why) = release("1.0.0", &[("1.0.0", "v7.1"), ("1.0.0", "v7.2")], "v7.3");
    assert_eq!(st, "skip", "{why}");
    assert!(
        why.contains("package.json named the released version at none of the 2 earlier release tag(s) (v7.2, v7.1)"),
        "{why}"
    );
    // A development version the manifest has kept through every release.
    let (st, why) = release(
        "0.4.0-dev",
        &[("0.4.0-dev", "v0.11.0"), ("0.4.0-dev", "v0.12.0")],
        "v0.12.1",
    );
    assert_eq!(st, "skip", "{why}");
    // The true case: the last release's tag matched its manifest, this one was not bumped.
    let (st, msg) = release(
        "7.2.0",
        &[("7.1.0", "v7.1.0"), ("7.2.0", "v7.2.0")],
        "v7.3.0",
    );
    assert_eq!(st, "fail", "{msg}");
    assert!(
        msg.contains("package.json says 7.2.0, but HEAD is tagged v7.3.0"),
        "{msg}"
    );
    // Nor may a development version ship where the manifest carried the last release's.
    let (st, msg) = release("7.3.0-dev", &[("7.2.0", "v7.2.0")], "v7.3.0");
    assert_eq!(st, "fail", "{msg}");
    assert!(msg.contains("development version"), "{msg}");
    // A first release: no earlier tag to learn from, the mismatch is reported.
    let (st, msg) = release("1.0.0", &[], "v0.1.0");
    assert_eq!(st, "fail", "{msg}");
}

/// A branch named `release` is the release line itself (BookStack merges `development` into it
/// and tags there); a tag on a feature branch is still refused.
#[test]
fn release_branch_accepts_a_branch_named_release() {
    let t = TestRepo::new();
    t.write("app.py", "x = 1\n");
    let base = t.commit("first");
    let run = |tag: &str| {
        let (_, r) = t
            .only(&["release-branch"])
            .args(&["--stage", "release"])
            .on_tag(tag)
            .json();
        check(&r, "release-branch").clone()
    };
    // Only on `release` (not on main): the release commit.
    let c = t.repo.find_commit(base).unwrap();
    t.repo.branch("release", &c, false).unwrap();
    t.repo.set_head("refs/heads/release").unwrap();
    let rel = t.commit_as("app.py", "release v24.10", DEV, DEV);
    t.tag("v24.10");
    t.repo.set_head_detached(rel).unwrap();
    assert_eq!(run("v24.10")["status"], "pass");
    // The true case: a tag on a feature branch only.
    t.repo.branch("feature/x", &c, false).unwrap();
    t.repo.set_head("refs/heads/feature/x").unwrap();
    let f = t.commit_as("f.py", "feature", DEV, DEV);
    t.tag("v24.11");
    t.repo.set_head_detached(f).unwrap();
    let c = run("v24.11");
    assert_eq!(c["status"], "fail", "{c:#}");
    assert!(c["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("the tag `v24.11` being released is on no allowed branch"));
}
