#!/usr/bin/env node
// Throughput of the content-defined chunker (src/store/chunker.ts) against node's sha256, on the
// same random buffer in memory and on a file read in 8 MiB blocks (issue 15: chunking a file must
// not cost much more than hashing it). Usage: node bench/chunker.mjs [MiB (256)] [file]
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dir = mkdtempSync(path.join(tmpdir(), 'gr-chunker-'));
const out = path.join(dir, 'chunker.mjs');
await build({ entryPoints: [path.join(root, 'src/store/chunker.ts')], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error' });
const { chunkBuffer, chunkFile, gearBuffer } = await import(out);
rmSync(dir, { recursive: true, force: true });

const mib = Number(process.argv[2] ?? 256);
const gibps = (bytes, ms) => (bytes / 2 ** 30 / (ms / 1000)).toFixed(2);
const buf = randomBytes(mib << 20);
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  const n = chunkBuffer(buf).length;
  const tc = performance.now() - t;
  t = performance.now();
  createHash('sha256').update(buf).digest();
  const th = performance.now() - t;
  console.log(`in memory, ${mib} MiB: ${n} chunks (${(buf.length / n / 1024).toFixed(1)} KiB average); chunking ${gibps(buf.length, tc)} GiB/s, sha256 ${gibps(buf.length, th)} GiB/s`);
}
// the WebAssembly loop chunkFile uses (src/store/chunker.ts gearBuffer), on the same bytes
const g = gearBuffer(buf.length);
buf.copy(g.buf);
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  let n = 0;
  for (let p = 0; p < buf.length; n++) p = g.cut(p, buf.length);
  console.log(`in memory, WebAssembly loop: ${n} chunks, chunking ${gibps(buf.length, performance.now() - t)} GiB/s`);
}
const file = process.argv[3];
if (file) {
  const fh = await open(file, 'r');
  const size = (await fh.stat()).size;
  const t = performance.now();
  let n = 0;
  for await (const _ of chunkFile(fh, size)) n++;
  console.log(`${file}: ${n} chunks, chunking with reads ${gibps(size, performance.now() - t)} GiB/s`);
  await fh.close();
}
