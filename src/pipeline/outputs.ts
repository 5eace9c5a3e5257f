/**
 * Outs and the store. After a run, every out goes into the store at once (files as objects,
 * a directory as its files plus its manifest), so a cached run can always be restored. Before
 * a run, the outs are deleted, their content stored first if the store lacks it (never lose
 * work: materialize journals such rescues). A cached run's outs are restored the same way as a
 * checkout restores data, touching only the files that differ.
 */
import { lstatSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import type { SnapChange } from '../git/snapshot.js';
import type { LocalStore, StagedObject } from '../store/local.js';
import { materialize, restoreTmpDir, type MaterializeResult } from '../workspace/materialize.js';
import { statPaths } from '../workspace/walk.js';
import { listFiles } from './hashing.js';
import { formatManifest, MANIFEST_HEADER, parseManifest, type ManifestEntry } from './manifest.js';

export interface WorkTree {
  root: string;
  store: LocalStore;
  /** per-worktree state dir (restores' temp files) */
  stateDir: string;
  /** shared state dir (rescue journal) */
  sharedDir: string;
  /** runs `fn` holding the repository lock */
  locked<T>(fn: () => Promise<T>): Promise<T>;
}

/** The files currently at `rel` (itself when a file), repo-relative. */
function filesAt(root: string, rel: string): string[] {
  const st = lstatSync(path.join(root, rel), { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [rel];
  return listFiles(path.join(root, rel)).map(([p]) => `${rel}/${p}`);
}

async function apply(wt: WorkTree, changes: SnapChange[], reason: string): Promise<MaterializeResult> {
  const res = await materialize(changes, { root: wt.root, store: wt.store, sharedDir: wt.sharedDir, reason, tmpDir: await restoreTmpDir(wt.stateDir) });
  const bad = [...res.failed.map((f) => f.error.message), ...res.missing.map((m) => `${m.path}: object ${m.sha256.slice(0, 12)} is not in the store`)];
  if (bad.length) throw new GitreproError('GITREPRO_IO_FAILED', `cannot update outs: ${bad.slice(0, 3).join('; ')}`, { hint: 'see the message; nothing was lost (replaced content is stored first)' });
  return res;
}

/** Deletes the outs before a run; unsaved content is stored first (returned as rescued). */
export async function removeOutputs(wt: WorkTree, outs: string[]): Promise<MaterializeResult> {
  return wt.locked(async () => {
    const res = await apply(wt, outs.flatMap((o) => filesAt(wt.root, o)).map((p) => ({ path: p })), 'repro');
    for (const o of outs) await rm(path.join(wt.root, o), { recursive: true, force: true }); // emptied directories
    return res;
  });
}

/** Stores the outs after a run: out path → sha256 (a directory's manifest digest); absent outs are listed. */
export async function storeOutputs(wt: WorkTree, outs: string[]): Promise<{ hashes: Record<string, string>; missing: string[] }> {
  return wt.locked(async () => {
    const hashes: Record<string, string> = {};
    const missing: string[] = [];
    const staged: StagedObject[] = [];
    const stage = async (rel: string) => {
      const s = await wt.store.stage(path.join(wt.root, rel));
      staged.push(s);
      return s.sha256;
    };
    for (const o of outs) {
      const st = lstatSync(path.join(wt.root, o), { throwIfNoEntry: false });
      if (st?.isFile()) hashes[o] = await stage(o);
      else if (st?.isDirectory()) {
        const entries: ManifestEntry[] = [];
        for (const [p] of listFiles(path.join(wt.root, o))) entries.push({ path: p, sha256: await stage(`${o}/${p}`) });
        const tmp = await wt.store.tempPath('manifest');
        await writeFile(tmp, formatManifest(entries));
        const m = await wt.store.stage(tmp);
        await rm(tmp, { force: true });
        staged.push(m);
        hashes[o] = m.sha256;
      } else missing.push(o);
    }
    await wt.store.commitStaged(staged, true);
    return { hashes, missing };
  });
}

export type Resolved = { kind: 'file'; sha256: string; size: number } | { kind: 'dir'; files: (ManifestEntry & { size: number })[] };

/** A directory manifest stored under `sha`, or undefined when the object is a plain file. */
async function readManifestObject(store: LocalStore, sha: string): Promise<ManifestEntry[] | undefined> {
  const file = await store.loosePath(sha);
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(MANIFEST_HEADER.length + 1);
    await fh.read(head, 0, head.length, 0);
    if (head.toString('utf8') !== `${MANIFEST_HEADER}\n`) return undefined;
  } finally {
    await fh.close();
  }
  return parseManifest(await readFile(file, 'utf8'));
}

/** What the store holds for a recorded hash, or the objects it lacks. */
export async function resolveHash(store: LocalStore, sha: string): Promise<Resolved | { missing: string[] }> {
  const size = await store.sizeOf(sha);
  if (size === undefined) return { missing: [sha] };
  const manifest = await readManifestObject(store, sha);
  if (!manifest) return { kind: 'file', sha256: sha, size };
  const files: (ManifestEntry & { size: number })[] = [];
  const missing: string[] = [];
  for (const e of manifest) {
    const s = await store.sizeOf(e.sha256);
    if (s === undefined) missing.push(e.sha256);
    else files.push({ ...e, size: s });
  }
  return missing.length ? { missing } : { kind: 'dir', files };
}

/** The changes that make `rel` hold `r` (files that already match are left to materialize). */
export function changesFor(root: string, rel: string, r: Resolved): SnapChange[] {
  const want = new Map<string, SnapChange>();
  if (r.kind === 'file') want.set(rel, { path: rel, entry: { sha256: r.sha256, size: r.size, exec: statPaths(root, [rel]).get(rel)?.exec ?? false } });
  else for (const f of r.files) want.set(`${rel}/${f.path}`, { path: `${rel}/${f.path}`, entry: { sha256: f.sha256, size: f.size, exec: false } });
  const gone = filesAt(root, rel).filter((p) => !want.has(p) || (r.kind === 'dir' && p === rel));
  return [...gone.map((p) => ({ path: p })), ...want.values()];
}

/** Restores a cached run's outs from the store. Returns undefined (nothing written) when an object is missing. */
export async function restoreOutputs(wt: WorkTree, outs: Record<string, string>): Promise<MaterializeResult | undefined> {
  return wt.locked(async () => {
    const changes: SnapChange[] = [];
    for (const [rel, sha] of Object.entries(outs)) {
      const r = await resolveHash(wt.store, sha);
      if ('missing' in r) return undefined;
      changes.push(...changesFor(wt.root, rel, r));
    }
    return apply(wt, changes, 'repro');
  });
}

/**
 * Refuses a path of a scratch tree whose parent chain holds a symlink or a file: paths come from
 * records (untrusted), and a commit may hold a symlink `x -> /home/user`; deleting or writing
 * `x/y` must never reach outside the tree.
 */
export function assertInTree(root: string, rel: string): void {
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const st = lstatSync(path.join(root, ...parts.slice(0, i)), { throwIfNoEntry: false });
    if (st && (st.isSymbolicLink() || !st.isDirectory())) {
      throw new GitreproError('GITREPRO_UNSAFE_PATH', `refusing ${JSON.stringify(rel)}: ${parts.slice(0, i).join('/')} is a symlink or a file`, { hint: 'the record names a path through a symlink of the commit; it is not rerun' });
    }
  }
}

/**
 * Writes `r` at `rel` in a scratch tree (a rerun's temporary worktree), replacing whatever is
 * there: no rescue, no scan state. Objects are re-hashed as they are copied.
 */
export async function placeResolved(store: LocalStore, root: string, rel: string, r: Resolved): Promise<void> {
  assertInTree(root, rel);
  const abs = path.join(root, rel);
  await rm(abs, { recursive: true, force: true });
  const files = r.kind === 'file' ? [{ dest: abs, sha256: r.sha256, size: r.size }] : r.files.map((f) => ({ dest: path.join(abs, f.path), sha256: f.sha256, size: f.size }));
  if (r.kind === 'dir') await mkdir(abs, { recursive: true });
  for (const f of files) {
    await mkdir(path.dirname(f.dest), { recursive: true });
    await store.copyOut({ sha256: f.sha256, size: f.size }, f.dest, 0o644);
  }
}
