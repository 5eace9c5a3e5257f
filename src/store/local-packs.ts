/**
 * Packs in the local store: `<base>/packs/<id>.pack` and `<id>.idx`, the v2 formats of a store
 * remote (store/pack-format.ts, docs/spec.md), holding whole objects only.
 *
 * Why: a fetch of many small objects wrote one file per object in a 65,536-way fan-out before
 * the work tree got its own copy; on W2 (100,000 × 4 KiB) those 100,000 files and ~56,000
 * directories were a third of a clone (docs/benchmarks.md). A batch of objects received together
 * now becomes one pack and one index, written sequentially.
 *
 * Rules:
 *   - an object enters a pack only after its bytes hashed to its name (as a loose one does);
 *   - a pack is published by renaming the pack first and its index last, after both are fsynced: an
 *     index names a complete, durable pack; a pack without an index is ignored;
 *   - every read re-hashes the bytes it returns (the caller does, as for loose objects);
 *   - a pack holding a corrupt object is moved to quarantine whole, index first: what it held is
 *     then missing, and `gitrepro fetch` downloads it again;
 *   - a damaged index (any byte the strict decoder refuses, or a pack of another size) makes its
 *     pack invisible, never misread.
 * Loose objects win over packed ones: every lookup tries the loose path first.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { lutimes, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { syncDir, tempDone, tempPath } from '../fs/atomic.js';
import { BlobTable, encodeIndex, PACK_MAGIC, type BlobEntry } from './pack-format.js';
import { sha256Hex } from './receive.js';
import type { ObjectRef, Sha256 } from './types.js';

export interface PackedLoc {
  pack: string;
  offset: number;
  length: number;
}

const IDX_RE = /^([0-9a-f]{64})\.idx$/;
const WINDOW = 1 << 20;
/** lookups searched in place before every entry goes into a map (see find) */
const BULK_LOOKUPS = 2_000;

export class LocalPacks {
  readonly dir: string;
  /** the indexes, headers checked, not decoded: a few lookups search them in place */
  private tables?: { id: string; t: BlobTable }[];
  /** every packed object, built once a step looks up more than BULK_LOOKUPS of them */
  private map?: Map<Sha256, PackedLoc>;
  private lookups = 0;
  private fds = new Map<string, number>();
  /**
   * The last window read ahead in each pack read from (as many as open packs): a restore or a
   * push reads a pack's small objects mostly in order, but in snapshot order, which interleaves
   * the packs (W2's push with one window for all packs read 6,000 windows for 390 MiB).
   */
  private windows = new Map<string, { start: number; buf: Buffer }>();

  constructor(base: string, private readonly tmpDir: string) {
    this.dir = path.join(base, 'packs');
  }

  packPath(id: string): string {
    return path.join(this.dir, `${id}.pack`);
  }

  indexPath(id: string): string {
    return path.join(this.dir, `${id}.idx`);
  }

  /**
   * Where object `sha` sits in a local pack, or undefined. The first lookups of a process search
   * the checked indexes in place (a checkout of ten files in a store of 1,000,000 objects); past
   * BULK_LOOKUPS, every entry goes into one map (a restore or push of many).
   */
  find(sha: Sha256): PackedLoc | undefined {
    if (this.map) return this.map.get(sha);
    const tables = this.loadTables();
    if (tables.length === 0) return undefined;
    if (++this.lookups > BULK_LOOKUPS) return this.load().get(sha);
    const raw = Buffer.from(sha, 'hex');
    if (raw.length !== 32) return undefined;
    for (const { id, t } of tables) {
      let e;
      try {
        e = t.find(raw);
      } catch {
        continue; // a damaged entry: not a copy of the object (another pack's, or a fetch, serves)
      }
      if (e) return { pack: id, offset: e.offset, length: e.length };
    }
    return undefined;
  }

  /** True when the store has at least one pack (cheap: one readdir, no index read). */
  any(): boolean {
    if (this.tables) return this.tables.length > 0;
    return readdirQuiet(this.dir).some((n) => IDX_RE.test(n));
  }

  /**
   * The objects pack `id` holds, read from its index entry by entry (not by search: an index
   * whose order is damaged still gives every entry that lies inside the pack). For gc, before
   * the pack goes.
   */
  packEntries(id: string): Map<Sha256, PackedLoc> {
    const out = new Map<Sha256, PackedLoc>();
    const t = this.loadTables().find((x) => x.id === id)?.t;
    for (const b of t?.entries() ?? []) if (!out.has(b.id)) out.set(b.id, { pack: id, offset: b.offset, length: b.length });
    return out;
  }

  /** Every packed object with its pack's mtime. */
  entries(): { sha256: Sha256; size: number; mtime: number; pack: string }[] {
    const mtimes = new Map<string, number>();
    const out: { sha256: Sha256; size: number; mtime: number; pack: string }[] = [];
    for (const [sha, loc] of this.load()) {
      let m = mtimes.get(loc.pack);
      if (m === undefined) mtimes.set(loc.pack, (m = lstatSync(this.packPath(loc.pack), { throwIfNoEntry: false })?.mtimeMs ?? 0));
      out.push({ sha256: sha, size: loc.length, mtime: m, pack: loc.pack });
    }
    return out;
  }

  /**
   * The bytes of a packed object as stored (unchecked: the caller hashes them). A small object
   * is served from a 1 MiB window read ahead from it: W2's restore read 100,000 objects of 4 KiB
   * in 100,000 `pread`s. Each window is a new buffer: what was returned stays valid.
   */
  read(loc: PackedLoc): Buffer {
    const w = this.windows.get(loc.pack);
    if (w && loc.offset >= w.start && loc.offset + loc.length <= w.start + w.buf.length) return w.buf.subarray(loc.offset - w.start, loc.offset - w.start + loc.length);
    if (loc.length > WINDOW / 4) return this.pread(loc.pack, loc.offset, loc.length);
    // windows are aligned: objects read a little out of order still fall in the same one
    const start = loc.offset - (loc.offset % WINDOW);
    const buf = this.pread(loc.pack, start, Math.max(WINDOW, loc.offset + loc.length - start));
    this.windows.set(loc.pack, { start, buf });
    return buf.subarray(loc.offset - start, Math.min(loc.offset - start + loc.length, buf.length));
  }

  /** Up to `length` bytes at `offset` of pack `id` (fewer at its end). */
  private pread(id: string, offset: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const got = this.preadInto(id, offset, buf);
    return got === length ? buf : buf.subarray(0, got);
  }

  /**
   * Reads the bytes at `offset` of pack `id` into `into` (all of it but at the pack's end) and
   * returns how many were read. Unchecked: a push reads a run of neighbouring objects with one
   * call, straight into its pack buffer, and hashes each object after (remote-packed.ts).
   */
  preadInto(id: string, offset: number, into: Uint8Array): number {
    let fd = this.fds.get(id);
    if (fd === undefined) {
      if (this.fds.size >= 32) this.close();
      fd = openSync(this.packPath(id), constants.O_RDONLY | constants.O_NOFOLLOW);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new Error(`pack ${id.slice(0, 12)} is not a regular file`);
      }
      this.fds.set(id, fd);
    }
    let got = 0;
    while (got < into.length) {
      const n = readSync(fd, into, got, into.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /**
   * Writes checked objects as one pack and its index (the caller hashed each against its
   * name). Both are fsynced before they are renamed into place, pack first.
   */
  async write(items: { ref: ObjectRef; bytes: Buffer }[], packId?: string): Promise<void> {
    const seen = new Set<string>();
    const parts: Buffer[] = [PACK_MAGIC];
    const blobs: BlobEntry[] = [];
    let at = PACK_MAGIC.length;
    for (const { ref, bytes } of items) {
      if (seen.has(ref.sha256)) continue;
      seen.add(ref.sha256);
      parts.push(bytes);
      blobs.push({ id: ref.sha256, offset: at, length: bytes.length });
      at += bytes.length;
    }
    if (blobs.length === 0) return;
    // named by its sha256, as a remote's pack is; written from the received buffers (no copy);
    // `packId`: that hash, when the caller computed it over the same bytes (store/hash-thread.ts)
    if (packId === undefined) {
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      packId = h.digest('hex');
    }
    await this.publish(parts, packId, at, blobs);
  }

  /**
   * Writes a pack laid out by the caller in one buffer (`pack`: PACK_MAGIC, then the objects
   * `blobs` place, each checked against its name, distinct) and its index. The buffer may be
   * reused once this returns. `packId`: the pack's sha256, when the caller computed it over the
   * same bytes (store/hash-thread.ts).
   */
  async writeLaidOut(pack: Buffer, blobs: BlobEntry[], packId?: string): Promise<void> {
    if (blobs.length === 0) return;
    await this.publish([pack], packId ?? sha256Hex(pack), pack.length, blobs);
  }

  private async publish(parts: Buffer[], id: string, size: number, blobs: BlobEntry[]): Promise<void> {
    const index = encodeIndex({ pack: id, packSize: size, blobs, chunked: [] });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.dir, { recursive: true });
    // written on the thread pool: an ingest reads the next pack's files meanwhile
    const tp = await writeTemp(this.tmpDir, parts);
    const ti = await writeTemp(this.tmpDir, [index]).catch((e: unknown) => {
      unlinkQuiet(tp);
      tempDone(tp);
      throw e;
    });
    try {
      renameSync(tp, this.packPath(id));
      renameSync(ti, this.indexPath(id));
      await syncDir(this.dir);
    } catch (e) {
      for (const t of [tp, ti]) unlinkQuiet(t);
      throw e;
    } finally {
      tempDone(tp);
      tempDone(ti);
    }
    // the newest copy serves (an object stored again because its old copy was damaged)
    if (this.tables && !this.tables.some((x) => x.id === id)) this.tables.unshift({ id, t: BlobTable.check(index) });
    if (this.map) for (const b of blobs) this.map.set(b.id, { pack: id, offset: b.offset, length: b.length });
  }

  /** Moves pack `id` and its index to `dest` (index first: the pack stops being read at once). */
  quarantine(id: string, destDir: string, stamp: number): string | undefined {
    this.forget(id);
    let moved: string | undefined;
    for (const [from, ext] of [[this.indexPath(id), 'idx'], [this.packPath(id), 'pack']] as const) {
      try {
        const to = path.join(destDir, `${id}.${stamp}.${ext}`);
        renameSync(from, to);
        moved ??= to;
      } catch {
        // already gone
      }
    }
    return moved;
  }

  /** Removes pack `id` (index first) if its pack file is older than `cutoffMs`; returns whether it went. */
  removeIfOlder(id: string, cutoffMs: number): boolean {
    const st = lstatSync(this.packPath(id), { throwIfNoEntry: false });
    if (!st?.isFile() || st.mtimeMs >= cutoffMs) return false;
    this.forget(id);
    unlinkQuiet(this.indexPath(id));
    unlinkQuiet(this.packPath(id));
    return true;
  }

  /** Marks pack `id` as just used (gc's grace period counts from here). */
  async freshen(id: string): Promise<void> {
    const now = new Date();
    await lutimes(this.packPath(id), now, now).catch(() => {});
  }

  close(): void {
    for (const fd of this.fds.values()) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
    this.fds.clear();
    this.windows.clear();
  }

  private forget(id: string): void {
    this.windows.delete(id);
    const fd = this.fds.get(id);
    if (fd !== undefined) {
      this.fds.delete(id);
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
    // read the indexes again at the next lookup: another pack may hold what this one held
    this.map = undefined;
    this.tables = undefined;
    this.lookups = 0;
  }

  /** Every packed object (the first copy in search order), decoded once. */
  private load(): Map<Sha256, PackedLoc> {
    if (this.map) return this.map;
    const map = new Map<Sha256, PackedLoc>();
    // entries outside their pack are left out, as lookups in place leave them out
    for (const { id, t } of this.loadTables()) for (const b of t.entries()) if (!map.has(b.id)) map.set(b.id, { pack: id, offset: b.offset, length: b.length });
    this.map = map;
    return map;
  }

  /**
   * The indexes whose header passes the check and whose pack is a regular file of their pack
   * size. Their entries are checked as they are used (BlobTable): a lookup of ten objects does
   * not check a million entries.
   */
  private loadTables(): { id: string; t: BlobTable }[] {
    if (this.tables) return this.tables;
    const tables: { id: string; t: BlobTable }[] = [];
    for (const name of readdirQuiet(this.dir).sort()) {
      const m = IDX_RE.exec(name);
      if (!m) continue;
      const id = m[1]!;
      try {
        const st = lstatSync(this.indexPath(id));
        if (!st.isFile() || st.size > 256 << 20) continue;
        const t = BlobTable.open(readFileSync(this.indexPath(id)));
        const ps = lstatSync(this.packPath(id), { throwIfNoEntry: false });
        if (t.pack !== id || !ps?.isFile() || ps.size !== t.packSize) continue;
        tables.push({ id, t });
      } catch {
        // a damaged index hides its pack: its objects count as missing, and a fetch brings them again
      }
    }
    this.tables = tables;
    return tables;
  }
}

async function writeTemp(dir: string, parts: Buffer[]): Promise<string> {
  const tmp = tempPath(dir, 'pack');
  const fh = await open(tmp, 'wx', 0o444);
  try {
    // up to 1,024 buffers per writev (IOV_MAX); a short write is finished piece by piece
    for (let i = 0; i < parts.length; i += 1024) {
      const batch = parts.slice(i, i + 1024);
      let done = (await fh.writev(batch)).bytesWritten;
      for (const b of batch) {
        if (done >= b.length) {
          done -= b.length;
          continue;
        }
        for (let off = done; off < b.length; ) off += (await fh.write(b, off)).bytesWritten;
        done = 0;
      }
    }
    // durable before it is renamed into place (an fsync per file: `sync -f` costs a process
    // start, 14 ms of the main thread per pack)
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    unlinkQuiet(tmp);
    tempDone(tmp);
    throw e;
  }
  await fh.close();
  return tmp;
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {
    // gone already
  }
}

function readdirQuiet(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
