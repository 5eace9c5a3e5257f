/**
 * `gitrepro status`: tracked data added, modified or deleted against HEAD's snapshot (and the
 * staged one), and objects HEAD needs that the local store lacks.
 */
import { GIT_OID_RE } from '../record/rules.js';
import { tryResolveCommit } from '../git/revs.js';
import { readSnapshotSlice } from '../git/snapshot.js';
import { readRescues } from '../workspace/rescue.js';
import { compareWithTree, rememberWholeRead, viewWorkTree } from '../repo/worktree-view.js';
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
  // the work tree read by the stamp (what changed since the last scan), compared with HEAD's snapshot
  const view = await viewWorkTree(repo, { ingest: false });
  const diffs = await compareWithTree(repo, view, headLock?.tree);
  await rememberWholeRead(repo, view, headLock?.tree, diffs);
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
    skipped: view.skipped,
    rescued: (await readRescues(repo.sharedDir)).length,
  };
  const merge = await mergeState(repo);
  if (merge) r.conflicts = { paths: merge.conflicts, resolved: merge.picks };
  for (const d of diffs) {
    if (!d.snap) r.added.push(d.path);
    else if (!d.work) r.deleted.push(d.path);
    else r.modified.push(d.path);
  }
  // objects of HEAD's data the local store lacks, where the work tree does not hold them: the
  // paths that differ from HEAD, and those a restore could not write
  const needed = new Map(diffs.filter((d) => d.snap).map((d) => [d.path, d.snap!.sha256]));
  if (view.state.missing.length && headLock) {
    const slice = await readSnapshotSlice(repo.root, headLock.tree, { paths: view.state.missing });
    for (const [p, e] of slice.files) needed.set(p, e.sha256);
  }
  for (const [p, sha] of needed) if (!(await repo.store.has(sha))) r.missingObjects.push({ path: p, sha256: sha });
  r.missingObjects.sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const l of [r.added, r.modified, r.deleted]) l.sort();
  r.clean = r.added.length + r.modified.length + r.deleted.length === 0;
  return r;
}
