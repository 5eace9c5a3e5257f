/**
 * The work tree's data as operations see it: read by the stamp where the state allows (only what
 * changed since the last scan: workspace/changes.ts), read whole otherwise (a first recording, or
 * no usable stamp), and compared with any snapshot at the cost of what differs (git diff-tree
 * between the snapshot the work tree last matched and that one, plus the scan's changes).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { diffSnapshots, readSnapshot, type PointerCandidates, type SnapEntry, type Snapshot } from '../git/snapshot.js';
import { clockBeforeScan, scanChanges, stateUsable, type ChangeScan } from '../workspace/changes.js';
import { scanWorkTree } from '../workspace/scan.js';
import { readWorkState, writeWorkState, type ScanClock, type WorkState } from '../workspace/worktree-state.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { clearFastState } from '../workspace/faststate.js';
import type { HashedSink } from '../store/local.js';
import { scanKey, type Repo } from './context.js';

/**
 * `scanStart`: when the read began. `stampAt`: where the stamp may move once the read is saved
 * (undefined after a probe by Watchman, which cannot vouch for every change: fsmonitor.ts).
 * `clock`: Watchman's clock taken before the read, saved with it.
 */
export type WorkView =
  | { kind: 'changes'; state: WorkState; scanStart: number; stampAt?: number; clock?: ScanClock; scan: ChangeScan; skipped: ChangeScan['skipped'] }
  | { kind: 'full'; state: WorkState; scanStart: number; stampAt?: number; clock?: ScanClock; files: Map<string, SnapEntry>; skipped: { path: string; why: string }[]; hashed: number; hashedBytes: number; added: number };

/**
 * Reads the work tree's data (see the module comment); `ingest` stores new content as it is read,
 * and a read by the stamp hands what it hashes to `pointers`.
 * `movesStamp`: the caller saves a read by `find` with its stamp (a whole `gitrepro add`), so a
 * stamp left old by Watchman's scans is refreshed by this read.
 */
export async function viewWorkTree(repo: Repo, o: { ingest: boolean; only?: (p: string) => boolean; keepAbsent?: (p: string) => boolean; movesStamp?: boolean; pointers?: HashedSink }): Promise<WorkView> {
  const scanStart = Date.now();
  const state = await readWorkState(repo.stateDir);
  if (stateUsable(state, scanKey(repo))) {
    const scan = await scanChanges(repo.root, repo.matcher, state, repo.stateDir, { store: repo.store, ingest: o.ingest, only: o.only, keepAbsent: o.keepAbsent ?? notHeld(repo), fsmonitor: repo.fsmonitor, movesStamp: o.movesStamp, pointers: o.pointers });
    return { kind: 'changes', state, scanStart, stampAt: scan.probe === 'find' ? scanStart : undefined, clock: scan.clock, scan, skipped: scan.skipped };
  }
  // Watchman's clock before the first read: what changes during the scan shows in the next probe
  const clock = repo.fsmonitor ? await clockBeforeScan(repo.root, repo.matcher.roots, repo.stateDir) : undefined;
  // (no pointers sent early: a full scan reads every file, changed or not)
  const full = await scanWorkTree(repo.root, repo.matcher, { store: repo.store, ingest: o.ingest, only: o.only });
  const files = new Map<string, SnapEntry>([...full.files].map(([p, f]) => [p, { sha256: f.sha256, size: f.size, exec: f.exec }]));
  return { kind: 'full', state, scanStart, stampAt: scanStart, clock, files, skipped: full.skipped, hashed: full.hashed, hashedBytes: full.hashedBytes, added: full.added };
}

/**
 * Paths whose absence is not a deletion: data a sparse clone does not hold (workspace/sparse.ts).
 * A commit keeps the snapshot's entry for them.
 */
export function notHeld(repo: Repo): (p: string) => boolean {
  const sparse = repo.sparse;
  return sparse ? (p) => !sparse.wanted(p) : () => false;
}

export interface Difference {
  path: string;
  /** in the work tree (undefined: absent) */
  work?: SnapEntry;
  /** in the snapshot compared with (undefined: absent) */
  snap?: SnapEntry;
  /** the snapshot the work tree last matched held this path (false: the user added it since) */
  inBase: boolean;
}

const same = (a?: SnapEntry, b?: SnapEntry): boolean => (a === undefined ? b === undefined : b !== undefined && a.sha256 === b.sha256 && a.exec === b.exec);

/**
 * Where the work tree differs from snapshot `tree` (undefined: the empty snapshot), sorted by
 * path. Absent paths a restore could not write (state.missing) and absent paths a sparse clone
 * does not hold (`keepAbsent`, default notHeld) count as what the snapshot holds. `only` limits
 * the comparison.
 */
export async function compareWithTree(
  repo: Repo,
  view: WorkView,
  tree: string | undefined,
  only?: (p: string) => boolean,
  keepAbsent?: (p: string) => boolean,
  candidates?: PointerCandidates[],
): Promise<Difference[]> {
  const out = new Map<string, Difference>();
  if (view.kind === 'changes') {
    const base = view.scan.base;
    const between = base === tree ? [] : await diffSnapshots(repo.root, base, tree);
    for (const c of between) out.set(c.path, { path: c.path, work: c.before, snap: c.entry, inBase: c.before !== undefined });
    for (const c of view.scan.changes) {
      const d = out.get(c.path) ?? { path: c.path, snap: c.before, inBase: c.before !== undefined };
      d.work = c.entry;
      out.set(c.path, d);
    }
  } else {
    const snap = tree ? await readSnapshot(repo.root, tree, { candidates }) : (new Map() as Snapshot);
    const missing = new Set(view.state.missing);
    const keep = keepAbsent ?? notHeld(repo);
    for (const [p, e] of view.files) out.set(p, { path: p, work: e, snap: snap.get(p), inBase: false });
    for (const [p, e] of snap) if (!view.files.has(p) && !missing.has(p) && !keep(p)) out.set(p, { path: p, snap: e, inBase: false });
  }
  return [...out.values()].filter((d) => (!only || only(d.path)) && !same(d.work, d.snap)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function snapshotTotals(snap: Snapshot): { files: number; bytes: number } {
  let bytes = 0;
  for (const e of snap.values()) bytes += e.size;
  return { files: snap.size, bytes };
}

/** The whole snapshot `tree` (undefined: empty), read from git. */
export async function loadSnapshot(repo: Repo, tree: string | undefined): Promise<Snapshot> {
  return tree ? readSnapshot(repo.root, tree) : new Map();
}

/**
 * After a whole read of the work tree by a step that stores nothing (status, diff): the stamp
 * moves to when the read began, so the next step reads only what changed since. The work tree
 * then held snapshot `tree` (the one compared with) except for the paths that differed
 * (`diffs`): those stay unsettled, read by every scan until an add records them or a restore
 * writes them. Skipped when a restore or an add moved the state in the meantime.
 */
export async function rememberWholeRead(repo: Repo, view: WorkView, tree: string | undefined, diffs: Difference[]): Promise<void> {
  if (view.kind !== 'full' || !tree) return;
  await withRepoLock(repo.sharedDir, async () => {
    const now = await readWorkState(repo.stateDir);
    if (now.tree !== view.state.tree || now.stampMs !== view.state.stampMs || now.patterns?.join('\n') !== view.state.patterns?.join('\n')) return;
    // an absent path the last restore could not write stays missing (not deleted)
    const missing = view.state.missing.filter((p) => !existsSync(path.join(repo.root, p)));
    await writeWorkState(repo.stateDir, { tree, patterns: scanKey(repo), missing, unsettled: diffs.map((d) => d.path) }, view.stampAt, view.clock);
    // the hooks' fast path trusts the stamp to cover every path since its lock: no longer so
    if (diffs.length) await clearFastState(repo.stateDir);
  }, { what: 'remember the scan', timeoutMs: 2000 }).catch(() => undefined);
}
