import { createRequire as __grCreateRequire } from 'node:module'; const require = __grCreateRequire(import.meta.url);
import {
  stageFromArgs,
  trackOuts
} from "./chunk-VDA4SKTR.mjs";
import {
  Hasher,
  ParamsReader,
  removeOutputs,
  resolveHash,
  restoreOutputs,
  storeOutputs
} from "./chunk-2FX5KNGA.mjs";
import {
  execStage,
  overlaps,
  stageEnv,
  validateStages
} from "./chunk-SNFIP33I.mjs";
import {
  StatCache
} from "./chunk-WKVONPCT.mjs";
import {
  openRepo,
  requireSetUp
} from "./chunk-QB3QP4U6.mjs";
import {
  appendPendingRuns,
  collectEnv,
  completePending,
  readPendingRuns
} from "./chunk-3FXMZYC6.mjs";
import {
  listNotes,
  readNotes
} from "./chunk-GWWXMEB2.mjs";
import {
  tryResolveCommit
} from "./chunk-XEPHWZQK.mjs";
import {
  sha256Buffer
} from "./chunk-77LJ6DLO.mjs";
import {
  canonicalJson,
  parseNote
} from "./chunk-SJL773SE.mjs";
import {
  withRepoLock
} from "./chunk-FLGQDNQ5.mjs";
import {
  GitreproError
} from "./chunk-X2WZOGH6.mjs";

// src/pipeline/execute.ts
import path from "node:path";
async function runStage(p, name, s, inputs, before = []) {
  const removed = await removeOutputs(p.wt, s.outs);
  for (const e of removed.rescued) p.reporter?.warn?.(`saved your unsaved ${e.path} before stage ${name} replaced it; get it back with: gitrepro recover -- ${e.path}`);
  const childEnv = stageEnv(p.env, s.seed);
  const envP = p.snapshotEnv(childEnv, s.seed).catch(() => void 0);
  const r = await execStage({ cmd: s.cmd, cwd: s.wdir ? path.join(p.wt.root, s.wdir) : p.wt.root, env: childEnv, io: p.io });
  const env = await envP;
  const run = {
    stage: name,
    cmd: s.cmd,
    wdir: s.wdir,
    deps: inputs.deps,
    outs: {},
    params: inputs.params,
    seed: s.seed,
    exit: r.exit,
    durationMs: r.durationMs,
    startedAt: r.startedAt,
    ...env ? { env } : {}
  };
  const fail = (msg, exitCode) => new GitreproError("GITREPRO_STAGE_FAILED", msg, {
    exitCode,
    hint: "fix the stage and run `gitrepro repro` again: stages that completed are stored and recorded, and will not rerun",
    data: { stage: name, exit: r.exit, outcomes: before, output: r.tail.slice(-2e3) }
  });
  if (r.exit !== 0) {
    await p.wt.locked(() => appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run }]));
    throw fail(`stage ${name} failed with exit ${r.exit}: ${s.cmd}`, r.exit);
  }
  return p.wt.locked(async () => {
    const stored = await storeOutputs(p.wt, s.outs);
    if (stored.missing.length) throw fail(`stage ${name} exited 0 but did not write ${stored.missing.join(", ")}`, 1);
    run.outs = stored.hashes;
    await appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run }]);
    p.cache.add(run);
    return run;
  });
}

// src/pipeline/runcache.ts
function runKey(i) {
  return sha256Buffer(canonicalJson({ cmd: i.cmd, wdir: i.wdir, deps: i.deps, params: i.params, seed: i.seed }));
}
var RunCache = class {
  byKey = /* @__PURE__ */ new Map();
  byStage = /* @__PURE__ */ new Map();
  /** Runs in any order: the latest (by startedAt) wins a key. Failed runs are ignored. */
  constructor(runs = []) {
    for (const r of runs) this.add(r);
  }
  add(run) {
    if (run.exit !== 0) return;
    const key = runKey(run);
    const cur = this.byKey.get(key);
    if (!cur || cur.startedAt <= run.startedAt) this.byKey.set(key, run);
    const last = this.byStage.get(run.stage);
    if (!last || last.startedAt <= run.startedAt) this.byStage.set(run.stage, run);
  }
  get(key) {
    return this.byKey.get(key);
  }
  get size() {
    return this.byKey.size;
  }
  /** Why `cur` must run, compared with the latest cached run of the same stage. */
  whyRun(stage, cur) {
    const prev = this.byStage.get(stage);
    if (!prev) return "never ran";
    const why = [];
    if (prev.cmd !== cur.cmd) why.push("cmd changed");
    if ((prev.wdir ?? "") !== (cur.wdir ?? "")) why.push("wdir changed");
    const deps = changedKeys(prev.deps, cur.deps);
    if (deps.length) why.push(`deps changed: ${deps.join(", ")}`);
    const params = changedKeys(prev.params, cur.params);
    if (params.length) why.push(`params changed: ${params.join(", ")}`);
    if (prev.seed !== cur.seed) why.push("seed changed");
    return why.join("; ") || "no cached run matches";
  }
};
function changedKeys(a, b) {
  return [.../* @__PURE__ */ new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).sort();
}

// src/pipeline/reproduce.ts
async function readInputs(hasher, params, name, s, known) {
  const deps = {};
  for (const [i, d] of s.deps.entries()) {
    if (known) {
      if (known.has(d) && known.get(d) === null) return null;
      if (known.has(d)) {
        deps[d] = known.get(d);
        continue;
      }
      if ([...known.keys()].some((k) => overlaps(k, d))) return null;
    }
    const st = await hasher.hash(d, true);
    if (!st) {
      throw new GitreproError("GITREPRO_STAGE_INVALID", `stage ${JSON.stringify(name)}: deps.${i}: ${d} does not exist`, {
        hint: "create it, or add the stage that writes it as an out",
        data: { stage: name, field: `deps.${i}` }
      });
    }
    deps[d] = st.sha256;
  }
  return { cmd: s.cmd, wdir: s.wdir, deps, params: await params.values(name, s.params), seed: s.seed };
}
async function outsMatch(hasher, s, hit) {
  for (const o of s.outs) {
    if (!(o in hit.outs) || (await hasher.hash(o))?.sha256 !== hit.outs[o]) return false;
  }
  return true;
}
async function wouldRestore(p, outs, known) {
  const learnt = [];
  for (const [out, sha] of Object.entries(outs)) {
    const r = await resolveHash(p.wt.store, sha);
    if ("missing" in r) return false;
    learnt.push([out, sha]);
    if (r.kind === "dir") for (const f of r.files) learnt.push([`${out}/${f.path}`, f.sha256]);
  }
  for (const [k, v] of learnt) known.set(k, v);
  return true;
}
function pick(outs, keys) {
  return Object.fromEntries(keys.map((k) => [k, outs[k]]));
}
async function reproduce(p, stages, order, o) {
  const hasher = new Hasher(p.wt.root, p.statCache);
  const params = new ParamsReader(p.wt.root, p.defaultParamsFile);
  const known = o.dryRun ? /* @__PURE__ */ new Map() : void 0;
  const outcomes = [];
  for (const name of order) {
    const s = stages[name];
    const inputs = await readInputs(hasher, params, name, s, known);
    if (!inputs) {
      outcomes.push({ stage: name, action: "would-run", reason: "an upstream stage would run first" });
      for (const out of s.outs) known.set(out, null);
      continue;
    }
    const hit = o.force.has(name) ? void 0 : p.cache.get(runKey(inputs));
    const usable = hit && s.outs.every((x) => x in hit.outs) ? hit : void 0;
    let reason = o.force.has(name) ? "forced" : p.cache.whyRun(name, inputs);
    if (usable) {
      if (await outsMatch(hasher, s, usable)) {
        outcomes.push({ stage: name, action: "skipped", reason: "up to date", run: usable });
        continue;
      }
      const outs = pick(usable.outs, s.outs);
      if (known) {
        const ok = await wouldRestore(p, outs, known);
        outcomes.push(ok ? { stage: name, action: "would-restore", reason: `cached run of ${usable.startedAt}`, run: usable } : { stage: name, action: "would-run", reason: "cached outputs are not in the local store" });
        if (!ok) for (const out of s.outs) known.set(out, null);
        continue;
      }
      if (await restoreOutputs(p.wt, outs)) {
        await p.wt.locked(() => appendPendingRuns(p.wt.sharedDir, [{ base: p.base, run: usable }]));
        outcomes.push({ stage: name, action: "restored", reason: `cached run of ${usable.startedAt}`, run: usable });
        p.reporter?.info?.(`stage ${name}: outputs restored from the run cache (run of ${usable.startedAt}), not rerun`);
        continue;
      }
      reason = "cached outputs are not in the local store";
    }
    if (known) {
      outcomes.push({ stage: name, action: "would-run", reason });
      for (const out of s.outs) known.set(out, null);
      continue;
    }
    p.reporter?.info?.(`running stage ${name} (${reason}): ${s.cmd}`);
    const run = await runStage(p, name, s, inputs, outcomes);
    outcomes.push({ stage: name, action: "ran", reason, run });
  }
  return outcomes;
}

// src/ops/run.ts
async function recordedRuns(repo) {
  const notes = await readNotes(repo.root, [...(await listNotes(repo.root)).keys()]);
  const runs = [];
  for (const text of notes.values()) {
    const p = parseNote(text);
    if (p.ok) for (const r of p.records) runs.push(...r.runs);
  }
  for (const e of await readPendingRuns(repo.sharedDir)) runs.push(e.run);
  return runs;
}
async function pipelineFor(repo, o, cache) {
  return {
    wt: {
      root: repo.root,
      store: repo.store,
      stateDir: repo.stateDir,
      sharedDir: repo.sharedDir,
      locked: (fn) => withRepoLock(repo.sharedDir, fn, { what: "record a run" })
    },
    defaultParamsFile: repo.config.params?.[0] ?? "params.yaml",
    cache,
    base: await tryResolveCommit(repo.root, "HEAD") ?? null,
    env: o.env ?? process.env,
    io: o.io,
    reporter: o.reporter,
    statCache: await StatCache.load(repo.stateDir),
    snapshotEnv: (childEnv, seed) => collectEnv({ cwd: repo.root, env: childEnv, allow: repo.config.env.allow, packages: repo.config.env.packages, cacheDir: repo.sharedDir, seed })
  };
}
async function runStep(o) {
  let repo = await openRepo(o.cwd);
  requireSetUp(repo);
  await completePending(repo);
  const name = o.name ?? "run";
  const stage = stageFromArgs(repo, o.cwd, name, o);
  validateStages({ [name]: stage });
  const t = await trackOuts(repo, o.cwd, stage.outs);
  repo = t.repo;
  for (const p2 of t.inGit) o.reporter?.warn?.(`${p2} is committed to git but is now tracked data: move it out of git with: git rm --cached -- ${p2}`);
  const p = await pipelineFor(repo, o, new RunCache());
  const inputs = await readInputs(new Hasher(repo.root, p.statCache), new ParamsReader(repo.root, p.defaultParamsFile), name, stage);
  return { run: await runStage(p, name, stage, inputs), tracked: t.added };
}

export {
  RunCache,
  reproduce,
  recordedRuns,
  pipelineFor,
  runStep
};
