/**
 * When synchronous filesystem calls are the fast way. Each `fs.promises` call is a round trip
 * through libuv's thread pool; measured here (2 cores, ext4), the ~10 calls that linking and
 * checking one small object take cost ~0.35 ms asynchronously and ~0.05 ms synchronously, so
 * pushing W1's 10,000 small objects to a directory remote spent 3.9 s in those round trips.
 * On a network or FUSE filesystem each call waits for a server instead: there, parallel
 * asynchronous calls hide the latency, and synchronous ones would serialise it.
 */
import { statfsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Objects up to this size take the synchronous paths (reading one whole costs little). */
export const SMALL_OBJECT = 1 << 20;

// statfs(2) f_type magics of filesystems whose calls leave the machine (or go through a daemon)
const REMOTE_FS = new Set([
  0x6969, // NFS
  0xff534d42, // CIFS
  0xfe534d42, // SMB2
  0x517b, // SMB
  0x65735546, // FUSE (sshfs, s3fs, gcsfuse, ...)
  0x00c36400, // CephFS
  0x01161970, // GFS2
  0x0bd00bd0, // Lustre
  0x47504653, // GPFS
  0x5346414f, // AFS
  0x7461636f, // OCFS2
]);

const cache = new Map<string, boolean>();

/**
 * True when `dir` (or its nearest existing ancestor) is on a local filesystem, where synchronous
 * metadata calls beat the thread pool. Unknown: false (the asynchronous path is always correct).
 */
export function isLocalFs(dir: string): boolean {
  const hit = cache.get(dir);
  if (hit !== undefined) return hit;
  let p = dir;
  let local = false;
  for (;;) {
    try {
      local = !REMOTE_FS.has(Number(statfsSync(p).type));
      break;
    } catch {
      const up = path.dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  cache.set(dir, local);
  return local;
}

/**
 * Creates directories (each one's parent exists or is among them) with parallel asynchronous
 * mkdir calls, `jobs` at a time, skipping those in `made` and adding the new ones to it. Measured
 * here: 9,200 fan-out directories in 0.84-0.95 s this way, 1.07-1.5 s with one mkdirSync after
 * another (a new ext4 directory costs ~0.1 ms of kernel time, and two cores can share it).
 */
export async function makeDirs(dirs: Iterable<string>, made: Set<string>, jobs = 16): Promise<void> {
  const todo = [...new Set(dirs)].filter((d) => !made.has(d)).sort();
  const parents = [...new Set(todo.map((d) => path.dirname(d)))].filter((d) => !made.has(d));
  const run = async (list: string[], recursive: boolean): Promise<void> => {
    let i = 0;
    const lane = async (): Promise<void> => {
      while (i < list.length) {
        const d = list[i++]!;
        try {
          await mkdir(d, { recursive });
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        made.add(d);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, lane));
  };
  await run(parents, true);
  await run(todo, false);
}
