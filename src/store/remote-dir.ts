/**
 * The directory remote: a local path (local disk, NFS, a mounted share) laid out like the local
 * store, `<dir>/objects/aa/bb/<sha256>`, read-only files, with `<dir>/tmp` for partial copies.
 *
 * put: on the same filesystem as the source (same st_dev) the object is hard-linked: objects are
 * immutable and read-only, so sharing the inode is safe (git-lfs does the same) and costs no
 * space or time. Otherwise it is copied into `<dir>/tmp` while hashing, fsynced, and renamed into
 * place, so a reader never sees a partial object.
 * get: likewise linked when on the destination's filesystem (the linked bytes are hashed), else
 * copied next to the destination while hashing; sha256 and size are checked before rename.
 *
 * A missing directory is an empty remote: `has` finds nothing, `get` reports the object
 * missing, and the first `put` creates it. Only the remote directory itself is created, never
 * its missing parents: a path under an unmounted share or with a typo fails instead of quietly
 * filling the local disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { link, mkdir, open, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { CHUNK, hashFile } from './hash.js';
import { isLocalFs, makeDirs, SMALL_OBJECT } from './fsfast.js';
import { receiveVerified, transfer } from './retry.js';
import type { ObjectRef, Remote, Sha256, TransferProgress } from './types.js';

const SHA_RE = /^[0-9a-f]{64}$/;
/** parallel stat/unlink calls: enough to hide NFS round trips, few enough to spare local disks */
const FS_JOBS = 32;

export class DirRemote implements Remote {
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

  async check(): Promise<void> {
    try {
      if (!(await stat(this.root)).isDirectory()) {
        throw new GitreproError('GITREPRO_REMOTE_INVALID', `store remote "${this.name}": ${this.root} is not a directory`, {
          hint: 'point the remote url at a directory (it is created on the first push when its parent exists)',
        });
      }
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw this.fsError(e, 'check');
      try {
        await stat(path.dirname(this.root));
      } catch {
        throw new GitreproError('GITREPRO_REMOTE_UNREACHABLE', `store remote "${this.name}": neither ${this.root} nor its parent directory exists`, {
          hint: `is the share mounted? Otherwise create the parent: mkdir -p ${path.dirname(this.root)}`,
        });
      }
    }
  }

  async has(shas: Sha256[]): Promise<Set<Sha256>> {
    const found = new Set<Sha256>();
    if (isLocalFs(this.root)) {
      for (const sha of shas) {
        try {
          if (statSync(this.objectPath(sha)).isFile()) found.add(sha);
        } catch (e) {
          if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw this.fsError(e, 'has');
        }
      }
      return found;
    }
    const r = await transfer(
      shas,
      async (sha) => {
        try {
          if ((await stat(this.objectPath(sha))).isFile()) found.add(sha);
        } catch (e) {
          if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw this.fsError(e, 'has');
        }
      },
      { jobs: FS_JOBS, retries: 0 },
    );
    if (r.failed.length > 0) throw r.failed[0]!.error;
    return found;
  }

  async put(ref: ObjectRef, src: string, progress?: TransferProgress): Promise<void> {
    const dest = this.objectPath(ref.sha256);
    if (ref.size <= SMALL_OBJECT && isLocalFs(this.root) && this.putSmall(ref, src, dest)) {
      progress?.onBytes?.(ref.size);
      return;
    }
    // Idempotent, and self-healing: an existing copy is kept only when it re-hashes right.
    if (await this.holdsIntact(ref, dest)) {
      progress?.onBytes?.(ref.size);
      return;
    }
    try {
      await this.ensureRoot();
      await this.ensureDir(path.dirname(dest));
      if (await this.tryLink(ref, src, dest)) {
        progress?.onBytes?.(ref.size);
        return;
      }
      await this.ensureDir(this.tmpDir);
      const input = await open(src, 'r');
      try {
        await receiveVerified(input.createReadStream({ highWaterMark: CHUNK, autoClose: false }), ref, dest, {
          tmpDir: this.tmpDir,
          onBytes: progress?.onBytes,
          corrupt: (got) => this.localCorrupt(ref, got),
        });
      } finally {
        await input.close();
      }
      await syncDir(path.dirname(dest));
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  async prepare(refs: ObjectRef[]): Promise<void> {
    if (refs.length < 2) return;
    try {
      await this.ensureRoot();
      await makeDirs(refs.map((r) => path.dirname(this.objectPath(r.sha256))), this.made);
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  async get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void> {
    const small = ref.size <= SMALL_OBJECT && isLocalFs(this.root) && isLocalFs(path.dirname(dest));
    if (small ? this.getSmall(ref, dest) : await this.tryLinkOut(ref, dest)) {
      progress?.onBytes?.(ref.size);
      return;
    }
    let input;
    try {
      input = await open(this.objectPath(ref.sha256), 'r');
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') throw this.missing(ref.sha256);
      throw this.fsError(e, 'get');
    }
    try {
      await receiveVerified(input.createReadStream({ highWaterMark: CHUNK, autoClose: false }), ref, dest, {
        onBytes: progress?.onBytes,
        corrupt: (got) => this.corrupt(ref, got),
      });
    } finally {
      await input.close();
    }
  }

  async delete(shas: Sha256[]): Promise<void> {
    const r = await transfer(
      shas,
      async (sha) => {
        try {
          await unlink(this.objectPath(sha));
        } catch (e) {
          if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') throw this.fsError(e, 'delete');
        }
      },
      { jobs: FS_JOBS, retries: 0 },
    );
    if (r.failed.length > 0) throw r.failed[0]!.error;
  }

  async close(): Promise<void> {}

  /** True when `dest` exists with the right content (a damaged copy is then replaced by put). */
  private async holdsIntact(ref: ObjectRef, dest: string): Promise<boolean> {
    let input;
    try {
      input = await open(dest, 'r');
    } catch {
      return false;
    }
    let intact = false;
    try {
      const h = createHash('sha256');
      let size = 0;
      for await (const chunk of input.createReadStream({ highWaterMark: CHUNK, autoClose: false }) as AsyncIterable<Buffer>) {
        h.update(chunk);
        size += chunk.length;
      }
      intact = size === ref.size && h.digest('hex') === ref.sha256;
    } finally {
      await input.close();
    }
    return intact;
  }

  /**
   * Hard-links `src` to `dest` when both are on one filesystem and `src` is read-only (a writable
   * source would let an in-place edit change the remote's copy too). Returns false to fall back
   * to copying: another filesystem, or one that refuses links (EXDEV across bind mounts, EPERM
   * on some FUSE/SMB mounts, EMLINK at the link limit).
   */
  private async tryLink(ref: ObjectRef, src: string, dest: string): Promise<boolean> {
    const [s, d] = await Promise.all([stat(src), stat(this.root)]);
    if (s.dev !== d.dev || (s.mode & 0o222) !== 0) return false;
    // The link shares the bytes, so they are checked here as the copy path checks what it copies.
    const got = await hashFile(src);
    if (got.sha256 !== ref.sha256 || got.size !== ref.size) throw this.localCorrupt(ref, got);
    try {
      await rm(dest, { force: true }); // a damaged copy that holdsIntact rejected
      await link(src, dest);
      return true;
    } catch (e) {
      if (errno(e) === 'EEXIST') return true; // a concurrent put of the same object won
      if (['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errno(e) ?? '')) return false;
      throw e;
    }
  }

  /**
   * put of a small object on a local filesystem, in synchronous calls (fsfast.ts): the same steps
   * as the asynchronous path (keep an intact copy, else link a read-only source on the same
   * filesystem after hashing it, else copy through tmp/ with fsync). Returns false to let the
   * asynchronous path handle whatever is unusual (a missing remote directory, its errors).
   */
  private putSmall(ref: ObjectRef, src: string, dest: string): boolean {
    try {
      let existing: Buffer | undefined;
      try {
        existing = readFileSync(dest);
      } catch (e) {
        if (errno(e) !== 'ENOENT' && errno(e) !== 'ENOTDIR') return false;
      }
      if (existing && existing.length === ref.size && sha256Of(existing) === ref.sha256) return true;
      if (!this.made.has(this.root)) return false; // the first put creates the root (async path)
      this.ensureDirSync(path.dirname(dest));
      const st = statSync(src);
      const bytes = readFileSync(src);
      const got = sha256Of(bytes);
      if (got !== ref.sha256 || bytes.length !== ref.size) throw this.localCorrupt(ref, { sha256: got, size: bytes.length });
      if (existing) rmSync(dest, { force: true });
      if (st.dev === this.rootDev() && (st.mode & 0o222) === 0) {
        try {
          linkSync(src, dest);
          return true;
        } catch (e) {
          if (errno(e) === 'EEXIST') return true;
          if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errno(e) ?? '')) throw e;
        }
      }
      this.ensureDirSync(this.tmpDir);
      const tmp = path.join(this.tmpDir, `.gitrepro-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
        fsyncSync(fd);
        fchmodSync(fd, 0o444);
      } catch (e) {
        closeSync(fd);
        rmSync(tmp, { force: true });
        throw e;
      }
      closeSync(fd);
      renameSync(tmp, dest);
      syncDirSync(path.dirname(dest));
      return true;
    } catch (e) {
      throw this.fsError(e, 'put');
    }
  }

  /** get of a small object between local filesystems, in synchronous calls; false: use the async path. */
  private getSmall(ref: ObjectRef, dest: string): boolean {
    let bytes: Buffer;
    let linked: string | undefined;
    const dir = path.dirname(dest);
    const src = this.objectPath(ref.sha256);
    try {
      this.ensureDirSync(dir);
      const s = statSync(src);
      if (s.dev === this.devOf(dir) && (s.mode & 0o222) === 0) {
        linked = path.join(dir, `.gitrepro-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
        try {
          linkSync(src, linked);
        } catch {
          linked = undefined;
        }
      }
      bytes = readFileSync(linked ?? src);
    } catch {
      if (linked) rmSync(linked, { force: true });
      return false; // missing, denied: the async path reports it
    }
    const got = sha256Of(bytes);
    if (got !== ref.sha256 || bytes.length !== ref.size) {
      if (linked) rmSync(linked, { force: true });
      throw this.corrupt(ref, { sha256: got, size: bytes.length });
    }
    if (linked) {
      renameSync(linked, dest);
      return true;
    }
    const tmp = path.join(dir, `.gitrepro-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
      fchmodSync(fd, 0o444);
      closeSync(fd);
      renameSync(tmp, dest);
    } catch (e) {
      try {
        closeSync(fd);
      } catch {
        /* closed already */
      }
      rmSync(tmp, { force: true });
      throw e;
    }
    return true;
  }

  private rootDevCache?: number;
  private rootDev(): number {
    return (this.rootDevCache ??= statSync(this.root).dev);
  }

  private devs = new Map<string, number>();
  private devOf(dir: string): number {
    let d = this.devs.get(dir);
    if (d === undefined) {
      d = statSync(dir).dev;
      this.devs.set(dir, d);
    }
    return d;
  }

  private ensureDirSync(dir: string): void {
    if (this.made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
  }

  /**
   * get's counterpart of tryLink: a read-only object on dest's filesystem is hard-linked next to
   * dest, the linked bytes are hashed (every download is verified), then renamed into place.
   * Returns false to fall back to copying.
   */
  private async tryLinkOut(ref: ObjectRef, dest: string): Promise<boolean> {
    const src = this.objectPath(ref.sha256);
    const dir = path.dirname(dest);
    let s;
    let d;
    try {
      await mkdir(dir, { recursive: true });
      [s, d] = await Promise.all([stat(src), stat(dir)]);
    } catch {
      return false; // a missing object is reported by the copy path
    }
    if (s.dev !== d.dev || (s.mode & 0o222) !== 0 || !s.isFile()) return false;
    const tmp = path.join(dir, `.gitrepro-tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await link(src, tmp);
    } catch (e) {
      if (['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES'].includes(errno(e) ?? '')) return false;
      throw this.fsError(e, 'get');
    }
    try {
      const got = await hashFile(tmp);
      if (got.sha256 !== ref.sha256 || got.size !== ref.size) throw this.corrupt(ref, got);
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return true;
  }

  private async ensureRoot(): Promise<void> {
    if (this.made.has(this.root)) return;
    try {
      await mkdir(this.root); // not recursive: see the module comment
    } catch (e) {
      if (errno(e) === 'ENOENT') await this.check(); // explains the missing parent
      if (errno(e) !== 'EEXIST') throw e;
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

  private localCorrupt(ref: ObjectRef, got: { sha256: string; size: number }): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `local object ${ref.sha256.slice(0, 12)} is corrupt (${got.size} bytes hashing to ${got.sha256.slice(0, 12) || '?'}): not pushed`, {
      hint: 'run `gitrepro fsck` to find and quarantine damaged objects',
      data: { sha256: ref.sha256, got: got.sha256, size: got.size },
    });
  }

  private corrupt(ref: ObjectRef, got: { sha256: string; size: number }): GitreproError {
    return new GitreproError('GITREPRO_OBJECT_CORRUPT', `the copy of ${ref.sha256.slice(0, 12)} on store remote "${this.name}" is corrupt (got ${got.size} bytes hashing to ${got.sha256.slice(0, 12) || '?'}): not downloaded`, {
      hint: 'push the object again from a clone with a good copy (`gitrepro push` replaces a damaged one)',
      data: { sha256: ref.sha256, expectedSize: ref.size, got: got.sha256, size: got.size, remote: this.name },
    });
  }

  /** Permission problems become GITREPRO_REMOTE_DENIED; other errors pass through unchanged. */
  private fsError(e: unknown, op: string): unknown {
    const code = errno(e);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      return new GitreproError('GITREPRO_REMOTE_DENIED', `store remote "${this.name}": ${op} denied (${code}) under ${this.root}`, {
        hint: code === 'EROFS' ? 'the remote directory is on a read-only filesystem' : `check the permissions of ${this.root} for this user`,
        data: { remote: this.name, op, errno: code },
      });
    }
    return e;
  }
}

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** fsync of a directory makes a rename in it durable (ext4/xfs); some filesystems refuse it. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await fh.sync();
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: the file itself is already synced.
  } finally {
    await fh?.close();
  }
}

function sha256Of(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: the file itself is already synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
