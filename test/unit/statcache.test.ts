import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StatCache } from '../../src/workspace/statcache.js';

const st = (size: number, t: number) => ({ size, mtimeMs: t, ctimeMs: t, ino: size, exec: false });
const e = (c: string, size = 1) => ({ sha256: c.repeat(64), size, exec: false });
const OLD = Date.now() - 60_000;

describe('stat cache', () => {
  it('survives full saves, appended deltas and lazy opens with the same answers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gr-sc-'));
    const a = await StatCache.load(dir);
    a.set('x/a', st(1, OLD), 'a'.repeat(64), true);
    a.set('x\tb', st(2, OLD), 'b'.repeat(64), false);
    a.setSnapshot('t1', new Map([['x/a', e('a')], ['x\tb', e('b', 2)]]));
    await a.save(); // full rewrite
    const b = await StatCache.load(dir);
    expect(b.lookup('x/a', st(1, OLD))).toEqual({ key: expect.any(String), sha256: 'a'.repeat(64), stored: true });
    expect(b.lookup('x/a', st(1, OLD + 1))).toBeUndefined(); // stat moved: not trusted
    b.set('x/c', st(3, OLD), 'c'.repeat(64), true);
    b.delete('x\tb');
    b.applySnapshotChanges('t2', [{ path: 'x/c', entry: e('c', 3) }, { path: 'x\tb' }]);
    await b.save(); // appended
    const lazy = await StatCache.open(dir);
    expect(lazy.tree).toBe('t2');
    expect(lazy.hasMemo).toBe(true);
    expect(lazy.lookup('x/c', st(3, OLD))?.sha256).toBe('c'.repeat(64));
    expect(lazy.lookup('b', st(2, OLD))).toBeUndefined(); // a suffix of another path is not a match
    expect(lazy.lookup('x\tb', st(2, OLD))).toBeUndefined(); // forgotten
    lazy.setMissing(['x/m'], true);
    lazy.applySnapshotChanges('t3', [{ path: 'x/a' }]);
    await lazy.save();
    const full = await StatCache.load(dir);
    expect(full.tree).toBe('t3');
    expect([...full.snap!.keys()]).toEqual(['x/c']);
    expect([...full.missing]).toEqual(['x/m']);
    full.setSnapshot('t4', undefined); // memo unknown from now on
    await full.save();
    expect((await StatCache.load(dir)).snap).toBeUndefined();
  });

  it('never trusts a racy entry (mtime within the same tick as the hash)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gr-sc-'));
    const c = await StatCache.load(dir);
    const now = st(5, Date.now());
    c.set('f', now, 'f'.repeat(64), true);
    expect(c.lookup('f', now)).toBeUndefined();
  });
});
