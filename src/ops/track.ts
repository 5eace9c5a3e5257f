/**
 * `gitrepro track` / `untrack`: gitignore-syntax patterns kept in gitrepro.yaml's `track:` list
 * and mirrored into the managed block of .gitignore.
 */
import { existsSync, statSync } from 'node:fs';
import { GitreproError } from '../errors.js';
import path from 'node:path';
import YAML from 'yaml';
import { git } from '../git/run.js';
import { editConfig, syncGitignore } from '../workspace/config.js';
import { clearWorkState } from '../workspace/worktree-state.js';
import { isTrackedPath, makeMatcher } from '../workspace/walk.js';
import { openRepo } from '../repo/context.js';
import { acceptOwnEdit } from '../repo/trust.js';

export interface TrackResult {
  patterns: string[];
  added: string[];
  removed: string[];
  /** files matching the patterns that git already tracks: they need `git rm --cached` */
  inGit: string[];
  /** things worth a word (a path that does not exist yet) */
  warnings?: string[];
}

async function setPatterns(cwd: string, edit: (cur: string[]) => string[]): Promise<TrackResult> {
  const repo = await openRepo(cwd);
  const before = repo.config.track;
  const after = edit([...before]);
  makeMatcher(after); // validates
  const cfg = await editConfig(repo.root, (doc) => {
    doc.set('track', doc.createNode(after));
    const node = doc.get('track', true);
    if (YAML.isSeq(node)) node.flow = false;
  });
  await syncGitignore(repo.root, cfg.track);
  await acceptOwnEdit(repo, repo.config, cfg);
  await clearWorkState(repo.stateDir);
  const m = makeMatcher(cfg.track);
  const cached = (await git(repo.root, ['ls-files', '-z', '-c'])).split('\0').filter(Boolean);
  const inGit = cached.filter((p) => isTrackedPath(m, p));
  return {
    patterns: cfg.track,
    added: after.filter((p) => !before.includes(p)),
    removed: before.filter((p) => !after.includes(p)),
    inGit,
  };
}

/**
 * A pattern without glob characters that names a directory (`data/`, existing or not) or an
 * existing file means "this path" (as `dvc add` or `git add` would take it): it is anchored to
 * the repository root, so `gitrepro track data/` in a subdirectory tracks exactly that directory
 * and hooks walk only it. In gitignore syntax a lone `data/` would match at any depth.
 */
export function normalizePattern(root: string, cwd: string, pattern: string): string {
  // an absolute path inside the work tree means that path: anchored at the root
  if (pattern.startsWith(`${root}/`)) pattern = pattern.slice(root.length);
  if (/[*?[\\!#]/.test(pattern) || pattern.startsWith('/')) return pattern;
  const abs = path.resolve(cwd, pattern);
  const rel = path.relative(root, abs).split(path.sep).join('/');
  if (rel === '..' || rel.startsWith('../') || path.isAbsolute(rel)) {
    throw new GitreproError('GITREPRO_USAGE', `${pattern} is outside the work tree (${root})`, { hint: 'track paths inside the repository (copy or move the data in, then track it)' });
  }
  if (!rel) return pattern;
  // `data/` names a directory here even before it exists (a fresh project): anchor it, so the
  // hooks watch only it (measured: an unanchored `data/` sends every code commit to node, 0.21 s
  // instead of 0.037 s). A bare name that does not exist keeps git's any-depth meaning.
  if (pattern.endsWith('/')) return `/${rel}/`;
  if (!existsSync(abs)) return pattern;
  return `/${rel}${statSync(abs).isDirectory() ? '/' : ''}`;
}

export async function track(opts: { cwd: string; patterns: string[] }): Promise<TrackResult> {
  const root = (await openRepo(opts.cwd)).root;
  const want = opts.patterns.map((p) => normalizePattern(root, opts.cwd, p));
  // a plain path that does not exist yet is tracked all the same, with a word (a typo is common)
  const warnings = opts.patterns
    .filter((p, i) => !/[*?[\\!#]/.test(p) && !existsSync(path.join(root, want[i]!.replace(/^\/+/, ''))) && !existsSync(path.resolve(opts.cwd, p)))
    .map((p) => `${p} does not exist yet: it is tracked once it does`);
  const r = await setPatterns(opts.cwd, (cur) => [...cur, ...want.filter((p, i, a) => !cur.includes(p) && a.indexOf(p) === i)]);
  return { ...r, warnings };
}

export async function untrack(opts: { cwd: string; patterns: string[] }): Promise<TrackResult> {
  const root = (await openRepo(opts.cwd)).root;
  const drop = new Set([...opts.patterns, ...opts.patterns.map((p) => normalizePattern(root, opts.cwd, p))]);
  return setPatterns(opts.cwd, (cur) => cur.filter((p) => !drop.has(p)));
}
