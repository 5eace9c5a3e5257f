/**
 * Scanning the whole work tree: which tracked files exist and their sha256. With `ingest`, new
 * content is copied into the store while it is hashed (one read per file) and committed with
 * one syncfs for the batch. Everyday steps read only what changed instead (changes.ts).
 */
import path from 'node:path';
import type { SnapEntry } from '../git/snapshot.js';
import { hashFile, type HashResult } from '../store/hash.js';
import { LOCAL_PACK_MIN, type HashedSink, type LocalStore, type StagedObject } from '../store/local.js';
import { mapLimit } from '../concurrency.js';
import { walkTracked, type FileStat, type Matcher } from './walk.js';
import { trace } from '../trace.js';

/** Files up to this size go into local packs when a scan stores many (store/local-packs.ts). */
const PACKED_INGEST_MAX = 1 << 20;

export interface ScannedFile extends SnapEntry {
  stat: FileStat;
}

export interface ScanResult {
  files: Map<string, ScannedFile>;
  skipped: { path: string; why: string }[];
  hashed: number;
  hashedBytes: number;
  added: number;
}

/** Small files are cheap per byte but costly per call: keep more of them in flight. */
const JOBS = 16;

/**
 * Stores many small files of `todo` (work-tree relative) as local packs, not one object file
 * each (store/local-packs.ts): when at least LOCAL_PACK_MIN of them are PACKED_INGEST_MAX or
 * smaller (a first recording). Returns their hashes, how many objects were new, and the files
 * left to the caller's one-by-one path (the big ones, and any that changed while read).
 */
export async function ingestSmallPacked(root: string, todo: [string, FileStat][], store: LocalStore, pointers?: HashedSink): Promise<{ hashed: Map<string, HashResult>; added: number; rest: [string, FileStat][] }> {
  const small = todo.filter(([, st]) => st.size <= PACKED_INGEST_MAX);
  if (small.length < LOCAL_PACK_MIN) return { hashed: new Map(), added: 0, rest: todo };
  // packed in path order, the snapshot's order: a push or a restore then reads each pack front
  // to back (in the walk's readdir order, W2's push read every pack window 7 times)
  small.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const rel = new Map(small.map(([p]) => [path.join(root, p), p]));
  const r = await store.ingestPacked(small.map(([p, st]) => ({ path: path.join(root, p), size: st.size })), pointers);
  const hashed = new Map<string, HashResult>();
  for (const [abs, h] of r.hashed) hashed.set(rel.get(abs)!, h);
  const again = new Set(r.fallback.map((abs) => rel.get(abs)!));
  return { hashed, added: r.added, rest: todo.filter(([p, st]) => st.size > PACKED_INGEST_MAX || again.has(p)) };
}

/**
 * Reads every tracked file of the work tree (the full scan: a first recording, or no usable
 * stamp; changes.ts reads only what changed). With `ingest`, new content is stored as it is read.
 */
export async function scanWorkTree(
  root: string,
  matcher: Matcher,
  opts: { store: LocalStore; ingest: boolean; only?: (p: string) => boolean },
): Promise<ScanResult> {
  const walk = walkTracked(root, matcher);
  trace(`walked: ${walk.files.size} files`);
  const files = new Map<string, ScannedFile>();
  const todo: [string, FileStat][] = [];
  for (const [p, st] of walk.files) if (!opts.only || opts.only(p)) todo.push([p, st]);
  let hashedBytes = 0;
  const staged: StagedObject[] = [];
  const packed = opts.ingest ? await ingestSmallPacked(root, todo, opts.store) : { hashed: new Map<string, HashResult>(), added: 0, rest: todo };
  for (const [p, h] of packed.hashed) {
    const st = walk.files.get(p)!;
    files.set(p, { sha256: h.sha256, size: h.size, exec: st.exec, stat: st });
    hashedBytes += h.size;
  }
  const packedAdded = packed.added;
  const rest = packed.rest;
  // big files first: they dominate wall time, and overlap best with the many small ones
  rest.sort((a, b) => b[1].size - a[1].size);
  await mapLimit(rest, JOBS, async ([p, st]) => {
    const abs = path.join(root, p);
    if (opts.ingest) {
      const s = await opts.store.stage(abs);
      staged.push(s);
      files.set(p, { sha256: s.sha256, size: s.size, exec: st.exec, stat: st });
      hashedBytes += s.size;
    } else {
      const h = await hashFile(abs);
      files.set(p, { sha256: h.sha256, size: h.size, exec: st.exec, stat: st });
      hashedBytes += h.size;
    }
  });
  trace(`hashed ${todo.length} file(s)`);
  const added = opts.ingest ? packedAdded + (await opts.store.commitStaged(staged, true)) : 0;
  return { files, skipped: walk.skipped, hashed: todo.length, hashedBytes, added };
}
