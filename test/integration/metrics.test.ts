import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256, TestRepo } from '../helpers/repo.js';

/**
 * A project as a user has it: params.yaml, metrics.json (git-tracked) and a per-step CSV log
 * under logs/ (tracked data), named by `metrics:` in gitrepro.yaml.
 */
function project(): TestRepo {
  const r = TestRepo.init({ track: ['logs/'] });
  r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}metrics: [metrics.json, logs/train.csv]\n`);
  return r;
}

/** One experiment: write params and the metrics a run with that lr would give, commit. */
function experiment(r: TestRepo, lr: number, acc: number, o: { msg?: string; env?: NodeJS.ProcessEnv; epochs?: number } = {}): string {
  r.write('params.yaml', `train:\n  lr: ${lr}\n  epochs: ${o.epochs ?? 3}\nmodel: resnet\n`);
  r.write('metrics.json', JSON.stringify({ eval: { acc, loss: Number((1 - acc).toFixed(4)) }, dataset: 'v1' }));
  r.write('logs/train.csv', `step,loss\n${[0, 1, 2, 3].map((s) => `${s},${(1 / (1 + s * lr * 10)).toFixed(4)}`).join('\n')}\n`);
  r.commit(o.msg ?? `lr ${lr}`, { env: o.env });
  return r.head();
}

describe('metrics in records', () => {
  it('every commit records its metrics files, git-tracked or tracked data; one that does not parse is recorded by hash with its error', () => {
    const r = project();
    experiment(r, 0.1, 0.85);
    const rec = r.record();
    expect(rec.metrics['metrics.json']).toEqual({ sha256: sha256(r.read('metrics.json')), values: { 'eval.acc': 0.85, 'eval.loss': 0.15, dataset: 'v1' } });
    // logs/train.csv is tracked data: not in git, read through the snapshot from the store
    expect(r.git(['ls-files', 'logs']).stdout).toBe('');
    expect(rec.metrics['logs/train.csv']).toMatchObject({ sha256: sha256(r.read('logs/train.csv')), values: { step: 3, loss: 0.25 }, rows: 4, series: { step: [0, 1, 2, 3], loss: [1, 0.5, 0.3333, 0.25] } });

    r.write('metrics.json', '{\n  "eval": {"acc": 0.9,\n}\n');
    r.commit('broken metrics');
    const bad = r.record();
    expect(bad.metrics['metrics.json'].sha256).toBe(sha256(r.read('metrics.json')));
    expect(bad.metrics['metrics.json'].values).toEqual({});
    expect(bad.metrics['metrics.json'].error).toMatch(/^metrics file metrics\.json: line 3, column 1: not valid JSON/);
    expect(bad.metrics['logs/train.csv'].values.loss).toBe(0.25); // the other file is still read
  });

  it('a project that names no metrics file keeps records without the field (old readers, old records: unchanged)', () => {
    const r = TestRepo.init();
    r.write('metrics.json', '{"acc": 1}');
    r.commit('no metrics named');
    expect(r.record()).not.toHaveProperty('metrics');
  });

  it('a stage with -m and -M records the metrics its run produced in the run record', () => {
    const r = TestRepo.init();
    r.write('params.yaml', 'lr: 0.5\n');
    const cmd = `python3 -c "import json; json.dump({'acc': 0.75}, open('metrics.json', 'w')); open('eval.csv', 'w').write('epoch,acc\\n1,0.5\\n2,0.75\\n')"`;
    r.gr(['stage', 'add', 'evaluate', '-d', 'params.yaml', '-p', 'lr', '-m', 'metrics.json', '-M', 'eval.csv', '--', cmd]);
    const stages = r.grJson(['stage', 'list']);
    expect(stages[0].stage).toMatchObject({ outs: ['metrics.json'], metrics: ['metrics.json', 'eval.csv'] });
    r.gr(['repro']);
    r.commit('evaluate');
    const rec = r.record();
    expect(rec.runs[0].metrics).toEqual({
      'metrics.json': { sha256: sha256(r.read('metrics.json')), values: { acc: 0.75 } },
      'eval.csv': { sha256: sha256(r.read('eval.csv')), values: { epoch: 2, acc: 0.75 }, series: { epoch: [1, 2], acc: [0.5, 0.75] }, rows: 2 },
    });
    // the commit's record names the stage's metrics files too; metrics.json is tracked data, eval.csv in git
    expect(Object.keys(rec.metrics).sort()).toEqual(['eval.csv', 'metrics.json']);
    expect(r.git(['ls-files']).stdout.split('\n')).toEqual(expect.arrayContaining(['eval.csv']));
    expect(r.git(['ls-files']).stdout.split('\n')).not.toContain('metrics.json');
    expect(r.gr(['show']).stdout).toMatch(/metrics metrics\.json: acc=0\.75/);
  });
});

describe('gitrepro metrics show / diff, params diff', () => {
  it('metrics diff compares HEAD with the work tree by default: one row per changed key with old, new, change and %; exit 0 either way', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    const same = r.gr(['metrics', 'diff']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^no metrics changed between HEAD \([0-9a-f]{7}\) and workspace/);
    r.write('metrics.json', JSON.stringify({ eval: { acc: 0.9, loss: 0.2 }, dataset: 'v1' }));
    const d = r.gr(['metrics', 'diff']);
    expect(d.code).toBe(0);
    const lines = d.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Path\s+Metric\s+HEAD \([0-9a-f]{7}\)\s+workspace\s+Change\s+%$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^metrics\.json\s+eval\.acc\s+0\.8\s+0\.9\s+\+0\.1\s+\+12\.5%$/)]);
    // --all lists the unchanged keys too; --json has the numbers
    expect(r.gr(['metrics', 'diff', '--all']).stdout).toMatch(/logs\/train\.csv\s+loss\s+0\.25\s+0\.25\s+\+?0\s/);
    const j = r.grJson(['metrics', 'diff']);
    expect(j.rows).toEqual([{ kind: 'metric', file: 'metrics.json', key: 'eval.acc', old: 0.8, new: 0.9, change: expect.closeTo(0.1, 9), percent: expect.closeTo(12.5, 6), changed: true }]);
    expect(j.b).toEqual({ label: 'workspace' });
  });

  it('between two commits, with params folded in (a Kind column), and params diff alone', () => {
    const r = project();
    const a = experiment(r, 0.1, 0.8);
    experiment(r, 0.05, 0.9);
    const both = r.gr(['metrics', 'diff', 'HEAD~1', 'HEAD', '--params']).stdout;
    expect(both).toMatch(/^Kind\s+Path\s+Key\s+HEAD~1 \([0-9a-f]{7}\)\s+HEAD \([0-9a-f]{7}\)\s+Change\s+%$/m);
    expect(both).toMatch(/^param\s+params\.yaml\s+train\.lr\s+0\.1\s+0\.05\s+-0\.05\s+-50%$/m);
    expect(both).toMatch(/^metric\s+metrics\.json\s+eval\.acc\s+0\.8\s+0\.9\s+\+0\.1\s+\+12\.5%$/m);
    const p = r.gr(['params', 'diff', a.slice(0, 10), 'HEAD']).stdout;
    expect(p).toMatch(/^Path\s+Param\s+/);
    expect(p.trimEnd().split('\n')).toHaveLength(2);
    expect(r.gr(['params', 'diff', 'HEAD']).stdout).toMatch(/^no params changed/);
  });

  it('show prints commits side by side; a commit recorded before its metrics were named is read from its files', () => {
    const r = TestRepo.init();
    r.write('metrics.json', '{"acc": 0.5}');
    r.commit('before metrics were named');
    expect(r.record()).not.toHaveProperty('metrics');
    r.write('gitrepro.yaml', `${r.read('gitrepro.yaml')}metrics: [metrics.json]\n`);
    r.write('metrics.json', '{"acc": 0.7}');
    r.commit('named');
    const s = r.gr(['metrics', 'show', 'HEAD~1', 'HEAD']).stdout.trimEnd().split('\n');
    expect(s[0]).toMatch(/^Path\s+Metric\s+HEAD~1 \([0-9a-f]{7}\)\s+HEAD \([0-9a-f]{7}\)$/);
    expect(s[1]).toMatch(/^metrics\.json\s+acc\s+0\.5\s+0\.7$/);
    expect(r.grJson(['metrics', 'show']).sides[0]).toMatchObject({ label: 'workspace', metrics: { 'metrics.json': { values: { acc: 0.7 } } } });
  });

  it('a work-tree metrics file that does not parse: exit 2 naming the file and line, after what could be read', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    r.write('logs/train.csv', 'step,loss\n0,1\n1\n');
    const d = r.gr(['metrics', 'diff'], { ok: [2] });
    expect(d.stderr).toMatch(/^error \[GITREPRO_METRICS_INVALID\]: metrics file logs\/train\.csv: line 3: 1 field\(s\), but the header row has 2$/m);
    expect(d.stderr).toMatch(/hint: fix logs\/train\.csv in the work tree/);
    expect(d.stdout).toMatch(/logs\/train\.csv\s+loss\s+0\.25\s+—/); // the readable rest, and the file's values as gone
    r.write('logs/train.csv', 'step,loss\n0,1\n');
    r.write('metrics.json', '{"eval": {"acc": 0.8 "loss": 1}}');
    const s = r.gr(['metrics', 'show'], { ok: [2] });
    expect(s.stderr).toMatch(/metrics file metrics\.json: line 1, column 22: not valid JSON: expected ',' or '}' after a value, found "\\""/);
    // recorded with a commit, the same file is history: a warning, exit 0
    r.commit('broken');
    const h = r.gr(['metrics', 'show', 'HEAD']);
    expect(h.stderr).toMatch(/^gitrepro: warning: metrics of HEAD: metrics file metrics\.json: line 1, column 22/m);
  });
});

describe('metrics files are input', () => {
  it('a link out of the work tree is not read, neither from the work tree nor from a commit', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    const outside = path.join(path.dirname(r.dir), 'secret.json');
    writeFileSync(outside, '{"token": "the-secret-value"}');
    rmSync(r.path('metrics.json'));
    symlinkSync(outside, r.path('metrics.json'));
    const s = r.gr(['metrics', 'show', 'workspace'], { ok: [2] });
    expect(s.stderr).toMatch(/GITREPRO_METRICS_INVALID\]: metrics file metrics\.json: a symbolic link out of the work tree, not read/);
    expect(s.stdout + s.stderr).not.toContain('the-secret-value');
    r.commit('a link');
    const note = r.note()!;
    expect(note).not.toContain('the-secret-value');
    expect(JSON.parse(note).metrics['metrics.json']).toMatchObject({ values: {}, error: expect.stringMatching(/not valid JSON/) });
  });
});

describe('gitrepro exp / log --table', () => {
  it('one row per commit, a column per varying param and metric, the constant ones above; --sort, --csv, --json', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    experiment(r, 0.05, 0.93);
    experiment(r, 0.01, 0.88);
    const t = r.gr(['exp']).stdout.split('\n');
    expect(t[0]).toBe('3 commit(s) with a record in HEAD');
    expect(t[1]).toBe('same in every commit: params model=resnet, train.epochs=3');
    expect(t[2]).toBe('same in every commit: metrics dataset=v1, step=3');
    const header = t[4];
    expect(header.split(/\s{2,}/)).toEqual(['commit', 'date', 'subject', 'train.lr', 'eval.acc', 'eval.loss', 'loss', 'env']);
    expect(t[5]).toMatch(/^[0-9a-f]{7}\s+\d{4}-\d\d-\d\d\s+lr 0\.01\s+0\.01\s+0\.88\s+0\.12\s+0\.7692\s+-$/);
    const sorted = r.gr(['exp', '--sort', 'eval.acc']).stdout.split('\n');
    expect(sorted[0]).toMatch(/sorted by eval\.acc \(metric\), highest first$/);
    expect(sorted[5]).toMatch(/lr 0\.05\s+0\.05\s+0\.93/);
    expect(r.gr(['exp', '--sort', 'metrics.json:eval.loss', '--sort-order', 'asc']).stdout.split('\n')[5]).toMatch(/lr 0\.05/);
    const j = r.grJson(['exp', '--sort', 'train.lr', '--sort-order', 'asc']);
    expect(j.rows.map((x: any) => x.params['train.lr'])).toEqual([0.01, 0.05, 0.1]);
    expect(j.columns).toEqual({ param: ['train.lr'], metric: ['eval.acc', 'eval.loss', 'loss'] });
    const csv = r.gr(['exp', '--csv']).stdout.split('\n');
    expect(csv[0]).toBe('commit,date,author,subject,param:model,param:train.epochs,param:train.lr,metric:dataset,metric:eval.acc,metric:eval.loss,metric:loss,metric:step,data_files,data_bytes,env_changes,env_important');
    expect(csv[1]).toMatch(/^[0-9a-f]{40},[^,]+,Test,lr 0\.01,resnet,3,0\.01,v1,0\.88,0\.12,0\.7692,3,1,\d+,0,0$/);
    expect(r.gr(['log', '--table']).stdout).toBe(r.gr(['exp']).stdout);
    expect(r.gr(['log', '--table', 'HEAD~1..HEAD']).stdout.split('\n')[0]).toBe('1 commit(s) with a record in HEAD~1..HEAD');
  });

  it('a table wider than the terminal folds into blocks that fit, each repeating the commit', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    experiment(r, 0.05, 0.93);
    const wide = r.gr(['exp']).stdout.split('\n');
    expect(Math.max(...wide.map((l) => l.length))).toBeGreaterThan(60);
    const folded = r.gr(['exp'], { env: { COLUMNS: '60' } }).stdout.split('\n');
    const table = folded.slice(folded.indexOf('') + 1).filter(Boolean);
    expect(Math.max(...table.map((l) => l.length))).toBeLessThanOrEqual(60);
    const headers = table.filter((l) => l.startsWith('commit'));
    expect(headers.length).toBeGreaterThan(1);
    expect(headers.join(' ').split(/\s+/).filter((w) => w !== 'commit')).toEqual(['date', 'subject', 'train.lr', 'eval.acc', 'eval.loss', 'loss', 'env']);
  });

  it('clear errors: a range with no records, a key that no commit has', () => {
    const r = project();
    r.write('a.txt', 'x');
    r.commit('first', { env: { GITREPRO_SKIP: '1' } });
    r.git(['notes', '--ref=refs/notes/gitrepro', 'remove', '--ignore-missing', 'HEAD']);
    const none = r.gr(['exp'], { ok: [2] });
    expect(none.stderr).toMatch(/^error \[GITREPRO_NO_RECORD\]: no commit of HEAD has a record \(1 commit\(s\) without one\)$/m);
    expect(r.gr(['report', '-o', 'x.html'], { ok: [2] }).stderr).toMatch(/GITREPRO_NO_RECORD/);
    expect(r.exists('x.html')).toBe(false);
    expect(r.gr(['exp', 'nosuchbranch'], { ok: [2] }).stderr).toMatch(/^error \[GITREPRO_BAD_REVISION\]: nosuchbranch does not name commits/m);
    experiment(r, 0.1, 0.8);
    const bad = r.gr(['exp', '--sort', 'eval.accuracy'], { ok: [2] });
    expect(bad.stderr).toMatch(/^error \[GITREPRO_KEY_UNKNOWN\]: --sort eval\.accuracy: no commit of HEAD records metrics or params with that key$/m);
    expect(bad.stderr).toMatch(/hint: did you mean eval\.acc/);
    const x = r.gr(['report', '--x', 'train.momentum', '--y', 'eval.acc'], { ok: [2] });
    expect(x.stderr).toMatch(/^error \[GITREPRO_KEY_UNKNOWN\]: --x train\.momentum: no commit of HEAD records params or metrics with that key$/m);
    expect(x.stderr).not.toMatch(/    at /);
  });
});

describe('gitrepro show / diff include metrics', () => {
  it('show lists the metrics files with their values; diff lists the changes with the change', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    experiment(r, 0.05, 0.9);
    const s = r.gr(['show']).stdout;
    expect(s).toMatch(/^ {2}metrics: metrics\.json\n {4}dataset = "v1"\n {4}eval\.acc = 0\.9\n/m);
    expect(s).toMatch(/^ {2}metrics: logs\/train\.csv \(4 rows; the last shown\)$/m);
    const d = r.gr(['diff', 'HEAD~1', 'HEAD']).stdout;
    expect(d).toMatch(/^metrics \(3 change\(s\)\):\n {2}logs\/train\.csv: loss: 0\.25 -> 0\.4 \(\+0\.15, \+60\.00%\)\n {2}metrics\.json: eval\.acc: 0\.8 -> 0\.9 \(\+0\.1, \+12\.50%\)/m);
    expect(r.grJson(['diff', 'HEAD~1', 'HEAD']).metrics).toHaveLength(3);
  });
});

describe('the question users record in order to answer', () => {
  it('"which lr gave the best accuracy, and what else changed?": one command, one file', () => {
    const r = project();
    experiment(r, 0.1, 0.8);
    const best = experiment(r, 0.05, 0.93, { env: { OMP_NUM_THREADS: '3' }, msg: 'lr 0.05, 3 threads' });
    experiment(r, 0.01, 0.88);
    // one command
    const top = r.gr(['exp', '--sort', 'eval.acc']).stdout.split('\n');
    expect(top[5]).toMatch(new RegExp(`^${best.slice(0, 7)}\\s.*lr 0\\.05, 3 threads\\s+0\\.05\\s+0\\.93\\s.*\\(1!\\)$`));
    // one file: the answer at the top of the report names the commit, its lr and the important env change
    r.gr(['report', '-o', 'report.html']);
    const html = readFileSync(r.path('report.html'), 'utf8');
    const answer = /<div class="answer">(.*?)<\/div>/s.exec(html)![1].replace(/<[^>]+>/g, '');
    expect(answer).toMatch(new RegExp(`Highest eval\\.acc: 0\\.93 at ${best.slice(0, 7)} “lr 0\\.05, 3 threads” with train\\.lr = 0\\.05\\.`));
    expect(answer).toMatch(/What else changed from its parent [0-9a-f]{7}: train\.lr 0\.1 → 0\.05; \d+ environment difference\(s\), 1 important: threads\.OMP_NUM_THREADS\./);
  });
});

describe('gitrepro report', () => {
  it('writes one self-contained file: a plot per metric with a point per commit naming it, series lines, a scatter, per-commit env', () => {
    const r = project();
    const ids = [experiment(r, 0.1, 0.8), experiment(r, 0.05, 0.93), experiment(r, 0.01, 0.88, { msg: 'lr <script>alert(1)</script> & "quotes"' })];
    const res = r.grJson(['report', '--x', 'train.lr', '--y', 'eval.acc', '-o', 'out/r.html']);
    expect(res).toMatchObject({ path: r.path('out/r.html'), commits: 3, primary: { key: 'eval.acc', direction: 'max' } });
    expect(res.plots).toEqual([
      { kind: 'line', key: 'eval.acc' }, { kind: 'line', key: 'eval.loss' }, { kind: 'line', key: 'loss' },
      { kind: 'series', key: 'loss' }, { kind: 'scatter', key: 'train.lr eval.acc' },
    ]);
    const html = readFileSync(res.path, 'utf8');
    expect(res.bytes).toBe(Buffer.byteLength(html));
    // nothing to fetch: no script, no external reference, a CSP that forbids any
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\/|file:\/\/|\ssrc=|href="(?!#)/);
    // the hostile subject is text, not markup
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('lr &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    const svgs = [...html.matchAll(/<svg class="plot" data-kind="(\w+)" data-key="([^"]*)" data-points="(\d+)"[\s\S]*?<\/svg>/g)];
    expect(svgs.map((m) => `${m[1]}:${m[2]}:${m[3]}`)).toEqual(['line:eval.acc:3', 'line:eval.loss:3', 'line:loss:3', 'series:loss:3', 'scatter:train.lr eval.acc:3']);
    const shorts = ids.map((c) => c.slice(0, 7));
    for (const m of svgs) {
      const marked = [...m[0].matchAll(/data-commit="([0-9a-f]+)"><title>([^<]*)/g)];
      expect(marked.map((x) => x[1])).toEqual(shorts); // oldest → newest, one each
      for (const x of marked) expect(x[2].startsWith(x[1])).toBe(true); // the hover text names the commit
    }
    // per commit: data size and the environment against the parent
    expect(html).toMatch(new RegExp(`<details id="c-${shorts[1]}"><summary><span class="mono">${shorts[1]}</span> lr 0\\.05 — data [\\d.]+ (B|KiB) in 1 file\\(s\\) — environment unchanged`));
    expect(html).toMatch(new RegExp(`<details id="c-${shorts[0]}"><summary>.*no parent record to compare the environment with`));
  });

  it('a series too long for the page is drawn thinned, and the newest --max-lines commits', () => {
    const r = project();
    for (const lr of [0.1, 0.2, 0.3]) experiment(r, lr, 0.5 + lr);
    r.write('logs/train.csv', `step,loss\n${Array.from({ length: 3000 }, (_, i) => `${i},${1 / (i + 1)}`).join('\n')}\n`);
    r.commit('long log');
    expect(r.record().metrics['logs/train.csv'].series.loss).toHaveLength(1000);
    const res = r.grJson(['report', '--max-lines', '2', '-o', 'r.html']);
    const html = readFileSync(res.path, 'utf8');
    const series = /<svg class="plot" data-kind="series"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(series).toMatch(/data-points="2"/);
    const paths = [...series.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1].split(/[ML]/).filter(Boolean).length);
    expect(paths).toEqual([4, 250]);
    expect(html).toMatch(/loss: the newest 2 of 4 commits are drawn \(--max-lines\)/);
  });
});
