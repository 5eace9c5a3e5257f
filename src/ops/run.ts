/**
 * `gitrepro run`: an ad-hoc step, run and recorded like a stage (command, dep and out hashes,
 * params, seed, exit code, duration, environment); its outs become tracked data and the run
 * joins the next commit's record. Also the pieces `repro` shares: the run cache built from the
 * records, and the pipeline context of a repository.
 */
import { collectEnv } from '../env/index.js';
import { listNotes, readNotes } from '../git/notes.js';
import { tryResolveCommit } from '../git/revs.js';
import { parseNote, type RunRecord } from '../record/index.js';
import type { StageIO } from '../pipeline/exec.js';
import type { Pipeline } from '../pipeline/execute.js';
import { runStage } from '../pipeline/execute.js';
import { validateStages } from '../pipeline/graph.js';
import { Hasher } from '../pipeline/hashing.js';
import { ParamsReader } from '../pipeline/params.js';
import { readInputs } from '../pipeline/reproduce.js';
import { RunCache } from '../pipeline/runcache.js';
import { readPendingRuns } from '../pipeline/runlog.js';
import { withRepoLock } from '../workspace/lock.js';
import { StatCache } from '../workspace/statcache.js';
import { openRepo, requireSetUp, type Repo, type Reporter } from './context.js';
import { completePending } from './records.js';
import { stageFromArgs, trackOuts, type StageArgs } from './stage.js';

/** Every run in the records (git notes) and every pending run: the run cache's contents. */
export async function recordedRuns(repo: Repo): Promise<RunRecord[]> {
  const notes = await readNotes(repo.root, [...(await listNotes(repo.root)).keys()]);
  const runs: RunRecord[] = [];
  for (const text of notes.values()) {
    const p = parseNote(text);
    if (p.ok) for (const r of p.records) runs.push(...r.runs);
  }
  for (const e of await readPendingRuns(repo.sharedDir)) runs.push(e.run);
  return runs;
}

export interface PipelineOptions {
  /** where commands' output goes (default: captured, only its tail kept for errors) */
  io?: StageIO;
  reporter?: Reporter;
  /** the environment commands run with (default process.env) */
  env?: NodeJS.ProcessEnv;
}

/** The pipeline context of a repository: its work tree, store, lock and environment collector. */
export async function pipelineFor(repo: Repo, o: PipelineOptions, cache: RunCache): Promise<Pipeline> {
  return {
    wt: {
      root: repo.root,
      store: repo.store,
      stateDir: repo.stateDir,
      sharedDir: repo.sharedDir,
      locked: (fn) => withRepoLock(repo.sharedDir, fn, { what: 'record a run' }),
    },
    defaultParamsFile: repo.config.params?.[0] ?? 'params.yaml',
    cache,
    base: (await tryResolveCommit(repo.root, 'HEAD')) ?? null,
    env: o.env ?? process.env,
    io: o.io,
    reporter: o.reporter,
    statCache: await StatCache.load(repo.stateDir),
    snapshotEnv: (childEnv, seed) =>
      collectEnv({ cwd: repo.root, env: childEnv, allow: repo.config.env.allow, packages: repo.config.env.packages, cacheDir: repo.sharedDir, seed }),
  };
}

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
