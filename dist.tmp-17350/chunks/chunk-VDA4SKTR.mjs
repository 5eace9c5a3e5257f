import { createRequire as __grCreateRequire } from 'node:module'; const require = __grCreateRequire(import.meta.url);
import {
  planOrder,
  shellJoin,
  upstreamOf
} from "./chunk-SNFIP33I.mjs";
import {
  track
} from "./chunk-DTPI4REG.mjs";
import {
  makeMatcher,
  openRepo
} from "./chunk-QB3QP4U6.mjs";
import {
  editConfig
} from "./chunk-XEPHWZQK.mjs";
import {
  require_dist
} from "./chunk-3K7E3J5L.mjs";
import {
  stageSchema
} from "./chunk-D5UYHJ6Z.mjs";
import {
  formatIssues
} from "./chunk-5GY5TTBL.mjs";
import {
  GitreproError
} from "./chunk-X2WZOGH6.mjs";
import {
  __toESM
} from "./chunk-B4EEFUC4.mjs";

// src/ops/stage.ts
var import_yaml = __toESM(require_dist(), 1);
import path from "node:path";
var NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
function invalid(name, what, hint = "see `gitrepro stage add --help`") {
  return new GitreproError("GITREPRO_STAGE_INVALID", `stage ${JSON.stringify(name)}: ${what}`, { hint, data: { stage: name } });
}
function repoPath(repo, cwd, p, name, field) {
  const rel = path.relative(repo.root, path.resolve(cwd, p)).split(path.sep).join("/");
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) throw invalid(name, `${field}: ${p} is not inside the work tree`);
  return rel;
}
function stageFromArgs(repo, cwd, name, a) {
  if (!NAME_RE.test(name)) throw invalid(name, 'name: use letters, digits, ".", "_" and "-", starting with a letter or digit');
  const cmd = typeof a.cmd === "string" ? a.cmd : shellJoin(a.cmd);
  const wdir = a.wdir === void 0 ? void 0 : path.relative(repo.root, path.resolve(cwd, a.wdir)).split(path.sep).join("/");
  const raw = {
    cmd,
    deps: (a.deps ?? []).map((p, i) => repoPath(repo, cwd, p, name, `deps.${i}`)),
    outs: (a.outs ?? []).map((p, i) => repoPath(repo, cwd, p, name, `outs.${i}`)),
    params: a.params ?? [],
    ...a.seed !== void 0 ? { seed: a.seed } : {},
    ...wdir ? { wdir } : {}
  };
  const r = stageSchema.safeParse(raw);
  if (!r.success) throw invalid(name, formatIssues(r.error.issues), "fix the stage arguments");
  return r.data;
}
function isTracked(m, p) {
  if (m.matches(p)) return true;
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) if (m.matches(parts.slice(0, i).join("/"), true)) return true;
  return false;
}
async function trackOuts(repo, cwd, outs) {
  const need = outs.filter((o) => !isTracked(repo.matcher, o)).map((o) => `/${o.replace(/([*?[\]\\])/g, "\\$1")}`);
  if (need.length === 0) return { repo, added: [], inGit: [] };
  const r = await track({ cwd: repo.root, patterns: need });
  const m = makeMatcher(need);
  return { repo: await openRepo(cwd), added: r.added, inGit: r.inGit.filter((p) => isTracked(m, p)) };
}
async function addStage(o) {
  const repo = await openRepo(o.cwd);
  const stage = stageFromArgs(repo, o.cwd, o.name, o);
  const replaced = o.name in repo.config.stages;
  if (replaced && !o.force) throw invalid(o.name, "a stage of that name exists", "pass --force to replace it");
  const next = { ...repo.config.stages, [o.name]: stage };
  planOrder(next);
  await editConfig(repo.root, (doc) => {
    const node = doc.createNode(Object.fromEntries(Object.entries(stage).filter(([, v]) => !(Array.isArray(v) && v.length === 0))));
    doc.setIn(["stages", o.name], node);
    const stagesNode = doc.get("stages", true);
    if (import_yaml.default.isMap(stagesNode)) stagesNode.flow = false;
  });
  const t = await trackOuts(repo, o.cwd, stage.outs);
  return { name: o.name, stage, replaced, tracked: t.added, inGit: t.inGit };
}
async function listStages(o) {
  const repo = await openRepo(o.cwd);
  const stages = repo.config.stages;
  if (Object.keys(stages).length === 0) return [];
  const up = upstreamOf(stages);
  return planOrder(stages).map((name) => ({ name, stage: stages[name], upstream: up.get(name) ?? [] }));
}

export {
  stageFromArgs,
  trackOuts,
  addStage,
  listStages
};
