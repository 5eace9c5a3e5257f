/**
 * `gitrepro fsck`: re-hashes every object of the local store, moves corrupt ones to quarantine,
 * and reports records (notes) whose snapshots reference objects the local store lacks.
 */
import { listNotes, readNotes } from '../git/notes.js';
import { TreeWalker } from '../git/treewalk.js';
import { parseNote } from '../record/index.js';
import { mapLimit } from '../concurrency.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { openRepo } from '../repo/context.js';
import { completePending } from '../repo/record-io.js';

export interface FsckResult {
  objects: number;
  corrupt: { sha256: string; quarantinedAs?: string }[];
  invalidNotes: { commit: string; error: string }[];
  incomplete: { commit: string; missing: number; first: string }[];
  ok: boolean;
}

export async function fsck(o: { cwd: string }): Promise<FsckResult> {
  const repo = await openRepo(o.cwd);
  await completePending(repo);
  const { objects, corrupt } = await withRepoLock(repo.sharedDir, async () => {
    const all: string[] = [];
    for await (const s of repo.store.list()) all.push(s);
    const bad: FsckResult['corrupt'] = [];
    await mapLimit(all, 4, async (s) => {
      if (!(await repo.store.verify(s))) bad.push({ sha256: s, quarantinedAs: await repo.store.quarantine(s) });
    });
    return { objects: all.length, corrupt: bad };
  }, { what: 'check the store' });
  const notes = await readNotes(repo.root, [...(await listNotes(repo.root)).keys()]);
  const invalidNotes: FsckResult['invalidNotes'] = [];
  const trees = new Map<string, string[]>();
  for (const [c, t] of notes) {
    const p = parseNote(t);
    if (!p.ok) invalidNotes.push({ commit: c, error: p.error });
    else for (const r of p.records) trees.set(r.data.tree, [...(trees.get(r.data.tree) ?? []), c]);
  }
  const walker = new TreeWalker(repo.root);
  const incomplete: FsckResult['incomplete'] = [];
  try {
    const referenced = await walker.objectsOf(trees.keys());
    const have = new Set<string>();
    await mapLimit([...referenced.keys()], 16, async (s) => {
      if (await repo.store.has(s)) have.add(s);
    });
    for (const [tree, commits] of trees) {
      const m = await walker.missingIn(tree, (s) => have.has(s));
      if (m.count) for (const c of commits) incomplete.push({ commit: c, missing: m.count, first: m.first! });
    }
  } finally {
    walker.close();
  }
  return { objects, corrupt, invalidNotes, incomplete, ok: corrupt.length === 0 && invalidNotes.length === 0 };
}
