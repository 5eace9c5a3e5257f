/**
 * The manifest of a gitrepro bundle (`gitrepro bundle create`): the first entry of the archive,
 * `manifest.json`, in canonical JSON (sorted keys, trailing newline). It names everything else
 * the archive may hold, so a reader can refuse any entry it does not name, of any other size:
 *
 *   manifest.json                 this manifest (at most MAX_MANIFEST_BYTES)
 *   records.bundle                a `git bundle` of refs/notes/gitrepro and refs/gitrepro/snapshots
 *   objects/<aa>/<bb>/<sha256>    one data object, exactly `size` bytes hashing to its name
 *
 * Everything in it is untrusted input on import: validated here, then checked against the bytes.
 */
import { z } from 'zod';
import { gitOid, objectSize, sha256Hex } from './paths.js';

export const BUNDLE_SCHEMA = 'gitrepro.bundle/v1';
export const BUNDLE_MANIFEST = 'manifest.json';
export const BUNDLE_RECORDS = 'records.bundle';
/** 1,000,000 objects take about 100 MB of manifest; more than this is not a manifest */
export const MAX_MANIFEST_BYTES = 256 << 20;
/** a git bundle of record refs: pointers and notes, never data */
export const MAX_RECORDS_BYTES = 2 ** 34;
/** the refs a bundle's git part may carry */
export const BUNDLE_REFS = ['refs/notes/gitrepro', 'refs/gitrepro/snapshots'] as const;

/** The archive path of object `sha`: `objects/<aa>/<bb>/<sha>`, as in the local store. */
export function bundleObjectPath(sha: string): string {
  return `objects/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;
}

export const bundleManifestSchema = z.strictObject({
  schema: z.literal(BUNDLE_SCHEMA),
  tool: z.string().max(200),
  createdAt: z.string().max(64),
  /** what was asked for, as typed (e.g. "HEAD", "v1..main", "--all") */
  range: z.array(z.string().max(1000)).max(10_000),
  /** the commits covered, each with the snapshot tree its gitrepro.lock names */
  commits: z.array(z.strictObject({ commit: gitOid, tree: gitOid })).max(10_000_000),
  /** the git bundle of the record refs (absent: the archive carries data only) */
  records: z.strictObject({ size: objectSize.max(MAX_RECORDS_BYTES), sha256: sha256Hex }).optional(),
  /** every data object the covered snapshots reference, sorted by sha256 */
  objects: z.array(z.strictObject({ sha256: sha256Hex, size: objectSize })).max(50_000_000),
});

export type BundleManifest = z.infer<typeof bundleManifestSchema>;
