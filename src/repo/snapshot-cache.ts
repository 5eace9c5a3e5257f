/**
 * A commit's snapshot as operations load it: from the stat cache's memo when it names the same
 * tree (no git read at all), else read from git (git/snapshot.ts holds the tree format).
 */
import { readSnapshot, type Snapshot } from '../git/snapshot.js';
import type { StatCache } from '../workspace/statcache.js';
import type { Repo } from './context.js';

export function snapshotTotals(snap: Snapshot): { files: number; bytes: number } {
  let bytes = 0;
  for (const e of snap.values()) bytes += e.size;
  return { files: snap.size, bytes };
}

/** Loads the snapshot for `tree`, from the stat cache's memo when it matches. */
export async function loadSnapshot(repo: Repo, cache: StatCache, tree: string | undefined): Promise<Snapshot> {
  if (!tree) return new Map();
  if (cache.tree === tree && cache.snap) return new Map(cache.snap);
  return readSnapshot(repo.root, tree);
}

