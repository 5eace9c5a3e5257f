import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addRecordedCommits } from '../helpers/experiments.js';
import { TestRepo } from '../helpers/repo.js';

describe('1,000 commits', () => {
  it('the report holds one point per commit in every plot and stays under a few MiB; exp lists them all', () => {
    const r = TestRepo.init();
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}metrics: [metrics.json, train.csv]\n`);
    r.write('params.yaml', 'train:\n  lr: 0.1\n  epochs: 3\n');
    r.commit('start');
    const ids = addRecordedCommits(r, 1000, r.record());
    expect(ids).toHaveLength(1000);
    const res = r.grJson(['report', '-n', '1000', '-o', 'big.html']);
    expect(res.commits).toBe(1000);
    expect(res.bytes).toBeLessThan(4 * 1024 * 1024);
    const html = readFileSync(r.path('big.html'), 'utf8');
    const shorts = new Set(ids.map((c) => c.slice(0, 7)));
    const plots = [...html.matchAll(/<svg class="plot" data-kind="(\w+)" data-key="([^"]*)" data-points="(\d+)"[\s\S]*?<\/svg>/g)];
    expect(plots.map((p) => `${p[1]}:${p[2]}`)).toEqual(['line:acc', 'line:loss', 'series:loss', 'scatter:train.lr acc']);
    for (const p of plots.filter((x) => x[1] !== 'series')) {
      const marked = [...p[0].matchAll(/data-commit="([0-9a-f]+)"/g)].map((m) => m[1]);
      expect(marked).toHaveLength(1000);
      expect(new Set(marked)).toEqual(shorts);
    }
    expect(plots[2][3]).toBe('50'); // series: the newest 50 commits (--max-lines)
    // the environment change in the middle is marked important where it happened
    expect(html).toMatch(/⚠ 1 important: threads\.OMP_NUM_THREADS/);
    expect(r.grJson(['exp', '-n', '1000']).rows).toHaveLength(1000);
  });
});
