//! The commit range: which commits a push, a CI run or a release ships, walked once with git2 and
//! shared by every `git-commits` check that asks for the same range. A shallow clone that hides
//! part of the range is an error that says how to fetch enough history, never a pass on half the
//! evidence.

use std::collections::HashSet;

use git2::{Oid, Repository, Sort};

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

impl RangeSpec {
    pub fn parse(s: &str) -> Self {
        match s.trim() {
            "since-last-tag" => RangeSpec::SinceLastTag,
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
}

/// How to fetch enough history, for shallow-clone errors.
pub const UNSHALLOW_HELP: &str = "this is a shallow clone and the range reaches past its oldest commit: fetch the history \
(`git fetch --unshallow --tags`, or in GitHub Actions `actions/checkout` with `fetch-depth: 0`, in GitLab \
`GIT_DEPTH: 0`)";

/// Walks the range once.
pub fn walk(repo: &Repository, spec: &RangeSpec) -> Result<Range, String> {
    let mut walk = repo.revwalk().map_err(msg)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(msg)?;
    let label;
    match spec {
        RangeSpec::SinceLastTag => {
            let head = head_commit(repo)?;
            walk.push(head).map_err(msg)?;
            match last_tag(repo, head)? {
                Some((name, id)) => {
                    walk.hide(id).map_err(msg)?;
                    label = format!("{name}..HEAD");
                }
                None => label = "all history (no tag yet)".into(),
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
            let up_id = up.get().peel_to_commit().map_err(msg)?.id();
            walk.push_head().map_err(msg)?;
            walk.hide(up_id).map_err(msg)?;
            label = format!("{}..{name}", up.name().ok().flatten().unwrap_or("upstream"));
        }
        RangeSpec::Explicit(r) => {
            if r.contains("..") {
                walk.push_range(r)
                    .map_err(|e| format!("range `{r}`: {}", e.message()))?;
            } else {
                let obj = repo
                    .revparse_single(r)
                    .map_err(|e| format!("revision `{r}`: {}", e.message()))?;
                walk.push(obj.peel_to_commit().map_err(msg)?.id())
                    .map_err(msg)?;
            }
            label = r.clone();
        }
        RangeSpec::Push {
            include,
            exclude,
            label: l,
        } => {
            walk.push(*include)
                .map_err(|e| format!("{l}: {}", e.message()))?;
            for x in exclude {
                // A remote commit we do not have locally: git would reject the push as
                // non-fast-forward anyway; say so rather than guess the range.
                if repo.find_commit(*x).is_err() {
                    return Err(format!(
                        "{l}: the remote has commit {} that is not here: `git fetch` first",
                        &x.to_string()[..8]
                    ));
                }
                walk.hide(*x).map_err(msg)?;
            }
            label = l.clone();
        }
    }
    let shallow = shallow_commits(repo);
    let mut commits = Vec::new();
    for id in walk {
        let id = id.map_err(msg)?;
        if shallow.contains(&id) {
            return Err(format!("{label}: {UNSHALLOW_HELP}"));
        }
        let c = repo.find_commit(id).map_err(msg)?;
        let author = c.author();
        let committer = c.committer();
        commits.push(CommitInfo {
            id,
            message: String::from_utf8_lossy(c.message_bytes()).into_owned(),
            author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            committer: String::from_utf8_lossy(committer.name_bytes()).into_owned(),
            committer_email: String::from_utf8_lossy(committer.email_bytes()).into_owned(),
            parents: c.parent_ids().collect(),
        });
    }
    Ok(Range { label, commits })
}

/// The commits a merge brought in: reachable from its other parents, not from its first.
pub fn brought_in(repo: &Repository, merge: &CommitInfo) -> Result<Vec<Oid>, String> {
    let mut walk = repo.revwalk().map_err(msg)?;
    for p in &merge.parents[1..] {
        walk.push(*p).map_err(msg)?;
    }
    walk.hide(merge.parents[0]).map_err(msg)?;
    walk.map(|r| r.map_err(msg)).collect()
}

fn head_commit(repo: &Repository) -> Result<Oid, String> {
    repo.head()
        .and_then(|h| h.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| "HEAD has no commits yet".to_string())
}

/// The newest tag reachable from `head` (by commit time), as `git describe --tags` finds it.
pub fn last_tag(repo: &Repository, head: Oid) -> Result<Option<(String, Oid)>, String> {
    let mut tagged: std::collections::HashMap<Oid, String> = std::collections::HashMap::new();
    for name in repo.tag_names(None).map_err(msg)?.iter().flatten() {
        if let Ok(obj) = repo.revparse_single(&format!("refs/tags/{name}")) {
            if let Ok(c) = obj.peel_to_commit() {
                tagged.entry(c.id()).or_insert_with(|| name.to_string());
            }
        }
    }
    if tagged.is_empty() {
        return Ok(None);
    }
    let mut walk = repo.revwalk().map_err(msg)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(msg)?;
    walk.push(head).map_err(msg)?;
    for id in walk {
        let id = id.map_err(msg)?;
        if let Some(name) = tagged.get(&id) {
            return Ok(Some((name.clone(), id)));
        }
    }
    Ok(None)
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
pub fn push_range(
    repo: &Repository,
    remote: &str,
    line: &PushLine,
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
