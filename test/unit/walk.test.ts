import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeMatcher, patternRoot, walkTracked } from '../../src/workspace/walk.js';

describe('track patterns', () => {
  it('walk only the static roots of anchored patterns', () => {
    expect(patternRoot('/data/')).toBe('data');
    expect(patternRoot('data/')).toBe(''); // like git: a lone name matches at any depth
    expect(patternRoot('/data/raw/**/*.csv')).toBe('data/raw');
    expect(patternRoot('*.parquet')).toBe('');
    expect(patternRoot('models')).toBe('');
    expect(makeMatcher(['/data/', 'data/raw/', 'models/*.pt']).roots).toEqual(['data', 'models']);
    expect(makeMatcher(['data/', '*.csv']).roots).toEqual(['']);
  });
  it('match like git: case-sensitive, directories with a trailing slash, negation', () => {
    const m = makeMatcher(['data/', '*.csv', '!keep.csv']);
    expect(m.matches('data', true)).toBe(true);
    expect(m.matches('x/Y.csv')).toBe(true);
    expect(m.matches('x/Y.CSV')).toBe(false);
    expect(m.matches('keep.csv')).toBe(false);
  });
  it('refuse patterns that reach outside the work tree or into .git', () => {
    expect(() => makeMatcher(['../x'])).toThrow(/not usable/);
    expect(() => makeMatcher(['.git/'])).toThrow(/not usable/);
  });
  it('find tracked regular files, skipping .git and symlinks', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gr-walk-'));
    for (const f of ['data/a', 'data/sub/b', 'other/c.csv', 'other/d.txt', '.git/x.csv']) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), f);
    }
    symlinkSync('/etc/passwd', path.join(root, 'data', 'link'));
    const w = walkTracked(root, makeMatcher(['data/', '*.csv']));
    expect([...w.files.keys()].sort()).toEqual(['data/a', 'data/sub/b', 'other/c.csv']);
    expect(w.skipped).toEqual([{ path: 'data/link', why: 'symbolic link (gitrepro stores regular files only)' }]);
    expect(w.files.get('data/a')!.size).toBe(6);
  });
});

describe('gitrepro track normalises paths', () => {
  it('anchors an existing path to the repository root; leaves globs and unknown names alone', async () => {
    const { normalizePattern } = await import('../../src/ops/track.js');
    const root = mkdtempSync(path.join(tmpdir(), 'gr-norm-'));
    mkdirSync(path.join(root, 'sub', 'data'), { recursive: true });
    writeFileSync(path.join(root, 'sub', 'model.pt'), 'm');
    expect(normalizePattern(root, path.join(root, 'sub'), 'data')).toBe('/sub/data/');
    expect(normalizePattern(root, path.join(root, 'sub'), 'model.pt')).toBe('/sub/model.pt');
    expect(normalizePattern(root, root, '*.pt')).toBe('*.pt');
    expect(normalizePattern(root, root, 'not-yet/')).toBe('/not-yet/'); // a directory to be, anchored
    expect(normalizePattern(root, root, 'nothing-here')).toBe('nothing-here'); // a bare name: any depth
    expect(normalizePattern(root, root, '/abs/')).toBe('/abs/');
  });
});
