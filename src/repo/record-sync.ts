/**
 * Records travel with the code: `refs/notes/gitrepro` and `refs/gitrepro/snapshots` are pushed
 * to, and fetched from, the same Git remote. They are never fetched straight into the local refs
 * (a forced fetch would drop local records). Instead:
 *
 *   remote refs/notes/gitrepro      --fetch-->  refs/notes/gitrepro-remotes/<remote>
 *   remote refs/gitrepro/snapshots  --fetch-->  refs/gitrepro-remotes/<remote>/snapshots
 *
 * and `mergeRecords` joins each tracking ref into its local ref:
 *
 *   local  A---B---M      M has both tips as parents, so every record and every snapshot of
 *           \     /       both sides stays reachable; notes are a union (one note per commit;
 *   remote   C---D        when both sides noted the same commit differently, the note becomes a
 *                         JSON array holding every distinct record: none is dropped).
 *
 * Every local ref update is a compare-and-swap; a lost race recomputes. A rejected records push
 * (someone pushed first) fetches, merges and retries, a bounded number of times; it never forces.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError, isGitreproError } from '../errors.js';
import { CatFile } from '../git/catfile.js';
import { noteEntries, notesDiff, writeNotesCommit, type NoteChange, type NoteEntry } from '../git/notesmerge.js';
import { casRef, commitTree, configGetAll, configSet, gitRemoteNames, isAncestor, listRefs, readRef, upstreamRemote } from '../git/refs.js';
import { gitMaybe } from '../git/run.js';
import { fetchRefs, isStaleRejection, pushRefs } from '../git/transport.js';
import { NOTES_REF, SNAPSHOTS_REF } from '../record/rules.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import type { Repo } from './context.js';

/** Set on the nested `git push` of the record refs: the pre-push hook then does nothing. */
export const RECORDS_PUSH_ENV = 'GITREPRO_RECORDS_PUSH';
const MAX_ATTEMPTS = 5;

/** The name record refs of `remote` are tracked under: the remote's name, or for a URL a digest of it. */
export function trackingName(remote: string, knownRemotes: string[]): string {
  if (knownRemotes.includes(remote) && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote)) return remote;
  return `url-${createHash('sha256').update(remote).digest('hex').slice(0, 12)}`;
}

export function trackingRefs(name: string): { notes: string; snapshots: string } {
  return { notes: `refs/notes/gitrepro-remotes/${name}`, snapshots: `refs/gitrepro-remotes/${name}/snapshots` };
}

/**
 * The fetch refspecs for the record refs. Wildcards on purpose: measured with git 2.39, an exact
 * refspec in remote.<name>.fetch whose source the remote lacks ("couldn't find remote ref") fails
 * every plain `git fetch` and `git pull` of a remote that has no records yet; a wildcard that
 * matches nothing is quietly skipped.
 */
export function recordRefspecs(name: string): string[] {
  return [`+refs/notes/gitrepro*:refs/notes/gitrepro-remotes/${name}*`, `+refs/gitrepro/*:refs/gitrepro-remotes/${name}/*`];
}

/** Adds the record refspecs to remote.<name>.fetch (idempotent), so plain `git fetch` brings records. */
export async function ensureFetchRefspecs(repo: Repo, remote: string): Promise<boolean> {
  const have = await configGetAll(repo.root, `remote.${remote}.fetch`);
  let added = false;
  for (const spec of recordRefspecs(remote)) {
    if (have.includes(spec)) continue;
    await configSet(repo.root, `remote.${remote}.fetch`, spec, true);
    added = true;
  }
  return added;
}

/** The Git remote records come from by default: the branch's upstream, else origin, else the only one. */
export async function defaultGitRemote(repo: Repo): Promise<string | undefined> {
  const up = await upstreamRemote(repo.root);
  if (up) return up;
  const all = await gitRemoteNames(repo.root);
  if (all.includes('origin')) return 'origin';
  return all.length === 1 ? all[0] : undefined;
}

/** Fetches the record refs of `remote` (a name or URL) into their tracking refs. */
export async function fetchRecords(repo: Repo, remote: string): Promise<string> {
  const known = await gitRemoteNames(repo.root);
  const name = trackingName(remote, known);
  if (known.includes(remote)) await ensureFetchRefspecs(repo, remote);
  try {
    await fetchRefs(repo.root, remote, recordRefspecs(name));
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    throw new GitreproError('GITREPRO_GIT_FAILED', `cannot fetch the records from git remote "${remote}": ${e.message.replace(/^git fetch failed: /, '')}`, {
      hint: `check that \`git fetch ${remote}\` works`,
      data: e.data,
    });
  }
  return name;
}

export type MergeOutcome = 'none' | 'up-to-date' | 'fast-forward' | 'merged';

export interface MergeResult {
  notes: MergeOutcome;
  snapshots: MergeOutcome;
  /** commits noted differently on both sides (their notes now hold every record) */
  joined: string[];
}

/**
 * What a fetched record ref is when it is not a commit (a notes commit, a snapshot chain), e.g.
 * "a tree"; undefined when it is a commit or absent. A ref of another type from a remote or a
 * bundle would otherwise be fast-forwarded into a clone without record refs, leaving them
 * pointing at a tree or a blob: no later merge, note or snapshot could build on them.
 */
export async function notACommit(repo: Repo, ref: string): Promise<string | undefined> {
  const oid = await readRef(repo.root, ref);
  if (!oid) return undefined;
  const type = await gitMaybe(repo.root, ['cat-file', '-t', oid]);
  return type === 'commit' ? undefined : `a ${type ?? 'missing object'}`;
}

/**
 * Merges the tracking refs of `name` into refs/notes/gitrepro and refs/gitrepro/snapshots (local
 * only). A tracking ref that is not a commit is refused (GITREPRO_RECORD_INVALID) before either
 * local ref moves.
 */
export async function mergeRecords(repo: Repo, name: string): Promise<MergeResult> {
  const t = trackingRefs(name);
  for (const ref of [t.notes, t.snapshots]) {
    const what = await notACommit(repo, ref);
    if (what) {
      throw new GitreproError('GITREPRO_RECORD_INVALID', `${ref} is ${what}, not a commit: records that are not a commit are never merged`, {
        hint: 'the records of that remote are broken or hostile; nothing of them was merged',
        data: { ref },
        exitCode: 1,
      });
    }
  }
  return withRepoLock(repo.sharedDir, async () => {
    const joined: string[] = [];
    const notes = await mergeRef(repo, NOTES_REF, t.notes, (ours, theirs) => mergeNotes(repo, ours, theirs, name, joined), (ours, theirs) => keepsNotes(repo, ours, theirs));
    const snapshots = await mergeRef(repo, SNAPSHOTS_REF, t.snapshots, (ours, theirs) =>
      gitMaybe(repo.root, ['rev-parse', `${ours}^{tree}`]).then((tree) => commitTree(repo.root, tree!, [ours, theirs], `gitrepro: merge snapshots of ${name}`)),
    );
    return { notes, snapshots, joined };
  }, { what: 'merge records' });
}

/**
 * The CAS loop shared by both refs: fast-forward when one side contains the other (and, with
 * `keeps`, the newer side keeps what ours holds), else `merge`.
 */
async function mergeRef(repo: Repo, local: string, tracking: string, merge: (ours: string, theirs: string) => Promise<string>, keeps?: (ours: string, theirs: string) => Promise<boolean>): Promise<MergeOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const theirs = await readRef(repo.root, tracking);
    const ours = await readRef(repo.root, local);
    if (!theirs) return 'none';
    if (ours === theirs || (ours && (await isAncestor(repo.root, theirs, ours)))) return 'up-to-date';
    if (!ours || ((await isAncestor(repo.root, ours, theirs)) && (!keeps || (await keeps(ours, theirs))))) {
      if (await casRef(repo.root, local, theirs, ours, repo.paths.objectFormat, `gitrepro: fast-forward to ${tracking}`)) return 'fast-forward';
      continue;
    }
    const merged = await merge(ours, theirs);
    if (await casRef(repo.root, local, merged, ours, repo.paths.objectFormat, `gitrepro: merge ${tracking}`)) return 'merged';
  }
  throw new GitreproError('GITREPRO_LOCKED', `${local} kept changing while gitrepro merged ${tracking} into it`, { hint: 'retry when no other git or gitrepro command is writing records' });
}

/**
 * True when the notes commit `theirs` keeps every record of `ours`: no note of ours removed, and
 * each note it changed still holds all of our records (a union that joined ours is fine). A
 * descendant of our notes commit (from a remote or a bundle) can still have rewritten or removed
 * notes: a fast-forward to it would drop our records, so such a descendant is merged instead (a
 * union). Reads only the notes that differ.
 */
async function keepsNotes(repo: Repo, ours: string, theirs: string): Promise<boolean> {
  const changed = [...(await notesDiff(repo.root, ours, theirs)).values()].filter((e) => e.a !== undefined);
  if (changed.length === 0) return true;
  if (changed.some((e) => e.b === undefined)) return false;
  const { unionNotes } = await import('./notes-union.js'); // the record schemas, only when needed
  const cat = new CatFile(repo.root);
  try {
    for (const e of changed) {
      const [ta, tb] = await Promise.all([cat.read(e.a!), cat.read(e.b!)]);
      // theirs already holds the union of both (nothing of ours to add), and is a valid note
      if (unionNotes(tb?.content.toString('utf8') ?? '', ta?.content.toString('utf8') ?? '') !== undefined) return false;
    }
  } finally {
    cat.close();
  }
  return true;
}

/** The notes tree of `ours` plus every note of `theirs` it lacks; differing notes become unions. */
async function mergeNotes(repo: Repo, ours: string, theirs: string, name: string, joined: string[]): Promise<string> {
  const [mine, other] = await Promise.all([noteEntries(repo.root, ours), noteEntries(repo.root, theirs)]);
  const changes: NoteChange[] = [];
  const differ: [string, NoteEntry, NoteEntry][] = [];
  for (const [target, e] of other) {
    const have = mine.get(target);
    if (have === undefined) changes.push({ path: e.path, blob: e.blob });
    else if (have.blob !== e.blob) differ.push([target, have, e]);
  }
  if (differ.length) {
    const { unionNotes } = await import('./notes-union.js'); // the record schemas, only when needed
    const cat = new CatFile(repo.root);
    try {
      for (const [target, a, b] of differ) {
        const [ta, tb] = await Promise.all([cat.read(a.blob), cat.read(b.blob)]);
        const text = unionNotes(ta?.content.toString('utf8') ?? '', tb?.content.toString('utf8') ?? '');
        if (text !== undefined) {
          changes.push({ path: a.path, text });
          joined.push(target);
        }
      }
    } finally {
      cat.close();
    }
  }
  await mkdir(path.join(repo.sharedDir, 'tmp'), { recursive: true });
  return writeNotesCommit(repo.root, { parent: ours, merge: theirs, changes, message: `gitrepro: merge records of ${name}`, tmpDir: path.join(repo.sharedDir, 'tmp') });
}

export interface PushRecordsResult {
  /** refs the remote now has from us (empty: it was already up to date) */
  pushed: string[];
  attempts: number;
}

/**
 * Pushes the record refs to `remote` without forcing. A rejection because the remote moved on
 * fetches its records, merges them and tries again (at most MAX_ATTEMPTS times).
 */
export async function pushRecords(repo: Repo, remote: string): Promise<PushRecordsResult> {
  const name = trackingName(remote, await gitRemoteNames(repo.root));
  const t = trackingRefs(name);
  const pairs = [[NOTES_REF, t.notes], [SNAPSHOTS_REF, t.snapshots]] as const;
  await mergeRecords(repo, name); // whatever a plain `git fetch` brought
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const refs: { ref: string; track: string; value: string }[] = [];
    for (const [ref, track] of pairs) {
      const value = await readRef(repo.root, ref);
      if (value) refs.push({ ref, track, value });
    }
    if (refs.length === 0) return { pushed: [], attempts: attempt };
    const r = await pushRefs(repo.root, remote, refs.map((x) => `${x.ref}:${x.ref}`), { [RECORDS_PUSH_ENV]: '1' });
    if (r.ok) {
      // the remote now holds these values: remember them as its tracking refs
      for (const x of refs) await casRef(repo.root, x.track, x.value, await readRef(repo.root, x.track), repo.paths.objectFormat, 'gitrepro: records pushed');
      return { pushed: r.refs.filter((x) => x.flag !== '=').map((x) => x.dst), attempts: attempt };
    }
    const hard = r.refs.filter((x) => x.flag === '!' && !isStaleRejection(x));
    if (hard.length) {
      throw new GitreproError('GITREPRO_RECORDS_REJECTED', `git remote "${remote}" refused the records: ${hard.map((x) => `${x.dst} ${x.summary}`).join('; ')}`, {
        hint: 'the server must accept pushes to refs/notes/gitrepro and refs/gitrepro/snapshots; ask its admin, or check its hooks',
        data: { remote, refs: hard },
      });
    }
    await fetchRecords(repo, remote);
    await mergeRecords(repo, name);
  }
  throw new GitreproError('GITREPRO_RECORDS_REJECTED', `the records push to "${remote}" was rejected ${MAX_ATTEMPTS} times: others keep pushing records`, {
    hint: 'run the push again',
    data: { remote },
  });
}

/** Names of the remotes whose record refs this clone tracks (what fetches have brought). */
export async function trackedRemotes(repo: Repo): Promise<string[]> {
  const refs = await listRefs(repo.root, ['refs/notes/gitrepro-remotes/', 'refs/gitrepro-remotes/']);
  const names = new Set<string>();
  for (const ref of refs.keys()) {
    const m = /^refs\/notes\/gitrepro-remotes\/([^/]+)$/.exec(ref) ?? /^refs\/gitrepro-remotes\/([^/]+)\/snapshots$/.exec(ref);
    if (m) names.add(m[1]!);
  }
  return [...names];
}

/** Merges every tracked remote's records into the local refs (no network): after a plain `git pull`. */
export async function mergeAllTracked(repo: Repo): Promise<void> {
  for (const name of await trackedRemotes(repo)) await mergeRecords(repo, name);
}

export interface RecordsSync extends Partial<MergeResult> {
  gitRemote?: string;
  /** why the records could not be fetched (offline, no access): the rest goes on */
  error?: string;
}

/** Fetches the record refs from `gitRemote` (default: the branch's, else origin) and merges them. */
export async function syncRecords(repo: Repo, gitRemote?: string): Promise<RecordsSync> {
  const remote = gitRemote ?? (await defaultGitRemote(repo));
  if (!remote) return {};
  try {
    const name = await fetchRecords(repo, remote);
    return { gitRemote: remote, ...(await mergeRecords(repo, name)) };
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    return { gitRemote: remote, error: e.message };
  }
}
