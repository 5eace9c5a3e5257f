import { untrack } from '../../ops/track.js';
import type { CommandSpec } from '../spec.js';
import { printTrack } from './track.js';

export const spec: CommandSpec<{ patterns: string[] }> = {
  command: 'untrack <patterns..>',
  summary: 'stop tracking data patterns',
  description: 'Removes patterns from gitrepro.yaml and the managed .gitignore block. Files stay in the work tree and in the store.',
  positionals: { patterns: { describe: 'patterns as listed in gitrepro.yaml', type: 'string', array: true } },
  examples: [['gitrepro untrack data/raw/', 'stop tracking data/raw/']],
  async run(args, out) {
    return printTrack(await untrack({ cwd: args.cwd, patterns: args.patterns }), args.json, out);
  },
};
