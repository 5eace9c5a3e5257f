/**
 * `gitrepro stage add|list`: pipeline stages in gitrepro.yaml (`stages:`). A stage added here
 * is validated like a hand-written one (the config's zod schema, then the rules across stages:
 * outs written once, no cycle) before gitrepro.yaml is touched, and its outs become tracked data.
 */
import path from 'node:path';
import YAML from 'yaml';
import { GitreproError } from '../errors.js';
import { formatIssues } from '../record/issues.js';
import { stageSchema, type StageConfig } from '../record/config.js';
import { shellJoin } from '../pipeline/shell.js';
import { planOrder, upstreamOf, type Stages } from '../pipeline/graph.js';
import { editConfig } from '../workspace/config.js';
import { isTrackedPath, makeMatcher } from '../workspace/walk.js';
import { openRepo, type Repo } from '../repo/context.js';
import { track } from './track.js';
import { acceptOwnEdit } from '../repo/trust.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface StageArgs {
  cmd: string | string[];
  /** paths relative to `cwd` */
  deps?: string[];
  outs?: string[];
  params?: string[];
  seed?: number;
  wdir?: string;
  /** metrics files the command writes, also outs (tracked data), as DVC's `-m` */
  metrics?: string[];
  /** metrics files the command writes that stay in git (not outs), as DVC's `-M` */
  metricsNoTrack?: string[];
}

function invalid(name: string, what: string, hint = 'see `gitrepro stage add --help`'): GitreproError {
  return new GitreproError('GITREPRO_STAGE_INVALID', `stage ${JSON.stringify(name)}: ${what}`, { hint, data: { stage: name } });
}

/** A path argument (relative to cwd) as a repo-relative path. */
function repoPath(repo: Repo, cwd: string, p: string, name: string, field: string): string {
  const rel = path.relative(repo.root, path.resolve(cwd, p)).split(path.sep).join('/');
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) throw invalid(name, `${field}: ${p} is not inside the work tree`);
  return rel;
}

/** Builds and validates a stage from command-line style arguments (paths relative to cwd). */
export function stageFromArgs(repo: Repo, cwd: string, name: string, a: StageArgs): StageConfig {
  if (!NAME_RE.test(name)) throw invalid(name, 'name: use letters, digits, ".", "_" and "-", starting with a letter or digit');
  const cmd = typeof a.cmd === 'string' ? a.cmd : shellJoin(a.cmd);
  const wdir = a.wdir === undefined ? undefined : path.relative(repo.root, path.resolve(cwd, a.wdir)).split(path.sep).join('/');
  const tracked = (a.metrics ?? []).map((p, i) => repoPath(repo, cwd, p, name, `metrics.${i}`));
  const inGit = (a.metricsNoTrack ?? []).map((p, i) => repoPath(repo, cwd, p, name, `metrics.${tracked.length + i}`));
  const outs = (a.outs ?? []).map((p, i) => repoPath(repo, cwd, p, name, `outs.${i}`));
  const metrics = [...new Set([...tracked, ...inGit])];
  const raw = {
    cmd,
    deps: (a.deps ?? []).map((p, i) => repoPath(repo, cwd, p, name, `deps.${i}`)),
    outs: [...new Set([...outs, ...tracked])],
    params: a.params ?? [],
    ...(a.seed !== undefined ? { seed: a.seed } : {}),
    ...(wdir ? { wdir } : {}),
    ...(metrics.length ? { metrics } : {}),
  };
  const r = stageSchema.safeParse(raw);
  if (!r.success) throw invalid(name, formatIssues(r.error.issues), 'fix the stage arguments');
  return r.data;
}


/** Makes outs tracked data: anchored patterns (`/models/model.json`) for those not yet covered. */
export async function trackOuts(repo: Repo, cwd: string, outs: string[]): Promise<{ repo: Repo; added: string[]; inGit: string[] }> {
  const need = outs.filter((o) => !isTrackedPath(repo.matcher, o)).map((o) => `/${o.replace(/([*?[\]\\])/g, '\\$1')}`);
  if (need.length === 0) return { repo, added: [], inGit: [] };
  const r = await track({ cwd: repo.root, patterns: need });
  const m = makeMatcher(need);
  return { repo: await openRepo(cwd), added: r.added, inGit: r.inGit.filter((p) => isTrackedPath(m, p)) };
}

export interface AddStageResult {
  name: string;
  stage: StageConfig;
  replaced: boolean;
  /** track patterns added for its outs */
  tracked: string[];
  /** out files git already tracks (they need `git rm --cached`) */
  inGit: string[];
}

/** Writes stage `name` into gitrepro.yaml (`force` replaces an existing one) and tracks its outs. */
export async function addStage(o: StageArgs & { cwd: string; name: string; force?: boolean }): Promise<AddStageResult> {
  const repo = await openRepo(o.cwd);
  const stage = stageFromArgs(repo, o.cwd, o.name, o);
  const replaced = o.name in repo.config.stages;
  if (replaced && !o.force) throw invalid(o.name, 'a stage of that name exists', 'pass --force to replace it');
  const next: Stages = { ...repo.config.stages, [o.name]: stage };
  planOrder(next); // cycles, outs written twice
  const after = await editConfig(repo.root, (doc) => {
    const node = doc.createNode(Object.fromEntries(Object.entries(stage).filter(([, v]) => !(Array.isArray(v) && v.length === 0))));
    doc.setIn(['stages', o.name], node);
    const stagesNode = doc.get('stages', true);
    if (YAML.isMap(stagesNode)) stagesNode.flow = false;
  });
  await acceptOwnEdit(repo, repo.config, after);
  const t = await trackOuts(repo, o.cwd, stage.outs);
  return { name: o.name, stage, replaced, tracked: t.added, inGit: t.inGit };
}

/** The stages of gitrepro.yaml in run order, each with the stages it reads from. */
export async function listStages(o: { cwd: string }): Promise<{ name: string; stage: StageConfig; upstream: string[] }[]> {
  const repo = await openRepo(o.cwd);
  const stages = repo.config.stages;
  if (Object.keys(stages).length === 0) return [];
  const up = upstreamOf(stages);
  return planOrder(stages).map((name) => ({ name, stage: stages[name], upstream: up.get(name) ?? [] }));
}
