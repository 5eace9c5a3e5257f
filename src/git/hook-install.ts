/**
 * Installing the hook shims into the directory `git rev-parse --git-path hooks` names (so
 * core.hooksPath, husky and worktrees work). A hook that was already there is kept, byte for
 * byte, as `<name>.gitrepro-chained` and run by the shim first; uninstall puts it back.
 * Install and uninstall are idempotent and never touch a hook they did not write.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';

export const HOOKS = ['pre-commit', 'post-commit', 'post-checkout', 'post-merge', 'post-rewrite', 'pre-push'] as const;
export type HookName = (typeof HOOKS)[number];

const MARK = '# gitrepro hook shim v';
const STDIN_HOOKS = new Set<HookName>(['pre-push', 'post-rewrite']);
const PRE_HOOKS = new Set<HookName>(['pre-commit', 'pre-push']);

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function isOurShim(text: string): boolean {
  return text.split('\n').slice(0, 3).some((l) => l.startsWith(MARK));
}

/** Renders the shim for one hook from the templates in `templateDir`. */
export async function renderShim(templateDir: string, hook: HookName, bin: string): Promise<string> {
  const head = await readFile(path.join(templateDir, 'shim.sh'), 'utf8');
  const body = await readFile(path.join(templateDir, `${hook}.sh`), 'utf8').catch(() => '');
  return head
    .replaceAll('@HOOK@', hook)
    .replaceAll('@BIN@', shQuote(bin))
    .replaceAll('@STDIN@', STDIN_HOOKS.has(hook) ? '1' : '0')
    .replaceAll('@PRE@', PRE_HOOKS.has(hook) ? '1' : '0')
    // pre-push fails closed: pushing data the others cannot get is worse than a blocked push
    .replaceAll('@MISSING_EXIT@', hook === 'pre-push' ? '2' : '0')
    .replace('@BODY@', body.trimEnd());
}

export interface HookInstallResult {
  installed: HookName[];
  chained: HookName[];
}

export async function installHooks(hooksDir: string, templateDir: string, bin: string, hooks: readonly HookName[] = HOOKS): Promise<HookInstallResult> {
  await mkdir(hooksDir, { recursive: true });
  const res: HookInstallResult = { installed: [], chained: [] };
  for (const hook of hooks) {
    const file = path.join(hooksDir, hook);
    const chained = `${file}.gitrepro-chained`;
    const shim = await renderShim(templateDir, hook, bin);
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current !== undefined && !isOurShim(current)) {
      if (existsSync(chained)) {
        throw new GitreproError('GITREPRO_USAGE', `${file} was replaced after gitrepro chained an earlier hook (${chained})`, {
          hint: `merge the two hooks by hand, remove ${chained}, then run \`gitrepro install\` again`,
        });
      }
      await rename(file, chained);
      res.chained.push(hook);
    } else if (existsSync(chained)) {
      res.chained.push(hook);
    }
    if (current !== shim) {
      const tmp = `${file}.gitrepro-tmp`;
      await writeFile(tmp, shim, { mode: 0o755 });
      await chmod(tmp, 0o755);
      await rename(tmp, file);
    }
    res.installed.push(hook);
  }
  return res;
}

export async function uninstallHooks(hooksDir: string): Promise<{ removed: HookName[]; restored: HookName[] }> {
  const res = { removed: [] as HookName[], restored: [] as HookName[] };
  for (const hook of HOOKS) {
    const file = path.join(hooksDir, hook);
    const chained = `${file}.gitrepro-chained`;
    const current = await readFile(file, 'utf8').catch(() => undefined);
    if (current === undefined || !isOurShim(current)) continue;
    if (existsSync(chained)) {
      await rename(chained, file);
      res.restored.push(hook);
    } else {
      await rm(file, { force: true });
    }
    res.removed.push(hook);
  }
  return res;
}
