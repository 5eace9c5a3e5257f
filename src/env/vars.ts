/**
 * Environment variables. Nothing is recorded unless its name is on a list below or in the
 * caller's `allow` (config `env.allow`); then the deny-by-name rule and the value scan apply.
 *
 * PATH, LD_LIBRARY_PATH, PYTHONPATH and HOME are not on the built-in list: they are long, hold
 * user names and home paths, change between machines without changing results, and what they
 * select is recorded directly (runtime versions, lockfiles). A project that wants them can add
 * them to `env.allow`.
 */
import path from 'node:path';
import type { EnvSnapshot } from '../record/env.js';
import { isDeniedName, redactValue } from '../secrets.js';
import { PROBE_VARS } from './probe.js';

/** Locale variables recorded under `locale` (plus the resolved time zone). */
export const LOCALE_VARS = ['LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'] as const;

/** Thread-count and numerics knobs (any `*_NUM_THREADS` is added by pattern). */
export const THREAD_VARS = [
  'OMP_NUM_THREADS', 'OMP_DYNAMIC', 'OMP_PROC_BIND', 'OMP_PLACES', 'KMP_AFFINITY',
  'MKL_NUM_THREADS', 'MKL_DYNAMIC', 'MKL_CBWR', 'MKL_ENABLE_INSTRUCTIONS',
  'OPENBLAS_NUM_THREADS', 'OPENBLAS_CORETYPE', 'BLIS_NUM_THREADS', 'NUMEXPR_NUM_THREADS', 'NUMEXPR_MAX_THREADS',
  'VECLIB_MAXIMUM_THREADS', 'TF_NUM_INTRAOP_THREADS', 'TF_NUM_INTEROP_THREADS', 'RAYON_NUM_THREADS',
];

/** Knobs that switch deterministic / reproducible code paths on or off. */
export const DETERMINISM_VARS = [
  'PYTHONHASHSEED', 'CUBLAS_WORKSPACE_CONFIG', 'CUDA_LAUNCH_BLOCKING', 'TF_DETERMINISTIC_OPS',
  'TF_CUDNN_DETERMINISTIC', 'TF_ENABLE_ONEDNN_OPTS', 'NVIDIA_TF32_OVERRIDE', 'XLA_FLAGS',
  'PL_GLOBAL_SEED', 'PL_SEED_WORKERS', 'GITREPRO_SEED',
];

/** Other variables recorded by default: which devices and which named environment. */
export const DEFAULT_ALLOW = [
  'CUDA_VISIBLE_DEVICES', 'NVIDIA_VISIBLE_DEVICES', 'HIP_VISIBLE_DEVICES', 'CUDA_DEVICE_ORDER',
  'CONDA_DEFAULT_ENV', 'VIRTUAL_ENV',
];

/** Variables recorded by their last path component only: the name identifies the env, the
 * full path mostly identifies the user's home directory. */
const BASENAME_ONLY = new Set(['VIRTUAL_ENV']);

const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

/** True when `name` matches one allow entry (exact, or prefix when the entry ends in `*`). */
export function matchesAllow(name: string, allow: readonly string[]): boolean {
  return allow.some((a) => (a.endsWith('*') ? name.startsWith(a.slice(0, -1)) : name === a));
}

function pick(env: NodeJS.ProcessEnv, accept: (name: string) => boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    // Names the schema rejects (exported shell functions like BASH_FUNC_x%%) are skipped.
    if (value === undefined || !VAR_NAME_RE.test(name) || !accept(name) || isDeniedName(name)) continue;
    out[name] = redactValue(BASENAME_ONLY.has(name) ? path.basename(value) : value);
  }
  return out;
}

/** The time zone this process resolves (its TZ, else the system's): the first Intl call costs about 15 ms of CPU. */
export function resolvedTimeZone(): string | undefined {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
}

/** The locale, threads, determinism and vars parts of a snapshot (`zone`: resolvedTimeZone's answer, when known). */
export function collectVars(env: NodeJS.ProcessEnv, allow: readonly string[] = [], zone: string | undefined = resolvedTimeZone()): Pick<EnvSnapshot, 'locale' | 'threads' | 'determinism' | 'vars'> {
  const locale: EnvSnapshot['locale'] = {};
  for (const name of LOCALE_VARS) {
    const v = env[name];
    if (v !== undefined) locale[name] = redactValue(v);
  }
  // The zone this process resolved: equals TZ's when TZ is set for this process.
  if (zone) locale.timezone = zone;
  const threads = pick(env, (n) => THREAD_VARS.includes(n) || n.endsWith('_NUM_THREADS'));
  const determinism = pick(env, (n) => DETERMINISM_VARS.includes(n));
  const known = new Set<string>([...LOCALE_VARS, ...Object.keys(threads), ...Object.keys(determinism)]);
  const vars = pick(env, (n) => !known.has(n) && (DEFAULT_ALLOW.includes(n) || matchesAllow(n, allow)));
  return { locale, threads, determinism, vars };
}

/**
 * The variables a snapshot reads from its environment (collectVars, the probes' PATH and
 * PROBE_VARS, the container hint), and nothing else: what a hook hands to a record written
 * later (repo/record-journal.ts), so that the record describes the hook's environment and not
 * that of whichever process writes it. Denied names are left out (they are never recorded and
 * no probe needs them); the values are as the hook saw them, redacted only when recorded.
 */
export function snapshotVars(env: NodeJS.ProcessEnv, allow: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || isDeniedName(name)) continue;
    const read = name === 'PATH' || name === 'KUBERNETES_SERVICE_HOST' || PROBE_VARS.includes(name)
      || (LOCALE_VARS as readonly string[]).includes(name) || THREAD_VARS.includes(name) || name.endsWith('_NUM_THREADS')
      || DETERMINISM_VARS.includes(name) || DEFAULT_ALLOW.includes(name) || matchesAllow(name, allow);
    if (read) out[name] = value;
  }
  return out;
}
