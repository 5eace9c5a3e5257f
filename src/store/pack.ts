/**
 * Building packs and planning reads from them (format v2, docs/spec.md).
 *
 * A PackBuilder collects objects in memory until the pack reaches PACK_TARGET, then yields the
 * pack's bytes, its index and both names (sha256 of their bytes). Packs of ~32 MiB: one PUT
 * (or a 4-part multipart upload) moves ~8,000 objects of 4 KiB, where format v1 made a request
 * per object; a few packs are built and uploaded at once, so memory stays near
 * (PACKS_IN_FLIGHT + 1) × 32 MiB whatever the size of the push.
 *
 * Reads are planned per pack: wanted objects sorted by offset, neighbours closer than READ_GAP
 * merged into one ranged read of at most READ_MAX bytes (the skipped gap costs less than a
 * request: ~4-50 ms per request against ~1 ms per 256 KiB on loopback).
 */
import { createHash } from 'node:crypto';
import { sharedBuffer } from './hash-thread.js';
import { sha256Hex } from './receive.js';
import { encodeIndex, PACK_MAGIC, type BlobEntry, type ChunkedEntry, type PackIndex } from './pack-format.js';
import type { ObjectRef } from './types.js';

const MiB = 1 << 20;
export const PACK_TARGET = 32 * MiB;
/** objects above this size are chunked (store/chunker.ts); smaller ones go into packs whole */
export const CHUNK_THRESHOLD = 8 * MiB;
export const READ_GAP = 256 << 10;
export const READ_MAX = 16 * MiB;
/**
 * The longest blob a reader takes into memory: writers put objects up to CHUNK_THRESHOLD and
 * chunk lists (36 bytes per chunk: 64 MiB describe a ~110 GiB file) into packs; an index that
 * claims a longer blob is hostile or broken, and must not make a reader allocate it.
 */
export const MAX_BLOB = 64 * MiB;
export const PACKS_IN_FLIGHT = 4;

export interface BuiltPack {
  pack: Buffer;
  packId: string;
  index: Buffer;
  indexId: string;
  ix: PackIndex;
}

/**
 * Pack buffers given back once their pack is published, for the next packs: a fresh 40 MiB
 * buffer costs a page fault per 4 KiB on first touch and pushes V8 into full collections
 * (W2's push: 1.6 s of GC and 0.8 s of faulting copies in 13 packs). They are shared memory, so
 * that a PackHasher's thread reads them without a copy (store/hash-thread.ts).
 */
const spare: Buffer[] = [];
const SPARE_MAX = PACKS_IN_FLIGHT + 1;

export class PackBuilder {
  /** one buffer per pack: objects are read straight into it (no buffer per object, no concat) */
  private buf: Buffer = spare.pop() ?? sharedBuffer(PACK_TARGET + CHUNK_THRESHOLD);
  private ids = new Set<string>();
  readonly blobs: BlobEntry[] = [];
  /**
   * Blobs whose bytes were copied in without a check (a local pack's copy, read in bulk): the
   * caller must check them (hashing them on another thread) before the pack is finished, and
   * drop or replace those that do not match. Keyed by id; `redo` reads a good copy into the slot.
   */
  readonly unchecked = new Map<string, { offset: number; length: number; redo: (slot: Buffer) => void }>();
  readonly chunked: ChunkedEntry[] = [];
  /** the objects this pack completes (reported done once its index is published) */
  readonly refs: ObjectRef[] = [];
  size = PACK_MAGIC.copy(this.buf, 0);
  /** bytes of the objects it completes (progress) */
  bytes = 0;

  get empty(): boolean {
    return this.blobs.length === 0 && this.chunked.length === 0;
  }

  /** True when `n` more bytes fit (objects up to CHUNK_THRESHOLD always fit below PACK_TARGET). */
  fits(n: number): boolean {
    return this.size + n <= this.buf.length;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Appends blob `id`: `fill` writes its bytes into the slot given (which must then hash to
   * `id`: the caller checks, throwing leaves the pack as it was). Grows the buffer for an
   * object that does not fit (a chunk list of a huge file).
   */
  addWith(id: string, length: number, fill: (slot: Buffer) => void): number {
    if (this.ids.has(id)) return -1;
    if (!this.fits(length)) {
      const bigger = Buffer.allocUnsafe(this.size + length);
      this.buf.copy(bigger, 0, 0, this.size);
      this.buf = bigger;
    }
    const slot = this.buf.subarray(this.size, this.size + length);
    fill(slot);
    this.ids.add(id);
    this.blobs.push({ id, offset: this.size, length });
    this.size += length;
    return this.size - length;
  }

  /** The buffer the pack is built in: its bytes are [0, size) (for a PackHasher). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** The bytes of a blob of this pack. */
  slot(e: { offset: number; length: number }): Buffer {
    return this.buf.subarray(e.offset, e.offset + e.length);
  }

  /**
   * Takes blobs `drop` out of the pack (their bytes failed their check and no good copy was
   * found): the others move down, and the refs of the dropped objects leave `refs`.
   */
  drop(drop: ReadonlySet<string>): void {
    let at = PACK_MAGIC.length;
    const keep: BlobEntry[] = [];
    for (const e of this.blobs) {
      if (drop.has(e.id)) {
        this.ids.delete(e.id);
        this.unchecked.delete(e.id);
        continue;
      }
      if (e.offset !== at) this.buf.copyWithin(at, e.offset, e.offset + e.length);
      const u = this.unchecked.get(e.id);
      if (u) u.offset = at;
      keep.push({ id: e.id, offset: at, length: e.length });
      at += e.length;
    }
    this.blobs.splice(0, this.blobs.length, ...keep);
    this.size = at;
    const refs = this.refs.filter((r) => !drop.has(r.sha256));
    for (const r of this.refs) if (drop.has(r.sha256)) this.bytes -= r.size;
    this.refs.splice(0, this.refs.length, ...refs);
  }

  /**
   * Gives the buffer back for the next pack: once nothing reads the pack's bytes any more (it is
   * published, or failed). The builder must not be used after.
   */
  release(): void {
    if (this.buf.length === PACK_TARGET + CHUNK_THRESHOLD && this.buf.buffer instanceof SharedArrayBuffer && spare.length < SPARE_MAX) spare.push(this.buf);
    this.buf = Buffer.alloc(0);
  }

  add(id: string, bytes: Uint8Array): void {
    this.addWith(id, bytes.length, (slot) => slot.set(bytes));
  }

  /** The pack and its index; `packId`: the sha256 of the pack's bytes when the caller has it. */
  finish(packId?: string): BuiltPack {
    if (this.unchecked.size) throw new Error(`unreachable: ${this.unchecked.size} object(s) of a pack left unchecked`);
    const pack = this.buf.subarray(0, this.size);
    packId ??= sha256Hex(pack);
    const ix: PackIndex = { pack: packId, packSize: this.size, blobs: this.blobs, chunked: this.chunked };
    const index = encodeIndex(ix);
    return { pack, packId, index, indexId: createHash('sha256').update(index).digest('hex'), ix };
  }
}

export interface Wanted<T> {
  offset: number;
  length: number;
  item: T;
}

export interface RangeRead<T> {
  pack: string;
  offset: number;
  length: number;
  items: Wanted<T>[];
}

/** Coalesced reads of one pack: sorted by offset, neighbours within `gap` merged up to `max` bytes. */
export function planReads<T>(pack: string, wanted: Wanted<T>[], gap = READ_GAP, max = READ_MAX): RangeRead<T>[] {
  const sorted = [...wanted].sort((a, b) => a.offset - b.offset);
  const out: RangeRead<T>[] = [];
  let cur: RangeRead<T> | undefined;
  for (const w of sorted) {
    const end = w.offset + w.length;
    if (cur && w.offset >= cur.offset && w.offset - (cur.offset + cur.length) <= gap && Math.max(end, cur.offset + cur.length) - cur.offset <= max) {
      cur.length = Math.max(end, cur.offset + cur.length) - cur.offset;
      cur.items.push(w);
    } else {
      cur = { pack, offset: w.offset, length: w.length, items: [w] };
      out.push(cur);
    }
  }
  return out;
}
