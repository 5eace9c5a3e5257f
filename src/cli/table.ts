/**
 * Plain-text tables for the terminal, and their CSV form. A table wider than the terminal is
 * folded: its columns are split into blocks that fit, each block repeating the leading key
 * columns (the commit), one block under the other, as R and pandas print wide data frames.
 */

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** colour of the header (a param or a metric column) */
  paint?: (s: string) => string;
}

const MAX_CELL = 40;

/** A value as a cell: numbers to 6 significant digits, missing as —, long text cut. */
export function cellText(v: unknown): string {
  let s: string;
  if (v === undefined) s = '—';
  else if (typeof v === 'number') s = Number.isInteger(v) || !Number.isFinite(v) ? String(v) : String(Number(v.toPrecision(6)));
  else if (typeof v === 'string') s = v;
  else s = JSON.stringify(v);
  s = s.replace(/[\r\n\t]+/g, ' ');
  return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
}

/** A signed change: +0.02, -1.5 */
export function signed(n: number | undefined, suffix = ''): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const t = cellText(n);
  return `${n > 0 ? '+' : ''}${t}${suffix}`;
}

/** Display width of a string (what the terminal shows: no escapes, one column a character). */
function width(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

function pad(s: string, w: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

/**
 * Lines of a table. `keep` leading columns are repeated in every block when the table is
 * folded to `maxWidth` (undefined: never fold).
 */
export function formatTable(cols: Column[], rows: string[][], o: { maxWidth?: number; keep?: number } = {}): string[] {
  const keep = Math.min(o.keep ?? 1, cols.length);
  const w = cols.map((c, i) => Math.max(width(c.header), ...rows.map((r) => width(r[i] ?? ''))));
  const gap = 2;
  const blocks: number[][] = [];
  const fixed = w.slice(0, keep).reduce((a, b) => a + b + gap, 0);
  let cur: number[] = [];
  let used = fixed;
  for (let i = keep; i < cols.length; i++) {
    if (o.maxWidth !== undefined && cur.length && used + w[i] > o.maxWidth) {
      blocks.push(cur);
      cur = [];
      used = fixed;
    }
    cur.push(i);
    used += w[i] + gap;
  }
  blocks.push(cur);
  const out: string[] = [];
  blocks.forEach((b, n) => {
    const idx = [...Array(keep).keys(), ...b];
    if (n > 0) out.push('');
    out.push(idx.map((i) => (cols[i].paint ?? ((s: string) => s))(pad(cols[i].header, w[i], cols[i].align))).join(' '.repeat(gap)).trimEnd());
    for (const r of rows) out.push(idx.map((i) => pad(r[i] ?? '', w[i], cols[i].align)).join(' '.repeat(gap)).trimEnd());
  });
  return out;
}

/** RFC 4180 CSV: fields with a comma, quote or line break are quoted. */
export function toCsv(header: string[], rows: unknown[][]): string {
  const field = (v: unknown) => {
    const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}
