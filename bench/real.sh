#!/usr/bin/env bash
# shipgate on real inputs, side by side with the physical limits and the peer a user would pick,
# in the same run (hyperfine, paired), with peak RSS (GNU time). Every input is named by commit
# or version; BENCHMARKS.md quotes the figures and this script reproduces them.
#
#   BENCH_DATA=/path/to/bench-data bench/real.sh [SHIPGATE] [section...]
#   sections: tree artifact history hook scaling   (default: all)
#
# BENCH_DATA is the corpus the reference rig builds (../shared/bench/setup.sh in the workspace:
# moby/moby at b985e2313a86 and golang/tools at 8f0f8c7bde0e as clones and plain trees, npm
# packs, crates, PyPI files, rg 15.2.0 and gitleaks 8.30.1 under tools/bin). RUNS sets the
# hyperfine run count (default 10).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
B=${BENCH_DATA:?set BENCH_DATA to the corpus built by the reference rig}
sg=$(realpath "${1:-$here/../target/release/shipgate}")
shift || true
sections=("${@:-tree artifact history hook scaling}")
sections=(${sections[@]})
export PATH="$B/tools/bin:$PATH"
runs=${RUNS:-10}
out=${RESULTS_DIR:-$B/results/real-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
want() { [[ " ${sections[*]} " == *" $1 "* ]]; }
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f MiB", $1/1024}'; }
# hyperfine, paired in one run; -i: shipgate exits 1 when it finds something.
hf() { local name=$1; shift; hyperfine -N -i -w 2 -r "$runs" --export-json "$out/$name.json" "$@"; }
patterns=$here/real-patterns.txt
# gitleaks writes its report by replacing the file: given /dev/null as root, it leaves a regular
# file there. Its report goes to the results folder instead.
echo "shipgate: $("$sg" --version) ($(du -h "$sg" | cut -f1))  rg: $(rg --version | head -1)  gitleaks: $(gitleaks version)"

if want tree; then
  for t in moby tools; do
    tree=$B/tree/$t
    echo "== tree $t: the default ci checklist vs rg with 11 comparable patterns vs gitleaks' default rules"
    hf "tree-$t" \
      "$sg -C $tree run -f json -o /dev/null" \
      "rg --no-require-git --hidden -g !.git -c -f $patterns $tree" \
      "gitleaks dir --no-banner --exit-code 0 --log-level error -f json -r $out/gitleaks-report.json $tree"
    echo "peak RSS: shipgate $(peak "$sg" -C "$tree" run -f json -o /dev/null), rg $(peak rg --no-require-git --hidden -g '!.git' -c -f "$patterns" "$tree"), gitleaks $(peak gitleaks dir --no-banner --exit-code 0 --log-level error -f json -r "$out/gitleaks-report.json" "$tree")"
  done
fi

if want artifact; then
  empty=$B/scratch/empty-repo
  [ -d "$empty/.git" ] || git init -q "$empty"
  for a in next-16.4.6.tgz typescript-5.9.3.tgz rxjs-7.8.2.tgz angular-core-22.2.6.tgz tokio-1.47.1.crate django-5.2.8.tar.gz; do
    f=$B/artifacts/$a
    [ -f "$f" ] || continue
    gl=$B/artifacts/as-tar-gz/${a%.tgz}; gl=${gl%.crate}; gl=${gl%.tar.gz}.tar.gz
    echo "== artifact $a: every artifact check vs gzip -dc vs gitleaks archive mode"
    cmds=("$sg -C $empty run --artifact $f -f json -o /dev/null" "gzip -dc $f")
    [ -f "$gl" ] && cmds+=("gitleaks dir --no-banner --exit-code 0 --log-level error --max-archive-depth 1 -f json -r $out/gitleaks-report.json $gl")
    hf "artifact-$a" "${cmds[@]}"
    echo "peak RSS: shipgate $(peak "$sg" -C "$empty" run --artifact "$f" -f json -o /dev/null), gzip $(peak gzip -dc "$f")"
  done
fi

if want history; then
  repo=$B/repos/tools
  base=$(git -C "$repo" rev-list --first-parent -n 1 --skip 10000 HEAD 2>/dev/null || git -C "$repo" rev-list -n 1 --skip 10000 HEAD)
  n=$(git -C "$repo" rev-list --count "$base..HEAD")
  echo "== history golang/tools: unreviewed-commits over $n commits vs git log --format=%B"
  hf history \
    "$sg -C $repo run --stage release --only unreviewed-commits --range $base..HEAD -f json -o /dev/null" \
    "git -C $repo log --format=%B $base..HEAD"
  echo "peak RSS: shipgate $(peak "$sg" -C "$repo" run --stage release --only unreviewed-commits --range "$base..HEAD" -f json -o /dev/null)"
fi

if want hook; then
  h=$out/hook
  rm -rf "$h"; mkdir -p "$h"
  git init -q -b main "$h/repo"
  git -C "$h/repo" -c user.name=b -c user.email=b@example.invalid commit -q --allow-empty -m "init"
  head=$(git -C "$h/repo" rev-parse HEAD)
  printf 'refs/heads/feature %s refs/heads/feature 0000000000000000000000000000000000000000\n' "$head" > "$h/stdin"
  echo "== hook: shipgate hook pre-push on a small repository (a feature branch), vs bash alone"
  hyperfine -N -w 3 -r 30 --export-json "$out/hook.json" \
    "bash -c '$sg -C $h/repo hook pre-push origin $h/remote < $h/stdin'" "bash -c true"
fi

if want scaling; then
  tree=$B/tree/moby
  s=$out/scaling
  rm -rf "$s"; mkdir -p "$s/five" "$s/fifty"
  python3 - "$s" <<'PY'
import sys, os
out = sys.argv[1]
# 50 distinct content checks of realistic shapes: prefixes of tokens, paths, URLs and words.
words = ["token", "secret", "password", "apikey", "private", "localhost", "debug", "admin",
         "internal", "staging", "bearer", "session", "cookie", "credential", "signing",
         "webhook", "database", "connection", "endpoint", "tenant", "account", "license",
         "client", "refresh", "access"]
pats = []
for i, w in enumerate(words):
    pats.append(f"{w}_[A-Za-z0-9]{{{16 + i % 8}}}")
    pats.append(f"/{w}/[a-z0-9._-]+/conf{i}")
for n, d in ((5, "five"), (50, "fifty")):
    for i, p in enumerate(pats[:n]):
        with open(f"{out}/{d}/c{i}.yaml", "w") as f:
            f.write(f"id: c{i}\ntitle: t\nseverity: warning\nrepo-content:\n  scope: all\n  patterns:\n    - name: p{i}\n      regex: '{p}'\n")
PY
  echo "== scaling: 50 content checks vs 5 on the moby tree (built-in checklist off)"
  for d in five fifty; do
    printf 'builtins: false\nextra-checks: [%s]\n' "$s/$d/" > "$tree/.shipgate.yaml"
    hyperfine -N -i -w 2 -r "$runs" --export-json "$out/scaling-$d.json" "$sg -C $tree run -f json -o /dev/null"
  done
  rm -f "$tree/.shipgate.yaml"
fi
echo "results: $out"
