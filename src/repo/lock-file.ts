/** Reading gitrepro.lock at a revision, in the index, or in the work tree: always validated. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { readFileAt } from '../git/revs.js';
import { LOCK_FILE, parseLock, type Lock } from '../record/lock.js';
import type { Repo } from './context.js';

function bad(where: string, error: string): GitreproError {
  return new GitreproError('GITREPRO_LOCK_INVALID', `${LOCK_FILE} ${where} is invalid: ${error}`, {
    hint: 'restore it with `git checkout -- gitrepro.lock` (or resolve a merge with `gitrepro resolve`), then `gitrepro add`',
    exitCode: 1,
  });
}

export function parseLockOrThrow(text: string, where: string): Lock {
  const r = parseLock(text);
  if (!r.ok) throw bad(where, r.error);
  return r.value;
}

/** The lock at `rev` (a commit, or ':' for the index); undefined when the file is absent. */
export async function lockAt(repo: Repo, rev: string, indexFile?: string): Promise<Lock | undefined> {
  const env = indexFile ? { GIT_INDEX_FILE: indexFile } : undefined;
  const buf = await readFileAt(repo.root, rev === ':' ? '' : rev, LOCK_FILE, env);
  if (!buf) return undefined;
  return parseLockOrThrow(buf.toString('utf8'), rev === ':' ? 'in the index' : `at ${rev.slice(0, 12)}`);
}

/** The lock file in the work tree; undefined when absent. */
export async function lockInWorkTree(repo: Repo): Promise<Lock | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(repo.root, LOCK_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return parseLockOrThrow(text, 'in the work tree');
}
