#!/usr/bin/env node
// Baseline: sha256 of every file under DIR with 1 MiB reads, on N worker threads (files are
// shared out by size, largest first, to the least-loaded thread).
//   node bench/sha256.mjs DIR [--threads N]
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

function hashFiles(files) {
  const buf = Buffer.allocUnsafe(1 << 20);
  let bytes = 0;
  const out = [];
  for (const f of files) {
    const h = createHash('sha256');
    const fd = openSync(f, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
    out.push(`${h.digest('hex')}  ${f}`);
  }
  return { bytes, out };
}

function walk(dir, acc = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, acc);
    else if (e.isFile()) acc.push(p);
  }
  return acc;
}

if (!isMainThread) {
  parentPort.postMessage(hashFiles(workerData));
} else {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threads');
  const threads = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 1;
  const dir = args[0];
  if (!dir || !(threads >= 1)) {
    console.error('usage: sha256.mjs DIR [--threads N]');
    process.exit(2);
  }
  const files = walk(dir).map((f) => ({ f, size: statSync(f).size })).sort((a, b) => b.size - a.size);
  const shares = Array.from({ length: threads }, () => ({ load: 0, files: [] }));
  for (const x of files) {
    const s = shares.reduce((m, c) => (c.load < m.load ? c : m));
    s.load += x.size;
    s.files.push(x.f);
  }
  const results = threads === 1
    ? [hashFiles(shares[0].files)]
    : await Promise.all(shares.map((s) => new Promise((res, rej) => {
        const w = new Worker(new URL(import.meta.url), { workerData: s.files });
        w.once('message', res);
        w.once('error', rej);
      })));
  const lines = results.flatMap((x) => x.out).sort();
  const bytes = results.reduce((s, x) => s + x.bytes, 0);
  const digest = createHash('sha256').update(lines.join('\n')).digest('hex');
  console.log(JSON.stringify({ files: lines.length, bytes, threads, digest }));
}
