/**
 * What `repro`, `run` and `verify --rerun` share: the run cache's contents (every run in the
 * records and every pending run) and the pipeline context of a repository (its work tree,
 * store, lock and environment collector) that the pipeline layer runs stages in.
 */
import { collectEnv } from '../env/index.js';
import { listNotes, readNotes } from '../git/notes.js';
import { tryResolveCommit } from '../git/revs.js';
import { parseNote, type RunRecord } from '../record/index.js';
import type { StageIO } from '../pipeline/shell.js';
import type { Pipeline } from '../pipeline/run-stage.js';
import { RunCache } from '../pipeline/runcache.js';
import { readPendingRuns } from '../pipeline/runlog.js';
import { withRepoLock } from '../workspace/repo-lock.js';
import { StampedHashes } from '../workspace/changes.js';
import { readWorkState } from '../workspace/worktree-state.js';
import type { Repo, Reporter } from './context.js';
import { repoExecutables } from './record-io.js';
import { effectiveEnvSettings } from './trust.js';

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
    statCache: new StampedHashes(repo.root, await readWorkState(repo.stateDir)),
    snapshotEnv: (childEnv, seed) =>
      Promise.all([repoExecutables(repo, childEnv), effectiveEnvSettings(repo)]).then(([untrusted, { allow, packages }]) =>
        collectEnv({ cwd: repo.root, env: childEnv, allow, packages, cacheDir: repo.sharedDir, seed, untrusted }),
      ),
  };
}
