#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: installs, builds, type-checks, lints, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --system
node scripts/build.mjs
npx tsc --noEmit
npx biome check .
npx vitest run "$@"
