/**
 * Metrics files: what a run measured, read like params files (flattened to dotted keys) so two
 * commits compare key by key. Formats, chosen by the file name:
 *
 *   .json / .yaml / .yml   a mapping  → values {"eval.acc": 0.91}
 *                          a list of flat mappings (one per step) → a series, values = last row
 *   .csv / .tsv            a header row, then rows → values = the last row, series = every row
 *
 * A series keeps its numeric columns (at most SERIES_MAX_POINTS points each: a longer one is
 * thinned evenly, first and last rows kept, and `rows` says how many there were). Strings are
 * scrubbed of secrets (metrics are pushed with the code). A file that does not parse throws
 * GITREPRO_METRICS_INVALID naming the file, line and column; `readMetrics` never throws: it
 * records the file by hash with the error, as params files are recorded.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { GitreproError } from '../errors.js';
import { redactParams } from '../secrets.js';
import { hashFile, sha256Buffer } from '../store/hash.js';
import type { MetricsFile } from '../record/record.js';
import { METRICS_LIMITS } from '../record/rules.js';
import { flattenParams } from './params.js';
import { locateJsonError, parseDelimited } from './metrics-text.js';

export type { MetricsFile };
export const SERIES_MAX_POINTS = METRICS_LIMITS.seriesPoints;

export interface ParsedMetrics {
  values: Record<string, unknown>;
  series?: Record<string, (number | null)[]>;
  rows?: number;
}

function invalid(name: string, line: number | undefined, col: number | undefined, msg: string): GitreproError {
  const where = line ? `line ${line}${col ? `, column ${col}` : ''}: ` : '';
  return new GitreproError('GITREPRO_METRICS_INVALID', `metrics file ${name}: ${where}${msg}`, {
    hint: `fix ${name} (JSON, YAML, or CSV/TSV with a header row)`,
    data: { file: name, line, column: col },
  });
}

export function metricsFormat(name: string): 'json' | 'yaml' | 'csv' | 'tsv' {
  const n = name.toLowerCase();
  if (n.endsWith('.json')) return 'json';
  if (n.endsWith('.csv')) return 'csv';
  if (n.endsWith('.tsv')) return 'tsv';
  return 'yaml';
}

const NUMBER_RE = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function cell(text: string): number | string | null {
  const t = text.trim();
  if (t === '') return null;
  if (NUMBER_RE.test(t)) return Number(t);
  return t;
}

const numericOrNull = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));

/** Rows (one object per step, same keys) → last-row values and numeric series. */
function fromRows(rows: Record<string, unknown>[], columns: string[]): ParsedMetrics {
  const last = rows[rows.length - 1] ?? {};
  const values: Record<string, unknown> = {};
  for (const c of columns) values[c] = last[c] ?? null;
  if (rows.length < 2) return { values };
  const picked = thin(rows.length, SERIES_MAX_POINTS);
  const series: Record<string, (number | null)[]> = {};
  for (const c of columns) {
    if (Object.keys(series).length >= METRICS_LIMITS.seriesColumns) break;
    const col = rows.map((r) => (r[c] === undefined ? null : r[c]));
    if (!col.every(numericOrNull) || col.every((v) => v === null)) continue;
    series[c] = picked.map((i) => col[i] as number | null);
  }
  return Object.keys(series).length ? { values, series, rows: rows.length } : { values };
}

/** Indices 0..n-1 thinned to at most `max`, evenly, first and last kept. */
export function thin(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out];
}

function parseStructured(text: string, name: string, fmt: 'json' | 'yaml'): ParsedMetrics {
  let raw: unknown;
  if (fmt === 'json') {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      const at = locateJsonError(text);
      throw invalid(name, at?.line, at?.column, at?.message ?? `not valid JSON (${(e as Error).message.slice(0, 120)})`);
    }
  } else {
    try {
      raw = YAML.parse(text, { maxAliasCount: 100 });
    } catch (e) {
      const pos = (e as { linePos?: { line: number; col: number }[] }).linePos?.[0];
      throw invalid(name, pos?.line, pos?.col, `not valid YAML: ${(e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
    }
  }
  if (raw === null || raw === undefined) return { values: {} };
  raw = JSON.parse(JSON.stringify(raw)); // dates and other YAML types become plain JSON values
  if (Array.isArray(raw)) {
    if (raw.length === 0) return { values: {} };
    const bad = raw.findIndex((r) => !r || typeof r !== 'object' || Array.isArray(r));
    if (bad >= 0) throw invalid(name, undefined, undefined, `a list at the top must hold one mapping per step (item ${bad + 1} is not one)`);
    const rows = (raw as object[]).map((r) => flattenParams(r));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return fromRows(rows, columns);
  }
  if (typeof raw !== 'object') throw invalid(name, 1, undefined, 'must hold a mapping (key: value) or a list of steps at the top');
  return { values: flattenParams(raw) };
}

/** Parses a metrics file's text. Throws GITREPRO_METRICS_INVALID naming file, line and column. */
export function parseMetrics(text: string, name: string): ParsedMetrics {
  const fmt = metricsFormat(name);
  if (fmt === 'json' || fmt === 'yaml') {
    try {
      return parseStructured(text.replace(/^\uFEFF/, ''), name, fmt);
    } catch (e) {
      // a hostile nesting depth overflows the stack of the flattening
      if (e instanceof RangeError) throw invalid(name, undefined, undefined, 'nested too deeply');
      throw e;
    }
  }
  const r = parseDelimited(text, fmt === 'tsv' ? '\t' : ',');
  if (!r.ok) throw invalid(name, r.line, undefined, r.message);
  if (r.rows.length === 0) return { values: {} };
  const [header, ...body] = r.rows;
  const seen = new Set<string>();
  for (const [i, h] of header.entries()) {
    if (h.trim() === '') throw invalid(name, 1, undefined, `column ${i + 1} of the header row has no name`);
    if (seen.has(h.trim())) throw invalid(name, 1, undefined, `the header row names ${JSON.stringify(h.trim())} twice`);
    seen.add(h.trim());
  }
  const columns = header.map((h) => h.trim());
  const rows: Record<string, unknown>[] = [];
  for (const [i, fields] of body.entries()) {
    if (fields.length !== columns.length) {
      throw invalid(name, r.lines[i + 1], undefined, `${fields.length} field(s), but the header row has ${columns.length}`);
    }
    rows.push(Object.fromEntries(columns.map((c, j) => [c, cell(fields[j])])));
  }
  if (rows.length === 0) return { values: {} };
  return fromRows(rows, columns);
}

/** Whether parsed values fit what a record may hold (records are read back with these bounds). */
function tooLarge(p: ParsedMetrics): string | undefined {
  const n = Object.keys(p.values).length;
  if (n > METRICS_LIMITS.values) return `holds ${n} values, more than the ${METRICS_LIMITS.values} a record keeps`;
  if (JSON.stringify(p.values).length > METRICS_LIMITS.valuesJson) return `its values take more than ${METRICS_LIMITS.valuesJson} bytes as JSON`;
  if (Object.keys(p.values).some((k) => k.length > METRICS_LIMITS.keyLength)) return `a key is longer than ${METRICS_LIMITS.keyLength} characters`;
  return undefined;
}

/**
 * The record entry of a metrics file's bytes: `{sha256, values, series?, rows?}`, or, when it
 * does not parse or is too large, `{sha256, values: {}, error}`. Never throws.
 */
export function readMetrics(buf: Buffer, name: string): MetricsFile {
  const sha256 = sha256Buffer(buf);
  if (buf.length > METRICS_LIMITS.fileBytes) return { sha256, values: {}, error: `metrics file ${name}: ${buf.length} bytes, more than the ${METRICS_LIMITS.fileBytes} read as metrics` };
  try {
    const p = parseMetrics(buf.toString('utf8').replace(/^\uFEFF/, ''), name);
    const big = tooLarge(p);
    if (big) return { sha256, values: {}, error: `metrics file ${name}: ${big}` };
    return { sha256, values: redactParams(p.values) as MetricsFile['values'], ...(p.series ? { series: p.series, rows: p.rows } : {}) };
  } catch (e) {
    return { sha256, values: {}, error: (e as Error).message.slice(0, 380) };
  }
}

/** The metrics files a config names: `metrics:` first, then every stage's, each once. */
export function metricsFilesOf(config: { metrics?: string[]; stages?: Record<string, { metrics?: string[] }> }): string[] {
  return [...new Set([...(config.metrics ?? []), ...Object.values(config.stages ?? {}).flatMap((s) => s.metrics ?? [])])];
}

/** Reads one metrics file of a directory (a work tree): undefined when it is not there. */
export async function readMetricsFileIn(root: string, file: string): Promise<MetricsFile | undefined> {
  const full = path.join(root, file);
  const st = await stat(full).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  // a link (of the file or of a directory above it) that leaves the work tree is not read:
  // its values could be recorded and pushed with the records
  const [real, top] = await Promise.all([realpath(full).catch(() => full), realpath(root).catch(() => root)]);
  if (real !== top && !real.startsWith(top + path.sep)) {
    return { sha256: sha256Buffer(''), values: {}, error: `metrics file ${file}: a symbolic link out of the work tree, not read` };
  }
  if (st.size > METRICS_LIMITS.fileBytes) {
    return { sha256: (await hashFile(full, { follow: true })).sha256, values: {}, error: `metrics file ${file}: ${st.size} bytes, more than the ${METRICS_LIMITS.fileBytes} read as metrics` };
  }
  const buf = await readFile(full).catch(() => undefined);
  return buf ? readMetrics(buf, file) : undefined;
}

/** Every named metrics file that exists under `root`, read (a stage's run records these). */
export async function readMetricsFiles(root: string, files: string[] | undefined): Promise<Record<string, MetricsFile> | undefined> {
  if (!files?.length) return undefined;
  const out: Record<string, MetricsFile> = {};
  for (const f of files) {
    const m = await readMetricsFileIn(root, f);
    if (m) out[f] = m;
  }
  return out;
}
