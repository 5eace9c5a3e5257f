# Fast path: a file checkout ($3=0) moves no HEAD; a branch checkout whose lock is the one the
# work tree's data already matches needs nothing.
[ "$3" = 1 ] || exit 0
{ read -r gr_top; read -r gr_gd; read -r gr_cd; read -r gr_hk; read -r gr_of; read -r gr_lock; } <<GR_EOF
$(git rev-parse --path-format=absolute --show-toplevel --git-dir --git-common-dir --git-path hooks --show-object-format "$2:gitrepro.lock" 2>/dev/null)
GR_EOF
if [ -n "$gr_lock" ] && [ -f "$gr_gd/gitrepro/fast" ]; then
  GR_LOCK=
  . "$gr_gd/gitrepro/fast"
  [ "$gr_lock" = "$GR_LOCK" ] && exit 0
fi
export GITREPRO_REPO_INFO="$gr_top
$gr_gd
$gr_cd
$gr_hk
$gr_of"
