/**
 * Sparse clones (issue 14): `git config gitrepro.include` / `gitrepro.exclude` make a clone fetch
 * and write only the data it wants; absent data outside the filter is never recorded as deleted;
 * named paths come on demand. Real git, a bare origin and a directory store remote.
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneOf, project } from '../helpers/remote.js';
import { sha256, type TestRepo } from '../helpers/repo.js';

/** Every object file in a clone's local store. */
function localObjects(c: TestRepo): Set<string> {
  const out = new Set<string>();
  const root = path.join(c.gitDir(), 'gitrepro', 'objects');
  const walk = (d: string): void => {
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.add(n);
    }
  };
  walk(root);
  return out;
}

/** path -> sha256 of a commit's snapshot, by `gitrepro ls-files --json`. */
function snapshotOf(c: TestRepo, rev = 'HEAD'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of c.grJson(['ls-files', rev]).files) out[f.path] = f.sha256;
  return out;
}

function threeDirs() {
  const { r, bare, store } = project();
  const content: Record<string, string> = {
    'data/small/a.csv': 'a,1\n',
    'data/small/b.csv': 'b,2\n',
    'data/medium/c.bin': 'c'.repeat(5000),
    'data/large/d.bin': 'd'.repeat(20000),
    'data/large/e.bin': 'e'.repeat(30000),
  };
  for (const [p, v] of Object.entries(content)) r.write(p, v);
  r.commit('three directories');
  r.git(['push', '-q', '-u', 'origin', 'main']);
  return { r, bare, store, content };
}

describe('sparse clones', () => {
  it('fetch and write only the included directory; a commit there keeps the other directories in its snapshot', () => {
    const { r, bare, content } = threeDirs();
    const c = cloneOf(r, bare, 'sparse', { install: false });
    c.git(['config', '--add', 'gitrepro.include', 'data/small/']);
    c.gr(['install']);
    expect(c.manifest()).toEqual({ 'data/small/a.csv': sha256(content['data/small/a.csv']), 'data/small/b.csv': sha256(content['data/small/b.csv']) });
    // only the wanted objects came over
    expect(localObjects(c)).toEqual(new Set([sha256(content['data/small/a.csv']), sha256(content['data/small/b.csv'])]));
    // nothing reported deleted; ls-files tells what is here
    const st = c.grJson(['status']);
    expect(st).toMatchObject({ added: [], modified: [], deleted: [], clean: true, missingObjects: [] });
    const ls = c.grJson(['ls-files']).files.map((f: any) => [f.path, f.present, f.sparse]);
    expect(ls).toEqual([
      ['data/large/d.bin', false, true],
      ['data/large/e.bin', false, true],
      ['data/medium/c.bin', false, true],
      ['data/small/a.csv', true, false],
      ['data/small/b.csv', true, false],
    ]);
    expect(c.gr(['ls-files', '-l']).stdout).toMatch(/ sparse +data\/large\/d\.bin$/m);

    // a change in the included directory, committed and pushed from the sparse clone
    const before = snapshotOf(c);
    c.write('data/small/a.csv', 'a,10\n');
    c.write('data/small/new.csv', 'n,3\n');
    c.commit('edit small');
    const after = snapshotOf(c);
    expect(after['data/small/a.csv']).toBe(sha256('a,10\n'));
    expect(after['data/small/new.csv']).toBe(sha256('n,3\n'));
    for (const p of ['data/medium/c.bin', 'data/large/d.bin', 'data/large/e.bin']) expect(after[p]).toBe(before[p]);
    c.git(['push', '-q', 'origin', 'main']);
    // the full clone pulls it: every other directory's data is untouched
    r.git(['pull', '-q']);
    expect(r.manifest()).toEqual({
      'data/small/a.csv': sha256('a,10\n'),
      'data/small/b.csv': sha256(content['data/small/b.csv']),
      'data/small/new.csv': sha256('n,3\n'),
      'data/medium/c.bin': sha256(content['data/medium/c.bin']),
      'data/large/d.bin': sha256(content['data/large/d.bin']),
      'data/large/e.bin': sha256(content['data/large/e.bin']),
    });
    expect(r.gr(['verify']).code).toBe(0);
  });

  it('pull brings only wanted data; exclude narrows; named paths come on demand; widening the filter restores the rest', () => {
    const { r, bare, content } = threeDirs();
    const c = cloneOf(r, bare, 'sparse', { install: false });
    c.git(['config', '--add', 'gitrepro.include', 'data/**']);
    c.git(['config', '--add', 'gitrepro.exclude', 'data/large/']);
    c.gr(['install']);
    expect(Object.keys(c.manifest('data')).sort()).toEqual(['data/medium/c.bin', 'data/small/a.csv', 'data/small/b.csv']);

    // new data upstream in both a wanted and an unwanted directory
    r.write('data/large/d.bin', 'D'.repeat(20000));
    r.write('data/medium/c.bin', 'C'.repeat(5000));
    r.commit('upstream');
    r.git(['push', '-q', 'origin', 'main']);
    c.git(['pull', '-q']);
    expect(c.read('data/medium/c.bin').toString()).toBe('C'.repeat(5000));
    expect(c.exists('data/large/d.bin')).toBe(false);
    expect(localObjects(c).has(sha256('D'.repeat(20000)))).toBe(false);
    expect(c.grJson(['status']).clean).toBe(true);

    // on demand: fetch then restore one path outside the filter
    const f = JSON.parse(c.gr(['fetch', '--json', '--', 'data/large/d.bin']).stdout);
    expect(f.fetched).toEqual([sha256('D'.repeat(20000))]);
    c.gr(['restore', '--', 'data/large/d.bin']);
    expect(c.read('data/large/d.bin').toString()).toBe('D'.repeat(20000));
    // restore fetches on its own too
    c.gr(['restore', '--', 'data/large/e.bin']);
    expect(c.read('data/large/e.bin').toString()).toBe(content['data/large/e.bin']);
    // present, it is data like any other: an edit is recorded
    writeFileSync(c.path('data/large/e.bin'), 'edited e');
    expect(c.grJson(['status']).modified).toEqual(['data/large/e.bin']);
    c.commit('edit e');
    expect(snapshotOf(c)['data/large/e.bin']).toBe(sha256('edited e'));

    // widening the filter: the next restore writes what the clone did not hold
    c.git(['config', '--unset-all', 'gitrepro.exclude']);
    c.gr(['restore']);
    expect(c.manifest()).toEqual({
      'data/small/a.csv': sha256(content['data/small/a.csv']),
      'data/small/b.csv': sha256(content['data/small/b.csv']),
      'data/medium/c.bin': sha256('C'.repeat(5000)),
      'data/large/d.bin': sha256('D'.repeat(20000)),
      'data/large/e.bin': sha256('edited e'),
    });
  });

  it('a checkout between commits in a sparse clone writes only wanted paths, and an unusable pattern is one clear error', () => {
    const { r, bare } = threeDirs();
    r.write('data/small/a.csv', 'a,2\n');
    r.write('data/large/d.bin', 'x'.repeat(100));
    r.commit('two');
    r.git(['push', '-q', 'origin', 'main']);
    const c = cloneOf(r, bare, 'sparse', { install: false });
    c.git(['config', '--add', 'gitrepro.include', 'data/small/']);
    c.gr(['install']);
    c.git(['checkout', '-q', 'HEAD~1']);
    expect(c.read('data/small/a.csv').toString()).toBe('a,1\n');
    expect(c.exists('data/large/d.bin')).toBe(false);
    c.git(['checkout', '-q', 'main']);
    expect(c.read('data/small/a.csv').toString()).toBe('a,2\n');
    expect(c.exists('data/large')).toBe(false);

    c.git(['config', '--add', 'gitrepro.include', '../outside']);
    const bad = c.gr(['status'], { ok: [2] });
    expect(bad.stderr).toMatch(/^error \[GITREPRO_PATTERN_INVALID\]: gitrepro\.include pattern "\.\.\/outside" is not usable$/m);
    expect(bad.stderr).not.toMatch(/    at /);
  });
});
