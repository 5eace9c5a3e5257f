/**
 * `gitrepro exp [<range>]` (and `gitrepro log --table`): one row per recorded commit, one
 * column per param and metric that varies in the range; the constant ones apart. Like DVC's
 * `exp show` and MLflow's runs table, over plain commits.
 */
import { openRepo } from '../repo/context.js';
import { findKey, readExperiments, type ExpCommit, type ValueKind } from '../repo/experiments.js';
import { completePending } from '../repo/record-io.js';

/** A commit of the table: what repo/experiments.ts read, without the series and the parent. */
export interface ExpRow extends Pick<ExpCommit, 'commit' | 'date' | 'author' | 'subject' | 'data' | 'params' | 'metrics'> {
  /** environment differences from the parent's record (absent: the parent has none) */
  env?: { changes: number; important: number; fields: string[] };
  errors: { kind: ValueKind; file: string; error: string }[];
}

export interface ExpTable {
  range: string;
  /** the keys that vary in the range: the table's columns */
  columns: { param: string[]; metric: string[] };
  /** keys with one value in every row */
  constants: { param: Record<string, unknown>; metric: Record<string, unknown> };
  rows: ExpRow[];
  /** commits of the range without a record (not in rows) */
  withoutRecord: string[];
  sort?: { kind: ValueKind; key: string; order: 'asc' | 'desc' };
}

export interface ExpOptions {
  cwd: string;
  range?: string;
  maxCount?: number;
  /** a metric or param key; rows without it go last */
  sort?: string;
  order?: 'asc' | 'desc';
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The table of a range (default HEAD's history), newest first unless sorted. */
export async function experiments(o: ExpOptions): Promise<ExpTable> {
  const repo = await openRepo(o.cwd);
  await completePending(repo);
  const e = await readExperiments(repo, { range: o.range, maxCount: o.maxCount });
  const rows: ExpRow[] = e.commits.map((c) => ({
    commit: c.commit, date: c.date, author: c.author, subject: c.subject, data: c.data, params: c.params, metrics: c.metrics, errors: c.errors,
    ...(c.envChanges ? { env: { changes: c.envChanges.length, important: c.envChanges.filter((d) => d.important).length, fields: c.envChanges.filter((d) => d.important).map((d) => d.field) } } : {}),
  }));
  let sort: ExpTable['sort'];
  if (o.sort) {
    const k = findKey(e, o.sort, ['metric', 'param'], '--sort');
    sort = { ...k, order: o.order ?? 'desc' };
    const get = (r: ExpRow) => (k.kind === 'param' ? r.params : r.metrics)[k.key];
    const sign = sort.order === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const [va, vb] = [get(a), get(b)];
      if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
      return sign * compare(va, vb);
    });
  }
  return { range: e.range, columns: e.varying, constants: e.constants, rows, withoutRecord: e.withoutRecord, ...(sort ? { sort } : {}) };
}
