# Fast path: nothing changed since the last scan (stamp), the staged lock is the one the work
# tree matches, no tracked path and no file over policy.maxGitFileSize is staged. Else: node.
{ read -r gr_top; read -r gr_gd; read -r gr_cd; read -r gr_hk; read -r gr_of; read -r gr_lock; read -r gr_head; read -r gr_hlock; } <<GR_EOF
$(git rev-parse --path-format=absolute --show-toplevel --git-dir --git-common-dir --git-path hooks --show-object-format :gitrepro.lock HEAD HEAD:gitrepro.lock 2>/dev/null)
GR_EOF
gr_st="$gr_gd/gitrepro"
# A commit whose post-commit never ran (git was killed after the commit landed) left the marker
# of its pre-commit, naming its lock: journal it before the marker is overwritten, so that its
# record is written (journaling a recorded commit again is harmless: it is skipped).
if [ -n "$gr_hlock" ] && [ -f "$gr_st/precommit" ]; then
  read -r gr_mark < "$gr_st/precommit"
  [ "$gr_mark" = "$gr_hlock" ] && printf '%s\n' "$gr_head" >> "$gr_cd/gitrepro/pending"
fi
if [ -n "$gr_lock" ] && [ -f "$gr_st/fast" ] && [ -f "$gr_st/stamp" ]; then
  . "$gr_st/fast"
  if [ "$gr_lock" = "$GR_LOCK" ] &&
     [ -z "$(gr_changed "$gr_st/stamp")" ] &&
     [ -z "$(git ls-files -c -i --exclude-from="$gr_st/patterns" 2>&1 | head -n 1)" ] &&
     git diff --cached --raw --no-abbrev --no-renames --diff-filter=AMT 2>/dev/null | awk '{print $4}' |
       git cat-file --batch-check='%(objectsize)' 2>/dev/null | awk -v m="$GR_MAX" '$1 > m { exit 1 }'; then
    printf '%s\n' "$GR_LOCK" > "$gr_st/precommit"
    exit 0
  fi
fi
export GITREPRO_REPO_INFO="$gr_top
$gr_gd
$gr_cd
$gr_hk
$gr_of"
