/**
 * collectEnv: the environment snapshot of DESIGN §6.
 *
 * Budget about 150 ms. Every subprocess (nvidia-smi twice, python3, python, nvcc) starts at
 * once and runs in parallel with the file reads, each bounded by `timeoutMs`, so the cost is the
 * slowest probe rather than the sum. The one slow source, package lists, is opt-in and cached.
 * A probe that fails leaves its field out; collectEnv itself does not throw for the machine's sake.
 */
import { createHash } from 'node:crypto';
import { GitreproError } from '../errors.js';
import { z } from 'zod';
import { ENV_SCHEMA, envSnapshotSchema, gpuSchema, type EnvSnapshot, type GpuInfo } from '../record/env.js';
import { collectGpu } from './gpu.js';
import { hashLockfiles } from './lockfiles.js';
import { collectPackages } from './packages.js';
import { scrubDeep } from '../secrets.js';
import { bootId, cacheKey, glibcKey, nvidiaDriverId, openProbeCache, timeZoneKey, toolIdentity, type ProbeCache } from './probe-cache.js';
import { makeRunner, probeEnv, resolveTool, type ProbeOptions } from './probe.js';
import { collectRuntimes } from './runtimes.js';
import { collectSystem, runtimeGlibc } from './system.js';
import { collectVars, resolvedTimeZone } from './vars.js';

export interface CollectOptions {
  /** work-tree root: lockfiles are looked up here */
  cwd: string;
  /** environment to describe and to run tools with (its PATH finds them); default process.env */
  env?: NodeJS.ProcessEnv;
  /** extra variable names to record; a trailing `*` means prefix (config `env.allow`) */
  allow?: string[];
  /** also record pip freeze / conda list (slow: cached by lockfile hashes) */
  packages?: boolean;
  /** where package lists and probe answers are cached (probe-cache.ts); without it every probe runs */
  cacheDir?: string;
  /** per subprocess, default 2000 */
  timeoutMs?: number;
  /** per package-list subprocess, default 30000 (pip freeze of a large env takes seconds) */
  packagesTimeoutMs?: number;
  /** the run's seed, when the caller knows it */
  seed?: number;
  /** executables that must never run as probes (the repository's own files; probe.ts) */
  untrusted?: (absFile: string) => boolean;
}

/**
 * Captures the environment snapshot for a record or a run record.
 *
 * Every string in the result has passed the secret scan (redact.ts), and the result is
 * validated with `envSnapshotSchema`, so what is written is what readers accept.
 */
export async function collectEnv(opts: CollectOptions): Promise<EnvSnapshot> {
  if (opts.seed !== undefined && !Number.isSafeInteger(opts.seed)) {
    throw new GitreproError('GITREPRO_USAGE', `seed must be an integer, got ${opts.seed}`, { hint: 'pass a whole number as the seed' });
  }
  const started = performance.now();
  const capturedAt = new Date().toISOString();
  const env = opts.env ?? process.env;
  const run = makeRunner(env, opts.timeoutMs ?? 2000, { untrusted: opts.untrusted });

  const cache = opts.cacheDir ? await openProbeCache(opts.cacheDir) : undefined;
  const memo = cache ? memoizer(cache, env, { untrusted: opts.untrusted }) : undefined;
  const lockfileErrors: Record<string, string> = {};
  const [system, gpu, runtimes, lockfiles, zone] = await Promise.all([
    collectSystem(env, memo?.glibc),
    memo ? memo.gpu(() => collectGpu(run)) : collectGpu(run),
    collectRuntimes(run, memo?.version),
    hashLockfiles(opts.cwd, lockfileErrors),
    memo ? memo.timeZone() : resolvedTimeZone(),
  ]);
  await cache?.save();
  const packages = opts.packages
    ? await collectPackages({ env, run, lockfiles, runtimes, cacheDir: opts.cacheDir, timeoutMs: opts.packagesTimeoutMs ?? 30_000 })
    : undefined;

  const snapshot: EnvSnapshot = {
    schema: ENV_SCHEMA,
    capturedAt,
    captureMs: 0,
    os: system.os,
    cpu: system.cpu,
    memory: system.memory,
    runtimes,
    lockfiles,
    ...collectVars(env, opts.allow, zone),
  };
  // Optional parts are left out rather than set to undefined: "absent" is the documented state.
  if (gpu) snapshot.gpu = gpu;
  if (system.container) snapshot.container = system.container;
  if (packages) snapshot.packages = packages;
  if (opts.seed !== undefined) snapshot.seed = opts.seed;
  if (Object.keys(lockfileErrors).length) snapshot.lockfileErrors = lockfileErrors;
  snapshot.captureMs = Math.round((performance.now() - started) * 10) / 10;
  // Last line of defence: CPU model strings, distro names, GPU names and tool output are
  // scanned too, not only the variables.
  return envSnapshotSchema.parse(boundStrings(scrubDeep(snapshot)));
}

/**
 * Probe answers through the probe cache, keyed (probe-cache.ts) on the executable the probe would
 * run, the probe's environment and the boot id; a tool whose identity cannot be known is asked.
 */
function memoizer(cache: ProbeCache, env: NodeJS.ProcessEnv, o: ProbeOptions) {
  const penv = probeEnv(env);
  const boot = bootId();
  const keyOf = async (tool: string, extra?: unknown): Promise<string | undefined> => {
    const file = resolveTool(tool, penv, o);
    const identity = file ? await toolIdentity(file, tool) : undefined;
    return identity === undefined ? undefined : cacheKey({ v: 1, tool, file, identity, env: penv, boot: (await boot) ?? null, extra: extra ?? null });
  };
  async function through<T>(name: string, key: string | undefined, schema: z.ZodType<T>, probe: () => Promise<T | undefined>): Promise<T | undefined> {
    if (key === undefined) return probe();
    const hit = cache.get(name, key, schema);
    if (hit !== undefined) return hit;
    const v = await probe();
    if (v !== undefined) cache.set(name, key, v); // failures (a timeout on a busy machine) are asked again
    return v;
  }
  return {
    version: async (tool: string, probe: () => Promise<string | undefined>) => through(`runtime:${tool}`, await keyOf(tool), VERSION_SCHEMA, probe),
    gpu: async (probe: () => Promise<GpuInfo | undefined>) => through('gpu', await keyOf('nvidia-smi', await nvidiaDriverId()), gpuSchema, probe),
    // two answers of this process's own, not of a tool: they cost no process, but CPU
    glibc: async () => through('glibc', await glibcKey(await boot), VERSION_SCHEMA, runtimeGlibc),
    timeZone: async () => through('timezone', await timeZoneKey(await boot), VERSION_SCHEMA, async () => resolvedTimeZone()),
  };
}

const VERSION_SCHEMA = z.string().min(1).max(256);

const MAX_STRING = 4096;

/** Keeps an overlong value (a huge allowlisted variable) inside the schema's bound instead of
 * failing the snapshot: a readable head plus a hash of the whole, so a change stays visible. */
function boundStrings<T>(value: T): T {
  if (typeof value === 'string' && value.length > MAX_STRING) {
    return `${value.slice(0, MAX_STRING - 40)}…<sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}>` as T;
  }
  if (Array.isArray(value)) return value.map(boundStrings) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, boundStrings(v)])) as T;
  }
  return value;
}
