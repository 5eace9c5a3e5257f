#!/usr/bin/env bash
# W1 benchmark: gitrepro vs git-lfs vs plain git, cp -r and node sha256, in one run.
# `npm run bench` builds first. Knobs (env): see bench/README.md. Smoke scale:
#   W1_SMALL_N=500 W1_BIG_MIB=8 BENCH_ROUNDS_A=1 npm run bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for t in git git-lfs hyperfine python3 node bc; do
  command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }
done
exec node "$here/w1.mjs" "$@"
