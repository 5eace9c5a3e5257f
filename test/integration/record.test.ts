import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT, TestRepo } from '../helpers/repo.js';

const FIX = path.join(PROJECT, 'fixtures', 'gpu-h100');

/** A fake nvidia-smi that answers like the real H100 (fixtures captured on one). */
function fakeNvidiaSmi(dir: string): string {
  const bin = path.join(dir, 'fakebin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    path.join(bin, 'nvidia-smi'),
    `#!/bin/sh
case "$*" in
  *--query-gpu=*) cat '${FIX}/nvidia-smi-query.csv' ;;
  "") cat '${FIX}/nvidia-smi.txt' ;;
  *) echo "unexpected args: $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(path.join(bin, 'nvidia-smi'), 0o755);
  return bin;
}

describe('the commit is recorded', () => {
  it('writes a valid record note: snapshot, params (YAML and JSON), environment', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('gitrepro.yaml', 'version: 1\ntrack: [data/]\nparams: [params.yaml, conf/extra.json]\nenv:\n  allow: [MY_SETTING]\n');
    r.write('params.yaml', 'train:\n  lr: 0.01\n  layers: [64, 32]\nseed: 7\n');
    r.write('conf/extra.json', '{"eval": {"batch": 128}}');
    r.write('requirements.txt', 'numpy==2.0.0\n');
    r.write('data/a.bin', Buffer.alloc(1000, 1));
    r.write('data/b/c.txt', 'hello\n');
    r.commit('first', { env: { MY_SETTING: 'fast' } });
    const rec = r.record();
    expect(rec.schema).toBe('gitrepro.record/v1');
    const lock = r.read('gitrepro.lock').toString();
    expect(lock).toMatch(/^gitrepro\.lock\/v1\n/);
    expect(rec.data).toEqual({ tree: /tree ([0-9a-f]+)/.exec(lock)![1], files: 2, bytes: 1006 });
    expect(r.git(['ls-tree', '-r', '--name-only', rec.data.tree]).stdout.split('\n').filter(Boolean)).toEqual(['data/a.bin', 'data/b/c.txt']);
    expect(rec.params['params.yaml'].values).toEqual({ 'train.lr': 0.01, 'train.layers': [64, 32], seed: 7 });
    expect(rec.params['conf/extra.json'].values).toEqual({ 'eval.batch': 128 });
    expect(rec.env.os.platform).toBe('linux');
    expect(rec.env.cpu.model).toBeTruthy();
    expect(rec.env.memory.totalBytes).toBeGreaterThan(1 << 30);
    expect(rec.env.runtimes.node).toBe(process.version.replace(/^v/, ''));
    expect(rec.env.runtimes.python3).toMatch(/^3\.\d+/);
    expect(Object.keys(rec.env.lockfiles)).toContain('requirements.txt');
    expect(rec.env.vars.MY_SETTING).toBe('fast');
    expect(rec.env.gpu).toBeUndefined();
    // git's own view of the note
    expect(r.git(['log', '-1', '--notes=gitrepro', '--format=%N']).stdout).toContain('"gitrepro.record/v1"');
  });

  it('records the GPU from nvidia-smi (real H100 output)', () => {
    const r = TestRepo.init({ track: ['data/'] });
    const bin = fakeNvidiaSmi(path.dirname(r.dir));
    r.write('data/x', 'x');
    r.commit('gpu', { env: { PATH: `${bin}:${r.env.PATH}` } });
    const rec = r.record();
    expect(rec.env.gpu.devices[0].name).toBe('NVIDIA H100 80GB HBM3');
    expect(rec.env.gpu.driver).toBe('580.159.04');
    expect(rec.env.gpu.cuda).toBe('13.0');
    expect(JSON.stringify(rec.env)).not.toContain('GPU-6c9b7174');
  });

  it('never lets a secret into a record', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('gitrepro.yaml', 'version: 1\ntrack: [data/]\nenv:\n  allow: [DB_URL, API_TOKEN, MY_PASSWORD, CUSTOM_*]\n');
    r.write('data/x', 'x');
    const secrets = {
      API_TOKEN: 'tok_live_9f8e7d6c5b4a39281706',
      MY_PASSWORD: 'hunter2-correct-horse',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      DB_URL: 'postgres://admin:s3cr3tP4ss@db.internal:5432/prod',
      CUSTOM_GH: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    };
    r.commit('secrets', { env: secrets });
    const note = r.note()!;
    for (const v of ['tok_live_9f8e7d6c5b4a39281706', 'hunter2-correct-horse', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 's3cr3tP4ss', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789']) {
      expect(note).not.toContain(v);
    }
    expect(JSON.parse(note).env.vars.DB_URL).toMatch(/redacted/);
  });

  it('gitrepro record writes the note of a commit made with GITREPRO_SKIP=1, marked as recorded later', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x', 'one');
    r.commit('one');
    r.write('params.yaml', 'lr: 0.5\n');
    r.commit('skipped', { env: { GITREPRO_SKIP: '1' } });
    expect(r.note()).toBeUndefined();
    r.gr(['record']);
    const rec = r.record();
    expect(rec.recordedLater).toBe(true);
    expect(rec.params['params.yaml'].values).toEqual({ lr: 0.5 });
    const again = r.gr(['record'], { ok: [2] });
    expect(again.stderr).toMatch(/already has a record/);
  });
});
