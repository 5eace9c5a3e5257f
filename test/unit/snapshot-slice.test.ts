/**
 * readSnapshotSlice (git/snapshot.ts) against a real snapshot tree: what a scan of changed
 * directories learns without reading the rest. `git ls-tree` shows no entry for a tree it only
 * descends through on the way to another pathspec; the slice must still know that tree as a
 * directory, or the scan would take it for one moved in and read it whole.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshotSlice, writeSnapshot } from '../../src/git/snapshot.js';

const dir = mkdtempSync(path.join(tmpdir(), 'gr-slice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSnapshotSlice', () => {
  it('lists each asked directory whole (trees it descends through included), and reads entries only where asked', async () => {
    execFileSync('git', ['init', '-q', dir]);
    const e = (n: number) => ({ sha256: n.toString(16).padStart(64, '0'), size: n, exec: false });
    const paths = ['data/a.bin', 'data/p/b.bin', 'data/p/q/c.bin', 'data/s/t/d.bin', 'data/s/t/e.bin', 'data/r/f.bin'];
    const { tree } = await writeSnapshot(dir, undefined, paths.map((p, i) => ({ path: p, entry: e(i + 1) })));

    const slice = await readSnapshotSlice(dir, tree, { dirs: ['data', 'data/p/q', 'data/s/t'], paths: ['data/r/f.bin'], childEntries: false });
    expect(Object.fromEntries(slice.children.get('data')!)).toEqual({ 'a.bin': 'file', p: 'dir', s: 'dir', r: 'dir' });
    expect(Object.fromEntries(slice.children.get('data/p/q')!)).toEqual({ 'c.bin': 'file' });
    expect(Object.fromEntries(slice.children.get('data/s/t')!)).toEqual({ 'd.bin': 'file', 'e.bin': 'file' });
    // entries: the paths asked for only (children by kind)
    expect([...slice.files.keys()]).toEqual(['data/r/f.bin']);
    expect(slice.files.get('data/r/f.bin')).toEqual(e(6));

    const whole = await readSnapshotSlice(dir, tree, { dirs: ['data/s/t'] });
    expect([...whole.files.keys()].sort()).toEqual(['data/s/t/d.bin', 'data/s/t/e.bin']);
  });
});
