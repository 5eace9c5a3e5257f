/**
 * sha256 of a pack push's buffers on a second thread.
 *
 * Why: a pack push is CPU-bound on the main thread, and a third of that CPU is sha256 — every
 * object copied out of a local pack is re-hashed (no damaged local copy is ever pushed), and
 * every pack is hashed for its name (W2's push, 100,000 objects in 13 packs: 0.67 s of 3.4 s,
 * `node --cpu-prof`). A worker thread hashes a finished pack while the main thread reads the next
 * one; the pack's bytes are shared (a SharedArrayBuffer), not copied.
 *
 * The worker only computes: the caller decides. It gets a pack's buffer, its size and the spans to
 * check with the ids they must hash to, and answers the pack's sha256 and the indexes of the spans
 * that did not match; or, for a pack an ingest laid out from work-tree files (`name`), the sha256
 * of each span. The same functions run on the main thread when a buffer is not shared, a pack is
 * small (a thread start costs ~30 ms), or the thread failed: the answer is the same.
 */
import { createHash } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { sha256Hex } from './receive.js';

/** A span of a pack buffer whose bytes must hash to `id`. */
export interface Span {
  offset: number;
  length: number;
  id: string;
}

/**
 * What the pack's hash covers, when it is not the buffer's first `size` bytes: `prefix`, then the
 * bytes of `concat` in order (a local pack written from objects received in a remote's range).
 */
export interface PackLayout {
  prefix: Uint8Array;
  concat: readonly { offset: number; length: number }[];
}

export interface PackHash {
  /** sha256 of the buffer's first `size` bytes (or of the layout asked for) */
  packId: string;
  /** indexes into the spans asked about whose bytes do not hash to their id */
  bad: number[];
  /** computed on the second thread (false: on the calling one) */
  thread: boolean;
}

/** The check itself, on whichever thread runs it. */
export function hashPack(buf: Uint8Array, size: number, spans: readonly Span[], layout?: PackLayout): PackHash {
  const bytes = buf.subarray(0, size);
  const bad: number[] = [];
  spans.forEach((s, i) => {
    if (s.offset < 0 || s.offset + s.length > size || sha256Hex(bytes.subarray(s.offset, s.offset + s.length)) !== s.id) bad.push(i);
  });
  if (!layout) return { packId: sha256Hex(bytes), bad, thread: false };
  const h = createHash('sha256').update(layout.prefix);
  for (const c of layout.concat) h.update(bytes.subarray(c.offset, c.offset + c.length));
  return { packId: h.digest('hex'), bad, thread: false };
}

/** What namePack answers: the pack's sha256 and each span's. */
export interface PackNames {
  packId: string;
  ids: string[];
  thread: boolean;
}

/** The sha256 of the buffer's first `size` bytes and of each span, on whichever thread runs it. */
export function namePack(buf: Uint8Array, size: number, spans: readonly { offset: number; length: number }[]): PackNames {
  const bytes = buf.subarray(0, size);
  return { packId: sha256Hex(bytes), ids: spans.map((s) => sha256Hex(bytes.subarray(s.offset, s.offset + s.length))), thread: false };
}

/** The worker's source (CommonJS, evaluated): hashPack's check and namePack's names, on its own thread. */
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const hex = typeof crypto.hash === 'function'
  ? (b) => crypto.hash('sha256', b, 'hex')
  : (b) => crypto.createHash('sha256').update(b).digest('hex');
parentPort.on('message', (m) => {
  try {
    const bytes = new Uint8Array(m.sab, 0, m.size);
    if (m.name) {
      const ids = [];
      for (let i = 0; 2 * i < m.spans.length; i++) ids.push(hex(bytes.subarray(m.spans[2 * i], m.spans[2 * i] + m.spans[2 * i + 1])));
      parentPort.postMessage({ seq: m.seq, packId: hex(bytes), ids });
      return;
    }
    const bad = [];
    for (let i = 0; i < m.ids.length; i++) {
      const off = m.spans[2 * i], len = m.spans[2 * i + 1];
      if (off < 0 || off + len > m.size || hex(bytes.subarray(off, off + len)) !== m.ids[i]) bad.push(i);
    }
    let packId;
    if (m.concat) {
      const h = crypto.createHash('sha256').update(m.prefix);
      for (let i = 0; i < m.concat.length; i += 2) h.update(bytes.subarray(m.concat[i], m.concat[i] + m.concat[i + 1]));
      packId = h.digest('hex');
    } else packId = hex(bytes);
    parentPort.postMessage({ seq: m.seq, packId, bad });
  } catch (e) {
    parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

/** Packs below this size are hashed on the calling thread: the hand-over would cost more. */
export const THREAD_MIN_BYTES = 8 << 20;

/**
 * Hashes packs on one worker thread, started on the first pack worth it and stopped by close().
 * A thread that cannot start or fails leaves every later pack to the calling thread.
 */
export class PackHasher {
  /** node:worker_threads is loaded with the thread: a hook that never hashes a big pack skips it (~1 ms) */
  private worker?: Promise<Worker>;
  private broken = false;
  private seq = 0;
  private waiting = new Map<number, { resolve: (m: Answer) => void; reject: (e: Error) => void }>();
  /** packs hashed on the worker / on the calling thread (trace, tests) */
  readonly counts = { thread: 0, here: 0 };

  constructor(private readonly o: { thread: boolean; minBytes?: number } = { thread: true }) {}

  async hash(buf: Buffer, size: number, spans: readonly Span[], layout?: PackLayout): Promise<PackHash> {
    const m = await this.threaded(buf, size, (sab) => {
      const concat = layout ? Float64Array.from(layout.concat.flatMap((c) => [c.offset, c.length])) : undefined;
      const prefix = layout ? Uint8Array.from(layout.prefix) : undefined;
      return { msg: { sab, size, spans: flatSpans(spans), ids: spans.map((s) => s.id), concat, prefix }, moved: concat ? [concat.buffer, prefix!.buffer] : [] };
    });
    if (m && m.bad) {
      this.counts.thread++;
      return { packId: m.packId, bad: m.bad, thread: true };
    }
    if (m) this.broken = true;
    this.counts.here++;
    return hashPack(buf, size, spans, layout);
  }

  /** namePack on the thread (same rules as `hash`: small or unshared buffers are named here). */
  async name(buf: Buffer, size: number, spans: readonly { offset: number; length: number }[]): Promise<PackNames> {
    const m = await this.threaded(buf, size, (sab) => ({ msg: { sab, size, spans: flatSpans(spans), name: true }, moved: [] }));
    if (m && m.ids?.length === spans.length) {
      this.counts.thread++;
      return { packId: m.packId, ids: m.ids, thread: true };
    }
    if (m) this.broken = true;
    this.counts.here++;
    return namePack(buf, size, spans);
  }

  /** The thread's answer to a message, or undefined when this buffer is for the calling thread. */
  private async threaded(buf: Buffer, size: number, make: (sab: SharedArrayBuffer) => { msg: Record<string, unknown>; moved: ArrayBuffer[] }): Promise<Answer | undefined> {
    const sab = buf.buffer;
    const shared = typeof SharedArrayBuffer !== 'undefined' && sab instanceof SharedArrayBuffer && buf.byteOffset === 0;
    if (!this.o.thread || this.broken || !shared || size < (this.o.minBytes ?? THREAD_MIN_BYTES)) return undefined;
    try {
      const w = await (this.worker ??= this.start());
      const seq = ++this.seq;
      const { msg, moved } = make(sab);
      const m = await new Promise<Answer>((resolve, reject) => {
        if (this.waiting.size === 0) w.ref(); // an answer awaited keeps the process alive
        this.waiting.set(seq, { resolve, reject });
        w.postMessage({ seq, ...msg }, [(msg.spans as Float64Array<ArrayBuffer>).buffer, ...moved]);
      });
      return m;
    } catch {
      this.broken = true; // the calling thread takes over: same answer, only slower
      return undefined;
    }
  }

  private async start(): Promise<Worker> {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(SOURCE, { eval: true });
    const failAll = (e: Error): void => {
      this.broken = true;
      for (const p of this.waiting.values()) p.reject(e);
      this.waiting.clear();
    };
    w.on('message', (m: { seq: number; packId?: string; bad?: number[]; ids?: string[]; error?: string }) => {
      const p = this.waiting.get(m.seq);
      if (!p) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) w.unref();
      if (m.error !== undefined || m.packId === undefined || (!m.bad && !m.ids)) p.reject(new Error(m.error ?? 'no answer'));
      else p.resolve({ packId: m.packId, bad: m.bad, ids: m.ids });
    });
    w.on('error', failAll);
    w.on('exit', () => failAll(new Error('the hashing thread stopped')));
    // an idle thread never keeps the process alive (after the listeners: adding a 'message'
    // listener refs the worker again)
    w.unref();
    return w;
  }

  /** Stops the thread (packs still waiting are rejected, and their callers hash them themselves). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.then((x) => x.terminate()).catch(() => {});
  }
}

/** A thread's answer: `bad` to a check, `ids` to a naming. */
interface Answer {
  packId: string;
  bad?: number[];
  ids?: string[];
}

function flatSpans(spans: readonly { offset: number; length: number }[]): Float64Array<ArrayBuffer> {
  const flat = new Float64Array(spans.length * 2);
  spans.forEach((s, i) => {
    flat[2 * i] = s.offset;
    flat[2 * i + 1] = s.length;
  });
  return flat;
}

/** A buffer a PackHasher's thread can read without a copy. */
export function sharedBuffer(size: number): Buffer {
  return typeof SharedArrayBuffer === 'undefined' ? Buffer.allocUnsafe(size) : Buffer.from(new SharedArrayBuffer(size));
}
