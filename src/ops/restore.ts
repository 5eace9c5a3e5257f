/**
 * `gitrepro restore [<rev>] [-- <path>...]`: puts a commit's data (default HEAD) into the work
 * tree, comparing the files themselves (not just the last synced snapshot). Modified files are
 * stored first, so nothing is lost.
 */
import { resolveCommit } from '../git/revs.js';
import { openRepo, pathFilter, requireSetUp } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { syncTo, type SyncResult } from '../repo/worktree-sync.js';

export async function restore(opts: { cwd: string; rev?: string; paths?: string[] }): Promise<SyncResult & { commit: string }> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  const commit = await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  const lock = await lockAt(repo, commit);
  const only = pathFilter(repo, opts.cwd, opts.paths);
  const res = await syncTo(repo, lock, { reason: 'restore', full: true, only, commit });
  return { ...res, commit };
}
