/**
 * `gitrepro restore [<rev>] [-- <path>...]`: puts a commit's data (default HEAD) into the work
 * tree, comparing the files themselves (not just the last synced snapshot). Modified files are
 * stored first, so nothing is lost. Objects the local store lacks come from the store remote
 * (named paths too, outside a sparse clone's filter: data on demand).
 */
import { resolveCommit } from '../git/revs.js';
import { openRepo, pathFilter, requireSetUp, type Reporter } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { restoreWithRemotes, type RemoteRestoreResult } from '../repo/worktree-fetch.js';

export async function restore(opts: { cwd: string; rev?: string; paths?: string[]; env?: NodeJS.ProcessEnv; reporter?: Reporter }): Promise<RemoteRestoreResult & { commit: string }> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  const commit = await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  const lock = await lockAt(repo, commit);
  const only = pathFilter(repo, opts.cwd, opts.paths);
  const res = await restoreWithRemotes(repo, lock, { reason: 'restore', full: true, only, commit, env: opts.env ?? process.env, reporter: opts.reporter });
  return { ...res, commit };
}
