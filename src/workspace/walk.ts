/**
 * Finding tracked data files: gitignore-syntax patterns (the `ignore` package with
 * ignorecase:false, directories tested with a trailing '/', as git does).
 *
 * Only the pattern roots are walked: `data/**` walks data/, while an unanchored pattern such as
 * `*.csv` walks the whole tree (never `.git`). Symlinks are not data: they are skipped (and
 * reported), since following them could read outside the work tree.
 * Sync fs calls: for metadata-only work on 10k files they are 2-3x faster than the async API
 * (no thread-pool round trip per call).
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { GitreproError } from '../errors.js';
import { unsafePathReason } from '../record/rules.js';
import { TEMP_PREFIX } from '../fs/atomic.js';

export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  exec: boolean;
}

export interface Matcher {
  ig: Ignore;
  roots: string[];
  patterns: string[];
  matches(rel: string, isDir?: boolean): boolean;
}

const GLOB = /[*?[\\]/;

/** Static directory prefix of a pattern ('' = whole tree). */
export function patternRoot(pattern: string): string {
  let p = pattern.trim();
  if (p.startsWith('!') || p === '' || p.startsWith('#')) return '';
  const anchored = p.replace(/\/+$/, '').includes('/');
  if (!anchored) return '';
  p = p.replace(/^\/+/, '').replace(/\/+$/, '');
  const parts = p.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (GLOB.test(part)) break;
    fixed.push(part);
  }
  // a fully literal pattern names a file or a directory: walk from it (walk copes with files)
  return fixed.join('/');
}

export function makeMatcher(patterns: string[]): Matcher {
  for (const p of patterns) {
    const core = p.replace(/^!/, '').replace(/^\/+/, '').replace(/\/+$/, '');
    if (core.split('/').some((c) => c === '..' || c.toLowerCase() === '.git') || core === '') {
      throw new GitreproError('GITREPRO_PATTERN_INVALID', `track pattern ${JSON.stringify(p)} is not usable`, { hint: 'use a path inside the work tree, not .git or ..' });
    }
  }
  const ig = ignore({ ignorecase: false }).add(patterns);
  const positive = patterns.filter((p) => !p.startsWith('!') && !p.startsWith('#') && p.trim());
  let roots = positive.map(patternRoot);
  if (roots.includes('')) roots = [''];
  roots = [...new Set(roots)].sort().filter((r, i, a) => !a.slice(0, i).some((q) => r.startsWith(q + '/')));
  return {
    ig,
    roots: positive.length ? roots : [],
    patterns,
    matches: (rel, isDir = false) => ig.ignores(isDir ? `${rel}/` : rel),
  };
}

export interface WalkResult {
  files: Map<string, FileStat>;
  skipped: { path: string; why: string }[];
}

/** The parts of an lstat a scan compares. */
export function toStat(st: Stats): FileStat {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, exec: (st.mode & 0o100) !== 0 };
}

/** Walks the pattern roots of `root` and returns every tracked regular file with its stat. */
export function walkTracked(root: string, m: Matcher): WalkResult {
  const files = new Map<string, FileStat>();
  const skipped: { path: string; why: string }[] = [];
  const visit = (rel: string, all: boolean): void => {
    let entries;
    try {
      entries = readdirSync(rel ? path.join(root, rel) : root, { withFileTypes: true });
    } catch {
      return;
    }
    const dir = rel ? path.join(root, rel) : root;
    for (const d of entries) {
      // gitrepro's own temp files (a killed restore's leftovers) are never data
      if (d.name.toLowerCase() === '.git' || d.name.startsWith(TEMP_PREFIX)) continue;
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) {
        if (/[\0\n\r]/.test(d.name)) {
          skipped.push({ path: r, why: 'control character in path' });
          continue;
        }
        if (all || m.matches(r, true)) visit(r, true);
        else visit(r, false);
      } else if (d.isFile()) {
        if (!all && !m.matches(r)) continue;
        // the parent chain was checked on the way down: only the name itself can be unsafe
        if (/[\0\n\r]/.test(d.name)) {
          skipped.push({ path: r, why: unsafePathReason(r) ?? 'unsafe name' });
          continue;
        }
        const st = lstatSync(`${dir}/${d.name}`, { throwIfNoEntry: false });
        if (st) files.set(r, toStat(st)); // else: vanished while walking
      } else if (d.isSymbolicLink() && (all || m.matches(r))) {
        skipped.push({ path: r, why: 'symbolic link (gitrepro stores regular files only)' });
      }
    }
  };
  for (const r of m.roots) {
    if (r === '') {
      visit('', false);
      continue;
    }
    let st: Stats;
    try {
      st = lstatSync(path.join(root, r));
    } catch {
      continue;
    }
    // the root's ancestors may themselves be matched by a directory pattern ("data/" matches "data")
    const all = m.matches(r, st.isDirectory()) || ancestorsMatch(m, r);
    if (st.isDirectory()) visit(r, all);
    else if (st.isFile() && (all || m.matches(r))) files.set(r, toStat(st));
  }
  return { files, skipped };
}

function ancestorsMatch(m: Matcher, rel: string): boolean {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) if (m.matches(parts.slice(0, i).join('/'), true)) return true;
  return false;
}

/**
 * True when `rel` is tracked data: it matches, or a directory above it does (as in git, a file
 * under a matched directory cannot be re-included by a `!` pattern).
 */
export function isTrackedPath(m: Matcher, rel: string): boolean {
  return m.matches(rel) || ancestorsMatch(m, rel);
}

/**
 * The same test as a rule over many paths (a snapshot's), memoized per directory: with a
 * directory pattern such as `/data/` each file costs a map lookup, not a pattern match.
 */
export function trackRule(m: Matcher): { file(rel: string): boolean; dir(rel: string): boolean } {
  const dirs = new Map<string, boolean>();
  const covered = (dir: string): boolean => {
    if (dir === '') return false;
    let c = dirs.get(dir);
    if (c === undefined) {
      const slash = dir.lastIndexOf('/');
      c = covered(slash < 0 ? '' : dir.slice(0, slash)) || m.matches(dir, true);
      dirs.set(dir, c);
    }
    return c;
  };
  return {
    dir: covered,
    file: (rel) => {
      const slash = rel.lastIndexOf('/');
      return covered(slash < 0 ? '' : rel.slice(0, slash)) || m.matches(rel);
    },
  };
}

/**
 * The directory of a repo-relative path, as path.posix.dirname gives it ('.' at the top), for
 * the loops over every path of a snapshot (path.posix.dirname cost 80 ms per 100,000 paths).
 */
export function parentDir(rel: string): string {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : rel.slice(0, i);
}

/** Stats a list of paths (restore, status of a subset). */
export function statPaths(root: string, rels: string[], dirs = new DirPresence(root)): Map<string, FileStat | undefined> {
  const out = new Map<string, FileStat | undefined>();
  for (const r of rels) {
    // under a directory that does not exist (a fresh clone's work tree) nothing does: no lstat each
    if (!dirs.exists(parentDir(r))) {
      out.set(r, undefined);
      continue;
    }
    try {
      const st = lstatSync(path.join(root, r));
      out.set(r, st.isFile() ? toStat(st) : undefined);
    } catch {
      out.set(r, undefined);
    }
  }
  return out;
}

/**
 * Whether directories under `root` exist, each looked at once (lstat: a symlink counts as
 * present, and whoever writes checks it). Answers "no" only for what was missing when asked.
 */
export class DirPresence {
  private known = new Map<string, boolean>([['.', true], ['', true]]);
  constructor(private readonly root: string) {}

  exists(rel: string): boolean {
    let v = this.known.get(rel);
    if (v !== undefined) return v;
    const parent = parentDir(rel);
    v = parent !== rel && !this.exists(parent) ? false : lstatSync(path.join(this.root, rel), { throwIfNoEntry: false }) !== undefined;
    this.known.set(rel, v);
    return v;
  }
}
