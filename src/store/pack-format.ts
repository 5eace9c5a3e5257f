/**
 * The byte formats of a v2 store remote (docs/spec.md, "Store remote format v2"): pack files,
 * pack indexes and chunk lists. Pure encoders and strict decoders; everything a decoder reads
 * came from a remote, that is from someone else's disk, so every count, offset and length is
 * checked before it is used and anything but the one valid encoding is refused.
 *
 *   pack    "gitrepro.pack/v2\n" then object bytes, back to back (named by its sha256)
 *   index   "gitrepro.idx/v2\n", pack id (32 bytes), pack size (u64), blob count B (u32),
 *           chunked count C (u32), B blob entries {id, offset u64, length u64},
 *           C chunked entries {id, size u64, chunk-list id}; each section sorted by id
 *           (named by its sha256)
 *   chunks  "gitrepro.chunks/v2\n", file size (u64), count N (u32), N {chunk id, length u32}
 *           (a blob of a pack like any other, named by its sha256)
 * Integers are big-endian; ids are raw sha256 digests (32 bytes).
 *
 * Fixed-size entries keep the index a flat table: a reader bounds-checks it from its length
 * alone, and a future gc can tell which pack holds which object from the index only.
 */
export const PACK_MAGIC = Buffer.from('gitrepro.pack/v2\n', 'latin1');
export const INDEX_MAGIC = Buffer.from('gitrepro.idx/v2\n', 'latin1');
export const CHUNKS_MAGIC = Buffer.from('gitrepro.chunks/v2\n', 'latin1');

const INDEX_HEADER = INDEX_MAGIC.length + 32 + 8 + 4 + 4; // 64
const BLOB_ENTRY = 32 + 8 + 8; // 48
const CHUNKED_ENTRY = 32 + 8 + 32; // 72
const CHUNKS_HEADER = CHUNKS_MAGIC.length + 8 + 4; // 31
const CHUNK_ENTRY = 32 + 4; // 36

/** The largest size or offset any format carries (the pointer format's bound). */
export const MAX_SIZE = 2 ** 50;
/** The longest chunk a chunk list may name (a reader holds one chunk in memory at a time). */
export const MAX_CHUNK = 16 << 20;

/** An object stored whole in the pack: bytes [offset, offset + length). */
export interface BlobEntry {
  id: string;
  offset: number;
  length: number;
}

/** A big file stored as chunks: its bytes are the chunks that chunk list `list` names, in order. */
export interface ChunkedEntry {
  id: string;
  size: number;
  list: string;
}

export interface PackIndex {
  pack: string;
  packSize: number;
  blobs: BlobEntry[];
  chunked: ChunkedEntry[];
}

export interface Chunk {
  id: string;
  length: number;
}

export interface ChunkList {
  size: number;
  chunks: Chunk[];
}

/** Why bytes from a remote are not a valid index or chunk list (the caller names the file). */
export class FormatError extends Error {}

const HEX_RE = /^[0-9a-f]{64}$/;

function idBytes(id: string): Buffer {
  if (!HEX_RE.test(id)) throw new Error(`not a sha256 id: ${id.slice(0, 80)}`);
  return Buffer.from(id, 'hex');
}

function writeU64(b: Buffer, v: number, at: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > MAX_SIZE) throw new Error(`value out of range: ${v}`);
  b.writeBigUInt64BE(BigInt(v), at);
}

function readU64(b: Buffer, at: number, what: string): number {
  const v = b.readBigUInt64BE(at);
  if (v > BigInt(MAX_SIZE)) throw new FormatError(`${what} ${v} is larger than 2^50`);
  return Number(v);
}

/** Sorts by id (the byte order of the raw digests is the order of their lowercase hex). */
function byId<T extends { id: string }>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The one encoding of an index: sections sorted by id. Throws on input no reader would accept. */
export function encodeIndex(ix: PackIndex): Buffer {
  const blobs = [...ix.blobs].sort(byId);
  const chunked = [...ix.chunked].sort(byId);
  const out = Buffer.alloc(INDEX_HEADER + BLOB_ENTRY * blobs.length + CHUNKED_ENTRY * chunked.length);
  INDEX_MAGIC.copy(out, 0);
  let at = INDEX_MAGIC.length;
  idBytes(ix.pack).copy(out, at);
  at += 32;
  writeU64(out, ix.packSize, at);
  at += 8;
  out.writeUInt32BE(blobs.length, at);
  out.writeUInt32BE(chunked.length, at + 4);
  at += 8;
  for (const e of blobs) {
    idBytes(e.id).copy(out, at);
    writeU64(out, e.offset, at + 32);
    writeU64(out, e.length, at + 40);
    at += BLOB_ENTRY;
  }
  for (const e of chunked) {
    idBytes(e.id).copy(out, at);
    writeU64(out, e.size, at + 32);
    idBytes(e.list).copy(out, at + 40);
    at += CHUNKED_ENTRY;
  }
  decodeIndex(out); // the writer is held to the reader's rules
  return out;
}

/**
 * Decodes and checks an index (docs/spec.md lists the rules): exact length, magic, every blob
 * inside the pack and after its header, ids unique and sorted, every chunk list a blob of the
 * same index, sizes within 2^50.
 */
export function decodeIndex(b: Buffer): PackIndex {
  if (b.length < INDEX_HEADER) throw new FormatError(`${b.length} bytes: shorter than an index header`);
  if (!b.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) throw new FormatError('does not start with "gitrepro.idx/v2\\n"');
  let at = INDEX_MAGIC.length;
  const pack = b.toString('hex', at, at + 32);
  at += 32;
  const packSize = readU64(b, at, 'pack size');
  at += 8;
  const nb = b.readUInt32BE(at);
  const nc = b.readUInt32BE(at + 4);
  at += 8;
  const want = INDEX_HEADER + BLOB_ENTRY * nb + CHUNKED_ENTRY * nc;
  if (b.length !== want) throw new FormatError(`${b.length} bytes, but ${nb} blob and ${nc} chunked entries take ${want}`);
  if (packSize < PACK_MAGIC.length) throw new FormatError(`pack size ${packSize} is shorter than the pack header`);
  const blobs: BlobEntry[] = new Array(nb);
  const ids = new Set<string>();
  let prev = '';
  for (let i = 0; i < nb; i++, at += BLOB_ENTRY) {
    const id = b.toString('hex', at, at + 32);
    const offset = readU64(b, at + 32, 'offset');
    const length = readU64(b, at + 40, 'length');
    if (id <= prev) throw new FormatError(`blob entries not sorted by id, or repeated (${id.slice(0, 12)})`);
    if (offset < PACK_MAGIC.length || offset + length > packSize) throw new FormatError(`blob ${id.slice(0, 12)} at ${offset}+${length} lies outside the pack's ${packSize} bytes`);
    prev = id;
    ids.add(id);
    blobs[i] = { id, offset, length };
  }
  const chunked: ChunkedEntry[] = new Array(nc);
  prev = '';
  for (let i = 0; i < nc; i++, at += CHUNKED_ENTRY) {
    const id = b.toString('hex', at, at + 32);
    const size = readU64(b, at + 32, 'size');
    const list = b.toString('hex', at + 40, at + 72);
    if (id <= prev) throw new FormatError(`chunked entries not sorted by id, or repeated (${id.slice(0, 12)})`);
    if (ids.has(id)) throw new FormatError(`object ${id.slice(0, 12)} is both a blob and a chunked entry`);
    if (size === 0) throw new FormatError(`chunked entry ${id.slice(0, 12)} has size 0`);
    if (!ids.has(list)) throw new FormatError(`chunked entry ${id.slice(0, 12)}: its chunk list ${list.slice(0, 12)} is not a blob of this index`);
    prev = id;
    chunked[i] = { id, size, list };
  }
  return { pack, packSize, blobs, chunked };
}

/** A u64 of an index that must be ≤ 2^50, read without a BigInt. */
function u50(b: Buffer, at: number, what: string): number {
  const hi = b.readUInt32BE(at);
  const lo = b.readUInt32BE(at + 4);
  if (hi > 2 ** 18 || (hi === 2 ** 18 && lo > 0)) throw new FormatError(`${what} ${b.readBigUInt64BE(at)} is larger than 2^50`);
  return hi * 2 ** 32 + lo;
}

/**
 * An index of whole objects only (a local pack's), searched in place, with decodeIndex's rules
 * applied without decoding entries into strings and objects. `open` checks the header (O(1));
 * an entry is checked when `find` returns it (its offset and length inside the pack), and
 * `checkEntries` checks all of them (order, bounds) for the steps that read every entry. So a
 * step that looks up ten objects does not pay for a store's million: checking every entry of
 * 1,000,000 took 0.19 s of a ten-file checkout, 30 ms of a ten-file `gitrepro add` on W2.
 * A damaged order can only make `find` miss an entry: the object then counts as absent (stored
 * or fetched again), never as other bytes (every object read is re-hashed against its name); an
 * entry outside the pack is left out by `find` and `entries` alike.
 * Throws FormatError where decodeIndex would, and for an index with chunked entries (none is
 * written locally).
 */
export class BlobTable {
  readonly pack: string;
  readonly packSize: number;
  readonly count: number;
  private checked = false;

  private constructor(private readonly b: Buffer) {
    this.pack = b.toString('hex', INDEX_MAGIC.length, INDEX_MAGIC.length + 32);
    this.packSize = u50(b, INDEX_MAGIC.length + 32, 'pack size');
    this.count = b.readUInt32BE(INDEX_MAGIC.length + 40);
  }

  /** The header checked; entries are checked as they are used. */
  static open(b: Buffer): BlobTable {
    if (b.length < INDEX_HEADER) throw new FormatError(`${b.length} bytes: shorter than an index header`);
    if (!b.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) throw new FormatError('does not start with "gitrepro.idx/v2\\n"');
    const t = new BlobTable(b);
    if (b.readUInt32BE(INDEX_MAGIC.length + 44) !== 0) throw new FormatError('chunked entries in an index of whole objects');
    if (b.length !== INDEX_HEADER + BLOB_ENTRY * t.count) throw new FormatError(`${b.length} bytes, but ${t.count} blob entries take ${INDEX_HEADER + BLOB_ENTRY * t.count}`);
    if (t.packSize < PACK_MAGIC.length) throw new FormatError(`pack size ${t.packSize} is shorter than the pack header`);
    return t;
  }

  /** The header and every entry checked. */
  static check(b: Buffer): BlobTable {
    const t = BlobTable.open(b);
    t.checkEntries();
    return t;
  }

  /** Every entry checked: sorted by id without repeats, each inside the pack (once per table). */
  checkEntries(): void {
    if (this.checked) return;
    const b = this.b;
    for (let i = 0, at = INDEX_HEADER; i < this.count; i++, at += BLOB_ENTRY) {
      if (i > 0 && b.compare(b, at - BLOB_ENTRY, at - BLOB_ENTRY + 32, at, at + 32) <= 0) throw new FormatError(`blob entries not sorted by id, or repeated (${b.toString('hex', at, at + 6)})`);
      this.entryAt(at);
    }
    this.checked = true;
  }

  /** Where the object with raw id `id` (32 bytes) lies in the pack, or undefined. */
  find(id: Buffer): { offset: number; length: number } | undefined {
    const b = this.b;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = INDEX_HEADER + mid * BLOB_ENTRY;
      const c = id.compare(b, at, at + 32); // < 0: id sorts before this entry
      if (c === 0) return this.entryAt(at);
      if (c < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return undefined;
  }

  /** The entry at byte `at`, checked to lie inside the pack. */
  private entryAt(at: number): { offset: number; length: number } {
    const b = this.b;
    const offset = u50(b, at + 32, 'offset');
    const length = u50(b, at + 40, 'length');
    if (offset < PACK_MAGIC.length || offset + length > this.packSize) throw new FormatError(`blob ${b.toString('hex', at, at + 6)} at ${offset}+${length} lies outside the pack's ${this.packSize} bytes`);
    return { offset, length };
  }

  /**
   * Every entry that lies inside the pack, decoded; a damaged one is left out, as `find` leaves
   * it out (so a step that switches from lookups in place to the decoded map sees the same
   * objects). `checkEntries` is the strict check.
   */
  *entries(): Generator<BlobEntry> {
    for (let i = 0, at = INDEX_HEADER; i < this.count; i++, at += BLOB_ENTRY) {
      let e;
      try {
        e = this.entryAt(at);
      } catch {
        continue;
      }
      yield { id: this.b.toString('hex', at, at + 32), ...e };
    }
  }
}

export function encodeChunkList(cl: ChunkList): Buffer {
  const out = Buffer.alloc(CHUNKS_HEADER + CHUNK_ENTRY * cl.chunks.length);
  CHUNKS_MAGIC.copy(out, 0);
  let at = CHUNKS_MAGIC.length;
  writeU64(out, cl.size, at);
  out.writeUInt32BE(cl.chunks.length, at + 8);
  at += 12;
  for (const c of cl.chunks) {
    idBytes(c.id).copy(out, at);
    out.writeUInt32BE(c.length, at + 32);
    at += CHUNK_ENTRY;
  }
  decodeChunkList(out);
  return out;
}

/** Decodes and checks a chunk list: exact length, every chunk 1..16 MiB, lengths adding up to the size. */
export function decodeChunkList(b: Buffer): ChunkList {
  if (b.length < CHUNKS_HEADER) throw new FormatError(`${b.length} bytes: shorter than a chunk list header`);
  if (!b.subarray(0, CHUNKS_MAGIC.length).equals(CHUNKS_MAGIC)) throw new FormatError('does not start with "gitrepro.chunks/v2\\n"');
  let at = CHUNKS_MAGIC.length;
  const size = readU64(b, at, 'size');
  const n = b.readUInt32BE(at + 8);
  at += 12;
  if (b.length !== CHUNKS_HEADER + CHUNK_ENTRY * n) throw new FormatError(`${b.length} bytes, but ${n} chunks take ${CHUNKS_HEADER + CHUNK_ENTRY * n}`);
  if (n === 0) throw new FormatError('a chunk list names no chunk');
  const chunks: Chunk[] = new Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++, at += CHUNK_ENTRY) {
    const length = b.readUInt32BE(at + 32);
    if (length === 0 || length > MAX_CHUNK) throw new FormatError(`chunk ${i} has length ${length} (1 to ${MAX_CHUNK})`);
    sum += length;
    chunks[i] = { id: b.toString('hex', at, at + 32), length };
  }
  if (sum !== size) throw new FormatError(`chunk lengths add up to ${sum}, not the file's ${size} bytes`);
  return { size, chunks };
}

/** Where each byte of an index's entries sits, for fixtures and tests. */
export const LAYOUT = { INDEX_HEADER, BLOB_ENTRY, CHUNKED_ENTRY, CHUNKS_HEADER, CHUNK_ENTRY } as const;
