// Reads a GIT_TRACE2_EVENT log (every git process of a run appends to one file) and answers
// "where did the time go" for one top-level command: its wall time, each hook's wall time, and
// the git processes each hook (or a detached child that outlived the command) ran.
import { readFileSync } from 'node:fs';

const ms = (iso) => Date.parse(iso.slice(0, 23) + 'Z') + Number(`0.${iso.slice(23, -1) || '0'}`);

/** Parses the log into processes keyed by sid, with hooks and absolute times (ms since epoch). */
export function parseTrace2(file) {
  const procs = new Map();
  const get = (sid) => {
    if (!procs.has(sid)) procs.set(sid, { sid, parent: sid.includes('/') ? sid.slice(0, sid.lastIndexOf('/')) : undefined, argv: [], hooks: [], children: new Map() });
    return procs.get(sid);
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let e;
    try { e = JSON.parse(line); } catch { continue; }
    const p = get(e.sid);
    const t = e.time ? ms(e.time) : undefined;
    if (e.event === 'start') { p.argv = e.argv; p.start = t - e.t_abs * 1000; }
    else if (e.event === 'exit') { p.end = p.start + e.t_abs * 1000; p.code = e.code; }
    else if (e.event === 'child_start') p.children.set(e.child_id, { cls: e.child_class, hook: e.hook_name, argv: e.argv, start: t });
    else if (e.event === 'child_exit') {
      const c = p.children.get(e.child_id);
      if (c) { c.end = c.start + e.t_rel * 1000; c.code = e.code; }
    }
  }
  for (const p of procs.values()) p.hooks = [...p.children.values()].filter((c) => c.cls === 'hook');
  return procs;
}

const sub = (argv) => {
  const a = argv.slice(1).filter((x, i, all) => !(i === 0 && x === '-c') && !(i === 1 && all[0] === '-c'));
  return a.slice(0, 2).join(' ');
};
const r = (x) => Math.round(x * 10) / 10;

/**
 * Summary of every top-level process whose argv starts with `match` (e.g. ['git','commit']).
 * For each hook: wall ms, git time inside the hook, and the git calls themselves (offset from
 * the hook's start, duration). `after` lists git calls of detached children
 * (the record flusher) that started after the command returned.
 */
export function summarize(procs, match) {
  const out = [];
  const descendants = (sid) => [...procs.values()].filter((q) => q.sid.startsWith(sid + '/') && q.start !== undefined);
  for (const p of procs.values()) {
    if (p.parent || p.start === undefined || !match.every((m, i) => (p.argv[i] ?? '').endsWith(m))) continue;
    const kids = descendants(p.sid);
    const hooks = p.hooks.map((h) => {
      const inside = kids.filter((k) => k.start >= h.start && k.start <= h.end);
      return {
        hook: h.hook,
        wallMs: r(h.end - h.start),
        gitMs: r(inside.reduce((s, k) => s + (k.end - k.start), 0)),
        git: inside.map((k) => ({ at: r(k.start - h.start), ms: r(k.end - k.start), cmd: sub(k.argv) })),
      };
    });
    const after = kids.filter((k) => k.start > p.end);
    out.push({
      argv: p.argv.join(' '),
      wallMs: r(p.end - p.start),
      hooksMs: r(hooks.reduce((s, h) => s + h.wallMs, 0)),
      hooks,
      detached: after.length ? { gitCalls: after.length, spanMs: r(Math.max(...after.map((k) => k.end)) - p.end), gitMs: r(after.reduce((s, k) => s + (k.end - k.start), 0)) } : null,
    });
  }
  return out;
}

/** git processes whose sid starts with `prefix` (set GIT_TRACE2_PARENT_SID for a non-git parent). */
export function gitCallsUnder(procs, prefix) {
  const calls = [...procs.values()].filter((q) => q.sid.startsWith(prefix + '/') && q.start !== undefined).sort((a, b) => a.start - b.start);
  const bySub = {};
  for (const c of calls) {
    const k = sub(c.argv);
    bySub[k] = bySub[k] ?? { n: 0, ms: 0 };
    bySub[k].n++;
    bySub[k].ms = r(bySub[k].ms + (c.end - c.start));
  }
  return { n: calls.length, gitMs: r(calls.reduce((s, c) => s + (c.end - c.start), 0)), bySub, first: calls[0]?.start, last: calls.length ? Math.max(...calls.map((c) => c.end)) : undefined };
}
