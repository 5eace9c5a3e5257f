#!/usr/bin/env bash
# Untimed steps run by hyperfine --prepare (and by the driver) between timed runs.
# Everything comes from the environment the driver sets: BENCH_REPO (cwd of the timed command),
# BENCH_TOOL (gitrepro | lfs | plain), W1_PY, BENCH_LIB, BENCH_FLUSH_LOG, BENCH_FLUSH_CPU_LOG,
# BENCH_VERIFY_EACH (1: full verify, quick: bench/lib/verify-quick.py, 0: none), BENCH_VARIANT_BASE.
# Other workloads than W1 (bench/w2.mjs) set BENCH_GEN (generator with `verify DIR MANIFEST`;
# default W1_PY), BENCH_VARIANT_CMD (variant K is `$BENCH_VARIANT_CMD K`, run in the repo),
# BENCH_MOD_LAST (the command writing c2's content) and BENCH_WARM (all | meta).
#   prep.sh wait                   wait for gitrepro's detached record flusher; log how long
#   prep.sh noop                   wait; change code.txt and stage it; warm metadata
#   prep.sh variant TOTAL          wait; write the next 10-file variant (the TOTAL-th is w1.py mod,
#                                  i.e. commit c2's content); flush to disk; warm the data
#   prep.sh checkout FROM MAN_FROM C1 MAN_C1 C2 MAN_C2
#                                  verify the work tree against the manifest of HEAD (c1 or c2),
#                                  check out FROM, verify it; warm work tree and stores
#   prep.sh warm                   warm the repo as before a timed step (BENCH_WARM)
set -euo pipefail
cd "$BENCH_REPO"

# Waits for gitrepro's detached record flusher (flusher.pid) to exit. Logs its remaining wall
# time (BENCH_FLUSH_LOG) and its CPU seconds, children included, as last seen in /proc
# (BENCH_FLUSH_CPU_LOG: the driver does not count it as another user's load). Polls without
# forking: `read -t` on a pipe nobody writes.
wait_flusher() {
  local pidf=.git/gitrepro/flusher.pid t0 t1 pid st cpu=0 tck
  if [ ! -f "$pidf" ]; then
    [ -n "${BENCH_FLUSH_LOG:-}" ] && echo 0 >> "$BENCH_FLUSH_LOG"
    return 0
  fi
  exec 9<> <(:)
  t0=$(date +%s.%N)
  while [ -f "$pidf" ]; do
    pid=
    read -r pid < "$pidf" 2>/dev/null || true
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
    if read -r st < "/proc/$pid/stat" 2>/dev/null; then
      set -- ${st##*) }
      cpu=$(( ${12} + ${13} + ${14} + ${15} ))
    fi
    read -rt 0.005 -u 9 || true
  done
  t1=$(date +%s.%N)
  exec 9>&-
  tck=$(getconf CLK_TCK)
  if [ -n "${BENCH_FLUSH_LOG:-}" ]; then echo "$t1 - $t0" | bc -l >> "$BENCH_FLUSH_LOG"; fi
  if [ -n "${BENCH_FLUSH_CPU_LOG:-}" ]; then echo "$cpu / $tck" | bc -l >> "$BENCH_FLUSH_CPU_LOG"; fi
}

warm_meta() { find . -name . -o -print > /dev/null; }
# BENCH_WARM=meta (the 1M row: millions of store objects): every inode of data/ and .git is
# stat'ed, git's own files are read, the object stores' files are not
warm_data() {
  if [ "${BENCH_WARM:-all}" = meta ]; then
    find data .git -printf '%s\n' > /dev/null
    find .git \( -path .git/gitrepro/objects -o -path .git/lfs/objects \) -prune -o -type f -exec cat {} + > /dev/null
  else
    find data .git -type f -exec cat {} + > /dev/null
  fi
}
GEN=${BENCH_GEN:-${W1_PY:-}}
verify_one() { # MANIFEST OTHER_MANIFEST
  if [ "${BENCH_VERIFY_EACH:-1}" = quick ]; then python3 "$BENCH_LIB/verify-quick.py" . "$1" "$2"
  else python3 "$GEN" verify . "$1"; fi
}

verify_head() {
  # $1 C1 $2 MAN_C1 $3 C2 $4 MAN_C2
  local head; head=$(git rev-parse HEAD)
  if [ "$head" = "$1" ]; then verify_one "$2" "$4" > /dev/null || { echo "prep: work tree wrong at c1 ($1)" >&2; verify_one "$2" "$4" >&2; exit 1; }
  elif [ "$head" = "$3" ]; then verify_one "$4" "$2" > /dev/null || { echo "prep: work tree wrong at c2 ($3)" >&2; verify_one "$4" "$2" >&2; exit 1; }
  fi
}

case "$1" in
  wait) wait_flusher ;;
  noop)
    wait_flusher
    date +%s.%N >> code.txt
    git add code.txt
    warm_meta
    ;;
  variant)
    wait_flusher
    total=$2
    n=$(( $(cat .git/bench-variant 2>/dev/null || echo 0) + 1 ))
    echo "$n" > .git/bench-variant
    k=$(( ${BENCH_VARIANT_BASE:-0} + n ))
    if [ "$n" -ge "$total" ]; then
      if [ -n "${BENCH_MOD_LAST:-}" ]; then eval "$BENCH_MOD_LAST"; else python3 "$W1_PY" mod .; fi
    elif [ -n "${BENCH_VARIANT_CMD:-}" ]; then eval "$BENCH_VARIANT_CMD $k"
    else python3 "$BENCH_LIB/variant.py" "$W1_PY" . "$k"; fi
    sync
    warm_data
    ;;
  checkout)
    from=$2 man_from=$3 c1=$4 man_c1=$5 c2=$6 man_c2=$7
    wait_flusher
    [ "${BENCH_VERIFY_EACH:-1}" != 0 ] && verify_head "$c1" "$man_c1" "$c2" "$man_c2"
    git checkout -q "$from"
    [ "${BENCH_VERIFY_EACH:-1}" != 0 ] && verify_head "$c1" "$man_c1" "$c2" "$man_c2"
    sync
    warm_data
    ;;
  warm) warm_data ;;
  *) echo "prep.sh: unknown step $1" >&2; exit 2 ;;
esac
