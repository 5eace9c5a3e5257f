// Formatting shared by the report renderers (bench/report.mjs for W1, lib/report-w2.mjs for W2).
export const s = (x) => (x === undefined || x === null ? '–' : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
export const load = (o) => (o === undefined ? '' : `; other load ${Array.isArray(o) ? o.join('/') : o}`);
export const cellOf = (F) => (k) => (F[k] ? `${s(F[k].median)} (${s(F[k].min)}–${s(F[k].max)}, n=${F[k].n}${load(F[k].otherCores)})` : '–');
export const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');
/** Table rows per hook of GIT_TRACE2 summaries (lib/trace2.mjs summarize): runs, median wall, git ms, git calls. */
export const hookRows = (list) => {
  const by = {};
  for (const c of list ?? []) for (const h of c.hooks) (by[h.hook] ??= []).push(h);
  return Object.entries(by).map(([hook, hs]) => {
    const mid = (f) => { const v = hs.map(f).filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor((v.length - 1) / 2)] : null; };
    return `| ${hook} | ${hs.length} | ${mid((h) => h.wallMs)} | ${mid((h) => h.gitMs)} | ${[...new Set(hs.flatMap((h) => h.git.map((g) => g.cmd)))].join(', ')} |`;
  });
};
export const cmdWall = (list) => (list?.length ? list.map((c) => c.wallMs).join(', ') : '–');
/** One hook table (GIT_TRACE2 breakdown of a timed git command), printed through `p`. */
export const hookTable = (p, title, list) => {
  p();
  p(`${title}: git command wall ${cmdWall(list)} ms`);
  p();
  p('| hook | runs | wall ms | git ms | git calls |');
  p('|---|---|---|---|---|');
  for (const row of hookRows(list)) p(row);
};
export const phaseLine = (lines) => (lines?.length ? lines.join(' · ') : '(none)');
