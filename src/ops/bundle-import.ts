/**
 * `gitrepro bundle import <file>`: brings a bundle archive (ops/bundle-create.ts) into this
 * clone, so that its commits restore with no store remote at all (an air gap).
 *
 * Order, so that a corrupt or hostile archive leaves nothing behind:
 *   1. read the whole archive once (repo/bundle-read.ts): every entry checked, every new
 *      object staged in the store's tmp/ and hashed against its name and the manifest's size;
 *   2. the records: the git bundle is fetched (git checks every object and their connectivity)
 *      into tracking refs, only its two record refs; every snapshot the manifest names must then
 *      be present;
 *   3. only now anything is committed: the records are merged into the local refs exactly as a
 *      `gitrepro fetch` merges a Git remote's (a union: no local note or snapshot is dropped),
 *      and the staged objects are renamed into the store (one syncfs).
 * Any failure before 3 removes the staged temps and the tracking refs. Importing the same
 * archive twice adds nothing the second time.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isGitreproError } from '../errors.js';
import { tempDone } from '../fs/atomic.js';
import { trace } from '../trace.js';
import { gitBundleHeads } from '../git/bundle.js';
import { deleteRef, missingObjects } from '../git/refs.js';
import { fetchRefs } from '../git/transport.js';
import { BUNDLE_REFS } from '../record/bundle.js';
import { bundleInvalid, checkArchive } from '../repo/bundle-read.js';
import { openRepo, type Reporter } from '../repo/context.js';
import { snapshotObjects } from '../repo/object-plan.js';
import { mergeRecords, notACommit, recordRefspecs, trackingRefs, type MergeResult } from '../repo/record-sync.js';

/** The tracking name the records of a bundle pass through (removed once merged). */
const TRACKING = 'bundle-import';

export interface BundleImportOptions {
  cwd: string;
  file: string;
  reporter?: Reporter;
}

export interface BundleImportResult {
  file: string;
  commits: number;
  /** objects in the archive */
  objects: number;
  /** of those, new to the local store */
  added: number;
  bytes: number;
  records?: MergeResult;
  /** objects the imported snapshots reference that neither the archive nor the store holds */
  incomplete: string[];
  /** why the snapshots could not be listed (a malformed snapshot), if so */
  problem?: string;
}

/** Imports a bundle archive: objects into the store, records merged into the local refs. */
export async function bundleImport(o: BundleImportOptions): Promise<BundleImportResult> {
  const repo = await openRepo(o.cwd); // no `install` needed: a fresh clone imports first, then installs
  const file = path.resolve(o.cwd, o.file);
  await repo.store.ensureDir(repo.store.tmpDir);
  o.reporter?.info?.(`checking ${path.basename(file)}`);
  const c = await checkArchive(file, { store: repo.store, tmpDir: repo.store.tmpDir });
  trace(`archive checked: ${c.staged.length} object(s) staged`);
  const t = trackingRefs(TRACKING);
  const dropTracking = async (): Promise<void> => {
    await deleteRef(repo.root, t.notes).catch(() => {});
    await deleteRef(repo.root, t.snapshots).catch(() => {});
  };
  let records: MergeResult | undefined;
  try {
    const trees = [...new Set(c.manifest.commits.map((x) => x.tree))];
    if (c.recordsFile) {
      const h = await gitBundleHeads(repo.root, c.recordsFile);
      if ('error' in h) throw bundleInvalid(file, `records.bundle is not a git bundle: ${h.error}`);
      const other = [...h.heads.keys()].filter((r) => !(BUNDLE_REFS as readonly string[]).includes(r));
      if (other.length) throw bundleInvalid(file, `records.bundle carries refs a gitrepro bundle never holds: ${other.slice(0, 3).join(', ')}`);
      try {
        await fetchRefs(repo.root, c.recordsFile, recordRefspecs(TRACKING));
      } catch (e) {
        if (!isGitreproError(e)) throw e;
        throw bundleInvalid(file, `records.bundle does not fetch: ${e.message}`);
      }
    }
    for (const [ref, tracking] of [[BUNDLE_REFS[0], t.notes], [BUNDLE_REFS[1], t.snapshots]] as const) {
      const what = await notACommit(repo, tracking);
      if (what) throw bundleInvalid(file, `records.bundle's ${ref} is ${what}, not a commit`);
    }
    const absent = await missingObjects(repo.root, trees);
    if (absent.size) throw bundleInvalid(file, `${absent.size} snapshot(s) the manifest names are not in its records, e.g. ${[...absent][0]!.slice(0, 12)}`);
    // validated: from here on, write
    if (c.recordsFile) records = await mergeRecords(repo, TRACKING);
  } catch (e) {
    await repo.store.discard(c.staged);
    throw e;
  } finally {
    await dropTracking();
    if (c.recordsFile) {
      await rm(c.recordsFile, { force: true });
      tempDone(c.recordsFile);
    }
  }
  trace('records merged');
  o.reporter?.info?.(`storing ${c.staged.length} new object(s)`);
  await repo.store.commitChecked(c.staged);
  const added = c.staged.length;
  trace('objects committed');
  const inArchive = new Set(c.manifest.objects.map((x) => x.sha256));
  const incomplete: string[] = [];
  const trees = [...new Set(c.manifest.commits.map((x) => x.tree))];
  let problem: string | undefined;
  try {
    for (const obj of trees.length ? (await snapshotObjects(repo, { full: trees })).values() : []) {
      if (!inArchive.has(obj.sha256) && !(await repo.store.has(obj.sha256))) incomplete.push(obj.sha256);
    }
  } catch (e) {
    // a snapshot that is not pointers only: reported, as `gitrepro verify` would; the objects stay
    if (!isGitreproError(e)) throw e;
    problem = e.message;
  }
  return { file, commits: c.manifest.commits.length, objects: c.manifest.objects.length, added, bytes: c.bytes, records, incomplete, problem };
}
