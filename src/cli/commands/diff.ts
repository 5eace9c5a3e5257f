import { diff } from '../../ops/diff.js';
import { humanBytes } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const spec: CommandSpec<{ a: string; b?: string }> = {
  command: 'diff <a> [b]',
  summary: 'data, params, metrics and environment changes between commits',
  description: 'Compares commit <a> with <b>, or with the work tree when <b> is omitted: data files added, removed or changed; params keys changed; metrics changed (with the change); environment fields changed (* marks those that matter for reproducibility). `gitrepro metrics diff` shows metrics as a table.',
  positionals: { a: { describe: 'first commit', type: 'string' }, b: { describe: 'second commit (default: the work tree)', type: 'string' } },
  examples: [
    ['gitrepro diff HEAD~1 HEAD', 'what the last commit changed'],
    ['gitrepro diff main', 'the work tree against main'],
  ],
  async run(args, out) {
    const r = await diff({ cwd: args.cwd, a: args.a, b: args.b });
    if (args.json) {
      out.json(r);
      return 0;
    }
    out.line(`data (${r.data.length} change(s)):`);
    for (const d of r.data) {
      const size = d.after ? humanBytes(d.after.size) : humanBytes(d.before!.size);
      out.line(`  ${d.status.padEnd(8)} ${d.path} (${size})`);
    }
    out.line(`params (${r.params.length} change(s)):`);
    for (const p of r.params) out.line(`  ${p.file}: ${p.key}: ${JSON.stringify(p.before)} -> ${JSON.stringify(p.after)}`);
    out.line(`metrics (${r.metrics.length} change(s)):`);
    for (const m of r.metrics) {
      const delta = m.change !== undefined ? ` (${m.change > 0 ? '+' : ''}${Number(m.change.toPrecision(6))}${m.percent !== undefined ? `, ${m.percent > 0 ? '+' : ''}${m.percent.toFixed(2)}%` : ''})` : '';
      out.line(`  ${m.file}: ${m.key}: ${JSON.stringify(m.before)} -> ${JSON.stringify(m.after)}${delta}`);
    }
    out.line(`environment (${r.env.length} change(s)):`);
    for (const e of r.env) out.line(`  ${e.important ? '*' : ' '} ${e.field}: ${JSON.stringify(e.before)} -> ${JSON.stringify(e.after)}`);
    return 0;
  },
};
