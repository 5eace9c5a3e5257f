/**
 * `gitrepro bundle create <file> [<rev>|<a>..<b>]... | --all`: one tar file that carries what
 * commits need to be restored without any store remote: their data objects, the record refs
 * (a `git bundle` of refs/notes/gitrepro and refs/gitrepro/snapshots, so the snapshot trees
 * and records come along) and a manifest naming both (record/bundle.ts). The code travels
 * separately (`git bundle create`, `git push`): this is the data twin.
 *
 * Objects missing from the local store are first fetched from the store remote (as
 * `gitrepro fetch` would); what still is missing fails the command, naming the objects.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { chainTrees, createGitBundle } from '../git/bundle.js';
import { listRefs, missingObjects } from '../git/refs.js';
import { resolveCommit, revList } from '../git/revs.js';
import { BUNDLE_REFS, BUNDLE_SCHEMA, type BundleManifest } from '../record/bundle.js';
import { SNAPSHOTS_REF } from '../record/rules.js';
import { hashFile } from '../store/hash.js';
import { writeArchive } from '../repo/bundle-write.js';
import { openRepo, requireSetUp, type Reporter } from '../repo/context.js';
import { commitData, snapshotObjects } from '../repo/object-plan.js';
import { completePending } from '../repo/record-io.js';
import { remoteFetcher } from '../repo/transfers.js';
import { trace } from '../trace.js';
import { VERSION } from '../version.js';

export interface BundleCreateOptions {
  cwd: string;
  /** the archive to write (relative to cwd) */
  file: string;
  /** revisions (that commit) and ranges `a..b` / `a...b` (every commit of the range); default HEAD */
  revs?: string[];
  /** every commit of every branch, tag and remote-tracking branch, and HEAD */
  all?: boolean;
  /** do not fetch objects missing locally from the store remote: fail naming them */
  noFetch?: boolean;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
}

export interface BundleCreateResult {
  file: string;
  /** commits covered that have data (a gitrepro.lock) */
  commits: number;
  objects: number;
  /** data bytes in the archive */
  dataBytes: number;
  /** size of the archive */
  bytes: number;
  /** objects fetched from the store remote first */
  fetched: number;
  /** refs carried in the git part */
  refs: string[];
}

/** Creates a bundle archive: the data, snapshots and records of the commits asked for. */
export async function bundleCreate(o: BundleCreateOptions): Promise<BundleCreateResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const revs = o.revs ?? [];
  if (o.all && revs.length) throw new GitreproError('GITREPRO_USAGE', 'name revisions or pass --all, not both', { hint: 'gitrepro bundle create <file> [<rev>|<a>..<b>]... | --all' });
  const file = path.resolve(o.cwd, o.file);
  const st = await stat(file).catch(() => undefined);
  if (st && !st.isFile()) throw new GitreproError('GITREPRO_USAGE', `${o.file} exists and is not a file`, { hint: 'name a new file, e.g. data.gitrepro.tar' });

  // records a commit journaled but not yet written must travel too
  await completePending(repo);
  const commits = new Set<string>();
  if (o.all) for (const c of await revList(repo.root, ['--branches', '--tags', '--remotes', 'HEAD'])) commits.add(c);
  for (const r of revs.length || o.all ? revs : ['HEAD']) {
    if (r.includes('..')) for (const c of await revList(repo.root, [r])) commits.add(c);
    else commits.add(await resolveCommit(repo.root, r));
  }
  const data = (await commitData(repo, [...commits])).filter((d) => d.lock);
  if (data.length === 0) {
    throw new GitreproError('GITREPRO_NO_LOCK', `none of the ${commits.size} commit(s) asked for has data (a gitrepro.lock)`, { hint: 'name commits made with gitrepro, e.g. `gitrepro bundle create data.tar HEAD`' });
  }
  const trees = [...new Set(data.map((d) => d.lock!.tree))];
  // the git part carries the snapshot chain: every snapshot asked for must be on it
  const absent = await missingObjects(repo.root, trees);
  const onChain = absent.size ? new Set<string>() : await chainTrees(repo.root, SNAPSHOTS_REF).catch(() => new Set<string>());
  const off = trees.filter((t) => absent.has(t) || !onChain.has(t));
  if (off.length) {
    const c = data.find((d) => d.lock!.tree === off[0])!.commit;
    throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `the snapshot of commit ${c.slice(0, 12)} is not in this clone's records (${off.length} snapshot(s))`, {
      hint: 'run `gitrepro fetch` (it merges the records of the Git remote), or leave those commits out of the range',
      data: { trees: off },
    });
  }

  const objects = await snapshotObjects(repo, { full: trees });
  trace(`planned ${objects.size} object(s)`);
  const missing = async () => {
    const out = [];
    for (const obj of objects.values()) if (!(await repo.store.has(obj.sha256))) out.push(obj);
    return out;
  };
  let want = await missing();
  let fetched = 0;
  let problems: string[] = [];
  if (want.length && !o.noFetch) {
    const f = remoteFetcher(repo, { env: o.env ?? process.env, reporter: o.reporter });
    await f.fetchMissing(want);
    fetched = f.fetched;
    problems = f.problems;
    want = await missing();
  }
  if (want.length) {
    throw new GitreproError('GITREPRO_OBJECT_MISSING', `${want.length} data object(s) are not in the local store${o.noFetch ? '' : ' nor could be fetched'}: ${want.slice(0, 3).map((w) => `${w.sha256.slice(0, 12)} (${w.path})`).join(', ')}${want.length > 3 ? ', ...' : ''}${problems[0] ? `; ${problems[0]}` : ''}`, {
      hint: 'run `gitrepro fetch` with the store remote reachable, or leave those commits out of the range',
      data: { objects: want.map((w) => w.sha256) },
    });
  }

  const refs = [...(await listRefs(repo.root, [...BUNDLE_REFS])).keys()].filter((r) => (BUNDLE_REFS as readonly string[]).includes(r)).sort();
  const tmp = await mkdtemp(path.join(path.dirname(file), '.gitrepro-tmp-bundle-'));
  try {
    const recordsFile = path.join(tmp, 'records.bundle');
    await createGitBundle(repo.root, recordsFile, refs);
    const rec = await hashFile(recordsFile);
    trace('records bundled');
    const manifest: BundleManifest = {
      schema: BUNDLE_SCHEMA,
      tool: `gitrepro ${VERSION}`,
      createdAt: new Date().toISOString(),
      range: o.all ? ['--all', ...revs] : revs.length ? revs : ['HEAD'],
      commits: data.map((d) => ({ commit: d.commit, tree: d.lock!.tree })).sort((a, b) => (a.commit < b.commit ? -1 : 1)),
      records: { size: rec.size, sha256: rec.sha256 },
      objects: [...objects.values()].map((x) => ({ sha256: x.sha256, size: x.size })).sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1)),
    };
    const total = manifest.objects.length;
    let done = 0;
    let dataBytes = 0;
    const w = await writeArchive(file, {
      manifest,
      recordsFile,
      store: repo.store,
      onObject: (n) => {
        dataBytes += n;
        if (++done % 256 === 0 || done === total) o.reporter?.progress?.({ label: 'bundling objects', done, total, bytes: dataBytes });
      },
    });
    trace('archive written');
    return { file, commits: data.length, objects: total, dataBytes, bytes: w.bytes, fetched, refs };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
