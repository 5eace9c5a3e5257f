/**
 * Planning transfers: which commits a push or fetch concerns (and, for the pre-push gate,
 * which of them lack a lock or a valid record), their locks, and which data
 * objects their snapshots reference. Pure reading of git; nothing moves here.
 *
 * Objects come from `git rev-list --objects` over snapshot trees, which walks each tree once
 * and dedups blobs at C speed; `--not <trees>` leaves out everything the base snapshots already
 * reference (unchanged files of a new commit). Each blob is a pointer (sha256 + size).
 */
import { GitreproError } from '../errors.js';
import { CatFile } from '../git/catfile.js';
import { missingObjects } from '../git/refs.js';
import { readNotes } from '../git/notes.js';
import { knownPointers, readPointers, readSnapshot } from '../git/snapshot.js';
import { git } from '../git/run.js';
import { revListBlobs } from '../git/revs.js';
import { parseLock, type Lock } from '../record/lock.js';
import { CONFIG_FILE, LOCK_FILE } from '../record/rules.js';
import type { Repo } from './context.js';
import { trace } from '../trace.js';

export interface CommitData {
  commit: string;
  lock?: Lock;
  lockError?: string;
  /** the commit is under gitrepro: its tree has gitrepro.yaml or gitrepro.lock */
  adopted: boolean;
}

/** Locks of many commits at once (one cat-file process). */
export async function commitData(repo: Repo, commits: string[]): Promise<CommitData[]> {
  if (commits.length === 0) return [];
  const cat = new CatFile(repo.root);
  try {
    const [locks, configs] = await Promise.all([
      Promise.all(commits.map((c) => cat.read(`${c}:${LOCK_FILE}`))),
      Promise.all(commits.map((c) => cat.read(`${c}:${CONFIG_FILE}`))),
    ]);
    return commits.map((commit, i) => {
      const out: CommitData = { commit, adopted: Boolean(locks[i] || configs[i]) };
      const l = locks[i];
      if (l) {
        const p = parseLock(l.content.toString('utf8'));
        if (p.ok) out.lock = p.value;
        else out.lockError = p.error;
      }
      return out;
    });
  } finally {
    cat.close();
  }
}

export interface NeededObject {
  sha256: string;
  size: number;
  /** a data path that holds it (for messages) */
  path: string;
}

/**
 * The objects referenced by snapshot trees `full`, plus those of `delta` that the trees `base`
 * do not reference. Throws GITREPRO_SNAPSHOT_INVALID when a tree is not in the local git
 * database (its records were never fetched) or holds something other than pointers.
 */
export async function snapshotObjects(repo: Repo, o: { full: string[]; delta?: string[]; base?: string[] }): Promise<Map<string, NeededObject>> {
  const full = [...new Set(o.full)];
  const delta = [...new Set(o.delta ?? [])].filter((t) => !full.includes(t));
  const absent = await missingObjects(repo.root, [...full, ...delta]);
  if (absent.size) {
    const t = [...absent][0]!;
    throw new GitreproError('GITREPRO_SNAPSHOT_INVALID', `snapshot ${t.slice(0, 12)} is not in this clone (${absent.size} snapshot(s) missing)`, {
      hint: 'fetch the records from the Git remote: `gitrepro fetch` (or `git fetch` after `gitrepro install`)',
      data: { trees: [...absent] },
    });
  }
  // blobs only (the trees asked about are listed too, under an empty name): a tree is never read
  const asked = new Set([...full, ...delta]);
  const listed = new Map<string, string>();
  const list = async (args: string[]): Promise<void> => {
    for (const [oid, name] of await revListBlobs(repo.root, args)) if (!listed.has(oid) && !asked.has(oid)) listed.set(oid, name);
  };
  if (full.length) await list(full);
  if (delta.length) {
    // a base snapshot this clone lacks cannot be subtracted: its objects are then checked too
    const base = [...new Set(o.base ?? [])];
    const baseMissing = await missingObjects(repo.root, base);
    const not = base.filter((b) => !baseMissing.has(b));
    await list([...delta, ...(not.length ? ['--not', ...not] : [])]);
  }
  const out = new Map<string, NeededObject>();
  if (listed.size === 0) return out;
  const inStore = await knownPointers([...listed.keys()], [() => repo.store.packs.entries()]);
  const ask = [...listed.keys()].filter((oid) => !inStore.has(oid));
  const ptrs = await readPointers(repo.root, ask, undefined, (oid) => `entry ${JSON.stringify(listed.get(oid)!.slice(0, 200))}`);
  trace(`snapshot objects: ${listed.size} pointer(s), ${listed.size - ask.length} known from the local packs, ${ask.length} read from git`);
  for (const [oid, p] of listed) {
    const ptr = inStore.get(oid) ?? ptrs.get(oid)!;
    if (!out.has(ptr.sha256)) out.set(ptr.sha256, { sha256: ptr.sha256, size: ptr.size, path: p });
  }
  return out;
}

/**
 * The objects of snapshot trees `trees` at the paths `only` accepts (a sparse clone's filter, or
 * paths named on the command line): every path of each tree is looked at, since one pointer blob
 * can sit at an accepted path and at another.
 */
export async function snapshotObjectsAt(repo: Repo, trees: string[], only: (p: string) => boolean): Promise<Map<string, NeededObject>> {
  const out = new Map<string, NeededObject>();
  for (const tree of [...new Set(trees)]) {
    for (const [p, e] of await readSnapshot(repo.root, tree)) if (only(p) && !out.has(e.sha256)) out.set(e.sha256, { sha256: e.sha256, size: e.size, path: p });
  }
  return out;
}

/** Commits of `tips` not reachable from `exclude` (revisions or --remotes=...), and the boundary. */
export async function newCommits(repo: Repo, tips: string[], exclude: string[]): Promise<{ commits: string[]; boundary: string[] }> {
  if (tips.length === 0) return { commits: [], boundary: [] };
  const out = await git(repo.root, ['rev-list', '--boundary', ...tips, ...(exclude.length ? ['--not', ...exclude] : [])]);
  const commits: string[] = [];
  const boundary: string[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    if (line.startsWith('-')) boundary.push(line.slice(1));
    else commits.push(line);
  }
  return { commits, boundary };
}

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
  trace(`planned: ${mine.length} commit(s), ${objects.size} object(s) in their snapshots`);
  return { commits: mine.map((d) => d.commit), problems, objects };
}

async function addSubjects(repo: Repo, problems: GateProblem[]): Promise<void> {
  const ids = [...new Set(problems.map((p) => p.commit))];
  const out = await git(repo.root, ['log', '--no-walk=unsorted', '--format=%H %s', ...ids]);
  const subj = new Map(out.split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const));
  for (const p of problems) p.subject = subj.get(p.commit) ?? '';
}
