/**
 * The repository lock (`<git-common-dir>/gitrepro/lock`): one gitrepro process at a time changes
 * the store, the snapshot chain and the notes of a repository (all worktrees share it).
 * Exclusive create holding the owner's pid; a lock whose owner is dead is taken over. Waiting is
 * bounded (GITREPRO_LOCK_TIMEOUT seconds, default 60) and ends in a clear GITREPRO_LOCKED error.
 * Re-entrant within one process.
 */
import { link, open, readFile, rm, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hostname } from 'node:os';
import { GitreproError } from '../errors.js';
import { setting } from '../settings.js';
import { keepOnSignal, removeOnSignal } from '../shutdown.js';

const held = new Map<string, number>();

/** True when a process with this pid runs on this host (EPERM: it runs, as another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let takes = 0;

/** Takes a lock file (exclusive create holding `pid host`) unless another live process holds it; no wait. */
export async function tryTake(file: string): Promise<boolean> {
  const owner = `${process.pid} ${hostname()}\n`;
  // the lock appears with its owner already in it (a temp file linked to its name): a process
  // killed between creating the lock and writing its pid left an empty lock nobody could judge
  // stale, and every later step waited its full timeout (test trust.test.ts, case 10)
  const tmp = `${file}.${process.pid}.${++takes}`;
  try {
    await writeFile(tmp, owner, { flag: 'wx' });
    try {
      await link(tmp, file);
      return true;
    } finally {
      await rm(tmp, { force: true });
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
      // no hard links here: created, then written
      try {
        const fh = await open(file, 'wx');
        await fh.writeFile(owner);
        await fh.close();
        return true;
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'EEXIST') throw e2;
      }
    }
  }
  // ours already (a hook shim takes the flusher's lock for the flusher it starts), or stale
  // (owner on this host and dead)?
  try {
    const [pid, host] = (await readFile(file, 'utf8')).trim().split(' ');
    if (host === hostname() && Number(pid) === process.pid) return true;
    if (host === hostname() && !alive(Number(pid))) {
      await rm(file, { force: true });
      return tryTake(file);
    }
  } catch {
    /* vanished: retry next round */
  }
  return false;
}

export async function withRepoLock<T>(sharedDir: string, fn: () => Promise<T>, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const file = path.join(sharedDir, 'lock');
  const depth = held.get(file) ?? 0;
  if (depth > 0) {
    held.set(file, depth + 1);
    try {
      return await fn();
    } finally {
      held.set(file, held.get(file)! - 1);
    }
  }
  await mkdir(sharedDir, { recursive: true });
  const timeoutMs = opts.timeoutMs ?? setting('GITREPRO_LOCK_TIMEOUT') * 1000;
  const start = Date.now();
  let delay = 10;
  while (!(await tryTake(file))) {
    if (Date.now() - start > timeoutMs) {
      let owner = 'another process';
      try {
        owner = `process ${(await readFile(file, 'utf8')).trim().split(' ')[0]}`;
      } catch {
        /* ignore */
      }
      throw new GitreproError('GITREPRO_LOCKED', `the repository is locked by ${owner} (waited ${Math.round(timeoutMs / 1000)} s${opts.what ? ` to ${opts.what}` : ''})`, {
        hint: `wait for it to finish; if no gitrepro process is running, remove ${file}`,
      });
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  held.set(file, 1);
  removeOnSignal(file); // Ctrl-C releases the lock (shutdown.ts)
  try {
    return await fn();
  } finally {
    held.delete(file);
    await rm(file, { force: true });
    keepOnSignal(file);
  }
}
