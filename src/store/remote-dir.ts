/**
 * The directory remote: a local path (local disk, NFS, a mounted share) laid out like the local
 * store, `<dir>/objects/aa/bb/<sha256>`, read-only files, with `<dir>/tmp` for partial copies.
 *
 * put: on the same filesystem as the source (same st_dev) the object is hard-linked: objects are
 * immutable and read-only, so sharing the inode is safe (git-lfs does the same) and costs no
 * space or time. Otherwise it is copied into `<dir>/tmp` while hashing, fsynced, and renamed into
 * place, so a reader never sees a partial object.
 * get: copied next to the destination while hashing; sha256 and size are checked before rename.
 *
 * A missing directory is an empty remote: `has` finds nothing, `get` reports the object
 * missing, and the first `put` creates it. Only the remote directory itself is created, never
 * its missing parents: a path under an unmounted share or with a typo fails instead of quietly
 * filling the local disk.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { CHUNK, hashFile } from './hash.js';
import { receiveVerified, transfer } from './transfer.js';
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

  async get(ref: ObjectRef, dest: string, progress?: TransferProgress): Promise<void> {
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
