/** Turns zod issues into `path: message` lines (invalid record keys report why the key is bad). */
import type { z } from 'zod';

export function formatIssues(issues: readonly z.core.$ZodIssue[], max = 3): string {
  return issues
    .slice(0, max)
    .map((i) => {
      const where = i.path.map(String).join('.') || 'value';
      const inner = (i as { issues?: z.core.$ZodIssue[] }).issues;
      const msg = i.code === 'invalid_key' && inner?.length ? inner[0].message : i.message;
      return `${where}: ${msg}`;
    })
    .join('; ');
}
