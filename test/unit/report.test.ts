import { describe, expect, it } from 'vitest';
import { formatTable, toCsv } from '../../src/cli/table.js';
import { lineChart, scatterChart, seriesChart } from '../../src/report/charts.js';
import { renderReport, type ReportCommit, type ReportModel } from '../../src/report/html.js';
import { autoScale, fmt, linear } from '../../src/report/svg.js';

const marks = (svg: string) => [...svg.matchAll(/data-commit="([^"]+)"/g)].map((m) => m[1]);

describe('plots (SVG drawn at report time)', () => {
  it('a line plot: one point per commit with a number, each naming its commit; a gap where one has none', () => {
    const svg = lineChart('acc', [
      { commit: 'aaaaaaa', y: 0.5, title: 'aaaaaaa first' },
      { commit: 'bbbbbbb', y: undefined, title: 'bbbbbbb no value' },
      { commit: 'ccccccc', y: 0.7, title: 'ccccccc third' },
    ]);
    expect(marks(svg)).toEqual(['aaaaaaa', 'ccccccc']);
    expect(svg).toMatch(/data-points="2"/);
    expect(svg).toMatch(/<path class="line" d="M[\d.]+ [\d.]+M[\d.]+ [\d.]+"\/>/); // two moves: the gap is not bridged
    expect(svg).toContain('<title>ccccccc third</title>');
  });

  it('escapes what records hold: keys, titles', () => {
    const svg = lineChart('<b>"k"</b>', [{ commit: 'a"b', y: 1, title: '<script>x</script>' }]);
    expect(svg).not.toMatch(/<script|<b>/);
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(svg).toContain('data-commit="a&quot;b"');
  });

  it('a scatter: log x for values spanning decades, categories for text', () => {
    const log = scatterChart('lr', 'acc', [0.001, 0.01, 0.1].map((x, i) => ({ commit: `c${i}`, x, y: i, title: `c${i}` })));
    expect(log).toMatch(/lr \(log scale\)/);
    expect(marks(log)).toEqual(['c0', 'c1', 'c2']);
    const cx = [...log.matchAll(/cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cx[1] - cx[0]).toBeCloseTo(cx[2] - cx[1], 1); // equal steps per decade
    const cat = scatterChart('opt', 'acc', ['sgd', 'adam', 'sgd'].map((x, i) => ({ commit: `c${i}`, x, y: i, title: '' })));
    expect(cat).toMatch(/>adam<\/text>.*>sgd<\/text>/s);
  });

  it('a series plot: one line per commit, thinned for the page', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const svg = seriesChart('loss', 'step', [
      { commit: 'a', title: 'a', xs, ys: xs.map((i) => 1 / (i + 1)) },
      { commit: 'b', title: 'b', xs: [0, 1, null], ys: [1, null, 0.5] },
    ], undefined, 100);
    expect(marks(svg)).toEqual(['a', 'b']);
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1].split(/[ML]/).filter(Boolean).length);
    expect(paths).toEqual([100, 1]);
  });

  it('scales: nice ticks covering the data, a flat series still has a range', () => {
    const s = linear([0.83, 0.91], 100, 0);
    expect(s.ticks[0]).toBeLessThanOrEqual(0.83);
    expect(s.ticks.at(-1)).toBeGreaterThanOrEqual(0.91);
    expect(linear([5, 5], 100, 0).ticks.length).toBeGreaterThan(1);
    expect(autoScale([1, 2, 3], 0, 1).log).toBe(false);
    expect(fmt(0.1 + 0.2)).toBe('0.3');
    expect(fmt(undefined)).toBe('—');
  });
});

describe('the report page', () => {
  const commit = (i: number, o: Partial<ReportCommit> = {}): ReportCommit => ({
    commit: `${i}`.repeat(40).slice(0, 40), short: `${i}`.repeat(7), parent: i ? `${i - 1}`.repeat(40).slice(0, 40) : undefined, date: '2026-01-01T00:00:00Z', author: 'A',
    subject: `exp ${i}`, data: { files: 1, bytes: 10 }, params: { lr: 0.1 / (i + 1) }, metrics: { acc: 0.5 + i / 10 }, series: {}, errors: [], ...o,
  });
  const model = (commits: ReportCommit[]): ReportModel => ({
    project: 'p', range: 'HEAD', tool: 'gitrepro 0', generatedAt: 'now', commits, withoutRecord: 0, varying: { param: ['lr'], metric: ['acc'] },
    constants: { param: {}, metric: {} }, primary: { key: 'acc', direction: 'max' }, direction: { acc: 'max' }, scatters: [['lr', 'acc']], lineKeys: ['acc'], seriesKeys: [], maxSeriesLines: 50, notes: [],
  });

  it('holds no script and no reference outside itself, and a CSP that forbids any', () => {
    const html = renderReport(model([commit(0), commit(1), commit(2)]));
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(html).not.toMatch(/<script|<link|<img|src=/i);
    expect(html).toMatch(/Highest acc: 0\.7<\/strong> at <a href="#c-2222222"/);
  });

  it('escapes every value that comes from a record', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const html = renderReport(model([
      commit(0),
      commit(1, {
        subject: evil, author: evil, params: { lr: evil }, metrics: { acc: 0.9, [evil]: 1 }, errors: [{ kind: 'metric', file: evil, error: evil }],
        envChanges: [{ field: evil, before: evil, after: 'x', important: true }],
      }),
    ]));
    expect(html).not.toContain('<img');
    expect(html.split('&lt;img src=x onerror=alert(1)&gt;').length).toBeGreaterThan(5);
  });

  it('marks the important environment differences where the metric changed', () => {
    const html = renderReport(model([commit(0), commit(1, { envChanges: [{ field: 'gpu.driver', before: '550', after: '560', important: true }, { field: 'memory.totalBytes', before: 1, after: 2, important: false }] })]));
    expect(html).toMatch(/<tr id="row-1111111">.*<td class="num best better">0\.6 ▲<\/td>.*⚠ 1 important: gpu\.driver/);
    expect(html).toMatch(/<details id="c-1111111" open>.*<li class="imp">⚠ <code>gpu\.driver<\/code>: 550 → 560<\/li><li><code>memory\.totalBytes<\/code>: 1 → 2<\/li>/s);
  });
});

describe('terminal tables', () => {
  it('fold into blocks no wider than the terminal, the key column repeated', () => {
    const cols = ['commit', 'a.long.param.name', 'another.metric', 'third.column.here'].map((header) => ({ header }));
    const rows = [['abc1234', '1', '2', '3'], ['def5678', '4', '5', '6']];
    expect(formatTable(cols, rows)).toHaveLength(3);
    const folded = formatTable(cols, rows, { maxWidth: 40, keep: 1 });
    expect(Math.max(...folded.map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(folded.filter((l) => l.startsWith('commit'))).toHaveLength(3);
    expect(folded).toContain('');
  });

  it('CSV quotes what needs quoting', () => {
    expect(toCsv(['a', 'b'], [['x,y', 'say "hi"'], [1, undefined]])).toBe('a,b\n"x,y","say ""hi"""\n1,\n');
  });
});
