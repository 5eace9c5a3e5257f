/**
 * Three-way merge of data snapshots: the `gitrepro` merge driver git runs for gitrepro.lock
 * (merge, cherry-pick, rebase, revert), and `gitrepro resolve` for paths both sides changed.
 *
 * Per path: both sides equal → that; one side unchanged from base → the other side; else a
 * conflict. Conflicts stop the merge: the driver leaves both locks between conflict markers,
 * saves the merge state (`<git-dir>/gitrepro/merge.json`) and names each path and the fix.
 */
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { git } from '../git/run.js';
import { readSnapshot, writeSnapshot, type SnapChange, type SnapEntry, type Snapshot } from '../git/snapshot.js';
import { formatLock, LOCK_FILE, parseLock, type Lock } from '../record/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { snapshotTotals } from '../repo/worktree-view.js';
import { openRepo, type Repo } from '../repo/context.js';
import { parseLockOrThrow } from '../repo/lock-file.js';
import { syncTo } from '../repo/worktree-sync.js';

const same = (a?: SnapEntry, b?: SnapEntry) => (a === undefined ? b === undefined : b !== undefined && a.sha256 === b.sha256 && a.exec === b.exec);

export interface MergePlan {
  merged: Snapshot;
  conflicts: { path: string; base?: SnapEntry; ours?: SnapEntry; theirs?: SnapEntry }[];
}

/** Pure three-way merge of snapshots. */
export function mergeSnapshots(base: Snapshot, ours: Snapshot, theirs: Snapshot): MergePlan {
  const merged: Snapshot = new Map();
  const conflicts: MergePlan['conflicts'] = [];
  for (const p of new Set([...base.keys(), ...ours.keys(), ...theirs.keys()])) {
    const b = base.get(p), o = ours.get(p), t = theirs.get(p);
    let pick: SnapEntry | undefined;
    if (same(o, t)) pick = o;
    else if (same(o, b)) pick = t;
    else if (same(t, b)) pick = o;
    else {
      conflicts.push({ path: p, base: b, ours: o, theirs: t });
      pick = o; // placeholder until resolved
    }
    if (pick) merged.set(p, pick);
  }
  conflicts.sort((x, y) => (x.path < y.path ? -1 : 1));
  return { merged, conflicts };
}

async function lockFromFile(file: string, what: string): Promise<Lock | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim() ? parseLockOrThrow(text, what) : undefined;
}

async function snap(repo: Repo, lock?: Lock): Promise<Snapshot> {
  return lock ? readSnapshot(repo.root, lock.tree) : new Map();
}

/** Writes `snapshot` as a tree built on `baseTree`, returning its lock. */
async function writeMerged(repo: Repo, baseTree: string | undefined, baseSnap: Snapshot, merged: Snapshot): Promise<Lock> {
  const changes: SnapChange[] = [];
  for (const [p, e] of merged) if (!same(baseSnap.get(p), e)) changes.push({ path: p, entry: e });
  for (const p of baseSnap.keys()) if (!merged.has(p)) changes.push({ path: p });
  const tree = changes.length || !baseTree ? (await writeSnapshot(repo.root, baseTree, changes)).tree : baseTree;
  return { tree, ...snapshotTotals(merged) };
}

interface MergeState {
  ours: string;
  theirs: string;
  base?: string;
  conflicts: string[];
  picks: Record<string, 'ours' | 'theirs'>;
}

function statePath(repo: Repo): string {
  return path.join(repo.stateDir, 'merge.json');
}

export interface DriverResult {
  /** 0: merged cleanly, 1: conflicts (named in `conflicts`) */
  code: number;
  conflicts: string[];
}

/** `gitrepro merge-driver %O %A %B %P`: merges into %A; exit 0 clean, 1 conflict. */
export async function mergeDriver(opts: { cwd: string; base: string; ours: string; theirs: string; path: string }): Promise<DriverResult> {
  const repo = await openRepo(opts.cwd);
  return withRepoLock(repo.sharedDir, async () => {
    const [b, o, t] = [
      await lockFromFile(opts.base, 'at the merge base'),
      await lockFromFile(opts.ours, 'on our side'),
      await lockFromFile(opts.theirs, 'on their side'),
    ];
    const [bs, os, ts] = [await snap(repo, b), await snap(repo, o), await snap(repo, t)];
    const plan = mergeSnapshots(bs, os, ts);
    if (plan.conflicts.length === 0) {
      const lock = await writeMerged(repo, o?.tree, os, plan.merged);
      await writeFile(opts.ours, formatLock(lock));
      return { code: 0, conflicts: [] };
    }
    await mkdir(repo.stateDir, { recursive: true });
    const state: MergeState = { ours: o?.tree ?? '', theirs: t?.tree ?? '', base: b?.tree, conflicts: plan.conflicts.map((c) => c.path), picks: {} };
    await writeFile(statePath(repo), JSON.stringify(state));
    const ourText = o ? formatLock(o) : '';
    const theirText = t ? formatLock(t) : '';
    await writeFile(opts.ours, `<<<<<<< ours\n${ourText}=======\n${theirText}>>>>>>> theirs\n`);
    return { code: 1, conflicts: state.conflicts };
  });
}

export interface ResolveResult {
  resolved: string[];
  remaining: string[];
  lock?: Lock;
}

/** `gitrepro resolve [<path>...] --ours|--theirs`. When nothing remains, stages the merged lock and restores its data. */
export async function resolve(opts: { cwd: string; paths: string[]; side: 'ours' | 'theirs' }): Promise<ResolveResult> {
  const repo = await openRepo(opts.cwd);
  const text = await readFile(statePath(repo), 'utf8').catch(() => undefined);
  if (!text) throw new GitreproError('GITREPRO_USAGE', 'no data merge conflict to resolve', { hint: '`gitrepro status` shows the state of the data' });
  const state = JSON.parse(text) as MergeState;
  const targets = opts.paths.length ? opts.paths : state.conflicts.filter((c) => !(c in state.picks));
  for (const p of targets) {
    if (!state.conflicts.includes(p)) throw new GitreproError('GITREPRO_USAGE', `${p} is not a conflicting data path`, { hint: `conflicts: ${state.conflicts.join(', ')}` });
    state.picks[p] = opts.side;
  }
  const remaining = state.conflicts.filter((c) => !(c in state.picks));
  await writeFile(statePath(repo), JSON.stringify(state));
  if (remaining.length) return { resolved: targets, remaining };
  const lock = await withRepoLock(repo.sharedDir, async () => {
    const get = async (tree?: string) => (tree ? readSnapshot(repo.root, tree) : new Map() as Snapshot);
    const [bs, os, ts] = [await get(state.base), await get(state.ours), await get(state.theirs)];
    const plan = mergeSnapshots(bs, os, ts);
    for (const p of state.conflicts) {
      const e = (state.picks[p] === 'theirs' ? ts : os).get(p);
      if (e) plan.merged.set(p, e);
      else plan.merged.delete(p);
    }
    const l = await writeMerged(repo, state.ours || undefined, os, plan.merged);
    await writeFileAtomic(path.join(repo.root, LOCK_FILE), formatLock(l));
    await git(repo.root, ['add', '--', LOCK_FILE]);
    return l;
  });
  await syncTo(repo, lock, { reason: 'resolve' });
  await rm(statePath(repo), { force: true });
  return { resolved: targets, remaining: [], lock };
}

/** Conflict state for `gitrepro status`. */
export async function mergeState(repo: Repo): Promise<{ conflicts: string[]; picks: Record<string, string> } | undefined> {
  const text = await readFile(statePath(repo), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  // a merge that was aborted (git merge --abort, rebase --abort) leaves no markers behind
  const lock = await readFile(path.join(repo.root, LOCK_FILE), 'utf8').catch(() => '');
  if (!lock.startsWith('<<<<<<< ours')) {
    await rm(statePath(repo), { force: true });
    return undefined;
  }
  const s = JSON.parse(text) as MergeState;
  return { conflicts: s.conflicts, picks: s.picks };
}

export { parseLock };
