/**
 * The per-worktree stat cache (`<git-dir>/gitrepro/statcache`): for each data path, the
 * (size, mtime, ctime, inode, exec) it had when hashed and its sha256, plus a memo of the last
 * snapshot tree built from (or restored into) the work tree, so an `add` of 10 changed files
 * never re-reads a 10,000-entry snapshot from git.
 *
 * Racy entries: a file modified within the same timestamp tick as it was hashed would keep its
 * stat; as git does, entries whose mtime is that close to the scan are saved as unknown and
 * re-hashed next time. Disposable: a missing or unreadable cache only costs re-hashing.
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SnapEntry } from '../git/snapshot.js';
import { writeFileAtomic } from '../fs/atomic.js';
import type { FileStat } from './walk.js';

/**
 * How recent an mtime must be to be racy: a file changed again within the same kernel tick
 * (coarse clock, ~4 ms here) keeps its mtime. 100 ms on filesystems with sub-second timestamps,
 * 2 s where mtimes are whole seconds.
 */
function racyWindow(mtimeMs: number): number {
  return mtimeMs % 1000 === 0 ? 2000 : 100;
}

const HEADER = 'gitrepro statcache v2';

/**
 * The one parser of `F` and `S` lines: `<kind> <a>\t<b>\t<flag>\t<path>` (F: a = stat key,
 * b = sha256, flag = stored; S: a = sha256, b = size, flag = exec). The path is last and may
 * hold tabs. Undefined for a torn line.
 */
function parseEntry(line: string): { a: string; b: string; flag: boolean; path: string } | undefined {
  const a = line.indexOf('\t', 2);
  const b = line.indexOf('\t', a + 1);
  const d = line.indexOf('\t', b + 1);
  if (a < 0 || b < 0 || d < 0) return undefined;
  return { a: line.slice(2, a), b: line.slice(a + 1, b), flag: line.charCodeAt(b + 1) === 49, path: line.slice(d + 1) };
}

export function statKey(s: FileStat): string {
  return `${s.size}:${s.mtimeMs}:${s.ctimeMs}:${s.ino}:${s.exec ? 1 : 0}`;
}

export class StatCache {
  private stat = new Map<string, { key: string; sha256: string; stored: boolean }>();
  tree?: string;
  snap?: Map<string, SnapEntry>;
  /** paths a restore could not write (object not available): not deletions */
  missing = new Set<string>();
  dirty = false;
  /** lazy mode (hooks): the file's text, searched per path; changes are appended as deltas */
  private text?: string;
  private memoValid = false;
  private delta: string[] = [];
  /** the file must be rewritten whole (a new memo, many removals, or no file yet) */
  private rewrite = false;
  private fileLength = 0;

  constructor(private file: string) {}

  /**
   * Line format (a header, then lines replayed in order; the path is always last and may hold
   * tabs, never newlines):
   *   T <tree>                                  the snapshot the work tree was synced to
   *   F <statkey>\t<sha256>\t<stored>\t<path>   a hashed file      f <path>  forget it
   *   S <sha256>\t<size>\t<exec>\t<path>        memo entry         s <path>  drop it
   *   SV / SX                                   the memo is valid for T / unknown
   *   M <path> / m <path> / MC                  missing (never restored) paths
   * `save` rewrites it compacted; hooks `open` it lazily and append deltas, so a checkout of 10
   * files costs a file read and a few searches, not a parse of 10,000 entries (measured: ~30 ms).
   */
  static async load(stateDir: string): Promise<StatCache> {
    const c = new StatCache(path.join(stateDir, 'statcache'));
    const text = await readFile(c.file, 'utf8').catch(() => '');
    c.fileLength = text.length;
    if (!text.startsWith(HEADER)) {
      c.rewrite = true;
      return c;
    }
    let snap: Map<string, SnapEntry> | undefined;
    const lines = text.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i];
      const kind = l.charCodeAt(0);
      if ((kind === 70 /* F */ || kind === 83) /* S */ && l.charCodeAt(1) === 32) {
        const e = parseEntry(l);
        if (!e) continue;
        if (kind === 70) c.stat.set(e.path, { key: e.a, sha256: e.b, stored: e.flag });
        else (snap ??= new Map()).set(e.path, { sha256: e.a, size: Number(e.b), exec: e.flag });
      } else if (l.startsWith('f ')) c.stat.delete(l.slice(2));
      else if (l.startsWith('s ')) snap?.delete(l.slice(2));
      else if (l === 'SV') c.memoValid = true;
      else if (l === 'SX') {
        c.memoValid = false;
        snap = undefined;
      } else if (l.startsWith('T')) c.tree = l.slice(2) || undefined;
      else if (l === 'MC') c.missing.clear();
      else if (l.startsWith('M ')) c.missing.add(l.slice(2));
      else if (l.startsWith('m ')) c.missing.delete(l.slice(2));
    }
    if (c.tree && c.memoValid) c.snap = snap ?? new Map();
    return c;
  }

  /** Lazy mode for hooks: no parse; `lookup` searches the text, changes are appended by `save`. */
  static async open(stateDir: string): Promise<StatCache> {
    const c = new StatCache(path.join(stateDir, 'statcache'));
    const text = await readFile(c.file, 'utf8').catch(() => '');
    // a big file (many appended deltas) is compacted by a full load instead
    if (!text.startsWith(HEADER) || text.length > (8 << 20)) return StatCache.load(stateDir);
    c.text = text;
    const t = text.lastIndexOf('\nT');
    if (t >= 0) c.tree = text.slice(t + 3, text.indexOf('\n', t + 1)) || undefined;
    c.memoValid = text.lastIndexOf('\nSV\n') > text.lastIndexOf('\nSX\n');
    if (text.includes('\nM') || text.includes('\nm ')) for (const m of text.matchAll(/^(M|m) (.*)$|^MC$/gm)) {
      if (m[0] === 'MC') c.missing.clear();
      else if (m[1] === 'M') c.missing.add(m[2]);
      else c.missing.delete(m[2]);
    }
    return c;
  }

  /** The last F (or f) line for `p` in lazy mode. */
  private findStat(p: string): { key: string; sha256: string; stored: boolean } | undefined {
    const text = this.text!;
    const gone = text.lastIndexOf(`\nf ${p}\n`);
    let at = text.length;
    for (;;) {
      const idx = text.lastIndexOf(`\t${p}\n`, at - 1);
      if (idx < 0 || idx < gone) return undefined;
      const start = text.lastIndexOf('\n', idx) + 1;
      const line = text.slice(start, idx + p.length + 1);
      at = idx;
      if (!line.startsWith('F ')) continue;
      const e = parseEntry(line);
      if (!e || e.path !== p) continue;
      return { key: e.a, sha256: e.b, stored: e.flag };
    }
  }

  /** Known hash of a file whose stat still matches (and whether the store has it), else undefined. */
  lookup(p: string, st: FileStat): { sha256: string; stored: boolean } | undefined {
    const e = this.stat.get(p) ?? (this.text !== undefined && !this.delta.includes(`f ${p}`) ? this.findStat(p) : undefined);
    return e && e.key === statKey(st) ? e : undefined;
  }

  set(p: string, st: FileStat, sha256: string, stored: boolean): void {
    const racy = Math.abs(Date.now() - st.mtimeMs) < racyWindow(st.mtimeMs);
    const e = { key: racy ? `racy:${statKey(st)}` : statKey(st), sha256, stored };
    this.stat.set(p, e);
    this.delta.push(`F ${e.key}\t${sha256}\t${stored ? 1 : 0}\t${p}`);
    this.dirty = true;
  }

  delete(p: string): void {
    const had = this.stat.delete(p);
    if (had || this.text !== undefined) {
      this.delta.push(`f ${p}`);
      this.dirty = true;
    }
  }

  /** Drops entries for paths not in `keep` (full mode). */
  retain(keep: (p: string) => boolean): void {
    for (const p of [...this.stat.keys()]) if (!keep(p)) this.delete(p);
  }

  setMissing(paths: Iterable<string>, replace: boolean): void {
    if (replace) {
      if (this.missing.size || this.text !== undefined) this.delta.push('MC');
      this.missing.clear();
    }
    for (const p of paths) {
      this.missing.add(p);
      this.delta.push(`M ${p}`);
    }
    if (this.delta.length) this.dirty = true;
  }

  unsetMissing(p: string): void {
    if (this.missing.delete(p)) {
      this.delta.push(`m ${p}`);
      this.dirty = true;
    }
  }

  /** Records the snapshot the work tree now matches; `snap` may be unknown (read lazily later). */
  setSnapshot(tree: string, snap: Map<string, SnapEntry> | undefined): void {
    this.tree = tree;
    this.snap = snap;
    this.memoValid = snap !== undefined;
    this.dirty = true;
    if (this.text !== undefined) this.delta.push(`T ${tree}`, 'SX'); // lazy mode holds no memo to write
    else this.rewrite = true;
  }

  /** Lazy mode: moves the memo from `tree` to `newTree` by the changes between them. */
  applySnapshotChanges(newTree: string, changes: { path: string; entry?: SnapEntry }[]): void {
    this.dirty = true;
    this.tree = newTree;
    this.delta.push(`T ${newTree}`);
    const kept = this.text === undefined ? this.snap !== undefined : this.memoValid;
    if (!kept) {
      this.delta.push('SX'); // no memo to move: say so, or a replay would pair old entries with the new tree
      return;
    }
    if (this.snap) for (const c of changes) c.entry ? this.snap.set(c.path, c.entry) : this.snap.delete(c.path);
    for (const c of changes) this.delta.push(c.entry ? `S ${c.entry.sha256}\t${c.entry.size}\t${c.entry.exec ? 1 : 0}\t${c.path}` : `s ${c.path}`);
    this.delta.push('SV');
  }

  /** True when this cache holds the memo in memory (full mode) or keeps it valid by deltas (lazy). */
  get hasMemo(): boolean {
    return this.text === undefined ? this.snap !== undefined : this.memoValid;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    // few changes: append them (one write; a torn append only costs re-hashing, since every
    // entry is checked against the file's stat) instead of rewriting 10,000 entries
    const append = this.text !== undefined || (!this.rewrite && this.delta.length < 2000 && this.fileLength < 8 << 20);
    if (append) {
      if (this.delta.length) await appendFile(this.file, `${this.delta.join('\n')}\n`);
      this.delta = [];
      this.dirty = false;
      return;
    }
    const out: string[] = [HEADER];
    out.push(`T ${this.tree ?? ''}`);
    for (const p of this.missing) out.push(`M ${p}`);
    for (const [p, e] of this.stat) out.push(`F ${e.key}\t${e.sha256}\t${e.stored ? 1 : 0}\t${p}`);
    if (this.tree && this.snap) {
      for (const [p, e] of this.snap) out.push(`S ${e.sha256}\t${e.size}\t${e.exec ? 1 : 0}\t${p}`);
      out.push('SV');
    }
    out.push('');
    // disposable: no fsync (a lost cache only costs re-hashing)
    const text = out.join('\n');
    await writeFileAtomic(this.file, text, { durable: false });
    this.fileLength = text.length;
    this.delta = [];
    this.rewrite = false;
    this.dirty = false;
  }
}
