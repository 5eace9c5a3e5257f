/**
 * Applying snapshot changes to the work tree. Only the changed paths are touched. Before a file
 * is replaced or deleted, its content is stored if the store lacks it (never lose unsaved work),
 * and each such rescue is journaled. Every write is atomic (a temp file, then a rename). A file
 * copied from the store is re-hashed as it is read; a file of an object a fetch running alongside
 * hands over is written from the bytes that fetch checked (`incoming`), in batches on a second
 * thread (fs/write-thread.ts). Paths are re-validated and never written through a symlinked
 * directory.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError, isGitreproError } from '../errors.js';
import type { SnapChange } from '../git/snapshot.js';
import { unsafePathReason } from '../record/rules.js';
import { hashFile } from '../store/hash.js';
import type { LocalStore } from '../store/local.js';
import { isTempLeftover, tempDone, tempOwner, tempPath } from '../fs/atomic.js';
import { alive } from './repo-lock.js';
import { chmodNeeded, FileWriter, placeChecked, type DestStat, type FileWrite, type WriteError } from '../fs/write-thread.js';
import { trace } from '../trace.js';
import type { ObjectRef } from '../store/types.js';
import { mapLimit } from '../concurrency.js';
import { appendRescue, type RescueEntry } from './rescue.js';
import type { DirStamp } from './worktree-state.js';
import { DirPresence, parentDir, statPaths, toStat, type FileStat } from './walk.js';

export interface MaterializeResult {
  written: string[];
  removed: string[];
  unchanged: string[];
  rescued: RescueEntry[];
  missing: { path: string; sha256: string }[];
  failed: { path: string; error: GitreproError }[];
  /** fresh directories put in place whole, with their ctime right after (worktree-state.ts `dirStamps`) */
  dirStamps: Record<string, DirStamp>;
}

export interface MaterializeOptions {
  root: string;
  /** the snapshot being restored (named in errors) */
  tree?: string;
  /** where temp files go before they are renamed into place (default: next to them); on the work tree's filesystem */
  tmpDir?: string;
  store: LocalStore;
  /**
   * The sha256 a file is known to hold without reading it (unchanged since the last scan, and
   * what the snapshot says it held): such content is in the store already.
   */
  known?: (rel: string, st: FileStat) => string | undefined;
  /** shared state dir (rescue journal) */
  sharedDir: string;
  reason: string;
  /**
   * Directories git ignores whole (a directory track pattern covers them): a temp file goes
   * beside its file there and is renamed within its directory. On ext4 here a rename within a
   * directory costs half of one from the git dir's tmp/ (100,000 files: 2.7 against 5.4 s, see
   * docs/benchmarks.md); elsewhere a killed restore's temp file could show in `git status`.
   */
  tempBeside?: (relDir: string) => boolean;
  /**
   * A fetch running alongside: the writes of objects in `pending` wait for them. `fetch` is
   * called once with a consumer of the objects as they arrive, each already checked against its
   * name (LocalStore.receiveBatch): the consumer writes the files that need them from those
   * bytes. What the fetch never hands over is then copied from the store, or reported missing.
   */
  incoming?: { pending: { has(sha256: string): boolean }; fetch(consume: (items: readonly CheckedObject[]) => Promise<void>): Promise<void> };
}

/** An object's bytes, already hashed to its name in this process (never read back from disk). */
export interface CheckedObject {
  ref: ObjectRef;
  bytes: Buffer;
}

/** Refuses a path whose parent chain holds a symlink or a non-directory (writing would leave the tree). */
function parentsSafe(root: string, rel: string, checked: Map<string, boolean>): boolean {
  return firstUnsafeDir(root, rel, checked) === undefined;
}

/**
 * The first directory of `rel`'s parent chain that is a symlink or not a directory now
 * (undefined: none; a part that does not exist yet is fine: mkdir will make a real directory).
 * `checked` remembers each part's answer for the calls that share it.
 */
function firstUnsafeDir(root: string, rel: string, checked = new Map<string, boolean>()): string | undefined {
  const parts = rel.split('/').slice(0, -1);
  let cur = '';
  for (const part of parts) {
    cur = cur ? `${cur}/${part}` : part;
    let ok = checked.get(cur);
    if (ok === undefined) {
      try {
        const st = lstatSync(path.join(root, cur));
        ok = st.isDirectory() && !st.isSymbolicLink();
      } catch {
        ok = true;
      }
      checked.set(cur, ok);
    }
    if (!ok) return cur;
  }
  return undefined;
}

/** A killed restore's temp entries in `dir` (named by tempPath, their process gone): removed. */
function sweepLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const pid = tempOwner(n);
    if (pid && pid !== process.pid && !alive(pid)) rmSync(path.join(dir, n), { recursive: true, force: true });
  }
}

/** The temp dir of restores in a worktree's git dir (`<git-dir>/gitrepro/tmp`), created when missing. */
export async function restoreTmpDir(stateDir: string): Promise<string> {
  const dir = path.join(stateDir, 'tmp');
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function materialize(changes: SnapChange[], o: MaterializeOptions): Promise<MaterializeResult> {
  const res: MaterializeResult = { written: [], removed: [], unchanged: [], rescued: [], missing: [], failed: [], dirStamps: {} };
  let checked = new Map<string, boolean>();
  // what existed before this restore: a path under a missing directory needs no lstat of its own
  const before = new DirPresence(o.root);
  const stats = statPaths(o.root, changes.map((c) => c.path), before);
  const now = new Date().toISOString();
  const fail = (p: string, e: unknown): void => void res.failed.push({ path: p, error: wrap(e, p, o.tree) });

  /** Makes sure the content of the file at `rel` is recoverable; returns its sha256 (or undefined when absent). */
  const secureFile = async (rel: string, st: FileStat | undefined): Promise<string | undefined> => {
    if (!st) return undefined;
    const hit = o.known?.(rel, st);
    if (hit && (await o.store.has(hit))) return hit;
    const sha = hit ?? (await hashFile(path.join(o.root, rel))).sha256;
    // an object of that name that is not intact would not bring the user's version back
    if (!(await o.store.intact({ sha256: sha, size: st.size }))) {
      const r = await o.store.ingestFile(path.join(o.root, rel));
      const e: RescueEntry = { at: now, path: rel, sha256: r.sha256, size: r.size, exec: st.exec, worktree: o.root, reason: o.reason };
      await appendRescue(o.sharedDir, e);
      res.rescued.push(e);
      return r.sha256;
    }
    return sha;
  };
  const secure = (rel: string) => secureFile(rel, stats.get(rel));
  // temp files live in the git dir (never next to data, where a scan could take them for data)
  // when it is on the destination's filesystem (a rename cannot cross filesystems)
  const devs = new Map<string, number>();
  const devOf = (d: string): number => {
    let v = devs.get(d);
    if (v === undefined) devs.set(d, (v = statSync(d).dev));
    return v;
  };
  const besideOk = (rel: string): boolean => {
    const d = parentDir(rel);
    return d !== '.' && (o.tempBeside?.(d) ?? false); // a file at the root: never beside it
  };
  const tmpFor = (dir: string, rel: string): string => (!o.tmpDir || besideOk(rel) || devOf(o.tmpDir) !== devOf(dir) ? dir : o.tmpDir);

  const refuse = (p: string, why: string): GitreproError => new GitreproError('GITREPRO_UNSAFE_PATH', `refusing to write ${JSON.stringify(p)}: ${why}`);
  const safe = (c: SnapChange): boolean => {
    const why = unsafePathReason(c.path);
    if (!why && parentsSafe(o.root, c.path, checked)) return true;
    res.failed.push({ path: c.path, error: refuse(c.path, why ?? 'a parent directory is a symlink or a file') });
    return false;
  };
  // with a fetch alongside (minutes), the parent chains are looked at again as objects arrive: a
  // directory swapped for a symlink meanwhile is never written through (once per batch of arrivals)
  let live = new Map<string, boolean>();

  // deletions first, so a file that becomes a directory (or back) has room
  for (const c of changes.filter((c) => !c.entry && safe(c))) {
    try {
      if (!stats.get(c.path)) continue;
      await secure(c.path);
      await unlink(path.join(o.root, c.path));
      await pruneEmptyDirs(o.root, c.path);
      res.removed.push(c.path);
    } catch (e) {
      fail(c.path, e);
    }
  }

  // the deletions changed what is a directory: check the parents of the writes afresh
  checked = new Map();
  const writes = changes.filter((c) => c.entry && safe(c));
  const made = new Set<string>(); // one mkdir per directory, not per file (100,000 files of W2)
  /**
   * Everything before a change's file is written (its parent made, what is there secured):
   * where to write, or undefined when no write is needed or possible (recorded in `res`).
   * `arrived`: the object's bytes are at hand (not looked up in the store).
   */
  const prepare = async (c: SnapChange, arrived: boolean): Promise<{ abs: string; mode: number; tmpDir: string; absent: boolean; expect?: DestStat } | undefined> => {
    const entry = c.entry!;
    try {
      const abs = path.join(o.root, c.path);
      // with a fetch running alongside (minutes, on a slow network), what is at the path now
      // counts, not what was there when the restore began: the user may have edited it
      // meanwhile. Under a directory this restore made, the writer checks at the rename.
      let absent = false;
      if (o.incoming && !parentsSafe(o.root, c.path, live)) throw refuse(c.path, 'a parent directory became a symlink or a file while the restore ran');
      if (o.incoming) {
        if (stats.get(c.path) || before.exists(parentDir(c.path))) {
          const now = lstatSync(abs, { throwIfNoEntry: false });
          if (now?.isFile()) stats.set(c.path, toStat(now));
          else stats.delete(c.path);
          absent = now === undefined;
        } else absent = true;
      }
      // a directory where the file goes (a directory that became a file): store what it holds first
      if (!stats.get(c.path) && before.exists(parentDir(c.path)) && lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) await clearDirectory(c.path);
      const cur = await secure(c.path);
      const st = stats.get(c.path);
      if (cur === entry.sha256 && st && st.exec === entry.exec) {
        res.unchanged.push(c.path);
        return undefined;
      }
      if (!arrived && !(await o.store.has(entry.sha256))) {
        res.missing.push({ path: c.path, sha256: entry.sha256 });
        return undefined;
      }
      const dir = path.dirname(abs);
      if (!made.has(dir)) {
        await mkdir(dir, { recursive: true });
        made.add(dir);
      }
      // with a fetch alongside, the writer checks at the rename that what was secured is still there
      const expect = o.incoming && !absent ? stats.get(c.path) : undefined;
      return { abs, mode: entry.exec ? 0o755 : 0o644, tmpDir: tmpFor(dir, c.path), absent, expect };
    } catch (e) {
      fail(c.path, e);
      return undefined;
    }
  };
  /** Writes one change's file, copied from the store (re-hashed as it is read). */
  const write = async (c: SnapChange): Promise<void> => {
    const to = await prepare(c, false);
    if (!to) return;
    try {
      await o.store.copyOut(c.entry!, to.abs, to.mode, to.tmpDir, o.incoming ? { absent: to.absent, expect: to.expect } : undefined);
      res.written.push(c.path);
    } catch (e) {
      fail(c.path, e);
    }
  };
  const pending = o.incoming?.pending;
  if (!pending) await mapLimit(writes, 8, write);
  else {
    // what the store holds is written while the rest arrives
    const waiting = new Map<string, SnapChange[]>();
    for (const c of writes) {
      const sha = c.entry!.sha256;
      if (!pending.has(sha)) continue;
      const cs = waiting.get(sha);
      if (cs) cs.push(c);
      else waiting.set(sha, [c]);
    }
    const writer = new FileWriter();
    const fresh = freshDirs(writes, pending, { beside: (d) => o.tempBeside?.(d) ?? false, before });
    /** A fresh directory's temp directory (beside it), made by its first file; undefined: not fresh after all. */
    const tmpDirOf = (d: string, f: FreshDir): string | undefined => {
      if (f.tmp || f.skip) return f.tmp;
      const abs = path.join(o.root, d);
      const parent = path.dirname(abs);
      try {
        // the directory or one above it became a symlink or a file: prepare refuses its files
        if (!parentsSafe(o.root, `${d}/-`, live)) throw new Error('unsafe');
        if (!made.has(parent)) {
          mkdirSync(parent, { recursive: true });
          made.add(parent);
          sweepLeftovers(parent);
        }
        // something is there by now (the user was faster): its files are written one by one, checked
        if (lstatSync(abs, { throwIfNoEntry: false })) throw new Error('exists');
        const tmp = tempPath(parent, 'dir');
        mkdirSync(tmp);
        f.tmp = tmp;
      } catch {
        f.skip = true;
      }
      return f.tmp;
    };
    /** The last file of a fresh directory was answered: the directory goes into place. */
    const settle = (d: string, f: FreshDir): void => {
      if (--f.left > 0 || !f.tmp) return;
      fresh.delete(d);
      putInPlace(d, f);
    };
    /** The files of objects that arrived, written from their bytes (checked on arrival, not read back). */
    const consume = async (items: readonly CheckedObject[]): Promise<void> => {
      live = new Map();
      const batches = new Map<ArrayBufferLike, { c: SnapChange; w: FileWrite; f?: FreshDir }[]>();
      for (const { ref, bytes } of items) {
        const cs = waiting.get(ref.sha256);
        if (!cs || bytes.length !== ref.size) continue;
        waiting.delete(ref.sha256);
        for (const c of cs) {
          const d = parentDir(c.path);
          const f = fresh.get(d);
          // a pointer whose size is not the object's: copyOut names the fault
          if (c.entry!.size !== ref.size) {
            if (f) f.skip = true;
            await write(c);
            if (f) settle(d, f);
            continue;
          }
          const tmp = f && tmpDirOf(d, f);
          if (tmp && !parentsSafe(o.root, `${d}/-`, live)) {
            // a directory above it was swapped meanwhile: the temp directory is not where it was
            fail(c.path, refuse(c.path, 'a parent directory became a symlink or a file while the restore ran'));
            settle(d, f!);
            continue;
          }
          let w: FileWrite;
          if (tmp) {
            const mode = c.entry!.exec ? 0o755 : 0o644;
            const at = `${tmp}/${c.path.slice(d.length + 1)}`; // tmp is absolute and normalized, the name checked
            w = { tmp: at, dest: at, offset: bytes.byteOffset, length: bytes.length, mode, chmod: chmodNeeded(mode), direct: true };
          } else {
            const to = await prepare(c, true);
            if (!to) {
              if (f) settle(d, f);
              continue;
            }
            w = { tmp: tempPath(to.tmpDir, 'obj'), dest: to.abs, offset: bytes.byteOffset, length: bytes.length, mode: to.mode, chmod: chmodNeeded(to.mode), absent: to.absent, expect: to.expect };
          }
          const b = batches.get(bytes.buffer) ?? [];
          if (b.length === 0) batches.set(bytes.buffer, b);
          b.push({ c, w, f: tmp ? f : undefined });
          if (f && !tmp) settle(d, f);
        }
      }
      for (const [buf, b] of batches) {
        let errors: (WriteError | null)[];
        try {
          errors = await writer.write(new Uint8Array(buf), b.map((x) => x.w));
        } catch (e) {
          errors = b.map(() => ({ message: (e as Error)?.message ?? String(e), code: (e as NodeJS.ErrnoException)?.code }));
        }
        b.forEach(({ c, w, f }, i) => {
          const e = errors[i];
          if (!f) {
            tempDone(w.tmp);
            if (!e) res.written.push(c.path);
            else fail(c.path, Object.assign(new Error(e.message), { code: e.code }));
            return;
          }
          // a fresh directory's file: written, not yet in place
          if (!e) f.done.push(c.path);
          else fail(c.path, Object.assign(new Error(e.message), { code: e.code }));
          settle(parentDir(c.path), f);
        });
      }
    };
    // both run to their end before anything is decided: a failed fetch must not leave the local
    // writes going on after the restore (and its lock) ended
    let outcome: PromiseSettledResult<unknown>[];
    try {
      outcome = await Promise.allSettled([mapLimit(writes.filter((c) => !pending.has(c.entry!.sha256)), 8, write), o.incoming!.fetch(consume)]);
    } finally {
      await writer.close();
      // what a fetch never handed over is not waited for: the files written go into place
      for (const [d, f] of fresh) if (f.tmp) putInPlace(d, f);
      fresh.clear();
    }
    for (const r of outcome) if (r.status === 'rejected') throw r.reason;
    trace(`work tree: files of fetched objects written in ${writer.counts.thread} batch(es) on a second thread, ${writer.counts.here} on the main thread`);
    // objects the fetch stored another way (a big file's chunks, a second copy) or not at all
    await mapLimit([...waiting.values()].flat(), 8, write);
  }
  return res;

  /**
   * A fresh directory written whole goes into place by one rename. If something is at its path
   * by now (the user made it meanwhile), its files are put in one by one, each only where nothing
   * is (placeChecked); a path that is not a real directory gets none of them.
   */
  function putInPlace(d: string, f: FreshDir): void {
    const tmp = f.tmp!;
    const abs = path.join(o.root, d);
    // the directory made here, empty, is what the rename replaces: one the user made meanwhile
    // keeps its inode and mode (EEXIST), and one they put a file in fails the rename (ENOTEMPTY)
    let bad = firstUnsafeDir(o.root, `${d}/-`);
    if (!bad) {
      let mine = false;
      try {
        mkdirSync(abs);
        mine = true;
      } catch {
        // EEXIST: something is there now
      }
      if (mine) {
        try {
          renameSync(tmp, abs);
          tempDone(tmp);
          for (const p of f.done) res.written.push(p);
          // its files were written in a directory only this restore knew: a later scan need not read them
          const st = lstatSync(abs, { throwIfNoEntry: false });
          if (st?.isDirectory()) res.dirStamps[d] = { t: st.ctimeMs, ino: st.ino };
          return;
        } catch {
          // ENOTEMPTY: a file was put in it meanwhile
        }
      }
      bad = firstUnsafeDir(o.root, `${d}/-`);
    }
    // one by one, each only where nothing is (placeChecked); none through a symlink
    for (const p of f.done) {
      try {
        if (bad) throw new GitreproError('GITREPRO_IO_FAILED', `cannot write ${p}: ${bad} became something other than a directory while the restore ran; it was left as it is`, { hint: `move ${bad} aside, then run \`gitrepro restore\`` });
        placeChecked(path.join(tmp, path.posix.basename(p)), path.join(o.root, p), { absent: true });
        res.written.push(p);
      } catch (e) {
        fail(p, e);
      }
    }
    rmSync(tmp, { recursive: true, force: true });
    tempDone(tmp);
  }

  /**
   * Empties the directory `rel` so that a file can take its place: every regular file in it is
   * made recoverable (rescued when the store lacks it) and removed. Anything else in it (a
   * symlink, a FIFO) is the user's and is not touched: the write then fails, naming the path.
   */
  async function clearDirectory(rel: string): Promise<void> {
    const files = walkAll(path.join(o.root, rel));
    if (files.other.length) throw new GitreproError('GITREPRO_IO_FAILED', `cannot replace the directory ${rel} with a data file: it holds ${files.other[0]} (not a regular file)`, { hint: `move ${rel} aside, then run \`gitrepro restore\`` });
    for (const [sub, st] of files.regular) {
      const p = `${rel}/${sub}`;
      // a killed restore's temp file is gitrepro's, not the user's: removed, not rescued
      if (!isTempLeftover(sub)) await secureFile(p, st);
      await unlink(path.join(o.root, p));
    }
    for (const d of files.dirs.reverse()) await rmdir(path.join(o.root, rel, d));
    await rmdir(path.join(o.root, rel));
  }
}

/** A directory the restore makes whole: written under a temp name beside it, then renamed into place. */
interface FreshDir {
  /** its files not yet answered */
  left: number;
  /** the temp directory, once its first file came */
  tmp?: string;
  /** written after all one by one (it exists by now, or a file of it is written another way) */
  skip?: boolean;
  /** its files written in the temp directory */
  done: string[];
}

/**
 * The directories a restore writing while it fetches can make whole ("a fresh directory is
 * written whole", docs/architecture.md): missing when the restore began, in a directory git
 * ignores whole (as is their parent, where the temp directory goes: a killed restore's leftover
 * never shows in `git status`), holding only files, every one of them arriving from the fetch.
 * A file written there costs an open, a write and a close; the rename and the look before it
 * (two of the five system calls per file) are paid once per directory.
 */
function freshDirs(writes: readonly SnapChange[], pending: { has(sha256: string): boolean }, o: { beside: (relDir: string) => boolean; before: DirPresence }): Map<string, FreshDir> {
  const counts = new Map<string, number>();
  const not = new Set<string>();
  for (const c of writes) {
    const d = parentDir(c.path);
    counts.set(d, (counts.get(d) ?? 0) + 1);
    if (!pending.has(c.entry!.sha256)) not.add(d);
  }
  // a directory holding a directory is not a leaf
  const inner = new Set<string>();
  for (const d of counts.keys()) for (let p = parentDir(d); p !== '.' && p !== '/' && !inner.has(p); p = parentDir(p)) inner.add(p);
  const out = new Map<string, FreshDir>();
  for (const [d, left] of counts) {
    const parent = parentDir(d);
    if (d === '.' || parent === '.' || not.has(d) || inner.has(d) || !o.beside(d) || !o.beside(parent) || o.before.exists(d)) continue;
    out.set(d, { left, done: [] });
  }
  return out;
}

/** Every entry under `dir`: regular files with their stat, directories (parents first), and the rest. */
function walkAll(dir: string): { regular: [string, FileStat][]; dirs: string[]; other: string[] } {
  const out = { regular: [] as [string, FileStat][], dirs: [] as string[], other: [] as string[] };
  const visit = (rel: string): void => {
    for (const d of readdirSync(rel ? path.join(dir, rel) : dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        out.dirs.push(r);
        visit(r);
      } else if (d.isFile()) {
        const st = statPaths(dir, [r]).get(r);
        if (st) out.regular.push([r, st]);
      } else out.other.push(r);
    }
  };
  visit('');
  return out;
}

function wrap(e: unknown, p: string, tree?: string): GitreproError {
  const snapshot = tree ? ` (data snapshot ${tree.slice(0, 12)})` : '';
  if (isGitreproError(e)) {
    // name the path (and the snapshot) that needed the object or the pointer
    if (['GITREPRO_OBJECT_MISSING', 'GITREPRO_OBJECT_CORRUPT', 'GITREPRO_SNAPSHOT_INVALID'].includes(e.code) && !e.message.startsWith(p)) {
      return new GitreproError(e.code, `${p}${snapshot}: ${e.message}`, { hint: e.hint, data: { ...e.data, path: p, tree }, cause: e.cause, exitCode: e.exitCode });
    }
    return e;
  }
  return new GitreproError('GITREPRO_IO_FAILED', `cannot update ${p}: ${(e as Error).message}`, { cause: e });
}

/** Removes now-empty parent directories of `rel` up to (not including) `root`. */
async function pruneEmptyDirs(root: string, rel: string): Promise<void> {
  let dir = path.dirname(rel);
  while (dir && dir !== '.' && dir !== '/') {
    try {
      await rmdir(path.join(root, dir));
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}
