#!/usr/bin/env bash
# Runs the property tests (the `prop` modules: key shapes, JSON inputs, tag shorthands, regions,
# endpoint URLs, the manifest) with many more cases than `cargo test` gives them, in a release
# build. Not run by the tests: a long search for inputs that make a parser panic.
#   bash bench/props.sh            # 1,000,000 cases per property
#   PROPTEST_CASES=200000 bash bench/props.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_CASES="${PROPTEST_CASES:-1000000}"
echo "bench/props.sh: $PROPTEST_CASES cases per property" >&2
start=$(date +%s)
cargo test --locked --release --bin cruddur-obs prop -- "$@"
echo "bench/props.sh: done in $(( $(date +%s) - start )) s" >&2
