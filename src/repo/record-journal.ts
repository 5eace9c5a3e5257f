/**
 * The record journal (`<git-common-dir>/gitrepro/pending`): commits whose records are still to be
 * written. Lines are `<commit>` or `<commit>\t<json PendingExtra>`; the post-commit sh shim appends
 * plain lines itself. Kept apart from records.ts so hooks can journal without loading the
 * record schemas and the environment collectors.
 */
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { Repo } from './context.js';

export interface PendingExtra {
  rewrittenFrom?: string[];
  dataNotCommitted?: boolean;
}

export async function journalPending(repo: Repo, commit: string, extra?: PendingExtra): Promise<void> {
  await appendFile(path.join(repo.sharedDir, 'pending'), extra ? `${commit}\t${JSON.stringify(extra)}\n` : `${commit}\n`);
}
