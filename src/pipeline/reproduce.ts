/**
 * Executing a planned order of stages (graph.ts plans it). For each stage, when its turn comes:
 *
 *   inputs = cmd, wdir, dep hashes, params values, seed ──▶ run key
 *   key cached, outs equal the cached run's ──▶ skipped
 *   key cached, outs differ ──▶ restored from the store (no rerun), if the store has them
 *   otherwise ──▶ run: delete outs (unsaved content stored first), sh -c cmd, store the outs,
 *                 journal the run record (it joins the next commit's record)
 *
 * A failing stage stops here (GITREPRO_STAGE_FAILED with its exit code and the outcomes so
 * far); the runs before it are already stored and journaled. A dry run decides the same way
 * without side effects: a stage after one that would run is "would run" (its inputs are not
 * known yet).
 */
import { GitreproError } from '../errors.js';
import type { StageConfig } from '../record/config.js';
import type { RunRecord } from '../record/record.js';
import { runStage, type Pipeline } from './run-stage.js';
import { overlaps, type Stages } from './graph.js';
import { Hasher } from './hashing.js';
import { resolveHash, restoreOutputs } from './outputs.js';
import { ParamsReader } from './stage-params.js';
import { runKey, type RunInputs } from './runcache.js';
import { appendPendingRuns } from './runlog.js';
import { scrubText } from '../secrets.js';

export type StageAction = 'ran' | 'skipped' | 'restored' | 'would-run' | 'would-restore';

export interface StageOutcome {
  stage: string;
  action: StageAction;
  reason: string;
  /** the run recorded (ran), or the cached run whose outs are used (skipped, restored) */
  run?: RunRecord;
}

type Known = Map<string, string | null>;

/**
 * A stage's run inputs in the work tree: dep hashes, params values, cmd, wdir, seed. In a dry
 * run (`known` given), null when a dep is an out of a stage that would run first.
 */
export async function readInputs(hasher: Hasher, params: ParamsReader, name: string, s: StageConfig, known?: Known): Promise<RunInputs | null> {
  const deps: Record<string, string> = {};
  for (const [i, d] of s.deps.entries()) {
    if (known) {
      if (known.has(d) && known.get(d) === null) return null;
      if (known.has(d)) {
        deps[d] = known.get(d)!;
        continue;
      }
      if ([...known.keys()].some((k) => overlaps(k, d))) return null;
    }
    const st = await hasher.hash(d, true);
    if (!st) {
      throw new GitreproError('GITREPRO_STAGE_INVALID', `stage ${JSON.stringify(name)}: deps.${i}: ${d} does not exist`, {
        hint: 'create it, or add the stage that writes it as an out',
        data: { stage: name, field: `deps.${i}` },
      });
    }
    deps[d] = st.sha256;
  }
  // the command as a record holds it (secrets redacted), so that recorded runs and this one key alike
  return { cmd: scrubText(s.cmd), wdir: s.wdir, deps, params: await params.values(name, s.params), seed: s.seed };
}

/** True when every out of `s` is in the cached run and the work tree holds exactly that. */
async function outsMatch(hasher: Hasher, s: StageConfig, hit: RunRecord): Promise<boolean> {
  for (const o of s.outs) {
    if (!(o in hit.outs) || (await hasher.hash(o))?.sha256 !== hit.outs[o]) return false;
  }
  return true;
}

/** Dry run: whether the store can restore `outs`; if so, `known` learns their hashes (and their files'). */
async function wouldRestore(p: Pipeline, outs: Record<string, string>, known: Known): Promise<boolean> {
  const learnt: [string, string][] = [];
  for (const [out, sha] of Object.entries(outs)) {
    const r = await resolveHash(p.wt.store, sha);
    if ('missing' in r) return false;
    learnt.push([out, sha]);
    if (r.kind === 'dir') for (const f of r.files) learnt.push([`${out}/${f.path}`, f.sha256]);
  }
  for (const [k, v] of learnt) known.set(k, v);
  return true;
}

function pick(outs: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, outs[k]]));
}

/** Reproduces `order` (upstream first). `force`: stages that run even when cached. */
export async function reproduce(p: Pipeline, stages: Stages, order: string[], o: { force: Set<string>; dryRun: boolean }): Promise<StageOutcome[]> {
  const hasher = new Hasher(p.wt.root, p.statCache);
  const params = new ParamsReader(p.wt.root, p.defaultParamsFile);
  const known: Known | undefined = o.dryRun ? new Map() : undefined;
  const outcomes: StageOutcome[] = [];
  for (const name of order) {
    const s = stages[name];
    const inputs = await readInputs(hasher, params, name, s, known);
    if (!inputs) {
      outcomes.push({ stage: name, action: 'would-run', reason: 'an upstream stage would run first' });
      for (const out of s.outs) known!.set(out, null);
      continue;
    }
    const hit = o.force.has(name) ? undefined : p.cache.get(runKey(inputs));
    const usable = hit && s.outs.every((x) => x in hit.outs) ? hit : undefined;
    let reason = o.force.has(name) ? 'forced' : p.cache.whyRun(name, inputs);
    if (usable) {
      if (await outsMatch(hasher, s, usable)) {
        outcomes.push({ stage: name, action: 'skipped', reason: 'up to date', run: usable });
        continue; // the work tree already holds its outs
      }
      const outs = pick(usable.outs, s.outs);
      if (known) {
        const ok = await wouldRestore(p, outs, known);
        outcomes.push(ok ? { stage: name, action: 'would-restore', reason: `cached run of ${usable.startedAt}`, run: usable } : { stage: name, action: 'would-run', reason: 'cached outputs are not in the local store' });
        if (!ok) for (const out of s.outs) known.set(out, null);
        continue;
      }
      if (await restoreOutputs(p.wt, outs)) {
        await p.wt.locked(() => appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run: usable }]));
        outcomes.push({ stage: name, action: 'restored', reason: `cached run of ${usable.startedAt}`, run: usable });
        p.reporter?.info?.(`stage ${name}: outputs restored from the run cache (run of ${usable.startedAt}), not rerun`);
        continue;
      }
      reason = 'cached outputs are not in the local store';
    }
    if (known) {
      outcomes.push({ stage: name, action: 'would-run', reason });
      for (const out of s.outs) known.set(out, null);
      continue;
    }
    p.reporter?.info?.(`running stage ${name} (${reason}): ${scrubText(s.cmd)}`);
    const run = await runStage(p, name, s, inputs, outcomes);
    outcomes.push({ stage: name, action: 'ran', reason, run });
  }
  return outcomes;
}
