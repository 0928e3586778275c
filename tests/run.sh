#!/usr/bin/env bash
# Runs every test. Installs what the tests run against first: moto, the aws cli and the other
# Python parts into .venv (ignored by git), Debian's docker-compose for checking the compose
# files init writes, and Debian's chromium for the browser tests (tests/browser.rs), which also
# need node and npm (their npm packages go under target/npm/, installed by the tests themselves).
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
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: chromium is missing; install Debian's package: sudo apt-get install chromium" >&2
    exit 1
  fi
  echo "tests/run.sh: installing chromium from Debian's packages (once)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "tests/run.sh: $tool is missing; the browser tests (tests/browser.rs) need Node.js 20 or later with its npm" >&2
    exit 1
  fi
done
export CRUDDUR_OBS_TEST_VENV="$PWD/.venv"
cargo test --locked "$@"
