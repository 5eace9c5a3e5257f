import { describe, expect, it } from 'vitest';
import { isGitreproError } from '../../src/errors.js';
import { metricsFilesOf, parseMetrics, readMetrics, thin } from '../../src/workspace/metrics.js';
import { locateJsonError, parseDelimited } from '../../src/workspace/metrics-text.js';
import { metricsFileSchema } from '../../src/record/record.js';

function failure(text: string, name: string): { message: string; data: any } {
  try {
    parseMetrics(text, name);
  } catch (e) {
    if (isGitreproError(e, 'GITREPRO_METRICS_INVALID')) return { message: e.message, data: e.data };
    throw e;
  }
  throw new Error('parsed');
}

describe('metrics files', () => {
  it('JSON and YAML mappings flatten to dotted keys, as params do', () => {
    expect(parseMetrics('{"eval": {"acc": 0.91, "loss": 0.2}, "n": 3}', 'metrics.json')).toEqual({ values: { 'eval.acc': 0.91, 'eval.loss': 0.2, n: 3 } });
    expect(parseMetrics('eval:\n  acc: 0.5\nnote: ok\n', 'm.yaml')).toEqual({ values: { 'eval.acc': 0.5, note: 'ok' } });
    expect(parseMetrics('', 'm.yaml')).toEqual({ values: {} });
  });

  it('CSV: the last row holds the values, every row is a step of the series', () => {
    const p = parseMetrics('step,loss,acc,phase\n0,0.9,0.5,warm\n1,0.5,0.7,main\n2,0.25,,main\n', 'log.csv');
    expect(p.values).toEqual({ step: 2, loss: 0.25, acc: null, phase: 'main' });
    expect(p.series).toEqual({ step: [0, 1, 2], loss: [0.9, 0.5, 0.25], acc: [0.5, 0.7, null] });
    expect(p.rows).toBe(3);
    // one row: values only
    expect(parseMetrics('acc\tloss\r\n0.9\t0.1\r\n', 'm.tsv')).toEqual({ values: { acc: 0.9, loss: 0.1 } });
    // quoted fields with the separator, quotes and a line break inside
    expect(parseMetrics('name,"a,b"\n"x ""y""\nz",1\n', 'q.csv').values).toEqual({ name: 'x "y"\nz', 'a,b': 1 });
  });

  it('a JSON/YAML list of steps is a series too', () => {
    const p = parseMetrics('[{"step": 0, "loss": 1}, {"step": 1, "loss": 0.5}]', 'plot.json');
    expect(p).toEqual({ values: { step: 1, loss: 0.5 }, series: { step: [0, 1], loss: [1, 0.5] }, rows: 2 });
  });

  it('a long series is thinned evenly, first and last rows kept', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i},${i * 2}`).join('\n');
    const p = parseMetrics(`step,y\n${rows}\n`, 'long.csv');
    expect(p.rows).toBe(5000);
    expect(p.series!.step.length).toBe(1000);
    expect(p.series!.step[0]).toBe(0);
    expect(p.series!.step.at(-1)).toBe(4999);
    expect(p.values).toEqual({ step: 4999, y: 9998 });
    expect(thin(3, 10)).toEqual([0, 1, 2]);
  });

  it.each([
    ['bad.json', '{\n  "acc": 0.9,\n  "loss": }\n', /^metrics file bad\.json: line 3, column 11: not valid JSON: expected a value, found "}"/],
    ['bad.json', '{"acc": 0.9,\n "loss": 1,\n}', /line 3, column 1: not valid JSON: expected a "quoted" key, found "}"/],
    ['bad.json', '{"acc": 0.9} x', /line 1, column 14: not valid JSON: unexpected "x" after the end/],
    ['bad.yaml', 'acc: 0.9\n  loss: [1, 2\n', /^metrics file bad\.yaml: line \d+, column \d+: not valid YAML/],
    ['bad.csv', 'a,b\n1,2\n3\n', /^metrics file bad\.csv: line 3: 1 field\(s\), but the header row has 2/],
    ['bad.csv', 'a,b\n"1,2\n', /line 2: a quoted field is never closed/],
    ['bad.csv', 'a,,c\n1,2,3\n', /line 1: column 2 of the header row has no name/],
    ['bad.csv', 'a,a\n1,2\n', /line 1: the header row names "a" twice/],
    ['top.json', '0.93', /must hold a mapping/],
  ])('%s that does not parse names the file and the line: %j', (name, text, want) => {
    const f = failure(text, name);
    expect(f.message).toMatch(want);
    expect(f.data.file).toBe(name);
  });

  it('locates JSON errors JSON.parse reports without a position', () => {
    expect(locateJsonError('{"a": }')).toEqual({ line: 1, column: 7, message: 'not valid JSON: expected a value, found "}"' });
    expect(locateJsonError('{"a": 1}')).toBeUndefined();
    expect(locateJsonError('['.repeat(100_000))?.message).toMatch(/nested deeper than 512/);
    expect(parseDelimited('a,b\n\n1,2\n', ',')).toEqual({ ok: true, rows: [['a', 'b'], ['1', '2']], lines: [1, 3] });
  });

  it('readMetrics records a file that does not parse by hash with its error, and never throws', () => {
    const r = readMetrics(Buffer.from('{"acc": '), 'metrics.json');
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.values).toEqual({});
    expect(r.error).toMatch(/metrics file metrics\.json: line 1, column 9/);
    expect(metricsFileSchema.safeParse(r).success).toBe(true);
    const deep = readMetrics(Buffer.from(`${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`), 'deep.json');
    expect(deep.error).toMatch(/nested too deeply|deep/);
  });

  it('scrubs secrets out of string values, keeps numbers', () => {
    const r = readMetrics(Buffer.from(JSON.stringify({ acc: 0.9, url: 'https://bob:hunter2@example.com/x', tok: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' })), 'm.json');
    expect(r.values.acc).toBe(0.9);
    expect(String(r.values.url)).not.toContain('hunter2');
    expect(String(r.values.tok)).toMatch(/^<redacted:[0-9a-f]{12}>$/);
  });

  it('what a writer records stays within what a reader accepts', () => {
    const many = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${i}`, i]));
    const r = readMetrics(Buffer.from(JSON.stringify(many)), 'many.json');
    expect(r.error).toMatch(/6000 values, more than the 5000/);
    expect(metricsFileSchema.safeParse(r).success).toBe(true);
    expect(metricsFileSchema.safeParse({ sha256: r.sha256, values: many }).success).toBe(false);
    expect(metricsFileSchema.safeParse({ sha256: r.sha256, values: {}, series: { y: new Array(1001).fill(1) } }).success).toBe(false);
  });

  it('the files a config names: top level first, then every stage, each once', () => {
    expect(metricsFilesOf({ metrics: ['m.json'], stages: { a: { metrics: ['log.csv', 'm.json'] }, b: {} } })).toEqual(['m.json', 'log.csv']);
  });
});
