/** `gitrepro merge-driver %O %A %B %P`: run by git (merge.gitrepro.driver), never by users. */
import { mergeDriver } from '../ops/merge.js';
import { hookLines } from './hook-messages.js';

export async function runMergeDriver(argv: string[]): Promise<number> {
  const [base, ours, theirs, p] = argv;
  const r = await mergeDriver({ cwd: process.cwd(), base, ours, theirs, path: p ?? 'gitrepro.lock' });
  if (r.conflicts.length) for (const l of hookLines({ kind: 'merge-conflict', paths: r.conflicts })) process.stderr.write(`${l}\n`);
  return r.code;
}
