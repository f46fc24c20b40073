#!/usr/bin/env bash
# The main job on local defaults, no AWS account needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
node bin/ecs-admission.mjs embed examples/twistlock-fargate-task.json "$@"
