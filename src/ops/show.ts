/** `gitrepro show` and `gitrepro log`: records of commits, after completing the journal. */
import { CatFile } from '../git/catfile.js';
import { readNotes } from '../git/notes.js';
import { resolveCommit, revList } from '../git/revs.js';
import { LOCK_FILE, parseLock, parseNote, type GitreproRecord, type Lock } from '../record/index.js';
import { openRepo, type Repo } from '../repo/context.js';
import { completePending } from '../repo/record-io.js';

export interface CommitRecords {
  commit: string;
  lock?: Lock;
  lockError?: string;
  records: GitreproRecord[];
  recordError?: string;
}

async function describe(repo: Repo, commits: string[]): Promise<CommitRecords[]> {
  const notes = await readNotes(repo.root, commits);
  const cat = new CatFile(repo.root);
  try {
    const locks = await Promise.all(commits.map((c) => cat.read(`${c}:${LOCK_FILE}`)));
    return commits.map((commit, i) => {
      const out: CommitRecords = { commit, records: [] };
      const l = locks[i];
      if (l) {
        const p = parseLock(l.content.toString('utf8'));
        if (p.ok) out.lock = p.value;
        else out.lockError = p.error;
      }
      const n = notes.get(commit);
      if (n !== undefined) {
        const p = parseNote(n);
        if (p.ok) out.records = p.records;
        else out.recordError = p.error;
      }
      return out;
    });
  } finally {
    cat.close();
  }
}

export async function show(opts: { cwd: string; rev?: string }): Promise<CommitRecords> {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const commit = await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  return (await describe(repo, [commit]))[0];
}

export async function log(opts: { cwd: string; rev?: string; maxCount?: number }): Promise<CommitRecords[]> {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const tip = await resolveCommit(repo.root, opts.rev ?? 'HEAD');
  const commits = await revList(repo.root, [...(opts.maxCount ? ['-n', String(opts.maxCount)] : []), tip]);
  return describe(repo, commits);
}
