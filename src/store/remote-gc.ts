/**
 * Garbage collection of a store remote, given what must stay (ops/gc.ts computes it from the
 * refs of the Git remote and of this clone). Planning reads; applying removes.
 *
 * What a remote holds, and when each thing counts as garbage:
 *   loose object (v1)          no one needs it and its file is older than the cutoff
 *   object in a pack (v2)      no one needs it (nor, for a chunk or a chunk list, a big file
 *                              someone needs) and every copy of it is older than the cutoff
 *                              (a copy's age is its pack's or its index's, whichever is newer)
 *   pack no index names        older than the cutoff (a push killed between pack and index)
 *
 * A pack whose objects are all garbage is removed (index first, then pack: a reader never sees
 * an index naming a missing pack); a pack holding some garbage is rewritten with what stays
 * (PackedRemote.delete → repack: the new pack and index are published before the old index and
 * pack go). Bytes are what the files hold: a loose object's size, a packed object's length.
 */
import type { PackedRemote, RemoteInventory } from './remote-packed.js';
import type { Sha256 } from './types.js';

export interface RemoteGarbage {
  sha256: Sha256;
  size: number;
  mtime: number;
  where: 'loose' | 'pack';
}

export interface RemoteGcPlan {
  /** objects to remove (loose and packed; chunks of big files count as objects here) */
  garbage: RemoteGarbage[];
  bytes: number;
  /** objects that stay: needed, or not needed but younger than the cutoff */
  kept: { objects: number; bytes: number; needed: number; young: number };
  /** packs removed whole, packs rewritten without their garbage, packs no index names */
  packs: { removed: string[]; rewritten: string[]; orphans: { key: string; size: number }[]; damagedIndexes: string[] };
}

/** What removing objects nobody needs, older than `cutoffMs`, would do to `remote`. */
export async function planRemoteGc(remote: PackedRemote, needed: (sha: Sha256) => boolean, cutoffMs: number): Promise<RemoteGcPlan> {
  const inv = await remote.inventory();
  const live = new Set<string>();
  // a big file someone needs keeps its chunk list and every chunk, wherever they are packed
  const bigLive = new Set<string>();
  for (const ix of inv.indexes) for (const c of ix.chunked) if (needed(c.id)) bigLive.add(c.id);
  for (const id of bigLive) for (const part of await remote.partsOf(id)) live.add(part);
  const isLive = (id: string): boolean => needed(id) || live.has(id);

  // every object id with its newest copy and its size
  const seen = new Map<string, { size: number; mtime: number; loose: boolean; packed: boolean }>();
  const note = (id: string, size: number, mtime: number, loose: boolean): void => {
    const cur = seen.get(id);
    if (!cur) seen.set(id, { size, mtime, loose, packed: !loose });
    else {
      cur.mtime = Math.max(cur.mtime, mtime);
      if (loose) cur.loose = true;
      else cur.packed = true;
    }
  };
  for (const l of inv.loose) note(l.sha256, l.size, l.mtime, true);
  for (const ix of inv.indexes) {
    for (const b of ix.blobs) note(b.id, b.length, ix.mtime, false);
    for (const c of ix.chunked) note(c.id, 0, ix.mtime, false); // its bytes are its chunks'
  }
  const garbage: RemoteGarbage[] = [];
  const kept = { objects: 0, bytes: 0, needed: 0, young: 0 };
  for (const [id, s] of seen) {
    if (isLive(id)) {
      kept.objects++;
      kept.needed++;
      kept.bytes += s.size;
    } else if (s.mtime >= cutoffMs) {
      kept.objects++;
      kept.young++;
      kept.bytes += s.size;
    } else garbage.push({ sha256: id, size: s.size, mtime: s.mtime, where: s.packed ? 'pack' : 'loose' });
  }
  const drop = new Set(garbage.map((g) => g.sha256));
  const removed: string[] = [];
  const rewritten: string[] = [];
  for (const ix of inv.indexes) {
    const ids = [...ix.blobs.map((b) => b.id), ...ix.chunked.map((c) => c.id)];
    const gone = ids.filter((id) => drop.has(id)).length;
    if (gone === 0) continue;
    (gone === ids.length ? removed : rewritten).push(ix.pack);
  }
  const orphans = inv.orphanPacks.filter((p) => p.mtime < cutoffMs).map((p) => ({ key: p.key, size: p.size }));
  const bytes = garbage.reduce((n, g) => n + g.size, 0) + orphans.reduce((n, p) => n + p.size, 0);
  return { garbage, bytes, kept, packs: { removed, rewritten, orphans, damagedIndexes: inv.damaged } };
}

/** Removes what `plan` lists: loose objects, then objects from packs (rewriting or removing them), then orphan packs. */
export async function applyRemoteGc(remote: PackedRemote, plan: RemoteGcPlan): Promise<void> {
  const loose = plan.garbage.filter((g) => g.where === 'loose').map((g) => g.sha256);
  const packed = plan.garbage.filter((g) => g.where === 'pack').map((g) => g.sha256);
  if (loose.length) await remote.backend.delete(loose);
  if (packed.length) await remote.delete(packed);
  if (plan.packs.orphans.length) await remote.deleteFiles(plan.packs.orphans.map((p) => p.key));
}

export type { RemoteInventory };
