/**
 * Pending run records (`<git-common-dir>/gitrepro/runs-pending.jsonl`): runs recorded since
 * the last commit, waiting to join the record of the next one. One JSON line per run:
 *
 *   {"base": "<HEAD when the run was recorded, or null>", "run": {<run record>}}
 *
 * Writers append under the repository lock. The record flusher (ops/records.ts) takes the
 * journal by renaming it to `runs-pending.<pid>.<time>.taken`, attaches the runs, appends the
 * ones it could not attach back, and only then deletes the taken file: a flusher that dies
 * leaves the taken file for the next one. Readers deduplicate identical lines, so a crash
 * between the append-back and the delete repeats no run.
 */
import { appendFile, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../record/canonical.js';
import { runRecordSchema, type RunRecord } from '../record/record.js';
import { GIT_OID_RE } from '../record/rules.js';

export const PENDING_RUNS = 'runs-pending.jsonl';

export interface PendingRun {
  /** HEAD when the run was recorded (null: no commit yet) */
  base: string | null;
  run: RunRecord;
}

/** Appends runs to the journal. The caller holds the repository lock. */
export async function appendPendingRuns(sharedDir: string, entries: PendingRun[]): Promise<void> {
  if (entries.length === 0) return;
  // validated on the way in too: a line the flusher would refuse must never be written
  const lines = entries.map((e) => JSON.stringify({ base: e.base, run: runRecordSchema.parse(e.run) }));
  await appendFile(path.join(sharedDir, PENDING_RUNS), lines.join('\n') + '\n');
}

function parseLines(text: string, into: Map<string, PendingRun>): void {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let raw: { base?: unknown; run?: unknown };
    try {
      raw = JSON.parse(line);
    } catch {
      continue; // a torn last line of a writer that died
    }
    const run = runRecordSchema.safeParse(raw.run);
    const base = typeof raw.base === 'string' && GIT_OID_RE.test(raw.base) ? raw.base : null;
    if (!run.success) continue;
    const e = { base, run: run.data };
    into.set(canonicalJson(e), e);
  }
}

async function takenFiles(sharedDir: string): Promise<string[]> {
  const names = await readdir(sharedDir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('runs-pending.') && n.endsWith('.taken')).map((n) => path.join(sharedDir, n));
}

async function readAll(files: string[]): Promise<PendingRun[]> {
  const seen = new Map<string, PendingRun>();
  for (const f of files) parseLines(await readFile(f, 'utf8').catch(() => ''), seen);
  return [...seen.values()].sort((a, b) => (a.run.startedAt < b.run.startedAt ? -1 : a.run.startedAt > b.run.startedAt ? 1 : 0));
}

/** Every pending run (the journal and any taken file), oldest first, without taking them. */
export async function readPendingRuns(sharedDir: string): Promise<PendingRun[]> {
  return readAll([...(await takenFiles(sharedDir)), path.join(sharedDir, PENDING_RUNS)]);
}

/** Takes the journal (rename) plus leftovers of a dead flusher. The caller holds the repo lock. */
export async function takePendingRuns(sharedDir: string): Promise<{ runs: PendingRun[]; files: string[] }> {
  const own = path.join(sharedDir, `runs-pending.${process.pid}.${Date.now()}.taken`);
  await rename(path.join(sharedDir, PENDING_RUNS), own).catch(() => {});
  const files = await takenFiles(sharedDir);
  return { runs: await readAll(files), files };
}

/** Puts back the runs not attached, then drops the taken files. The caller holds the repo lock. */
export async function releasePendingRuns(sharedDir: string, files: string[], keep: PendingRun[]): Promise<void> {
  await appendPendingRuns(sharedDir, keep);
  for (const f of files) await rm(f, { force: true });
}
