/**
 * The report page: one self-contained HTML file that opens offline in any browser. No script,
 * no font, no image is fetched or run: every plot is inline SVG drawn here, the style is
 * inline, and a Content-Security-Policy of `default-src 'none'` makes the browser refuse
 * anything else (a second wall behind the escaping of every value: commit subjects, keys and
 * values come from records, which are untrusted input).
 *
 * Sections: the answer (best value of the primary metric and what else changed there), the
 * experiments table, one line plot per metric, series plots, scatters, and per commit its data
 * size and the changes from its parent (metrics, params, environment with the important
 * differences marked).
 */
import { lineChart, scatterChart, seriesChart, type SeriesLine } from './charts.js';
import { bytes, esc, fmt } from './svg.js';

export interface ReportCommit {
  commit: string;
  short: string;
  parent?: string;
  date: string;
  author: string;
  subject: string;
  data: { files: number; bytes: number };
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  series: Record<string, { x: string; xs: (number | null)[]; ys: (number | null)[]; rows: number }>;
  errors: { kind: string; file: string; error: string }[];
  envChanges?: { field: string; before: unknown; after: unknown; important: boolean }[];
}

export interface ReportModel {
  project: string;
  range: string;
  tool: string;
  generatedAt: string;
  /** oldest first */
  commits: ReportCommit[];
  withoutRecord: number;
  varying: { param: string[]; metric: string[] };
  constants: { param: Record<string, unknown>; metric: Record<string, unknown> };
  /** the metric the answer and the default scatters are about */
  primary?: { key: string; direction: 'max' | 'min' };
  /** which end of each metric is best (a lower loss is better) */
  direction: Record<string, 'max' | 'min'>;
  /** scatters to draw: [x key, y key] */
  scatters: [string, string][];
  /** metric keys drawn as line plots */
  lineKeys: string[];
  /** metric keys that have series, and the most recent commits drawn per series plot */
  seriesKeys: string[];
  maxSeriesLines: number;
  /** notes shown under a section (plots left out, and why) */
  notes: string[];
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const clip = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

const CSS = `
:root{color-scheme:light;--fg:#1d2430;--mute:#5b6576;--line:#d9dee7;--accent:#4e79a7;--warn:#b3261e;--up:#1b7f3b;--down:#b3261e}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);margin:0;padding:24px 32px;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
p.meta,.note{color:var(--mute)}nav a{margin-right:14px}a{color:var(--accent)}
.answer{background:#f3f6fb;border-left:4px solid var(--accent);padding:10px 14px;margin:16px 0}
.constants{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:var(--mute)}
.scroll{overflow-x:auto;max-height:70vh;border:1px solid var(--line)}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{position:sticky;top:0;background:#fff;box-shadow:0 1px 0 var(--line)}td.num{text-align:right;font-variant-numeric:tabular-nums}
th.metric{color:#6b3fa0}th.param{color:#2d6a4f}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.better{color:var(--up)}.worse{color:var(--down)}.best{font-weight:700;background:#fff6d6}.imp{color:var(--warn);font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:12px}svg.plot{border:1px solid var(--line);background:#fff;max-width:100%;height:auto}
svg.plot text{font:11px system-ui,sans-serif;fill:#5b6576}svg.plot .plot-title{font-size:13px;fill:#1d2430;font-weight:600}
svg.plot .tick line{stroke:#eceff4}svg.plot .axis{stroke:#9aa3b2}svg.plot path.line{fill:none;stroke:#4e79a7;stroke-width:1.5}svg.plot path.line.dense{stroke-width:.5;opacity:.6}
svg.plot circle.pt{fill:#4e79a7;stroke:#fff;stroke-width:.8}svg.plot g.series path{fill:none;stroke-width:1.5;opacity:.85}
details{border-bottom:1px solid var(--line);padding:4px 0}summary{cursor:pointer}ul.env{margin:4px 0 8px;padding-left:20px}
@media print{.scroll{max-height:none;overflow:visible}}
`;

function describe(c: ReportCommit, keys: string[]): string {
  return keys.map((k) => `${k} = ${fmt(c.params[k] ?? c.metrics[k])}`).join(', ');
}

function pointTitle(c: ReportCommit, key: string, m: ReportModel): string {
  const p = describe(c, m.varying.param.slice(0, 4));
  return `${c.short} ${clip(c.subject, 60)}\n${key} = ${fmt(c.metrics[key])}${p ? `\n${p}` : ''}`;
}

function answer(m: ReportModel, byId: Map<string, ReportCommit>): string {
  if (!m.primary) return `<p class="answer">No metric varies in this range: nothing to rank. ${m.varying.param.length ? `Params that vary: ${esc(m.varying.param.join(', '))}.` : ''}</p>`;
  const { key, direction } = m.primary;
  const scored = m.commits.filter((c) => isNum(c.metrics[key]));
  if (scored.length === 0) return `<p class="answer">No commit has a number for ${esc(key)}.</p>`;
  const best = scored.reduce((b, c) => ((direction === 'max' ? (c.metrics[key] as number) > (b.metrics[key] as number) : (c.metrics[key] as number) < (b.metrics[key] as number)) ? c : b));
  const parent = best.parent ? byId.get(best.parent) : undefined;
  const params = m.varying.param.map((k) => `<code>${esc(k)} = ${esc(fmt(best.params[k]))}</code>`).join(', ');
  const changed: string[] = [];
  if (parent) {
    for (const k of m.varying.param) if (!same(parent.params[k], best.params[k])) changed.push(`${esc(k)} ${esc(fmt(parent.params[k]))} → ${esc(fmt(best.params[k]))}`);
    if (parent.data.bytes !== best.data.bytes || parent.data.files !== best.data.files) changed.push(`data ${esc(bytes(parent.data.bytes))} → ${esc(bytes(best.data.bytes))}`);
  }
  const env = best.envChanges ?? [];
  const imp = env.filter((e) => e.important);
  if (env.length) changed.push(`${env.length} environment difference(s)${imp.length ? `, <span class="imp">${imp.length} important: ${esc(imp.slice(0, 3).map((e) => e.field).join(', '))}${imp.length > 3 ? ', …' : ''}</span>` : ''}`);
  return `<div class="answer"><strong>${direction === 'max' ? 'Highest' : 'Lowest'} ${esc(key)}: ${esc(fmt(best.metrics[key]))}</strong> at <a href="#c-${esc(best.short)}" class="mono">${esc(best.short)}</a> “${esc(clip(best.subject))}”${params ? ` with ${params}` : ''}.<br>${
    parent ? `What else changed from its parent <span class="mono">${esc(parent.short)}</span>: ${changed.length ? changed.join('; ') : 'nothing else recorded'}.` : env.length ? `Environment against its parent: ${changed.join('; ')}.` : ''
  }</div>`;
}

function constants(m: ReportModel): string {
  const part = (label: string, o: Record<string, unknown>) => {
    const e = Object.entries(o);
    return e.length ? `${label}: ${e.map(([k, v]) => `${esc(k)}=${esc(clip(fmt(v), 40))}`).join(' · ')}` : '';
  };
  const t = [part('params', m.constants.param), part('metrics', m.constants.metric)].filter(Boolean).join('<br>');
  return t ? `<p class="constants">The same in every commit: ${t}</p>` : '';
}

function table(m: ReportModel, byId: Map<string, ReportCommit>): string {
  const P = m.varying.param;
  const M = m.varying.metric;
  const best = new Map<string, number>();
  for (const k of M) {
    const nums = m.commits.map((c) => c.metrics[k]).filter(isNum);
    if (nums.length) best.set(k, nums.reduce((a, b) => (m.direction[k] === 'min' ? Math.min(a, b) : Math.max(a, b))));
  }
  const head = `<tr><th>commit</th><th>date</th><th>subject</th>${P.map((k) => `<th class="param" title="param">${esc(k)}</th>`).join('')}${M.map((k) => `<th class="metric" title="metric">${esc(k)}</th>`).join('')}<th>data</th><th>environment vs parent</th></tr>`;
  const rows = [...m.commits].reverse().map((c) => {
    const parent = c.parent ? byId.get(c.parent) : undefined;
    const cell = (v: unknown, cls: string[], was?: unknown, dir?: 'max' | 'min') => {
      if (isNum(v) && isNum(was) && v !== was) cls.push((v > was) === (dir !== 'min') ? 'better' : 'worse');
      const arrow = isNum(v) && isNum(was) && v !== was ? (v > was ? ' ▲' : ' ▼') : '';
      return `<td class="${[isNum(v) ? 'num' : '', ...cls].filter(Boolean).join(' ')}">${esc(clip(fmt(v), 40))}${arrow}</td>`;
    };
    const env = c.envChanges;
    const impFields = env?.filter((e) => e.important).map((e) => e.field) ?? [];
    const imp = impFields.length;
    const envCell = env === undefined ? '<td class="note">no parent record</td>' : env.length === 0 ? '<td class="note">none</td>' : `<td><a href="#c-${esc(c.short)}">${env.length} difference(s)</a>${imp ? ` <span class="imp">⚠ ${imp} important: ${esc(impFields.slice(0, 2).join(', '))}${imp > 2 ? ', …' : ''}</span>` : ''}</td>`;
    return `<tr id="row-${esc(c.short)}"><td class="mono"><a href="#c-${esc(c.short)}">${esc(c.short)}</a></td><td>${esc(c.date.slice(0, 10))}</td><td title="${esc(c.subject)}">${esc(clip(c.subject, 48))}</td>${P.map((k) => cell(c.params[k], [])).join('')}${M.map((k) => cell(c.metrics[k], best.get(k) === c.metrics[k] ? ['best'] : [], parent?.metrics[k], m.direction[k])).join('')}<td class="num">${esc(bytes(c.data.bytes))} · ${c.data.files} files</td>${envCell}</tr>`;
  });
  return `<div class="scroll"><table id="experiments"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div><p class="note">Newest first. ▲▼: the metric went up or down from the commit's parent, green when that is better. Bold: the best value of the column (the highest; the lowest for ${esc(Object.keys(m.direction).filter((k) => m.direction[k] === 'min' && M.includes(k)).join(', ') || 'loss-like metrics')}).</p>`;
}

function lines(m: ReportModel): string {
  if (m.lineKeys.length === 0) return '<p class="note">No numeric metric in this range.</p>';
  return `<div class="plots">${m.lineKeys.map((k) => lineChart(k, m.commits.map((c) => ({ commit: c.short, y: isNum(c.metrics[k]) ? (c.metrics[k] as number) : undefined, title: pointTitle(c, k, m) })))).join('')}</div>`;
}

function series(m: ReportModel): string {
  if (m.seriesKeys.length === 0) return '<p class="note">No metric with steps (a CSV/TSV metrics file with several rows) in this range.</p>';
  const out: string[] = [];
  for (const k of m.seriesKeys) {
    const withSeries = m.commits.filter((c) => c.series[k]);
    const shown = withSeries.slice(-m.maxSeriesLines);
    const ls: SeriesLine[] = shown.map((c) => ({ commit: c.short, xs: c.series[k].xs, ys: c.series[k].ys, title: `${c.short} ${clip(c.subject, 60)}\n${k}: ${c.series[k].rows} step(s), last ${fmt(c.metrics[k])}${m.varying.param.length ? `\n${describe(c, m.varying.param.slice(0, 4))}` : ''}` }));
    out.push(seriesChart(k, withSeries[0]?.series[k].x ?? 'step', ls));
    if (shown.length < withSeries.length) out.push(`<p class="note">${esc(k)}: the newest ${shown.length} of ${withSeries.length} commits are drawn (--max-lines).</p>`);
  }
  return `<div class="plots">${out.join('')}</div>`;
}

function scatters(m: ReportModel): string {
  if (m.scatters.length === 0) return '<p class="note">No param varies in this range: nothing to plot a metric against (or pass --x and --y).</p>';
  return `<div class="plots">${m.scatters
    .map(([xk, yk]) => {
      const value = (c: ReportCommit, k: string) => (k in c.params ? c.params[k] : c.metrics[k]);
      const pts = m.commits
        .filter((c) => value(c, xk) !== undefined && isNum(value(c, yk)))
        .map((c) => ({ commit: c.short, x: value(c, xk), y: value(c, yk) as number, title: `${c.short} ${clip(c.subject, 60)}\n${xk} = ${fmt(value(c, xk))}\n${yk} = ${fmt(value(c, yk))}` }));
      return pts.length ? scatterChart(xk, yk, pts) : `<p class="note">No commit has both ${esc(xk)} and a number for ${esc(yk)}.</p>`;
    })
    .join('')}</div>`;
}

function commitDetails(m: ReportModel, byId: Map<string, ReportCommit>): string {
  return [...m.commits]
    .reverse()
    .map((c) => {
      const parent = c.parent ? byId.get(c.parent) : undefined;
      const changes: string[] = [];
      if (parent) {
        for (const k of [...new Set([...Object.keys(parent.metrics), ...Object.keys(c.metrics)])].sort()) {
          const [a, b] = [parent.metrics[k], c.metrics[k]];
          if (same(a, b)) continue;
          const delta = isNum(a) && isNum(b) ? ` (${b - a >= 0 ? '+' : ''}${fmt(b - a)}${a !== 0 ? `, ${b - a >= 0 ? '+' : ''}${fmt(((b - a) / Math.abs(a)) * 100)}%` : ''})` : '';
          changes.push(`<li>metric <code>${esc(k)}</code>: ${esc(clip(fmt(a)))} → ${esc(clip(fmt(b)))}${esc(delta)}</li>`);
        }
        for (const k of [...new Set([...Object.keys(parent.params), ...Object.keys(c.params)])].sort()) {
          if (!same(parent.params[k], c.params[k])) changes.push(`<li>param <code>${esc(k)}</code>: ${esc(clip(fmt(parent.params[k])))} → ${esc(clip(fmt(c.params[k])))}</li>`);
        }
      }
      const env = [...(c.envChanges ?? [])].sort((a, b) => Number(b.important) - Number(a.important));
      const imp = env.filter((e) => e.important).length;
      const envList = env.map((e) => `<li${e.important ? ' class="imp"' : ''}>${e.important ? '⚠ ' : ''}<code>${esc(e.field)}</code>: ${esc(clip(fmt(e.before), 100))} → ${esc(clip(fmt(e.after), 100))}</li>`);
      const errors = c.errors.map((e) => `<li class="imp">${esc(e.kind)} file <code>${esc(e.file)}</code> could not be read: ${esc(e.error)}</li>`);
      const summary = `<span class="mono">${esc(c.short)}</span> ${esc(clip(c.subject, 70))} — data ${esc(bytes(c.data.bytes))} in ${c.data.files} file(s) — ${
        c.envChanges === undefined ? 'no parent record to compare the environment with' : env.length ? `${env.length} environment difference(s)${imp ? ` <span class="imp">⚠ ${imp} important</span>` : ''}` : 'environment unchanged'
      }${changes.length ? ` — ${changes.length} value change(s)` : ''}`;
      const body = [
        `<p class="meta">${esc(c.commit)} · ${esc(c.date)} · ${esc(c.author)}${parent ? ` · parent <a href="#c-${esc(parent.short)}" class="mono">${esc(parent.short)}</a>` : ''}</p>`,
        changes.length ? `<ul>${changes.join('')}</ul>` : '',
        envList.length ? `<p>Environment differences from the parent's record (⚠: can change results, as <code>gitrepro diff</code> marks them):</p><ul class="env">${envList.join('')}</ul>` : '',
        errors.length ? `<ul>${errors.join('')}</ul>` : '',
      ].join('');
      return `<details id="c-${esc(c.short)}"${imp ? ' open' : ''}><summary>${summary}</summary>${body}</details>`;
    })
    .join('');
}

/** The whole page. */
export function renderReport(m: ReportModel): string {
  const byId = new Map(m.commits.map((c) => [c.commit, c]));
  const title = `Experiments of ${m.project} · ${m.range}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<h1>${esc(title)}</h1>
<p class="meta">${m.commits.length} commit(s) with a record${m.withoutRecord ? `, ${m.withoutRecord} without (not shown)` : ''} · written by ${esc(m.tool)} at ${esc(m.generatedAt)} · a single file: nothing is fetched, nothing runs</p>
<nav><a href="#table">table</a><a href="#metrics">metrics</a><a href="#series">series</a><a href="#scatter">params vs metrics</a><a href="#commits">commits</a></nav>
${answer(m, byId)}
<h2 id="table">Experiments</h2>${constants(m)}${table(m, byId)}
<h2 id="metrics">Metrics over commits</h2>${lines(m)}
<h2 id="series">Metrics per step</h2>${series(m)}
<h2 id="scatter">Params against metrics</h2>${scatters(m)}
<h2 id="commits">Commits: data and environment</h2>${commitDetails(m, byId)}
${m.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
</body></html>
`;
}
