#!/usr/bin/env bash
# Packs this example the way `npm pack` does (everything under `package/`, since package.json has
# no "files" field) together with what a developer's folder typically holds, then lets shipgate
# inspect the tarball. Expect a failed gate: the source map, the .env and the editor folder ship.
#
#   examples/leaky-npm-package/check.sh            # uses `shipgate` from PATH
#   SHIPGATE=target/debug/shipgate examples/leaky-npm-package/check.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
shipgate="${SHIPGATE:-shipgate}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/package"
cp -R "$here/package.json" "$here/dist" "$work/package/"
# What sits in a developer's folder and is not in .gitignore-aware npm publishing:
printf 'DATABASE_URL=postgres://app:s3cret-pass@db.internal/app\n' > "$work/package/.env"
mkdir -p "$work/package/.vscode"
printf '{"configurations":[]}\n' > "$work/package/.vscode/launch.json"

tar -czf "$work/leaky-cli-1.0.0.tgz" -C "$work" package
"$shipgate" run --artifact "$work/leaky-cli-1.0.0.tgz" \
  --only package-source-maps --only package-env-files --only package-editor-dirs \
  --only package-source-map-links "$@"
