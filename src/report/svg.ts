/**
 * The few SVG primitives the report's plots need: escaping, number formatting, linear and log
 * scales with "nice" ticks, axes. Written here rather than taken from a plotting library
 * (docs/metrics.md says why: three chart kinds, no DOM in Node, bytes we control).
 */

/** Escapes text for HTML and SVG (element content and attribute values alike). */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number as people read it: integers whole, others to 6 significant digits. */
export function fmt(v: unknown): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    return String(Number(v.toPrecision(6)));
  }
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Coordinates in SVG: two decimals are sub-pixel and keep the file small. */
export const r2 = (n: number): string => String(Math.round(n * 100) / 100);

export interface Scale {
  (v: number): number;
  ticks: number[];
  log: boolean;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** A linear scale from the data's extent (padded to nice ticks) onto [r0, r1]. */
/** Smallest and largest of many values (no spread: a series can hold more than the stack takes). */
export function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function linear(values: number[], r0: number, r1: number, count = 5): Scale {
  let [lo, hi] = extent(values);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - d, hi + d];
  }
  const step = niceStep(hi - lo, count);
  const a = Math.floor(lo / step) * step;
  const b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = a; t <= b + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  const s = ((v: number) => r0 + ((v - a) / (b - a)) * (r1 - r0)) as Scale;
  s.ticks = ticks;
  s.log = false;
  return s;
}

/** A log10 scale (positive values spanning two decades or more, as learning rates do). */
export function logScale(values: number[], r0: number, r1: number): Scale {
  const [lo, hi0] = extent(values);
  const a = Math.floor(Math.log10(lo));
  const b = Math.ceil(Math.log10(hi0));
  const hi = b === a ? a + 1 : b;
  const s = ((v: number) => r0 + ((Math.log10(v) - a) / (hi - a)) * (r1 - r0)) as Scale;
  s.ticks = Array.from({ length: hi - a + 1 }, (_, i) => 10 ** (a + i));
  s.log = true;
  return s;
}

/** Log when every value is positive and they span at least two decades. */
export function autoScale(values: number[], r0: number, r1: number): Scale {
  const [min, max] = extent(values);
  return min > 0 && max / min >= 100 ? logScale(values, r0, r1) : linear(values, r0, r1);
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const FRAME: Frame = { width: 560, height: 300, left: 64, right: 16, top: 28, bottom: 44 };

/** Gridlines and tick labels of a y scale. */
export function yAxis(f: Frame, y: Scale, label: string): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const out = y.ticks.map((t) => `<g class="tick"><line x1="${x0}" x2="${x1}" y1="${r2(y(t))}" y2="${r2(y(t))}"/><text x="${x0 - 6}" y="${r2(y(t) + 4)}" text-anchor="end">${esc(fmt(t))}</text></g>`);
  out.push(`<text class="axis-label" transform="translate(14 ${r2((f.top + f.height - f.bottom) / 2)}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
  return out.join('');
}

/** Tick labels under the plot at given x positions. */
export function xAxis(f: Frame, ticks: { x: number; label: string }[], label: string): string {
  const yb = f.height - f.bottom;
  const out = [`<line class="axis" x1="${f.left}" x2="${f.width - f.right}" y1="${yb}" y2="${yb}"/>`];
  for (const t of ticks) out.push(`<g class="tick"><line x1="${r2(t.x)}" x2="${r2(t.x)}" y1="${yb}" y2="${yb + 4}"/><text x="${r2(t.x)}" y="${yb + 16}" text-anchor="middle">${esc(t.label)}</text></g>`);
  out.push(`<text class="axis-label" x="${r2((f.left + f.width - f.right) / 2)}" y="${f.height - 6}" text-anchor="middle">${esc(label)}</text>`);
  return out.join('');
}

/** At most `max` evenly spread indices of 0..n-1, first and last included. */
export function spread(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out];
}

/** Ten distinguishable colours (Tableau 10), then they repeat. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Bytes as people read them (1.5 KiB). */
export { humanBytes as bytes } from '../units.js';
