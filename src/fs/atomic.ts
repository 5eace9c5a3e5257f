/** Small filesystem helpers: atomic writes (temp, fsync, rename) and directory cleanup. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

/** Writes a file atomically: temp file in the same dir, fsync (unless `durable: false`), rename. */
export async function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number; durable?: boolean } = {}): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.gitrepro-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (opts.durable !== false) await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
}

/** Removes now-empty parent directories of `rel` up to (not including) `root`. */
export async function pruneEmptyDirs(root: string, rel: string): Promise<void> {
  let dir = path.dirname(rel);
  while (dir && dir !== '.' && dir !== '/') {
    try {
      await rmdir(path.join(root, dir));
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}
