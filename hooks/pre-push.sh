# Our own nested push of the record refs must not recurse (src/ops/records-sync.ts sets this).
if [ "${GITREPRO_RECORDS_PUSH:-}" = 1 ]; then [ -n "$gr_in" ] && rm -f "$gr_in"; exit 0; fi
# Fast path: a push that sends no new commit (deletions, refs already up to date, commits the
# remote's tracking branches already hold) has no data and no gate: answer it without node.
# stdin lines: <local ref> <local sha> <remote ref> <remote sha>; it is kept in a file for node.
if [ -z "$gr_in" ]; then gr_in=$(mktemp "${TMPDIR:-/tmp}/gitrepro-stdin.XXXXXX") && cat > "$gr_in"; fi
gr_new=
while read -r gr_lref gr_lsha gr_rref gr_rsha; do
  case "$gr_lsha" in *[!0]*) ;; *) continue ;; esac
  [ "$gr_lsha" = "$gr_rsha" ] && continue
  gr_not=
  case "$gr_rsha" in *[!0]*) git cat-file -e "$gr_rsha^{commit}" 2>/dev/null && gr_not=$gr_rsha ;; esac
  if [ -n "$(git rev-list -n 1 "$gr_lsha" --not $gr_not --remotes="$1" 2>/dev/null || echo new)" ]; then gr_new=1; break; fi
done < "$gr_in"
if [ -z "$gr_new" ]; then rm -f "$gr_in"; exit 0; fi
# node reads the saved lines on fd 0; the file goes now (the open descriptor keeps it readable)
exec < "$gr_in"
rm -f "$gr_in"
gr_in=
