/**
 * The run cache: every successful run recorded (in the records of commits, and pending runs
 * not yet committed), keyed by exactly what decides a stage's result:
 *
 *   key = sha256(canonicalJson({ cmd, wdir, deps: {path: sha256}, params: {key: value}, seed }))
 *
 * A stage whose key is cached need not run: its outs are those of the cached run (restored from
 * the store when the work tree holds others). Nothing else (time, environment) enters the key:
 * the environment is recorded and compared by `verify --rerun`, not used to skip.
 */
import { canonicalJson } from '../record/canonical.js';
import type { RunRecord } from '../record/record.js';
import { sha256Buffer } from '../store/hash.js';

export interface RunInputs {
  cmd: string;
  wdir?: string;
  deps: Record<string, string>;
  params: Record<string, unknown>;
  seed?: number;
}

export function runKey(i: RunInputs): string {
  return sha256Buffer(canonicalJson({ cmd: i.cmd, wdir: i.wdir, deps: i.deps, params: i.params, seed: i.seed }));
}

export class RunCache {
  private byKey = new Map<string, RunRecord>();
  private byStage = new Map<string, RunRecord>();

  /** Runs in any order: the latest (by startedAt) wins a key. Failed runs are ignored. */
  constructor(runs: Iterable<RunRecord> = []) {
    for (const r of runs) this.add(r);
  }

  add(run: RunRecord): void {
    if (run.exit !== 0) return;
    const key = runKey(run);
    const cur = this.byKey.get(key);
    if (!cur || cur.startedAt <= run.startedAt) this.byKey.set(key, run);
    const last = this.byStage.get(run.stage);
    if (!last || last.startedAt <= run.startedAt) this.byStage.set(run.stage, run);
  }

  get(key: string): RunRecord | undefined {
    return this.byKey.get(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Why `cur` must run, compared with the latest cached run of the same stage. */
  whyRun(stage: string, cur: RunInputs): string {
    const prev = this.byStage.get(stage);
    if (!prev) return 'never ran';
    const why: string[] = [];
    if (prev.cmd !== cur.cmd) why.push('cmd changed');
    if ((prev.wdir ?? '') !== (cur.wdir ?? '')) why.push('wdir changed');
    const deps = changedKeys(prev.deps, cur.deps);
    if (deps.length) why.push(`deps changed: ${deps.join(', ')}`);
    const params = changedKeys(prev.params, cur.params);
    if (params.length) why.push(`params changed: ${params.join(', ')}`);
    if (prev.seed !== cur.seed) why.push('seed changed');
    return why.join('; ') || 'no cached run matches';
  }
}

function changedKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort();
}
