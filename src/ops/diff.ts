/**
 * `gitrepro diff <a> [<b>]`: data added, removed or changed between two commits' snapshots (or
 * commit `a` and the work tree), params keys changed, environment fields changed.
 */
import { diffEnv, redactParams, type EnvDiff } from '../env/index.js';
import { resolveCommit } from '../git/revs.js';
import type { GitreproRecord } from '../record/index.js';
import { diffParams, parseParams, readInWorkTree } from '../workspace/params.js';
import { compareWithTree, rememberWholeRead, viewWorkTree } from '../repo/worktree-view.js';
import { openRepo, type Repo } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { completePending, currentEnv, recordsOf } from '../repo/record-io.js';
import { metricsInWorkTree, metricsLater } from '../repo/metrics-at.js';
import { diffSnapshots, type SnapEntry } from '../git/snapshot.js';

export interface DataChange {
  path: string;
  status: 'added' | 'removed' | 'changed';
  before?: { sha256: string; size: number; exec: boolean };
  after?: { sha256: string; size: number; exec: boolean };
}

export interface DiffResult {
  a: string;
  b: string;
  data: DataChange[];
  params: { file: string; key: string; before: unknown; after: unknown }[];
  /** metrics keys changed; change and percent when both values are numbers */
  metrics: { file: string; key: string; before: unknown; after: unknown; change?: number; percent?: number }[];
  env: EnvDiff[];
}

/** One side of a diff: a commit (its snapshot tree) or the work tree (read when it is compared). */
type Side = { label: string; tree?: string; params: GitreproRecord['params']; metrics?: GitreproRecord['metrics']; env?: GitreproRecord['env'] };

async function commitSide(repo: Repo, rev: string): Promise<Side> {
  const c = await resolveCommit(repo.root, rev);
  const lock = await lockAt(repo, c);
  const rec = await recordsOf(repo, c);
  const last = rec?.ok ? rec.records[rec.records.length - 1] : undefined;
  return { label: c, tree: lock?.tree, params: last?.params ?? {}, metrics: last?.metrics ?? (await metricsLater(repo, c)), env: last?.env };
}

async function workTreeSide(repo: Repo, paramFiles: string[]): Promise<Side> {
  const params: GitreproRecord['params'] = {};
  for (const f of paramFiles) {
    const text = (await readInWorkTree(repo.root, f).catch(() => undefined))?.toString('utf8');
    if (text !== undefined) params[f] = { sha256: '', values: redactParams(parseParams(text, f)) as Record<string, never> };
  }
  return { label: 'work tree', params, metrics: await metricsInWorkTree(repo), env: await currentEnv(repo) };
}

/** The work tree against snapshot `tree` (read by the stamp; a whole read is remembered). */
async function workTreePairs(repo: Repo, tree: string | undefined): Promise<{ path: string; before?: SnapEntry; after?: SnapEntry }[]> {
  const view = await viewWorkTree(repo, { ingest: false });
  const diffs = await compareWithTree(repo, view, tree);
  await rememberWholeRead(repo, view, tree, diffs);
  return diffs.map((d) => ({ path: d.path, before: d.snap, after: d.work }));
}

export async function diff(opts: { cwd: string; a: string; b?: string }): Promise<DiffResult> {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const A = await commitSide(repo, opts.a);
  const B = opts.b ? await commitSide(repo, opts.b) : await workTreeSide(repo, repo.config.params ?? Object.keys(A.params).concat(['params.yaml']));
  // data: between two snapshots by git diff-tree; against the work tree by what changed since
  // the last scan (both cost what differs, not the whole snapshot)
  const data: DataChange[] = [];
  const pairs = opts.b ? (await diffSnapshots(repo.root, A.tree, B.tree)).map((c) => ({ path: c.path, before: c.before, after: c.entry })) : await workTreePairs(repo, A.tree);
  for (const { path: p, before, after } of pairs) {
    if (!before) data.push({ path: p, status: 'added', after });
    else if (!after) data.push({ path: p, status: 'removed', before });
    else data.push({ path: p, status: 'changed', before, after });
  }
  data.sort((x, y) => (x.path < y.path ? -1 : 1));
  const params: DiffResult['params'] = [];
  for (const file of [...new Set([...Object.keys(A.params), ...Object.keys(B.params)])].sort()) {
    for (const d of diffParams(A.params[file]?.values ?? {}, B.params[file]?.values ?? {})) params.push({ file, ...d });
  }
  // >>> metrics (issue 13)
  const metrics: DiffResult['metrics'] = [];
  const [MA, MB] = [A.metrics ?? {}, B.metrics ?? {}];
  for (const file of [...new Set([...Object.keys(MA), ...Object.keys(MB)])].sort()) {
    for (const d of diffParams(MA[file]?.values ?? {}, MB[file]?.values ?? {})) {
      const num = typeof d.before === 'number' && typeof d.after === 'number';
      const change = num ? (d.after as number) - (d.before as number) : undefined;
      metrics.push({ file, ...d, ...(change !== undefined ? { change } : {}), ...(change !== undefined && d.before !== 0 ? { percent: (change / Math.abs(d.before as number)) * 100 } : {}) });
    }
  }
  // <<< metrics
  const env = A.env && B.env ? diffEnv(A.env, B.env) : [];
  return { a: A.label, b: B.label, data, params, metrics, env };
}
