// How the everyday steps (b)-(d) grow with the file count: W1 (10,002 files) -> W2 (100,000) ->
// the 1M row, for gitrepro and git-lfs. Figures of W1 and of a row this run did not measure come
// from the latest results file of that workload in bench/results/ (full scale preferred).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The newest `<prefix>-full-<stamp>.json` (`full`) or `<prefix>-smoke-…` in `dir`, parsed, with `file`: full and smoke scale never mix. */
export function latestResults(dir, prefix, full) {
  if (!existsSync(dir)) return undefined;
  const kind = full ? 'full' : 'smoke';
  for (const f of readdirSync(dir).filter((x) => x.startsWith(`${prefix}-${kind}-`) && x.endsWith('.json')).sort().reverse()) {
    try {
      return { file: path.join(dir, f), ...JSON.parse(readFileSync(path.join(dir, f), 'utf8')) };
    } catch {
      /* a damaged file: the one before it */
    }
  }
  return undefined;
}

const pick = (F, kp) => Object.fromEntries(['b', 'c', 'd'].map((k) => [k, { gitrepro: F[`${kp}${k}.gitrepro`]?.median ?? null, lfs: F[`${kp}${k}.lfs`]?.median ?? null }]));

/** Rows W1, W2, 1M: { label, source, files, b, c, d } ({ gitrepro, lfs } medians); absent rows left out. */
export function growthOf(R, dir) {
  const full = !!R.meta.full;
  const self = (f) => (R.meta.workload ? f : undefined);
  const rows = [];
  const w1 = R.meta.workload ? latestResults(dir, 'w1', full) : R;
  if (w1?.figures?.['b.gitrepro']) rows.push({ label: 'W1', source: w1 === R ? 'this run' : path.basename(w1.file), files: (w1.meta.scale?.small ?? 10000) + 2, ...pick(w1.figures, '') });
  const w2 = R.meta.workload === 'w2' && R.figures['b.gitrepro'] ? R : latestResults(dir, 'w2', full);
  if (w2?.figures?.['b.gitrepro']) rows.push({ label: 'W2', source: w2 === R ? 'this run' : path.basename(w2.file), files: w2.meta.scale?.w2?.files, ...pick(w2.figures, '') });
  let m = self(R.figures['1m.b.gitrepro'] ? R : undefined);
  if (!m) {
    const cands = [latestResults(dir, '1m', full), latestResults(dir, 'w2', full)].filter((x) => x?.figures?.['1m.b.gitrepro']);
    m = cands.sort((a, b) => path.basename(b.file).slice(-20).localeCompare(path.basename(a.file).slice(-20)))[0];
  }
  if (m?.figures?.['1m.b.gitrepro']) rows.push({ label: '1M', source: m === R ? 'this run' : path.basename(m.file), files: m.meta.scale?.m1?.files, ...pick(m.figures, '1m.') });
  return { rows };
}
