import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { envSnapshotSchema, parseGpuQueryCsv, parseSmiBanner } from '../../src/env/index.js';
import { parseNvccVersion, parsePythonVersion } from '../../src/env/runtimes.js';
import { parseCpuFlags, parseOsRelease, simdSummary } from '../../src/env/system.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/gpu-h100/${name}`, import.meta.url)), 'utf8');

describe('nvidia-smi parsing', () => {
  it('reads the captured --format=csv answer by header name, units stripped', () => {
    expect(parseGpuQueryCsv(fixture('nvidia-smi-query.csv'))).toEqual([
      {
        index: '0', name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-6c9b7174-71a6-1d9d-c4e7-81ccf5815470',
        driver_version: '580.159.04', 'memory.total': '81559 MiB', compute_cap: '9.0', 'pci.bus_id': '00000000:00:06.0',
      },
    ]);
  });

  it('reads a noheader,nounits answer by position and drops N/A values', () => {
    const rows = parseGpuQueryCsv('0, Tesla T4, GPU-x, 535.54.03, 15360, [N/A], 00000000:00:04.0\n1, Tesla T4, GPU-y, 535.54.03, 15360, 7.5, 00000000:00:05.0\n');
    expect(rows.map((r) => [r.index, r.name, r['memory.total'], r.compute_cap])).toEqual([
      ['0', 'Tesla T4', '15360', undefined],
      ['1', 'Tesla T4', '15360', '7.5'],
    ]);
  });

  it('takes driver and CUDA version from the table banner', () => {
    expect(parseSmiBanner(fixture('nvidia-smi.txt'))).toEqual({ driver: '580.159.04', cuda: '13.0' });
    expect(parseSmiBanner('nothing here')).toEqual({ driver: undefined, cuda: undefined });
  });

  it('agrees with the XML report captured on the same machine', () => {
    const xml = fixture('nvidia-smi-q.xml');
    expect(xml).toContain(`<cuda_version>${parseSmiBanner(fixture('nvidia-smi.txt')).cuda}</cuda_version>`);
    expect(xml).toContain(`<product_name>${parseGpuQueryCsv(fixture('nvidia-smi-query.csv'))[0].name}</product_name>`);
  });
});

describe('runtime versions', () => {
  it('parses python 3 (stdout) and python 2 (stderr) banners and nvcc', () => {
    expect(parsePythonVersion('Python 3.11.7\n')).toBe('3.11.7');
    expect(parsePythonVersion('\nPython 2.7.18\n')).toBe('2.7.18');
    expect(parsePythonVersion('Python 3.13.0rc1')).toBe('3.13.0rc1');
    expect(parsePythonVersion('pyenv: python: command not found')).toBeUndefined();
    expect(parseNvccVersion(fixture('cuda.txt'))).toBe('13.0.88');
  });
});

describe('cpu and os', () => {
  it('hashes SIMD flags independent of order and of non-SIMD flags', () => {
    const a = simdSummary(parseCpuFlags('processor\t: 0\nflags\t\t: fpu sse4_2 avx2 hypervisor fma avx512f\n'));
    const b = simdSummary(['avx512f', 'fma', 'avx2', 'sse4_2', 'constant_tsc']);
    expect(a.simdHash).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toEqual(a);
    expect(a.simd).toEqual(['avx2', 'avx512f', 'fma', 'sse4_2']);
    expect(simdSummary(['avx2', 'fma', 'sse4_2']).simdHash).not.toBe(a.simdHash);
    expect(simdSummary(parseCpuFlags('Features\t: fp asimd sve2 crc32\n')).simd).toEqual(['asimd', 'sve2']);
    expect(simdSummary([])).toEqual({});
  });

  it('parses os-release quoting styles', () => {
    expect(parseOsRelease('ID=debian\nVERSION_ID="12"\nPRETTY_NAME=\'Debian 12\'\n# c\n')).toEqual({ ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian 12' });
  });
});

describe('schema', () => {
  it('rejects hostile values in known fields', () => {
    const ok = { schema: 'gitrepro.env/v1', capturedAt: 'x', captureMs: 1, os: { platform: 'linux', release: 'r', arch: 'x64' }, cpu: { logical: 1 }, memory: { totalBytes: 1 }, runtimes: { node: '20' }, lockfiles: {}, locale: {}, threads: {}, determinism: {}, vars: {} };
    expect(envSnapshotSchema.safeParse(ok).success).toBe(true);
    expect(envSnapshotSchema.safeParse({ ...ok, schema: 'gitrepro.env/v2' }).success).toBe(false);
    expect(envSnapshotSchema.safeParse({ ...ok, lockfiles: { '../etc/passwd': 'a'.repeat(64) } }).success).toBe(false);
    expect(envSnapshotSchema.safeParse({ ...ok, memory: { totalBytes: -1 } }).success).toBe(false);
    expect(envSnapshotSchema.safeParse({ ...ok, vars: { 'A B': 'x' } }).success).toBe(false);
    expect(envSnapshotSchema.safeParse({ ...ok, gpu: { count: 1, devices: [{ index: 0, name: 'x'.repeat(5000) }] } }).success).toBe(false);
  });
});
