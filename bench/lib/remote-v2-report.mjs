#!/usr/bin/env node
// Renders a bench/remote-v2.sh run (hyperfine JSON per measurement, edit.out, busy.txt) as
// markdown: every figure side by side in both formats, then the targets with ratios.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const med = new Map();
const rows = [];
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
  let r;
  try {
    r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')).results[0];
  } catch {
    continue; // a measurement that failed
  }
  const t = [...r.times].sort((a, b) => a - b);
  const m = t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  med.set(f.slice(0, -5), m);
  rows.push(`| ${f.slice(0, -5)} | ${m.toFixed(2)} | ${t[0].toFixed(2)} | ${t[t.length - 1].toFixed(2)} | ${t.length} |`);
}
const busy = existsSync(path.join(dir, 'busy.txt')) ? readFileSync(path.join(dir, 'busy.txt'), 'utf8').trim().split('\n').map(Number) : [];
console.log(`| measurement | median s | min s | max s | runs |\n|---|---|---|---|---|\n${rows.join('\n')}\n`);
if (busy.length) console.log(`CPU busy before the measurements: ${Math.min(...busy)}-${Math.max(...busy)} % (median ${busy.sort((a, b) => a - b)[busy.length >> 1]} %)\n`);

const g = (k) => med.get(k);
const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : 'n/a');
const out = [];
const one = (v) => g(`one-push-v${v}`);
for (const v of [1, 2]) if (g('w2-push-v2') && one(v)) out.push(`| W2 push (v2) / push of the same bytes as one file (v${v}) | ${ratio(g('w2-push-v2'), one(v))} | ≤ 2 |`);
for (const v of [1, 2]) {
  const base = g(`one-clone-v${v}`) !== undefined && g('cp-r-w2') !== undefined ? g(`one-clone-v${v}`) + g('cp-r-w2') : undefined;
  if (g('w2-clone-v2') && base) out.push(`| W2 clone + restore (v2) / (clone of the one file (v${v}) + \`cp -r\` W2) | ${ratio(g('w2-clone-v2'), base)} | ≤ 2 |`);
}
if (g('w2-push-v1') && g('w2-push-v2')) out.push(`| W2 push: v1 / v2 | ${ratio(g('w2-push-v1'), g('w2-push-v2'))} | |`);
if (g('w2-clone-v1') && g('w2-clone-v2')) out.push(`| W2 clone + restore: v1 / v2 | ${ratio(g('w2-clone-v1'), g('w2-clone-v2'))} | |`);
if (g('w1-push-v2')) out.push(`| W1 push: 15.2 s (docs, v1, 2026-11-27) / v2 | ${ratio(15.2, g('w1-push-v2'))} | ≥ 3 |`);
if (g('w1-clone-v2')) out.push(`| W1 clone + restore: 60.7 s (docs, v1, 2026-11-27) / v2 | ${ratio(60.7, g('w1-clone-v2'))} | ≥ 3 |`);
if (g('w1-push-v1') && g('w1-push-v2')) out.push(`| W1 push: v1 / v2, this run | ${ratio(g('w1-push-v1'), g('w1-push-v2'))} | |`);
if (g('w1-clone-v1') && g('w1-clone-v2')) out.push(`| W1 clone + restore: v1 / v2, this run | ${ratio(g('w1-clone-v1'), g('w1-clone-v2'))} | |`);
const editFile = path.join(dir, 'edit.out');
if (existsSync(editFile)) {
  const e = JSON.parse(readFileSync(editFile, 'utf8'));
  out.push(`| 1 MiB overwritten in the middle of a 1 GiB file: MiB added to the remote | ${e.editMiddle1MiB.addedMiB.toFixed(2)} | ≤ 4 |`);
  out.push(`| 1 MiB inserted at the start of it: MiB added | ${e.insertStart1MiB.addedMiB.toFixed(2)} | ≤ 4 |`);
}
console.log(`| target | figure | wanted |\n|---|---|---|\n${out.join('\n')}`);
