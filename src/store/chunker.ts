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
 * The chunks of a file, read from `fh` from offset 0 to `size`. Each yielded buffer is a view
 * into a reused read buffer: valid until the next step of the iteration (copy it to keep it).
 * Fails when the file holds fewer bytes than `size` (it changed under us).
 */
export async function* chunkFile(fh: FileHandle, size: number): AsyncGenerator<Buffer, void, undefined> {
  const buf = Buffer.allocUnsafe(BLOCK + CDC_MAX);
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
    const end = cutPoint(buf, pos, len);
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
