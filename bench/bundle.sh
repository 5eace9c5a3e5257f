#!/usr/bin/env bash
# Bundles (issue 14): `gitrepro bundle create` and `gitrepro bundle import` of W1 (10,000 files of
# 16 KiB + 2 of 256 MiB, ../shared/bench/w1.py), against `cp -r`, `tar cf` and `tar xf` of the
# same bytes (the work tree's data/). Run after `npm run build`:
#   bash bench/bundle.sh                                  # full W1, BUNDLE_ROUNDS rounds (3)
#   W1_SMALL_N=500 W1_BIG_MIB=8 BUNDLE_ROUNDS=1 bash bench/bundle.sh   # smoke scale
# Rules as in bench/README.md: inputs are warmed (read once) before each timed step; no tree is
# deleted while timing (each finished tree is moved to trash/, deleted at the end: deleting big
# trees slows file creation for minutes on this ext4); the load of the machine is printed with
# each figure (1-minute load average before the step: the machine is shared).
# What each side does about durability: bundle create fsyncs the archive and renames it; import
# makes its objects durable with one syncfs; `tar cf` is timed with a `sync` of its file after it,
# `cp -r` and `tar xf` make nothing durable (as they are used; the `sync -f` after tar xf is its own row).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
W1_PY=${W1_PY:-/work/shared/bench/w1.py}
ROUNDS=${BUNDLE_ROUNDS:-3}
ROOT=${BENCH_ROOT:-$(mktemp -d /tmp/gr-bench-bundle-XXXXXX)}
mkdir -p "$ROOT"/{out,trash}
export PATH="$project/bin:$PATH" GITREPRO_SYNC_RECORDS=1
for t in git python3 tar; do command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }; done
[ -f "$project/dist/gitrepro.mjs" ] || { echo "bench: run npm run build first" >&2; exit 2; }

log() { echo "[$(date -u +%T)] $*" >&2; }
load() { cut -d' ' -f1 /proc/loadavg; }
# t LABEL CMD...: runs CMD, appends "LABEL seconds load" to $ROOT/times
t() {
  local label=$1 l t0 t1
  shift
  l=$(load)
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  echo "$label $(echo "$t1 - $t0" | bc -l) $l" >> "$ROOT/times"
  log "$label: $(echo "$t1 - $t0" | bc -l | cut -c1-6) s (load $l)"
}
warm() { find "$@" -type f -exec cat {} + > /dev/null; }
aside() { for p in "$@"; do mv "$p" "$ROOT/trash/$(basename "$p").$RANDOM"; done; }

log "generating W1 into $ROOT/w1"
python3 "$W1_PY" gen "$ROOT/w1" > /dev/null
repo=$ROOT/repo
git init -q "$repo"
(
  cd "$repo"
  git config user.name bench && git config user.email bench@example.com && git config gc.auto 0
  gitrepro install > /dev/null
  gitrepro track data/ > /dev/null
  cp -r "$ROOT/w1/data" data
  echo code > code.txt
  gitrepro add > /dev/null
  git add -A && git commit -q -m w1
)
bytes=$(du -sb "$repo/data" | cut -f1)
files=$(find "$repo/data" -type f | wc -l)
log "repo ready: $files files, $bytes bytes"
: > "$ROOT/times"

for i in $(seq 1 "$ROUNDS"); do
  warm "$repo/data" "$repo/.git"
  t "gitrepro-bundle-create" sh -c "cd '$repo' && gitrepro bundle create '$ROOT/out/data-$i.tar' > /dev/null"
  warm "$repo/data"
  t "tar-cf+sync" sh -c "tar cf '$ROOT/out/plain-$i.tar' -C '$repo' data && sync '$ROOT/out/plain-$i.tar'"
  warm "$repo/data"
  t "cp-r" cp -r "$repo/data" "$ROOT/out/cp-$i"

  warm "$ROOT/out/data-$i.tar"
  t "gitrepro-bundle-verify" sh -c "cd '$repo' && gitrepro bundle verify '$ROOT/out/data-$i.tar' > /dev/null"
  git clone -q "$repo" "$ROOT/out/clone-$i"
  warm "$ROOT/out/data-$i.tar" "$ROOT/out/clone-$i/.git"
  t "gitrepro-bundle-import" sh -c "cd '$ROOT/out/clone-$i' && gitrepro bundle import '$ROOT/out/data-$i.tar' > /dev/null"
  mkdir "$ROOT/out/x-$i"
  warm "$ROOT/out/plain-$i.tar"
  t "tar-xf" tar xf "$ROOT/out/plain-$i.tar" -C "$ROOT/out/x-$i"
  t "sync-after-tar-xf" sync -f "$ROOT/out/x-$i"
  if [ "$i" = 1 ]; then
    # correctness, untimed: the imported clone restores W1 byte for byte
    (cd "$ROOT/out/clone-1" && gitrepro install > /dev/null && python3 "$W1_PY" verify . "$ROOT/w1/manifest.c1") && log "round 1: imported clone verified against W1's manifest"
    ls -l "$ROOT/out/data-1.tar" "$ROOT/out/plain-1.tar" >&2
  fi
  aside "$ROOT/out/cp-$i" "$ROOT/out/x-$i" "$ROOT/out/clone-$i" "$ROOT/out/data-$i.tar" "$ROOT/out/plain-$i.tar"
done

node -e '
const fs = require("fs");
const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const by = new Map();
for (const [k, s, l] of rows) { if (!by.has(k)) by.set(k, []); by.get(k).push([+s, +l]); }
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
console.log(`W1: ${process.argv[2]} files, ${(process.argv[3] / 2 ** 20).toFixed(0)} MiB; ${process.argv[4]} round(s); median (min-max) seconds; 1-min load average before each run`);
console.log("| step | median s | min-max s | load |");
console.log("|---|---|---|---|");
for (const [k, v] of by) { const s = v.map((x) => x[0]); console.log(`| ${k} | ${med(s).toFixed(2)} | ${Math.min(...s).toFixed(2)}-${Math.max(...s).toFixed(2)} | ${v.map((x) => x[1]).join(", ")} |`); }
' "$ROOT/times" "$files" "$bytes" "$ROUNDS" | tee "$ROOT/table.md"
mkdir -p "$here/results"
cp "$ROOT/table.md" "$here/results/bundle-$(date -u +%Y%m%dT%H%M%SZ).md"
log "deleting $ROOT"
rm -rf "$ROOT"
