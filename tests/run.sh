#!/usr/bin/env bash
# Runs every test. Installs what the tests run against first: moto, the aws cli and the other
# Python parts into .venv (ignored by git), and Debian's docker-compose for checking the compose
# files init writes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/venv.sh
if ! command -v docker-compose >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: docker-compose is missing; install Debian's package: sudo apt-get install docker-compose" >&2
    exit 1
  fi
  echo "tests/run.sh: installing docker-compose from Debian's packages (once)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
fi
export CRUDDUR_OBS_TEST_VENV="$PWD/.venv"
cargo test --locked "$@"
