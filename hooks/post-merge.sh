# Fast path: HEAD's lock is the one the work tree's data already matches (not for --squash,
# which leaves the merged lock in the index only).
{ read -r gr_top; read -r gr_gd; read -r gr_cd; read -r gr_hk; read -r gr_of; read -r gr_lock; } <<GR_EOF
$(git rev-parse --path-format=absolute --show-toplevel --git-dir --git-common-dir --git-path hooks --show-object-format HEAD:gitrepro.lock 2>/dev/null)
GR_EOF
if [ "$1" != 1 ]; then
  if [ -n "$gr_lock" ] && [ -f "$gr_gd/gitrepro/fast" ]; then
    GR_LOCK=
    . "$gr_gd/gitrepro/fast"
    [ "$gr_lock" = "$GR_LOCK" ] && exit 0
  fi
fi
export GITREPRO_REPO_INFO="$gr_top
$gr_gd
$gr_cd
$gr_hk
$gr_of"
