/**
 * `gitrepro add` and the pre-commit hook's staging: store changed tracked data, build the new
 * snapshot tree incrementally from the index's lock, write gitrepro.lock and stage it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { PointerBlobs, readSnapshot, writeSnapshot, type SnapChange, type SnapEntry } from '../git/snapshot.js';
import { blobId, stageFile } from '../git/revs.js';
import { formatLock, LOCK_FILE, type Lock } from '../record/lock.js';
import { writeFastState } from '../workspace/faststate.js';
import { writeWorkState } from '../workspace/worktree-state.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { isTrackedPath, walkTracked } from '../workspace/walk.js';
import { trustState, untrusted } from '../repo/trust.js';
import { openRepo, pathFilter, requireSetUp, scanKey, type Repo, type Reporter } from '../repo/context.js';
import { compareWithTree, viewWorkTree } from '../repo/worktree-view.js';
import { lockAt } from '../repo/lock-file.js';
import { trace } from '../trace.js';

export interface AddOptions {
  cwd: string;
  /** limit to these paths (files or directories, relative to cwd) */
  paths?: string[];
  /** index to stage into (the hook's GIT_INDEX_FILE) */
  indexFile?: string;
  reporter?: Reporter;
}

export interface AddResult {
  lock: Lock;
  added: string[];
  modified: string[];
  deleted: string[];
  /** objects newly written to the store */
  stored: number;
  hashedBytes: number;
  /** true when the staged gitrepro.lock changed */
  staged: boolean;
  skipped: { path: string; why: string }[];
  /** absent paths kept in the snapshot because their data was never restored here */
  notRestored: string[];
}

export async function addData(opts: AddOptions): Promise<AddResult> {
  const repo = await openRepo(opts.cwd);
  requireSetUp(repo);
  return addInRepo(repo, opts);
}

export async function addInRepo(repo: Repo, opts: AddOptions): Promise<AddResult> {
  const only = pathFilter(repo, opts.cwd, opts.paths);
  // a big read sends its pointer blobs to git while it reads (git/snapshot.ts PointerBlobs)
  const pointers = new PointerBlobs(repo.root);
  try {
    return await addLocked(repo, opts, only, pointers);
  } finally {
    await pointers.abort(); // nothing left when the snapshot took the blobs
  }
}

async function addLocked(repo: Repo, opts: AddOptions, only: ((p: string) => boolean) | undefined, pointers: PointerBlobs): Promise<AddResult> {
  return withRepoLock(repo.sharedDir, async () => {
    await refuseUnacceptedPatterns(repo, opts.indexFile);
    const view = await viewWorkTree(repo, { ingest: true, only, movesStamp: !only, pointers });
    trace(view.kind === 'changes' ? `scanned by the stamp: ${view.scan.changes.length} change(s), ${view.scan.hashed} hashed` : `scanned everything: ${view.files.size} files`);
    if (opts.paths?.length && view.kind === 'full' && view.files.size === 0) {
      throw new GitreproError('GITREPRO_USAGE', `no tracked data under ${opts.paths.join(', ')}`, { hint: 'track it first: `gitrepro track <pattern>`' });
    }
    const baseLock = await lockAt(repo, ':', opts.indexFile);
    // the staged snapshot and how the work tree differs from it (what changed, not everything)
    const diffs = await compareWithTree(repo, view, baseLock?.tree, only);
    trace(`compared with the staged snapshot: ${diffs.length} difference(s)`);
    const res = { added: [] as string[], modified: [] as string[], deleted: [] as string[] };
    const changes: SnapChange[] = [];
    let files = baseLock?.files ?? 0;
    let bytes = baseLock?.bytes ?? 0;
    for (const d of diffs) {
      if (d.work && !d.snap) res.added.push(d.path);
      else if (d.work) res.modified.push(d.path);
      else res.deleted.push(d.path);
      files += (d.work ? 1 : 0) - (d.snap ? 1 : 0);
      bytes += (d.work?.size ?? 0) - (d.snap?.size ?? 0);
      changes.push(d.work ? { path: d.path, entry: d.work } : { path: d.path });
    }
    // paths a restore could not write that are still absent: kept, never recorded as deleted
    const notRestored = view.state.missing.filter((p) => (!only || only(p)) && !existsSync(path.join(repo.root, p)));
    let tree = baseLock?.tree;
    if (pointers.sent) trace(`pointer blobs sent to git while reading: ${pointers.sent}`);
    if (changes.length > 0 || !tree) tree = (await writeSnapshot(repo.root, tree, changes, pointers)).tree;
    trace('snapshot written');
    const lock: Lock = { tree, files, bytes };
    const text = formatLock(lock);
    const lockBlob = blobId(text, repo.paths.objectFormat);
    const staged = !baseLock || formatLock(baseLock) !== text;
    // an unchanged lock is not rewritten: renaming over it would move the work tree root's
    // ctime, and with unanchored track patterns the hooks' fast path watches the root
    const lockFile = path.join(repo.root, LOCK_FILE);
    if ((await readFile(lockFile, 'utf8').catch(() => undefined)) !== text) await writeFileAtomic(lockFile, text);
    if (staged) await stageFile(repo.root, LOCK_FILE, opts.indexFile);
    trace('lock staged');
    if (!only) {
      // the work tree now matches `tree`: the stamp moves to when this scan began
      await writeWorkState(repo.stateDir, { tree, patterns: scanKey(repo), missing: notRestored }, view.stampAt, view.clock);
      await writeFastState(repo.root, repo.stateDir, { lockBlob, maxGitFileSize: repo.config.policy.maxGitFileSize, roots: repo.matcher.roots, patterns: repo.config.track, fsmonitor: repo.fsmonitor });
    }
    const hashed = view.kind === 'changes' ? view.scan : view;
    return { lock, ...res, stored: hashed.added, hashedBytes: hashed.hashedBytes, staged, skipped: view.skipped, notRestored };
  }, { what: 'add data' });
}

/**
 * A track pattern that others added and this clone has not accepted (repo/trust.ts) must not
 * make gitrepro store a file only it matches (a committed `/.env` or `*.pem` would otherwise
 * ship the user's secrets with their next push): refused before any file is read. Files the
 * staged snapshot already holds are not new.
 */
async function refuseUnacceptedPatterns(repo: Repo, indexFile?: string): Promise<void> {
  if (!repo.config.track.some((p) => !p.startsWith('!'))) return;
  const state = await trustState(repo);
  const pending = state.pending.filter((p) => p.key.startsWith('track:'));
  if (pending.length === 0) return;
  const base = await lockAt(repo, ':', indexFile);
  const held = base ? await readSnapshot(repo.root, base.tree) : new Map();
  const fresh = [...walkTracked(repo.root, repo.matcher).files.keys()].filter((p) => !isTrackedPath(state.acceptedTrack, p) && !held.has(p)).sort();
  if (fresh.length) throw untrusted(pending, `${fresh.length} file(s) only it matches were not stored (${fresh.slice(0, 3).join(', ')}${fresh.length > 3 ? ', ...' : ''})`);
}
