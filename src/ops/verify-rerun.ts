/**
 * The engine of `gitrepro verify --rerun`: proves that commits reproduce. For each commit, in a
 * temporary worktree (`git worktree add --detach`, hooks off), it puts the commit's data for the
 * recorded runs' deps back from the store, re-executes the runs its record lists (the last
 * successful run of each stage, oldest first) `repeat` times, and compares every output's hash
 * with the record: identical, different, nondeterministic (repeats disagree) or missing. Each
 * run also lists how the current environment differs from the one it was recorded in.
 * The user's work tree, index and HEAD are never touched; the worktree is removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { collectEnv, diffEnv, type EnvDiff } from '../env/index.js';
import { isGitreproError } from '../errors.js';
import { readSnapshot, type Snapshot } from '../git/snapshot.js';
import { readFileAt, resolveCommit } from '../git/revs.js';
import { git, runGit } from '../git/run.js';
import { CONFIG_FILE, type EnvSnapshot } from '../record/index.js';
import { selectRuns, vouchedRuns, type OutputVerdict, type RunVerdict, type SkipKind } from '../pipeline/compare.js';
import type { StageIO } from '../pipeline/shell.js';
import { overlaps } from '../pipeline/graph.js';
import { manifestDigest } from '../pipeline/manifest.js';
import { placeResolved } from '../pipeline/outputs.js';
import { rerunRecorded, type RerunRunResult } from '../pipeline/replay.js';
import { parseConfig } from '../workspace/config.js';
import { openRepo, type Repo, type Reporter } from '../repo/context.js';
import { lockAt } from '../repo/lock-file.js';
import { completePending, recordsOf, repoExecutables } from '../repo/record-io.js';
import { scrubText } from '../secrets.js';
import { effectiveEnvSettings } from '../repo/trust.js';

export type { OutputVerdict, RunVerdict, SkipKind };
export type { RerunOutput, RerunInput } from '../pipeline/replay.js';

export interface RerunRun extends RerunRunResult {
  /** every difference between the recorded environment (the run's, else the record's) and the rerun's */
  env: EnvDiff[];
}

export interface RerunCommit {
  commit: string;
  /** verified: runs re-executed; no-runs: the record lists none to rerun; error: could not rerun */
  status: 'verified' | 'no-runs' | 'error';
  runs: RerunRun[];
  /** recorded runs not re-executed, and why (config-mismatch fails the check; the others do not) */
  skipped: { stage: string; recordedAt: string; why: string; kind: SkipKind }[];
  error?: { code: string; message: string; hint?: string };
}

export interface RerunReport {
  repeat: number;
  stage?: string;
  commits: RerunCommit[];
}

export interface RerunOptions {
  cwd: string;
  /** commit ids, oldest first */
  revs: string[];
  /** executions per run (≥ 2 also tells nondeterministic outputs apart) */
  repeat: number;
  /** only the runs of this stage */
  stage?: string;
  /** where commands' output goes (default: captured; the tail of a failure is in the report) */
  io?: StageIO;
  reporter?: Reporter;
  /** the environment commands run with (default process.env) */
  env?: NodeJS.ProcessEnv;
  /**
   * Also rerun runs whose command only the record gives (ad-hoc runs, or a cmd that is not the
   * commit's gitrepro.yaml's). Records are notes anyone can push: by default only commands the
   * commit's own gitrepro.yaml names are executed.
   */
  trustRecords?: boolean;
}

/** Re-executes the recorded runs of `revs` and compares their outputs with the records. */
export async function rerunVerify(opts: RerunOptions): Promise<RerunReport> {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const repeat = Math.max(1, Math.floor(opts.repeat));
  const commits: RerunCommit[] = [];
  for (const rev of opts.revs) {
    let commit = rev;
    try {
      commit = await resolveCommit(repo.root, rev);
      commits.push(await rerunCommit(repo, commit, { ...opts, repeat }));
    } catch (e) {
      if (!isGitreproError(e)) throw e;
      commits.push({ commit, status: 'error', runs: [], skipped: [], error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } });
    }
  }
  return { repeat, ...(opts.stage !== undefined ? { stage: opts.stage } : {}), commits };
}

async function rerunCommit(repo: Repo, commit: string, o: RerunOptions): Promise<RerunCommit> {
  const rec = await recordsOf(repo, commit);
  if (!rec) return { commit, status: 'error', runs: [], skipped: [], error: { code: 'GITREPRO_NO_RECORD', message: `${commit.slice(0, 12)} has no record`, hint: `write one with \`gitrepro record ${commit.slice(0, 12)}\`` } };
  if (!rec.ok) return { commit, status: 'error', runs: [], skipped: [], error: { code: 'GITREPRO_RECORD_INVALID', message: `the record of ${commit.slice(0, 12)} is invalid: ${rec.error}` } };
  const cfg = await parseConfig((await readFileAt(repo.root, commit, CONFIG_FILE))?.toString('utf8')).catch(() => undefined);
  const sel = vouchedRuns(selectRuns(rec.records.flatMap((r) => r.runs), o.stage), cfg?.stages ?? {}, Boolean(o.trustRecords));
  const skipped = sel.skipped.map((s) => ({ stage: s.run.stage, recordedAt: s.run.startedAt, why: s.why, kind: s.kind }));
  if (sel.verify.length === 0) return { commit, status: 'no-runs', runs: [], skipped };
  const lock = await lockAt(repo, commit);
  const snap: Snapshot = lock ? await readSnapshot(repo.root, lock.tree) : new Map();
  const tmp = await mkdtemp(path.join(tmpdir(), 'gitrepro-rerun-'));
  const wt = path.join(tmp, 'worktree');
  try {
    // no hook runs in the scratch worktree: ours would restore data there, a foreign one may do anything
    await git(repo.root, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', wt, commit], { env: { GITREPRO_SKIP: '1' } });
    const deps = sel.verify.flatMap((r) => Object.keys(r.deps));
    for (const [p, e] of snap) {
      if (deps.some((d) => overlaps(d, p))) await placeResolved(repo.store, wt, p, { kind: 'file', sha256: e.sha256, size: e.size }).catch(() => {});
    }
    const recordEnv = rec.records[rec.records.length - 1].env;
    const runs: RerunRun[] = [];
    for (const run of sel.verify) {
      o.reporter?.info?.(`rerunning ${run.stage} at ${commit.slice(0, 12)}${o.repeat > 1 ? ` (${o.repeat} times)` : ''}: ${scrubText(run.cmd)}`);
      const { result, childEnv } = await rerunRecorded(
        { root: wt, store: repo.store, defaultParamsFile: cfg?.params?.[0] ?? 'params.yaml', repeat: o.repeat, env: o.env ?? process.env, io: o.io, committed: (p) => committedHash(snap, p) },
        run,
      );
      const { allow, packages } = await effectiveEnvSettings(repo);
      const now = await collectEnv({ cwd: wt, env: childEnv, allow, packages, cacheDir: repo.sharedDir, seed: run.seed, untrusted: await repoExecutables(repo, childEnv) });
      runs.push({ ...result, env: diffEnv(run.env ?? (recordEnv as EnvSnapshot), now) });
    }
    return { commit, status: 'verified', runs, skipped };
  } finally {
    await runGit(repo.root, ['worktree', 'remove', '--force', wt], { ok: [0, 128] });
    await rm(tmp, { recursive: true, force: true });
    await runGit(repo.root, ['worktree', 'prune'], { ok: [0, 128] });
  }
}

/** The hash of `rel` in a commit's data: a file's sha256, or a directory's manifest digest. */
function committedHash(snap: Snapshot, rel: string): string | undefined {
  const file = snap.get(rel);
  if (file) return file.sha256;
  const under = [...snap].filter(([p]) => p.startsWith(`${rel}/`)).map(([p, e]) => ({ path: p.slice(rel.length + 1), sha256: e.sha256 }));
  return under.length ? manifestDigest(under) : undefined;
}

export interface RerunSummary {
  /** every output of every rerun identical, no run recorded with another cmd than its stage's, every commit rerun */
  ok: boolean;
  commits: number;
  runs: number;
  outputs: Record<OutputVerdict, number>;
  failedRuns: number;
  /** runs skipped because the record's cmd is not the commit's gitrepro.yaml's */
  mismatched: number;
  errors: number;
}

/** Pure: counts the verdicts of a report; ok when nothing differs. */
export function summarize(report: RerunReport): RerunSummary {
  const outputs: Record<OutputVerdict, number> = { identical: 0, different: 0, nondeterministic: 0, missing: 0 };
  let runs = 0;
  let failedRuns = 0;
  for (const c of report.commits) {
    for (const r of c.runs) {
      runs++;
      if (r.verdict === 'failed') failedRuns++;
      for (const out of r.outputs) outputs[out.verdict]++;
    }
  }
  const errors = report.commits.filter((c) => c.status === 'error').length;
  const mismatched = report.commits.reduce((n, c) => n + c.skipped.filter((s) => s.kind === 'config-mismatch').length, 0);
  const ok = errors === 0 && failedRuns === 0 && mismatched === 0 && outputs.different + outputs.nondeterministic + outputs.missing === 0;
  return { ok, commits: report.commits.length, runs, outputs, failedRuns, mismatched, errors };
}

