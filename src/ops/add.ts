/**
 * `gitrepro add` and the pre-commit hook's staging: store changed tracked data, build the new
 * snapshot tree incrementally from the index's lock, write gitrepro.lock and stage it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { readSnapshot, writeSnapshot, type SnapChange, type SnapEntry, type Snapshot } from '../git/snapshot.js';
import { blobId, stageFile } from '../git/revs.js';
import { formatLock, LOCK_FILE, type Lock } from '../record/lock.js';
import { writeFastState } from '../workspace/faststate.js';
import { writeFileAtomic } from '../workspace/fsutil.js';
import { withRepoLock } from '../workspace/lock.js';
import { scanWorkTree } from '../workspace/scan.js';
import { StatCache } from '../workspace/statcache.js';
import { openRepo, requireSetUp, type Repo, type Reporter } from './context.js';
import { lockAt } from './locks.js';
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

/** Turns user path arguments into a predicate over repo-relative paths. */
export function pathFilter(repo: Repo, cwd: string, paths?: string[]): ((p: string) => boolean) | undefined {
  if (!paths || paths.length === 0) return undefined;
  const rels = paths.map((p) => {
    const rel = path.relative(repo.root, path.resolve(cwd, p)).split(path.sep).join('/');
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new GitreproError('GITREPRO_UNSAFE_PATH', `${p} is outside the work tree`, { hint: 'name paths inside the repository' });
    }
    return rel === '' ? '' : rel.replace(/\/+$/, '');
  });
  if (rels.includes('')) return undefined;
  return (p) => rels.some((r) => p === r || p.startsWith(`${r}/`));
}

export function snapshotTotals(snap: Snapshot): { files: number; bytes: number } {
  let bytes = 0;
  for (const e of snap.values()) bytes += e.size;
  return { files: snap.size, bytes };
}

/** Loads the snapshot for `tree`, from the stat cache's memo when it matches. */
export async function loadSnapshot(repo: Repo, cache: StatCache, tree: string | undefined): Promise<Snapshot> {
  if (!tree) return new Map();
  if (cache.tree === tree && cache.snap) return new Map(cache.snap);
  return readSnapshot(repo.root, tree);
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
