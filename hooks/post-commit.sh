# Fast path: pre-commit ran for this commit (its marker names HEAD's lock): journal the commit
# and write its record in a detached process (the environment snapshot costs more than a
# commit should wait; every reader of records completes the journal first).
{ read -r gr_gd; read -r gr_cd; read -r gr_head; read -r gr_lock; } <<GR_EOF
$(git rev-parse --git-dir --git-common-dir HEAD HEAD:gitrepro.lock 2>/dev/null)
GR_EOF
gr_mark=
[ -f "$gr_gd/gitrepro/precommit" ] && read -r gr_mark < "$gr_gd/gitrepro/precommit"
if [ -n "$gr_lock" ] && [ "$gr_mark" = "$gr_lock" ] && [ "${GITREPRO_SYNC_RECORDS:-}" != 1 ]; then
  # journal first, then drop the marker: killed in between, the marker still leads to the commit
  printf '%s\n' "$gr_head" >> "$gr_cd/gitrepro/pending"
  rm -f "$gr_gd/gitrepro/precommit"
  # the flusher inherits this commit's environment and journals what the record needs of it
  # first thing; until it has, the journal names it (pid) so no other writer records the commit
  # with its own environment, and readers wait for it (repo/record-journal.ts)
  (GITREPRO_DETACHED=1 nohup "$gr_bin" hook flush "$gr_head" </dev/null >/dev/null 2>&1 & gr_fp=$!
   printf '%s\t{"flusher":%s}\n' "$gr_head" "$gr_fp" >> "$gr_cd/gitrepro/pending"; echo "$gr_fp" > "$gr_cd/gitrepro/flusher.pid")
  exit 0
fi
