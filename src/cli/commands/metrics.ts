import { GitreproError } from '../../errors.js';
import { diffValues, showValues, type ValueKind } from '../../ops/metrics.js';
import { renderDiff, renderShow, reportValueErrors } from '../render-values.js';
import type { CommandSpec } from '../spec.js';

type Args = { action: string; revs?: string[]; all?: boolean; params?: boolean };

/** `metrics` and `params` are one command shape over two kinds of values. */
export function valuesCommand(kind: ValueKind): CommandSpec<Args> {
  const name = kind === 'metric' ? 'metrics' : 'params';
  const other = kind === 'metric' ? 'params' : 'metrics';
  return {
    command: `${name} <action> [revs..]`,
    summary: kind === 'metric' ? 'show metrics of commits, or what changed between two (metrics diff)' : 'show params of commits, or what changed between two (params diff)',
    description:
      `\`${name} show [<rev>...]\` prints the ${name} of each commit (default: the work tree). \`${name} diff [<a> [<b>]]\` prints one row per key that changed from <a> (default HEAD) to <b> (default the work tree; \`workspace\` names it too): old, new, the change and the change in %; --all adds the unchanged keys. ` +
      `A commit's values come from its record (else from its files). ${kind === 'metric' ? 'Metrics files are named by `metrics:` in gitrepro.yaml or by a stage (`stage add -m`): JSON, YAML, or CSV/TSV with a header row (the last row holds the values). ' : 'Params files are named by `params:` in gitrepro.yaml (default params.yaml). '}` +
      `--${other} folds the ${other} into the same table, with a Kind column. Exit 0 whether or not values changed (\`gitrepro verify\` is the gate); 2 when a file of the work tree does not parse (the table still shows what could be read).`,
    positionals: {
      action: { describe: 'show or diff', type: 'string' },
      revs: { describe: 'show: commits (default: the work tree); diff: <a> [<b>] (default HEAD and the work tree)', type: 'string', array: true },
    },
    options: {
      all: { alias: 'a', type: 'boolean', describe: 'diff: list unchanged keys too' },
      [other]: { type: 'boolean', describe: `also the ${other}, in the same table (a Kind column says which)` },
    },
    examples:
      kind === 'metric'
        ? [
            ['gitrepro metrics diff', 'what the work tree changed against HEAD'],
            ['gitrepro metrics diff HEAD~1 HEAD --params', 'metrics and params the last commit changed, in one table'],
            ['gitrepro metrics show HEAD~2 HEAD~1 HEAD', 'three commits side by side'],
            ['gitrepro metrics diff main --json', 'for scripts: old, new, change and percent per key'],
          ]
        : [
            ['gitrepro params diff', 'params changed in the work tree against HEAD'],
            ['gitrepro params diff main HEAD --metrics', 'params and metrics between two commits'],
            ['gitrepro params show HEAD --json', 'the params of HEAD, for scripts'],
          ],
    async run(args, out) {
      const kinds: ValueKind[] = (args as Record<string, unknown>)[other] ? ['param', 'metric'] : [kind];
      const revs = (args.revs ?? []).map(String);
      if (args.action === 'show') {
        const r = await showValues({ cwd: args.cwd, revs, kinds });
        if (args.json) out.json(r);
        else renderShow(r, kinds, out);
        reportValueErrors(r.errors, out);
        return 0;
      }
      if (args.action === 'diff') {
        if (revs.length > 2) throw new GitreproError('GITREPRO_USAGE', `${name} diff compares two revisions, got ${revs.length}`, { hint: `gitrepro ${name} diff [<a> [<b>]]` });
        const r = await diffValues({ cwd: args.cwd, a: revs[0], b: revs[1], kinds, all: args.all });
        if (args.json) out.json(r);
        else renderDiff(r, kinds, out, Boolean(args.all));
        reportValueErrors(r.errors, out);
        return 0;
      }
      throw new GitreproError('GITREPRO_USAGE', `unknown action ${args.action}`, { hint: `use \`gitrepro ${name} show [<rev>...]\` or \`gitrepro ${name} diff [<a> [<b>]]\`` });
    },
  };
}

export const spec = valuesCommand('metric');
