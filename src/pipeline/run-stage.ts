/**
 * Running one stage for real and recording it: delete its outs (unsaved content is stored
 * first), run the command, store the outs, journal the run record. Used by `repro` for each
 * stage that must run and by `gitrepro run` for an ad-hoc step.
 */
import path from 'node:path';
import { GitreproError } from '../errors.js';
import type { StageConfig } from '../record/config.js';
import type { EnvSnapshot } from '../record/env.js';
import type { RunRecord } from '../record/record.js';
import type { StampedHashes } from '../workspace/changes.js';
import { execStage, stageEnv, type StageIO } from './shell.js';
import { removeOutputs, storeOutputs, type WorkTree } from './outputs.js';
import type { RunCache, RunInputs } from './runcache.js';
import { appendPendingRuns } from './runlog.js';
import { scrubText } from '../secrets.js';
import { readMetricsFiles } from '../workspace/metrics.js';

export interface Pipeline {
  wt: WorkTree;
  defaultParamsFile: string;
  cache: RunCache;
  /** HEAD now: the runs join the record of the next commit after it */
  base: string | null;
  /** the environment commands run with (the seed is added per stage) */
  env: NodeJS.ProcessEnv;
  io?: StageIO;
  reporter?: { info?(msg: string): void; warn?(msg: string): void };
  /** hashes of tracked files unchanged since the last scan, to skip re-reading them */
  statCache?: StampedHashes;
  /** the environment snapshot of a run, given the child's environment (ops supplies it) */
  snapshotEnv(childEnv: NodeJS.ProcessEnv, seed?: number): Promise<EnvSnapshot | undefined>;
}

/**
 * Runs stage `name` and journals its run record. A non-zero exit is journaled too (a failed run
 * never serves as a cache hit) and thrown as GITREPRO_STAGE_FAILED carrying that exit code;
 * `data.outcomes` is whatever the caller passes as the work done before it.
 */
export async function runStage(p: Pipeline, name: string, s: StageConfig, inputs: RunInputs, before: unknown[] = []): Promise<RunRecord> {
  const removed = await removeOutputs(p.wt, s.outs);
  for (const e of removed.rescued) p.reporter?.warn?.(`saved your unsaved ${e.path} before stage ${name} replaced it; get it back with: gitrepro recover -- ${e.path}`);
  const childEnv = stageEnv(p.env, s.seed);
  // the probes run alongside the command: the snapshot costs no wall time of its own
  const envP = p.snapshotEnv(childEnv, s.seed).catch(() => undefined);
  const r = await execStage({ cmd: s.cmd, cwd: s.wdir ? path.join(p.wt.root, s.wdir) : p.wt.root, env: childEnv, io: p.io });
  const env = await envP;
  const run: RunRecord = {
    // argv passes the same secret scan as variables: records are pushed, and a token in a
    // command line (`curl -H 'Authorization: Bearer ghp_...'`) must not go with them
    stage: name, cmd: scrubText(s.cmd), wdir: s.wdir, deps: inputs.deps, outs: {}, params: inputs.params, seed: s.seed,
    exit: r.exit, durationMs: r.durationMs, startedAt: r.startedAt, ...(env ? { env } : {}),
  };
  const fail = (msg: string, exitCode: number) =>
    new GitreproError('GITREPRO_STAGE_FAILED', msg, {
      exitCode,
      hint: 'fix the stage and run `gitrepro repro` again: stages that completed are stored and recorded, and will not rerun',
      data: { stage: name, exit: r.exit, outcomes: before, output: r.tail.slice(-2000) },
    });
  if (r.exit !== 0) {
    await p.wt.locked(() => appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run }]));
    throw fail(`stage ${name} failed with exit ${r.exit}: ${scrubText(s.cmd)}`, r.exit);
  }
  return p.wt.locked(async () => {
    const stored = await storeOutputs(p.wt, s.outs);
    if (stored.missing.length) throw fail(`stage ${name} exited 0 but did not write ${stored.missing.join(', ')}`, 1);
    run.outs = stored.hashes;
    // >>> metrics (issue 13): the metrics files the run left, read like the commit's
    const metrics = await readMetricsFiles(p.wt.root, s.metrics);
    if (metrics) run.metrics = metrics;
    // <<< metrics
    await appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run }]);
    p.cache.add(run);
    return run;
  });
}
