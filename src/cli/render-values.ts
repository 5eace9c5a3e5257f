/** Human rendering of `metrics show|diff` and `params show|diff` (one module: the same tables). */
import { GitreproError } from '../errors.js';
import type { Side, ValueError, ValueKind, ValuesDiff, ValuesShow } from '../ops/metrics.js';
import type { Output } from './output.js';
import { cellText, formatTable, signed, type Column } from './table.js';

const KEY_HEADER: Record<ValueKind, string> = { metric: 'Metric', param: 'Param' };

function label(s: { label: string; commit?: string }): string {
  return s.commit && s.label !== s.commit ? `${s.label} (${s.commit.slice(0, 7)})` : s.commit ? s.commit.slice(0, 7) : s.label;
}

/**
 * Reports the files that did not parse: those recorded with a commit as warnings (history), and
 * a work-tree file (the input the user can fix) as the command's error (exit 2), after the table.
 */
export function reportValueErrors(errors: ValueError[], out: Output): void {
  for (const e of errors.filter((x) => !x.live)) out.err(`gitrepro: warning: ${e.kind}s of ${e.label}: ${e.error}`);
  const live = errors.filter((x) => x.live);
  if (live.length === 0) return;
  const first = live[0];
  const more = live.length > 1 ? ` (and ${live.length - 1} more: ${live.slice(1).map((e) => e.file).join(', ')})` : '';
  throw new GitreproError(first.kind === 'metric' ? 'GITREPRO_METRICS_INVALID' : 'GITREPRO_CONFIG_INVALID', `${first.error}${more}`, {
    hint: `fix ${first.file} in the work tree; the values above are what could be read`,
    data: { errors: live },
  });
}

export function renderDiff(r: ValuesDiff, kinds: ValueKind[], out: Output, all: boolean): void {
  const both = kinds.length > 1;
  const what = kinds.map((k) => `${k}s`).join(' or ');
  if (r.rows.length === 0) {
    out.line(`no ${what} ${all ? 'recorded' : 'changed'} between ${label(r.a)} and ${label(r.b)}`);
    return;
  }
  const cols: Column[] = [
    ...(both ? [{ header: 'Kind' }] : []),
    { header: 'Path' },
    { header: both ? 'Key' : KEY_HEADER[kinds[0]] },
    { header: label(r.a), align: 'right' },
    { header: label(r.b), align: 'right' },
    { header: 'Change', align: 'right' },
    { header: '%', align: 'right' },
  ];
  const rows = r.rows.map((x) => [
    ...(both ? [x.kind] : []),
    x.file,
    x.key,
    cellText(x.old),
    cellText(x.new),
    x.change !== undefined ? signed(x.change) : x.changed ? 'changed' : '',
    x.percent !== undefined ? signed(Number(x.percent.toFixed(2)), '%') : '',
  ]);
  for (const l of formatTable(cols, rows, { maxWidth: out.columns, keep: both ? 3 : 2 })) out.line(l);
}

export function renderShow(r: ValuesShow, kinds: ValueKind[], out: Output): void {
  const both = kinds.length > 1;
  const get = (s: Side, k: ValueKind) => (k === 'param' ? s.params : s.metrics);
  const keys: [ValueKind, string, string][] = [];
  const seen = new Set<string>();
  for (const kind of kinds) {
    for (const s of r.sides) {
      for (const [file, f] of Object.entries(get(s, kind))) {
        for (const key of Object.keys(f.values)) {
          const id = JSON.stringify([kind, file, key]);
          if (!seen.has(id)) keys.push([kind, file, key]);
          seen.add(id);
        }
      }
    }
  }
  if (keys.length === 0) {
    out.line(`no ${kinds.map((k) => `${k}s`).join(' or ')} in ${r.sides.map(label).join(', ')}${kinds.includes('metric') ? ' (name metrics files with `metrics:` in gitrepro.yaml, or `stage add -m`)' : ''}`);
    return;
  }
  const cols: Column[] = [...(both ? [{ header: 'Kind' }] : []), { header: 'Path' }, { header: both ? 'Key' : KEY_HEADER[kinds[0]] }, ...r.sides.map((s) => ({ header: label(s), align: 'right' as const }))];
  const rows = keys.map(([kind, file, key]) => [...(both ? [kind] : []), file, key, ...r.sides.map((s) => cellText(get(s, kind)[file]?.values[key]))]);
  for (const l of formatTable(cols, rows, { maxWidth: out.columns, keep: both ? 3 : 2 })) out.line(l);
}
