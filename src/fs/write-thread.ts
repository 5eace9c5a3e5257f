/**
 * Writing many small files on a second thread.
 *
 * Why: a clone's restore writes 100,000 work-tree files while it fetches them, and each file is a
 * temp file created, written, closed and renamed: ~26 µs of system calls per file here, 2.6 s of
 * W2's clone on the main thread, which also receives, copies and packs what arrives (`node
 * --cpu-prof`: the main thread was the only busy core). A worker thread does the system calls of
 * a batch while the main thread goes on with the next one.
 *
 * The worker only writes what it is told: the bytes (spans of a shared buffer, checked by the
 * caller), the temp path (named and registered for removal on a signal by the caller: fs/atomic.ts)
 * and the destination. Each file is written as writeOne does it (the worker's source mirrors it:
 * a worker evaluated from a string cannot import the bundle; the unit tests hold both to the same
 * results): the temp file created with O_EXCL, written, closed, put in place after the checks of
 * placeChecked; on a failure the temp file is removed and the error is answered for that file
 * alone. A buffer that is not shared, a small batch, or a thread that failed: the calling thread
 * writes, the same way.
 */
import { closeSync, fchmodSync, linkSync, lstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { stopOnSignal } from '../shutdown.js';
import type { Worker } from 'node:worker_threads';

/** One file: `length` bytes at `offset` of the batch's buffer, into `dest` through `tmp`. */
export interface FileWrite {
  tmp: string;
  dest: string;
  offset: number;
  length: number;
  mode: number;
  /** fchmod after writing (the umask would take bits of `mode` away) */
  chmod: boolean;
  /**
   * Nothing was at `dest` when the caller looked: if something is there at the rename (a file
   * the user made meanwhile), the file fails with EEXIST and what is there stays.
   */
  absent?: boolean;
  /**
   * The file at `dest` when the caller looked (and stored it first): if it has changed by the
   * rename (an edit saved meanwhile), the file fails with EEXIST and what is there stays.
   */
  expect?: DestStat;
  /**
   * `tmp` is the file's final name inside a directory this restore made under a temp name
   * (materialize.ts, "a fresh directory is written whole"): the file is written there and left;
   * the caller renames the whole directory into place once all its files are written.
   */
  direct?: boolean;
}

/** What identifies a file's version without reading it: inode, size, times. */
export interface DestStat {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/**
 * Puts the finished temp file `tmp` at `dest`, unless `dest` is not what the caller saw: with
 * `absent`, by a hard link, which fails if anything is there (atomic; where links are refused, a
 * look then a rename); with `expect`, by a rename after a look. The temp file is gone after.
 */
export function placeChecked(tmp: string, dest: string, c: { absent?: boolean; expect?: DestStat }): void {
  try {
    if (c.absent) {
      try {
        linkSync(tmp, dest);
        rmSync(tmp, { force: true });
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw appeared();
        if (lstatSync(dest, { throwIfNoEntry: false })) throw appeared(); // no hard links here
      }
    } else if (c.expect) {
      const st = lstatSync(dest, { throwIfNoEntry: false });
      if (st && (st.ino !== c.expect.ino || st.size !== c.expect.size || st.mtimeMs !== c.expect.mtimeMs || st.ctimeMs !== c.expect.ctimeMs)) throw changed();
    }
    renameSync(tmp, dest);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A failed file's error: the errno code and message of the call that failed. */
export interface WriteError {
  code?: string;
  message: string;
}

/** The write of one file, on whichever thread runs it. */
export function writeOne(bytes: Uint8Array, f: FileWrite): void {
  const fd = openSync(f.tmp, 'wx', f.chmod ? 0o600 : f.mode);
  try {
    for (let off = 0; off < f.length; ) off += writeSync(fd, bytes, f.offset + off, f.length - off);
    if (f.chmod) fchmodSync(fd, f.mode);
  } catch (e) {
    closeSync(fd);
    rmSync(f.tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  if (!f.direct) placeChecked(f.tmp, f.dest, f);
}

function appeared(): Error {
  return Object.assign(new Error('a file appeared there while the restore ran; it was left as it is (`gitrepro restore` stores it, then writes the snapshot\'s version)'), { code: 'EEXIST' });
}

function changed(): Error {
  return Object.assign(new Error('the file there changed while the restore ran; it was left as it is (`gitrepro restore` stores it, then writes the snapshot\'s version)'), { code: 'EEXIST' });
}

let umask: number | undefined | null = null;
/** This process's umask, read from /proc (process.umask() would set it to read it); undefined where unknown. */
function processUmask(): number | undefined {
  if (umask === null) {
    try {
      const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
      umask = m ? parseInt(m[1]!, 8) : undefined;
    } catch {
      umask = undefined;
    }
  }
  return umask;
}

/**
 * True when a file created with `mode` needs an fchmod to have it exactly (the umask would take
 * bits away): one call per file only where needed (100,000 of them on W2).
 */
export function chmodNeeded(mode: number): boolean {
  return (mode & ~(processUmask() ?? 0o777)) !== mode;
}

function asWriteError(e: unknown): WriteError {
  return { code: (e as NodeJS.ErrnoException)?.code, message: (e as Error)?.message ?? String(e) };
}

/** The worker's source (CommonJS, evaluated): writeOne for each file of a batch. */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
// control[0]: 1 once the process is stopping (no file is started after it); control[1]: 1 while
// a batch is being written (the stopping thread waits for 0)
const control = new Int32Array(workerData.control);
parentPort.on('message', (m) => {
  const bytes = new Uint8Array(m.sab);
  const errors = [];
  Atomics.store(control, 1, 1);
  for (let i = 0; i < m.files.length; i++) {
    const f = m.files[i];
    if (Atomics.load(control, 0) === 1) {
      errors.push({ code: 'EINTR', message: 'stopped by a signal' });
      continue;
    }
    try {
      const fd = fs.openSync(f.tmp, 'wx', f.chmod ? 0o600 : f.mode);
      try {
        for (let off = 0; off < f.length; ) off += fs.writeSync(fd, bytes, f.offset + off, f.length - off);
        if (f.chmod) fs.fchmodSync(fd, f.mode);
      } catch (e) {
        fs.closeSync(fd);
        fs.rmSync(f.tmp, { force: true });
        throw e;
      }
      fs.closeSync(fd);
      // a file of a fresh directory written whole is at its final name already (direct)
      if (!f.direct) {
        try {
          if (f.absent && fs.lstatSync(f.dest, { throwIfNoEntry: false })) throw Object.assign(new Error(m.appeared), { code: 'EEXIST' });
          if (f.expect) {
            const st = fs.lstatSync(f.dest, { throwIfNoEntry: false });
            const x = f.expect;
            if (st && (st.ino !== x.ino || st.size !== x.size || st.mtimeMs !== x.mtimeMs || st.ctimeMs !== x.ctimeMs)) throw Object.assign(new Error(m.changed), { code: 'EEXIST' });
          }
          fs.renameSync(f.tmp, f.dest);
        } catch (e) {
          fs.rmSync(f.tmp, { force: true });
          throw e;
        }
      }
      errors.push(null);
    } catch (e) {
      errors.push({ code: e && e.code, message: String((e && e.message) || e) });
    }
  }
  Atomics.store(control, 1, 0);
  Atomics.notify(control, 1);
  parentPort.postMessage({ seq: m.seq, errors });
});
`;

/** Batches of fewer files are written on the calling thread: the hand-over would cost more. */
export const THREAD_MIN_FILES = 64;

/**
 * Writes batches of files on one worker thread, started by the first batch worth it and stopped
 * by close(). A thread that cannot start or fails leaves every later batch to the calling thread.
 */
export class FileWriter {
  private worker?: Promise<Worker>;
  private broken = false;
  private unstop?: () => void;
  private seq = 0;
  private waiting = new Map<number, { count: number; resolve: (e: (WriteError | null)[]) => void; reject: (e: Error) => void }>();
  /** batches written on the worker / on the calling thread (trace, tests) */
  readonly counts = { thread: 0, here: 0 };

  constructor(private readonly o: { thread: boolean; minFiles?: number } = { thread: true }) {}

  /**
   * Writes `files` from `buf` (offsets into its whole ArrayBuffer); answers, per file, null or
   * the error that stopped it. Never throws for a file's failure.
   */
  async write(buf: Uint8Array, files: readonly FileWrite[]): Promise<(WriteError | null)[]> {
    const sab = buf.buffer;
    const shared = typeof SharedArrayBuffer !== 'undefined' && sab instanceof SharedArrayBuffer;
    if (this.o.thread && !this.broken && shared && files.length >= (this.o.minFiles ?? THREAD_MIN_FILES)) {
      try {
        const errors = await this.onThread(sab, files);
        this.counts.thread++;
        return errors;
      } catch {
        // the thread failed: which of the files it wrote is not known, so the whole batch is
        // written here (same bytes; a temp file it left is removed first)
        this.broken = true;
        for (const f of files) rmSync(f.tmp, { force: true });
      }
    }
    this.counts.here++;
    const whole = new Uint8Array(sab, 0, sab.byteLength);
    return files.map((f) => {
      try {
        writeOne(whole, f);
        return null;
      } catch (e) {
        return asWriteError(e);
      }
    });
  }

  private async onThread(sab: ArrayBufferLike, files: readonly FileWrite[]): Promise<(WriteError | null)[]> {
    const w = await (this.worker ??= this.start());
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) w.ref(); // an answer awaited keeps the process alive
      this.waiting.set(seq, { count: files.length, resolve, reject });
      w.postMessage({ seq, sab, files, appeared: appeared().message, changed: changed().message });
    });
  }

  private async start(): Promise<Worker> {
    const { Worker } = await import('node:worker_threads');
    const control = new Int32Array(new SharedArrayBuffer(8));
    const w = new Worker(SOURCE, { eval: true, workerData: { control: control.buffer } });
    // on Ctrl-C: no new file after this, and the one being written is finished (its temp file
    // renamed or left registered) before the registered temp files are removed
    this.unstop = stopOnSignal(() => {
      Atomics.store(control, 0, 1);
      if (Atomics.load(control, 1) === 1) Atomics.wait(control, 1, 1, 2000);
    });
    const failAll = (e: Error): void => {
      this.broken = true;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('message', (m: { seq: number; errors?: (WriteError | null)[] }) => {
      const p = this.waiting.get(m.seq);
      if (!p) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) w.unref();
      if (!Array.isArray(m.errors) || m.errors.length !== p.count) p.reject(new Error('no answer'));
      else p.resolve(m.errors);
    });
    w.on('error', failAll);
    w.on('exit', () => failAll(new Error('the writing thread stopped')));
    w.unref(); // after the listeners: an idle thread never keeps the process alive
    return w;
  }

  /** Stops the thread (batches still waiting are written by their callers). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.unstop?.();
    this.unstop = undefined;
    if (w) await w.then((x) => x.terminate()).catch(() => {});
  }
}
