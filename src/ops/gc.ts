/**
 * `gitrepro gc [--dry-run] [--remote <name>] [--keep <duration>]`: removes data objects that
 * nothing can reach any more (repo/gc-roots.ts says what reaches), and that are older than the
 * grace period, from the local store, or with `remote` from a store remote.
 *
 * Local: under the repository lock (a hook that ingests waits), every object of the local store
 * that no root needs and whose mtime is before the cutoff is unlinked, its mtime looked at again
 * right before (an ingest freshens an object it meets again: store/local.ts).
 *
 * A store remote is shared with other clones, which this clone's refs do not describe. So:
 *
 *   1. fetch every ref of the Git remote the store remote belongs with (the branch's upstream
 *      remote, else origin, else the only one: the remote records are pushed to) into
 *      refs/gitrepro-gc/<remote>/*, with its record refs (the snapshot trees come with them);
 *   2. keep what those refs need, plus what this clone needs (its own branches, reflogs, ...);
 *   3. plan (store/remote-gc.ts): what no one needs and is older than the cutoff;
 *   4. ask the Git remote for its refs again (`git ls-remote`): if any ref is new or moved since
 *      step 1 (another clone pushed), start again from step 1; else write the list of what goes
 *      to <git-common-dir>/gitrepro/gc/ and remove it.
 *
 * What stays unprotected: a push whose pre-push found an object already on the store remote
 * (so did not upload it again) and whose refs reach the Git remote after step 4. The grace
 * period does not cover it, because the object is old; `gitrepro verify` in CI reports it and
 * a `gitrepro push --recheck` from that clone repairs it. Other clones' caches of what the remote
 * holds (store/known.ts) are not told; `push --recheck` there too.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mapLimit } from '../concurrency.js';
import { GitreproError } from '../errors.js';
import { gitRemoteNames } from '../git/refs.js';
import { git } from '../git/run.js';
import { fetchRefs } from '../git/transport.js';
import { setting } from '../settings.js';
import { trace } from '../trace.js';
import { KnownCache } from '../store/known.js';
import { applyRemoteGc, planRemoteGc, type RemoteGcPlan } from '../store/remote-gc.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { openRepo, requireSetUp, type Repo, type Reporter } from '../repo/context.js';
import { neededObjects, refTips, whoNeeded, type NeededBy, type Needs } from '../repo/gc-roots.js';
import { completePending } from '../repo/record-io.js';
import { defaultGitRemote, trackingName } from '../repo/record-sync.js';
import { knownFile, openStoreRemote, resolveStoreRemote } from '../repo/remote-config.js';

export const DEFAULT_KEEP = '14d';
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
/** rounds of fetch, plan, re-check before giving up on a Git remote that keeps moving */
const ROUNDS = 3;

/** `14d`, `2w`, `36h`, `90m`, `30s` or `0` → milliseconds. */
export function parseKeep(text: string): number {
  const m = /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(text);
  if (!m || (m[2] === '' && m[1] !== '0' && !/^0+$/.test(m[1]!))) {
    throw new GitreproError('GITREPRO_USAGE', `--keep ${JSON.stringify(text)} is not a duration`, { hint: 'write it as a number and a unit: 14d, 2w, 36h, 90m, 30s, or 0 (keep nothing for its age)' });
  }
  return Number(m[1]) * (m[2] ? UNITS[m[2]]! : 0);
}

export interface GcOptions {
  cwd: string;
  dryRun?: boolean;
  /** a store remote to collect instead of the local store */
  remote?: string;
  /** grace period (default 14d): objects younger than this stay */
  keep?: string;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
}

export interface GcObject {
  sha256: string;
  size: number;
  /** when it was written (ISO) */
  mtime: string;
  where: 'local' | 'loose' | 'pack';
  /** the oldest and newest commit whose record named it (dry run; none: no commit did) */
  firstNeededBy?: NeededBy;
  lastNeededBy?: NeededBy;
}

export interface GcResult {
  dryRun: boolean;
  scope: 'local' | 'remote';
  keep: string;
  keepMs: number;
  /** objects removed (dry run: that would be) */
  removed: { objects: number; bytes: number };
  kept: { objects: number; bytes: number; needed: number; young: number };
  objects: GcObject[];
  roots: { commits: number; snapshots: number; worktrees: number; rescued: number; remoteRefs?: number };
  remote?: { name: string; location: string; gitRemote: string; rounds: number };
  /** v2 store remotes: packs removed whole, rewritten without their garbage, packs no index named */
  packs?: { removed: number; rewritten: number; orphans: number; damagedIndexes: number };
  /** the file listing what a store remote gc removed */
  list?: string;
  failed: { sha256: string; message: string }[];
}

/** Collects garbage from the local store, or with `o.remote` from that store remote. */
export async function gc(o: GcOptions): Promise<GcResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const keep = o.keep ?? DEFAULT_KEEP;
  const keepMs = parseKeep(keep);
  await completePending(repo);
  return o.remote !== undefined ? remoteGc(repo, o, keep, keepMs) : localGc(repo, o, keep, keepMs);
}

function roots(n: Needs): GcResult['roots'] {
  return { commits: n.commits, snapshots: n.trees.size, worktrees: n.worktrees, rescued: n.rescued };
}

async function localGc(repo: Repo, o: GcOptions, keep: string, keepMs: number): Promise<GcResult> {
  if (path.resolve(repo.store.root) !== path.resolve(repo.sharedDir, 'objects')) {
    // other repositories use this cache, and their refs are not ours to read
    throw new GitreproError('GITREPRO_USAGE', `the local store is a cache shared through gitrepro.cachedir (${repo.store.root}): gc of this repository cannot know what the others need`, {
      hint: 'remove objects from a shared cache by age only, outside gitrepro, or unset gitrepro.cachedir; `gitrepro gc --remote <name>` still works',
    });
  }
  return withRepoLock(
    repo.sharedDir,
    async () => {
      const cutoff = Date.now() - keepMs;
      const needs = await neededObjects(repo);
      trace(`gc: ${needs.objects.size} objects needed by ${needs.commits} commits, ${needs.trees.size} snapshots`);
      const all = await repo.store.listStat();
      trace(`gc: ${all.length} objects in the local store`);
      const kept = { objects: 0, bytes: 0, needed: 0, young: 0 };
      const garbage: typeof all = [];
      for (const x of all) {
        if (needs.objects.has(x.sha256)) kept.needed++;
        else if (x.mtime >= cutoff) kept.young++;
        else {
          garbage.push(x);
          continue;
        }
        kept.objects++;
        kept.bytes += x.size;
      }
      const objects: GcObject[] = garbage.map((g) => ({ sha256: g.sha256, size: g.size, mtime: new Date(g.mtime).toISOString(), where: 'local' }));
      const res: GcResult = { dryRun: Boolean(o.dryRun), scope: 'local', keep, keepMs, removed: { objects: 0, bytes: 0 }, kept, objects, roots: roots(needs), failed: [] };
      if (o.dryRun) {
        res.removed = { objects: garbage.length, bytes: garbage.reduce((n, g) => n + g.size, 0) };
        await addNeededBy(repo, res.objects, needs);
        return res;
      }
      const gone: GcObject[] = [];
      let done = 0;
      // objects in local packs go with their pack: a pack of garbage only is removed, one partly
      // needed keeps what is needed as loose objects first (store/local-packs.ts)
      const packOf = new Map(all.filter((x) => x.pack).map((x) => [x.sha256, x.pack!]));
      const packGarbage = new Map<string, GcObject[]>();
      for (const g of objects) {
        const p = packOf.get(g.sha256);
        if (p) packGarbage.set(p, [...(packGarbage.get(p) ?? []), g]);
      }
      for (const [id, gs] of packGarbage) {
        const drop = new Set(gs.map((g) => g.sha256));
        const keepLoose = all.filter((x) => x.pack === id && !drop.has(x.sha256)).map((x) => x.sha256);
        try {
          if (await repo.store.removePackIfOlder(id, keepLoose, cutoff)) {
            for (const g of gs) {
              gone.push(g);
              res.removed.objects++;
              res.removed.bytes += g.size;
            }
          } else {
            for (const g of gs) {
              kept.objects++;
              kept.young++;
              kept.bytes += g.size;
            }
          }
        } catch (e) {
          for (const g of gs) res.failed.push({ sha256: g.sha256, message: (e as Error).message });
        }
        done += gs.length;
        o.reporter?.progress?.({ label: 'removing', done, total: objects.length, bytes: res.removed.bytes });
      }
      // unlinks in parallel (a thread-pool round trip each; on NFS a network one)
      await mapLimit(objects.filter((g) => !packOf.has(g.sha256)), 16, async (g) => {
        try {
          const bytes = await repo.store.removeIfOlder(g.sha256, cutoff);
          if (bytes === undefined) {
            // freshened (or removed by someone else) since it was listed: it stays
            kept.objects++;
            kept.young++;
            kept.bytes += g.size;
          } else {
            gone.push(g);
            res.removed.objects++;
            res.removed.bytes += bytes;
          }
        } catch (e) {
          res.failed.push({ sha256: g.sha256, message: (e as Error).message });
        }
        o.reporter?.progress?.({ label: 'removing', done: ++done, total: objects.length, bytes: res.removed.bytes });
      });
      res.objects = gone;
      return res;
    },
    { what: 'collect garbage in the store' },
  );
}

async function addNeededBy(repo: Repo, objects: GcObject[], needs: Needs): Promise<void> {
  const who = await whoNeeded(repo, new Set(objects.map((x) => x.sha256)), needs.trees);
  for (const x of objects) {
    const w = who.get(x.sha256);
    if (w) {
      x.firstNeededBy = w.first;
      x.lastNeededBy = w.last;
    }
  }
}

/** The refs of Git remote `remote` right now (`git ls-remote`): ref → id, HEAD and peeled tags left out. */
async function lsRemote(repo: Repo, remote: string): Promise<Map<string, string>> {
  const out = await git(repo.root, ['ls-remote', '--', remote]);
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [oid, ref] = line.split('\t');
    if (oid && ref?.startsWith('refs/') && !ref.endsWith('^{}')) m.set(ref, oid);
  }
  return m;
}

/** Our copies of the Git remote's refs under `prefix`, named as on the remote. */
async function fetchedRefs(repo: Repo, prefix: string): Promise<Map<string, string>> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(objectname) %(refname)', prefix]);
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [oid, ref] = line.split(' ');
    if (oid && ref) m.set(`refs/${ref.slice(prefix.length)}`, oid);
  }
  return m;
}

async function dropRefs(repo: Repo, prefix: string): Promise<void> {
  const refs = await fetchedRefs(repo, prefix);
  if (refs.size === 0) return;
  await git(repo.root, ['update-ref', '--stdin'], { input: [...refs.keys()].map((r) => `delete ${prefix}${r.slice('refs/'.length)}\n`).join('') });
}

async function remoteGc(repo: Repo, o: GcOptions, keep: string, keepMs: number): Promise<GcResult> {
  const info = await resolveStoreRemote(repo, o.remote);
  const gitRemote = await defaultGitRemote(repo);
  if (!gitRemote) {
    throw new GitreproError('GITREPRO_NO_REMOTE', `gc of store remote "${info.name}" needs the Git remote its commits are pushed to, and this clone has none (or several, none of them origin)`, {
      hint: 'set the branch upstream (`git branch -u <remote>/<branch>`) or add origin (`git remote add origin <url>`)',
    });
  }
  const prefix = `refs/gitrepro-gc/${trackingName(gitRemote, await gitRemoteNames(repo.root))}/`;
  const env = o.env ?? process.env;
  const remote = await openStoreRemote(repo, info, env);
  try {
    await dropRefs(repo, prefix); // left by a gc that was killed
    for (let round = 1; round <= ROUNDS; round++) {
      // every ref of the Git remote (branches, tags, records, any other namespace), as it is now
      await fetchRefs(repo.root, gitRemote, [`+refs/*:${prefix}*`]);
      const fetched = await fetchedRefs(repo, prefix);
      const needs = await neededObjects(repo, { extraTips: await refTips(repo, prefix) });
      const cutoff = Date.now() - keepMs;
      const plan = await planRemoteGc(remote, (s) => needs.objects.has(s), cutoff);
      const res = remoteResult(o, keep, keepMs, plan, needs, { name: info.name, location: remote.display, gitRemote, rounds: round }, fetched.size);
      if (o.dryRun) {
        await addNeededBy(repo, res.objects, needs);
        return res;
      }
      const seam = setting('GITREPRO_TEST_GC_BEFORE_RECHECK', env);
      if (seam) spawnSync('sh', ['-c', seam], { cwd: repo.root, stdio: 'ignore', env });
      const now = await lsRemote(repo, gitRemote);
      const moved = [...now].filter(([ref, oid]) => fetched.get(ref) !== oid);
      if (moved.length) continue;
      if (plan.garbage.length === 0 && plan.packs.orphans.length === 0) return res;
      res.list = await writeList(repo, info.name, res, plan);
      await applyRemoteGc(remote, plan);
      const known = await KnownCache.load(knownFile(repo, info.name), remote.display);
      await known.forget(plan.garbage.map((g) => g.sha256));
      return res;
    }
    throw new GitreproError('GITREPRO_REMOTE_BUSY', `the refs of git remote "${gitRemote}" moved during each of ${ROUNDS} rounds of gc: nothing was removed`, {
      hint: 'others are pushing; run `gitrepro gc --remote` again later',
      exitCode: 75,
    });
  } finally {
    await remote.close();
    await dropRefs(repo, prefix).catch(() => {});
  }
}

function remoteResult(o: GcOptions, keep: string, keepMs: number, plan: RemoteGcPlan, needs: Needs, remote: NonNullable<GcResult['remote']>, refs: number): GcResult {
  return {
    dryRun: Boolean(o.dryRun),
    scope: 'remote',
    keep,
    keepMs,
    removed: { objects: plan.garbage.length, bytes: plan.bytes },
    kept: plan.kept,
    objects: plan.garbage.map((g) => ({ sha256: g.sha256, size: g.size, mtime: new Date(g.mtime).toISOString(), where: g.where })),
    roots: { ...roots(needs), remoteRefs: refs },
    remote,
    packs: { removed: plan.packs.removed.length, rewritten: plan.packs.rewritten.length, orphans: plan.packs.orphans.length, damagedIndexes: plan.packs.damagedIndexes.length },
    failed: [],
  };
}

/** `<git-common-dir>/gitrepro/gc/<time>-<remote>.txt`: written before anything is removed. */
async function writeList(repo: Repo, name: string, res: GcResult, plan: RemoteGcPlan): Promise<string> {
  const at = new Date().toISOString();
  const dir = path.join(repo.sharedDir, 'gc');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${at.replace(/[:.]/g, '-')}-${name}.txt`);
  const lines = [
    `# gitrepro gc of store remote "${name}" (${res.remote!.location}) at ${at}; git remote "${res.remote!.gitRemote}"; keep ${res.keep}`,
    '# <sha256> <bytes> <loose|pack>, then pack files no index named; written before the removal began',
    ...plan.garbage.map((g) => `${g.sha256} ${g.size} ${g.where}`),
    ...plan.packs.orphans.map((p) => `file ${p.key} ${p.size}`),
  ];
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}
