/**
 * `gitrepro bundle verify <file>`: every check `bundle import` makes on an archive
 * (repo/bundle-read.ts: entry types, paths, names, sizes, sha256 of every object and of the
 * records bundle, refs of the records bundle), and nothing written but a temp copy of the
 * records bundle outside the repository. A failing check is a result, not an exception.
 * (`git bundle verify` of the records needs the history it may build on; import's fetch makes
 * that check: here the manifest's sha256 of the records bundle stands for its bytes.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isGitreproError } from '../errors.js';
import { gitBundleHeads } from '../git/bundle.js';
import { BUNDLE_REFS } from '../record/bundle.js';
import { checkArchive } from '../repo/bundle-read.js';

export interface BundleVerifyOptions {
  cwd: string;
  file: string;
}

export interface BundleVerifyResult {
  file: string;
  ok: boolean;
  /** why not, in one line */
  reason?: string;
  code?: string;
  commits?: number;
  objects?: number;
  bytes?: number;
  /** the record refs the archive carries */
  refs?: string[];
}

/** Checks a bundle archive without importing it. */
export async function bundleVerify(o: BundleVerifyOptions): Promise<BundleVerifyResult> {
  const file = path.resolve(o.cwd, o.file);
  const tmp = await mkdtemp(path.join(tmpdir(), 'gitrepro-verify-'));
  try {
    const c = await checkArchive(file, { tmpDir: tmp });
    const res: BundleVerifyResult = { file, ok: true, commits: c.manifest.commits.length, objects: c.manifest.objects.length, bytes: c.bytes, refs: [] };
    if (c.recordsFile) {
      const h = await gitBundleHeads(tmp, c.recordsFile);
      if ('error' in h) return { ...res, ok: false, code: 'GITREPRO_BUNDLE_INVALID', reason: `records.bundle is not a git bundle: ${h.error}` };
      res.refs = [...h.heads.keys()].sort();
      const other = res.refs.filter((r) => !(BUNDLE_REFS as readonly string[]).includes(r));
      if (other.length) return { ...res, ok: false, code: 'GITREPRO_BUNDLE_INVALID', reason: `records.bundle carries refs a gitrepro bundle never holds: ${other.slice(0, 3).join(', ')}` };
    }
    return res;
  } catch (e) {
    if (!isGitreproError(e)) throw e;
    return { file, ok: false, code: e.code, reason: e.message };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
