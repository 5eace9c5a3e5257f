import { chmodSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256, TestRepo } from '../helpers/repo.js';

/** main with one recorded commit, a feature branch with two more, all pushed to a directory remote. */
function setup() {
  const r = TestRepo.init({ track: ['data/'] });
  const store = path.join(path.dirname(r.dir), 'store');
  r.gr(['remote', 'add', 'team', store, '--default', '--format', '1']);
  r.write('params.yaml', 'train:\n  lr: 0.1\n');
  r.write('data/a.csv', 'a\n1\n');
  r.commit('base');
  r.git(['switch', '-q', '-c', 'feature']);
  r.write('data/b.bin', 'bee');
  r.commit('add b');
  r.write('params.yaml', 'train:\n  lr: 0.2\n');
  r.write('data/a.csv', 'a\n2\n');
  r.commit('retrain');
  r.gr(['push']);
  return { r, store, objectOnRemote: (sha: string) => path.join(store, 'objects', sha.slice(0, 2), sha.slice(2, 4), sha) };
}

function verdicts(r: TestRepo, args: string[], code: number) {
  const res = r.gr(['verify', ...args, '--json'], { ok: [code] });
  return JSON.parse(res.stdout) as { ok: boolean; commits: { commit: string; ok: boolean; checks: { name: string; status: string; message: string; fix?: string }[] }[] };
}

const statusOf = (v: any, name: string) => v.checks.find((c: any) => c.name === name)?.status;

describe('gitrepro verify', () => {
  it('passes a clean branch: the commits not on main, against the store remote', () => {
    const { r } = setup();
    const res = r.gr(['verify', '--base', 'main']);
    expect(res.stdout).toMatch(/verify main\.\.HEAD: 2 commit\(s\), objects checked on the store remote team/);
    expect(res.stdout).toMatch(/verify: all checks passed/);
    const v = verdicts(r, ['--base', 'main'], 0);
    expect(v.commits.map((c) => c.ok)).toEqual([true, true]);
    for (const c of v.commits) for (const n of ['lock', 'record', 'agree', 'snapshot', 'objects', 'params']) expect(statusOf(c, n)).toBe('pass');
  });

  it('flags a commit made with GITREPRO_SKIP=1 and says how to write its record', () => {
    const { r } = setup();
    r.write('code.py', 'x = 1\n');
    r.git(['add', 'code.py']);
    r.git(['commit', '-q', '-m', 'no hooks'], { env: { GITREPRO_SKIP: '1' } });
    const v = verdicts(r, ['--base', 'main'], 1);
    const tip = v.commits[0];
    expect(statusOf(tip, 'record')).toBe('fail');
    // same data as its parent, whose record exists: the fix names it
    expect(tip.checks.find((c) => c.name === 'record')!.fix).toMatch(new RegExp(`gitrepro record ${tip.commit.slice(0, 12)} --from [0-9a-f]{12}`));
    const human = r.gr(['verify', '--base', 'main'], { ok: [1] });
    expect(human.stdout).toMatch(/✗ record: no record/);
    expect(human.stdout).toMatch(/fix: /);
  });

  it('flags an object deleted from the remote', () => {
    const { r, objectOnRemote } = setup();
    rmSync(objectOnRemote(sha256('bee')));
    const v = verdicts(r, ['--base', 'main'], 1);
    expect(v.commits.map((c) => statusOf(c, 'objects'))).toEqual(['fail', 'fail']);
    expect(v.commits[0].checks.find((c) => c.name === 'objects')!.message).toMatch(/1 object\(s\) missing on the store remote team/);
  });

  it('sees an object corrupted on the remote only with --deep', () => {
    const { r, objectOnRemote } = setup();
    const obj = objectOnRemote(sha256('bee'));
    chmodSync(obj, 0o644);
    writeFileSync(obj, 'BEE');
    verdicts(r, ['--base', 'main'], 0);
    const v = verdicts(r, ['--base', 'main', '--deep'], 1);
    expect(v.commits[0].checks.find((c) => c.name === 'objects')!.message).toMatch(/corrupt/);
  });

  it('flags a params file whose values disagree with the record', () => {
    const { r } = setup();
    const rec = r.record();
    rec.params['params.yaml'].values['train.lr'] = 0.5;
    r.git(['notes', '--ref=gitrepro', 'add', '-f', '-m', JSON.stringify(rec)]);
    const v = verdicts(r, ['--base', 'main'], 1);
    expect(statusOf(v.commits[0], 'params')).toBe('fail');
    expect(statusOf(v.commits[1], 'params')).toBe('pass');
  });

  it('flags a hand-edited lock', () => {
    const { r } = setup();
    r.write('gitrepro.lock', r.read('gitrepro.lock').toString().replace(/^files \d+$/m, 'files 99'));
    r.git(['add', 'gitrepro.lock']);
    r.git(['commit', '-q', '-m', 'edited lock'], { env: { GITREPRO_SKIP: '1' } });
    r.gr(['record', '--from', 'HEAD~1']); // even with a record, lock and record disagree
    const v = verdicts(r, ['HEAD'], 1);
    expect(statusOf(v.commits[0], 'snapshot')).toBe('fail');
    expect(v.commits[0].checks.find((c) => c.name === 'snapshot')!.message).toMatch(/holds 2 files \(\d+ bytes\) but the lock says 99/);
    // and a record written before the edit disagrees with it
    r.git(['notes', '--ref=gitrepro', 'copy', '-f', 'HEAD~1', 'HEAD']);
    expect(statusOf(verdicts(r, ['HEAD'], 1).commits[0], 'agree')).toBe('fail');
  });

  it('exits 2 on a usage or environment error', () => {
    const { r } = setup();
    expect(r.gr(['verify', 'no-such-rev'], { ok: [2] }).stderr).toMatch(/^error \[GITREPRO_BAD_REVISION\]/);
    expect(r.gr(['verify', '--remote', 'nope'], { ok: [2] }).stderr).toMatch(/^error \[GITREPRO_NO_REMOTE\]/);
    expect(verdicts(r, ['--local', '--base', 'main'], 0).ok).toBe(true);
  });

  it('a host\'s squash-merge loses the notes but keeps the lock: verify flags it and record --from fixes it', () => {
    const { r } = setup();
    const featureTip = r.head();
    r.git(['switch', '-q', 'main']);
    r.git(['merge', '-q', '--squash', 'feature']);
    r.git(['commit', '-q', '-m', 'Squashed feature (#12)'], { env: { GITREPRO_SKIP: '1' } });
    r.gr(['restore']);
    expect(r.read('data/b.bin').toString()).toBe('bee'); // the data follows the lock
    const v = verdicts(r, ['HEAD'], 1);
    const fix = v.commits[0].checks.find((c) => c.name === 'record')!.fix!;
    expect(fix).toBe(`restore its provenance: gitrepro record ${r.head().slice(0, 12)} --from ${featureTip.slice(0, 12)} (same data)`);
    r.gr(['record', 'HEAD', '--from', featureTip]);
    expect(r.record().from).toBe(featureTip);
    expect(verdicts(r, ['HEAD'], 0).ok).toBe(true);
  });
});

describe('gitrepro fsck', () => {
  it('quarantines a corrupt local object and reports records that reference missing objects', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'xx');
    r.write('data/y', 'yy');
    r.commit('one');
    expect(r.gr(['fsck']).stdout).toMatch(/checked 2 object\(s\)\nfsck: ok/);
    const obj = r.objectPath(sha256('xx'));
    chmodSync(obj, 0o644);
    writeFileSync(obj, 'XX');
    const res = r.gr(['fsck', '--json'], { ok: [1] });
    const j = JSON.parse(res.stdout);
    expect(j.corrupt.map((c: any) => c.sha256)).toEqual([sha256('xx')]);
    expect(existsSync(obj)).toBe(false);
    expect(readdirSync(path.join(r.gitDir(), 'gitrepro', 'quarantine'))).toHaveLength(1);
    expect(j.incomplete).toEqual([{ commit: r.head(), missing: 1, first: sha256('xx') }]);
  });
});
