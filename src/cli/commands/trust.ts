import { trust, type PendingSetting } from '../../ops/trust.js';
import type { Output } from '../output.js';
import type { CommandSpec } from '../spec.js';

function line(p: PendingSetting, out: Output): string {
  const change = p.value === undefined ? 'removed' : p.accepted === undefined ? `added${p.key.startsWith('remote:') ? `: ${JSON.stringify(p.value)}` : ''}` : `${JSON.stringify(p.accepted)} -> ${JSON.stringify(p.value)}`;
  const who = p.commit ? ` (commit ${p.commit.slice(0, 12)}${p.author ? ` by ${p.author}` : ''})` : '';
  return `  ${out.color.yellow(p.what)}: ${change}${who}`;
}

export const spec: CommandSpec<{ show?: boolean }> = {
  command: 'trust',
  summary: 'accept the settings of gitrepro.yaml that others changed (remotes, track, env)',
  description:
    'Settings that decide where data goes (store remotes), which files are stored (track patterns that widen), which variables are recorded (env.allow) and what runs (env.packages) take effect in this clone only once you accept them: a change that arrives by pull waits, and push, commit and restore refuse what depends on it, naming the setting, the commit and its author. Your own edits of gitrepro.yaml and gitrepro\'s own commands (track, remote, stage) need no extra step. `gitrepro install` accepts the settings a clone starts with. Acceptance is kept in the clone (never committed). --show lists what waits without accepting it.',
  options: { show: { type: 'boolean', describe: 'list the changes that wait for your consent, accept nothing' } },
  examples: [
    ['gitrepro trust --show', 'what others changed that this clone has not accepted'],
    ['gitrepro trust', 'accept the settings of gitrepro.yaml as they are now'],
  ],
  async run(args, out) {
    const r = await trust({ cwd: args.cwd, show: args.show });
    if (args.json) {
      out.json(r);
      return 0;
    }
    if (r.pending.length === 0) {
      out.line('gitrepro: every setting of gitrepro.yaml is accepted in this clone');
      return 0;
    }
    out.line(r.accepted ? `gitrepro: accepted ${r.pending.length} setting change(s):` : `gitrepro: ${r.pending.length} setting change(s) wait for your consent:`);
    for (const p of r.pending) out.line(line(p, out));
    if (!r.accepted) out.line('(accept them with `gitrepro trust`; or undo them in gitrepro.yaml and commit)');
    return 0;
  },
};
