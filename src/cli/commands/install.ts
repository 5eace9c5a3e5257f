import { install } from '../../ops/install.js';
import { describeRestore } from '../hook-messages.js';
import { launcherPath, templateDir } from '../paths.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec = {
  command: 'install',
  summary: "set up gitrepro in this clone: hooks, git config, restore HEAD's data",
  description:
    'Installs the hooks (pre-commit, post-commit, post-checkout, post-merge, post-rewrite, pre-push) into the directory `git rev-parse --git-path hooks` names, chaining any hook already there; sets the git config gitrepro needs; creates gitrepro.yaml if absent; restores the data of HEAD. Idempotent.',
  examples: [
    ['gitrepro install', 'set up a fresh clone'],
    ['GITREPRO_SKIP=1 git commit -m wip', 'skip gitrepro\'s hooks once'],
  ],
  async run(args, out) {
    const r = await install({ cwd: args.cwd, bin: launcherPath(), templateDir: templateDir() });
    if (args.json) {
      out.json(r);
      return 0;
    }
    out.line(`gitrepro: hooks installed in ${r.hooksDir} (${r.hooks.installed.join(', ')})`);
    if (r.hooks.chained.length) out.line(`gitrepro: existing hooks kept and chained: ${r.hooks.chained.join(', ')}`);
    if (r.createdConfig) out.line('gitrepro: created gitrepro.yaml; track data with `gitrepro track <pattern>`');
    if (r.restore) {
      out.line(`gitrepro: restored HEAD's data (${r.restore.written.length} written, ${r.restore.unchanged.length} already in place)`);
      for (const l of describeRestore(r.restore)) out.err(l);
      if (r.restore.missing.length || r.restore.failed.length) return 1;
    }
    return 0;
  },
};
