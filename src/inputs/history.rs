//! The commit range: which commits a push, a CI run or a release ships, walked once with git2 and
//! shared by every `git-commits` check that asks for the same range. A shallow clone that hides
//! part of the range is an error that says how to fetch enough history, never a pass on half the
//! evidence.

use std::collections::HashSet;

use git2::{Oid, Repository};

/// A commit as the checks see it.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub id: Oid,
    pub message: String,
    pub author: String,
    pub author_email: String,
    pub committer: String,
    pub committer_email: String,
    pub parents: Vec<Oid>,
}

impl CommitInfo {
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("").trim()
    }

    pub fn short(&self) -> String {
        self.id.to_string()[..8].to_string()
    }

    pub fn author_ident(&self) -> String {
        format!("{} <{}>", self.author, self.author_email)
    }

    pub fn committer_ident(&self) -> String {
        format!("{} <{}>", self.committer, self.committer_email)
    }

    /// Whether the commit was applied by someone other than its author (a different person by
    /// both name and email): a maintainer applying a patch, a rebase-merge.
    pub fn applied_by_another(&self) -> bool {
        let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
        !same(&self.author_email, &self.committer_email) && !same(&self.author, &self.committer)
    }

    /// Whether this is a merge commit whose message matches one of `subjects`.
    pub fn is_merge_by(&self, subjects: &[crate::types::Pattern]) -> bool {
        self.parents.len() > 1 && subjects.iter().any(|p| p.hit(self.message.as_bytes()))
    }
}

/// Where a range starts and ends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RangeSpec {
    /// Commits since the newest tag reachable from HEAD (all history when there is none).
    SinceLastTag,
    /// Commits on HEAD that its upstream branch does not have.
    Upstream,
    /// A revision range `A..B`, or a single revision (it and all its ancestors).
    Explicit(String),
    /// What one ref of a push sends: `include` minus everything in `exclude`.
    Push {
        include: Oid,
        exclude: Vec<Oid>,
        label: String,
    },
}

/// The range the commit and migration checks examine unless told otherwise.
pub const DEFAULT_RANGE: &str = "since-last-tag";

impl RangeSpec {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            DEFAULT_RANGE => RangeSpec::SinceLastTag,
            "upstream" => RangeSpec::Upstream,
            other => RangeSpec::Explicit(other.to_string()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            RangeSpec::SinceLastTag => "since the last tag".into(),
            RangeSpec::Upstream => "not on the upstream branch".into(),
            RangeSpec::Explicit(r) => r.clone(),
            RangeSpec::Push { label, .. } => label.clone(),
        }
    }
}

/// The commits of one range, newest first.
#[derive(Debug, Clone)]
pub struct Range {
    pub label: String,
    pub commits: Vec<CommitInfo>,
    /// `since-last-tag` found no release tag: nothing bounds the range (a first release, or a
    /// project that does not tag). Its commits are not walked.
    pub unbounded: bool,
    /// The range's ends: the commits it starts from (the tip) and those it excludes (what the
    /// target already has), for kinds that compare trees rather than read commits.
    pub include: Vec<Oid>,
    pub exclude: Vec<Oid>,
}

/// Why a check has no range to examine: it does not apply (a push to a feature branch), or the
/// range cannot be worked out (the remote has commits that are not here).
#[derive(Debug, Clone)]
pub enum RangeProblem {
    Skip(String),
    Error(String),
}

/// The commit pass: each distinct range walked once, shared by every check that asks for it.
#[derive(Default)]
pub struct CommitsPass {
    pub ranges: std::collections::HashMap<RangeSpec, Result<Range, String>>,
    /// Per range: the commits that pull-request merges in it brought in (reviewed with them).
    pub reviewed: std::collections::HashMap<RangeSpec, HashSet<Oid>>,
    /// The ranges in the order they were first asked for (the report lists them so).
    pub order: Vec<RangeSpec>,
    /// Per check (by index): the ranges it examines, or why it examines none.
    pub per_check: std::collections::HashMap<usize, Result<Vec<RangeSpec>, RangeProblem>>,
}

/// How to fetch enough history, for shallow-clone errors.
pub const UNSHALLOW_HELP: &str = "this is a shallow clone and the range reaches past its oldest commit: fetch the history \
(`git fetch --unshallow --tags`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`, in GitLab \
`GIT_DEPTH: 0`)";

/// Walks the range once.
pub fn walk(repo: &Repository, spec: &RangeSpec) -> Result<Range, String> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    // Commits earlier releases reach, left out of the walk besides `exclude` (which stays the
    // range's base for the kinds that compare trees).
    let mut shipped: Vec<Oid> = Vec::new();
    let label;
    match spec {
        RangeSpec::SinceLastTag => {
            let head = head_commit(repo)?;
            include.push(head);
            match releases_before(repo, head)? {
                Some(r) => {
                    exclude.push(r.base);
                    shipped = r.shipped(repo)?;
                    label = format!("{}..HEAD", r.name);
                }
                // In a shallow clone the tag may simply not have been fetched.
                None if repo.is_shallow() => {
                    return Err(format!(
                        "since the last release tag: none is here, and {UNSHALLOW_HELP}"
                    ))
                }
                None => {
                    return Ok(Range {
                        label: "since the last release tag (none yet)".into(),
                        commits: Vec::new(),
                        unbounded: true,
                        include: vec![head],
                        exclude: Vec::new(),
                    })
                }
            }
        }
        RangeSpec::Upstream => {
            let head = repo
                .head()
                .map_err(|_| "HEAD has no commits yet".to_string())?;
            let name = head.shorthand().unwrap_or("HEAD").to_string();
            let branch = git2::Branch::wrap(head);
            let up = branch.upstream().map_err(|_| {
                format!("branch `{name}` has no upstream: `git branch --set-upstream-to=origin/{name}`, or give --range")
            })?;
            exclude.push(up.get().peel_to_commit().map_err(msg)?.id());
            include.push(head_commit(repo)?);
            label = format!("{}..{name}", up.name().ok().flatten().unwrap_or("upstream"));
        }
        RangeSpec::Explicit(r) => {
            let commit = |rev: &str| -> Result<Oid, String> {
                let obj = repo
                    .revparse_single(rev)
                    .map_err(|e| format!("revision `{rev}` in `{r}`: {}", e.message()))?;
                Ok(obj.peel_to_commit().map_err(msg)?.id())
            };
            if r.contains("...") {
                return Err(format!(
                    "range `{r}`: use `A..B` (the commits in B that are not in A)"
                ));
            }
            match r.split_once("..") {
                Some((a, b)) => {
                    exclude.push(commit(if a.is_empty() { "HEAD" } else { a })?);
                    include.push(commit(if b.is_empty() { "HEAD" } else { b })?);
                }
                None => include.push(commit(r)?),
            }
            label = r.clone();
        }
        RangeSpec::Push {
            include: inc,
            exclude: exc,
            label: l,
        } => {
            include.push(*inc);
            for x in exc {
                // A remote commit we do not have locally: git would reject the push as
                // non-fast-forward anyway; say so rather than guess the range.
                if repo.find_commit(*x).is_err() {
                    return Err(format!(
                        "{l}: the remote has commit {} that is not here: `git fetch` first",
                        &x.to_string()[..8]
                    ));
                }
                exclude.push(*x);
            }
            label = l.clone();
        }
    }
    let shallow = shallow_commits(repo);
    // Each commit read is handed, as bytes, to a second thread that checks its hash and makes
    // its `CommitInfo` while this one goes on reading (those were a fifth of a walk over
    // 10,000 commits, reading itself being most of the rest).
    // In batches: a message per commit cost more in wake-ups than the work it moved.
    const BATCH: usize = 512;
    let (tx, rx) = std::sync::mpsc::channel::<Vec<RawCommit>>();
    let (found, (mut infos, unconfirmed)) = std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let mut infos = std::collections::HashMap::new();
            let mut unconfirmed = Vec::new();
            for raw in rx.into_iter().flatten() {
                let (info, matches) = raw.info();
                if !matches {
                    unconfirmed.push(info.id);
                }
                infos.insert(info.id, info);
            }
            (infos, unconfirmed)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let not_walked = [exclude.as_slice(), &shipped].concat();
        let found = reachable(
            repo,
            &include,
            &not_walked,
            &mut |_| false,
            &mut |id, data| {
                batch.push(RawCommit::of(id, data));
                if batch.len() == BATCH {
                    let _ = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                }
            },
        );
        let _ = tx.send(batch);
        drop(tx);
        (found, worker.join().unwrap_or_default())
    });
    let found = found?;
    confirm(&unconfirmed)?;
    let mut commits = Vec::new();
    for c in found {
        if shallow.contains(&c) {
            return Err(format!("{label}: {UNSHALLOW_HELP}"));
        }
        let info = infos
            .remove(&c)
            .ok_or_else(|| format!("commit {}: not read", &c.to_string()[..8]))?;
        commits.push(info);
    }
    Ok(Range {
        label,
        commits,
        unbounded: false,
        include,
        exclude,
    })
}

/// The commits reachable from `include` and not from `exclude`, newest first (by commit time),
/// up to and including the first one for which `stop` says true.
///
/// libgit2's revwalk parses commits with its own reader, bypassing the object cache, so a range
/// whose ends were resolved (`HEAD~10000`) or walked before (the last tag) was inflated twice.
/// This walk reads each commit's bytes from the object database (kept in the repository's cache:
/// a later walk over the same commits does not inflate them again) and takes from them only what
/// it needs, the parents and the commit time; `read` is given every commit's id and bytes (the
/// caller checks the hash and makes what the checks see). Like git's, it stops when only
/// excluded commits are left to visit, after a few more steps for clock skew.
fn reachable(
    repo: &Repository,
    include: &[Oid],
    exclude: &[Oid],
    stop: &mut dyn FnMut(Oid) -> bool,
    read: &mut dyn FnMut(Oid, &[u8]),
) -> Result<Vec<Oid>, String> {
    use std::collections::{BinaryHeap, HashMap};
    const SLOP: usize = 5;
    struct Walk<'a> {
        odb: git2::Odb<'a>,
        /// Per commit seen: whether it is reachable from `exclude`.
        excluded: HashMap<Oid, bool>,
        /// Commits to visit, newest first, with their parents read when they were queued.
        queue: BinaryHeap<(i64, Oid)>,
        read: HashMap<Oid, Vec<Oid>>,
        /// Queued commits that are not excluded.
        wanted: usize,
        /// Given every commit read, to check its hash.
        on_read: &'a mut dyn FnMut(Oid, &[u8]),
        /// The commits at the edge of a shallow clone: their parents are not here, and they are
        /// walked as having none (as libgit2 and git read them).
        shallow: HashSet<Oid>,
    }
    impl Walk<'_> {
        fn push(&mut self, id: Oid, excluded: bool) -> Result<(), String> {
            match self.excluded.get(&id).copied() {
                Some(was) => {
                    if excluded && !was {
                        self.excluded.insert(id, true);
                        if self.read.contains_key(&id) {
                            self.wanted -= 1;
                        }
                    }
                }
                None => {
                    let obj = self.odb.read(id).map_err(|e| {
                        format!(
                            "commit {} cannot be read: {}",
                            &id.to_string()[..8],
                            e.message()
                        )
                    })?;
                    if obj.kind() != git2::ObjectType::Commit {
                        return Err(format!("{} is not a commit", &id.to_string()[..8]));
                    }
                    let (time, mut parents) = time_and_parents(obj.data());
                    if self.shallow.contains(&id) {
                        parents.clear();
                    }
                    (self.on_read)(id, obj.data());
                    self.queue.push((time, id));
                    self.excluded.insert(id, excluded);
                    self.wanted += usize::from(!excluded);
                    self.read.insert(id, parents);
                }
            }
            Ok(())
        }
    }
    let own_check = OwnHashCheck::start();
    let mut w = Walk {
        odb: repo.odb().map_err(msg)?,
        excluded: HashMap::new(),
        queue: BinaryHeap::new(),
        read: HashMap::new(),
        wanted: 0,
        on_read: read,
        shallow: shallow_commits(repo),
    };
    for x in exclude {
        w.push(*x, true)?;
    }
    for i in include {
        w.push(*i, false)?;
    }
    let mut out = Vec::new();
    let mut slop = SLOP;
    while let Some((_, id)) = w.queue.pop() {
        let Some(parents) = w.read.remove(&id) else {
            continue;
        };
        let excluded = w.excluded[&id];
        w.wanted -= usize::from(!excluded);
        for p in parents {
            w.push(p, excluded)?;
        }
        if !excluded {
            let done = stop(id);
            out.push(id);
            if done {
                break;
            }
        }
        if w.wanted == 0 {
            if slop == 0 || exclude.is_empty() {
                break;
            }
            slop -= 1;
        } else {
            slop = SLOP;
        }
    }
    // Commits reached first as wanted and later found excluded (clock skew) are dropped.
    out.retain(|c| !w.excluded[c]);
    drop(w);
    drop(own_check);
    Ok(out)
}

/// A commit's time (its committer's, as libgit2 reads it; 0 when it cannot be read) and parents,
/// from its bytes.
fn time_and_parents(data: &[u8]) -> (i64, Vec<Oid>) {
    let mut parents = Vec::new();
    let mut time = 0;
    for line in data.split(|b| *b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(p) = line.strip_prefix(b"parent ") {
            if let Some(id) = std::str::from_utf8(p)
                .ok()
                .and_then(|p| Oid::from_str(p).ok())
            {
                parents.push(id);
            }
        } else if let Some(c) = line.strip_prefix(b"committer ") {
            let after = memchr::memrchr(b'>', c).map_or(&c[..0], |i| &c[i + 1..]);
            time = std::str::from_utf8(after)
                .ok()
                .and_then(|t| t.split_whitespace().next())
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            break;
        }
    }
    (time, parents)
}

/// `reachable`, each commit read checked against its id on this thread.
fn reachable_checked(
    repo: &Repository,
    include: &[Oid],
    exclude: &[Oid],
    stop: &mut dyn FnMut(Oid) -> bool,
) -> Result<Vec<Oid>, String> {
    let mut unconfirmed = Vec::new();
    let out = reachable(repo, include, exclude, stop, &mut |id, bytes| {
        if !hash_matches(id, bytes) {
            unconfirmed.push(id);
        }
    })?;
    confirm(&unconfirmed)?;
    Ok(out)
}

/// A commit whose bytes do not hash to its id is damaged (or was rewritten in place): an error
/// naming it, never a commit read as it claims to be.
fn confirm(unconfirmed: &[Oid]) -> Result<(), String> {
    match unconfirmed.first() {
        None => Ok(()),
        Some(id) => Err(format!(
            "commit {}: its contents do not match its id (the object is damaged or was rewritten: `git fsck` names what else is)",
            &id.to_string()[..8]
        )),
    }
}

/// A commit's bytes as the object database holds them, and where its header ends (before the
/// blank line; the whole when there is none).
struct RawCommit {
    id: Oid,
    bytes: Vec<u8>,
    header: usize,
}

impl RawCommit {
    fn of(id: Oid, data: &[u8]) -> Self {
        let header = memchr::memmem::find(data, b"\n\n").map_or(data.len(), |i| i + 1);
        RawCommit {
            id,
            bytes: data.to_vec(),
            header,
        }
    }

    /// The commit as the checks see it (read as libgit2 reads it: the first `author` line, each
    /// signature's name before its last `<` and email up to its last `>`, both trimmed; the
    /// message without leading blank lines), and whether the bytes hash to its id.
    fn info(self) -> (CommitInfo, bool) {
        let matches = hash_matches(self.id, &self.bytes);
        let header = &self.bytes[..self.header];
        let (_, parents) = time_and_parents(header);
        let (mut author, mut committer) = (None, None);
        for line in header.split(|b| *b == b'\n') {
            if let Some(a) = line.strip_prefix(b"author ") {
                author = author.or_else(|| signature(a));
            } else if let Some(c) = line.strip_prefix(b"committer ") {
                committer = committer.or_else(|| signature(c));
            }
        }
        let message = self.bytes.get(self.header + 1..).unwrap_or_default();
        let skip = message.iter().take_while(|b| **b == b'\n').count();
        let message = &message[skip..];
        // libgit2 keeps text up to a NUL only.
        let message = &message[..memchr::memchr(0, message).unwrap_or(message.len())];
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let (author, author_email) = author.unwrap_or_default();
        let (committer, committer_email) = committer.unwrap_or_default();
        let info = CommitInfo {
            id: self.id,
            message: text(message),
            author: text(author),
            author_email: text(author_email),
            committer: text(committer),
            committer_email: text(committer_email),
            parents,
        };
        (info, matches)
    }
}

/// A signature's name and email, as libgit2 splits them (`None`: no `<…>`, which libgit2
/// refuses before the commit gets here).
fn signature(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let open = memchr::memrchr(b'<', line)?;
    let close = memchr::memrchr(b'>', line).filter(|c| *c > open)?;
    Some((trim(&line[..open]), trim(&line[open + 1..close])))
}

/// `b` without the whitespace libgit2 trims from a signature's parts.
fn trim(b: &[u8]) -> &[u8] {
    let space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
    let start = b.iter().position(|c| !space(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !space(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// While the walk runs, libgit2 does not check the objects it reads against their ids (its
/// SHA-1DC in C was a tenth of a walk over 10,000 commits): the walk checks every commit it reads
/// itself, with SHA-1 in hardware where the CPU has it. Nested and concurrent walks share one
/// switch; the last to finish turns libgit2's check back on. Objects other threads read meanwhile
/// are not checked by libgit2 (the engine runs the git pass alone).
struct OwnHashCheck;

static OWN_HASH_CHECKS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

impl OwnHashCheck {
    fn start() -> Self {
        let mut n = OWN_HASH_CHECKS.lock().unwrap_or_else(|e| e.into_inner());
        if *n == 0 {
            git2::opts::strict_hash_verification(false);
        }
        *n += 1;
        OwnHashCheck
    }
}

impl Drop for OwnHashCheck {
    fn drop(&mut self) {
        let mut n = OWN_HASH_CHECKS.lock().unwrap_or_else(|e| e.into_inner());
        *n -= 1;
        if *n == 0 {
            git2::opts::strict_hash_verification(true);
        }
    }
}

/// Whether a commit's bytes hash to its id.
fn hash_matches(id: Oid, bytes: &[u8]) -> bool {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(format!("commit {}\0", bytes.len()));
    h.update(bytes);
    h.finalize().as_slice() == id.as_bytes()
}

/// Whether a two-parent merge's tree is exactly what merging its parents gives, with no
/// conflict: it adds nothing of its own (`Merge branch 'stable'`). Anything that cannot be
/// worked out is "not clean".
pub fn is_clean_merge(repo: &Repository, c: &CommitInfo) -> bool {
    let [a, b] = c.parents.as_slice() else {
        return false;
    };
    let (Ok(ours), Ok(theirs), Ok(merge)) = (
        repo.find_commit(*a),
        repo.find_commit(*b),
        repo.find_commit(c.id),
    ) else {
        return false;
    };
    let Ok(mut index) = repo.merge_commits(&ours, &theirs, None) else {
        return false;
    };
    if index.has_conflicts() {
        return false;
    }
    index
        .write_tree_to(repo)
        .is_ok_and(|tree| tree == merge.tree_id())
}

/// The commits a merge brought in: reachable from its other parents, not from its first. The same
/// cached walk as the range's, so commits the range already read are not read again.
pub fn brought_in(repo: &Repository, merge: &CommitInfo) -> Result<Vec<Oid>, String> {
    let Some((first, others)) = merge.parents.split_first() else {
        return Ok(Vec::new());
    };
    reachable_checked(repo, others, &[*first], &mut |_| false)
}

fn head_commit(repo: &Repository) -> Result<Oid, String> {
    repo.head()
        .and_then(|h| h.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| "HEAD has no commits yet".to_string())
}

/// A release tag: a name with a version (`v1.2.3`, `1.2.3`, `axum-v0.8.9`, `release-2024.05`),
/// split into its family (what comes before the version) and the version. Branch markers
/// (`1.5.x`) and moving tags (`latest`, `stable`) are not releases.
pub fn release_tag(name: &str) -> Option<(&str, &str)> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?i)^(.*?)(\d+(?:\.\d+)+(?:[-.+][0-9a-z][0-9a-z.+-]*)?)$").unwrap()
    });
    let c = re.captures(name)?;
    let version = c.get(2)?.as_str();
    if version.ends_with(".x") || version.ends_with(".X") {
        return None;
    }
    Some((c.get(1).map_or("", |m| m.as_str()), version))
}

/// The previous release: the newest release tag of the project's own family reachable from
/// `head` and not on `head` itself (when HEAD is the release being made, the range is what it
/// adds to the one before). The family is HEAD's own tag's, else the one most tags belong to: in
/// a monorepo, a sub-package's tag does not end the main package's range.
pub fn previous_release(repo: &Repository, head: Oid) -> Result<Option<(String, Oid)>, String> {
    Ok(releases_before(repo, head)?.map(|r| (r.name, r.base)))
}

/// The previous release, and the commits of the other release tags of its family.
struct Releases {
    name: String,
    base: Oid,
    others: Vec<Oid>,
}

impl Releases {
    /// What the project shipped before the base: the commits of its family's other release tags
    /// no newer than it. A base tag cut on a development branch (Tandoor tags `develop`, then
    /// merges it into master) does not reach the earlier releases' merge commits on master,
    /// which `git log TAG..HEAD` would list again. A tag on a later commit (a release branch
    /// ahead of HEAD, a checkout behind the newest tag) would take HEAD's own new commits out of
    /// the range, and is not counted.
    fn shipped(&self, repo: &Repository) -> Result<Vec<Oid>, String> {
        let time = |id: &Oid| repo.find_commit(*id).map(|c| c.time().seconds());
        let base_time = time(&self.base).map_err(msg)?;
        Ok(self
            .others
            .iter()
            .filter(|id| time(id).is_ok_and(|t| t <= base_time))
            .copied()
            .collect())
    }
}

/// The previous release (as `previous_release`), with its family's other release tags.
fn releases_before(repo: &Repository, head: Oid) -> Result<Option<Releases>, String> {
    let mut tags: Vec<(String, Oid)> = Vec::new();
    for name in repo.tag_names(None).map_err(msg)?.iter().flatten() {
        if release_tag(name).is_none() {
            continue;
        }
        if let Ok(obj) = repo.revparse_single(&format!("refs/tags/{name}")) {
            if let Ok(c) = obj.peel_to_commit() {
                tags.push((name.to_string(), c.id()));
            }
        }
    }
    if tags.is_empty() {
        return Ok(None);
    }
    let family = |n: &str| release_tag(n).map_or("", |(f, _)| f).to_string();
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for (n, _) in &tags {
        *counts.entry(family(n)).or_default() += 1;
    }
    let at_head: Vec<&String> = tags
        .iter()
        .filter(|(_, id)| *id == head)
        .map(|(n, _)| n)
        .collect();
    let chosen = at_head
        .iter()
        .map(|n| family(n))
        .max_by_key(|f| counts[f])
        .or_else(|| {
            counts
                .iter()
                .max_by_key(|(_, c)| **c)
                .map(|(f, _)| f.clone())
        })
        .unwrap_or_default();
    let mut tagged: std::collections::HashMap<Oid, String> = Default::default();
    for (n, id) in &tags {
        if *id != head && family(n) == chosen {
            tagged.entry(*id).or_insert_with(|| n.clone());
        }
    }
    if tagged.is_empty() {
        return Ok(None);
    }
    // The same cached walk as the range's, so those commits are read only once.
    let found = reachable_checked(repo, &[head], &[], &mut |id| tagged.contains_key(&id))?;
    let Some(base) = found.last().filter(|c| tagged.contains_key(c)).copied() else {
        return Ok(None);
    };
    Ok(Some(Releases {
        name: tagged[&base].clone(),
        base,
        others: tagged.keys().filter(|id| **id != base).copied().collect(),
    }))
}

/// Commits at the edge of a shallow clone (their parents are missing).
pub fn shallow_commits(repo: &Repository) -> HashSet<Oid> {
    if !repo.is_shallow() {
        return HashSet::new();
    }
    std::fs::read_to_string(repo.commondir().join("shallow"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

fn msg(e: git2::Error) -> String {
    e.message().to_string()
}

/// One line of git's pre-push input: `<local ref> <local sha> <remote ref> <remote sha>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_ref: String,
    pub local: String,
    pub remote_ref: String,
    pub remote: String,
}

impl PushLine {
    pub fn is_delete(&self) -> bool {
        is_zero(&self.local)
    }

    pub fn is_new(&self) -> bool {
        is_zero(&self.remote)
    }

    /// The branch name on the remote (`refs/heads/main` → `main`).
    pub fn remote_branch(&self) -> &str {
        self.remote_ref
            .strip_prefix("refs/heads/")
            .unwrap_or(&self.remote_ref)
    }
}

fn is_zero(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// Parses git's pre-push stdin. Blank lines are ignored; anything else malformed is an error
/// naming the line (the hook must not guess what is being pushed).
pub fn parse_push_lines(input: &str) -> Result<Vec<PushLine>, String> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let hex =
            |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        if parts.len() != 4 || !hex(parts[1]) || !hex(parts[3]) {
            return Err(format!(
                "pre-push input line {}: expected `<local ref> <local sha> <remote ref> <remote sha>`, got `{}`",
                i + 1,
                crate::text::sanitize(line)
            ));
        }
        out.push(PushLine {
            local_ref: parts[0].into(),
            local: parts[1].into(),
            remote_ref: parts[2].into(),
            remote: parts[3].into(),
        });
    }
    Ok(out)
}

/// The range one push line sends: an update sends `remote..local`; a new branch sends what no
/// tracking ref of that remote has; a deletion sends nothing (`None`).
/// What one ref of a push sends. An update sends `remote..local`. A new branch sends what the
/// remote's *protected* branches (`protected`, globs) do not hold yet: commits that reached the
/// remote only on a feature branch were never reviewed into a protected one, so they count.
pub fn push_range(
    repo: &Repository,
    remote: &str,
    line: &PushLine,
    protected: &[String],
) -> Result<Option<RangeSpec>, String> {
    if line.is_delete() {
        return Ok(None);
    }
    let include = Oid::from_str(&line.local).map_err(msg)?;
    let label = format!("{} → {}", line.local_ref, line.remote_ref);
    let exclude = if line.is_new() {
        let remote_name = remote_name(repo, remote);
        let prefix = format!("refs/remotes/{}/", remote_name.as_deref().unwrap_or(remote));
        let mut ids = Vec::new();
        for r in repo
            .references_glob(&format!("{prefix}*"))
            .map_err(msg)?
            .flatten()
        {
            let branch = r.name().and_then(|n| n.strip_prefix(&prefix)).unwrap_or("");
            if branch == "HEAD" || !crate::inputs::git::branch_matches(protected, branch) {
                continue;
            }
            if let Ok(c) = r.peel_to_commit() {
                ids.push(c.id());
            }
        }
        ids
    } else {
        vec![Oid::from_str(&line.remote).map_err(msg)?]
    };
    Ok(Some(RangeSpec::Push {
        include,
        exclude,
        label,
    }))
}

/// The fix shipgate suggests when it cannot tell what `git push` would send.
const PENDING_PUSH_HELP: &str = "give shipgate git's push input (`shipgate hook install`, or a hook \
manager's pre-push command `shipgate hook pre-push <remote> <url>` with git's standard input: lefthook \
`use_stdin: true` and `run: shipgate hook pre-push {1} {2}`), or name the commits with --range";

/// What `git push` with no arguments would send from here: the current branch to its push
/// destination, decided as git decides it (`branch.<name>.pushRemote`, `remote.pushDefault`,
/// `branch.<name>.remote`, then `origin`; `push.default` and `push.autoSetupRemote` for the branch
/// on the remote). For a pre-push stage run without git's push input: hook managers (lefthook, a
/// husky line calling `shipgate run`) and `pre-commit run --hook-stage pre-push` by hand. Where
/// git itself would have to be told where to push (a detached HEAD, no remote, no upstream), this
/// is an error saying how to fix it: the commit checks fail closed rather than skip.
///
/// Returns the remote's name and the push lines (one, the current branch; under
/// `push.default=matching`, every local branch the remote has too); a line's `remote` is the
/// remote-tracking ref of the destination (all zeros when there is none: a new branch).
///
/// A command that gets no push input cannot see a refspec typed on the command line
/// (`git push origin HEAD:main`): only git's own input says that (README, "Hook managers").
pub fn pending_push(repo: &Repository) -> Result<(String, Vec<PushLine>), String> {
    let cannot = |why: String| {
        Err(format!(
            "at pre-push without git's push input, shipgate examines what `git push` would send from here, and {why}: {PENDING_PUSH_HELP}"
        ))
    };
    if repo.head_detached().unwrap_or(false) {
        return cannot(
            "HEAD is detached, so no branch would be pushed (check out the branch you push)".into(),
        );
    }
    let head = repo.head().map_err(msg)?;
    let Some(local_ref) = head.name().filter(|n| n.starts_with("refs/heads/")) else {
        return cannot("HEAD is not a branch".into());
    };
    let local_ref = local_ref.to_string();
    let branch = local_ref["refs/heads/".len()..].to_string();
    let local = head.peel_to_commit().map_err(msg)?.id();
    let cfg = repo.config().map_err(msg)?;
    let get = |key: &str| cfg.get_string(key).ok().filter(|v| !v.is_empty());
    let upstream_remote = get(&format!("branch.{branch}.remote"));
    let merge = get(&format!("branch.{branch}.merge"));
    let remotes: Vec<String> = repo
        .remotes()
        .map(|r| r.iter().flatten().map(str::to_string).collect())
        .unwrap_or_default();
    let remote = get(&format!("branch.{branch}.pushRemote"))
        .or_else(|| get("remote.pushDefault"))
        .or_else(|| upstream_remote.clone())
        .or_else(|| remotes.iter().find(|r| *r == "origin").cloned())
        .or_else(|| (remotes.len() == 1).then(|| remotes[0].clone()));
    let Some(remote) = remote else {
        return cannot(format!(
            "branch `{branch}` has no remote to push to (`git remote add origin <url>`)"
        ));
    };
    if remote == "." {
        return cannot(format!(
            "branch `{branch}` tracks a local branch (`branch.{branch}.remote` is `.`), so `git push` would push nowhere else"
        ));
    }
    // As git's `is_workflow_triangular`: pushing somewhere else than the branch fetches from.
    let triangular = upstream_remote.as_deref().unwrap_or("origin") != remote;
    let auto_setup = cfg.get_bool("push.autoSetupRemote").unwrap_or(false);
    let same_name = format!("refs/heads/{branch}");
    let mode = get("push.default").unwrap_or_else(|| "simple".into());
    let no_upstream = || {
        cannot(format!(
            "branch `{branch}` has no upstream, so `git push` would have to be told where to push \
(set it: `git branch --set-upstream-to={remote}/{branch}`, or for new branches `git config push.autoSetupRemote true`)"
        ))
    };
    let remote_ref = match mode.as_str() {
        "matching" => return Ok((remote.clone(), matching(repo, &remote)?)),
        "current" => same_name,
        "upstream" | "tracking" => match merge {
            Some(m) if !triangular => m,
            _ => return no_upstream(),
        },
        "simple" => match merge {
            _ if triangular => same_name,
            Some(m) if m == same_name => m,
            Some(m) => {
                return cannot(format!(
                    "branch `{branch}` tracks `{m}`, a branch of another name, which `git push` refuses under push.default=simple (give the branch an upstream of its own name, or set push.default to `upstream`)"
                ))
            }
            None if auto_setup => same_name,
            None => return no_upstream(),
        },
        "nothing" => return cannot("push.default is `nothing`: `git push` pushes only what it is told".into()),
        other => return cannot(format!("push.default is `{other}`, which shipgate does not know")),
    };
    let remote_sha = tracked_sha(repo, &remote, &remote_ref).unwrap_or_else(|| "0".repeat(40));
    Ok((
        remote,
        vec![PushLine {
            local_ref,
            local: local.to_string(),
            remote_ref,
            remote: remote_sha,
        }],
    ))
}

/// The sha the remote-tracking ref of `remote`'s `branch_ref` holds, if there is one.
fn tracked_sha(repo: &Repository, remote: &str, branch_ref: &str) -> Option<String> {
    tracking_ref(repo, remote, branch_ref)
        .and_then(|r| repo.refname_to_id(&r).ok())
        .map(|id| id.to_string())
}

/// `push.default=matching`: every local branch that the remote has a branch of the same name of.
fn matching(repo: &Repository, remote: &str) -> Result<Vec<PushLine>, String> {
    let mut lines = Vec::new();
    for b in repo.branches(Some(git2::BranchType::Local)).map_err(msg)? {
        let (b, _) = b.map_err(msg)?;
        let (Some(name), Some(local)) = (b.get().name(), b.get().target()) else {
            continue;
        };
        if let Some(sha) = tracked_sha(repo, remote, name) {
            lines.push(PushLine {
                local_ref: name.to_string(),
                local: local.to_string(),
                remote_ref: name.to_string(),
                remote: sha,
            });
        }
    }
    Ok(lines)
}

/// The remote-tracking ref that holds `remote`'s `branch_ref` (`refs/remotes/origin/main`), by
/// the remote's fetch refspecs.
fn tracking_ref(repo: &Repository, remote: &str, branch_ref: &str) -> Option<String> {
    let r = repo.find_remote(remote).ok()?;
    let mapped = r.refspecs().find_map(|spec| {
        (spec.direction() == git2::Direction::Fetch && spec.src_matches(branch_ref))
            .then(|| spec.transform(branch_ref).ok())
            .flatten()
            .and_then(|b| b.as_str().map(str::to_string))
    });
    mapped.or_else(|| {
        branch_ref
            .strip_prefix("refs/heads/")
            .map(|b| format!("refs/remotes/{remote}/{b}"))
    })
}

/// The configured remote named `remote`, or whose URL is `remote`.
fn remote_name(repo: &Repository, remote: &str) -> Option<String> {
    if repo.find_remote(remote).is_ok() {
        return Some(remote.to_string());
    }
    let names = repo.remotes().ok()?;
    names
        .iter()
        .flatten()
        .find(|n| {
            repo.find_remote(n)
                .ok()
                .and_then(|r| r.url().map(|u| u == remote))
                .unwrap_or(false)
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_tags_and_their_families() {
        assert_eq!(release_tag("v1.2.3"), Some(("v", "1.2.3")));
        assert_eq!(release_tag("3.1.3"), Some(("", "3.1.3")));
        assert_eq!(release_tag("axum-v0.8.9"), Some(("axum-v", "0.8.9")));
        assert_eq!(release_tag("v1.0.0-beta.1"), Some(("v", "1.0.0-beta.1")));
        assert_eq!(release_tag("1.5.x"), None);
        assert_eq!(release_tag("latest"), None);
        assert_eq!(release_tag("v2"), None);
    }

    #[test]
    fn parses_push_lines() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let input = format!(
            "refs/heads/main {a} refs/heads/main {z}\n\nrefs/heads/x {z} refs/heads/x {a}\n"
        );
        let lines = parse_push_lines(&input).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].is_new() && !lines[0].is_delete());
        assert!(lines[1].is_delete());
        assert_eq!(lines[0].remote_branch(), "main");
        assert!(parse_push_lines("refs/heads/main abc refs/heads/main def").is_err());
        assert!(parse_push_lines("garbage").unwrap_err().contains("line 1"));
    }
}
