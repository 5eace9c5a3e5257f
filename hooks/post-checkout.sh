# Fast path: a file checkout ($3=0) moves no HEAD; a branch checkout whose lock is the one the
# work tree's data already matches needs nothing.
[ "$3" = 1 ] || exit 0
{ read -r gr_gd; read -r gr_lock; } <<GR_EOF
$(git rev-parse --git-dir "$2:gitrepro.lock" 2>/dev/null)
GR_EOF
if [ -n "$gr_lock" ] && [ -f "$gr_gd/gitrepro/fast" ]; then
  GR_LOCK=
  . "$gr_gd/gitrepro/fast"
  [ "$gr_lock" = "$GR_LOCK" ] && exit 0
fi
