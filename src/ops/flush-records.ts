/**
 * `gitrepro hook flush`: the detached record writer that post-commit, post-merge and
 * post-rewrite start. It writes every journaled record (repo/record-io.ts completePending) and
 * then removes its pid file, so readers stop waiting for it.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { isSetUp, openRepo } from '../repo/context.js';
import { completePendingLazily, hookOk, type HookContext, type HookResult } from '../repo/hook-context.js';

export async function flushRecords(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  await completePendingLazily(repo);
  // done: readers need not wait for this pid any more (and must not, once it is reused)
  const pidFile = path.join(repo.sharedDir, 'flusher.pid');
  if ((await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(pidFile, { force: true });
  return hookOk();
}
