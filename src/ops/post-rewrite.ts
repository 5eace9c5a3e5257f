/**
 * The post-rewrite hook (amend, rebase): every rewritten commit is journaled with the commits it
 * replaces, so its record keeps their environment and runs; after a rebase the data follows
 * HEAD's lock.
 */
import { isSetUp, openRepo } from '../repo/context.js';
import { hookOk, startFlush, syncFetching, type HookContext, type HookNote, type HookResult } from '../repo/hook-context.js';
import { lockAt } from '../repo/lock-file.js';
import { hookEnvOf, journalPending } from '../repo/record-journal.js';

/** Parses post-rewrite stdin: `<old> <new> [<extra>]` per line → new commit → its old commits. */
export function parseRewriteInput(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [oldC, newC] = line.trim().split(/\s+/);
    if (!oldC || !newC || !/^[0-9a-f]{40,64}$/.test(oldC) || !/^[0-9a-f]{40,64}$/.test(newC)) continue;
    out.set(newC, [...(out.get(newC) ?? []), oldC]);
  }
  return out;
}

export async function postRewrite(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  for (const [newC, olds] of parseRewriteInput(ctx.stdin ?? '')) await journalPending(repo, newC, { rewrittenFrom: olds, hookEnv: hookEnvOf(ctx.env, repo) });
  const notes: HookNote[] = [];
  if (ctx.args[0] === 'rebase') {
    const lock = await lockAt(repo, 'HEAD').catch(() => undefined);
    if (lock) notes.push(...(await syncFetching(ctx, repo, lock, 'rebase', 'HEAD')).notes);
  }
  await startFlush(ctx, repo);
  return hookOk(notes);
}
