/**
 * What every hook operation shares (the operations themselves are ops/pre-commit.ts,
 * ops/post-commit.ts, ...; the sh shims and their fast paths are hooks/*.sh; installing them is
 * git/hook-install.ts; `gitrepro hook <name>` dispatches in cli/hook.ts): the context a hook runs
 * in, the data it returns (cli/hook-messages.ts turns it into the lines the user sees), starting
 * the detached record flusher, and restoring data with whatever must be fetched first.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isGitreproError, type GitreproError } from '../errors.js';
import { hasObject } from '../git/refs.js';
import type { Lock } from '../record/lock.js';
import { setting } from '../settings.js';
import type { Repo, Reporter } from './context.js';
import type { GateProblem } from './object-plan.js';
import { syncTo, type SyncOptions, type SyncResult } from './worktree-sync.js';

export interface HookContext {
  cwd: string;
  args: string[];
  stdin?: string;
  env: NodeJS.ProcessEnv;
  /** argv to re-run this CLI detached (for the record flusher) */
  selfArgv: string[];
  /** progress of long transfers (pre-push uploads, downloads during a restore); terminal only */
  reporter?: Reporter;
}

/** What a hook has to tell the user, as data (cli/hook-messages.ts words it). */
export type HookNote =
  | { kind: 'restore'; report: RestoreReport }
  | { kind: 'records-error'; message: string }
  | { kind: 'lock-invalid'; message: string; hint?: string }
  | { kind: 'records-not-merged'; message: string }
  | { kind: 'tracked-in-git'; path: string }
  | { kind: 'too-large'; path: string; size: number; max: number }
  | { kind: 'commit-refused' }
  | { kind: 'kept-never-restored'; count: number }
  | { kind: 'lock-staged' }
  | { kind: 'skipped-pre-commit' }
  | { kind: 'push-unreproducible'; problems: GateProblem[] }
  | { kind: 'push-policy-refused'; remote: string; objects: { sha256: string; path: string }[] }
  | { kind: 'push-upload-failed'; remote: string; failed: number; total: number; errors: { message: string; hint?: string }[] }
  | { kind: 'push-error'; message: string; hint?: string }
  | { kind: 'uploaded'; remote: string; count: number; bytes: number }
  | { kind: 'merge-conflict'; paths: string[] };

export interface HookResult {
  code: number;
  notes: HookNote[];
}

export const hookOk = (notes: HookNote[] = []): HookResult => ({ code: 0, notes });

/** What a restore did that needs the user's attention (cli/hook-messages.ts words it, for hooks and commands alike). */
export type RestoreReport = Pick<SyncResult, 'rescued' | 'missing' | 'failed'> & { problems?: string[]; tree?: string };

function syncNotes(r: RestoreReport): HookNote[] {
  return r.problems?.length || r.rescued.length || r.missing.length || r.failed.length ? [{ kind: 'restore', report: r }] : [];
}

/** The record writer loads the schemas and env collectors: only when a record is written here. */
export async function completePendingLazily(repo: Repo): Promise<string[]> {
  return (await import('./record-io.js')).completePending(repo);
}

/** Writes the journaled records now (GITREPRO_SYNC_RECORDS=1), else in a detached flusher. */
export async function startFlush(ctx: HookContext, repo: Repo): Promise<void> {
  if (setting('GITREPRO_SYNC_RECORDS', ctx.env)) {
    await completePendingLazily(repo);
    return;
  }
  const child = spawn(process.execPath, [...ctx.selfArgv, 'hook', 'flush'], {
    cwd: repo.root,
    detached: true,
    stdio: 'ignore',
    env: { ...ctx.env, GITREPRO_DETACHED: '1' },
  });
  if (child.pid) await writeFile(path.join(repo.sharedDir, 'flusher.pid'), `${child.pid}\n`);
  child.unref();
}

/** The index the hook's git named (GIT_INDEX_FILE, relative to the hook's cwd). */
export function indexFileOf(ctx: HookContext): string | undefined {
  const f = ctx.env.GIT_INDEX_FILE;
  return f ? path.resolve(ctx.cwd, f) : undefined;
}

/**
 * syncTo, reaching the remotes only when the restore needs them: a snapshot tree missing from
 * this clone (a `git pull origin main` with an explicit refspec fetches no records) fetches the
 * record refs from the Git remote and retries; objects missing from the local store come from the
 * store remote (the transfer machinery is loaded only then). What cannot be fetched stays missing
 * and is named.
 */
export async function syncFetching(ctx: HookContext, repo: Repo, target: Lock | undefined, reason: string, commit: string): Promise<{ res: SyncResult; notes: HookNote[] }> {
  const notes: HookNote[] = [];
  let problems: string[] = [];
  const fetchMissing: SyncOptions['fetchMissing'] = async (refs, onChecked) => {
    const { remoteFetcher } = await import('./transfers.js');
    const f = remoteFetcher(repo, { env: ctx.env, reporter: ctx.reporter });
    await f.fetchMissing(refs, onChecked);
    problems = f.problems;
  };
  let res: SyncResult;
  try {
    res = await syncTo(repo, target, { reason, commit, fetchMissing });
  } catch (e) {
    if (!isGitreproError(e, 'GITREPRO_SNAPSHOT_INVALID') || !target || (await hasObject(repo.root, target.tree))) throw e;
    const { syncRecords } = await import('./record-sync.js');
    const r = await syncRecords(repo);
    if (r.error) notes.push({ kind: 'records-error', message: r.error });
    res = await syncTo(repo, target, { reason, commit, fetchMissing });
  }
  return { res, notes: [...notes, ...syncNotes({ ...res, problems })] };
}

export type { GitreproError };
