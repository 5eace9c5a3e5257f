# A merge commit (two parents) needs its record: journal it and start the detached flusher, as
# post-commit does (git merge fires post-merge, not post-commit). A fast-forward's commits have
# their own records. Fast path: HEAD's lock is the one the work tree's data already matches (not
# for --squash, which leaves the merged lock in the index only).
{ read -r gr_top; read -r gr_gd; read -r gr_cd; read -r gr_hk; read -r gr_of; read -r gr_head; read -r gr_lock; read -r gr_p1; read -r gr_p2; } <<GR_EOF
$(git rev-parse --path-format=absolute --show-toplevel --git-dir --git-common-dir --git-path hooks --show-object-format HEAD HEAD:gitrepro.lock HEAD^@ 2>/dev/null)
GR_EOF
if [ "$1" != 1 ] && [ -n "$gr_p2" ]; then
  if [ "${GITREPRO_SYNC_RECORDS:-}" != 1 ]; then
    # journaled once, naming its flusher (which journals this environment's variables itself):
    # a line without it would be recorded by a flusher writing now with that one's variables
    (GITREPRO_DETACHED=1 nohup "$gr_bin" hook flush "$gr_head" </dev/null >/dev/null 2>&1 & gr_fp=$!
     printf '%s\t{"flusher":%s}\n' "$gr_head" "$gr_fp" >> "$gr_cd/gitrepro/pending"; echo "$gr_fp" > "$gr_cd/gitrepro/flusher.pid")
  else
    printf '%s\n' "$gr_head" >> "$gr_cd/gitrepro/pending"
  fi
fi
if [ "$1" != 1 ] && [ -n "$gr_lock" ] && [ -f "$gr_gd/gitrepro/fast" ] && { [ -z "$gr_p2" ] || [ "${GITREPRO_SYNC_RECORDS:-}" != 1 ]; }; then
  GR_LOCK=
  . "$gr_gd/gitrepro/fast"
  [ "$gr_lock" = "$GR_LOCK" ] && exit 0
fi
export GITREPRO_REPO_INFO="$gr_top
$gr_gd
$gr_cd
$gr_hk
$gr_of"
