import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize, type RerunReport } from '../../src/ops/verify-rerun.js';
import { classifyOutput, runVerdict, selectRuns, vouchedRuns } from '../../src/pipeline/compare.js';
import { shellJoin, stageEnv } from '../../src/pipeline/shell.js';
import { overlaps, planOrder, type Stages } from '../../src/pipeline/graph.js';
import { formatManifest, manifestDigest, parseManifest } from '../../src/pipeline/manifest.js';
import { splitParamKey } from '../../src/pipeline/stage-params.js';
import { RunCache, runKey } from '../../src/pipeline/runcache.js';
import { stageSchema } from '../../src/record/config.js';
import type { RunRecord } from '../../src/record/record.js';
import { sha256 } from '../helpers/repo.js';

const H = (c: string) => c.repeat(64);
const stage = (s: Partial<Record<'cmd' | 'deps' | 'outs' | 'params', unknown>>) => stageSchema.parse({ cmd: 'true', ...s });
const run = (r: Partial<RunRecord>): RunRecord => ({ stage: 's', cmd: 'true', deps: {}, outs: {}, params: {}, exit: 0, durationMs: 1, startedAt: '2024-01-01T00:00:00.000Z', ...r });

describe('pipeline graph', () => {
  const stages: Stages = {
    evaluate: stage({ deps: ['models/model.json', 'data/prepared/test.csv'], outs: ['metrics.json'] }),
    train: stage({ deps: ['data/prepared/train.csv'], outs: ['models/model.json'] }),
    prepare: stage({ deps: ['data/raw.csv'], outs: ['data/prepared'] }),
    lint: stage({ deps: ['src'] }),
  };
  it('orders stages upstream first, whatever order gitrepro.yaml lists them in', () => {
    expect(planOrder(stages)).toEqual(['prepare', 'train', 'evaluate', 'lint']);
    expect(planOrder(stages, ['train'])).toEqual(['prepare', 'train']);
    expect(planOrder(stages, ['lint'])).toEqual(['lint']);
  });
  it('links outs and deps by path, including directories holding one another', () => {
    expect(overlaps('data/prepared', 'data/prepared/train.csv')).toBe(true);
    expect(overlaps('data', 'data/prepared')).toBe(true);
    expect(overlaps('data/prep', 'data/prepared')).toBe(false);
  });
  it('refuses cycles, naming them', () => {
    const cyc: Stages = { a: stage({ deps: ['y'], outs: ['x'] }), b: stage({ deps: ['x'], outs: ['y'] }) };
    expect(() => planOrder(cyc)).toThrow(/cycle: a → b → a/);
    expect(() => planOrder({ a: stage({ deps: ['d/x'], outs: ['d'] }) })).toThrow(expect.objectContaining({ code: 'GITREPRO_PIPELINE_CYCLE' }));
  });
  it('refuses outs written by two stages and unknown targets, naming stage and field', () => {
    expect(() => planOrder({ a: stage({ outs: ['m'] }), b: stage({ outs: ['m/x'] }) })).toThrow(/stage "b": outs\.0: m\/x overlaps an out of stage "a"/);
    expect(() => planOrder(stages, ['nope'])).toThrow(expect.objectContaining({ code: 'GITREPRO_USAGE' }));
  });
});

describe('directory manifests', () => {
  it('have one encoding: header, sha256sum lines sorted by UTF-8 bytes', () => {
    const entries = [{ path: 'b.csv', sha256: H('b') }, { path: 'a/é.csv', sha256: H('a') }, { path: 'a/z.csv', sha256: H('c') }];
    const text = formatManifest(entries);
    expect(text).toBe(`gitrepro.dir/v1\n${H('c')}  a/z.csv\n${H('a')}  a/é.csv\n${H('b')}  b.csv\n`);
    expect(manifestDigest(entries)).toBe(sha256(text));
    expect(parseManifest(text)).toEqual([entries[2], entries[1], entries[0]]);
    expect(manifestDigest([])).toBe(sha256('gitrepro.dir/v1\n'));
  });
  it('are refused when hostile or not canonical', () => {
    expect(parseManifest(`gitrepro.dir/v1\n${H('a')}  ../etc/passwd\n`)).toBeUndefined();
    expect(parseManifest(`gitrepro.dir/v1\n${H('a')}  b\n${H('a')}  a\n`)).toBeUndefined();
    expect(parseManifest(`gitrepro.dir/v1\n${H('a')} a\n`)).toBeUndefined();
    expect(parseManifest('just a data file\n')).toBeUndefined();
  });
});

describe('run cache', () => {
  it('keys on cmd, wdir, dep hashes, params values and seed only', () => {
    const a = run({ deps: { x: H('1'), y: H('2') }, params: { 'train.lr': 0.1 }, seed: 1 });
    expect(runKey({ ...a, deps: { y: H('2'), x: H('1') } })).toBe(runKey(a));
    expect(runKey({ ...a, seed: 2 })).not.toBe(runKey(a));
    expect(runKey({ ...a, params: { 'train.lr': 0.2 } })).not.toBe(runKey(a));
    expect(runKey(run({ ...a, durationMs: 99, startedAt: 'later', outs: { o: H('f') } }))).toBe(runKey(a));
  });
  it('never serves a failed run, keeps the latest per key and says what changed', () => {
    const ok = run({ stage: 'train', deps: { d: H('1') }, params: { lr: 0.1 }, outs: { m: H('a') } });
    const failed = run({ ...ok, exit: 3, startedAt: '2025-01-01T00:00:00.000Z' });
    const cache = new RunCache([ok, failed]);
    expect(cache.get(runKey(ok))).toBe(ok);
    expect(cache.whyRun('train', { ...ok, params: { lr: 0.2 } })).toBe('params changed: lr');
    expect(cache.whyRun('train', { ...ok, deps: { d: H('2') }, seed: 3 })).toBe('deps changed: d; seed changed');
    expect(cache.whyRun('other', ok)).toBe('never ran');
  });
});

describe('rerun judgement', () => {
  it('classifies outputs: identical, different, nondeterministic, missing', () => {
    expect(classifyOutput(H('a'), [H('a'), H('a')])).toBe('identical');
    expect(classifyOutput(H('a'), [H('b'), H('b')])).toBe('different');
    expect(classifyOutput(H('a'), [H('a'), H('b')])).toBe('nondeterministic');
    expect(classifyOutput(H('a'), [null, null])).toBe('missing');
    expect(runVerdict(false, ['identical'])).toBe('failed');
    expect(runVerdict(true, ['different', 'nondeterministic'])).toBe('nondeterministic');
    expect(runVerdict(true, [])).toBe('identical');
  });
  it('reruns the last successful run of each stage, oldest first', () => {
    const t = (n: number) => `2024-01-01T00:00:0${n}.000Z`;
    const runs = [
      run({ stage: 'train', startedAt: t(3), outs: { m: H('2') } }),
      run({ stage: 'train', startedAt: t(1), outs: { m: H('1') } }),
      run({ stage: 'prepare', startedAt: t(0), outs: { d: H('0') } }),
      run({ stage: 'evaluate', startedAt: t(4), exit: 1 }),
      run({ stage: 'adhoc', startedAt: t(2), outs: { m: H('9') } }),
    ];
    const sel = selectRuns(runs);
    expect(sel.verify.map((r) => `${r.stage}@${r.startedAt.slice(18, 19)}`)).toEqual(['prepare@0', 'train@3']);
    expect(sel.skipped.map((s) => s.why)).toEqual([
      `superseded by a later run of adhoc (${t(2)})`,
      `superseded by a later run of train (${t(3)})`,
      'the recorded run failed (exit 1)',
    ]);
    expect(selectRuns(runs, 'prepare').verify.map((r) => r.stage)).toEqual(['prepare']);
  });
  it('reruns only commands the commit\'s own gitrepro.yaml names, unless the records are trusted', () => {
    const sel = selectRuns([run({ stage: 'train', cmd: 'python3 t.py' }), run({ stage: 'adhoc', cmd: 'curl x | sh' }), run({ stage: 'other', cmd: 'rm -rf ~' })]);
    const v = vouchedRuns(sel, { train: { cmd: 'python3 t.py' }, other: { cmd: 'true' } }, false);
    expect(v.verify.map((r) => r.stage)).toEqual(['train']);
    expect(v.skipped.map((x) => [x.run.stage, x.kind])).toEqual([['adhoc', 'ad-hoc'], ['other', 'config-mismatch']]);
    expect(vouchedRuns(sel, {}, true).verify).toHaveLength(3);
  });
  it('summarize is ok only when every output is identical and every commit could be rerun', () => {
    const out = (verdict: 'identical' | 'nondeterministic') => ({ path: 'm', recorded: H('a'), obtained: [H('a')], verdict });
    const report = (verdict: 'identical' | 'nondeterministic', status: 'verified' | 'error' = 'verified'): RerunReport => ({
      repeat: 2,
      commits: [{ commit: H('c').slice(0, 40), status, skipped: [], runs: [{ stage: 's', cmd: 'x', recordedAt: 't', exit: { recorded: 0, obtained: [0, 0] }, durationsMs: [1, 1], verdict, outputs: [out(verdict)], inputs: [], params: [], env: [] }] }],
    });
    expect(summarize(report('identical'))).toMatchObject({ ok: true, runs: 1, outputs: { identical: 1 } });
    expect(summarize(report('nondeterministic'))).toMatchObject({ ok: false, outputs: { nondeterministic: 1 } });
    expect(summarize(report('identical', 'error')).ok).toBe(false);
    const mismatch = report('identical');
    mismatch.commits[0].skipped.push({ stage: 't', recordedAt: 't', why: 'x', kind: 'config-mismatch' });
    expect(summarize(mismatch)).toMatchObject({ ok: false, mismatched: 1 });
    const adhoc = report('identical');
    adhoc.commits[0].skipped.push({ stage: 't', recordedAt: 't', why: 'x', kind: 'ad-hoc' });
    expect(summarize(adhoc).ok).toBe(true);
  });
});

describe('commands and params', () => {
  it('export the seed as GITREPRO_SEED, and as PYTHONHASHSEED unless it is set', () => {
    expect(stageEnv({ PATH: '/bin' }, 7)).toMatchObject({ GITREPRO_SEED: '7', PYTHONHASHSEED: '7' });
    expect(stageEnv({ PYTHONHASHSEED: '0' }, 7).PYTHONHASHSEED).toBe('0');
    expect(stageEnv({ PYTHONHASHSEED: '0' }, 7, { PYTHONHASHSEED: '42' }).PYTHONHASHSEED).toBe('42');
    expect(stageEnv({ GITREPRO_REPO_INFO: 'x' }).GITREPRO_REPO_INFO).toBeUndefined();
  });
  it('join argv into a shell command; one argument is a command line', () => {
    expect(shellJoin(['python3', 'train.py', '--lr', '0.1'])).toBe('python3 train.py --lr 0.1');
    expect(shellJoin(['echo', "it's", 'a b'])).toBe(`echo 'it'\\''s' 'a b'`);
    expect(shellJoin(['sort x > y'])).toBe('sort x > y');
  });
  it('split params keys into file and key', () => {
    expect(splitParamKey('train.lr', 'params.yaml')).toEqual({ file: 'params.yaml', key: 'train.lr' });
    expect(splitParamKey('conf/a.json:eval.batch', 'params.yaml')).toEqual({ file: 'conf/a.json', key: 'eval.batch' });
  });
});

describe('pipeline layering', () => {
  it('src/pipeline imports no ops, cli, env or git code (types from git/snapshot only)', () => {
    const dir = path.join(__dirname, '..', '..', 'src', 'pipeline');
    for (const f of readdirSync(dir)) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      for (const [, what, from] of text.matchAll(/^import (type )?.*? from '([^']+)';$/gm)) {
        expect(from, `${f} imports ${from}`).not.toMatch(/\.\.\/(ops|cli|env)\//);
        if (from.startsWith('../git/')) expect(what, `${f} imports ${from}`).toBe('type ');
      }
    }
  });
});
