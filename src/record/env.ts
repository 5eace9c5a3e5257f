/**
 * Environment snapshot schema (DESIGN §6): the `env` field of a record and of a run record.
 *
 * Compatibility: every object is a loose object, so a reader of this version keeps working when
 * a newer gitrepro adds fields (they pass through untouched). Known fields are type-checked and
 * size-bounded because snapshots are read back from notes that anyone may have pushed.
 * A change that is not purely additive needs a new `schema` value.
 */
import { z } from 'zod';

/** Schema tag of the snapshot format; bumped only for a change that is not purely additive. */
export const ENV_SCHEMA = 'gitrepro.env/v1';

// Bounds for untrusted input: generous for real machines, small enough to stop a hostile note.
const text = z.string().max(4096);
const short = z.string().max(1024);
const count = z.number().int().nonnegative().max(2 ** 53);
const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not an environment variable name').max(256);
const varMap = z.record(varName, text);
const lockName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'not a lockfile name').max(256);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256 (64 lowercase hex)');

/** One GPU. Serials, UUIDs and PCI bus ids are never recorded: notes are public. */
export const gpuDeviceSchema = z.looseObject({
  index: count,
  name: short,
  memoryMiB: count.optional(),
  computeCap: short.optional(),
});

/** GPUs seen by nvidia-smi; absent from a snapshot when there is none. */
export const gpuSchema = z.looseObject({
  count: count,
  /** kernel driver version, e.g. 580.159.04 */
  driver: short.optional(),
  /** highest CUDA version the driver supports (nvidia-smi header), e.g. 13.0 */
  cuda: short.optional(),
  devices: z.array(gpuDeviceSchema).max(256),
});

/** Package lists (opt-in): one line per package, already redacted. */
export const packagesSchema = z.looseObject({
  pip: z.array(text).max(50_000).optional(),
  conda: z.array(text).max(50_000).optional(),
});

/** The whole snapshot: `env` of a record and of a run record. */
export const envSnapshotSchema = z.looseObject({
  schema: z.literal(ENV_SCHEMA),
  /** volatile: ignored by diffs */
  capturedAt: z.string().max(40),
  /** volatile: wall time the collection took */
  captureMs: z.number().nonnegative().max(3_600_000),
  os: z.looseObject({
    platform: short,
    /** kernel release (uname -r) */
    release: short,
    arch: short,
    distro: z.looseObject({ id: short.optional(), versionId: short.optional(), prettyName: short.optional() }).optional(),
    /** glibc version on Linux/glibc systems: decides which native wheels load */
    glibc: short.optional(),
  }),
  cpu: z.looseObject({
    model: short.optional(),
    /** logical CPUs in the machine */
    logical: count,
    /** CPUs this process may use (affinity, cgroup quota) */
    available: count.optional(),
    /** first 16 hex of sha256 over the sorted SIMD-related flags (Linux /proc/cpuinfo) */
    simdHash: z.string().regex(/^[0-9a-f]{16}$/).optional(),
    /** the important SIMD flags that are present, sorted */
    simd: z.array(short).max(64).optional(),
  }),
  memory: z.looseObject({ totalBytes: count }),
  gpu: gpuSchema.optional(),
  container: z.looseObject({ hints: z.array(short).max(32) }).optional(),
  runtimes: z.looseObject({
    node: short,
    python3: short.optional(),
    python: short.optional(),
    /** CUDA toolkit (nvcc) version, distinct from the driver's CUDA version */
    nvcc: short.optional(),
  }),
  /** lockfile name at the repo root → sha256 of its content (CRLF normalised to LF) */
  lockfiles: z.record(lockName, sha256),
  /** lockfiles that were found but not read, and why (a symbolic link leading out of the work tree) */
  lockfileErrors: z.record(lockName, short).optional(),
  locale: z.looseObject({
    LANG: text.optional(),
    LC_ALL: text.optional(),
    LC_CTYPE: text.optional(),
    TZ: text.optional(),
    /** IANA zone resolved by the collecting process */
    timezone: short.optional(),
  }),
  /** thread-count knobs (*_NUM_THREADS, MKL_CBWR, ...) that were set */
  threads: varMap,
  /** determinism knobs (PYTHONHASHSEED, CUBLAS_WORKSPACE_CONFIG, ...) that were set */
  determinism: varMap,
  seed: z.number().int().optional(),
  packages: packagesSchema.optional(),
  /** allowlisted environment variables (built-in list + config `env.allow`), redacted */
  vars: varMap,
});

export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;
export type GpuInfo = z.infer<typeof gpuSchema>;
export type GpuDevice = z.infer<typeof gpuDeviceSchema>;
export type PackageLists = z.infer<typeof packagesSchema>;
