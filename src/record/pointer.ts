/**
 * Pointer blobs: each entry of a snapshot tree is a tiny blob in the Git LFS pointer format
 * (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md), exactly one valid encoding:
 *
 *   version https://git-lfs.github.com/spec/v1\n
 *   oid sha256:<64 hex>\n
 *   size <decimal>\n
 */
import { SHA256_RE, MAX_OBJECT_SIZE } from './rules.js';

export interface Pointer {
  sha256: string;
  size: number;
}

const VERSION = 'version https://git-lfs.github.com/spec/v1';

export function formatPointer(p: Pointer): string {
  return `${VERSION}\noid sha256:${p.sha256}\nsize ${p.size}\n`;
}

/** Parses a pointer blob; returns undefined when it is not exactly a canonical pointer. */
export function parsePointer(text: string): Pointer | undefined {
  const m = /^version https:\/\/git-lfs\.github\.com\/spec\/v1\noid sha256:([0-9a-f]{64})\nsize (0|[1-9][0-9]{0,15})\n$/.exec(text);
  if (!m || !SHA256_RE.test(m[1])) return undefined;
  const size = Number(m[2]);
  if (!Number.isSafeInteger(size) || size > MAX_OBJECT_SIZE) return undefined;
  return { sha256: m[1], size };
}
