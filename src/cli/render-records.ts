/** Human rendering of records (show, log). */
import type { CommitRecords } from '../ops/show.js';
import { humanBytes, type Output } from './output.js';

export function formatRecords(r: CommitRecords, out: Output, full: boolean): string[] {
  const lines = [`${out.color.yellow(`commit ${r.commit}`)}`];
  if (r.lock) lines.push(`  data:   ${r.lock.files} files, ${humanBytes(r.lock.bytes)} (snapshot ${r.lock.tree.slice(0, 12)})`);
  else lines.push(`  data:   ${r.lockError ? out.color.red(`invalid gitrepro.lock: ${r.lockError}`) : 'no gitrepro.lock'}`);
  if (r.recordError) lines.push(`  record: ${out.color.red(`invalid: ${r.recordError}`)}`);
  else if (r.records.length === 0) lines.push(`  record: ${out.color.red('none')} (write one with \`gitrepro record ${r.commit.slice(0, 12)}\`)`);
  for (const rec of r.records) {
    lines.push(`  record: ${rec.tool}, ${rec.recordedAt}${rec.recordedLater ? ' (recorded later)' : ''}${rec.from ? ` from ${rec.from.slice(0, 12)}` : ''}`);
    if (r.lock && rec.data.tree !== r.lock.tree) lines.push(`  ${out.color.red('record and lock disagree on the snapshot')}`);
    if (!full) continue;
    for (const [file, p] of Object.entries(rec.params)) {
      lines.push(`  params: ${file}`);
      for (const [k, v] of Object.entries(p.values)) lines.push(`    ${k} = ${JSON.stringify(v)}`);
    }
    // >>> metrics (issue 13)
    for (const [file, m] of Object.entries(rec.metrics ?? {})) {
      lines.push(`  metrics: ${file}${m.rows ? ` (${m.rows} rows; the last shown)` : ''}${m.error ? ` ${out.color.red(m.error)}` : ''}`);
      for (const [k, v] of Object.entries(m.values)) lines.push(`    ${k} = ${JSON.stringify(v)}`);
    }
    // <<< metrics
    const env = rec.env as Record<string, any>;
    const bits = [
      env.os && `${env.os.platform ?? ''} ${env.os.release ?? ''} ${env.os.arch ?? ''}`.trim(),
      env.cpu?.model,
      env.runtimes && Object.entries(env.runtimes).map(([k, v]) => `${k} ${typeof v === 'object' ? (v as any)?.version ?? '' : v}`).join(', '),
      env.gpu && `GPU ${JSON.stringify(env.gpu).slice(0, 120)}`,
    ].filter(Boolean);
    lines.push(`  env:    ${bits.join('; ')}`);
    // >>> pipelines (issue 6): run records with their inputs and outputs
    for (const run of rec.runs) {
      const seed = run.seed !== undefined ? `, seed ${run.seed}` : '';
      const exit = run.exit === 0 ? 'exit 0' : out.color.red(`exit ${run.exit}`);
      lines.push(`  run:    ${run.stage}: ${run.cmd} (${exit}, ${Math.round(run.durationMs)} ms${seed}, ${run.startedAt})`);
      const hashes = (m: Record<string, string>) => Object.entries(m).map(([p, h]) => `${p} ${h.slice(0, 12)}`).join(', ');
      if (Object.keys(run.deps).length) lines.push(`            deps:   ${hashes(run.deps)}`);
      if (Object.keys(run.params).length) lines.push(`            params: ${Object.entries(run.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
      if (Object.keys(run.outs).length) lines.push(`            outs:   ${hashes(run.outs)}`);
      for (const [f, m] of Object.entries(run.metrics ?? {})) lines.push(`            metrics ${f}: ${m.error ? out.color.red(m.error) : Object.entries(m.values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`); // >>><<< metrics
    }
    // <<< pipelines
  }
  return lines;
}
