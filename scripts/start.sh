#!/usr/bin/env bash
# The main job on local defaults, no AWS account needed: the local stack (policy API + ECS simulator)
# with the sample account, the recorded events replayed through the admission handler, each decision
# printed as it happens; then it keeps serving until Ctrl-C. Extra arguments go to `ecs-admission local`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
exec node bin/ecs-admission.mjs local --demo "$@"
