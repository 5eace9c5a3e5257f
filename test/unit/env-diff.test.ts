import { describe, it, expect } from 'vitest';
import { diffEnv, envSnapshotSchema, isImportantField, type EnvSnapshot } from '../../src/env/index.js';

/** A complete, valid snapshot of an H100 machine; tests change copies of it. */
function base(): EnvSnapshot {
  return envSnapshotSchema.parse({
    schema: 'gitrepro.env/v1',
    capturedAt: '2026-11-27T03:24:48.000Z',
    captureMs: 81.2,
    os: { platform: 'linux', release: '6.8.0', arch: 'x64', glibc: '2.39' },
    cpu: { model: 'Intel Xeon', logical: 64, simdHash: '0123456789abcdef', simd: ['avx2', 'fma'] },
    memory: { totalBytes: 2 ** 37 },
    gpu: { count: 1, driver: '580.159.04', cuda: '13.0', devices: [{ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, computeCap: '9.0' }] },
    runtimes: { node: '20.19.0', python3: '3.11.7' },
    lockfiles: { 'uv.lock': 'a'.repeat(64) },
    locale: { LANG: 'C.UTF-8', timezone: 'UTC' },
    threads: { OMP_NUM_THREADS: '8' },
    determinism: {},
    packages: { pip: ['numpy==1.26.4', 'torch==2.3.0'] },
    vars: {},
  });
}

describe('diffEnv', () => {
  it('finds nothing between a snapshot and itself', () => {
    expect(diffEnv(base(), base())).toEqual([]);
  });

  it('marks a CUDA and driver change important', () => {
    const now = base();
    now.gpu = { ...now.gpu!, driver: '570.86.15', cuda: '12.8' };
    expect(diffEnv(base(), now)).toEqual([
      { field: 'gpu.cuda', before: '13.0', after: '12.8', important: true },
      { field: 'gpu.driver', before: '580.159.04', after: '570.86.15', important: true },
    ]);
  });

  it('ignores the capture time and duration', () => {
    const now = base();
    now.capturedAt = '2027-01-01T00:00:00.000Z';
    now.captureMs = 12;
    expect(diffEnv(base(), now)).toEqual([]);
  });

  it('reports volatile-but-real changes as not important', () => {
    const now = base();
    now.memory.totalBytes = 2 ** 38;
    now.locale.LANG = 'en_US.UTF-8';
    expect(diffEnv(base(), now).map((d) => [d.field, d.important])).toEqual([
      ['locale.LANG', false],
      ['memory.totalBytes', false],
    ]);
  });

  it('compares packages by name, so an insertion is one entry', () => {
    const now = base();
    now.packages = { pip: ['einops==0.8.0', 'numpy==2.1.0', 'torch==2.3.0'] };
    expect(diffEnv(base(), now)).toEqual([
      { field: 'packages.pip.einops', before: undefined, after: 'einops==0.8.0', important: true },
      { field: 'packages.pip.numpy', before: 'numpy==1.26.4', after: 'numpy==2.1.0', important: true },
    ]);
  });

  it('reports a GPU that disappeared, a new seed and a new knob as important', () => {
    const now = base();
    delete now.gpu;
    now.seed = 7;
    now.determinism = { CUBLAS_WORKSPACE_CONFIG: ':4096:8' };
    const d = diffEnv(base(), now);
    expect(d.find((x) => x.field === 'gpu.devices.0.name')).toEqual({ field: 'gpu.devices.0.name', before: 'NVIDIA H100 80GB HBM3', after: undefined, important: true });
    expect(d.find((x) => x.field === 'seed')).toMatchObject({ before: undefined, after: 7, important: true });
    expect(d.find((x) => x.field === 'determinism.CUBLAS_WORKSPACE_CONFIG')?.important).toBe(true);
    expect(d.find((x) => x.field === 'gpu.devices.0.memoryMiB')?.important).toBe(false);
  });

  it('knows which fields matter', () => {
    for (const f of ['os.arch', 'cpu.simdHash', 'runtimes.python3', 'runtimes.node', 'lockfiles.uv.lock', 'threads.MKL_CBWR', 'gpu.devices.3.name']) expect(isImportantField(f), f).toBe(true);
    for (const f of ['os.release', 'cpu.model', 'memory.totalBytes', 'vars.CUDA_VISIBLE_DEVICES', 'container.hints', 'futureField']) expect(isImportantField(f), f).toBe(false);
  });

  it('keeps unknown future fields readable and diffable', () => {
    const old = envSnapshotSchema.parse({ ...base(), futureField: { a: 1 } });
    const now = envSnapshotSchema.parse({ ...base(), futureField: { a: 2 } });
    expect(diffEnv(old, now)).toEqual([{ field: 'futureField.a', before: 1, after: 2, important: false }]);
  });
});
