#!/usr/bin/env bash
# Storage v2 benchmark (issue 15), through Ceph radosgw on loopback (test/s3/rgw.sh), each
# workload in both store remote formats (v1: one object per file; v2: packs + chunked big files):
#   w2     W2 (../shared/bench/w2.py: 100,000 files of 4 KiB, 390.6 MiB): `git push`, and
#          `git clone` + `gitrepro install` (restore), checked with `w2.py verify`
#   one    the same 409,600,000 bytes as one file (W2's files concatenated): push, clone + restore
#   cp     `cp -r` of W2's data directory (the restore baseline)
#   w1     W1 (../shared/bench/w1.py: 10,000 x 16 KiB + 2 x 256 MiB): push, clone + restore
#   edit   a 1 GiB random file pushed, then a 1 MiB overwrite in its middle, then (from the
#          original) a 1 MiB insert at its start, each committed and pushed: bytes the bucket grew by
#
# Usage: bash bench/remote-v2.sh          (all parts, 3 runs each: about 25 minutes, ~6 GiB disk)
# Knobs: BENCH_ROOT (/work/bench-tmp/remote-v2), BENCH_RUNS (3), BENCH_RUNS_V1 (runs of the v1
# rows, default BENCH_RUNS: W2 in v1 takes minutes per run), BENCH_PARTS ("w2 one cp w1 edit"),
# BENCH_FORMATS ("1 2"), BENCH_V1_PARTS (the parts also measured in v1, default "w2 one w1"),
# BENCH_QUIET_WAIT (600 s), EDIT_MIB (1024), W2_* and W1_* (smoke scale:
# see w1.py, w2.py). Smoke run, ~3 minutes:
#   BENCH_ROOT=/tmp/rv2 BENCH_RUNS=1 W2_DIRS=20 W1_SMALL_N=200 W1_BIG_MIB=4 EDIT_MIB=64 bash bench/remote-v2.sh
# The test gateway keeps objects in 4 GiB of memory: each part empties its bucket and forces RGW's
# garbage collection when done (a full OSD blocks every client of the shared server).
# Finished trees are moved to $BENCH_ROOT/trash-<run> and deleted at the end: on this ext4 (no journal),
# creating many files right after deleting a big tree is 4-15x slower for minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MAIN=$(dirname "$here")
ROOT=${BENCH_ROOT:-/work/bench-tmp/remote-v2}
RUNS=${BENCH_RUNS:-3}
PARTS=${BENCH_PARTS:-"w2 one cp w1 edit"}
FORMATS=${BENCH_FORMATS:-"1 2"}
SHARED=$(cd "$MAIN/.." && pwd)/shared/bench
W1_PY=${W1_PY:-$SHARED/w1.py} W2_PY=${W2_PY:-$SHARED/w2.py}
for t in git hyperfine python3 node curl; do command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }; done
bash "$MAIN/test/s3/rgw.sh" status || { echo "bench: no radosgw (bash test/s3/rgw.sh start)" >&2; exit 2; }
stamp=$(date -u +%Y%m%dT%H%M%S)
# each run its own trash: a run that starts while the last one deletes its trees keeps its own
export RES=$ROOT/results-$stamp TRASH=$ROOT/trash-$stamp
mkdir -p "$ROOT" "$RES" "$TRASH"
exec > >(tee "$RES/log.txt") 2>&1

export HOME=$ROOT/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GITREPRO_SYNC_RECORDS=1 NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@localhost
git config --global init.defaultBranch main && git config --global gc.auto 0 && git config --global advice.detachedHead false
# a private copy of the build: the hook shims record its path, a rebuild must not change it
BIN=$ROOT/gitrepro-build
rm -rf "$BIN" && mkdir -p "$BIN"
(cd "$MAIN" && node scripts/build.mjs && cp -r bin dist hooks package.json "$BIN/")
ln -sfn "$MAIN/node_modules" "$BIN/node_modules"
export PATH=$BIN/bin:$PATH
eval "$(bash "$MAIN/test/s3/rgw.sh" env)"
export AWS_ACCESS_KEY_ID=$GITREPRO_S3_KEY AWS_SECRET_ACCESS_KEY=$GITREPRO_S3_SECRET AWS_REGION=${GITREPRO_S3_REGION:-us-east-1}
export S3B="node $here/lib/s3-bucket.mjs" RGW_CONF=${RGW_BASE:-/tmp/gitrepro-rgw-7480}/ceph.conf
aside() { for p in "$@"; do [ -e "$p" ] && mv "$p" "$TRASH/$(date +%s%N)-$(basename "$p")"; done; return 0; }
warm() { for d in "$@"; do [ -e "$d" ] && find "$d" -type f -print0 | xargs -0 cat > /dev/null; done; return 0; }
s3empty() { $S3B empty "$1" && radosgw-admin -c "$RGW_CONF" gc process --include-all 2>/dev/null || true; }
export -f aside warm s3empty
export TRASH W1_PY W2_PY

echo "== storage v2 benchmark at $ROOT (runs: $RUNS, parts: $PARTS, formats: $FORMATS)"
if [ ! -f "$ROOT/w2src/manifest.m0" ]; then python3 "$W2_PY" gen "$ROOT/w2src"; fi
if [ ! -f "$ROOT/onesrc/data/one.bin" ]; then mkdir -p "$ROOT/onesrc/data" && find "$ROOT/w2src/data" -type f | sort | xargs cat > "$ROOT/onesrc/data/one.bin"; fi
export ONESHA=$(sha256sum "$ROOT/onesrc/data/one.bin" | cut -d' ' -f1)
sync

# the busy share of both CPUs over 3 s; waits (up to BENCH_QUIET_WAIT s) for <= 15 % before a
# measurement, and logs it: the other engineers' test runs share the machine and the gateway
busy_pct() {
  local a b
  a=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat); sleep 3
  b=$(awk '/^cpu /{ print $2+$3+$4+$5+$6+$7+$8, $5+$6 }' /proc/stat)
  echo "$a $b" | awk '{ t = $3 - $1; i = $4 - $2; printf "%d", (t > 0 ? 100 * (t - i) / t : 0) }'
}
quiet() {
  local waited=0 max=${BENCH_QUIET_WAIT:-600} busy
  busy=$(busy_pct)
  while [ "$waited" -lt "$max" ] && [ "$busy" -gt 15 ]; do sleep 7; waited=$((waited + 10)); busy=$(busy_pct); done
  echo "   (CPU busy before: ${busy}%, waited ${waited}s)"
  echo "$busy" >> "$RES/busy.txt"
}
# measure NAME PREPARE COMMAND [CHECK] [RUNS]: hyperfine, median in $RES/NAME.json; CHECK after
measure() {
  local name=$1 prep=$2 cmd=$3 check=${4:-} runs=${5:-$RUNS}
  echo "-- $name: $cmd"
  quiet
  if ! hyperfine --shell=bash --style basic --runs "$runs" --prepare "$prep" --export-json "$RES/$name.json" "$cmd"; then
    echo "!! $name FAILED"; rm -f "$RES/$name.json"; return 0
  fi
  if [ -n "$check" ]; then bash -c "$check" || echo "!! $name: check failed"; fi
}
# setup DIR BUCKET FORMAT SRC: a repo with SRC/data committed, store remote s3://BUCKET/p, origin
setup() {
  local d=$1 b=$2 f=$3 src=$4
  aside "$d" && mkdir -p "$d"
  $S3B create "$b" && s3empty "$b"
  git init -q "$d/src" && cd "$d/src"
  gitrepro install >/dev/null && gitrepro track data/ >/dev/null
  gitrepro remote add store "s3://$b/p" --endpoint "$GITREPRO_S3_ENDPOINT" --format "$f" --default >/dev/null
  cp -r "$src/data" . && gitrepro add >/dev/null && git add -A && git commit -qm data
  git init -q --bare "$d/origin.git" && git remote add origin "$d/origin.git"
}
# PREPARE of a push: an empty bucket and origin, no memory of either
reset='cd $D/src && s3empty $B && aside $D/origin.git && git init -q --bare $D/origin.git && { git update-ref -d refs/remotes/origin/main 2>/dev/null || true; } && for r in $(git for-each-ref --format="%(refname)" refs/notes/gitrepro-remotes refs/gitrepro-remotes); do git update-ref -d $r; done && rm -rf .git/gitrepro/remotes && warm .git/gitrepro/objects .git/gitrepro/packs && sync'
clone='aside $D/clone; sync'
clonecmd='git clone -q $D/origin.git $D/clone && cd $D/clone && gitrepro install >/dev/null'

for part in $PARTS; do
  case $part in
  w2 | one | w1)
    formats=$FORMATS
    case " ${BENCH_V1_PARTS-w2 one w1} " in *" $part "*) ;; *) formats=$(echo "$FORMATS" | tr ' ' '\n' | grep -vx 1 | tr '\n' ' ') ;; esac
    for f in $formats; do
      export D=$ROOT/$part-v$f B=grv2-$part-v$f
      case $part in w2) src=$ROOT/w2src check="python3 $W2_PY verify \$D/clone $ROOT/w2src/manifest.m0" ;;
        one) src=$ROOT/onesrc check='[ "$(sha256sum $D/clone/data/one.bin | cut -d" " -f1)" = "$ONESHA" ] && echo "verify ok: one.bin"' ;;
        w1) [ -f "$ROOT/w1src/manifest.c1" ] || python3 "$W1_PY" gen "$ROOT/w1src"
          src=$ROOT/w1src check="python3 $W1_PY verify \$D/clone $ROOT/w1src/manifest.c1" ;;
      esac
      setup "$D" "$B" "$f" "$src"
      runs=$RUNS && [ "$f" = 1 ] && runs=${BENCH_RUNS_V1:-$RUNS}
      measure "$part-push-v$f" "$reset" 'cd $D/src && git push -q origin main' "$S3B size \$B | awk '{ printf \"bucket: %d bytes in %d objects\\n\", \$1, \$2 }'" "$runs"
      measure "$part-clone-v$f" "$clone" "$clonecmd" "$check" "$runs"
      s3empty "$B"
      aside "$D"
    done
    ;;
  cp)
    export D=$ROOT/cp && aside "$D" && mkdir -p "$D"
    measure cp-r-w2 'aside $D/data; warm $ROOT/w2src/data; sync' "cp -r $ROOT/w2src/data \$D/data" "python3 $W2_PY verify \$D $ROOT/w2src/manifest.m0"
    aside "$D"
    ;;
  edit)
    # bytes the remote grows by for an edit of a 1 GiB file (v2; v1 stores a new 1 GiB object)
    export D=$ROOT/edit B=grv2-edit IN=$ROOT/edit-in
    aside "$IN" && mkdir -p "$IN/data"
    head -c $((${EDIT_MIB:-1024} << 20)) /dev/urandom > "$IN/data/model.bin"
    setup "$D" "$B" 2 "$IN"
    size() { $S3B size "$B" | cut -d' ' -f1; }
    t0=$(date +%s.%N); git push -q origin main; t1=$(date +%s.%N)
    s0=$(size)
    python3 - "$D/src/data/model.bin" <<'EOF'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(512 << 20); f.write(os.urandom(1 << 20))
EOF
    gitrepro add >/dev/null && git commit -qam edit && t2=$(date +%s.%N) && git push -q origin main && t3=$(date +%s.%N)
    s1=$(size)
    { head -c $((1 << 20)) /dev/urandom; cat "$IN/data/model.bin"; } > data/model.bin.new && mv data/model.bin.new data/model.bin
    gitrepro add >/dev/null && git commit -qam insert && t4=$(date +%s.%N) && git push -q origin main && t5=$(date +%s.%N)
    s2=$(size)
    git clone -q "$D/origin.git" "$D/clone" && (cd "$D/clone" && gitrepro install >/dev/null && cmp data/model.bin "$D/src/data/model.bin" && git checkout -q HEAD~1 && git checkout -q HEAD~1 && cmp data/model.bin "$IN/data/model.bin") && echo "edit: every version restores byte for byte"
    node -e '
      const [s0, s1, s2, t0, t1, t2, t3, t4, t5] = process.argv.slice(1).map(Number);
      const M = 2 ** 20;
      const out = { pushed1GiB: { bytes: s0, seconds: t1 - t0 }, editMiddle1MiB: { addedBytes: s1 - s0, addedMiB: (s1 - s0) / M, seconds: t3 - t2 }, insertStart1MiB: { addedBytes: s2 - s1, addedMiB: (s2 - s1) / M, seconds: t5 - t4 } };
      console.log(JSON.stringify(out, null, 1));
      require("fs").writeFileSync(process.env.RES + "/edit.out", JSON.stringify(out));' "$s0" "$s1" "$s2" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5"
    s3empty "$B"
    aside "$D" "$IN"
    ;;
  *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done

export RES
node "$here/lib/remote-v2-report.mjs" "$RES" | tee "$RES/summary.md"
mkdir -p "$here/results" && cp "$RES/summary.md" "$here/results/remote-v2-$stamp.md"
node -e '
const fs = require("fs"), path = require("path"); const dir = process.argv[1]; const out = {};
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) out[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).results[0];
if (fs.existsSync(path.join(dir, "edit.out"))) out.edit = JSON.parse(fs.readFileSync(path.join(dir, "edit.out"), "utf8"));
fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1));' "$RES" "$here/results/remote-v2-$stamp.json"
echo "== deleting finished trees"
rm -rf "$TRASH"
