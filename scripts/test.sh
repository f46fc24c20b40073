#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: installs, builds, type-checks, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
node scripts/build.mjs
npx tsc --noEmit
npx biome check .
# vitest's report of a failure is far above its last lines; repeat the failed tests' names at the end,
# where a CI log's tail shows them.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! npx vitest run "$@" 2>&1 | tee "$log"; then
  echo
  echo "Failed:"
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *FAIL ' | sort -u || true
  exit 1
fi
