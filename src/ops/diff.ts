/**
 * `gitrepro diff <a> [<b>]`: data added, removed or changed between two commits' snapshots (or
 * commit `a` and the work tree), params keys changed, environment fields changed.
 */
import { diffEnv, redactParams, type EnvDiff } from '../env/index.js';
import { resolveCommit } from '../git/revs.js';
import type { GitreproRecord } from '../record/index.js';
import { diffParams, parseParams, readInWorkTree } from '../workspace/params.js';
import { scanWorkTree } from '../workspace/scan.js';
import { StatCache } from '../workspace/statcache.js';
import { loadSnapshot } from '../repo/snapshot-cache.js';
import { openRepo, type Repo } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { completePending, currentEnv, recordsOf } from '../repo/record-io.js';
import { metricsInWorkTree, metricsLater } from '../repo/metrics-at.js';
import type { Snapshot } from '../git/snapshot.js';

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

type Side = { label: string; snap: Snapshot; params: GitreproRecord['params']; metrics?: GitreproRecord['metrics']; env?: GitreproRecord['env'] };

async function commitSide(repo: Repo, rev: string): Promise<Side> {
  const c = await resolveCommit(repo.root, rev);
  const lock = await lockAt(repo, c);
  const cache = await StatCache.load(repo.stateDir);
  const snap = await loadSnapshot(repo, cache, lock?.tree);
  const rec = await recordsOf(repo, c);
  const last = rec?.ok ? rec.records[rec.records.length - 1] : undefined;
  return { label: c, snap, params: last?.params ?? {}, metrics: last?.metrics ?? (await metricsLater(repo, c)), env: last?.env };
}

async function workTreeSide(repo: Repo, paramFiles: string[]): Promise<Side> {
  const cache = await StatCache.load(repo.stateDir);
  const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: false });
  await cache.save();
  const snap: Snapshot = new Map([...scan.files].map(([p, f]) => [p, { sha256: f.sha256, size: f.size, exec: f.exec }]));
  const params: GitreproRecord['params'] = {};
  for (const f of paramFiles) {
    const text = (await readInWorkTree(repo.root, f).catch(() => undefined))?.toString('utf8');
    if (text !== undefined) params[f] = { sha256: '', values: redactParams(parseParams(text, f)) as Record<string, never> };
  }
  return { label: 'work tree', snap, params, metrics: await metricsInWorkTree(repo), env: await currentEnv(repo) };
}

export async function diff(opts: { cwd: string; a: string; b?: string }): Promise<DiffResult> {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const A = await commitSide(repo, opts.a);
  const B = opts.b ? await commitSide(repo, opts.b) : await workTreeSide(repo, repo.config.params ?? Object.keys(A.params).concat(['params.yaml']));
  const data: DataChange[] = [];
  for (const [p, e] of B.snap) {
    const o = A.snap.get(p);
    if (!o) data.push({ path: p, status: 'added', after: e });
    else if (o.sha256 !== e.sha256 || o.exec !== e.exec) data.push({ path: p, status: 'changed', before: o, after: e });
  }
  for (const [p, o] of A.snap) if (!B.snap.has(p)) data.push({ path: p, status: 'removed', before: o });
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
