#!/usr/bin/env bash
# Runs every test. Installs what the tests run against (moto, the aws cli) into a project-local
# virtualenv, .venv, which git ignores; it is reused until tests/requirements.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$PWD/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "tests/run.sh: installing test dependencies into .venv (once)"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi

export CRUDDUR_OBS_TEST_VENV="$venv"
cargo test --locked "$@"
