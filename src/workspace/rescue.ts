/**
 * The rescue journal (`<git-common-dir>/gitrepro/rescued.jsonl`): every time gitrepro is about
 * to replace or delete a data file whose content is not in the store (unsaved work), the content
 * is stored first and a line is appended here. `gitrepro recover` reads it back.
 */
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { SHA256_RE, unsafePathReason } from '../record/rules.js';

export interface RescueEntry {
  at: string;
  path: string;
  sha256: string;
  size: number;
  exec: boolean;
  worktree: string;
  reason: string;
}

/** Validates a journal line (a local file, but still never trusted for paths). */
function isRescueEntry(v: unknown): v is RescueEntry {
  const e = v as RescueEntry;
  return (
    !!e && typeof e.at === 'string' && typeof e.path === 'string' && !unsafePathReason(e.path) && SHA256_RE.test(e.sha256) &&
    Number.isSafeInteger(e.size) && e.size >= 0 && typeof e.exec === 'boolean' && typeof e.worktree === 'string' && typeof e.reason === 'string'
  );
}

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
      const v: unknown = JSON.parse(line);
      if (isRescueEntry(v)) out.push(v);
    } catch {
      /* skip */
    }
  }
  return out;
}
