/**
 * `gitrepro record [<rev>] [--from <rev>]`: writes the note of a commit that has none (made with
 * GITREPRO_SKIP=1, or squash-merged by a hosting service). Data from the commit's lock, params
 * from its tree; the environment is from now (marked recordedLater), or with --from, the
 * provenance (environment and runs) of another commit's record.
 */
import { GitreproError } from '../errors.js';
import { writeNote } from '../git/notes.js';
import { resolveCommit } from '../git/revs.js';
import { formatNote, type GitreproRecord } from '../record/index.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { openRepo, requireSetUp } from '../repo/context.js';
import { buildRecord, completePending, currentEnv, recordsOf } from '../repo/record-io.js';

export async function recordCommit(opts: { cwd: string; rev?: string; from?: string; force?: boolean }): Promise<{ commit: string; record: GitreproRecord }> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  await completePending(repo);
  const commit = await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  return withRepoLock(repo.sharedDir, async () => {
    const existing = await recordsOf(repo, commit);
    if (existing?.ok && !opts.force) {
      throw new GitreproError('GITREPRO_USAGE', `${commit.slice(0, 12)} already has a record`, { hint: 'pass --force to replace it' });
    }
    let env = undefined;
    let runs = undefined;
    let from: string | undefined;
    if (opts.from) {
      from = await resolveCommit(repo.root, opts.from);
      const src = await recordsOf(repo, from);
      if (!src?.ok) {
        throw new GitreproError('GITREPRO_NO_RECORD', `${opts.from} has no valid record to copy`, { hint: 'name a commit that `gitrepro show` lists with a record' });
      }
      const last = src.records[src.records.length - 1];
      env = last.env;
      runs = src.records.flatMap((r) => r.runs);
    }
    const record = await buildRecord(repo, commit, { env: env ?? (await currentEnv(repo)), runs, recordedLater: true, from });
    await writeNote(repo.root, commit, formatNote(record));
    return { commit, record };
  }, { what: 'write a record' });
}
