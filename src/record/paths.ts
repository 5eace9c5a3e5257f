/** zod schemas for paths and ids read back from Git or a remote (rules in rules.ts). */
import { z } from 'zod';
import { GIT_OID_RE, MAX_OBJECT_SIZE, SHA256_RE, unsafePathReason } from './rules.js';

export { GIT_OID_RE, MAX_OBJECT_SIZE, SHA256_RE, unsafePathReason };

export const safePath = z.string().superRefine((p, ctx) => {
  const why = unsafePathReason(p);
  if (why) ctx.addIssue({ code: 'custom', message: `unsafe path ${JSON.stringify(p.slice(0, 200))}: ${why}` });
});

export const sha256Hex = z.string().regex(SHA256_RE, 'not a sha256 (64 lowercase hex)');
export const gitOid = z.string().regex(GIT_OID_RE, 'not a git object id');
export const objectSize = z.number().int().nonnegative().max(MAX_OBJECT_SIZE);
