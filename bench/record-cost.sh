#!/usr/bin/env bash
# What a record costs, with the probe cache cold and warm (docs/benchmarks.md, "Record cost").
#   bash bench/record-cost.sh [N]      (N rounds per figure, default 9; `npm run build` first)
# In a fresh small repo (one requirements.txt, one git-tracked file changed per commit), with
# this shell's PATH (its python3/python/nvcc/nvidia-smi are the ones probed), it times with
# /usr/bin/time: CPU = user + sys of the command and the children it waited for, wall.
#   version       `gitrepro --version`: node start + CLI load, the floor of any gitrepro process
#   record cold   `gitrepro record --force` with probe-cache.json removed before each round
#   record warm   `gitrepro record --force`, cache in place
#   commit skip   `GITREPRO_SKIP=1 git commit` (hooks start and exit: git's own cost)
#   commit        `git commit` (the record is written by a detached flusher, not counted here)
#   commit sync cold / warm   `GITREPRO_SYNC_RECORDS=1 git commit`, cache removed / in place
# Each commit round waits for the previous detached flusher outside the timing. The machine may
# be shared: the load average is printed before and after; compare CPU rather than wall.
set -euo pipefail
n=${1:-9}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/gr-record-cost-XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_GLOBAL="$work/home/.gitconfig" PATH="$here/bin:$PATH"
unset GITREPRO_SYNC_RECORDS GITREPRO_SKIP GIT_DIR GIT_WORK_TREE
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.com
git config --global init.defaultBranch main
repo="$work/repo" && git init -q "$repo" && cd "$repo"
gitrepro install >/dev/null
printf 'numpy==2.0.0\ntorch==2.5.0\n' > requirements.txt
git add -A && git commit -qm init && gitrepro log -n 1 >/dev/null
cache=$(git rev-parse --git-common-dir)/gitrepro/probe-cache.json
i=0
step() { i=$((i + 1)); echo "$i" > n.txt; git add n.txt; }
settle() { gitrepro log -n 1 >/dev/null; } # a reader: waits for the detached flusher

# measure LABEL PREP CMD...: N rounds; PREP runs before each, untimed
measure() {
  local label=$1 prep=$2; shift 2
  local out="$work/times.$label"
  : > "$out"
  for _ in $(seq 1 "$n"); do
    eval "$prep"
    /usr/bin/time -a -o "$out" -f '%U %S %e' "$@" >/dev/null 2>&1
  done
  node -e '
    const rows = require("fs").readFileSync(process.argv[1], "utf8").split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter((r) => r.length === 3 && r.every(Number.isFinite));
    const stat = (xs) => { xs.sort((a, b) => a - b); return `${xs[(xs.length - 1) >> 1].toFixed(3)} (${xs[0].toFixed(3)}-${xs[xs.length - 1].toFixed(3)})`; };
    console.log(`${process.argv[2].padEnd(18)} cpu ${stat(rows.map((r) => r[0] + r[1]))}  wall ${stat(rows.map((r) => r[2]))}  n=${rows.length}`);
  ' "$out" "$label"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) cores)"
measure version 'true' gitrepro --version
measure 'record cold' "rm -f '$cache'" gitrepro record --force
measure 'record warm' 'true' gitrepro record --force
measure 'commit skip' 'step' env GITREPRO_SKIP=1 git commit -qm skip
measure commit 'settle; step' git commit -qm async
measure 'commit sync cold' "settle; step; rm -f '$cache'" env GITREPRO_SYNC_RECORDS=1 git commit -qm sync
measure 'commit sync warm' 'settle; step' env GITREPRO_SYNC_RECORDS=1 git commit -qm sync
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "probe cache: $(wc -c < "$cache") bytes, entries: $(node -e 'console.log(Object.keys(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).entries).join(" "))' "$cache")"
