/**
 * Reading the tar archive of a gitrepro bundle (layout and manifest: record/bundle.ts; writing
 * it: bundle-write.ts), for `gitrepro bundle import` and `verify`.
 *
 * One pass over an untrusted file, with the `tar` package's parser (strict: a bad checksum or a
 * truncated body is an error, not a warning). `manifest.json` must come first; after it every
 * entry must be a regular file whose name the manifest holds, exactly of the size it says: a
 * link, a device, a FIFO, a directory, an absolute or `..` path, an unknown name, a duplicate, a
 * size the manifest does not give is refused before a byte of the body is read. Object bodies
 * are staged in the store's tmp/ and hashed as they are written (store/local.ts `stageChecked`);
 * nothing is committed here: the caller commits the lot once everything checked, or discards it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { GitreproError } from '../errors.js';
import { tempDone, tempPath } from '../fs/atomic.js';
import { BUNDLE_MANIFEST, BUNDLE_RECORDS, bundleManifestSchema, bundleObjectPath, MAX_MANIFEST_BYTES, type BundleManifest } from '../record/bundle.js';
import { unsafePathReason } from '../record/rules.js';
import type { LocalStore, StagedObject } from '../store/local.js';
import { hashSource, type ByteSource } from '../store/receive.js';

/** tar entry types as people name them */
const KINDS: Record<string, string> = { SymbolicLink: 'a symbolic link', Link: 'a hard link', Directory: 'a directory', CharacterDevice: 'a device', BlockDevice: 'a device', FIFO: 'a FIFO', ContiguousFile: 'a contiguous file' };
/** magic numbers of the compressions the tar parser would undo on its own (a bundle is a plain tar) */
const COMPRESSED: [string, Buffer][] = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
];
/** objects up to this size are read into memory whole on import */
const SMALL = 1 << 20;

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
  // the tar parser undoes gzip and zstd by itself: a compressed archive would expand up to
  // 1000 times its size into the store's tmp/ and into memory (an entry's buffer): refused here,
  // on the first bytes, before the parser sees them
  let head: Buffer | undefined = Buffer.alloc(0);
  const sniff = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (head === undefined) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) return done();
      const bytes = head;
      head = undefined;
      const z = COMPRESSED.find(([, magic]) => bytes.subarray(0, magic.length).equals(magic));
      if (z) return done(bad(`the archive is ${z[0]}-compressed: a gitrepro bundle is a plain tar (decompress it first, then check what it holds)`));
      done(null, bytes);
    },
    flush(done) {
      done(null, head?.length ? head : undefined);
    },
  });
  const parser = new Parser({ strict: true, maxMetaEntrySize: 1 << 20, zstd: false });
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
  // an entry the parser skips on its own (a type it does not know, e.g. a GNU sparse file or a
  // volume label; a pax header over the limit) is an entry the manifest does not name: refused
  parser.on('ignoredEntry', (e: ReadEntry) => {
    fail(bad(`entry ${JSON.stringify(e.path.slice(0, 200))} is ${e.meta ? `a tar header of ${e.size} bytes, more than one may be` : `of type ${e.type}`}, not a regular file: refused`));
  });
  await new Promise<void>((resolve) => {
    parser.on('end', resolve);
    sniff.on('error', (e: Error) => {
      fail(e);
      resolve();
    });
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
    input.pipe(sniff).pipe(parser);
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
