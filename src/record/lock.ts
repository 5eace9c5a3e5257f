/**
 * gitrepro.lock: the committed pointer from a commit to its data snapshot. Canonical form
 * (docs/spec.md), first line the schema version, then sorted `key value` lines:
 *
 *   gitrepro.lock/v1
 *   bytes <total bytes>
 *   files <file count>
 *   tree <snapshot tree id>
 */
import { z } from 'zod';
import { gitOid } from './paths.js';
import { formatIssues } from './issues.js';

export const LOCK_FILE = 'gitrepro.lock';
export const LOCK_SCHEMA = 'gitrepro.lock/v1';

export const lockSchema = z.strictObject({
  tree: gitOid,
  files: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
});
export type Lock = z.infer<typeof lockSchema>;

export function formatLock(l: Lock): string {
  return `${LOCK_SCHEMA}\nbytes ${l.bytes}\nfiles ${l.files}\ntree ${l.tree}\n`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseLock(text: string): ParseResult<Lock> {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[0] !== LOCK_SCHEMA) {
    return { ok: false, error: /^<<<<<<<|^=======|^>>>>>>>/m.test(text) ? 'unresolved merge conflict markers' : `first line is not ${LOCK_SCHEMA}` };
  }
  const obj: Record<string, unknown> = {};
  for (const line of lines.slice(1)) {
    const m = /^([a-z]+) (\S+)$/.exec(line);
    if (!m) return { ok: false, error: `malformed line ${JSON.stringify(line.slice(0, 80))}` };
    if (m[1] in obj) return { ok: false, error: `duplicate key ${m[1]}` };
    obj[m[1]] = m[1] === 'tree' ? m[2] : /^(0|[1-9][0-9]{0,15})$/.test(m[2]) ? Number(m[2]) : m[2];
  }
  const r = lockSchema.safeParse(obj);
  if (!r.success) return { ok: false, error: formatIssues(r.error.issues) };
  return { ok: true, value: r.data };
}
