import { createRequire as __grCreateRequire } from 'node:module'; const require = __grCreateRequire(import.meta.url);
import {
  RunCache,
  pipelineFor,
  recordedRuns,
  reproduce
} from "./chunk-JM4GWBTG.mjs";
import {
  trackOuts
} from "./chunk-VDA4SKTR.mjs";
import "./chunk-2FX5KNGA.mjs";
import {
  planOrder
} from "./chunk-SNFIP33I.mjs";
import "./chunk-DTPI4REG.mjs";
import "./chunk-5PM2VD3J.mjs";
import "./chunk-WKVONPCT.mjs";
import "./chunk-QVB3WSUX.mjs";
import "./chunk-TUDCD5UM.mjs";
import {
  openRepo,
  requireSetUp
} from "./chunk-QB3QP4U6.mjs";
import "./chunk-UEEDZLBH.mjs";
import {
  completePending
} from "./chunk-3FXMZYC6.mjs";
import "./chunk-GWWXMEB2.mjs";
import "./chunk-5642XDEN.mjs";
import "./chunk-DZTPOI7R.mjs";
import "./chunk-IKLW2R3N.mjs";
import "./chunk-XEPHWZQK.mjs";
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
import {
  GitreproError,
  isGitreproError
} from "./chunk-X2WZOGH6.mjs";
import "./chunk-A73GCBN4.mjs";
import "./chunk-B4EEFUC4.mjs";

// src/ops/repro.ts
async function repro(o) {
  let repo = await openRepo(o.cwd);
  requireSetUp(repo);
  const stages = repo.config.stages;
  if (Object.keys(stages).length === 0) {
    throw new GitreproError("GITREPRO_USAGE", "gitrepro.yaml has no stages", { hint: "add one: gitrepro stage add <name> -d <dep> -o <out> -- <cmd>" });
  }
  const order = planOrder(stages, o.targets);
  await completePending(repo);
  let tracked = [];
  if (!o.dryRun) {
    const t = await trackOuts(repo, o.cwd, order.flatMap((n) => stages[n].outs));
    repo = t.repo;
    tracked = t.added;
    for (const p2 of t.inGit) o.reporter?.warn?.(`${p2} is committed to git but is an out (tracked data): move it out of git with: git rm --cached -- ${p2}`);
  }
  const cache = new RunCache(await recordedRuns(repo));
  const force = new Set(o.force ? o.targets?.length ? o.targets : order : []);
  const p = await pipelineFor(repo, o, cache);
  const outcomes = await reproduce(p, stages, order, { force, dryRun: Boolean(o.dryRun) });
  return { stages: outcomes, tracked, dryRun: Boolean(o.dryRun) };
}

// src/cli/commands/repro.ts
var VERB = { ran: "ran", skipped: "up to date", restored: "restored from the run cache", "would-run": "would run", "would-restore": "would restore from the run cache" };
function printOutcomes(stages, write) {
  for (const s of stages) write(`  ${s.stage}: ${VERB[s.action] ?? s.action}${s.action === "skipped" ? "" : ` (${s.reason})`}`);
}
var spec = {
  command: "repro [stages..]",
  summary: "run the pipeline stages whose inputs changed, recording each run",
  description: "Runs the stages of gitrepro.yaml (or the named ones and what they depend on) upstream first. A stage whose cmd, dep hashes, params values and seed equal a recorded run is skipped, or its outs are restored from the store when the work tree holds others. Each command's output is streamed; a failing stage stops the pipeline with its exit code. Runs join the record of the next commit.",
  positionals: { stages: { describe: "stages to bring up to date (default: all)", type: "string", array: true } },
  options: {
    force: { alias: "f", type: "boolean", describe: "run the named stages (all when none is named) even when cached" },
    "dry-run": { type: "boolean", describe: "say what would run, change nothing" }
  },
  examples: [
    ["gitrepro repro", "bring every stage up to date"],
    ["gitrepro repro train --force", "rerun train (and whatever it needs that changed)"],
    ["gitrepro repro --dry-run", "what would run"]
  ],
  async run(args, out) {
    const say = args.json ? (s) => out.err(s) : (s) => out.line(s);
    let r;
    try {
      r = await repro({
        cwd: args.cwd,
        targets: args.stages,
        force: args.force,
        dryRun: args.dryRun,
        // with --json, stdout holds only the result: commands' output goes to stderr
        io: args.json ? (chunk) => process.stderr.write(chunk) : "inherit",
        reporter: { info: (m) => say(out.color.bold(`gitrepro: ${m}`)), warn: (m) => out.err(`gitrepro: ${m}`) }
      });
    } catch (e) {
      const done = isGitreproError(e, "GITREPRO_STAGE_FAILED") ? e.data?.outcomes : void 0;
      if (done?.length) {
        out.err("gitrepro: completed before the failure (stored, and recorded for the next commit):");
        printOutcomes(done, (s) => out.err(s));
      }
      throw e;
    }
    if (args.json) {
      out.json(r);
      return 0;
    }
    for (const p of r.tracked) out.line(`tracking ${p}`);
    out.line(`gitrepro: ${r.dryRun ? "dry run: " : ""}${r.stages.length} stage(s)`);
    printOutcomes(r.stages, (s) => out.line(s));
    if (r.stages.some((s) => s.action === "ran" || s.action === "restored")) out.line("gitrepro: the runs join the record of your next commit");
    return 0;
  }
};
export {
  spec
};
