/**
 * Pushing data: make sure a store remote holds every object that commits reference.
 * `gitrepro push [<remote>] [<rev>...|--all]` and the pre-push gate (prepush.ts) both plan with
 * `planCommits` and transfer with `ensureOnRemote`.
 *
 * Which objects: the whole snapshot of each tip pushed, plus, for the other new commits, the
 * objects their snapshots add over the snapshots the remote side already has (the boundary).
 * Which of those to send: the known-objects cache answers first without any network call; the
 * rest are asked of the remote in one batched `has`, and the missing ones are uploaded.
 */
import { GitreproError } from '../errors.js';
import { resolveCommit } from '../git/revs.js';
import { git } from '../git/run.js';
import { openRepo, requireSetUp, type Reporter } from '../repo/context.js';
import { planCommits } from '../repo/object-plan.js';
import { defaultGitRemote, pushRecords, type PushRecordsResult } from '../repo/record-sync.js';
import { splitRemoteArgs } from '../repo/remote-config.js';
import { ensureOnRemote, type EnsureResult } from '../repo/transfers.js';

export type { EnsureResult };

export interface PushOptions {
  cwd: string;
  /** `[<remote>] [<rev>...]`: the first names a store remote when one has that name */
  args?: string[];
  /** every commit of every branch and tag */
  all?: boolean;
  recheck?: boolean;
  /** also push the record refs to this Git remote (true: the branch's, else origin) */
  records?: boolean | string;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
}

export interface PushResult extends EnsureResult {
  commits: number;
  records?: PushRecordsResult & { gitRemote: string };
}

/**
 * `gitrepro push`: uploads the objects of `<rev>...` (default HEAD) and of their ancestors that
 * no remote-tracking branch has yet, or with `all` of every branch and tag.
 */
export async function push(o: PushOptions): Promise<PushResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const { remote, revs } = await splitRemoteArgs(repo, o.args ?? []);
  if (o.all && revs.length) throw new GitreproError('GITREPRO_USAGE', 'name revisions or pass --all, not both', { hint: 'gitrepro push [<remote>] [<rev>...|--all]' });
  let plan;
  if (o.all) {
    const tips = (await git(repo.root, ['for-each-ref', '--format=%(objectname)^{commit}', 'refs/heads', 'refs/tags'])).split('\n').filter(Boolean);
    const commits = await Promise.all(tips.map((t) => resolveCommit(repo.root, t).catch(() => undefined)));
    plan = await planCommits(repo, [...new Set(commits.filter((c): c is string => c !== undefined))], [], { gate: false, all: true });
  } else {
    const tips = await Promise.all((revs.length ? revs : ['HEAD']).map((r) => resolveCommit(repo.root, r)));
    plan = await planCommits(repo, tips, ['--remotes'], { gate: false, includeTips: true });
  }
  const env = o.env ?? process.env;
  const res: PushResult = { ...(await ensureOnRemote(repo, plan.objects, { remote, env, reporter: o.reporter, recheck: o.recheck })), commits: plan.commits.length };
  if (o.records && res.failed.length === 0) {
    const gitRemote = typeof o.records === 'string' ? o.records : await defaultGitRemote(repo);
    if (!gitRemote) throw new GitreproError('GITREPRO_USAGE', 'no Git remote to push the records to', { hint: 'add one (`git remote add origin <url>`) or name it: --records <remote>' });
    res.records = { ...(await pushRecords(repo, gitRemote)), gitRemote };
  }
  return res;
}
