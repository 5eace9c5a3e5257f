/**
 * Writing the tar archive of a gitrepro bundle (layout and manifest: record/bundle.ts; reading
 * it: bundle-read.ts): ustar headers from the `tar` package, the bytes streamed by us in big
 * writes (10,000 small objects would otherwise cost a write call each; reading the next objects
 * overlaps the previous write), every object re-hashed as it is copied (a damaged local object
 * must not travel), into a temp file next to the destination that is fsynced and renamed over it:
 * a reader sees no archive or the whole one.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Header } from 'tar';
import { GitreproError } from '../errors.js';
import { syncDir, tempDone, tempPath } from '../fs/atomic.js';
import { BUNDLE_MANIFEST, BUNDLE_RECORDS, bundleObjectPath, type BundleManifest } from '../record/bundle.js';
import { canonicalJson } from '../record/canonical.js';
import type { LocalStore } from '../store/local.js';
import { openSource, type ByteSource } from '../store/receive.js';

const BLOCK = 512;
const FLUSH = 4 << 20;

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
      await copyIn(bundleObjectPath(o.sha256), await c.store.loosePath(o.sha256), o);
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
