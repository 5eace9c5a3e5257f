import { isGitreproError } from '../../errors.js';
import { repro, type ReproResult } from '../../ops/repro.js';
import type { CommandSpec } from '../spec.js';

const VERB: Record<string, string> = { ran: 'ran', skipped: 'up to date', restored: 'restored from the run cache', 'would-run': 'would run', 'would-restore': 'would restore from the run cache' };

function printOutcomes(stages: ReproResult['stages'], write: (s: string) => void): void {
  for (const s of stages) write(`  ${s.stage}: ${VERB[s.action] ?? s.action}${s.action === 'skipped' ? '' : ` (${s.reason})`}`);
}

export const spec: CommandSpec<{ stages?: string[]; force?: boolean; dryRun?: boolean }> = {
  command: 'repro [stages..]',
  summary: 'run the pipeline stages whose inputs changed, recording each run',
  description:
    'Runs the stages of gitrepro.yaml (or the named ones and what they depend on) upstream first. A stage whose cmd, dep hashes, params values and seed equal a recorded run is skipped, or its outs are restored from the store when the work tree holds others. Each command\'s output is streamed; a failing stage stops the pipeline with its exit code. Runs join the record of the next commit. Security: repro runs the commands of gitrepro.yaml by design, as `make` runs a Makefile: run it on a commit you trust (recording, committing, pulling and `verify` without --rerun never run a command of the repository).',
  positionals: { stages: { describe: 'stages to bring up to date (default: all)', type: 'string', array: true } },
  options: {
    force: { alias: 'f', type: 'boolean', describe: 'run the named stages (all when none is named) even when cached' },
    'dry-run': { type: 'boolean', describe: 'say what would run, change nothing' },
  },
  examples: [
    ['gitrepro repro', 'bring every stage up to date'],
    ['gitrepro repro train --force', 'rerun train (and whatever it needs that changed)'],
    ['gitrepro repro --dry-run', 'what would run'],
  ],
  async run(args, out) {
    const say = args.json ? (s: string) => out.err(s) : (s: string) => out.line(s);
    let r: ReproResult;
    try {
      r = await repro({
        cwd: args.cwd,
        targets: args.stages,
        force: args.force,
        dryRun: args.dryRun,
        // with --json, stdout holds only the result: commands' output goes to stderr
        io: args.json ? (chunk) => process.stderr.write(chunk) : 'inherit',
        reporter: { info: (m) => say(out.color.bold(`gitrepro: ${m}`)), warn: (m) => out.err(`gitrepro: ${m}`) },
      });
    } catch (e) {
      const done = isGitreproError(e, 'GITREPRO_STAGE_FAILED') ? (e.data?.outcomes as ReproResult['stages'] | undefined) : undefined;
      if (done?.length) {
        out.err('gitrepro: completed before the failure (stored, and recorded for the next commit):');
        printOutcomes(done, (s) => out.err(s));
      }
      throw e;
    }
    if (args.json) {
      out.json(r);
      return 0;
    }
    for (const p of r.tracked) out.line(`tracking ${p}`);
    out.line(`gitrepro: ${r.dryRun ? 'dry run: ' : ''}${r.stages.length} stage(s)`);
    printOutcomes(r.stages, (s) => out.line(s));
    if (r.stages.some((s) => s.action === 'ran' || s.action === 'restored')) out.line('gitrepro: the runs join the record of your next commit');
    return 0;
  },
};
