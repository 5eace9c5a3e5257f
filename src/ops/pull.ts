/**
 * `gitrepro pull [<remote>]`: fetch what HEAD needs (its records from the Git remote, its objects
 * from the store remote), then restore it into the work tree (repo/worktree-fetch.ts).
 */
import { GitreproError } from '../errors.js';
import { tryResolveCommit } from '../git/revs.js';
import { openRepo, requireSetUp, type Reporter } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { resolveStoreRemote } from '../repo/remote-config.js';
import { restoreWithRemotes, type RemoteRestoreResult } from '../repo/worktree-fetch.js';

export interface PullResult extends RemoteRestoreResult {
  commit: string;
}

export async function pull(o: { cwd: string; remote?: string; env?: NodeJS.ProcessEnv; reporter?: Reporter }): Promise<PullResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  if (o.remote !== undefined) await resolveStoreRemote(repo, o.remote); // a typo fails before any work
  const commit = await tryResolveCommit(repo.root, 'HEAD');
  if (!commit) throw new GitreproError('GITREPRO_BAD_REVISION', 'HEAD names no commit yet', { hint: 'commit first, or clone a repository with history' });
  const lock = await lockAt(repo, commit);
  const res = await restoreWithRemotes(repo, lock, { reason: 'pull', full: true, commit, env: o.env ?? process.env, reporter: o.reporter, remote: o.remote, syncRecords: true });
  return { ...res, commit };
}
