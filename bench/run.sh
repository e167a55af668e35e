#!/usr/bin/env bash
# shipgate's benchmarks, side by side with the tool a user would otherwise run, in the same run.
# Figures are ratios (the machines are shared and noisy). Needs hyperfine, ripgrep, GNU time:
#   apt-get install hyperfine ripgrep time
#
#   bench/run.sh                 # all sections
#   bench/run.sh artifact        # one section: artifact | repo | history | hook | scaling
#
# The corpus is built by bench/corpus.py into bench/work/ (deterministic from its seed, git-ignored).
# SHIPGATE_BENCH_REPO=/path/to/a/large/repo also runs the repository section on that repository.
set -euo pipefail
cd "$(dirname "$0")/.."
work=bench/work
mkdir -p "$work"
cargo build --release --quiet
sg="$PWD/target/release/shipgate"
sections=("${@:-artifact repo history hook scaling}")
sections=(${sections[@]})

peak() { # peak RSS in MiB of a command
  /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f MiB", $1/1024}'
}

want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

if want artifact; then
  [ -f "$work/app.tgz" ] || python3 bench/corpus.py artifact "$work/app.tgz" --mb 200
  empty="$work/empty-repo"; [ -d "$empty/.git" ] || git init -q "$empty"
  echo "== artifact: every artifact check vs gzip -dc ($(du -m "$work/app.tgz" | cut -f1) MB .tar.gz)"
  hyperfine -N -w 1 -r 5 --export-json "$work/artifact.json" \
    "$sg -C $empty run --artifact $work/app.tgz" \
    "bash -c 'gzip -dc $work/app.tgz > /dev/null'"
  echo "peak memory: shipgate $(peak "$sg" -C "$empty" run --artifact "$work/app.tgz"), gzip $(peak gzip -dc "$work/app.tgz")"
fi

if want history; then
  [ -d "$work/history/.git" ] || python3 bench/corpus.py history "$work/history" --commits 20000
  echo "== history: unreviewed-commits vs git log --format=%B over the same 10,000 commits"
  (cd "$work/history" && hyperfine -N -i -w 1 -r 10 --export-json "../history.json" \
    "$sg run --stage release --only unreviewed-commits --range HEAD~10000..HEAD" \
    "git log --format=%B HEAD~10000..HEAD")
  echo "== history: the whole 20,000 commits"
  (cd "$work/history" && hyperfine -N -i -w 1 -r 5 \
    "$sg run --stage release --only unreviewed-commits" "git log --format=%B HEAD")
  echo "peak memory: shipgate $(cd "$work/history" && peak "$sg" run --stage release --only unreviewed-commits), git log $(cd "$work/history" && peak git log --format=%B HEAD)"
fi
