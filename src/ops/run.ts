/**
 * `gitrepro run`: an ad-hoc step, run and recorded like a stage (command, dep and out hashes,
 * params, seed, exit code, duration, environment); its outs become tracked data and the run
 * joins the next commit's record. What it shares with `repro` is in repo/pipeline-context.ts.
 */
import type { RunRecord } from '../record/index.js';
import { runStage } from '../pipeline/run-stage.js';
import { validateStages } from '../pipeline/graph.js';
import { Hasher } from '../pipeline/hashing.js';
import { ParamsReader } from '../pipeline/stage-params.js';
import { readInputs } from '../pipeline/reproduce.js';
import { RunCache } from '../pipeline/runcache.js';
import { openRepo, requireSetUp } from '../repo/context.js';
import { pipelineFor, type PipelineOptions } from '../repo/pipeline-context.js';
import { completePending } from '../repo/record-io.js';
import { stageFromArgs, trackOuts, type StageArgs } from './stage.js';

export type { PipelineOptions };

export interface RunStepResult {
  run: RunRecord;
  /** track patterns added for the outs */
  tracked: string[];
}

/**
 * Runs `cmd` once (never skipped: an ad-hoc step is run because it was asked for) and journals
 * its run record. A failure is journaled too and thrown as GITREPRO_STAGE_FAILED with the
 * command's exit code.
 */
export async function runStep(o: StageArgs & PipelineOptions & { cwd: string; name?: string }): Promise<RunStepResult> {
  let repo = await openRepo(o.cwd);
  requireSetUp(repo);
  await completePending(repo);
  const name = o.name ?? 'run';
  const stage = stageFromArgs(repo, o.cwd, name, o);
  validateStages({ [name]: stage });
  const t = await trackOuts(repo, o.cwd, stage.outs);
  repo = t.repo;
  for (const p of t.inGit) o.reporter?.warn?.(`${p} is committed to git but is now tracked data: move it out of git with: git rm --cached -- ${p}`);
  const p = await pipelineFor(repo, o, new RunCache());
  const inputs = (await readInputs(new Hasher(repo.root, p.statCache), new ParamsReader(repo.root, p.defaultParamsFile), name, stage))!;
  return { run: await runStage(p, name, stage, inputs), tracked: t.added };
}
