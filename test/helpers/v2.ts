/**
 * Looking into a v2 store remote on disk (docs/spec.md, "Store remote format v2"), independently
 * of the code under test: which files it holds, and whether it is consistent (every index named
 * by its hash and naming a whole pack, every entry's bytes hashing to its id, every chunked file's
 * chunks published).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeChunkList, decodeIndex, type PackIndex } from '../../src/store/pack-format.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function ls(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Total bytes of the pack and index files of a directory remote. */
export function v2Bytes(store: string): number {
  let n = 0;
  for (const d of ['packs', 'index']) for (const f of ls(path.join(store, d))) n += statSync(path.join(store, d, f)).size;
  return n;
}

export interface V2Report {
  indexes: number;
  packs: number;
  /** packs that no index names (what a killed push may leave: garbage, never visible) */
  orphanPacks: number;
  /** every object id some index makes visible (blobs and chunked files) */
  objects: Set<string>;
  chunkedFiles: Set<string>;
  problems: string[];
}

/** Checks every rule a reader relies on; `problems` is empty for a consistent remote. */
export function checkV2(store: string): V2Report {
  const problems: string[] = [];
  const indexes = new Map<string, PackIndex>();
  for (const f of ls(path.join(store, 'index'))) {
    const b = readFileSync(path.join(store, 'index', f));
    if (`${sha(b)}.idx` !== f) problems.push(`index ${f}: named for other bytes`);
    try {
      indexes.set(f, decodeIndex(b));
    } catch (e) {
      problems.push(`index ${f}: ${(e as Error).message}`);
    }
  }
  const blobs = new Set<string>();
  const named = new Set<string>();
  for (const [f, ix] of indexes) {
    named.add(`${ix.pack}.pack`);
    const p = path.join(store, 'packs', `${ix.pack}.pack`);
    if (!existsSync(p)) {
      problems.push(`index ${f}: its pack ${ix.pack.slice(0, 12)} is missing`);
      continue;
    }
    const pack = readFileSync(p);
    if (sha(pack) !== ix.pack || pack.length !== ix.packSize) problems.push(`pack ${ix.pack.slice(0, 12)}: not whole`);
    for (const b of ix.blobs) {
      if (sha(pack.subarray(b.offset, b.offset + b.length)) !== b.id) problems.push(`blob ${b.id.slice(0, 12)} in ${ix.pack.slice(0, 12)}: wrong bytes`);
      blobs.add(b.id);
    }
  }
  const objects = new Set(blobs);
  const chunkedFiles = new Set<string>();
  for (const [, ix] of indexes) {
    const pack = readFileSync(path.join(store, 'packs', `${ix.pack}.pack`));
    for (const c of ix.chunked) {
      const lb = ix.blobs.find((b) => b.id === c.list)!;
      const list = decodeChunkList(pack.subarray(lb.offset, lb.offset + lb.length));
      const missing = list.chunks.filter((k) => !blobs.has(k.id));
      if (missing.length) problems.push(`chunked file ${c.id.slice(0, 12)}: ${missing.length} chunk(s) in no index`);
      objects.add(c.id);
      chunkedFiles.add(c.id);
    }
  }
  const packs = ls(path.join(store, 'packs'));
  return { indexes: indexes.size, packs: packs.length, orphanPacks: packs.filter((p) => !named.has(p)).length, objects, chunkedFiles, problems };
}
