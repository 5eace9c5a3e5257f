import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PROJECT, sha256, TestRepo } from '../helpers/repo.js';

const FIX = path.join(PROJECT, 'fixtures', 'pipeline');

/** A repo holding the fixture pipeline (prepare → train → evaluate), stages written by hand. */
function pipelineRepo(opts: { stages?: boolean } = {}): TestRepo {
  const r = TestRepo.init({ track: ['data/raw.csv'] });
  cpSync(path.join(FIX, 'src'), r.path('src'), { recursive: true });
  cpSync(path.join(FIX, 'data'), r.path('data'), { recursive: true });
  cpSync(path.join(FIX, 'params.yaml'), r.path('params.yaml'));
  appendFileSync(r.path('.gitignore'), '__pycache__/\n');
  if (opts.stages !== false) appendFileSync(r.path('gitrepro.yaml'), readFileSync(path.join(FIX, 'stages.yaml')));
  return r;
}

/** The stages that ran, from `repro --json`. */
function repro(r: TestRepo, args: string[] = [], env?: NodeJS.ProcessEnv): { stage: string; action: string; reason: string }[] {
  return JSON.parse(r.gr(['repro', ...args, '--json'], { env }).stdout).stages;
}
const ran = (o: { stage: string; action: string }[]) => o.filter((s) => s.action === 'ran').map((s) => s.stage);

describe('gitrepro stage add', () => {
  it('writes the stage to gitrepro.yaml, paths relative to the current directory, and tracks its outs', () => {
    const r = pipelineRepo({ stages: false });
    r.gr(['stage', 'add', 'train', '-d', 'train.py', '-d', '../data/prepared', '-o', '../models/model.json', '-p', 'train.lr', '--seed', '42', '--', 'python3', 'src/train.py'], { cwd: r.path('src') });
    const cfg = YAML.parse(r.read('gitrepro.yaml').toString());
    expect(cfg.stages.train).toEqual({ cmd: 'python3 src/train.py', deps: ['src/train.py', 'data/prepared'], outs: ['models/model.json'], params: ['train.lr'], seed: 42 });
    expect(cfg.track).toContain('/models/model.json');
    expect(r.read('.gitignore').toString()).toMatch(/^\/models\/model\.json$/m);
    expect(r.grJson(['stage', 'list'])[0].name).toBe('train');
  });

  it('names the stage and the field of every problem', () => {
    const r = pipelineRepo({ stages: false });
    const bad = r.gr(['stage', 'add', 'bad', '-d', '../../outside', '--', 'true'], { ok: [2] });
    expect(bad.stderr).toMatch(/error \[GITREPRO_STAGE_INVALID\]: stage "bad": deps\.0: \.\.\/\.\.\/outside is not inside the work tree/);
    expect(r.gr(['stage', 'add', 'bad', '-o', '.git/x', '--', 'true'], { ok: [2] }).stderr).toMatch(/stage "bad": outs\.0: .*\.git component/);
    r.gr(['stage', 'add', 'a', '-d', 'y', '-o', 'x', '--', 'true']);
    expect(r.gr(['stage', 'add', 'a', '--', 'true'], { ok: [2] }).stderr).toMatch(/stage "a": a stage of that name exists/);
    expect(r.gr(['stage', 'add', 'b', '-d', 'x', '-o', 'y', '--', 'true'], { ok: [2] }).stderr).toMatch(/GITREPRO_PIPELINE_CYCLE.*cycle: (a → b → a|b → a → b)/);
    // by hand: the config schema names stage and field
    appendFileSync(r.path('gitrepro.yaml'), '  c:\n    deps: [x]\n');
    expect(r.gr(['repro'], { ok: [2] }).stderr).toMatch(/GITREPRO_CONFIG_INVALID.*stages\.c\.cmd/);
  });
});

describe('gitrepro repro', () => {
  it('runs stages in dependency order, streaming their output, then skips what did not change', () => {
    const r = pipelineRepo({ stages: false });
    // listed downstream first: the order comes from deps and outs
    const st = YAML.parse(readFileSync(path.join(FIX, 'stages.yaml'), 'utf8')).stages;
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}${YAML.stringify({ stages: { evaluate: st.evaluate, train: st.train, prepare: st.prepare } })}`);
    const first = r.gr(['repro']);
    const order = ['prepare: 150 training rows', 'train: weights', 'evaluate: {'].map((s) => first.stdout.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(JSON.parse(r.read('metrics.json').toString()).accuracy).toBeGreaterThan(0.8);
    expect(r.read('.gitignore').toString()).toMatch(/^\/data\/prepared$/m); // outs are tracked data
    const again = r.gr(['repro']);
    expect(again.stdout).not.toMatch(/weights/);
    expect(repro(r).map((s) => s.action)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(repro(r, ['--dry-run']).map((s) => s.action)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('a param change reruns only the stages that depend on it', () => {
    const r = pipelineRepo();
    repro(r);
    r.write('params.yaml', r.read('params.yaml').toString().replace('threshold: 0.5', 'threshold: 0.7'));
    expect(repro(r, ['--dry-run']).map((s) => s.action)).toEqual(['skipped', 'skipped', 'would-run']);
    expect(ran(repro(r))).toEqual(['evaluate']);
    r.write('params.yaml', r.read('params.yaml').toString().replace('lr: 0.1', 'lr: 0.05'));
    const out = repro(r);
    expect(ran(out)).toEqual(['train', 'evaluate']);
    expect(out[1].reason).toBe('params changed: train');
    expect(ran(repro(r, ['train', '--force']))).toEqual(['train']);
  });

  it('going back to an earlier commit reruns nothing; earlier inputs get their outs back from the store', () => {
    const r = pipelineRepo();
    repro(r);
    r.commit('lr 0.1');
    const model1 = r.read('models/model.json');
    r.write('params.yaml', r.read('params.yaml').toString().replace('lr: 0.1', 'lr: 0.05'));
    expect(ran(repro(r))).toEqual(['train', 'evaluate']);
    r.commit('lr 0.05');
    const model2 = r.read('models/model.json');
    expect(model2).not.toEqual(model1);
    r.git(['checkout', '-q', 'HEAD~1']); // the hook restores the outs: they are tracked data
    expect(r.read('models/model.json')).toEqual(model1);
    expect(repro(r).map((s) => s.action)).toEqual(['skipped', 'skipped', 'skipped']);
    r.git(['checkout', '-q', 'main']);
    // the same inputs as the first commit, without a checkout: the run cache restores the outs
    r.write('params.yaml', r.read('params.yaml').toString().replace('lr: 0.05', 'lr: 0.1'));
    const back = r.gr(['repro']);
    expect(back.stdout).toMatch(/stage train: outputs restored from the run cache/);
    expect(back.stdout).not.toMatch(/weights/);
    expect(r.read('models/model.json')).toEqual(model1);
    // an out deleted by hand comes back the same way
    rmSync(r.path('data/prepared'), { recursive: true });
    expect(repro(r).map((s) => s.action)).toEqual(['restored', 'skipped', 'skipped']);
    expect(r.exists('data/prepared/test.csv')).toBe(true);
  });

  it('a failing stage stops the pipeline with its exit code; the stages before it stay recorded', () => {
    const r = pipelineRepo();
    r.write('src/train.py', 'import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)\n');
    const res = r.gr(['repro'], { ok: [3] });
    expect(res.stderr).toMatch(/error \[GITREPRO_STAGE_FAILED\]: stage train failed with exit 3/);
    expect(res.stderr).toMatch(/boom/);
    expect(res.stderr).toMatch(/completed before the failure[^]*prepare: ran/);
    expect(r.exists('metrics.json')).toBe(false);
    r.commit('broken train');
    const runs = r.record().runs;
    expect(runs.map((x: any) => [x.stage, x.exit])).toEqual([['prepare', 0], ['train', 3]]);
    expect(runs[1].outs).toEqual({});
  });
});

describe('run records', () => {
  it('join the next commit record with hashes, params, seed and environment; gitrepro show lists them', () => {
    const r = pipelineRepo();
    repro(r, [], { OMP_NUM_THREADS: '2' });
    r.commit('pipeline');
    const rec = r.record();
    expect(rec.runs.map((x: any) => x.stage)).toEqual(['prepare', 'train', 'evaluate']);
    const train = rec.runs[1];
    expect(train).toMatchObject({ cmd: 'python3 src/train.py', seed: 42, exit: 0, params: { train: { epochs: 20, lr: 0.1 } } });
    expect(train.deps['src/train.py']).toBe(sha256(r.read('src/train.py')));
    expect(train.outs['models/model.json']).toBe(sha256(r.read('models/model.json')));
    expect(train.env.determinism).toMatchObject({ GITREPRO_SEED: '42', PYTHONHASHSEED: '42' });
    expect(train.env.threads).toMatchObject({ OMP_NUM_THREADS: '2' });
    expect(train.durationMs).toBeGreaterThan(0);
    // a directory out hashes to its manifest, which the store holds
    const manifest = ['gitrepro.dir/v1', `${sha256(r.read('data/prepared/test.csv'))}  test.csv`, `${sha256(r.read('data/prepared/train.csv'))}  train.csv`, ''].join('\n');
    expect(rec.runs[0].outs['data/prepared']).toBe(sha256(manifest));
    expect(readFileSync(r.objectPath(sha256(manifest)), 'utf8')).toBe(manifest);
    const show = r.gr(['show']).stdout;
    expect(show).toMatch(/run: {4}train: python3 src\/train\.py \(exit 0, \d+ ms, seed 42/);
    expect(show).toMatch(/outs: {3}models\/model\.json [0-9a-f]{12}/);
    // runs join one commit only
    r.write('notes.txt', 'x');
    r.commit('unrelated');
    expect(r.record().runs).toEqual([]);
  });

  it('gitrepro run records an ad-hoc step, seed exported as GITREPRO_SEED and PYTHONHASHSEED unless set', () => {
    const r = pipelineRepo({ stages: false });
    const cmd = 'mkdir -p out && echo "$GITREPRO_SEED $PYTHONHASHSEED" > out/seed.txt';
    const res = r.gr(['run', '-n', 'seeds', '-d', 'data/raw.csv', '-o', 'out/seed.txt', '--seed', '7', '--', cmd]);
    expect(res.stdout).toMatch(/recorded seeds \(exit 0, \d+ ms, seed 7\)/);
    expect(r.read('out/seed.txt').toString()).toBe('7 7\n');
    r.gr(['run', '-o', 'out/seed.txt', '--seed', '7', '--', cmd], { env: { PYTHONHASHSEED: '1' } });
    expect(r.read('out/seed.txt').toString()).toBe('7 1\n');
    expect(r.read('.gitignore').toString()).toMatch(/^\/out\/seed\.txt$/m);
    r.commit('seeds');
    const runs = r.record().runs;
    expect(runs.map((x: any) => [x.stage, x.seed, x.cmd])).toEqual([['seeds', 7, cmd], ['run', 7, cmd]]);
    expect(runs[1].outs['out/seed.txt']).toBe(sha256('7 1\n'));
    expect(runs[1].env.determinism.PYTHONHASHSEED).toBe('1');
    expect(r.gr(['run', '--', 'exit 5'], { ok: [5] }).stderr).toMatch(/GITREPRO_STAGE_FAILED/);
  });

  it('a run recorded after a commit waits for the next one, and none is lost when a commit cannot be recorded', () => {
    const r = pipelineRepo({ stages: false });
    r.commit('base');
    const journal = (line: string) => appendFileSync(path.join(r.gitDir(), 'gitrepro', 'pending'), `${line}\n`);
    const pendingRuns = () => {
      const f = path.join(r.gitDir(), 'gitrepro', 'runs-pending.jsonl');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    };
    r.gr(['run', '-n', 'before', '-o', 'o1', '--', 'echo 1 > o1']);
    // a commit whose params.yaml does not parse is still recorded (by hash, with the error)
    r.write('params.yaml', 'train: [unclosed\n');
    r.commit('broken params', { env: { GITREPRO_SKIP: '1' } });
    const broken = r.head();
    r.gr(['run', '-n', 'after', '-o', 'o2', '--', 'echo 2 > o2']);
    journal(broken);
    journal('0'.repeat(40)); // and an id that names no commit
    // another git holds the notes ref: the record cannot be written now
    const refLock = path.join(r.gitDir(), 'refs', 'notes', 'gitrepro.lock');
    writeFileSync(refLock, '');
    r.gr(['log']);
    expect(r.git(['notes', '--ref=gitrepro', 'list', broken], { ok: [0, 1] }).code).toBe(1);
    expect(pendingRuns()).toMatch(/"stage":"before"/);
    expect(pendingRuns()).toMatch(/"stage":"after"/);
    expect(readFileSync(path.join(r.gitDir(), 'gitrepro', 'pending'), 'utf8')).toContain(broken); // still journaled
    rmSync(refLock);
    const rec = r.record(broken);
    expect(rec.params['params.yaml'].error).toMatch(/does not parse/);
    expect(rec.runs.map((x: any) => x.stage)).toEqual(['before']);
    expect(r.git(['notes', '--ref=gitrepro', 'list', '0'.repeat(40)], { ok: [0, 1] }).code).toBe(1);
    r.write('params.yaml', 'train:\n  lr: 0.1\n');
    r.commit('fixed');
    expect(r.record().runs.map((x: any) => x.stage)).toEqual(['after']);
    expect(pendingRuns()).toBe('');
  });
});
