/**
 * State the sh hook shims read to answer "is there anything to do?" without starting node
 * (DESIGN §3). Per worktree, in `<git-dir>/gitrepro/`:
 *   fast      sh-sourceable: GR_LOCK (blob id of the gitrepro.lock the work tree's data matches),
 *             GR_MAX (policy.maxGitFileSize) and gr_changed(), a find over the walk roots, or
 *             Watchman's answer since the clock saved with the stamp (fsmonitor.ts)
 *   patterns  the track patterns, for `git ls-files -i --exclude-from`
 *   stamp     worktree-state.ts: mtime = start of the last scan minus a margin
 * Measured here: `find <roots> -cnewer stamp -print -quit` answers in ~10 ms on 10,000 files, and
 * catches edits, adds, deletes, renames and chmods (file and directory ctimes move).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { probePlan } from './changes.js';
import { WATCHMAN_TIMEOUT_MS } from './fsmonitor.js';

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface FastState {
  lockBlob: string;
  maxGitFileSize: number;
  roots: string[];
  patterns: string[];
  /** the clone's `gitrepro.fsmonitor` is `watchman`: the shims ask Watchman first */
  fsmonitor: boolean;
}

/**
 * Writes the fast-path state the sh shims read (the stamp is worktree-state.ts's: a missing
 * stamp keeps hooks on the full path).
 */
export async function writeFastState(root: string, stateDir: string, s: FastState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  // the probe of changes.ts, split the same way: the root directories themselves, then their
  // children in parallel finds (each stops at its first hit)
  const plan = probePlan(root, s.roots);
  const q = (xs: string[]): string => xs.map(shQuote).join(' ');
  const finds = plan.groups.map((g) => `find -P ${q(g)} -name .git -prune -o -cnewer "$1" -print -quit &`);
  const body = [
    '# written by gitrepro: fast-path state for the hook shims (disposable)',
    `GR_LOCK=${shQuote(s.lockBlob)}`,
    `GR_MAX=${Math.floor(s.maxGitFileSize)}`,
    // prints the first path changed since the stamp ($1); an error (a root vanished) prints too.
    // With Watchman's clock beside the stamp (fsmonitor.ts): Watchman answers "nothing changed",
    // or something did; when it cannot answer, find decides
    s.fsmonitor
      ? `gr_watchman() { [ -f "$1.clock" ] || return 1; [ -e .watchmanconfig ] || [ -e .hg ] || [ -e .svn ] && return 1; { read -r gr_wc; read -r gr_ww; read -r gr_wh; read -r gr_wt; } < "$1.clock" || return 1; case $gr_wc in c:*) ;; *) return 1;; esac; command -v timeout >/dev/null 2>&1 || return 1; gr_wo=$(printf '%s%s%s' "$gr_wh" "$gr_wc" "$gr_wt" | timeout ${Math.ceil(WATCHMAN_TIMEOUT_MS / 1000)} watchman -j --no-pretty --no-spawn --no-local 2>/dev/null) || return 1; case $gr_wo in *'"error"'*) return 1;; esac; case $gr_wo in *'"is_fresh_instance":false'*) ;; *) return 1;; esac; case $gr_wo in *'"files":[]'*) ;; *) echo 'changed (watchman)';; esac; }`
      : 'gr_watchman() { return 1; }',
    `gr_changed() { gr_watchman "$1" && return 0; { find -P gitrepro.yaml ${q([...plan.dirs, ...plan.missingRoots])} -maxdepth 0 -cnewer "$1" -print; ${finds.join(' ')} wait; } 2>&1; }`,
    '',
  ].join('\n');
  await writeFileAtomic(path.join(stateDir, 'patterns'), s.patterns.join('\n') + '\n', { durable: false });
  await writeFileAtomic(path.join(stateDir, 'fast'), body, { durable: false });
}

/** Sends the next hook the full (node) way: the work tree no longer matches GR_LOCK as of the stamp. */
export async function clearFastState(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, 'fast'), { force: true });
}
