/**
 * `gitrepro metrics show|diff` and `gitrepro params show|diff`: the metrics (or params) of
 * commits and of the work tree, and what changed between two of them, key by key, as DVC's
 * `metrics diff` does (defaults: HEAD against the work tree). A commit's values come from its
 * record, else from its own files; the work tree's from its files as gitrepro.yaml names them.
 */
import { resolveCommit, tryResolveCommit } from '../git/revs.js';
import type { GitreproRecord } from '../record/index.js';
import { openRepo, type Repo } from '../repo/context.js';
import { TreeReader, metricsInWorkTree } from '../repo/metrics-at.js';
import { completePending, paramsAt, recordsOf } from '../repo/record-io.js';
import { readInWorkTree } from '../workspace/params.js';

export type ValueKind = 'param' | 'metric';

export interface FileValues {
  values: Record<string, unknown>;
  error?: string;
}

export interface Side {
  /** the revision as given, or `workspace` */
  label: string;
  /** undefined for the work tree */
  commit?: string;
  params: Record<string, FileValues>;
  metrics: Record<string, FileValues>;
}

export interface ValueError {
  kind: ValueKind;
  label: string;
  file: string;
  error: string;
  /** true for a file of the work tree (fix it); false for one recorded with a commit */
  live: boolean;
}

export interface ValueRow {
  kind: ValueKind;
  file: string;
  key: string;
  old?: unknown;
  new?: unknown;
  /** new - old, when both are numbers */
  change?: number;
  /** change as a percentage of |old|, when old is a non-zero number */
  percent?: number;
  changed: boolean;
}

export interface ValuesDiff {
  a: { label: string; commit?: string };
  b: { label: string; commit?: string };
  rows: ValueRow[];
  errors: ValueError[];
}

export interface ValuesShow {
  sides: Side[];
  errors: ValueError[];
}

export const WORKSPACE = 'workspace';

async function commitSide(repo: Repo, tree: TreeReader, rev: string): Promise<Side> {
  const commit = await resolveCommit(repo.root, rev);
  const rec = await recordsOf(repo, commit);
  const last: GitreproRecord | undefined = rec?.ok ? rec.records[rec.records.length - 1] : undefined;
  // no record (or one from before metrics were recorded): the commit's own files, read the same way
  const params = last?.params ?? (await paramsAt(repo, commit));
  const metrics = last?.metrics ?? (await tree.metricsLater(commit));
  return { label: rev, commit, params, metrics };
}

async function workTreeSide(repo: Repo): Promise<Side> {
  // the work tree's own files, read only inside it (a link leading out of it is not followed)
  const fromDisk = { read: (_c: string, p: string) => readInWorkTree(repo.root, p).catch(() => undefined), mode: async () => undefined };
  return { label: WORKSPACE, params: await paramsAt(repo, 'work tree', fromDisk), metrics: await metricsInWorkTree(repo) };
}

async function sides(cwd: string, revs: (string | undefined)[]): Promise<{ list: Side[] }> {
  const repo = await openRepo(cwd);
  await completePending(repo);
  const tree = new TreeReader(repo);
  try {
    const list: Side[] = [];
    for (const r of revs) {
      // `workspace` names the work tree, as in DVC, unless a revision has that name
      const work = r === undefined || (r === WORKSPACE && !(await tryResolveCommit(repo.root, r)));
      list.push(work ? await workTreeSide(repo) : await commitSide(repo, tree, r));
    }
    return { list };
  } finally {
    tree.close();
  }
}

function errorsOf(list: Side[], kinds: ValueKind[]): ValueError[] {
  const out: ValueError[] = [];
  for (const s of list) {
    for (const kind of kinds) {
      for (const [file, f] of Object.entries(kind === 'param' ? s.params : s.metrics)) {
        if (f.error) out.push({ kind, label: s.label, file, error: f.error, live: s.commit === undefined });
      }
    }
  }
  return out;
}

/** The metrics (or params) of each revision; no revision: the work tree. */
export async function showValues(o: { cwd: string; revs?: string[]; kinds: ValueKind[] }): Promise<ValuesShow> {
  const revs = o.revs?.length ? o.revs : [undefined];
  const { list } = await sides(o.cwd, revs);
  return { sides: list, errors: errorsOf(list, o.kinds) };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One row per key: old, new and the change; `all` keeps unchanged keys too. */
export function compareValues(a: Side, b: Side, kinds: ValueKind[], all = false): ValueRow[] {
  const rows: ValueRow[] = [];
  for (const kind of kinds) {
    const A = kind === 'param' ? a.params : a.metrics;
    const B = kind === 'param' ? b.params : b.metrics;
    for (const file of [...new Set([...Object.keys(A), ...Object.keys(B)])].sort()) {
      const va = A[file]?.values ?? {};
      const vb = B[file]?.values ?? {};
      for (const key of [...new Set([...Object.keys(va), ...Object.keys(vb)])].sort()) {
        const row: ValueRow = { kind, file, key, old: va[key], new: vb[key], changed: JSON.stringify(va[key]) !== JSON.stringify(vb[key]) };
        if (isNum(row.old) && isNum(row.new)) {
          row.change = row.new - row.old;
          if (row.old !== 0) row.percent = (row.change / Math.abs(row.old)) * 100;
        }
        if (row.changed || all) rows.push(row);
      }
    }
  }
  return rows;
}

/**
 * What changed between `a` (default HEAD) and `b` (default the work tree). Never fails because
 * values changed: it reports (`verify` is the gate).
 */
export async function diffValues(o: { cwd: string; a?: string; b?: string; kinds: ValueKind[]; all?: boolean }): Promise<ValuesDiff> {
  const { list } = await sides(o.cwd, [o.a ?? 'HEAD', o.b]);
  const [A, B] = list;
  return {
    a: { label: A.label, commit: A.commit },
    b: { label: B.label, commit: B.commit },
    rows: compareValues(A, B, o.kinds, o.all),
    errors: errorsOf(list, o.kinds),
  };
}
