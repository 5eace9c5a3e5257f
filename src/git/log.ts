/** Commits of a range with what a table of them shows: id, first parent, date, author, subject. */
import { GitreproError } from '../errors.js';
import { runGit } from './run.js';

export interface CommitInfo {
  commit: string;
  /** first parent (undefined for a root commit) */
  parent?: string;
  /** committer date, strict ISO 8601 */
  date: string;
  author: string;
  subject: string;
}

/**
 * `git log` over `range` (`a..b`, `a...b`, or a revision and its history), newest first.
 * A range that names no commit throws GITREPRO_BAD_REVISION.
 */
export async function commitLog(cwd: string, range: string, maxCount?: number): Promise<CommitInfo[]> {
  if (range.startsWith('-')) throw new GitreproError('GITREPRO_BAD_REVISION', `${range} is not a revision range`, { hint: 'pass a range like HEAD~10..HEAD, or a branch' });
  // %x1f between fields, %x1e after each commit: subjects can hold anything but these
  const args = ['log', '--no-color', '--format=%H%x1f%P%x1f%cI%x1f%an%x1f%s%x1e', ...(maxCount ? ['-n', String(maxCount)] : []), range, '--'];
  const r = await runGit(cwd, args, { ok: [0, 128] });
  if (r.code !== 0) {
    throw new GitreproError('GITREPRO_BAD_REVISION', `${range} does not name commits: ${r.stderr.trim().split('\n')[0]}`, { hint: 'pass a range like HEAD~10..HEAD, or a branch (see `git log`)' });
  }
  const out: CommitInfo[] = [];
  for (const rec of r.stdout.toString('utf8').split('\x1e')) {
    const f = rec.replace(/^\n/, '').split('\x1f');
    if (f.length < 5 || !f[0]) continue;
    out.push({ commit: f[0], parent: f[1].split(' ')[0] || undefined, date: f[2], author: f[3], subject: f[4] });
  }
  return out;
}
