/** `gitrepro ls-files [<rev>]`: the data files of a commit's snapshot (default HEAD; `:` the index). */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { readSnapshot } from '../git/snapshot.js';
import { resolveCommit } from '../git/revs.js';
import { openRepo } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';

export interface LsEntry {
  path: string;
  sha256: string;
  size: number;
  exec: boolean;
  /** present in the local store */
  local: boolean;
  /** a file is at this path in the work tree (whatever it holds) */
  present: boolean;
  /** outside this clone's sparse filter (git config gitrepro.include/exclude) */
  sparse: boolean;
}

export async function lsFiles(opts: { cwd: string; rev?: string }): Promise<{ rev: string; tree?: string; files: LsEntry[] }> {
  const repo = await openRepo(opts.cwd);
  const rev = opts.rev === ':' ? ':' : await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  const lock = await lockAt(repo, rev);
  if (!lock) return { rev, files: [] };
  const snap = await readSnapshot(repo.root, lock.tree);
  const files: LsEntry[] = [];
  for (const [p, e] of [...snap].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const present = lstatSync(path.join(repo.root, p), { throwIfNoEntry: false })?.isFile() ?? false;
    files.push({ path: p, ...e, local: await repo.store.has(e.sha256), present, sparse: repo.sparse ? !repo.sparse.wanted(p) : false });
  }
  return { rev, tree: lock.tree, files };
}
