/**
 * Bringing the work tree's data to a snapshot: the engine behind post-checkout, post-merge,
 * machine-made commits and `gitrepro restore`. Only changed paths are touched; unsaved content
 * is stored first (materialize). Hooks diff the snapshot the work tree was last synced to
 * (the stat cache's memo) against the target; `restore` compares the work tree itself.
 */
import { diffSnapshots, readSnapshot, type SnapChange, type Snapshot } from '../git/snapshot.js';
import { blobId } from '../git/revs.js';
import { formatLock, type Lock } from '../record/lock.js';
import { writeFastState } from '../workspace/faststate.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { materialize, restoreTmpDir, type MaterializeResult } from '../workspace/materialize.js';
import { scanWorkTree } from '../workspace/scan.js';
import { StatCache } from '../workspace/statcache.js';
import { guardSnapshot } from './snapshot-guard.js';
import { snapshotTotals } from './snapshot-cache.js';
import { acceptedTrack } from './trust.js';
import { trackRule } from '../workspace/walk.js';
import type { PathRule } from '../git/treewalk.js';
import type { Repo } from './context.js';
import { trace } from '../trace.js';

export interface SyncOptions {
  reason: string;
  /**
   * The commit whose data this is: the paths written must be tracked by its gitrepro.yaml (and
   * not tracked by git in it): snapshot-guard.ts. Without it, by the work tree's config.
   */
  commit?: string;
  /** compare the actual work tree (restore) instead of the last synced snapshot (hooks) */
  full?: boolean;
  /** only these repo-relative paths (restore -- <path>) */
  only?: (p: string) => boolean;
  /**
   * Called with the objects the changes need that the local store lacks, before anything is
   * written (a store remote fetches them). Objects still missing afterwards are reported.
   */
  fetchMissing?: (refs: { sha256: string; size: number }[]) => Promise<void>;
}

export interface SyncResult extends MaterializeResult {
  tree: string | undefined;
}

const EMPTY: Snapshot = new Map();

export async function syncTo(repo: Repo, target: Lock | undefined, o: SyncOptions): Promise<SyncResult> {
  return withRepoLock(repo.sharedDir, async () => {
    const scanStart = Date.now();
    const byDiff = !o.full && !o.only;
    let cache = byDiff ? await StatCache.open(repo.stateDir) : await StatCache.load(repo.stateDir);
    trace('stat cache opened');
    let changes: SnapChange[];
    /** the target snapshot, when known without reading it whole from git (full path) */
    let targetSnap: Snapshot | undefined;
    const full = !byDiff || cache.tree === undefined;
    if (full) {
      if (byDiff) cache = await StatCache.load(repo.stateDir);
      targetSnap = target ? (cache.tree === target.tree && cache.snap ? cache.snap : await readSnapshot(repo.root, target.tree)) : EMPTY;
      const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: false, only: o.only });
      changes = [];
      for (const [p, e] of targetSnap) {
        if (o.only && !o.only(p)) continue;
        const cur = scan.files.get(p);
        if (!cur || cur.sha256 !== e.sha256 || cur.exec !== e.exec) changes.push({ path: p, entry: e });
      }
      // files of the previously synced snapshot that the target lacks
      for (const p of cache.snap?.keys() ?? []) {
        if ((!o.only || o.only(p)) && !targetSnap.has(p) && scan.files.has(p)) changes.push({ path: p });
      }
    } else {
      // hooks: only what differs between the snapshot the work tree was synced to and the target
      changes = await diffSnapshots(repo.root, cache.tree, target?.tree);
      trace(`diffed snapshots: ${changes.length} change(s)`);
    }
    const writes = changes.filter((c) => c.entry).map((c) => c.path);
    if (writes.length && target) {
      await guardSnapshot(repo, { tree: target.tree, commit: o.commit, paths: writes, also: await acceptedRules(repo) });
      trace('guarded');
    }
    if (o.fetchMissing) {
      const need = new Map<string, number>();
      for (const c of changes) if (c.entry && !(await repo.store.has(c.entry.sha256))) need.set(c.entry.sha256, c.entry.size);
      if (need.size) await o.fetchMissing([...need].map(([sha256, size]) => ({ sha256, size })));
    }
    trace('planned');
    const res = await materialize(changes, { root: repo.root, store: repo.store, cache, sharedDir: repo.sharedDir, reason: o.reason, tree: target?.tree, tmpDir: await restoreTmpDir(repo.stateDir) });
    for (const p of [...res.written, ...res.unchanged]) cache.unsetMissing(p);
    cache.setMissing(res.missing.map((m) => m.path), !o.only);
    if (!o.only) {
      if (full) cache.setSnapshot(target?.tree ?? '', targetSnap);
      else cache.applySnapshotChanges(target?.tree ?? '', changes);
      const lockBlob = target ? blobId(formatLock(target), repo.paths.objectFormat) : '';
      if (res.missing.length === 0 && res.failed.length === 0) {
        // Only a full scan may move the stamp: after a diff-only restore, edits the user made
        // before the checkout (outside the diff) must still send the next commit down the full path.
        await writeFastState(repo.stateDir, { lockBlob, maxGitFileSize: repo.config.policy.maxGitFileSize, roots: repo.matcher.roots, patterns: repo.config.track }, full ? scanStart : undefined);
      }
    }
    trace('materialized');
    await cache.save();
    trace('stat cache saved');
    return { ...res, tree: target?.tree };
  }, { what: 'restore data' });
}

/**
 * The extra rule a restore's paths must pass while track patterns from others are pending: they
 * must be tracked by the patterns this clone accepted (a hostile commit could add a pattern and
 * a snapshot entry for, say, `.envrc` in one go).
 */
async function acceptedRules(repo: Repo): Promise<{ rule: PathRule; why: string }[]> {
  const accepted = await acceptedTrack(repo);
  if (!accepted) return [];
  return [{ rule: trackRule(accepted), why: 'which only a track pattern this clone has not accepted matches (see `gitrepro trust --show`)' }];
}
