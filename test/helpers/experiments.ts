/**
 * Many recorded commits fast: `git fast-import` writes the commits (params.yaml and metrics.json
 * changing in each) and their notes in one process, each note a copy of a real record of this
 * repository with its params and metrics set, so a test of 1,000 commits takes seconds, not
 * 1,000 hook runs.
 */
import type { TestRepo } from './repo.js';

export interface SyntheticCommit {
  lr: number;
  acc: number;
  loss: number[];
  threads?: string;
}

/** The i-th of n synthetic experiments: lr and accuracy vary, a loss series of 20 steps. */
export function synthetic(i: number, n: number): SyntheticCommit {
  const lr = Number((0.001 * 1.5 ** (i % 12)).toPrecision(4));
  const acc = Number((0.7 + 0.25 * Math.exp(-((Math.log10(lr) + 1.5) ** 2)) + 0.01 * Math.sin(i)).toFixed(4));
  const loss = Array.from({ length: 20 }, (_, s) => Number((1 / (1 + s * lr * 40)).toFixed(4)));
  return { lr, acc, loss, ...(i === Math.floor(n / 2) ? { threads: '8' } : {}) };
}

/**
 * Appends `n` commits to main, recorded. `template` is a record of this repository (its env,
 * data and tool are kept). Returns the new commit ids, oldest first.
 */
export function addRecordedCommits(r: TestRepo, n: number, template: any): string[] {
  const base = r.head();
  const parts: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let t = 1_700_100_000;
  for (let i = 0; i < n; i++) {
    const c = synthetic(i, n);
    const params = `train:\n  lr: ${c.lr}\n  epochs: 3\n`;
    const metrics = JSON.stringify({ acc: c.acc });
    const csv = `step,loss\n${c.loss.map((v, s) => `${s},${v}`).join('\n')}\n`;
    parts.push(`commit refs/heads/main\nmark :${i + 1}\ncommitter Test <test@example.com> ${t++} +0000\n${data(`experiment ${i}: lr ${c.lr}`)}${i === 0 ? `from ${base}\n` : ''}M 100644 inline params.yaml\n${data(params)}M 100644 inline metrics.json\n${data(metrics)}M 100644 inline train.csv\n${data(csv)}`);
  }
  // the notes: one commit on refs/notes/gitrepro holding a note per new commit
  const notes: string[] = [`commit refs/notes/gitrepro\ncommitter Test <test@example.com> ${t++} +0000\n${data('records')}from refs/notes/gitrepro^0\n`];
  for (let i = 0; i < n; i++) {
    const c = synthetic(i, n);
    const rec = structuredClone(template);
    rec.params = { 'params.yaml': { sha256: 'a'.repeat(64), values: { 'train.lr': c.lr, 'train.epochs': 3 } } };
    rec.metrics = {
      'metrics.json': { sha256: 'b'.repeat(64), values: { acc: c.acc } },
      'train.csv': { sha256: 'c'.repeat(64), values: { step: 19, loss: c.loss[19] }, series: { step: c.loss.map((_, s) => s), loss: c.loss }, rows: 20 },
    };
    rec.runs = [];
    if (c.threads) rec.env = { ...rec.env, threads: { ...(rec.env.threads ?? {}), OMP_NUM_THREADS: c.threads } };
    notes.push(`N inline :${i + 1}\n${data(JSON.stringify(rec))}`);
  }
  r.git(['fast-import', '--quiet'], { input: `${parts.join('')}${notes.join('')}` });
  return r.git(['rev-list', '--reverse', `${base}..main`]).stdout.trim().split('\n');
}
