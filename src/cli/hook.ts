/**
 * `gitrepro hook <name> [args]`: run by the installed shims (hooks/shim.sh), never by users.
 * Dispatches to the hook's operation (ops/pre-commit.ts, ...), loading only that one, and words
 * what it returns (hook-messages.ts) on stderr.
 */
import { GitreproError, isGitreproError } from '../errors.js';
import type { HookContext, HookResult } from '../ops/hook-types.js';
import { hookLines } from './hook-messages.js';
import { makeProgress } from './progress.js';

type Handler = (ctx: HookContext) => Promise<HookResult>;

/** Each hook's operation, imported when that hook runs. */
const HOOK_HANDLERS: Record<string, () => Promise<Handler>> = {
  'pre-commit': async () => (await import('../ops/pre-commit.js')).preCommit,
  'post-commit': async () => (await import('../ops/post-commit.js')).postCommit,
  'post-checkout': async () => (await import('../ops/post-checkout.js')).postCheckout,
  'post-merge': async () => (await import('../ops/post-merge.js')).postMerge,
  'post-rewrite': async () => (await import('../ops/post-rewrite.js')).postRewrite,
  // loaded only when a push sends new commits (hooks/pre-push.sh answers the rest in sh)
  'pre-push': async () => (await import('../ops/pre-push.js')).prePush,
  flush: async () => (await import('../ops/flush-records.js')).flushRecords,
};

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const STDIN_HOOKS = new Set(['post-rewrite', 'pre-push']);

export async function runHook(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = Object.hasOwn(HOOK_HANDLERS, name ?? '') ? HOOK_HANDLERS[name!] : undefined;
  if (!load) throw new GitreproError('GITREPRO_USAGE', `unknown hook ${name}`, { hint: `hooks: ${Object.keys(HOOK_HANDLERS).join(', ')}` });
  const stdin = STDIN_HOOKS.has(name!) ? await readStdin() : undefined;
  try {
    const handler = await load();
    const progress = makeProgress();
    const r = await handler({ cwd: process.cwd(), args, stdin, env: process.env, selfArgv: [process.argv[1]], reporter: progress.reporter }).finally(() => progress.stop());
    for (const n of r.notes) for (const l of hookLines(n)) process.stderr.write(`${l}\n`);
    return r.code;
  } catch (e) {
    // post-* hooks cannot undo what git did: say what failed and how to finish by hand
    if (isGitreproError(e) && name?.startsWith('post-')) {
      process.stderr.write(`gitrepro: ${name}: ${e.message}\n`);
      if (e.hint) process.stderr.write(`gitrepro: ${e.hint}\n`);
      process.stderr.write('gitrepro: run `gitrepro status`, then `gitrepro restore` to finish\n');
      return 1;
    }
    throw e;
  }
}
