/**
 * The stage graph. A stage depends on every stage that writes one of its deps: an out and a dep
 * are linked when they name the same path or one lies inside the other (an out `data/prepared`
 * feeds a dep `data/prepared/train.csv`, and a dep `data` too).
 *
 *     prepare ──data/prepared──▶ train ──models/model.json──▶ evaluate
 *        │                                                      ▲
 *        └─────────────────── data/prepared/test.csv ───────────┘
 *
 * Planning only orders stages (upstream first, ties in the order gitrepro.yaml lists them);
 * whether a stage runs is decided when its turn comes (reproduce.ts), since its deps may be
 * the outs of a stage that has just run. Same split as DVC's plan_repro and _reproduce.
 */
import { GitreproError } from '../errors.js';
import type { StageConfig } from '../record/config.js';

export type Stages = Record<string, StageConfig>;

/** Same path, or one is an ancestor directory of the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

function invalid(stage: string, field: string, msg: string): GitreproError {
  return new GitreproError('GITREPRO_STAGE_INVALID', `stage ${JSON.stringify(stage)}: ${field}: ${msg}`, {
    hint: 'fix the stage in gitrepro.yaml (or `gitrepro stage add --force`)',
    data: { stage, field },
  });
}

/** Rules across stages: each out is written by one stage, and never read by the same stage. */
export function validateStages(stages: Stages): void {
  const owners: [string, string][] = [];
  for (const [name, s] of Object.entries(stages)) {
    s.outs.forEach((o, i) => {
      const dep = s.deps.findIndex((d) => overlaps(d, o));
      if (dep >= 0) throw new GitreproError('GITREPRO_PIPELINE_CYCLE', `stage ${JSON.stringify(name)} reads its own output: deps.${dep} ${s.deps[dep]} overlaps outs.${i} ${o}`, { hint: 'a stage cannot depend on what it writes', data: { cycle: [name, name] } });
      const twice = s.outs.findIndex((x, j) => j !== i && overlaps(x, o));
      if (twice >= 0) throw invalid(name, `outs.${i}`, `${o} overlaps outs.${twice} ${s.outs[twice]}`);
      const other = owners.find(([, p]) => overlaps(p, o));
      if (other) throw invalid(name, `outs.${i}`, `${o} overlaps an out of stage ${JSON.stringify(other[0])} (${other[1]})`);
    });
    for (const o of s.outs) owners.push([name, o]);
  }
}

/** For each stage, the stages whose outs it reads (in declaration order). */
export function upstreamOf(stages: Stages): Map<string, string[]> {
  const names = Object.keys(stages);
  const up = new Map<string, string[]>();
  for (const n of names) {
    up.set(n, names.filter((m) => m !== n && stages[m].outs.some((o) => stages[n].deps.some((d) => overlaps(d, o)))));
  }
  return up;
}

/**
 * The stages to consider for `targets` (all stages when none), upstream first. Throws
 * GITREPRO_PIPELINE_CYCLE naming the cycle, or GITREPRO_USAGE for an unknown target.
 */
export function planOrder(stages: Stages, targets?: string[]): string[] {
  validateStages(stages);
  const up = upstreamOf(stages);
  const roots = targets?.length ? targets : Object.keys(stages);
  for (const t of roots) {
    if (!(t in stages)) {
      throw new GitreproError('GITREPRO_USAGE', `no stage named ${JSON.stringify(t)}`, { hint: `stages: ${Object.keys(stages).join(', ') || 'none (add one with `gitrepro stage add`)'}` });
    }
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (n: string, trail: string[]): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(n)), n];
      throw new GitreproError('GITREPRO_PIPELINE_CYCLE', `stages depend on each other in a cycle: ${cycle.join(' → ')}`, {
        hint: 'an out of a later stage is a dep of an earlier one: break the cycle in gitrepro.yaml',
        data: { cycle },
      });
    }
    state.set(n, 'visiting');
    for (const u of up.get(n) ?? []) visit(u, [...trail, n]);
    state.set(n, 'done');
    order.push(n);
  };
  for (const t of roots) visit(t, []);
  return order;
}
