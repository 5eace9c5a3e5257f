/**
 * Everyday steps read only what changed since the last scan (issue 11: workspace/changes.ts finds
 * it by the stamp's ctime). These tests hold that reading to the truth: after every kind of edit a
 * user or a tool makes (writes that keep size and mtime, renames of files and directories, a
 * directory moved in from elsewhere, a file that becomes a directory, chmod, links, deletions),
 * `status` lists exactly what differs from HEAD, a commit records exactly the bytes in the work
 * tree, and a checkout brings exactly those bytes back.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seeded, TestRepo, sha256 } from '../helpers/repo.js';
import { hasWatchman, unwatch } from '../helpers/watchman.js';

/** Every regular file under data/ with its sha256 and exec bit (symlinks are not data). */
function truth(r: TestRepo): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const d of readdirSync(r.path(rel), { withFileTypes: true })) {
      const p = `${rel}/${d.name}`;
      if (d.name.startsWith('.gitrepro-tmp-')) continue; // a temp file or directory is never data
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) out.set(p, `${sha256(readFileSync(r.path(p)))}${lstatSync(r.path(p)).mode & 0o100 ? ' x' : ''}`);
    }
  };
  if (existsSync(r.path('data'))) walk('data');
  return out;
}

function expectedStatus(committed: Map<string, string>, now: Map<string, string>): { added: string[]; modified: string[]; deleted: string[] } {
  const added = [...now.keys()].filter((p) => !committed.has(p)).sort();
  const deleted = [...committed.keys()].filter((p) => !now.has(p)).sort();
  const modified = [...now.keys()].filter((p) => committed.has(p) && committed.get(p) !== now.get(p)).sort();
  return { added, modified, deleted };
}

function statusOf(r: TestRepo): { added: string[]; modified: string[]; deleted: string[] } {
  const s = r.grJson(['status']);
  return { added: s.added, modified: s.modified, deleted: s.deleted };
}


/** The probe of each run: `find -cnewer` against the stamp, or Watchman where installed (fsmonitor.ts). */
const PROBES = hasWatchman() ? ['find', 'watchman'] : ['find'];

describe.each(PROBES)('changes since the last scan (stamp), probe by %s', (probe) => {
  const watched: TestRepo[] = [];
  afterAll(() => unwatch(watched));
  const init = (opts: { track: string[] }): TestRepo => {
    const r = TestRepo.init(opts);
    if (probe === 'watchman') {
      r.git(['config', 'gitrepro.fsmonitor', 'watchman']);
      watched.push(r);
    }
    return r;
  };
  /** The probe this run is about was the one used (a status, traced). */
  const probedBy = (r: TestRepo): void => {
    const st = r.gr(['status'], { env: { ...r.env, GITREPRO_TRACE: '1' }, ok: [0, 1] });
    if (probe === 'watchman') expect(st.stderr).toMatch(/probe \(watchman\): \d+ path/);
    else expect(st.stderr).not.toMatch(/watchman/);
  };

  it('finds each kind of edit: same size and mtime, renamed and moved-in directories, file<->dir, chmod, links', () => {
    const r = init({ track: ['data/'] });
    for (let i = 0; i < 6; i++) r.write(`data/a/f${i}.bin`, `a${i}-content`);
    for (let i = 0; i < 4; i++) r.write(`data/b/c/g${i}.bin`, `g${i}`);
    r.write('data/top.bin', 'top');
    r.write('data/becomes-dir', 'file first');
    r.write('data/d/x.bin', 'x');
    // prepared outside the tracked tree long before the scan: its files keep old ctimes when moved in
    r.write('staging/moved/m1.bin', 'moved one');
    r.write('staging/moved/deep/m2.bin', 'moved two');
    r.write('staging/single.bin', 'single from outside');
    r.commit('one');
    let committed = truth(r);
    expect(statusOf(r)).toEqual({ added: [], modified: [], deleted: [] });

    // same size, and the mtime put back where it was: only the ctime tells
    const f0 = r.path('data/a/f0.bin');
    const { atime, mtime } = lstatSync(f0);
    writeFileSync(f0, 'A0-content');
    utimesSync(f0, atime, mtime);
    // a directory renamed, one moved in from outside, a file moved in over an existing one
    renameSync(r.path('data/b'), r.path('data/b2'));
    renameSync(r.path('staging/moved'), r.path('data/moved'));
    renameSync(r.path('staging/single.bin'), r.path('data/top.bin'));
    // a file that becomes a directory, a directory that becomes a file
    rmSync(r.path('data/becomes-dir'));
    r.write('data/becomes-dir/inner.bin', 'now a dir');
    rmSync(r.path('data/d'), { recursive: true });
    r.write('data/d', 'now a file');
    // chmod only, a touch without change, a link (not data), a deletion, a temp file
    chmodSync(r.path('data/a/f1.bin'), 0o755);
    const f2 = r.path('data/a/f2.bin');
    utimesSync(f2, new Date(), new Date());
    symlinkSync('f3.bin', r.path('data/a/link.bin'));
    rmSync(r.path('data/a/f4.bin'));
    writeFileSync(r.path('data/a/.gitrepro-tmp-leftover'), 'not data');
    // a killed restore's fresh directory, written whole under a temp name: its files are not data
    r.write('data/a/.gitrepro-tmp-dir-4242-0123456789ab-7/f9.bin', 'not data either');

    const now = truth(r);
    const want = expectedStatus(committed, now);
    probedBy(r);
    expect(want.added).toContain('data/moved/deep/m2.bin');
    expect(want.modified).toEqual(['data/a/f0.bin', 'data/a/f1.bin', 'data/top.bin']);
    expect(statusOf(r)).toEqual(want);
    // a second status (no scan moved the stamp in between) says the same
    expect(statusOf(r)).toEqual(want);
    expect(r.grJson(['status']).skipped).toEqual([{ path: 'data/a/link.bin', why: expect.stringMatching(/symbolic link/) }]);

    r.commit('two');
    const second = r.head();
    committed = truth(r);
    expect(statusOf(r)).toEqual({ added: [], modified: [], deleted: [] });
    // the commit recorded the bytes: a checkout of the first commit and back restores each
    r.git(['checkout', '-q', 'HEAD~1']);
    r.git(['checkout', '-q', second]);
    expect(truth(r)).toEqual(committed);
    expect(statusOf(r)).toEqual({ added: [], modified: [], deleted: [] });
  });

  it('after random edits, commits and checkouts, status and recorded data always match the work tree', () => {
    const r = init({ track: ['data/'] });
    const rand = seeded(11);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
    const dirs = ['data', 'data/p', 'data/p/q', 'data/r', 'data/s/t'];
    for (let i = 0; i < 30; i++) r.write(`${pick(dirs)}/n${i}.bin`, `seed ${i}`);
    r.commit('base');
    const commits: { id: string; data: Map<string, string> }[] = [{ id: r.head(), data: truth(r) }];
    let committed = commits[0].data;
    let n = 100;
    for (let round = 0; round < 14; round++) {
      for (let k = 0; k < 5; k++) {
        const files = [...truth(r).keys()];
        const op = pick(['write', 'modify', 'delete', 'rename', 'mvdir', 'chmod', 'samesize']);
        if (op === 'write' || files.length === 0) r.write(`${pick(dirs)}/n${n++}.bin`, `new ${n} ${rand()}`);
        else if (op === 'modify') writeFileSync(r.path(pick(files)), `changed ${rand()}`);
        else if (op === 'samesize') {
          const f = r.path(pick(files));
          const st = lstatSync(f);
          const b = readFileSync(f);
          b[0] ^= 1;
          writeFileSync(f, b);
          utimesSync(f, st.atime, st.mtime);
        } else if (op === 'delete') rmSync(r.path(pick(files)));
        else if (op === 'rename') {
          const from = pick(files);
          const to = `${pick(dirs)}/n${n++}.bin`;
          mkdirSync(path.dirname(r.path(to)), { recursive: true });
          renameSync(r.path(from), r.path(to));
        } else if (op === 'chmod') {
          const f = r.path(pick(files));
          chmodSync(f, lstatSync(f).mode & 0o100 ? 0o644 : 0o755);
        } else if (op === 'mvdir') {
          const from = pick(dirs.filter((d) => d !== 'data'));
          if (existsSync(r.path(from))) {
            const to = `data/m${n++}`;
            renameSync(r.path(from), r.path(to));
            renameSync(r.path(to), r.path(from === 'data/s/t' ? 'data/s/t2' : `${from}2`));
            renameSync(r.path(from === 'data/s/t' ? 'data/s/t2' : `${from}2`), r.path(from));
          }
        }
      }
      if (round === 0) probedBy(r);
      expect(statusOf(r), `round ${round}`).toEqual(expectedStatus(committed, truth(r)));
      const action = pick(['commit', 'commit', 'checkout', 'none']);
      if (action === 'commit') {
        r.commit(`round ${round}`);
        committed = truth(r);
        commits.push({ id: r.head(), data: committed });
      } else if (action === 'checkout' && commits.length > 1) {
        // unsaved edits first: a checkout of an older commit and back keeps them (rescued), so commit them
        r.commit(`round ${round} (before checkout)`);
        commits.push({ id: r.head(), data: truth(r) });
        const old = pick(commits.slice(0, -1));
        r.git(['checkout', '-q', old.id]);
        expect(truth(r), `checkout of ${old.id} in round ${round}`).toEqual(old.data);
        r.git(['checkout', '-q', 'main']);
        committed = commits[commits.length - 1].data;
        expect(truth(r)).toEqual(committed);
      }
      expect(statusOf(r), `round ${round} after ${action}`).toEqual(expectedStatus(committed, truth(r)));
    }
    // unsaved edits carry over a checkout (as in git): save them first
    if (!r.grJson(['status']).clean) {
      r.commit('last');
      commits.push({ id: r.head(), data: truth(r) });
    }
    // every commit recorded exactly the bytes its work tree held
    for (const c of commits) {
      r.git(['checkout', '-q', c.id]);
      expect(truth(r), c.id).toEqual(c.data);
    }
  });

  it('a restore that could not write a path is read again by every scan, and retried', () => {
    const r = init({ track: ['data/'] });
    r.write('data/x.bin', 'version one');
    r.write('data/y.bin', 'y');
    r.commit('one');
    r.write('data/x.bin', 'version two');
    r.commit('two');
    // the object of version one is lost: the checkout cannot restore data/x.bin
    rmSync(r.objectPath(sha256('version one')), { force: true });
    const co = r.git(['checkout', '-q', 'HEAD~1'], { ok: [0, 1] });
    expect(co.stderr).toMatch(/data\/x\.bin/);
    expect(r.read('data/x.bin').toString()).toBe('version two');
    // the file kept its old ctime, yet status reads it: it is not what HEAD holds
    const st = r.grJson(['status']);
    expect(st.modified).toEqual(['data/x.bin']);
    expect(st.missingObjects).toEqual([{ path: 'data/x.bin', sha256: sha256('version one') }]);
    // the object comes back (a collaborator sends it, say): restore writes it without a full re-read
    const other = init({ track: ['data/'] });
    other.write('data/x.bin', 'version one');
    other.gr(['add']);
    mkdirSync(path.dirname(r.objectPath(sha256('version one'))), { recursive: true });
    writeFileSync(r.objectPath(sha256('version one')), readFileSync(other.objectPath(sha256('version one'))), { mode: 0o444 });
    r.gr(['restore']);
    expect(r.read('data/x.bin').toString()).toBe('version one');
    expect(r.grJson(['status'])).toMatchObject({ added: [], modified: [], deleted: [], missingObjects: [] });
    // the unsaved version two was rescued, not lost
    expect(existsSync(r.objectPath(sha256('version two')))).toBe(true);
  });

  it('a track pattern change reads the work tree whole once', () => {
    const r = init({ track: ['data/'] });
    r.write('data/a.bin', 'a');
    r.write('models/m.bin', 'model');
    r.commit('one');
    r.gr(['track', 'models/']);
    expect(r.grJson(['status']).added).toEqual(['models/m.bin']);
    r.commit('two');
    expect(statusOf(r)).toEqual({ added: [], modified: [], deleted: [] });
    writeFileSync(r.path('models/m.bin'), 'model 2');
    expect(statusOf(r)).toEqual({ added: [], modified: ['models/m.bin'], deleted: [] });
  });
  it('status, add, commit and checkout of 2 changed files among 400 read those 2, never the whole tree', () => {
    const r = init({ track: ['data/'] });
    for (let i = 0; i < 400; i++) r.write(`data/d${i % 20}/f${i}.bin`, `file ${i}`);
    r.commit('base');
    const base = r.head();
    const traced = { ...r.env, GITREPRO_TRACE: '1' };
    writeFileSync(r.path('data/d3/f3.bin'), 'edited');
    r.write('data/d5/new.bin', 'new');
    const st = r.gr(['status', '--json'], { env: traced });
    expect(JSON.parse(st.stdout)).toMatchObject({ added: ['data/d5/new.bin'], modified: ['data/d3/f3.bin'], deleted: [] });
    expect(st.stderr).toMatch(/probe: 2 file\(s\) to read/);
    expect(st.stderr).not.toMatch(/walked:/);
    const add = r.gr(['add'], { env: traced });
    expect(add.stderr).toMatch(/scanned by the stamp: 2 change\(s\), 2 hashed/);
    expect(add.stderr).not.toMatch(/walked:/);
    r.git(['add', '-A']);
    r.git(['commit', '-q', '-m', 'two']);
    const co = r.git(['checkout', base], { env: traced });
    expect(co.stderr).toMatch(/diffed snapshots: 2 change\(s\)/);
    expect(co.stderr).not.toMatch(/walked:/);
    expect(r.read('data/d3/f3.bin').toString()).toBe('file 3');
    expect(r.exists('data/d5/new.bin')).toBe(false);
  });
  it('a whole read by status is remembered: the next steps read only the changes, and add still stores what status saw', () => {
    const r = init({ track: ['data/'] });
    for (let i = 0; i < 40; i++) r.write(`data/f${i}.bin`, `file ${i}`);
    r.commit('base');
    writeFileSync(r.path('data/f1.bin'), 'edited before the state was lost');
    rmSync(r.path('data/f2.bin'));
    r.write('data/new.bin', 'new');
    // the state is gone (a fresh clone of the work tree, an upgrade): the next status reads everything
    rmSync(path.join(r.gitDir(), 'gitrepro', 'state.json'));
    const traced = { ...r.env, GITREPRO_TRACE: '1' };
    const want = { added: ['data/new.bin'], modified: ['data/f1.bin'], deleted: ['data/f2.bin'] };
    const first = r.gr(['status', '--json'], { env: traced });
    expect(JSON.parse(first.stdout)).toMatchObject(want);
    expect(first.stderr).toMatch(/walked: 40 files/);
    const second = r.gr(['status', '--json'], { env: traced });
    expect(JSON.parse(second.stdout)).toMatchObject(want);
    expect(second.stderr).not.toMatch(/walked:/);
    expect(second.stderr).toMatch(/probe: 2 file\(s\) to read, 1 gone/);
    // status stored nothing; a plain git commit (the pre-commit hook) reads the paths status
    // found changed, though the stamp moved past them, and stores them
    expect(existsSync(r.objectPath(sha256('edited before the state was lost')))).toBe(false);
    // a branch switch in between (same data: the hook has nothing to write) changes nothing
    r.git(['checkout', '-q', '-b', 'feature']);
    r.write('train.py', 'print("a code change, committed with git alone")');
    r.git(['add', '-A']);
    const commit = r.git(['commit', '-q', '-m', 'two'], { env: traced });
    expect(commit.stderr).toMatch(/scanned by the stamp: 3 change\(s\), 2 hashed\n.*compared with the staged snapshot: 3 difference/);
    expect(existsSync(r.objectPath(sha256('edited before the state was lost')))).toBe(true);
    const committed = truth(r);
    expect(committed.has('data/f2.bin')).toBe(false);
    r.git(['checkout', '-q', 'HEAD~1']);
    expect(r.read('data/f1.bin').toString()).toBe('file 1');
    expect(r.read('data/f2.bin').toString()).toBe('file 2');
    r.git(['checkout', '-q', 'feature']);
    expect(truth(r)).toEqual(committed);
    expect(statusOf(r)).toEqual({ added: [], modified: [], deleted: [] });
  });
});
