#!/usr/bin/env bash
# Remote benchmark (issue 3) on workload W1 (../shared/bench/w1.py: 10,000 x 16 KiB + 2 x 256 MiB):
#   push          the data of one commit to an empty store remote on the same filesystem
#                 gitrepro: `git push` (pre-push uploads, then the records) to a directory remote
#                 git-lfs:  `git push` to a file:// remote (its standalone transfer links objects)
#                 git-annex: `git annex copy --to` a directory special remote, then `git push`
#                 cp -r:    the data directory
#   clone+restore `git clone` + what makes the work tree's data complete
#                 gitrepro: `gitrepro install`; git-lfs: the clone's smudge; git-annex:
#                 `git annex init` + `enableremote` + `get .`; cp -r: the data directory
# plus gitrepro with the remote on another filesystem (/dev/shm: copies, not links) and against
# Ceph radosgw on loopback (test/s3/rgw.sh), whose throughput is reported.
#
# Usage: bash bench/remote.sh            (full W1, about 25 minutes, ~20 GiB in BENCH_ROOT)
# Knobs: BENCH_ROOT (/work/bench-tmp/remote), BENCH_RUNS (3), BENCH_TOOLS ("cp gitrepro lfs annex
# shm s3 s3nodelay"), W1_SMALL_N / W1_SMALL_KIB / W1_BIG_MIB (smoke scale), W1_PY.
# Finished trees are moved to $BENCH_ROOT/trash and deleted at the end: on this ext4 (no journal),
# creating many files right after deleting a big tree is 4-15x slower for minutes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MAIN=$(dirname "$here")
ROOT=${BENCH_ROOT:-/work/bench-tmp/remote}
RUNS=${BENCH_RUNS:-3}
TOOLS=${BENCH_TOOLS:-"cp gitrepro lfs annex shm s3 s3nodelay"}
W1_PY=${W1_PY:-$(cd "$MAIN/.." && pwd)/shared/bench/w1.py}
for t in git git-lfs git-annex hyperfine python3 node; do
  command -v "$t" >/dev/null || { echo "bench: $t is required" >&2; exit 2; }
done
stamp=$(date -u +%Y%m%dT%H%M%S)
RES=$ROOT/results-$stamp
TRASH=$ROOT/trash
mkdir -p "$ROOT" "$RES" "$TRASH"
exec > >(tee "$RES/log.txt") 2>&1

# an isolated git identity; the gitrepro under test is a private copy of the build (the shims
# record its absolute path; a rebuild in the checkout during the run must not change it)
export HOME=$ROOT/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GITREPRO_SYNC_RECORDS=1 NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@localhost
git config --global init.defaultBranch main && git config --global gc.auto 0 && git config --global advice.detachedHead false
git lfs install >/dev/null
BIN=$ROOT/gitrepro-build
rm -rf "$BIN" && mkdir -p "$BIN"
(cd "$MAIN" && node scripts/build.mjs && cp -r bin dist hooks package.json "$BIN/")
ln -sfn "$MAIN/node_modules" "$BIN/node_modules"
export PATH=$BIN/bin:$PATH

aside() { for p in "$@"; do [ -e "$p" ] && mv "$p" "$TRASH/$(date +%s%N)-$(basename "$p")"; done; return 0; }
warm() { for d in "$@"; do [ -e "$d" ] && find "$d" -type f -exec cat {} + > /dev/null; done; return 0; }
export -f aside warm
export TRASH

echo "== W1 at $ROOT (runs: $RUNS, tools: $TOOLS)"
if [ ! -f "$ROOT/src/manifest.c1" ]; then python3 "$W1_PY" gen "$ROOT/src"; sync; fi
export SRC=$ROOT/src MAN=$ROOT/src/manifest.c1 W1_PY

# Waits (up to BENCH_QUIET_WAIT seconds, default 600) until the CPUs were at least 85% idle over
# 3 seconds: another benchmark on this 2-core machine would distort both. (The load average is no
# guide here: writeback after a big copy keeps it above 1 with idle CPUs.) Logs how busy it was.
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
}

# hyperfine NAME PREPARE COMMAND [CHECK]: median wall seconds in $RES/NAME.json; CHECK runs after.
# A failure is logged and the run goes on with the next measurement.
measure() {
  local name=$1 prep=$2 cmd=$3 check=${4:-}
  echo "-- $name: $cmd"
  quiet
  if ! hyperfine --shell=bash --style basic --runs "$RUNS" --prepare "$prep" --export-json "$RES/$name.json" "$cmd"; then
    echo "!! $name FAILED (see above)"
    rm -f "$RES/$name.json"
    return 0
  fi
  if [ -n "$check" ]; then bash -c "$check" || echo "!! $name: check failed"; fi
}

setup_gitrepro() { # DIR URL [remote add options]
  local d=$1 url=$2
  shift 2
  aside "$d" && mkdir -p "$d"
  git init -q "$d/src" && cd "$d/src"
  gitrepro install >/dev/null && gitrepro track data/ >/dev/null
  gitrepro remote add store "$url" --default "$@" >/dev/null
  cp -r "$SRC/data" . && gitrepro add >/dev/null && git add -A && git commit -qm w1
  git init -q --bare "$d/origin.git" && git remote add origin "$d/origin.git"
}
# PREPARE of a gitrepro push: an empty store and origin, no memory of either
gr_reset='cd $D/src && aside $D/origin.git && git init -q --bare $D/origin.git && { git update-ref -d refs/remotes/origin/main 2>/dev/null || true; } && for r in $(git for-each-ref --format="%(refname)" refs/notes/gitrepro-remotes refs/gitrepro-remotes); do git update-ref -d $r; done && rm -rf .git/gitrepro/remotes && warm .git/gitrepro/objects .git/gitrepro/packs && sync'

for tool in $TOOLS; do
  case $tool in
  cp)
    export D=$ROOT/cp && aside "$D" && mkdir -p "$D"
    measure cp-r 'aside $D/data; warm $SRC/data; sync' 'cp -r $SRC/data $D/data' "python3 $W1_PY verify $D $MAN"
    # until the bytes are on disk: without it, cp -r may finish in the page cache (measured 0.6 s
    # against 3.4 s in another run of the same machine, depending on writeback pressure)
    measure cp-r+sync 'aside $D/data; warm $SRC/data; sync' 'cp -r $SRC/data $D/data && sync -f $D'
    ;;
  gitrepro)
    export D=$ROOT/gr && setup_gitrepro "$D" "$D/store"
    measure gitrepro-push "aside \$D/store; $gr_reset" 'cd $D/src && git push -q origin main' \
      'n=$(find $D/store/objects -type f | wc -l); echo "store objects: $n"; l=$(find $D/store/objects -type f -links +1 | wc -l); echo "hard-linked: $l"'
    measure gitrepro-clone 'aside $D/clone; warm $D/store/objects; sync' 'git clone -q $D/origin.git $D/clone && cd $D/clone && gitrepro install >/dev/null' \
      "python3 $W1_PY verify $D/clone $MAN"
    measure gitrepro-clone+sync 'aside $D/clone; warm $D/store/objects; sync' 'git clone -q $D/origin.git $D/clone && cd $D/clone && gitrepro install >/dev/null && sync -f .'
    ;;
  shm)
    # the same, with the remote on another filesystem (tmpfs): copied and fsynced, not linked
    export D=$ROOT/grshm S=/dev/shm/gitrepro-bench-store && setup_gitrepro "$D" "$S"
    measure gitrepro-push-copy "rm -rf $S; $gr_reset" 'cd $D/src && git push -q origin main' \
      "echo \"store objects: \$(find $S/objects -type f | wc -l)\""
    measure gitrepro-clone-copy 'aside $D/clone; sync' 'git clone -q $D/origin.git $D/clone && cd $D/clone && gitrepro install >/dev/null' \
      "python3 $W1_PY verify $D/clone $MAN; rm -rf $S"
    ;;
  s3 | s3nodelay)
    # s3: the test gateway as test/s3/rgw.sh configures it. s3nodelay: a second gateway on the
    # same cluster with beast's tcp_nodelay=1 (without it, every GET on a kept-alive connection
    # waits ~40 ms for a delayed ACK: measured 46 ms against 3 ms per 16 KiB GET)
    eval "$(bash "$MAIN/test/s3/rgw.sh" env)"
    export AWS_ACCESS_KEY_ID=$GITREPRO_S3_KEY AWS_SECRET_ACCESS_KEY=$GITREPRO_S3_SECRET AWS_REGION=${GITREPRO_S3_REGION:-us-east-1}
    endpoint=$GITREPRO_S3_ENDPOINT suffix=s3 pidf=
    if [ "$tool" = s3nodelay ]; then
      base=${RGW_BASE:-/tmp/gitrepro-rgw-7480} pidf=$ROOT/rgw-nodelay.pid endpoint=http://127.0.0.1:7490 suffix=s3-nodelay
      radosgw -c "$base/ceph.conf" -n client.rgw.gw --rgw-frontends "beast endpoint=127.0.0.1:7490 tcp_nodelay=1" --pid-file "$pidf" --log-file "$ROOT/rgw-nodelay.log"
      for _ in $(seq 60); do curl -s -o /dev/null --max-time 1 "$endpoint/" && break; sleep 1; done
    fi
    # deleted RGW objects are freed by its garbage collector (default: hours later); the test
    # server keeps objects in 4 GiB of memory, so each emptying is followed by a forced GC
    export GITREPRO_S3_ENDPOINT=$endpoint S3B="node $here/lib/s3-bucket.mjs" RGW_CONF=${RGW_BASE:-/tmp/gitrepro-rgw-7480}/ceph.conf
    export S3_EMPTY='$S3B empty grbench && radosgw-admin -c $RGW_CONF gc process --include-all 2>/dev/null'
    $S3B create grbench
    export D=$ROOT/gr$suffix && setup_gitrepro "$D" "s3://grbench/w1" --endpoint "$endpoint"
    measure gitrepro-push-$suffix "eval \$S3_EMPTY; $gr_reset" 'cd $D/src && git push -q origin main'
    measure gitrepro-clone-$suffix 'aside $D/clone; sync' 'git clone -q $D/origin.git $D/clone && cd $D/clone && gitrepro install >/dev/null' \
      "python3 $W1_PY verify $D/clone $MAN"
    eval "$S3_EMPTY"
    if [ -n "$pidf" ]; then kill "$(cat "$pidf")"; fi
    ;;
  lfs)
    export D=$ROOT/lfs && aside "$D" && mkdir -p "$D"
    git init -q "$D/src" && cd "$D/src" && git lfs track 'data/**' >/dev/null
    cp -r "$SRC/data" . && git add -A && git commit -qm w1
    git init -q --bare "$D/origin.git" && git remote add origin "file://$D/origin.git"
    measure lfs-push 'cd $D/src && aside $D/origin.git && git init -q --bare $D/origin.git && { git update-ref -d refs/remotes/origin/main 2>/dev/null || true; } && warm .git/lfs/objects && sync' \
      'cd $D/src && git push -q origin main 2>/dev/null'
    measure lfs-clone 'aside $D/clone; warm $D/origin.git/lfs/objects; sync' 'git clone -q file://$D/origin.git $D/clone 2>/dev/null' \
      "python3 $W1_PY verify $D/clone $MAN"
    measure lfs-clone+sync 'aside $D/clone; warm $D/origin.git/lfs/objects; sync' 'git clone -q file://$D/origin.git $D/clone 2>/dev/null && sync -f $D/clone'
    ;;
  annex)
    export D=$ROOT/annex && aside "$D" && mkdir -p "$D/store"
    git init -q "$D/src" && cd "$D/src" && git annex init -q src
    cp -r "$SRC/data" . && git annex add --quiet data && git commit -qm w1
    git annex initremote store type=directory "directory=$D/store" encryption=none >/dev/null
    git init -q --bare "$D/origin.git" && git remote add origin "$D/origin.git"
    measure annex-push 'cd $D/src && aside $D/store $D/origin.git && mkdir $D/store && git init -q --bare $D/origin.git && warm .git/annex/objects && sync' \
      'cd $D/src && git annex copy --quiet --to store . && git push -q origin main git-annex'
    measure annex-clone 'aside $D/clone; warm $D/store; sync' \
      'git clone -q $D/origin.git $D/clone && cd $D/clone && git annex init -q clone && git annex enableremote store "directory=$D/store" >/dev/null && git annex get --quiet .' \
      "python3 $W1_PY verify $D/clone $MAN"
    ;;
  *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
done

node "$here/lib/remote-report.mjs" "$RES" | tee "$RES/summary.md"
mkdir -p "$here/results" && node -e '
const fs = require("fs"), path = require("path"); const dir = process.argv[1]; const out = {};
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) out[f.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")).results[0];
fs.writeFileSync(process.argv[2], JSON.stringify(out, null, 1));' "$RES" "$here/results/remote-$stamp.json"
echo "== deleting finished trees"
rm -rf "$TRASH"
