/**
 * The post-commit hook (after hooks/post-commit.sh found work to do). When pre-commit ran for
 * this commit (its marker names HEAD's lock) it only journals the commit; otherwise the commit
 * was made by git's machinery (cherry-pick, revert, rebase, am: the work tree's data is brought
 * to the new lock) or with --no-verify (warned, and recorded as dataNotCommitted). The record
 * itself is written by the flusher it starts (ops/flush-records.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { blobId, readFileAt, tryResolveCommit } from '../git/revs.js';
import { LOCK_FILE } from '../record/lock.js';
import { isSetUp, openRepo, type Repo } from '../repo/context.js';
import { hookOk, startFlush, syncFetching, type HookContext, type HookNote, type HookResult } from '../repo/hook-context.js';
import { lockAt } from '../repo/lock-file.js';
import { hookEnvOf, journalPending } from '../repo/record-journal.js';
import { acceptOwnCommit } from '../repo/trust.js';
import { compareWithTree, viewWorkTree } from '../repo/worktree-view.js';

export async function postCommit(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  const head = await tryResolveCommit(repo.root, 'HEAD');
  if (!head) return hookOk();
  const markerFile = path.join(repo.stateDir, 'precommit');
  const marker = (await readFile(markerFile, 'utf8').catch(() => '')).trim();
  const headLockText = (await readFileAt(repo.root, head, LOCK_FILE))?.toString('utf8');
  const notes: HookNote[] = [];
  let dataNotCommitted = false;
  if (!headLockText || marker !== blobId(headLockText, repo.paths.objectFormat)) {
    // pre-commit did not run for this commit: a commit made by git's machinery (cherry-pick,
    // revert, rebase, am) or `--no-verify`; what the user changed in gitrepro.yaml is theirs
    await acceptOwnCommit(repo, head);
    const headLock = await lockAt(repo, head);
    const parentLock = await lockAt(repo, `${head}^`).catch(() => undefined);
    if (headLock && headLock.tree !== parentLock?.tree) {
      notes.push(...(await syncFetching(ctx, repo, headLock, 'commit', head)).notes);
    } else {
      dataNotCommitted = await workTreeDiffers(repo);
      if (dataNotCommitted) notes.push({ kind: 'skipped-pre-commit' });
    }
  }
  // journal first, then drop the marker: killed in between, the marker still leads to the commit
  await journalPending(repo, head, { hookEnv: hookEnvOf(ctx.env, repo), ...(dataNotCommitted ? { dataNotCommitted } : {}) });
  await rm(markerFile, { force: true });
  await startFlush(ctx, repo);
  return hookOk(notes);
}

/** True when tracked data in the work tree differs from the snapshot it last matched. */
async function workTreeDiffers(repo: Repo): Promise<boolean> {
  const view = await viewWorkTree(repo, { ingest: false });
  return (await compareWithTree(repo, view, view.state.tree)).length > 0;
}
