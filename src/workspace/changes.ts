/**
 * Which tracked files changed since the last scan, at the cost of what changed plus one probe.
 *
 * The probe is `find <track roots> -cnewer <stamp>` (worktree-state.ts), or Watchman's list of
 * what changed since the clock saved with the stamp where the clone opted in (fsmonitor.ts).
 * `find` stats every entry in C and prints only what changed since the stamp: files written or touched, and directories
 * whose entries were added, removed or renamed (their ctime moves too). Then:
 *   - a changed file that is tracked is hashed (with `ingest`, stored as it is read);
 *   - a changed directory is listed and compared with what the snapshot held there (git
 *     ls-tree of that directory only): an entry gone is a deletion (a subdirectory gone: all of
 *     it), an entry the snapshot did not hold is read (a directory moved in keeps its files'
 *     ctimes, so it is walked whole);
 *   - everything else is unchanged, and what it holds is what the snapshot says.
 * A file changed within the margin before the stamp is read again: harmless.
 *
 * Without a usable state (no stamp yet, other track patterns, no snapshot), the caller scans
 * everything (scanWorkTree).
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { inTemp, TEMP_PREFIX } from '../fs/atomic.js';
import { readSnapshotSlice, type SnapEntry } from '../git/snapshot.js';
import { hashFile } from '../store/hash.js';
import type { HashedSink, LocalStore, StagedObject } from '../store/local.js';
import { mapLimit } from '../concurrency.js';
import { trace } from '../trace.js';
import { toStat, trackRule, type FileStat, type Matcher } from './walk.js';
import { ingestSmallPacked } from './scan.js';
import { clockFile, readClock, stampFile, type ScanClock, type WorkState } from './worktree-state.js';
import { changedSinceClock, takeClock, watchmanTimedOut } from './fsmonitor.js';

export interface FileChange {
  path: string;
  /** the new content; undefined: deleted */
  entry?: SnapEntry;
  /** what the snapshot held (undefined: nothing) */
  before?: SnapEntry;
}

export interface ChangeScan {
  /** the snapshot the changes apply to */
  base: string;
  /** paths whose content or exec bit differs from `base`, and paths gone */
  changes: FileChange[];
  /** every path that was looked at, with what `base` held there */
  before: Map<string, SnapEntry>;
  skipped: { path: string; why: string }[];
  hashed: number;
  hashedBytes: number;
  /** objects newly stored (with ingest) */
  added: number;
  /** Watchman's clock taken before this scan read anything (fsmonitor.ts), for its stamp */
  clock?: ScanClock;
  /** how the changes were found: by Watchman, the stamp must not move (fsmonitor.ts) */
  probe: 'find' | 'watchman';
}

/** True when the state can stand for the work tree: a stamp, a snapshot, the same track patterns. */
export function stateUsable(state: WorkState, patterns: string[]): state is WorkState & { tree: string; stampMs: number } {
  return state.tree !== undefined && state.stampMs !== undefined && state.patterns !== undefined && state.patterns.join('\n') === patterns.join('\n');
}

/**
 * How the probe splits its work: the track roots that are directories are tested themselves
 * (`dirs`: an entry added, removed or renamed in one moves its ctime), and their children are
 * dealt round-robin into `groups`, one `find` each, run in parallel (a stat per entry is the
 * probe's whole cost: two finds on two cores halve it; measured in docs/benchmarks.md). A root
 * with very many children, or one that is a file, is searched whole by the first group.
 */
export interface ProbePlan {
  dirs: string[];
  groups: string[][];
  missingRoots: string[];
}

const MAX_SPLIT_ARGS = 8192;

export function probePlan(root: string, roots: string[], jobs = Math.min(4, availableParallelism())): ProbePlan {
  const dirs: string[] = [];
  const args: string[] = [];
  const whole: string[] = [];
  const missingRoots: string[] = [];
  const arg = (r: string): string => (r === '' ? '.' : r.startsWith('-') ? `./${r}` : r);
  for (const r of roots) {
    const st = lstatQuiet(path.join(root, r));
    if (!st) {
      missingRoots.push(r);
      continue;
    }
    if (!st.isDirectory()) {
      whole.push(arg(r));
      continue;
    }
    const names = readdirSync(path.join(root, r));
    if (names.length > MAX_SPLIT_ARGS || jobs < 2) {
      whole.push(arg(r));
      continue;
    }
    dirs.push(arg(r));
    for (const n of names) if (n.toLowerCase() !== '.git') args.push(arg(r === '' ? n : `${r}/${n}`));
  }
  const groups: string[][] = Array.from({ length: Math.max(1, Math.min(jobs, args.length)) }, () => []);
  args.forEach((a, i) => groups[i % groups.length].push(a));
  groups[0].push(...whole);
  return { dirs, groups: groups.filter((g) => g.length), missingRoots };
}

function runFind(root: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    // -P: never follow a symlink; .git directories are not entered
    const child = spawn('find', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // a file that vanished while find ran is a warning, not a failure
      if (code !== 0 && !/No such file or directory/.test(err)) return reject(new Error(`find failed (${code}): ${err.trim().split('\n')[0]}`));
      resolve(Buffer.concat(out).toString('utf8').split('\0').filter(Boolean).map((p) => (p === '.' ? '' : p.replace(/^\.\//, ''))));
    });
  });
}

export interface Probe {
  /** paths (files and directories, present or gone) changed since the last scan */
  paths: string[];
  missingRoots: string[];
  /** Watchman's clock for the scan this probe starts (undefined: no Watchman) */
  clock?: ScanClock;
  /** 'watchman': the scan must not move the stamp (fsmonitor.ts: what inotify cannot see) */
  by: 'find' | 'watchman';
}

/** After a Watchman command timed out, Watchman is left alone this long (a stuck server). */
const WATCHMAN_BACKOFF_MS = 10 * 60_000;
/**
 * A scan by Watchman never moves the stamp (fsmonitor.ts); once the stamp is this old, the next
 * scan whose caller saves it with the stamp (a whole `gitrepro add`, the pre-commit's included)
 * is a `find` one, which moves it: the files changed since the stamp (read again by a fallback to
 * `find`, re-hashed by a checkout before it replaces them) stay few. Steps that save nothing
 * (status, diff) keep asking Watchman.
 */
const STAMP_REFRESH_MS = 60 * 60_000;

/**
 * Watchman's clock for a scan about to read the work tree (fsmonitor.ts), unless Watchman timed
 * out within the last 10 minutes; a time-out now starts such a pause (`watchman.off`) and drops
 * the saved clock, so that the sh shims stop asking too.
 */
export async function clockBeforeScan(root: string, roots: string[], stateDir: string): Promise<ScanClock | undefined> {
  const fresh = backingOff(stateDir) || watchmanTimedOut() ? undefined : await takeClock(root);
  await noteTimeOut(stateDir);
  return fresh && !watchmanTimedOut() ? { ...fresh, roots } : undefined;
}

function backingOff(stateDir: string): boolean {
  return (lstatQuiet(path.join(stateDir, 'watchman.off'))?.mtimeMs ?? 0) > Date.now() - WATCHMAN_BACKOFF_MS;
}

async function noteTimeOut(stateDir: string): Promise<void> {
  if (!watchmanTimedOut()) return;
  await rm(clockFile(stateDir), { force: true });
  await writeFile(path.join(stateDir, 'watchman.off'), '').catch(() => {});
  trace('watchman timed out: find decides for the next 10 minutes');
}

/**
 * The paths changed since the last scan under `roots` (relative to `root`): asked of Watchman
 * when `fsmonitor` is on and a clock was saved with the stamp (fsmonitor.ts), else found by
 * `find -cnewer` against the stamp. With `fsmonitor`, the clock for the next probe is taken
 * before anything is read.
 */
export async function changedSince(root: string, roots: string[], stateDir: string, fsmonitor = false, stampMs?: number): Promise<Probe> {
  if (!fsmonitor) {
    // the clone opted out: the shims must not go on asking Watchman either
    if (lstatQuiet(clockFile(stateDir))) await rm(clockFile(stateDir), { force: true });
    return { ...(await findChanged(root, roots, stampFile(stateDir))), by: 'find' };
  }
  const stale = stampMs !== undefined && stampMs < Date.now() - STAMP_REFRESH_MS;
  const old = backingOff(stateDir) || stale ? undefined : await readClock(stateDir);
  const r = old && (await changedSinceClock(root, old.watch, old.clock, roots));
  if (r) {
    const paths = watchmanPaths(root, r.paths, roots);
    trace(`probe (watchman): ${r.paths.length} path(s) changed since the last scan`);
    const missingRoots = roots.filter((x) => x !== '' && !lstatQuiet(path.join(root, x)));
    return { paths, missingRoots, clock: { watch: old.watch, clock: r.clock, roots }, by: 'watchman' };
  }
  const clock = await clockBeforeScan(root, roots, stateDir);
  return { ...(await findChanged(root, roots, stampFile(stateDir))), clock, by: 'find' };
}

/**
 * Watchman's report in the terms of `find`'s: every path whose parents (inside the work tree)
 * are real directories, else the nearest real directory above it (a directory replaced by a
 * symlink: never read through it); a directory reported is listed with its parent (a file
 * that became a directory is gone from there: `find` lists the parent, whose ctime moved).
 */
function watchmanPaths(root: string, paths: string[], roots: string[]): string[] {
  const real = realDirs(root);
  const out = new Set<string>();
  for (const p of paths) {
    const parent = parentOf(p);
    if (real(parent)) {
      out.add(p);
      if (real(p) && withinRoots(parent, roots)) out.add(parent);
    } else {
      const d = nearestRealDir(real, parent, roots);
      if (d !== undefined) out.add(d);
    }
  }
  return [...out];
}

/** Whether `d` is a track root or inside one. */
function withinRoots(d: string, roots: string[]): boolean {
  return roots.some((r) => r === '' || d === r || d.startsWith(`${r}/`));
}

/** lstat-cached: is this path (relative to root) a real directory, with real directories above it? */
function realDirs(root: string): (d: string) => boolean {
  const known = new Map<string, boolean>([['', true]]);
  const real = (d: string): boolean => {
    let v = known.get(d);
    if (v === undefined) {
      v = real(parentOf(d)) && (lstatQuiet(path.join(root, d))?.isDirectory() ?? false);
      known.set(d, v);
    }
    return v;
  };
  return real;
}

/**
 * The nearest real directory at or above `d` that is a track root or inside one; undefined when
 * a whole track root is gone (the probe's missingRoots settle that).
 */
function nearestRealDir(real: (d: string) => boolean, d: string, roots: string[]): string | undefined {
  for (;;) {
    if (!withinRoots(d, roots)) return undefined;
    if (real(d)) return d;
    if (d === '') return undefined;
    d = parentOf(d);
  }
}

/** The paths `find` reports changed since the stamp under `roots` (relative to `root`). */
async function findChanged(root: string, roots: string[], stamp: string): Promise<{ paths: string[]; missingRoots: string[] }> {
  const plan = probePlan(root, roots);
  const finds: Promise<string[]>[] = [];
  if (plan.dirs.length) finds.push(runFind(root, ['-P', ...plan.dirs, '-maxdepth', '0', '-cnewer', stamp, '-print0']));
  for (const g of plan.groups) finds.push(runFind(root, ['-P', ...g, '-name', '.git', '-prune', '-o', '-cnewer', stamp, '-print0']));
  const paths = (await Promise.all(finds)).flat();
  return { paths: [...new Set(paths)], missingRoots: plan.missingRoots };
}

/**
 * The changes of the work tree against `state.tree`, by the stamp (module comment). `only`
 * limits what is looked at; `ingest` stores new content as it is hashed (committed with one
 * syncfs).
 */
export async function scanChanges(
  root: string,
  matcher: Matcher,
  state: WorkState & { tree: string; stampMs: number },
  stateDir: string,
  opts: { store: LocalStore; ingest: boolean; only?: (p: string) => boolean; keepAbsent?: (p: string) => boolean; fsmonitor?: boolean; movesStamp?: boolean; pointers?: HashedSink },
): Promise<ChangeScan> {
  const rule = trackRule(matcher);
  const tracked = (p: string): boolean => rule.file(p);
  const { paths, missingRoots, clock, by } = await changedSince(root, matcher.roots, stateDir, opts.fsmonitor, opts.movesStamp ? state.stampMs : undefined);
  trace(`probe: ${paths.length} path(s) changed since the stamp`);
  const missing = new Set(state.missing);
  const candidates = new Map<string, FileStat>();
  const dirs = new Set<string>();
  let skipped: { path: string; why: string }[] = [];
  const deepGone = new Set<string>(missingRoots);
  const walkNew = new Set<string>();
  const goneFiles = new Set<string>();
  const gone = (p: string): void => {
    candidates.delete(p);
    goneFiles.add(p);
  };

  // a file a restore wrote in a directory it made whole, unchanged since (its ctime is before the
  // rename that put the directory in place): it holds the snapshot's content (worktree-state.ts)
  // (the directory itself still the one the restore made: another one moved to its name holds
  // files with their own, older ctimes)
  const dirStamps = state.dirStamps ?? {};
  const unsure = new Set(state.unsettled ?? []);
  const sameDir = new Map<string, boolean>();
  const asRestored = (p: string, st: Stats): boolean => {
    const d = parentOf(p);
    const s = dirStamps[d];
    if (s === undefined || !(st.ctimeMs < s.t) || missing.has(p) || unsure.has(p)) return false;
    let same = sameDir.get(d);
    if (same === undefined) {
      const ds = lstatQuiet(path.join(root, d));
      sameDir.set(d, (same = ds !== undefined && ds.isDirectory() && ds.ino === s.ino));
    }
    return same;
  };
  const real = realDirs(root);
  for (const p of paths) {
    // gitrepro's temp files, and the files of a temp directory (a killed restore's leftovers)
    if (inTemp(p)) continue;
    // never through a symlinked parent: what it leads to is not the work tree's
    const st = real(parentOf(p)) ? lstatQuiet(path.join(root, p)) : undefined;
    if (!st) {
      // gone (while find looked, or as Watchman reports): the nearest directory still there
      // tells, by what its listing lacks (Watchman names a removed tree's files, not its parent)
      const d = nearestRealDir(real, parentOf(p), matcher.roots);
      if (d !== undefined) dirs.add(d);
      continue;
    }
    if (st.isDirectory()) dirs.add(p);
    else if (st.isFile()) {
      if (tracked(p) && !asRestored(p, st)) candidates.set(p, toStat(st));
    } else if (st.isSymbolicLink() && tracked(p)) skipped.push({ path: p, why: 'symbolic link (gitrepro stores regular files only)' });
  }
  // paths the last restore could not write hold whatever they held before, and those a status
  // found changed are not in the snapshot: read them (absent: not restored yet, or deleted)
  const absentUnsettled: string[] = [];
  for (const p of [...missing, ...(state.unsettled ?? [])]) {
    if (candidates.has(p) || !tracked(p)) continue;
    const st = real(parentOf(p)) ? lstatQuiet(path.join(root, p)) : undefined;
    if (st?.isFile()) candidates.set(p, toStat(st));
    else if (!st && !missing.has(p)) absentUnsettled.push(p);
  }
  // what the snapshot held: the candidates, and the children of every changed directory
  // the children of changed directories by kind only: their entries are read below for those gone
  const slice = await readSnapshotSlice(root, state.tree, { paths: [...candidates.keys(), ...absentUnsettled], dirs, childEntries: false });
  for (const p of absentUnsettled) if (slice.files.has(p)) gone(p);
  for (const d of dirs) {
    let listing;
    try {
      listing = readdirSync(d ? path.join(root, d) : root, { withFileTypes: true });
    } catch {
      continue;
    }
    const seen = new Set<string>();
    const held = slice.children.get(d) ?? new Map<string, 'file' | 'dir'>();
    for (const e of listing) {
      if (e.name.toLowerCase() === '.git' || e.name.startsWith(TEMP_PREFIX)) continue;
      const p = d ? `${d}/${e.name}` : e.name;
      seen.add(e.name);
      const was = held.get(e.name);
      if (e.isFile()) {
        if (was === 'dir') deepGone.add(p);
        // a file the snapshot did not hold, or one that had been a directory: read it
        if (was !== 'file' && tracked(p) && !candidates.has(p)) {
          const st = lstatQuiet(path.join(root, p));
          if (st?.isFile()) candidates.set(p, toStat(st));
        }
      } else if (e.isDirectory()) {
        if (was === 'file') gone(p);
        // a directory the snapshot did not hold: moved in whole (its files keep their ctimes)
        if (was !== 'dir' && !dirs.has(p)) walkNew.add(p);
      } else if (e.isSymbolicLink() && tracked(p)) skipped.push({ path: p, why: 'symbolic link (gitrepro stores regular files only)' });
    }
    for (const [name, kind] of held) {
      if (seen.has(name)) continue;
      const p = d ? `${d}/${name}` : name;
      if (kind === 'dir') deepGone.add(p);
      else gone(p);
    }
  }
  for (const d of walkNew) {
    for (const [p, st] of walkAllFiles(root, d)) if (tracked(p)) candidates.set(p, st);
  }
  // whole subtrees gone (a deleted or renamed directory): everything the snapshot held there
  const deepSlice = deepGone.size ? await readSnapshotSlice(root, state.tree, { deep: deepGone }) : undefined;
  // files gone from a changed directory: what the snapshot held there
  const goneChildren = [...goneFiles].filter((p) => !slice.files.has(p) && !deepSlice?.files.has(p));
  const goneSlice = goneChildren.length ? await readSnapshotSlice(root, state.tree, { paths: goneChildren }) : undefined;
  for (const [p, e] of goneSlice?.files ?? []) slice.files.set(p, e);
  const before = new Map<string, SnapEntry>([...slice.files, ...(deepSlice?.files ?? [])]);
  for (const p of deepSlice?.files.keys() ?? []) if (!candidates.has(p)) goneFiles.add(p);
  for (const p of [...goneFiles]) if (!slice.files.has(p) && !deepSlice?.files.has(p)) goneFiles.delete(p);

  // only what the caller asked about
  const only = opts.only ?? (() => true);
  const todo = [...candidates].filter(([p]) => only(p));
  trace(`probe: ${todo.length} file(s) to read, ${goneFiles.size} gone`);
  const hashed = new Map<string, { sha256: string; size: number }>();
  const staged: StagedObject[] = [];
  let hashedBytes = 0;
  // many new small files (a first recording after an empty commit): stored as local packs
  const packed = opts.ingest ? await ingestSmallPacked(root, todo, opts.store, opts.pointers) : { hashed: new Map(), added: 0, rest: todo };
  for (const [p, h] of packed.hashed) {
    hashed.set(p, h);
    hashedBytes += h.size;
  }
  const rest = packed.rest;
  rest.sort((a, b) => b[1].size - a[1].size);
  await mapLimit(rest, 16, async ([p]) => {
    const abs = path.join(root, p);
    if (opts.ingest) {
      const s = await opts.store.stage(abs);
      staged.push(s);
      hashed.set(p, s);
    } else hashed.set(p, await hashFile(abs));
    hashedBytes += hashed.get(p)!.size;
  });
  const added = opts.ingest ? packed.added + (await opts.store.commitStaged(staged, true)) : 0;

  const changes: FileChange[] = [];
  for (const [p, st] of todo) {
    const h = hashed.get(p)!;
    const entry: SnapEntry = { sha256: h.sha256, size: h.size, exec: st.exec };
    const was = before.get(p);
    if (!was || was.sha256 !== entry.sha256 || was.exec !== entry.exec) changes.push({ path: p, entry, before: was });
  }
  // absent is not deleted for a path a restore could not write, or that this clone does not hold
  const keepAbsent = opts.keepAbsent ?? (() => false);
  for (const p of goneFiles) if (only(p) && !missing.has(p) && !keepAbsent(p)) changes.push({ path: p, before: before.get(p) });
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // a link both changed and in a changed directory is named once
  const named = new Set<string>();
  skipped = skipped.filter((s) => !named.has(s.path) && named.add(s.path));
  return { base: state.tree, changes, before, skipped, hashed: todo.length, hashedBytes, added, clock, probe: by };
}

/** lstat, undefined when nothing is there: absent, or a file where a directory of the path was. */
function lstatQuiet(abs: string): Stats | undefined {
  try {
    return lstatSync(abs, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}

function parentOf(p: string): string {
  const slash = p.lastIndexOf('/');
  return slash < 0 ? '' : p.slice(0, slash);
}

/** Every regular file under `dir` (relative to root), not entering .git, skipping temp files and links. */
function walkAllFiles(root: string, dir: string): [string, FileStat][] {
  const out: [string, FileStat][] = [];
  const visit = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.toLowerCase() === '.git' || e.name.startsWith(TEMP_PREFIX)) continue;
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) visit(r);
      else if (e.isFile()) {
        const st = lstatQuiet(path.join(root, r));
        if (st?.isFile()) out.push([r, toStat(st)]);
      }
    }
  };
  visit(dir);
  return out;
}

/**
 * The sha256 of files unchanged since the stamp, from the snapshot the work tree matched (read
 * one directory at a time, on demand): a pipeline's deps are not read again when they did not
 * change. Any other file: undefined (the caller hashes it).
 */
export class StampedHashes {
  private dirs = new Map<string, Promise<Map<string, SnapEntry>>>();
  private readonly missing: Set<string>;

  constructor(
    private readonly root: string,
    private readonly state: WorkState,
  ) {
    this.missing = new Set([...state.missing, ...(state.unsettled ?? [])]);
  }

  async get(rel: string, st: { ctimeMs: number; size: number; exec: boolean }): Promise<string | undefined> {
    const { tree, stampMs } = this.state;
    if (!tree || stampMs === undefined || st.ctimeMs >= stampMs || this.missing.has(rel)) return undefined;
    const dir = parentOf(rel);
    let entries = this.dirs.get(dir);
    if (!entries) {
      entries = readSnapshotSlice(this.root, tree, { dirs: [dir] }).then((s) => s.files, () => new Map<string, SnapEntry>());
      this.dirs.set(dir, entries);
    }
    const e = (await entries).get(rel);
    return e && e.size === st.size && e.exec === st.exec ? e.sha256 : undefined;
  }
}
