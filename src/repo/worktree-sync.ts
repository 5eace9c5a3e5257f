/**
 * Bringing the work tree's data to a snapshot: the engine behind post-checkout, post-merge,
 * machine-made commits and `gitrepro restore`. Only changed paths are touched; unsaved content
 * is stored first (materialize). Hooks diff the snapshot the work tree was last synced to
 * (worktree-state.ts) against the target; `restore` compares the work tree itself.
 */
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { diffSnapshots, readSnapshotSlice, type SnapChange, type SnapEntry } from '../git/snapshot.js';
import { blobId } from '../git/revs.js';
import { formatLock, type Lock } from '../record/lock.js';
import { clearFastState, writeFastState } from '../workspace/faststate.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { materialize, restoreTmpDir, type CheckedObject, type MaterializeOptions, type MaterializeResult } from '../workspace/materialize.js';
import { readWorkState, writeWorkState } from '../workspace/worktree-state.js';
import { compareWithTree, notHeld, viewWorkTree, type WorkView } from './worktree-view.js';
import { guardSnapshot } from './snapshot-guard.js';
import { acceptedTrack } from './trust.js';
import { trackRule, type Matcher } from '../workspace/walk.js';
import type { PathRule } from '../git/treewalk.js';
import { scanKey, type Repo } from './context.js';
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
   * Called with the objects the changes need that the local store lacks (a store remote fetches
   * them), while the rest is written. `onChecked`, when the fetcher can call it, takes objects as
   * they arrive, checked against their names: their files are written from those bytes then.
   * Objects still missing afterwards are reported.
   */
  fetchMissing?: (refs: { sha256: string; size: number }[], onChecked?: (items: readonly CheckedObject[]) => Promise<void>) => Promise<void>;
  /**
   * The objects the store remote holds, as its pack indexes claim (format v2): into an empty work
   * tree (a clone), the pointers to them are known by their blob ids, not read from git.
   */
  remoteObjects?: () => Promise<{ sha256: string; size: number }[]>;
}

export interface SyncResult extends MaterializeResult {
  tree: string | undefined;
}

export async function syncTo(repo: Repo, target: Lock | undefined, o: SyncOptions): Promise<SyncResult> {
  return withRepoLock(repo.sharedDir, async () => {
    const state = await readWorkState(repo.stateDir);
    trace('work state read');
    // hooks diff snapshots, unless the sparse filter changed since (then the work tree is compared)
    const key = scanKey(repo);
    const sparseLines = (ps: string[] | undefined): string => (ps ?? []).filter((p) => /^#(include|exclude) /.test(p)).join('\n');
    const byDiff = !o.full && !o.only && state.tree !== undefined && sparseLines(state.patterns) === sparseLines(key);
    let changes: SnapChange[];
    let view: WorkView | undefined;
    let kept = 0;
    const held = notHeld(repo);
    if (byDiff) {
      // hooks: only what differs between the snapshot the work tree last matched and the target
      changes = await diffSnapshots(repo.root, state.tree, target?.tree);
      trace(`diffed snapshots: ${changes.length} change(s)`);
    } else {
      // restore, pull, install: the work tree itself (read by the stamp where it can be) against the target
      // absent data outside a sparse filter is not a deletion, unless named (restore -- <path>)
      const keepAbsent = (p: string): boolean => held(p) && !o.only?.(p);
      view = await viewWorkTree(repo, { ingest: false, only: o.only, keepAbsent });
      changes = [];
      // the pointers of a big snapshot: those to objects of the local packs, and into an empty
      // work tree (a clone) those to the store remote's, are known by their blob ids
      const empty = view.kind === 'full' && view.files.size === 0;
      const candidates = [() => repo.store.packs.entries(), ...(empty && o.remoteObjects ? [o.remoteObjects] : [])];
      for (const d of await compareWithTree(repo, view, target?.tree, o.only, keepAbsent, candidates)) {
        if (d.snap) changes.push({ path: d.path, entry: d.snap, before: d.work });
        // a file the target lacks goes only when it was data of the snapshot the work tree
        // matched; one the user added since is theirs and stays
        else if (d.inBase) changes.push({ path: d.path, before: d.work });
        else kept++;
      }
      trace(`compared the work tree with the target: ${changes.length} change(s)`);
    }
    // paths an earlier restore could not write: tried again wherever the target holds data
    const unknown = new Set([...state.missing, ...(state.unsettled ?? [])]);
    const planned = state.missing.length ? new Set(changes.map((c) => c.path)) : undefined;
    const retry = state.missing.filter((p) => (!o.only || o.only(p)) && !planned!.has(p));
    if (retry.length && target) {
      const slice = await readSnapshotSlice(repo.root, target.tree, { paths: retry });
      for (const [p, entry] of slice.files) changes.push({ path: p, entry });
    }
    // a sparse clone writes only the data it holds: a path outside its filter only when it is
    // there already (restored on demand) or named explicitly (restore -- <path>)
    changes = changes.filter((c) => !held(c.path) || o.only?.(c.path) || lstatSync(path.join(repo.root, c.path), { throwIfNoEntry: false }) !== undefined);
    const writes = changes.filter((c) => c.entry).map((c) => c.path);
    // the track patterns this clone accepted, while others' are pending (undefined: none pending)
    const accepted = writes.length ? await acceptedTrack(repo) : undefined;
    if (writes.length && target) {
      await guardSnapshot(repo, { tree: target.tree, commit: o.commit, paths: writes, also: acceptedRules(accepted) });
      trace('guarded');
    }
    let incoming: MaterializeOptions['incoming'];
    if (o.fetchMissing) {
      const need = new Map<string, number>();
      const lacking = await repo.store.missing(changes.flatMap((c) => (c.entry ? [c.entry.sha256] : [])));
      for (const c of changes) if (c.entry && lacking.has(c.entry.sha256)) need.set(c.entry.sha256, c.entry.size);
      const fetchMissing = o.fetchMissing;
      // the fetch runs while materialize writes: each object's files as it arrives
      if (need.size) incoming = { pending: need, fetch: (consume) => fetchMissing([...need].map(([sha256, size]) => ({ sha256, size })), consume) };
    }
    trace('planned');
    // a file unchanged since the stamp holds what the snapshot says: stored already, not read again
    const before = new Map<string, SnapEntry>();
    for (const c of changes) if (c.before && !unknown.has(c.path)) before.set(c.path, c.before);
    const stampMs = state.stampMs;
    const known = (rel: string, st: { ctimeMs: number }): string | undefined => (stampMs !== undefined && st.ctimeMs < stampMs ? before.get(rel)?.sha256 : undefined);
    // temp files beside their files only where this clone's own (accepted) patterns cover the directory
    const rule = trackRule(accepted ?? repo.matcher);
    const res = await materialize(changes, { root: repo.root, store: repo.store, known, sharedDir: repo.sharedDir, reason: o.reason, tree: target?.tree, tmpDir: await restoreTmpDir(repo.stateDir), tempBeside: (d) => rule.dir(d), incoming });
    trace('materialized');
    // still unsettled: what this restore could not write, and earlier ones it did not reach
    // (a path the target has no data for is settled once gone)
    // (sets of 100,000 paths on a clone: built only when there is something to look up in them)
    const earlierLeft = state.missing.length + (state.unsettled?.length ?? 0) > 0;
    const done = earlierLeft ? new Set([...res.written, ...res.unchanged, ...res.removed]) : new Set<string>();
    const tried = state.missing.length ? new Set(changes.map((c) => c.path)) : new Set<string>();
    const earlier = state.missing.filter((p) => !done.has(p) && !tried.has(p) && ((o.only && !o.only(p)) || existsSync(path.join(repo.root, p))));
    const missing = [...earlier, ...res.missing.map((m) => m.path), ...res.failed.map((f) => f.path)];
    // paths a status found changed and this restore did not write still hold the user's data
    const fresh = !o.only && view?.kind === 'full' && kept === 0 && res.missing.length === 0 && res.failed.length === 0;
    const unsettled = fresh ? [] : (state.unsettled ?? []).filter((p) => !done.has(p));
    if (!o.only) {
      // the work tree now matches the target, plus whatever changed since the stamp: the next
      // scan reads that (the files written here too). A whole-tree read with nothing kept and
      // nothing missing is a fresh start: the stamp moves to when it began.
      const patterns = byDiff || view?.kind === 'changes' ? state.patterns : key;
      await writeWorkState(repo.stateDir, { tree: target?.tree, patterns, missing, unsettled, dirStamps: { ...(fresh ? {} : state.dirStamps), ...res.dirStamps } }, fresh ? view!.stampAt : undefined, fresh ? view!.clock : undefined);
      // the hooks' fast path may skip a step only when the stamp covers every path
      if (missing.length === 0 && unsettled.length === 0) {
        const lockBlob = target ? blobId(formatLock(target), repo.paths.objectFormat) : '';
        await writeFastState(repo.root, repo.stateDir, { lockBlob, maxGitFileSize: repo.config.policy.maxGitFileSize, roots: repo.matcher.roots, patterns: repo.config.track, fsmonitor: repo.fsmonitor });
      } else await clearFastState(repo.stateDir);
    } else if (missing.join() !== state.missing.join() || unsettled.length !== (state.unsettled ?? []).length) {
      // (what a restore of some paths wrote may be another snapshot's than the state's: no new dirStamps)
      await writeWorkState(repo.stateDir, { tree: state.tree, patterns: state.patterns, missing, unsettled, dirStamps: state.dirStamps });
    }
    trace('state saved');
    return { ...res, tree: target?.tree };
  }, { what: 'restore data' });
}

/**
 * The extra rule a restore's paths must pass while track patterns from others are pending: they
 * must be tracked by the patterns this clone accepted (a hostile commit could add a pattern and
 * a snapshot entry for, say, `.envrc` in one go).
 */
function acceptedRules(accepted: Matcher | undefined): { rule: PathRule; why: string }[] {
  if (!accepted) return [];
  return [{ rule: trackRule(accepted), why: 'which only a track pattern this clone has not accepted matches (see `gitrepro trust --show`)' }];
}
