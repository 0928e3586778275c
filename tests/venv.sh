#!/usr/bin/env bash
# Makes sure .venv (ignored by git) holds what tests and benchmarks run against: moto and the
# aws cli, from tests/requirements.txt. Reused until that file changes. Prints nothing when current.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$PWD/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing test dependencies into .venv (once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi
