/**
 * gitrepro.lock: the committed pointer from a commit to its data snapshot. Canonical form
 * (docs/spec.md), first line the schema version, then sorted `key value` lines:
 *
 *   gitrepro.lock/v1
 *   bytes <total bytes>
 *   files <file count>
 *   tree <snapshot tree id>
 *
 * Parsed without zod (a hook reads it on every checkout); the rules are the spec's.
 */
import { GIT_OID_RE, LOCK_FILE } from './rules.js';

export { LOCK_FILE };
export const LOCK_SCHEMA = 'gitrepro.lock/v1';

export interface Lock {
  tree: string;
  files: number;
  bytes: number;
}

export function formatLock(l: Lock): string {
  return `${LOCK_SCHEMA}\nbytes ${l.bytes}\nfiles ${l.files}\ntree ${l.tree}\n`;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const COUNT_RE = /^(0|[1-9][0-9]{0,15})$/;

const KEYS = ['bytes', 'files', 'tree'] as const;

/**
 * Parses a lock. Exactly the canonical form is accepted, and one other encoding of it: the same
 * lines ending in CRLF, which a checkout with core.autocrlf writes into the work tree
 * (docs/spec.md says so). Keys in another order, a missing last newline, a duplicate or an
 * unknown key are refused.
 */
export function parseLock(text: string): ParseResult<Lock> {
  const crlf = text.includes('\r\n') && !/(^|[^\r])\n/.test(text);
  const lf = crlf ? text.replace(/\r\n/g, '\n') : text;
  const lines = lf.split('\n');
  if (lines[0] !== LOCK_SCHEMA) {
    return { ok: false, error: /^<<<<<<<|^=======|^>>>>>>>/m.test(text) ? 'unresolved merge conflict markers' : `first line is not ${LOCK_SCHEMA}` };
  }
  if (lines[lines.length - 1] !== '') return { ok: false, error: 'no newline at the end' };
  lines.pop();
  const obj: Record<string, string> = {};
  for (const [i, line] of lines.slice(1).entries()) {
    const m = /^([a-z]+) (\S+)$/.exec(line);
    if (!m) return { ok: false, error: `malformed line ${JSON.stringify(line.slice(0, 80))}` };
    if (m[1] in obj) return { ok: false, error: `duplicate key ${m[1]}` };
    if (!(KEYS as readonly string[]).includes(m[1])) return { ok: false, error: `unknown key ${m[1]}` };
    if (KEYS[i] !== m[1]) return { ok: false, error: `keys out of order (${m[1]} where ${KEYS[i] ?? 'the end'} belongs; the order is ${KEYS.join(', ')})` };
    obj[m[1]] = m[2];
  }
  for (const k of ['bytes', 'files']) {
    if (obj[k] === undefined) return { ok: false, error: `${k}: missing` };
    if (!COUNT_RE.test(obj[k]) || !Number.isSafeInteger(Number(obj[k]))) return { ok: false, error: `${k}: not a non-negative integer` };
  }
  if (obj.tree === undefined) return { ok: false, error: 'tree: missing' };
  if (!GIT_OID_RE.test(obj.tree)) return { ok: false, error: 'tree: not a git object id' };
  return { ok: true, value: { tree: obj.tree, files: Number(obj.files), bytes: Number(obj.bytes) } };
}
