import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, formatLock, formatPointer, parseLock, parseNote, parsePointer, unsafePathReason, formatNote } from '../../src/record/index.js';

const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const SHA = 'ab'.repeat(32);

describe('gitrepro.lock', () => {
  it('has one canonical form that round-trips', () => {
    const text = formatLock({ tree: TREE, files: 3, bytes: 10 });
    expect(text).toBe(`gitrepro.lock/v1\nbytes 10\nfiles 3\ntree ${TREE}\n`);
    expect(parseLock(text)).toEqual({ ok: true, value: { tree: TREE, files: 3, bytes: 10 } });
  });
  it('also reads the CRLF form a core.autocrlf checkout writes (the one other accepted encoding)', () => {
    const text = formatLock({ tree: TREE, files: 3, bytes: 10 }).replace(/\n/g, '\r\n');
    expect(parseLock(text)).toEqual({ ok: true, value: { tree: TREE, files: 3, bytes: 10 } });
  });
  it.each([
    ['wrong version', `gitrepro.lock/v9\ntree ${TREE}\nfiles 1\nbytes 1\n`, /first line/],
    ['conflict markers', `<<<<<<< ours\ngitrepro.lock/v1\n=======\n>>>>>>> theirs\n`, /merge conflict markers/],
    ['non-hex tree', 'gitrepro.lock/v1\nbytes 1\nfiles 1\ntree ../../etc\n', /tree: not a git object id/],
    ['unknown key', `gitrepro.lock/v1\nbytes 1\nfiles 1\ntree ${TREE}\nevil 1\n`, /evil|Unrecognized/],
    ['duplicate key', `gitrepro.lock/v1\nbytes 1\nbytes 2\nfiles 1\ntree ${TREE}\n`, /duplicate key bytes/],
    ['negative count', `gitrepro.lock/v1\nbytes -1\nfiles 1\ntree ${TREE}\n`, /bytes/],
    ['keys out of order', `gitrepro.lock/v1\nfiles 1\nbytes 1\ntree ${TREE}\n`, /keys out of order/],
    ['a missing last newline', `gitrepro.lock/v1\nbytes 1\nfiles 1\ntree ${TREE}`, /no newline at the end/],
    ['mixed line endings', `gitrepro.lock/v1\r\nbytes 1\nfiles 1\r\ntree ${TREE}\r\n`, /first line|malformed line/],
  ])('refuses %s', (_n, text, why) => {
    const r = parseLock(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(why);
  });
});

describe('pointers', () => {
  it('use the Git LFS pointer format, exactly one encoding', () => {
    const t = formatPointer({ sha256: SHA, size: 42 });
    expect(t).toBe(`version https://git-lfs.github.com/spec/v1\noid sha256:${SHA}\nsize 42\n`);
    expect(parsePointer(t)).toEqual({ sha256: SHA, size: 42 });
    expect(parsePointer(t.replace('size 42', 'size 042'))).toBeUndefined();
    expect(parsePointer(t.toUpperCase())).toBeUndefined();
    expect(parsePointer(t + 'extra\n')).toBeUndefined();
    expect(parsePointer(t.replace('42', '99999999999999999999'))).toBeUndefined();
  });
});

describe('paths', () => {
  it.each([
    ['data/a.csv', undefined],
    ['data/naïve file.csv', undefined],
    ['', 'empty path'],
    ['/etc/passwd', 'absolute path'],
    ['C:/x', 'absolute path'],
    ['data/../../x', "'..' component"],
    ['./x', "'.' component"],
    ['a//b', 'empty path component'],
    ['.git/hooks/pre-commit', '.git component'],
    ['sub/.GiT/config', '.git component'],
    ['a\nb', 'control character in path'],
    ['data/a\rb/c', 'control character in path'],
    ['data/x\0', 'control character in path'],
    ['C:\\x', 'absolute path'],
    ['a/b/', 'empty path component'],
    ['data/..', "'..' component"],
    ['data/.', "'.' component"],
    ['data/.GIT', '.git component'],
    ['x/.gitignore', undefined],
    ['.hidden/x.csv', undefined],
    ['data/a..b/c.d', undefined],
    ['C:x', undefined],
    ['data/.git-foo', undefined],
  ])('%j → %s', (p, why) => expect(unsafePathReason(p)).toBe(why));
});

describe('records', () => {
  // a golden record written by gitrepro 0.1.0 (readers of older versions must keep working)
  const golden = readFileSync(new URL('../../fixtures/records/record-v1.json', import.meta.url), 'utf8');
  const rec = JSON.parse(golden);
  it('the golden sample parses and re-serialises byte-identical', () => {
    const p = parseNote(golden);
    expect(p.ok).toBe(true);
    expect(formatNote(JSON.parse(golden))).toBe(golden);
  });
  it('the golden sample with metrics (issue 13) parses, round-trips byte-identical, and an older reader\'s schema reads it', () => {
    const text = readFileSync(new URL('../../fixtures/records/record-v1-metrics.json', import.meta.url), 'utf8');
    const p = parseNote(text);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(formatNote(JSON.parse(text))).toBe(text);
    expect(p.records[0].metrics!['logs/train.csv']).toMatchObject({ values: { loss: 0.23 }, series: { loss: [0.9, 0.5, 0.23] }, rows: 3 });
    expect(p.records[0].runs[0].metrics!['metrics.json'].values['eval.acc']).toBe(0.91);
    // purely additive: without the new fields it is a record as 0.1.0 wrote them
    const old = JSON.parse(text);
    delete old.metrics;
    delete old.runs[0].metrics;
    expect(parseNote(JSON.stringify(old)).ok).toBe(true);
  });

  it('refuses hostile metrics: unsafe paths, oversized series, unknown fields', () => {
    const text = readFileSync(new URL('../../fixtures/records/record-v1-metrics.json', import.meta.url), 'utf8');
    const bad = (edit: (r: any) => void) => {
      const r = JSON.parse(text);
      edit(r);
      return parseNote(JSON.stringify(r));
    };
    expect(bad((r) => (r.metrics['../etc/passwd'] = r.metrics['metrics.json']))).toMatchObject({ ok: false, error: expect.stringMatching(/'\.\.' component/) });
    expect(bad((r) => (r.metrics['logs/train.csv'].series.loss = new Array(1001).fill(0)))).toMatchObject({ ok: false });
    expect(bad((r) => (r.metrics['metrics.json'].evil = 1))).toMatchObject({ ok: false });
    expect(bad((r) => (r.metrics['metrics.json'].values = Object.fromEntries(Array.from({ length: 5001 }, (_, i) => [`k${i}`, i]))))).toMatchObject({ ok: false, error: expect.stringMatching(/more than 5000 values/) });
  });

  it('serialise canonically: sorted keys, trailing newline', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: [2, 1] } })).toBe('{\n  "a": {\n    "c": [\n      2,\n      1\n    ],\n    "d": 1\n  },\n  "b": 1\n}\n');
    const text = formatNote(rec as any);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('"data"')).toBeLessThan(text.indexOf('"env"'));
  });
  it('parse one record or a list of them (merged notes), refusing hostile content', () => {
    expect(parseNote(JSON.stringify(rec))).toMatchObject({ ok: true, records: [{ data: { tree: rec.data.tree } }] });
    expect(parseNote(JSON.stringify([rec, rec]))).toMatchObject({ ok: true });
    expect(parseNote('[]')).toMatchObject({ ok: false });
    expect(parseNote(JSON.stringify({ ...rec, params: { '/abs': { sha256: SHA, values: {} } } }))).toMatchObject({ ok: false, error: expect.stringMatching(/absolute path/) });
    expect(parseNote(JSON.stringify({ ...rec, data: { ...rec.data, tree: 'HEAD' } }))).toMatchObject({ ok: false, error: expect.stringMatching(/data.tree/) });
    expect(parseNote(JSON.stringify({ ...rec, schema: 'gitrepro.record/v0' }))).toMatchObject({ ok: false, error: expect.stringMatching(/schema/) });
  });
});
