//! Which Dockerfiles the repository builds. A plain `Dockerfile` (or `Containerfile`) is what
//! `docker build .` and every tool use by default: it is always built. A variant-named one
//! (`Dockerfile.<x>`, `<x>.Dockerfile`) is built only by something that names it: a workflow
//! (`docker build -f …`, build-push-action's `file:`), a compose file's `dockerfile:`, a script,
//! a Makefile, a `package.json` script. One that no file of the repository names (documentation
//! aside: a plan or a README that mentions it builds nothing) is a leftover, not a shipped build.
//!
//! This is a second, limited read of the work tree, made only when a check has something to say
//! about a variant-named Dockerfile: the files of the repository pass that can name one (those
//! the walk saw `dockerfile` or `containerfile` in, and those it did not read) are read in
//! bounded chunks and searched for the Dockerfile's file name (ASCII case-insensitive). A file
//! that cannot be read counts as naming it (the check keeps what it found), and so does a name
//! the build computes (`Dockerfile.${{ matrix.variant }}`, `Dockerfile.$TARGET`): it may be any
//! of them.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use crate::inputs::material::Material;
use crate::inputs::repo::{RepoFile, RepoScan};

/// Whether `path` names a variant Dockerfile (`Dockerfile.prod`, `api.Dockerfile`,
/// `Containerfile.dev`): one that is built only where something names it.
pub fn is_variant_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["dockerfile.", "containerfile."]
        .iter()
        .any(|p| name.starts_with(p) && name.len() > p.len())
        || [".dockerfile", ".containerfile"]
            .iter()
            .any(|s| name.ends_with(s) && name.len() > s.len())
}

/// The variant Dockerfiles of `candidates` that no other file of the repository (documentation
/// aside) names by file name: nothing builds them.
pub fn unbuilt_dockerfiles(
    root: &Path,
    files: &[RepoFile],
    candidates: &[&str],
) -> BTreeSet<String> {
    let wanted: Vec<(&str, Vec<u8>)> = candidates
        .iter()
        .filter(|p| is_variant_dockerfile(p))
        .map(|p| {
            let name = p.rsplit('/').next().unwrap_or(p);
            (*p, name.to_ascii_lowercase().into_bytes())
        })
        .collect();
    let mut unnamed: BTreeSet<String> = wanted.iter().map(|(p, _)| p.to_string()).collect();
    if wanted.is_empty() {
        return unnamed;
    }
    // Every name looked for, then the computed forms: one automaton for the whole search (one
    // substring search per name and file was most of a moby/moby run's time after the walk).
    let mut needles: Vec<&[u8]> = wanted.iter().map(|(_, n)| n.as_slice()).collect();
    needles.extend(COMPUTED);
    let Ok(names) = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(&needles)
    else {
        return unnamed;
    };
    for f in files {
        if unnamed.is_empty() {
            break;
        }
        // Documentation and ignore files build nothing; a file the walk read whole without
        // `dockerfile` or `containerfile` in it names none (every name looked for holds one).
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        if f.material == Some(Material::Doc)
            || name.ends_with("ignore")
            || f.names_dockerfile == Some(false)
        {
            continue;
        }
        // A Dockerfile that names itself is not built by that.
        if !unnamed.iter().any(|p| *p != f.path) {
            continue;
        }
        for i in names_in(&root.join(&f.path), &names) {
            match wanted.get(i) {
                Some((p, _)) if *p != f.path => {
                    unnamed.remove(*p);
                }
                Some(_) => {}
                // A name computed at build time may be any of them: none is left out.
                None => return BTreeSet::new(),
            }
        }
    }
    unnamed
}

/// Whether `data` holds `dockerfile` or `containerfile`, the `docker`/`container` part in any
/// ASCII case and `file` as `file`, `File`, `FILE` or `fILE` (the walk asks this of every file it
/// reads, so that the search for what names a variant Dockerfile reads again only the files that
/// can: reading the whole tree a second time was a quarter of a moby/moby run; two substring
/// searches cost a thirtieth of what looking at every `f` did).
pub fn mentions_dockerfile(data: &[u8]) -> bool {
    let mut any = false;
    each_mention(data, |_| {
        any = true;
        false
    });
    any
}

/// Calls `f(start)` for each `dockerfile` or `containerfile` in `data` (spelled as
/// [`mentions_dockerfile`] reads them), by where the `f` of `file` is, until `f` returns false.
fn each_mention(data: &[u8], mut f: impl FnMut(usize) -> bool) {
    // `ile` is in `file` and `File`, `ILE` in `FILE`: two searches, not three.
    static FINDERS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 2]> =
        std::sync::OnceLock::new();
    let finders = FINDERS
        .get_or_init(|| [b"ile", b"ILE"].map(|n| memchr::memmem::Finder::new(&n[..]).into_owned()));
    for finder in finders {
        for i in finder.find_iter(data) {
            let Some(at) = i
                .checked_sub(1)
                .filter(|&at| data[at].eq_ignore_ascii_case(&b'f'))
            else {
                continue;
            };
            let named = [&b"docker"[..], b"container"]
                .iter()
                .any(|w| at >= w.len() && data[at - w.len()..at].eq_ignore_ascii_case(w));
            if named && !f(at) {
                return;
            }
        }
    }
}

/// How a build names a Dockerfile it computes (`-f Dockerfile.${{ matrix.variant }}`,
/// `Dockerfile.$TARGET`, `${NAME}.Dockerfile`, `for f in Dockerfile.*`): then no variant
/// Dockerfile can be said to be unbuilt.
const COMPUTED: [&[u8]; 8] = [
    b"dockerfile.$",
    b"dockerfile.{",
    b"dockerfile.%",
    b"dockerfile.*",
    b"}.dockerfile",
    b").dockerfile",
    b"containerfile.$",
    b"containerfile.*",
];

/// Which of `candidates` are variant Dockerfiles nothing builds. The tree is searched once per run
/// for every variant Dockerfile it has (kept in the scan), the first time a check asks.
pub fn unbuilt(root: &Path, scan: &RepoScan, candidates: &[&str]) -> BTreeSet<String> {
    if !candidates.iter().any(|c| is_variant_dockerfile(c)) {
        return BTreeSet::new();
    }
    let all = scan.unbuilt_dockerfiles.get_or_init(|| {
        let variants: Vec<&str> = scan
            .files
            .iter()
            .map(|f| f.path.as_str())
            .filter(|p| is_variant_dockerfile(p))
            .collect();
        unbuilt_dockerfiles(root, &scan.files, &variants)
    });
    candidates
        .iter()
        .filter(|c| all.contains(**c))
        .map(|c| c.to_string())
        .collect()
}

/// What a check says when it leaves such Dockerfiles out.
pub fn left_out(unbuilt: &BTreeSet<String>) -> String {
    let names: Vec<&str> = unbuilt.iter().map(String::as_str).collect();
    let it = if names.len() == 1 { "it" } else { "them" };
    format!(
        "not looked at: {} (no workflow, compose file, script or other file of the repository names {it}, so nothing builds {it})",
        names.join(", "),
    )
}

/// Which of the automaton's names (lower case) the file contains, ASCII case-insensitively; all
/// of them when it cannot be read. Read in chunks: memory is bounded whatever the file's size.
fn names_in(path: &Path, names: &aho_corasick::AhoCorasick) -> Vec<usize> {
    let all = || (0..names.patterns_len()).collect();
    let Ok(mut file) = std::fs::File::open(path) else {
        return all();
    };
    let keep = names.max_pattern_len().saturating_sub(1);
    let mut found = vec![false; names.patterns_len()];
    let mut buf: Vec<u8> = Vec::with_capacity(64 * 1024 + keep);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return all(),
        };
        buf.extend_from_slice(&chunk[..n]);
        // Every name holds `dockerfile` or `containerfile`: the names are looked for around
        // those only (the whole text was a tenth of a moby/moby run, on one thread after the
        // walk). A name holding one lies within `keep` bytes of it either side.
        let mut at = Vec::new();
        each_mention(&buf, |i| {
            at.push(i);
            true
        });
        at.sort_unstable();
        let mut searched = 0;
        for i in at {
            let to = (i + keep + 1).min(buf.len());
            // Sorted, a window ending where an earlier one did is inside it.
            if to <= searched {
                continue;
            }
            for m in names.find_overlapping_iter(&buf[i.saturating_sub(keep)..to]) {
                found[m.pattern().as_usize()] = true;
            }
            searched = to;
        }
        if found.iter().all(|f| *f) {
            break;
        }
        let cut = buf.len().saturating_sub(keep);
        buf.drain(..cut);
    }
    (0..found.len()).filter(|i| found[*i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        for p in [
            "Dockerfile.prod",
            "apps/web/Dockerfile.pnpm",
            "docker/api.Dockerfile",
            "Containerfile.dev",
            "x.dockerfile",
        ] {
            assert!(is_variant_dockerfile(p), "{p}");
        }
        for p in [
            "Dockerfile",
            "docker/Dockerfile",
            "Containerfile",
            "Dockerfile.",
            ".dockerfile",
        ] {
            assert!(!is_variant_dockerfile(p), "{p}");
        }
    }

    #[test]
    fn a_variant_dockerfile_named_by_another_file_is_built() {
        let dir = tempfile::tempdir().unwrap();
        let file = |p: &str, content: &str, material: Option<Material>| {
            let full = dir.path().join(p);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, content).unwrap();
            RepoFile {
                path: p.into(),
                tracked: true,
                material,
                names_dockerfile: None,
                symlink: false,
            }
        };
        let long = format!(
            "{}docker build -f docker/Dockerfile.API .\n",
            "x".repeat(200_000)
        );
        let files = vec![
            file("docker/Dockerfile.api", "FROM node:20\n", None),
            file(
                "docker/Dockerfile.old",
                "FROM node:18\n# Dockerfile.old\n",
                None,
            ),
            file("docker/Dockerfile.dev", "FROM node\n", None),
            file("Dockerfile", "FROM node:20\n", None),
            file("scripts/build.sh", &long, Some(Material::Tooling)),
            file(
                "docs/docker.md",
                "docker build -f Dockerfile.old\n",
                Some(Material::Doc),
            ),
            // An ignore pattern builds nothing.
            file(".dockerignore", "Dockerfile.*\n", None),
            file(
                "compose.yml",
                "services:\n  web:\n    build:\n      dockerfile: Dockerfile.dev\n",
                None,
            ),
        ];
        let unbuilt = unbuilt_dockerfiles(
            dir.path(),
            &files,
            &[
                "docker/Dockerfile.api",
                "docker/Dockerfile.old",
                "docker/Dockerfile.dev",
                "Dockerfile",
            ],
        );
        // Named by a script (past the first chunk) and by compose: built. Named only by itself
        // and by the docs: not. A plain Dockerfile is never a candidate.
        assert_eq!(
            unbuilt.into_iter().collect::<Vec<_>>(),
            ["docker/Dockerfile.old"]
        );
        // A workflow that computes the name may build any of them.
        let mut files = files;
        files.push(file(
            ".github/workflows/images.yml",
            "      - run: docker build -f docker/Dockerfile.${{ matrix.variant }} .\n",
            Some(Material::Tooling),
        ));
        let unbuilt = unbuilt_dockerfiles(dir.path(), &files, &["docker/Dockerfile.old"]);
        assert!(unbuilt.is_empty(), "{unbuilt:?}");
        // What the walk knows: a file it read without either word is not read again (here it
        // names Dockerfile.old on disk, but the walk's answer stands); one it could not read is.
        files.pop();
        files.push(file(
            "Makefile",
            "image:\n\tdocker build -f docker/Dockerfile.old .\n",
            None,
        ));
        let only = |flag: Option<bool>| {
            let mut fs = files.clone();
            fs.last_mut().unwrap().names_dockerfile = flag;
            unbuilt_dockerfiles(dir.path(), &fs, &["docker/Dockerfile.old"])
        };
        assert!(only(None).is_empty());
        assert!(only(Some(true)).is_empty());
        assert_eq!(only(Some(false)).len(), 1);
        // Names are looked for around each mention: one across the 64 KiB read boundary, and
        // one in capitals after a mention in lowercase further on (the two spellings are
        // searched apart).
        let across = format!("{}docker/Dockerfile.edge\n", "x".repeat(64 * 1024 - 10));
        let files = vec![
            file("docker/Dockerfile.edge", "FROM node\n", None),
            file("docker/Dockerfile.ci", "FROM node\n", None),
            file("docker/Dockerfile.nightly", "FROM node\n", None),
            file("scripts/edge.sh", &across, Some(Material::Tooling)),
            file(
                "Makefile",
                "# see dockerfile notes\nci:\n\tdocker build -f DOCKERFILE.CI .\n",
                None,
            ),
        ];
        let unbuilt = unbuilt_dockerfiles(
            dir.path(),
            &files,
            &[
                "docker/Dockerfile.edge",
                "docker/Dockerfile.ci",
                "docker/Dockerfile.nightly",
            ],
        );
        assert_eq!(
            unbuilt.into_iter().collect::<Vec<_>>(),
            ["docker/Dockerfile.nightly"]
        );
    }

    #[test]
    fn mentions_of_dockerfiles_in_any_case() {
        for yes in [
            "docker build -f Dockerfile.api .",
            "FILE: api.DOCKERFILE",
            "containerFile.dev",
            "x DockerFile",
            "ile\nDockerfile",
            "dockerFILE",
        ] {
            assert!(mentions_dockerfile(yes.as_bytes()), "{yes}");
        }
        for no in [
            "docker file",
            "a profile",
            "Dockerfil",
            "container-file",
            "f",
            "",
            "ockerfile",
            "docker ile",
            "ile",
            "dockerpile",
        ] {
            assert!(!mentions_dockerfile(no.as_bytes()), "{no}");
        }
    }
}
