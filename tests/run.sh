#!/usr/bin/env bash
# Runs every test. What the tests run against (moto, the aws cli) is installed into .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/venv.sh
export CRUDDUR_OBS_TEST_VENV="$PWD/.venv"
cargo test --locked "$@"
