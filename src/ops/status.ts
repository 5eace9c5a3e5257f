/**
 * `gitrepro status`: tracked data added, modified or deleted against HEAD's snapshot (and the
 * staged one), and objects HEAD needs that the local store lacks.
 */
import { GIT_OID_RE } from '../record/rules.js';
import { tryResolveCommit } from '../git/revs.js';
import { scanWorkTree } from '../workspace/scan.js';
import { StatCache } from '../workspace/statcache.js';
import { readRescues } from '../workspace/rescue.js';
import { loadSnapshot } from '../repo/snapshot-cache.js';
import { mergeState } from './merge.js';
import { openRepo, requireSetUp } from '../repo/context.js';
import { lockAt, lockInWorkTree } from '../repo/lock-file.js';

export interface StatusResult {
  head?: string;
  headTree?: string;
  stagedTree?: string;
  /** work tree against HEAD's snapshot */
  added: string[];
  modified: string[];
  deleted: string[];
  /** work-tree data that matches HEAD? (false: run gitrepro add, or gitrepro restore) */
  clean: boolean;
  /** the staged gitrepro.lock differs from HEAD's (commit will record new data) */
  lockStaged: boolean;
  /** gitrepro.lock in the work tree differs from HEAD's (git checkout <rev> -- gitrepro.lock, merge in progress) */
  lockModified: boolean;
  missingObjects: { path: string; sha256: string }[];
  skipped: { path: string; why: string }[];
  rescued: number;
  /** a data merge stopped on these paths (settle with `gitrepro resolve`) */
  conflicts?: { paths: string[]; resolved: Record<string, string> };
}

export async function status(opts: { cwd: string }): Promise<StatusResult> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  // a record still journaled (or left unjournaled by a crash) is written now: status is where a
  // user looks after something went wrong
  await (await import('../repo/record-io.js')).completePending(repo);
  const head = await tryResolveCommit(repo.root, 'HEAD');
  const headLock = head ? await lockAt(repo, head) : undefined;
  const staged = await lockAt(repo, ':').catch(() => undefined);
  const wt = await lockInWorkTree(repo).catch(() => undefined);
  const cache = await StatCache.load(repo.stateDir);
  const snap = await loadSnapshot(repo, cache, headLock?.tree);
  const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: false });
  await cache.save();
  const r: StatusResult = {
    head,
    headTree: headLock?.tree,
    stagedTree: staged?.tree,
    added: [],
    modified: [],
    deleted: [],
    clean: true,
    lockStaged: (staged?.tree ?? '') !== (headLock?.tree ?? ''),
    lockModified: (wt?.tree ?? '') !== (headLock?.tree ?? '') && GIT_OID_RE.test(wt?.tree ?? ''),
    missingObjects: [],
    skipped: scan.skipped,
    rescued: (await readRescues(repo.sharedDir)).length,
  };
  const merge = await mergeState(repo);
  if (merge) r.conflicts = { paths: merge.conflicts, resolved: merge.picks };
  for (const [p, f] of scan.files) {
    const e = snap.get(p);
    if (!e) r.added.push(p);
    else if (e.sha256 !== f.sha256 || e.exec !== f.exec) r.modified.push(p);
  }
  for (const [p, e] of snap) {
    if (!scan.files.has(p)) r.deleted.push(p);
    if (!(await repo.store.has(e.sha256))) r.missingObjects.push({ path: p, sha256: e.sha256 });
  }
  for (const l of [r.added, r.modified, r.deleted]) l.sort();
  r.clean = r.added.length + r.modified.length + r.deleted.length === 0;
  return r;
}
