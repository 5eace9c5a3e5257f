/**
 * The experiments of a range: one entry per recorded commit with its params and metrics as flat
 * keys, its metric series, data size, and the environment differences from its first parent's
 * record. What `exp`, `log --table` and `report` show.
 *
 * Keys: a params or metrics key is written bare (`train.lr`, `accuracy`) when one file holds it
 * across the range, and `file:key` when several do (`metrics.json:loss`, `train_log.csv:loss`);
 * `file:key` is always accepted where a key is asked for (`--sort`, `--x`, `--y`).
 *
 * Values come from the records (one batch read of the notes). A record written before metrics
 * were recorded has its metrics read from the commit's own files (the same rules as recording).
 */
import { diffEnv, type EnvDiff } from '../env/index.js';
import { GitreproError } from '../errors.js';
import { commitLog } from '../git/log.js';
import { readNotes } from '../git/notes.js';
import { parseNote, type EnvSnapshot, type GitreproRecord } from '../record/index.js';
import type { Repo } from './context.js';
import { TreeReader, type MetricsMap } from './metrics-at.js';

export type ValueKind = 'param' | 'metric';

export interface Series {
  /** the file and column the series comes from */
  file: string;
  column: string;
  /** name of the x column (`step`, `epoch`, ...), or `row` when the file has none */
  x: string;
  /** the metric key of the x column (absent for `row`) */
  xKey?: string;
  xs: (number | null)[];
  ys: (number | null)[];
  /** rows in the file (the series may be thinned) */
  rows: number;
  sha256: string;
}

export interface ExpCommit {
  commit: string;
  parent?: string;
  date: string;
  author: string;
  subject: string;
  data: { files: number; bytes: number };
  params: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** metric key → its series in this commit */
  series: Record<string, Series>;
  /** files whose values could not be read when recorded */
  errors: { kind: ValueKind; file: string; error: string }[];
  /** differences from the first parent's record; undefined when the parent has none */
  envChanges?: EnvDiff[];
}

export interface Experiments {
  range: string;
  /** newest first, as git log */
  commits: ExpCommit[];
  /** commits of the range without a valid record (not in `commits`) */
  withoutRecord: string[];
  /** every key seen, sorted, and the file each comes from */
  keys: { param: Record<string, string>; metric: Record<string, string> };
  /** keys whose value differs between commits (a commit without the key counts as a value) */
  varying: { param: string[]; metric: string[] };
  /** keys with one value in every commit */
  constants: { param: Record<string, unknown>; metric: Record<string, unknown> };
}

/** Column names taken as the x axis of a series, in order of preference. */
const X_COLUMNS = ['step', 'epoch', 'iteration', 'iter', 'global_step', 'batch'];

type PerFile = Record<string, Record<string, unknown>>;

interface Raw {
  info: Awaited<ReturnType<typeof commitLog>>[number];
  rec: GitreproRecord;
  params: PerFile;
  metrics: MetricsMap;
}

function lastRecord(text: string | undefined): GitreproRecord | undefined {
  const p = text === undefined ? undefined : parseNote(text);
  return p?.ok ? p.records[p.records.length - 1] : undefined;
}

/** Bare key when one file holds it in the range, else `file:key`. */
function qualifier(perCommit: PerFile[]): (file: string, key: string) => string {
  const files = new Map<string, Set<string>>();
  for (const pf of perCommit) for (const [f, vals] of Object.entries(pf)) for (const k of Object.keys(vals)) (files.get(k) ?? files.set(k, new Set()).get(k)!).add(f);
  return (file, key) => ((files.get(key)?.size ?? 0) > 1 ? `${file}:${key}` : key);
}

function seriesOf(file: string, m: MetricsMap[string], name: (file: string, key: string) => string): Record<string, Series> {
  const out: Record<string, Series> = {};
  if (!m.series) return out;
  const cols = Object.keys(m.series);
  const xName = X_COLUMNS.map((x) => cols.find((c) => c.toLowerCase() === x)).find(Boolean);
  const n = Math.max(...Object.values(m.series).map((s) => s.length));
  const xs = xName ? m.series[xName] : Array.from({ length: n }, (_, i) => i);
  for (const c of cols) {
    if (c === xName) continue;
    out[name(file, c)] = { file, column: c, x: xName ?? 'row', ...(xName ? { xKey: name(file, xName) } : {}), xs, ys: m.series[c], rows: m.rows ?? n, sha256: m.sha256 };
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reads the experiments of `range` (default: HEAD and its history). Throws GITREPRO_NO_RECORD
 * when no commit of the range has a record.
 */
export async function readExperiments(repo: Repo, o: { range?: string; maxCount?: number } = {}): Promise<Experiments> {
  const range = o.range ?? 'HEAD';
  const log = await commitLog(repo.root, range, o.maxCount);
  const parents = [...new Set(log.map((c) => c.parent).filter((p): p is string => Boolean(p)))];
  const notes = await readNotes(repo.root, [...new Set([...log.map((c) => c.commit), ...parents])]);
  const raws: Raw[] = [];
  const withoutRecord: string[] = [];
  const tree = new TreeReader(repo);
  try {
    for (const info of log) {
      const rec = lastRecord(notes.get(info.commit));
      if (!rec) {
        withoutRecord.push(info.commit);
        continue;
      }
      // a record from before metrics were recorded: read them from the commit's files
      const metrics = rec.metrics ?? (await tree.metricsLater(info.commit));
      const params: PerFile = Object.fromEntries(Object.entries(rec.params).map(([f, p]) => [f, p.values]));
      raws.push({ info, rec, params, metrics });
    }
  } finally {
    tree.close();
  }
  if (raws.length === 0) {
    throw new GitreproError('GITREPRO_NO_RECORD', log.length ? `no commit of ${range} has a record (${log.length} commit(s) without one)` : `${range} holds no commit`, {
      hint: log.length ? `record them with \`gitrepro record <rev>\`, or pick another range (\`gitrepro log\` shows which commits have records)` : 'pick another range, e.g. HEAD~10..HEAD',
    });
  }
  const pName = qualifier(raws.map((r) => r.params));
  const mName = qualifier(raws.map((r) => Object.fromEntries(Object.entries(r.metrics).map(([f, m]) => [f, m.values]))));
  const keys: Experiments['keys'] = { param: {}, metric: {} };
  const commits: ExpCommit[] = raws.map(({ info, rec, params, metrics }) => {
    const c: ExpCommit = { ...info, data: { files: rec.data.files, bytes: rec.data.bytes }, params: {}, metrics: {}, series: {}, errors: [] };
    for (const [file, vals] of Object.entries(params)) {
      for (const [k, v] of Object.entries(vals)) {
        const key = pName(file, k);
        keys.param[key] = file;
        c.params[key] = v;
      }
      const err = rec.params[file].error;
      if (err) c.errors.push({ kind: 'param', file, error: err });
    }
    for (const [file, m] of Object.entries(metrics)) {
      for (const [k, v] of Object.entries(m.values)) {
        const key = mName(file, k);
        keys.metric[key] = file;
        c.metrics[key] = v;
      }
      Object.assign(c.series, seriesOf(file, m, mName));
      if (m.error) c.errors.push({ kind: 'metric', file, error: m.error });
    }
    const parentEnv: EnvSnapshot | undefined = info.parent ? lastRecord(notes.get(info.parent))?.env : undefined;
    if (parentEnv) c.envChanges = diffEnv(parentEnv, rec.env);
    return c;
  });
  const varying: Experiments['varying'] = { param: [], metric: [] };
  const constants: Experiments['constants'] = { param: {}, metric: {} };
  for (const kind of ['param', 'metric'] as const) {
    keys[kind] = Object.fromEntries(Object.entries(keys[kind]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const k of Object.keys(keys[kind])) {
      const vals = commits.map((c) => (kind === 'param' ? c.params : c.metrics)[k]);
      if (vals.every((v) => same(v, vals[0])) && vals[0] !== undefined) constants[kind][k] = vals[0];
      else varying[kind].push(k);
    }
  }
  return { range, commits, withoutRecord, keys, varying, constants };
}

/** Edit distance, for suggesting a key close to a mistyped one. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length];
}

/**
 * Finds `key` among the range's keys (kinds searched in the order given; `file:key` accepted).
 * Throws GITREPRO_KEY_UNKNOWN naming the option and the close keys.
 */
export function findKey(e: Experiments, key: string, kinds: ValueKind[], option: string): { kind: ValueKind; key: string } {
  for (const kind of kinds) {
    if (key in e.keys[kind]) return { kind, key };
    const i = key.lastIndexOf(':');
    if (i > 0) {
      const [file, bare] = [key.slice(0, i), key.slice(i + 1)];
      if (e.keys[kind][bare] === file) return { kind, key: bare };
    }
  }
  const all = kinds.flatMap((k) => Object.keys(e.keys[k]));
  const close = all
    .map((k) => ({ k, d: k.includes(key) || key.includes(k) ? 0 : distance(k, key) }))
    .filter((x) => x.d <= Math.max(2, key.length / 3))
    .sort((a, b) => a.d - b.d)
    .slice(0, 5)
    .map((x) => x.k);
  const what = kinds.map((k) => `${k}s`).join(' or ');
  throw new GitreproError('GITREPRO_KEY_UNKNOWN', `${option} ${key}: no commit of ${e.range} records ${what} with that key`, {
    hint: close.length ? `did you mean ${close.join(', ')}?` : `the ${what} of the range: ${all.slice(0, 12).join(', ') || 'none'}${all.length > 12 ? ', …' : ''}`,
    data: { key, close },
  });
}
