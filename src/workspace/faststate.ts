/**
 * State the sh hook shims read to answer "is there anything to do?" without starting node
 * (DESIGN §3). Per worktree, in `<git-dir>/gitrepro/`:
 *   fast      sh-sourceable: GR_LOCK (blob id of the gitrepro.lock the work tree's data matches),
 *             GR_MAX (policy.maxGitFileSize) and gr_changed(), a find over the walk roots
 *   patterns  the track patterns, for `git ls-files -i --exclude-from`
 *   stamp     worktree-state.ts: mtime = start of the last scan minus a margin
 * Measured here: `find <roots> -cnewer stamp -print -quit` answers in ~10 ms on 10,000 files, and
 * catches edits, adds, deletes, renames and chmods (file and directory ctimes move).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { probePlan } from './changes.js';

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface FastState {
  lockBlob: string;
  maxGitFileSize: number;
  roots: string[];
  patterns: string[];
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
    // prints the first path changed since the stamp ($1); an error (a root vanished) prints too
    `gr_changed() { { find -P gitrepro.yaml ${q([...plan.dirs, ...plan.missingRoots])} -maxdepth 0 -cnewer "$1" -print; ${finds.join(' ')} wait; } 2>&1; }`,
    '',
  ].join('\n');
  await writeFileAtomic(path.join(stateDir, 'patterns'), s.patterns.join('\n') + '\n', { durable: false });
  await writeFileAtomic(path.join(stateDir, 'fast'), body, { durable: false });
}

/** Sends the next hook the full (node) way: the work tree no longer matches GR_LOCK as of the stamp. */
export async function clearFastState(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, 'fast'), { force: true });
}
