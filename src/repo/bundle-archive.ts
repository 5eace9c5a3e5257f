/**
 * The tar archive of a gitrepro bundle (layout and manifest: record/bundle.ts), written and read
 * here for `gitrepro bundle create | import | verify`.
 *
 * Writing: ustar headers from the `tar` package, the bytes streamed by us in big writes (10,000
 * small objects would otherwise cost a write call each), every object re-hashed as it is copied
 * (a damaged local object must not travel), into a temp file next to the destination that is
 * fsynced and renamed over it: a reader sees no archive or the whole one.
 *
 * Reading is one pass over an untrusted file, with the `tar` package's parser (strict: a bad
 * checksum or a truncated body is an error, not a warning). `manifest.json` must come first; after
 * it every entry must be a regular file whose name the manifest holds, exactly of the size it
 * says: a link, a device, a FIFO, a directory, an absolute or `..` path, an unknown name, a
 * duplicate, a size the manifest does not give is refused before a byte of the body is read.
 * Object bodies are staged in the store's tmp/ and hashed as they are written (store/local.ts
 * `stageChecked`); nothing is committed here: the caller commits the lot once everything checked,
 * or discards it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Header, Parser, type ReadEntry } from 'tar';
import { GitreproError } from '../errors.js';
import { syncDir, tempDone, tempPath } from '../fs/atomic.js';
import { BUNDLE_MANIFEST, BUNDLE_RECORDS, bundleManifestSchema, bundleObjectPath, MAX_MANIFEST_BYTES, type BundleManifest } from '../record/bundle.js';
import { canonicalJson } from '../record/canonical.js';
import { unsafePathReason } from '../record/rules.js';
import type { LocalStore, StagedObject } from '../store/local.js';
import { hashSource, openSource, type ByteSource } from '../store/receive.js';

const BLOCK = 512;
/** tar entry types as people name them */
const KINDS: Record<string, string> = { SymbolicLink: 'a symbolic link', Link: 'a hard link', Directory: 'a directory', CharacterDevice: 'a device', BlockDevice: 'a device', FIFO: 'a FIFO', ContiguousFile: 'a contiguous file' };
const FLUSH = 4 << 20;
/** objects up to this size are read into memory whole on import */
const SMALL = 1 << 20;

/** What goes into an archive after the manifest: the records file, then objects from the store. */
export interface ArchiveContent {
  manifest: BundleManifest;
  recordsFile?: string;
  store: LocalStore;
  onObject?: (bytes: number) => void;
}

/** Writes the archive `file` atomically (temp in its directory, fsync, rename, fsync of the directory). */
export async function writeArchive(file: string, c: ArchiveContent): Promise<{ bytes: number }> {
  const tmp = tempPath(path.dirname(file), 'bundle');
  const fh = await open(tmp, 'wx', 0o644);
  // two buffers: one is filled while the other is being written (the write is not awaited
  // until the next flush), so reading objects and writing the archive overlap
  const bufs = [Buffer.allocUnsafe(FLUSH * 2), Buffer.allocUnsafe(FLUSH * 2)];
  let which = 0;
  let buf = bufs[0]!;
  let used = 0;
  let bytes = 0;
  let pending: Promise<unknown> = Promise.resolve();
  let writeError: unknown;
  const write = async (b: Buffer): Promise<void> => {
    await pending;
    if (writeError !== undefined) throw writeError;
    bytes += b.length;
    pending = fh.write(b).then(undefined, (e: unknown) => {
      writeError = e;
    });
  };
  const flush = async (): Promise<void> => {
    if (used === 0) return;
    await write(buf.subarray(0, used));
    which ^= 1;
    buf = bufs[which]!;
    used = 0;
  };
  const put = async (b: Buffer): Promise<void> => {
    if (used + b.length > buf.length) await flush();
    if (b.length > buf.length) {
      await write(b);
      await pending; // the caller may reuse `b`
      return;
    }
    b.copy(buf, used);
    used += b.length;
    if (used >= FLUSH) await flush();
  };
  const header = (name: string, size: number): Buffer => {
    const h = new Header({ path: name, mode: 0o444, size, mtime: new Date(Date.parse(c.manifest.createdAt) || 0), type: 'File', uid: 0, gid: 0, uname: '', gname: '' });
    h.encode();
    return h.block!;
  };
  const pad = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
  try {
    const m = Buffer.from(canonicalJson(c.manifest));
    await put(header(BUNDLE_MANIFEST, m.length));
    await put(m);
    await put(pad(m.length));
    if (c.recordsFile && c.manifest.records) await copyIn(BUNDLE_RECORDS, c.recordsFile, c.manifest.records);
    for (const o of c.manifest.objects) {
      await copyIn(bundleObjectPath(o.sha256), c.store.objectPath(o.sha256), o);
      c.onObject?.(o.size);
    }
    await put(Buffer.alloc(BLOCK * 2));
    await flush();
    await pending;
    if (writeError !== undefined) throw writeError;
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
    tempDone(tmp);
    await syncDir(path.dirname(file));
    return { bytes };
  } catch (e) {
    await pending;
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    tempDone(tmp);
    throw e;
  }

  /** Copies `from` (a regular file of exactly `want.size` bytes hashing to `want.sha256`) in as `name`. */
  async function copyIn(name: string, from: string, want: { sha256: string; size: number }): Promise<void> {
    const h = createHash('sha256');
    let n = 0;
    let src: ByteSource;
    try {
      src = await openSource(from, { size: want.size, sync: true });
    } catch (e) {
      throw new GitreproError('GITREPRO_OBJECT_MISSING', `${name} cannot be read from ${from}: ${(e as Error).message}`, { hint: 'run `gitrepro fsck`, then `gitrepro fetch` the objects it names', cause: e });
    }
    await put(header(name, want.size));
    if (src.kind === 'bytes') {
      h.update(src.bytes);
      n = src.bytes.length;
      await put(src.bytes);
    } else if (src.kind === 'file') {
      try {
        const chunk = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const { bytesRead } = await src.handle.read(chunk, 0, chunk.length, null);
          if (bytesRead === 0) break;
          const piece = chunk.subarray(0, bytesRead); // put() copies it (or writes it before the next read)
          h.update(piece);
          n += bytesRead;
          await put(piece);
        }
      } finally {
        await src.handle.close();
      }
    }
    const got = h.digest('hex');
    if (got !== want.sha256 || n !== want.size) {
      throw new GitreproError('GITREPRO_OBJECT_CORRUPT', `${name} is corrupt in the local store: expected sha256 ${want.sha256} (${want.size} bytes), got ${got} (${n} bytes)`, {
        hint: 'run `gitrepro fsck` (it quarantines the object), then `gitrepro fetch` a good copy and create the bundle again',
      });
    }
    await put(pad(want.size));
  }
}

/** Everything a checked archive held. Temps (staged objects, the records file) are the caller's to commit or remove. */
export interface CheckedArchive {
  manifest: BundleManifest;
  /** objects new to the store (or whose stored copy is damaged), staged in its tmp/ and checked (import) */
  staged: StagedObject[];
  /** objects checked (hashed) but not staged: already in the store, or a verify without a store */
  checked: number;
  bytes: number;
  /** the git bundle of the record refs, in `tmpDir`, checked against the manifest */
  recordsFile?: string;
}

export function bundleInvalid(file: string, why: string, data?: Record<string, unknown>): GitreproError {
  return new GitreproError('GITREPRO_BUNDLE_INVALID', `${path.basename(file)}: ${why}`, {
    hint: 'nothing was imported; ask for the bundle again (`gitrepro bundle verify <file>` checks one)',
    data: { file, ...data },
    exitCode: 1,
  });
}

/**
 * Reads and checks the archive `file` (see the module comment). With `store`, objects the store
 * lacks are staged in it; without, every object is only hashed. The records bundle is written to
 * a temp file in `tmpDir`. On any failure every temp is removed before the error is thrown.
 */
export async function checkArchive(file: string, o: { store?: LocalStore; tmpDir: string }): Promise<CheckedArchive> {
  const staged: StagedObject[] = [];
  let manifest: BundleManifest | undefined;
  let want = new Map<string, number>();
  const seen = new Set<string>();
  let recordsFile: string | undefined;
  let checked = 0;
  let bytes = 0;
  let failure: unknown;
  let current: ReadEntry | undefined;

  const bad = (why: string, data?: Record<string, unknown>): GitreproError => bundleInvalid(file, why, data);

  const visit = async (e: ReadEntry): Promise<void> => {
    const name = e.path;
    const unsafe = unsafePathReason(name.replace(/\/+$/, '') || '/');
    if (unsafe) throw bad(`entry ${JSON.stringify(name.slice(0, 200))} is refused: ${unsafe === "'..' component" ? 'path traversal (..)' : unsafe}`);
    if (e.type !== 'File' && e.type !== 'OldFile') throw bad(`entry ${JSON.stringify(name.slice(0, 200))} is ${KINDS[e.type] ?? `of type ${e.type}`}${e.linkpath ? ` to ${JSON.stringify(e.linkpath.slice(0, 200))}` : ''}, not a regular file: refused`);
    if (!manifest) {
      if (name !== BUNDLE_MANIFEST) throw bad(`the first entry is ${JSON.stringify(name.slice(0, 200))}, not ${BUNDLE_MANIFEST}: not a gitrepro bundle`);
      if (e.size > MAX_MANIFEST_BYTES) throw bad(`${BUNDLE_MANIFEST} is ${e.size} bytes, more than a manifest can be`);
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(parts).toString('utf8'));
      } catch {
        throw bad(`${BUNDLE_MANIFEST} is not JSON`);
      }
      const r = bundleManifestSchema.safeParse(json);
      if (!r.success) throw bad(`${BUNDLE_MANIFEST} is not a gitrepro bundle manifest: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      manifest = r.data;
      want = new Map(manifest.objects.map((x) => [x.sha256, x.size]));
      if (want.size !== manifest.objects.length) throw bad(`${BUNDLE_MANIFEST} lists an object twice`);
      return;
    }
    if (seen.has(name)) throw bad(`entry ${name} appears twice`);
    seen.add(name);
    if (name === BUNDLE_RECORDS) {
      const rec = manifest.records;
      if (!rec) throw bad(`entry ${name} is not in the manifest`);
      if (e.size !== rec.size) throw bad(`entry ${name} is ${e.size} bytes, the manifest says ${rec.size}`);
      recordsFile = tempPath(o.tmpDir, 'records');
      const fh = await open(recordsFile, 'wx', 0o600);
      const h = createHash('sha256');
      try {
        for await (const c of e as AsyncIterable<Buffer>) {
          h.update(c);
          await fh.write(c);
        }
      } finally {
        await fh.close();
      }
      const got = h.digest('hex');
      if (got !== rec.sha256) throw bad(`entry ${name} is corrupt: expected sha256 ${rec.sha256}, got ${got}`);
      return;
    }
    const m = /^objects\/([0-9a-f]{2})\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(name);
    if (!m || m[3]!.slice(0, 4) !== m[1]! + m[2]!) throw bad(`entry ${JSON.stringify(name.slice(0, 200))} is not a path a gitrepro bundle holds: refused`);
    const sha = m[3]!;
    const size = want.get(sha);
    if (size === undefined) throw bad(`object ${sha.slice(0, 12)} is not in the manifest`);
    if (e.size !== size) throw bad(`object ${sha.slice(0, 12)} is ${e.size} bytes, the manifest says ${size}`);
    const corrupt = (got: { sha256: string; size: number }): GitreproError => bad(`object ${sha.slice(0, 12)} is corrupt: expected sha256 ${sha}, got ${got.sha256} (${got.size} bytes)`, { sha256: sha, got: got.sha256 });
    // small objects are gathered in memory (one synchronous write each, store/fsfast.ts: W1's
    // 10,000 files of 16 KiB), big ones streamed
    let src: ByteSource;
    if (size <= SMALL) {
      const parts: Buffer[] = [];
      for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
      src = { kind: 'bytes', bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
    } else src = { kind: 'stream', stream: e as AsyncIterable<Buffer> };
    // a copy the store has is trusted only when intact: a damaged one is replaced by this one
    if (o.store && !((await o.store.has(sha)) && (await o.store.intact({ sha256: sha, size })))) {
      staged.push(await o.store.stageChecked({ sha256: sha, size }, src, corrupt));
    } else {
      const got = await hashSource(src, size + 1);
      if (got.sha256 !== sha || got.size !== size) throw corrupt(got);
      checked++;
    }
    bytes += size;
  };

  const input = createReadStream(file, { highWaterMark: 1 << 20 }); // 64 KiB reads: 11,000 thread-pool round trips for W1
  const parser = new Parser({ strict: true, maxMetaEntrySize: 1 << 20 });
  const fail = (e: unknown): void => {
    if (failure === undefined) failure = e;
    input.destroy();
  };
  let chain = Promise.resolve();
  parser.on('entry', (e: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure !== undefined) return void e.resume();
      current = e;
      try {
        await visit(e);
      } catch (err) {
        fail(err);
      } finally {
        current = undefined;
        e.resume(); // whatever was not read: the parser goes on to the next entry
      }
    });
  });
  await new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('error', (e: Error) => {
      fail(bad(`not a valid tar archive: ${e.message}`));
      resolve();
    });
    input.on('error', (e) => {
      fail(new GitreproError('GITREPRO_IO_FAILED', `cannot read ${file}: ${e.message}`, { hint: 'check the path', exitCode: 1 }));
      resolve();
    });
    input.on('close', () => {
      if (failure !== undefined) resolve();
    });
    input.pipe(parser);
  });
  // an entry cut short (input ended or refused) is never ended by the parser: end it here
  if (failure !== undefined && current) (current as ReadEntry).end();
  await chain;
  if (failure === undefined && !manifest) failure = bad('the archive is empty: not a gitrepro bundle');
  if (failure === undefined && manifest) {
    const absent = manifest.objects.filter((x) => !seen.has(bundleObjectPath(x.sha256)));
    if (absent.length) failure = bad(`${absent.length} object(s) of the manifest are not in the archive (truncated?), e.g. ${absent[0]!.sha256.slice(0, 12)}`);
    else if (manifest.records && !recordsFile) failure = bad(`${BUNDLE_RECORDS} is missing from the archive (truncated?)`);
  }
  if (failure !== undefined) {
    if (o.store) await o.store.discard(staged);
    if (recordsFile) {
      await rm(recordsFile, { force: true });
      tempDone(recordsFile);
    }
    throw failure;
  }
  return { manifest: manifest!, staged, checked, bytes, recordsFile };
}
