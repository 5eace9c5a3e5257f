/**
 * Fetching: the records from the Git remote (records-sync.ts), then the data objects that
 * commits need from a store remote into the local store. `gitrepro fetch [<remote>]
 * [<rev>...|--all]`, and `remoteFetcher`, the `fetchMissing` callback that restores (hooks,
 * pull, install) give syncTo so that objects missing locally are downloaded before anything is
 * written.
 */
import { GitreproError } from '../errors.js';
import { missingObjects } from '../git/refs.js';
import { resolveCommit } from '../git/revs.js';
import { git } from '../git/run.js';
import { openRepo, pathFilter, requireSetUp, type Reporter } from '../repo/context.js';
import { commitData, snapshotObjects, snapshotObjectsAt, type NeededObject } from '../repo/object-plan.js';
import { syncRecords, type RecordsSync } from '../repo/record-sync.js';
import { splitRemoteArgs } from '../repo/remote-config.js';
import { download } from '../repo/transfers.js';

export interface FetchOptions {
  cwd: string;
  /** `[<remote>] [<rev>...]`: the first names a store remote when one has that name */
  args?: string[];
  /** every commit of every branch, tag and remote-tracking branch */
  all?: boolean;
  /** only the data at these paths (files or directories, relative to cwd), sparse filter or not */
  paths?: string[];
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
  // a sparse clone fetches the data it holds; named paths are fetched whatever the filter says
  const only = pathFilter(repo, o.cwd, o.paths) ?? (repo.sparse ? (p: string) => repo.sparse!.wanted(p) : undefined);
  const objects = only ? await snapshotObjectsAt(repo, trees, only) : await snapshotObjects(repo, { full: trees });
  const want: NeededObject[] = [];
  const lacking = await repo.store.missing([...objects.values()].map((x) => x.sha256));
  for (const obj of objects.values()) if (lacking.has(obj.sha256)) want.push(obj);
  const res: FetchResult = { records, commits: commits.length, needed: objects.size, local: objects.size - want.length, fetched: [], bytes: 0, failed: [], unavailable };
  if (want.length === 0) return res;
  const moved = await download(repo, want, { remote, env: o.env ?? process.env, reporter: o.reporter }, res);
  res.fetched = moved.ok;
  res.bytes = moved.bytes;
  res.failed = moved.failed;
  return res;
}

