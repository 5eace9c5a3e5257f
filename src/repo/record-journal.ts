/**
 * The record journal (`<git-common-dir>/gitrepro/pending`): commits whose records are still to be
 * written. Lines are `<commit>` or `<commit>\t<json PendingExtra>`; the post-commit sh shim appends
 * plain lines itself. Kept apart from records.ts so hooks can journal without loading the
 * record schemas and the environment collectors.
 */
import { appendFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { snapshotVars } from '../env/vars.js';
import type { Repo } from './context.js';

export interface PendingExtra {
  rewrittenFrom?: string[];
  dataNotCommitted?: boolean;
  /** the variables the environment snapshot reads, as the commit's hook saw them (env/vars.ts snapshotVars) */
  hookEnv?: Record<string, string>;
  /** pid of the flusher the commit's sh hook started (it journals `hookEnv` when it starts) */
  flusher?: number;
}

/** `hookEnv` of a hook that ran with `env`, in a repository whose config allows `allow`. */
export function hookEnvOf(env: NodeJS.ProcessEnv, repo: Repo): Record<string, string> {
  return snapshotVars(env, repo.config.env.allow);
}

export async function journalPending(repo: Repo, commit: string, extra?: PendingExtra): Promise<void> {
  await appendFile(path.join(repo.sharedDir, 'pending'), extra ? `${commit}\t${JSON.stringify(extra)}\n` : `${commit}\n`);
}

/** True when some commit is journaled (the live journal, or a dead flusher's leftovers). */
export async function journalHasEntries(repo: Repo): Promise<boolean> {
  for (const f of await readdir(repo.sharedDir).catch(() => [] as string[])) {
    if (f.startsWith('pending.')) return true;
    if (f === 'pending' && ((await stat(path.join(repo.sharedDir, f)).catch(() => undefined))?.size ?? 0) > 0) return true;
  }
  return false;
}
