/**
 * What a store remote is known to hold, cached per clone in
 * `<git-common-dir>/gitrepro/remotes/<name>.known`, so that a push with no new data asks the
 * remote nothing (git-lfs keeps no such cache and asks the server on every push).
 *
 * Format: a header line `gitrepro known-objects v1 <remote location>` and one sha256 per line,
 * appended as objects are uploaded, found or downloaded. Objects are immutable, so an entry only
 * goes stale when someone deletes objects from the remote; a changed location (another url or
 * endpoint) starts a fresh cache, and `gitrepro push --recheck` ignores it. Appends are whole
 * lines with O_APPEND: concurrent writers interleave lines, never bytes of one line.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const HEADER = 'gitrepro known-objects v1';
const SHA_RE = /^[0-9a-f]{64}$/;

export class KnownCache {
  private constructor(
    readonly file: string,
    private readonly header: string,
    private readonly set: Set<string>,
    private fresh: boolean,
  ) {}

  /** Loads the cache of the remote at `location` (an empty one when absent or for another location). */
  static async load(file: string, location: string): Promise<KnownCache> {
    const header = `${HEADER} ${location.replace(/[\r\n]/g, ' ')}`;
    const text = await readFile(file, 'utf8').catch(() => '');
    const lines = text.split('\n');
    if (lines[0] !== header) return new KnownCache(file, header, new Set(), true);
    const set = new Set<string>();
    for (let i = 1; i < lines.length; i++) if (SHA_RE.test(lines[i]!)) set.add(lines[i]!);
    return new KnownCache(file, header, set, false);
  }

  has(sha: string): boolean {
    return this.set.has(sha);
  }

  get size(): number {
    return this.set.size;
  }

  /** Records objects the remote holds (already known ones are skipped). */
  async add(shas: Iterable<string>): Promise<void> {
    const add: string[] = [];
    for (const s of shas) {
      if (!this.set.has(s) && SHA_RE.test(s)) {
        this.set.add(s);
        add.push(s);
      }
    }
    if (add.length === 0 && !this.fresh) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    const body = add.map((s) => `${s}\n`).join('');
    if (this.fresh) {
      await writeFile(this.file, `${this.header}\n${body}`);
      this.fresh = false;
    } else {
      await appendFile(this.file, body);
    }
  }

  /** Forgets objects (the remote turned out not to hold them). */
  async forget(shas: Iterable<string>): Promise<void> {
    let changed = false;
    for (const s of shas) changed = this.set.delete(s) || changed;
    if (!changed) return;
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, `${this.header}\n${[...this.set].map((s) => `${s}\n`).join('')}`);
  }
}
