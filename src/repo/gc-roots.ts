/**
 * What gc must keep: the data objects that something a user can still reach names. Pure reading
 * of git and of gitrepro's own journals; nothing is removed here (ops/gc.ts removes).
 *
 *   refs (branches, tags, remote-tracking, stash, any other namespace)  ─┐
 *   reflog entries (git rev-list --reflog: every ref's, every HEAD's)    ├─► commits ─► gitrepro.lock ─┐
 *   each worktree's HEAD                                                 ─┘            + records' trees ├─► snapshot trees ─► objects
 *   each worktree's index (the staged gitrepro.lock, index.lock too)   ────────────────────────────────┤
 *   each worktree's scan state (the snapshot its work tree matched)    ────────────────────────────────┘
 *   the rescue journal (what `gitrepro recover` brings back)           ─────────────────────────────────────────────────► objects
 *   run records of those commits' records, and runs not yet committed  ─────────────────────────────────────────────────► objects
 *
 * The record refs themselves (refs/notes/*, refs/gitrepro/*, refs/gitrepro-remotes/*) are not
 * roots: the snapshot chain holds every snapshot ever taken, and keeping all of them would keep
 * everything. A snapshot tree a reachable commit names but this clone lacks makes the answer
 * unknown: that fails (GITREPRO_SNAPSHOT_INVALID, fetch the records), never guesses.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CatFile } from '../git/catfile.js';
import { listNotes, readNotes } from '../git/notes.js';
import { missingObjects } from '../git/refs.js';
import { git, gitMaybe } from '../git/run.js';
import { parseLock } from '../record/lock.js';
import { parseNote } from '../record/record.js';
import { LOCK_FILE } from '../record/rules.js';
import { trace } from '../trace.js';
import { readPendingRuns } from '../pipeline/runlog.js';
import { readRescues } from '../workspace/rescue.js';
import { readWorkState } from '../workspace/worktree-state.js';
import type { Repo } from './context.js';
import { commitData, snapshotObjects, type NeededObject } from './object-plan.js';

/** Ref namespaces that hold records, not history: never roots. */
export const RECORD_REF_PREFIXES = ['refs/notes/', 'refs/gitrepro/', 'refs/gitrepro-remotes/', 'refs/gitrepro-gc/'];

export interface Needs {
  objects: Map<string, NeededObject>;
  /** the snapshot trees that were roots (for who-needed-what of the rest) */
  trees: Set<string>;
  commits: number;
  worktrees: number;
  rescued: number;
}

interface Worktree {
  path: string;
  head?: string;
}

/** `git worktree list --porcelain`: the main worktree first; bare and vanished ones left out. */
export async function worktrees(repo: Repo): Promise<Worktree[]> {
  const out = await git(repo.root, ['worktree', 'list', '--porcelain']);
  const list: (Worktree & { bare?: boolean })[] = [];
  for (const line of out.split('\n')) {
    if (line.startsWith('worktree ')) list.push({ path: line.slice('worktree '.length) });
    else if (line.startsWith('HEAD ') && list.length && !/^0+$/.test(line.slice(5))) list[list.length - 1]!.head = line.slice(5); // all zeros: unborn
    else if (line === 'bare' && list.length) list[list.length - 1]!.bare = true;
  }
  return list.filter((w) => !w.bare && existsSync(w.path));
}

/** Tips of every ref outside the record namespaces that lead to a commit (tags are peeled). */
export async function refTips(repo: Repo, under?: string): Promise<string[]> {
  const out = await git(repo.root, ['for-each-ref', '--format=%(objectname) %(objecttype) %(*objecttype) %(refname)', ...(under ? [under] : [])]);
  const tips: string[] = [];
  for (const line of out.split('\n')) {
    const [oid, type, peeled, ref] = line.split(' ');
    if (!oid || !ref) continue;
    const name = under ? `refs/${ref.slice(under.length)}` : ref;
    if (RECORD_REF_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (type === 'commit' || (type === 'tag' && peeled === 'commit')) tips.push(oid);
  }
  return tips;
}

/** Snapshot trees of the gitrepro.lock staged in a worktree's index (every stage of a conflict), and in index.lock while a git command holds it. */
async function indexTrees(wt: string, cat: CatFile): Promise<string[]> {
  const gitDir = await git(wt, ['rev-parse', '--absolute-git-dir']);
  const blobs: string[] = [];
  for (const index of [undefined, path.join(gitDir, 'index.lock')]) {
    if (index && !existsSync(index)) continue;
    const out = await gitMaybe(wt, ['ls-files', '-s', '--', LOCK_FILE], index ? { env: { GIT_INDEX_FILE: index } } : {});
    for (const line of (out ?? '').split('\n')) {
      const oid = line.split(/\s+/)[1];
      if (oid) blobs.push(oid);
    }
  }
  const trees: string[] = [];
  for (const oid of blobs) {
    const o = await cat.read(oid);
    const p = o ? parseLock(o.content.toString('utf8')) : undefined;
    if (p?.ok) trees.push(p.value.tree);
  }
  const state = await readWorkState(path.join(gitDir, 'gitrepro'));
  if (state.tree) trees.push(state.tree);
  return trees;
}

/**
 * Every object the roots above name. `extraTips`: more commits to keep (the refs of a Git
 * remote as just fetched, for a store remote's gc).
 */
export async function neededObjects(repo: Repo, o: { extraTips?: string[] } = {}): Promise<Needs> {
  const tips = [...(await refTips(repo)), ...(o.extraTips ?? [])];
  const wts = await worktrees(repo);
  for (const w of wts) if (w.head) tips.push(w.head);
  const revs = [...new Set(tips)];
  const listed0 = await git(repo.root, ['rev-list', '--reflog', '--stdin'], { input: revs.map((r) => `${r}\n`).join('') });
  let listed = listed0;
  // other worktrees' HEAD reflogs (rev-list --reflog in one worktree may not list them on every git version)
  for (const w of wts.slice(1)) listed += '\n' + ((await gitMaybe(w.path, ['rev-list', '--walk-reflogs', '--ignore-missing', 'HEAD'])) ?? '');
  const commits = [...new Set(listed.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)))];
  trace(`gc roots: ${commits.length} commits`);
  const trees = new Set<string>();
  for (const d of await commitData(repo, commits)) if (d.lock) trees.add(d.lock.tree);
  // records name snapshot trees too (a record written `--from` another commit's data)
  const noted = await listNotes(repo.root);
  const withNotes = commits.filter((c) => noted.has(c));
  // run records name the objects of their inputs and outputs (the run cache restores outputs from them)
  const ran = new Map<string, string>();
  const addRun = (run: { deps: Record<string, string>; outs: Record<string, string> }): void => {
    for (const [p, sha] of [...Object.entries(run.deps), ...Object.entries(run.outs)]) ran.set(sha, p);
  };
  for (const text of (await readNotes(repo.root, withNotes)).values()) {
    const p = parseNote(text);
    if (p.ok) {
      for (const r of p.records) {
        trees.add(r.data.tree);
        for (const run of r.runs ?? []) addRun(run);
      }
    }
  }
  for (const pending of await readPendingRuns(repo.sharedDir)) addRun(pending.run);
  const cat = new CatFile(repo.root);
  const local: string[] = [];
  try {
    for (const w of wts) local.push(...(await indexTrees(w.path, cat)));
  } finally {
    cat.close();
  }
  // a worktree's scan state is rebuildable: a tree of it this clone lost is no reason to fail
  const lost = await missingObjects(repo.root, local);
  for (const t of local) if (!lost.has(t)) trees.add(t);
  trace(`gc roots: ${trees.size} snapshots`);
  const objects = trees.size ? await snapshotObjects(repo, { full: [...trees] }) : new Map<string, NeededObject>();
  for (const [sha, p] of ran) if (!objects.has(sha)) objects.set(sha, { sha256: sha, size: -1, path: p });
  let rescued = 0;
  for (const e of await readRescues(repo.sharedDir)) {
    rescued++;
    if (!objects.has(e.sha256)) objects.set(e.sha256, { sha256: e.sha256, size: e.size, path: e.path });
  }
  return { objects, trees, commits: commits.length, worktrees: wts.length, rescued };
}

export interface NeededBy {
  commit: string;
  date: string;
  subject: string;
}

/**
 * For objects no root needs: the oldest and the newest commit whose record named them (from
 * refs/notes/gitrepro; commits that no longer exist are left out). Objects no record names get
 * nothing ("no commit"). Bounded: past `maxTrees` dead snapshots, the rest is not looked at.
 */
export async function whoNeeded(repo: Repo, garbage: Set<string>, live: Set<string>, maxTrees = 2000): Promise<Map<string, { first: NeededBy; last: NeededBy }>> {
  const out = new Map<string, { first: NeededBy; last: NeededBy }>();
  if (garbage.size === 0) return out;
  const noted = await listNotes(repo.root);
  const byTree = new Map<string, string[]>();
  for (const [commit, text] of await readNotes(repo.root, [...noted.keys()])) {
    const p = parseNote(text);
    if (!p.ok) continue;
    for (const r of p.records) if (!live.has(r.data.tree)) byTree.set(r.data.tree, [...(byTree.get(r.data.tree) ?? []), commit]);
  }
  const dead = [...byTree.keys()].slice(0, maxTrees);
  const absent = await missingObjects(repo.root, dead);
  const have = dead.filter((t) => !absent.has(t));
  if (have.length === 0) return out;
  const commits = [...new Set(have.flatMap((t) => byTree.get(t)!))];
  const info = new Map<string, NeededBy & { ts: number }>();
  const log = await gitMaybe(repo.root, ['log', '--no-walk=unsorted', '--ignore-missing', '--format=%H %ct %cI %s', ...commits]);
  for (const line of (log ?? '').split('\n')) {
    const m = /^([0-9a-f]+) (\d+) (\S+) ?(.*)$/.exec(line);
    if (m) info.set(m[1]!, { commit: m[1]!, ts: Number(m[2]), date: m[3]!, subject: m[4]! });
  }
  for (const tree of have) {
    const cs = byTree.get(tree)!.map((c) => info.get(c)).filter((x): x is NeededBy & { ts: number } => x !== undefined);
    if (cs.length === 0) continue;
    // only what this snapshot holds and no live one does (git subtracts at C speed)
    const objs = await snapshotObjects(repo, { full: [], delta: [tree], base: [...live] });
    for (const sha of objs.keys()) {
      if (!garbage.has(sha)) continue;
      for (const c of cs) {
        const cur = out.get(sha);
        const v = { commit: c.commit, date: c.date, subject: c.subject };
        if (!cur) out.set(sha, { first: v, last: v });
        else {
          if (c.ts < (info.get(cur.first.commit)?.ts ?? Infinity)) cur.first = v;
          if (c.ts > (info.get(cur.last.commit)?.ts ?? -Infinity)) cur.last = v;
        }
      }
    }
  }
  return out;
}
