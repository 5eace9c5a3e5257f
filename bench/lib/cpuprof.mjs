// Summarizes V8 .cpuprofile files (node --cpu-prof): wall span of the profile, time idle
// (waiting on I/O, child processes, timers), GC, and the functions with the most self time.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const r = (x) => Math.round(x * 10) / 10;

export function summarizeProfile(file, top = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const byFn = new Map();
  let idle = 0, gc = 0, program = 0, total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    total += us;
    if (cf.functionName === '(idle)') { idle += us; continue; }
    if (cf.functionName === '(garbage collector)') gc += us;
    if (cf.functionName === '(program)') program += us;
    const where = cf.url ? `${path.basename(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  return {
    file: path.basename(file),
    spanMs: r((p.endTime - p.startTime) / 1000),
    sampledMs: r(total / 1000),
    idleMs: r(idle / 1000),
    busyMs: r((total - idle) / 1000),
    gcMs: r(gc / 1000),
    programMs: r(program / 1000),
    top: [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top).map(([fn, us]) => ({ fn, ms: r(us / 1000) })),
  };
}

export function summarizeProfileDir(dir, top) {
  return readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().map((f) => summarizeProfile(path.join(dir, f), top));
}
