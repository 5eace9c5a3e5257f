import { createRequire as __grCreateRequire } from 'node:module'; const require = __grCreateRequire(import.meta.url);
import {
  humanBytes
} from "./chunk-PYB7OLNT.mjs";
import {
  loadSnapshot,
  scanWorkTree
} from "./chunk-7OYXJGFQ.mjs";
import {
  StatCache
} from "./chunk-WKVONPCT.mjs";
import "./chunk-QVB3WSUX.mjs";
import {
  lockAt
} from "./chunk-Y5RZCB6C.mjs";
import "./chunk-TUDCD5UM.mjs";
import {
  openRepo
} from "./chunk-QB3QP4U6.mjs";
import "./chunk-UEEDZLBH.mjs";
import {
  completePending,
  currentEnv,
  diffEnv,
  diffParams,
  parseParams,
  recordsOf
} from "./chunk-3FXMZYC6.mjs";
import "./chunk-GWWXMEB2.mjs";
import "./chunk-5642XDEN.mjs";
import "./chunk-DZTPOI7R.mjs";
import "./chunk-IKLW2R3N.mjs";
import {
  resolveCommit
} from "./chunk-XEPHWZQK.mjs";
import "./chunk-77LJ6DLO.mjs";
import "./chunk-BEAQBR6K.mjs";
import "./chunk-3K7E3J5L.mjs";
import "./chunk-D5UYHJ6Z.mjs";
import "./chunk-SJL773SE.mjs";
import "./chunk-5GY5TTBL.mjs";
import "./chunk-WUWZKVHU.mjs";
import "./chunk-FLGQDNQ5.mjs";
import "./chunk-IO2ZPEM7.mjs";
import "./chunk-BCRXXXJV.mjs";
import "./chunk-X2WZOGH6.mjs";
import "./chunk-A73GCBN4.mjs";
import "./chunk-B4EEFUC4.mjs";

// src/ops/diff.ts
import { readFile } from "node:fs/promises";
import path from "node:path";
async function commitSide(repo, rev) {
  const c = await resolveCommit(repo.root, rev);
  const lock = await lockAt(repo, c);
  const cache = await StatCache.load(repo.stateDir);
  const snap = await loadSnapshot(repo, cache, lock?.tree);
  const rec = await recordsOf(repo, c);
  const last = rec?.ok ? rec.records[rec.records.length - 1] : void 0;
  return { label: c, snap, params: last?.params ?? {}, env: last?.env };
}
async function workTreeSide(repo, paramFiles) {
  const cache = await StatCache.load(repo.stateDir);
  const scan = await scanWorkTree(repo.root, repo.matcher, cache, { store: repo.store, ingest: false });
  await cache.save();
  const snap = new Map([...scan.files].map(([p, f]) => [p, { sha256: f.sha256, size: f.size, exec: f.exec }]));
  const params = {};
  for (const f of paramFiles) {
    const text = await readFile(path.join(repo.root, f), "utf8").catch(() => void 0);
    if (text !== void 0) params[f] = { sha256: "", values: parseParams(text, f) };
  }
  return { label: "work tree", snap, params, env: await currentEnv(repo) };
}
async function diff(opts) {
  const repo = await openRepo(opts.cwd);
  await completePending(repo);
  const A = await commitSide(repo, opts.a);
  const B = opts.b ? await commitSide(repo, opts.b) : await workTreeSide(repo, repo.config.params ?? Object.keys(A.params).concat(["params.yaml"]));
  const data = [];
  for (const [p, e] of B.snap) {
    const o = A.snap.get(p);
    if (!o) data.push({ path: p, status: "added", after: e });
    else if (o.sha256 !== e.sha256 || o.exec !== e.exec) data.push({ path: p, status: "changed", before: o, after: e });
  }
  for (const [p, o] of A.snap) if (!B.snap.has(p)) data.push({ path: p, status: "removed", before: o });
  data.sort((x, y) => x.path < y.path ? -1 : 1);
  const params = [];
  for (const file of [.../* @__PURE__ */ new Set([...Object.keys(A.params), ...Object.keys(B.params)])].sort()) {
    for (const d of diffParams(A.params[file]?.values ?? {}, B.params[file]?.values ?? {})) params.push({ file, ...d });
  }
  const env = A.env && B.env ? diffEnv(A.env, B.env) : [];
  return { a: A.label, b: B.label, data, params, env };
}

// src/cli/commands/diff.ts
var spec = {
  command: "diff <a> [b]",
  summary: "data, params and environment changes between commits",
  description: "Compares commit <a> with <b>, or with the work tree when <b> is omitted: data files added, removed or changed; params keys changed; environment fields changed (* marks those that matter for reproducibility).",
  positionals: { a: { describe: "first commit", type: "string" }, b: { describe: "second commit (default: the work tree)", type: "string" } },
  examples: [
    ["gitrepro diff HEAD~1 HEAD", "what the last commit changed"],
    ["gitrepro diff main", "the work tree against main"]
  ],
  async run(args, out) {
    const r = await diff({ cwd: args.cwd, a: args.a, b: args.b });
    if (args.json) {
      out.json(r);
      return 0;
    }
    out.line(`data (${r.data.length} change(s)):`);
    for (const d of r.data) {
      const size = d.after ? humanBytes(d.after.size) : humanBytes(d.before.size);
      out.line(`  ${d.status.padEnd(8)} ${d.path} (${size})`);
    }
    out.line(`params (${r.params.length} change(s)):`);
    for (const p of r.params) out.line(`  ${p.file}: ${p.key}: ${JSON.stringify(p.before)} -> ${JSON.stringify(p.after)}`);
    out.line(`environment (${r.env.length} change(s)):`);
    for (const e of r.env) out.line(`  ${e.important ? "*" : " "} ${e.field}: ${JSON.stringify(e.before)} -> ${JSON.stringify(e.after)}`);
    return 0;
  }
};
export {
  spec
};
