/**
 * State the sh hook shims read to answer "is there anything to do?" without starting node
 * (DESIGN §3). Per worktree, in `<git-dir>/gitrepro/`:
 *   fast      sh-sourceable: GR_LOCK (blob id of the gitrepro.lock the work tree's data matches),
 *             GR_MAX (policy.maxGitFileSize) and gr_changed(), a find over the walk roots
 *   patterns  the track patterns, for `git ls-files -i --exclude-from`
 *   stamp     mtime = start of the last full scan minus STAMP_MARGIN_MS
 * Measured here: `find <roots> -cnewer stamp -print -quit` answers in ~10 ms on 10,000 files, and
 * catches edits, adds, deletes, renames and chmods (file and directory ctimes move).
 */
import { rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';

/**
 * The stamp is set this far before the scan began: file timestamps come from the kernel's coarse
 * clock (one tick, ~4 ms here, behind real time), so a change made just after the scan started
 * must still look newer than the stamp. A file changed in the margin before the scan only sends
 * the next hook down the full path once.
 */
const STAMP_MARGIN_MS = 50;

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
 * Writes the fast-path state. With `scanStartMs` (a full scan of the work tree began then) the
 * stamp moves too; without, the stamp stays (a missing stamp keeps hooks on the full path).
 */
export async function writeFastState(stateDir: string, s: FastState, scanStartMs?: number): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const roots = s.roots.map((r) => (r === '' ? '.' : r));
  const body = [
    '# written by gitrepro: fast-path state for the hook shims (disposable)',
    `GR_LOCK=${shQuote(s.lockBlob)}`,
    `GR_MAX=${Math.floor(s.maxGitFileSize)}`,
    // prints the first path changed since the stamp ($1); an error (a root vanished) prints too
    `gr_changed() { find gitrepro.yaml ${roots.map(shQuote).join(' ')} -name .git -prune -o -cnewer "$1" -print -quit 2>&1; }`,
    '',
  ].join('\n');
  await writeFileAtomic(path.join(stateDir, 'patterns'), s.patterns.join('\n') + '\n', { durable: false });
  if (scanStartMs !== undefined) {
    const stamp = path.join(stateDir, 'stamp');
    await writeFile(stamp, '');
    const t = (scanStartMs - STAMP_MARGIN_MS) / 1000;
    await utimes(stamp, t, t);
  }
  await writeFileAtomic(path.join(stateDir, 'fast'), body, { durable: false });
}

/** Forces the next hook onto the full (node) path. */
export async function clearFastState(stateDir: string): Promise<void> {
  await rm(path.join(stateDir, 'fast'), { force: true });
}
