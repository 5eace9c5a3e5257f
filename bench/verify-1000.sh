#!/usr/bin/env bash
# verify over 1,000 commits with a directory remote (issue 4): builds a repo of 100 data files
# and 1,000 recorded commits (each changes one file, through the real hooks), pushes them, then
# times `gitrepro verify` over the whole range: plain, --local and --deep. Prints JSON.
#   bash bench/verify-1000.sh [work dir]   (N_COMMITS=1000 N_FILES=100 to scale)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$here/bin:$PATH"
work=${1:-/work/bench-tmp/verify}
N=${N_COMMITS:-1000}
F=${N_FILES:-100}
rm -rf "$work" && mkdir -p "$work" && cd "$work"
export GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --global user.name bench && git config --global user.email bench@example.com
git config --global init.defaultBranch main && git config --global gc.auto 0
git init -q repo && cd repo
gitrepro install >/dev/null && gitrepro track data/ >/dev/null
gitrepro remote add store "$work/store" --default >/dev/null
mkdir -p data
for i in $(seq 1 "$F"); do head -c 4096 /dev/urandom > "data/f$i.bin"; done
gitrepro add >/dev/null && git add -A && git commit -q -m base
root=$(git rev-parse HEAD)
t0=$(date +%s.%N)
for i in $(seq 1 "$N"); do
  head -c 4096 /dev/urandom > "data/f$(( (i % F) + 1 )).bin"
  gitrepro add >/dev/null && git commit -q -m "c$i"
done
t1=$(date +%s.%N)
gitrepro log -n 1 >/dev/null   # completes the records the detached flushers are still writing
gitrepro push >/dev/null
time_it() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk "BEGIN{printf \"%.3f\", $e - $s}"; }
plain=$(time_it gitrepro verify "$root..HEAD")
again=$(time_it gitrepro verify "$root..HEAD")
local_=$(time_it gitrepro verify "$root..HEAD" --local)
deep=$(time_it gitrepro verify "$root..HEAD" --deep)
objs=$(find "$work/store/objects" -type f | wc -l)
printf '{"commits":%s,"files":%s,"objects_on_remote":%s,"build_s":%s,"verify_s":%s,"verify_again_s":%s,"verify_local_s":%s,"verify_deep_s":%s}\n' \
  "$N" "$F" "$objs" "$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")" "$plain" "$again" "$local_" "$deep"
