/**
 * Sparse clones: which data this clone holds. Per clone (git config, never committed):
 *
 *   git config --add gitrepro.include 'data/small/**'   # repeatable; none: everything
 *   git config --add gitrepro.exclude 'data/small/raw/'  # repeatable
 *
 * Patterns are gitignore syntax, relative to the work-tree root. A path is wanted when an
 * include pattern matches it (or there is none) and no exclude pattern does. Restores (checkout,
 * pull, install, restore) fetch and write only wanted paths, and a path that is not wanted and
 * absent is data this clone never had: not a deletion, so a commit keeps the parent's entry.
 * A path that is not wanted but present (restored on demand with `restore -- <path>`) is data
 * like any other: read, recorded, and kept up to date by restores.
 */
import ignore, { type Ignore } from 'ignore';
import { GitreproError } from '../errors.js';

export interface Sparse {
  include: string[];
  exclude: string[];
  wanted(p: string): boolean;
  /** lines that make the state of a scan specific to these patterns */
  key: string[];
}

function check(kind: string, p: string): void {
  const core = p.replace(/^!/, '').replace(/^\/+/, '');
  if (!core.trim() || core.split('/').some((c) => c === '..' || c.toLowerCase() === '.git')) {
    throw new GitreproError('GITREPRO_PATTERN_INVALID', `gitrepro.${kind} pattern ${JSON.stringify(p)} is not usable`, { hint: `use a path pattern inside the work tree: \`git config --unset-all gitrepro.${kind}\` then add it again` });
  }
}

/** The clone's sparse filter, or undefined when it holds all data. */
export function makeSparse(include: string[], exclude: string[]): Sparse | undefined {
  if (include.length === 0 && exclude.length === 0) return undefined;
  for (const p of include) check('include', p);
  for (const p of exclude) check('exclude', p);
  const inc: Ignore | undefined = include.length ? ignore({ ignorecase: false }).add(include) : undefined;
  const exc: Ignore | undefined = exclude.length ? ignore({ ignorecase: false }).add(exclude) : undefined;
  return {
    include,
    exclude,
    wanted: (p) => (!inc || inc.ignores(p)) && !exc?.ignores(p),
    key: [...include.map((p) => `#include ${p}`), ...exclude.map((p) => `#exclude ${p}`)],
  };
}
