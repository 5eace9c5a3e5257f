import { uninstall } from '../../ops/install.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec = {
  command: 'uninstall',
  summary: "remove gitrepro's hooks and git config (chained hooks are put back)",
  description: 'Removes only the hooks gitrepro wrote; a hook it had chained is put back byte-identical. Data, records, gitrepro.yaml and the store stay. Idempotent.',
  examples: [['gitrepro uninstall', 'stop running gitrepro on commit and checkout']],
  async run(args, out) {
    const r = await uninstall({ cwd: args.cwd });
    if (args.json) out.json(r);
    else {
      out.line(`gitrepro: removed hooks from ${r.hooksDir}: ${r.removed.join(', ') || 'none'}`);
      if (r.restored.length) out.line(`gitrepro: put back the earlier hooks: ${r.restored.join(', ')}`);
    }
    return 0;
  },
};
