/**
 * The digest of a directory dep or out. A run record maps each dep and out path to one sha256:
 * a file's is the sha256 of its bytes; a directory's is the sha256 of its manifest:
 *
 *   gitrepro.dir/v1\n
 *   <sha256 of file>  <path relative to the directory>\n      (two spaces, as sha256sum prints)
 *   ...                                                      (sorted by the UTF-8 bytes of path)
 *
 * Only regular files count (no symlinks, nothing under a `.git` component); an empty directory
 * is the header alone. The manifest is itself stored as an object of the store, under its
 * digest, so a directory out of a cached run can be restored file by file.
 * The header keeps a manifest apart from a data file: a file's content never starts with it in
 * practice, and `parseManifest` refuses anything that is not exactly this format.
 */
import { SHA256_RE, unsafePathReason } from '../record/rules.js';
import { sha256Buffer } from '../store/hash.js';

export const MANIFEST_HEADER = 'gitrepro.dir/v1';

export interface ManifestEntry {
  /** relative to the directory, '/'-separated */
  path: string;
  sha256: string;
}

function byBytes(a: ManifestEntry, b: ManifestEntry): number {
  return Buffer.compare(Buffer.from(a.path, 'utf8'), Buffer.from(b.path, 'utf8'));
}

/** The one encoding of a manifest (entries in any order). */
export function formatManifest(entries: Iterable<ManifestEntry>): string {
  const sorted = [...entries].sort(byBytes);
  return [MANIFEST_HEADER, ...sorted.map((e) => `${e.sha256}  ${e.path}`), ''].join('\n');
}

export function manifestDigest(entries: Iterable<ManifestEntry>): string {
  return sha256Buffer(formatManifest(entries));
}

/**
 * Parses a manifest read back from the store; undefined unless it is exactly the format above
 * (header, safe unique paths in order, trailing newline). Paths are untrusted: checked here.
 */
export function parseManifest(text: string): ManifestEntry[] | undefined {
  if (!text.startsWith(`${MANIFEST_HEADER}\n`)) return undefined;
  const lines = text.split('\n');
  if (lines.pop() !== '') return undefined;
  const out: ManifestEntry[] = [];
  for (const line of lines.slice(1)) {
    const sha256 = line.slice(0, 64);
    const p = line.slice(66);
    if (!SHA256_RE.test(sha256) || line.slice(64, 66) !== '  ' || unsafePathReason(p)) return undefined;
    const e = { path: p, sha256 };
    if (out.length && byBytes(out[out.length - 1], e) >= 0) return undefined;
    out.push(e);
  }
  return out;
}
