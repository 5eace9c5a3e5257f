# Fast path: HEAD's lock is the one the work tree's data already matches (not for --squash,
# which leaves the merged lock in the index only).
if [ "$1" != 1 ]; then
  { read -r gr_gd; read -r gr_lock; } <<GR_EOF
$(git rev-parse --git-dir HEAD:gitrepro.lock 2>/dev/null)
GR_EOF
  if [ -n "$gr_lock" ] && [ -f "$gr_gd/gitrepro/fast" ]; then
    GR_LOCK=
    . "$gr_gd/gitrepro/fast"
    [ "$gr_lock" = "$GR_LOCK" ] && exit 0
  fi
fi
