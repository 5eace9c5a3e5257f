/**
 * `gitrepro recover [-- <path>]`: lists the versions gitrepro saved before replacing unsaved
 * files, or writes the newest saved version of a path back (storing the current one first).
 */
import { GitreproError } from '../errors.js';
import { materialize, restoreTmpDir } from '../workspace/materialize.js';
import { readRescues, type RescueEntry } from '../workspace/rescue.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { openRepo, pathFilter, requireSetUp } from '../repo/context.js';

export async function listRescued(opts: { cwd: string }): Promise<RescueEntry[]> {
  const repo = await openRepo(opts.cwd);
  return (await readRescues(repo.sharedDir)).filter((e) => e.worktree === repo.root);
}

export async function recover(opts: { cwd: string; paths: string[] }): Promise<{ restored: RescueEntry[] }> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  const only = pathFilter(repo, opts.cwd, opts.paths)!;
  const all = (await readRescues(repo.sharedDir)).filter((e) => e.worktree === repo.root && only(e.path));
  const newest = new Map<string, RescueEntry>();
  for (const e of all) newest.set(e.path, e);
  if (newest.size === 0) {
    throw new GitreproError('GITREPRO_NOTHING_TO_RECOVER', `no saved version of ${opts.paths.join(', ')}`, { hint: 'list saved versions with `gitrepro recover --list`' });
  }
  return withRepoLock(repo.sharedDir, async () => {
    const res = await materialize(
      [...newest.values()].map((e) => ({ path: e.path, entry: { sha256: e.sha256, size: e.size, exec: e.exec } })),
      { root: repo.root, store: repo.store, sharedDir: repo.sharedDir, reason: 'recover', tmpDir: await restoreTmpDir(repo.stateDir) },
    );
    if (res.failed.length) throw res.failed[0].error;
    return { restored: [...newest.values()] };
  });
}
