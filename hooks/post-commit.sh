# Fast path: pre-commit ran for this commit (its marker names HEAD's lock): journal the commit
# and write its record in a detached process (the environment snapshot costs more than a
# commit should wait; every reader of records completes the journal first).
{ read -r gr_gd; read -r gr_cd; read -r gr_head; read -r gr_lock; } <<GR_EOF
$(git rev-parse --git-dir --git-common-dir HEAD HEAD:gitrepro.lock 2>/dev/null)
GR_EOF
gr_mark=
[ -f "$gr_gd/gitrepro/precommit" ] && read -r gr_mark < "$gr_gd/gitrepro/precommit"
if [ -n "$gr_lock" ] && [ "$gr_mark" = "$gr_lock" ] && [ "${GITREPRO_SYNC_RECORDS:-}" != 1 ]; then
  # Journal first, then drop the marker: killed in between, the marker still leads to the commit.
  # The commit is journaled once, naming its flusher (a line without it, even for a moment, is
  # one a flusher writing now would record with its own environment).
  # The flusher inherits this commit's environment and journals what the record needs of it
  # first thing; until it has, the journal names it (pid), so no other writer records the commit
  # with its own environment, and readers wait for it (repo/record-journal.ts).
  # One flusher at a time (ops/flush-records.ts): when the one writing now (flusher.lock) was
  # started from this very environment (same checksum; git's GIT_* variables are not read), it
  # records this commit too and none is started; back-to-back commits of a script start one.
  gr_fd="$gr_cd/gitrepro"
  gr_sum=$(env | grep -v '^GIT_' | cksum)
  gr_lk= gr_ls=
  # (each file may go at any moment: a missing one reads as empty)
  { read -r gr_lk gr_lh; } 2>/dev/null < "$gr_fd/flusher.lock" || :
  [ -n "$gr_lk" ] && { { read -r gr_ls; } 2>/dev/null < "$gr_fd/flusher.$gr_lk.sum" || :; }
  if [ -n "$gr_lk" ] && [ "$gr_ls" = "$gr_sum" ] && kill -0 "$gr_lk" 2>/dev/null; then
    printf '%s\t{"flusher":%s}\n' "$gr_head" "$gr_lk" >> "$gr_fd/pending"
    # it looks at the journal after it lets go of the lock, we at the lock after journaling:
    # still held, it sees this line; let go meanwhile, a new flusher is started below
    gr_lk2=
    { read -r gr_lk2 gr_lh; } 2>/dev/null < "$gr_fd/flusher.lock" || :
    if [ "$gr_lk2" = "$gr_lk" ] && kill -0 "$gr_lk" 2>/dev/null; then
      rm -f "$gr_gd/gitrepro/precommit"
      exit 0
    fi
  fi
  (GITREPRO_DETACHED=1 nohup "$gr_bin" hook flush "$gr_head" </dev/null >/dev/null 2>&1 & gr_fp=$!
   echo "$gr_sum" > "$gr_fd/flusher.$gr_fp.sum"
   printf '%s\t{"flusher":%s}\n' "$gr_head" "$gr_fp" >> "$gr_fd/pending"
   echo "$gr_fp" > "$gr_fd/flusher.pid"
   # no flusher writing: this one holds the lock from its start, so the next commit finds it
   (set -C; echo "$gr_fp $(uname -n)" > "$gr_fd/flusher.lock") 2>/dev/null || :)
  rm -f "$gr_gd/gitrepro/precommit"
  exit 0
fi
