#!/bin/sh
# gitrepro hook shim v1: written by `gitrepro install`, removed by `gitrepro uninstall`.
# It runs a hook that was here before (kept as @HOOK@.gitrepro-chained), then gitrepro.
# GITREPRO_SKIP=1 skips gitrepro (not the chained hook).
gr_hook=@HOOK@
gr_bin=@BIN@
gr_chained="$0.gitrepro-chained"
gr_in=
if [ -f "$gr_chained" ]; then
  if [ "@STDIN@" = 1 ]; then gr_in=$(mktemp "${TMPDIR:-/tmp}/gitrepro-stdin.XXXXXX") && cat > "$gr_in"; fi
  # sh scripts are sourced in a subshell so they see their usual $0 (husky derives paths from it)
  case "$(head -n 1 "$gr_chained" 2>/dev/null)" in
    '#!/bin/sh'*|'#!/usr/bin/env sh'*|'#!/bin/dash'*) gr_run() { ( . "$gr_chained" ) ; } ;;
    *) gr_run() { "$gr_chained" "$@" ; } ;;
  esac
  if [ -n "$gr_in" ]; then gr_run "$@" < "$gr_in"; else gr_run "$@"; fi
  gr_rc=$?
  if [ "@PRE@" = 1 ] && [ $gr_rc -ne 0 ]; then [ -n "$gr_in" ] && rm -f "$gr_in"; exit $gr_rc; fi
fi
if [ "${GITREPRO_SKIP:-}" = 1 ]; then [ -n "$gr_in" ] && rm -f "$gr_in"; exit 0; fi
if [ ! -x "$gr_bin" ]; then
  gr_bin=$(command -v gitrepro 2>/dev/null) || {
    [ -n "$gr_in" ] && rm -f "$gr_in"
    echo "gitrepro: the $gr_hook hook cannot find gitrepro (was @BIN@); reinstall it (npm install -g gitrepro) and run \`gitrepro install\`, or set GITREPRO_SKIP=1" >&2
    exit @MISSING_EXIT@
  }
fi
@BODY@
# node reads the saved stdin on fd 0; the file goes now (the open descriptor keeps it readable)
if [ -n "$gr_in" ]; then exec < "$gr_in"; rm -f "$gr_in"; fi
exec "$gr_bin" hook "$gr_hook" "$@"
