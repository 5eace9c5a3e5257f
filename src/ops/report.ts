/**
 * `gitrepro report [<range>] -o report.html`: the experiments of a range as one self-contained
 * HTML file (src/report/): the table, a plot per metric over the commits, metric series, a
 * param against a metric, and per commit its data size and environment differences.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { openRepo } from '../repo/context.js';
import { findKey, readExperiments, type Experiments } from '../repo/experiments.js';
import { completePending } from '../repo/record-io.js';
import { renderReport, type ReportCommit, type ReportModel } from '../report/html.js';
import { VERSION } from '../version.js';

export interface ReportOptions {
  cwd: string;
  range?: string;
  /** output file, relative to cwd (default report.html) */
  out?: string;
  maxCount?: number;
  /** the scatter: a param (or metric) key on x, a metric key on y */
  x?: string;
  y?: string;
  /** which end of the primary metric is best (default: min for loss/error-like names, else max) */
  best?: 'max' | 'min';
  /** series lines per plot: the newest commits (default 50) */
  maxLines?: number;
}

export interface ReportResult {
  path: string;
  bytes: number;
  range: string;
  commits: number;
  withoutRecord: number;
  primary?: { key: string; direction: 'max' | 'min' };
  plots: { kind: 'line' | 'series' | 'scatter'; key: string }[];
}

const LOSS_LIKE = /loss|err|mse|mae|rmse|perplexity|wer|cer|latency|time|duration/i;
const MAX_LINE_PLOTS = 24;
const MAX_SERIES_PLOTS = 12;
const MAX_AUTO_SCATTERS = 4;

/** Shortest id length (7 or more) that keeps every commit of the range distinct. */
function shortLength(ids: string[]): number {
  for (let n = 7; n < 40; n++) if (new Set(ids.map((c) => c.slice(0, n))).size === ids.length) return n;
  return 40;
}

/** Builds the page's model from the experiments and the options (keys checked here). */
export function reportModel(e: Experiments, o: Omit<ReportOptions, 'cwd' | 'out'>, project: string): ReportModel {
  const numeric = (k: string) => e.commits.some((c) => typeof c.metrics[k] === 'number');
  // the step column of a series is its x axis, not a metric worth a plot of its own
  const xColumns = new Set(e.commits.flatMap((c) => Object.values(c.series).map((s) => s.xKey)));
  const metricKeys = Object.keys(e.keys.metric).filter((k) => numeric(k) && !xColumns.has(k));
  const ordered = [...metricKeys.filter((k) => e.varying.metric.includes(k)), ...metricKeys.filter((k) => !e.varying.metric.includes(k))];
  const notes: string[] = [];
  const x = o.x ? findKey(e, o.x, ['param', 'metric'], '--x').key : undefined;
  const y = o.y ? findKey(e, o.y, ['metric', 'param'], '--y').key : undefined;
  const primaryKey = y ?? ordered.find((k) => e.varying.metric.includes(k)) ?? ordered[0];
  const primary = primaryKey ? { key: primaryKey, direction: o.best ?? (LOSS_LIKE.test(primaryKey) ? 'min' : 'max') } as const : undefined;
  let scatters: [string, string][] = [];
  if (x && primaryKey) scatters = [[x, primaryKey]];
  else if (primaryKey) scatters = e.varying.param.slice(0, MAX_AUTO_SCATTERS).map((p) => [p, primaryKey] as [string, string]);
  if (!x && e.varying.param.length > MAX_AUTO_SCATTERS) notes.push(`${e.varying.param.length} params vary; the first ${MAX_AUTO_SCATTERS} are plotted against ${primaryKey} (pick one with --x).`);
  if (ordered.length > MAX_LINE_PLOTS) notes.push(`${ordered.length} metrics; the first ${MAX_LINE_PLOTS} (those that vary first) are plotted.`);
  const seriesKeys = Object.keys(e.keys.metric).filter((k) => e.commits.some((c) => c.series[k]));
  if (seriesKeys.length > MAX_SERIES_PLOTS) notes.push(`${seriesKeys.length} metrics with steps; the first ${MAX_SERIES_PLOTS} are plotted.`);
  const n = shortLength(e.commits.map((c) => c.commit));
  const commits: ReportCommit[] = [...e.commits].reverse().map((c) => ({
    commit: c.commit, short: c.commit.slice(0, n), parent: c.parent, date: c.date, author: c.author, subject: c.subject,
    data: c.data, params: c.params, metrics: c.metrics, errors: c.errors, envChanges: c.envChanges,
    series: Object.fromEntries(Object.entries(c.series).map(([k, s]) => [k, { x: s.x, xs: s.xs, ys: s.ys, rows: s.rows }])),
  }));
  const direction = Object.fromEntries(Object.keys(e.keys.metric).map((k) => [k, k === primary?.key ? primary.direction : LOSS_LIKE.test(k) ? 'min' : 'max'] as const));
  return {
    project, range: e.range, direction, tool: `gitrepro ${VERSION}`, generatedAt: new Date().toISOString(), commits, withoutRecord: e.withoutRecord.length,
    varying: e.varying, constants: e.constants, primary, scatters, lineKeys: ordered.slice(0, MAX_LINE_PLOTS),
    seriesKeys: seriesKeys.slice(0, MAX_SERIES_PLOTS), maxSeriesLines: o.maxLines ?? 50, notes,
  };
}

/** Writes the report of `range` (default HEAD's history) to `out` and says what it holds. */
export async function report(o: ReportOptions): Promise<ReportResult> {
  if (o.maxLines !== undefined && !(Number.isInteger(o.maxLines) && o.maxLines > 0)) {
    throw new GitreproError('GITREPRO_USAGE', `--max-lines ${o.maxLines}: give a whole number above 0`, { hint: 'e.g. --max-lines 20' });
  }
  const repo = await openRepo(o.cwd);
  await completePending(repo);
  const e = await readExperiments(repo, { range: o.range, maxCount: o.maxCount });
  const model = reportModel(e, o, path.basename(repo.root));
  const html = renderReport(model);
  const file = path.resolve(o.cwd, o.out ?? 'report.html');
  await mkdir(path.dirname(file), { recursive: true })
    .then(() => writeFileAtomic(file, html))
    .catch((err: Error) => {
      throw new GitreproError('GITREPRO_IO_FAILED', `cannot write ${file}: ${err.message}`, { hint: 'pick a writable path with -o', cause: err });
    });
  const plots: ReportResult['plots'] = [
    ...model.lineKeys.map((key) => ({ kind: 'line' as const, key })),
    ...model.seriesKeys.map((key) => ({ kind: 'series' as const, key })),
    ...model.scatters.map(([a, b]) => ({ kind: 'scatter' as const, key: `${a} ${b}` })),
  ];
  return { path: file, bytes: Buffer.byteLength(html), range: e.range, commits: e.commits.length, withoutRecord: e.withoutRecord.length, primary: model.primary, plots };
}
