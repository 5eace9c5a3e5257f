/** `gitrepro hook <name> [args]`: run by the installed shims (hooks/shim.sh), never by users. */
import { HOOK_HANDLERS, unknownHook } from '../ops/hooks.js';
import { isGitreproError } from '../errors.js';
import { makeProgress } from './progress.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const STDIN_HOOKS = new Set(['post-rewrite', 'pre-push']);

export async function runHook(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const handler = HOOK_HANDLERS[name ?? ''];
  if (!handler) throw unknownHook(String(name));
  const stdin = STDIN_HOOKS.has(name) ? await readStdin() : undefined;
  try {
    const progress = makeProgress();
    const r = await handler({ cwd: process.cwd(), args, stdin, env: process.env, selfArgv: [process.argv[1]], reporter: progress.reporter }).finally(() => progress.stop());
    for (const l of r.lines) process.stderr.write(`${l}\n`);
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
