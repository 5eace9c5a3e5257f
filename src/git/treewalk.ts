/**
 * Walking many snapshot trees at once, each unique (sub)tree and pointer blob read once
 * (`cat-file --batch`, binary tree format), so checking 1,000 commits whose snapshots share most
 * of their subtrees costs about as much as checking their union. Used by verify and fsck.
 *
 * Tree object format (git-cat-file(1) / gitformat-index): repeated
 *   <octal mode> SP <name> NUL <raw object id: 20 bytes (SHA-1) or 32 (SHA-256)>
 */
import { parsePointer } from '../record/pointer.js';
import { unsafePathReason } from '../record/rules.js';
import { CatFile } from './catfile.js';

export interface TreeEntry {
  mode: string;
  name: string;
  oid: string;
}

export interface TreeFacts {
  /** why the tree is not a valid snapshot (first problem, this tree or below), if it is not */
  error?: string;
  /** objects of this tree's own file entries: sha256 → size */
  own: Map<string, number>;
  /** subtree ids */
  subtrees: string[];
  /** file entries and their bytes directly in this tree */
  ownFiles: number;
  ownBytes: number;
}

export class TreeWalker {
  private cat: CatFile;
  private trees = new Map<string, Promise<TreeEntry[] | undefined>>();
  private pointers = new Map<string, Promise<{ sha256: string; size: number } | undefined>>();
  private facts = new Map<string, Promise<TreeFacts>>();
  private missingMemo = new Map<string, { count: number; first?: string }>();
  private memoFor?: (sha: string) => boolean;
  private totalsMemo = new Map<string, Promise<{ files: number; bytes: number }>>();
  private refusedMemo = new Map<string, Promise<string | undefined>>();

  constructor(cwd: string) {
    this.cat = new CatFile(cwd);
  }

  private readTree(oid: string): Promise<TreeEntry[] | undefined> {
    let p = this.trees.get(oid);
    if (!p) {
      p = this.cat.read(oid).then((o) => (o && o.type === 'tree' ? parseTree(o.content, o.oid.length === 64 ? 32 : 20) : undefined));
      this.trees.set(oid, p);
    }
    return p;
  }

  private readPointer(oid: string): Promise<{ sha256: string; size: number } | undefined> {
    let p = this.pointers.get(oid);
    if (!p) {
      p = this.cat.read(oid).then((o) => (o && o.type === 'blob' && o.content.length < 400 ? parsePointer(o.content.toString('utf8')) : undefined));
      this.pointers.set(oid, p);
    }
    return p;
  }

  /** Validity, own objects and subtrees of a snapshot (sub)tree, memoized by tree id. */
  factsOf(tree: string, where = ''): Promise<TreeFacts> {
    let p = this.facts.get(tree);
    if (!p) {
      p = this.compute(tree, where);
      this.facts.set(tree, p);
    }
    return p;
  }

  private async compute(tree: string, where: string): Promise<TreeFacts> {
    const entries = await this.readTree(tree);
    const own = new Map<string, number>();
    const subtrees: string[] = [];
    let ownFiles = 0;
    let ownBytes = 0;
    if (!entries) return { error: `tree ${tree.slice(0, 12)}${where ? ` (${where})` : ''} is not in this clone`, own, subtrees, ownFiles, ownBytes };
    let error: string | undefined;
    const fail = (m: string) => {
      error ??= m;
    };
    await Promise.all(
      entries.map(async (e) => {
        const p = where ? `${where}/${e.name}` : e.name;
        const why = unsafePathReason(e.name);
        if (why) return fail(`unsafe path ${JSON.stringify(p.slice(0, 200))}: ${why}`);
        if (e.mode === '40000') {
          subtrees.push(e.oid);
          const f = await this.factsOf(e.oid, p);
          if (f.error) fail(f.error);
          return;
        }
        if (e.mode !== '100644' && e.mode !== '100755') return fail(`entry ${JSON.stringify(p)} has mode ${e.mode} (only regular files are allowed)`);
        const ptr = await this.readPointer(e.oid);
        if (!ptr) return fail(`entry ${JSON.stringify(p)} is not a valid pointer`);
        own.set(ptr.sha256, ptr.size);
        ownFiles++;
        ownBytes += ptr.size;
      }),
    );
    return { error, own, subtrees, ownFiles, ownBytes };
  }

  /** File count and total bytes of a snapshot (what its lock must say), memoized per subtree. */
  async totals(tree: string): Promise<{ files: number; bytes: number }> {
    let p = this.totalsMemo.get(tree);
    if (!p) {
      p = this.factsOf(tree).then(async (f) => {
        const subs = await Promise.all(f.subtrees.map((t) => this.totals(t)));
        return subs.reduce((a, b) => ({ files: a.files + b.files, bytes: a.bytes + b.bytes }), { files: f.ownFiles, bytes: f.ownBytes });
      });
      this.totalsMemo.set(tree, p);
    }
    return p;
  }

  /** Every object the trees reference (each subtree visited once). */
  async objectsOf(trees: Iterable<string>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const seen = new Set<string>();
    const visit = async (t: string): Promise<void> => {
      if (seen.has(t)) return;
      seen.add(t);
      const f = await this.factsOf(t);
      for (const [k, v] of f.own) out.set(k, v);
      await Promise.all(f.subtrees.map(visit));
    };
    await Promise.all([...trees].map(visit));
    return out;
  }

  /** How many referenced objects `present` lacks, memoized per subtree (call after objectsOf). */
  async missingIn(tree: string, present: (sha: string) => boolean): Promise<{ count: number; first?: string }> {
    if (present !== this.memoFor) {
      this.missingMemo.clear();
      this.memoFor = present;
    }
    const memo = this.missingMemo.get(tree);
    if (memo) return memo;
    const f = await this.factsOf(tree);
    let count = 0;
    let first: string | undefined;
    for (const sha of f.own.keys()) if (!present(sha)) {
      count++;
      first ??= sha;
    }
    for (const st of f.subtrees) {
      const m = await this.missingIn(st, present);
      count += m.count;
      first ??= m.first;
    }
    const r = { count, first };
    this.missingMemo.set(tree, r);
    return r;
  }

  /**
   * The first path of snapshot `tree` that `allowed` refuses (a directory it covers whole is not
   * entered), memoized per (subtree, prefix, `key`): `key` names the rule, so commits that share
   * subtrees and rules check each subtree once.
   */
  async firstRefused(tree: string, allowed: PathRule, key: string, prefix = ''): Promise<string | undefined> {
    const memoKey = `${tree}\0${prefix}\0${key}`;
    let p = this.refusedMemo.get(memoKey);
    if (!p) {
      p = (async () => {
        const entries = (await this.readTree(tree)) ?? [];
        for (const e of entries) {
          const path = prefix ? `${prefix}/${e.name}` : e.name;
          if (e.mode === '40000') {
            if (allowed.dir(path)) continue;
            const below = await this.firstRefused(e.oid, allowed, key, path);
            if (below !== undefined) return below;
          } else if (!allowed.file(path)) return path;
        }
        return undefined;
      })();
      this.refusedMemo.set(memoKey, p);
    }
    return p;
  }

  /**
   * The first path that snapshot tree `snap` and git tree `gitTree` both hold: data that would
   * overwrite (or sit inside) a file git tracks. Only directories present on both sides are read.
   */
  async firstOverlap(snap: string, gitTree: string, prefix = ''): Promise<string | undefined> {
    const [a, b] = await Promise.all([this.readTree(snap), this.readTree(gitTree)]);
    if (!a || !b) return undefined;
    const git = new Map(b.map((e) => [e.name, e]));
    for (const e of a) {
      const g = git.get(e.name);
      if (!g) continue;
      const path = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.mode !== '40000' || g.mode !== '40000') return path;
      const below = await this.firstOverlap(e.oid, g.oid, path);
      if (below !== undefined) return below;
    }
    return undefined;
  }

  close(): void {
    this.cat.close();
  }
}

/** Which snapshot paths a rule allows: a file, or a whole directory (then nothing below is checked). */
export interface PathRule {
  file(path: string): boolean;
  dir(path: string): boolean;
}

export function parseTree(buf: Buffer, oidBytes: number): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const nul = buf.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + oidBytes > buf.length) break;
    out.push({ mode: buf.toString('latin1', i, sp), name: buf.toString('utf8', sp + 1, nul), oid: buf.toString('hex', nul + 1, nul + 1 + oidBytes) });
    i = nul + 1 + oidBytes;
  }
  return out;
}
