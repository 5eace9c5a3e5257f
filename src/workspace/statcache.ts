/**
 * The per-worktree stat cache (`<git-dir>/gitrepro/statcache.json`): for each data path, the
 * (size, mtime, ctime, inode, exec) it had when hashed and its sha256, plus a memo of the last
 * snapshot tree built from (or restored into) the work tree, so an `add` of 10 changed files
 * never re-reads a 10,000-entry snapshot from git.
 *
 * Racy entries: a file modified within the same timestamp tick as it was hashed would keep its
 * stat; as git does, entries whose mtime is within RACY_MS of the scan are saved as unknown and
 * re-hashed next time. Disposable: a missing or unreadable cache only costs re-hashing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SnapEntry } from '../git/snapshot.js';
import { writeFileAtomic } from './fsutil.js';
import type { FileStat } from './walk.js';

const RACY_MS = 2000;

export function statKey(s: FileStat): string {
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.exec ? 1 : 0}`;
}

interface CacheFile {
  v: 1;
  /** snapshot tree the `snap` memo describes */
  tree?: string;
  snap?: Record<string, [string, number, 0 | 1]>;
  stat: Record<string, [string, string, 0 | 1]>;
  missing?: string[];
}

export class StatCache {
  private stat = new Map<string, { key: string; sha256: string; stored: boolean }>();
  tree?: string;
  snap?: Map<string, SnapEntry>;
  /** paths a restore could not write (object not available): not deletions */
  missing = new Set<string>();
  dirty = false;

  constructor(private file: string) {}

  static async load(stateDir: string): Promise<StatCache> {
    const c = new StatCache(path.join(stateDir, 'statcache.json'));
    try {
      const raw = JSON.parse(await readFile(c.file, 'utf8')) as CacheFile;
      if (raw.v === 1) {
        for (const [p, [k, s, st]] of Object.entries(raw.stat ?? {})) c.stat.set(p, { key: k, sha256: s, stored: st === 1 });
        for (const p of raw.missing ?? []) c.missing.add(p);
        if (raw.tree) c.tree = raw.tree;
        if (raw.tree && raw.snap) c.snap = new Map(Object.entries(raw.snap).map(([p, [s, n, x]]) => [p, { sha256: s, size: n, exec: x === 1 }]));
      }
    } catch {
      /* no cache yet */
    }
    return c;
  }

  /** Known hash of a file whose stat still matches (and whether the store has it), else undefined. */
  lookup(p: string, st: FileStat): { sha256: string; stored: boolean } | undefined {
    const e = this.stat.get(p);
    return e && e.key === statKey(st) ? e : undefined;
  }

  set(p: string, st: FileStat, sha256: string, stored: boolean): void {
    const racy = Math.abs(Date.now() - st.mtimeMs) < RACY_MS;
    this.stat.set(p, { key: racy ? `racy:${statKey(st)}` : statKey(st), sha256, stored });
    this.dirty = true;
  }

  delete(p: string): void {
    if (this.stat.delete(p)) this.dirty = true;
  }

  /** Drops entries for paths not in `keep`. */
  retain(keep: (p: string) => boolean): void {
    for (const p of [...this.stat.keys()]) if (!keep(p)) this.delete(p);
  }

  setMissing(paths: Iterable<string>, replace: boolean): void {
    if (replace) this.missing.clear();
    for (const p of paths) this.missing.add(p);
    this.dirty = true;
  }

  /** Records the snapshot the work tree now matches; `snap` may be unknown (read lazily later). */
  setSnapshot(tree: string, snap: Map<string, SnapEntry> | undefined): void {
    this.tree = tree;
    this.snap = snap;
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    const out: CacheFile = { v: 1, stat: {} };
    for (const [p, e] of this.stat) out.stat[p] = [e.key, e.sha256, e.stored ? 1 : 0];
    if (this.missing.size) out.missing = [...this.missing];
    if (this.tree) out.tree = this.tree;
    if (this.tree && this.snap) {
      out.snap = {};
      for (const [p, e] of this.snap) out.snap[p] = [e.sha256, e.size, e.exec ? 1 : 0];
    }
    // disposable: no fsync (a lost cache only costs re-hashing)
    await writeFileAtomic(this.file, JSON.stringify(out), { durable: false });
    this.dirty = false;
  }
}
