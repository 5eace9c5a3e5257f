/**
 * Content-defined chunking of big files (FastCDC's idea: a gear rolling hash, cut points where
 * the hash's top bits are zero, no cut before `min`, a stricter mask before `avg` and a looser
 * one after it so that chunk sizes cluster around the average, a forced cut at `max`). An edit
 * changes the chunks around it only: the cut points after it fall where they fell before, so a
 * 1 MiB edit or insert in a 1 GiB file makes a few new chunks, not a new file.
 *
 * Written here rather than taken from the registry (the one FastCDC package there is a single
 * 2024 release of WASM bindings): the loop is twenty lines, and measured on this machine it
 * runs at 1.6-1.7 GiB/s on random data in memory against 1.9 GiB/s for node's sha256 of the same
 * buffer when the machine is quiet, 0.9-1.1 against 1.8 under load (`node bench/chunker.mjs`):
 * chunking a file costs about what hashing it does. (A push hashes every chunk and the whole
 * file anyway, so the gear loop adds one pass of three.)
 *
 * The parameters and the gear table are part of docs/spec.md (a SHOULD: a reader takes any
 * chunk list, but two writers only share chunks when they cut alike).
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

export const CDC_MIN = 16 << 10;
export const CDC_AVG = 64 << 10;
export const CDC_MAX = 256 << 10;
/** 18 top bits before the average size, 14 after (FastCDC's normalisation level 2 around 2^16) */
const MASK_S = 0xffffc000 | 0;
const MASK_L = 0xfffc0000 | 0;

/** gear[i] = the first 4 bytes (big-endian) of sha256("gitrepro-gear-<i>") */
export const GEAR: Uint32Array = (() => {
  const g = new Uint32Array(256);
  for (let i = 0; i < 256; i++) g[i] = createHash('sha256').update(`gitrepro-gear-${i}`).digest().readUInt32BE(0);
  return g;
})();

/**
 * The end of the chunk that starts at `start` in `buf[start, end)`, where `end` is the end of the
 * data or at least CDC_MAX bytes ahead. Bit i of the 32-bit gear hash depends on the last i+1
 * bytes, so the masks test the top bits: a window of 14 to 32 bytes.
 */
export function cutPoint(buf: Uint8Array, start: number, end: number): number {
  let n = end - start;
  if (n <= CDC_MIN) return end;
  if (n > CDC_MAX) n = CDC_MAX;
  const normal = start + Math.min(CDC_AVG, n);
  const stop = start + n;
  const gear = GEAR;
  let h = 0;
  let i = start + CDC_MIN;
  for (; i < normal; i++) {
    h = ((h << 1) + gear[buf[i]!]!) | 0;
    if ((h & MASK_S) === 0) return i + 1;
  }
  for (; i < stop; i++) {
    h = ((h << 1) + gear[buf[i]!]!) | 0;
    if ((h & MASK_L) === 0) return i + 1;
  }
  return stop;
}

/** Reads of 8 MiB: large enough that the carried tail (< CDC_MAX) costs little to move. */
const BLOCK = 8 << 20;

/**
 * The same gear loop as cutPoint, as a WebAssembly function: 1.2-1.5 GiB/s here against
 * 0.55-0.7 for the JavaScript loop (`node bench/chunker.mjs`; this machine, 2026-12-07), which
 * made the loop the largest CPU cost of a push of big files (W1 through radosgw: 1.6 s of 4.1 s
 * on the main thread, `node --cpu-prof`). Twenty instructions, assembled here byte by byte (no
 * toolchain in the build); a unit test holds its cut points to cutPoint's on random data.
 *
 * Memory (imported): the gear table at byte 0 (256 little-endian i32), the data after it.
 * `c(i, normal, stop)`: the loop from position i with h = 0, the stricter mask before `normal`,
 * the looser one up to `stop`; returns the cut (the position after the byte that matched) or stop.
 */
const GEAR_BYTES = 1024;
let wasmCut: WebAssembly.Module | undefined;
function gearModule(): WebAssembly.Module {
  if (wasmCut) return wasmCut;
  const uleb = (v: number): number[] => {
    const out: number[] = [];
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return out;
  };
  const sleb = (v: number): number[] => {
    const out: number[] = [];
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
      out.push(b | 0x80);
    }
  };
  const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
  // locals: 0 = i, 1 = normal, 2 = stop (params), 3 = h
  const loop = (limit: number, mask: number): number[] => [
    0x02, 0x40, 0x03, 0x40, //                 block, loop
    0x20, 0x00, 0x20, limit, 0x4f, 0x0d, 0x01, // i >= limit (unsigned): leave the block
    0x20, 0x03, 0x41, 0x01, 0x74, //           h << 1
    0x20, 0x00, 0x2d, 0x00, 0x00, //           the byte at i (i32.load8_u)
    0x41, 0x02, 0x74, 0x28, 0x02, 0x00, //     its gear value (i32.load at byte * 4)
    0x6a, 0x22, 0x03, //                       h = (h << 1) + gear (local.tee)
    0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, // i += 1
    0x41, ...sleb(mask), 0x71, 0x45, //        (h & mask) == 0
    0x04, 0x40, 0x20, 0x00, 0x0f, 0x0b, //     if so: return i
    0x0c, 0x00, 0x0b, 0x0b, //                 next byte; end loop; end block
  ];
  const body = [0x01, 0x01, 0x7f, ...loop(1, MASK_S), ...loop(2, MASK_L), 0x20, 0x02, 0x0b];
  const bytes = new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f]), // type: (i32, i32, i32) -> i32
    ...section(2, [0x01, 0x01, 0x65, 0x01, 0x6d, 0x02, 0x00, 0x01]), // import "e" "m": a memory
    ...section(3, [0x01, 0x00]), // one function of that type
    ...section(7, [0x01, 0x01, 0x63, 0x00, 0x00]), // exported as "c"
    ...section(10, [0x01, ...uleb(body.length), ...body]),
  ]);
  return (wasmCut = new WebAssembly.Module(bytes));
}

/**
 * A buffer of `size` bytes and a cutPoint over it that runs the WebAssembly loop: the buffer is
 * the module's memory, after the gear table. Where WebAssembly cannot run, a plain buffer and
 * cutPoint.
 */
export function gearBuffer(size: number): { buf: Buffer; cut: (start: number, end: number) => number } {
  try {
    const mem = new WebAssembly.Memory({ initial: Math.ceil((GEAR_BYTES + size) / 65536) });
    const gear = new Uint8Array(mem.buffer, 0, GEAR_BYTES);
    gear.set(new Uint8Array(GEAR.buffer, GEAR.byteOffset, GEAR_BYTES)); // little-endian, as WebAssembly reads
    if (new DataView(mem.buffer).getUint32(4, true) !== GEAR[1]) throw new Error('not little-endian');
    const c = new WebAssembly.Instance(gearModule(), { e: { m: mem } }).exports.c as (i: number, normal: number, stop: number) => number;
    const buf = Buffer.from(mem.buffer, GEAR_BYTES, size);
    const cut = (start: number, end: number): number => {
      let n = end - start;
      if (n <= CDC_MIN) return end;
      if (n > CDC_MAX) n = CDC_MAX;
      return c(GEAR_BYTES + start + CDC_MIN, GEAR_BYTES + start + Math.min(CDC_AVG, n), GEAR_BYTES + start + n) - GEAR_BYTES;
    };
    return { buf, cut };
  } catch {
    const buf = Buffer.allocUnsafe(size);
    return { buf, cut: (start, end) => cutPoint(buf, start, end) };
  }
}

/**
 * The chunks of a file, read from `fh` from offset 0 to `size`. Each yielded buffer is a view
 * into a reused read buffer: valid until the next step of the iteration (copy it to keep it).
 * Fails when the file holds fewer bytes than `size` (it changed under us).
 */
export async function* chunkFile(fh: FileHandle, size: number): AsyncGenerator<Buffer, void, undefined> {
  const { buf, cut } = gearBuffer(BLOCK + CDC_MAX);
  let len = 0; // bytes in buf
  let pos = 0; // start of the next chunk in buf
  let read = 0; // bytes read from the file
  for (;;) {
    if (len - pos < CDC_MAX && read < size) {
      buf.copy(buf, 0, pos, len);
      len -= pos;
      pos = 0;
      while (len < buf.length && read < size) {
        const { bytesRead } = await fh.read(buf, len, Math.min(buf.length - len, size - read), read);
        if (bytesRead === 0) throw new Error(`file shrank while it was read: ${read} of ${size} bytes`);
        len += bytesRead;
        read += bytesRead;
      }
    }
    if (pos >= len) return;
    const end = cut(pos, len);
    yield buf.subarray(pos, end);
    pos = end;
  }
}

/** Chunk boundaries of an in-memory buffer (tests, fixtures). */
export function chunkBuffer(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < b.length; ) {
    const end = cutPoint(b, pos, b.length);
    out.push(b.subarray(pos, end));
    pos = end;
  }
  return out;
}
