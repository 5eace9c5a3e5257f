#!/usr/bin/env bash
# gc benchmark (issue 14): W1 with 10 versions, then `gitrepro gc` after the branches that held
# the old versions are deleted, against `cp -r` of the local store.
#
#   bash bench/gc.sh                               # full W1 (668 MiB + 9 x ~16 MiB of versions)
#   W1_SMALL_N=500 W1_BIG_MIB=8 bash bench/gc.sh   # smoke scale, a minute
#
# Story: version 0 is W1 on main; versions 1..9 are branches v1..v9 from it, version K replacing
# every 10th small file starting at K-1 (10% of the small files; the two big files stay). main
# then moves to v9, branches v1..v8 are deleted and the reflogs expired: the 8 versions' files
# (8 x 10% of the small files) are garbage. Timed, each on a warm page cache:
#   cp -r of the store                   (baseline: reading every object once)    3 runs, median
#   gitrepro gc --dry-run --keep 0       (the plan: roots, snapshots, listing, who needed what)  3 runs
#   gitrepro gc --keep 0                 (the plan and the removal)               once
# Knobs: W1_SMALL_N, W1_SMALL_KIB, W1_BIG_MIB (w1.py's), BENCH_DIR (work dir, default a fresh
# temp dir, removed at the end unless BENCH_KEEP=1), W1_PY (default ../shared/bench/w1.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
W1_PY=${W1_PY:-$(cd "$root/../shared/bench" 2>/dev/null && pwd)/w1.py}
[ -f "$W1_PY" ] || W1_PY=/work/shared/bench/w1.py
for t in git python3 node; do command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }; done
GR="$root/bin/gitrepro"
[ -f "$root/dist/gitrepro.mjs" ] || (cd "$root" && node scripts/build.mjs)

work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/gr-bench-gc-XXXXXX")}
mkdir -p "$work"
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_GLOBAL="$work/home/.gitconfig" GITREPRO_SYNC_RECORDS=1
mkdir -p "$HOME"
git config --global user.name bench; git config --global user.email bench@localhost
git config --global init.defaultBranch main; git config --global gc.auto 0
repo="$work/repo"
ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1000 }'; }

echo "bench/gc: generating W1 in $repo" >&2
python3 "$W1_PY" gen "$repo" >/dev/null
cd "$repo"
git init -q
"$GR" install >/dev/null
"$GR" track data/ >/dev/null
"$GR" add >/dev/null
git add -A && git commit -q -m "version 0"

# version K: every 10th small file from K-1 gets fresh bytes
variant() {
  python3 - "$1" <<'EOF'
import os, random, sys
k = int(sys.argv[1])
size = int(os.environ.get("W1_SMALL_KIB", "16")) * 1024
n = int(os.environ.get("W1_SMALL_N", "10000"))
for i in range(k - 1, n, 10):
    p = os.path.join("data", "small", "d%02d" % (i // 100), "f%05d.bin" % i)
    os.unlink(p)
    with open(p, "wb") as f:
        f.write(random.Random("gc-bench-%d-%d" % (k, i)).randbytes(size))
EOF
}
for k in 1 2 3 4 5 6 7 8 9; do
  git checkout -q -b "v$k" main
  variant "$k"
  "$GR" add >/dev/null
  git add -A && git commit -q -m "version $k"
  echo "bench/gc: version $k committed" >&2
done
git checkout -q main
git merge -q --ff-only v9
for k in 1 2 3 4 5 6 7 8; do git branch -q -D "v$k"; done
git reflog expire --expire=now --all

store="$(git rev-parse --git-common-dir)/gitrepro/objects"
objs_before=$(find "$store" -type f | wc -l)
bytes_before=$(du -sb "$store" | cut -f1)
sync
find "$store" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache

# three runs each of what does not change the store; the median is reported (the machine is shared)
cp_all=(); dry_all=()
for i in 1 2 3; do
  t0=$(ms); cp -r "$store" "$work/store-copy"; t1=$(ms)
  cp_all+=("$(secs "$t0" "$t1")"); rm -rf "$work/store-copy"
  t0=$(ms); "$GR" gc --dry-run --keep 0 --json >"$work/dry.json"; t1=$(ms)
  dry_all+=("$(secs "$t0" "$t1")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
cp_s="$(median "${cp_all[@]}") (${cp_all[*]})"
dry_s="$(median "${dry_all[@]}") (${dry_all[*]})"
t0=$(ms); "$GR" gc --keep 0 --json >"$work/run.json"; t1=$(ms)
run_s=$(secs "$t0" "$t1")
objs_after=$(find "$store" -type f | wc -l)
bytes_after=$(du -sb "$store" | cut -f1)
# the kept commits still restore: main's data checked against the store's bytes
"$GR" restore >/dev/null

node - "$work/dry.json" "$work/run.json" <<EOF
const fs = require('node:fs');
const dry = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const run = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const mib = (n) => (n / 1048576).toFixed(1);
if (dry.removed.objects !== run.removed.objects || dry.removed.bytes !== run.removed.bytes) { console.error('bench/gc: dry run and run disagree'); process.exit(1); }
console.log('| store before | garbage | cp -r of the store | gc --dry-run --keep 0 | gc --keep 0 | store after |');
console.log('|---|---|---|---|---|---|');
console.log('| ${objs_before} files, ' + mib(${bytes_before}) + ' MiB | ' + run.removed.objects + ' objects, ' + mib(run.removed.bytes) + ' MiB | ${cp_s} s | ${dry_s} s | ${run_s} s | ${objs_after} files, ' + mib(${bytes_after}) + ' MiB |');
console.log('');
console.log('roots: ' + JSON.stringify(run.roots) + '; kept ' + run.kept.objects + ' objects');
EOF
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
