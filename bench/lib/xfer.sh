#!/usr/bin/env bash
# Untimed steps around the bulk transfers of the W2 benchmark (bench/w2.mjs), run by hyperfine
# --prepare between timed runs. Each first checks what the previous timed run produced (byte-exact,
# unless BENCH_VERIFY_EACH=0), then moves it into the trash (deleted only at the end of the run:
# on this ext4 without a journal, creating files for minutes after a mass delete is several times
# slower), then warms what the next run reads and flushes everything dirty to disk.
# Environment: BENCH_TRASH, BENCH_LIB, BENCH_GEN (generator with `verify DIR MANIFEST`),
# BENCH_MAN (manifest of the transferred commit), BENCH_VERIFY_EACH.
#   xfer.sh push-gitrepro REPO STORE          store remote STORE emptied; REPO forgets what any
#                                             remote holds; REPO's store warmed
#   xfer.sh push-gitrepro-shm REPO STORE      the same, STORE on another filesystem (tmpfs): rm
#   xfer.sh push-lfs REPO ORIGIN              ORIGIN (bare, file:// remote of REPO) re-created
#                                             empty; REPO's lfs objects warmed
#   xfer.sh copy SRC DEST                     DEST (DEST/data: a cp -r of SRC/data) checked and
#                                             put aside (tmpfs: removed), made again empty;
#                                             SRC/data warmed
#   xfer.sh clone DEST WARM...                DEST (a clone) checked and put aside; WARM warmed
#   xfer.sh aside PATH...                     move into the trash
set -euo pipefail

aside() { for p in "$@"; do if [ -e "$p" ]; then mv "$p" "$BENCH_TRASH/$(date +%s%N)-$(basename "$p")"; fi; done; }
warm() { for d in "$@"; do if [ -e "$d" ]; then find "$d" -type f -exec cat {} + > /dev/null; fi; done; }
checking() { [ "${BENCH_VERIFY_EACH:-1}" != 0 ]; }
check_store() { # OBJECTS (format v1 or lfs), or a v2 store's OBJECTS path beside its index/
  if checking && { [ -d "$1" ] || [ -d "$(dirname "$1")/index" ]; }; then python3 "$BENCH_LIB/check-store.py" "$1" "$BENCH_MAN" > /dev/null || { python3 "$BENCH_LIB/check-store.py" "$1" "$BENCH_MAN" >&2; exit 1; }; fi
}
check_tree() { # DIR (holds data/)
  if checking && [ -d "$1" ]; then python3 "$BENCH_GEN" verify "$1" "$BENCH_MAN" > /dev/null || { python3 "$BENCH_GEN" verify "$1" "$BENCH_MAN" >&2; exit 1; }; fi
}
forget_remotes() { # REPO: gitrepro's per-clone cache of what remotes hold, and remote-tracking refs
  (cd "$1"
    rm -rf .git/gitrepro/remotes
    git for-each-ref --format='%(refname)' refs/notes/gitrepro-remotes refs/gitrepro-remotes refs/remotes | while read -r r; do git update-ref -d "$r"; done)
}

case "$1" in
  push-gitrepro)
    repo=$2 store=$3
    check_store "$store/objects"
    aside "$store"
    forget_remotes "$repo"
    warm "$repo/.git/gitrepro/objects" "$repo/.git/gitrepro/packs"
    sync
    ;;
  push-gitrepro-shm)
    repo=$2 store=$3
    check_store "$store/objects"
    rm -rf "$store"
    forget_remotes "$repo"
    warm "$repo/.git/gitrepro/objects" "$repo/.git/gitrepro/packs"
    sync
    ;;
  push-lfs)
    repo=$2 origin=$3
    check_store "$origin/lfs/objects"
    aside "$origin"
    git init -q --bare "$origin"
    forget_remotes "$repo"
    warm "$repo/.git/lfs/objects"
    sync
    ;;
  copy)
    src=$2 dest=$3
    check_tree "$dest"
    case "$dest" in /dev/shm/*) rm -rf "$dest" ;; *) aside "$dest" ;; esac
    mkdir -p "$dest"
    warm "$src/data"
    sync
    ;;
  clone)
    dest=$2
    shift 2
    check_tree "$dest"
    aside "$dest"
    warm "$@"
    sync
    ;;
  aside) shift; aside "$@" ;;
  *) echo "xfer.sh: unknown step $1" >&2; exit 2 ;;
esac
