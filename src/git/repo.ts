/** Locating a repository: work tree, per-worktree git dir, common dir, object format. */
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { runGit } from './run.js';

export interface RepoPaths {
  /** top of the work tree */
  root: string;
  /** per-worktree git dir (stat cache, stamps, markers) */
  gitDir: string;
  /** shared git dir (object store, journal, locks) */
  commonDir: string;
  /** directory git runs hooks from */
  hooksDir: string;
  /** 'sha1' or 'sha256' */
  objectFormat: string;
}

export async function findRepo(cwd: string): Promise<RepoPaths> {
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
