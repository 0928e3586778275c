#!/usr/bin/env bash
# Benchmarks cruddur-obs against the aws cli, in one run against the same local endpoints
# (moto for CloudWatch Logs, the X-Ray fake). Prints a Markdown table for the README.
# Installs what it needs: hyperfine and GNU time from Debian's packages, the .venv for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq >/dev/null && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash tests/venv.sh
cargo build --release --locked --quiet
exec .venv/bin/python bench/compare.py "$@"
