#!/usr/bin/env node
// Renders the hyperfine results of bench/remote.sh (one JSON per measurement) as a markdown table:
// median / min / max wall seconds, and MiB/s of W1's bytes for the transfers.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const small = Number(process.env.W1_SMALL_N ?? 10000) * Number(process.env.W1_SMALL_KIB ?? 16) * 1024;
const bytes = small + 2 * Number(process.env.W1_BIG_MIB ?? 256) * 2 ** 20;
const rows = [];
for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
  let r;
  try {
    r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')).results[0];
  } catch {
    continue; // a measurement that failed
  }
  const t = [...r.times].sort((a, b) => a - b);
  const med = t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  rows.push(`| ${f.slice(0, -5)} | ${med.toFixed(2)} | ${t[0].toFixed(2)} | ${t[t.length - 1].toFixed(2)} | ${t.length} | ${(bytes / 2 ** 20 / med).toFixed(0)} |`);
}
console.log(`W1: ${(bytes / 2 ** 20).toFixed(1)} MiB\n\n| measurement | median s | min s | max s | runs | MiB/s |\n|---|---|---|---|---|---|\n${rows.join('\n')}`);
