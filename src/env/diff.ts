/**
 * Differences between two environment snapshots, for `verify` drift reports and `--rerun`
 * explanations. Both snapshots are flattened to dotted paths and compared leaf by leaf:
 *
 *   gpu.devices.0.name   "NVIDIA A100-SXM4-80GB" → "NVIDIA H100 80GB HBM3"   important
 *   packages.pip.numpy   "numpy==1.26.4"          → "numpy==2.1.0"            important
 *   memory.totalBytes    68719476736              → 137438953472              not important
 *
 * Package lists are keyed by package name, not by position, so one added package is one entry.
 * Other arrays of plain values (cpu.simd, container.hints) compare as a whole.
 * Fields added by newer versions are compared too and reported as not important.
 */
import type { EnvSnapshot } from '../record/env.js';

export interface EnvDiff {
  /** dotted path, e.g. "gpu.driver", "lockfiles.uv.lock", "packages.pip.torch" */
  field: string;
  /** undefined when the field is new */
  before: unknown;
  /** undefined when the field is gone */
  after: unknown;
  /** true when the change can alter results (see IMPORTANT below and docs/env.md) */
  important: boolean;
}

/** Volatile by nature: they differ on every capture and say nothing about the environment. */
const IGNORED = new Set(['capturedAt', 'captureMs']);

/** Paths whose change can alter numerical results or installed code. */
const IMPORTANT: RegExp[] = [
  /^os\.arch$/, /^os\.glibc$/, /^cpu\.simdHash$/,
  /^gpu\.(count|driver|cuda)$/, /^gpu\.devices\.\d+\.(name|computeCap)$/,
  /^runtimes\./, /^lockfiles\./, /^threads\./, /^determinism\./, /^seed$/, /^packages\./,
];

/** Whether a change at `field` matters for reproducibility. */
export function isImportantField(field: string): boolean {
  return IMPORTANT.some((re) => re.test(field));
}

/** "numpy==1.26.4", "torch @ https://…", "libblas=3.9.0=20_linux64_mkl" → the package name. */
function packageName(line: string): string {
  return (/^([A-Za-z0-9_.\-[\]]+?)\s*(?:===|==|~=|>=|<=|=| @ |@|$)/.exec(line)?.[1] ?? line).toLowerCase();
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (/^packages\.[^.]+$/.test(prefix) && value.every((v) => typeof v === 'string')) {
      for (const line of value as string[]) out.set(`${prefix}.${packageName(line)}`, line);
    } else if (value.some((v) => v !== null && typeof v === 'object')) {
      value.forEach((v, i) => flatten(v, `${prefix}.${i}`, out));
    } else out.set(prefix, value);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      if (!IGNORED.has(path)) flatten(v, path, out);
    }
    return;
  }
  if (value !== undefined) out.set(prefix, value);
}

function same(a: unknown, b: unknown): boolean {
  return Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : Object.is(a, b);
}

/**
 * Every field that differs between a recorded snapshot and the current one, sorted by path
 * (important ones are not reordered: callers filter on `important`).
 */
export function diffEnv(recorded: EnvSnapshot, current: EnvSnapshot): EnvDiff[] {
  const before = new Map<string, unknown>();
  const after = new Map<string, unknown>();
  flatten(recorded, '', before);
  flatten(current, '', after);
  const fields = [...new Set([...before.keys(), ...after.keys()])].sort();
  const diffs: EnvDiff[] = [];
  for (const field of fields) {
    const b = before.get(field);
    const a = after.get(field);
    if (!same(b, a)) diffs.push({ field, before: b, after: a, important: isImportantField(field) });
  }
  return diffs;
}
