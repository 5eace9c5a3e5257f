/**
 * Hook handlers: what `gitrepro hook <name>` does once the sh shim's fast path has decided there
 * is work. Each returns an exit code and the lines to show on stderr; none prints.
 */
import { spawn } from 'node:child_process';
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError, isGitreproError } from '../errors.js';
import { hasObject } from '../git/refs.js';
import { runGit } from '../git/run.js';
import { blobId, tryResolveCommit, readFileAt } from '../git/revs.js';
import { formatLock, LOCK_FILE, type Lock } from '../record/lock.js';
import { scanWorkTree } from '../workspace/scan.js';
import { StatCache } from '../workspace/statcache.js';
import { addInRepo } from './add.js';
import { isSetUp, openRepo, type Repo, type Reporter } from './context.js';
import { lockAt, lockInWorkTree } from './locks.js';
import { journalPending } from './journal.js';

/** The record writer loads the schemas and env collectors: only when a record is written here. */
async function completePending(repo: Repo): Promise<string[]> {
  return (await import('./records.js')).completePending(repo);
}
import { syncTo, type SyncResult } from './sync.js';

export interface HookResult {
  code: number;
  lines: string[];
}

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

const ok = (lines: string[] = []): HookResult => ({ code: 0, lines });

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

/** Lines telling the user what a restore did that needs their attention. */
export function describeSync(r: SyncResult & { problems?: string[] }): string[] {
  const lines: string[] = [];
  for (const p of r.problems ?? []) lines.push(`gitrepro: could not fetch data: ${p}`);
  for (const e of r.rescued) lines.push(`gitrepro: saved your unsaved ${e.path} before replacing it; get it back with: gitrepro recover -- ${e.path}`);
  if (r.missing.length) {
    const names = r.missing.slice(0, 5).map((m) => m.path).join(', ');
    lines.push(`gitrepro: ${r.missing.length} data file(s) not restored, their objects are not in the local store (${names}${r.missing.length > 5 ? ', ...' : ''}); run \`gitrepro pull\` to fetch them`);
  }
  for (const f of r.failed) lines.push(`gitrepro: ${f.error.message}`);
  return lines;
}

async function startFlush(ctx: HookContext, repo: Repo): Promise<void> {
  if (ctx.env.GITREPRO_SYNC_RECORDS === '1') {
    await completePending(repo);
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

function indexFileOf(ctx: HookContext): string | undefined {
  const f = ctx.env.GIT_INDEX_FILE;
  return f ? path.resolve(ctx.cwd, f) : undefined;
}

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

function isTrackedPath(repo: Repo, p: string): boolean {
  if (repo.matcher.matches(p)) return true;
  const parts = p.split('/');
  for (let i = 1; i < parts.length; i++) if (repo.matcher.matches(parts.slice(0, i).join('/'), true)) return true;
  return false;
}

export async function preCommit(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return ok();
  const indexFile = indexFileOf(ctx);
  const staged = await stagedChanges(repo, indexFile);
  const lines: string[] = [];
  const tracked = staged.filter((s) => s.path !== LOCK_FILE && isTrackedPath(repo, s.path));
  for (const t of tracked) lines.push(`gitrepro: ${t.path} is tracked data and must not be committed to git; unstage it with: git rm --cached -- '${t.path}'  (gitrepro add stores it)`);
  const others = staged.filter((s) => !tracked.includes(s));
  const sizes = await blobSizes(repo, others.map((s) => s.oid));
  const max = repo.config.policy.maxGitFileSize;
  others.forEach((s, i) => {
    if (sizes[i] > max) lines.push(`gitrepro: ${s.path} is ${sizes[i]} bytes, over policy.maxGitFileSize (${max}); track it as data: gitrepro track '${s.path}' && git rm --cached -- '${s.path}'`);
  });
  if (lines.length) return { code: 1, lines: [...lines, 'gitrepro: commit refused (tracked data never enters git)'] };
  if (!repo.config.policy.autoStage) return ok();
  const indexWasHead = staged.length === 0;
  const res = await addInRepo(repo, { cwd: repo.root, indexFile });
  await mkdir(repo.stateDir, { recursive: true });
  await writeFile(path.join(repo.stateDir, 'precommit'), `${blobId(formatLock(res.lock), repo.paths.objectFormat)}\n`);
  const out: string[] = [];
  if (res.notRestored.length) out.push(`gitrepro: kept ${res.notRestored.length} never-restored path(s) in the snapshot (their data was not available here)`);
  if (res.staged && indexWasHead) {
    out.push('gitrepro: data changed and gitrepro.lock is now staged; if git says "nothing to commit", repeat the commit (or run `gitrepro add` before `git commit`)');
  }
  return ok(out);
}

export async function postCommit(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return ok();
  const head = await tryResolveCommit(repo.root, 'HEAD');
  if (!head) return ok();
  const markerFile = path.join(repo.stateDir, 'precommit');
  const marker = (await readFile(markerFile, 'utf8').catch(() => '')).trim();
  await rm(markerFile, { force: true });
  const headLockText = (await readFileAt(repo.root, head, LOCK_FILE))?.toString('utf8');
  const lines: string[] = [];
  let dataNotCommitted = false;
  if (!headLockText || marker !== blobId(headLockText, repo.paths.objectFormat)) {
    // pre-commit did not run for this commit: a commit made by git's machinery (cherry-pick,
    // revert, rebase, am) or `--no-verify`
    const headLock = await lockAt(repo, head);
    const parentLock = await lockAt(repo, `${head}^`).catch(() => undefined);
    if (headLock && headLock.tree !== parentLock?.tree) {
      lines.push(...(await syncFetching(ctx, repo, headLock, 'commit')).lines);
    } else {
      dataNotCommitted = await workTreeDiffers(repo);
      if (dataNotCommitted) lines.push('gitrepro: warning: this commit skipped the pre-commit hook and the work tree holds data changes it does not record; run `gitrepro add` and commit again');
    }
  }
  await journalPending(repo, head, dataNotCommitted ? { dataNotCommitted } : undefined);
  await startFlush(ctx, repo);
  return ok(lines);
}

/** True when tracked data in the work tree differs from the last synced snapshot. */
async function workTreeDiffers(repo: Repo): Promise<boolean> {
  const cache = await StatCache.load(repo.stateDir);
  const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: false });
  await cache.save();
  const snap = cache.snap ?? new Map();
  if (scan.files.size !== snap.size) return true;
  for (const [p, f] of scan.files) {
    const e = snap.get(p);
    if (!e || e.sha256 !== f.sha256 || e.exec !== f.exec) return true;
  }
  return false;
}

/**
 * syncTo, reaching the remotes only when the restore needs them: a snapshot tree missing from
 * this clone (a `git pull origin main` with an explicit refspec fetches no records) fetches the
 * record refs from the Git remote and retries; objects missing from the local store come from the
 * store remote (fetch.ts is loaded only then). What cannot be fetched stays missing and is named.
 */
async function syncFetching(ctx: HookContext, repo: Repo, target: Lock | undefined, reason: string): Promise<{ res: SyncResult; lines: string[] }> {
  const lines: string[] = [];
  let problems: string[] = [];
  const fetchMissing = async (refs: { sha256: string; size: number }[]): Promise<void> => {
    const { remoteFetcher } = await import('./fetch.js');
    const f = remoteFetcher(repo, { env: ctx.env, reporter: ctx.reporter });
    await f.fetchMissing(refs);
    problems = f.problems;
  };
  let res: SyncResult;
  try {
    res = await syncTo(repo, target, { reason, fetchMissing });
  } catch (e) {
    if (!isGitreproError(e, 'GITREPRO_SNAPSHOT_INVALID') || !target || (await hasObject(repo.root, target.tree))) throw e;
    const { syncRecords } = await import('./fetch.js');
    const r = await syncRecords(repo);
    if (r.error) lines.push(`gitrepro: ${r.error}`);
    res = await syncTo(repo, target, { reason, fetchMissing });
  }
  return { res, lines: [...lines, ...describeSync({ ...res, problems })] };
}

/** post-checkout and post-merge: bring the data to the lock git just wrote into the work tree. */
export async function syncToWorkTreeLock(ctx: HookContext, reason: string): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return ok();
  let target;
  try {
    target = await lockInWorkTree(repo);
  } catch (e) {
    if (isGitreproError(e)) return { code: 1, lines: [`gitrepro: data not restored: ${e.message}`, ...(e.hint ? [`gitrepro: ${e.hint}`] : [])] };
    throw e;
  }
  const { res, lines } = await syncFetching(ctx, repo, target, reason);
  return { code: res.failed.length ? 1 : 0, lines };
}

export async function postCheckout(ctx: HookContext): Promise<HookResult> {
  if (ctx.args[2] !== '1') return ok(); // a file checkout moves no HEAD
  return syncToWorkTreeLock(ctx, 'checkout');
}

export async function postMerge(ctx: HookContext): Promise<HookResult> {
  const r = await syncToWorkTreeLock(ctx, 'merge');
  // a plain `git pull` fetched the others' records into the tracking refs: join them (no network)
  const repo = await openRepo(ctx.cwd);
  if (isSetUp(repo)) await (await import('./records-sync.js')).mergeAllTracked(repo).catch((e: unknown) => r.lines.push(`gitrepro: records not merged: ${(e as Error).message}`));
  // the shim journaled a merge commit; with GITREPRO_SYNC_RECORDS=1 its record is written now
  if (ctx.env.GITREPRO_SYNC_RECORDS === '1') await completePending(await openRepo(ctx.cwd));
  return r;
}

export async function postRewrite(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return ok();
  for (const [newC, olds] of parseRewriteInput(ctx.stdin ?? '')) await journalPending(repo, newC, { rewrittenFrom: olds });
  const lines: string[] = [];
  if (ctx.args[0] === 'rebase') {
    const lock = await lockAt(repo, 'HEAD').catch(() => undefined);
    if (lock) lines.push(...(await syncFetching(ctx, repo, lock, 'rebase')).lines);
  }
  await startFlush(ctx, repo);
  return ok(lines);
}

export async function flush(ctx: HookContext): Promise<HookResult> {
  const repo = await openRepo(ctx.cwd);
  if (!isSetUp(repo)) return ok();
  await completePending(repo);
  // done: readers need not wait for this pid any more (and must not, once it is reused)
  const pidFile = path.join(repo.sharedDir, 'flusher.pid');
  if ((await readFile(pidFile, 'utf8').catch(() => '')).trim() === String(process.pid)) await rm(pidFile, { force: true });
  return ok();
}

export const HOOK_HANDLERS: Record<string, (ctx: HookContext) => Promise<HookResult>> = {
  'pre-commit': preCommit,
  'post-commit': postCommit,
  'post-checkout': postCheckout,
  'post-merge': postMerge,
  'post-rewrite': postRewrite,
  // loaded only when a push sends new commits (hooks/pre-push.sh answers the rest in sh)
  'pre-push': async (ctx) => (await import('./prepush.js')).prePush(ctx),
  flush,
};

export function unknownHook(name: string): GitreproError {
  return new GitreproError('GITREPRO_USAGE', `unknown hook ${name}`, { hint: `hooks: ${Object.keys(HOOK_HANDLERS).join(', ')}` });
}
