/**
 * `gitrepro add` and the pre-commit hook's staging: store changed tracked data, build the new
 * snapshot tree incrementally from the index's lock, write gitrepro.lock and stage it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { readSnapshot, writeSnapshot, type SnapChange, type SnapEntry } from '../git/snapshot.js';
import { blobId, stageFile } from '../git/revs.js';
import { formatLock, LOCK_FILE, type Lock } from '../record/lock.js';
import { writeFastState } from '../workspace/faststate.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { scanWorkTree } from '../workspace/scan.js';
import { isTrackedPath, walkTracked } from '../workspace/walk.js';
import { trustState, untrusted } from '../repo/trust.js';
import { StatCache } from '../workspace/statcache.js';
import { openRepo, pathFilter, requireSetUp, type Repo, type Reporter } from '../repo/context.js';
import { loadSnapshot, snapshotTotals } from '../repo/snapshot-cache.js';
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
  return withRepoLock(repo.sharedDir, async () => {
    const scanStart = Date.now();
    await refuseUnacceptedPatterns(repo, opts.indexFile);
    const cache = await StatCache.load(repo.stateDir);
    trace('stat cache loaded');
    const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: true, only });
    trace(`scanned: ${scan.files.size} files, ${scan.hashed} hashed`);
    if (opts.paths?.length && scan.files.size === 0) {
      throw new GitreproError('GITREPRO_USAGE', `no tracked data under ${opts.paths.join(', ')}`, { hint: 'track it first: `gitrepro track <pattern>`' });
    }
    const baseLock = await lockAt(repo, ':', opts.indexFile);
    const snap = await loadSnapshot(repo, cache, baseLock?.tree);
    trace('base snapshot loaded');
    const changes: SnapChange[] = [];
    const res = { added: [] as string[], modified: [] as string[], deleted: [] as string[] };
    for (const [p, f] of scan.files) {
      const old = snap.get(p);
      const entry: SnapEntry = { sha256: f.sha256, size: f.size, exec: f.exec };
      if (!old) res.added.push(p);
      else if (old.sha256 !== f.sha256 || old.exec !== f.exec) res.modified.push(p);
      else continue;
      changes.push({ path: p, entry });
      snap.set(p, entry);
    }
    const notRestored: string[] = [];
    for (const p of [...snap.keys()]) {
      if ((only && !only(p)) || scan.files.has(p)) continue;
      // never restored (object was unavailable): absent, but not deleted by the user
      if (cache.missing.has(p)) {
        notRestored.push(p);
        continue;
      }
      res.deleted.push(p);
      changes.push({ path: p });
      snap.delete(p);
    }
    let tree = baseLock?.tree;
    if (changes.length > 0 || !tree) tree = (await writeSnapshot(repo.root, tree, changes)).tree;
    trace('snapshot written');
    const lock: Lock = { tree, ...snapshotTotals(snap) };
    const text = formatLock(lock);
    const lockBlob = blobId(text, repo.paths.objectFormat);
    const staged = !baseLock || formatLock(baseLock) !== text;
    // an unchanged lock is not rewritten: renaming over it would move the work tree root's
    // ctime, and with unanchored track patterns the hooks' fast path watches the root
    const lockFile = path.join(repo.root, LOCK_FILE);
    if ((await readFile(lockFile, 'utf8').catch(() => undefined)) !== text) await writeFileAtomic(lockFile, text);
    if (staged) await stageFile(repo.root, LOCK_FILE, opts.indexFile);
    trace('lock staged');
    if (cache.hasMemo && cache.tree === baseLock?.tree) cache.applySnapshotChanges(tree, changes);
    else cache.setSnapshot(tree, snap);
    await cache.save();
    trace('stat cache saved');
    if (!only) {
      await writeFastState(repo.stateDir, { lockBlob, maxGitFileSize: repo.config.policy.maxGitFileSize, roots: repo.matcher.roots, patterns: repo.config.track }, scanStart);
    }
    return { lock, ...res, stored: scan.added, hashedBytes: scan.hashedBytes, staged, skipped: scan.skipped, notRestored };
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
