/**
 * `gitrepro pull [<remote>]`: fetch what HEAD needs (its records from the Git remote, its objects
 * from the store remote), then restore it into the work tree. Also the restore step of hooks and
 * `install` that may have to reach remotes (`restoreWithRemotes`).
 */
import { GitreproError } from '../errors.js';
import { hasObject } from '../git/refs.js';
import { tryResolveCommit } from '../git/revs.js';
import type { Lock } from '../record/lock.js';
import { openRepo, requireSetUp, type Reporter, type Repo } from './context.js';
import { remoteFetcher, syncRecords, type RecordsSync } from './fetch.js';
import { lockAt } from './locks.js';
import { resolveStoreRemote } from './remote.js';
import { syncTo, type SyncOptions, type SyncResult } from './sync.js';

export interface RemoteRestoreResult extends SyncResult {
  records?: RecordsSync;
  fetched: number;
  fetchedBytes: number;
  /** why objects could not be fetched */
  problems: string[];
}

/**
 * syncTo, with what it needs fetched first: when the target snapshot is not in this clone (a
 * `git pull origin main` with an explicit refspec brings no records), the records come from the
 * Git remote; objects missing from the local store come from the store remote.
 */
export async function restoreWithRemotes(
  repo: Repo,
  target: Lock | undefined,
  o: Omit<SyncOptions, 'fetchMissing'> & { env: NodeJS.ProcessEnv; reporter?: Reporter; remote?: string; syncRecords?: boolean },
): Promise<RemoteRestoreResult> {
  let records: RecordsSync | undefined;
  const problems: string[] = [];
  if (o.syncRecords || (target && !(await hasObject(repo.root, target.tree)))) {
    records = await syncRecords(repo);
    if (records.error) problems.push(records.error);
  }
  const fetcher = remoteFetcher(repo, { remote: o.remote, env: o.env, reporter: o.reporter });
  const res = await syncTo(repo, target, { ...o, fetchMissing: (refs) => fetcher.fetchMissing(refs) });
  return { ...res, records, fetched: fetcher.fetched, fetchedBytes: fetcher.bytes, problems: [...problems, ...fetcher.problems] };
}

export interface PullResult extends RemoteRestoreResult {
  commit: string;
}

export async function pull(o: { cwd: string; remote?: string; env?: NodeJS.ProcessEnv; reporter?: Reporter }): Promise<PullResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  if (o.remote !== undefined) await resolveStoreRemote(repo, o.remote); // a typo fails before any work
  const commit = await tryResolveCommit(repo.root, 'HEAD');
  if (!commit) throw new GitreproError('GITREPRO_BAD_REVISION', 'HEAD names no commit yet', { hint: 'commit first, or clone a repository with history' });
  const lock = await lockAt(repo, commit);
  const res = await restoreWithRemotes(repo, lock, { reason: 'pull', full: true, env: o.env ?? process.env, reporter: o.reporter, remote: o.remote, syncRecords: true });
  return { ...res, commit };
}
