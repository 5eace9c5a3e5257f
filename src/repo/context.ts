/**
 * Opening a repository for an operation: paths, config, store, matcher. Every op starts here.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { findRepo, type RepoPaths } from '../git/repo.js';
import { configGetAll } from '../git/revs.js';
import { makeSparse, type Sparse } from '../workspace/sparse.js';
import { LocalStore } from '../store/local.js';
import type { Config } from '../record/config.js';
import { loadConfig } from '../workspace/config.js';
import { makeMatcher, type Matcher } from '../workspace/walk.js';
import { trace } from '../trace.js';

export interface Repo {
  paths: RepoPaths;
  root: string;
  /** per-worktree state: scan state, fast-path state, markers */
  stateDir: string;
  /** shared state: journal, lock, rescue journal, default object store */
  sharedDir: string;
  store: LocalStore;
  config: Config;
  matcher: Matcher;
  /** this clone's sparse filter (git config gitrepro.include/exclude); undefined: all data */
  sparse?: Sparse;
  /** `git config gitrepro.fsmonitor watchman`: the change probe asks Watchman (workspace/fsmonitor.ts) */
  fsmonitor: boolean;
}

/** Reports progress of long work; ops never print. */
export interface Reporter {
  info?(msg: string): void;
  warn?(msg: string): void;
  progress?(p: { label: string; done: number; total: number; bytes?: number }): void;
}

export async function openRepo(cwd: string): Promise<Repo> {
  // one git call for this clone's own settings: the store's place and the sparse filter
  const [paths, settings] = await Promise.all([findRepo(cwd), configGetAll(cwd, '^gitrepro\\.(cachedir|include|exclude|fsmonitor)$')]);
  const values = (k: string): string[] => settings.filter(([key]) => key === k).map(([, v]) => v);
  const cacheDir = values('gitrepro.cachedir').pop();
  const sharedDir = path.join(paths.commonDir, 'gitrepro');
  const stateDir = path.join(paths.gitDir, 'gitrepro');
  trace('found repository');
  const config = await loadConfig(paths.root, existsSync(stateDir) ? stateDir : undefined);
  trace('loaded config');
  return {
    paths,
    root: paths.root,
    stateDir,
    sharedDir,
    store: new LocalStore(cacheDir ? path.resolve(paths.root, cacheDir) : sharedDir),
    config,
    matcher: makeMatcher(config.track),
    sparse: makeSparse(values('gitrepro.include'), values('gitrepro.exclude')),
    fsmonitor: values('gitrepro.fsmonitor').pop()?.trim().toLowerCase() === 'watchman',
  };
}

/**
 * What a scan of the work tree depends on besides the files: the track patterns and the sparse
 * filter. A scan's state (workspace/worktree-state.ts) is only reused under the same key.
 */
export function scanKey(repo: Repo): string[] {
  return [...repo.config.track, ...(repo.sparse?.key ?? [])];
}

/** True when `gitrepro install` ran in this repository (hooks exit 0 otherwise). */
export function isSetUp(repo: Repo): boolean {
  return existsSync(path.join(repo.sharedDir, 'installed'));
}

export function requireSetUp(repo: Repo): void {
  if (!isSetUp(repo)) {
    throw new GitreproError('GITREPRO_NOT_INSTALLED', 'gitrepro is not set up in this repository', { hint: 'run `gitrepro install`' });
  }
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
