import { appendFileSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rerunVerify, summarize, type RerunOptions, type RerunReport } from '../../src/ops/verify-rerun.js';
import { PROJECT, TestRepo } from '../helpers/repo.js';

const FIX = path.join(PROJECT, 'fixtures', 'pipeline');

/** A repo holding the fixture pipeline; `unseeded`: train ignores the seed. */
function pipelineRepo(opts: { unseeded?: boolean } = {}): TestRepo {
  const r = TestRepo.init({ track: ['data/raw.csv'] });
  cpSync(path.join(FIX, 'src'), r.path('src'), { recursive: true });
  if (opts.unseeded) cpSync(path.join(FIX, 'unseeded', 'src', 'train.py'), r.path('src/train.py'));
  cpSync(path.join(FIX, 'data'), r.path('data'), { recursive: true });
  cpSync(path.join(FIX, 'params.yaml'), r.path('params.yaml'));
  appendFileSync(r.path('.gitignore'), '__pycache__/\n');
  appendFileSync(r.path('gitrepro.yaml'), readFileSync(path.join(FIX, 'stages.yaml')));
  return r;
}

/** Runs the op in this process with the repo's environment (HOME, git config, PATH). */
async function rerun(r: TestRepo, o: Omit<RerunOptions, 'cwd'>): Promise<RerunReport> {
  const saved = process.env;
  process.env = { ...r.env };
  try {
    return await rerunVerify({ cwd: r.dir, ...o });
  } finally {
    process.env = saved;
  }
}

/** What the user could see of the repository: files (with content hashes), status, HEAD, worktrees. */
function userView(r: TestRepo): unknown {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of readdirSync(r.path(rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${d.name}` : d.name;
      if (p === '.git') continue;
      if (d.isDirectory()) walk(p);
      else files[p] = readFileSync(r.path(p)).toString('base64').slice(0, 64) + readFileSync(r.path(p)).length;
    }
  };
  walk('');
  return { files, status: r.git(['status', '--porcelain', '--ignored']).stdout, head: r.head(), worktrees: r.git(['worktree', 'list']).stdout.split('\n').length };
}

const verdicts = (rep: RerunReport) => rep.commits.map((c) => c.runs.map((x) => `${x.stage}:${x.outputs.map((o) => o.verdict).join(',')}`));
const scratch = () => readdirSync(tmpdir()).filter((n) => n.startsWith('gitrepro-rerun-')).length;

describe('verify --rerun (rerunVerify)', () => {
  it('passes on the deterministic pipeline, commit by commit, and leaves the work tree untouched', async () => {
    const r = pipelineRepo();
    r.gr(['repro']);
    r.commit('lr 0.1');
    const a = r.head();
    r.write('params.yaml', r.read('params.yaml').toString().replace('lr: 0.1', 'lr: 0.05'));
    r.gr(['repro']);
    r.commit('lr 0.05');
    const b = r.head();
    r.write('notes.txt', 'uncommitted work\n'); // the user's state, which must survive as it is
    const before = userView(r);
    const scratchBefore = scratch();
    const rep = await rerun(r, { revs: [a, b], repeat: 2 });
    expect(verdicts(rep)).toEqual([
      ['prepare:identical', 'train:identical', 'evaluate:identical'],
      ['train:identical', 'evaluate:identical'],
    ]);
    const train = rep.commits[1].runs[0];
    expect(train).toMatchObject({ verdict: 'identical', seed: 42, exit: { recorded: 0, obtained: [0, 0] }, inputs: [], params: [] });
    expect(train.outputs[0].obtained).toEqual([train.outputs[0].recorded, train.outputs[0].recorded]);
    expect(train.outputs[0].committed).toBe(train.outputs[0].recorded); // the commit holds what the run wrote
    expect(summarize(rep)).toMatchObject({ ok: true, commits: 2, runs: 5, outputs: { identical: 5, different: 0, nondeterministic: 0 } });
    expect(userView(r)).toEqual(before);
    expect(scratch()).toBe(scratchBefore);
  });

  it('flags the unseeded variant as nondeterministic (repeats differ), or different with one repeat', async () => {
    const r = pipelineRepo({ unseeded: true });
    r.gr(['repro']);
    r.commit('unseeded');
    const c = r.head();
    const rep = await rerun(r, { revs: [c], repeat: 2 });
    const train = rep.commits[0].runs.find((x) => x.stage === 'train')!;
    expect(train.verdict).toBe('nondeterministic');
    expect(train.outputs[0]).toMatchObject({ path: 'models/model.json', verdict: 'nondeterministic' });
    expect(new Set(train.outputs[0].obtained).size).toBe(2);
    expect(rep.commits[0].runs.find((x) => x.stage === 'prepare')!.verdict).toBe('identical');
    // evaluate is checked against its own recorded inputs: the recorded model is put back first
    const evaluate = rep.commits[0].runs.find((x) => x.stage === 'evaluate')!;
    expect(evaluate.inputs).toEqual([expect.objectContaining({ path: 'models/model.json', restored: true })]);
    expect(evaluate.verdict).toBe('identical');
    expect(summarize(rep)).toMatchObject({ ok: false, outputs: { nondeterministic: 1 } });
    const once = await rerun(r, { revs: [c], repeat: 1, stage: 'train' });
    expect(verdicts(once)).toEqual([['train:different']]);
    expect(summarize(once).ok).toBe(false);
  });

  it('lists the environment differences that may explain a mismatch, marked important', async () => {
    const r = pipelineRepo();
    r.gr(['repro', 'prepare'], { env: { OMP_NUM_THREADS: '3' } });
    r.commit('prepared');
    const rep = await rerun(r, { revs: [r.head()], repeat: 1 });
    const env = rep.commits[0].runs[0].env;
    expect(env).toContainEqual({ field: 'threads.OMP_NUM_THREADS', before: '3', after: undefined, important: true });
    expect(env.find((d) => d.field.startsWith('determinism.'))).toBeUndefined(); // the seed is set again
  });

  it('executes only the commands the commit\'s gitrepro.yaml names, unless the records are trusted', async () => {
    const r = pipelineRepo();
    r.gr(['repro', 'prepare']);
    r.gr(['run', '-n', 'count', '-d', 'data/raw.csv', '-o', 'count.txt', '--', 'wc -l < data/raw.csv > count.txt']);
    r.commit('prepare and an ad-hoc step');
    const c = r.head();
    const plain = await rerun(r, { revs: [c], repeat: 1 });
    expect(plain.commits[0].runs.map((x) => x.stage)).toEqual(['prepare']);
    expect(plain.commits[0].skipped).toEqual([expect.objectContaining({ stage: 'count', kind: 'ad-hoc' })]);
    expect(summarize(plain).ok).toBe(true);
    const trusted = await rerun(r, { revs: [c], repeat: 1, trustRecords: true });
    expect(verdicts(trusted)).toEqual([['prepare:identical', 'count:identical']]);
    // a record whose command is not the stage's (edited, or pushed by someone else) is not executed
    const note = JSON.parse(r.note(c)!);
    note.runs[0].cmd = 'echo pwned > /tmp/never';
    r.git(['notes', '--ref=gitrepro', 'add', '-f', '-F', '-', c], { input: JSON.stringify(note) });
    const tampered = await rerun(r, { revs: [c], repeat: 1 });
    expect(tampered.commits[0].skipped.map((x) => x.kind).sort()).toEqual(['ad-hoc', 'config-mismatch']);
    expect(summarize(tampered)).toMatchObject({ ok: false, mismatched: 1 });
  });

  it('reports commits without a record or without runs', async () => {
    const r = pipelineRepo();
    r.write('x.txt', 'x');
    r.commit('no record', { env: { GITREPRO_SKIP: '1' } });
    const bare = r.head();
    r.write('y.txt', 'y');
    r.commit('no runs');
    const rep = await rerun(r, { revs: [bare, r.head()], repeat: 1 });
    expect(rep.commits.map((c) => [c.status, c.error?.code])).toEqual([['error', 'GITREPRO_NO_RECORD'], ['no-runs', undefined]]);
    expect(summarize(rep).ok).toBe(false);
  });
});

describe('gitrepro verify --rerun (the CLI)', () => {
  it('exits 0 on the deterministic pipeline and 1 when a repeat differs, naming the output', () => {
    const good = pipelineRepo();
    good.gr(['repro']);
    good.commit('deterministic');
    const ok = good.gr(['verify', 'HEAD', '--local', '--rerun', '--repeat', '2']);
    expect(ok.stdout).toMatch(/rerun \(2 time\(s\) each, in a temporary worktree\):/);
    expect(ok.stdout).toMatch(/✓ [0-9a-f]{12} train: identical/);
    expect(ok.stdout).toMatch(/verify: all checks passed/);

    const bad = pipelineRepo({ unseeded: true });
    bad.gr(['repro']);
    bad.commit('unseeded');
    const res = bad.gr(['verify', 'HEAD', '--local', '--rerun', '--repeat', '2', '--json'], { ok: [1] });
    const j = JSON.parse(res.stdout);
    const train = j.rerun.commits[0].runs.find((x: any) => x.stage === 'train');
    expect(train.verdict).toBe('nondeterministic');
    expect(j.ok).toBe(false);
    expect(bad.gr(['verify', 'HEAD', '--local', '--rerun', '--repeat', '2'], { ok: [1] }).stdout).toMatch(/✗ [0-9a-f]{12} train: nondeterministic/);
  });
});
