/**
 * The pack push's second thread (store/hash-thread.ts) and what a push does with its answer
 * (PackBuilder.drop, store/pack.ts): the thread and the calling thread give the same answer,
 * a span that does not hash to its id is reported, and a dropped object leaves a pack whose
 * index and bytes agree.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { hashPack, namePack, PackHasher, sharedBuffer, type Span } from '../../src/store/hash-thread.js';
import { PackBuilder } from '../../src/store/pack.js';
import { decodeIndex, PACK_MAGIC } from '../../src/store/pack-format.js';
import { PROJECT } from '../helpers/repo.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function filled(n: number, seed: number): Buffer {
  const b = sharedBuffer(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

describe('PackHasher', () => {
  const size = 3 << 20;
  const buf = filled(size + 4096, 1); // bytes past `size` must not count
  const spans: Span[] = [
    { offset: 16, length: 4096, id: sha(buf.subarray(16, 4112)) },
    { offset: 5000, length: 70_000, id: sha(buf.subarray(5000, 75_000)) },
    { offset: 100_000, length: 10, id: sha(Buffer.from('not these bytes')) }, // wrong
    { offset: size - 100, length: 200, id: sha(buf.subarray(size - 100, size + 100)) }, // past the pack
    { offset: size - 100, length: 100, id: sha(buf.subarray(size - 100, size)) },
  ];

  it('answers on its thread what the calling thread computes: the pack hash and the spans that do not match', async () => {
    const here = hashPack(buf, size, spans);
    expect(here).toEqual({ packId: sha(buf.subarray(0, size)), bad: [2, 3], thread: false });
    const h = new PackHasher({ thread: true, minBytes: 0 });
    try {
      expect(await h.hash(buf, size, spans)).toEqual({ ...here, thread: true });
      expect(await h.hash(buf, 16, [])).toEqual({ packId: sha(buf.subarray(0, 16)), bad: [], thread: true });
      expect(h.counts).toEqual({ thread: 2, here: 0 });
    } finally {
      await h.close();
    }
  });

  it('hashes a layout (a prefix, then spans in order) instead of the buffer, on either thread', async () => {
    const layout = { prefix: Buffer.from('gitrepro.pack/v2\n'), concat: [spans[1]!, spans[0]!, spans[4]!] };
    const want = sha(Buffer.concat([layout.prefix, ...layout.concat.map((c) => buf.subarray(c.offset, c.offset + c.length))]));
    expect(hashPack(buf, size, spans, layout)).toEqual({ packId: want, bad: [2, 3], thread: false });
    const h = new PackHasher({ thread: true, minBytes: 0 });
    try {
      expect(await h.hash(buf, size, spans, layout)).toEqual({ packId: want, bad: [2, 3], thread: true });
      expect(h.counts.thread).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('hashes on the calling thread what it cannot share, what is small, and when told to', async () => {
    const plain = Buffer.from(buf); // not shared memory
    const a = new PackHasher({ thread: true, minBytes: 0 });
    const b = new PackHasher({ thread: true }); // default minimum: 8 MiB
    const c = new PackHasher({ thread: false, minBytes: 0 });
    try {
      expect(await a.hash(plain, size, spans)).toEqual(hashPack(buf, size, spans));
      expect(await b.hash(buf, size, spans)).toEqual(hashPack(buf, size, spans));
      expect(await c.hash(buf, size, spans)).toEqual(hashPack(buf, size, spans));
      expect([a.counts, b.counts, c.counts]).toEqual([{ thread: 0, here: 1 }, { thread: 0, here: 1 }, { thread: 0, here: 1 }]);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it("names an ingest's pack on its thread as the calling thread does: each span's sha256 and the pack's", async () => {
    const laid = [
      { offset: 16, length: 4096 },
      { offset: 4112, length: 70_000 },
      { offset: 74_112, length: 0 },
      { offset: 74_112, length: size - 74_112 },
    ];
    const here = namePack(buf, size, laid);
    expect(here).toEqual({ packId: sha(buf.subarray(0, size)), ids: laid.map((s) => sha(buf.subarray(s.offset, s.offset + s.length))), thread: false });
    const h = new PackHasher({ thread: true, minBytes: 0 });
    const plain = new PackHasher({ thread: true, minBytes: 0 });
    try {
      expect(await h.name(buf, size, laid)).toEqual({ ...here, thread: true });
      expect(await plain.name(Buffer.from(buf), size, laid)).toEqual(here); // not shared memory
      await (await (h as unknown as { worker: Promise<Worker> }).worker).terminate(); // as if it had crashed
      expect(await h.name(buf, size, laid)).toEqual(here);
      expect([h.counts, plain.counts]).toEqual([{ thread: 1, here: 1 }, { thread: 0, here: 1 }]);
    } finally {
      await Promise.all([h.close(), plain.close()]);
    }
  });

  it('a thread that is gone leaves the work to the calling thread, with the same answer', async () => {
    const h = new PackHasher({ thread: true, minBytes: 0 });
    try {
      expect(await h.hash(buf, size, spans)).toEqual({ ...hashPack(buf, size, spans), thread: true });
      await (await (h as unknown as { worker: Promise<Worker> }).worker).terminate(); // as if it had crashed
      expect(await h.hash(buf, size, spans)).toEqual(hashPack(buf, size, spans));
      expect(await h.hash(buf, size, spans)).toEqual(hashPack(buf, size, spans));
      expect(h.counts).toEqual({ thread: 1, here: 2 });
    } finally {
      await h.close();
    }
  });
});

describe('the hashing thread and the process', () => {
  it('an awaited answer keeps the process alive, an idle thread does not', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gr-hash-thread-'));
    try {
      const out = path.join(dir, 'hash-thread.mjs');
      await build({ entryPoints: [path.join(PROJECT, 'src/store/hash-thread.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
      // nothing but the thread's answer is pending while it hashes; the hasher is never closed
      const script = `import { PackHasher, sharedBuffer } from ${JSON.stringify(out)};
const h = new PackHasher({ thread: true, minBytes: 0 });
const buf = sharedBuffer(1 << 20);
const r = await h.hash(buf, buf.length, []);
console.log(r.packId, h.counts.thread);`;
      writeFileSync(path.join(dir, 'run.mjs'), script);
      // a process that hangs is killed at the time-out: status null, not 0
      const res = spawnSync(process.execPath, [path.join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 60_000 });
      expect(res.status).toBe(0);
      expect(res.stdout.trim()).toBe(`${sha(Buffer.alloc(1 << 20))} 1`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('PackBuilder.drop', () => {
  it('takes objects out: the others move down, the index and the bytes agree, the refs of the dropped go', () => {
    const objs = ['first', 'second, to drop', 'third', 'fourth, to drop too', 'fifth'].map((t) => Buffer.from(t.repeat(100)));
    const b = new PackBuilder();
    try {
      for (const o of objs) {
        b.add(sha(o), o);
        b.refs.push({ sha256: sha(o), size: o.length });
        b.bytes += o.length;
      }
      b.unchecked.set(sha(objs[2]!), { offset: b.blobs[2]!.offset, length: objs[2]!.length, redo: () => {} });
      b.drop(new Set([sha(objs[1]!), sha(objs[3]!)]));
      expect(b.unchecked.get(sha(objs[2]!))!.offset).toBe(PACK_MAGIC.length + objs[0]!.length);
      b.unchecked.clear();
      const built = b.finish();
      const kept = [objs[0]!, objs[2]!, objs[4]!];
      expect(built.pack).toEqual(Buffer.concat([PACK_MAGIC, ...kept]));
      expect(built.packId).toBe(sha(built.pack));
      const ix = decodeIndex(built.index);
      for (const o of kept) {
        const e = ix.blobs.find((x) => x.id === sha(o))!;
        expect(built.pack.subarray(e.offset, e.offset + e.length)).toEqual(o);
      }
      expect(ix.blobs.length).toBe(3);
      expect(b.refs.map((r) => r.sha256)).toEqual(kept.map(sha));
      expect(b.bytes).toBe(kept.reduce((n, o) => n + o.length, 0));
      expect(b.has(sha(objs[1]!))).toBe(false);
    } finally {
      b.release();
    }
  });

  it('a pack with objects left unchecked is not finished', () => {
    const b = new PackBuilder();
    const o = Buffer.from('x'.repeat(50));
    b.add(sha(o), o);
    b.unchecked.set(sha(o), { offset: b.blobs[0]!.offset, length: o.length, redo: () => {} });
    expect(() => b.finish()).toThrow(/unchecked/);
    b.release();
  });
});
