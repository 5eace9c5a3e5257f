/**
 * The report's three plots, drawn to SVG text at report time (no script runs when it is read):
 *
 *   line    one metric over the range's commits, oldest → newest: one point per commit
 *   scatter a param (x) against a metric (y): one point per commit
 *   series  a metric with steps (CSV rows): one line per commit, x = its step column
 *
 * Every point (every series line) names its commit: `data-commit="<short id>"` and a
 * `<title>` that a browser shows on hover. The `<svg>` says what it holds (`data-kind`,
 * `data-key`, `data-points`) so a test, or a script of the reader's, can check it.
 */
import { autoScale, esc, fmt, FRAME, linear, PALETTE, r2, spread, xAxis, yAxis, type Frame } from './svg.js';

export interface PlotPoint {
  commit: string;
  /** hover text: what this point is */
  title: string;
  y: number;
}

function open(kind: string, key: string, points: number, title: string, f: Frame): string {
  return `<svg class="plot" data-kind="${kind}" data-key="${esc(key)}" data-points="${points}" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title><text class="plot-title" x="${f.left}" y="16">${esc(title)}</text>`;
}

/** One metric over commits (index 0 = oldest). Commits without a number get no point. */
export function lineChart(key: string, commits: { commit: string; y: number | undefined; title: string }[], f: Frame = FRAME): string {
  const pts = commits.map((c, i) => ({ ...c, i })).filter((c): c is typeof c & { y: number } => typeof c.y === 'number' && Number.isFinite(c.y));
  const x = (i: number) => (commits.length === 1 ? (f.left + f.width - f.right) / 2 : f.left + 8 + (i / (commits.length - 1)) * (f.width - f.right - f.left - 16));
  const y = linear(pts.map((p) => p.y), f.height - f.bottom, f.top);
  const out = [open('line', key, pts.length, `${key} over ${commits.length} commit(s)`, f), yAxis(f, y, key)];
  out.push(xAxis(f, spread(commits.length, 7).map((i) => ({ x: x(i), label: commits[i].commit })), 'commits, oldest → newest'));
  let d = '';
  let prev = -2;
  for (const p of pts) {
    d += `${p.i === prev + 1 ? 'L' : 'M'}${r2(x(p.i))} ${r2(y(p.y))}`;
    prev = p.i;
  }
  if (d) out.push(`<path class="line${commits.length > 200 ? ' dense' : ''}" d="${d}"/>`);
  const r = commits.length > 200 ? 1.6 : 3;
  for (const p of pts) out.push(`<circle class="pt" cx="${r2(x(p.i))}" cy="${r2(y(p.y))}" r="${r}" data-commit="${esc(p.commit)}"><title>${esc(p.title)}</title></circle>`);
  out.push('</svg>');
  return out.join('');
}

/** A param against a metric, one point per commit; x is categorical when it is not numeric. */
export function scatterChart(xKey: string, yKey: string, pts: { commit: string; x: unknown; y: number; title: string }[], f: Frame = FRAME): string {
  const numeric = pts.every((p) => typeof p.x === 'number' && Number.isFinite(p.x));
  const y = linear(pts.map((p) => p.y), f.height - f.bottom, f.top);
  const out = [open('scatter', `${xKey} ${yKey}`, pts.length, `${yKey} against ${xKey}`, f), yAxis(f, y, yKey)];
  let xOf: (v: unknown) => number;
  if (numeric) {
    const xs = autoScale(pts.map((p) => p.x as number), f.left + 12, f.width - f.right - 12);
    xOf = (v) => xs(v as number);
    out.push(xAxis(f, xs.ticks.map((t) => ({ x: xs(t), label: fmt(t) })), `${xKey}${xs.log ? ' (log scale)' : ''}`));
  } else {
    const cats = [...new Set(pts.map((p) => fmt(p.x)))].sort();
    const band = (f.width - f.left - f.right) / cats.length;
    xOf = (v) => f.left + band * (cats.indexOf(fmt(v)) + 0.5);
    out.push(xAxis(f, cats.map((c, i) => ({ x: f.left + band * (i + 0.5), label: c.length > 14 ? `${c.slice(0, 13)}…` : c })), xKey));
  }
  const r = pts.length > 200 ? 2 : 4;
  for (const p of pts) out.push(`<circle class="pt" cx="${r2(xOf(p.x))}" cy="${r2(y(p.y))}" r="${r}" data-commit="${esc(p.commit)}"><title>${esc(p.title)}</title></circle>`);
  out.push('</svg>');
  return out.join('');
}

export interface SeriesLine {
  commit: string;
  title: string;
  xs: (number | null)[];
  ys: (number | null)[];
}

/** A metric with steps: one line per commit (each thinned to `maxPoints` for the page). */
export function seriesChart(key: string, xName: string, lines: SeriesLine[], f: Frame = FRAME, maxPoints = 250): string {
  const pairs = lines.map((l) =>
    l.ys
      .map((v, i) => [l.xs[i], v] as const)
      .filter((p): p is readonly [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number' && Number.isFinite(p[0]) && Number.isFinite(p[1])),
  );
  const all = pairs.flat();
  const x = linear(all.map((p) => p[0]), f.left + 8, f.width - f.right - 8);
  const y = linear(all.map((p) => p[1]), f.height - f.bottom, f.top);
  const out = [open('series', key, lines.length, `${key} per ${xName}, one line per commit`, f), yAxis(f, y, key)];
  out.push(xAxis(f, x.ticks.map((t) => ({ x: x(t), label: fmt(t) })), xName));
  // a legend while it fits (the newest commits last, as drawn); past that, hover names a line
  if (lines.length <= 8) {
    lines.forEach((l, n) => out.push(`<g class="legend"><rect x="${f.width - f.right - 86}" y="${f.top + 4 + n * 14}" width="10" height="3" fill="${PALETTE[n % PALETTE.length]}"/><text x="${f.width - f.right - 72}" y="${f.top + 9 + n * 14}">${esc(l.commit)}</text></g>`));
  }
  lines.forEach((l, n) => {
    const p = pairs[n];
    const d = spread(p.length, maxPoints)
      .map((i, k) => `${k ? 'L' : 'M'}${r2(x(p[i][0]))} ${r2(y(p[i][1]))}`)
      .join('');
    const colour = PALETTE[n % PALETTE.length];
    out.push(`<g class="series" data-commit="${esc(l.commit)}"><title>${esc(l.title)}</title><path d="${d || 'M0 0'}" stroke="${colour}"/>`);
    if (p.length) out.push(`<circle class="end" cx="${r2(x(p[p.length - 1][0]))}" cy="${r2(y(p[p.length - 1][1]))}" r="2.5" fill="${colour}"/>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}
