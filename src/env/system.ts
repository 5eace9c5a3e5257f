/**
 * OS, CPU, memory and container facts, from node's `os` module and a few small files.
 * Every file read is optional: a missing /proc (macOS) or /etc/os-release just leaves the field out.
 */
import { createHash } from 'node:crypto';
import { readFile, open, access } from 'node:fs/promises';
import os from 'node:os';
import type { EnvSnapshot } from '../record/env.js';

// SIMD-related cpuinfo flags (x86 `flags`, Arm `Features`, POWER). Other flags (bugs, tsc,
// hypervisor, ...) are left out of the hash: they vary with kernel versions, not with results.
const SIMD_FLAG_RE = /^(mmx|sse|ssse|pni|avx|amx|fma|f16c|xop|aes|vaes|pclmulqdq|vpclmulqdq|gfni|sha|bmi|popcnt|abm|adx|neon|vfp|asimd|sve|sme|fphp|i8mm|bf16|dotprod|pmull|crc32|altivec|vsx)/;
/** Flags worth reading in the record itself: they select BLAS/ONNX/torch kernels. */
export const IMPORTANT_SIMD = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'avx_vnni', 'amx_tile', 'amx_bf16', 'neon', 'asimd', 'sve', 'sve2'];

/** The first `flags`/`Features` line of /proc/cpuinfo, as a set of flags. */
export function parseCpuFlags(cpuinfo: string): string[] {
  const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  return line.split(/\s+/).filter((f) => f !== '');
}

/** simdHash + important flags from a flag list (undefined fields when there are no SIMD flags). */
export function simdSummary(flags: readonly string[]): { simdHash?: string; simd?: string[] } {
  const simdFlags = [...new Set(flags.filter((f) => SIMD_FLAG_RE.test(f)))].sort();
  if (simdFlags.length === 0) return {};
  return {
    simdHash: createHash('sha256').update(simdFlags.join(' ')).digest('hex').slice(0, 16),
    simd: IMPORTANT_SIMD.filter((f) => simdFlags.includes(f)).sort(),
  };
}

/** Reads the first chunk of a file. /proc/cpuinfo is generated per CPU on read: on a 200-core
 * machine the whole file costs tens of ms, while CPU 0's block (with the flags) is in the first 16 KiB. */
async function readHead(path: string, bytes = 16 * 1024): Promise<string | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await fh.read(buf, 0, bytes, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** `KEY="value"` lines of os-release(5). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z_]+)=(?:"([^"]*)"|'([^']*)'|(.*))$/gm)) out[m[1]] = m[2] ?? m[3] ?? m[4] ?? '';
  return out;
}

async function distro(): Promise<EnvSnapshot['os']['distro']> {
  const text = (await readHead('/etc/os-release')) ?? (await readHead('/usr/lib/os-release'));
  if (text === undefined) return undefined;
  const r = parseOsRelease(text);
  const d: NonNullable<EnvSnapshot['os']['distro']> = {};
  if (r.ID) d.id = r.ID.slice(0, 256);
  if (r.VERSION_ID) d.versionId = r.VERSION_ID.slice(0, 256);
  if (r.PRETTY_NAME) d.prettyName = r.PRETTY_NAME.slice(0, 256);
  return Object.keys(d).length > 0 ? d : undefined;
}

function glibcVersion(): string | undefined {
  // process.report is the only in-process way to learn the runtime glibc (about 4 ms here).
  try {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    return header?.glibcVersionRuntime;
  } catch {
    return undefined; // musl, or reports disabled: the field is optional
  }
}

/** Container evidence: marker files, cgroup paths, and a Kubernetes service variable. */
async function containerHints(env: NodeJS.ProcessEnv): Promise<string[]> {
  const exists = (p: string) => access(p).then(() => true, () => false);
  const hints: string[] = [];
  if (await exists('/.dockerenv')) hints.push('dockerenv');
  if (await exists('/run/.containerenv')) hints.push('containerenv');
  const cgroup = (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')).toLowerCase();
  for (const word of ['docker', 'kubepods', 'containerd', 'libpod', 'lxc']) if (cgroup.includes(word)) hints.push(`cgroup:${word}`);
  if (env.KUBERNETES_SERVICE_HOST !== undefined) hints.push('kubernetes');
  return hints;
}

/** The glibc this process runs on (process.report: about 5 ms of CPU); undefined off Linux or on musl. */
export async function runtimeGlibc(): Promise<string | undefined> {
  return process.platform === 'linux' ? glibcVersion() : undefined;
}

/** The os, cpu, memory and container parts of a snapshot (`glibc`: how to learn it, default runtimeGlibc). */
export async function collectSystem(env: NodeJS.ProcessEnv, glibcOf: () => Promise<string | undefined> = runtimeGlibc): Promise<Pick<EnvSnapshot, 'os' | 'cpu' | 'memory' | 'container'>> {
  const [dist, cpuinfo, hints] = await Promise.all([distro(), readHead('/proc/cpuinfo'), containerHints(env)]);
  const cpus = os.cpus();
  const osPart: EnvSnapshot['os'] = { platform: process.platform, release: os.release(), arch: process.arch };
  if (dist) osPart.distro = dist;
  const glibc = await glibcOf();
  if (glibc) osPart.glibc = glibc;
  const cpu: EnvSnapshot['cpu'] = { logical: cpus.length, available: os.availableParallelism() };
  const model = cpus[0]?.model.trim().slice(0, 256);
  if (model) cpu.model = model;
  Object.assign(cpu, simdSummary(cpuinfo === undefined ? [] : parseCpuFlags(cpuinfo)));
  return { os: osPart, cpu, memory: { totalBytes: os.totalmem() }, container: hints.length ? { hints } : undefined };
}
