#!/usr/bin/env bash
# shipgate's benchmarks, side by side with the tool a user would otherwise run, in the same run.
# Figures are ratios (the machines are shared and noisy). Needs hyperfine, ripgrep, GNU time:
#   apt-get install hyperfine ripgrep time
#
#   bench/run.sh                 # all sections
#   bench/run.sh artifact        # one section: artifact | repo | history | hook | scaling | image
#
# `image` is not in the default list: it downloads a real image, or real Debian and npm packages to
# assemble one (bench/image.py), into bench/work/image/.
#
# The corpus is built by bench/corpus.py into bench/work/ (deterministic from its seed, git-ignored).
# SHIPGATE_BENCH_REPO=/path/to/a/large/repo also runs the repository section on that repository.
set -euo pipefail
cd "$(dirname "$0")/.."
work=bench/work
mkdir -p "$work"
cargo build --release --quiet
sg="$PWD/target/release/shipgate"
sections=("${@:-repo artifact history hook scaling}")
sections=(${sections[@]})

peak() { # peak RSS in MiB of a command
  /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.1f MiB", $1/1024}'
}

want() { [[ " ${sections[*]} " == *" $1 "* ]]; }

# The content patterns of the built-in repository checks that run in CI, one per line.
patterns() {
  python3 - "$@" <<'PY'
import glob, re, sys, yaml
# ripgrep joins its -e patterns into one regex: named groups would collide, and inline flags
# must stay scoped to their pattern.
for f in sorted(glob.glob("checks/*.yaml")):
    c = yaml.safe_load(open(f))
    rc = c.get("repo-content")
    if rc and not c.get("off") and "ci" in c.get("stages", ["ci"]):
        for p in rc.get("patterns", []):
            print("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p["regex"]) + ")")
PY
}

if want repo; then
  [ -d "$work/repo/.git" ] || { python3 bench/corpus.py repo "$work/repo" --files 20000 --mb 580 \
    && git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=b -c user.email=b@x commit -qm corpus; }
  args=(); while IFS= read -r p; do args+=(-e "$p"); done < <(patterns)
  targets=("$work/repo")
  [ -n "${SHIPGATE_BENCH_REPO:-}" ] && targets+=("$SHIPGATE_BENCH_REPO")
  for target in "${targets[@]}"; do
    echo "== repo: the default checklist vs rg with the same $(( ${#args[@]} / 2 )) patterns over the same files"
    echo "   $target ($(git -C "$target" ls-files | wc -l) files, $(du -sm --exclude=.git "$target" | cut -f1) MB)"
    rg_cmd=(rg --hidden -g '!.git' --max-filesize 2M --no-messages -c "${args[@]}" "$target")
    printf '%q ' "${rg_cmd[@]}" > "$work/rg.sh"
    hyperfine -N -i -w 2 -r 10 --export-json "$work/repo-$(basename "$target").json" \
      "$sg -C $target run" "bash $work/rg.sh"
    echo "peak memory: shipgate $(peak "$sg" -C "$target" run), rg $(peak bash "$work/rg.sh")"
  done
fi

if want artifact; then
  [ -f "$work/app.tgz" ] || python3 bench/corpus.py artifact "$work/app.tgz" --mb 200
  empty="$work/empty-repo"; [ -d "$empty/.git" ] || git init -q "$empty"
  echo "== artifact: every artifact check vs gzip -dc ($(du -m "$work/app.tgz" | cut -f1) MB .tar.gz)"
  hyperfine -N -w 1 -r 5 --export-json "$work/artifact.json" \
    "$sg -C $empty run --artifact $work/app.tgz" \
    "bash -c 'gzip -dc $work/app.tgz > /dev/null'"
  echo "peak memory: shipgate $(peak "$sg" -C "$empty" run --artifact "$work/app.tgz"), gzip $(peak gzip -dc "$work/app.tgz")"
fi

if want image; then
  img="$work/image"
  [ -f "$img/image-oci.tar" ] || python3 bench/image.py "$img"
  empty="$work/empty-repo"; [ -d "$empty/.git" ] || git init -q "$empty"
  echo "== image: every artifact check on a real image vs gzip -dc over its gzip layers ($(du -m "$img/layers.gz" | cut -f1) MB)"
  head -1 "$img/inputs.txt"
  # -i: the image has findings (exit 1); the time is what is compared.
  hyperfine -N -i -w 1 -r 10 --export-json "$work/image.json" \
    "$sg -C $empty run --artifact $img/image-oci.tar" \
    "gzip -dc $img/layers.gz"
  echo "peak memory: shipgate $(peak "$sg" -C "$empty" run --artifact "$img/image-oci.tar"), gzip $(peak gzip -dc "$img/layers.gz")"
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

if want hook; then
  small="$work/small"
  if [ ! -d "$small/.git" ]; then
    git init -q -b main "$small"
    printf 'fn main() {}\n' > "$small/main.rs"
    git -C "$small" add -A && git -C "$small" -c user.name=b -c user.email=b@x commit -qm "init

Reviewed-by: R <r@x>"
  fi
  head=$(git -C "$small" rev-parse HEAD)
  printf 'refs/heads/feature %s refs/heads/feature %s\n' "$head" 0000000000000000000000000000000000000000 > "$work/push-feature"
  printf 'refs/heads/main %s refs/heads/main %s\n' "$head" 0000000000000000000000000000000000000000 > "$work/push-main"
  echo "== hook: the fixed cost of shipgate hook pre-push on a small repository vs true"
  # Through hyperfine's shell (it subtracts the shell's own start-up), so stdin can be redirected.
  (cd "$small" && hyperfine -i -w 3 -r 30 --export-json "../hook.json" \
    "$sg hook pre-push origin url < ../push-feature" \
    "$sg hook pre-push origin url < ../push-main" \
    "true")
fi

if want scaling; then
  echo "== scaling: 50 content checks vs 5 (one pass, one matcher)"
  for n in 5 50; do
    d="$PWD/$work/scaling-$n"; rm -rf "$d"; mkdir -p "$d/checks"
    for i in $(seq 1 "$n"); do
      cat > "$d/checks/c$i.yaml" <<YAML
id: bench-$i
title: bench $i
severity: warning
repo-content:
  patterns:
    - name: p$i
      regex: '(?i)\b(?:legacy_api_$i|tmp_hack_$i)\s*\('
    - name: q$i
      regex: 'TODO\($i-[A-Z]{2,8}\)'
YAML
    done
    printf 'builtins: false\nextra-checks: [%s/checks]\n' "$d" > "$d/shipgate.yaml"
  done
  cp "$work/repo/.shipgate.yaml" "$work/shipgate.yaml.saved" 2>/dev/null || true
  run_n() { cp "$work/scaling-$1/shipgate.yaml" "$work/repo/.shipgate.yaml"; }
  hyperfine -N -i -w 2 -r 10 --export-json "$work/scaling.json" \
    --prepare "cp $work/scaling-5/shipgate.yaml $work/repo/.shipgate.yaml" -n "5 checks" "$sg -C $work/repo run" \
    --prepare "cp $work/scaling-50/shipgate.yaml $work/repo/.shipgate.yaml" -n "50 checks" "$sg -C $work/repo run"
  rm -f "$work/repo/.shipgate.yaml"
  [ -f "$work/shipgate.yaml.saved" ] && mv "$work/shipgate.yaml.saved" "$work/repo/.shipgate.yaml" || true
fi
