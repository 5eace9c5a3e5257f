// Reads the summary table of `strace -f -c -o FILE`: per syscall its calls, errors and seconds
// (system time spent in it, under ptrace: use the counts, and the seconds only as proportions).
import { readFileSync } from 'node:fs';

export function parseStraceSummary(file) {
  const rows = [];
  let total;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !/^[\d.]+$/.test(f[0]) || !/^[\d.]+$/.test(f[1])) continue;
    // % time, seconds, usecs/call, calls, [errors,] syscall (or "total")
    const name = f[f.length - 1];
    const r = { calls: Number(f[3]), errors: f.length === 6 ? Number(f[4]) : 0, seconds: Number(f[1]) };
    if (name === 'total') total = r;
    else rows.push({ syscall: name, ...r });
  }
  rows.sort((a, b) => b.calls - a.calls);
  return { total, top: rows };
}
