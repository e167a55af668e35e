#!/usr/bin/env python3
"""Scores shipgate and gitleaks on the corpus gen.py wrote: per family, recall on the true
samples and the false-positive rate on the false ones (a sample counts as flagged when the tool
reports anything in its files).

    python3 bench/secrets/score.py CORPUS SHIPGATE_JSON GITLEAKS_JSON [--markdown]
"""
import json
import sys
from collections import defaultdict


def flagged_dirs(paths, dirs):
    out = set()
    for p in paths:
        p = p.lstrip("./")
        for d in dirs:
            if p == d or p.startswith(d + "/"):
                out.add(d)
    return out


def main():
    corpus, sg_json, gl_json = sys.argv[1:4]
    md = "--markdown" in sys.argv
    manifest = json.load(open(f"{corpus}/manifest.json"))
    dirs = [m["dir"] for m in manifest]
    sg = json.load(open(sg_json))
    sg_error, sg_all = [], []
    for c in sg["checks"]:
        for f in c["findings"]:
            path = f["location"].get("path") or ""
            sg_all.append(path)
            if c["id"] == "repo-secrets":
                sg_error.append(path)
    gl = json.load(open(gl_json))
    root = corpus.rstrip("/") + "/"
    gl_paths = [x["File"][len(root):] if x["File"].startswith(root) else x["File"] for x in gl]
    tools = {
        "shipgate repo-secrets": flagged_dirs(sg_error, dirs),
        "shipgate + generic-secrets": flagged_dirs(sg_all, dirs),
        "gitleaks 8.30.1": flagged_dirs(gl_paths, dirs),
    }
    fams = sorted({m["family"] for m in manifest})
    rows = []
    totals = defaultdict(lambda: [0, 0, 0, 0])  # tool -> [tp, t, fp, f]
    for fam in fams:
        row = [fam]
        t = [m["dir"] for m in manifest if m["family"] == fam and m["truth"] == "true"]
        f = [m["dir"] for m in manifest if m["family"] == fam and m["truth"] == "false"]
        for name, hit in tools.items():
            tp = sum(d in hit for d in t)
            fp = sum(d in hit for d in f)
            totals[name][0] += tp
            totals[name][1] += len(t)
            totals[name][2] += fp
            totals[name][3] += len(f)
            row.append(f"{tp}/{len(t)}" if t else "–")
            row.append(f"{fp}/{len(f)}" if f else "–")
        rows.append(row)
    head = ["family"]
    for name in tools:
        head += [f"{name} found", f"{name} false"]
    total = ["**all**"]
    for name in tools:
        tp, t, fp, f = totals[name]
        total += [f"{tp}/{t} ({100 * tp / max(t, 1):.0f}%)", f"{fp}/{f} ({100 * fp / max(f, 1):.0f}%)"]
    rows.append(total)
    if md:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        for r in [head] + rows:
            print("\t".join(r))


if __name__ == "__main__":
    main()
