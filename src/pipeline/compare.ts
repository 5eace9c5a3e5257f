/**
 * What `verify --rerun` re-executes and how it judges the outputs (pure functions).
 *
 * A commit's record may hold several runs of one stage (a param tried, then changed back) and
 * failed runs. Only the last successful run of a stage reflects the commit: an earlier run is
 * superseded by a later one of the same name or writing an overlapping out.
 *
 * An output is identical when every repeat wrote the recorded hash, different when the repeats
 * agree with each other but not with the record, nondeterministic when the repeats disagree
 * with each other, missing when no repeat wrote it.
 */
import type { RunRecord } from '../record/record.js';
import { overlaps } from './graph.js';
import { scrubText } from '../secrets.js';

export type OutputVerdict = 'identical' | 'different' | 'nondeterministic' | 'missing';
export type RunVerdict = 'identical' | 'different' | 'nondeterministic' | 'failed';

/**
 * Why a recorded run is not re-executed. `failed` and `superseded` say nothing about the commit;
 * `ad-hoc`: its command comes from the record alone (untrusted input: notes can be pushed by
 * anyone), so it runs only when the caller trusts the records; `config-mismatch`: the record's
 * command is not the one the commit's gitrepro.yaml gives that stage, so the commit's outputs do
 * not come from its own pipeline.
 */
export type SkipKind = 'failed' | 'superseded' | 'ad-hoc' | 'config-mismatch';

export interface RunSelection {
  verify: RunRecord[];
  skipped: { run: RunRecord; why: string; kind: SkipKind }[];
}

/** The runs to re-execute, oldest first (`stage`: only runs of that stage). */
export function selectRuns(runs: RunRecord[], stage?: string): RunSelection {
  const ordered = runs.map((r, i) => ({ r, i })).sort((a, b) => (a.r.startedAt === b.r.startedAt ? a.i - b.i : a.r.startedAt < b.r.startedAt ? -1 : 1)).map((x) => x.r);
  const sel: RunSelection = { verify: [], skipped: [] };
  ordered.forEach((r, i) => {
    if (stage !== undefined && r.stage !== stage) return;
    if (r.exit !== 0) {
      sel.skipped.push({ run: r, why: `the recorded run failed (exit ${r.exit})`, kind: 'failed' });
      return;
    }
    const later = ordered.slice(i + 1).find((l) => l.exit === 0 && (l.stage === r.stage || Object.keys(l.outs).some((o) => Object.keys(r.outs).some((p) => overlaps(o, p)))));
    if (later) sel.skipped.push({ run: r, why: `superseded by a later run of ${later.stage} (${later.startedAt})`, kind: 'superseded' });
    else sel.verify.push(r);
  });
  return sel;
}

/**
 * Keeps the runs whose command the commit's own gitrepro.yaml vouches for (same cmd and wdir as
 * the stage of that name); the others are skipped unless `trust` (the records are trusted).
 */
export function vouchedRuns(sel: RunSelection, stages: Record<string, { cmd: string; wdir?: string }>, trust: boolean): RunSelection {
  if (trust) return sel;
  const out: RunSelection = { verify: [], skipped: [...sel.skipped] };
  for (const r of sel.verify) {
    const s = Object.hasOwn(stages, r.stage) ? stages[r.stage] : undefined;
    if (!s) out.skipped.push({ run: r, why: 'an ad-hoc run: its command is only in the record (not a stage of gitrepro.yaml at this commit)', kind: 'ad-hoc' });
    else if (scrubText(s.cmd) !== r.cmd || (s.wdir ?? '') !== (r.wdir ?? '')) out.skipped.push({ run: r, why: `recorded cmd ${JSON.stringify(r.cmd)} is not stage ${r.stage}'s in gitrepro.yaml at this commit (${JSON.stringify(scrubText(s.cmd))})`, kind: 'config-mismatch' });
    // what runs is the commit's own command (a record holds it with secrets redacted)
    else out.verify.push({ ...r, cmd: s.cmd });
  }
  return out;
}

export function classifyOutput(recorded: string, obtained: (string | null)[]): OutputVerdict {
  if (obtained.every((o) => o === null)) return 'missing';
  if (new Set(obtained).size > 1) return 'nondeterministic';
  return obtained[0] === recorded ? 'identical' : 'different';
}

/** A run's verdict: failed when an exit code differs from the record, else its worst output. */
export function runVerdict(exitsMatch: boolean, outputs: OutputVerdict[]): RunVerdict {
  if (!exitsMatch) return 'failed';
  if (outputs.includes('nondeterministic')) return 'nondeterministic';
  if (outputs.some((o) => o === 'different' || o === 'missing')) return 'different';
  return 'identical';
}
