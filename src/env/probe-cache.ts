/**
 * The probe cache (`<cacheDir>/probe-cache.json`): answers of the probes that cost processes
 * (`python3 --version`, `python --version`, `nvcc --version`, nvidia-smi) and cannot change
 * unless something they are keyed on changes. Behind a pyenv shim one `python3 --version` is
 * some 30 bash processes; a commit in a loop paid that every time.
 *
 * Each entry is keyed on a sha256 of what would change its answer:
 * - the executable the probe runs: resolved path, and of its real file the device, inode, size
 *   and mtime (an upgrade, a reinstall, a venv re-created, a symlink moved);
 * - the probe's whole environment (PATH, HOME, VIRTUAL_ENV, CONDA_PREFIX, ...: probe.ts probeEnv);
 * - the kernel's boot id (a reboot may load another driver);
 * - for a pyenv shim: the version files it reads (`/.python-version`, `$PYENV_ROOT/version`;
 *   probes run at `/`) and the interpreters they name. Any other script (a wrapper) is not
 *   cached: what it runs is not visible from outside;
 * - for nvidia-smi: also `/proc/driver/nvidia/version` (a driver reloaded without a reboot).
 * Two answers of the writing process itself are cached the same way: its glibc version (keyed on
 * the node binary and the libc file it mapped) and its resolved time zone (keyed on its TZ, what
 * /etc/localtime is, /etc/timezone, and node's ICU and tz data versions).
 *   The GPU list can still change under a cached entry without any of these moving (a GPU
 *   hot-plugged, MIG re-partitioned); docs/env.md says so.
 *
 * Only answers are cached, never failures (a probe that timed out on a busy machine is asked
 * again). Values pass the secret scan before they reach the disk. The file is written atomically
 * and read as untrusted: a regular file of bounded size, validated with zod; anything else is a
 * miss and the probe runs.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../fs/atomic.js';
import { scrubDeep } from '../secrets.js';

export const PROBE_CACHE_FILE = 'probe-cache.json';
const SCHEMA = 'gitrepro.probe-cache/v1';
const MAX_BYTES = 1 << 20;
const KEY_RE = /^[0-9a-f]{64}$/;

const fileSchema = z.object({
  schema: z.literal(SCHEMA),
  entries: z.record(z.string().max(64), z.object({ key: z.string().regex(KEY_RE), value: z.unknown() })),
});

export interface ProbeCache {
  /** the cached answer of `name` under `key`, if it validates with `schema` */
  get<T>(name: string, key: string, schema: z.ZodType<T>): T | undefined;
  set(name: string, key: string, value: unknown): void;
  /** writes the file when something was set (failures are ignored: the cache is disposable) */
  save(): Promise<void>;
}

/** Opens the cache in `dir`; a missing, foreign or malformed file is an empty cache. */
export async function openProbeCache(dir: string): Promise<ProbeCache> {
  const file = path.join(dir, PROBE_CACHE_FILE);
  const entries: Record<string, { key: string; value: unknown }> = (await readBounded(file).then((t) => (t === undefined ? undefined : fileSchema.safeParse(JSON.parse(t)))).catch(() => undefined))?.data?.entries ?? {};
  let dirty = false;
  return {
    get(name, key, schema) {
      const e = Object.hasOwn(entries, name) ? entries[name] : undefined;
      if (!e || e.key !== key) return undefined;
      const v = schema.safeParse(e.value);
      return v.success ? v.data : undefined;
    },
    set(name, key, value) {
      entries[name] = { key, value: scrubDeep(value) };
      dirty = true;
    },
    async save() {
      if (!dirty) return;
      const sorted = Object.fromEntries(Object.keys(entries).sort().map((k) => [k, entries[k]]));
      await writeFileAtomic(file, `${JSON.stringify({ schema: SCHEMA, entries: sorted })}\n`, { mode: 0o600 }).catch(() => undefined);
    },
  };
}

/** A regular file's text, opened without following a link; undefined when absent, odd or too big. */
async function readBounded(file: string): Promise<string | undefined> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined);
  if (!fh) return undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_BYTES) return undefined;
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

/** sha256 of the key material (canonical JSON: sorted keys). */
export function cacheKey(material: unknown): string {
  return createHash('sha256').update(canonical(material)).digest('hex');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v ?? null);
}

/** The kernel's boot id (Linux); undefined elsewhere. */
export async function bootId(): Promise<string | undefined> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined))?.trim();
}

async function fileId(file: string): Promise<string | undefined> {
  try {
    const real = await realpath(file);
    const st = await stat(real);
    return `${real}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    return undefined;
  }
}

async function textOf(file: string): Promise<string | null> {
  return (await readFile(file, 'utf8').catch(() => null))?.slice(0, 4096) ?? null;
}

/**
 * What identifies the program behind executable `file` (named `cmd` on PATH); undefined when it
 * cannot be known without running it (a wrapper script other than a pyenv shim): not cacheable.
 */
export async function toolIdentity(file: string, cmd: string): Promise<unknown> {
  const id = await fileId(file);
  if (!id) return undefined;
  const head = await readHeadOf(file);
  if (!head.startsWith('#!')) return { id }; // a binary
  const root = /^export PYENV_ROOT="([^"\n]+)"$/m.exec(head)?.[1];
  if (!root || !/pyenv" exec "\$program"/.test(head) || !path.isAbsolute(root)) return undefined;
  // a pyenv shim run at / with the probe's environment (no PYENV_VERSION): the version comes from
  // /.python-version, else $PYENV_ROOT/version; each named version's interpreter is tried in turn
  const local = await textOf('/.python-version');
  const global = await textOf(path.join(root, 'version'));
  const names = (local ?? global ?? '').split(/\s+/).filter((n) => n && !n.startsWith('#'));
  if (names.length === 0 || names.includes('system') || names.some((n) => n.includes('/') || n.startsWith('.'))) return undefined;
  const interpreters = await Promise.all(names.map(async (n) => [n, (await fileId(path.join(root, 'versions', n, 'bin', cmd))) ?? null]));
  return { id, pyenv: { root, local, global, interpreters } };
}

async function readHeadOf(file: string): Promise<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const buf = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

/** What else nvidia-smi's answer depends on: the loaded driver (absent without one). */
export async function nvidiaDriverId(): Promise<string | null> {
  return textOf('/proc/driver/nvidia/version');
}

/** Key of this process's glibc version: the node binary and the libc it mapped; undefined when none is found. */
export async function glibcKey(boot: string | undefined): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  const maps = await readFile('/proc/self/maps', 'utf8').catch(() => '');
  const libc = /\s(\/\S*\/libc(?:\.so\.6|-[0-9.]+\.so))$/m.exec(maps)?.[1];
  const [node, lib] = await Promise.all([fileId(process.execPath), libc ? fileId(libc) : undefined]);
  return node && lib ? cacheKey({ v: 1, node, lib, boot: boot ?? null }) : undefined;
}

/** Key of the time zone this process resolves: its TZ, /etc/localtime (link and file), /etc/timezone, node's ICU and tz data. */
export async function timeZoneKey(boot: string | undefined): Promise<string | undefined> {
  const link = await readlink('/etc/localtime').catch(() => null);
  const file = await fileId('/etc/localtime');
  const named = await textOf('/etc/timezone');
  return cacheKey({ v: 1, tz: process.env.TZ ?? null, link, file: file ?? null, named, icu: process.versions.icu ?? null, tzdata: process.versions.tz ?? null, boot: boot ?? null });
}
