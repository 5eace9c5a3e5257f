/**
 * The post-checkout hook (after hooks/post-checkout.sh found work to do): a branch checkout
 * brings the data to the gitrepro.lock git just wrote into the work tree. post-merge
 * (ops/post-merge.ts) does the same after a merge or pull.
 */
import { isGitreproError } from '../errors.js';
import { isSetUp, openRepo } from '../repo/context.js';
import { hookOk, syncFetching, type HookContext, type HookResult } from '../repo/hook-context.js';
import { lockInWorkTree } from '../repo/lock-file.js';

/** Brings the data to the lock in the work tree; exit 1 when something could not be written. */
export async function syncToWorkTreeLock(ctx: HookContext, reason: string): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  let target;
  try {
    target = await lockInWorkTree(repo);
  } catch (e) {
    if (isGitreproError(e)) return { code: 1, notes: [{ kind: 'lock-invalid', message: e.message, hint: e.hint }] };
    throw e;
  }
  const { res, notes } = await syncFetching(ctx, repo, target, reason, 'HEAD');
  return { code: res.failed.length ? 1 : 0, notes };
}

export async function postCheckout(ctx: HookContext): Promise<HookResult> {
  if (ctx.args[2] !== '1') return hookOk(); // a file checkout moves no HEAD
  return syncToWorkTreeLock(ctx, 'checkout');
}
