/**
 * Writing files atomically, the one way gitrepro does it: a temp file on the destination's
 * filesystem, written, made durable (fsync of the file, and of the directory after the rename,
 * where the filesystem allows), then renamed over the destination. A reader sees the old file or
 * the whole new one, never a part. Temp names come from `tempPath` only, so every leftover of a
 * killed process has one recognisable shape (`.gitrepro-tmp-*`).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { keepOnSignal, removeOnSignal } from '../shutdown.js';

/** The prefix of every temp file gitrepro creates (walks skip such names; see workspace/walk.ts). */
export const TEMP_PREFIX = '.gitrepro-tmp-';

/** random per process, then a counter: randomBytes per name cost 0.5 s for W2's 200,000 temp files */
const RUN = randomBytes(6).toString('hex');
let serial = 0;

/** The names tempPath makes (a killed process's leftovers are recognised by this whole shape). */
export const TEMP_NAME = /^\.gitrepro-tmp-.*-\d+-[0-9a-f]{12}-\d+$/;

/** The process id in a temp name tempPath made; 0 for any other name. */
export function tempOwner(name: string): number {
  return TEMP_NAME.test(name) ? Number(/-(\d+)-[0-9a-f]{12}-\d+$/.exec(name)?.[1] ?? 0) : 0;
}

/** True for a temp path or a path inside a temp directory (a restore's fresh directory, written whole). */
export function inTemp(rel: string): boolean {
  return rel.startsWith(TEMP_PREFIX) || rel.includes(`/${TEMP_PREFIX}`);
}

/** True when some part of `rel` has tempPath's whole shape: a killed process's leftover, never the user's. */
export function isTempLeftover(rel: string): boolean {
  return inTemp(rel) && rel.split('/').some((part) => TEMP_NAME.test(part));
}

/** A fresh temp path in `dir`: `.gitrepro-tmp-<tag>-<pid>-<random>-<n>` (callers create it with O_EXCL). */
export function tempPath(dir: string, tag = 'file'): string {
  const p = path.join(dir, `${TEMP_PREFIX}${tag}-${process.pid}-${RUN}-${++serial}`);
  removeOnSignal(p); // shutdown.ts: a process stopped by Ctrl-C leaves no temp file
  return p;
}

/** A temp file was renamed into place or removed. */
export function tempDone(p: string): void {
  keepOnSignal(p);
}

/** Writes a file atomically: temp file in the same dir, fsync (unless `durable: false`), rename. */
export async function writeFileAtomic(file: string, data: string | Buffer, opts: { mode?: number; durable?: boolean } = {}): Promise<void> {
  const tmp = tempPath(path.dirname(file), path.basename(file).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40));
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
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    tempDone(tmp);
  }
}

/** fsync of a directory makes a rename in it durable (ext4/xfs); some filesystems refuse it. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    await fh.sync();
  } catch {
    // EINVAL/EISDIR on filesystems without directory fsync: the file itself is already synced
  } finally {
    await fh?.close();
  }
}

/** syncDir in one synchronous call sequence (the small-object fast paths; store/fsfast.ts). */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // as syncDir
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const execFileP = promisify(execFile);

/**
 * syncfs(2) on the filesystem holding `dir` (coreutils `sync -f`), falling back to a full sync:
 * one call makes a whole batch of written files durable (measured: fsync per 16 KiB file costs
 * 0.2 ms, one `sync -f` 14 ms).
 */
export async function syncFs(dir: string): Promise<void> {
  try {
    await execFileP('sync', ['-f', dir]);
  } catch {
    await execFileP('sync', []).catch(() => {});
  }
}
