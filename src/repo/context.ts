/**
 * Opening a repository for an operation: paths, config, store, matcher. Every op starts here.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { findRepo, type RepoPaths } from '../git/repo.js';
import { configGet } from '../git/revs.js';
import { LocalStore } from '../store/local.js';
import type { Config } from '../record/config.js';
import { loadConfig } from '../workspace/config.js';
import { makeMatcher, type Matcher } from '../workspace/walk.js';
import { trace } from '../trace.js';

export interface Repo {
  paths: RepoPaths;
  root: string;
  /** per-worktree state: stat cache, fast-path state, markers */
  stateDir: string;
  /** shared state: journal, lock, rescue journal, default object store */
  sharedDir: string;
  store: LocalStore;
  config: Config;
  matcher: Matcher;
}

/** Reports progress of long work; ops never print. */
export interface Reporter {
  info?(msg: string): void;
  warn?(msg: string): void;
  progress?(p: { label: string; done: number; total: number; bytes?: number }): void;
}

export async function openRepo(cwd: string): Promise<Repo> {
  const [paths, cacheDir] = await Promise.all([findRepo(cwd), configGet(cwd, 'gitrepro.cacheDir')]);
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
  };
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
