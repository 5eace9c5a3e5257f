/**
 * Low-level notes plumbing for merging two notes refs without `git notes merge` (whose union
 * strategy concatenates texts, which breaks JSON notes). A notes ref is a commit whose tree maps
 * annotated object ids to note blobs, fanned out into `ab/cdef...` directories once it grows.
 *
 * The merged tree is built in a temporary index (read-tree of ours, update-index of the
 * changes, write-tree), not with fast-import: fast-import's notemodify refuses a note on a
 * commit this clone does not have, and a fetched notes ref routinely notes commits of branches
 * not fetched yet. A new entry keeps the path it has in theirs. Measured with git 2.39: git reads
 * notes trees with mixed fanout (flat and `ab/` entries side by side) and normalises the fanout
 * on its next notes write. Note file names are 38+ hex characters and fanout directories two,
 * so no entry can collide with a directory.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { GIT_OID_RE } from '../record/rules.js';
import { commitTree } from './refs.js';
import { git, runGit } from './run.js';

export interface NoteEntry {
  blob: string;
  /** path inside the notes tree, e.g. `ab/cdef...` */
  path: string;
}

/** annotated object id -> its note, for the notes commit `notesCommit`. */
export async function noteEntries(cwd: string, notesCommit: string): Promise<Map<string, NoteEntry>> {
  const r = await runGit(cwd, ['ls-tree', '-r', '-z', notesCommit]);
  const out = new Map<string, NoteEntry>();
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    const p = rec.slice(tab + 1);
    const target = p.replaceAll('/', '');
    if (type === 'blob' && (mode === '100644' || mode === '100755') && GIT_OID_RE.test(target)) out.set(target, { blob: oid!, path: p });
  }
  return out;
}

/**
 * The notes that differ between notes commits `a` and `b` (git diff-tree: the cost of what
 * differs, not of every record): per annotated object, its note blob on each side (undefined
 * where absent). A note that only moved between fanout paths with the same blob is no change.
 */
export async function notesDiff(cwd: string, a: string, b: string): Promise<Map<string, { a?: string; b?: string }>> {
  const r = await runGit(cwd, ['diff-tree', '-r', '-z', '--no-renames', a, b]);
  const parts = r.stdout.toString('utf8').split('\0');
  const out = new Map<string, { a?: string; b?: string }>();
  const ZERO = /^0+$/;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [, , oidA, oidB] = parts[i]!.replace(/^:/, '').split(' ');
    const target = parts[i + 1]!.replaceAll('/', '');
    if (!GIT_OID_RE.test(target)) continue;
    const e = out.get(target) ?? {};
    if (oidA && !ZERO.test(oidA)) e.a = oidA;
    if (oidB && !ZERO.test(oidB)) e.b = oidB;
    out.set(target, e);
  }
  for (const [t, e] of out) if (e.a === e.b) out.delete(t);
  return out;
}

export type NoteChange = { path: string; blob: string } | { path: string; text: string };

/**
 * Writes a notes commit: the tree of `parent` with `changes` applied, with parents `parent` and
 * `merge` (both histories stay reachable). No ref is moved: the caller swaps it in with CAS.
 */
export async function writeNotesCommit(cwd: string, o: { parent: string; merge: string; changes: NoteChange[]; message: string; tmpDir: string }): Promise<string> {
  const index = path.join(o.tmpDir, `notes-index-${process.pid}-${randomBytes(4).toString('hex')}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await git(cwd, ['read-tree', `${o.parent}^{tree}`], { env });
    const lines: string[] = [];
    for (const c of o.changes) {
      const blob = 'blob' in c ? c.blob : await git(cwd, ['hash-object', '-w', '--stdin'], { input: c.text });
      lines.push(`100644 ${blob}\t${c.path}`);
    }
    if (lines.length) await git(cwd, ['update-index', '--index-info'], { env, input: lines.join('\n') + '\n' });
    const tree = await git(cwd, ['write-tree'], { env });
    return await commitTree(cwd, tree, [o.parent, o.merge], o.message);
  } finally {
    await rm(index, { force: true });
  }
}
