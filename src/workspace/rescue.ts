/**
 * The rescue journal (`<git-common-dir>/gitrepro/rescued.jsonl`): every time gitrepro is about
 * to replace or delete a data file whose content is not in the store (unsaved work), the content
 * is stored first and a line is appended here. `gitrepro recover` reads it back.
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { safePath, sha256Hex } from '../record/index.js';

export const rescueEntrySchema = z.object({
  at: z.string(),
  path: safePath,
  sha256: sha256Hex,
  size: z.number().int().nonnegative(),
  exec: z.boolean(),
  worktree: z.string(),
  reason: z.string(),
});
export type RescueEntry = z.infer<typeof rescueEntrySchema>;

export function rescueJournal(sharedDir: string): string {
  return path.join(sharedDir, 'rescued.jsonl');
}

export async function appendRescue(sharedDir: string, e: RescueEntry): Promise<void> {
  await appendFile(rescueJournal(sharedDir), `${JSON.stringify(e)}\n`);
}

/** Entries, oldest first; malformed lines are skipped. */
export async function readRescues(sharedDir: string): Promise<RescueEntry[]> {
  let text = '';
  try {
    text = await readFile(rescueJournal(sharedDir), 'utf8');
  } catch {
    return [];
  }
  const out: RescueEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = rescueEntrySchema.safeParse(JSON.parse(line));
      if (r.success) out.push(r.data);
    } catch {
      /* skip */
    }
  }
  return out;
}
