/**
 * `gitrepro repro [<stage>...]`: brings the pipeline's outs up to date. Stages run upstream
 * first; a stage whose cmd, dep hashes, params values and seed match a recorded run is skipped,
 * or has its outs restored from the store when the work tree holds others (going back to an
 * earlier commit's inputs reruns nothing). Runs join the next commit's record.
 */
import { GitreproError } from '../errors.js';
import { planOrder } from '../pipeline/graph.js';
import { reproduce, type StageOutcome } from '../pipeline/reproduce.js';
import { RunCache } from '../pipeline/runcache.js';
import { openRepo, requireSetUp } from '../repo/context.js';
import { completePending } from '../repo/record-io.js';
import { pipelineFor, recordedRuns, type PipelineOptions } from '../repo/pipeline-context.js';
import { trackOuts } from './stage.js';

export interface ReproOptions extends PipelineOptions {
  cwd: string;
  /** stages to bring up to date, with what they depend on (default: every stage) */
  targets?: string[];
  /** run the targets (every stage when none is named) even when cached */
  force?: boolean;
  /** decide, run nothing, change nothing */
  dryRun?: boolean;
}

export interface ReproResult {
  /** one per stage considered, in run order */
  stages: StageOutcome[];
  /** track patterns added so that outs are tracked data */
  tracked: string[];
  dryRun: boolean;
}

/**
 * Reproduces the pipeline. A failing stage throws GITREPRO_STAGE_FAILED (exit code = the
 * stage's) whose `data.outcomes` lists the stages done before it.
 */
export async function repro(o: ReproOptions): Promise<ReproResult> {
  let repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const stages = repo.config.stages;
  if (Object.keys(stages).length === 0) {
    throw new GitreproError('GITREPRO_USAGE', 'gitrepro.yaml has no stages', { hint: 'add one: gitrepro stage add <name> -d <dep> -o <out> -- <cmd>' });
  }
  const order = planOrder(stages, o.targets);
  await completePending(repo); // the runs of every commit made so far are in the records
  let tracked: string[] = [];
  if (!o.dryRun) {
    const t = await trackOuts(repo, o.cwd, order.flatMap((n) => stages[n].outs));
    repo = t.repo;
    tracked = t.added;
    for (const p of t.inGit) o.reporter?.warn?.(`${p} is committed to git but is an out (tracked data): move it out of git with: git rm --cached -- ${p}`);
  }
  const cache = new RunCache(await recordedRuns(repo));
  const force = new Set(o.force ? (o.targets?.length ? o.targets : order) : []);
  const p = await pipelineFor(repo, o, cache);
  const outcomes = await reproduce(p, stages, order, { force, dryRun: Boolean(o.dryRun) });
  return { stages: outcomes, tracked, dryRun: Boolean(o.dryRun) };
}
