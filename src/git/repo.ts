/** Locating a repository: work tree, per-worktree git dir, common dir, object format. */
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { runGit } from './run.js';
import { takeSetting } from '../settings.js';

export interface RepoPaths {
  /** top of the work tree */
  root: string;
  /** per-worktree git dir (scan state, stamps, markers) */
  gitDir: string;
  /** shared git dir (object store, journal, locks) */
  commonDir: string;
  /** directory git runs hooks from */
  hooksDir: string;
  /** 'sha1' or 'sha256' */
  objectFormat: string;
}

/**
 * The hook shims already ran `git rev-parse` for their fast path; on the full path they pass what
 * it printed (top, git dir, common dir, hooks dir, object format: one per line) in
 * GITREPRO_REPO_INFO, saving node a git process. Used only for the same directory, and removed
 * from the environment so no child inherits it.
 */
function fromShim(cwd: string): RepoPaths | undefined {
  const info = takeSetting('GITREPRO_REPO_INFO');
  if (info === undefined) return undefined;
  const [root, gitDir, commonDir, hooksDir, objectFormat] = info.split('\n');
  if (!root || !gitDir || !commonDir || !hooksDir || !/^sha(1|256)$/.test(objectFormat ?? '')) return undefined;
  if (path.resolve(root) !== path.resolve(cwd) || ![gitDir, commonDir, hooksDir].every((p) => path.isAbsolute(p))) return undefined;
  return { root, gitDir, commonDir, hooksDir, objectFormat };
}

export async function findRepo(cwd: string): Promise<RepoPaths> {
  const shim = fromShim(cwd);
  if (shim) return shim;
  const r = await runGit(
    cwd,
    ['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--git-path', 'hooks', '--show-object-format'],
    { ok: [0, 128] },
  );
  if (r.code !== 0) {
    throw new GitreproError('GITREPRO_NOT_A_REPO', `not inside a git work tree: ${cwd}`, {
      hint: 'run this inside a git repository (git init, or cd into one)',
    });
  }
  const [root, gitDir, commonDir, hooksDir, objectFormat] = r.stdout.toString('utf8').trim().split('\n');
  if (!root) throw new GitreproError('GITREPRO_NOT_A_REPO', 'a bare repository has no work tree', { hint: 'run this in a clone with a work tree' });
  return { root, gitDir, commonDir, hooksDir: path.resolve(root, hooksDir), objectFormat: objectFormat || 'sha1' };
}
