//! `git-commits`: what the commits of a range say about how they were made: evidence of review
//! (trailers, pull/merge request merges and what they brought in, squash-merge subjects, commits
//! made by the forge), forbidden subjects (`fixup!`, `WIP`), and signatures.

use std::collections::HashSet;

use git2::Oid;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::check::Meta;
use crate::inputs::history::{CommitInfo, RangeProblem};
use crate::kinds::{CommitsWant, Kind, Outcome, PassView, Wants};
use crate::report::model::{Finding, Location};
use crate::text::{excerpt, sanitize};
use crate::types::{Input, Pattern, Sample};

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GitCommits {
    /// Which commits, when neither `--range` nor a push says: `since-last-tag` (default),
    /// `upstream`, or a revision range `A..B`.
    #[serde(default)]
    pub range: Option<String>,
    /// Every commit needs evidence of review.
    #[serde(default)]
    pub review: Option<Review>,
    /// Subjects that must not ship (`fixup!`, `WIP`).
    #[serde(default)]
    pub forbid_subjects: Vec<SubjectPattern>,
    /// Every commit carries a GPG or SSH signature (its presence; it is not verified here).
    #[serde(default)]
    pub require_signature: bool,
    /// Authors (or committers) whose commits are not examined (bots), as globs on `Name <email>`.
    #[serde(default)]
    pub exempt_authors: IdentGlobs,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SubjectPattern {
    pub name: String,
    pub regex: Pattern,
    /// Not reported for a commit a pull/merge request merge brought in (the default merge
    /// subjects, or the check's `review` ones): it was reviewed with its branch, and once merged
    /// there is nothing left to fold it into (`fixup!` commits a pull request kept).
    #[serde(default)]
    pub unless_merged: bool,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Review {
    /// Trailers that count as review (`Reviewed-by: Name <email>`).
    #[serde(default = "default_trailers")]
    pub trailers: Vec<String>,
    /// Subjects of pull/merge request merge commits; the merge and the commits it brought in count
    /// as reviewed.
    #[serde(default = "default_merge_subjects")]
    pub merge_subjects: Vec<Pattern>,
    /// Subjects of squash merges (`Add login (#123)`).
    #[serde(default = "default_squash_subjects")]
    pub squash_subjects: Vec<Pattern>,
    /// Committers that mean "made by the forge" (merged in its web interface), as globs on
    /// `Name <email>`.
    #[serde(default = "default_forge_committers")]
    pub forge_committers: IdentGlobs,
    /// A commit applied by someone other than its author (a maintainer applying a contributor's
    /// patch, a rebase-merge) was seen by a second person: that counts as review.
    #[serde(default = "yes")]
    pub committer_applied: bool,
    /// A merge whose result is exactly the clean merge of its parents (`Merge branch 'stable'`,
    /// a forward port of reviewed work) adds nothing of its own to review.
    #[serde(default = "yes")]
    pub clean_merges: bool,
}

fn yes() -> bool {
    true
}

fn default_trailers() -> Vec<String> {
    ["Reviewed-by", "Approved-by", "Acked-by", "Reviewed-on"]
        .map(String::from)
        .to_vec()
}

fn default_merge_subjects() -> Vec<Pattern> {
    [
        r"^Merge pull request #\d+ ",
        r"(?m)^See merge request \S*!\d+",
        r"^Merged in \S+ \(pull request #\d+\)",
        // Symfony's pull-request merge tool (symfony/symfony and every symfony/* project):
        // `feature #1658 Update to Symfony 8.1 (javiereguiluz)`.
        r"^(?:feature|bug|minor|major|security) #\d+ [^\n]* \([^()\n]+\)[ \t]*(?:\n|$)",
    ]
    .iter()
    .map(|p| Pattern::new(p).expect("valid"))
    .collect()
}

fn default_squash_subjects() -> Vec<Pattern> {
    vec![Pattern::new(r"\(#\d+\)\s*$").expect("valid")]
}

fn default_forge_committers() -> IdentGlobs {
    // Built once and cloned: every `review` that does not name them, and every default review
    // (asked by `wants` several times a run), takes these.
    static GLOBS: std::sync::OnceLock<IdentGlobs> = std::sync::OnceLock::new();
    GLOBS
        .get_or_init(|| {
            IdentGlobs::new(&["* <noreply@github.com>".into(), "GitLab <*>".into()]).expect("valid")
        })
        .clone()
}

/// Globs over identities (`Name <email>`), case-insensitive; `*` matches anything.
#[derive(Debug, Clone, Default)]
pub struct IdentGlobs {
    pub sources: Vec<String>,
    set: GlobSet,
}

impl IdentGlobs {
    pub fn new(globs: &[String]) -> Result<Self, String> {
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(
                GlobBuilder::new(g)
                    .case_insensitive(true)
                    .literal_separator(false)
                    .build()
                    .map_err(|e| format!("invalid identity glob `{g}`: {}", e.kind()))?,
            );
        }
        Ok(IdentGlobs {
            sources: globs.to_vec(),
            set: b.build().map_err(|e| e.to_string())?,
        })
    }

    pub fn is_match(&self, ident: &str) -> bool {
        !self.sources.is_empty() && self.set.is_match(ident)
    }
}

impl<'de> Deserialize<'de> for IdentGlobs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        IdentGlobs::new(&v).map_err(serde::de::Error::custom)
    }
}

impl Default for Review {
    fn default() -> Self {
        // Made once and cloned (the patterns share their compiled regex): a check with no
        // `review` of its own makes the default at every `wants`, several times a run, and
        // parsing its subject patterns each time was a twentieth of a pre-push hook.
        static DEFAULT: std::sync::OnceLock<Review> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| Review {
                trailers: default_trailers(),
                merge_subjects: default_merge_subjects(),
                squash_subjects: default_squash_subjects(),
                forge_committers: default_forge_committers(),
                committer_applied: true,
                clean_merges: true,
            })
            .clone()
    }
}

impl GitCommits {
    /// What tells a pull/merge request merge: the check's `review`, else the defaults when a
    /// forbidden subject is `unless-merged`; none when the check needs no merges.
    fn merge_review(&self) -> Option<std::borrow::Cow<'_, Review>> {
        match &self.review {
            Some(r) => Some(std::borrow::Cow::Borrowed(r)),
            None if self.forbid_subjects.iter().any(|s| s.unless_merged) => {
                Some(std::borrow::Cow::Owned(Review::default()))
            }
            None => None,
        }
    }

    /// Compiles the check's subject patterns (they are compiled on first use).
    pub fn compile(&self) -> Result<(), String> {
        Pattern::compile_all(self.patterns())
    }
}

impl Review {
    pub fn is_pr_merge(&self, c: &CommitInfo) -> bool {
        c.is_merge_by(&self.merge_subjects)
    }

    /// Evidence of review the commit carries in its own text and identities (a pull-request
    /// merge's subject, a squash subject, a forge as committer, a trailer, a committer other
    /// than the author). A clean merge is the other evidence; it needs the repository.
    fn text_evidence(&self, c: &CommitInfo) -> bool {
        if self.is_pr_merge(c) || (self.committer_applied && c.applied_by_another()) {
            return true;
        }
        let subject = c.subject();
        if self
            .squash_subjects
            .iter()
            .any(|p| p.hit(subject.as_bytes()))
        {
            return true;
        }
        if self.forge_committers.is_match(&c.committer_ident()) {
            return true;
        }
        has_trailer(&c.message, &self.trailers)
    }

    pub fn looked_for(&self) -> String {
        let mut parts = Vec::new();
        if !self.trailers.is_empty() {
            parts.push(format!("a {} trailer", self.trailers.join("/")));
        }
        if !self.merge_subjects.is_empty() {
            parts.push("a pull/merge request merge".into());
        }
        if !self.squash_subjects.is_empty() {
            parts.push("a squash-merge subject ending in (#N)".into());
        }
        if !self.forge_committers.sources.is_empty() {
            parts.push(format!(
                "a commit by the forge ({})",
                self.forge_committers.sources.join(", ")
            ));
        }
        if self.committer_applied {
            parts.push("a commit applied by someone other than its author".into());
        }
        if self.clean_merges {
            parts.push("a clean merge of reviewed work".into());
        }
        parts.join(", ")
    }
}

/// Whether the message's trailer block has one of `names` with a value.
fn has_trailer(message: &str, names: &[String]) -> bool {
    // Most messages name none of the trailers at all: skip git's trailer parser for them.
    let m = message.as_bytes();
    let named = |n: &String| {
        let n = n.as_bytes();
        let Some(first) = n.first() else {
            return false;
        };
        memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), m)
            .any(|i| m[i..].len() >= n.len() && m[i..i + n.len()].eq_ignore_ascii_case(n))
    };
    if !names.iter().any(named) {
        return false;
    }
    if let Ok(trailers) = git2::message_trailers_strs(message) {
        if trailers.iter().any(|(k, v)| {
            !v.trim().is_empty() && names.iter().any(|n| n.eq_ignore_ascii_case(k.trim()))
        }) {
            return true;
        }
    }
    false
}

impl Kind for GitCommits {
    const KEY: &'static str = "git-commits";
    const INPUT: Input = Input::Git;
    const FIELDS: &'static [&'static str] = &["commit", "subject", "author", "range", "pattern"];

    fn describe(&self) -> Vec<String> {
        let merged = |s: &SubjectPattern| {
            if s.unless_merged {
                " (not where a pull/merge request merge brought it in)"
            } else {
                ""
            }
        };
        let mut lines = vec![format!(
            "commits: {} (unless --range or a push says otherwise)",
            self.range
                .as_deref()
                .unwrap_or(crate::inputs::history::DEFAULT_RANGE)
        )];
        if let Some(r) = &self.review {
            lines.push(format!("each needs review evidence: {}", r.looked_for()));
        }
        for s in &self.forbid_subjects {
            lines.push(format!(
                "forbidden subject {}: {}{}",
                s.name,
                s.regex.as_str(),
                merged(s)
            ));
        }
        if self.require_signature {
            lines.push("each commit carries a GPG or SSH signature".into());
        }
        if !self.exempt_authors.sources.is_empty() {
            lines.push(format!(
                "not examined: commits by {}",
                self.exempt_authors.sources.join(", ")
            ));
        }
        lines
    }

    fn wants(&self) -> Wants {
        let merges = self.merge_review();
        Wants {
            commits: Some(CommitsWant {
                default_range: self
                    .range
                    .clone()
                    .unwrap_or_else(|| crate::inputs::history::DEFAULT_RANGE.into()),
                // A merge commit with a squash subject (`Merge x (#12)`) is a PR merge too.
                pr_merges: merges.as_ref().map(|r| {
                    r.merge_subjects
                        .iter()
                        .chain(&r.squash_subjects)
                        .cloned()
                        .collect()
                }),
                forge_merges: merges.as_ref().map(|r| r.forge_committers.clone()),
            }),
            ..Wants::default()
        }
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        // A pattern that cannot be compiled ends the check in `error`, whether or not it would
        // have been skipped. Only a project's own patterns can fail (the suite compiles the
        // built-in ones): those are compiled first, the built-in ones once the check is known to
        // examine commits (compiling them for a skip was a sixth of a pre-push hook's main
        // thread).
        if let Err(e) = Pattern::compile_untrusted(self.patterns()) {
            return Outcome::error(e);
        }
        let (Some(pass), Some(git)) = (view.commits, view.repo.repo.as_ref()) else {
            return Outcome::skip("not a git repository");
        };
        let specs = match pass.per_check.get(&view.owner) {
            None => return Outcome::error("no commit range was planned"),
            Some(Err(RangeProblem::Skip(r))) => return Outcome::skip(r.clone()),
            Some(Err(RangeProblem::Error(e))) => return Outcome::error(e.clone()),
            Some(Ok(specs)) => specs,
        };
        let git_cx = GitCx {
            signed: &|id| git.extract_signature(&id, None).is_ok(),
            clean_merge: &|c| crate::inputs::history::is_clean_merge(git, c),
        };
        if !specs.is_empty()
            && specs
                .iter()
                .all(|s| matches!(&pass.ranges[s], Ok(r) if r.unbounded))
        {
            return Outcome::skip(UNBOUNDED);
        }
        if let Err(e) = self.compile() {
            return Outcome::error(e);
        }
        let mut out = Outcome::pass();
        let empty = HashSet::new();
        for spec in specs {
            match &pass.ranges[spec] {
                Err(e) => {
                    let finding = Finding {
                        message: e.clone(),
                        location: Location::new(Input::Git),
                        evidence: None,
                    };
                    out = out.fail_with(e.clone(), vec![finding]);
                }
                Ok(range) if range.unbounded => {}
                Ok(range) => {
                    let rev = pass.reviewed.get(spec).unwrap_or(&empty);
                    out.extend(evaluate(
                        check,
                        self,
                        &range.label,
                        &range.commits,
                        rev,
                        &git_cx,
                    ));
                }
            }
        }
        out
    }

    fn patterns(&self) -> Vec<&Pattern> {
        self.review
            .iter()
            .flat_map(|r| r.merge_subjects.iter().chain(&r.squash_subjects))
            .chain(self.forbid_subjects.iter().map(|s| &s.regex))
            .collect()
    }

    fn has_samples(&self) -> bool {
        self.review.is_some() || !self.forbid_subjects.is_empty()
    }

    fn run_sample(&self, check: &Meta, sample: &Sample) -> Result<usize, String> {
        let message = sample.text("a commit sample is the commit message")?;
        let commits = [sample_commit(&message)];
        let git_cx = GitCx {
            signed: &|_| true,
            clean_merge: &|_| false,
        };
        Ok(evaluate(
            check,
            self,
            "sample",
            &commits,
            &Default::default(),
            &git_cx,
        )
        .len())
    }
}

/// Evaluates the commits of one range. `reviewed` holds commits known reviewed through a PR merge;
/// `signed` says whether a commit carries a signature.
/// What evaluation asks of the repository: whether a commit is signed, whether a merge is clean.
struct GitCx<'a> {
    signed: &'a dyn Fn(Oid) -> bool,
    clean_merge: &'a dyn Fn(&CommitInfo) -> bool,
}

/// `since-last-tag` with no release tag: nothing says what the last release shipped, so there is
/// no range to judge (all history is not this release's). A skip that says how to bound it, as
/// `version-tag` and the migration checks do.
const UNBOUNDED: &str = "no release tag is reachable from HEAD, so nothing marks what the last release shipped: tag the last release (`git tag v1.2.3 <commit>`), or give the range (`--range <last-deployed>..HEAD`, or `range:` in the check's params)";

/// The commits of the range that a later commit of the same range reverts (`git revert`'s
/// "This reverts commit <sha>."): their changes do not ship.
fn reverted_in(commits: &[CommitInfo]) -> HashSet<Oid> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r"This reverts commit ([0-9a-f]{40})").unwrap());
    let named: Vec<Oid> = commits
        .iter()
        .flat_map(|c| re.captures_iter(&c.message))
        .filter_map(|m| Oid::from_str(&m[1]).ok())
        .collect();
    if named.is_empty() {
        return HashSet::new();
    }
    let ids: HashSet<Oid> = commits.iter().map(|c| c.id).collect();
    named.into_iter().filter(|id| ids.contains(id)).collect()
}

/// Per commit, what its own text tells without the repository: whether an exempt author or
/// committer made it, and whether it carries evidence of review (`Review::text_evidence`). On
/// two threads for long ranges (these were a tenth of a run over 10,000 commits, on one).
fn own_facts(p: &GitCommits, commits: &[CommitInfo]) -> Vec<(bool, bool)> {
    let one = |c: &CommitInfo| {
        let exempt = !p.exempt_authors.sources.is_empty()
            && (p.exempt_authors.is_match(&c.author_ident())
                || p.exempt_authors.is_match(&c.committer_ident()));
        let evidenced = !exempt && p.review.as_ref().is_some_and(|r| r.text_evidence(c));
        (exempt, evidenced)
    };
    if commits.len() < 512 {
        return commits.iter().map(one).collect();
    }
    let (a, b) = commits.split_at(commits.len() / 2);
    std::thread::scope(|s| {
        let second = s.spawn(|| b.iter().map(one).collect::<Vec<_>>());
        let mut facts: Vec<_> = a.iter().map(one).collect();
        facts.extend(
            second
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        );
        facts
    })
}

fn evaluate(
    check: &Meta,
    p: &GitCommits,
    range: &str,
    commits: &[CommitInfo],
    reviewed: &HashSet<Oid>,
    cx: &GitCx<'_>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    // What was looked for is said once, with the first commit that has none of it.
    let mut looked_for = p.review.as_ref().map(Review::looked_for);
    let reverted = reverted_in(commits);
    for (c, (exempt, evidenced)) in commits.iter().zip(own_facts(p, commits)) {
        // A commit a later commit of the range reverts does not ship.
        if reverted.contains(&c.id) || exempt {
            continue;
        }
        // (pattern, what is wrong, what was looked for)
        let mut problems: Vec<(String, String, Option<String>)> = Vec::new();
        if let Some(review) = &p.review {
            let ok = evidenced
                || reviewed.contains(&c.id)
                || (review.clean_merges && c.parents.len() > 1 && (cx.clean_merge)(c));
            if !ok {
                problems.push((
                    "review".into(),
                    "no evidence of review".into(),
                    looked_for.take().map(|l| format!("looked for {l}")),
                ));
            }
        }
        for sp in &p.forbid_subjects {
            if sp.unless_merged && reviewed.contains(&c.id) {
                continue;
            }
            if sp.regex.hit(c.subject().as_bytes()) {
                problems.push((sp.name.clone(), format!("{} commit", sp.name), None));
            }
        }
        if p.require_signature && !(cx.signed)(c.id) {
            problems.push(("signature".into(), "not signed".into(), None));
        }
        if problems.is_empty() {
            continue;
        }
        let author = c.author_ident();
        let subject = sanitize(&excerpt(c.subject(), 72));
        let head = format!("{} \"{subject}\" by {}", c.short(), sanitize(&author));
        for (pattern, what, evidence) in problems {
            let fields = [
                ("commit", c.short()),
                ("subject", subject.clone()),
                ("author", sanitize(&author)),
                ("range", range.to_string()),
                ("pattern", pattern),
            ];
            findings.push(Finding {
                message: check.render(|| format!("{head}: {what}"), &fields),
                location: Location {
                    commit: Some(c.id.to_string()),
                    name: Some(range.to_string()),
                    ..Location::new(Input::Git)
                },
                evidence,
            });
        }
    }
    findings
}

/// A commit made of `message` alone, for samples.
pub fn sample_commit(message: &str) -> CommitInfo {
    CommitInfo {
        id: Oid::zero(),
        message: message.to_string(),
        author: "Dev".into(),
        author_email: "dev@example.com".into(),
        committer: "Dev".into(),
        committer_email: "dev@example.com".into(),
        parents: Vec::new(),
    }
}
