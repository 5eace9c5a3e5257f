import { GitreproError } from '../../errors.js';
import { runStep } from '../../ops/run.js';
import type { CommandSpec } from '../spec.js';

type Args = { name?: string; deps?: string[]; outs?: string[]; params?: string[]; seed?: number; wdir?: string; metrics?: string[]; metricsNoTrack?: string[] };

export const spec: CommandSpec<Args> = {
  command: 'run',
  summary: 'run an ad-hoc command and record it like a stage',
  description:
    '`gitrepro run [-n <name>] [-d <dep>]... [-o <out>]... [--seed N] -- <cmd...>` runs the command once (never skipped), streams its output, stores its outs as tracked data and records the run (command, dep and out hashes, params, seed, exit code, duration, environment) for the next commit. A single argument after -- is taken as a shell command line. The command line is recorded with secrets redacted (tokens, passwords of credential-named options, userinfo in URLs); it runs as given.',
  options: {
    name: { alias: 'n', type: 'string', describe: 'name of the step in the record (default: run)' },
    deps: { alias: 'd', type: 'string', array: true, describe: 'input file or directory (repeatable)' },
    outs: { alias: 'o', type: 'string', array: true, describe: 'output file or directory, tracked as data (repeatable)' },
    params: { alias: 'p', type: 'string', array: true, describe: 'params key to record: `train.lr` or `file.yaml:key` (repeatable)' },
    seed: { type: 'number', describe: 'seed, exported as GITREPRO_SEED and PYTHONHASHSEED' },
    wdir: { alias: 'w', type: 'string', describe: 'directory the command runs in (default: the repository root)' },
    metrics: { alias: 'm', type: 'string', array: true, describe: 'metrics file the command writes, recorded with the run and tracked as data (repeatable)' },
    'metrics-no-track': { alias: 'M', type: 'string', array: true, describe: 'metrics file the command writes that stays in git (repeatable)' },
  },
  examples: [
    ['gitrepro run -n features -d data/raw.csv -o data/features.csv --seed 7 -- python3 features.py', 'a recorded ad-hoc step'],
    ["gitrepro run -o out/report.txt -- 'sort data/list.txt > out/report.txt'", 'a shell command line'],
  ],
  async run(args, out) {
    const cmd = (args['--'] ?? []).map(String);
    if (cmd.length === 0) throw new GitreproError('GITREPRO_USAGE', 'run needs a command after --', { hint: 'gitrepro run [-d <dep>] [-o <out>] -- <cmd...>' });
    const r = await runStep({
      cwd: args.cwd, name: args.name, cmd, deps: args.deps, outs: args.outs, params: args.params, seed: args.seed, wdir: args.wdir, metrics: args.metrics, metricsNoTrack: args.metricsNoTrack,
      io: args.json ? (chunk) => process.stderr.write(chunk) : 'inherit',
      reporter: { warn: (m) => out.err(`gitrepro: ${m}`) },
    });
    if (args.json) {
      out.json(r);
      return 0;
    }
    for (const p of r.tracked) out.line(`tracking ${p}`);
    out.line(`gitrepro: recorded ${r.run.stage} (exit ${r.run.exit}, ${Math.round(r.run.durationMs)} ms${r.run.seed !== undefined ? `, seed ${r.run.seed}` : ''}); it joins the record of your next commit`);
    for (const [p, h] of Object.entries(r.run.outs)) out.line(`  out ${p} ${h.slice(0, 12)}`);
    for (const [p, m] of Object.entries(r.run.metrics ?? {})) out.line(`  metrics ${p}: ${m.error ?? Object.entries(m.values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
    return 0;
  },
};
