/**
 * The one way bytes enter a file that a store keeps: read a source (a file opened safely, a
 * buffer, or a download stream), write it to a temp file in the destination's store while
 * hashing it, check size and sha256, then commit by rename. The local store's ingest and
 * downloads, the directory remote's put and get, and restores into the work tree all use it, so
 * a partial or wrong object can never appear under a final name.
 *
 * Reading a file that someone else may have put there (a directory remote is someone else's
 * disk) never follows a symbolic link (O_NOFOLLOW), never blocks on a FIFO or a device
 * (O_NONBLOCK), and checks that it is a regular file of the expected size before a byte is read.
 */
import * as crypto from 'node:crypto';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { link, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { syncDir, syncDirSync, tempDone, tempPath } from '../fs/atomic.js';
import { errnoOf, isLinkRefused, isMissing } from '../fs/errno.js';
import { chmodNeeded } from '../fs/write-thread.js';
import type { ObjectRef } from './types.js';

/**
 * sha256 of a buffer in hex: node's one-shot `crypto.hash` where it exists (node ≥ 20.12; a
 * third cheaper than createHash for 4 KiB buffers, and no Hash object per call: 100,000 objects
 * per pack push), else createHash.
 */
export const sha256Hex: (b: Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (b) => (crypto as unknown as { hash(alg: string, data: Uint8Array, enc: 'hex'): string }).hash('sha256', b, 'hex')
    : (b) => createHash('sha256').update(b).digest('hex');

/** Buffers from this size on are staged asynchronously (stageSource). */
const BIG_BYTES = 4 << 20;

/** Reads are 1 MiB: node's default 64 KiB halves sha256 throughput (about 1.4 GiB/s here). */
export const CHUNK = 1 << 20;

/** Where a file source lives: what decides whether it may be hard-linked instead of copied. */
export interface SourceFile {
  path: string;
  dev: number;
  uid: number;
  /** no write bit for anyone: an in-place edit of the source cannot change a link to it */
  readOnly: boolean;
}

/** Builds the error for bytes that do not match the object they were asked for (naming where they came from). */
export type CorruptError = (got: { sha256: string; size: number }) => Error;

/**
 * Bytes to receive. A source is consumed by whatever reads it (handles closed, streams
 * destroyed). `corrupt`, set by a remote's `open`, names that remote when the bytes are wrong.
 */
export type ByteSource = (
  | { kind: 'bytes'; bytes: Buffer; file?: SourceFile; hashed?: string }
  | { kind: 'file'; handle: FileHandle; size: number; file: SourceFile }
  | { kind: 'stream'; stream: AsyncIterable<Uint8Array>; destroy?: () => void }
) & { corrupt?: CorruptError };

/** Why a file could not be read as an object: absent, not a regular file, or of another size. */
export class SourceRefused extends Error {
  constructor(
    readonly reason: 'missing' | 'not-regular' | 'size',
    readonly detail: string,
  ) {
    super(detail);
  }
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function fileType(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function refusal(e: unknown): SourceRefused | unknown {
  if (isMissing(e)) return new SourceRefused('missing', 'no such file');
  if (errnoOf(e) === 'ELOOP') return new SourceRefused('not-regular', 'a symbolic link');
  return e;
}

/**
 * Opens `file` as an object source (see the module comment for the checks). With `size`, a file
 * of any other size is refused before reading. With `sync`, a small file (≤ `syncMax`) is read
 * whole in synchronous calls: on a local filesystem that costs a fraction of the thread-pool
 * round trips (store/fsfast.ts). `follow` allows a symbolic link at `file` itself (pipeline deps).
 */
export async function openSource(file: string, o: { size?: number; sync?: boolean; syncMax?: number; follow?: boolean } = {}): Promise<ByteSource> {
  const flags = o.follow ? OPEN_FLAGS & ~constants.O_NOFOLLOW : OPEN_FLAGS;
  if (o.sync && (o.size === undefined || o.size <= (o.syncMax ?? CHUNK))) {
    let fd: number;
    try {
      fd = openSync(file, flags);
    } catch (e) {
      throw refusal(e);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new SourceRefused('not-regular', fileType(st));
      if (o.size !== undefined && st.size !== o.size) throw new SourceRefused('size', `${st.size} bytes, not ${o.size}`);
      if (st.size <= (o.syncMax ?? CHUNK)) {
        const bytes = Buffer.allocUnsafe(st.size);
        let off = 0;
        while (off < st.size) {
          const n = readSync(fd, bytes, off, st.size - off, off);
          if (n === 0) break;
          off += n;
        }
        return { kind: 'bytes', bytes: off === st.size ? bytes : bytes.subarray(0, off), file: { path: file, dev: st.dev, uid: st.uid, readOnly: (st.mode & 0o222) === 0 } };
      }
    } finally {
      closeSync(fd);
    }
  }
  let handle: FileHandle;
  try {
    handle = await open(file, flags);
  } catch (e) {
    throw refusal(e);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SourceRefused('not-regular', fileType(st));
    if (o.size !== undefined && st.size !== o.size) throw new SourceRefused('size', `${st.size} bytes, not ${o.size}`);
    return { kind: 'file', handle, size: st.size, file: { path: file, dev: st.dev, uid: st.uid, readOnly: (st.mode & 0o222) === 0 } };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Reads file `file`, which must be a regular file of exactly `into.length` bytes, into `into`
 * in synchronous calls, with openSource's checks (no link followed, no FIFO or device read, type
 * and size checked first). For small files on a local filesystem that go straight into a pack
 * buffer: no buffer per file, no copy (store/pack.ts).
 */
export function readFileInto(file: string, into: Buffer): void {
  let fd: number;
  try {
    fd = openSync(file, OPEN_FLAGS);
  } catch (e) {
    throw refusal(e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SourceRefused('not-regular', fileType(st));
    if (st.size !== into.length) throw new SourceRefused('size', `${st.size} bytes, not ${into.length}`);
    for (let off = 0; off < into.length; ) {
      const n = readSync(fd, into, off, into.length - off, off);
      if (n === 0) throw new SourceRefused('size', `shorter than ${into.length} bytes while read`);
      off += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Releases a source that will not be read. */
export async function discardSource(src: ByteSource): Promise<void> {
  if (src.kind === 'file') await src.handle.close().catch(() => {});
  else if (src.kind === 'stream') src.destroy?.();
}

/**
 * The bytes of a source in pieces of up to 1 MiB, consuming it. Stops reading (and says so by
 * returning `truncated`) once more than `limit` bytes came: a body longer than the object it
 * claims to be cannot match, and an endless one must not fill the disk.
 */
async function* pieces(src: ByteSource, limit = Infinity): AsyncGenerator<Buffer, void, undefined> {
  if (src.kind === 'bytes') {
    yield src.bytes;
    return;
  }
  if (src.kind === 'file') {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(src.size, 1)));
    let total = 0;
    try {
      for (;;) {
        const { bytesRead } = await src.handle.read(buf, 0, buf.length, null);
        if (bytesRead === 0) return;
        total += bytesRead;
        yield buf.subarray(0, bytesRead);
        if (total > limit) return;
      }
    } finally {
      await src.handle.close().catch(() => {});
    }
  }
  if (src.kind === 'stream') {
    let total = 0;
    try {
      for await (const piece of src.stream) {
        const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        total += chunk.length;
        yield chunk;
        if (total > limit) return; // leaving the loop destroys the stream
      }
    } finally {
      src.destroy?.();
    }
  }
}

/** sha256 and size of a source, consuming it (verify --deep: read and re-hash without writing). */
export async function hashSource(src: ByteSource, limit = Infinity): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const p of pieces(src, limit)) {
    h.update(p);
    size += p.length;
  }
  return { sha256: h.digest('hex'), size };
}

/** A temp file holding received bytes, not yet under its final name. */
export interface Staged {
  tmp: string;
  sha256: string;
  size: number;
}

export interface StageOptions {
  /** mode of the file once committed (objects: 0o444) */
  mode: number;
  /** fsync the file (false: the caller makes a batch durable at once) */
  durable: boolean;
  /** the most bytes worth reading (the expected size) */
  limit?: number;
  /** a read-only source of this user on the temp dir's filesystem may be hard-linked, not copied */
  link?: boolean;
  onBytes?: (n: number) => void;
}

const devs = new Map<string, number>();
function devOf(dir: string): number {
  let d = devs.get(dir);
  if (d === undefined) {
    d = statSync(dir).dev;
    devs.set(dir, d);
  }
  return d;
}

/** May `file` be hard-linked into `dir`: same filesystem, read-only, owned by this user. */
function linkable(file: SourceFile | undefined, dir: string): file is SourceFile {
  if (!file || !file.readOnly) return false;
  const uid = process.getuid?.();
  return (uid === undefined || file.uid === uid) && file.dev === devOf(dir);
}

/** Writes a source into a fresh temp file in `tmpDir` while hashing it (consuming the source). */
export async function stageSource(src: ByteSource, tmpDir: string, o: StageOptions): Promise<Staged> {
  const tmp = tempPath(tmpDir, 'obj');
  if (o.link && src.kind !== 'stream' && linkable(src.file, tmpDir)) {
    // the link shares the inode: hash the bytes it shares, as a copy would hash what it copies
    try {
      await link(src.file.path, tmp);
      try {
        const got = await hashSource(src, o.limit);
        o.onBytes?.(got.size);
        return { tmp, ...got };
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    } catch (e) {
      if (!isLinkRefused(e) && errnoOf(e) !== 'EACCES') {
        await discardSource(src);
        throw e;
      }
      // refused (another filesystem, no links there, protected_hardlinks): copy instead
    }
  }
  if (src.kind === 'bytes' && src.bytes.length >= BIG_BYTES) {
    // a pack: written off the main thread (the next pack is built meanwhile); hashed here
    // unless the caller hashed these very bytes a moment ago (`hashed`: a pack just built)
    const out = await open(tmp, 'wx', 0o600);
    let ok = false;
    try {
      const digest = src.hashed ?? sha256Hex(src.bytes);
      for (let off = 0; off < src.bytes.length; ) off += (await out.write(src.bytes, off, src.bytes.length - off)).bytesWritten;
      if (o.durable) await out.sync();
      await out.chmod(o.mode);
      ok = true;
      o.onBytes?.(src.bytes.length);
      return { tmp, sha256: digest, size: src.bytes.length };
    } finally {
      await out.close().catch(() => {});
      if (!ok) await rm(tmp, { force: true });
    }
  }
  if (src.kind === 'bytes') {
    const h = sha256Hex(src.bytes);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      for (let off = 0; off < src.bytes.length; ) off += writeSync(fd, src.bytes, off);
      if (o.durable) fsyncSync(fd);
      fchmodSync(fd, o.mode);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    o.onBytes?.(src.bytes.length);
    return { tmp, sha256: h, size: src.bytes.length };
  }
  const out = await open(tmp, 'wx', 0o600);
  let ok = false;
  try {
    const h: Hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (): Promise<void> => {
      let bufs = pending;
      pending = [];
      pendingBytes = 0;
      while (bufs.length > 0) bufs = dropBytes(bufs, (await out.writev(bufs)).bytesWritten);
    };
    for await (const p of pieces(src, o.limit)) {
      h.update(p);
      size += p.length;
      // a file source reuses its buffer: keep a copy when the write is deferred
      pending.push(src.kind === 'file' ? Buffer.from(p) : p);
      pendingBytes += p.length;
      if (pendingBytes >= CHUNK) await flush();
      o.onBytes?.(p.length);
    }
    await flush();
    if (o.durable) await out.sync();
    await out.chmod(o.mode);
    ok = true;
    return { tmp, sha256: h.digest('hex'), size };
  } finally {
    await out.close().catch(() => {});
    if (!ok) await rm(tmp, { force: true });
  }
}

/**
 * Stages bytes held in memory as a new object file in `tmpDir` in three synchronous calls
 * (created with its final `mode`, written, closed): the many-small-objects path of
 * LocalStore.receiveBatch, where each saved call is 100,000 calls for W2. Hashes them first:
 * bytes that are not `ref` are refused (returned with their hash) and nothing is written.
 * Not durable by itself: the caller syncs the batch before committing it.
 */
export function stageBytesSync(bytes: Buffer, ref: ObjectRef, tmpDir: string, mode: number, exactMode = false): Staged {
  const sha256 = sha256Hex(bytes);
  if (sha256 !== ref.sha256 || bytes.length !== ref.size) return { tmp: '', sha256, size: bytes.length };
  const tmp = tempPath(tmpDir, 'obj');
  // exactMode: `mode` whatever the umask (a work-tree file restored as recorded); one fchmod
  // per file only where the umask would take bits away (100,000 of them on W2)
  const chmod = exactMode && chmodNeeded(mode);
  const fd = openSync(tmp, 'wx', chmod ? 0o600 : mode);
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
    if (chmod) fchmodSync(fd, mode);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  return { tmp, sha256, size: bytes.length };
}

/** Puts a staged temp file under its final name (and, with `durable`, makes the rename durable). */
export async function commitStaged(staged: Staged, dest: string, durable: boolean): Promise<void> {
  try {
    await rename(staged.tmp, dest);
  } catch (e) {
    await rm(staged.tmp, { force: true });
    throw e;
  } finally {
    tempDone(staged.tmp);
  }
  if (durable) await syncDir(path.dirname(dest));
}

/** commitStaged in synchronous calls (the small-object paths). */
export function commitStagedSync(staged: Staged, dest: string, durable: boolean): void {
  try {
    renameSync(staged.tmp, dest);
  } catch (e) {
    rmSync(staged.tmp, { force: true });
    throw e;
  } finally {
    tempDone(staged.tmp);
  }
  if (durable) syncDirSync(path.dirname(dest));
}

/**
 * Receives object `ref` from `src` into `dest`: staged in `tmpDir` (on dest's filesystem),
 * checked against `ref` (size and sha256; `corrupt` builds the error), then renamed into place.
 * On any failure nothing is left at `dest` and the temp file is gone.
 */
export async function receive(src: ByteSource, ref: ObjectRef, dest: string, o: Omit<StageOptions, 'limit'> & { tmpDir: string; corrupt?: CorruptError }): Promise<void> {
  const corrupt = o.corrupt ?? src.corrupt ?? ((got) => new Error(`object ${ref.sha256.slice(0, 12)}: expected ${ref.size} bytes hashing to ${ref.sha256}, got ${got.size} bytes hashing to ${got.sha256 || '?'}`));
  const staged = await stageSource(src, o.tmpDir, { ...o, limit: ref.size });
  if (staged.size !== ref.size || staged.sha256 !== ref.sha256) {
    await rm(staged.tmp, { force: true });
    throw corrupt({ sha256: staged.size > ref.size ? '' : staged.sha256, size: staged.size });
  }
  if (src.kind === 'bytes') commitStagedSync(staged, dest, o.durable);
  else await commitStaged(staged, dest, o.durable);
}

function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  const rest: Buffer[] = [];
  for (const b of bufs) {
    if (n >= b.length) n -= b.length;
    else {
      rest.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return rest;
}
