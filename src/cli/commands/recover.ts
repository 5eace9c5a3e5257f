import { listRescued, recover } from '../../ops/recover.js';
import { humanBytes } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ list?: boolean }> = {
  command: 'recover',
  summary: 'list or bring back data gitrepro saved before replacing it',
  description: 'Before a checkout, merge or restore replaces a data file whose content was never stored, gitrepro stores it and notes it here. `gitrepro recover -- <path>` writes the newest saved version back.',
  options: { list: { type: 'boolean', describe: 'list saved versions (the default without paths)' } },
  examples: [
    ['gitrepro recover --list', 'what was saved, newest last'],
    ['gitrepro recover -- data/train.csv', 'bring back the unsaved version of data/train.csv'],
  ],
  async run(args, out) {
    const paths = (args['--'] ?? []).map(String);
    if (args.list || paths.length === 0) {
      const list = await listRescued({ cwd: args.cwd });
      if (args.json) out.json(list);
      else if (list.length === 0) out.line('nothing saved');
      else for (const e of list) out.line(`${e.at}  ${e.sha256.slice(0, 12)}  ${humanBytes(e.size).padStart(10)}  ${e.path}  (${e.reason})`);
      return 0;
    }
    const r = await recover({ cwd: args.cwd, paths });
    if (args.json) out.json(r);
    else for (const e of r.restored) out.line(`recovered ${e.path} (saved ${e.at})`);
    return 0;
  },
};
