/**
 * The directory remote: a local path (local disk, NFS, a mounted share) laid out like the local
 * store, `<dir>/objects/aa/bb/<sha256>`, read-only files, with `<dir>/tmp` for partial copies.
 *
 * One put path and one get path, both through receive.ts (temp file, hash while writing, check,
 * rename): put copies an object of the local store into the remote's tmp/ and renames it into
 * place; get (`open`, then the caller's receive) reads an object safely (no symbolic link
 * followed, no FIFO or device read, type and size checked first: a remote is someone else's
 * disk) and hands its bytes over to be checked again as they are written.
 * A read-only source on the destination's filesystem that belongs to this user may be
 * hard-linked instead of copied (receive.ts decides): the linked bytes are hashed all the same.
 * Small objects on a local filesystem take synchronous calls (store/fsfast.ts).
 *
 * A missing directory is an empty remote: `has` finds nothing, `get` reports the object
 * missing, and the first `put` creates it. Only the remote directory itself is created, never
 * its missing parents: a path under an unmounted share or with a typo fails instead of quietly
 * filling the local disk.
 */
import { lstatSync } from 'node:fs';
import { lstat, mkdir, readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errnoOf, isDenied, isMissing } from '../fs/errno.js';
import { GitreproError, isGitreproError } from '../errors.js';
import { isLocalFs, makeDirs } from './fsfast.js';
import { sharedBuffer } from './hash-thread.js';
import { hashSource, openSource, receive, SourceRefused, type ByteSource } from './receive.js';
import { checkFileKey } from './remote-format.js';
import { transfer } from './retry.js';
import type { FileDir, LooseObject, ObjectRef, Remote, RemoteFiles, Sha256, TransferProgress } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;
/** parallel stat/unlink calls: enough to hide NFS round trips, few enough to spare local disks */
const FS_JOBS = 32;

export class DirRemote implements Remote, RemoteFiles {
  readonly display: string;
  private readonly objects: string;
  private readonly tmpDir: string;
  private made = new Set<string>();

  constructor(
    readonly name: string,
    readonly root: string,
  ) {
    this.display = root;
    this.objects = path.join(root, 'objects');
    this.tmpDir = path.join(root, 'tmp');
  }

  objectPath(sha: Sha256): string {
    if (!SHA_RE.test(sha)) throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `not a sha256 object id: ${sha.slice(0, 80)}`);
    return path.join(this.objects, sha.slice(0, 2), sha.slice(2, 4), sha);
  }

  private get local(): boolean {
    return isLocalFs(this.root);
  }

  async check(): Promise<void> {
    try {
      if (!(await stat(this.root)).isDirectory()) {
        throw new GitreproError('GITREPRO_REMOTE_INVALID', `store remote "${this.name}": ${this.root} is not a directory`, {
          hint: 'point the remote url at a directory (it is created on the first push when its parent exists)',
        });
      }
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw this.fsError(e, 'check');
      try {
        await stat(path.dirname(this.root));
      } catch {
        throw new GitreproError('GITREPRO_REMOTE_UNREACHABLE', `store remote "${this.name}": neither ${this.root} nor its parent directory exists`, {
          hint: `is the share mounted? Otherwise create the parent: mkdir -p ${path.dirname(this.root)}`,
        });
      }
    }
  }

  /** Objects present as regular files (a link or anything else in their place is not an object). */
  async has(shas: Sha256[]): Promise<Set<Sha256>> {
    const found = new Set<Sha256>();
    if (this.local) {
      for (const sha of shas) {
        try {
          if (lstatSync(this.objectPath(sha)).isFile()) found.add(sha);
        } catch (e) {
          if (!isMissing(e)) throw this.fsError(e, 'has');
        }
      }
      return found;
    }
    const r = await transfer(
      shas,
      async (sha) => {
        try {
          if ((await lstat(this.objectPath(sha))).isFile()) found.add(sha);
        } catch (e) {
          if (!isMissing(e)) throw this.fsError(e, 'has');
        }
      },
      { jobs: FS_JOBS, retries: 0 },
    );
    if (r.failed.length > 0) throw r.failed[0]!.error;
    return found;
  }

  /** Uploads an object of the local store. Idempotent and self-healing: a damaged copy is replaced. */
  async put(ref: ObjectRef, src: string, progress?: TransferProgress): Promise<void> {
    const dest = this.objectPath(ref.sha256);
    if (await this.holds(ref, dest)) {
      progress?.onBytes?.(ref.size);
      return;
    }
    try {
      await this.ensureRoot();
      await this.ensureDir(path.dirname(dest));
      await this.ensureDir(this.tmpDir);
      let source: ByteSource;
      try {
        source = await openSource(src, { size: ref.size, sync: this.local });
      } catch (e) {
        if (e instanceof SourceRefused) throw this.localCorrupt(ref, { sha256: '', size: -1 }, e.detail);
        throw e;
      }
      await receive(source, ref, dest, { tmpDir: this.tmpDir, mode: 0o444, durable: true, link: true, onBytes: progress?.onBytes, corrupt: (got) => this.localCorrupt(ref, got) });
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  async prepare(refs: ObjectRef[]): Promise<void> {
    if (refs.length < 2) return;
    try {
      await this.ensureRoot();
      await makeDirs([this.tmpDir, ...refs.map((r) => path.dirname(this.objectPath(r.sha256)))], this.made);
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  /** The bytes of object `ref`, read safely (module comment); missing and refused objects are named. */
  async open(ref: ObjectRef): Promise<ByteSource> {
    try {
      const src = await openSource(this.objectPath(ref.sha256), { size: ref.size, sync: this.local });
      return { ...src, corrupt: (got) => this.corrupt(ref, got) };
    } catch (e) {
      if (e instanceof SourceRefused) {
        if (e.reason === 'missing') throw this.missing(ref.sha256);
        throw this.corrupt(ref, { sha256: '', size: -1 }, e.detail);
      }
      throw this.fsError(e, 'get');
    }
  }

  async get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void> {
    const src = await this.open(ref);
    await mkdir(path.dirname(dest), { recursive: true });
    await receive(src, ref, dest, { tmpDir: path.dirname(dest), mode: 0o444, durable: true, link: true, onBytes: progress?.onBytes, corrupt: (got) => this.corrupt(ref, got) });
  }

  async delete(shas: Sha256[]): Promise<void> {
    const r = await transfer(
      shas,
      async (sha) => {
        try {
          await unlink(this.objectPath(sha));
        } catch (e) {
          if (!isMissing(e)) throw this.fsError(e, 'delete');
        }
      },
      { jobs: FS_JOBS, retries: 0 },
    );
    if (r.failed.length > 0) throw r.failed[0]!.error;
  }

  async close(): Promise<void> {}

  // ---- RemoteFiles: packs, indexes and the format marker (format v2) ----

  filePath(key: string): string {
    return path.join(this.root, checkFileKey(key));
  }

  async listFiles(dir: FileDir): Promise<{ key: string; size: number; mtime?: number }[]> {
    let names: string[];
    try {
      names = await readdir(path.join(this.root, dir));
    } catch (e) {
      if (isMissing(e)) return [];
      throw this.fsError(e, 'has');
    }
    const out: { key: string; size: number; mtime?: number }[] = [];
    for (const n of names) {
      try {
        const st = lstatSync(path.join(this.root, dir, n));
        if (st.isFile()) out.push({ key: `${dir}/${n}`, size: st.size, mtime: st.mtimeMs });
      } catch (e) {
        if (!isMissing(e)) throw this.fsError(e, 'has');
      }
    }
    return out;
  }

  /** Every loose object: regular files named by their id in their fan-out dirs (links are not followed, other names skipped). */
  async listLoose(): Promise<LooseObject[]> {
    const out: LooseObject[] = [];
    const dirs = async (d: string): Promise<string[]> => {
      try {
        return await readdir(d);
      } catch (e) {
        if (isMissing(e) || errnoOf(e) === 'ENOTDIR') return [];
        throw this.fsError(e, 'has');
      }
    };
    for (const a of await dirs(this.objects)) {
      for (const b of await dirs(path.join(this.objects, a))) {
        for (const n of await dirs(path.join(this.objects, a, b))) {
          if (!SHA_RE.test(n) || !n.startsWith(a + b)) continue;
          const st = lstatSync(path.join(this.objects, a, b, n), { throwIfNoEntry: false });
          if (st?.isFile()) out.push({ sha256: n, size: st.size, mtime: st.mtimeMs });
        }
      }
    }
    return out;
  }

  async hasLoose(): Promise<boolean> {
    try {
      for (const a of await readdir(this.objects)) {
        for (const b of await readdir(path.join(this.objects, a)).catch(() => [] as string[])) {
          if ((await readdir(path.join(this.objects, a, b)).catch(() => [] as string[])).length > 0) return true;
        }
      }
      return false;
    } catch (e) {
      if (isMissing(e) || errnoOf(e) === 'ENOTDIR') return false;
      throw this.fsError(e, 'has');
    }
  }

  async readRange(key: string, offset: number, length: number): Promise<Buffer> {
    const file = this.filePath(key);
    let src: ByteSource;
    try {
      src = await openSource(file);
    } catch (e) {
      if (e instanceof SourceRefused) {
        if (e.reason === 'missing') throw this.fileMissing(key);
        throw this.fileCorrupt(key, e.detail);
      }
      throw this.fsError(e, 'get');
    }
    if (src.kind !== 'file') throw new Error('unreachable: openSource without sync returns a handle');
    try {
      if (src.size < offset + length) throw this.fileCorrupt(key, `${src.size} bytes, shorter than ${offset}+${length}`);
      // shared memory: the objects in it are checked on a second thread (LocalStore.receivePack)
      const buf = sharedBuffer(length);
      for (let got = 0; got < length; ) {
        const { bytesRead } = await src.handle.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw this.fileCorrupt(key, 'shrank while read');
        got += bytesRead;
      }
      return buf;
    } finally {
      await src.handle.close();
    }
  }

  async readFile(key: string, max: number): Promise<Buffer | undefined> {
    const file = this.filePath(key);
    let size: number;
    try {
      const st = await lstat(file);
      if (!st.isFile()) throw this.fileCorrupt(key, 'not a regular file');
      size = st.size;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw this.fsError(e, 'get');
    }
    if (size > max) throw this.fileCorrupt(key, `${size} bytes, more than the ${max} it may have`);
    try {
      return await this.readRange(key, 0, size);
    } catch (e) {
      if (isGitreproError(e, 'GITREPRO_OBJECT_MISSING')) return undefined;
      throw e;
    }
  }

  async writeFile(key: string, bytes: Buffer, sha256: string): Promise<void> {
    const dest = this.filePath(key);
    const ref = { sha256, size: bytes.length };
    if (await this.holds(ref, dest)) return;
    try {
      await this.ensureRoot();
      await this.ensureDir(path.dirname(dest));
      await this.ensureDir(this.tmpDir);
      await receive({ kind: 'bytes', bytes, hashed: sha256 }, ref, dest, {
        tmpDir: this.tmpDir,
        mode: 0o444,
        durable: true,
        corrupt: (got) => new Error(`${key}: the bytes to write hash to ${got.sha256}, not ${sha256}`),
      });
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  async deleteFiles(keys: string[]): Promise<void> {
    for (const k of keys) {
      try {
        await unlink(this.filePath(k));
      } catch (e) {
        if (!isMissing(e)) throw this.fsError(e, 'delete');
      }
    }
  }

  private fileMissing(key: string): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_MISSING', `${key} is not on store remote "${this.name}" (${this.display})`, { data: { key, remote: this.name } });
  }

  private fileCorrupt(key: string, what: string): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `${key} on store remote "${this.name}" is damaged (${what})`, { data: { key, remote: this.name } });
  }

  /** True when `dest` is a regular file with exactly the object's bytes. */
  private async holds(ref: ObjectRef, dest: string): Promise<boolean> {
    try {
      const got = await hashSource(await openSource(dest, { size: ref.size, sync: this.local }));
      return got.sha256 === ref.sha256;
    } catch (e) {
      if (e instanceof SourceRefused) return false;
      throw this.fsError(e, 'put');
    }
  }

  private async ensureRoot(): Promise<void> {
    if (this.made.has(this.root)) return;
    try {
      await mkdir(this.root); // not recursive: see the module comment
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') await this.check(); // explains the missing parent
      if (errnoOf(e) !== 'EEXIST') throw e;
    }
    this.made.add(this.root);
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  private missing(sha: Sha256): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_MISSING', `data object ${sha.slice(0, 12)} is not on store remote "${this.name}" (${this.display})`, {
      hint: 'push it from a clone that has it (`gitrepro push`), or check that the remote url is right',
      data: { sha256: sha, remote: this.name },
    });
  }

  private localCorrupt(ref: ObjectRef, got: { sha256: string; size: number }, what?: string): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `local object ${ref.sha256.slice(0, 12)} is corrupt (${what ?? `expected sha256 ${ref.sha256}, got ${got.sha256 || '?'} (${got.size} bytes)`}): not pushed`, {
      hint: 'run `gitrepro fsck` to find and quarantine damaged objects',
      data: { sha256: ref.sha256, got: got.sha256, size: got.size },
    });
  }

  private corrupt(ref: ObjectRef, got: { sha256: string; size: number }, what?: string): GitreproError {
    const found = what ?? `expected sha256 ${ref.sha256} (${ref.size} bytes), got ${got.sha256 || '?'} (${got.size} bytes)`;
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `the copy of ${ref.sha256.slice(0, 12)} on store remote "${this.name}" is corrupt (${found}): not downloaded`, {
      hint: 'push the object again from a clone with a good copy (`gitrepro push` replaces a damaged one)',
      data: { sha256: ref.sha256, expectedSize: ref.size, got: got.sha256, size: got.size, remote: this.name },
    });
  }

  /** Permission problems become GITREPRO_REMOTE_DENIED; other errors pass through unchanged. */
  private fsError(e: unknown, op: string): unknown {
    if (isDenied(e)) {
      const code = errnoOf(e);
      return new GitreproError('GITREPRO_REMOTE_DENIED', `store remote "${this.name}": ${op} denied (${code}) under ${this.root}`, {
        hint: code === 'EROFS' ? 'the remote directory is on a read-only filesystem' : `check the permissions of ${this.root} for this user`,
        data: { remote: this.name, op, errno: code },
      });
    }
    return e;
  }
}
