/**
 * The local content-addressed object store: `<root>/<aa>/<bb>/<sha256>`, read-only files.
 *
 * The store owns every byte it keeps: each write goes through receive.ts (temp file in `<tmp>`,
 * sha256 and size computed or checked as the bytes are written, rename into place), by one of
 * two doors:
 *   - ingest (`stage` + `commitStaged`, `ingestFile`): work-tree files, named by their hash;
 *     durable per batch (one syncfs: measured here, fsync per 16 KiB file costs 0.2 ms, +2 s on
 *     W1's 10,000 files, one `sync -f` 14 ms);
 *   - `receive`: an object from a remote, checked against the id it was asked for.
 * An object that already exists is checked (regular file, right size, right hash) before it is
 * trusted in place of the new copy; a damaged one is moved to quarantine and replaced.
 * Reads: every restore re-hashes the bytes it copies; a mismatch quarantines the object and fails.
 */
import { lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { lstat, lutimes, mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../concurrency.js';
import { syncFs, tempDone, tempPath } from '../fs/atomic.js';
import { errnoOf, isMissing } from '../fs/errno.js';
import { placeChecked, type DestStat } from '../fs/write-thread.js';
import { GitreproError } from '../errors.js';
import { trace } from '../trace.js';
import { isLocalFs, makeDirs } from './fsfast.js';
import { type HashResult } from './hash.js';
import { PackHasher, sharedBuffer } from './hash-thread.js';
import { LocalPacks, type PackedLoc } from './local-packs.js';
import { PACK_TARGET } from './pack.js';
import { PACK_MAGIC, type BlobEntry } from './pack-format.js';
import { commitStaged, commitStagedSync, discardSource, hashSource, openSource, readFileInto, receive, sha256Hex, SourceRefused, stageBytesSync, stageSource, type ByteSource, type Staged } from './receive.js';
import type { ObjectRef, Sha256 } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;

/**
 * A batch of received objects at least this long becomes one local pack (store/local-packs.ts)
 * instead of loose files: a range read of a big fetch; the few objects of a checkout stay loose.
 */
export const LOCAL_PACK_MIN = 64;

/**
 * Hashes received batches and names ingested packs on a second thread (store/hash-thread.ts), one
 * for the process: started on the first big batch, idle (and not keeping the process alive)
 * between batches.
 */
const storeHasher = new PackHasher();

export type StagedObject = Staged;

/**
 * Takes each object a big ingest hashes, as it is hashed (git/snapshot.ts PointerBlobs: its
 * pointer blob is written while the rest is read); `want` says whether a read of n files is big
 * enough.
 */
export interface HashedSink {
  want(n: number): boolean;
  add(ref: ObjectRef): void;
}

export class LocalStore {
  readonly root: string;
  readonly tmpDir: string;
  readonly quarantineDir: string;
  /** objects received in bulk, kept as packs (loose objects win where both exist) */
  readonly packs: LocalPacks;
  private dirsMade = new Set<string>();

  /** @param base the gitrepro state dir (`<git-common-dir>/gitrepro`) or a shared cache dir */
  constructor(base: string) {
    this.root = path.join(base, 'objects');
    this.tmpDir = path.join(base, 'tmp');
    this.quarantineDir = path.join(base, 'quarantine');
    this.packs = new LocalPacks(base, this.tmpDir);
  }

  objectPath(sha: Sha256): string {
    if (!SHA_RE.test(sha)) throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `not a sha256 object id: ${sha.slice(0, 80)}`);
    return path.join(this.root, sha.slice(0, 2), sha.slice(2, 4), sha);
  }

  /** True when the store holds the object as a regular file (its bytes are checked when read). */
  async has(sha: Sha256): Promise<boolean> {
    // packs first: a map lookup, where a loose miss is a failed lstat (100,000 of them in a clone)
    if (this.packs.find(sha)) return true;
    try {
      if (this.local ? lstatSync(this.objectPath(sha), { throwIfNoEntry: false })?.isFile() : (await lstat(this.objectPath(sha))).isFile()) return true;
    } catch {
      // not loose
    }
    return false;
  }

  /**
   * The objects of `shas` the store lacks. Looks at the store's top-level fan-out once: an
   * object whose `aa/` directory is not there is missing without an lstat of its own (a fresh
   * clone's 100,000 objects cost 100,000 failed lstats before, ~0.8 s). Read at the call: a
   * directory made later only makes an object look missing (fetched again, harmlessly).
   */
  async missing(shas: Iterable<Sha256>): Promise<Set<Sha256>> {
    const top = new Set(this.local ? readdirSyncSafe(this.root) : await readdirSafe(this.root));
    const out = new Set<Sha256>();
    for (const sha of shas) {
      if (out.has(sha) || this.packs.find(sha)) continue;
      if (!SHA_RE.test(sha) || !top.has(sha.slice(0, 2)) || !(await this.has(sha))) out.add(sha);
    }
    return out;
  }

  /** True when object `sha` is a loose file (not only in a pack). */
  hasLoose(sha: Sha256): boolean {
    return lstatSync(this.objectPath(sha), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  /**
   * The path of object `sha` as a loose file, for readers that need a file (push, bundles, run
   * outputs, metrics): an object held only in a pack is first written out loose, checked
   * against its name. An object the store lacks gives its would-be path (the read then fails
   * as missing).
   */
  async loosePath(sha: Sha256, at?: PackedLoc): Promise<string> {
    const p = this.objectPath(sha);
    if (this.hasLoose(sha)) return p;
    const loc = at ?? this.packs.find(sha);
    if (!loc) return p;
    const bytes = this.packs.read(loc);
    const ref = { sha256: sha, size: loc.length };
    // the damaged copy's own pack goes to quarantine (a search could name another one)
    if (bytes.length !== loc.length || sha256Hex(bytes) !== sha) throw await this.corruptObject(ref, { sha256: sha256Hex(bytes), size: bytes.length }, undefined, loc.pack);
    await this.ensureDir(this.tmpDir);
    await this.ensureDir(path.dirname(p));
    const s = stageBytesSync(bytes, ref, this.tmpDir, 0o444);
    commitStagedSync(s, p, false);
    return p;
  }

  /** loosePath for many objects; a no-op (no stat per object) when the store has no pack. */
  async ensureLoose(shas: Iterable<Sha256>): Promise<void> {
    if (!this.packs.any()) return;
    for (const sha of shas) if (!this.hasLoose(sha) && this.packs.find(sha)) await this.loosePath(sha);
  }

  /**
   * Copies the bytes of packed object `sha` into `slot` (its size) and returns true; false when
   * the object is not in a local pack. Unchecked: the caller hashes what it reads.
   */
  readPackedInto(sha: Sha256, slot: Buffer): boolean {
    const loc = this.packs.find(sha);
    if (!loc || loc.length !== slot.length) return false;
    const b = this.packs.read(loc);
    b.copy(slot, 0, 0, Math.min(b.length, slot.length));
    if (b.length < slot.length) slot.fill(0, b.length); // a short pack: the hash check refuses it
    return true;
  }

  /** The bytes of a packed object, checked against `ref`; undefined when it is not packed. */
  private readPacked(ref: ObjectRef): { loc: PackedLoc; bytes: Buffer; ok: boolean } | undefined {
    const loc = this.packs.find(ref.sha256);
    if (!loc) return undefined;
    const bytes = this.packs.read(loc);
    return { loc, bytes, ok: bytes.length === ref.size && sha256Hex(bytes) === ref.sha256 };
  }

  /** Size of a stored object, or undefined when absent. */
  async sizeOf(sha: Sha256): Promise<number | undefined> {
    try {
      const st = await lstat(this.objectPath(sha));
      if (st.isFile()) return st.size;
    } catch {
      // not loose
    }
    return this.packs.find(sha)?.length;
  }

  async ensureDir(dir: string): Promise<void> {
    if (this.dirsMade.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.dirsMade.add(dir);
  }

  /** A fresh temp path in the store's tmp dir (same filesystem as the objects). */
  async tempPath(tag = 'obj'): Promise<string> {
    await this.ensureDir(this.tmpDir);
    return tempPath(this.tmpDir, tag);
  }

  /** Gets ready to receive many objects: the tmp dir and their fan-out dirs, made in parallel. */
  async prepare(refs: ObjectRef[]): Promise<void> {
    const absent: string[] = [];
    for (const r of refs) absent.push(path.dirname(this.objectPath(r.sha256)));
    await makeDirs([this.tmpDir, ...absent], this.dirsMade);
  }

  /** Copies the work-tree file `src` into a temp file while hashing it. The caller commits or discards it. */
  async stage(src: string): Promise<StagedObject> {
    await this.ensureDir(this.tmpDir);
    return stageSource(await openSource(src), this.tmpDir, { mode: 0o444, durable: false });
  }

  /**
   * Moves staged temps into place. With `durable`, data is flushed first: one syncfs for the
   * whole batch. Returns how many objects were new.
   */
  async commitStaged(staged: StagedObject[], durable = true): Promise<number> {
    if (staged.length === 0) return 0;
    if (durable) await syncFs(this.tmpDir);
    // fan-out dirs first (W1 has ~9,600 of them for 10,000 objects), then the renames, many in
    // flight: done one object at a time this loop cost as much as hashing and copying (measured)
    await mapLimit(staged, 16, (s) => this.ensureDir(path.dirname(this.objectPath(s.sha256))));
    let added = 0;
    const seen = new Set<string>();
    await mapLimit(staged, 16, async (s) => {
      // the same content twice in one batch: keep one
      const dup = seen.has(s.sha256);
      seen.add(s.sha256);
      if (dup) return void (await unlink(s.tmp).catch(() => {}));
      if (await this.commit(s)) added++;
    });
    return added;
  }

  /**
   * Puts one staged object in place unless an intact copy is there already (true: it was new).
   * A copy that is not a regular file of the right bytes is quarantined and replaced.
   */
  private async commit(s: Staged): Promise<boolean> {
    const dest = this.objectPath(s.sha256);
    if (await this.intact({ sha256: s.sha256, size: s.size })) {
      await unlink(s.tmp).catch(() => {});
      await this.freshen(s.sha256);
      return false;
    }
    await this.quarantine(s.sha256);
    await commitStaged(s, dest, false);
    return true;
  }

  /**
   * Stages object `ref` from `src` in tmp/ (hashing as it writes, at most `ref.size` bytes read),
   * for a later `commitStaged`: bytes that do not match `ref` are removed at once and fail with
   * `corrupt`'s error. An import that must write nothing unless everything checks stages every
   * object first (gitrepro bundle import), then commits or `discard`s the lot.
   */
  async stageChecked(ref: ObjectRef, src: ByteSource, corrupt: (got: { sha256: string; size: number }) => Error): Promise<StagedObject> {
    await this.ensureDir(this.tmpDir);
    // bytes in memory in synchronous calls: thread-pool round trips cost more than small writes
    const s = src.kind === 'bytes' ? stageBytesSync(src.bytes, ref, this.tmpDir, 0o444) : await stageSource(src, this.tmpDir, { mode: 0o444, durable: false, limit: ref.size + 1 });
    if (!s.tmp) throw corrupt(s);
    if (s.sha256 !== ref.sha256 || s.size !== ref.size) {
      await rm(s.tmp, { force: true });
      throw corrupt(s);
    }
    return s;
  }

  /**
   * Commits objects staged by `stageChecked` (their bytes were checked against their names):
   * one syncfs for the batch, the fan-out dirs made in parallel, then synchronous renames, as
   * `receiveBatch` does. Rename replaces whatever is there: a damaged copy is repaired, an intact
   * one replaced by the same bytes, a link or a FIFO replaced (never followed); a directory, which
   * rename cannot replace, is moved to quarantine first. W1's 10,000 objects: about 1 s, against
   * 3.8 s through `commitStaged`'s per-object existence check (measured on this machine, loaded).
   * On a failure the temps not yet committed are removed.
   */
  async commitChecked(staged: StagedObject[]): Promise<void> {
    if (staged.length === 0) return;
    let i = 0;
    try {
      await syncFs(this.tmpDir);
      await makeDirs(staged.map((x) => path.dirname(this.objectPath(x.sha256))), this.dirsMade);
      for (; i < staged.length; i++) {
        const x = staged[i]!;
        try {
          renameSync(x.tmp, this.objectPath(x.sha256));
        } catch (e) {
          if (!['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(errnoOf(e) ?? '')) throw e;
          await this.quarantine(x.sha256); // a directory where the object goes: no object of ours
          renameSync(x.tmp, this.objectPath(x.sha256));
        }
        tempDone(x.tmp);
      }
    } catch (e) {
      await this.discard(staged.slice(i));
      for (const x of staged.slice(i)) tempDone(x.tmp);
      throw e;
    }
  }

  /** Removes staged temps that will not be committed. */
  async discard(staged: StagedObject[]): Promise<void> {
    await mapLimit(staged, 16, (s) => rm(s.tmp, { force: true }));
  }

  /** True when the store holds `ref` as a regular file with exactly its bytes. */
  async intact(ref: ObjectRef): Promise<boolean> {
    try {
      const got = await hashSource(await openSource(this.objectPath(ref.sha256), { size: ref.size }));
      return got.sha256 === ref.sha256 && got.size === ref.size;
    } catch (e) {
      if (e instanceof SourceRefused && e.reason === 'missing') return this.packedIntact(ref);
      if (e instanceof SourceRefused || isMissing(e)) return false;
      throw e;
    }
  }

  private packedIntact(ref: ObjectRef): boolean {
    try {
      return this.readPacked(ref)?.ok ?? false;
    } catch {
      return false;
    }
  }

  /** Ingests one file durably (fsync), returning its hash; the store keeps an existing intact object. */
  async ingestFile(src: string): Promise<HashResult & { added: boolean }> {
    const s = await this.stage(src);
    const added = await this.commitStaged([s], true);
    return { sha256: s.sha256, size: s.size, added: added === 1 };
  }

  /**
   * Receives object `ref` from `src` (a remote's `open`): staged in tmp/, checked against `ref`,
   * fsynced, renamed into place. Bytes that do not match fail with the source's own error.
   */
  async receive(ref: ObjectRef, src: ByteSource, o: { onBytes?: (n: number) => void; link?: boolean } = {}): Promise<void> {
    await this.ensureDir(this.tmpDir);
    const dest = this.objectPath(ref.sha256);
    await this.ensureDir(path.dirname(dest));
    if ((this.local ? lstatSync(dest, { throwIfNoEntry: false }) !== undefined : await this.has(ref.sha256)) || this.packs.find(ref.sha256)) {
      if (await this.intact(ref)) {
        await discardSource(src);
        await this.freshen(ref.sha256);
        return;
      }
      if (this.hasLoose(ref.sha256) || lstatSync(dest, { throwIfNoEntry: false })) await this.quarantine(ref.sha256);
    }
    await receive(src, ref, dest, { tmpDir: this.tmpDir, mode: 0o444, durable: true, onBytes: o.onBytes, link: o.link });
  }

  /**
   * Receives many objects held in memory (the ranges of a pack): each is checked against its
   * ref and staged in tmp/ (receive.ts), then the batch is made durable with one syncfs and
   * renamed into place: an fsync per object would cost more than the transfer (0.2 ms per
   * object measured here). Objects whose bytes do not match fail with `corrupt`'s error; the
   * others are stored.
   */
  async receiveBatch(items: { ref: ObjectRef; bytes: Buffer }[], corrupt: (ref: ObjectRef, got: { sha256: string; size: number }) => Error): Promise<{ ok: ObjectRef[]; failed: { ref: ObjectRef; error: Error }[] }> {
    if (items.length >= LOCAL_PACK_MIN) return this.receivePack(items, corrupt);
    await this.ensureDir(this.tmpDir);
    const failed: { ref: ObjectRef; error: Error }[] = [];
    const ok: ObjectRef[] = [];
    const staged: { s: Staged; ref: ObjectRef }[] = [];
    for (const { ref, bytes } of items) {
      // created read-only (0o444 under any usual umask): no chmod call per object
      const s = stageBytesSync(bytes, ref, this.tmpDir, 0o444);
      if (!s.tmp) failed.push({ ref, error: corrupt(ref, s) });
      else staged.push({ s, ref });
    }
    if (staged.length === 0) return { ok, failed };
    await syncFs(this.tmpDir);
    await makeDirs(staged.map((x) => path.dirname(this.objectPath(x.ref.sha256))), this.dirsMade);
    // rename replaces whatever is there: the bytes were just checked against the name, so an
    // intact copy is replaced by the same bytes and a damaged one repaired (a link in a directory
    // remote keeps its own inode)
    for (const { s, ref } of staged) {
      renameSync(s.tmp, this.objectPath(ref.sha256));
      ok.push(ref);
    }
    return { ok, failed };
  }

  /**
   * Ingests many small work-tree files into local packs (of about PACK_TARGET bytes each, one
   * syncfs per pack) instead of one object file each: a first recording of W2's 100,000 files
   * made 100,000 object files and ~51,000 fan-out directories. Each file is read whole (its
   * size as walked; a file that changed size, or is no longer a regular file, is left to the
   * caller in `fallback`), hashed, and packed unless the store holds it intact already (then it
   * is marked as used, as an ingest marks an existing object).
   */
  async ingestPacked(files: { path: string; size: number }[], pointers?: HashedSink): Promise<{ hashed: Map<string, HashResult>; added: number; fallback: string[] }> {
    const sink = pointers?.want(files.length) ? pointers : undefined;
    const hashed = new Map<string, HashResult>();
    const fallback: string[] = [];
    const seen = new Set<string>();
    const top = new Set(readdirSyncSafe(this.root));
    // files are read straight into a pack's buffer: no buffer per file (W2's 100,000
    // allocations and the collections after them cost 2 s). A full buffer is named (each file's
    // sha256 and the pack's) on the hashing thread and then written (on the thread pool) while
    // the next one is read: two buffers, in shared memory.
    const most = files.reduce((m, f) => Math.max(m, f.size), 0);
    const size = Math.min(PACK_TARGET, files.reduce((n, f) => n + f.size, 0)) + most + PACK_MAGIC.length;
    const bufs = [sharedBuffer(size)];
    let buf = bufs[0]!;
    let at = PACK_MAGIC.copy(buf, 0);
    let spans: { path: string; offset: number; length: number }[] = [];
    let added = 0;
    let settling: Promise<void> | undefined;
    let failed: { e: unknown } | undefined;
    // a pack's objects in read order: named, each stored unless held already (its bytes then
    // dropped from the buffer), then the pack written (its name from the thread when no byte moved)
    const settle = async (b: Buffer, end: number, sp: typeof spans): Promise<void> => {
      const names = await storeHasher.name(b, end, sp);
      const blobs: BlobEntry[] = [];
      let to = PACK_MAGIC.length;
      for (let i = 0; i < sp.length; i++) {
        const s = sp[i]!;
        const ref = { sha256: names.ids[i]!, size: s.length };
        hashed.set(s.path, ref);
        sink?.add(ref);
        if (seen.has(ref.sha256)) continue;
        seen.add(ref.sha256);
        if (this.packs.find(ref.sha256) || (top.has(ref.sha256.slice(0, 2)) && this.hasLoose(ref.sha256))) {
          if (await this.intact(ref)) {
            await this.freshen(ref.sha256);
            continue;
          }
          if (this.hasLoose(ref.sha256)) await this.quarantine(ref.sha256);
        }
        if (s.offset !== to) b.copyWithin(to, s.offset, s.offset + s.length);
        blobs.push({ id: ref.sha256, offset: to, length: s.length });
        to += s.length;
      }
      await this.packs.writeLaidOut(b.subarray(0, to), blobs, to === end ? names.packId : undefined);
      added += blobs.length;
    };
    const handOver = async (): Promise<void> => {
      await settling; // the other buffer is free once its pack is written
      if (failed) throw failed.e;
      settling = settle(buf, at, spans).catch((e: unknown) => void (failed ??= { e }));
      buf = bufs.find((b) => b !== buf) ?? bufs[bufs.push(sharedBuffer(size)) - 1]!;
      spans = [];
      at = PACK_MAGIC.copy(buf, 0);
    };
    let sinceYield = 0;
    try {
      for (const f of files) {
        // reads are synchronous: let the pack being named and written move on now and then
        if (settling && (sinceYield += f.size + 4096) >= 4 << 20) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const slot = buf.subarray(at, at + f.size);
        try {
          readFileInto(f.path, slot);
        } catch (e) {
          if (!(e instanceof SourceRefused)) throw e;
          fallback.push(f.path);
          continue;
        }
        spans.push({ path: f.path, offset: at, length: f.size });
        at += f.size;
        if (at >= PACK_TARGET) await handOver();
      }
      if (spans.length) await handOver();
    } finally {
      // a read that failed ends the ingest only once the pack in hand is settled (nothing of it
      // runs after the caller has gone on)
      await settling;
    }
    if (failed) throw failed.e;
    return { hashed, added, fallback };
  }

  /**
   * Receives a big batch as one local pack (store/local-packs.ts): each object hashed against
   * its name first; objects the store holds intact already are left out.
   */
  private async receivePack(items: { ref: ObjectRef; bytes: Buffer }[], corrupt: (ref: ObjectRef, got: { sha256: string; size: number }) => Error): Promise<{ ok: ObjectRef[]; failed: { ref: ObjectRef; error: Error }[] }> {
    const failed: { ref: ObjectRef; error: Error }[] = [];
    const ok: ObjectRef[] = [];
    const take: { ref: ObjectRef; bytes: Buffer }[] = [];
    // the bytes of a remote's range, in shared memory: checked on the second thread, with the
    // hash of the local pack they make (the objects this store lacks, each once, in order)
    const sab = items[0]?.bytes.buffer;
    if (sab instanceof SharedArrayBuffer && items.every((it) => it.bytes.buffer === sab)) {
      const seen = new Set<string>();
      const wanted = items.filter((it) => it.bytes.length === it.ref.size && !this.packs.find(it.ref.sha256) && !seen.has(it.ref.sha256) && seen.add(it.ref.sha256));
      const h = await storeHasher.hash(
        Buffer.from(sab),
        sab.byteLength,
        items.map((it) => ({ offset: it.bytes.byteOffset, length: it.bytes.length, id: it.ref.sha256 })),
        { prefix: PACK_MAGIC, concat: wanted.map((it) => ({ offset: it.bytes.byteOffset, length: it.bytes.length })) },
      );
      trace(`local store: ${items.length} object(s) received, checked on ${h.thread ? 'a second thread' : 'the main thread'}`);
      const bad = new Set(h.bad);
      const refused = new Set<ObjectRef>();
      items.forEach((it, i) => {
        if (!bad.has(i) && it.bytes.length === it.ref.size) return void ok.push(it.ref);
        refused.add(it.ref);
        failed.push({ ref: it.ref, error: corrupt(it.ref, { sha256: sha256Hex(it.bytes), size: it.bytes.length }) });
      });
      const good = wanted.filter((it) => !refused.has(it.ref));
      await this.packs.write(good, good.length === wanted.length ? h.packId : undefined);
      return { ok, failed };
    }
    for (const it of items) {
      const sha256 = sha256Hex(it.bytes);
      if (sha256 !== it.ref.sha256 || it.bytes.length !== it.ref.size) {
        failed.push({ ref: it.ref, error: corrupt(it.ref, { sha256, size: it.bytes.length }) });
        continue;
      }
      ok.push(it.ref);
      // asked for because the store lacks it (no lstat per object here); in a pack already: kept there
      if (!this.packs.find(it.ref.sha256)) take.push(it);
    }
    await this.packs.write(take);
    return { ok, failed };
  }

  /**
   * Copies object `ref` to `dest` atomically (temp in `tmpDir`, on dest's filesystem, then rename), re-hashing the
   * bytes as they are copied. An object whose bytes do not match its name is quarantined
   * (GITREPRO_OBJECT_CORRUPT, with expected and actual hash). A pointer whose size disagrees
   * with an intact object is the snapshot's fault, not the object's: GITREPRO_SNAPSHOT_INVALID,
   * and the good object stays.
   */
  async copyOut(ref: ObjectRef, dest: string, mode: number, tmpDir = path.dirname(dest), check?: { absent?: boolean; expect?: DestStat }): Promise<void> {
    const file = this.objectPath(ref.sha256);
    // with `check`, what is at dest must still be what the caller saw (fs/write-thread.ts)
    const place = (s: { tmp: string }): void => {
      try {
        placeChecked(s.tmp, dest, check!);
      } finally {
        tempDone(s.tmp);
      }
    };
    // a packed copy first (no failed open of a loose path per object); a loose copy is the fallback
    const loc = this.packs.find(ref.sha256);
    if (loc) {
      const bytes = this.packs.read(loc);
      const s = stageBytesSync(bytes, ref, tmpDir, mode, true);
      if (s.tmp) return check ? place(s) : commitStagedSync(s, dest, false);
      if (!this.hasLoose(ref.sha256)) {
        if (loc.length !== ref.size && bytes.length === loc.length && s.sha256 === ref.sha256) throw wrongPointer(ref, loc.length);
        throw await this.corruptObject(ref, s);
      }
    }
    let src: ByteSource;
    try {
      // small objects on a local filesystem in synchronous calls (store/fsfast.ts): restoring
      // W2's 100,000 files of 4 KiB spent most of its time in thread-pool round trips
      src = await openSource(file, { size: ref.size, sync: this.local });
    } catch (e) {
      if (!(e instanceof SourceRefused)) throw e;
      if (e.reason === 'missing') throw missingObject(ref.sha256);
      if (e.reason === 'size' && (await this.verify(ref.sha256))) throw wrongPointer(ref, (await this.sizeOf(ref.sha256)) ?? -1);
      throw await this.corruptObject(ref, { sha256: '', size: (await this.sizeOf(ref.sha256)) ?? -1 }, e.detail);
    }
    const staged = await stageSource(src, tmpDir, { mode, durable: false, limit: ref.size });
    if (staged.sha256 !== ref.sha256 || staged.size !== ref.size) {
      await rm(staged.tmp, { force: true });
      throw await this.corruptObject(ref, staged);
    }
    if (check) place(staged);
    else if (src.kind === 'bytes') commitStagedSync(staged, dest, false);
    else await commitStaged(staged, dest, false);
  }

  private async corruptObject(ref: ObjectRef, got: { sha256: string; size: number }, what?: string, pack?: string): Promise<GitreproError> {
    await this.quarantine(ref.sha256, pack);
    const found = what ?? `${got.size} bytes hashing to ${got.sha256 || '?'}`;
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `stored object ${ref.sha256.slice(0, 12)} is corrupt: expected sha256 ${ref.sha256}, got ${found}`, {
      hint: 'it was moved to quarantine; run `gitrepro fetch` to download a good copy, or `gitrepro fsck`',
      data: { sha256: ref.sha256, got: got.sha256, size: got.size },
    });
  }

  /** Re-hashes a stored object; returns true when it is a regular file that matches its name. */
  async verify(sha: Sha256): Promise<boolean> {
    try {
      return (await hashSource(await openSource(this.objectPath(sha)))).sha256 === sha;
    } catch (e) {
      const loc = e instanceof SourceRefused && e.reason === 'missing' ? this.packs.find(sha) : undefined;
      return loc ? this.packedIntact({ sha256: sha, size: loc.length }) : false;
    }
  }

  /** Moves a (corrupt) object out of the store, keeping it for inspection. */
  async quarantine(sha: Sha256, inPack?: string): Promise<string | undefined> {
    await this.ensureDir(this.quarantineDir);
    const dest = path.join(this.quarantineDir, `${sha}.${Date.now()}`);
    if (!inPack) {
      try {
        await rename(this.objectPath(sha), dest);
        return dest;
      } catch {
        // not loose
      }
    }
    // a pack holding it (`inPack`: where the damaged copy was read) goes to quarantine whole
    // (what else it held is fetched again)
    const pack = inPack ?? this.packs.find(sha)?.pack;
    return pack ? this.packs.quarantine(pack, this.quarantineDir, Date.now()) : undefined;
  }

  /**
   * Marks an object that was just ingested again as new (its mtime set to now), as git freshens
   * an object it would have written: gc keeps objects younger than its grace period, and a
   * commit in progress may name an old object that no ref needed until then.
   */
  async freshen(sha: Sha256): Promise<void> {
    const now = new Date();
    await lutimes(this.objectPath(sha), now, now).catch(async () => {
      const loc = this.packs.find(sha);
      if (loc) await this.packs.freshen(loc.pack);
    });
  }

  /** Every object with its size and mtime (ms), for gc; only regular files named by their id. */
  async listStat(): Promise<{ sha256: Sha256; size: number; mtime: number; pack?: string }[]> {
    const out: { sha256: Sha256; size: number; mtime: number; pack?: string }[] = [];
    const fanout: string[] = [];
    for (const a of await readdirSafe(this.root)) for (const b of await readdirSafe(path.join(this.root, a))) fanout.push(a + b);
    // W1's store has ~9,600 fan-out directories: read one at a time through the thread pool they
    // took 1.9 s (bench/gc.sh, GITREPRO_TRACE); on a local filesystem synchronous calls, else 16 in flight
    const one = async (ab: string): Promise<void> => {
      const dir = path.join(this.root, ab.slice(0, 2), ab.slice(2));
      const names = this.local ? readdirSyncSafe(dir) : await readdirSafe(dir);
      for (const name of names) {
        if (!SHA_RE.test(name) || !name.startsWith(ab)) continue;
        const st = this.local ? lstatSync(path.join(dir, name), { throwIfNoEntry: false }) : await lstat(path.join(dir, name)).catch(() => undefined);
        if (st?.isFile()) out.push({ sha256: name, size: st.size, mtime: st.mtimeMs });
      }
    };
    if (this.local) for (const ab of fanout) await one(ab);
    else await mapLimit(fanout, 16, one);
    const loose = new Set(out.map((x) => x.sha256));
    for (const p of this.packs.entries()) if (!loose.has(p.sha256)) out.push(p);
    return out;
  }

  /**
   * Removes object `sha` if it is still a regular file whose mtime is before `cutoffMs` (looked
   * at again right before the unlink: an ingest may have freshened it since it was listed).
   * Only unlink: a symbolic link is never followed, a directory never removed; the empty
   * fan-out directories stay (an ingest in flight may have just made one and be about to rename
   * into it). Returns the bytes removed, or undefined when it was kept.
   */
  async removeIfOlder(sha: Sha256, cutoffMs: number): Promise<number | undefined> {
    const p = this.objectPath(sha);
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st?.isFile() || st.mtimeMs >= cutoffMs) return undefined;
    try {
      await unlink(p);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    return st.size;
  }

  /**
   * Removes local pack `id` unless it changed since gc listed it: the objects in `keep` are
   * first written out loose (checked against their names), then the pack goes if it is still
   * older than `cutoffMs`. Returns whether it was removed.
   */
  async removePackIfOlder(id: string, keep: Sha256[], cutoffMs: number): Promise<boolean> {
    // each kept object from this very pack, by its index entry (a search could miss it in an
    // index whose order is damaged), and the pack goes only once every one of them is loose
    const held = this.packs.packEntries(id);
    for (const sha of keep) await this.loosePath(sha, held.get(sha));
    const lost = keep.filter((sha) => !this.hasLoose(sha));
    if (lost.length) throw new GitreproError('GITREPRO_OBJECT_MISSING', `local pack ${id.slice(0, 12)} was kept: ${lost.length} object(s) it should hold could not be written out (first ${lost[0]!.slice(0, 12)})`, { hint: 'run `gitrepro fsck`, then `gitrepro fetch` to bring them back' });
    return this.packs.removeIfOlder(id, cutoffMs);
  }

  /** Every object id in the store (loose, then those only in packs). */
  async *list(): AsyncGenerator<Sha256> {
    const loose = new Set<string>();
    for (const a of await readdirSafe(this.root)) {
      for (const b of await readdirSafe(path.join(this.root, a))) {
        for (const name of await readdirSafe(path.join(this.root, a, b))) {
          if (SHA_RE.test(name) && name.startsWith(a + b)) {
            loose.add(name);
            yield name;
          }
        }
      }
    }
    for (const p of this.packs.entries()) if (!loose.has(p.sha256)) yield p.sha256;
  }

  /** True when the store is on a local filesystem (store/fsfast.ts: where synchronous calls pay). */
  get local(): boolean {
    return isLocalFs(this.root);
  }
}

export function missingObject(sha: string): GitreproError {
  return new GitreproError('GITREPRO_OBJECT_MISSING', `data object ${sha.slice(0, 12)} is not in the local store`, {
    hint: 'run `gitrepro fetch` (or `gitrepro pull`) to download it from the store remote',
    data: { sha256: sha },
  });
}

/** A snapshot pointer whose size is not its (intact) object's: the pointer is wrong. */
export function wrongPointer(ref: ObjectRef, actual: number): GitreproError {
  return new GitreproError('GITREPRO_SNAPSHOT_INVALID', `a pointer names object ${ref.sha256.slice(0, 12)} with ${ref.size} bytes, but that object is ${actual} bytes and intact: the pointer is wrong`, {
    hint: 'the snapshot (gitrepro.lock) of this commit is hostile or corrupt; run `gitrepro verify` and restore a good gitrepro.lock',
    data: { sha256: ref.sha256, size: ref.size, actual },
  });
}

function readdirSyncSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

async function readdirSafe(d: string): Promise<string[]> {
  try {
    return await readdir(d);
  } catch {
    return [];
  }
}

