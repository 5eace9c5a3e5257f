/**
 * A packed ingest (LocalStore.ingestPacked: work-tree files read into pack buffers, named on the
 * hashing thread while the next buffer is read) that fails in the middle: it ends only after the
 * pack in hand is settled, so nothing of it (a pointer sent, a pack written) happens after the
 * caller has gone on; every pack it wrote is named by its bytes and its index agrees.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { LocalStore } from '../../src/store/local.js';
import { PACK_TARGET } from '../../src/store/pack.js';
import { decodeIndex } from '../../src/store/pack-format.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

it('a read that fails after a full pack buffer ends the ingest only once that pack is settled: no pointer sent after it, the pack named by its bytes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gr-ingest-'));
  const work = path.join(dir, 'work');
  mkdirSync(work);
  const files: { path: string; size: number }[] = [];
  const size = 1 << 20;
  // more than one pack buffer of files, then one whose name the kernel refuses (ENAMETOOLONG)
  for (let i = 0; i * size < PACK_TARGET + 4 * size; i++) {
    const b = Buffer.alloc(size, i + 1);
    b.writeUInt32BE(i, 0);
    const p = path.join(work, `f${i}`);
    writeFileSync(p, b);
    files.push({ path: p, size });
  }
  const firstPack = Math.ceil(PACK_TARGET / size);
  files.splice(firstPack + 1, 0, { path: path.join(work, 'x'.repeat(300)), size: 10 });
  const sent: string[] = [];
  const sink = { want: () => true, add: (r: { sha256: string }) => void sent.push(r.sha256) };
  const store = new LocalStore(path.join(dir, 'state'));
  const err = await store.ingestPacked(files, sink).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  expect(err?.code).toBe('ENAMETOOLONG');
  // the first buffer's files were named and sent before the failure came back, none after
  const atFailure = [...sent];
  expect(atFailure).toEqual(files.slice(0, firstPack).map((f) => sha(readFileSync(f.path))));
  await new Promise((r) => setTimeout(r, 200));
  expect(sent).toEqual(atFailure);
  const packs = path.join(dir, 'state', 'packs');
  const ids = readdirSync(packs).filter((n) => n.endsWith('.idx')).map((n) => n.slice(0, -4));
  expect(ids.length).toBe(1);
  const pack = readFileSync(path.join(packs, `${ids[0]}.pack`));
  expect(sha(pack)).toBe(ids[0]);
  const ix = decodeIndex(readFileSync(path.join(packs, `${ids[0]}.idx`)));
  expect(ix.blobs.map((b) => b.id).sort()).toEqual([...atFailure].sort());
  for (const b of ix.blobs) expect(sha(pack.subarray(b.offset, b.offset + b.length))).toBe(b.id);
});

it('an ingest of more than a pack buffer packs each new object once, across buffers: repeats and objects held packed or loose are left out, every pack named by its bytes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gr-ingest-'));
  const work = path.join(dir, 'work');
  mkdirSync(work);
  const size = 1 << 20;
  const body = (i: number): Buffer => {
    const b = Buffer.alloc(size - (i % 3), (i * 7) & 0xff);
    b.writeUInt32BE(i, 0);
    return b;
  };
  const store = new LocalStore(path.join(dir, 'state'));
  const heldPacked = body(1000);
  const heldLoose = body(1001);
  await store.packs.write([{ ref: { sha256: sha(heldPacked), size: heldPacked.length }, bytes: heldPacked }]);
  const staged = await store.stage(((p) => (writeFileSync(p, heldLoose), p))(path.join(dir, 'loose')));
  await store.commitStaged([staged]);
  const files: { path: string; size: number }[] = [];
  const want = new Map<string, string>();
  const n = Math.ceil((2 * PACK_TARGET) / size) + 3; // into a third buffer
  for (let i = 0; i <= n; i++) {
    // repeats of a file in the same buffer and of one a buffer earlier, and the held objects
    const b = i === 10 ? body(3) : i === 40 ? body(2) : i === n - 1 ? body(35) : i === 20 ? heldPacked : i === 50 ? heldLoose : body(i);
    const p = path.join(work, `f${i}`);
    writeFileSync(p, b);
    files.push({ path: p, size: b.length });
    want.set(p, sha(b));
  }
  const packsBefore = new Set(readdirSync(path.join(dir, 'state', 'packs')));
  const r = await store.ingestPacked(files, undefined);
  expect(r.fallback).toEqual([]);
  expect(new Map([...r.hashed].map(([p, h]) => [p, h.sha256]))).toEqual(want);
  const fresh = new Set(want.values());
  fresh.delete(sha(heldPacked));
  fresh.delete(sha(heldLoose));
  expect(r.added).toBe(fresh.size);
  const packs = path.join(dir, 'state', 'packs');
  const ids = readdirSync(packs).filter((x) => x.endsWith('.idx') && !packsBefore.has(x)).map((x) => x.slice(0, -4));
  expect(ids.length).toBe(3);
  const packed: string[] = [];
  for (const id of ids) {
    const pack = readFileSync(path.join(packs, `${id}.pack`));
    expect(sha(pack)).toBe(id);
    for (const b of decodeIndex(readFileSync(path.join(packs, `${id}.idx`))).blobs) {
      expect(sha(pack.subarray(b.offset, b.offset + b.length))).toBe(b.id);
      packed.push(b.id);
    }
  }
  expect(packed.sort()).toEqual([...fresh].sort()); // each new object once, none held
});
