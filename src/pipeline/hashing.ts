/**
 * Hashing deps and outs of stages: a file by its bytes (the store's sha256), a directory by its
 * manifest digest (manifest.ts). Tracked files unchanged since the last scan are not re-read
 * (tracked data usually is in it); within one Hasher, a file is read at most once per stat.
 */
import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { hashFile } from '../store/hash.js';
import type { StampedHashes } from '../workspace/changes.js';
import type { FileStat } from '../workspace/walk.js';
import { manifestDigest, type ManifestEntry } from './manifest.js';

export interface HashedFile {
  sha256: string;
  size: number;
  exec: boolean;
  stat: FileStat;
}

export interface PathState {
  kind: 'file' | 'dir';
  /** file: sha256 of the bytes; dir: manifest digest */
  sha256: string;
  /** files, keyed relative to the path itself ('' for a file) */
  files: Map<string, HashedFile>;
}

function toStat(st: Stats): FileStat {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, exec: (st.mode & 0o100) !== 0 };
}

export class Hasher {
  private memo = new Map<string, { key: string; sha256: string }>();

  /** @param known the hashes of tracked files unchanged since the last scan (workspace/changes.ts) */
  constructor(
    readonly root: string,
    private known?: StampedHashes,
  ) {}

  /**
   * State of `rel` (repo-relative), or undefined when absent. `follow`: a symlink at `rel` itself
   * is followed (a dep may point at a dataset elsewhere); outs must be real files/directories.
   */
  async hash(rel: string, follow = false): Promise<PathState | undefined> {
    const abs = path.join(this.root, rel);
    let st: Stats;
    try {
      st = follow ? statSync(abs) : lstatSync(abs);
    } catch {
      return undefined;
    }
    if (st.isFile()) {
      const f = await this.file(rel, abs, toStat(st));
      return { kind: 'file', sha256: f.sha256, files: new Map([['', f]]) };
    }
    if (!st.isDirectory()) return undefined;
    const files = new Map<string, HashedFile>();
    for (const [sub, fst] of listFiles(abs)) files.set(sub, await this.file(`${rel}/${sub}`, path.join(abs, sub), fst));
    const entries: ManifestEntry[] = [...files].map(([p, f]) => ({ path: p, sha256: f.sha256 }));
    return { kind: 'dir', sha256: manifestDigest(entries), files };
  }

  private async file(rel: string, abs: string, st: FileStat): Promise<HashedFile> {
    const key = `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
    const known = this.memo.get(rel);
    let sha256 = known?.key === key ? known.sha256 : await this.known?.get(rel, st);
    if (!sha256) {
      // `hash` decided whether a link at the top may be followed; entries below it are regular files
      sha256 = (await hashFile(abs, { follow: true })).sha256;
      this.memo.set(rel, { key, sha256 });
    }
    return { sha256, size: st.size, exec: st.exec, stat: st };
  }
}

/** Regular files under `dir` (relative, '/'-separated), skipping `.git` and symlinks. */
export function listFiles(dir: string): [string, FileStat][] {
  const out: [string, FileStat][] = [];
  const visit = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(rel ? path.join(dir, rel) : dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) {
      if (d.name.toLowerCase() === '.git' || /[\0\n\r]/.test(d.name)) continue;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) visit(r);
      else if (d.isFile()) {
        const st = lstatSync(path.join(dir, r), { throwIfNoEntry: false });
        if (st) out.push([r, toStat(st)]);
      }
    }
  };
  visit('');
  return out;
}
