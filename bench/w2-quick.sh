#!/usr/bin/env bash
# One quick W2 run of the transfer-heavy steps, (a) add + commit, (e) push to an empty directory
# remote, (f) clone + install, with `cp -r` before and after in the same script; every result
# checked. Paths: W (work dir, moved aside first by the caller), S (a `w2.py gen` tree).
# Used for the after-the-run figures of docs/benchmarks.md, W2 2026-12-07.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
export PATH="$HERE/../bin:$PATH"
W=${W:-/work/bench-tmp/w2-quick}; mkdir -p $W; cd $W
S=${S:?set S to a w2.py gen tree}
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1; local e=$(date +%s.%N); echo "$(echo "$e - $s" | bc)"; }
find $S/data -type f -print0 | xargs -0 cat > /dev/null
echo "cp -r A: $(t cp -r $S/data $W/cpA)"
mkdir r && cd r && git init -q && git config user.email a@b && git config user.name a
gitrepro install >/dev/null && gitrepro track 'data/' >/dev/null 2>&1 && gitrepro remote add store $W/store --default >/dev/null
git add -A && git commit -qm init
cp -r $S/data data; sync; sleep 2
echo "(a) add: $(t gitrepro add)"
echo "(a) commit: $(t git commit -qm c1)"
sync; sleep 2
echo "(e) push: $(t gitrepro push store HEAD)"
git init -q --bare ../origin.git && git remote add origin ../origin.git && git push -q origin HEAD:refs/heads/main 2>/dev/null
git -C ../origin.git symbolic-ref HEAD refs/heads/main
cd $W; sync; sleep 2
echo "(f) clone+install: $(t bash -c "git clone -q origin.git c && cd c && gitrepro install")"
echo "(f2) first status in the clone: $(t bash -c "cd c && gitrepro status")"
echo "cp -r B: $(t cp -r $S/data $W/cpB)"
python3 "${W2_PY:-$HERE/../../shared/bench/w2.py}" verify c $S/manifest.m0
python3 "$HERE/lib/check-store.py" store/objects $S/manifest.m0 2>&1 | tail -1
echo "local packs in r: $(ls r/.git/gitrepro/packs | wc -l) files; loose: $(find r/.git/gitrepro/objects -type f 2>/dev/null | wc -l)"
