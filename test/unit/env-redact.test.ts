import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { collectEnv, isDeniedName, redactionMarker, redactValue, scrubText } from '../../src/env/index.js';

// Test secrets are assembled at run time so that no scanner flags this file as leaking them.
const GHP = ['ghp', 'R8v2kQ9xLm3ZpT7wYc1NbH5sJd4FgA6eUo0i'].join('_');
const AKIA = ['AKIA', 'Q3EGRT5YHJ7KLP2M'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI', 'K7MDENG', 'bPxRfiCYzq8Tr2vN'].join('/');
const URL_PASS = 's3cr3t-Pa55';
const JWT = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk'].join('.');
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('deny by name', () => {
  it('denies credential-looking names and keeps ordinary ones', () => {
    for (const n of ['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'PGPASSWD', 'WANDB_API_KEY', 'GOOGLE_APPLICATION_CREDENTIALS', 'HF_AUTH', 'SESSION_COOKIE', 'SSH_PRIVATE', 'SENTRY_DSN', 'MYSQL_PWD']) {
      expect(isDeniedName(n), n).toBe(true);
    }
    for (const n of ['CUDA_VISIBLE_DEVICES', 'OMP_NUM_THREADS', 'PYTHONHASHSEED', 'CUBLAS_WORKSPACE_CONFIG', 'MKL_CBWR', 'LANG']) {
      expect(isDeniedName(n), n).toBe(false);
    }
  });
});

describe('value scan', () => {
  it('replaces a secret by <redacted:> + the first 12 hex of its sha256', () => {
    expect(redactionMarker(GHP)).toBe(`<redacted:${createHash('sha256').update(GHP).digest('hex').slice(0, 12)}>`);
    expect(redactValue(`token is ${GHP}`)).toBe(redactionMarker(`token is ${GHP}`));
  });

  it.each([
    ['AWS access key id', AKIA],
    ['GitHub token', GHP],
    ['fine-grained GitHub token', `github_pat_11ABCDEFG0${'x7Yq2'.repeat(8)}`],
    ['Slack token', 'xoxb-123456789012-abcdefABCDEF'],
    ['JWT', JWT],
    ['random 40-char key', AWS_SECRET],
    ['PEM block', PEM],
  ])('redacts a %s inside free text', (_kind, secret) => {
    const out = scrubText(`before ${secret} after`);
    expect(out).not.toContain(secret);
    expect(out).toContain(redactionMarker(secret));
    expect(out.startsWith('before ')).toBe(true);
  });

  it('keeps the host of a URL and redacts only user:password', () => {
    const out = scrubText(`pkg @ git+https://deploy:${URL_PASS}@git.example.com/org/pkg.git@v1`);
    expect(out).toBe(`pkg @ git+https://${redactionMarker(`deploy:${URL_PASS}`)}@git.example.com/org/pkg.git@v1`);
  });

  it('leaves hashes, UUIDs, versions, paths and flags alone', () => {
    for (const s of [
      createHash('sha256').update('x').digest('hex'),
      'GPU-6c9b7174-71a6-1d9d-c4e7-81ccf5815470',
      'torch @ https://download.pytorch.org/whl/cu121/torch-2.3.0%2Bcu121-cp311-cp311-linux_x86_64.whl',
      'antlr4-python3-runtime==4.13.2',
      '/home/UserName/Projects/MyModel2024/data/Train2023Final',
      '--xla_gpu_deterministic_ops=true --xla_gpu_autotune_level=0',
      'Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz',
      'https://pypi.org/simple',
    ]) expect(scrubText(s)).toBe(s);
  });
});

describe('collectEnv never records a secret', () => {
  it('drops denied names even when allowlisted and redacts secret values of allowed ones', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      GITHUB_TOKEN: GHP,
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      DB_PASSWORD: 'hunter2-but-longer',
      MY_API_KEY: 'plain-looking-value',
      DATASET_URL: `https://alice:${URL_PASS}@data.example.com/set`,
      MY_AWS_ID: AKIA,
      MY_NOTE: `use ${GHP} for CI`,
      MY_JWT_HOLDER: JWT,
      MY_PEM: PEM,
      CUDA_VISIBLE_DEVICES: '0,1',
      VIRTUAL_ENV: '/home/alice/proj/.venv',
      OMP_NUM_THREADS: '8',
      PYTHONHASHSEED: '0',
      UNLISTED: 'not recorded',
    };
    const s = await collectEnv({ cwd: os.tmpdir(), env, allow: ['GITHUB_TOKEN', 'DB_PASSWORD', 'DATASET_URL', 'MY_*'] });
    const json = JSON.stringify(s);
    for (const secret of [GHP, AKIA, AWS_SECRET, URL_PASS, `alice:${URL_PASS}`, 'hunter2', 'plain-looking-value', JWT, 'MIIBOgIBAAJBAKj34', 'not recorded', '/home/alice']) {
      expect(json, secret).not.toContain(secret);
    }
    expect(s.vars).toEqual({
      CUDA_VISIBLE_DEVICES: '0,1',
      DATASET_URL: redactionMarker(env.DATASET_URL as string),
      MY_AWS_ID: redactionMarker(AKIA),
      MY_JWT_HOLDER: redactionMarker(JWT),
      MY_NOTE: redactionMarker(env.MY_NOTE as string),
      MY_PEM: redactionMarker(PEM),
      VIRTUAL_ENV: '.venv',
    });
    expect(s.threads).toEqual({ OMP_NUM_THREADS: '8' });
    expect(s.determinism).toEqual({ PYTHONHASHSEED: '0' });
  });
});
