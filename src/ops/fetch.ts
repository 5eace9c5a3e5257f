/**
 * Fetching: the records from the Git remote (records-sync.ts), then the data objects that
 * commits need from a store remote into the local store. `gitrepro fetch [<remote>]
 * [<rev>...|--all]`, and `remoteFetcher`, the `fetchMissing` callback that restores (hooks,
 * pull, install) give syncTo so that objects missing locally are downloaded before anything is
 * written.
 */
import { GitreproError, isGitreproError } from '../errors.js';
import { missingObjects } from '../git/refs.js';
import { resolveCommit } from '../git/revs.js';
import { git } from '../git/run.js';
import { KnownCache } from '../store/known.js';
import { trace } from '../trace.js';
import type { ObjectRef } from '../store/types.js';
import { openRepo, requireSetUp, type Reporter, type Repo } from './context.js';
import { commitData, snapshotObjects, type NeededObject } from './objects.js';
import { defaultGitRemote, fetchRecords, mergeRecords, type MergeResult } from './records-sync.js';
import { knownFile, openStoreRemote, resolveStoreRemote, splitRemoteArgs } from './remote.js';
import { downloadObjects } from './transfers.js';

export interface RecordsSync extends Partial<MergeResult> {
  gitRemote?: string;
  /** why the records could not be fetched (offline, no access): the rest goes on */
  error?: string;
}

/** Fetches the record refs from `gitRemote` (default: the branch's, else origin) and merges them. */
export async function syncRecords(repo: Repo, gitRemote?: string): Promise<RecordsSync> {
  const remote = gitRemote ?? (await defaultGitRemote(repo));
  if (!remote) return {};
  try {
    const name = await fetchRecords(repo, remote);
    return { gitRemote: remote, ...(await mergeRecords(repo, name)) };
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    return { gitRemote: remote, error: e.message };
  }
}

export interface FetchOptions {
  cwd: string;
  /** `[<remote>] [<rev>...]`: the first names a store remote when one has that name */
  args?: string[];
  /** every commit of every branch, tag and remote-tracking branch */
  all?: boolean;
  /** fetch the records from the Git remote first (default true) */
  records?: boolean;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
}

export interface FetchResult {
  records: RecordsSync;
  remote?: string;
  location?: string;
  commits: number;
  /** objects the commits reference */
  needed: number;
  /** of those, already in the local store */
  local: number;
  fetched: NeededObject[];
  bytes: number;
  failed: { object: NeededObject; error: GitreproError }[];
  /** commits whose snapshot is not in this clone (records never pushed); only with --all */
  unavailable: string[];
}

/** `gitrepro fetch`: the objects `<rev>...` (default HEAD) need, or with `all` every commit's. */
export async function fetchData(o: FetchOptions): Promise<FetchResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const { remote, revs } = await splitRemoteArgs(repo, o.args ?? []);
  if (o.all && revs.length) throw new GitreproError('GITREPRO_USAGE', 'name revisions or pass --all, not both', { hint: 'gitrepro fetch [<remote>] [<rev>...|--all]' });
  const records = o.records === false ? {} : await syncRecords(repo);
  const commits = o.all
    ? (await git(repo.root, ['rev-list', '--branches', '--tags', '--remotes'])).split('\n').filter(Boolean)
    : await Promise.all((revs.length ? revs : ['HEAD']).map((r) => resolveCommit(repo.root, r)));
  const data = (await commitData(repo, commits)).filter((d) => d.lock);
  let trees = [...new Set(data.map((d) => d.lock!.tree))];
  const unavailable: string[] = [];
  if (o.all) {
    const absent = await missingObjects(repo.root, trees);
    for (const d of data) if (absent.has(d.lock!.tree)) unavailable.push(d.commit);
    trees = trees.filter((t) => !absent.has(t));
  }
  const objects = await snapshotObjects(repo, { full: trees });
  const want: NeededObject[] = [];
  for (const obj of objects.values()) if (!(await repo.store.has(obj.sha256))) want.push(obj);
  const res: FetchResult = { records, commits: commits.length, needed: objects.size, local: objects.size - want.length, fetched: [], bytes: 0, failed: [], unavailable };
  if (want.length === 0) return res;
  const moved = await download(repo, want, { remote, env: o.env ?? process.env, reporter: o.reporter }, res);
  res.fetched = moved.ok;
  res.bytes = moved.bytes;
  res.failed = moved.failed;
  return res;
}

async function download(repo: Repo, want: NeededObject[], o: { remote?: string; env: NodeJS.ProcessEnv; reporter?: Reporter }, where: { remote?: string; location?: string }) {
  const info = await resolveStoreRemote(repo, o.remote);
  const remote = await openStoreRemote(repo, info, o.env);
  try {
    where.remote = info.name;
    where.location = remote.display;
    const known = await KnownCache.load(knownFile(repo, info.name), remote.display);
    return await downloadObjects(repo, remote, want, { jobs: repo.config.policy.jobs, reporter: o.reporter, known, env: o.env });
  } finally {
    await remote.close();
  }
}

export interface Fetcher {
  /** for SyncOptions.fetchMissing */
  fetchMissing(refs: ObjectRef[]): Promise<void>;
  fetched: number;
  bytes: number;
  /** one line per distinct reason objects could not be fetched */
  problems: string[];
}

/**
 * A fetchMissing callback: downloads from the store remote (named, else the default) what a
 * restore needs. It never throws: what it cannot get stays missing, and the restore reports it;
 * the reasons (no remote, auth, unreachable) are collected in `problems`.
 */
export function remoteFetcher(repo: Repo, o: { remote?: string; env: NodeJS.ProcessEnv; reporter?: Reporter }): Fetcher {
  const f: Fetcher = {
    fetched: 0,
    bytes: 0,
    problems: [],
    async fetchMissing(refs) {
      const want = refs.map((r) => ({ ...r, path: r.sha256.slice(0, 12) }));
      trace(`fetching ${want.length} missing object(s)`);
      try {
        const moved = await download(repo, want, o, {});
        trace(`fetched ${moved.ok.length} object(s), ${moved.failed.length} failed`);
        f.fetched += moved.ok.length;
        f.bytes += moved.bytes;
        for (const m of new Set(moved.failed.map((x) => x.error.message))) f.problems.push(m);
      } catch (e) {
        if (!isGitreproError(e)) throw e;
        f.problems.push(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
      }
    },
  };
  return f;
}
