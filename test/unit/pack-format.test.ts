/**
 * Store remote format v2 (docs/spec.md): golden fixtures in fixtures/remote-v2/ and one test per
 * MUST rule of the pack index, the chunk list and the format marker. The fixtures are checked-in
 * bytes: the encoders must reproduce them exactly (one valid encoding), the decoders must read
 * them, and every mutation that breaks a rule must be refused.
 * Regenerate (only for a new format version): GITREPRO_WRITE_FIXTURES=1 npx vitest run test/unit/pack-format.test.ts
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CDC_AVG, CDC_MAX, CDC_MIN, chunkBuffer, GEAR } from '../../src/store/chunker.js';
import { BlobTable, decodeChunkList, decodeIndex, encodeChunkList, encodeIndex, FormatError, LAYOUT, PACK_MAGIC, type PackIndex } from '../../src/store/pack-format.js';
import { checkFileKey, markerBytes, parseMarker } from '../../src/store/remote-format.js';
import { PROJECT } from '../helpers/repo.js';

const DIR = path.join(PROJECT, 'fixtures', 'remote-v2');
const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The fixture remote: one pack with "hello\n", "world\n", an empty object and the chunk list of "hello\nworld\n". */
function build(): { pack: Buffer; index: Buffer; chunks: Buffer; marker: Buffer; ix: PackIndex } {
  const hello = Buffer.from('hello\n');
  const world = Buffer.from('world\n');
  const empty = Buffer.alloc(0);
  const chunks = encodeChunkList({ size: 12, chunks: [{ id: sha(hello), length: 6 }, { id: sha(world), length: 6 }] });
  const parts = [PACK_MAGIC, hello, world, empty, chunks];
  const pack = Buffer.concat(parts);
  const at = (i: number): number => parts.slice(0, i).reduce((n, p) => n + p.length, 0);
  const ix: PackIndex = {
    pack: sha(pack),
    packSize: pack.length,
    blobs: [
      { id: sha(hello), offset: at(1), length: 6 },
      { id: sha(world), offset: at(2), length: 6 },
      { id: sha(empty), offset: at(3), length: 0 },
      { id: sha(chunks), offset: at(4), length: chunks.length },
    ],
    chunked: [{ id: sha('hello\nworld\n'), size: 12, list: sha(chunks) }],
  };
  return { pack, index: encodeIndex(ix), chunks, marker: markerBytes(2), ix };
}

const golden = build();
if (process.env.GITREPRO_WRITE_FIXTURES === '1') {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(path.join(DIR, 'gitrepro-format'), golden.marker);
  writeFileSync(path.join(DIR, `pack-${golden.ix.pack}.pack`), golden.pack);
  writeFileSync(path.join(DIR, `index-${sha(golden.index)}.idx`), golden.index);
  writeFileSync(path.join(DIR, `chunks-${sha(golden.chunks)}`), golden.chunks);
}
const fixture = (prefix: string): Buffer => {
  const name = [`pack-${golden.ix.pack}.pack`, `index-${sha(golden.index)}.idx`, `chunks-${sha(golden.chunks)}`, 'gitrepro-format'].find((n) => n.startsWith(prefix))!;
  const p = path.join(DIR, name);
  if (!existsSync(p)) throw new Error(`missing golden fixture ${p}`);
  return readFileSync(p);
};

/** A copy of `b` with `patch` written at `at`. */
function patched(b: Buffer, at: number, patch: Buffer): Buffer {
  const c = Buffer.from(b);
  patch.copy(c, at);
  return c;
}
const u64 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
};
const refuse = (f: () => unknown, msg: RegExp): void => {
  expect(f).toThrow(FormatError);
  expect(f).toThrow(msg);
};

describe('format v2 golden fixtures', () => {
  it('the encoders reproduce the fixtures byte for byte, and the decoders read them back', () => {
    expect(golden.pack.equals(fixture('pack-'))).toBe(true);
    expect(golden.index.equals(fixture('index-'))).toBe(true);
    expect(golden.chunks.equals(fixture('chunks-'))).toBe(true);
    expect(fixture('gitrepro-format').toString()).toBe('gitrepro.remote/v2\n');
    const ix = decodeIndex(fixture('index-'));
    expect(ix).toEqual({ ...golden.ix, blobs: [...golden.ix.blobs].sort((a, b) => (a.id < b.id ? -1 : 1)) });
    expect(decodeChunkList(fixture('chunks-'))).toEqual({ size: 12, chunks: [{ id: sha('hello\n'), length: 6 }, { id: sha('world\n'), length: 6 }] });
    // every blob entry names bytes of the pack that hash to its id
    const pack = fixture('pack-');
    for (const b of ix.blobs) expect(sha(pack.subarray(b.offset, b.offset + b.length))).toBe(b.id);
    // the chunks of the chunked entry reassemble into its object
    const list = decodeChunkList(fixture('chunks-'));
    const whole = Buffer.concat(list.chunks.map((c) => { const b = ix.blobs.find((x) => x.id === c.id)!; return pack.subarray(b.offset, b.offset + b.length); }));
    expect(sha(whole)).toBe(ix.chunked[0]!.id);
  });

  it('encoding sorts entries by id: one valid encoding whatever the input order', () => {
    const shuffled = { ...golden.ix, blobs: [...golden.ix.blobs].reverse() };
    expect(encodeIndex(shuffled).equals(golden.index)).toBe(true);
  });
});

describe('pack index: MUST rules', () => {
  const ix = (): Buffer => Buffer.from(golden.index);
  const H = LAYOUT.INDEX_HEADER;
  const B = LAYOUT.BLOB_ENTRY;
  const nb = golden.ix.blobs.length;

  it('starts with "gitrepro.idx/v2\\n"', () => refuse(() => decodeIndex(patched(ix(), 13, Buffer.from('3'))), /does not start with/));
  it('is exactly header + 48 bytes per blob + 72 per chunked entry long', () => {
    refuse(() => decodeIndex(Buffer.concat([ix(), Buffer.alloc(1)])), /take/);
    refuse(() => decodeIndex(ix().subarray(0, ix().length - 1)), /take/);
    refuse(() => decodeIndex(patched(ix(), 56, u32(1_000_000))), /take/); // a count that claims more entries
    refuse(() => decodeIndex(ix().subarray(0, 10)), /shorter than an index header/);
  });
  it('every blob lies inside the pack, after its header', () => {
    refuse(() => decodeIndex(patched(ix(), H + 40, u64(BigInt(golden.pack.length)))), /outside the pack/); // length past the end
    refuse(() => decodeIndex(patched(ix(), H + 32, u64(3n))), /outside the pack/); // inside the header
    refuse(() => decodeIndex(patched(ix(), 48, u64(5n))), /shorter than the pack header/); // pack size
  });
  it('sizes and offsets are at most 2^50', () => refuse(() => decodeIndex(patched(ix(), H + 32, u64(2n ** 60n))), /larger than 2\^50/));
  it('blob ids are sorted, without repeats', () => {
    const b = ix();
    const swapped = Buffer.concat([b.subarray(0, H), b.subarray(H + B, H + 2 * B), b.subarray(H, H + B), b.subarray(H + 2 * B)]);
    refuse(() => decodeIndex(swapped), /not sorted/);
    const repeated = Buffer.concat([b.subarray(0, H), b.subarray(H, H + B), b.subarray(H, H + B), b.subarray(H + 2 * B)]);
    refuse(() => decodeIndex(repeated), /not sorted/);
  });
  it('a chunked entry names a chunk list that is a blob of the same index, and has a size', () => {
    const at = H + B * nb;
    refuse(() => decodeIndex(patched(ix(), at + 40, Buffer.alloc(32, 7))), /is not a blob of this index/);
    refuse(() => decodeIndex(patched(ix(), at + 32, u64(0n))), /has size 0/);
  });
  it('no object is both a blob and a chunked entry', () => {
    const at = H + B * nb;
    const blobId = Buffer.from(golden.index.subarray(H, H + 32));
    refuse(() => decodeIndex(patched(ix(), at, blobId)), /both a blob and a chunked entry/);
  });
  it('the encoder refuses what the decoder would', () => {
    expect(() => encodeIndex({ ...golden.ix, blobs: [...golden.ix.blobs, golden.ix.blobs[0]!] })).toThrow();
    expect(() => encodeIndex({ ...golden.ix, packSize: 10 })).toThrow();
  });
});

describe('a local pack index checked and searched in place (BlobTable)', () => {
  const blobsOnly = (): Buffer => encodeIndex({ ...golden.ix, chunked: [] });
  const H = LAYOUT.INDEX_HEADER;
  const B = LAYOUT.BLOB_ENTRY;

  it('reads what decodeIndex reads: the same pack, size and every blob where the decoder puts it; an absent id is not found', () => {
    const t = BlobTable.check(blobsOnly());
    const d = decodeIndex(blobsOnly());
    expect([t.pack, t.packSize, t.count]).toEqual([d.pack, d.packSize, d.blobs.length]);
    expect([...t.entries()]).toEqual(d.blobs);
    for (const b of d.blobs) expect(t.find(Buffer.from(b.id, 'hex'))).toEqual({ offset: b.offset, length: b.length });
    expect(t.find(Buffer.from(sha('absent'), 'hex'))).toBeUndefined();
  });
  it('finds each of 1,000 objects by binary search, and none of 1,000 others', () => {
    const blobs = Array.from({ length: 1000 }, (_, i) => ({ id: sha(`in ${i}`), offset: 17 + i * 10, length: 10 }));
    const t = BlobTable.check(encodeIndex({ pack: sha('p'), packSize: 17 + 10_000, blobs, chunked: [] }));
    for (const b of blobs) expect(t.find(Buffer.from(b.id, 'hex'))).toEqual({ offset: b.offset, length: b.length });
    for (let i = 0; i < 1000; i++) expect(t.find(Buffer.from(sha(`out ${i}`), 'hex'))).toBeUndefined();
  });
  it('refuses every index decodeIndex refuses, and one with chunked entries', () => {
    const b = blobsOnly();
    const bad = [
      patched(b, 13, Buffer.from('3')),
      Buffer.concat([b, Buffer.alloc(1)]),
      b.subarray(0, b.length - 1),
      patched(b, 56, u32(1_000_000)),
      b.subarray(0, 10),
      patched(b, H + 40, u64(BigInt(golden.pack.length))),
      patched(b, H + 32, u64(3n)),
      patched(b, 48, u64(5n)),
      patched(b, H + 32, u64(2n ** 60n)),
      Buffer.concat([b.subarray(0, H), b.subarray(H + B, H + 2 * B), b.subarray(H, H + B), b.subarray(H + 2 * B)]),
      Buffer.concat([b.subarray(0, H), b.subarray(H, H + B), b.subarray(H, H + B), b.subarray(H + 2 * B)]),
    ];
    for (const x of bad) {
      expect(() => decodeIndex(x)).toThrow(FormatError);
      expect(() => BlobTable.check(x)).toThrow(FormatError);
    }
    refuse(() => BlobTable.check(golden.index), /chunked entries/);
  });
  it('open checks the header only: a damaged entry is refused when find returns it and left out of entries, an intact one still found', () => {
    const b = blobsOnly();
    const header = [patched(b, 13, Buffer.from('3')), Buffer.concat([b, Buffer.alloc(1)]), patched(b, 56, u32(1_000_000)), b.subarray(0, 10), patched(b, 48, u64(5n))];
    for (const x of header) expect(() => BlobTable.open(x)).toThrow(FormatError);
    refuse(() => BlobTable.open(golden.index), /chunked entries/);
    const d = decodeIndex(b);
    // entry 0's length runs past the pack; entry 1 stays intact
    const x = patched(b, H + 40, u64(BigInt(golden.pack.length)));
    const t = BlobTable.open(x);
    expect(() => t.find(Buffer.from(d.blobs[0]!.id, 'hex'))).toThrow(/lies outside the pack/);
    expect(t.find(Buffer.from(d.blobs[1]!.id, 'hex'))).toEqual({ offset: d.blobs[1]!.offset, length: d.blobs[1]!.length });
    // entries() leaves the damaged entry out, as find does; the strict check refuses the index
    expect([...t.entries()].map((e) => e.id)).toEqual(d.blobs.slice(1).map((b) => b.id));
    expect(() => t.checkEntries()).toThrow(FormatError);
    // out of order: open accepts, the full check refuses
    const swapped = Buffer.concat([b.subarray(0, H), b.subarray(H + B, H + 2 * B), b.subarray(H, H + B), b.subarray(H + 2 * B)]);
    expect(BlobTable.open(swapped).count).toBe(d.blobs.length);
    refuse(() => BlobTable.open(swapped).checkEntries(), /not sorted/);
  });
});

describe('chunk list: MUST rules', () => {
  const cl = (): Buffer => Buffer.from(golden.chunks);
  const H = LAYOUT.CHUNKS_HEADER;
  it('starts with "gitrepro.chunks/v2\\n"', () => refuse(() => decodeChunkList(patched(cl(), 0, Buffer.from('G'))), /does not start with/));
  it('is exactly header + 36 bytes per chunk long, with at least one chunk', () => {
    refuse(() => decodeChunkList(Buffer.concat([cl(), Buffer.alloc(1)])), /take/);
    refuse(() => decodeChunkList(patched(cl(), 27, u32(3))), /take/);
    const none = Buffer.concat([cl().subarray(0, 19), u64(0n), u32(0)]);
    refuse(() => decodeChunkList(none), /names no chunk/);
  });
  it('every chunk is 1 byte to 16 MiB long', () => {
    refuse(() => decodeChunkList(patched(cl(), H + 32, u32(0))), /has length 0/);
    refuse(() => decodeChunkList(patched(cl(), H + 32, u32((16 << 20) + 1))), /has length/);
  });
  it('the lengths add up to the file size', () => refuse(() => decodeChunkList(patched(cl(), 19, u64(13n))), /add up to 12/));
});

describe('format marker and file names', () => {
  it('a marker is exactly "gitrepro.remote/v<N>\\n"', () => {
    expect(parseMarker(Buffer.from('gitrepro.remote/v2\n'))).toBe(2);
    expect(parseMarker(Buffer.from('gitrepro.remote/v1\n'))).toBe(1);
    expect(parseMarker(Buffer.from('gitrepro.remote/v3\n'))).toBe(3); // newer: the caller refuses it
    for (const bad of ['gitrepro.remote/v2', 'gitrepro.remote/v2\r\n', 'gitrepro.remote/v02\n', ' gitrepro.remote/v2\n', 'gitrepro.remote/v2\n\n', '']) expect(parseMarker(Buffer.from(bad)), JSON.stringify(bad)).toBeUndefined();
  });
  it('file keys are only the marker, packs/<sha256>.pack and index/<sha256>.idx', () => {
    const id = sha('x');
    for (const ok of ['gitrepro-format', `packs/${id}.pack`, `index/${id}.idx`]) expect(checkFileKey(ok)).toBe(ok);
    for (const bad of [`packs/../${id}.pack`, `index/${id}.pack`, `packs/${id.toUpperCase()}.pack`, `objects/${id}`, `/index/${id}.idx`, `index/${id}.idx/`]) expect(() => checkFileKey(bad), bad).toThrow();
  });
});

describe('chunker (SHOULD: writers cut alike, so clones share chunks)', () => {
  it('uses the documented gear table and sizes', () => {
    expect(GEAR[0]).toBe(createHash('sha256').update('gitrepro-gear-0').digest().readUInt32BE(0));
    expect([CDC_MIN, CDC_AVG, CDC_MAX]).toEqual([16384, 65536, 262144]);
  });
  it('cuts deterministic chunks within the bounds, and an edit changes only the chunks around it', () => {
    const data = Buffer.concat(Array.from({ length: (4 << 20) / 32 }, (_, i) => createHash('sha256').update(`d${i}`).digest()));
    const a = chunkBuffer(data);
    expect(Buffer.concat(a).equals(data)).toBe(true);
    for (const c of a.slice(0, -1)) expect(c.length >= CDC_MIN && c.length <= CDC_MAX).toBe(true);
    const avg = data.length / a.length;
    expect(avg).toBeGreaterThan(CDC_AVG * 0.7);
    expect(avg).toBeLessThan(CDC_AVG * 1.6);
    // 1 KiB inserted at 1 MiB: chunks before it and (after resynchronising) after it stay
    const edited = Buffer.concat([data.subarray(0, 1 << 20), Buffer.alloc(1024, 9), data.subarray(1 << 20)]);
    const b = chunkBuffer(edited);
    const ids = new Set(a.map((c) => sha(Buffer.from(c))));
    const fresh = b.filter((c) => !ids.has(sha(Buffer.from(c))));
    expect(fresh.length).toBeLessThanOrEqual(3);
    expect(sha(golden.pack)).toBe(golden.ix.pack);
  });
  it('the WebAssembly loop cuts where cutPoint cuts, and chunkFile yields chunkBuffer\'s chunks (file ends, short tails, runs without a cut)', async () => {
    const { chunkFile, cutPoint, gearBuffer } = await import('../../src/store/chunker.js');
    const random = Buffer.concat(Array.from({ length: (9 << 20) / 32 }, (_, i) => createHash('sha256').update(`w${i}`).digest())); // > one 8 MiB read
    const flat = Buffer.alloc(1 << 20, 7); // one byte value: the hash never matches, every cut is forced at CDC_MAX
    for (const data of [random, flat, random.subarray(0, CDC_MIN + 5), random.subarray(0, CDC_MIN), Buffer.concat([flat, random])]) {
      const { buf, cut } = gearBuffer(data.length);
      data.copy(buf);
      const want: number[] = [];
      const got: number[] = [];
      for (let p = 0; p < data.length; ) want.push((p = cutPoint(data, p, data.length)));
      for (let p = 0; p < data.length; ) got.push((p = cut(p, data.length)));
      expect(got).toEqual(want);
      // and through the file reader (8 MiB reads, the tail carried over)
      const dir = mkdtempSync(path.join(tmpdir(), 'gr-chunk-'));
      try {
        writeFileSync(path.join(dir, 'f'), data);
        const fh = await open(path.join(dir, 'f'), 'r');
        const chunks: string[] = [];
        for await (const c of chunkFile(fh, data.length)) chunks.push(sha(Buffer.from(c)));
        await fh.close();
        expect(chunks).toEqual(chunkBuffer(data).map((c) => sha(Buffer.from(c))));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // the WebAssembly path ran: the buffer is the module's memory (pages of 64 KiB), after the gear table
    const g = gearBuffer(16).buf;
    expect([g.byteOffset, g.buffer.byteLength % 65536]).toEqual([1024, 0]);
  });
});

describe('range reads (store/pack.ts planReads)', () => {
  it('merges neighbours closer than the gap, up to the longest read, in offset order', async () => {
    const { planReads } = await import('../../src/store/pack.js');
    const w = (offset: number, length: number) => ({ offset, length, item: offset });
    const reads = planReads('p', [w(1000, 10), w(17, 100), w(117, 50), w(500, 10), w(10_000_000, 5)], 400, 1 << 20);
    expect(reads.map((r) => [r.offset, r.length, r.items.map((i) => i.item)])).toEqual([
      [17, 493, [17, 117, 500]], // 117 touches 17's end; 500 is 333 bytes after 167: within the gap
      [1000, 10, [1000]], // 490 bytes after 510: a read of its own
      [10_000_000, 5, [10_000_000]],
    ]);
    const capped = planReads('p', [w(17, 600), w(617, 600)], 400, 1000);
    expect(capped.length).toBe(2); // together they would pass the longest read
  });
});
