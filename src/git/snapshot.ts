/**
 * Snapshot trees: a git tree whose entries mirror the data paths, each a pointer blob
 * (record/pointer.ts). Read with ls-tree + cat-file --batch, diff with diff-tree (C speed),
 * write incrementally with fast-import onto the append-only chain refs/gitrepro/snapshots.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { GitreproError } from '../errors.js';
import { formatPointer, parsePointer } from '../record/pointer.js';
import { GIT_OID_RE, SNAPSHOTS_REF, unsafePathReason } from '../record/rules.js';
import { CatFile } from './catfile.js';
import { blobId } from './revs.js';
import { git, gitMaybe, runGit, startGit } from './run.js';
import { trace } from '../trace.js';

export interface SnapEntry {
  sha256: string;
  size: number;
  exec: boolean;
}
export type Snapshot = Map<string, SnapEntry>;

export interface SnapChange {
  path: string;
  /** undefined: deleted */
  entry?: SnapEntry;
  /** what the path held before, when the producer knows it (diffSnapshots does) */
  before?: SnapEntry;
}

function invalid(msg: string, tree?: string): GitreproError {
  return new GitreproError('GITREPRO_SNAPSHOT_INVALID', `snapshot ${tree ? tree.slice(0, 12) + ' ' : ''}is invalid: ${msg}`, {
    hint: 'the record or lock may be hostile or corrupt; run `gitrepro verify` and restore a good gitrepro.lock',
    data: { tree },
  });
}

/** Parses `ls-tree -r -z` / `diff-tree` style entry modes into exec flags, refusing anything but files. */
function execOf(mode: string, path: string, tree?: string): boolean {
  if (mode === '100644') return false;
  if (mode === '100755') return true;
  throw invalid(`entry ${JSON.stringify(path)} has mode ${mode} (only regular files are allowed)`, tree);
}

function checkPath(p: string, tree?: string): void {
  const why = unsafePathReason(p);
  if (why) throw invalid(`unsafe path ${JSON.stringify(p.slice(0, 200))}: ${why}`, tree);
}

/**
 * The pointers held by blobs `oids` (read in bulk). Throws GITREPRO_SNAPSHOT_INVALID naming
 * `describe(oid)` (default: the blob) when one is missing or not a pointer.
 */
export async function readPointers(cwd: string, oids: string[], tree?: string, describe = (oid: string): string => `blob ${oid.slice(0, 12)}`): Promise<Map<string, { sha256: string; size: number }>> {
  const out = new Map<string, { sha256: string; size: number }>();
  const uniq = [...new Set(oids)];
  if (uniq.length === 0) return out;
  // a big snapshot (a clone's first restore: 100,000 pointers) is read by two `cat-file`s at
  // once: git spends ~20 µs per pointer blob, on one core each
  const cats = Array.from({ length: uniq.length >= 20_000 ? 2 : 1 }, () => new CatFile(cwd, { bulk: true }));
  const per = Math.ceil(uniq.length / cats.length);
  try {
    const pending = uniq.map((o, i) => cats[Math.floor(i / per)]!.read(o));
    for (const c of cats) c.close(); // every read asked for: git answers in blocks now
    const objs = await Promise.all(pending);
    uniq.forEach((oid, i) => {
      const o = objs[i];
      if (!o) throw invalid(`pointer ${describe(oid)} is missing from the git object database`, tree);
      const p = o.type === 'blob' && o.content.length < 400 ? parsePointer(o.content.toString('utf8')) : undefined;
      if (!p) throw invalid(`${describe(oid)} is not a valid pointer`, tree);
      out.set(oid, p);
    });
  } finally {
    for (const c of cats) c.close();
  }
  return out;
}

/** Below this many pointers, `git cat-file` reads them all (a few ms): nothing to compute. */
const POINTERS_COMPUTED_MIN = 2_000;

/** The empty tree of each object format: a snapshot without entries (nothing to ask git). */
export function emptyTreeId(objectFormat: string): string {
  return objectFormat === 'sha256'
    ? '6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321'
    : '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
}
const EMPTY_TREES = new Set([emptyTreeId('sha1'), emptyTreeId('sha256')]);

/** A source of objects a snapshot may point to (knownPointers). */
export type PointerCandidates = () => Promise<{ sha256: string; size: number }[]> | { sha256: string; size: number }[];

/**
 * The git blob ids of the pointers to `objects` (object id -> pointer): a pointer's text is fixed
 * by its object (only the canonical text parses), so its blob id is the hash of that text.
 * Reading 100,000 pointer blobs costs git about a second of CPU per 50,000; hashing a pointer's
 * text ~1 µs. A wrong claim (an object id or size a hostile index made up) only yields a blob id
 * no snapshot holds.
 */
function pointerIds(objects: Iterable<{ sha256: string; size: number }>, objectFormat: 'sha1' | 'sha256'): Map<string, { sha256: string; size: number }> {
  const out = new Map<string, { sha256: string; size: number }>();
  for (const o of objects) {
    const ptr = { sha256: o.sha256, size: o.size };
    out.set(blobId(formatPointer(ptr), objectFormat), ptr);
  }
  return out;
}

/**
 * The pointers among blobs `oids` that are known without reading them (pointerIds): `sources`
 * of candidate objects (the local packs', then a v2 remote's) are asked in order, each only while
 * at least POINTERS_COMPUTED_MIN pointers are still unknown, and their objects used only when
 * they are at most four times `oids`. The map answers for every oid it knows and may hold
 * pointers `oids` lacks (look up, never count it): W2's clone made four passes over 100,000
 * entries here, it now makes two.
 */
export async function knownPointers(oids: string[], sources: PointerCandidates[]): Promise<Map<string, { sha256: string; size: number }>> {
  let known = new Map<string, { sha256: string; size: number }>();
  let unknown = oids.length;
  for (const source of sources) {
    if (unknown < POINTERS_COMPUTED_MIN) break;
    const objs = await source();
    if (objs.length === 0 || objs.length > 4 * oids.length) continue;
    const ids = pointerIds(objs, oids[0]!.length === 64 ? 'sha256' : 'sha1');
    if (known.size === 0) known = ids;
    else for (const [oid, p] of ids) if (!known.has(oid)) known.set(oid, p);
    if (source === sources[sources.length - 1]) break; // the count only decides whether to ask the next
    unknown = 0;
    for (const oid of oids) if (!known.has(oid)) unknown++;
  }
  return known;
}

/**
 * Reads every entry of a snapshot tree, validating paths, modes and pointers. `candidates`:
 * sources of objects the snapshot may point to (knownPointers): for a big snapshot the pointers
 * to them are known by their blob ids, and only the others are read from git.
 */
export async function readSnapshot(cwd: string, tree: string, o: { candidates?: PointerCandidates[] } = {}): Promise<Snapshot> {
  if (!GIT_OID_RE.test(tree)) throw invalid('not a tree id', tree);
  const r = await runGit(cwd, ['ls-tree', '-r', '-z', '--full-tree', tree], { ok: [0, 128] });
  if (r.code !== 0) throw invalid('tree is not in the git object database (fetch the record refs: `gitrepro fetch`)', tree);
  const rows: { exec: boolean; oid: string; path: string }[] = [];
  const oids: string[] = [];
  for (const rec of r.stdout.toString('utf8').split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    const path = rec.slice(tab + 1);
    checkPath(path, tree);
    if (type !== 'blob') throw invalid(`entry ${JSON.stringify(path)} is a ${type}`, tree);
    rows.push({ exec: execOf(mode, path, tree), oid, path });
    oids.push(oid);
  }
  const known = await knownPointers(oids, o.candidates ?? []);
  const ask: string[] = [];
  for (const oid of oids) if (!known.has(oid)) ask.push(oid);
  const ptrs = await readPointers(cwd, ask, tree);
  trace(`snapshot ${tree.slice(0, 12)}: ${rows.length} entries, ${rows.length - ask.length} pointer(s) known by their blob ids, ${ask.length} read from git`);
  const snap: Snapshot = new Map();
  for (const row of rows) {
    const p = known.get(row.oid) ?? ptrs.get(row.oid)!;
    snap.set(row.path, { sha256: p.sha256, size: p.size, exec: row.exec });
  }
  return snap;
}

/**
 * Changes from snapshot `a` to `b` (either may be undefined: the empty snapshot).
 * diff-tree -z output: `:<mode a> <mode b> <oid a> <oid b> <status>\0<path>\0`.
 */
export async function diffSnapshots(cwd: string, a: string | undefined, b: string | undefined): Promise<SnapChange[]> {
  if (a === b) return [];
  if (!b) return [...(await readSnapshot(cwd, a!)).keys()].map((path) => ({ path }));
  if (!a) return [...(await readSnapshot(cwd, b)).entries()].map(([path, entry]) => ({ path, entry }));
  for (const t of [a, b]) if (!GIT_OID_RE.test(t)) throw invalid('not a tree id', t);
  const r = await runGit(cwd, ['diff-tree', '-r', '-z', '--no-renames', a, b], { ok: [0, 128] });
  if (r.code !== 0) throw invalid('tree is not in the git object database (fetch the record refs: `gitrepro fetch`)', `${a}..${b}`);
  const parts = r.stdout.toString('utf8').split('\0');
  const pending: { path: string; mode: string; oid: string; del: boolean; oldOid: string; oldMode: string }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i];
    const path = parts[i + 1];
    if (!meta.startsWith(':')) break;
    const [modeA, modeB, oidA, oidB, status] = meta.slice(1).split(' ');
    checkPath(path, b);
    if (status !== 'D') execOf(modeB, path, b);
    pending.push({ path, mode: modeB, oid: oidB, del: status === 'D', oldOid: status === 'A' ? '' : oidA, oldMode: modeA });
  }
  const ptrs = await readPointers(cwd, [...pending.filter((p) => !p.del).map((p) => p.oid), ...pending.filter((p) => p.oldOid && !/^0+$/.test(p.oldOid)).map((p) => p.oldOid)], b);
  return pending.map((p) => {
    const old = p.oldOid && !/^0+$/.test(p.oldOid) && ptrs.has(p.oldOid) ? { ...ptrs.get(p.oldOid)!, exec: p.oldMode === '100755' } : undefined;
    if (p.del) return { path: p.path, ...(old ? { before: old } : {}) };
    const ptr = ptrs.get(p.oid)!;
    return { path: p.path, entry: { ...ptr, exec: execOf(p.mode, p.path, b) }, ...(old ? { before: old } : {}) };
  });
}

export interface SnapshotSlice {
  /**
   * entries of the paths asked for, of everything under the deep directories, and of the files
   * among the children of `dirs` (unless `childEntries` is false: then only their kind is known)
   */
  files: Map<string, SnapEntry>;
  /** for each directory asked for: its children, 'file' or 'dir' */
  children: Map<string, Map<string, 'file' | 'dir'>>;
}

/**
 * Part of a snapshot, read without reading the rest: the entries of `paths`, the children of
 * `dirs` (one level), and every entry under `deep` directories. One `git ls-tree` per group
 * (in batches), so a scan that touched 10 directories of a 100,000-file snapshot reads ~10 trees.
 */
export async function readSnapshotSlice(cwd: string, tree: string, q: { paths?: Iterable<string>; dirs?: Iterable<string>; deep?: Iterable<string>; childEntries?: boolean }): Promise<SnapshotSlice> {
  if (!GIT_OID_RE.test(tree)) throw invalid('not a tree id', tree);
  const out: SnapshotSlice = { files: new Map(), children: new Map() };
  const blobs: { path: string; mode: string; oid: string }[] = [];
  const lsTree = async (args: string[], specs: string[], entries = true): Promise<void> => {
    for (let i = 0; i < specs.length; i += 1000) {
      const r = await runGit(cwd, ['--literal-pathspecs', 'ls-tree', '-z', '--full-tree', ...args, tree, '--', ...specs.slice(i, i + 1000)], { ok: [0, 128] });
      if (r.code !== 0) throw invalid('tree is not in the git object database (fetch the record refs: `gitrepro fetch`)', tree);
      for (const rec of r.stdout.toString('utf8').split('\0')) {
        const tab = rec.indexOf('\t');
        if (tab < 0) continue;
        const [mode, type, oid] = rec.slice(0, tab).split(' ');
        const p = rec.slice(tab + 1);
        checkPath(p, tree);
        const slash = p.lastIndexOf('/');
        const dir = slash < 0 ? '' : p.slice(0, slash);
        out.children.get(dir)?.set(p.slice(slash + 1), type === 'tree' ? 'dir' : 'file');
        // ls-tree shows no entry for a tree it descends into on the way to another pathspec
        // ("data/s/" when "data/s/t/" is asked too): each directory above is a child of its parent
        for (let a = dir; a !== ''; ) {
          const cut = a.lastIndexOf('/');
          const up = cut < 0 ? '' : a.slice(0, cut);
          out.children.get(up)?.set(a.slice(cut + 1), 'dir');
          a = up;
        }
        if (type === 'blob') {
          execOf(mode!, p, tree);
          if (entries) blobs.push({ path: p, mode: mode!, oid: oid! });
        } else if (type !== 'tree') throw invalid(`entry ${JSON.stringify(p)} is a ${type}`, tree);
      }
    }
  };
  const dirs = [...new Set(q.dirs ?? [])];
  for (const d of dirs) out.children.set(d, new Map());
  // the snapshot before a first recording: 100,000 paths asked of it took 100 git processes
  if (EMPTY_TREES.has(tree)) return out;
  const plain = [...new Set(q.paths ?? [])].filter((p) => p !== '');
  if (plain.length) await lsTree([], plain);
  const rootAsked = dirs.includes('');
  const inner = dirs.filter((d) => d !== '').map((d) => `${d}/`);
  const children = q.childEntries ?? true;
  if (rootAsked) await lsTree([], ['.'], children);
  if (inner.length) await lsTree([], inner, children);
  const deep = [...new Set(q.deep ?? [])].map((d) => (d === '' ? '.' : d));
  if (deep.length) await lsTree(['-r'], deep);
  const ptrs = await readPointers(cwd, blobs.map((b) => b.oid), tree);
  for (const b of blobs) out.files.set(b.path, { ...ptrs.get(b.oid)!, exec: b.mode === '100755' });
  return out;
}

/** C-style quoting for fast-import paths (newlines were refused earlier). */
function fiPath(p: string): string {
  return `"${p.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const FAST_IMPORT = ['fast-import', '--quiet', '--date-format=now'];

/** True once the snapshot chain has its first commit. */
async function chainExists(cwd: string): Promise<boolean> {
  return (await gitMaybe(cwd, ['rev-parse', '-q', '--verify', `${SNAPSHOTS_REF}^{commit}`])) !== undefined;
}

/** Reads of fewer files than this send no pointer blob early (a process start would cost more). */
export const EARLY_BLOBS_MIN = 2_000;

/**
 * Pointer blobs sent to `git fast-import` while the data is still being read. Why: a first
 * recording of W2 (100,000 files) read and hashed for 3.3 s with the second core idle, then
 * waited 1.8 s for fast-import to write 100,000 pointer blobs. Now the reader hands each hashed
 * object here (`add`, from the local store's ingest) and fast-import deflates and stores its
 * pointer on the other core meanwhile; writeSnapshot then sends only the commit, naming those
 * blobs by their marks (a pointer not sent here is written inline, as before). A blob sent for a
 * file that turns out unchanged is an unreferenced object, which git's gc removes; so is every
 * blob of an add that fails (`abort`).
 */
export class PointerBlobs {
  private proc?: ReturnType<typeof startGit>;
  private marks = new Map<string, number>();
  private next = 2; // :1 is the snapshot commit
  private aborted = false;

  constructor(
    private readonly cwd: string,
    private readonly minFiles = EARLY_BLOBS_MIN,
  ) {}

  /** True when a read of `n` files should send its pointers early. */
  want(n: number): boolean {
    return this.proc !== undefined || n >= this.minFiles;
  }

  /** Sends the pointer of an object just hashed (once per object; nothing once aborted). */
  add(p: { sha256: string; size: number }): void {
    if (this.aborted) return;
    const key = `${p.sha256} ${p.size}`;
    if (this.marks.has(key)) return;
    this.proc ??= startGit(this.cwd, FAST_IMPORT, { ok: [0, 1, 128] });
    const text = formatPointer(p);
    const mark = this.next++;
    this.marks.set(key, mark);
    this.proc.write(`blob\nmark :${mark}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  }

  /** Blobs sent so far (trace, tests). */
  get sent(): number {
    return this.marks.size;
  }

  /** Ends the process without a snapshot (an add that failed, or one that sent nothing). */
  async abort(): Promise<void> {
    this.aborted = true;
    const p = this.proc;
    this.proc = undefined;
    this.marks.clear();
    await p?.end().catch(() => {});
  }

  /** The process holding the blobs, handed to writeSnapshot once (undefined: none was sent). */
  take(): { proc: ReturnType<typeof startGit>; marks: Map<string, number> } | undefined {
    const p = this.proc;
    const marks = this.marks;
    this.proc = undefined;
    this.marks = new Map();
    return p && { proc: p, marks };
  }
}

/**
 * Writes a new snapshot: `base` plus `changes`, as a commit appended to refs/gitrepro/snapshots
 * (which keeps every snapshot reachable through gc). The caller holds the repo lock. With
 * `early`, the pointer blobs it sent are used by mark, in the fast-import that holds them.
 */
export async function writeSnapshot(cwd: string, base: string | undefined, changes: SnapChange[], early?: PointerBlobs): Promise<{ tree: string; commit: string }> {
  const body: string[] = [];
  if (base) body.push(`M 040000 ${base} ""`);
  else body.push('deleteall');
  // deletions first: fast-import applies commands in order, and a file that became a directory
  // (or back) must be removed before its replacement is written, or the D would remove that
  for (const c of changes) {
    checkPath(c.path);
    if (!c.entry) body.push(`D ${fiPath(c.path)}`);
  }
  const sent = early?.take();
  for (const c of changes) {
    if (!c.entry) continue;
    const mode = c.entry.exec ? '100755' : '100644';
    const mark = sent?.marks.get(`${c.entry.sha256} ${c.entry.size}`);
    if (mark !== undefined) {
      body.push(`M ${mode} :${mark} ${fiPath(c.path)}`);
      continue;
    }
    const text = formatPointer(c.entry);
    body.push(`M ${mode} inline ${fiPath(c.path)}`, `data ${Buffer.byteLength(text)}`, text);
  }
  const commit = (parent: boolean): string => {
    const head = [`commit ${SNAPSHOTS_REF}`, 'mark :1', 'committer gitrepro <gitrepro@localhost> now', 'data 0'];
    // fast-import resolves the parent itself: no separate rev-parse (one git process less)
    if (parent) head.push(`from ${SNAPSHOTS_REF}^0`);
    return [...head, ...body, '', 'get-mark :1', 'ls :1 ""', ''].join('\n');
  };
  let r;
  if (sent) {
    // the blobs are in this process: the parent is looked up first (a failed `from` would end
    // it, blobs and all)
    let parent: boolean;
    try {
      parent = await chainExists(cwd);
    } catch (e) {
      await sent.proc.end().catch(() => {}); // the process holding the blobs must not wait forever
      throw e;
    }
    r = await sent.proc.end(commit(parent));
  } else {
    const run = (parent: boolean) => runGit(cwd, FAST_IMPORT, { input: commit(parent), ok: [0, 1, 128] });
    r = await run(true);
    // the first snapshot of a repository: there is no chain to extend yet (fast-import left a
    // crash report for the missing parent: not a crash of ours, removed)
    if (r.code !== 0 && !(await chainExists(cwd))) {
      const report = /dumping crash report to (\S*fast_import_crash_\d+)\s*$/m.exec(r.stderr)?.[1];
      if (report) await rm(path.resolve(cwd, report), { force: true }).catch(() => {});
      r = await run(false);
    }
  }
  if (r.code !== 0) throw new GitreproError('GITREPRO_GIT_FAILED', `git fast-import failed: ${r.stderr.trim().split('\n')[0] ?? ''}`, { data: { stderr: r.stderr } });
  const out = r.stdout.toString('utf8');
  const [commitId, root] = out.split('\n');
  const tree = /^040000 tree ([0-9a-f]+)\t/.exec(root ?? '')?.[1];
  if (!GIT_OID_RE.test(commitId ?? '') || !tree) throw new GitreproError('GITREPRO_GIT_FAILED', `git fast-import gave unexpected output: ${out.slice(0, 200)}`);
  return { tree, commit: commitId! };
}
