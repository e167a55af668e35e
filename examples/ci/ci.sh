#!/usr/bin/env bash
# Any CI system: run the gate, keep the reports, and let the exit status decide the job
# (0 pass, 1 fail, 2 could not decide). Extra arguments go to `shipgate run`, e.g.
#   examples/ci/ci.sh --stage release --artifact dist/app.tgz
set -euo pipefail
command -v shipgate >/dev/null || cargo install --locked shipgate
mkdir -p reports
shipgate run \
  --report json=reports/shipgate.json \
  --report junit=reports/shipgate-junit.xml \
  --report markdown=reports/shipgate.md \
  "$@"
