/**
 * Applying snapshot changes to the work tree. Only the changed paths are touched. Before a file
 * is replaced or deleted, its content is stored if the store lacks it (never lose unsaved work),
 * and each such rescue is journaled. Every write is atomic (temp in the same dir, rename) and
 * re-hashed from the store as it is copied. Paths are re-validated and never written through a
 * symlinked directory.
 */
import { lstatSync } from 'node:fs';
import { mkdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError, isGitreproError } from '../errors.js';
import type { SnapChange } from '../git/snapshot.js';
import { unsafePathReason } from '../record/rules.js';
import { hashFile } from '../store/hash.js';
import type { LocalStore } from '../store/local.js';
import { mapLimit } from '../concurrency.js';
import { appendRescue, type RescueEntry } from './rescue.js';
import type { StatCache } from './statcache.js';
import { statPaths } from './walk.js';

export interface MaterializeResult {
  written: string[];
  removed: string[];
  unchanged: string[];
  rescued: RescueEntry[];
  missing: { path: string; sha256: string }[];
  failed: { path: string; error: GitreproError }[];
}

export interface MaterializeOptions {
  root: string;
  store: LocalStore;
  cache: StatCache;
  /** shared state dir (rescue journal) */
  sharedDir: string;
  reason: string;
}

/** Refuses a path whose parent chain holds a symlink or a non-directory (writing would leave the tree). */
function parentsSafe(root: string, rel: string, checked: Map<string, boolean>): boolean {
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
        ok = true; // does not exist yet: mkdir will create a real directory
      }
      checked.set(cur, ok);
    }
    if (!ok) return false;
  }
  return true;
}

export async function materialize(changes: SnapChange[], o: MaterializeOptions): Promise<MaterializeResult> {
  const res: MaterializeResult = { written: [], removed: [], unchanged: [], rescued: [], missing: [], failed: [] };
  const checked = new Map<string, boolean>();
  const stats = statPaths(o.root, changes.map((c) => c.path));
  const now = new Date().toISOString();

  /** Makes sure the current content of `rel` is recoverable; returns its sha256 (or undefined when absent). */
  const secure = async (rel: string): Promise<string | undefined> => {
    const st = stats.get(rel);
    if (!st) return undefined;
    const hit = o.cache.lookup(rel, st);
    if (hit?.stored) return hit.sha256;
    const sha = hit?.sha256 ?? (await hashFile(path.join(o.root, rel))).sha256;
    if (!(await o.store.has(sha))) {
      const r = await o.store.ingestFile(path.join(o.root, rel));
      const e: RescueEntry = { at: now, path: rel, sha256: r.sha256, size: r.size, exec: st.exec, worktree: o.root, reason: o.reason };
      await appendRescue(o.sharedDir, e);
      res.rescued.push(e);
      return r.sha256;
    }
    return sha;
  };

  const valid = changes.filter((c) => {
    const why = unsafePathReason(c.path);
    if (!why && parentsSafe(o.root, c.path, checked)) return true;
    res.failed.push({ path: c.path, error: new GitreproError('GITREPRO_UNSAFE_PATH', `refusing to write ${JSON.stringify(c.path)}: ${why ?? 'a parent directory is a symlink or a file'}`) });
    return false;
  });

  // deletions first, so a file that becomes a directory (or back) has room
  for (const c of valid.filter((c) => !c.entry)) {
    try {
      if (!stats.get(c.path)) continue;
      await secure(c.path);
      await unlink(path.join(o.root, c.path));
      o.cache.delete(c.path);
      await pruneEmptyDirs(o.root, c.path);
      res.removed.push(c.path);
    } catch (e) {
      res.failed.push({ path: c.path, error: wrap(e, c.path) });
    }
  }

  const writes = valid.filter((c) => c.entry);
  const made = new Set<string>(); // one mkdir per directory, not per file (100,000 files of W2)
  await mapLimit(writes, 8, async (c) => {
    const entry = c.entry!;
    try {
      const cur = await secure(c.path);
      const st = stats.get(c.path);
      if (cur === entry.sha256 && st && st.exec === entry.exec) {
        res.unchanged.push(c.path);
        return;
      }
      if (!(await o.store.has(entry.sha256))) {
        res.missing.push({ path: c.path, sha256: entry.sha256 });
        return;
      }
      const abs = path.join(o.root, c.path);
      if (!made.has(path.dirname(abs))) {
        await mkdir(path.dirname(abs), { recursive: true });
        made.add(path.dirname(abs));
      }
      await o.store.copyOut(entry, abs, entry.exec ? 0o755 : 0o644);
      const after = statPaths(o.root, [c.path]).get(c.path);
      if (after) o.cache.set(c.path, after, entry.sha256, true);
      res.written.push(c.path);
    } catch (e) {
      res.failed.push({ path: c.path, error: wrap(e, c.path) });
    }
  });
  return res;
}

function wrap(e: unknown, p: string): GitreproError {
  if (isGitreproError(e)) return e;
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
