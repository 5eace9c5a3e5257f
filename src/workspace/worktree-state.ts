/**
 * What the work tree's data was at the last scan, per worktree in `<git-dir>/gitrepro/`:
 *
 *   stamp       its mtime: when that scan began, minus a margin (the kernel's clock ticks
 *               coarsely). A file whose ctime is newer has changed since, or is new; one that is
 *               older holds what it held then. `find -cnewer stamp` lists them (changes.ts).
 *   stamp.clock Watchman's clock taken before the last scan read anything, when
 *               `gitrepro.fsmonitor` is `watchman` (fsmonitor.ts): the next probe asks Watchman
 *               instead of `find`. Lines: the clock, the watch (JSON), the since-query before
 *               and after the clock (for the sh shims). Written after everything else of a
 *               scan, removed before. A scan by Watchman moves the clock, not the stamp (what
 *               inotify cannot see must still look changed to the ctime checks).
 *   state.json  the snapshot tree the work tree matched at that moment (moved along by the
 *               restores made since: the files they wrote are newer than the stamp), the track
 *               patterns of that scan, the paths a restore could not write (read by every
 *               scan: their ctimes say nothing; absent, they are not restored yet, not deleted)
 *               and the paths a status found changed but did not store (read by every scan).
 *
 * Nothing per file: the kernel keeps the ctimes, and git keeps what each path held (the
 * snapshot tree), so an add, a status or a checkout of 10 changed files of 100,000 reads what
 * changed and nothing else. Disposable: without it the next scan reads everything once.
 */
import { readFile, rm, stat, utimes, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { CLOCK_RE, sinceQuery, type Watch } from './fsmonitor.js';

/**
 * The stamp is set this far before the scan began: file timestamps come from the kernel's coarse
 * clock (one tick, ~4 ms here, behind real time), so a change made just after the scan started
 * must still look newer than the stamp. On a filesystem with whole-second timestamps, 2 s.
 */
const STAMP_MARGIN_MS = 50;
const COARSE_MARGIN_MS = 2000;

export interface WorkState {
  /** the snapshot the work tree's data matched at the stamp (plus the restores made since) */
  tree?: string;
  /** the track patterns of that scan: other patterns mean another set of files (a full scan) */
  patterns?: string[];
  /** the stamp's mtime; undefined: no scan yet (the next one reads everything) */
  stampMs?: number;
  /**
   * paths a restore could not write (object unavailable or damaged, a write refused): the work
   * tree holds there whatever it held before, or nothing. Scans always read them; absent, they
   * are data not yet restored, not a deletion.
   */
  missing: string[];
  /**
   * paths whose content differs from `tree` as of the stamp (a status read them but stored
   * nothing, so the snapshot cannot hold them): scans always read them; absent, they are
   * deletions as usual
   */
  unsettled?: string[];
  /**
   * Directories a restore made whole (materialize.ts, "a fresh directory is written whole"),
   * each with its inode and its ctime right after the rename put it in place: a file directly in
   * that same directory (the inode: not another moved to its name) whose ctime is before that
   * holds what the restore wrote there, the snapshot's content (it was written in a temp
   * directory only the restore knew). A scan does not read such a file; its ctime moves with
   * any change. Kept while the stamp is older (a stamp that moves past them covers those files).
   */
  dirStamps?: Record<string, DirStamp>;
}

/** A directory a restore made whole: its ctime (ms) right after it was put in place, and its inode. */
export interface DirStamp {
  t: number;
  ino: number;
}

export function stampFile(stateDir: string): string {
  return path.join(stateDir, 'stamp');
}

export function clockFile(stateDir: string): string {
  return path.join(stateDir, 'stamp.clock');
}

/** Watchman's clock at a scan's start, for the scan's stamp (fsmonitor.ts). */
export interface ScanClock {
  watch: Watch;
  clock: string;
  /** the track roots the since-query covers */
  roots: string[];
}

/** The clock saved with the stamp; undefined: none (the probe uses `find`). */
export async function readClock(stateDir: string): Promise<Omit<ScanClock, 'roots'> | undefined> {
  const text = await readFile(clockFile(stateDir), 'utf8').catch(() => '');
  const [clock, watchJson] = text.split('\n');
  if (!clock || !CLOCK_RE.test(clock) || !watchJson) return undefined;
  try {
    const w = JSON.parse(watchJson) as Partial<Watch>;
    if (typeof w.watchRoot !== 'string' || !path.isAbsolute(w.watchRoot) || typeof w.rel !== 'string') return undefined;
    return { watch: { watchRoot: w.watchRoot, rel: w.rel }, clock };
  } catch {
    return undefined;
  }
}

export async function readWorkState(stateDir: string): Promise<WorkState> {
  const [text, st] = await Promise.all([readFile(path.join(stateDir, 'state.json'), 'utf8').catch(() => ''), stat(stampFile(stateDir)).catch(() => undefined)]);
  let raw: Partial<WorkState> = {};
  try {
    raw = text ? (JSON.parse(text) as Partial<WorkState>) : {};
  } catch {
    raw = {};
  }
  const tree = typeof raw.tree === 'string' && /^[0-9a-f]{40,64}$/.test(raw.tree) ? raw.tree : undefined;
  const patterns = Array.isArray(raw.patterns) && raw.patterns.every((p) => typeof p === 'string') ? raw.patterns : undefined;
  const missing = Array.isArray(raw.missing) ? raw.missing.filter((p): p is string => typeof p === 'string') : [];
  const unsettled = Array.isArray(raw.unsettled) ? raw.unsettled.filter((p): p is string => typeof p === 'string') : [];
  const dirStamps: Record<string, DirStamp> = {};
  if (raw.dirStamps && typeof raw.dirStamps === 'object' && !Array.isArray(raw.dirStamps)) {
    for (const [d, v] of Object.entries(raw.dirStamps as Record<string, unknown>)) {
      const x = v as Partial<DirStamp> | null;
      if (d && !d.startsWith('/') && x && typeof x.t === 'number' && Number.isFinite(x.t) && typeof x.ino === 'number' && x.ino > 0) dirStamps[d] = { t: x.t, ino: x.ino };
    }
  }
  return { tree, patterns, stampMs: st?.mtimeMs, missing, unsettled, ...(Object.keys(dirStamps).length ? { dirStamps } : {}) };
}

/**
 * Saves the state. With `stampAt` (a scan of the whole work tree, full or by the stamp with
 * `find`, began then) the stamp moves too; without, it stays where it was. With `clock`
 * (Watchman's, taken before that scan read anything) the clock file is replaced; a stamp that
 * moves without one loses its clock. The old clock goes first and the new one comes last: a
 * clock never stands beside a state older than itself.
 */
export async function writeWorkState(stateDir: string, s: Omit<WorkState, 'stampMs'>, stampAt?: number, clock?: ScanClock): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  if (stampAt !== undefined || clock) await rm(clockFile(stateDir), { force: true });
  if (stampAt !== undefined) {
    const stamp = stampFile(stateDir);
    await writeFile(stamp, '');
    let t = stampAt - STAMP_MARGIN_MS;
    await utimes(stamp, t / 1000, t / 1000);
    // whole-second timestamps (the fraction did not stick): a wider margin
    if ((await stat(stamp)).mtimeMs % 1000 === 0 && t % 1000 !== 0) {
      t = stampAt - COARSE_MARGIN_MS;
      await utimes(stamp, t / 1000, t / 1000);
    }
  }
  // directory stamps the stamp has passed say nothing more than it does
  const given = Object.entries(s.dirStamps ?? {});
  const stampMs = given.length ? (await stat(stampFile(stateDir)).catch(() => undefined))?.mtimeMs : undefined;
  const dirStamps = Object.fromEntries(given.filter(([, v]) => stampMs === undefined || v.t > stampMs));
  const body = { tree: s.tree, patterns: s.patterns, missing: [...new Set(s.missing)].sort(), unsettled: [...new Set(s.unsettled ?? [])].sort(), ...(Object.keys(dirStamps).length ? { dirStamps } : {}) };
  await writeFileAtomic(path.join(stateDir, 'state.json'), `${JSON.stringify(body)}\n`, { durable: false });
  if (clock) {
    const q = sinceQuery(clock.watch, clock.roots);
    await writeFileAtomic(clockFile(stateDir), [clock.clock, JSON.stringify(clock.watch), q.head, q.tail, ''].join('\n'), { durable: false });
  }
}

/** Forgets the state: the next scan reads everything (track patterns changed, say). */
export async function clearWorkState(stateDir: string): Promise<void> {
  await Promise.all(['state.json', 'stamp', 'stamp.clock', 'fast'].map((f) => rm(path.join(stateDir, f), { force: true })));
}
