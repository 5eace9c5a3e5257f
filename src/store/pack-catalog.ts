/**
 * What the packs of a v2 remote hold: every index of the remote, loaded and checked, merged
 * into one lookup (object id → where its bytes are).
 *
 * The remote's indexes are found by listing `index/` (no mutable shared file: two clones that
 * push at once each add their own immutable indexes, and neither can lose the other's). Each
 * index is named by the sha256 of its bytes, so a downloaded index is verified against its name
 * and a copy kept in the local index cache (a LocalStore of its own, written through the one
 * receive path) is as good as the remote's: a later fetch downloads only the indexes it has not
 * seen. An index that does not match its name or does not decode is set aside as damaged: its
 * objects look absent, so a push uploads them again, and messages about missing objects name it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isGitreproError } from '../errors.js';
import { trace } from '../trace.js';
import type { LocalStore } from './local.js';
import { decodeIndex, FormatError, type PackIndex } from './pack-format.js';
import { idOfKey, indexKey } from './remote-format.js';
import { transfer } from './retry.js';
import type { RemoteFiles } from './types.js';

/** An index larger than this is refused unread (2.8 million objects; a hostile remote could send gigabytes). */
export const MAX_INDEX = 128 << 20;

export interface BlobLoc {
  pack: string;
  index: string;
  offset: number;
  length: number;
}

export interface ChunkedLoc {
  index: string;
  size: number;
  list: string;
}

export class Catalog {
  readonly indexes = new Map<string, PackIndex>();
  readonly blobs = new Map<string, BlobLoc[]>();
  readonly chunked = new Map<string, ChunkedLoc[]>();
  /** indexes that did not match their name or did not decode: id → why */
  readonly damaged = new Map<string, string>();

  add(id: string, ix: PackIndex): void {
    if (this.indexes.has(id)) return;
    this.indexes.set(id, ix);
    for (const b of ix.blobs) push(this.blobs, b.id, { pack: ix.pack, index: id, offset: b.offset, length: b.length });
    for (const c of ix.chunked) push(this.chunked, c.id, { index: id, size: c.size, list: c.list });
  }

  remove(id: string): void {
    const ix = this.indexes.get(id);
    if (!ix) return;
    this.indexes.delete(id);
    for (const b of ix.blobs) drop(this.blobs, b.id, (l) => l.index === id);
    for (const c of ix.chunked) drop(this.chunked, c.id, (l) => l.index === id);
  }

  /** True when some index holds object `id` (whole, or as a chunked file of `size` bytes). */
  holds(id: string, size?: number): boolean {
    if (size === undefined) return this.blobs.has(id) || this.chunked.has(id);
    return this.blobLocs(id, size).length > 0 || this.chunkedLocs(id, size).length > 0;
  }

  blobLocs(id: string, size?: number): BlobLoc[] {
    const l = this.blobs.get(id) ?? [];
    return size === undefined ? l : l.filter((x) => x.length === size);
  }

  chunkedLocs(id: string, size?: number): ChunkedLoc[] {
    const l = this.chunked.get(id) ?? [];
    return size === undefined ? l : l.filter((x) => x.size === size);
  }

  /** The indexes that name pack `pack`. */
  indexesOfPack(pack: string): string[] {
    return [...this.indexes].filter(([, ix]) => ix.pack === pack).map(([id]) => id);
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

function drop<T>(m: Map<string, T[]>, k: string, gone: (v: T) => boolean): void {
  const l = m.get(k)?.filter((v) => !gone(v));
  if (l && l.length) m.set(k, l);
  else m.delete(k);
}

/**
 * Brings `cat` up to date with the indexes the remote lists: new ones from the local cache when
 * it has them, else downloaded (`jobs` at a time) and verified; indexes no longer listed (a
 * repack removed them) are dropped.
 */
export async function refreshCatalog(cat: Catalog, files: RemoteFiles, o: { jobs: number; cache?: LocalStore }): Promise<void> {
  const listed = new Map<string, number>();
  for (const f of await files.listFiles('index')) {
    const id = idOfKey(f.key, 'index');
    if (id) listed.set(id, f.size);
  }
  for (const id of [...cat.indexes.keys()]) if (!listed.has(id)) cat.remove(id);
  const todo = [...listed].filter(([id]) => !cat.indexes.has(id) && !cat.damaged.has(id));
  if (todo.length === 0) return;
  let fromCache = 0;
  const r = await transfer(
    todo,
    async ([id, size]) => {
      const cached = o.cache ? await readCached(o.cache, id) : undefined;
      if (cached) fromCache++;
      let bytes: Buffer | undefined;
      try {
        bytes = cached ?? (await files.readFile(indexKey(id), Math.min(MAX_INDEX, size >= 0 ? size : MAX_INDEX)));
      } catch (e) {
        // larger than listed or than any index may be, not a regular file: damaged, not fatal
        if (!isGitreproError(e, 'GITREPRO_OBJECT_CORRUPT')) throw e;
        return void cat.damaged.set(id, e.message);
      }
      if (bytes === undefined) return; // removed since the listing (a concurrent repack)
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== id) return void cat.damaged.set(id, `its bytes hash to ${got.slice(0, 12)}`);
      let ix: PackIndex;
      try {
        ix = decodeIndex(bytes);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        return void cat.damaged.set(id, e.message);
      }
      if (!cached && o.cache) await o.cache.receive({ sha256: id, size: bytes.length }, { kind: 'bytes', bytes }).catch(() => {});
      cat.add(id, ix);
    },
    { jobs: o.jobs },
  );
  trace(`pack indexes: ${listed.size} listed, ${todo.length} new (${fromCache} from the local cache), ${cat.damaged.size} damaged`);
  if (r.failed.length) throw r.failed[0]!.error;
}

/** A cached index, re-hashed as it is read (a damaged copy is quarantined and fetched again). */
async function readCached(cache: LocalStore, id: string): Promise<Buffer | undefined> {
  let b: Buffer;
  try {
    b = await readFile(cache.objectPath(id));
  } catch {
    return undefined;
  }
  if (createHash('sha256').update(b).digest('hex') === id) return b;
  await cache.quarantine(id);
  return undefined;
}
