/**
 * The metrics of a commit and of the work tree. Which files: those the commit's own
 * gitrepro.yaml names (`metrics:` and every stage's). Where their bytes are: a git-tracked file
 * in the commit's tree; a tracked-data file through the commit's snapshot (gitrepro.lock → tree →
 * pointer) in the local store, re-hashed on reading. Either works, and neither ever fails a
 * record: a file that does not parse, or whose object is not here, is recorded with an error.
 */
import { readFile } from 'node:fs/promises';
import { CatFile } from '../git/catfile.js';
import { CONFIG_FILE, LOCK_FILE, METRICS_LIMITS, parseLock, parsePointer, type MetricsFile } from '../record/index.js';
import { sha256Buffer } from '../store/hash.js';
import { parseConfig } from '../workspace/config.js';
import { metricsFilesOf, readMetrics, readMetricsFiles } from '../workspace/metrics.js';
import type { Repo } from './context.js';

export type MetricsMap = Record<string, MetricsFile>;

/** Reads `<rev>:<path>` specs through one `git cat-file --batch`; close() when done. */
export class TreeReader {
  private cat: CatFile;
  constructor(readonly repo: Repo) {
    this.cat = new CatFile(repo.root);
  }

  async blob(spec: string): Promise<Buffer | undefined> {
    const o = await this.cat.read(spec);
    return o && o.type === 'blob' ? o.content : undefined;
  }

  /** The metrics files a commit's own gitrepro.yaml names (none when it does not parse). */
  async metricsFiles(commit: string): Promise<string[]> {
    const text = await this.blob(`${commit}:${CONFIG_FILE}`);
    try {
      return metricsFilesOf(await parseConfig(text?.toString('utf8')));
    } catch {
      return [];
    }
  }

  /** Bytes of a metrics file at a commit: from git, else from the store through the snapshot. */
  private async bytes(commit: string, file: string, tree: () => Promise<string | undefined>): Promise<{ buf: Buffer } | { sha256: string; error: string } | undefined> {
    const inGit = await this.blob(`${commit}:${file}`);
    if (inGit) return { buf: inGit };
    const t = await tree();
    const ptr = t ? await this.blob(`${t}:${file}`) : undefined;
    const p = ptr ? parsePointer(ptr.toString('utf8')) : undefined;
    if (!p) return undefined;
    if (p.size > METRICS_LIMITS.fileBytes) return { sha256: p.sha256, error: `metrics file ${file}: ${p.size} bytes, more than the ${METRICS_LIMITS.fileBytes} read as metrics` };
    const buf = await this.repo.store
      .loosePath(p.sha256)
      .then((f) => readFile(f))
      .catch(() => undefined);
    if (!buf) return { sha256: p.sha256, error: `metrics file ${file}: its data is not in the local store (gitrepro fetch brings it)` };
    if (sha256Buffer(buf) !== p.sha256) return { sha256: p.sha256, error: `metrics file ${file}: the stored object is corrupt (gitrepro fsck)` };
    return { buf };
  }

  /**
   * The metrics of `commit`: one entry per named file that the commit has; undefined when its
   * gitrepro.yaml names no metrics file (records then carry no `metrics` field).
   */
  async metricsAt(commit: string, files?: string[]): Promise<MetricsMap | undefined> {
    const names = files ?? (await this.metricsFiles(commit));
    if (names.length === 0) return undefined;
    let treeP: Promise<string | undefined> | undefined;
    const tree = () =>
      (treeP ??= this.blob(`${commit}:${LOCK_FILE}`).then((b) => {
        const l = b ? parseLock(b.toString('utf8')) : undefined;
        return l?.ok ? l.value.tree : undefined;
      }));
    const out: MetricsMap = {};
    for (const file of names) {
      const b = await this.bytes(commit, file, tree);
      if (!b) continue; // not in this commit: nothing to record, as for a params file
      out[file] = 'buf' in b ? readMetrics(b.buf, file) : { sha256: b.sha256, values: {}, error: b.error };
    }
    return out;
  }

  /**
   * Metrics of a commit whose record holds none (written before metrics were recorded, or no
   * record at all): the files its own gitrepro.yaml names, else those the current one names,
   * so that naming a metrics file today shows it for every earlier commit too.
   */
  async metricsLater(commit: string): Promise<MetricsMap> {
    return (await this.metricsAt(commit)) ?? (await this.metricsAt(commit, metricsFilesOf(this.repo.config))) ?? {};
  }

  close(): void {
    this.cat.close();
  }
}

/** The metrics of one commit (see TreeReader.metricsAt). */
export async function metricsAt(repo: Repo, commit: string): Promise<MetricsMap | undefined> {
  const r = new TreeReader(repo);
  try {
    return await r.metricsAt(commit);
  } finally {
    r.close();
  }
}

/** The metrics of a commit whose record holds none (see TreeReader.metricsLater). */
export async function metricsLater(repo: Repo, commit: string): Promise<MetricsMap> {
  const r = new TreeReader(repo);
  try {
    return await r.metricsLater(commit);
  } finally {
    r.close();
  }
}

/** The metrics files of the work tree, as the current gitrepro.yaml names them. */
export async function metricsInWorkTree(repo: Repo, files = metricsFilesOf(repo.config)): Promise<MetricsMap> {
  return (await readMetricsFiles(repo.root, files)) ?? {};
}
