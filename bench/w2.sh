#!/usr/bin/env bash
# W2 benchmark (100,000 × 4 KiB) and the 1M row (1,000,000 × 1 KiB): gitrepro vs git-lfs (when
# installed) and cp -r, in one run. `npm run bench -- w2` / `npm run bench -- 1m` build first.
# Smoke scale (a few minutes): BENCH_SMOKE=1 npm run bench -- w2. Knobs: bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for t in git hyperfine python3 node bc; do
  command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }
done
git lfs version >/dev/null 2>&1 || echo "bench: git-lfs is not installed: its column is skipped (apt-get install git-lfs)" >&2
exec node "$here/w2.mjs" "$@"
