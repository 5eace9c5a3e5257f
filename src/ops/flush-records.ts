/**
 * `gitrepro hook flush [<commit>]`: the detached record writer that post-commit, post-merge and
 * post-rewrite start. It writes every journaled record (repo/record-io.ts writePending) and then
 * removes its pid file, so readers stop waiting for it.
 *
 * Started by an sh shim for `<commit>`, it carries that commit's hook environment (it was
 * started with it): it journals the variables the snapshot reads first thing, so whichever
 * process writes the record describes the commit's environment (repo/record-journal.ts).
 *
 * One flusher writes at a time (`flusher.lock`). The sh shim starts none when the flusher
 * writing was started from the same environment (it journals the commit for that one), and
 * takes the lock for the flusher it starts when none is writing, so back-to-back commits of a
 * script start one flusher. A flusher started for another environment journals its commit's
 * variables and, finding another writing, leaves the commit to it and exits. The writer looks
 * at the journal again after it let go of the lock, so a commit journaled while it wrote is
 * never left behind:
 *
 *   writer:    take lock ── write records ── drop lock ── journal empty? ── yes: exit
 *                                                                    └──── no: take lock again
 *   newcomer:  journal hookEnv ── take lock? ── no: exit (the writer sees its line afterwards)
 *
 * A flusher that leaves without writing the commits the shim handed to it journals its
 * variables for them first (they are theirs), so the writer does not give them its own.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { GIT_OID_RE } from '../record/rules.js';
import { isSetUp, openRepo, type Repo } from '../repo/context.js';
import { hookOk, type HookContext, type HookResult } from '../repo/hook-context.js';
import { hookEnvOf, journalHasEntries, journalPending } from '../repo/record-journal.js';
import { alive, tryTake } from '../workspace/repo-lock.js';

/** How long a writer waits for other flushers to journal their commits' variables. */
const LEAVE_TO_FLUSHERS_MS = 30_000;

/** Journals the hook's variables for `ctx.args[0]` (when given), then writes records while no other flusher does. */
export async function flushRecords(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  const commit = ctx.args[0];
  if (commit && GIT_OID_RE.test(commit)) await journalPending(repo, commit, { hookEnv: hookEnvOf(ctx.env, repo) });
  try {
    await writeAsTheOnlyFlusher(repo);
  } finally {
    // done: readers need not wait for this pid any more (and must not, once it is reused)
    const pidFile = path.join(repo.sharedDir, 'flusher.pid');
    if ((await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(pidFile, { force: true });
    await removeEnvSums(repo);
  }
  return hookOk();
}

/**
 * `flusher.<pid>.sum`: the checksum of the environment the sh shim started flusher <pid> from
 * (hooks/post-commit.sh hands a commit made from the same environment to the flusher writing).
 * Ours goes when we are done; those of flushers that died go too.
 */
async function removeEnvSums(repo: Repo): Promise<void> {
  for (const f of await readdir(repo.sharedDir).catch(() => [] as string[])) {
    const pid = Number(/^flusher\.(\d+)\.sum$/.exec(f)?.[1]);
    if (pid && (pid === process.pid || !alive(pid))) await rm(path.join(repo.sharedDir, f), { force: true });
  }
}

async function writeAsTheOnlyFlusher(repo: Repo): Promise<void> {
  const { handOverOwnCommits, writePending } = await import('../repo/record-io.js');
  const lock = path.join(repo.sharedDir, 'flusher.lock');
  const start = Date.now();
  let idle = 0;
  try {
    while (await tryTake(lock)) {
      let r;
      try {
        r = await writePending(repo, { leaveToFlushers: Date.now() - start < LEAVE_TO_FLUSHERS_MS, recoverOrphan: false });
      } finally {
        await rm(lock, { force: true });
      }
      if (!(await journalHasEntries(repo))) return;
      // what is left: commits whose flushers are starting (wait for their lines), lines journaled
      // meanwhile, or notes that could not be written now (a few tries; the next flush retries)
      idle = r.done.length || r.deferred ? 0 : idle + 1;
      if (idle >= 3) return;
      await new Promise((res) => setTimeout(res, r.deferred ? 50 : 10));
    }
  } finally {
    // leaving with commits the shim handed to this flusher unwritten (another one took the lock,
    // or writing failed): they get this flusher's variables, which are theirs, not the writer's
    await handOverOwnCommits(repo);
  }
}
