import { GitreproError } from '../../errors.js';
import { resolve } from '../../ops/merge.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ paths?: string[]; ours?: boolean; theirs?: boolean }> = {
  command: 'resolve [paths..]',
  summary: 'settle a data merge conflict by picking a side per path',
  description: 'When a merge stops because both sides changed the same data path differently, pick our or their version of each path. When none remains, gitrepro.lock is staged and the merged data restored; finish with `git commit`.',
  positionals: { paths: { describe: 'conflicting data paths (default: all remaining)', type: 'string', array: true } },
  options: { ours: { type: 'boolean', describe: 'keep our version' }, theirs: { type: 'boolean', describe: 'take their version' } },
  examples: [
    ['gitrepro resolve data/labels.csv --theirs', 'take their labels'],
    ['gitrepro resolve --ours && git commit', 'keep ours everywhere and finish the merge'],
  ],
  async run(args, out) {
    if (Boolean(args.ours) === Boolean(args.theirs)) throw new GitreproError('GITREPRO_USAGE', 'pass exactly one of --ours or --theirs', { hint: 'gitrepro resolve <path> --ours' });
    const r = await resolve({ cwd: args.cwd, paths: args.paths ?? [], side: args.ours ? 'ours' : 'theirs' });
    if (args.json) out.json(r);
    else {
      for (const p of r.resolved) out.line(`resolved ${p} (${args.ours ? 'ours' : 'theirs'})`);
      if (r.remaining.length) out.line(`still conflicting: ${r.remaining.join(', ')}`);
      else out.line('gitrepro.lock staged with the merged data; finish with `git commit`');
    }
    return 0;
  },
};
