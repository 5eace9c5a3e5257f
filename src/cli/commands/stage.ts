import { GitreproError } from '../../errors.js';
import { addStage, listStages } from '../../ops/stage.js';
import type { CommandSpec } from '../spec.js';

type Args = { action: string; name?: string; deps?: string[]; outs?: string[]; params?: string[]; seed?: number; wdir?: string; force?: boolean; metrics?: string[]; metricsNoTrack?: string[] };

export const spec: CommandSpec<Args> = {
  command: 'stage <action> [name]',
  summary: 'add a pipeline stage to gitrepro.yaml, or list the stages',
  description:
    '`stage add <name> [-d <dep>]... [-o <out>]... [-p <params-key>]... [--seed N] [--wdir D] -- <cmd...>` writes the stage to `stages:` in gitrepro.yaml (paths are relative to the current directory) and tracks its outs as data. `stage list` prints the stages in run order. Stages can also be written by hand; see docs/pipelines.md.',
  positionals: {
    action: { describe: 'add or list', type: 'string' },
    name: { describe: 'stage name (add)', type: 'string' },
  },
  options: {
    deps: { alias: 'd', type: 'string', array: true, describe: 'input file or directory (repeatable)' },
    outs: { alias: 'o', type: 'string', array: true, describe: 'output file or directory, tracked as data (repeatable)' },
    params: { alias: 'p', type: 'string', array: true, describe: 'params key: `train.lr` or `file.yaml:key` (repeatable)' },
    metrics: { alias: 'm', type: 'string', array: true, describe: 'metrics file the command writes (JSON, YAML, CSV/TSV), an out too (repeatable)' },
    'metrics-no-track': { alias: 'M', type: 'string', array: true, describe: 'metrics file the command writes that stays in git, not an out (repeatable)' },
    seed: { type: 'number', describe: 'seed, exported as GITREPRO_SEED and PYTHONHASHSEED' },
    wdir: { alias: 'w', type: 'string', describe: 'directory the command runs in (default: the repository root)' },
    force: { alias: 'f', type: 'boolean', describe: 'replace a stage of the same name' },
  },
  examples: [
    ['gitrepro stage add train -d data/prepared -d src/train.py -o models/model.json -p train.lr --seed 42 -- python3 src/train.py', 'a seeded training stage'],
    ['gitrepro stage add evaluate -d models/model.json -m metrics.json -M logs/eval.csv -- python3 src/evaluate.py', 'a stage whose metrics are recorded with every run'],
    ['gitrepro stage list', 'the stages in run order'],
  ],
  async run(args, out) {
    if (args.action === 'list') {
      const list = await listStages({ cwd: args.cwd });
      if (args.json) out.json(list);
      else if (list.length === 0) out.line('no stages (add one with `gitrepro stage add`)');
      else {
        for (const s of list) {
          out.line(`${out.color.bold(s.name)}: ${s.stage.cmd}${s.stage.wdir ? ` (in ${s.stage.wdir})` : ''}`);
          if (s.stage.deps.length) out.line(`  deps:   ${s.stage.deps.join(' ')}`);
          if (s.stage.outs.length) out.line(`  outs:   ${s.stage.outs.join(' ')}`);
          if (s.stage.params.length) out.line(`  params: ${s.stage.params.join(' ')}`);
          if (s.stage.metrics?.length) out.line(`  metrics: ${s.stage.metrics.join(' ')}`);
          if (s.stage.seed !== undefined) out.line(`  seed:   ${s.stage.seed}`);
          if (s.upstream.length) out.line(`  after:  ${s.upstream.join(' ')}`);
        }
      }
      return 0;
    }
    if (args.action !== 'add') throw new GitreproError('GITREPRO_USAGE', `unknown action ${args.action}`, { hint: 'use `gitrepro stage add <name> ... -- <cmd>` or `gitrepro stage list`' });
    const cmd = (args['--'] ?? []).map(String);
    if (!args.name || cmd.length === 0) throw new GitreproError('GITREPRO_USAGE', 'stage add needs a name and a command after --', { hint: 'gitrepro stage add <name> [-d <dep>] [-o <out>] -- <cmd...>' });
    const r = await addStage({ cwd: args.cwd, name: args.name, cmd, deps: args.deps, outs: args.outs, params: args.params, seed: args.seed, wdir: args.wdir, force: args.force, metrics: args.metrics, metricsNoTrack: args.metricsNoTrack });
    if (args.json) {
      out.json(r);
      return 0;
    }
    out.line(`${r.replaced ? 'replaced' : 'added'} stage ${r.name}: ${r.stage.cmd}`);
    for (const p of r.tracked) out.line(`tracking ${p}`);
    for (const p of r.inGit) out.err(`gitrepro: ${p} is committed to git but is an out (tracked data); move it out of git with: git rm --cached -- ${p}`);
    return 0;
  },
};
