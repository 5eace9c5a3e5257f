/**
 * Pushing data: make sure a store remote holds every object that commits reference.
 * `gitrepro push [<remote>] [<rev>...|--all]` and the pre-push gate (prepush.ts) both plan with
 * `planCommits` and transfer with `ensureOnRemote`.
 *
 * Which objects: the whole snapshot of each tip pushed, plus, for the other new commits, the
 * objects their snapshots add over the snapshots the remote side already has (the boundary).
 * Which of those to send: the known-objects cache answers first without any network call; the
 * rest are asked of the remote in one batched `has`, and the missing ones are uploaded.
 */
import { GitreproError } from '../errors.js';
import { readNotes } from '../git/notes.js';
import { resolveCommit } from '../git/revs.js';
import { git } from '../git/run.js';
import { KnownCache } from '../store/known.js';
import { trace } from '../trace.js';
import type { Reporter, Repo } from './context.js';
import { openRepo, requireSetUp } from './context.js';
import { commitData, newCommits, snapshotObjects, type NeededObject } from './objects.js';
import { defaultGitRemote, pushRecords, type PushRecordsResult } from './records-sync.js';
import { knownFile, openStoreRemote, resolveStoreRemote, splitRemoteArgs } from './remote.js';
import { uploadObjects } from './transfers.js';

export type GateProblemKind = 'no-lock' | 'invalid-lock' | 'no-record' | 'invalid-record';

export interface GateProblem {
  commit: string;
  subject: string;
  problem: GateProblemKind;
  detail?: string;
}

export interface CommitPlan {
  /** new commits under gitrepro (commits from before the project adopted gitrepro are left out) */
  commits: string[];
  problems: GateProblem[];
  objects: Map<string, NeededObject>;
}

/**
 * The commits of `tips` not reachable from `exclude`, checked (with `gate`) for a lock and a
 * valid record, and the objects their snapshots need on a remote.
 */
export async function planCommits(repo: Repo, tips: string[], exclude: string[], o: { gate: boolean; all?: boolean; includeTips?: boolean }): Promise<CommitPlan> {
  const { commits, boundary } = await newCommits(repo, tips, exclude);
  // with includeTips, a tip the remote-tracking branches already hold still counts (its snapshot in full)
  const extra = o.includeTips ? tips.filter((t) => !commits.includes(t)) : [];
  const data = await commitData(repo, [...commits, ...boundary, ...extra]);
  const isNew = new Set([...commits, ...extra]);
  const mine = data.filter((d) => isNew.has(d.commit) && d.adopted);
  const problems: GateProblem[] = [];
  const recordTrees: string[] = [];
  if (o.gate && mine.length) {
    const { parseNote } = await import('../record/record.js');
    const notes = await readNotes(repo.root, mine.map((d) => d.commit));
    for (const d of mine) {
      if (d.lockError) problems.push({ commit: d.commit, subject: '', problem: 'invalid-lock', detail: d.lockError });
      else if (!d.lock) problems.push({ commit: d.commit, subject: '', problem: 'no-lock' });
      const text = notes.get(d.commit);
      if (text === undefined) problems.push({ commit: d.commit, subject: '', problem: 'no-record' });
      else {
        const p = parseNote(text);
        if (!p.ok) problems.push({ commit: d.commit, subject: '', problem: 'invalid-record', detail: p.error });
        else for (const r of p.records) if (r.data.tree !== d.lock?.tree) recordTrees.push(r.data.tree);
      }
    }
    if (problems.length) await addSubjects(repo, problems);
  }
  const tipSet = new Set(tips);
  const full: string[] = [...recordTrees];
  const delta: string[] = [];
  for (const d of mine) {
    if (!d.lock) continue;
    if (o.all || tipSet.has(d.commit)) full.push(d.lock.tree);
    else delta.push(d.lock.tree);
  }
  const base = data.filter((d) => !isNew.has(d.commit) && d.lock).map((d) => d.lock!.tree);
  const objects = full.length || delta.length ? await snapshotObjects(repo, { full, delta, base }) : new Map<string, NeededObject>();
  return { commits: mine.map((d) => d.commit), problems, objects };
}

async function addSubjects(repo: Repo, problems: GateProblem[]): Promise<void> {
  const ids = [...new Set(problems.map((p) => p.commit))];
  const out = await git(repo.root, ['log', '--no-walk=unsorted', '--format=%H %s', ...ids]);
  const subj = new Map(out.split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const));
  for (const p of problems) p.subject = subj.get(p.commit) ?? '';
}

export interface EnsureResult {
  /** the store remote used (undefined: nothing needed one) */
  remote?: string;
  location?: string;
  needed: number;
  /** found in the known-objects cache: no call made for them */
  known: number;
  /** found on the remote by `has` */
  present: number;
  uploaded: NeededObject[];
  bytes: number;
  failed: { object: NeededObject; error: GitreproError }[];
  /** policy.pushMissing=refuse: objects the remote lacks, not uploaded */
  refused: NeededObject[];
  /** false when the store remote was not asked anything */
  contacted: boolean;
}

export interface EnsureOptions {
  remote?: string;
  env: NodeJS.ProcessEnv;
  reporter?: Reporter;
  /** do not upload: report what the remote lacks (policy.pushMissing=refuse) */
  refuse?: boolean;
  /** ignore the known-objects cache */
  recheck?: boolean;
}

/** Makes the store remote hold `objects`: cache, then one batched `has`, then uploads. */
export async function ensureOnRemote(repo: Repo, objects: Map<string, NeededObject>, o: EnsureOptions): Promise<EnsureResult> {
  const res: EnsureResult = { needed: objects.size, known: 0, present: 0, uploaded: [], bytes: 0, failed: [], refused: [], contacted: false };
  if (objects.size === 0) return res;
  const info = await resolveStoreRemote(repo, o.remote);
  const remote = await openStoreRemote(repo, info, o.env);
  try {
    res.remote = info.name;
    res.location = remote.display;
    const known = await KnownCache.load(knownFile(repo, info.name), remote.display);
    const unknown = [...objects.values()].filter((x) => o.recheck || !known.has(x.sha256));
    res.known = objects.size - unknown.length;
    if (unknown.length === 0) return res;
    res.contacted = true;
    const present = await remote.has(unknown.map((x) => x.sha256));
    trace(`store remote: has ${present.size} of ${unknown.length}`);
    await known.add(present);
    res.present = present.size;
    const missing = unknown.filter((x) => !present.has(x.sha256));
    if (o.recheck) await known.forget(missing.map((x) => x.sha256));
    if (missing.length === 0) return res;
    if (o.refuse) {
      res.refused = missing;
      return res;
    }
    const moved = await uploadObjects(repo, remote, missing, { jobs: repo.config.policy.jobs, reporter: o.reporter, known, env: o.env });
    res.uploaded = moved.ok;
    res.bytes = moved.bytes;
    res.failed = moved.failed;
    return res;
  } finally {
    await remote.close();
  }
}

export interface PushOptions {
  cwd: string;
  /** `[<remote>] [<rev>...]`: the first names a store remote when one has that name */
  args?: string[];
  /** every commit of every branch and tag */
  all?: boolean;
  recheck?: boolean;
  /** also push the record refs to this Git remote (true: the branch's, else origin) */
  records?: boolean | string;
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
}

export interface PushResult extends EnsureResult {
  commits: number;
  records?: PushRecordsResult & { gitRemote: string };
}

/**
 * `gitrepro push`: uploads the objects of `<rev>...` (default HEAD) and of their ancestors that
 * no remote-tracking branch has yet, or with `all` of every branch and tag.
 */
export async function push(o: PushOptions): Promise<PushResult> {
  const repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const { remote, revs } = await splitRemoteArgs(repo, o.args ?? []);
  if (o.all && revs.length) throw new GitreproError('GITREPRO_USAGE', 'name revisions or pass --all, not both', { hint: 'gitrepro push [<remote>] [<rev>...|--all]' });
  let plan;
  if (o.all) {
    const tips = (await git(repo.root, ['for-each-ref', '--format=%(objectname)^{commit}', 'refs/heads', 'refs/tags'])).split('\n').filter(Boolean);
    const commits = await Promise.all(tips.map((t) => resolveCommit(repo.root, t).catch(() => undefined)));
    plan = await planCommits(repo, [...new Set(commits.filter((c): c is string => c !== undefined))], [], { gate: false, all: true });
  } else {
    const tips = await Promise.all((revs.length ? revs : ['HEAD']).map((r) => resolveCommit(repo.root, r)));
    plan = await planCommits(repo, tips, ['--remotes'], { gate: false, includeTips: true });
  }
  const env = o.env ?? process.env;
  const res: PushResult = { ...(await ensureOnRemote(repo, plan.objects, { remote, env, reporter: o.reporter, recheck: o.recheck })), commits: plan.commits.length };
  if (o.records && res.failed.length === 0) {
    const gitRemote = typeof o.records === 'string' ? o.records : await defaultGitRemote(repo);
    if (!gitRemote) throw new GitreproError('GITREPRO_USAGE', 'no Git remote to push the records to', { hint: 'add one (`git remote add origin <url>`) or name it: --records <remote>' });
    res.records = { ...(await pushRecords(repo, gitRemote)), gitRemote };
  }
  return res;
}
