#!/usr/bin/env python3
"""The accuracy suite: shipgate's default checklist on 63 real open-source repositories, pinned
by commit, at the ci and release stages, scored against classified expectations.

    python3 accuracy/run.py [--shipgate PATH] [--work DIR] [--mirror DIR] [--only owner/name]
                            [--write-unclassified FILE]

For each repository of accuracy/corpus.tsv it makes a clone under WORK/repos (from
MIRROR/<owner>+<name>/repo when that bare repository exists, else from GitHub), checks out the
pinned commit, and runs `shipgate run` twice in a clean environment (`env -i`, an empty HOME):
- ci: `shipgate run`;
- release: `shipgate run --stage release` as a tag-triggered job would (GITHUB_REF_TYPE=tag,
  GITHUB_REF_NAME=<tag>; a branch job for the untagged ones), with the four manual items
  confirmed (a person answers those).
Every finding is then looked up in accuracy/expectations.jsonl by (repo, stage, check, key);
its verdict says whether a release engineer, having opened the file and line, agrees it is a real
problem for this release. The summary counts, per stage, true and false findings, findings not
classified yet, the gates that fail on false findings alone, and every finding classified true
that the run no longer reports (lost). Exit 1 when a gate fails on false findings only, when a
true finding is lost or when findings are unclassified (write them with --write-unclassified and
classify them), else 0. Needs git, network access (or a mirror) and a built shipgate.
"""
import argparse
import csv
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
MANUAL = ["rollback-plan", "staging-verified", "migrations-reviewed", "monitoring-ready"]


def key_of(f):
    """What identifies a finding across runs: its commit, its variable or range name, or its file
    and line (with the message's head, to tell apart two findings on one line)."""
    loc = f["location"]
    if loc.get("commit"):
        return "commit:" + loc["commit"]
    parts = [loc.get("path") or "", str(loc.get("line") or ""), loc.get("name") or ""]
    if loc.get("artifact"):
        parts.append(loc["artifact"])
    head = f["message"].split(":")[0][:40]
    return "|".join(parts + [head])


def clone(row, work, mirror):
    name = row["repo"].replace("/", "+")
    dest = os.path.join(work, "repos", name)
    if not os.path.isdir(os.path.join(dest, ".git")):
        src = os.path.join(mirror, name, "repo") if mirror else None
        src = src if src and os.path.isdir(src) else row["url"]
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        subprocess.run(["git", "clone", "--quiet", "--no-checkout", src, dest], check=True)
    subprocess.run(["git", "-C", dest, "checkout", "--quiet", "--detach", row["commit"]], check=True)
    # A mirror snapshot may leave out its largest blobs: files it could not check out are marked
    # skip-worktree, as a sparse checkout marks them, so they are not "deleted" changes.
    gone = subprocess.run(["git", "-C", dest, "ls-files", "--deleted", "-z"],
                          capture_output=True, check=True).stdout.split(b"\0")
    gone = [g for g in gone if g]
    if gone:
        subprocess.run(["git", "-C", dest, "update-index", "--skip-worktree", "-z", "--stdin"],
                       input=b"\0".join(gone) + b"\0", check=True)
    return dest


def run(shipgate, repo, row, stage, out):
    env = {"PATH": "/usr/bin:/bin", "HOME": os.path.join(out, "home")}
    os.makedirs(env["HOME"], exist_ok=True)
    args = [shipgate, "run", "-C", repo, "-f", "json", "-o", out + f"/{stage}.json"]
    if stage == "release":
        if row["tag"]:
            env.update(GITHUB_REF_TYPE="tag", GITHUB_REF_NAME=row["tag"])
        else:
            env.update(GITHUB_REF_TYPE="branch", GITHUB_REF_NAME=row["branch"])
        args += ["--stage", "release"] + sum((["--confirm", m] for m in MANUAL), [])
    p = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    with open(out + f"/{stage}.json") as fh:
        return p.returncode, json.load(fh)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shipgate", default=os.path.join(HERE, "..", "target", "release", "shipgate"))
    ap.add_argument("--work", default=os.environ.get("ACCURACY_WORK", "/tmp/shipgate-accuracy"))
    ap.add_argument("--mirror", default=os.environ.get("ACCURACY_MIRROR"))
    ap.add_argument("--only")
    ap.add_argument("--write-unclassified")
    a = ap.parse_args()
    shipgate = os.path.abspath(a.shipgate)
    rows = list(csv.DictReader(open(os.path.join(HERE, "corpus.tsv")), delimiter="\t"))
    expected = {}
    for line in open(os.path.join(HERE, "expectations.jsonl")):
        e = json.loads(line)
        expected[(e["repo"], e["stage"], e["check"], e["key"])] = e
    totals = {s: Counter() for s in ("ci", "release")}
    unclassified = []
    lost = []  # findings classified true that a run no longer reports
    table = []
    for row in rows:
        if a.only and row["repo"] != a.only:
            continue
        repo = clone(row, a.work, a.mirror)
        for stage in ("ci", "release"):
            out = os.path.join(a.work, "out", row["repo"].replace("/", "+"))
            os.makedirs(out, exist_ok=True)
            code, report = run(shipgate, repo, row, stage, out)
            verdicts = Counter()
            seen = set()
            failing = defaultdict(Counter)  # check -> verdicts, for checks that fail the gate
            for c in report["checks"]:
                for f in c["findings"]:
                    k = (row["repo"], stage, c["id"], key_of(f))
                    seen.add(k)
                    v = expected.get(k, {}).get("verdict", "unclassified")
                    verdicts[v] += 1
                    if c["status"] in ("fail", "error"):
                        failing[c["id"]][v] += 1
                    if v == "unclassified":
                        unclassified.append({"repo": row["repo"], "stage": stage, "check": c["id"],
                                             "key": key_of(f), "message": f["message"],
                                             "evidence": f.get("evidence")})
            lost += [k for k, e in expected.items()
                     if k[:2] == (row["repo"], stage) and e["verdict"] == "true" and k not in seen]
            gate_true = any(v["true"] for v in failing.values())
            false_only = code == 1 and not gate_true and not any(v["unclassified"] for v in failing.values())
            totals[stage].update(verdicts)
            totals[stage]["runs"] += 1
            totals[stage]["gate-fail"] += code == 1
            totals[stage]["gate-fail-false-only"] += false_only
            totals[stage]["gate-error"] += code == 2
            table.append((row["repo"], stage, code, verdicts["true"], verdicts["false"],
                          verdicts["unclassified"], "FALSE ONLY" if false_only else ""))
    print("| repo | stage | exit | true | false | unclassified | |")
    print("|---|---|---|---|---|---|---|")
    for r in table:
        print("| " + " | ".join(str(x) for x in r) + " |")
    for stage, t in totals.items():
        n = t["true"] + t["false"]
        print(f"\n{stage}: {t['runs']} runs, {t['gate-fail']} gates fail ({t['gate-fail-false-only']} on false "
              f"findings alone), {t['gate-error']} errors; findings: {t['true']} true, {t['false']} false, "
              f"{t['unclassified']} unclassified; precision {100 * t['true'] / max(n, 1):.0f}%")
    for k in lost:
        print("LOST true finding: " + " ".join(k))
    print(f"\n{len(lost)} true findings lost")
    if a.write_unclassified:
        with open(a.write_unclassified, "w") as fh:
            for u in unclassified:
                fh.write(json.dumps(u) + "\n")
    bad = sum(t["gate-fail-false-only"] for t in totals.values()) or unclassified or lost
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
