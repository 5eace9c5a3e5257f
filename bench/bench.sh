#!/usr/bin/env bash
# `npm run bench [-- WORKLOAD]` (the build runs first): which benchmark to run.
#   (none), w1   W1: bench/w1.sh (10,002 files; gitrepro, git-lfs, plain git)
#   w2           W2: bench/w2.sh w2 (100,000 files; steps (a)-(d), push, clone + restore);
#                BENCH_1M=1 adds the 1M row to the same run
#   1m           the 1M row alone: bench/w2.sh 1m (1,000,000 files; (a) once, (b)-(d))
# Knobs (environment) and what each step does: bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-w1}" in
  w1) if [ $# -gt 0 ]; then shift; fi; exec bash "$here/w1.sh" "$@" ;;
  w2 | 1m) exec bash "$here/w2.sh" "$@" ;;
  *) echo "bench: unknown workload '$1' (w1, w2 or 1m)" >&2; exit 2 ;;
esac
