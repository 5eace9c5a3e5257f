/**
 * Path and id rules for everything read back from Git or a remote (untrusted input).
 * A data path is relative, '/'-separated, with no empty, '.', '..' or '.git' component
 * (any case), no NUL/newline, and no leading '/'. Ids are lowercase hex of the right length.
 */
import { z } from 'zod';

export const SHA256_RE = /^[0-9a-f]{64}$/;
/** git object ids: 40 hex (SHA-1) or 64 hex (SHA-256) */
export const GIT_OID_RE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Largest object size accepted from a record (1 PiB): anything above is hostile or corrupt. */
export const MAX_OBJECT_SIZE = 2 ** 50;

/** Returns why `p` is unsafe, or undefined when it is a safe relative data path. */
export function unsafePathReason(p: string): string | undefined {
  if (p.length === 0) return 'empty path';
  if (p.length > 4096) return 'path too long';
  if (/[\0\n\r]/.test(p)) return 'control character in path';
  if (p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p)) return 'absolute path';
  for (const part of p.split('/')) {
    if (part === '') return 'empty path component';
    if (part === '.' || part === '..') return `'${part}' component`;
    if (part.toLowerCase() === '.git') return '.git component';
  }
  return undefined;
}

export const safePath = z.string().superRefine((p, ctx) => {
  const why = unsafePathReason(p);
  if (why) ctx.addIssue({ code: 'custom', message: `unsafe path ${JSON.stringify(p.slice(0, 200))}: ${why}` });
});

export const sha256Hex = z.string().regex(SHA256_RE, 'not a sha256 (64 lowercase hex)');
export const gitOid = z.string().regex(GIT_OID_RE, 'not a git object id');
export const objectSize = z.number().int().nonnegative().max(MAX_OBJECT_SIZE);
