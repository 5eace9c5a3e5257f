/**
 * The post-merge hook (a merge or `git pull`): the data follows the merged lock, the record refs
 * a plain `git pull` fetched are merged into ours (no network), and a merge commit (journaled by
 * hooks/post-merge.sh) gets its record now when GITREPRO_SYNC_RECORDS=1.
 */
import { isSetUp, openRepo } from '../repo/context.js';
import { completePendingLazily, type HookContext, type HookResult } from '../repo/hook-context.js';
import { setting } from '../settings.js';
import { syncToWorkTreeLock } from './post-checkout.js';

export async function postMerge(ctx: HookContext): Promise<HookResult> {
  const r = await syncToWorkTreeLock(ctx, 'merge');
  const repo = await openRepo(ctx.cwd);
  if (isSetUp(repo)) {
    await (await import('../repo/record-sync.js')).mergeAllTracked(repo).catch((e: unknown) => r.notes.push({ kind: 'records-not-merged', message: (e as Error).message }));
  }
  if (setting('GITREPRO_SYNC_RECORDS', ctx.env)) await completePendingLazily(await openRepo(ctx.cwd));
  return r;
}
