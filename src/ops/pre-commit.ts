/**
 * The pre-commit hook (after hooks/pre-commit.sh found work to do): refuses tracked data or a
 * file over policy.maxGitFileSize staged into git, then does what `gitrepro add` does (stores
 * changed data, stages gitrepro.lock) and leaves a marker naming the lock it staged, so that
 * post-commit knows pre-commit ran for this commit.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runGit } from '../git/run.js';
import { blobId } from '../git/revs.js';
import { formatLock, LOCK_FILE } from '../record/lock.js';
import { isSetUp, openRepo, type Repo } from '../repo/context.js';
import { hookOk, indexFileOf, type HookContext, type HookNote, type HookResult } from '../repo/hook-context.js';
import { isTrackedPath } from '../workspace/walk.js';
import { addInRepo } from './add.js';

/** Staged (added/modified) paths with their new blob ids, against HEAD or the empty tree. */
async function stagedChanges(repo: Repo, indexFile?: string): Promise<{ path: string; oid: string }[]> {
  const env = indexFile ? { GIT_INDEX_FILE: indexFile } : undefined;
  const r = await runGit(repo.root, ['diff', '--cached', '--raw', '-z', '--no-abbrev', '--no-renames', '--diff-filter=AMT'], { env });
  const parts = r.stdout.toString('utf8').split('\0');
  const out: { path: string; oid: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i].slice(1).split(' ');
    out.push({ oid: meta[3], path: parts[i + 1] });
  }
  return out;
}

async function blobSizes(repo: Repo, oids: string[]): Promise<number[]> {
  if (oids.length === 0) return [];
  const r = await runGit(repo.root, ['cat-file', '--batch-check=%(objectsize)'], { input: oids.join('\n') + '\n' });
  return r.stdout.toString('utf8').trim().split('\n').map((s) => Number(s) || 0);
}

export async function preCommit(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return hookOk();
  const indexFile = indexFileOf(ctx);
  const staged = await stagedChanges(repo, indexFile);
  const refusals: HookNote[] = [];
  const tracked = staged.filter((s) => s.path !== LOCK_FILE && isTrackedPath(repo.matcher, s.path));
  for (const t of tracked) refusals.push({ kind: 'tracked-in-git', path: t.path });
  const others = staged.filter((s) => !tracked.includes(s));
  const sizes = await blobSizes(repo, others.map((s) => s.oid));
  const max = repo.config.policy.maxGitFileSize;
  others.forEach((s, i) => {
    if (sizes[i] > max) refusals.push({ kind: 'too-large', path: s.path, size: sizes[i], max });
  });
  if (refusals.length) return { code: 1, notes: [...refusals, { kind: 'commit-refused' }] };
  if (!repo.config.policy.autoStage) return hookOk();
  const indexWasHead = staged.length === 0;
  const res = await addInRepo(repo, { cwd: repo.root, indexFile });
  await mkdir(repo.stateDir, { recursive: true });
  await writeFile(path.join(repo.stateDir, 'precommit'), `${blobId(formatLock(res.lock), repo.paths.objectFormat)}\n`);
  const notes: HookNote[] = [];
  if (res.notRestored.length) notes.push({ kind: 'kept-never-restored', count: res.notRestored.length });
  if (res.staged && indexWasHead) notes.push({ kind: 'lock-staged' });
  return hookOk(notes);
}
