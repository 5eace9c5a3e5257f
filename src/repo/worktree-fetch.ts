/**
 * syncTo (worktree-sync.ts) with what it needs fetched first: the restore step of install, pull
 * and the hooks that may have to reach remotes. When the target snapshot is not in this clone
 * (a `git pull origin main` with an explicit refspec brings no records), the records come from
 * the Git remote; objects missing from the local store come from the store remote.
 */
import { hasObject } from '../git/refs.js';
import type { Lock } from '../record/lock.js';
import type { Reporter, Repo } from './context.js';
import { syncRecords, type RecordsSync } from './record-sync.js';
import { remoteFetcher } from './transfers.js';
import { syncTo, type SyncOptions, type SyncResult } from './worktree-sync.js';
import { trace } from '../trace.js';

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
  const fetcher = remoteFetcher(repo, { remote: o.remote, env: o.env, reporter: o.reporter });
  let res;
  try {
    // a fresh clone (no records yet) restores into an empty work tree, where the store remote's
    // listing names the snapshot's pointers: it is read while git fetches the records
    // (another process), not after (W2: 0.3 s of the fetch's wait)
    const listing = o.syncRecords ? fetcher.listObjects() : undefined;
    listing?.catch(() => undefined); // awaited below, or never needed: never an unhandled rejection
    if (o.syncRecords || (target && !(await hasObject(repo.root, target.tree)))) {
      records = await syncRecords(repo);
      if (records.error) problems.push(records.error);
      trace('records fetched from the git remote');
    }
    res = await syncTo(repo, target, { ...o, fetchMissing: (refs, onChecked) => fetcher.fetchMissing(refs, onChecked), remoteObjects: () => listing ?? fetcher.listObjects() });
  } finally {
    await fetcher.close();
  }
  return { ...res, records, fetched: fetcher.fetched, fetchedBytes: fetcher.bytes, problems: [...problems, ...fetcher.problems] };
}

