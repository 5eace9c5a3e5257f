/**
 * Re-executing one recorded run in a scratch tree (a temporary worktree at the run's commit),
 * `repeat` times, and judging its outputs against the record (compare.ts).
 *
 * Each run is checked against its own recorded inputs: a dep whose content in the tree differs
 * from the record is put back from the store when the store has the recorded content (so a
 * difference upstream does not hide whether this stage reproduces), and listed either way.
 * The recorded determinism knobs (PYTHONHASHSEED, CUBLAS_WORKSPACE_CONFIG, ...) are set again
 * with the seed; everything else comes from the current environment, and ops reports how that
 * differs from the recorded one.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { EnvSnapshot } from '../record/env.js';
import type { RunRecord } from '../record/record.js';
import { canonicalJson } from '../record/canonical.js';
import type { LocalStore } from '../store/local.js';
import { classifyOutput, runVerdict, type OutputVerdict, type RunVerdict } from './compare.js';
import { execStage, stageEnv, type StageIO } from './shell.js';
import { Hasher } from './hashing.js';
import { assertInTree, placeResolved, resolveHash } from './outputs.js';
import { ParamsReader } from './stage-params.js';
import { scrubText } from '../secrets.js';

export interface RerunOutput {
  path: string;
  /** the hash in the run record */
  recorded: string;
  /** the hash each repeat obtained (null: not written) */
  obtained: (string | null)[];
  verdict: OutputVerdict;
  /** the hash of this path in the commit's data (undefined: the commit holds no data there) */
  committed?: string;
}

export interface RerunInput {
  path: string;
  recorded: string;
  /** what the commit's tree held (null: nothing) */
  found: string | null;
  /** put back from the store before running */
  restored: boolean;
}

export interface RerunRunResult {
  stage: string;
  cmd: string;
  wdir?: string;
  seed?: number;
  /** when the recorded run started: identifies it among the record's runs */
  recordedAt: string;
  exit: { recorded: number; obtained: number[] };
  durationsMs: number[];
  verdict: RunVerdict;
  outputs: RerunOutput[];
  /** deps that differed from the record */
  inputs: RerunInput[];
  /** params whose value at the commit differs from the recorded one */
  params: { key: string; recorded: unknown; found: unknown }[];
  /** output tail of the first repeat whose exit code differed from the record */
  output?: string;
}

export interface RerunTree {
  root: string;
  store: LocalStore;
  defaultParamsFile: string;
  repeat: number;
  env: NodeJS.ProcessEnv;
  io?: StageIO;
  /** the hash of a path in the commit's data */
  committed(rel: string): string | undefined;
}

function recordedKnobs(env: EnvSnapshot | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env?.determinism ?? {}).filter(([, v]) => !v.includes('<redacted')));
}

/** Re-executes `run` in `t.root`; returns the result and the child's environment (for the env diff). */
export async function rerunRecorded(t: RerunTree, run: RunRecord): Promise<{ result: RerunRunResult; childEnv: NodeJS.ProcessEnv }> {
  const hasher = new Hasher(t.root);
  const inputs: RerunInput[] = [];
  for (const [dep, recorded] of Object.entries(run.deps)) {
    const found = (await hasher.hash(dep, true))?.sha256 ?? null;
    if (found === recorded) continue;
    const r = await resolveHash(t.store, recorded);
    if (!('missing' in r)) await placeResolved(t.store, t.root, dep, r);
    inputs.push({ path: dep, recorded, found, restored: !('missing' in r) });
  }
  const params: RerunRunResult['params'] = [];
  const reader = new ParamsReader(t.root, t.defaultParamsFile);
  for (const [key, recorded] of Object.entries(run.params)) {
    const found = await reader.values(run.stage, [key]).then((v) => v[key], () => undefined);
    if (canonicalJson(found) !== canonicalJson(recorded)) params.push({ key, recorded, found });
  }
  const childEnv = stageEnv(t.env, run.seed, recordedKnobs(run.env));
  const outs = Object.keys(run.outs);
  for (const p of [...outs, ...(run.wdir ? [`${run.wdir}/x`] : [])]) assertInTree(t.root, p);
  const cwd = run.wdir ? path.join(t.root, run.wdir) : t.root;
  await mkdir(cwd, { recursive: true });
  const obtained = new Map<string, (string | null)[]>(outs.map((o) => [o, []]));
  const exits: number[] = [];
  const durations: number[] = [];
  let output: string | undefined;
  for (let i = 0; i < t.repeat; i++) {
    for (const o of outs) await rm(path.join(t.root, o), { recursive: true, force: true });
    const r = await execStage({ cmd: run.cmd, cwd, env: childEnv, io: t.io });
    exits.push(r.exit);
    durations.push(r.durationMs);
    if (r.exit !== run.exit && output === undefined) output = r.tail.slice(-2000);
    // a fresh hasher: a rewritten file must never be taken for the one hashed before it
    const fresh = new Hasher(t.root);
    for (const o of outs) obtained.get(o)!.push((await fresh.hash(o))?.sha256 ?? null);
  }
  const outputs: RerunOutput[] = outs.map((o) => {
    const got = obtained.get(o)!;
    const committed = t.committed(o);
    return { path: o, recorded: run.outs[o], obtained: got, verdict: classifyOutput(run.outs[o], got), ...(committed ? { committed } : {}) };
  });
  const result: RerunRunResult = {
    stage: run.stage, cmd: scrubText(run.cmd), ...(run.wdir ? { wdir: run.wdir } : {}), ...(run.seed !== undefined ? { seed: run.seed } : {}),
    recordedAt: run.startedAt,
    exit: { recorded: run.exit, obtained: exits },
    durationsMs: durations,
    verdict: runVerdict(exits.every((e) => e === run.exit), outputs.map((o) => o.verdict)),
    outputs, inputs, params,
    ...(output !== undefined ? { output } : {}),
  };
  return { result, childEnv };
}
