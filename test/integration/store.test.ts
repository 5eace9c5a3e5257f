import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256, TestRepo } from '../helpers/repo.js';

function storeFiles(r: TestRepo): string[] {
  const root = path.join(r.gitDir(), 'gitrepro', 'objects');
  return readdirSync(root, { recursive: true }).map(String).filter((p) => /[0-9a-f]{64}$/.test(p));
}

describe('the store is sound', () => {
  it('stores each content once, content-addressed and read-only, with no temp files left', () => {
    const r = TestRepo.init({ track: ['data/'] });
    const same = Buffer.alloc(50_000, 9);
    r.write('data/a.bin', same);
    r.write('data/copy-of-a.bin', same);
    r.write('data/b.bin', 'b');
    r.commit('first');
    const objs = storeFiles(r);
    expect(objs).toHaveLength(2);
    expect(objs.map((p) => path.basename(p)).sort()).toEqual([sha256(same), sha256('b')].sort());
    for (const o of objs) {
      const st = statSync(path.join(r.gitDir(), 'gitrepro', 'objects', o));
      expect(st.mode & 0o222).toBe(0);
    }
    expect(readdirSync(path.join(r.gitDir(), 'gitrepro', 'tmp'))).toEqual([]);
    // modifying the work-tree file cannot reach the store (copies, not links)
    r.write('data/a.bin', 'changed');
    expect(sha256(r.read(path.relative(r.dir, r.objectPath(sha256(same)))))).toBe(sha256(same));
  });

  it('reports a corrupted object on restore and never writes it; the object is quarantined', () => {
    const r = TestRepo.init({ track: ['data/'] });
    r.write('data/x.bin', 'version one');
    r.commit('one');
    r.write('data/x.bin', 'version two');
    r.commit('two');
    const obj = r.objectPath(sha256('version one'));
    chmodSync(obj, 0o644);
    writeFileSync(obj, 'version 0ne'); // same size, flipped byte
    const res = r.git(['checkout', 'HEAD~1'], { ok: [1] });
    expect(res.stderr).toMatch(/stored object [0-9a-f]{12} is corrupt/);
    expect(r.read('data/x.bin').toString()).toBe('version two');
    expect(readdirSync(path.join(r.gitDir(), 'gitrepro', 'quarantine'))).toHaveLength(1);
    const st = r.grJson(['status']);
    expect(st.missingObjects).toEqual([{ path: 'data/x.bin', sha256: sha256('version one') }]);
    // no temp file next to the target
    expect(readdirSync(r.path('data')).filter((n) => n.includes('gitrepro-tmp'))).toEqual([]);
  });
});
