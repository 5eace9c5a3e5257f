/** The experiments table (`exp`, `log --table`): human text, or CSV. */
import type { ExpTable } from '../ops/exp.js';
import { humanBytes, type Output } from './output.js';
import { cellText, formatTable, toCsv, type Column } from './table.js';

export function renderExperiments(t: ExpTable, out: Output): void {
  const P = t.columns.param;
  const M = t.columns.metric;
  const n = t.rows.length;
  out.line(`${n} commit(s) with a record in ${t.range}${t.withoutRecord.length ? `; ${t.withoutRecord.length} without one not shown` : ''}${t.sort ? `; sorted by ${t.sort.key} (${t.sort.kind}), ${t.sort.order === 'desc' ? 'highest' : 'lowest'} first` : ''}`);
  const constants = (label: string, o: Record<string, unknown>) => {
    const e = Object.entries(o);
    if (e.length) out.line(out.color.dim(`same in every commit: ${label} ${e.map(([k, v]) => `${k}=${cellText(v)}`).join(', ')}`));
  };
  constants('params', t.constants.param);
  constants('metrics', t.constants.metric);
  const dataVaries = new Set(t.rows.map((r) => `${r.data.files}/${r.data.bytes}`)).size > 1;
  const cols: Column[] = [
    { header: 'commit' },
    { header: 'date' },
    { header: 'subject' },
    ...P.map((k) => ({ header: k, align: 'right' as const, paint: out.color.green })),
    ...M.map((k) => ({ header: k, align: 'right' as const, paint: out.color.yellow })),
    ...(dataVaries ? [{ header: 'data', align: 'right' as const }] : []),
    { header: 'env' },
  ];
  const rows = t.rows.map((r) => [
    r.commit.slice(0, 7),
    r.date.slice(0, 10),
    cellText(r.subject.length > 32 ? `${r.subject.slice(0, 31)}…` : r.subject),
    ...P.map((k) => cellText(r.params[k])),
    ...M.map((k) => cellText(r.metrics[k])),
    ...(dataVaries ? [humanBytes(r.data.bytes)] : []),
    r.env === undefined ? '' : r.env.changes === 0 ? '-' : `${r.env.changes}${r.env.important ? ` (${r.env.important}!)` : ''}`,
  ]);
  out.line();
  for (const l of formatTable(cols, rows, { maxWidth: out.columns, keep: 1 })) out.line(l);
  if (P.length + M.length === 0) out.line(out.color.dim('no param or metric varies in this range'));
  if (t.rows.some((r) => r.env?.important)) out.line(out.color.dim('env: environment differences from the parent\'s record, (N!) that can change results; `gitrepro diff <parent> <commit>` lists them'));
  const errors = t.rows.flatMap((r) => r.errors.map((e) => `${r.commit.slice(0, 7)}: ${e.error}`));
  for (const e of errors.slice(0, 5)) out.err(`gitrepro: warning: ${e}`);
  if (errors.length > 5) out.err(`gitrepro: warning: ${errors.length - 5} more files could not be read (--json lists them)`);
}

/** Every key (varying and constant) as a column, for spreadsheets and scripts. */
export function experimentsCsv(t: ExpTable): string {
  const P = [...t.columns.param, ...Object.keys(t.constants.param)].sort();
  const M = [...t.columns.metric, ...Object.keys(t.constants.metric)].sort();
  const header = ['commit', 'date', 'author', 'subject', ...P.map((k) => `param:${k}`), ...M.map((k) => `metric:${k}`), 'data_files', 'data_bytes', 'env_changes', 'env_important'];
  return toCsv(
    header,
    t.rows.map((r) => [r.commit, r.date, r.author, r.subject, ...P.map((k) => r.params[k]), ...M.map((k) => r.metrics[k]), r.data.files, r.data.bytes, r.env?.changes, r.env?.important]),
  );
}
