/**
 * Format constants and path/id rules without zod: the hot paths (hooks) import these, so that a
 * checkout never pays for loading the schema library (measured: zod adds ~29 ms to a node start).
 * A data path is relative, '/'-separated, with no empty, '.', '..' or '.git' component (any
 * case), no NUL/CR/LF, and no leading '/'. Ids are lowercase hex of the right length.
 */
export const SHA256_RE = /^[0-9a-f]{64}$/;
/** git object ids: 40 hex (SHA-1) or 64 hex (SHA-256) */
export const GIT_OID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Largest object size accepted from a record (1 PiB): anything above is hostile or corrupt. */
export const MAX_OBJECT_SIZE = 2 ** 50;

export const LOCK_FILE = 'gitrepro.lock';
export const CONFIG_FILE = 'gitrepro.yaml';
export const RECORD_SCHEMA = 'gitrepro.record/v1';
export const NOTES_REF = 'refs/notes/gitrepro';
export const SNAPSHOTS_REF = 'refs/gitrepro/snapshots';

/**
 * Paths none of unsafePathReason's rules can refuse: components that are not empty and do not
 * start with '.', no control character, no drive letter.
 */
const PLAIN_PATH = /^(?![a-zA-Z]:[\\/])[^/.\0\n\r][^/\0\n\r]*(?:\/[^/.\0\n\r][^/\0\n\r]*)*$/;

/** Returns why `p` is unsafe, or undefined when it is a safe relative data path. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.length > 4096) return 'path too long';
  if (PLAIN_PATH.test(p)) return undefined; // the common case, in one test (a snapshot has 100,000)
  if (/[\0\n\r]/.test(p)) return 'control character in path';
  if (p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p)) return 'absolute path';
  for (const part of p.split('/')) {
    if (part === '') return 'empty path component';
    if (part === '.' || part === '..') return `'${part}' component`;
    if (part.toLowerCase() === '.git') return '.git component';
  }
  return undefined;
}

/**
 * Bounds of a metrics file's entry in a record (writers keep within them, readers refuse more):
 * a record is pushed with the code and read back as untrusted input.
 */
export const METRICS_LIMITS = {
  /** bytes of a metrics file read at all */
  fileBytes: 16 * 1024 * 1024,
  /** values (flattened keys) per file */
  values: 5000,
  /** characters of a key */
  keyLength: 500,
  /** bytes of a file's values as JSON */
  valuesJson: 512 * 1024,
  /** numeric columns of a series */
  seriesColumns: 100,
  /** points per series column (a longer series is thinned) */
  seriesPoints: 1000,
} as const;
