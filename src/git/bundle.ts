/**
 * `git bundle` of the record refs, the git part of a gitrepro bundle archive: native git writes
 * and checks it (every object, connectivity, and on fetch the object format), so the archive
 * never carries raw git objects of its own making.
 */
import { git, runGit } from './run.js';

/** Writes a git bundle of `refs` (full history: a snapshot chain has no prerequisite) to `file`. */
export async function createGitBundle(cwd: string, file: string, refs: string[]): Promise<void> {
  await git(cwd, ['bundle', 'create', '--quiet', file, ...refs]);
}

/**
 * The refs a git bundle file offers (`git bundle list-heads`, which needs no repository), or
 * the first line of git's complaint when the file is not a bundle.
 */
export async function gitBundleHeads(cwd: string, file: string): Promise<{ heads: Map<string, string> } | { error: string }> {
  const r = await runGit(cwd, ['bundle', 'list-heads', file], { ok: [0, 1, 128, 129] });
  if (r.code !== 0) return { error: r.stderr.trim().split('\n')[0] || `exit ${r.code}` };
  const heads = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) heads.set(line.slice(sp + 1), line.slice(0, sp));
  }
  return { heads };
}

/** The root trees of every commit of `ref` (a snapshot chain: each commit holds one snapshot). */
export async function chainTrees(cwd: string, ref: string): Promise<Set<string>> {
  const out = await git(cwd, ['log', '--format=%T', ref]);
  return new Set(out.split('\n').filter(Boolean));
}
